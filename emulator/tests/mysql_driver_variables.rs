//! The session variables JDBC drivers read when they connect. Connector/J 5.1 (bundled by the
//! StarRocks Flink connector) sends one `SELECT @@...` of its whole list and warns about every
//! NULL; both FEs answer each of them. Found by the Java peers in `.ci/peers/java`:
//! `net_buffer_length` came back NULL.

use mysql_async::Row;
use mysql_async::prelude::*;
use streamload_emulator::engine::{Engine, EngineConfig, Flavor};

async fn connect(flavor: Flavor) -> mysql_async::Conn {
    let engine = Engine::open(EngineConfig::new(flavor)).expect("engine");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(streamload_emulator::mysql::serve(listener, engine));
    let opts: mysql_async::Opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname("127.0.0.1")
        .tcp_port(port)
        .user(Some("root"))
        .pass(Some(""))
        .into();
    mysql_async::Conn::new(opts).await.expect("connect")
}

/// Connector/J 5.1's connect-time query against a 5.7.20+ / 8.0 server.
const CONNECTOR_J_51: &str = "/* mysql-connector-java-5.1.49 ( Revision: ad86f36e100e104cd926c6b81c8cab9565750116 ) */\
SELECT  @@session.auto_increment_increment AS auto_increment_increment, @@character_set_client AS character_set_client, \
@@character_set_connection AS character_set_connection, @@character_set_results AS character_set_results, \
@@character_set_server AS character_set_server, @@collation_server AS collation_server, @@init_connect AS init_connect, \
@@interactive_timeout AS interactive_timeout, @@license AS license, @@lower_case_table_names AS lower_case_table_names, \
@@max_allowed_packet AS max_allowed_packet, @@net_buffer_length AS net_buffer_length, \
@@net_write_timeout AS net_write_timeout, @@query_cache_size AS query_cache_size, @@query_cache_type AS query_cache_type, \
@@sql_mode AS sql_mode, @@system_time_zone AS system_time_zone, @@time_zone AS time_zone, \
@@transaction_isolation AS transaction_isolation, @@wait_timeout AS wait_timeout";

#[tokio::test]
async fn connector_j_51_connect_query_has_no_null_variable() {
    for flavor in [Flavor::Doris, Flavor::StarRocks] {
        let mut conn = connect(flavor).await;
        let row: Row = conn
            .query_first(CONNECTOR_J_51)
            .await
            .expect("query")
            .expect("row");
        let columns = row.columns();
        for (i, column) in columns.iter().enumerate() {
            let value: Option<String> = row.get(i).expect("value");
            assert!(value.is_some(), "{flavor:?}: {} is NULL", column.name_str());
        }
        let at = columns
            .iter()
            .position(|c| c.name_str() == "net_buffer_length")
            .expect("column");
        let net_buffer_length: Option<i64> = row.get(at);
        assert_eq!(net_buffer_length, Some(16_384), "{flavor:?}");
        conn.disconnect().await.expect("bye");
    }
}

#[tokio::test]
async fn net_buffer_length_is_listed_by_show_variables() {
    for flavor in [Flavor::Doris, Flavor::StarRocks] {
        let mut conn = connect(flavor).await;
        let vars: Vec<(String, String)> = conn
            .query("SHOW VARIABLES LIKE 'net_buffer_length'")
            .await
            .expect("show");
        assert_eq!(
            vars,
            vec![("net_buffer_length".to_string(), "16384".to_string())],
            "{flavor:?}"
        );
        conn.disconnect().await.expect("bye");
    }
}
