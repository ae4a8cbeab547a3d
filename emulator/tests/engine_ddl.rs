//! Engine tests: vendor DDL (the connectors' quick-start tables verbatim, every column type,
//! errors that name the problem) and value checks against declared types.

use streamload_emulator::engine::{ColumnType, Engine, EngineConfig, Flavor, KeysModel, Value};

fn engine(flavor: Flavor) -> Engine {
    let e = Engine::open(EngineConfig::new(flavor)).expect("open");
    e.create_database("test").expect("db");
    e
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
        c(1, Some("abcd"), true)
            .expect_err("long")
            .contains("too long")
    );
    // Without strict mode recent Doris cuts a long string to the column's length in bytes, at a
    // character boundary.
    assert_eq!(c(1, Some("abcd"), false), Ok(Value::Text("abc".into())));
    assert_eq!(c(1, Some("a中b"), false), Ok(Value::Text("a".into())));
    assert_eq!(c(1, Some("中文"), false), Ok(Value::Text("中".into())));
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

#[test]
fn starrocks_datetime_keeps_microseconds_and_doris_follows_the_precision() {
    let sr = engine(Flavor::StarRocks);
    sr.execute_ddl("CREATE TABLE test.t (k INT, at DATETIME) DUPLICATE KEY(k)")
        .expect("ddl");
    let at = sr.table("test", "t").expect("t").columns[1].clone();
    assert_eq!(
        sr.convert(&at, Some("2023-11-14 22:13:20.123"), true),
        Ok(Value::Text("2023-11-14 22:13:20.123000".into()))
    );
    assert_eq!(
        sr.convert(&at, Some("2024-02-29 23:59:58"), true),
        Ok(Value::Text("2024-02-29 23:59:58".into()))
    );
    let d = engine(Flavor::Doris);
    d.execute_ddl("CREATE TABLE test.t (k INT, at DATETIME, at3 DATETIME(3)) DUPLICATE KEY(k)")
        .expect("ddl");
    let t = d.table("test", "t").expect("t");
    assert_eq!(
        d.convert(&t.columns[1], Some("2023-11-14 22:13:20.123"), true),
        Ok(Value::Text("2023-11-14 22:13:20".into()))
    );
    assert_eq!(
        d.convert(&t.columns[2], Some("2023-11-14 22:13:20"), true),
        Ok(Value::Text("2023-11-14 22:13:20.000".into()))
    );
}

#[test]
fn starrocks_order_by_partition_expressions_and_properties_are_accepted() {
    let sr = engine(Flavor::StarRocks);
    sr.execute_ddl(
        "CREATE TABLE IF NOT EXISTS test.orders (\n\
           order_id BIGINT NOT NULL,\n\
           dt DATE NOT NULL,\n\
           merchant_id INT NOT NULL,\n\
           amount DECIMAL(12,2) DEFAULT \"0\",\n\
           status VARCHAR(16)\n\
         ) PRIMARY KEY (order_id, dt)\n\
         PARTITION BY date_trunc('day', dt)\n\
         DISTRIBUTED BY HASH (order_id)\n\
         ORDER BY (merchant_id)\n\
         PROPERTIES (\"enable_persistent_index\" = \"true\", \"replication_num\" = \"1\");",
    )
    .expect("ddl");
    let t = sr.table("test", "orders").expect("t");
    assert_eq!(t.model, KeysModel::Primary);
    assert_eq!(
        t.columns.iter().filter(|c| c.is_key).count(),
        2,
        "both primary key columns"
    );
    assert!(t.merge_on_write);
    let err = sr
        .execute_ddl("CREATE TABLE test.bad (k INT, v INT SUM) DUPLICATE KEY(k)")
        .expect_err("aggregation outside an aggregate table");
    assert!(err.to_string().contains("'v'"), "{err}");
    let err = sr
        .execute_ddl("CREATE TABLE test.bad (k INT, v INT) AGGREGATE KEY(k)")
        .expect_err("aggregate value column without aggregation");
    assert!(err.to_string().contains("'v'"), "{err}");
}
