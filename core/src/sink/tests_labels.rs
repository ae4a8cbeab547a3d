//! Label-reuse tests against the recording protocol: a committed label met on a first attempt
//! is an error (never silently skipped) whatever retry status the vendor gives `Label Already
//! Exists` and wherever it reports it (begin or the final answer), resume mode skips it in both
//! places, and a label a crashed run left in prepare / precommitted is aborted and reused.

use super::Sink;
use super::tests::{builder, label, write_rows};
use crate::error::{Error, ErrorKind, RetryStatus};
use crate::report::LabelState;
use crate::testing::{Call, Recording, Step};

/// A single-request server on which an earlier run committed `label(1)`.
fn committed_by_an_earlier_run(status: RetryStatus) -> Recording {
    let protocol = Recording::new();
    let mut server = protocol.server();
    server.label_exists_at_finish = Some(status);
    server.states.insert(label(1), LabelState::Visible);
    server.visible.insert(label(1), b"earlier\n".to_vec());
    drop(server);
    protocol
}

#[tokio::test]
async fn label_exists_at_finish_on_a_first_attempt_is_an_error_whatever_its_retry_status() {
    for status in [
        RetryStatus::OutcomeUnknown,
        RetryStatus::Temporary,
        RetryStatus::Permanent,
    ] {
        let protocol = committed_by_an_earlier_run(status);
        let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
        write_rows(&mut sink, 1..2).await;
        let err = sink.flush().await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::LabelAlreadyExists,
            "{status:?}: {err}"
        );
        assert_eq!(err.context("label"), Some(label(1).as_str()));
        assert_eq!(sink.stats().loads_skipped, 0, "{status:?}");
        assert_eq!(sink.stats().loads_failed, 1, "{status:?}");
        assert_eq!(protocol.visible_text(&label(1)), "earlier\n");
    }
}

#[tokio::test]
async fn label_exists_at_begin_with_an_unknown_outcome_status_is_an_error_on_a_first_attempt() {
    let protocol = Recording::new();
    protocol
        .server()
        .states
        .insert(label(1), LabelState::Visible);
    let refused =
        Error::new(ErrorKind::LabelAlreadyExists, "Label Already Exists").outcome_unknown();
    protocol.fail(Step::Begin, refused, false);
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    write_rows(&mut sink, 1..2).await;
    let err = sink.flush().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LabelAlreadyExists, "{err}");
    assert_eq!(sink.stats().loads_skipped, 0);
}

#[tokio::test]
async fn label_exists_after_our_own_unknown_outcome_is_already_loaded() {
    let protocol = Recording::new();
    protocol.server().label_exists_at_finish = Some(RetryStatus::Permanent);
    // Our first attempt committed but its answer was lost.
    let lost = Error::new(ErrorKind::Timeout, "read timed out").outcome_unknown();
    protocol.fail(Step::Finish, lost, true);
    // The label-state query cannot tell yet (the server is slow to publish), so the batch is
    // sent again and meets its own label.
    protocol.server().stale_states = 1;
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    write_rows(&mut sink, 1..2).await;
    sink.flush().await.unwrap();
    let finishes = protocol
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::Finish(_)))
        .count();
    assert_eq!(finishes, 2);
    assert_eq!(sink.stats().loads_skipped, 1);
    assert_eq!(protocol.visible_text(&label(1)), "1\tn1\t0\n");
}

#[tokio::test]
async fn resume_mode_skips_a_label_reported_existing_at_finish() {
    let protocol = committed_by_an_earlier_run(RetryStatus::Permanent);
    let config = builder()
        .with_skip_loaded_batches(true)
        .with_max_rows(1)
        .build()
        .unwrap();
    let mut sink = Sink::new(protocol.clone(), config).unwrap();
    write_rows(&mut sink, 1..3).await;
    sink.flush().await.unwrap();
    assert_eq!(sink.stats().loads_skipped, 1);
    assert_eq!(protocol.visible_text(&label(1)), "earlier\n");
    assert_eq!(protocol.visible_text(&label(2)), "2\tn2\t0\n");
}

#[tokio::test]
async fn a_label_left_precommitted_by_a_crashed_run_is_aborted_and_reused() {
    for left in [LabelState::Prepare, LabelState::Precommitted] {
        let protocol = Recording::new();
        protocol.server().states.insert(label(1), left);
        let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
        write_rows(&mut sink, 1..2).await;
        sink.flush().await.unwrap();
        let calls = protocol.calls();
        let abort_at = calls.iter().position(|c| c == &Call::Abort(label(1)));
        let last_begin = calls.iter().rposition(|c| c == &Call::Begin(label(1)));
        assert!(
            abort_at.is_some() && abort_at < last_begin,
            "{left:?}: {calls:?}"
        );
        assert_eq!(protocol.visible_text(&label(1)), "1\tn1\t0\n", "{left:?}");
        assert_eq!(sink.stats().loads_skipped, 0);
    }
}
