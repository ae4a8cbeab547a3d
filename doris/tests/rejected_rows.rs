//! A load the server fails for its data is a `DataQuality` error that carries the first rejected
//! rows and their reasons from the BE's error log, in every mode: two-phase prepare, batch
//! finish and group commit.

mod common;

use bytes::Bytes;
use common::*;
use streamload_core::{Error, ErrorKind, LoadProtocol, Table};
use streamload_doris::{DorisProtocol, GroupCommitMode};

/// The second row has one column of two: every mode rejects it.
const BODY: &[u8] = b"1\ta\nnot-a-number-xyz\n";

/// Streams `BODY` and ends the load the way the mode does; returns its error.
async fn rejected(doris: &DorisProtocol, table: &Table, two_phase: bool) -> Error {
    let label = match doris.capabilities().server_batched {
        true => None,
        false => Some(doris.label_generator().unwrap().label(table, 1).unwrap()),
    };
    let mut txn = doris
        .begin(table, label, &csv(two_phase, &[]))
        .await
        .unwrap();
    let written = txn.write(Bytes::from_static(BODY)).await;
    let ended = match two_phase {
        true => txn.prepare().await.map(drop),
        false => txn.finish().await.map(drop),
    };
    match (written, ended) {
        (Err(e), _) | (Ok(()), Err(e)) => e,
        (Ok(()), Ok(())) => panic!("a load with a rejected row succeeded"),
    }
}

fn assert_names_the_row(err: &Error) {
    assert_eq!(err.kind(), ErrorKind::DataQuality, "{err}");
    assert!(err.context("error_url").is_some(), "{err}");
    assert!(err.message().contains("rejected rows:\n  1: "), "{err}");
    assert!(err.to_string().contains("not-a-number-xyz"), "{err}");
}

#[tokio::test]
async fn two_phase_prepare_carries_the_rejected_rows() {
    let emu = start().await;
    let table = dup_table(&emu, "tq2pc").await;
    let err = rejected(&protocol(&emu), &table, true).await;
    assert_names_the_row(&err);
}

#[tokio::test]
async fn batch_finish_carries_the_rejected_rows() {
    let emu = start().await;
    let table = dup_table(&emu, "tqbatch").await;
    let doris = builder(&emu).with_batch_mode(true).build().unwrap();
    let err = rejected(&doris, &table, false).await;
    assert_names_the_row(&err);
}

#[tokio::test]
async fn group_commit_carries_the_rejected_rows() {
    let emu = start().await;
    let table = dup_table(&emu, "tqgroup").await;
    let doris = builder(&emu)
        .with_group_commit(GroupCommitMode::Sync)
        .build()
        .unwrap();
    let err = rejected(&doris, &table, false).await;
    assert_names_the_row(&err);
    assert_eq!(
        table_text(&emu, "select count(*) from test.tqgroup").await,
        "0"
    );
}
