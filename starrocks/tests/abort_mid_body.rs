//! Aborting or dropping a load in the middle of its body must never let the BE load what it got
//! so far. The BE here is slow but alive (each load waits before its body is read), so a body
//! ended cleanly instead of broken would be loaded in full.

mod support;

use std::time::Duration;

use bytes::Bytes;
use streamload_core::{
    Compression, CsvFormat, Format, Label, LabelState, LoadOptions, LoadProtocol, Table,
};
use streamload_emulator::{FaultAction, FaultRule, Listener};
use streamload_starrocks::SinkVersion;
use support::emu;

const ROUNDS: u32 = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborting_or_dropping_mid_body_never_loads_a_partial_batch() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let table = Table::new("test", "score_board");
    for path in ["/_stream_load", "/api/transaction/load"] {
        emu.faults().add(
            FaultRule::new(
                path,
                ROUNDS as usize,
                FaultAction::Delay(Duration::from_millis(150)),
            )
            .on(Listener::Be(0))
            .method("PUT"),
        );
    }
    let options = LoadOptions {
        format: Format::Csv(CsvFormat::default()),
        compression: Compression::None,
        columns: Some(vec!["id".into(), "name".into(), "score".into()]),
        two_phase: false,
    };
    for version in [SinkVersion::V1, SinkVersion::V2] {
        let protocol = emu::builder(&emu).with_version(version).build().unwrap();
        for round in 0..ROUNDS {
            let label = Label::new(format!("cut-{version:?}-{round}")).unwrap();
            let mut txn = protocol
                .begin(&table, Some(label.clone()), &options)
                .await
                .unwrap();
            for row in ["1\ta\t1\n", "2\tb\t2\n", "3\tc\t3\n"] {
                txn.write(Bytes::from_static(row.as_bytes())).await.unwrap();
            }
            if round % 2 == 0 {
                txn.abort().await.unwrap();
            } else {
                drop(txn);
            }
            // Let the slow BE come to its verdict.
            let mut state = LabelState::Prepare;
            for _ in 0..30 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                state = protocol.label_state("test", &label).await.unwrap();
                if state != LabelState::Prepare {
                    break;
                }
            }
            assert!(
                matches!(state, LabelState::Unknown | LabelState::Aborted),
                "{version:?}, round {round}: the cut load is {state:?}"
            );
        }
    }
    let count = emu::rows(&emu, "select count(*) from test.score_board").await;
    assert_eq!(count[0][0], "0");
}
