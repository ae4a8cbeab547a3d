//! Shared fixtures of the integration tests: an emulated Doris cluster, SQL through its MySQL
//! port, and a protocol pointed at it.
#![allow(dead_code, unreachable_pub)]

use bytes::Bytes;
use mysql_async::prelude::*;
use streamload_core::{Compression, CsvFormat, Format, Label, LoadOptions, Table, Transaction};
use streamload_doris::{DorisBuilder, DorisProtocol};
use streamload_emulator::engine::Flavor;
use streamload_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Listener};

/// A running emulator with database `test`.
pub async fn start() -> EmulatorHandle {
    start_with(|_| {}).await
}

/// A running emulator, configured by `f`, with database `test`.
pub async fn start_with(f: impl FnOnce(&mut EmulatorConfig)) -> EmulatorHandle {
    let mut config = EmulatorConfig::new(Flavor::Doris);
    f(&mut config);
    let emu = Emulator::start(config).await.expect("emulator starts");
    emu.engine()
        .create_database("test")
        .expect("database created");
    emu
}

async fn conn(emu: &EmulatorHandle) -> mysql_async::Conn {
    let opts = mysql_async::Opts::from_url(&emu.mysql_url()).expect("mysql url");
    mysql_async::Conn::new(opts).await.expect("mysql connects")
}

/// Runs one statement through the MySQL port.
pub async fn sql(emu: &EmulatorHandle, statement: &str) {
    let mut c = conn(emu).await;
    c.query_drop(statement).await.expect("statement runs");
    let _ = c.disconnect().await;
}

/// Rows of `query`, every value rendered as text (`NULL` for null).
pub async fn rows(emu: &EmulatorHandle, query: &str) -> Vec<Vec<String>> {
    let mut c = conn(emu).await;
    let result: Vec<mysql_async::Row> = c.query(query).await.expect("query runs");
    let _ = c.disconnect().await;
    result
        .into_iter()
        .map(|row| {
            (0..row.len())
                .map(|i| match row.as_ref(i) {
                    Some(mysql_async::Value::NULL) | None => "NULL".to_owned(),
                    Some(mysql_async::Value::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
                    Some(v) => v.as_sql(true).trim_matches('\'').to_owned(),
                })
                .collect()
        })
        .collect()
}

/// `rows` flattened to `a,b;c,d` for compact assertions.
pub async fn table_text(emu: &EmulatorHandle, query: &str) -> String {
    rows(emu, query)
        .await
        .iter()
        .map(|r| r.join(","))
        .collect::<Vec<_>>()
        .join(";")
}

/// A builder pointed at the emulator's FE.
pub fn builder(emu: &EmulatorHandle) -> DorisBuilder {
    DorisBuilder::new()
        .with_fe_nodes([emu.fe_url()])
        .with_credentials("root", "")
        .with_label_prefix("it")
}

/// A two-phase protocol against the emulator.
pub fn protocol(emu: &EmulatorHandle) -> DorisProtocol {
    builder(emu).build().expect("protocol builds")
}

/// Tab-separated CSV options.
pub fn csv(two_phase: bool, columns: &[&str]) -> LoadOptions {
    LoadOptions {
        format: Format::Csv(CsvFormat::default()),
        compression: Compression::None,
        columns: (!columns.is_empty()).then(|| columns.iter().map(|c| c.to_string()).collect()),
        two_phase,
    }
}

/// Writes `chunks` into a transaction.
pub async fn write_all(txn: &mut Box<dyn Transaction>, chunks: &[&str]) {
    for chunk in chunks {
        txn.write(Bytes::copy_from_slice(chunk.as_bytes()))
            .await
            .expect("write succeeds");
    }
}

/// A fresh duplicate-key table `test.{name}(id INT, name VARCHAR)`.
pub async fn dup_table(emu: &EmulatorHandle, name: &str) -> Table {
    sql(
        emu,
        &format!(
            "CREATE TABLE test.{name} (`id` INT, `name` VARCHAR(64)) DUPLICATE KEY(`id`) \
             DISTRIBUTED BY HASH(`id`) BUCKETS 1"
        ),
    )
    .await;
    Table::new("test", name)
}

/// A fresh unique-key table `test.{name}(id INT, name VARCHAR, score INT)`.
pub async fn unique_table(emu: &EmulatorHandle, name: &str, properties: &str) -> Table {
    sql(
        emu,
        &format!(
            "CREATE TABLE test.{name} (`id` INT, `name` VARCHAR(64), `score` INT) UNIQUE KEY(`id`) \
             DISTRIBUTED BY HASH(`id`) BUCKETS 1 {properties}"
        ),
    )
    .await;
    Table::new("test", name)
}

/// Asserts that no request carried body bytes to the FE.
pub fn assert_no_body_reached_the_fe(emu: &EmulatorHandle) {
    let log = emu.request_log().entries();
    assert!(
        log.iter().any(|r| r.listener == Listener::Fe),
        "the FE was asked"
    );
    for r in log.iter().filter(|r| r.listener == Listener::Fe) {
        assert_eq!(r.body_bytes, 0, "body sent to the FE: {r:?}");
    }
}

/// A label.
pub fn label(text: &str) -> Label {
    Label::new(text).expect("valid label")
}
