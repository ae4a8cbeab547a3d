//! V2 transactions, checkpointed (exactly-once), end to end through core's `Sink` against the
//! emulator; rows are read back through its MySQL port.

mod support;

use serde::Serialize;
use streamload_core::{Delivery, Op, SinkConfig, Table};
use streamload_starrocks::{Mode, StarRocksSink};
use support::emu;

#[derive(Serialize)]
struct Score<'a> {
    id: i32,
    name: &'a str,
    score: i32,
}

fn sink_config() -> streamload_core::SinkConfigBuilder {
    SinkConfig::builder()
        .with_delivery(Delivery::Checkpointed)
        .with_label_prefix("eo")
        .with_writer_id("0")
}

#[tokio::test]
async fn prepare_then_commit_loads_exactly_the_input() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let table = Table::new("test", "score_board");
    let mut sink = StarRocksSink::builder()
        .with_protocol(emu::builder(&emu))
        .with_sink_config(sink_config())
        .connect()
        .await
        .unwrap();
    assert_eq!(sink.protocol().mode(), Mode::V2);
    for (id, name) in [(1, "starrocks"), (2, "flink")] {
        sink.write(&table, Op::Upsert, &Score { id, name, score: 100 }).await.unwrap();
    }
    let checkpoint = sink.prepare(1).await.unwrap();
    assert_eq!(checkpoint.prepared.len(), 1);
    assert_eq!(checkpoint.prepared[0].label.as_str(), "eo-score_board-0-1");
    assert!(emu::rows(&emu, "select * from test.score_board").await.is_empty());
    sink.commit(&checkpoint).await.unwrap();
    sink.commit(&checkpoint).await.unwrap();
    let rows = emu::rows(&emu, "select id, name, score from test.score_board order by id").await;
    assert_eq!(rows, [["1", "starrocks", "100"], ["2", "flink", "100"]]);
}
