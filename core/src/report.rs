//! What the server tells us about a load: its counters, its label's state, and the handle of a
//! prepared transaction that a checkpoint stores.

use serde::{Deserialize, Serialize};

use crate::label::Label;
use crate::table::Table;

/// The state of a label on the server (`get_load_state`).
///
/// Doris' `PRECOMMITTED` and StarRocks' `PREPARED` are the same step (data written, invisible,
/// waiting for commit) and map to [`LabelState::Precommitted`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LabelState {
    /// No transaction with this label (never used, or expired).
    Unknown,
    /// A load is running under the label.
    Prepare,
    /// Data is written and waits for commit (Doris `PRECOMMITTED`, StarRocks `PREPARED`).
    Precommitted,
    /// Committed, publishing; will become visible.
    Committed,
    /// Committed and visible.
    Visible,
    /// Aborted; the label may be reused.
    Aborted,
}

impl LabelState {
    /// True for `Committed` and `Visible`: the data is (or will be) there.
    pub fn is_committed(self) -> bool {
        matches!(self, LabelState::Committed | LabelState::Visible)
    }
}

/// The server's counters for one load, from its response JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadReport {
    /// The label the server reports (server-chosen for group / merge commit).
    pub label: Option<String>,
    /// The transaction id, when the server assigned one.
    pub txn_id: Option<i64>,
    /// The server's status string, verbatim (`Success`, `Publish Timeout`, `OK`, …).
    pub status: String,
    /// Rows the server read.
    pub rows_total: u64,
    /// Rows loaded.
    pub rows_loaded: u64,
    /// Rows rejected by data quality checks.
    pub rows_filtered: u64,
    /// Rows dropped by the `where` condition.
    pub rows_unselected: u64,
    /// Bytes the server received.
    pub bytes: u64,
    /// Whole load time on the server, in milliseconds.
    pub load_time_ms: u64,
    /// Time spent writing data, in milliseconds (0 when not reported).
    pub write_data_time_ms: u64,
    /// Time spent committing and publishing, in milliseconds (0 when not reported).
    pub commit_and_publish_time_ms: u64,
    /// Where the server lists rejected rows, if any were rejected.
    pub error_url: Option<String>,
}

/// A prepared (precommitted) transaction: what a checkpoint stores to commit it later, or what
/// recovery builds (with `txn_id: None`) to abort a transaction by label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prepared {
    /// Vendor that prepared it (`Capabilities::vendor`).
    pub vendor: String,
    /// Target table.
    pub table: Table,
    /// The transaction's label.
    pub label: Label,
    /// Server transaction id, when known.
    pub txn_id: Option<i64>,
    /// The node that coordinated the load (`host:port`), when the vendor needs it for commit.
    pub coordinator: Option<String>,
}
