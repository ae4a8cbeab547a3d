//! Batched-mode retry tests against the recording protocol: the label-state decisions after
//! outcome-unknown failures and `LabelAlreadyExists`, resume mode, `TxnLimit` waits.

use super::Sink;
use super::tests::{builder, label, write_rows};
use crate::error::{Error, ErrorKind};
use crate::report::LabelState;
use crate::testing::{Call, Recording, Step};

#[tokio::test]
async fn unknown_outcome_with_a_visible_label_is_not_loaded_twice() {
    let protocol = Recording::new();
    let lost_answer = Error::new(ErrorKind::Timeout, "read timed out").outcome_unknown();
    protocol.fail(Step::Finish, lost_answer, true);
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    write_rows(&mut sink, 1..3).await;
    sink.flush().await.unwrap();
    let begins = protocol
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::Begin(_)))
        .count();
    assert_eq!(begins, 1);
    assert!(protocol.calls().contains(&Call::State(label(1))));
    assert_eq!(protocol.visible_text(&label(1)), "1\tn1\t0\n2\tn2\t0\n");
    assert_eq!(sink.stats().loads_skipped, 1);
}

#[tokio::test]
async fn unknown_outcome_with_an_aborted_label_retries_the_same_label() {
    let protocol = Recording::new();
    let reset = Error::new(ErrorKind::Unavailable, "connection reset").outcome_unknown();
    protocol.fail(Step::Finish, reset, false);
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    write_rows(&mut sink, 1..2).await;
    sink.flush().await.unwrap();
    let begins: Vec<_> = protocol
        .calls()
        .into_iter()
        .filter(|c| matches!(c, Call::Begin(_)))
        .collect();
    assert_eq!(begins, [Call::Begin(label(1)), Call::Begin(label(1))]);
    assert_eq!(protocol.visible_text(&label(1)), "1\tn1\t0\n");
    assert_eq!(sink.stats().retries, 1);
}

#[tokio::test]
async fn unknown_begin_outcome_with_an_open_label_aborts_then_retries() {
    let protocol = Recording::new();
    let timeout = Error::new(ErrorKind::Timeout, "begin timed out").outcome_unknown();
    protocol.fail(Step::Begin, timeout, true);
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    write_rows(&mut sink, 1..2).await;
    sink.flush().await.unwrap();
    let calls = protocol.calls();
    let abort_at = calls
        .iter()
        .position(|c| c == &Call::Abort(label(1)))
        .unwrap();
    let second_begin = calls
        .iter()
        .rposition(|c| c == &Call::Begin(label(1)))
        .unwrap();
    assert!(abort_at < second_begin, "{calls:?}");
    assert_eq!(protocol.visible_text(&label(1)), "1\tn1\t0\n");
}

#[tokio::test]
async fn a_first_attempt_never_takes_a_committed_label_as_done() {
    let protocol = Recording::new();
    protocol
        .server()
        .states
        .insert(label(1), LabelState::Visible);
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    write_rows(&mut sink, 1..2).await;
    let err = sink.flush().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LabelAlreadyExists);
    assert_eq!(err.context("label"), Some(label(1).as_str()));
    assert_eq!(sink.stats().loads_failed, 1);
}

#[tokio::test]
async fn resume_mode_skips_batches_already_loaded() {
    let protocol = Recording::new();
    protocol
        .server()
        .states
        .insert(label(1), LabelState::Visible);
    let config = builder()
        .with_skip_loaded_batches(true)
        .with_max_rows(1)
        .build()
        .unwrap();
    let mut sink = Sink::new(protocol.clone(), config).unwrap();
    write_rows(&mut sink, 1..3).await;
    sink.flush().await.unwrap();
    assert_eq!(sink.stats().loads_skipped, 1);
    assert_eq!(protocol.visible_text(&label(2)), "2\tn2\t0\n");
}

#[tokio::test]
async fn batch_sequence_start_moves_the_labels() {
    let protocol = Recording::new();
    let config = builder().with_batch_sequence_start(1000).build().unwrap();
    let mut sink = Sink::new(protocol.clone(), config).unwrap();
    write_rows(&mut sink, 1..2).await;
    sink.flush().await.unwrap();
    assert_eq!(protocol.visible_text(&label(1000)), "1\tn1\t0\n");
}

#[tokio::test(start_paused = true)]
async fn txn_limit_is_waited_out_beyond_max_retries() {
    let protocol = Recording::new();
    for _ in 0..6 {
        let busy = Error::new(ErrorKind::TxnLimit, "too many running txns").temporary();
        protocol.fail(Step::Begin, busy, false);
    }
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    write_rows(&mut sink, 1..2).await;
    sink.flush().await.unwrap();
    assert_eq!(protocol.visible_text(&label(1)), "1\tn1\t0\n");
    assert_eq!(sink.stats().retries, 6);
}

#[tokio::test]
async fn permanent_errors_fail_the_batch_and_surface_on_flush() {
    let protocol = Recording::new();
    let rejected = Error::new(ErrorKind::DataQuality, "too many filtered rows");
    protocol.fail(Step::Finish, rejected, false);
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    write_rows(&mut sink, 1..2).await;
    let err = sink.flush().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DataQuality);
    assert_eq!(err.context("table"), Some("db.t"));
    assert_eq!(sink.stats().loads_failed, 1);
    // The failure is reported once; the sink keeps working.
    write_rows(&mut sink, 2..3).await;
    sink.flush().await.unwrap();
    assert_eq!(protocol.visible_text(&label(2)), "2\tn2\t0\n");
}
