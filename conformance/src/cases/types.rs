//! Every column type of the connectors' type-mapping tables goes in and comes back unchanged:
//! the encoders' type policy, the vendors' headers and the server's parsing agree.
//!
//! The wrong-type bugs users hit (DATETIME(3) cut to seconds, LARGEINT and JSON columns failing
//! to load, time zone shifts) are covered value by value.

use serde_json::json;
use streamload_core::{Date, DateTime, Decimal, Op, Timestamp, Value, jiff};

use crate::ensure_eq;
use crate::failure::{Failure, Result};
use crate::target::{Keys, TableSpec, Target, TargetExt};

use super::support::deliver;

/// `(column, SQL type, value written, text read back)`.
fn columns() -> Result<Vec<(&'static str, &'static str, Value, &'static str)>> {
    let datetime = |text: &str| -> Result<Value> {
        let parsed: jiff::civil::DateTime = text
            .parse()
            .map_err(|e| Failure::new(format!("datetime {text}: {e}")))?;
        Ok(Value::DateTime(DateTime(parsed)))
    };
    Ok(vec![
        ("c_bool", "BOOLEAN", Value::Bool(true), "1"),
        ("c_tinyint", "TINYINT", Value::Int(-128), "-128"),
        ("c_smallint", "SMALLINT", Value::Int(32767), "32767"),
        ("c_int", "INT", Value::Int(-2_147_483_648), "-2147483648"),
        (
            "c_bigint",
            "BIGINT",
            Value::Int(9_223_372_036_854_775_807),
            "9223372036854775807",
        ),
        (
            "c_largeint",
            "LARGEINT",
            Value::LargeInt(-170_141_183_460_469_231_731_687_303_715_884_105_728),
            "-170141183460469231731687303715884105728",
        ),
        ("c_float", "FLOAT", Value::Float(1.5), "1.5"),
        ("c_double", "DOUBLE", Value::Float(-0.125), "-0.125"),
        (
            "c_decimal",
            "DECIMAL(38,10)",
            Value::Decimal(Decimal::parse("1234567890123456789012345678.0123456789")?),
            "1234567890123456789012345678.0123456789",
        ),
        (
            "c_date",
            "DATE",
            Value::Date(Date::new(2024, 2, 29)?),
            "2024-02-29",
        ),
        (
            "c_datetime",
            "DATETIME",
            datetime("2024-02-29T23:59:58")?,
            "2024-02-29 23:59:58",
        ),
        (
            "c_datetime6",
            "DATETIME(6)",
            datetime("2024-02-29T23:59:58.123456")?,
            "2024-02-29 23:59:58.123456",
        ),
        (
            "c_timestamp",
            "DATETIME(6)",
            Value::Timestamp(Timestamp::from_micros(1_700_000_000_123_000)?),
            "2023-11-14 22:13:20.123000",
        ),
        ("c_char", "CHAR(10)", Value::Text("abc".into()), "abc"),
        (
            "c_varchar",
            "VARCHAR(64)",
            Value::Text("héllo wörld ✓".into()),
            "héllo wörld ✓",
        ),
        (
            "c_string",
            "STRING",
            Value::Text("日本語テキスト 🚀".into()),
            "日本語テキスト 🚀",
        ),
        (
            "c_array",
            "ARRAY<INT>",
            Value::Json(json!([1, 2, 3])),
            "[1,2,3]",
        ),
        (
            "c_map",
            "MAP<STRING,INT>",
            Value::Json(json!({"a": 1})),
            "{\"a\":1}",
        ),
        (
            "c_json",
            "JSON",
            Value::Json(json!({"k": "v", "n": [1, null]})),
            "{\"k\":\"v\",\"n\":[1,null]}",
        ),
    ])
}

/// Nested values are compared without whitespace: the vendors print `[1, 2]` or `[1,2]`.
fn normalize(text: &str) -> String {
    if text.starts_with('[') || text.starts_with('{') {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    } else {
        text.to_owned()
    }
}

/// Every type of the type-mapping tables round-trips, and NULL of every type stays NULL.
pub async fn every_type_round_trips(target: &dyn Target) -> Result {
    let columns = columns()?;
    let mut spec_columns = vec![("id", "INT")];
    spec_columns.extend(columns.iter().map(|(c, t, _, _)| (*c, *t)));
    let table = target
        .create_table(&TableSpec::new("all_types", Keys::Duplicate, &spec_columns))
        .await?;
    let names: Vec<&str> = spec_columns.iter().map(|(c, _)| *c).collect();
    let mut values = vec![Value::Int(1)];
    values.extend(columns.iter().map(|(_, _, v, _)| v.clone()));
    let mut nulls = vec![Value::Int(2)];
    nulls.extend(columns.iter().map(|_| Value::Null));

    let mut sink = target.sink("types").await?;
    sink.write_values(&table, Op::Upsert, &names, &values)
        .await?;
    sink.write_values(&table, Op::Upsert, &names, &nulls)
        .await?;
    deliver(&mut sink, 1).await?;
    sink.close().await?;

    let rows = target
        .query(&format!(
            "SELECT {} FROM {}.{} ORDER BY id",
            names.join(", "),
            table.db,
            table.name
        ))
        .await?;
    ensure_eq!(rows.len(), 2, "rows read back: {rows:?}");
    for (i, (column, ty, _, expected)) in columns.iter().enumerate() {
        ensure_eq!(
            rows[1][i + 1].as_str(),
            "NULL",
            "NULL of column {column} {ty}"
        );
        let got = &rows[0][i + 1];
        ensure_eq!(
            normalize(got),
            normalize(expected),
            "column {column} {ty} read back"
        );
    }
    Ok(())
}
