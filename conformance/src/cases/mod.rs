//! The behaviour cases, one file per theme. Each case is `pub async fn name(&dyn Target)`,
//! named after the behaviour it checks, and is listed in [`crate::conformance_suite!`].

mod batching;
mod crash;
mod errors;
mod faults;
mod faults_nodes;
mod labels;
mod regressions;
mod regressions_commit;
mod secrets;
pub mod support;
mod text_data;
mod types;
mod updates;

pub use batching::{
    empty_flush_sends_nothing, flush_by_age, flush_by_bytes, flush_by_rows,
    many_tables_in_one_sink, row_larger_than_a_chunk,
};
pub use crash::{
    crash_after_commit_then_recover, crash_after_prepare_before_commit_then_recover,
    crash_before_prepare_then_recover, crash_mid_stream_then_recover,
};
pub use errors::{
    rejected_rows_carry_the_server_reason, unknown_table_is_not_found,
    wrong_password_is_unauthorized,
};
pub use faults::{
    commit_answered_5xx_is_settled_by_label_state, fail_status_spelled_FAILED_is_not_success,
    fe_failover_uses_the_next_fe, load_reset_before_the_body_is_retried_under_the_same_label,
    slow_answer_past_the_read_timeout_is_settled_by_label_state, unknown_status_fails_closed,
};
pub use faults_nodes::{
    be_dying_mid_stream_then_recover, fe_down_and_back_up_is_waited_out,
    retry_keeps_label_after_lost_response,
};
pub use labels::{
    abort_after_prepare_discards, commit_twice_is_idempotent, label_reuse_is_detected,
};
pub use regressions::{
    expired_transaction_on_commit_is_a_clear_error, recovery_from_a_stale_checkpoint_fails_loudly,
    running_txn_limit_is_waited_out,
    table_added_after_the_last_checkpoint_is_cleaned_up_on_recover,
    timestamps_are_written_in_the_configured_time_zone,
};
pub use regressions_commit::{
    close_after_prepare_keeps_the_prepared_transactions, commit_survives_a_dead_coordinator_be,
    many_small_batches_keep_the_last_write_per_key,
};
pub use secrets::password_never_in_trace_logs_or_errors;
pub use text_data::{
    csv_text_with_separators_quotes_and_null_marker_round_trips,
    json_text_with_separators_quotes_and_null_marker_round_trips,
    plain_csv_refuses_a_value_containing_the_separator,
};
pub use types::every_type_round_trips;
pub use updates::{
    compression_on_and_off_load_the_same_rows, conditional_update_keeps_the_newer_row,
    partial_update_keeps_unnamed_columns, upserts_and_deletes_apply_in_order,
};
