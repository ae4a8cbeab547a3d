//! Regressions found by killing writers and dropping answers: a stored checkpoint is recoverable
//! any number of times (also once the server forgot its transaction), transient discovery
//! failures stay temporary, the loopback rewrite works with redirects, and a crash before the
//! first stored checkpoint leaves no label behind that recovery cannot find.

mod common;

use std::time::Duration;

use common::*;
use serde::Serialize;
use streamload_core::{
    Checkpoint, ErrorKind, ForgottenLabel, LoadProtocol, Op, Sink, SinkConfig, SinkConfigBuilder,
    Table,
};
use streamload_doris::{DorisBuilder, DorisProtocol, DorisSink};
use streamload_emulator::{EmulatorHandle, FaultAction, FaultRule, Listener};
use tokio::net::{TcpListener, TcpStream};

#[derive(Serialize)]
struct Row {
    id: u32,
    name: &'static str,
}

async fn recover_with(
    doris: DorisBuilder,
    sink: SinkConfigBuilder,
    checkpoint: Option<Checkpoint>,
) -> streamload_core::Result<Sink<DorisProtocol>> {
    DorisSink::builder()
        .with_protocol(doris)
        .with_sink_config(sink)
        .with_label_prefix("crash")
        .recover(checkpoint)
        .await
}

fn exactly_once() -> SinkConfigBuilder {
    SinkConfig::builder().with_max_retries(5)
}

async fn write_ids(sink: &mut Sink<DorisProtocol>, table: &Table, ids: std::ops::Range<u32>) {
    for id in ids {
        sink.write(table, Op::Upsert, &Row { id, name: "x" })
            .await
            .expect("write");
    }
}

async fn count(emu: &EmulatorHandle, table: &str) -> String {
    table_text(emu, &format!("select count(*) from test.{table}")).await
}

/// Finding 1: the answer of the 2PC stream load was lost after the BE precommitted, so the
/// checkpoint names the label only. Committing it again after it is visible is success.
#[tokio::test]
async fn a_checkpoint_settled_by_label_is_recoverable_any_number_of_times() {
    let emu = start().await;
    let table = dup_table(&emu, "tlostput").await;
    let mut sink = recover_with(builder(&emu), exactly_once(), None)
        .await
        .unwrap();
    emu.faults().add(
        FaultRule::new("/_stream_load", 1, FaultAction::LoseResponse)
            .on(Listener::Be(0))
            .method("PUT"),
    );
    write_ids(&mut sink, &table, 0..3).await;
    let checkpoint = sink.prepare(1).await.expect("prepare settles by label");
    assert!(
        checkpoint.prepared.iter().all(|p| p.txn_id.is_none()),
        "the lost answer leaves no txn id: {checkpoint:?}"
    );
    let stored = serde_json::to_string(&checkpoint).unwrap();
    sink.commit(&checkpoint).await.expect("first commit");
    sink.commit(&checkpoint)
        .await
        .expect("repeating it is harmless");
    drop(sink);
    for round in 0..3 {
        let restored: Checkpoint = serde_json::from_str(&stored).unwrap();
        let sink = recover_with(builder(&emu), exactly_once(), Some(restored))
            .await
            .unwrap_or_else(|e| panic!("recovery {round} of a visible checkpoint: {e}"));
        drop(sink);
    }
    assert_eq!(count(&emu, "tlostput").await, "3");
}

/// A checkpoint older than the server's label memory: the commit finds neither the txn id nor
/// the label. By default that restored checkpoint counts as committed; `fail` says DataLoss.
#[tokio::test]
async fn a_checkpoint_the_server_forgot_is_recovered_by_default_and_refused_when_asked() {
    let emu = start().await;
    let table = dup_table(&emu, "tforgot").await;
    let mut sink = recover_with(builder(&emu), exactly_once(), None)
        .await
        .unwrap();
    write_ids(&mut sink, &table, 0..2).await;
    let checkpoint = sink.prepare(1).await.unwrap();
    assert!(checkpoint.prepared.iter().all(|p| p.txn_id.is_some()));
    sink.commit(&checkpoint).await.unwrap();
    drop(sink);
    emu.engine().advance_clock(Duration::from_secs(13 * 3600));
    let doris = protocol(&emu);
    let state = doris
        .label_state("test", &checkpoint.prepared[0].label)
        .await
        .unwrap();
    assert_eq!(state, streamload_core::LabelState::Unknown, "label expired");

    let strict = exactly_once().with_forgotten_label(ForgottenLabel::Fail);
    let err = recover_with(builder(&emu), strict, Some(checkpoint.clone()))
        .await
        .expect_err("fail mode refuses a forgotten label");
    assert_eq!(err.kind(), ErrorKind::DataLoss, "{err}");

    for _ in 0..2 {
        let sink = recover_with(builder(&emu), exactly_once(), Some(checkpoint.clone()))
            .await
            .expect("a forgotten, restored checkpoint does not wedge the job");
        assert_eq!(sink.stats().forgotten_commits, 1);
    }
    assert_eq!(count(&emu, "tforgot").await, "2");
}

/// Finding 4: one lost `/api/backends` answer is temporary, not a permanent `Config` error. The
/// FE is reached at another address than the one its redirects name, so the redirect target is
/// checked against the BEs the FE reports.
#[tokio::test]
async fn a_lost_backends_answer_is_retried() {
    let emu = start_with(|c| c.host = "127.0.0.3".into()).await;
    let table = dup_table(&emu, "tdiscover").await;
    let fe_port = port_of(&emu.fe_url());
    forward_port("127.0.0.2", fe_port, "127.0.0.3").await;
    emu.faults()
        .add(FaultRule::new("/api/backends", 1, FaultAction::LoseResponse).on(Listener::Fe));
    let doris = DorisBuilder::new()
        .with_fe_nodes([format!("http://127.0.0.2:{fe_port}")])
        .with_credentials("root", "")
        .with_two_phase_commit(false);
    let mut sink = DorisSink::builder()
        .with_protocol(doris)
        .with_label_prefix("disc")
        .build()
        .unwrap();
    write_ids(&mut sink, &table, 0..4).await;
    sink.flush()
        .await
        .expect("the load retries past the lost answer");
    assert_eq!(count(&emu, "tdiscover").await, "4");
    let lost = emu
        .request_log()
        .entries()
        .iter()
        .filter(|r| r.path.contains("/api/backends") && r.fault.is_some())
        .count();
    assert_eq!(lost, 1, "the fault was hit");
}

fn port_of(url: &str) -> u16 {
    url::Url::parse(url).unwrap().port().unwrap()
}

/// Listens on `host:port` and forwards to the same port on `target_host`.
async fn forward_port(host: &str, port: u16, target_host: &str) {
    let listener = TcpListener::bind((host, port))
        .await
        .expect("a loopback address");
    tokio::spawn(forward(listener, format!("{target_host}:{port}")));
}

/// Forwards every connection accepted on `listener` to `target`.
async fn forward(listener: TcpListener, target: String) {
    while let Ok((mut inbound, _)) = listener.accept().await {
        let target = target.clone();
        tokio::spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(&target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

/// The single-node container setup: the FE is reached under a host name of its own and
/// advertises its BE as `127.0.0.1`. Here the "container" is reached at 127.0.0.2, where the
/// FE's and BE's ports are forwarded to the emulator.
#[tokio::test]
async fn rewrite_localhost_with_auto_redirect_loads_through_the_fe_host() {
    let emu = start().await;
    let table = dup_table(&emu, "trewrite").await;
    let fe_port = port_of(&emu.fe_url());
    for port in [fe_port, port_of(&emu.be_urls()[0])] {
        forward_port("127.0.0.2", port, "127.0.0.1").await;
    }
    let doris = DorisBuilder::new()
        .with_fe_nodes([format!("http://127.0.0.2:{fe_port}")])
        .with_credentials("root", "")
        .with_rewrite_localhost(true);
    let mut sink = recover_with(doris, exactly_once(), None).await.unwrap();
    write_ids(&mut sink, &table, 0..5).await;
    let checkpoint = sink
        .prepare(1)
        .await
        .expect("loads through the rewritten BE");
    sink.commit(&checkpoint).await.unwrap();
    assert_eq!(count(&emu, "trewrite").await, "5");
    assert_no_body_reached_the_fe(&emu);
}

/// Finding 4: a crash right after the very first `prepare` of a sink configured without
/// `tables` leaves a precommitted label; the next run finds and aborts it.
#[tokio::test]
async fn a_crash_after_the_first_prepare_leaves_nothing_behind_without_tables() {
    let emu = start().await;
    let table = dup_table(&emu, "tfirst").await;
    let mut sink = recover_with(builder(&emu), exactly_once(), None)
        .await
        .unwrap();
    write_ids(&mut sink, &table, 0..3).await;
    let lost = sink.prepare(1).await.unwrap();
    std::mem::forget(sink); // crash: nothing aborted, the checkpoint never stored
    let mut sink = recover_with(builder(&emu), exactly_once(), None)
        .await
        .unwrap();
    write_ids(&mut sink, &table, 0..3).await;
    let checkpoint = sink.prepare(1).await.expect("no LabelAlreadyExists");
    sink.commit(&checkpoint).await.unwrap();
    assert_eq!(count(&emu, "tfirst").await, "3");
    let state = protocol(&emu)
        .label_state("test", &lost.prepared[0].label)
        .await
        .unwrap();
    assert!(state.is_committed(), "the same label, now committed once");
}

/// A 2PC load that breaks off mid-body (a BE restarting) is aborted and sent again whole under
/// the same label, instead of failing the checkpoint.
#[tokio::test]
async fn a_load_broken_off_mid_body_is_sent_again() {
    let emu = start().await;
    let table = dup_table(&emu, "tmidbody").await;
    let mut sink = recover_with(builder(&emu), exactly_once(), None)
        .await
        .unwrap();
    emu.faults().add(
        FaultRule::new(
            "/_stream_load",
            1,
            FaultAction::ResetMidBody { after_bytes: 8 },
        )
        .on(Listener::Be(0))
        .method("PUT"),
    );
    write_ids(&mut sink, &table, 0..50).await;
    let checkpoint = sink.prepare(1).await.expect("sent again, then prepared");
    sink.commit(&checkpoint).await.unwrap();
    assert_eq!(count(&emu, "tmidbody").await, "50");
    assert!(sink.stats().retries >= 1);
}
