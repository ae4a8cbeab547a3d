//! The database's running-transaction limit (`max_running_txn_num_per_db`): a load that meets it
//! fails with a temporary `TxnLimit` error, whichever step sees the BE's answer (a write that
//! finds the load already ended, prepare, finish), in every mode, so the caller can wait for a
//! free slot and load again under the same label.

mod common;

use bytes::Bytes;
use common::*;
use streamload_core::{
    Error, ErrorKind, LabelState, LoadProtocol, RetryStatus, Table, Transaction,
};
use streamload_doris::{DorisProtocol, GroupCommitMode};

/// Limits the database to one running transaction and holds it with an open two-phase load.
async fn hold_the_only_slot(
    emu: &streamload_emulator::EmulatorHandle,
    table: &Table,
) -> Box<dyn Transaction> {
    sql(
        emu,
        "ADMIN SET FRONTEND CONFIG (\"max_running_txn_num_per_db\" = \"1\")",
    )
    .await;
    let blocker = protocol(emu);
    let mut txn = blocker
        .begin(table, Some(label("it_test_blocker_0_1")), &csv(true, &[]))
        .await
        .unwrap();
    write_all(&mut txn, &["100\tblocker\n"]).await;
    for _ in 0..100 {
        if !emu.engine().running_txns("test").is_empty() {
            return txn;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the blocker holds no transaction");
}

/// Loads one row and ends the load the way the mode does; returns its first error.
async fn limited(doris: &DorisProtocol, table: &Table, two_phase: bool) -> Error {
    let label = match doris.capabilities().server_batched {
        true => None,
        false => Some(doris.label_generator().unwrap().label(table, 1).unwrap()),
    };
    let mut txn = doris
        .begin(table, label, &csv(two_phase, &[]))
        .await
        .expect("begin only opens the request");
    let written = txn.write(Bytes::from_static(b"1\ta\n")).await;
    let ended = match two_phase {
        true => txn.prepare().await.map(drop),
        false => txn.finish().await.map(drop),
    };
    if let Err(e) = &written {
        let ended = ended
            .as_ref()
            .expect_err("a failed write fails the end too");
        assert_eq!(ended.kind(), e.kind(), "{ended}");
    }
    match (written, ended) {
        (Err(e), _) | (Ok(()), Err(e)) => e,
        (Ok(()), Ok(())) => panic!("a load past the running-transaction limit succeeded"),
    }
}

fn assert_txn_limit(err: &Error) {
    assert_eq!(err.kind(), ErrorKind::TxnLimit, "{err}");
    assert_eq!(err.retry_status(), RetryStatus::Temporary, "{err}");
    assert!(err.message().contains("larger than limit"), "{err}");
}

#[tokio::test]
async fn two_phase_load_past_the_limit_is_a_temporary_txn_limit() {
    let emu = start().await;
    let table = dup_table(&emu, "tlimit2pc").await;
    let blocker = hold_the_only_slot(&emu, &table).await;
    let doris = protocol(&emu);
    assert_txn_limit(&limited(&doris, &table, true).await);
    // Once the slot is free, the same label loads.
    blocker.abort().await.unwrap();
    let label = doris.label_generator().unwrap().label(&table, 1).unwrap();
    let mut txn = doris
        .begin(&table, Some(label.clone()), &csv(true, &[]))
        .await
        .unwrap();
    write_all(&mut txn, &["1\ta\n"]).await;
    doris
        .commit(&txn.prepare().await.unwrap().prepared)
        .await
        .unwrap();
    assert!(
        doris
            .label_state("test", &label)
            .await
            .unwrap()
            .is_committed()
    );
    assert_eq!(table_text(&emu, "select id from test.tlimit2pc").await, "1");
}

#[tokio::test]
async fn batch_load_past_the_limit_is_a_temporary_txn_limit() {
    let emu = start().await;
    let table = dup_table(&emu, "tlimitbatch").await;
    let _blocker = hold_the_only_slot(&emu, &table).await;
    let doris = builder(&emu).with_batch_mode(true).build().unwrap();
    assert_txn_limit(&limited(&doris, &table, false).await);
    let label = doris.label_generator().unwrap().label(&table, 1).unwrap();
    assert_ne!(
        doris.label_state("test", &label).await.unwrap(),
        LabelState::Visible
    );
}

#[tokio::test]
async fn group_commit_past_the_limit_is_a_temporary_txn_limit() {
    let emu = start().await;
    let table = dup_table(&emu, "tlimitgroup").await;
    let _blocker = hold_the_only_slot(&emu, &table).await;
    let doris = builder(&emu)
        .with_group_commit(GroupCommitMode::Sync)
        .build()
        .unwrap();
    assert_txn_limit(&limited(&doris, &table, false).await);
}
