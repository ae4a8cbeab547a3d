//! The macro that stamps one `#[tokio::test]` per case for a target, and the start function
//! it calls.
//!
//! The case list lives here, once: a new case is added to its file in `cases/` and to this list,
//! and every target runs it.

use crate::failure::Result;
use crate::modes::Mode;
use crate::target::Target;

/// Starts a fresh emulator target for `mode` and `case` (never skips).
pub async fn emulated(mode: Mode, case: &str) -> Result<Option<Box<dyn Target>>> {
    crate::cluster::emulated(mode, case).await.map(Some)
}

/// Stamps one `#[tokio::test]` per case. `$start` is an async fn
/// `(Mode, &str) -> Result<Option<Box<dyn Target>>>` (`emulated` or `real`); `None` skips.
#[macro_export]
macro_rules! conformance_suite {
    ($start:path, $mode:expr) => {
        $crate::conformance_suite!(@cases $start, $mode;
            every_type_round_trips,
            many_tables_in_one_sink,
            flush_by_rows,
            flush_by_bytes,
            flush_by_age,
            empty_flush_sends_nothing,
            row_larger_than_a_chunk,
            csv_text_with_separators_quotes_and_null_marker_round_trips,
            json_text_with_separators_quotes_and_null_marker_round_trips,
            plain_csv_refuses_a_value_containing_the_separator,
            upserts_and_deletes_apply_in_order,
            partial_update_keeps_unnamed_columns,
            conditional_update_keeps_the_newer_row,
            compression_on_and_off_load_the_same_rows,
            wrong_password_is_unauthorized,
            unknown_table_is_not_found,
            rejected_rows_carry_the_server_reason,
            label_reuse_is_detected,
            commit_twice_is_idempotent,
            abort_after_prepare_discards,
            crash_before_prepare_then_recover,
            crash_mid_stream_then_recover,
            crash_after_prepare_before_commit_then_recover,
            crash_after_commit_then_recover,
            password_never_in_trace_logs_or_errors,
            table_added_after_the_last_checkpoint_is_cleaned_up_on_recover,
            recovery_from_a_stale_checkpoint_fails_loudly,
            expired_transaction_on_commit_is_a_clear_error,
            running_txn_limit_is_waited_out,
            timestamps_are_written_in_the_configured_time_zone,
            load_reset_before_the_body_is_retried_under_the_same_label,
            retry_keeps_label_after_lost_response,
            be_dying_mid_stream_then_recover,
            fe_down_and_back_up_is_waited_out,
            fail_status_spelled_FAILED_is_not_success,
            unknown_status_fails_closed,
            commit_answered_5xx_is_settled_by_label_state,
            slow_answer_past_the_read_timeout_is_settled_by_label_state,
            fe_failover_uses_the_next_fe,
            close_after_prepare_keeps_the_prepared_transactions,
            commit_survives_a_dead_coordinator_be,
            many_small_batches_keep_the_last_write_per_key,
        );
    };
    (@cases $start:path, $mode:expr; $($case:ident),* $(,)?) => {$(
        #[tokio::test]
        #[allow(non_snake_case)]
        async fn $case() -> ::std::result::Result<(), $crate::Failure> {
            let Some(target) = $start($mode, stringify!($case)).await? else {
                return Ok(());
            };
            let name = target.name().to_owned();
            let result = $crate::cases::$case(&*target).await;
            target.finish().await;
            result.map_err(|e| e.context(format!("{} on {}", stringify!($case), name)))
        }
    )*};
}
