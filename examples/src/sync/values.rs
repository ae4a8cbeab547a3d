//! MySQL values (text protocol rows of the snapshot, binlog row images) → core `Value`s.
//!
//! Integers and floats keep their type; everything else goes as text, which the targets parse
//! into the mapped column type (decimals stay exact). Bytes that are not UTF-8 stay bytes, and
//! the JSON encoder refuses them by column name instead of replacing characters.

use mysql_async::Value as My;
use mysql_async::binlog::value::BinlogValue;
use streamload_core::{Error, ErrorKind, Result, Value};

/// One MySQL value as a core value; `column_type` decides how dates are spelled.
pub fn from_mysql(value: &My, column_type: &str) -> Value {
    match value {
        My::NULL => Value::Null,
        My::Bytes(b) => match String::from_utf8(b.clone()) {
            Ok(text) => Value::Text(text),
            Err(e) => Value::Bytes(e.into_bytes()),
        },
        My::Int(i) => Value::Int(*i),
        My::UInt(u) => Value::UInt(*u),
        My::Float(f) => Value::Float(f64::from(*f)),
        My::Double(d) => Value::Float(*d),
        My::Date(y, m, d, h, mi, s, us) => {
            if column_type.trim().to_ascii_lowercase().starts_with("date")
                && !column_type.to_ascii_lowercase().starts_with("datetime")
            {
                Value::Text(format!("{y:04}-{m:02}-{d:02}"))
            } else if *us == 0 {
                Value::Text(format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}"))
            } else {
                Value::Text(format!(
                    "{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}.{us:06}"
                ))
            }
        }
        My::Time(negative, days, h, mi, s, us) => {
            let sign = if *negative { "-" } else { "" };
            let hours = u32::from(*h) + days * 24;
            let frac = if *us == 0 {
                String::new()
            } else {
                format!(".{us:06}")
            };
            Value::Text(format!("{sign}{hours:02}:{mi:02}:{s:02}{frac}"))
        }
    }
}

/// One binlog value as a core value (JSON columns as their JSON text).
pub fn from_binlog(value: &BinlogValue<'_>, column: &str, column_type: &str) -> Result<Value> {
    match value {
        BinlogValue::Value(v) => Ok(from_mysql(v, column_type)),
        BinlogValue::Jsonb(j) => {
            let json: serde_json::Value = j.clone().try_into().map_err(|e| {
                Error::new(
                    ErrorKind::Encode,
                    format!("column {column}: JSON value: {e}"),
                )
                .with_context("column", column)
            })?;
            Ok(Value::Text(json.to_string()))
        }
        BinlogValue::JsonDiff(_) => Err(Error::new(
            ErrorKind::Unsupported,
            format!("column {column}: partial JSON updates are not supported"),
        )
        .with_context("column", column)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_their_meaning() {
        assert_eq!(from_mysql(&My::Int(-5), "int"), Value::Int(-5));
        assert_eq!(
            from_mysql(&My::Bytes(b"12.50".to_vec()), "decimal(10,2)"),
            Value::Text("12.50".into())
        );
        assert_eq!(
            from_mysql(&My::Bytes(vec![0xff]), "varbinary(4)"),
            Value::Bytes(vec![0xff])
        );
        assert_eq!(
            from_mysql(&My::Date(2024, 2, 29, 0, 0, 0, 0), "date"),
            Value::Text("2024-02-29".into())
        );
        assert_eq!(
            from_mysql(&My::Date(2024, 2, 29, 13, 5, 9, 120), "datetime(6)"),
            Value::Text("2024-02-29 13:05:09.000120".into())
        );
    }
}
