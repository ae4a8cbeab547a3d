//! What a protocol can do, as plain flags.
//!
//! Field naming rule: a `bool` field is named after the feature it enables (`two_phase_commit`),
//! never after a vendor; conformance cases and the `Sink` check these flags, never a vendor name.

use serde::{Deserialize, Serialize};

use crate::label::LabelFormat;

/// The features of one [`crate::LoadProtocol`] in one mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Vendor name for error context and `Prepared::vendor` (`"doris"`, `"starrocks"`).
    pub vendor: &'static str,
    /// Loads can be prepared and committed later (exactly-once checkpoints).
    pub two_phase_commit: bool,
    /// A transaction takes several independent requests (StarRocks `/api/transaction/load`);
    /// otherwise one streaming request carries the whole transaction.
    pub multi_load_per_txn: bool,
    /// Prepared / running transactions can be aborted by label alone (recovery needs it).
    pub abort_by_label: bool,
    /// The server batches loads itself and chooses the label (group / merge commit): no client
    /// label, at-least-once only.
    pub server_batched: bool,
    /// Partial-column updates of unique / primary-key tables.
    pub partial_update: bool,
    /// Conditional updates (`merge_condition`).
    pub conditional_update: bool,
    /// JSON bodies may be LZ4-frame compressed.
    pub lz4_json: bool,
    /// CSV bodies may be LZ4-frame compressed.
    pub lz4_csv: bool,
    /// Arrow IPC stream bodies are accepted.
    pub arrow: bool,
    /// CSV `enclose` / `escape` can be sent, so values holding separators can be quoted;
    /// without it an enclosed [`crate::CsvFormat`] is refused when the `Sink` is built.
    pub csv_enclose: bool,
    /// Largest body one request may carry, in bytes (0 = no limit known).
    pub max_body_bytes: u64,
    /// How generated labels are spelled.
    pub label_format: LabelFormat,
}
