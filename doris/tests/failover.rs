//! Commit and abort when the BE that ran a load accepts connections and then drops them: the
//! call goes on to the other nodes, and a call whose answer was lost is settled by the label's
//! state instead of failing or being repeated blindly.

mod common;

use common::*;
use streamload_core::{ErrorKind, LabelState, LoadProtocol, Prepared, RetryStatus};
use streamload_emulator::{EmulatorHandle, FaultAction, FaultRule, Listener};

/// Loads one row two-phase into `table` and returns the precommitted load.
async fn precommit(
    emu: &EmulatorHandle,
    name: &str,
) -> (streamload_doris::DorisProtocol, Prepared) {
    let table = dup_table(emu, name).await;
    let doris = protocol(emu);
    let label = doris.label_generator().unwrap().label(&table, 1).unwrap();
    let mut txn = doris
        .begin(&table, Some(label), &csv(true, &[]))
        .await
        .unwrap();
    write_all(&mut txn, &["1\ta\n"]).await;
    let prepared = txn.prepare().await.unwrap().prepared;
    (doris, prepared)
}

/// The index of the BE that coordinated `prepared`.
fn coordinator_index(emu: &EmulatorHandle, prepared: &Prepared) -> usize {
    let coordinator = prepared
        .coordinator
        .as_deref()
        .expect("coordinator recorded");
    emu.be_urls()
        .iter()
        .position(|u| u.ends_with(coordinator))
        .expect("the coordinator is one of the BEs")
}

/// Every later 2PC call to BE `index` is accepted and then dropped without an answer.
fn drop_2pc_calls(emu: &EmulatorHandle, index: usize) {
    emu.faults()
        .add(FaultRule::new("_stream_load_2pc", 1000, FaultAction::Reset).on(Listener::Be(index)));
}

fn dropped_calls(emu: &EmulatorHandle, index: usize) -> usize {
    emu.request_log()
        .entries()
        .iter()
        .filter(|r| r.listener == Listener::Be(index) && r.status == 0)
        .count()
}

#[tokio::test]
async fn commit_goes_past_a_coordinator_that_drops_connections() {
    let emu = start_with(|c| c.backends = 2).await;
    let (doris, prepared) = precommit(&emu, "tdropper").await;
    let dead = coordinator_index(&emu, &prepared);
    drop_2pc_calls(&emu, dead);

    doris.commit(&prepared).await.expect("another BE commits");
    assert!(
        dropped_calls(&emu, dead) >= 1,
        "the coordinator was asked first"
    );
    assert_eq!(table_text(&emu, "select id from test.tdropper").await, "1");
    assert!(
        doris
            .label_state("test", &prepared.label)
            .await
            .unwrap()
            .is_committed()
    );
    // Repeating the commit (a retry after a lost answer) is still a success.
    doris.commit(&prepared).await.expect("commit again");
}

#[tokio::test]
async fn a_commit_whose_answer_was_lost_is_settled_by_the_label_state() {
    let emu = start().await;
    let (doris, prepared) = precommit(&emu, "tlost").await;
    // The commit ran, but every answer is lost from now on: only the label state can tell.
    doris.commit(&prepared).await.unwrap();
    drop_2pc_calls(&emu, 0);
    doris
        .commit(&prepared)
        .await
        .expect("a committed label settles the dropped call");
    assert!(dropped_calls(&emu, 0) >= 1);
    assert_eq!(table_text(&emu, "select id from test.tlost").await, "1");
}

#[tokio::test]
async fn a_commit_no_node_can_run_stays_precommitted_and_unknown() {
    // One BE, dropping every 2PC call: nothing can run the commit (an FE only redirects it).
    let emu = start().await;
    let (doris, prepared) = precommit(&emu, "tnobody").await;
    drop_2pc_calls(&emu, 0);
    let err = doris.commit(&prepared).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert_eq!(err.retry_status(), RetryStatus::OutcomeUnknown, "{err}");
    assert!(err.context("nodes_tried").is_some(), "{err}");
    assert_eq!(
        doris.label_state("test", &prepared.label).await.unwrap(),
        LabelState::Precommitted
    );
    // Once the BE answers again, the same commit goes through.
    emu.faults().clear();
    doris.commit(&prepared).await.unwrap();
    assert_eq!(table_text(&emu, "select id from test.tnobody").await, "1");
}

#[tokio::test]
async fn abort_goes_past_a_coordinator_that_drops_connections() {
    let emu = start_with(|c| c.backends = 2).await;
    let (doris, prepared) = precommit(&emu, "tabortdrop").await;
    drop_2pc_calls(&emu, coordinator_index(&emu, &prepared));
    doris.abort(&prepared).await.expect("another BE aborts");
    assert_eq!(
        doris.label_state("test", &prepared.label).await.unwrap(),
        LabelState::Aborted
    );
    let err = doris.commit(&prepared).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DataLoss, "{err}");
}

#[tokio::test]
async fn sink_commit_survives_a_coordinator_that_drops_connections() {
    #[derive(serde::Serialize)]
    struct Row<'a> {
        id: i32,
        name: &'a str,
    }
    let emu = start_with(|c| c.backends = 2).await;
    let table = dup_table(&emu, "tsinkdrop").await;
    let mut sink = streamload_doris::DorisSink::builder()
        .with_protocol(builder(&emu))
        .with_label_prefix("failover")
        .recover(None)
        .await
        .unwrap();
    for id in 1..=3 {
        sink.write(&table, streamload_core::Op::Upsert, &Row { id, name: "d" })
            .await
            .unwrap();
    }
    let checkpoint = sink.prepare(1).await.unwrap();
    let dead = coordinator_index(&emu, &checkpoint.prepared[0]);
    drop_2pc_calls(&emu, dead);
    sink.commit(&checkpoint)
        .await
        .expect("the commit goes past the dead BE");
    emu.faults().clear();
    sink.close().await.unwrap();
    assert!(dropped_calls(&emu, dead) >= 1);
    assert_eq!(
        table_text(&emu, "select id, name from test.tsinkdrop order by id").await,
        "1,d;2,d;3,d"
    );
}
