//! The MySQL statement router without a socket: replies for session chatter, and no panic on
//! arbitrary input spliced from real statements.

use streamload_emulator::engine::{Engine, EngineConfig, Flavor, Value};
use streamload_emulator::mysql::{Reply, Session};

fn session(flavor: Flavor) -> Session {
    let engine = Engine::open(EngineConfig::new(flavor)).expect("engine");
    engine.create_database("test").expect("db");
    engine
        .execute_ddl("CREATE TABLE test.t (k INT, v VARCHAR(10)) UNIQUE KEY(k)")
        .expect("ddl");
    Session::new(engine, 1)
}

#[test]
fn session_statements_answer_like_the_servers() {
    let mut s = session(Flavor::Doris);
    assert_eq!(s.execute("SET NAMES utf8mb4"), Reply::ok());
    assert_eq!(
        s.execute("/* mysql-connector-j */ SET autocommit=1"),
        Reply::ok()
    );
    let Reply::Rows(r) = s.execute("SELECT @@version_comment LIMIT 1") else {
        panic!("no rows");
    };
    assert_eq!(r.columns, vec!["@@version_comment".to_string()]);
    assert!(matches!(&r.rows[0][0], Value::Text(v) if v.starts_with("Doris version")));
    assert!(matches!(
        s.execute("USE nope"),
        Reply::Error { code: 1049, .. }
    ));
    assert_eq!(s.execute("USE test"), Reply::ok());
    assert_eq!(
        s.execute("INSERT INTO t VALUES (1, 'a'), (1, 'b')"),
        Reply::Ok { affected: 2 }
    );
    let Reply::Rows(r) = s.execute("SELECT v FROM t") else {
        panic!("no rows");
    };
    assert_eq!(
        r.rows,
        vec![vec![Value::Text("b".into())]],
        "unique key kept the later row"
    );
    assert_eq!(
        s.execute("ALTER TABLE t ADD COLUMN n INT DEFAULT \"3\""),
        Reply::ok()
    );
    let Reply::Rows(r) = s.execute("SELECT n FROM t") else {
        panic!("no rows");
    };
    assert_eq!(r.rows, vec![vec![Value::Int(3)]]);
    let Reply::Rows(r) = s.execute("SHOW TRANSACTION WHERE label = 'nope'") else {
        panic!("no rows");
    };
    assert!(r.rows.is_empty());
    assert_eq!(r.columns[3], "TransactionStatus");
    let Reply::Rows(r) = s.execute("SELECT 1") else {
        panic!("no rows");
    };
    assert_eq!(r.rows, vec![vec![Value::Int(1)]]);
    let Reply::Error { code, message } = s.execute("SELEC 1") else {
        panic!("accepted a typo");
    };
    assert_eq!(code, 1064);
    assert!(
        message.starts_with("errCode = 2, detailMessage = "),
        "{message}"
    );
}

#[test]
fn show_transaction_reports_a_label_state() {
    use std::time::Duration;
    use streamload_emulator::engine::{BeginRequest, WriteMode};

    let engine = Engine::open(EngineConfig::new(Flavor::Doris)).expect("engine");
    engine.create_database("test").expect("db");
    engine
        .execute_ddl("CREATE TABLE test.t (k INT) DUPLICATE KEY(k)")
        .expect("ddl");
    let txn = engine
        .begin(BeginRequest {
            db: "test".into(),
            table: "t".into(),
            label: "L1".into(),
            timeout: Duration::from_secs(60),
            coordinator_be: 0,
            write: WriteMode::default(),
        })
        .expect("begin");
    engine.precommit(txn.id).expect("precommit");
    let mut s = Session::new(engine, 1);
    let Reply::Rows(r) = s.execute("SHOW TRANSACTION FROM test WHERE label = 'L1'") else {
        panic!("no rows");
    };
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0][0], Value::Int(i128::from(txn.id)));
    assert_eq!(r.rows[0][3], Value::Text("PRECOMMITTED".into()));
    let Reply::Rows(r) = s.execute(&format!("SHOW TRANSACTION FROM test WHERE id = {}", txn.id))
    else {
        panic!("no rows");
    };
    assert_eq!(r.rows[0][1], Value::Text("L1".into()));
}

#[test]
fn the_router_never_panics_on_garbage() {
    let mut s = session(Flavor::StarRocks);
    let base = "SELECT @@a, k FROM test.t WHERE v = 'x\\'y' LIMIT 1; INSERT INTO t (k, v) \
                VALUES (-1, \"q\"), (2, NULL); SHOW FULL TABLES FROM test LIKE 't%'; DESC t; \
                ADMIN SET FRONTEND CONFIG (\"a\" = \"1\"); USE test; DELETE FROM t WHERE k = 1";
    let chars: Vec<char> = base.chars().collect();
    let mut seed: u64 = 42;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize % n.max(1)
    };
    for _ in 0..1500 {
        let (a, b) = (next(chars.len()), next(chars.len()));
        let stmt: String = chars[a.min(b)..a.max(b)].iter().collect();
        let _ = s.execute(&stmt);
    }
}
