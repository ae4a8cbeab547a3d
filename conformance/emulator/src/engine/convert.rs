//! Value checks: converts a raw field to a stored [`Value`] or explains, in the servers' words,
//! why the row is filtered. (Being built.)

use super::Flavor;
use super::schema::{Column, Value};

pub(crate) fn convert(
    _flavor: Flavor,
    _column: &Column,
    raw: Option<&str>,
    _strict_mode: bool,
) -> Result<Value, String> {
    match raw {
        None => Ok(Value::Null),
        Some(s) => Ok(Value::Text(s.to_string())),
    }
}
