//! ALTER TABLE ADD / DROP COLUMN: existing rows get the default, `SELECT *` follows the new
//! order, staged rows of running loads are re-indexed, and the change survives a reopen.

use std::time::Duration;

use streamload_emulator::engine::{
    BeginRequest, Engine, EngineConfig, Flavor, RowOp, StagedRow, Value, WriteMode,
};

fn begin(e: &Engine, label: &str) -> i64 {
    e.begin(BeginRequest {
        db: "test".into(),
        table: "t".into(),
        label: label.into(),
        timeout: Duration::from_secs(60),
        coordinator_be: 0,
        write: WriteMode::default(),
    })
    .expect("begin")
    .id
}

fn up(values: Vec<Option<Value>>) -> StagedRow {
    StagedRow {
        op: RowOp::Upsert,
        values,
    }
}

fn int(i: i128) -> Option<Value> {
    Some(Value::Int(i))
}

#[test]
fn add_and_drop_columns_keep_data_and_running_loads() {
    let e = Engine::open(EngineConfig::new(Flavor::Doris)).expect("open");
    e.create_database("test").expect("db");
    e.execute_ddl("CREATE TABLE test.t (k INT, v INT) UNIQUE KEY(k)")
        .expect("ddl");
    let first = begin(&e, "a");
    e.stage(first, vec![up(vec![int(1), int(10)])])
        .expect("stage");
    e.commit(first).expect("commit");
    let running = begin(&e, "b");
    e.stage(running, vec![up(vec![int(2), int(20)])])
        .expect("stage");

    e.execute_ddl("ALTER TABLE test.t ADD COLUMN note VARCHAR(8) DEFAULT \"none\" AFTER k")
        .expect("add");
    let t = e.table("test", "t").expect("t");
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["k", "note", "v"]);
    e.commit(running)
        .expect("commit the load staged before the change");
    let r = e
        .query(Some("test"), "SELECT * FROM t ORDER BY k")
        .expect("q");
    assert_eq!(r.columns, ["k", "note", "v"]);
    assert_eq!(
        r.rows,
        vec![
            vec![Value::Int(1), Value::Text("none".into()), Value::Int(10)],
            vec![Value::Int(2), Value::Text("none".into()), Value::Int(20)],
        ]
    );

    e.execute_ddl("ALTER TABLE test.t DROP COLUMN v")
        .expect("drop");
    let r = e
        .query(Some("test"), "SELECT * FROM t ORDER BY k")
        .expect("q");
    assert_eq!(r.columns, ["k", "note"]);
    let err = e
        .execute_ddl("ALTER TABLE test.t DROP COLUMN k")
        .expect_err("key column");
    assert!(err.to_string().contains("key column k"), "{err}");
    let err = e
        .execute_ddl("ALTER TABLE test.t ADD COLUMN note INT")
        .expect_err("exists");
    assert!(err.to_string().contains("note"), "{err}");
}

#[test]
fn an_altered_table_survives_a_reopen() {
    let dir = std::env::temp_dir().join(format!(
        "streamload-emulator-alter-{}-{}",
        std::process::id(),
        Engine::open(EngineConfig::new(Flavor::StarRocks))
            .expect("e")
            .now_ms()
    ));
    let config = || {
        let mut c = EngineConfig::new(Flavor::StarRocks);
        c.data_dir = Some(dir.clone());
        c
    };
    {
        let e = Engine::open(config()).expect("open");
        e.create_database("test").expect("db");
        e.execute_ddl("CREATE TABLE test.t (k INT NOT NULL, v INT COMMENT 'a \"quoted\" note') PRIMARY KEY(k)")
            .expect("ddl");
        let id = begin(&e, "a");
        e.stage(id, vec![up(vec![int(1), int(10)])]).expect("stage");
        e.commit(id).expect("commit");
        e.execute_ddl("ALTER TABLE test.t ADD COLUMN (extra BIGINT DEFAULT \"7\", tag STRING)")
            .expect("add");
    }
    let e = Engine::open(config()).expect("reopen");
    let t = e.table("test", "t").expect("t");
    assert_eq!(t.columns.len(), 4);
    assert_eq!(t.columns[1].comment.as_deref(), Some("a \"quoted\" note"));
    let r = e
        .query(None, "SELECT k, v, extra, tag FROM test.t")
        .expect("q");
    assert_eq!(
        r.rows,
        vec![vec![
            Value::Int(1),
            Value::Int(10),
            Value::Int(7),
            Value::Null
        ]]
    );
    drop(e);
    let _ = std::fs::remove_dir_all(&dir);
}
