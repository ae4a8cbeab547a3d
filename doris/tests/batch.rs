//! At-least-once modes against the emulator: batch loads under deterministic labels and group
//! commit (no label).

mod common;

use common::*;
use streamload_core::{ErrorKind, LabelState, LoadProtocol};
use streamload_doris::GroupCommitMode;

#[tokio::test]
async fn batch_load_commits_in_one_step_and_its_label_is_idempotent() {
    let emu = start().await;
    let table = dup_table(&emu, "tbatch").await;
    let doris = builder(&emu).with_batch_mode(true).build().unwrap();
    assert!(!doris.capabilities().two_phase_commit);
    let label = doris.label_generator().unwrap().label(&table, 7).unwrap();

    let mut txn = doris
        .begin(&table, Some(label.clone()), &csv(false, &[]))
        .await
        .unwrap();
    write_all(&mut txn, &["1\ta\n", "2\tb\n"]).await;
    let report = txn.finish().await.unwrap();
    assert_eq!(report.rows_loaded, 2);
    assert_eq!(report.label.as_deref(), Some(label.as_str()));
    assert_eq!(
        doris.label_state("test", &label).await.unwrap(),
        LabelState::Visible
    );

    // A retry under the same label never loads twice: the server reports the finished job.
    let mut retry = doris
        .begin(&table, Some(label), &csv(false, &[]))
        .await
        .unwrap();
    let _ = retry
        .write(bytes::Bytes::from_static(b"1\ta\n2\tb\n"))
        .await;
    let err = retry.finish().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LabelAlreadyExists, "{err}");
    assert_eq!(err.context("existing_job_status"), Some("FINISHED"));
    assert_eq!(
        table_text(&emu, "select count(*) from test.tbatch").await,
        "2"
    );
    assert_no_body_reached_the_fe(&emu);
}

#[tokio::test]
async fn group_commit_sends_no_label() {
    let emu = start().await;
    let table = dup_table(&emu, "tgroup").await;
    let doris = builder(&emu)
        .with_group_commit(GroupCommitMode::Sync)
        .build()
        .unwrap();
    let caps = doris.capabilities();
    assert!(caps.server_batched && !caps.two_phase_commit);
    let mut txn = doris.begin(&table, None, &csv(false, &[])).await.unwrap();
    assert!(txn.label().is_none());
    write_all(&mut txn, &["1\ta\n2\tb\n"]).await;
    let report = txn.finish().await.unwrap();
    assert!(report.label.unwrap().starts_with("group_commit"));
    assert_eq!(
        table_text(&emu, "select id, name from test.tgroup order by id").await,
        "1,a;2,b"
    );
    let log = emu.request_log().entries();
    assert!(
        log.iter().all(|r| r.header("label").is_none()),
        "a label was sent"
    );
    assert!(
        log.iter()
            .any(|r| r.header("group_commit") == Some("sync_mode"))
    );
}

#[tokio::test]
async fn begin_without_a_label_is_refused_outside_group_commit() {
    let emu = start().await;
    let table = dup_table(&emu, "tnolabel").await;
    let doris = builder(&emu).with_batch_mode(true).build().unwrap();
    let err = doris
        .begin(&table, None, &csv(false, &[]))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[tokio::test]
async fn async_group_commit_becomes_visible_later() {
    let emu = start().await;
    let table = dup_table(&emu, "tasync").await;
    let doris = builder(&emu)
        .with_group_commit(GroupCommitMode::Async)
        .build()
        .unwrap();
    let mut txn = doris.begin(&table, None, &csv(false, &[])).await.unwrap();
    write_all(&mut txn, &["1\ta\n"]).await;
    txn.finish().await.unwrap();
    let mut count = String::new();
    for _ in 0..60 {
        count = table_text(&emu, "select count(*) from test.tasync").await;
        if count == "1" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(count, "1");
}
