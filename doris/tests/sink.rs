//! End to end through core's `Sink`: the exactly-once loop, a crash between prepare and commit,
//! lingering transactions of a crash mid-stream, batch mode, group commit and deletes.

mod common;

use common::*;
use serde::Serialize;
use streamload_core::{Checkpoint, LabelState, LoadProtocol, Op, Sink, SinkConfig};
use streamload_doris::{DorisProtocol, DorisSink, GroupCommitMode};
use streamload_emulator::EmulatorHandle;

#[derive(Serialize)]
struct Row<'a> {
    id: i32,
    name: &'a str,
}

#[derive(Serialize)]
struct Scored<'a> {
    id: i32,
    name: &'a str,
    score: i32,
}

async fn exactly_once(emu: &EmulatorHandle, checkpoint: Option<Checkpoint>) -> Sink<DorisProtocol> {
    DorisSink::builder()
        .with_protocol(builder(emu))
        .with_label_prefix("e2e")
        .recover(checkpoint)
        .await
        .expect("sink recovers")
}

#[tokio::test]
async fn exactly_once_loop_with_crash_between_prepare_and_commit() {
    let emu = start().await;
    let table = dup_table(&emu, "teo").await;
    let mut sink = exactly_once(&emu, None).await;
    for id in 1..=3 {
        sink.write(&table, Op::Upsert, &Row { id, name: "first" })
            .await
            .unwrap();
    }
    let checkpoint = sink.prepare(1).await.unwrap();
    let stored = serde_json::to_string(&checkpoint).unwrap();
    sink.commit(&checkpoint).await.unwrap();
    assert_eq!(table_text(&emu, "select count(*) from test.teo").await, "3");

    for id in 4..=5 {
        sink.write(&table, Op::Upsert, &Row { id, name: "second" })
            .await
            .unwrap();
    }
    let checkpoint2 = sink.prepare(2).await.unwrap();
    let stored2 = serde_json::to_string(&checkpoint2).unwrap();
    drop(sink); // crash: checkpoint 2 stored, never committed
    assert_eq!(table_text(&emu, "select count(*) from test.teo").await, "3");

    let restored: Checkpoint = serde_json::from_str(&stored2).unwrap();
    let mut sink = exactly_once(&emu, Some(restored)).await;
    sink.write(
        &table,
        Op::Upsert,
        &Row {
            id: 6,
            name: "third",
        },
    )
    .await
    .unwrap();
    let checkpoint3 = sink.prepare(3).await.unwrap();
    sink.commit(&checkpoint3).await.unwrap();
    sink.commit(&checkpoint3)
        .await
        .expect("commit twice is fine");
    assert_eq!(
        table_text(&emu, "select id from test.teo order by id").await,
        "1;2;3;4;5;6"
    );
    // The first checkpoint can be committed again (idempotent) without duplicates.
    let first: Checkpoint = serde_json::from_str(&stored).unwrap();
    sink.commit(&first).await.unwrap();
    assert_eq!(table_text(&emu, "select count(*) from test.teo").await, "6");
    assert_no_body_reached_the_fe(&emu);
}

#[tokio::test]
async fn recovery_aborts_what_a_crash_mid_stream_left_open() {
    let emu = start().await;
    let table = dup_table(&emu, "tmid").await;
    let mut sink = exactly_once(&emu, None).await;
    sink.write(
        &table,
        Op::Upsert,
        &Row {
            id: 1,
            name: "kept",
        },
    )
    .await
    .unwrap();
    let checkpoint = sink.prepare(1).await.unwrap();
    sink.commit(&checkpoint).await.unwrap();
    drop(sink);

    // A run after checkpoint 1 precommitted checkpoint 2's load and died before storing it.
    let doris = builder(&emu).with_label_prefix("e2e").build().unwrap();
    let lingering = doris.label_generator().unwrap().label(&table, 2).unwrap();
    let mut txn = doris
        .begin(&table, Some(lingering.clone()), &csv(true, &[]))
        .await
        .unwrap();
    write_all(&mut txn, &["2\tlost\n"]).await;
    let _orphan = txn.prepare().await.unwrap();
    assert_eq!(
        doris.label_state("test", &lingering).await.unwrap(),
        LabelState::Precommitted
    );

    let mut sink = exactly_once(&emu, Some(checkpoint)).await;
    assert_eq!(
        doris.label_state("test", &lingering).await.unwrap(),
        LabelState::Aborted
    );
    sink.write(
        &table,
        Op::Upsert,
        &Row {
            id: 2,
            name: "replayed",
        },
    )
    .await
    .unwrap();
    let checkpoint = sink.prepare(2).await.unwrap();
    sink.commit(&checkpoint).await.unwrap();
    assert_eq!(
        table_text(&emu, "select id, name from test.tmid order by id").await,
        "1,kept;2,replayed"
    );
}

#[tokio::test]
async fn deletes_through_the_sink() {
    let emu = start().await;
    let table = unique_table(&emu, "tsinkdel", "").await;
    let mut sink = exactly_once(&emu, None).await;
    for (id, name) in [(1, "a"), (2, "b"), (3, "c")] {
        sink.write(
            &table,
            Op::Upsert,
            &Scored {
                id,
                name,
                score: id * 10,
            },
        )
        .await
        .unwrap();
    }
    let checkpoint = sink.prepare(1).await.unwrap();
    sink.commit(&checkpoint).await.unwrap();
    sink.write(
        &table,
        Op::Delete,
        &Scored {
            id: 2,
            name: "b",
            score: 20,
        },
    )
    .await
    .unwrap();
    let checkpoint = sink.prepare(2).await.unwrap();
    sink.commit(&checkpoint).await.unwrap();
    assert_eq!(
        table_text(
            &emu,
            "select id, name, score from test.tsinkdel order by id"
        )
        .await,
        "1,a,10;3,c,30"
    );
}

#[tokio::test]
async fn batch_mode_through_the_sink() {
    let emu = start().await;
    let table = dup_table(&emu, "tsinkbatch").await;
    let mut sink = DorisSink::builder()
        .with_protocol(builder(&emu).with_batch_mode(true))
        .with_sink_config(SinkConfig::builder().with_max_rows(2))
        .build()
        .unwrap();
    for id in 1..=5 {
        sink.write(&table, Op::Upsert, &Row { id, name: "b" })
            .await
            .unwrap();
    }
    sink.close().await.unwrap();
    assert_eq!(
        table_text(&emu, "select count(*) from test.tsinkbatch").await,
        "5"
    );
}

#[tokio::test]
async fn group_commit_through_the_sink() {
    let emu = start().await;
    let table = dup_table(&emu, "tsinkgroup").await;
    let mut sink = DorisSink::builder()
        .with_protocol(builder(&emu).with_group_commit(GroupCommitMode::Sync))
        .build()
        .unwrap();
    for id in 1..=3 {
        sink.write(&table, Op::Upsert, &Row { id, name: "g" })
            .await
            .unwrap();
    }
    sink.close().await.unwrap();
    assert_eq!(
        table_text(&emu, "select count(*) from test.tsinkgroup").await,
        "3"
    );
    assert!(
        emu.request_log()
            .entries()
            .iter()
            .all(|r| r.header("label").is_none())
    );
}

#[tokio::test]
async fn flink_options_drive_a_gzip_json_sink() {
    let emu = start().await;
    let table = dup_table(&emu, "tsinkjson").await;
    let fe = emu.fe_url();
    let mut sink = DorisSink::builder()
        .with_flink_options([
            ("fenodes", fe.as_str()),
            ("username", "root"),
            ("password", ""),
            ("sink.label-prefix", "flink"),
            ("sink.properties.format", "json"),
            ("sink.properties.compress_type", "gz"),
        ])
        .unwrap()
        .recover(None)
        .await
        .unwrap();
    sink.write(&table, Op::Upsert, &Row { id: 1, name: "j" })
        .await
        .unwrap();
    let checkpoint = sink.prepare(1).await.unwrap();
    sink.commit(&checkpoint).await.unwrap();
    assert_eq!(
        table_text(&emu, "select id, name from test.tsinkjson").await,
        "1,j"
    );
    let log = emu.request_log().entries();
    let load = log
        .iter()
        .find(|r| r.header("label") == Some("flink_test_tsinkjson_0_1"))
        .unwrap();
    assert_eq!(load.header("compress_type"), Some("gz"));
    assert_eq!(load.header("read_json_by_line"), Some("true"));
}

/// An FE that refuses its first load probe ("no backend available") and then redirects every
/// request to `real_fe`; it records the `label` header of each request it saw.
async fn flaky_fe(real_fe: String) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let labels = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&labels);
    tokio::spawn(async move {
        let mut refused = false;
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 16 * 1024];
            let mut read = 0;
            while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buf[read..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => read += n,
                }
            }
            let head = String::from_utf8_lossy(&buf[..read]).into_owned();
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
            if let Some(line) = head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("label:"))
            {
                seen.lock().unwrap().push(line[6..].trim().to_owned());
            }
            let answer = if path.contains("_stream_load") && !path.contains("2pc") && !refused {
                refused = true;
                let body = r#"{"status":"FAILED","msg":"No backend load available."}"#;
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: {real_fe}{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            };
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (addr, labels)
}

#[tokio::test]
async fn a_retry_keeps_its_label() {
    let emu = start().await;
    let table = dup_table(&emu, "tretry").await;
    let (fe, labels) = flaky_fe(emu.fe_url()).await;
    let retry = streamload_core::RetryConfig {
        min_delay: std::time::Duration::from_millis(10),
        max_delay: std::time::Duration::from_millis(50),
        ..streamload_core::RetryConfig::default()
    };
    let mut sink = DorisSink::builder()
        .with_protocol(builder(&emu).with_fe_nodes([fe]).with_batch_mode(true))
        .with_sink_config(SinkConfig::builder().with_retry(retry))
        .build()
        .unwrap();
    sink.write(&table, Op::Upsert, &Row { id: 1, name: "r" })
        .await
        .unwrap();
    sink.close().await.unwrap();
    assert_eq!(
        table_text(&emu, "select count(*) from test.tretry").await,
        "1"
    );
    let labels = labels.lock().unwrap().clone();
    assert!(labels.len() >= 2, "{labels:?}");
    assert!(
        labels.iter().all(|l| l == &labels[0]),
        "labels changed across retries: {labels:?}"
    );
}
