//! StarRocks multi-table transactions (`transaction_type: multi`, StarRocks 4.0): one label and
//! one transaction id over several tables of one database, committed atomically.
//!
//! Such a transaction is a [`TxnRecord`] whose rows are kept per table in `parts` (created by the
//! first load into each table, in that order) instead of in `rows`. It moves through the same
//! states, timeouts and label rules as any other transaction; only staging and commit differ.
//!
//! # Why the commit stays crash-safe
//!
//! Every table of a multi-table transaction lives in the same database, hence in the same table
//! file and on the same SQLite connection. The commit writes all tables' rows and the
//! transaction's applied mark in one SQLite transaction, so after a SIGKILL the file holds every
//! table's rows and the mark, or nothing; the restart rules of [`super::table_files`] then roll
//! the transaction forward or keep it as it was, exactly as for one table. PREPARED parts are
//! saved with the state in `meta.sqlite` (see [`super::persist`]), so a restart keeps them for
//! the client's commit.

use super::Engine;
use super::apply;
use super::crash_point;
use super::state::Inner;
use super::txn_table::TablePart;
use super::txn_types::{
    BeginError, BeginRequest, StagedRow, TxnError, TxnInfo, TxnState, WriteMode,
};

impl Inner {
    pub(crate) fn stage_table(
        &mut self,
        txn_id: i64,
        table: &str,
        write: WriteMode,
        rows: Vec<StagedRow>,
    ) -> Result<(), TxnError> {
        self.expire();
        let t = self.check_open(txn_id)?;
        if t.info.state != TxnState::Prepare {
            return Err(TxnError::WrongState(t.info.state));
        }
        let db = t.info.db.clone();
        let schema = self
            .catalog
            .table(&db, table)
            .ok_or_else(|| TxnError::Storage(format!("unknown table {db}.{table}")))?;
        let (name, width) = (schema.name.clone(), schema.columns.len());
        if let Some((i, r)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.values.len() != width)
        {
            return Err(TxnError::BadRow(format!(
                "row {i} has {} values, the table has {width} columns",
                r.values.len()
            )));
        }
        let t = self.txns.get_mut(txn_id).ok_or(TxnError::NotFound)?;
        t.info.rows_staged += rows.len() as u64;
        match t.parts.iter_mut().find(|p| p.table == name) {
            Some(part) => part.rows.extend(rows),
            None => {
                t.parts.push(TablePart {
                    table: name,
                    write,
                    rows,
                });
                t.info.table = t
                    .parts
                    .iter()
                    .map(|p| p.table.as_str())
                    .collect::<Vec<_>>()
                    .join(",");
            }
        }
        Ok(())
    }

    /// Applies every table's rows in one SQLite transaction, then persists VISIBLE.
    pub(crate) fn commit_multi(&mut self, txn_id: i64) -> Result<TxnInfo, TxnError> {
        let now = self.now_ms();
        let t = self.txns.get_mut(txn_id).ok_or(TxnError::NotFound)?;
        let parts = std::mem::take(&mut t.parts);
        let db = t.info.db.clone();
        let mut schemas = Vec::with_capacity(parts.len());
        for part in &parts {
            match self.catalog.table(&db, &part.table) {
                Some(s) => schemas.push(s.clone()),
                None => {
                    let msg = format!("table {db}.{} was dropped", part.table);
                    if let Some(t) = self.txns.get_mut(txn_id) {
                        t.parts = parts;
                    }
                    return Err(TxnError::Storage(msg));
                }
            }
        }
        let tables: Vec<_> = parts
            .iter()
            .zip(&schemas)
            .map(|(p, s)| (s, &p.write, p.rows.as_slice()))
            .collect();
        let flavor = self.config.flavor;
        let applied = if tables.is_empty() {
            Ok(())
        } else {
            self.storage
                .conn_mut(&db)
                .and_then(|c| apply::apply_tables(c, flavor, &tables, txn_id, now))
        };
        if let Err(e) = applied {
            if let Some(t) = self.txns.get_mut(txn_id) {
                t.parts = parts;
            }
            return Err(TxnError::Storage(e.to_string()));
        }
        crash_point::hit(crash_point::COMMIT_AFTER_APPLY);
        let t = self.txns.get_mut(txn_id).ok_or(TxnError::NotFound)?;
        // The table names stay for SHOW TRANSACTION; the rows are gone.
        t.parts = parts
            .into_iter()
            .map(|p| TablePart {
                rows: Vec::new(),
                ..p
            })
            .collect();
        t.info.state = TxnState::Visible;
        t.info.finished_ms = Some(now);
        let info = t.info.clone();
        self.txns.finished(txn_id);
        self.persist(txn_id);
        crash_point::hit(crash_point::COMMIT_AFTER_PERSIST);
        self.note_deadline(txn_id);
        Ok(info)
    }
}

impl Engine {
    /// Opens a StarRocks multi-table transaction on `req.db` (PREPARE); `req.table` is not
    /// needed. Its loads stage rows with [`Engine::stage_table`]; precommit, commit and abort
    /// act on all its tables at once.
    pub fn begin_multi(&self, req: BeginRequest) -> Result<TxnInfo, BeginError> {
        self.lock().begin_any(req, true)
    }

    /// Adds rows for `table` to a PREPARE multi-table transaction; the first load into a table
    /// sets how that table's rows are written.
    pub fn stage_table(
        &self,
        txn_id: i64,
        table: &str,
        write: WriteMode,
        rows: Vec<StagedRow>,
    ) -> Result<(), TxnError> {
        self.lock().stage_table(txn_id, table, write, rows)
    }

    /// The tables of a multi-table transaction so far (`None` for any other transaction or
    /// an unknown id).
    pub fn multi_tables(&self, txn_id: i64) -> Option<Vec<String>> {
        let inner = self.lock();
        let t = inner.txns.get(txn_id).filter(|t| t.multi)?;
        Some(t.parts.iter().map(|p| p.table.clone()).collect())
    }
}
