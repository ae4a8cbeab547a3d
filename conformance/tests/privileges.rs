//! A user without the load privilege, against the emulator's servers' answers: every mode of
//! both clients reports it as a permanent `Unauthorized` error and loads nothing — the same kind
//! as a wrong password, reached through the privilege texts (Doris `Admin_priv,Load_priv` /
//! `LOAD privilege(s)`, StarRocks `ERR_ACCESS_DENIED` for INSERT) rather than a bad login. With
//! the privilege granted the same user loads.

use std::time::Duration;

use streamload_conformance::{Endpoints, Mode, ProtocolSetup};
use streamload_core::{
    Delivery, ErrorKind, Op, RetryConfig, Sink, SinkConfigBuilder, Table, Value,
};
use streamload_emulator::engine::Flavor;
use streamload_emulator::mysql::{Reply, Session};
use streamload_emulator::{Emulator, EmulatorConfig, EmulatorHandle};

fn admin(emu: &EmulatorHandle, sql: &str) {
    let mut s = Session::new(emu.engine().clone(), 1);
    assert_eq!(s.execute(sql), Reply::ok(), "{sql}");
}

fn is_doris(mode: Mode) -> bool {
    matches!(
        mode,
        Mode::Doris2pc | Mode::DorisBatch | Mode::DorisGroupCommit
    )
}

fn count(emu: &EmulatorHandle) -> i64 {
    let r = emu
        .engine()
        .query(Some("db"), "SELECT count(*) FROM t")
        .expect("count");
    match r.rows[0][0] {
        streamload_emulator::engine::Value::Int(n) => n as i64,
        ref other => panic!("{other:?}"),
    }
}

/// Writes one row and flushes (batched) or prepares (checkpointed).
async fn load(mode: Mode, emu: &EmulatorHandle, prefix: &str) -> streamload_core::Result<()> {
    let at = Endpoints {
        fe_url: emu.fe_url(),
        mysql_addr: emu.mysql_url().rsplit('@').next().unwrap().to_string(),
        user: "loader".into(),
        password: "pw".into(),
    };
    let protocol = mode
        .protocol(&at, prefix, &ProtocolSetup::default())
        .await
        .expect("protocol");
    let config = SinkConfigBuilder::default()
        .with_delivery(mode.delivery())
        .with_label_prefix(prefix)
        .with_flush_interval(Duration::from_secs(3600))
        .with_retry(RetryConfig {
            max_retries: 2,
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            txn_limit_wait: Duration::from_secs(5),
        })
        .build()?;
    let mut sink = Sink::new(protocol, config)?;
    let table = Table::new("db", "t");
    sink.write_values(
        &table,
        Op::Upsert,
        &["id", "v"],
        &[Value::Int(1), Value::Int(2)],
    )
    .await?;
    match mode.delivery() {
        Delivery::Checkpointed => sink.prepare(1).await.map(drop),
        Delivery::Batched => sink.flush().await,
    }
}

#[tokio::test]
async fn a_user_without_the_load_privilege_is_unauthorized_in_every_mode() {
    for mode in Mode::ALL {
        let flavor = if is_doris(mode) {
            Flavor::Doris
        } else {
            Flavor::StarRocks
        };
        let emu = Emulator::start(EmulatorConfig::new(flavor))
            .await
            .expect("emulator");
        emu.engine().create_database("db").expect("db");
        emu.engine()
            .execute_ddl(
                "CREATE TABLE db.t (id INT NOT NULL, v INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
            )
            .expect("table");
        admin(&emu, "CREATE USER 'loader'@'%' IDENTIFIED BY 'pw'");
        let read = if is_doris(mode) {
            "GRANT SELECT_PRIV ON db.* TO loader"
        } else {
            "GRANT SELECT ON ALL TABLES IN DATABASE db TO USER loader"
        };
        admin(&emu, read);

        let err = load(mode, &emu, "denied")
            .await
            .expect_err("a load without the privilege");
        assert_eq!(
            err.kind(),
            ErrorKind::Unauthorized,
            "{}: {err}",
            mode.name()
        );
        assert!(!err.is_retryable(), "{}: {err}", mode.name());
        assert!(
            err.to_string().to_ascii_lowercase().contains("privilege"),
            "{}: the server's reason is kept: {err}",
            mode.name()
        );
        assert_eq!(count(&emu), 0, "{}", mode.name());

        let load_priv = if is_doris(mode) {
            "GRANT LOAD_PRIV ON db.t TO loader"
        } else {
            "GRANT INSERT ON TABLE db.t TO USER loader"
        };
        admin(&emu, load_priv);
        load(mode, &emu, "granted")
            .await
            .unwrap_or_else(|e| panic!("{}: granted load: {e}", mode.name()));
        emu.shutdown().await;
    }
}
