//! Merge commit through core's `Sink` against the emulator: concurrent writers share server
//! transactions, every row arrives, and the in-order mode keeps the last write per key.

mod support;

use bytes::Bytes;
use serde::Serialize;
use streamload_core::{
    Compression, CsvFormat, Delivery, ErrorKind, Format, LoadOptions, LoadProtocol, Op, SinkConfig,
    Table,
};
use streamload_starrocks::{Mode, StarRocksSink};
use support::emu;

#[derive(Serialize)]
struct Score {
    id: i32,
    name: String,
    score: i32,
}

fn merge_builder(
    emu: &streamload_emulator::EmulatorHandle,
) -> streamload_starrocks::StarRocksBuilder {
    emu::builder(emu)
        .with_property("enable_merge_commit", "true")
        .with_property("merge_commit_interval_ms", "300")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_writers_share_server_transactions_and_every_row_arrives() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let mut writers = Vec::new();
    for writer in 0..8 {
        let builder = merge_builder(&emu);
        writers.push(tokio::spawn(async move {
            let table = Table::new("test", "score_board");
            let config = SinkConfig::builder()
                .with_delivery(Delivery::Batched)
                .with_writer_id(writer.to_string())
                .with_max_rows(5);
            let mut sink = StarRocksSink::builder()
                .with_protocol(builder)
                .with_sink_config(config)
                .build()
                .unwrap();
            assert_eq!(sink.protocol().mode(), Mode::MergeCommit);
            for i in 0..20 {
                let id = writer * 100 + i;
                sink.write(
                    &table,
                    Op::Upsert,
                    &Score {
                        id,
                        name: format!("w{writer}"),
                        score: i,
                    },
                )
                .await
                .unwrap();
            }
            sink.flush().await.unwrap();
            sink.close().await.unwrap();
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let count = emu::rows(&emu, "select count(*) from test.score_board").await;
    assert_eq!(count, [["160"]]);
    let requests = emu
        .request_log()
        .entries()
        .into_iter()
        .filter(|r| r.path.ends_with("/_stream_load") && r.body_bytes > 0)
        .count();
    let merged = (1..10_000)
        .filter_map(|id| emu.engine().txn_any(id))
        .filter(|t| t.label.starts_with("merge_commit_"))
        .count();
    assert_eq!(requests, 32, "8 writers × 4 batches of 5 rows");
    assert!(
        merged >= 1 && merged < requests,
        "{merged} server transactions for {requests} requests"
    );
}

#[tokio::test]
async fn in_order_mode_keeps_the_last_write_per_key() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let table = Table::new("test", "score_board");
    let builder = merge_builder(&emu)
        .with_option("sink.merge-commit.max-concurrent-requests", "0")
        .unwrap();
    let mut sink = StarRocksSink::builder()
        .with_protocol(builder)
        .with_sink_config(
            SinkConfig::builder()
                .with_delivery(Delivery::Batched)
                .with_max_rows(1),
        )
        .build()
        .unwrap();
    for score in 1..=6 {
        sink.write(
            &table,
            Op::Upsert,
            &Score {
                id: 1,
                name: format!("v{score}"),
                score,
            },
        )
        .await
        .unwrap();
    }
    sink.flush().await.unwrap();
    sink.close().await.unwrap();
    let rows = emu::rows(&emu, "select id, name, score from test.score_board").await;
    assert_eq!(rows, [["1", "v6", "6"]]);
}

#[tokio::test]
async fn sync_mode_answers_after_the_merged_transaction_is_final() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let table = Table::new("test", "score_board");
    let mut sink = StarRocksSink::builder()
        .with_protocol(merge_builder(&emu).with_property("merge_commit_async", "false"))
        .with_sink_config(SinkConfig::builder().with_delivery(Delivery::Batched))
        .build()
        .unwrap();
    sink.write(
        &table,
        Op::Upsert,
        &Score {
            id: 7,
            name: "sync".into(),
            score: 7,
        },
    )
    .await
    .unwrap();
    sink.flush().await.unwrap();
    let rows = emu::rows(&emu, "select id, name from test.score_board").await;
    assert_eq!(rows, [["7", "sync"]]);
    sink.close().await.unwrap();
    let load = emu
        .request_log()
        .entries()
        .into_iter()
        .find(|r| r.path.ends_with("/_stream_load") && r.body_bytes > 0)
        .expect("a merge-commit load");
    assert_eq!(load.header("merge_commit_async"), Some("false"));
    assert_eq!(load.header("merge_commit_parallel"), Some("3"));
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
    let protocol = merge_builder(&emu).build().unwrap();
    let mut txn = protocol.begin(&table, None, &options).await.unwrap();
    txn.write(Bytes::from_static(b"1\tok\t1\nnot-a-number-xyz\tbad\t2\n"))
        .await
        .unwrap();
    let err = txn.finish().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DataQuality, "{err}");
    assert!(err.context("error_url").is_some(), "{err}");
    assert!(err.message().contains("rejected rows:\n  1: "), "{err}");
    assert!(err.message().contains("not-a-number-xyz"), "{err}");
    assert!(
        emu::rows(&emu, "select id from test.score_board")
            .await
            .is_empty()
    );
}

#[test]
fn merge_condition_is_refused_with_merge_commit() {
    let merge = || {
        streamload_starrocks::StarRocksBuilder::new()
            .with_load_urls(["127.0.0.1:8030"])
            .with_credentials("root", "")
            .with_property("enable_merge_commit", "true")
            .with_property("merge_commit_interval_ms", "300")
    };
    let err = merge()
        .with_property("merge_condition", "score")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(err.message().contains("merge_condition"), "{err}");
    let protocol = merge().build().unwrap();
    assert!(!protocol.capabilities().conditional_update);
}
