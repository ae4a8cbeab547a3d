//! Unit tests of the row mapper: columns, derived columns, where, delete markers, planner
//! errors, StarRocks `__op` and partial update.

use super::*;
use crate::engine::EngineConfig;
use crate::http::load::params::doris_params;
use crate::http::load::params_starrocks::starrocks_params;

fn engine(flavor: Flavor, ddl: &str) -> (Engine, TableSchema) {
    let engine = Engine::open(EngineConfig::new(flavor)).unwrap();
    engine.create_database("db").unwrap();
    engine.execute_ddl(ddl).unwrap();
    let schema = engine.table("db", "t").unwrap();
    (engine, schema)
}

fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, v.parse().unwrap());
    }
    h
}

const UNIQUE: &str = "CREATE TABLE db.t (k INT NOT NULL, v VARCHAR(5)) UNIQUE KEY(k) \
    DISTRIBUTED BY HASH(k) BUCKETS 1 PROPERTIES ('enable_unique_key_merge_on_write' = 'true')";

#[test]
fn columns_derived_where_and_counts() {
    let (engine, schema) = engine(Flavor::Doris, UNIQUE);
    let params = doris_params(&headers(&[
        ("column_separator", ","),
        ("columns", "k, tmp, v = concat(tmp, '!')"),
        ("where", "k > 1"),
    ]))
    .unwrap();
    let plan = Plan::new(&schema, &params, Flavor::Doris).unwrap();
    let batch = plan.read(&engine, &schema, b"1,a\n2,b\n3\n");
    assert_eq!(
        (
            batch.total,
            batch.unselected,
            batch.filtered,
            batch.loaded()
        ),
        (3, 1, 1, 1)
    );
    assert_eq!(
        batch.rows[0].values[1],
        Some(crate::engine::Value::Text("b!".into()))
    );
    assert!(batch.rejected[0].contains("src line [3]"));
    assert!(batch.exceeds(0.0) && !batch.exceeds(0.5));
}

#[test]
fn delete_sign_from_hidden_columns_and_merge_rules() {
    let (engine, schema) = engine(Flavor::Doris, UNIQUE);
    let params = doris_params(&headers(&[("hidden_columns", DELETE_SIGN)])).unwrap();
    let plan = Plan::new(&schema, &params, Flavor::Doris).unwrap();
    let batch = plan.read(&engine, &schema, b"1\ta\t1\n2\tb\t0\n");
    let ops: Vec<RowOp> = batch.rows.iter().map(|r| r.op).collect();
    assert_eq!(ops, [RowOp::Delete, RowOp::Upsert]);

    let params = doris_params(&headers(&[("merge_type", "MERGE"), ("delete", "v = 'x'")])).unwrap();
    let plan = Plan::new(&schema, &params, Flavor::Doris).unwrap();
    let batch = plan.read(&engine, &schema, b"1\tx\n2\ty\n");
    assert_eq!(
        batch.rows.iter().map(|r| r.op).collect::<Vec<_>>(),
        [RowOp::Delete, RowOp::Upsert]
    );
}

#[test]
fn planner_errors() {
    let (_, dup) = engine(
        Flavor::Doris,
        "CREATE TABLE db.t (k INT, v INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    let params = doris_params(&headers(&[("merge_type", "DELETE")])).unwrap();
    let e = Plan::new(&dup, &params, Flavor::Doris).unwrap_err();
    assert_eq!(
        e.message,
        "load by MERGE or DELETE is only supported in unique tables."
    );
    let params = doris_params(&headers(&[("columns", "k, x = y + 1")])).unwrap();
    let e = Plan::new(&dup, &params, Flavor::Doris).unwrap_err();
    assert_eq!(e.message, "Unknown column 'y' in 'table list'");
    let (_, unique) = engine(Flavor::Doris, UNIQUE);
    let params = doris_params(&headers(&[("partial_columns", "true"), ("columns", "v")])).unwrap();
    let e = Plan::new(&unique, &params, Flavor::Doris).unwrap_err();
    assert_eq!(
        e.message,
        "Partial update should include all key columns, missing: k"
    );
}

#[test]
fn starrocks_json_op_and_partial_update() {
    let (engine, schema) = engine(
        Flavor::StarRocks,
        "CREATE TABLE db.t (k INT NOT NULL, v VARCHAR(5), w INT) PRIMARY KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    let params = starrocks_params(&headers(&[
        ("format", "json"),
        ("strip_outer_array", "true"),
    ]))
    .unwrap();
    let plan = Plan::new(&schema, &params, Flavor::StarRocks).unwrap();
    let batch = plan.read(
        &engine,
        &schema,
        br#"[{"k":1,"v":"a","__op":1},{"k":2,"v":"b"}]"#,
    );
    assert_eq!(
        batch.rows.iter().map(|r| r.op).collect::<Vec<_>>(),
        [RowOp::Delete, RowOp::Upsert]
    );

    let params = starrocks_params(&headers(&[
        ("partial_update", "true"),
        ("columns", "k,v"),
        ("column_separator", ","),
    ]))
    .unwrap();
    let plan = Plan::new(&schema, &params, Flavor::StarRocks).unwrap();
    let batch = plan.read(&engine, &schema, b"1,z\n");
    assert_eq!(
        batch.rows[0].values[2], None,
        "columns not named keep their old value"
    );
}

#[test]
fn negative_subtracts_sum_columns() {
    let (eng, schema) = engine(
        Flavor::Doris,
        "CREATE TABLE db.t (k INT, s BIGINT SUM) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    let params = doris_params(&headers(&[("negative", "true")])).unwrap();
    let plan = Plan::new(&schema, &params, Flavor::Doris).unwrap();
    let batch = plan.read(&eng, &schema, b"1\t5\n2\t-3\n");
    assert_eq!(batch.rows[0].values[1], Some(crate::engine::Value::Int(-5)));
    assert_eq!(batch.rows[1].values[1], Some(crate::engine::Value::Int(3)));
    let (_, replace) = engine(
        Flavor::Doris,
        "CREATE TABLE db.t (k INT, r INT REPLACE) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    let e = Plan::new(&replace, &params, Flavor::Doris).unwrap_err();
    assert_eq!(e.message, "Column is not SUM AggregateType. column:r");
}

#[test]
fn flink_style_json_with_delete_sign_and_backquoted_columns() {
    let (eng, schema) = engine(Flavor::Doris, UNIQUE);
    let params = doris_params(&headers(&[
        ("format", "json"),
        ("read_json_by_line", "true"),
        ("columns", "`k`,`v`,__DORIS_DELETE_SIGN__"),
        ("hidden_columns", DELETE_SIGN),
    ]))
    .unwrap();
    let plan = Plan::new(&schema, &params, Flavor::Doris).unwrap();
    let body = b"{\"k\":1,\"v\":\"a\",\"__DORIS_DELETE_SIGN__\":\"0\"}\n{\"k\":2,\"v\":\"b\",\"__DORIS_DELETE_SIGN__\":\"1\"}\n";
    let batch = plan.read(&eng, &schema, body);
    let ops: Vec<RowOp> = batch.rows.iter().map(|r| r.op).collect();
    assert_eq!(ops, [RowOp::Upsert, RowOp::Delete]);
}

/// Doris FE `Load.initColumns`: a `columns` header without a plain field name reads the file as
/// the table's columns, then applies the expressions (`id = id * 10` sees the file's `id`).
#[test]
fn doris_columns_of_only_derived_items_read_the_table_columns_first() {
    let (engine, schema) = engine(
        Flavor::Doris,
        "CREATE TABLE db.t (id INT, code INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
    );
    let params = doris_params(&headers(&[
        ("column_separator", ","),
        ("columns", "id = id * 10, code = id * 10 + 200"),
        ("where", "id > 10"),
    ]))
    .unwrap();
    let plan = Plan::new(&schema, &params, Flavor::Doris).unwrap();
    let batch = plan.read(&engine, &schema, b"1,0\n2,0\n");
    assert_eq!((batch.total, batch.unselected, batch.loaded()), (2, 1, 1));
    let values: Vec<_> = batch.rows[0].values.iter().flatten().cloned().collect();
    assert_eq!(
        values,
        [
            crate::engine::Value::Int(20),
            crate::engine::Value::Int(400)
        ]
    );
}

/// Doris' suite test_stream_load (test_default_value): a column the load leaves out with
/// `DEFAULT CURRENT_TIMESTAMP` gets the load's time, also in strict mode.
#[test]
fn omitted_current_timestamp_column_gets_the_load_time() {
    let (engine, schema) = engine(
        Flavor::Doris,
        "CREATE TABLE db.t (k INT, at DATETIME NULL DEFAULT CURRENT_TIMESTAMP) \
         DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    let params = doris_params(&headers(&[("columns", "k"), ("strict_mode", "true")])).unwrap();
    let plan = Plan::new(&schema, &params, Flavor::Doris).unwrap();
    let batch = plan.read(&engine, &schema, b"1\n");
    assert_eq!(batch.filtered, 0, "{:?}", batch.rejected);
    let now = crate::engine::datetime_text(engine.now_ms());
    match &batch.rows[0].values[1] {
        Some(crate::engine::Value::Text(t)) => assert_eq!(t[..10], now[..10]),
        other => panic!("{other:?}"),
    }
}
