//! The SHOW statements and `information_schema` in the shapes SQL tools read them (the
//! SQLAlchemy dialects `starrocks` and `doris-alchemy`, the mariadb CLI): SHOW \[FULL\] COLUMNS
//! says YES/NO, information_schema is a database, StarRocks has TABLES_CONFIG, the cluster
//! SHOWs and `ADMIN SHOW FRONTEND CONFIG` are result sets, and Doris answers a missing table
//! with 1105 "Unknown table".

use streamload_emulator::engine::{Engine, EngineConfig, Flavor, QueryResult, Value};
use streamload_emulator::mysql::{Reply, Session, Topology};

fn session(flavor: Flavor) -> Session {
    let engine = Engine::open(EngineConfig::new(flavor)).expect("engine");
    engine.create_database("demo").expect("db");
    engine
        .execute_ddl(
            "CREATE TABLE demo.t (k INT NOT NULL COMMENT 'the key', v VARCHAR(10) NULL) \
             UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
        )
        .expect("ddl");
    Session::new(engine, 1).with_topology(Topology {
        host: "10.0.0.7".into(),
        fe_http_ports: vec![18030, 18031],
        be_http_ports: vec![18040, 18041, 18042],
        query_port: 19030,
    })
}

fn rows(s: &mut Session, sql: &str) -> QueryResult {
    match s.execute(sql) {
        Reply::Rows(r) => r,
        other => panic!("{sql}: {other:?}"),
    }
}

fn texts(row: &[Value]) -> Vec<String> {
    row.iter()
        .map(|v| match v {
            Value::Text(t) => t.clone(),
            Value::Null => "NULL".into(),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn show_columns_says_yes_no_and_full_has_nine_columns() {
    for flavor in [Flavor::Doris, Flavor::StarRocks] {
        let mut s = session(flavor);
        let r = rows(&mut s, "SHOW COLUMNS FROM demo.t");
        assert_eq!(
            r.columns,
            ["Field", "Type", "Null", "Key", "Default", "Extra"]
        );
        assert_eq!(texts(&r.rows[0]), ["k", "int", "NO", "YES", "NULL", ""]);
        assert_eq!(
            texts(&r.rows[1]),
            ["v", "varchar(10)", "YES", "NO", "NULL", ""]
        );
        let r = rows(&mut s, "SHOW FULL COLUMNS FROM t FROM demo");
        assert_eq!(
            r.columns,
            [
                "Field",
                "Type",
                "Collation",
                "Null",
                "Key",
                "Default",
                "Extra",
                "Privileges",
                "Comment"
            ]
        );
        assert_eq!(
            texts(&r.rows[0]),
            ["k", "int", "", "NO", "YES", "NULL", "", "", "the key"]
        );
        // DESC keeps its own words.
        let r = rows(&mut s, "DESC demo.t");
        assert_eq!(texts(&r.rows[0])[2..4], ["No", "true"]);
    }
}

#[test]
fn information_schema_is_a_database() {
    for flavor in [Flavor::Doris, Flavor::StarRocks] {
        let mut s = session(flavor);
        let dbs: Vec<String> = rows(&mut s, "SHOW DATABASES")
            .rows
            .iter()
            .map(|r| texts(r).remove(0))
            .collect();
        assert_eq!(dbs, ["demo", "information_schema"]);
        assert_eq!(s.execute("USE information_schema"), Reply::ok());
        let r = rows(
            &mut s,
            "SELECT TABLE_SCHEMA, TABLE_TYPE FROM tables WHERE TABLE_NAME = 't'",
        );
        assert_eq!(texts(&r.rows[0]), ["demo", "BASE TABLE"]);
        let r = rows(&mut s, "SHOW TABLES");
        assert!(r.rows.iter().any(|row| texts(row) == ["columns"]), "{r:?}");
    }
}

#[test]
fn information_schema_columns_has_the_full_column_list() {
    let mut s = session(Flavor::StarRocks);
    let r = rows(
        &mut s,
        "SELECT * FROM information_schema.columns WHERE TABLE_NAME = 't'",
    );
    for name in [
        "CHARACTER_OCTET_LENGTH",
        "DATETIME_PRECISION",
        "CHARACTER_SET_NAME",
        "COLLATION_NAME",
        "PRIVILEGES",
        "GENERATION_EXPRESSION",
        "SRS_ID",
    ] {
        assert!(
            r.columns.iter().any(|c| c == name),
            "{name}: {:?}",
            r.columns
        );
    }
    assert_eq!(r.columns.len(), 24);
    let key = r.columns.iter().position(|c| c == "COLUMN_KEY").unwrap();
    assert_eq!(texts(&r.rows[0])[key], "UNI");
}

#[test]
fn starrocks_tables_config_describes_the_table() {
    let mut s = session(Flavor::StarRocks);
    let r = rows(
        &mut s,
        "SELECT TABLE_ENGINE, TABLE_MODEL, PRIMARY_KEY, DISTRIBUTE_KEY, DISTRIBUTE_TYPE, \
         DISTRIBUTE_BUCKET, SORT_KEY, PROPERTIES FROM information_schema.tables_config \
         WHERE TABLE_SCHEMA = 'demo' AND TABLE_NAME = 't'",
    );
    assert_eq!(
        texts(&r.rows[0]),
        [
            "OLAP",
            "UNQ_KEYS",
            "`k`",
            "`k`",
            "HASH",
            "Int(1)",
            "`k`",
            r#"{"replication_num":"1"}"#
        ]
    );
}

#[test]
fn cluster_shows_list_the_nodes() {
    for flavor in [Flavor::Doris, Flavor::StarRocks] {
        let mut s = session(flavor);
        let r = rows(&mut s, "SHOW BACKENDS");
        assert_eq!(r.rows.len(), 3);
        let http = r.columns.iter().position(|c| c == "HttpPort").unwrap();
        let alive = r.columns.iter().position(|c| c == "Alive").unwrap();
        assert_eq!(texts(&r.rows[2])[http], "18042");
        assert_eq!(texts(&r.rows[0])[alive], "true");
        assert_eq!(texts(&r.rows[0])[1], "10.0.0.7");
        assert_eq!(rows(&mut s, "SHOW PROC '/backends'"), r);
        let r = rows(&mut s, "SHOW FRONTENDS");
        assert_eq!(r.rows.len(), 2);
        let query = r.columns.iter().position(|c| c == "QueryPort").unwrap();
        assert_eq!(texts(&r.rows[1])[query], "19030");
        let http = r.columns.iter().position(|c| c == "HttpPort").unwrap();
        assert_eq!(texts(&r.rows[1])[http], "18031");
        let r = rows(&mut s, "SHOW TABLE STATUS FROM demo LIKE 't%'");
        assert_eq!(r.columns.len(), 18);
        assert_eq!(texts(&r.rows[0])[..2], ["t", "OLAP"]);
    }
}

#[test]
fn admin_show_frontend_config_is_a_result_set() {
    let mut s = session(Flavor::StarRocks);
    let r = rows(&mut s, "ADMIN SHOW FRONTEND CONFIG LIKE 'run_mode'");
    assert_eq!(
        r.columns,
        ["Key", "AliasNames", "Value", "Type", "IsMutable", "Comment"]
    );
    assert_eq!(texts(&r.rows[0])[..3], ["run_mode", "[]", "shared_nothing"]);

    let mut s = session(Flavor::Doris);
    assert_eq!(
        s.execute("ADMIN SET FRONTEND CONFIG (\"max_running_txn_num_per_db\" = \"7\")"),
        Reply::ok()
    );
    let r = rows(&mut s, "ADMIN SHOW FRONTEND CONFIG LIKE 'max_running%'");
    assert_eq!(
        r.columns,
        ["Key", "Value", "Type", "IsMutable", "MasterOnly", "Comment"]
    );
    assert_eq!(texts(&r.rows[0])[..2], ["max_running_txn_num_per_db", "7"]);
}

#[test]
fn a_missing_table_is_answered_in_each_vendors_words() {
    let mut s = session(Flavor::Doris);
    assert_eq!(
        s.execute("DESCRIBE demo.nope"),
        Reply::Error {
            code: 1105,
            message: "errCode = 2, detailMessage = Unknown table 'nope' in demo".into()
        }
    );
    assert!(matches!(
        s.execute("SHOW COLUMNS FROM nope FROM demo"),
        Reply::Error { code: 1105, .. }
    ));
    let mut s = session(Flavor::StarRocks);
    assert!(matches!(
        s.execute("DESCRIBE demo.nope"),
        Reply::Error { code: 1146, .. }
    ));
}
