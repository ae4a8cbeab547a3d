//! Batched-mode driver tests against the recording protocol: flush triggers, the memory
//! budget, deletes, formats. The retry and label-state tests are in `tests_retry.rs`.

use std::io::Read;
use std::time::Duration;

use serde::Serialize;

use super::Sink;
use crate::config::{Delivery, SinkConfig, SinkConfigBuilder};
use crate::error::{Error, ErrorKind};
use crate::format::{Compression, Format, JsonFormat};
use crate::report::LabelState;
use crate::retry::RetryConfig;
use crate::row::{Op, RowKind};
use crate::table::Table;
use crate::testing::{Recording, Step};

#[derive(Serialize)]
pub(super) struct Row {
    id: i64,
    name: String,
}

pub(super) fn row(id: i64) -> Row {
    Row {
        id,
        name: format!("n{id}"),
    }
}

pub(super) fn table() -> Table {
    Table::new("db", "t")
}

pub(super) fn fast_retries() -> RetryConfig {
    RetryConfig {
        max_retries: 2,
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        txn_limit_wait: Duration::from_secs(5),
    }
}

pub(super) fn builder() -> SinkConfigBuilder {
    SinkConfig::builder()
        .with_label_prefix("app")
        .with_writer_id("w")
        .with_delivery(Delivery::Batched)
        .with_retry(fast_retries())
}

pub(super) fn label(seq: u64) -> String {
    format!("app_db_t_w_{seq}")
}

pub(super) async fn write_rows(sink: &mut Sink<Recording>, ids: std::ops::Range<i64>) {
    for id in ids {
        sink.write(&table(), Op::Upsert, &row(id)).await.unwrap();
    }
}

#[tokio::test]
async fn batches_flush_by_rows_under_sequential_labels() {
    let protocol = Recording::new();
    let config = builder().with_max_rows(2).build().unwrap();
    let mut sink = Sink::new(protocol.clone(), config).unwrap();
    write_rows(&mut sink, 1..6).await;
    sink.flush().await.unwrap();
    assert_eq!(protocol.visible_text(&label(1)), "1\tn1\t0\n2\tn2\t0\n");
    assert_eq!(protocol.visible_text(&label(2)), "3\tn3\t0\n4\tn4\t0\n");
    assert_eq!(protocol.visible_text(&label(3)), "5\tn5\t0\n");
    let options = protocol.server().options[&label(1)].clone();
    assert_eq!(
        options.columns.unwrap(),
        ["id", "name", "__DORIS_DELETE_SIGN__"]
    );
    assert!(!options.two_phase);
    let stats = sink.stats();
    assert_eq!((stats.rows_written, stats.loads_succeeded), (5, 3));
    assert_eq!(stats.rows_loaded, 5);
    sink.close().await.unwrap();
}

#[tokio::test]
async fn batches_flush_by_bytes() {
    let protocol = Recording::new();
    let config = builder().with_max_bytes(20).build().unwrap();
    let mut sink = Sink::new(protocol.clone(), config).unwrap();
    // Each row is 9 bytes: "1\tn1\t0\n" plus the id digits.
    write_rows(&mut sink, 1..7).await;
    sink.flush().await.unwrap();
    assert_eq!(
        protocol.visible_text(&label(1)),
        "1\tn1\t0\n2\tn2\t0\n3\tn3\t0\n"
    );
    assert_eq!(
        protocol.visible_text(&label(2)),
        "4\tn4\t0\n5\tn5\t0\n6\tn6\t0\n"
    );
}

#[tokio::test]
async fn old_rows_are_flushed_by_age() {
    let protocol = Recording::new();
    let config = builder()
        .with_flush_interval(Duration::from_millis(30))
        .build()
        .unwrap();
    let mut sink = Sink::new(protocol.clone(), config).unwrap();
    write_rows(&mut sink, 1..2).await;
    sink.flush_due().await.unwrap();
    assert!(protocol.calls().is_empty(), "flushed too early");
    tokio::time::sleep(Duration::from_millis(40)).await;
    sink.flush_due().await.unwrap();
    sink.flush().await.unwrap();
    assert_eq!(protocol.visible_text(&label(1)), "1\tn1\t0\n");
}

#[tokio::test]
async fn writers_wait_for_the_memory_budget_and_lose_nothing() {
    let mut protocol = Recording::new();
    protocol.write_delay = Duration::from_millis(5);
    let config = builder()
        .with_chunk_bytes(32)
        .with_memory_budget(64)
        .build()
        .unwrap();
    let mut sink = Sink::new(protocol.clone(), config).unwrap();
    write_rows(&mut sink, 0..60).await;
    sink.flush().await.unwrap();
    let stats = sink.stats();
    assert!(stats.memory_waits > 0, "{stats:?}");
    let server = protocol.server();
    let loaded: usize = server
        .visible
        .values()
        .map(|b| b.iter().filter(|c| **c == b'\n').count())
        .sum();
    assert_eq!(loaded, 60);
}

#[tokio::test]
async fn deletes_carry_the_delete_sign_or_fail_typed() {
    let protocol = Recording::new();
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    sink.write(&table(), Op::Delete, &row(7)).await.unwrap();
    sink.write_change(&table(), RowKind::UpdateBefore, &row(8))
        .await
        .unwrap();
    sink.write_change(&table(), RowKind::UpdateAfter, &row(8))
        .await
        .unwrap();
    sink.flush().await.unwrap();
    assert_eq!(protocol.visible_text(&label(1)), "7\tn7\t1\n8\tn8\t0\n");

    let mut no_column = Recording::new();
    no_column.delete_column = false;
    let mut sink = Sink::new(no_column, builder().build().unwrap()).unwrap();
    sink.write(&table(), Op::Upsert, &row(1)).await.unwrap();
    let err = sink.write(&table(), Op::Delete, &row(2)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(err.context("table"), Some("db.t"));
    assert_eq!(err.context("row"), Some("2"));

    let disabled = builder().with_enable_delete(false).build().unwrap();
    let mut sink = Sink::new(Recording::new(), disabled).unwrap();
    let err = sink.write(&table(), Op::Delete, &row(2)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}

#[tokio::test]
async fn bad_values_name_table_row_and_column() {
    #[derive(Serialize)]
    struct Measure {
        id: i64,
        value: f64,
    }
    let mut sink = Sink::new(Recording::new(), builder().build().unwrap()).unwrap();
    let good = Measure { id: 1, value: 0.5 };
    sink.write(&table(), Op::Upsert, &good).await.unwrap();
    let bad = Measure {
        id: 2,
        value: f64::NAN,
    };
    let err = sink.write(&table(), Op::Upsert, &bad).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Encode);
    assert_eq!(err.context("row"), Some("2"));
    assert_eq!(err.context("column"), Some("value"));
    assert_eq!(err.context("table"), Some("db.t"));
}

#[tokio::test]
async fn lz4_bodies_decode_to_the_rows() {
    let protocol = Recording::new();
    let config = builder()
        .with_compression(Compression::Lz4Frame)
        .with_chunk_bytes(16)
        .build()
        .unwrap();
    let mut sink = Sink::new(protocol.clone(), config).unwrap();
    write_rows(&mut sink, 1..20).await;
    sink.flush().await.unwrap();
    let body = protocol.server().visible[&label(1)].clone();
    let mut plain = String::new();
    lz4_flex::frame::FrameDecoder::new(&body[..])
        .read_to_string(&mut plain)
        .unwrap();
    let expected: String = (1..20).map(|i| format!("{i}\tn{i}\t0\n")).collect();
    assert_eq!(plain, expected);
}

#[tokio::test]
async fn json_array_bodies_are_whole_arrays() {
    let protocol = Recording::new();
    let config = builder()
        .with_format(Format::Json(JsonFormat::Array))
        .with_max_rows(3)
        .build()
        .unwrap();
    let mut sink = Sink::new(protocol.clone(), config).unwrap();
    write_rows(&mut sink, 1..6).await;
    sink.flush().await.unwrap();
    for (seq, ids) in [(1, vec![1, 2, 3]), (2, vec![4, 5])] {
        let body: serde_json::Value =
            serde_json::from_str(&protocol.visible_text(&label(seq))).unwrap();
        let got: Vec<i64> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect();
        assert_eq!(got, ids);
    }
}

#[tokio::test]
async fn server_batched_loads_carry_no_label() {
    let mut protocol = Recording::new();
    protocol.caps.server_batched = true;
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    write_rows(&mut sink, 1..3).await;
    sink.flush().await.unwrap();
    assert_eq!(protocol.visible_text("server_1"), "1\tn1\t0\n2\tn2\t0\n");
}

#[tokio::test]
async fn pre_encoded_bytes_and_dynamic_rows_share_the_load() {
    use crate::encode::Value;
    let protocol = Recording::new();
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    let columns = ["id", "name"];
    let values = [Value::Int(1), Value::from("a")];
    sink.write_values(&table(), Op::Upsert, &columns, &values)
        .await
        .unwrap();
    sink.write_encoded(&table(), bytes::Bytes::from_static(b"2\tb\t0\n"), 1)
        .await
        .unwrap();
    let torn = sink
        .write_encoded(&table(), bytes::Bytes::from_static(b"3\tc"), 1)
        .await
        .unwrap_err();
    assert_eq!(torn.kind(), ErrorKind::Encode);
    sink.flush().await.unwrap();
    assert_eq!(protocol.visible_text(&label(1)), "1\ta\t0\n2\tb\t0\n");
    assert_eq!(sink.stats().rows_written, 2);
}

#[tokio::test]
async fn a_shared_dyn_protocol_drives_a_sink() {
    use std::sync::Arc;

    use crate::protocol::LoadProtocol;
    let recording = Recording::new();
    let shared: Arc<dyn LoadProtocol> = Arc::new(recording.clone());
    let mut sink = Sink::new(shared, builder().build().unwrap()).unwrap();
    sink.write(&table(), Op::Upsert, &row(1)).await.unwrap();
    sink.close().await.unwrap();
    assert_eq!(recording.visible_text(&label(1)), "1\tn1\t0\n");
}

#[tokio::test]
async fn config_is_checked_against_the_capabilities() {
    let mut protocol = Recording::new();
    protocol.caps.two_phase_commit = false;
    protocol.caps.max_body_bytes = 1 << 20;
    let checkpointed = builder()
        .with_delivery(Delivery::Checkpointed)
        .build()
        .unwrap();
    let err = Sink::new(protocol.clone(), checkpointed).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let too_big = builder().with_max_bytes(2 << 20).build().unwrap();
    assert_eq!(
        Sink::new(protocol, too_big).unwrap_err().kind(),
        ErrorKind::Config
    );
}

#[tokio::test]
async fn flush_reports_how_many_other_tables_failed() {
    let protocol = Recording::new();
    for _ in 0..2 {
        protocol.fail(
            Step::Finish,
            Error::new(ErrorKind::DataQuality, "bad"),
            false,
        );
    }
    let mut sink = Sink::new(protocol.clone(), builder().build().unwrap()).unwrap();
    sink.write(&table(), Op::Upsert, &row(1)).await.unwrap();
    sink.write(&Table::new("db", "u"), Op::Upsert, &row(2))
        .await
        .unwrap();
    let err = sink.flush().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DataQuality);
    assert_eq!(err.context("other_failed_tables"), Some("1"));
    assert_eq!(sink.stats().loads_failed, 2);
}

#[tokio::test]
async fn a_big_row_waits_until_enough_small_buffers_are_shipped() {
    #[derive(Serialize)]
    struct Blob {
        text: String,
    }
    let protocol = Recording::new();
    let config = builder()
        .with_chunk_bytes(50)
        .with_memory_budget(200)
        .build()
        .unwrap();
    let mut sink = Sink::new(protocol.clone(), config).unwrap();
    for t in 0..5 {
        let table = Table::new("db", format!("t{t}"));
        let row = Blob {
            text: "x".repeat(30),
        };
        sink.write(&table, Op::Upsert, &row).await.unwrap();
    }
    let big = Blob {
        text: "y".repeat(80),
    };
    let wrote = tokio::time::timeout(
        Duration::from_secs(5),
        sink.write(&Table::new("db", "big"), Op::Upsert, &big),
    )
    .await;
    wrote.expect("the writer must not wait forever").unwrap();
    sink.flush().await.unwrap();
    assert!(sink.stats().memory_waits >= 1);
    assert_eq!(sink.stats().loads_succeeded, 6);
}

#[test]
fn an_enclosed_csv_format_needs_the_csv_enclose_capability() {
    let enclosed = Format::Csv(crate::CsvFormat {
        enclose: Some(b'"'),
        ..crate::CsvFormat::default()
    });
    let mut protocol = Recording::new();
    assert!(
        Sink::new(
            protocol.clone(),
            builder().with_format(enclosed.clone()).build().unwrap()
        )
        .is_ok()
    );
    protocol.caps.csv_enclose = false;
    let err = Sink::new(protocol, builder().with_format(enclosed).build().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("enclose"), "{err}");
}

/// Time the writer spends handing over `batches` one-row batches while each load takes 1 s.
async fn handover_time(flush_queue_size: usize, batches: i64) -> Duration {
    let mut protocol = Recording::new();
    protocol.write_delay = Duration::from_secs(1);
    let config = builder()
        .with_max_rows(1)
        .with_flush_queue_size(flush_queue_size)
        .build()
        .unwrap();
    let mut sink = Sink::new(protocol.clone(), config).unwrap();
    let started = tokio::time::Instant::now();
    write_rows(&mut sink, 1..batches + 1).await;
    let took = started.elapsed();
    sink.flush().await.unwrap();
    for seq in 1..=batches as u64 {
        assert_eq!(
            protocol.state(&label(seq)),
            LabelState::Visible,
            "batch {seq}"
        );
    }
    took
}

#[tokio::test(start_paused = true)]
async fn a_writer_runs_ahead_of_the_loading_batch_by_the_flush_queue_only() {
    // Queue 0: the second full batch waits for the first load, the third for the second.
    assert!(handover_time(0, 3).await >= Duration::from_secs(2));
    // Queue 2: three batches are handed over while the first one loads.
    assert!(handover_time(2, 3).await < Duration::from_secs(1));
}
