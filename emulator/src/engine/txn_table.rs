//! The transaction table: every transaction by id, with its staged rows, plus a label index and
//! the set of running transactions, so label checks and the running-transaction limit stay cheap
//! when many loads have finished but their labels are still kept.
//!
//! Label rules live here: a label is held by the newest non-ABORTED transaction; finished
//! transactions are forgotten after the label retention time (see `state.rs`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    /// A StarRocks multi-table transaction (`transaction_type: multi`): its rows live in
    /// `parts`, one per table, and `rows` stays empty.
    pub(crate) multi: bool,
    /// The tables of a multi-table transaction, in the order of their first load.
    pub(crate) parts: Vec<TablePart>,
}

/// The staged rows of one table of a multi-table transaction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TablePart {
    /// The table's name as the catalog spells it.
    pub(crate) table: String,
    /// How this table's rows are written (set by its first load).
    pub(crate) write: WriteMode,
    pub(crate) rows: Vec<StagedRow>,
}

fn label_key(db: &str, label: &str) -> (String, String) {
    (db.to_ascii_lowercase(), label.to_string())
}

/// All known transactions.
#[derive(Debug)]
pub(crate) struct TxnTable {
    map: BTreeMap<i64, TxnRecord>,
    /// (lower-cased db, label) -> transaction ids, oldest first.
    labels: HashMap<(String, String), Vec<i64>>,
    /// Ids of PREPARE / PRECOMMITTED / COMMITTED transactions.
    running: BTreeSet<i64>,
    pub(crate) next_id: i64,
}

impl TxnTable {
    pub(crate) fn new() -> TxnTable {
        TxnTable {
            map: BTreeMap::new(),
            labels: HashMap::new(),
            running: BTreeSet::new(),
            next_id: 1001,
        }
    }

    pub(crate) fn insert(&mut self, rec: TxnRecord) {
        let id = rec.info.id;
        self.next_id = self.next_id.max(id + 1);
        self.labels
            .entry(label_key(&rec.info.db, &rec.info.label))
            .or_default()
            .push(id);
        if rec.info.state.is_running() {
            self.running.insert(id);
        }
        self.map.insert(id, rec);
    }

    pub(crate) fn get(&self, id: i64) -> Option<&TxnRecord> {
        self.map.get(&id)
    }

    /// Mutable access; callers that finish a transaction must call [`TxnTable::finished`].
    pub(crate) fn get_mut(&mut self, id: i64) -> Option<&mut TxnRecord> {
        self.map.get_mut(&id)
    }

    /// Records that a transaction left the running states.
    pub(crate) fn finished(&mut self, id: i64) {
        self.running.remove(&id);
    }

    pub(crate) fn remove(&mut self, id: i64) -> Option<TxnRecord> {
        let rec = self.map.remove(&id)?;
        self.running.remove(&id);
        let key = label_key(&rec.info.db, &rec.info.label);
        if let Some(ids) = self.labels.get_mut(&key) {
            ids.retain(|&i| i != id);
            if ids.is_empty() {
                self.labels.remove(&key);
            }
        }
        Some(rec)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &TxnRecord> {
        self.map.values()
    }

    fn with_label(&self, db: &str, label: &str) -> impl Iterator<Item = &TxnRecord> {
        self.labels
            .get(&label_key(db, label))
            .into_iter()
            .flat_map(|ids| ids.iter().rev())
            .filter_map(|id| self.map.get(id))
    }

    /// The newest transaction of `db` with `label`.
    pub(crate) fn by_label(&self, db: &str, label: &str) -> Option<&TxnRecord> {
        self.with_label(db, label).next()
    }

    /// The non-aborted holder of a label, if any.
    pub(crate) fn label_holder(&self, db: &str, label: &str) -> Option<&TxnRecord> {
        self.with_label(db, label)
            .find(|t| t.info.state != TxnState::Aborted)
    }

    fn running_in<'a>(&'a self, db: &'a str) -> impl Iterator<Item = &'a TxnRecord> + 'a {
        self.running
            .iter()
            .filter_map(|id| self.map.get(id))
            .filter(move |t| t.info.db.eq_ignore_ascii_case(db))
    }

    pub(crate) fn running(&self, db: &str) -> Vec<TxnInfo> {
        self.running_in(db).map(|t| t.info.clone()).collect()
    }

    pub(crate) fn running_count(&self, db: &str) -> usize {
        self.running_in(db).count()
    }
}
