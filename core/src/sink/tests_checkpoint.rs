//! Checkpointed-mode driver tests against the recording protocol: prepare → commit, recovery
//! after crashes, abort on drop, and the outcome-unknown paths of prepare and commit.

use std::time::Duration;

use super::{Checkpoint, Sink};
use crate::config::{Delivery, SinkConfig, SinkConfigBuilder};
use crate::error::{Error, ErrorKind};
use crate::report::LabelState;
use crate::retry::RetryConfig;
use crate::row::Op;
use crate::table::Table;
use crate::testing::{Call, Recording, Step};

fn builder() -> SinkConfigBuilder {
    SinkConfig::builder()
        .with_label_prefix("app")
        .with_writer_id("w")
        .with_delivery(Delivery::Checkpointed)
        .with_chunk_bytes(8)
        .with_retry(RetryConfig {
            max_retries: 2,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            txn_limit_wait: Duration::from_secs(1),
        })
}

fn a() -> Table {
    Table::new("db", "a")
}

fn b() -> Table {
    Table::new("db", "b")
}

fn label(table: &str, seq: u64) -> String {
    format!("app_db_{table}_w_{seq}")
}

async fn write(sink: &mut Sink<Recording>, table: &Table, ids: std::ops::Range<i64>) {
    for id in ids {
        sink.write_values(table, Op::Upsert, &["id"], &[id.into()])
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn prepare_then_commit_makes_each_checkpoint_visible() {
    let protocol = Recording::new();
    let mut sink = Sink::recover(protocol.clone(), builder().build().unwrap(), None)
        .await
        .unwrap();
    write(&mut sink, &a(), 1..4).await;
    write(&mut sink, &b(), 1..3).await;
    let checkpoint = sink.prepare(1).await.unwrap();
    assert_eq!(checkpoint.prepared.len(), 2);
    assert_eq!(protocol.state(&label("a", 1)), LabelState::Precommitted);
    assert!(protocol.server().options[&label("a", 1)].two_phase);
    let stored = serde_json::to_string(&checkpoint).unwrap();
    let restored: Checkpoint = serde_json::from_str(&stored).unwrap();
    assert_eq!(restored, checkpoint);
    sink.commit(&restored).await.unwrap();
    sink.commit(&restored).await.unwrap();
    assert_eq!(protocol.visible_text(&label("a", 1)), "1\t0\n2\t0\n3\t0\n");
    assert_eq!(protocol.visible_text(&label("b", 1)), "1\t0\n2\t0\n");

    write(&mut sink, &a(), 4..5).await;
    let second = sink.prepare(2).await.unwrap();
    assert_eq!(second.prepared.len(), 1, "b had no rows in checkpoint 2");
    assert_eq!(second.prepared[0].label.as_str(), label("a", 2));
    assert!(second.tables.iter().all(|c| c.next_seq == 3));
    sink.commit(&second).await.unwrap();
    sink.close().await.unwrap();
}

#[tokio::test]
async fn recover_commits_the_checkpoint_and_aborts_what_followed() {
    let protocol = Recording::new();
    let config = builder().build().unwrap();
    let mut sink = Sink::recover(protocol.clone(), config.clone(), None)
        .await
        .unwrap();
    write(&mut sink, &a(), 1..3).await;
    let stored = sink.prepare(1).await.unwrap();
    write(&mut sink, &a(), 3..5).await;
    let _lost = sink.prepare(2).await.unwrap();
    write(&mut sink, &a(), 5..7).await;
    sink.flush().await.unwrap();
    // A crash: the process dies without closing; seq 3 is also left running on the server.
    std::mem::forget(sink);
    assert_eq!(protocol.state(&label("a", 2)), LabelState::Precommitted);
    assert_eq!(protocol.state(&label("a", 3)), LabelState::Prepare);

    let sink = Sink::recover(protocol.clone(), config, Some(stored))
        .await
        .unwrap();
    assert_eq!(protocol.visible_text(&label("a", 1)), "1\t0\n2\t0\n");
    assert_eq!(protocol.state(&label("a", 2)), LabelState::Aborted);
    assert_eq!(protocol.state(&label("a", 3)), LabelState::Aborted);
    let calls = protocol.calls();
    assert!(
        calls.contains(&Call::State(label("a", 5))),
        "probes past the gap"
    );
    assert!(
        !calls.contains(&Call::State(label("a", 6))),
        "stops after the gap"
    );
    drop(sink);
}

#[tokio::test]
async fn recover_cleans_configured_tables_before_any_checkpoint() {
    let protocol = Recording::new();
    protocol
        .server()
        .states
        .insert(label("a", 1), LabelState::Precommitted);
    let config = builder().with_tables(vec![a()]).build().unwrap();
    let _sink = Sink::recover(protocol.clone(), config, None).await.unwrap();
    assert_eq!(protocol.state(&label("a", 1)), LabelState::Aborted);
}

#[tokio::test]
async fn recover_fails_loudly_on_a_committed_label_after_the_checkpoint() {
    let protocol = Recording::new();
    let config = builder().with_tables(vec![a()]).build().unwrap();
    protocol
        .server()
        .states
        .insert(label("a", 1), LabelState::Visible);
    let err = Sink::recover(protocol.clone(), config, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyCommitted);
    assert_eq!(err.context("label"), Some(label("a", 1).as_str()));
}

#[tokio::test]
async fn dropping_the_sink_aborts_its_open_transactions() {
    let protocol = Recording::new();
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    write(&mut sink, &a(), 1..20).await;
    assert_eq!(protocol.state(&label("a", 1)), LabelState::Prepare);
    drop(sink);
    for _ in 0..100 {
        if protocol.state(&label("a", 1)) == LabelState::Aborted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(protocol.state(&label("a", 1)), LabelState::Aborted);
    assert!(protocol.calls().contains(&Call::TxnAbort(label("a", 1))));
}

#[tokio::test]
async fn prepare_with_an_unknown_outcome_asks_the_label() {
    let protocol = Recording::new();
    let lost = Error::new(ErrorKind::Timeout, "prepare timed out").outcome_unknown();
    protocol.fail(Step::Prepare, lost, true);
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    write(&mut sink, &a(), 1..3).await;
    let checkpoint = sink.prepare(1).await.unwrap();
    assert_eq!(checkpoint.prepared[0].txn_id, None);
    let lost_commit = Error::new(ErrorKind::Timeout, "commit timed out").outcome_unknown();
    protocol.fail(Step::Commit, lost_commit, true);
    sink.commit(&checkpoint).await.unwrap();
    assert_eq!(protocol.visible_text(&label("a", 1)), "1\t0\n2\t0\n");
}

#[tokio::test]
async fn a_write_whose_answer_was_lost_is_aborted_and_sent_again_whole() {
    for multi_load in [false, true] {
        let mut protocol = Recording::new();
        protocol.caps.multi_load_per_txn = multi_load;
        // The chunk reached the server, then the connection broke: its outcome is unknown.
        let lost = Error::new(ErrorKind::Unavailable, "BE went away").outcome_unknown();
        protocol.fail(Step::Write, lost, true);
        let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
        write(&mut sink, &a(), 1..4).await;
        let checkpoint = sink.prepare(1).await.expect("sent again");
        sink.commit(&checkpoint).await.unwrap();
        assert_eq!(
            protocol.visible_text(&label("a", 1)),
            "1\t0\n2\t0\n3\t0\n",
            "every row once (multi-load {multi_load})"
        );
        let calls = protocol.calls();
        let begins = calls.iter().filter(|c| matches!(c, Call::Begin(_))).count();
        let aborts = calls
            .iter()
            .filter(|c| matches!(c, Call::TxnAbort(_)))
            .count();
        assert_eq!((begins, aborts), (2, 1), "{calls:?}");
        assert!(sink.stats().retries >= 1);
    }
}

#[tokio::test]
async fn a_write_refused_for_good_fails_the_checkpoint_and_aborts() {
    let protocol = Recording::new();
    protocol.fail(
        Step::Write,
        Error::new(ErrorKind::DataQuality, "too many filtered rows"),
        false,
    );
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    write(&mut sink, &a(), 1..3).await;
    let err = sink.prepare(1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DataQuality);
    assert_eq!(protocol.state(&label("a", 1)), LabelState::Aborted);
    // The next checkpoint starts cleanly under the next label.
    write(&mut sink, &a(), 3..4).await;
    let checkpoint = sink.prepare(2).await.unwrap();
    assert_eq!(checkpoint.prepared[0].label.as_str(), label("a", 2));
}

#[tokio::test]
async fn checkpoint_ids_must_increase() {
    let mut sink = Sink::new(Recording::new(), builder().build().unwrap()).unwrap();
    sink.prepare(5).await.unwrap();
    let err = sink.prepare(5).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let batched = builder().with_delivery(Delivery::Batched).build().unwrap();
    let mut sink = Sink::new(Recording::new(), batched).unwrap();
    assert_eq!(sink.prepare(1).await.unwrap_err().kind(), ErrorKind::Config);
}

#[tokio::test]
async fn a_checkpoint_whose_load_failed_never_prepares_even_after_the_error_was_seen() {
    let protocol = Recording::new();
    protocol.fail(
        Step::Write,
        Error::new(ErrorKind::DataQuality, "too many filtered rows"),
        false,
    );
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    write(&mut sink, &a(), 1..3).await;
    // The failure is reported by flush; the application ignores it and prepares anyway.
    assert_eq!(
        sink.flush().await.unwrap_err().kind(),
        ErrorKind::DataQuality
    );
    let err = sink.prepare(1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DataLoss);
    write(&mut sink, &a(), 3..4).await;
    let checkpoint = sink.prepare(2).await.unwrap();
    sink.commit(&checkpoint).await.unwrap();
    assert_eq!(protocol.visible_text(&label("a", 2)), "3\t0\n");
}

#[tokio::test]
async fn multi_request_transactions_get_whole_chunks() {
    use std::io::Read;

    use crate::format::{Compression, Format, JsonFormat};
    let mut protocol = Recording::new();
    protocol.caps.multi_load_per_txn = true;
    let config = builder()
        .with_format(Format::Json(JsonFormat::Array))
        .with_compression(Compression::Lz4Frame)
        .with_chunk_bytes(40)
        .build()
        .unwrap();
    let mut sink = Sink::new(protocol.clone(), config).unwrap();
    write(&mut sink, &a(), 0..10).await;
    let checkpoint = sink.prepare(1).await.unwrap();
    sink.commit(&checkpoint).await.unwrap();
    let chunks = protocol.server().chunks[&label("a", 1)].clone();
    assert!(chunks.len() > 1, "{} chunks", chunks.len());
    let mut ids = Vec::new();
    for chunk in chunks {
        let mut text = String::new();
        lz4_flex::frame::FrameDecoder::new(&chunk[..])
            .read_to_string(&mut text)
            .unwrap();
        let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        ids.extend(rows.iter().map(|r| r["id"].as_i64().unwrap()));
    }
    assert_eq!(ids, (0..10).collect::<Vec<_>>());
}

#[tokio::test]
async fn txn_limit_at_prepare_begins_the_label_again_and_resends_every_chunk() {
    let protocol = Recording::new();
    for _ in 0..3 {
        let refused = Error::new(ErrorKind::TxnLimit, "too many running txns").temporary();
        protocol.fail(Step::Prepare, refused, false);
    }
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    write(&mut sink, &a(), 1..6).await;
    let checkpoint = sink.prepare(1).await.unwrap();
    assert_eq!(checkpoint.prepared[0].label.as_str(), label("a", 1));
    sink.commit(&checkpoint).await.unwrap();
    assert_eq!(
        protocol.visible_text(&label("a", 1)),
        "1\t0\n2\t0\n3\t0\n4\t0\n5\t0\n"
    );
    let prepares = protocol
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::Prepare(_)))
        .count();
    assert_eq!(prepares, 4);
    assert!(sink.stats().retries >= 3, "{:?}", sink.stats());
    sink.close().await.unwrap();
}

#[tokio::test]
async fn txn_limit_at_prepare_fails_when_memory_pressure_dropped_the_chunks() {
    let protocol = Recording::new();
    let refused = Error::new(ErrorKind::TxnLimit, "too many running txns").temporary();
    protocol.fail(Step::Prepare, refused, false);
    // A budget of two chunks: writers wait for memory, so nothing can be kept for a resend.
    let config = builder().with_memory_budget(16).build().unwrap();
    let mut sink = Sink::new(protocol.clone(), config).unwrap();
    write(&mut sink, &a(), 1..40).await;
    let err = sink.prepare(1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TxnLimit, "{err}");
    assert_eq!(protocol.visible_text(&label("a", 1)), "");
}

#[tokio::test]
async fn chunks_of_a_transaction_begun_by_its_own_request_are_kept_up_to_a_sixteenth() {
    // Several loads per transaction: a refusal comes at begin, so sent chunks are kept only
    // for a lost load, up to a sixteenth of the budget; past it their memory returns at once.
    let mut protocol = Recording::new();
    protocol.caps.multi_load_per_txn = true;
    let config = builder().with_memory_budget(1024).build().unwrap();
    let mut sink = Sink::new(protocol.clone(), config).unwrap();
    write(&mut sink, &a(), 1..10).await;
    sink.flush().await.unwrap();
    assert!(sink.shared.budget.available() < 1024, "kept for a resend");
    write(&mut sink, &a(), 10..60).await;
    sink.flush().await.unwrap();
    assert_eq!(
        sink.shared.budget.available(),
        1024,
        "past the cap: not kept"
    );
    let checkpoint = sink.prepare(1).await.unwrap();
    sink.commit(&checkpoint).await.unwrap();

    // One streaming request per transaction: the sent chunks stay charged until prepare.
    let protocol = Recording::new();
    let config = builder().with_memory_budget(1 << 20).build().unwrap();
    let mut sink = Sink::new(protocol.clone(), config).unwrap();
    write(&mut sink, &a(), 1..40).await;
    sink.flush().await.unwrap();
    assert!(sink.shared.budget.available() < 1 << 20);
    let checkpoint = sink.prepare(1).await.unwrap();
    assert_eq!(sink.shared.budget.available(), 1 << 20);
    sink.commit(&checkpoint).await.unwrap();
}
