//! Transaction vocabulary: requests, states, staged rows and the errors of each step.
//!
//! The HTTP side turns [`BeginError`] and [`TxnError`] into each vendor's response texts; the
//! engine only decides which case applies.

use std::fmt;
use std::time::Duration;

use super::schema::Value;

/// Asks the engine to open a transaction on one table.
#[derive(Debug, Clone)]
pub struct BeginRequest {
    /// Database name.
    pub db: String,
    /// Table name.
    pub table: String,
    /// The load label (unique per database among non-aborted transactions).
    pub label: String,
    /// How long the transaction may stay in PREPARE before the engine aborts it (reason
    /// `timeout by txn manager`); zero uses `EngineConfig::default_txn_timeout`.
    pub timeout: Duration,
    /// Index of the BE that coordinates the load (StarRocks V2 affinity; reported back).
    pub coordinator_be: usize,
    /// How the rows of this transaction are written.
    pub write: WriteMode,
}

/// Write options of a transaction that change how rows are applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteMode {
    /// Partial update: values given as `None` keep the stored value of the row with that key.
    pub partial_columns: bool,
    /// StarRocks `merge_condition` (a column): an upsert replaces a stored row only when its
    /// value in this column is greater or equal.
    pub merge_condition: Option<String>,
}

/// What a staged row does when applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOp {
    /// Insert, or replace/fold by key per the table model.
    Upsert,
    /// Delete the stored row with this key (unique/primary tables).
    Delete,
}

/// One row staged in a transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct StagedRow {
    /// Upsert or delete.
    pub op: RowOp,
    /// One entry per table column, by column index. `None` = not provided (partial update keeps
    /// the old value; otherwise the column default or NULL applies).
    pub values: Vec<Option<Value>>,
}

/// The life of a transaction. Doris PRECOMMITTED = StarRocks PREPARED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnState {
    /// Open: rows may be staged.
    Prepare,
    /// Doris PRECOMMITTED / StarRocks PREPARED: waiting for commit or abort.
    Precommitted,
    /// Committed, not yet visible (transient in the emulator).
    Committed,
    /// Applied and visible.
    Visible,
    /// Aborted; its rows never appear.
    Aborted,
}

impl TxnState {
    /// The Doris name: `PREPARE`, `PRECOMMITTED`, `COMMITTED`, `VISIBLE`, `ABORTED`.
    pub fn doris_name(self) -> &'static str {
        match self {
            TxnState::Prepare => "PREPARE",
            TxnState::Precommitted => "PRECOMMITTED",
            TxnState::Committed => "COMMITTED",
            TxnState::Visible => "VISIBLE",
            TxnState::Aborted => "ABORTED",
        }
    }

    /// The StarRocks name: `PREPARE`, `PREPARED`, `COMMITTED`, `VISIBLE`, `ABORTED`.
    pub fn starrocks_name(self) -> &'static str {
        match self {
            TxnState::Precommitted => "PREPARED",
            other => other.doris_name(),
        }
    }

    /// True while the transaction counts against the running-transaction limit.
    pub fn is_running(self) -> bool {
        matches!(
            self,
            TxnState::Prepare | TxnState::Precommitted | TxnState::Committed
        )
    }

    /// Parses a name stored by [`TxnState::doris_name`].
    pub fn from_doris_name(name: &str) -> Option<TxnState> {
        Some(match name {
            "PREPARE" => TxnState::Prepare,
            "PRECOMMITTED" => TxnState::Precommitted,
            "COMMITTED" => TxnState::Committed,
            "VISIBLE" => TxnState::Visible,
            "ABORTED" => TxnState::Aborted,
            _ => return None,
        })
    }
}

/// A snapshot of one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnInfo {
    /// Transaction id (unique across databases, increasing).
    pub id: i64,
    /// Database name.
    pub db: String,
    /// Database id.
    pub db_id: i64,
    /// Table name.
    pub table: String,
    /// Label.
    pub label: String,
    /// Current state.
    pub state: TxnState,
    /// Why it was aborted (`None` unless ABORTED).
    pub abort_reason: Option<String>,
    /// Coordinator BE index given at begin.
    pub coordinator_be: usize,
    /// Rows staged so far.
    pub rows_staged: u64,
    /// Virtual-clock time of begin, in ms.
    pub created_ms: i64,
    /// Virtual-clock time of VISIBLE or ABORTED, in ms.
    pub finished_ms: Option<i64>,
    /// Virtual-clock time of PRECOMMITTED, in ms.
    pub precommitted_ms: Option<i64>,
}

/// Why [`crate::engine::Engine::begin`] refused a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BeginError {
    /// No such database.
    UnknownDatabase,
    /// No such table in the database.
    UnknownTable,
    /// A non-aborted transaction already holds the label.
    LabelAlreadyExists {
        /// The holder.
        txn_id: i64,
        /// Its state.
        state: TxnState,
    },
    /// The database already has `limit` running transactions.
    TooManyRunningTxns {
        /// Database id.
        db_id: i64,
        /// Running transactions now.
        running: usize,
        /// The configured limit.
        limit: usize,
    },
}

impl fmt::Display for BeginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BeginError::UnknownDatabase => write!(f, "unknown database"),
            BeginError::UnknownTable => write!(f, "unknown table"),
            BeginError::LabelAlreadyExists { txn_id, state } => write!(
                f,
                "label already used by transaction {txn_id} ({})",
                state.doris_name()
            ),
            BeginError::TooManyRunningTxns {
                db_id,
                running,
                limit,
            } => write!(
                f,
                "current running txns on db {db_id} is {running}, larger than limit {limit}"
            ),
        }
    }
}

impl std::error::Error for BeginError {}

/// Why a transaction step (stage, precommit, commit, abort) was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnError {
    /// No such transaction.
    NotFound,
    /// The transaction is aborted (possibly by a timeout).
    AlreadyAborted {
        /// The abort reason.
        reason: String,
    },
    /// The transaction is committed (not yet visible).
    AlreadyCommitted,
    /// The transaction is visible.
    AlreadyVisible,
    /// The step does not apply in this state (e.g. staging into a PRECOMMITTED txn).
    WrongState(TxnState),
    /// A staged row does not fit the table (wrong arity); names the row.
    BadRow(String),
    /// Storage failed while applying.
    Storage(String),
}

impl fmt::Display for TxnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxnError::NotFound => write!(f, "transaction not found"),
            TxnError::AlreadyAborted { reason } => write!(f, "transaction is aborted: {reason}"),
            TxnError::AlreadyCommitted => write!(f, "transaction is already committed"),
            TxnError::AlreadyVisible => write!(f, "transaction is already visible"),
            TxnError::WrongState(s) => write!(f, "transaction is in state {}", s.doris_name()),
            TxnError::BadRow(m) => write!(f, "bad row: {m}"),
            TxnError::Storage(m) => write!(f, "storage error: {m}"),
        }
    }
}

impl std::error::Error for TxnError {}

/// Errors of catalog and storage operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    /// The SQL could not be parsed; the message names the token.
    Parse(String),
    /// `Unknown database 'x'`.
    UnknownDatabase(String),
    /// `Unknown table 'x'`.
    UnknownTable(String),
    /// The database exists (CREATE without IF NOT EXISTS).
    DatabaseExists(String),
    /// The table exists (CREATE without IF NOT EXISTS).
    TableExists(String),
    /// No database selected for an unqualified name.
    NoDatabaseSelected,
    /// A semantic error in DDL or a statement (e.g. unknown key column).
    Invalid(String),
    /// SQLite or file-system failure.
    Storage(String),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Parse(m) => write!(f, "syntax error: {m}"),
            EngineError::UnknownDatabase(d) => write!(f, "Unknown database '{d}'"),
            EngineError::UnknownTable(t) => write!(f, "Unknown table '{t}'"),
            EngineError::DatabaseExists(d) => {
                write!(f, "Can't create database '{d}'; database exists")
            }
            EngineError::TableExists(t) => write!(f, "Table '{t}' already exists"),
            EngineError::NoDatabaseSelected => write!(f, "No database selected"),
            EngineError::Invalid(m) => write!(f, "{m}"),
            EngineError::Storage(m) => write!(f, "storage error: {m}"),
        }
    }
}

impl std::error::Error for EngineError {}

impl From<rusqlite::Error> for EngineError {
    fn from(e: rusqlite::Error) -> Self {
        EngineError::Storage(e.to_string())
    }
}
