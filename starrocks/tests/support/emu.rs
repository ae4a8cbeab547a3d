//! The StarRocks-flavoured emulator for end-to-end tests: start it, create tables through its
//! engine, read rows back through its MySQL port.

use mysql_async::prelude::Queryable;
use streamload_emulator::engine::Flavor;
use streamload_emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use streamload_starrocks::StarRocksBuilder;

/// The `score_board` table of the connector manual.
pub const SCORE_BOARD: &str = "CREATE TABLE test.score_board (
    id int(11) NOT NULL COMMENT \"\",
    name varchar(65533) NULL DEFAULT \"\" COMMENT \"\",
    score int(11) NOT NULL DEFAULT \"0\" COMMENT \"\"
) ENGINE=OLAP PRIMARY KEY(id) DISTRIBUTED BY HASH(id)";

/// A running emulator with database `test`.
pub async fn start() -> EmulatorHandle {
    let emu = Emulator::start(EmulatorConfig::new(Flavor::StarRocks))
        .await
        .unwrap();
    emu.engine().create_database("test").unwrap();
    emu
}

/// `jdbc:mysql://host:port` of the emulator's MySQL port.
pub fn jdbc_url(emu: &EmulatorHandle) -> String {
    let url = emu.mysql_url();
    let host = url.rsplit('@').next().unwrap();
    format!("jdbc:mysql://{host}")
}

/// A protocol builder pointed at the emulator, with `jdbc-url`.
pub fn builder(emu: &EmulatorHandle) -> StarRocksBuilder {
    StarRocksBuilder::new()
        .with_load_urls([emu.fe_url()])
        .with_jdbc_url(jdbc_url(emu))
        .with_credentials("root", "")
}

/// Runs `sql` through the MySQL port; every value as text (`NULL` for null).
pub async fn rows(emu: &EmulatorHandle, sql: &str) -> Vec<Vec<String>> {
    let url = emu.mysql_url();
    let host = url.rsplit('@').next().unwrap();
    let (ip, port) = host.rsplit_once(':').unwrap();
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(ip)
        .tcp_port(port.parse().unwrap())
        .user(Some("root"))
        .pass(Some(""))
        .prefer_socket(false);
    let mut conn = mysql_async::Conn::new(opts).await.unwrap();
    let result: Vec<mysql_async::Row> = conn.query(sql).await.unwrap();
    let _ = conn.disconnect().await;
    result
        .into_iter()
        .map(|row| {
            (0..row.len())
                .map(|i| match row.as_ref(i) {
                    Some(mysql_async::Value::NULL) | None => "NULL".to_owned(),
                    Some(mysql_async::Value::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
                    Some(other) => other.as_sql(true).trim_matches('\'').to_owned(),
                })
                .collect()
        })
        .collect()
}
