//! A hand-written parser for the vendors' DDL (sqlparser cannot parse Doris/StarRocks DDL).
//! (Being built.)

use super::Flavor;
use super::schema::TableSchema;
use super::txn_types::EngineError;

/// A parsed DDL statement.
#[derive(Debug, Clone)]
pub(crate) enum DdlStatement {
    CreateDatabase {
        name: String,
        if_not_exists: bool,
    },
    CreateTable {
        /// `db` of `db.table`, if qualified.
        db: Option<String>,
        /// The schema with an empty `db` when unqualified.
        schema: TableSchema,
        if_not_exists: bool,
    },
    DropDatabase {
        name: String,
        if_exists: bool,
    },
    DropTable {
        db: Option<String>,
        name: String,
        if_exists: bool,
    },
}

pub(crate) fn parse(sql: &str, _flavor: Flavor) -> Result<DdlStatement, EngineError> {
    Err(EngineError::Parse(format!("not parsed yet: {sql}")))
}
