//! SQLite storage. (Being built.)

use std::path::Path;

use super::QueryResult;
use super::schema::TableSchema;
use super::txn_types::{EngineError, StagedRow, WriteMode};

/// The SQLite connection with one attached database per catalog database.
#[derive(Debug)]
pub(crate) struct Storage {}

impl Storage {
    pub(crate) fn open(_dir: Option<&Path>) -> Result<Storage, EngineError> {
        Ok(Storage {})
    }

    pub(crate) fn query(&self, _db: Option<&str>, _sql: &str) -> Result<QueryResult, EngineError> {
        Err(EngineError::Storage("not built yet".into()))
    }

    pub(crate) fn attach(&mut self, _db: &str) -> Result<(), EngineError> {
        Ok(())
    }

    pub(crate) fn drop_database(&mut self, _db: &str) -> Result<(), EngineError> {
        Ok(())
    }

    pub(crate) fn create_table(&mut self, _schema: &TableSchema) -> Result<(), EngineError> {
        Ok(())
    }

    pub(crate) fn drop_table(&mut self, _db: &str, _table: &str) -> Result<(), EngineError> {
        Ok(())
    }

    pub(crate) fn apply(
        &mut self,
        _schema: &TableSchema,
        _write: &WriteMode,
        _rows: &[StagedRow],
    ) -> Result<(), EngineError> {
        Ok(())
    }
}
