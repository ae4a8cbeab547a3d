//! V2 auto-commit (at-least-once) through core's `Sink`, AUTO detection, and rejected rows
//! reported with the server's error log, against the emulator.

mod support;

use bytes::Bytes;
use serde::Serialize;
use streamload_core::{
    Compression, CsvFormat, Delivery, ErrorKind, Format, Label, LoadOptions, LoadProtocol, Op,
    SinkConfig, Table,
};
use streamload_starrocks::{Mode, SinkVersion, StarRocksSink};
use support::emu;

#[derive(Serialize)]
struct Score<'a> {
    id: i32,
    name: &'a str,
    score: i32,
}

#[tokio::test]
async fn auto_commit_batches_are_visible_after_flush() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let table = Table::new("test", "score_board");
    let mut sink = StarRocksSink::builder()
        .with_protocol(emu::builder(&emu))
        .with_sink_config(
            SinkConfig::builder()
                .with_delivery(Delivery::Batched)
                .with_label_prefix("alo"),
        )
        .connect()
        .await
        .unwrap();
    assert_eq!(
        sink.protocol().mode(),
        Mode::V2,
        "AUTO picks V2 on a 3.5 server"
    );
    for id in 1..=3 {
        sink.write(
            &table,
            Op::Upsert,
            &Score {
                id,
                name: "x",
                score: id,
            },
        )
        .await
        .unwrap();
    }
    sink.flush().await.unwrap();
    sink.close().await.unwrap();
    let rows = emu::rows(&emu, "select id, score from test.score_board order by id").await;
    assert_eq!(rows, [["1", "1"], ["2", "2"], ["3", "3"]]);
    let txn = emu
        .engine()
        .txn_by_label("test", "alo-score_board-0-1")
        .expect("batch label");
    assert_eq!(txn.state, streamload_emulator::engine::TxnState::Visible);
}

#[tokio::test]
async fn rejected_rows_come_back_with_the_error_log() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let table = Table::new("test", "score_board");
    let options = LoadOptions {
        format: Format::Csv(CsvFormat::default()),
        compression: Compression::None,
        columns: Some(vec!["id".into(), "name".into(), "score".into()]),
        two_phase: false,
    };
    for version in [SinkVersion::V1, SinkVersion::V2] {
        let protocol = emu::builder(&emu).with_version(version).build().unwrap();
        let label = Label::new(format!("bad-{version:?}")).unwrap();
        let mut txn = protocol.begin(&table, Some(label), &options).await.unwrap();
        txn.write(Bytes::from_static(b"1\tok\t1\nnot-a-number\tbad\t2\n"))
            .await
            .unwrap();
        let err = txn.finish().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::DataQuality, "{version:?}: {err}");
        assert!(
            err.message().contains("rejected rows:\n  1: "),
            "{version:?}: {err}"
        );
    }
    assert!(
        emu::rows(&emu, "select id from test.score_board")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn lz4_frame_json_loads_through_the_sink_one_request_per_chunk() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let table = Table::new("test", "score_board");
    let jdbc = emu::jdbc_url(&emu);
    let options = [
        ("load-url", emu.fe_url()),
        ("jdbc-url", jdbc),
        ("username", "root".to_owned()),
        ("sink.semantic", "exactly-once".to_owned()),
        ("sink.properties.format", "json".to_owned()),
        ("sink.properties.compression", "lz4_frame".to_owned()),
    ];
    let small = SinkConfig::builder()
        .with_delivery(Delivery::Checkpointed)
        .with_chunk_bytes(32);
    let mut sink = StarRocksSink::builder()
        .with_sink_config(small)
        .with_flink_options(options)
        .unwrap()
        .recover(None)
        .await
        .unwrap();
    for id in 1..=3 {
        sink.write(
            &table,
            Op::Upsert,
            &Score {
                id,
                name: "json",
                score: id * 10,
            },
        )
        .await
        .unwrap();
    }
    sink.write(
        &table,
        Op::Delete,
        &Score {
            id: 2,
            name: "",
            score: 0,
        },
    )
    .await
    .unwrap();
    let checkpoint = sink.prepare(1).await.unwrap();
    sink.commit(&checkpoint).await.unwrap();
    let rows = emu::rows(
        &emu,
        "select id, name, score from test.score_board order by id",
    )
    .await;
    assert_eq!(rows, [["1", "json", "10"], ["3", "json", "30"]]);
    let loads: Vec<_> = emu
        .request_log()
        .entries()
        .into_iter()
        .filter(|r| r.path == "/api/transaction/load")
        .collect();
    assert!(loads.len() > 1, "one request per chunk");
    let load = &loads[0];
    assert_eq!(load.header("compression"), Some("LZ4_FRAME"));
    assert_eq!(load.header("format"), Some("json"));
}

#[tokio::test]
async fn a_dropped_transaction_is_rolled_back() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let table = Table::new("test", "score_board");
    let protocol = emu::builder(&emu)
        .with_version(SinkVersion::V2)
        .build()
        .unwrap();
    let options = LoadOptions {
        format: Format::Csv(CsvFormat::default()),
        compression: Compression::None,
        columns: Some(vec!["id".into(), "name".into(), "score".into()]),
        two_phase: true,
    };
    let label = Label::new("dropped-1").unwrap();
    let txn = protocol
        .begin(&table, Some(label.clone()), &options)
        .await
        .unwrap();
    drop(txn);
    let mut state = None;
    for _ in 0..50 {
        state = Some(protocol.label_state("test", &label).await.unwrap());
        if state == Some(streamload_core::LabelState::Aborted) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(state, Some(streamload_core::LabelState::Aborted));
}

#[tokio::test]
async fn each_json_chunk_is_its_own_load_request() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let table = Table::new("test", "score_board");
    let protocol = emu::builder(&emu)
        .with_version(SinkVersion::V2)
        .with_property("format", "json");
    let mut sink = StarRocksSink::builder()
        .with_protocol(protocol)
        .with_sink_config(
            SinkConfig::builder()
                .with_delivery(Delivery::Checkpointed)
                .with_chunk_bytes(16)
                .with_memory_budget(1 << 20),
        )
        .build()
        .unwrap();
    for id in 1..=10 {
        sink.write(
            &table,
            Op::Upsert,
            &Score {
                id,
                name: "j",
                score: id,
            },
        )
        .await
        .unwrap();
    }
    let checkpoint = sink.prepare(1).await.unwrap();
    sink.commit(&checkpoint).await.unwrap();
    let count = emu::rows(&emu, "select count(*) from test.score_board").await;
    assert_eq!(count, [["10"]]);
    let loads = emu
        .request_log()
        .entries()
        .into_iter()
        .filter(|r| r.path == "/api/transaction/load")
        .count();
    assert!(loads > 1, "{loads} /load requests");
}
