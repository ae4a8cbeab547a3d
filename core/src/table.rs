//! The identity of a target table.
//!
//! Both vendors address a table as `db` + `table` (URL path for Stream Load, headers for the
//! StarRocks transaction API), so a pair of strings is the whole identity.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A target table: database and table name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Table {
    /// Database name.
    pub db: String,
    /// Table name.
    pub name: String,
}

impl Table {
    /// A table in a database.
    pub fn new(db: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            db: db.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.db, self.name)
    }
}
