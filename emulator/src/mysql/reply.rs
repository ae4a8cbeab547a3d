//! What a statement produces, independent of the wire: an OK with a row count, a result set,
//! or an error with a MySQL error code. Keeping this separate lets the router be tested without
//! a socket.

use crate::engine::{QueryResult, Value};

/// The answer to one statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// OK packet with affected rows.
    Ok {
        /// Rows inserted / changed.
        affected: u64,
    },
    /// A result set.
    Rows(QueryResult),
    /// An error: MySQL error code and message.
    Error {
        /// MySQL error number (e.g. 1064 syntax, 1049 unknown database, 1105 unknown error).
        code: u16,
        /// Message shown to the user.
        message: String,
    },
}

impl Reply {
    /// OK with no rows affected.
    pub fn ok() -> Reply {
        Reply::Ok { affected: 0 }
    }

    /// A generic error (ER_UNKNOWN_ERROR, 1105), as Doris and StarRocks use for most failures.
    pub fn error(message: impl Into<String>) -> Reply {
        Reply::Error {
            code: 1105,
            message: message.into(),
        }
    }

    /// A result set from column names and rows.
    pub fn rows(columns: &[&str], rows: Vec<Vec<Value>>) -> Reply {
        Reply::Rows(QueryResult {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
            column_types: vec![None; columns.len()],
        })
    }
}

/// Text helper.
pub(crate) fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}
