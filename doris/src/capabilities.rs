//! The [`Capabilities`] of each Doris mode.
//!
//! One function, so the conformance suite and the `Sink` read every Doris feature flag from a
//! single place instead of asking "is this Doris?".

use streamload_core::{Capabilities, LabelFormat};

use crate::BACKEND;
use crate::config::DorisMode;

/// Largest Stream Load body a BE accepts by default (`streaming_load_max_mb` = 10240 MB).
const MAX_BODY_BYTES: u64 = 10_240 * 1024 * 1024;

/// Doris labels: `{prefix}_{db}_{table}_{writer}_{checkpoint}`, as the Flink connector spells them.
pub const DORIS_LABEL_FORMAT: LabelFormat = LabelFormat {
    separator: '_',
    include_db: true,
};

/// The features of `mode`.
pub fn capabilities(mode: DorisMode) -> Capabilities {
    Capabilities {
        vendor: BACKEND,
        two_phase_commit: mode == DorisMode::TwoPhaseCommit,
        multi_load_per_txn: false,
        // By label on Doris 2.1+, through the probing load of the Flink connector otherwise.
        abort_by_label: !matches!(mode, DorisMode::GroupCommit(_)),
        server_batched: matches!(mode, DorisMode::GroupCommit(_)),
        partial_update: true,
        conditional_update: false,
        lz4_json: true,
        lz4_csv: true,
        arrow: cfg!(feature = "arrow"),
        // `enclose` / `escape` are Stream Load headers since Doris 2.0.
        csv_enclose: true,
        max_body_bytes: MAX_BODY_BYTES,
        label_format: DORIS_LABEL_FORMAT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GroupCommitMode;

    #[test]
    fn modes_differ_only_where_they_should() {
        let two_pc = capabilities(DorisMode::TwoPhaseCommit);
        assert!(two_pc.two_phase_commit && !two_pc.server_batched);
        let batch = capabilities(DorisMode::Batch);
        assert!(!batch.two_phase_commit && batch.abort_by_label);
        let group = capabilities(DorisMode::GroupCommit(GroupCommitMode::Sync));
        assert!(group.server_batched && !group.two_phase_commit);
        assert_eq!(group.label_format.separator, '_');
    }
}
