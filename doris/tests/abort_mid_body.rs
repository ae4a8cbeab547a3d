//! Aborting or dropping a load in the middle of its body must never let the BE load what it got
//! so far: the request is broken, never ended cleanly. The BE here is slow but alive (each load
//! waits before its body is read), so a cleanly ended body would be loaded in full.

mod common;

use std::time::Duration;

use common::*;
use streamload_core::{LabelState, LoadProtocol};
use streamload_emulator::{FaultAction, FaultRule, Listener};

const ROUNDS: u32 = 6;

fn slow_be(emu: &streamload_emulator::EmulatorHandle) {
    emu.faults().add(
        FaultRule::new(
            "/_stream_load",
            ROUNDS as usize * 2,
            FaultAction::Delay(Duration::from_millis(150)),
        )
        .on(Listener::Be(0))
        .method("PUT"),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborting_or_dropping_mid_body_never_loads_a_partial_batch() {
    let emu = start().await;
    let table = dup_table(&emu, "tcut").await;
    slow_be(&emu);
    for two_phase in [false, true] {
        let doris = builder(&emu)
            .with_two_phase_commit(two_phase)
            .build()
            .unwrap();
        for round in 0..ROUNDS {
            let name = label(&format!("cut_{two_phase}_{round}"));
            let mut txn = doris
                .begin(&table, Some(name.clone()), &csv(two_phase, &[]))
                .await
                .unwrap();
            write_all(&mut txn, &["1\ta\n", "2\tb\n"]).await;
            if round % 2 == 0 {
                txn.abort().await.unwrap();
            } else {
                drop(txn);
            }
            // Let the slow BE come to its verdict.
            let mut state = LabelState::Prepare;
            for _ in 0..30 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                state = doris.label_state("test", &name).await.unwrap();
                if state != LabelState::Prepare {
                    break;
                }
            }
            assert!(
                matches!(state, LabelState::Unknown | LabelState::Aborted),
                "two-phase {two_phase}, round {round}: the cut load is {state:?}"
            );
        }
    }
    assert_eq!(
        table_text(&emu, "select count(*) from test.tcut").await,
        "0"
    );
}
