//! The transaction table: every transaction by id, with its staged rows, and the label index.
//!
//! Label rules live here: a label is held by the newest non-ABORTED transaction; finished
//! transactions are forgotten after the label retention time.

use std::collections::BTreeMap;

use super::txn_types::{StagedRow, TxnInfo, TxnState, WriteMode};

/// One transaction and what it carries.
#[derive(Debug, Clone)]
pub(crate) struct TxnRecord {
    pub(crate) info: TxnInfo,
    pub(crate) write: WriteMode,
    /// PREPARE timeout in ms.
    pub(crate) timeout_ms: i64,
    /// PRECOMMITTED timeout in ms for this transaction (StarRocks `prepared_timeout`); `None`
    /// uses the configured default.
    pub(crate) precommit_timeout_ms: Option<i64>,
    /// Rows staged so far (dropped once VISIBLE or ABORTED).
    pub(crate) rows: Vec<StagedRow>,
}

/// All known transactions.
#[derive(Debug)]
pub(crate) struct TxnTable {
    map: BTreeMap<i64, TxnRecord>,
    pub(crate) next_id: i64,
}

impl TxnTable {
    pub(crate) fn new() -> TxnTable {
        TxnTable {
            map: BTreeMap::new(),
            next_id: 1001,
        }
    }

    pub(crate) fn insert(&mut self, rec: TxnRecord) {
        self.next_id = self.next_id.max(rec.info.id + 1);
        self.map.insert(rec.info.id, rec);
    }

    pub(crate) fn get(&self, id: i64) -> Option<&TxnRecord> {
        self.map.get(&id)
    }

    pub(crate) fn get_mut(&mut self, id: i64) -> Option<&mut TxnRecord> {
        self.map.get_mut(&id)
    }

    pub(crate) fn remove(&mut self, id: i64) -> Option<TxnRecord> {
        self.map.remove(&id)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &TxnRecord> {
        self.map.values()
    }

    /// The newest transaction of `db` with `label`.
    pub(crate) fn by_label(&self, db: &str, label: &str) -> Option<&TxnRecord> {
        self.map
            .values()
            .rev()
            .find(|t| t.info.label == label && t.info.db.eq_ignore_ascii_case(db))
    }

    /// The non-aborted holder of a label, if any.
    pub(crate) fn label_holder(&self, db: &str, label: &str) -> Option<&TxnRecord> {
        self.map.values().rev().find(|t| {
            t.info.label == label
                && t.info.db.eq_ignore_ascii_case(db)
                && t.info.state != TxnState::Aborted
        })
    }

    pub(crate) fn running(&self, db: &str) -> Vec<TxnInfo> {
        self.map
            .values()
            .filter(|t| t.info.state.is_running() && t.info.db.eq_ignore_ascii_case(db))
            .map(|t| t.info.clone())
            .collect()
    }

    pub(crate) fn running_count(&self, db: &str) -> usize {
        self.map
            .values()
            .filter(|t| t.info.state.is_running() && t.info.db.eq_ignore_ascii_case(db))
            .count()
    }
}
