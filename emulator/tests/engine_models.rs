//! Engine tests: table models applied at commit (duplicate, unique, primary with partial
//! update and merge condition, sequence columns, aggregate functions, defaults, bitmaps).

use std::time::Duration;

use streamload_emulator::engine::{
    BeginRequest, ColumnType, Engine, EngineConfig, Flavor, RowOp, StagedRow, Value, WriteMode,
};

fn engine(flavor: Flavor) -> Engine {
    let e = Engine::open(EngineConfig::new(flavor)).expect("open");
    e.create_database("test").expect("db");
    e
}

fn load(e: &Engine, table: &str, label: &str, write: WriteMode, rows: Vec<StagedRow>) {
    let t = e
        .begin(BeginRequest {
            db: "test".into(),
            table: table.into(),
            label: label.into(),
            timeout: Duration::from_secs(60),
            coordinator_be: 0,
            write,
        })
        .expect("begin");
    e.stage(t.id, rows).expect("stage");
    e.commit(t.id).expect("commit");
}

fn up(vals: &[Option<Value>]) -> StagedRow {
    StagedRow {
        op: RowOp::Upsert,
        values: vals.to_vec(),
    }
}

fn i(v: i128) -> Option<Value> {
    Some(Value::Int(v))
}

fn s(v: &str) -> Option<Value> {
    Some(Value::Text(v.into()))
}

fn rows(e: &Engine, sql: &str) -> Vec<Vec<Value>> {
    e.query(Some("test"), sql).expect("query").rows
}

#[test]
fn duplicate_appends_and_unique_upserts_and_deletes() {
    let e = engine(Flavor::Doris);
    e.execute_ddl("CREATE TABLE test.dup (k INT, v VARCHAR(10)) DUPLICATE KEY(k)")
        .expect("ddl");
    e.execute_ddl("CREATE TABLE test.uni (k INT, v VARCHAR(10)) UNIQUE KEY(k)")
        .expect("ddl");
    let batch = vec![
        up(&[i(1), s("a")]),
        up(&[i(1), s("b")]),
        up(&[i(2), s("c")]),
    ];
    load(&e, "dup", "l1", WriteMode::default(), batch.clone());
    load(&e, "uni", "l2", WriteMode::default(), batch);
    assert_eq!(rows(&e, "SELECT count(*) FROM dup")[0][0], Value::Int(3));
    assert_eq!(
        rows(&e, "SELECT k, v FROM uni ORDER BY k"),
        vec![
            vec![Value::Int(1), Value::Text("b".into())],
            vec![Value::Int(2), Value::Text("c".into())]
        ]
    );
    let del = StagedRow {
        op: RowOp::Delete,
        values: vec![i(1), None],
    };
    load(&e, "uni", "l3", WriteMode::default(), vec![del]);
    assert_eq!(
        rows(&e, "SELECT k FROM test.uni"),
        vec![vec![Value::Int(2)]]
    );
}

#[test]
fn partial_update_keeps_unnamed_columns() {
    let e = engine(Flavor::StarRocks);
    e.execute_ddl("CREATE TABLE test.p (id INT NOT NULL, name VARCHAR(20), score INT NOT NULL DEFAULT \"0\") PRIMARY KEY(id)")
        .expect("ddl");
    load(
        &e,
        "p",
        "a",
        WriteMode::default(),
        vec![up(&[i(1), s("x"), i(10)])],
    );
    let write = WriteMode {
        partial_columns: true,
        merge_condition: None,
    };
    load(
        &e,
        "p",
        "b",
        write,
        vec![up(&[i(1), s("y"), None]), up(&[i(2), s("z"), None])],
    );
    assert_eq!(
        rows(&e, "SELECT id, name, score FROM p ORDER BY id"),
        vec![
            vec![Value::Int(1), Value::Text("y".into()), Value::Int(10)],
            vec![Value::Int(2), Value::Text("z".into()), Value::Int(0)]
        ]
    );
}

#[test]
fn sequence_column_and_merge_condition_keep_the_greater() {
    let e = engine(Flavor::Doris);
    e.execute_ddl("CREATE TABLE test.s (k INT, v INT, ver INT) UNIQUE KEY(k) PROPERTIES(\"function_column.sequence_col\" = \"ver\")")
        .expect("ddl");
    assert_eq!(
        e.table("test", "s").expect("t").sequence_column.as_deref(),
        Some("ver")
    );
    load(
        &e,
        "s",
        "a",
        WriteMode::default(),
        vec![up(&[i(1), i(100), i(5)])],
    );
    load(
        &e,
        "s",
        "b",
        WriteMode::default(),
        vec![up(&[i(1), i(200), i(3)])],
    );
    assert_eq!(rows(&e, "SELECT v FROM s"), vec![vec![Value::Int(100)]]);
    load(
        &e,
        "s",
        "c",
        WriteMode::default(),
        vec![up(&[i(1), i(300), i(5)])],
    );
    assert_eq!(rows(&e, "SELECT v FROM s"), vec![vec![Value::Int(300)]]);

    let sr = engine(Flavor::StarRocks);
    sr.execute_ddl("CREATE TABLE test.m (k INT NOT NULL, v INT) PRIMARY KEY(k)")
        .expect("ddl");
    let cond = WriteMode {
        partial_columns: false,
        merge_condition: Some("v".into()),
    };
    load(&sr, "m", "a", cond.clone(), vec![up(&[i(1), i(10)])]);
    load(&sr, "m", "b", cond.clone(), vec![up(&[i(1), i(5)])]);
    assert_eq!(rows(&sr, "SELECT v FROM m"), vec![vec![Value::Int(10)]]);
    load(&sr, "m", "c", cond, vec![up(&[i(1), i(11)])]);
    assert_eq!(rows(&sr, "SELECT v FROM m"), vec![vec![Value::Int(11)]]);
}

#[test]
fn aggregate_functions_fold_per_column() {
    let e = engine(Flavor::Doris);
    e.execute_ddl(
        "CREATE TABLE test.agg (k INT, s BIGINT SUM, mx INT MAX, mn INT MIN, r VARCHAR(5) REPLACE, \
         rn VARCHAR(5) REPLACE_IF_NOT_NULL, d DECIMAL(10,2) SUM) AGGREGATE KEY(k)",
    )
    .expect("ddl");
    load(
        &e,
        "agg",
        "a",
        WriteMode::default(),
        vec![
            up(&[i(1), i(5), i(5), i(5), s("a"), s("a"), s("1.50")]),
            up(&[i(1), i(7), i(3), i(9), s("b"), Some(Value::Null), s("2.25")]),
        ],
    );
    load(
        &e,
        "agg",
        "b",
        WriteMode::default(),
        vec![up(&[
            i(1),
            i(1),
            i(8),
            i(1),
            Some(Value::Null),
            s("c"),
            s("0.25"),
        ])],
    );
    assert_eq!(
        rows(&e, "SELECT s, mx, mn, r, rn, d FROM agg"),
        vec![vec![
            Value::Int(13),
            Value::Int(8),
            Value::Int(1),
            Value::Null,
            Value::Text("c".into()),
            Value::Text("4.00".into())
        ]]
    );
}

#[test]
fn sequence_type_adds_a_hidden_sequence_column() {
    let e = engine(Flavor::Doris);
    e.execute_ddl(
        "CREATE TABLE test.h (k INT, v VARCHAR(5)) UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1 \
         PROPERTIES (\"function_column.sequence_type\" = \"bigint\")",
    )
    .expect("ddl");
    let t = e.table("test", "h").expect("t");
    assert_eq!(t.sequence_column.as_deref(), Some("__DORIS_SEQUENCE_COL__"));
    let seq = t.column("__DORIS_SEQUENCE_COL__").expect("hidden column");
    assert!(seq.hidden);
    assert_eq!(seq.ty, ColumnType::BigInt);
    assert_eq!(t.visible_columns().count(), 2);
    load(
        &e,
        "h",
        "a",
        WriteMode::default(),
        vec![up(&[i(1), s("new"), i(9)])],
    );
    load(
        &e,
        "h",
        "b",
        WriteMode::default(),
        vec![up(&[i(1), s("old"), i(2)])],
    );
    let r = e.query(Some("test"), "SELECT * FROM h").expect("q");
    assert_eq!(
        r.columns,
        vec!["k".to_string(), "v".to_string()],
        "SELECT * hides it"
    );
    assert_eq!(r.rows, vec![vec![Value::Int(1), Value::Text("new".into())]]);
    e.execute_ddl("DROP TABLE test.h").expect("drop");
    e.execute_ddl("CREATE TABLE test.h (k INT) DUPLICATE KEY(k)")
        .expect("name reusable");
}

#[test]
fn missing_values_take_column_defaults() {
    let e = engine(Flavor::StarRocks);
    e.execute_ddl(
        "CREATE TABLE test.d (id INT NOT NULL, note VARCHAR(10) DEFAULT \"none\", \
         n INT DEFAULT \"7\", at DATETIME DEFAULT CURRENT_TIMESTAMP) PRIMARY KEY(id)",
    )
    .expect("ddl");
    load(
        &e,
        "d",
        "a",
        WriteMode::default(),
        vec![up(&[i(1), None, None, None])],
    );
    let r = rows(&e, "SELECT note, n, at FROM d");
    assert_eq!(r[0][0], Value::Text("none".into()));
    assert_eq!(r[0][1], Value::Int(7));
    let Value::Text(at) = &r[0][2] else {
        panic!("CURRENT_TIMESTAMP default missing: {:?}", r[0][2]);
    };
    assert_eq!(at.len(), 19, "{at}");
    assert!(at.as_str() > "2024-01-01", "{at}");
}

#[test]
fn bitmap_and_hll_columns_union_and_answer_their_sql_functions() {
    let e = engine(Flavor::StarRocks);
    e.execute_ddl(
        "CREATE TABLE `test`.`page_uv` (\n  `page_id` INT NOT NULL COMMENT 'page ID',\n  `visit_date` datetime NOT NULL COMMENT 'access time',\n  `visit_users` BITMAP BITMAP_UNION NOT NULL COMMENT 'user ID'\n) ENGINE=OLAP\nAGGREGATE KEY(`page_id`, `visit_date`)\nDISTRIBUTED BY HASH(`page_id`);",
    )
    .expect("ddl");
    let day = || s("2020-06-23 01:30:30");
    load(
        &e,
        "page_uv",
        "a",
        WriteMode::default(),
        vec![
            up(&[i(1), day(), s("13")]),
            up(&[i(1), day(), s("23")]),
            up(&[i(2), day(), s("13")]),
        ],
    );
    load(
        &e,
        "page_uv",
        "b",
        WriteMode::default(),
        vec![up(&[i(1), day(), s("13")])],
    );
    assert_eq!(
        rows(
            &e,
            "SELECT page_id, bitmap_union_count(visit_users), bitmap_count(visit_users) FROM page_uv GROUP BY page_id ORDER BY page_id"
        ),
        vec![
            vec![Value::Int(1), Value::Int(2), Value::Int(2)],
            vec![Value::Int(2), Value::Int(1), Value::Int(1)]
        ]
    );
    assert_eq!(
        rows(
            &e,
            "SELECT bitmap_to_string(bitmap_union(visit_users)) FROM page_uv"
        ),
        vec![vec![Value::Text("13,23".into())]]
    );
}

#[test]
fn aggregate_columns_not_loaded_fold_as_null_instead_of_resetting() {
    let e = engine(Flavor::Doris);
    e.execute_ddl("CREATE TABLE test.ag (k INT, a BIGINT SUM, b BIGINT SUM) AGGREGATE KEY(k)")
        .expect("ddl");
    load(
        &e,
        "ag",
        "1",
        WriteMode::default(),
        vec![up(&[i(1), i(5), i(7)])],
    );
    load(
        &e,
        "ag",
        "2",
        WriteMode::default(),
        vec![up(&[i(1), i(1), None])],
    );
    assert_eq!(
        rows(&e, "SELECT a, b FROM ag"),
        vec![vec![Value::Int(6), Value::Int(7)]]
    );
}

#[test]
fn max_and_min_compare_strings_as_strings_and_decimals_as_numbers() {
    let e = engine(Flavor::Doris);
    e.execute_ddl(
        "CREATE TABLE test.mm (k INT, s VARCHAR(5) MAX, d DECIMAL(6,2) MAX) AGGREGATE KEY(k)",
    )
    .expect("ddl");
    load(
        &e,
        "mm",
        "1",
        WriteMode::default(),
        vec![up(&[i(1), s("9"), s("9.00")])],
    );
    load(
        &e,
        "mm",
        "2",
        WriteMode::default(),
        vec![up(&[i(1), s("10"), s("10.00")])],
    );
    assert_eq!(
        rows(&e, "SELECT s, d FROM mm"),
        vec![vec![Value::Text("9".into()), Value::Text("10.00".into())]]
    );
}

#[test]
fn write_mode_can_be_set_after_begin() {
    let e = engine(Flavor::StarRocks);
    e.execute_ddl(
        "CREATE TABLE test.pw (id INT NOT NULL, name VARCHAR(20), score INT) PRIMARY KEY(id)",
    )
    .expect("ddl");
    load(
        &e,
        "pw",
        "a",
        WriteMode::default(),
        vec![up(&[i(1), s("x"), i(10)])],
    );
    let t = e
        .begin(BeginRequest {
            db: "test".into(),
            table: "pw".into(),
            label: "b".into(),
            timeout: Duration::from_secs(60),
            coordinator_be: 0,
            write: WriteMode::default(),
        })
        .expect("begin");
    let partial = WriteMode {
        partial_columns: true,
        merge_condition: None,
    };
    e.set_write_mode(t.id, partial.clone()).expect("set");
    e.stage(t.id, vec![up(&[i(1), None, i(11)])])
        .expect("stage");
    e.precommit(t.id).expect("prepare");
    assert!(
        e.set_write_mode(t.id, partial).is_err(),
        "only while PREPARE"
    );
    e.commit(t.id).expect("commit");
    assert_eq!(
        rows(&e, "SELECT name, score FROM pw"),
        vec![vec![Value::Text("x".into()), Value::Int(11)]]
    );
}

#[test]
fn mysql_functions_count_bytes_and_read_dates() {
    let e = engine(Flavor::Doris);
    e.execute_ddl("CREATE TABLE test.f (k INT, s STRING, d DATETIME) DUPLICATE KEY(k)")
        .expect("ddl");
    load(
        &e,
        "f",
        "a",
        WriteMode::default(),
        vec![up(&[i(1), s("héllo"), s("2024-02-29 23:59:58")])],
    );
    assert_eq!(
        rows(
            &e,
            "SELECT length(s), char_length(s), year(d), month(d), day(d), to_date(d) FROM f"
        ),
        vec![vec![
            Value::Int(6),
            Value::Int(5),
            Value::Int(2024),
            Value::Int(2),
            Value::Int(29),
            Value::Text("2024-02-29".into())
        ]]
    );
}
