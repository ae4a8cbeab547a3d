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
