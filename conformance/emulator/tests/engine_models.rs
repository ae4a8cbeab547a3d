//! Engine tests: DDL from the connectors' quick starts, table models applied at commit, and
//! value checks.

use std::time::Duration;

use streamload_emulator::engine::{
    BeginRequest, ColumnType, Engine, EngineConfig, Flavor, KeysModel, RowOp, StagedRow, Value,
    WriteMode,
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
fn quick_start_ddl_runs_verbatim() {
    let d = engine(Flavor::Doris);
    d.execute_ddl(
        "CREATE TABLE test.student (\n  `id` INT,\n  `name` VARCHAR(256),\n  `age` INT\n)\nUNIQUE KEY(`id`)\nDISTRIBUTED BY HASH(`id`) BUCKETS 1\nPROPERTIES (\n\"replication_allocation\" = \"tag.location.default: 3\"\n);",
    )
    .expect("doris student");
    let t = d.table("test", "student").expect("table");
    assert_eq!(t.model, KeysModel::Unique);
    assert!(t.columns[0].is_key && !t.columns[1].is_key);
    assert_eq!(t.columns[1].ty, ColumnType::Varchar(256));
    assert!(t.merge_on_write);

    let sr = engine(Flavor::StarRocks);
    sr.execute_ddl(
        "CREATE TABLE `test`.`score_board`\n(\n    `id` int(11) NOT NULL COMMENT \"\",\n    `name` varchar(65533) NULL DEFAULT \"\" COMMENT \"\",\n    `score` int(11) NOT NULL DEFAULT \"0\" COMMENT \"\"\n)\nENGINE=OLAP\nPRIMARY KEY(`id`)\nCOMMENT \"OLAP\"\nDISTRIBUTED BY HASH(`id`);",
    )
    .expect("score_board");
    let t = sr.table("test", "score_board").expect("table");
    assert_eq!(t.model, KeysModel::Primary);
    assert_eq!(t.columns[2].default.as_deref(), Some("0"));
    assert!(!t.columns[2].nullable);
    sr.execute_ddl(
        "CREATE TABLE `test`.`page_uv` (\n  `page_id` INT NOT NULL COMMENT 'page ID',\n  `visit_date` datetime NOT NULL COMMENT 'access time',\n  `visit_users` BITMAP BITMAP_UNION NOT NULL COMMENT 'user ID'\n) ENGINE=OLAP\nAGGREGATE KEY(`page_id`, `visit_date`)\nDISTRIBUTED BY HASH(`page_id`);",
    )
    .expect("page_uv");
    sr.execute_ddl_in(
        Some("test"),
        "CREATE TABLE hll_uv (\npage_id INT NOT NULL COMMENT 'page ID',\nvisit_date datetime NOT NULL COMMENT 'access time',\nvisit_users HLL HLL_UNION NOT NULL COMMENT 'user ID'\n) ENGINE=OLAP\nAGGREGATE KEY(page_id, visit_date)\nDISTRIBUTED BY HASH(page_id);",
    )
    .expect("hll_uv");
    assert_eq!(sr.tables("test").expect("tables").len(), 3);
}

#[test]
fn ddl_errors_name_the_problem() {
    let d = engine(Flavor::Doris);
    let err = d
        .execute_ddl("CREATE TABLE test.t (a INT, b INT) UNIQUE KEY(c) DISTRIBUTED BY HASH(a)")
        .expect_err("bad key");
    assert!(err.to_string().contains("'c'"), "{err}");
    let err = d
        .execute_ddl("CREATE TABLE test.t (a INT, b FOO)")
        .expect_err("bad type");
    assert!(err.to_string().contains("FOO"), "{err}");
    d.execute_ddl("CREATE TABLE test.t (a INT) DUPLICATE KEY(a) BUCKETS_X")
        .expect_err("junk");
    d.execute_ddl(
        "CREATE TABLE test.r (k INT, d DATE, v INT SUM) AGGREGATE KEY(k, d) \
         PARTITION BY RANGE(d) (PARTITION p1 VALUES LESS THAN (\"2024-01-01\")) \
         DISTRIBUTED BY HASH(k) BUCKETS 3 ROLLUP (r1 (k, v)) PROPERTIES (\"replication_num\" = \"1\")",
    )
    .expect("partition and rollup are accepted");
    d.execute_ddl("CREATE TABLE IF NOT EXISTS test.t2 (a INT) DUPLICATE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS AUTO PROPERTIES(\"replication_num\"=\"1\")")
        .expect("ok");
    d.execute_ddl("CREATE TABLE IF NOT EXISTS test.t2 (a INT)")
        .expect("exists is fine");
    d.execute_ddl("CREATE TABLE test.t2 (a INT)")
        .expect_err("exists");
    d.execute_ddl("DROP TABLE test.t2").expect("drop");
    assert!(d.table("test", "t2").is_none());
    d.execute_ddl("DROP DATABASE test").expect("drop db");
    assert!(d.database_id("test").is_none());
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
fn values_are_checked_against_declared_types() {
    let e = engine(Flavor::Doris);
    e.execute_ddl(
        "CREATE TABLE test.ty (a TINYINT NOT NULL, b VARCHAR(3), c DECIMAL(5,2), d DATE, \
         e DATETIME(3), f BOOLEAN, g JSON, h LARGEINT) DUPLICATE KEY(a)",
    )
    .expect("ddl");
    let t = e.table("test", "ty").expect("t");
    let c = |i: usize, raw: Option<&str>, strict: bool| e.convert(&t.columns[i], raw, strict);
    assert_eq!(c(0, Some("127"), true), Ok(Value::Int(127)));
    let err = c(0, Some("128"), true).expect_err("range");
    assert!(err.contains("column(a)") && err.contains("128"), "{err}");
    // Non-strict: a bad value becomes NULL, which a NOT NULL column refuses.
    assert!(
        c(0, Some("x"), false)
            .expect_err("null")
            .contains("not nullable")
    );
    assert!(c(0, None, false).is_err());
    assert!(
        c(1, Some("abcd"), false)
            .expect_err("long")
            .contains("too long")
    );
    assert_eq!(c(1, Some("中"), true), Ok(Value::Text("中".into())));
    assert!(c(1, Some("中文"), true).is_err(), "length counts bytes");
    assert_eq!(
        c(2, Some("123.456"), true),
        Ok(Value::Text("123.46".into()))
    );
    assert_eq!(c(2, Some("-1"), true), Ok(Value::Text("-1.00".into())));
    assert!(c(2, Some("1234"), true).is_err(), "precision");
    assert_eq!(c(2, Some("1234"), false), Ok(Value::Null));
    assert_eq!(
        c(3, Some("2024-02-29"), true),
        Ok(Value::Text("2024-02-29".into()))
    );
    assert!(c(3, Some("2023-02-29"), true).is_err());
    assert_eq!(
        c(4, Some("2024-01-02 03:04:05.123456"), true),
        Ok(Value::Text("2024-01-02 03:04:05.123".into()))
    );
    assert_eq!(
        c(4, Some("2024-01-02"), true),
        Ok(Value::Text("2024-01-02 00:00:00.000".into()))
    );
    assert!(c(4, Some("2024-01-02 25:00:00"), true).is_err());
    assert_eq!(c(5, Some("true"), true), Ok(Value::Bool(true)));
    assert_eq!(c(5, Some("0"), true), Ok(Value::Bool(false)));
    assert!(c(5, Some("yes"), true).is_err());
    assert_eq!(
        c(6, Some("{\"a\": 1}"), true),
        Ok(Value::Text("{\"a\":1}".into()))
    );
    assert!(c(6, Some("{bad"), true).is_err());
    assert_eq!(
        c(7, Some("170141183460469231731687303715884105727"), true),
        Ok(Value::Int(i128::MAX))
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
fn every_column_type_parses_and_prints() {
    let e = engine(Flavor::Doris);
    e.execute_ddl(
        "CREATE TABLE IF NOT EXISTS test.all_types (\n\
           `id` BIGINT NOT NULL AUTO_INCREMENT(1) COMMENT \"key\",\n\
           b BOOLEAN, ti TINYINT, si SMALLINT, i INT(11), li LARGEINT, f FLOAT, d DOUBLE,\n\
           dec DECIMALV3(27, 9), dt DATEV2, ts DATETIMEV2(6), c CHAR(10), v VARCHAR, s STRING,\n\
           j JSONB, a ARRAY<INT>, m MAP<STRING, INT>, st STRUCT<x:INT, y:VARCHAR(5)>,\n\
           INDEX idx_s (s) USING INVERTED COMMENT 'inverted'\n\
         ) ENGINE=OLAP DUPLICATE KEY(`id`) COMMENT 'all'\n\
         AUTO PARTITION BY RANGE (date_trunc(`dt`, 'day')) ()\n\
         DISTRIBUTED BY RANDOM BUCKETS AUTO\n\
         PROPERTIES (\"replication_allocation\" = \"tag.location.default: 1\");",
    )
    .expect("ddl");
    let t = e.table("test", "all_types").expect("t");
    let names: Vec<String> = t.columns.iter().map(|c| c.ty.sql_name()).collect();
    assert_eq!(
        names,
        vec![
            "bigint",
            "boolean",
            "tinyint",
            "smallint",
            "int",
            "largeint",
            "float",
            "double",
            "decimal(27,9)",
            "date",
            "datetime(6)",
            "char(10)",
            "varchar(65533)",
            "text",
            "json",
            "array<int>",
            "map<text,int>",
            "struct<x:int,y:varchar(5)>"
        ]
    );
    assert_eq!(t.columns[0].comment.as_deref(), Some("key"));
    let col = |n: &str| t.column(n).expect("column").clone();
    assert_eq!(
        e.convert(&col("a"), Some("[1, 2]"), true),
        Ok(Value::Text("[1,2]".into()))
    );
    assert!(e.convert(&col("a"), Some("{\"k\":1}"), true).is_err());
    assert!(e.convert(&col("m"), Some("{\"k\":1}"), true).is_ok());
    assert!(
        e.convert(&col("f"), Some("1e40"), true).is_err(),
        "beyond f32"
    );
    assert_eq!(
        e.convert(&col("dec"), Some("123456789012345678.123456789"), true),
        Ok(Value::Text("123456789012345678.123456789".into()))
    );
    assert!(
        e.convert(&col("dec"), Some("1234567890123456789"), true)
            .is_err()
    );
}
