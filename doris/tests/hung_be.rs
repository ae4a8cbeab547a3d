//! The scripted silent-BE tests of `timeouts.rs`, run again against the emulator: its `hang`
//! fault leaves the BE unreachable (it accepts connections, reads no body, never answers) while
//! the FE stays healthy and keeps redirecting loads to it. The load fails with a retryable
//! timeout naming the BE: after the body, as an unknown outcome; under the whole-load deadline;
//! and while the upload stalls.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use streamload_core::{ErrorKind, LoadProtocol, RetryStatus, Table};
use streamload_emulator::{EmulatorHandle, FaultAction, FaultRule, Listener, RequestRecord};

async fn hung(name: &str) -> (EmulatorHandle, Table) {
    let emu = start().await;
    let table = dup_table(&emu, name).await;
    emu.faults()
        .add(FaultRule::new("", usize::MAX, FaultAction::Hang).on(Listener::Be(0)));
    (emu, table)
}

fn at(emu: &EmulatorHandle, listener: Listener) -> Vec<RequestRecord> {
    emu.request_log()
        .entries()
        .into_iter()
        .filter(|r| r.listener == listener && r.path.contains("_stream_load"))
        .collect()
}

/// The FE stayed healthy and redirected every load; the BE held every one; nothing landed.
async fn assert_only_the_be_hung(emu: &EmulatorHandle, table: &Table) {
    let fe = at(emu, Listener::Fe);
    assert!(
        !fe.is_empty() && fe.iter().all(|r| r.status == 307),
        "{fe:?}"
    );
    let be = at(emu, Listener::Be(0));
    assert!(!be.is_empty() && be.iter().all(|r| r.fault.as_deref() == Some("hang")));
    let count = format!("select count(*) from test.{}", table.name);
    assert_eq!(table_text(emu, &count).await, "0");
}

fn be_node(emu: &EmulatorHandle) -> String {
    emu.be_urls()[0].trim_start_matches("http://").to_owned()
}

async fn one_row(doris: &streamload_doris::DorisProtocol, table: &Table) -> streamload_core::Error {
    let label = doris.label_generator().unwrap().label(table, 1).unwrap();
    let mut txn = doris
        .begin(table, Some(label), &csv(true, &[]))
        .await
        .unwrap();
    txn.write(Bytes::from_static(b"1\ta\n")).await.unwrap();
    txn.prepare().await.unwrap_err()
}

#[tokio::test]
async fn no_answer_from_a_hung_be_is_a_retryable_unknown_outcome() {
    let (emu, table) = hung("thung1").await;
    let doris = builder(&emu)
        .with_read_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = one_row(&doris, &table).await;
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.is_retryable(), "{err}");
    assert_eq!(err.retry_status(), RetryStatus::OutcomeUnknown, "{err}");
    assert_eq!(err.context("node"), Some(be_node(&emu).as_str()), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_only_the_be_hung(&emu, &table).await;
}

#[tokio::test]
async fn the_whole_load_deadline_applies_to_a_hung_be() {
    let (emu, table) = hung("thung2").await;
    let doris = builder(&emu)
        .with_read_timeout(Duration::from_secs(30))
        .with_load_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = one_row(&doris, &table).await;
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.is_retryable(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_only_the_be_hung(&emu, &table).await;
}

#[tokio::test]
async fn an_upload_to_a_hung_be_stalls_and_fails_the_write() {
    let (emu, table) = hung("thung3").await;
    let doris = builder(&emu)
        .with_read_timeout(Duration::from_millis(300))
        .with_buffer_count(1)
        .build()
        .unwrap();
    let label = doris.label_generator().unwrap().label(&table, 1).unwrap();
    let mut txn = doris
        .begin(&table, Some(label), &csv(true, &[]))
        .await
        .unwrap();
    let chunk = Bytes::from(vec![b'x'; 1 << 20]);
    let mut result = Ok(());
    // Socket buffers take a few MiB; the hung BE reads nothing.
    for _ in 0..256 {
        result = txn.write(chunk.clone()).await;
        if result.is_err() {
            break;
        }
    }
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.is_retryable(), "{err}");
    assert_only_the_be_hung(&emu, &table).await;
}
