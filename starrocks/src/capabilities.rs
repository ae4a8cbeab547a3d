//! What each StarRocks mode can do, as core's plain flags.
//!
//! The `Sink` and the conformance cases read these flags instead of asking which vendor or mode
//! they talk to, so the differences between V1, V2 and merge commit are stated here once.

use streamload_core::{Capabilities, LabelFormat};

use crate::BACKEND;
use crate::config::Mode;

/// StarRocks labels: `{prefix}-{table}-{writer}-{id}`, no database part, no `:`.
pub const LABEL_FORMAT: LabelFormat = LabelFormat {
    separator: '-',
    include_db: false,
};

/// `streaming_load_max_mb` of older releases (10240 MiB); newer default to 100 GiB.
const MAX_BODY_BYTES: u64 = 10240 * 1024 * 1024;

/// V1 Stream Load: one request per load, committed by the server.
pub const V1: Capabilities = Capabilities {
    vendor: BACKEND,
    two_phase_commit: false,
    multi_load_per_txn: false,
    abort_by_label: true,
    server_batched: false,
    partial_update: true,
    conditional_update: true,
    lz4_json: true,
    lz4_csv: true,
    arrow: false,
    csv_enclose: true,
    max_body_bytes: MAX_BODY_BYTES,
    label_format: LABEL_FORMAT,
};

/// V2 transactions: several `/load` requests per transaction, prepare and commit.
/// `merge_condition` is not applied on this path, so conditional updates are off, and the
/// transaction `/load` path reads no `enclose` / `escape` (V1 only in the server code read).
pub const V2: Capabilities = Capabilities {
    two_phase_commit: true,
    multi_load_per_txn: true,
    conditional_update: false,
    csv_enclose: false,
    ..V1
};

/// Merge commit: the server merges concurrent loads and chooses the label (at-least-once).
/// `merge_condition` is documented for V1 Stream Load only, so conditional updates are off (a
/// sink configured with both is refused when it is built).
pub const MERGE_COMMIT: Capabilities = Capabilities {
    abort_by_label: false,
    server_batched: true,
    conditional_update: false,
    ..V1
};

/// The capabilities of `mode`.
pub(crate) fn of(mode: Mode) -> Capabilities {
    match mode {
        Mode::V1 => V1,
        Mode::V2 => V2,
        Mode::MergeCommit => MERGE_COMMIT,
    }
}
