//! The engine's state behind the lock: clock, catalog, transactions, storage, and the rules
//! that move transactions between states.

use super::EngineConfig;
use super::apply;
use super::catalog::Catalog;
use super::crash_point;
use super::persist::Meta;
use super::storage::Storage;
use super::txn_table::{TxnRecord, TxnTable};
use super::txn_types::{BeginError, BeginRequest, StagedRow, TxnError, TxnInfo, TxnState};

/// Abort reason of a transaction that outlived its timeout (the servers' wording).
pub(crate) const TIMEOUT_REASON: &str = "timeout by txn manager";

/// Everything the engine knows.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) config: EngineConfig,
    pub(crate) clock_offset_ms: i64,
    pub(crate) catalog: Catalog,
    pub(crate) txns: TxnTable,
    pub(crate) storage: Storage,
    pub(crate) meta: Meta,
    /// Earliest deadline of any transaction; `expire` does nothing before it.
    pub(crate) next_expiry_ms: i64,
}

fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Inner {
    /// Writes a transaction's state to the data dir (logged, not fatal, on failure).
    pub(crate) fn persist(&self, txn_id: i64) {
        if let Some(t) = self.txns.get(txn_id)
            && let Err(e) = self.meta.save_txn(t)
        {
            tracing::warn!(txn_id, error = %e, "cannot persist transaction");
        }
    }

    pub(crate) fn now_ms(&self) -> i64 {
        wall_ms() + self.clock_offset_ms
    }

    /// When a transaction in its current state times out (PREPARE, PRECOMMITTED) or is
    /// forgotten (VISIBLE, ABORTED).
    fn deadline(&self, t: &TxnRecord) -> Option<i64> {
        let i = &t.info;
        let precommit_ms = self.config.precommit_timeout.as_millis() as i64;
        let keep_ms = self.config.label_keep.as_millis() as i64;
        match i.state {
            TxnState::Prepare => Some(i.created_ms + t.timeout_ms),
            TxnState::Precommitted => Some(
                i.precommitted_ms.unwrap_or(i.created_ms)
                    + t.precommit_timeout_ms.unwrap_or(precommit_ms),
            ),
            TxnState::Visible | TxnState::Aborted => {
                Some(i.finished_ms.unwrap_or(i.created_ms) + keep_ms)
            }
            TxnState::Committed => None,
        }
    }

    /// Lowers the next expiry check to this transaction's deadline.
    pub(crate) fn note_deadline(&mut self, txn_id: i64) {
        if let Some(d) = self.txns.get(txn_id).and_then(|t| self.deadline(t)) {
            self.next_expiry_ms = self.next_expiry_ms.min(d);
        }
    }

    /// Aborts timed-out transactions and forgets expired labels. Cheap until the earliest
    /// deadline passes.
    pub(crate) fn expire(&mut self) {
        let now = self.now_ms();
        if now < self.next_expiry_ms {
            return;
        }
        let mut to_abort = Vec::new();
        let mut to_forget = Vec::new();
        for t in self.txns.iter() {
            match self.deadline(t) {
                Some(d) if d <= now && t.info.state.is_running() => to_abort.push(t.info.id),
                Some(d) if d <= now => to_forget.push(t.info.id),
                _ => {}
            }
        }
        for id in to_abort {
            let _ = self.finish_abort(id, TIMEOUT_REASON, now);
        }
        for id in to_forget {
            let Some(t) = self.txns.remove(id) else {
                continue;
            };
            // The applied mark goes after the state is forgotten: meta said VISIBLE until then.
            let forgotten = self.meta.forget_txn(id).and_then(|()| {
                if t.info.state == TxnState::Visible {
                    self.storage.clear_applied(&t.info.db, Some(id))
                } else {
                    Ok(())
                }
            });
            if let Err(e) = forgotten {
                tracing::warn!(txn_id = id, error = %e, "cannot forget transaction");
            }
        }
        self.next_expiry_ms = self
            .txns
            .iter()
            .filter_map(|t| self.deadline(t))
            .min()
            .unwrap_or(i64::MAX);
    }

    pub(crate) fn begin(&mut self, req: BeginRequest) -> Result<TxnInfo, BeginError> {
        self.begin_any(req, false)
    }

    /// Opens a transaction; a `multi` one (StarRocks multi-table) needs no table.
    pub(crate) fn begin_any(
        &mut self,
        req: BeginRequest,
        multi: bool,
    ) -> Result<TxnInfo, BeginError> {
        self.expire();
        let Some(db) = self.catalog.database(&req.db) else {
            return Err(BeginError::UnknownDatabase);
        };
        let (db_id, db_name) = (db.id, db.name.clone());
        // A multi-table transaction learns its tables from its loads.
        let table_name = match self.catalog.table(&req.db, &req.table) {
            Some(table) => table.name.clone(),
            None if multi => String::new(),
            None => return Err(BeginError::UnknownTable),
        };
        if let Some(holder) = self.txns.label_holder(&req.db, &req.label) {
            return Err(BeginError::LabelAlreadyExists {
                txn_id: holder.info.id,
                state: holder.info.state,
            });
        }
        let running = self.txns.running_count(&req.db);
        let limit = self.config.max_running_txn_per_db;
        if running >= limit {
            return Err(BeginError::TooManyRunningTxns {
                db_id,
                running,
                limit,
            });
        }
        let info = TxnInfo {
            id: self.txns.next_id,
            db: db_name,
            db_id,
            table: table_name,
            label: req.label,
            state: TxnState::Prepare,
            abort_reason: None,
            coordinator_be: req.coordinator_be,
            rows_staged: 0,
            created_ms: self.now_ms(),
            finished_ms: None,
            precommitted_ms: None,
        };
        let timeout = if req.timeout.is_zero() {
            self.config.default_txn_timeout
        } else {
            req.timeout
        };
        self.txns.insert(TxnRecord {
            info: info.clone(),
            write: req.write,
            timeout_ms: timeout.as_millis() as i64,
            precommit_timeout_ms: None,
            rows: Vec::new(),
            multi,
            parts: Vec::new(),
        });
        self.persist(info.id);
        self.note_deadline(info.id);
        Ok(info)
    }

    pub(crate) fn check_open(&self, txn_id: i64) -> Result<&TxnRecord, TxnError> {
        let t = self.txns.get(txn_id).ok_or(TxnError::NotFound)?;
        match t.info.state {
            TxnState::Aborted => Err(TxnError::AlreadyAborted {
                reason: t.info.abort_reason.clone().unwrap_or_default(),
            }),
            TxnState::Committed => Err(TxnError::AlreadyCommitted),
            TxnState::Visible => Err(TxnError::AlreadyVisible),
            _ => Ok(t),
        }
    }

    pub(crate) fn stage(&mut self, txn_id: i64, rows: Vec<StagedRow>) -> Result<(), TxnError> {
        self.expire();
        let t = self.check_open(txn_id)?;
        if t.info.state != TxnState::Prepare {
            return Err(TxnError::WrongState(t.info.state));
        }
        if t.multi {
            return Err(TxnError::BadRow(
                "a multi-table transaction stages rows per table".into(),
            ));
        }
        let width = self
            .catalog
            .table(&t.info.db, &t.info.table)
            .map(|s| s.columns.len())
            .ok_or_else(|| TxnError::Storage("table was dropped".into()))?;
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
        t.rows.extend(rows);
        Ok(())
    }

    pub(crate) fn set_write_mode(
        &mut self,
        txn_id: i64,
        write: super::txn_types::WriteMode,
    ) -> Result<(), TxnError> {
        self.expire();
        let t = self.check_open(txn_id)?;
        if t.info.state != TxnState::Prepare {
            return Err(TxnError::WrongState(t.info.state));
        }
        let t = self.txns.get_mut(txn_id).ok_or(TxnError::NotFound)?;
        t.write = write;
        self.persist(txn_id);
        Ok(())
    }

    pub(crate) fn precommit(
        &mut self,
        txn_id: i64,
        timeout: Option<std::time::Duration>,
    ) -> Result<TxnInfo, TxnError> {
        self.expire();
        self.check_open(txn_id)?;
        let now = self.now_ms();
        let t = self.txns.get_mut(txn_id).ok_or(TxnError::NotFound)?;
        if let Some(d) = timeout {
            t.precommit_timeout_ms = Some(d.as_millis() as i64);
        }
        if t.info.state == TxnState::Prepare {
            t.info.state = TxnState::Precommitted;
            t.info.precommitted_ms = Some(now);
        }
        let info = t.info.clone();
        self.persist(txn_id);
        self.note_deadline(txn_id);
        Ok(info)
    }

    pub(crate) fn commit(&mut self, txn_id: i64) -> Result<TxnInfo, TxnError> {
        self.expire();
        if self.check_open(txn_id)?.multi {
            return self.commit_multi(txn_id);
        }
        let now = self.now_ms();
        let t = self.txns.get_mut(txn_id).ok_or(TxnError::NotFound)?;
        let rows = std::mem::take(&mut t.rows);
        let write = t.write.clone();
        let (db, table) = (t.info.db.clone(), t.info.table.clone());
        let schema = self
            .catalog
            .table(&db, &table)
            .cloned()
            .ok_or_else(|| TxnError::Storage(format!("table {db}.{table} was dropped")))?;
        let flavor = self.config.flavor;
        let applied = self
            .storage
            .conn_mut(&db)
            .and_then(|c| apply::apply(c, flavor, &schema, &write, txn_id, &rows, now));
        if let Err(e) = applied {
            let t = self.txns.get_mut(txn_id).ok_or(TxnError::NotFound)?;
            t.rows = rows;
            return Err(TxnError::Storage(e.to_string()));
        }
        crash_point::hit(crash_point::COMMIT_AFTER_APPLY);
        let t = self.txns.get_mut(txn_id).ok_or(TxnError::NotFound)?;
        t.info.state = TxnState::Visible;
        t.info.finished_ms = Some(now);
        let info = t.info.clone();
        self.txns.finished(txn_id);
        self.persist(txn_id);
        crash_point::hit(crash_point::COMMIT_AFTER_PERSIST);
        self.note_deadline(txn_id);
        Ok(info)
    }

    pub(crate) fn abort(&mut self, txn_id: i64, reason: &str) -> Result<TxnInfo, TxnError> {
        self.expire();
        self.check_open(txn_id)?;
        let now = self.now_ms();
        self.finish_abort(txn_id, reason, now)
    }

    fn finish_abort(&mut self, txn_id: i64, reason: &str, now: i64) -> Result<TxnInfo, TxnError> {
        let t = self.txns.get_mut(txn_id).ok_or(TxnError::NotFound)?;
        t.rows.clear();
        t.parts.iter_mut().for_each(|p| p.rows.clear());
        t.info.state = TxnState::Aborted;
        t.info.abort_reason = Some(reason.to_string());
        t.info.finished_ms = Some(now);
        let info = t.info.clone();
        self.txns.finished(txn_id);
        self.persist(txn_id);
        self.note_deadline(txn_id);
        Ok(info)
    }
}
