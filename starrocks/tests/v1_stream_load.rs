//! V1 Stream Load through core's `Sink` (batched) against the emulator: the connector manual's
//! examples (partial update, conditional update with `merge_condition`, deletes via `__op`),
//! rows read back through the MySQL port.

mod support;

use serde::Serialize;
use streamload_core::{Delivery, ErrorKind, Op, SinkConfig, Table};
use streamload_starrocks::{Mode, SinkVersion, StarRocksSink};
use support::emu;

#[derive(Serialize)]
struct Score<'a> {
    id: i32,
    name: &'a str,
    score: i32,
}

#[derive(Serialize)]
struct NameOnly<'a> {
    id: i32,
    name: &'a str,
}

async fn seeded() -> streamload_emulator::EmulatorHandle {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let _ = emu::rows(
        &emu,
        "INSERT INTO test.score_board VALUES (1, 'starrocks', 100), (2, 'flink', 100)",
    )
    .await;
    emu
}

fn batched() -> streamload_core::SinkConfigBuilder {
    SinkConfig::builder()
        .with_delivery(Delivery::Batched)
        .with_label_prefix("v1")
}

async fn score_board(emu: &streamload_emulator::EmulatorHandle) -> Vec<Vec<String>> {
    emu::rows(
        emu,
        "select id, name, score from test.score_board order by id",
    )
    .await
}

#[tokio::test]
async fn partial_update_changes_only_name() {
    let emu = seeded().await;
    assert_eq!(
        score_board(&emu).await,
        [["1", "starrocks", "100"], ["2", "flink", "100"]]
    );
    let table = Table::new("test", "score_board");
    let mut sink = StarRocksSink::builder()
        .with_protocol(
            emu::builder(&emu)
                .with_version(SinkVersion::V1)
                .with_property("partial_update", "true"),
        )
        .with_sink_config(batched())
        .build()
        .unwrap();
    sink.write(
        &table,
        Op::Upsert,
        &NameOnly {
            id: 1,
            name: "starrocks-update",
        },
    )
    .await
    .unwrap();
    sink.write(
        &table,
        Op::Upsert,
        &NameOnly {
            id: 2,
            name: "flink-update",
        },
    )
    .await
    .unwrap();
    sink.flush().await.unwrap();
    sink.close().await.unwrap();
    assert_eq!(
        score_board(&emu).await,
        [
            ["1", "starrocks-update", "100"],
            ["2", "flink-update", "100"]
        ]
    );
    let load = emu
        .request_log()
        .entries()
        .into_iter()
        .find(|r| r.path.ends_with("/_stream_load") && r.body_bytes > 0);
    let load = load.expect("a load reached a BE");
    assert_eq!(load.header("columns"), Some("`id`,`name`,`__op`"));
}

#[tokio::test]
async fn merge_condition_keeps_the_row_whose_incoming_score_is_lower() {
    let emu = seeded().await;
    let table = Table::new("test", "score_board");
    let mut sink = StarRocksSink::builder()
        .with_protocol(emu::builder(&emu).with_property("merge_condition", "score"))
        .with_sink_config(batched())
        .connect()
        .await
        .unwrap();
    assert_eq!(
        sink.protocol().mode(),
        Mode::V1,
        "merge_condition selects V1 under AUTO"
    );
    sink.write(
        &table,
        Op::Upsert,
        &Score {
            id: 1,
            name: "starrocks-update",
            score: 99,
        },
    )
    .await
    .unwrap();
    sink.write(
        &table,
        Op::Upsert,
        &Score {
            id: 2,
            name: "flink-update",
            score: 101,
        },
    )
    .await
    .unwrap();
    sink.flush().await.unwrap();
    sink.close().await.unwrap();
    assert_eq!(
        score_board(&emu).await,
        [["1", "starrocks", "100"], ["2", "flink-update", "101"]]
    );
}

#[tokio::test]
async fn deletes_go_through_op_on_primary_key_tables() {
    let emu = seeded().await;
    let table = Table::new("test", "score_board");
    let mut sink = StarRocksSink::builder()
        .with_protocol(emu::builder(&emu).with_version(SinkVersion::V1))
        .with_sink_config(batched())
        .build()
        .unwrap();
    sink.write(
        &table,
        Op::Delete,
        &Score {
            id: 1,
            name: "",
            score: 0,
        },
    )
    .await
    .unwrap();
    sink.write(
        &table,
        Op::Upsert,
        &Score {
            id: 3,
            name: "spark",
            score: 90,
        },
    )
    .await
    .unwrap();
    sink.flush().await.unwrap();
    sink.close().await.unwrap();
    assert_eq!(
        score_board(&emu).await,
        [["2", "flink", "100"], ["3", "spark", "90"]]
    );
}

#[tokio::test]
async fn deletes_on_a_duplicate_table_are_a_clear_error() {
    let emu = emu::start().await;
    emu.engine()
        .execute_ddl("CREATE TABLE test.events (id int NOT NULL, name varchar(20)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id)")
        .unwrap();
    let table = Table::new("test", "events");
    let mut sink = StarRocksSink::builder()
        .with_protocol(emu::builder(&emu).with_version(SinkVersion::V1))
        .with_sink_config(batched())
        .build()
        .unwrap();
    let err = sink
        .write(&table, Op::Delete, &NameOnly { id: 1, name: "x" })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}

#[tokio::test]
async fn retries_reuse_the_label_and_a_loaded_label_is_reported() {
    let emu = seeded().await;
    let table = Table::new("test", "score_board");
    let protocol = emu::builder(&emu)
        .with_version(SinkVersion::V1)
        .build()
        .unwrap();
    let options = streamload_core::LoadOptions {
        format: streamload_core::Format::Csv(Default::default()),
        compression: streamload_core::Compression::None,
        columns: Some(vec!["id".into(), "name".into(), "score".into()]),
        two_phase: false,
    };
    use streamload_core::LoadProtocol;
    let label = streamload_core::Label::new("v1-fixed-1").unwrap();
    let mut txn = protocol
        .begin(&table, Some(label.clone()), &options)
        .await
        .unwrap();
    txn.write(bytes::Bytes::from_static(b"5\tfive\t5\n"))
        .await
        .unwrap();
    txn.finish().await.unwrap();
    let mut again = protocol
        .begin(&table, Some(label.clone()), &options)
        .await
        .unwrap();
    let _ = again
        .write(bytes::Bytes::from_static(b"5\tfive\t5\n"))
        .await;
    let err = again.finish().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LabelAlreadyExists);
    assert_eq!(err.context("existing_job_status"), Some("FINISHED"));
    assert!(
        protocol
            .label_state("test", &label)
            .await
            .unwrap()
            .is_committed()
    );
}
