//! The scripted-FE tests of `client.rs` and the old-server path of `two_phase.rs`, run again
//! against the emulator: a cluster of FEs (loads through a follower, an FE down before and
//! during a run) and Doris 2.0, which aborts a 2PC transaction by id only.

mod common;

use common::*;
use streamload_core::{LabelState, LoadProtocol};
use streamload_doris::DorisProtocol;
use streamload_emulator::version::ServerVersion;
use streamload_emulator::{EmulatorHandle, Listener};

async fn load_one_row(
    doris: &DorisProtocol,
    table: &streamload_core::Table,
    seq: u64,
) -> streamload_core::Result<()> {
    let label = doris.label_generator()?.label(table, seq)?;
    let mut txn = doris.begin(table, Some(label), &csv(true, &[])).await?;
    txn.write(bytes::Bytes::from(format!("{seq}\tx\n"))).await?;
    let prepared = txn.prepare().await?;
    doris.commit(&prepared.prepared).await
}

async fn two_fes() -> EmulatorHandle {
    start_with(|c| c.frontends = 2).await
}

fn stream_loads_at(
    emu: &EmulatorHandle,
    listener: Listener,
) -> Vec<streamload_emulator::RequestRecord> {
    emu.request_log()
        .entries()
        .into_iter()
        .filter(|r| r.listener == listener && r.path.contains("_stream_load"))
        .collect()
}

#[tokio::test]
async fn loads_go_through_a_follower_fe() {
    let emu = two_fes().await;
    let table = dup_table(&emu, "tfollower").await;
    let urls = emu.fe_urls();
    let doris = builder(&emu)
        .with_fe_nodes([urls[1].clone(), urls[0].clone()])
        .build()
        .unwrap();
    for seq in 1..=2 {
        load_one_row(&doris, &table, seq).await.unwrap();
    }
    assert_eq!(
        table_text(&emu, "select count(*) from test.tfollower").await,
        "2"
    );
    let at_follower = stream_loads_at(&emu, Listener::Frontend(1));
    assert!(!at_follower.is_empty(), "the follower was never asked");
    for r in &at_follower {
        assert_eq!((r.status, r.body_bytes), (307, 0), "{r:?}");
    }
    assert_no_body_reached_the_fe(&emu);
}

#[tokio::test]
async fn a_dead_fe_of_the_cluster_is_skipped() {
    let emu = two_fes().await;
    let table = dup_table(&emu, "tdeadfe").await;
    assert!(emu.set_listener_up(Listener::Fe, false));
    let doris = builder(&emu).with_fe_nodes(emu.fe_urls()).build().unwrap();
    for seq in 1..=2 {
        load_one_row(&doris, &table, seq).await.unwrap();
    }
    assert_eq!(
        table_text(&emu, "select count(*) from test.tdeadfe").await,
        "2"
    );
    assert!(stream_loads_at(&emu, Listener::Fe).is_empty());
}

#[tokio::test]
async fn an_fe_going_down_mid_run_fails_over() {
    let emu = two_fes().await;
    let table = dup_table(&emu, "tfailover2").await;
    let doris = builder(&emu).with_fe_nodes(emu.fe_urls()).build().unwrap();
    load_one_row(&doris, &table, 1).await.unwrap();
    emu.set_listener_up(Listener::Fe, false);
    for seq in 2..=4 {
        load_one_row(&doris, &table, seq).await.unwrap();
    }
    emu.set_listener_up(Listener::Fe, true);
    load_one_row(&doris, &table, 5).await.unwrap();
    assert_eq!(
        table_text(&emu, "select count(*) from test.tfailover2").await,
        "5"
    );
    assert!(!stream_loads_at(&emu, Listener::Frontend(1)).is_empty());
}

#[tokio::test]
async fn doris_2_0_aborts_lingering_transactions_only_by_probing() {
    let emu = start_with(|c| c.version = Some(ServerVersion::new(2, 0, 15))).await;
    let table = dup_table(&emu, "tlinger20").await;
    let doris = protocol(&emu);
    let generator = doris.label_generator().unwrap();
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
    let label2 = generator.label(&table, 2).unwrap();
    // By label, as on 2.1: the 2.0 FE wants a txn id.
    assert!(doris.abort_lingering(&table, 2).await.is_err());
    assert_eq!(
        doris.label_state("test", &label2).await.unwrap(),
        LabelState::Precommitted
    );
    let probing = builder(&emu).with_abort_by_label(false).build().unwrap();
    assert_eq!(probing.abort_lingering(&table, 2).await.unwrap(), 1);
    assert_eq!(
        doris.label_state("test", &label2).await.unwrap(),
        LabelState::Aborted
    );
    assert_eq!(table_text(&emu, "select id from test.tlinger20").await, "1");
}
