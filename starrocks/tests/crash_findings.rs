//! Regressions found by dropping answers of V2 transaction calls: a lost `prepare` answer is
//! settled by the label state instead of failing the checkpoint, a stored checkpoint commits any
//! number of times (also once the server forgot it), and the label polling after a lost commit
//! answer follows `sink.check-label-state.timeout-ms`.

mod support;

use std::time::Duration;

use serde::Serialize;
use streamload_core::{Checkpoint, Delivery, Op, Sink, SinkConfig, Table};
use streamload_emulator::{EmulatorHandle, FaultAction, FaultRule, Listener};
use streamload_starrocks::{StarRocksProtocol, StarRocksSink};
use support::emu;

#[derive(Serialize)]
struct Score {
    id: i32,
    name: &'static str,
    score: i32,
}

async fn exactly_once(
    emu: &EmulatorHandle,
    checkpoint: Option<Checkpoint>,
) -> Sink<StarRocksProtocol> {
    StarRocksSink::builder()
        .with_protocol(emu::builder(emu))
        .with_sink_config(
            SinkConfig::builder()
                .with_delivery(Delivery::Checkpointed)
                .with_label_prefix("crash"),
        )
        .recover(checkpoint)
        .await
        .expect("sink recovers")
}

async fn write_ids(sink: &mut Sink<StarRocksProtocol>, ids: std::ops::Range<i32>) {
    let table = Table::new("test", "score_board");
    for id in ids {
        let row = Score {
            id,
            name: "x",
            score: id,
        };
        sink.write(&table, Op::Upsert, &row).await.expect("write");
    }
}

async fn count(emu: &EmulatorHandle) -> String {
    emu::rows(emu, "select count(*) from test.score_board").await[0][0].clone()
}

/// One fault on the next `POST` to `path` at `listener` (the FE redirects transaction calls to
/// the coordinator BE, which runs them).
fn lose(emu: &EmulatorHandle, listener: Listener, path: &str, action: FaultAction) {
    emu.faults()
        .add(FaultRule::new(path, 1, action).on(listener).method("POST"));
}

#[tokio::test]
async fn a_lost_prepare_answer_is_settled_not_a_failed_checkpoint() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let mut sink = exactly_once(&emu, None).await;
    // The prepare ran on the server, its answer was lost.
    write_ids(&mut sink, 0..3).await;
    lose(
        &emu,
        Listener::Be(0),
        "/api/transaction/prepare",
        FaultAction::LoseResponse,
    );
    let first = sink
        .prepare(1)
        .await
        .expect("PREPARED settles the lost answer");
    let faulted = |path: &str| {
        emu.request_log()
            .entries()
            .iter()
            .filter(|r| r.path.contains(path) && r.fault.is_some())
            .count()
    };
    assert_eq!(
        faulted("/api/transaction/prepare"),
        1,
        "the BE ran it, the answer was lost"
    );
    sink.commit(&first).await.unwrap();
    // The prepare never arrived: the label is still PREPARE and is prepared again.
    write_ids(&mut sink, 3..5).await;
    lose(
        &emu,
        Listener::Fe,
        "/api/transaction/prepare",
        FaultAction::Reset,
    );
    let second = sink.prepare(2).await.expect("PREPARE is prepared again");
    assert_eq!(faulted("/api/transaction/prepare"), 2);
    sink.commit(&second).await.unwrap();
    assert_eq!(count(&emu).await, "5");

    // The last stored checkpoint stays recoverable, also after the server forgot its labels.
    drop(sink);
    for _ in 0..3 {
        drop(exactly_once(&emu, Some(second.clone())).await);
    }
    emu.engine()
        .advance_clock(Duration::from_secs(4 * 24 * 3600));
    let sink = exactly_once(&emu, Some(second.clone())).await;
    assert_eq!(sink.stats().forgotten_commits, 1);
    assert_eq!(count(&emu).await, "5");
}

#[tokio::test]
async fn polling_a_label_after_a_lost_commit_follows_the_option() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let protocol = emu::builder(&emu)
        .with_option("sink.check-label-state.timeout-ms", "300")
        .unwrap();
    let mut sink = StarRocksSink::builder()
        .with_protocol(protocol)
        .with_sink_config(
            SinkConfig::builder()
                .with_delivery(Delivery::Batched)
                .with_label_prefix("poll"),
        )
        .connect()
        .await
        .unwrap();
    write_ids(&mut sink, 0..4).await;
    // The one-phase commit never arrives: the label stays PREPARE while it is polled.
    lose(
        &emu,
        Listener::Fe,
        "/api/transaction/commit",
        FaultAction::Reset,
    );
    sink.flush()
        .await
        .expect("the batch is loaded after the lost commit");
    assert_eq!(count(&emu).await, "4");
    let polls = emu
        .request_log()
        .entries()
        .iter()
        .filter(|r| r.path.contains("get_load_state"))
        .count();
    assert!(
        (1..=4).contains(&polls),
        "a 300 ms budget polls a few times, not for 45 s: {polls} polls"
    );
}

#[tokio::test]
async fn a_lost_load_answer_rolls_back_and_sends_the_transaction_again() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let mut sink = exactly_once(&emu, None).await;
    write_ids(&mut sink, 0..6).await;
    // The BE loaded the body and the answer was lost: whether the rows are in the transaction
    // cannot be known, so it is rolled back and sent again whole.
    emu.faults().add(
        FaultRule::new("/api/transaction/load", 1, FaultAction::LoseResponse)
            .on(Listener::Be(0))
            .method("PUT"),
    );
    let checkpoint = sink.prepare(1).await.expect("sent again, then prepared");
    sink.commit(&checkpoint).await.unwrap();
    assert_eq!(count(&emu).await, "6");
    let loads = emu
        .request_log()
        .entries()
        .iter()
        .filter(|r| r.path.contains("/api/transaction/load"))
        .count();
    assert_eq!(loads, 2, "one lost load, one resend");
    assert!(sink.stats().retries >= 1);
}
