//! Exactly-once mode against the emulator: streaming 2PC loads, commit/abort idempotency, the
//! redirect (no body to the FE), crash between prepare and commit, and recovery of lingering
//! transactions (by label and by the probing method).

mod common;

use common::*;
use streamload_core::{ErrorKind, LabelState, LoadProtocol};
use streamload_emulator::Listener;

#[tokio::test]
async fn prepare_then_commit_makes_rows_visible_once() {
    let emu = start().await;
    let table = dup_table(&emu, "t2pc").await;
    let doris = protocol(&emu);
    let generator = doris.label_generator().unwrap();
    let label = generator.label(&table, 1).unwrap();
    assert_eq!(label.as_str(), "it_test_t2pc_0_1");

    let mut txn = doris
        .begin(&table, Some(label.clone()), &csv(true, &[]))
        .await
        .unwrap();
    write_all(&mut txn, &["1\ta\n2\tb\n", "3\tc\n"]).await;
    let prepared = txn.prepare().await.unwrap();
    assert_eq!(prepared.report.rows_loaded, 3);
    assert!(prepared.prepared.txn_id.is_some());
    assert_eq!(
        doris.label_state("test", &label).await.unwrap(),
        LabelState::Precommitted
    );
    assert_eq!(
        table_text(&emu, "select count(*) from test.t2pc").await,
        "0"
    );

    doris.commit(&prepared.prepared).await.unwrap();
    doris
        .commit(&prepared.prepared)
        .await
        .expect("commit twice is fine");
    assert_eq!(
        table_text(&emu, "select id, name from test.t2pc order by id").await,
        "1,a;2,b;3,c"
    );
    assert!(
        doris
            .label_state("test", &label)
            .await
            .unwrap()
            .is_committed()
    );

    assert_no_body_reached_the_fe(&emu);
    let log = emu.request_log().entries();
    let load = log
        .iter()
        .find(|r| {
            matches!(r.listener, Listener::Be(_))
                && r.path.contains("/_stream_load")
                && r.body_bytes > 0
        })
        .expect("the load reached a BE");
    assert_eq!(load.header("transfer-encoding"), Some("chunked"));
    assert_eq!(load.header("label"), Some(label.as_str()));
}

#[tokio::test]
async fn abort_discards_and_commit_after_abort_is_data_loss() {
    let emu = start().await;
    let table = dup_table(&emu, "tabort").await;
    let doris = protocol(&emu);
    let label = label("it_test_tabort_0_1");
    let mut txn = doris
        .begin(&table, Some(label.clone()), &csv(true, &[]))
        .await
        .unwrap();
    write_all(&mut txn, &["1\ta\n"]).await;
    let prepared = txn.prepare().await.unwrap().prepared;
    doris.abort(&prepared).await.unwrap();
    doris.abort(&prepared).await.expect("abort twice is fine");
    let err = doris.commit(&prepared).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DataLoss, "{err}");
    assert_eq!(
        table_text(&emu, "select count(*) from test.tabort").await,
        "0"
    );
    // An aborted label may be reused.
    let mut txn = doris
        .begin(&table, Some(label), &csv(true, &[]))
        .await
        .unwrap();
    write_all(&mut txn, &["2\tb\n"]).await;
    let prepared = txn.prepare().await.unwrap().prepared;
    doris.commit(&prepared).await.unwrap();
    assert_eq!(table_text(&emu, "select id from test.tabort").await, "2");
}

#[tokio::test]
async fn crash_between_prepare_and_commit_then_recover() {
    let emu = start().await;
    let table = dup_table(&emu, "tcrash").await;
    let saved = {
        let doris = protocol(&emu);
        let label = doris.label_generator().unwrap().label(&table, 1).unwrap();
        let mut txn = doris
            .begin(&table, Some(label), &csv(true, &[]))
            .await
            .unwrap();
        write_all(&mut txn, &["1\ta\n", "2\tb\n"]).await;
        // The checkpoint stores `prepared` as JSON; then the process dies.
        serde_json::to_string(&txn.prepare().await.unwrap().prepared).unwrap()
    };
    let restored = serde_json::from_str(&saved).unwrap();
    let doris = protocol(&emu);
    doris.commit(&restored).await.unwrap();
    doris.commit(&restored).await.unwrap();
    assert_eq!(
        table_text(&emu, "select id, name from test.tcrash order by id").await,
        "1,a;2,b"
    );
}

async fn leave_lingering(
    emu: &streamload_emulator::EmulatorHandle,
    name: &str,
) -> streamload_core::Table {
    let table = dup_table(emu, name).await;
    let doris = protocol(emu);
    let generator = doris.label_generator().unwrap();
    // Checkpoint 1 committed, checkpoint 2 precommitted when the writer died.
    for seq in [1, 2] {
        let label = generator.label(&table, seq).unwrap();
        let mut txn = doris
            .begin(&table, Some(label), &csv(true, &[]))
            .await
            .unwrap();
        write_all(&mut txn, &[&format!("{seq}\tx\n")]).await;
        let prepared = txn.prepare().await.unwrap().prepared;
        if seq == 1 {
            doris.commit(&prepared).await.unwrap();
        }
    }
    table
}

#[tokio::test]
async fn lingering_transactions_are_aborted_by_label() {
    let emu = start().await;
    let table = leave_lingering(&emu, "tlinger").await;
    let doris = protocol(&emu);
    assert_eq!(doris.abort_lingering(&table, 2).await.unwrap(), 1);
    let label = doris.label_generator().unwrap().label(&table, 2).unwrap();
    assert_eq!(
        doris.label_state("test", &label).await.unwrap(),
        LabelState::Aborted
    );
    assert_eq!(table_text(&emu, "select id from test.tlinger").await, "1");
    // Restoring from checkpoint 0 would abort a committed label: that fails loudly.
    let err = doris.abort_lingering(&table, 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyCommitted, "{err}");
}

#[tokio::test]
async fn lingering_transactions_are_aborted_by_probing() {
    let emu = start().await;
    let table = leave_lingering(&emu, "tprobe").await;
    let doris = builder(&emu).with_abort_by_label(false).build().unwrap();
    assert_eq!(doris.abort_lingering(&table, 2).await.unwrap(), 1);
    let generator = doris.label_generator().unwrap();
    let label2 = generator.label(&table, 2).unwrap();
    assert_eq!(
        doris.label_state("test", &label2).await.unwrap(),
        LabelState::Aborted
    );
    // The probe of the free label 3 created an empty transaction and aborted it.
    let label3 = generator.label(&table, 3).unwrap();
    assert_eq!(
        doris.label_state("test", &label3).await.unwrap(),
        LabelState::Aborted
    );
    assert_eq!(table_text(&emu, "select id from test.tprobe").await, "1");
    let err = doris.abort_lingering(&table, 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyCommitted, "{err}");
}

#[tokio::test]
async fn a_held_label_is_reported_with_its_job_status() {
    let emu = start().await;
    let table = dup_table(&emu, "tlabel").await;
    let doris = protocol(&emu);
    let label = label("it_test_tlabel_0_1");
    let mut txn = doris
        .begin(&table, Some(label.clone()), &csv(true, &[]))
        .await
        .unwrap();
    write_all(&mut txn, &["1\ta\n"]).await;
    let _prepared = txn.prepare().await.unwrap();
    let mut again = doris
        .begin(&table, Some(label), &csv(true, &[]))
        .await
        .unwrap();
    let _ = again.write(bytes::Bytes::from_static(b"1\ta\n")).await;
    let err = again.prepare().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LabelAlreadyExists, "{err}");
    assert_eq!(err.context("existing_job_status"), Some("PRECOMMITTED"));
}

#[tokio::test]
async fn dropped_open_load_is_aborted() {
    let emu = start().await;
    let table = dup_table(&emu, "tdrop").await;
    let doris = protocol(&emu);
    let label = label("it_test_tdrop_0_1");
    let mut txn = doris
        .begin(&table, Some(label.clone()), &csv(true, &[]))
        .await
        .unwrap();
    write_all(&mut txn, &["1\ta\n"]).await;
    drop(txn);
    let mut state = LabelState::Prepare;
    for _ in 0..50 {
        state = doris.label_state("test", &label).await.unwrap();
        if matches!(state, LabelState::Aborted | LabelState::Unknown) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        matches!(state, LabelState::Aborted | LabelState::Unknown),
        "{state:?}"
    );
}

#[tokio::test]
async fn commit_falls_back_when_the_coordinator_is_down() {
    let emu = start().await;
    let table = dup_table(&emu, "tfallback").await;
    let doris = protocol(&emu);
    let label = label("it_test_tfallback_0_1");
    let mut txn = doris
        .begin(&table, Some(label), &csv(true, &[]))
        .await
        .unwrap();
    write_all(&mut txn, &["1\ta\n"]).await;
    let mut prepared = txn.prepare().await.unwrap().prepared;
    assert!(prepared.coordinator.is_some());
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    prepared.coordinator = Some(dead.local_addr().unwrap().to_string());
    drop(dead);
    doris.commit(&prepared).await.unwrap();
    assert_eq!(table_text(&emu, "select id from test.tfallback").await, "1");
}
