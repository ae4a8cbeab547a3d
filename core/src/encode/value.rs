//! Dynamic rows: a [`Value`] per column, for callers whose schema is known only at run time
//! (CDC streams, file loaders, SQL results).
//!
//! Each variant maps to exactly one rule of the type policy, the same rule the serde path
//! applies to the corresponding Rust type.

use super::EncodeOptions;
use super::types::{Date, DateTime, Decimal, Timestamp, timestamp_text};
use super::writer::{RowWriter, float_text};

/// One column value of a dynamic row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL (`\N` in CSV, `null` in JSON).
    Null,
    /// BOOLEAN (`1`/`0` in CSV, `true`/`false` in JSON).
    Bool(bool),
    /// Signed integer up to BIGINT.
    Int(i64),
    /// Unsigned integer up to 64 bits.
    UInt(u64),
    /// LARGEINT: plain digits in CSV, a JSON string in JSON.
    LargeInt(i128),
    /// FLOAT / DOUBLE; NaN and infinity are rejected.
    Float(f64),
    /// DECIMAL as plain digits.
    Decimal(Decimal),
    /// Text.
    Text(String),
    /// Bytes (CSV: raw, with the same separator checks as text; JSON: must be UTF-8).
    Bytes(Vec<u8>),
    /// DATE.
    Date(Date),
    /// DATETIME, as given.
    DateTime(DateTime),
    /// An instant, written as DATETIME in the configured time zone.
    Timestamp(Timestamp),
    /// ARRAY / MAP / STRUCT / JSON: written as JSON text.
    Json(serde_json::Value),
}

impl Value {
    /// Writes the value through `writer`; `Err` carries the reason it cannot be loaded.
    pub(crate) fn write_to<W: RowWriter>(
        &self,
        writer: &mut W,
        options: &EncodeOptions,
    ) -> Result<(), String> {
        match self {
            Value::Null => writer.null(),
            Value::Bool(v) => writer.bool(*v),
            Value::Int(v) => writer.integer(*v),
            Value::UInt(v) => writer.integer(*v),
            Value::LargeInt(v) => match i64::try_from(*v) {
                Ok(small) => writer.large_integer(small),
                Err(_) => writer.large_integer(*v),
            },
            Value::Float(v) => {
                let mut buf = zmij::Buffer::new();
                writer.float(float_text(*v, &mut buf)?.as_text());
            }
            Value::Decimal(v) => writer.numeric_text(v.as_str())?,
            Value::Text(v) => writer.str(v)?,
            Value::Bytes(v) => writer.text(v)?,
            Value::Date(v) => writer.numeric_text(v.text().as_str())?,
            Value::DateTime(v) => writer.numeric_text(v.text().as_str())?,
            Value::Timestamp(v) => {
                let text = timestamp_text(v.as_micros(), &options.time_zone)
                    .map_err(|e| e.message().to_owned())?;
                writer.numeric_text(text.as_str())?;
            }
            Value::Json(v) => writer.nested_json(&v.to_string())?,
        }
        Ok(())
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}
