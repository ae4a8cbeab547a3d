//! V2 transactions, checkpointed (exactly-once), end to end through core's `Sink` against the
//! emulator; rows are read back through its MySQL port.

mod support;

use serde::Serialize;
use streamload_core::{Delivery, Op, SinkConfig, Table};
use streamload_emulator::engine::TxnState;
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
        sink.write(
            &table,
            Op::Upsert,
            &Score {
                id,
                name,
                score: 100,
            },
        )
        .await
        .unwrap();
    }
    let checkpoint = sink.prepare(1).await.unwrap();
    assert_eq!(checkpoint.prepared.len(), 1);
    assert_eq!(checkpoint.prepared[0].label.as_str(), "eo-score_board-0-1");
    assert!(
        emu::rows(&emu, "select * from test.score_board")
            .await
            .is_empty()
    );
    sink.commit(&checkpoint).await.unwrap();
    sink.commit(&checkpoint).await.unwrap();
    let rows = emu::rows(
        &emu,
        "select id, name, score from test.score_board order by id",
    )
    .await;
    assert_eq!(rows, [["1", "starrocks", "100"], ["2", "flink", "100"]]);
}

/// Runs one writer on its own runtime and then "crashes" it: the sink is leaked (no abort on
/// drop) and the runtime is shut down, which closes its sockets mid-request.
fn crashed_run<F, Fut>(work: F) -> streamload_core::Checkpoint
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<
            Output = (
                streamload_core::Sink<streamload_starrocks::StarRocksProtocol>,
                streamload_core::Checkpoint,
            ),
        >,
{
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (sink, checkpoint) = runtime.block_on(work());
        std::mem::forget(sink);
        runtime.shutdown_timeout(std::time::Duration::from_millis(100));
        checkpoint
    })
    .join()
    .unwrap()
}

fn small_chunks() -> streamload_core::SinkConfigBuilder {
    sink_config()
        .with_chunk_bytes(16)
        .with_memory_budget(1 << 20)
}

async fn replay_and_commit(
    emu: &streamload_emulator::EmulatorHandle,
    checkpoint: streamload_core::Checkpoint,
    rows: &[(i32, &str)],
) {
    let table = Table::new("test", "score_board");
    let mut sink = StarRocksSink::builder()
        .with_protocol(emu::builder(emu))
        .with_sink_config(small_chunks())
        .recover(Some(checkpoint.clone()))
        .await
        .unwrap();
    for (id, name) in rows {
        sink.write(
            &table,
            Op::Upsert,
            &Score {
                id: *id,
                name,
                score: 1,
            },
        )
        .await
        .unwrap();
    }
    let next = sink.prepare(checkpoint.id + 1).await.unwrap();
    sink.commit(&next).await.unwrap();
    sink.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_prepare_and_commit_ends_with_exactly_the_input() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let builder = emu::builder(&emu);
    let checkpoint = crashed_run(move || async move {
        let table = Table::new("test", "score_board");
        let mut sink = StarRocksSink::builder()
            .with_protocol(builder)
            .with_sink_config(small_chunks())
            .connect()
            .await
            .unwrap();
        for (id, name) in [(1, "a"), (2, "b")] {
            sink.write(&table, Op::Upsert, &Score { id, name, score: 1 })
                .await
                .unwrap();
        }
        let checkpoint = sink.prepare(1).await.unwrap();
        (sink, checkpoint)
    });
    let txn = emu
        .engine()
        .txn_by_label("test", "eo-score_board-0-1")
        .expect("prepared txn");
    assert_eq!(txn.state, TxnState::Precommitted);
    assert!(
        emu::rows(&emu, "select id from test.score_board")
            .await
            .is_empty()
    );
    replay_and_commit(&emu, checkpoint, &[(3, "c")]).await;
    let rows = emu::rows(&emu, "select id, name from test.score_board order by id").await;
    assert_eq!(rows, [["1", "a"], ["2", "b"], ["3", "c"]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_transaction_ends_with_exactly_the_input_after_recovery() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let builder = emu::builder(&emu);
    let checkpoint = crashed_run(move || async move {
        let table = Table::new("test", "score_board");
        let mut sink = StarRocksSink::builder()
            .with_protocol(builder)
            .with_sink_config(small_chunks())
            .connect()
            .await
            .unwrap();
        sink.write(
            &table,
            Op::Upsert,
            &Score {
                id: 1,
                name: "a",
                score: 1,
            },
        )
        .await
        .unwrap();
        let checkpoint = sink.prepare(1).await.unwrap();
        sink.commit(&checkpoint).await.unwrap();
        for id in 2..40 {
            sink.write(
                &table,
                Op::Upsert,
                &Score {
                    id,
                    name: "lost",
                    score: 1,
                },
            )
            .await
            .unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        (sink, checkpoint)
    });
    let lingering = emu.engine().txn_by_label("test", "eo-score_board-0-2");
    assert!(
        lingering.is_some(),
        "the crashed run must have begun its second transaction"
    );
    replay_and_commit(&emu, checkpoint, &[(2, "b"), (3, "c")]).await;
    let rows = emu::rows(&emu, "select id, name from test.score_board order by id").await;
    assert_eq!(rows, [["1", "a"], ["2", "b"], ["3", "c"]]);
    let state = emu
        .engine()
        .txn_by_label("test", "eo-score_board-0-2")
        .map(|t| t.state);
    assert_eq!(state, Some(TxnState::Visible));
}

#[tokio::test]
async fn abort_lingering_rolls_back_running_and_prepared_labels_up_to_the_first_unknown() {
    use streamload_core::{
        Compression, CsvFormat, Format, LabelGenerator, LoadOptions, LoadProtocol,
    };
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let table = Table::new("test", "score_board");
    let protocol = emu::builder(&emu).build().unwrap();
    let generator = LabelGenerator::new("lg", "0", streamload_starrocks::LABEL_FORMAT).unwrap();
    let options = LoadOptions {
        format: Format::Csv(CsvFormat::default()),
        compression: Compression::None,
        columns: Some(vec!["id".into(), "name".into(), "score".into()]),
        two_phase: true,
    };
    let mut prepared = protocol
        .begin(&table, Some(generator.label(&table, 3).unwrap()), &options)
        .await
        .unwrap();
    prepared
        .write(bytes::Bytes::from_static(b"1\ta\t1\n"))
        .await
        .unwrap();
    prepared.prepare().await.unwrap();
    let running = protocol
        .begin(&table, Some(generator.label(&table, 4).unwrap()), &options)
        .await
        .unwrap();
    std::mem::forget(running);
    let aborted = protocol
        .abort_lingering(&generator, &table, 3, None)
        .await
        .unwrap();
    let names: Vec<&str> = aborted.iter().map(|l| l.as_str()).collect();
    assert_eq!(names, ["lg-score_board-0-3", "lg-score_board-0-4"]);
    for label in ["lg-score_board-0-3", "lg-score_board-0-4"] {
        assert_eq!(
            emu.engine().txn_by_label("test", label).unwrap().state,
            TxnState::Aborted
        );
    }
}

#[tokio::test]
async fn recovering_over_a_committed_label_fails_loudly() {
    let emu = emu::start().await;
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let table = Table::new("test", "score_board");
    let mut sink = StarRocksSink::builder()
        .with_protocol(emu::builder(&emu))
        .with_sink_config(sink_config())
        .build()
        .unwrap();
    sink.write(
        &table,
        Op::Upsert,
        &Score {
            id: 1,
            name: "a",
            score: 1,
        },
    )
    .await
    .unwrap();
    let checkpoint = sink.prepare(1).await.unwrap();
    sink.commit(&checkpoint).await.unwrap();
    sink.close().await.unwrap();
    // A fresh start without the stored checkpoint meets label 1 committed.
    let err = StarRocksSink::builder()
        .with_protocol(emu::builder(&emu))
        .with_sink_config(sink_config().with_tables(vec![table.clone()]))
        .recover(None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), streamload_core::ErrorKind::AlreadyCommitted);
}

#[tokio::test]
async fn every_load_of_a_transaction_reaches_its_coordinator_among_several_backends() {
    let mut config =
        streamload_emulator::EmulatorConfig::new(streamload_emulator::engine::Flavor::StarRocks);
    config.backends = 3;
    let emu = streamload_emulator::Emulator::start(config).await.unwrap();
    emu.engine().create_database("test").unwrap();
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    let table = Table::new("test", "score_board");
    let builder = emu::builder(&emu)
        .with_option("sink.chunk-limit", "40")
        .unwrap();
    let mut sink = StarRocksSink::builder()
        .with_protocol(builder)
        .with_sink_config(
            sink_config()
                .with_chunk_bytes(16)
                .with_memory_budget(1 << 20),
        )
        .build()
        .unwrap();
    for checkpoint_id in 1..=3u64 {
        for id in 0..5 {
            let id = (checkpoint_id * 10) as i32 + id;
            sink.write(
                &table,
                Op::Upsert,
                &Score {
                    id,
                    name: "c",
                    score: 1,
                },
            )
            .await
            .unwrap();
        }
        let checkpoint = sink.prepare(checkpoint_id).await.unwrap();
        sink.commit(&checkpoint).await.unwrap();
    }
    sink.close().await.unwrap();
    let count = emu::rows(&emu, "select count(*) from test.score_board").await;
    assert_eq!(count, [["15"]]);
    let entries = emu.request_log().entries();
    let mut coordinators = Vec::new();
    for seq in 1..=3 {
        let label = format!("eo-score_board-0-{seq}");
        let on_be: Vec<_> = entries
            .iter()
            .filter(|r| matches!(r.listener, streamload_emulator::Listener::Be(_)))
            .filter(|r| r.header("label") == Some(label.as_str()))
            .filter(|r| r.path.ends_with("/begin") || r.path.ends_with("/load"))
            .map(|r| r.listener)
            .collect();
        assert!(on_be.len() > 2, "{label}: {on_be:?}");
        assert!(on_be.iter().all(|l| *l == on_be[0]), "{label}: {on_be:?}");
        coordinators.push(on_be[0]);
    }
    assert!(
        coordinators.iter().any(|c| *c != coordinators[0]),
        "round robin spreads transactions"
    );
}
