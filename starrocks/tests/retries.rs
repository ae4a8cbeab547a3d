//! Unknown outcomes and retries against the emulator's fault injection: a lost V1 connection is
//! retried under the same label and loads once; a commit answered with a publish timeout (the
//! transaction untouched) is settled through the label state and retried.

mod support;

use serde::Serialize;
use streamload_core::{Delivery, Op, SinkConfig, Table};
use streamload_emulator::{FaultAction, FaultRule, Listener};
use streamload_starrocks::SinkVersion;
use streamload_starrocks::StarRocksSink;
use support::emu;

#[derive(Serialize)]
struct Score<'a> {
    id: i32,
    name: &'a str,
    score: i32,
}

#[tokio::test]
async fn a_lost_v1_load_is_retried_under_the_same_label_and_loads_once() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    emu.faults()
        .add(FaultRule::new("_stream_load", 1, FaultAction::Reset).on(Listener::Be(0)));
    let table = Table::new("test", "score_board");
    let mut sink = StarRocksSink::builder()
        .with_protocol(emu::builder(&emu).with_version(SinkVersion::V1))
        .with_sink_config(
            SinkConfig::builder()
                .with_delivery(Delivery::Batched)
                .with_label_prefix("rt"),
        )
        .build()
        .unwrap();
    for id in 1..=3 {
        sink.write(
            &table,
            Op::Upsert,
            &Score {
                id,
                name: "r",
                score: id,
            },
        )
        .await
        .unwrap();
    }
    sink.flush().await.unwrap();
    sink.close().await.unwrap();
    let count = emu::rows(&emu, "select count(*) from test.score_board").await;
    assert_eq!(count, [["3"]]);
    let labels: Vec<String> = emu
        .request_log()
        .entries()
        .into_iter()
        .filter(|r| r.listener == Listener::Be(0) && r.path.ends_with("/_stream_load"))
        .filter_map(|r| r.header("label").map(str::to_owned))
        .collect();
    assert_eq!(labels, ["rt-score_board-0-1", "rt-score_board-0-1"]);
}

#[tokio::test]
async fn a_commit_answered_with_publish_timeout_is_settled_and_retried() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let slow = r#"{"Status": "FAILED", "Message": "class com.starrocks.common.StarRocksException: publish timeout: 20000"}"#;
    let table = Table::new("test", "score_board");
    let mut sink = StarRocksSink::builder()
        .with_protocol(emu::builder(&emu))
        .with_sink_config(
            SinkConfig::builder()
                .with_delivery(Delivery::Checkpointed)
                .with_label_prefix("pt"),
        )
        .build()
        .unwrap();
    sink.write(
        &table,
        Op::Upsert,
        &Score {
            id: 1,
            name: "p",
            score: 1,
        },
    )
    .await
    .unwrap();
    let checkpoint = sink.prepare(1).await.unwrap();
    emu.faults().add(
        FaultRule::new(
            "/api/transaction/commit",
            1,
            FaultAction::Respond {
                status: 200,
                body: slow.into(),
            },
        )
        .on(Listener::Fe),
    );
    sink.commit(&checkpoint).await.unwrap();
    sink.commit(&checkpoint).await.unwrap();
    let rows = emu::rows(&emu, "select id, name from test.score_board").await;
    assert_eq!(rows, [["1", "p"]]);
}
