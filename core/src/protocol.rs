//! The contract a vendor implements: [`LoadProtocol`] and [`Transaction`].
//!
//! The contract is small on purpose (six methods and five) and has no default methods: each vendor
//! writes "build request → send → classify the answer" for each of them, and the `Sink` driver
//! builds everything else (buffers, flush triggers, retries, label-state decisions, recovery) on
//! top. Every method states its idempotency, because the driver's retry rules depend on it.

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::capabilities::Capabilities;
use crate::error::Result;
use crate::format::{Compression, Format};
use crate::label::Label;
use crate::report::{LabelState, LoadReport, Prepared};
use crate::table::Table;

/// How one load's body is encoded, so the vendor can set its headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadOptions {
    /// Data format of the body.
    pub format: Format,
    /// Compression of the body.
    pub compression: Compression,
    /// The columns of each encoded row, in order, including the delete column when the encoder
    /// appended it; `None` when the bytes were pre-encoded without a column list.
    pub columns: Option<Vec<String>>,
    /// Start a two-phase load: [`Transaction::prepare`] will be called, not `finish`.
    pub two_phase: bool,
}

/// The key model of a table, which decides what deletes and upserts mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeysModel {
    /// Every row is appended (Doris DUPLICATE KEY, StarRocks duplicate key).
    Duplicate,
    /// Upsert by key (Doris UNIQUE KEY).
    Unique,
    /// Upsert by key (StarRocks PRIMARY KEY).
    Primary,
    /// Values aggregated per key.
    Aggregate,
    /// The server did not say.
    Unknown,
}

/// The vendor's delete column: appended to every row so a load can carry deletes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteColumn {
    /// Column name (`__DORIS_DELETE_SIGN__`, `__op`).
    pub name: String,
    /// Value written for [`crate::Op::Upsert`] rows (`0`).
    pub upsert: String,
    /// Value written for [`crate::Op::Delete`] rows (`1`).
    pub delete: String,
}

/// What the `Sink` needs to know about a table before encoding rows for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDescription {
    /// Key model.
    pub keys: KeysModel,
    /// Column names in table order (empty when unknown).
    pub columns: Vec<String>,
    /// The delete column, present only when this table supports deletes.
    pub delete_column: Option<DeleteColumn>,
}

/// A prepared transaction and the server's counters for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedLoad {
    /// What to store in the checkpoint.
    pub prepared: Prepared,
    /// The server's counters.
    pub report: LoadReport,
}

/// The wire protocol of one vendor in one mode. Object-safe.
#[async_trait]
pub trait LoadProtocol: Send + Sync + fmt::Debug {
    /// The features of this protocol. Constant for the protocol's lifetime.
    fn capabilities(&self) -> Capabilities;

    /// Describes `table` (key model, columns, delete column).
    ///
    /// Read-only and idempotent; may be cached by the implementation.
    async fn describe(&self, table: &Table) -> Result<TableDescription>;

    /// Starts a load of `table` under `label` (`None` only when
    /// `capabilities().server_batched`) and returns its open handle.
    ///
    /// Idempotent under the label only in the sense the server gives: beginning a label that a
    /// non-aborted transaction holds fails with `ErrorKind::LabelAlreadyExists` (context
    /// `existing_job_status`), and the driver then asks [`LoadProtocol::label_state`].
    async fn begin(
        &self,
        table: &Table,
        label: Option<Label>,
        options: &LoadOptions,
    ) -> Result<Box<dyn Transaction>>;

    /// Commits a prepared transaction.
    ///
    /// Idempotent: a transaction already committed or visible is `Ok`. A transaction found
    /// aborted is `ErrorKind::DataLoss`; one not found is `ErrorKind::NotFound`. Transport
    /// failures are `OutcomeUnknown`.
    async fn commit(&self, prepared: &Prepared) -> Result<()>;

    /// Aborts a running or prepared transaction, by txn id when `prepared.txn_id` is set,
    /// else by label.
    ///
    /// Idempotent: already aborted or not found is `Ok`. A transaction found committed or
    /// visible is `ErrorKind::AlreadyCommitted`, so recovery can fail loudly instead of
    /// silently keeping data it meant to discard.
    async fn abort(&self, prepared: &Prepared) -> Result<()>;

    /// The state of `label` in database `db`.
    ///
    /// Read-only and idempotent.
    async fn label_state(&self, db: &str, label: &Label) -> Result<LabelState>;
}

/// An open load: an owned handle over one server transaction.
///
/// Dropping a handle that was neither prepared, finished nor aborted must schedule a
/// best-effort abort (and log it), so no transaction lingers until its timeout.
#[async_trait]
pub trait Transaction: Send + fmt::Debug {
    /// The label, or `None` for server-batched loads whose label the server chooses.
    fn label(&self) -> Option<&Label>;

    /// Appends one chunk of encoded (and possibly compressed) rows to the body.
    ///
    /// Every chunk ends at a row boundary. Waits while the transport is busy (back-pressure).
    /// Not idempotent: after an error the transaction must be aborted.
    async fn write(&mut self, chunk: Bytes) -> Result<()>;

    /// Ends the body and precommits (two-phase loads only).
    ///
    /// Idempotent under the label as far as the server allows: the driver resolves
    /// `OutcomeUnknown` through [`LoadProtocol::label_state`].
    async fn prepare(self: Box<Self>) -> Result<PreparedLoad>;

    /// Ends the body and commits in one step (non-two-phase loads).
    ///
    /// `Publish Timeout` is success. The driver resolves `OutcomeUnknown` through the label.
    async fn finish(self: Box<Self>) -> Result<LoadReport>;

    /// Aborts the transaction. Idempotent; already aborted is `Ok`.
    async fn abort(self: Box<Self>) -> Result<()>;
}

/// A shared protocol is a protocol, so `Sink<Arc<dyn LoadProtocol>>` works.
#[async_trait]
impl<T: LoadProtocol + ?Sized> LoadProtocol for std::sync::Arc<T> {
    fn capabilities(&self) -> Capabilities {
        (**self).capabilities()
    }
    async fn describe(&self, table: &Table) -> Result<TableDescription> {
        (**self).describe(table).await
    }
    async fn begin(
        &self,
        table: &Table,
        label: Option<Label>,
        options: &LoadOptions,
    ) -> Result<Box<dyn Transaction>> {
        (**self).begin(table, label, options).await
    }
    async fn commit(&self, prepared: &Prepared) -> Result<()> {
        (**self).commit(prepared).await
    }
    async fn abort(&self, prepared: &Prepared) -> Result<()> {
        (**self).abort(prepared).await
    }
    async fn label_state(&self, db: &str, label: &Label) -> Result<LabelState> {
        (**self).label_state(db, label).await
    }
}
