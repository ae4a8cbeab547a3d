//! `streamload-load`'s engine against the emulator: a directory in parallel (CSV, lz4, JSON),
//! a re-run that skips everything, a crash mid-run resumed without loss or duplicates, and bad
//! input named by file and line.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use streamload_core::Table;
use streamload_examples::endpoint::{Endpoint, Vendor};
use streamload_examples::loader::error::LoadError;
use streamload_examples::loader::progress::Progress;
use streamload_examples::loader::validate::InputFormat;
use streamload_examples::loader::{self, LoadJob};
use streamload_examples::sql::SqlClient;

const ROWS_PER_FILE: u64 = 1500;

async fn endpoint_with_table(vendor: Vendor) -> Endpoint {
    let endpoint = Endpoint::emulated(vendor).await.unwrap();
    let props = match vendor {
        Vendor::Doris => "\"replication_allocation\" = \"tag.location.default: 1\"",
        Vendor::StarRocks => "\"replication_num\" = \"1\"",
    };
    let mut sql = SqlClient::connect(&endpoint).await.unwrap();
    sql.execute("CREATE DATABASE IF NOT EXISTS test")
        .await
        .unwrap();
    sql.execute(&format!(
        "CREATE TABLE test.people (`id` BIGINT, `name` VARCHAR(64), `city` VARCHAR(64)) \
         DUPLICATE KEY(`id`) DISTRIBUTED BY HASH(`id`) BUCKETS 1 PROPERTIES ({props})"
    ))
    .await
    .unwrap();
    sql.close().await;
    endpoint
}

fn write_csv_files(dir: &Path, files: u64) {
    std::fs::create_dir_all(dir.join("more")).unwrap();
    for f in 0..files {
        let mut text = String::new();
        for i in 0..ROWS_PER_FILE {
            let id = f * ROWS_PER_FILE + i;
            text.push_str(&format!("{id},name-{id},city-{}\n", id % 7));
        }
        let path = if f % 2 == 0 {
            dir.join(format!("part-{f}.csv"))
        } else {
            dir.join("more").join(format!("part-{f}.csv"))
        };
        std::fs::write(path, text).unwrap();
    }
}

fn job(paths: Vec<std::path::PathBuf>, format: InputFormat) -> LoadJob {
    LoadJob {
        table: Table::new("test", "people"),
        paths,
        format,
        columns: None,
        skip_header: false,
        workers: 3,
        chunk_bytes: 8 << 10,
        lz4: true,
        bytes_per_second: None,
        label_prefix: "bulk".into(),
    }
}

fn csv() -> InputFormat {
    InputFormat::Csv {
        separator: b",".to_vec(),
    }
}

async fn count(endpoint: &Endpoint) -> (u64, u64) {
    let mut sql = SqlClient::connect(endpoint).await.unwrap();
    let r = sql
        .query("SELECT COUNT(*), COUNT(DISTINCT id) FROM test.people")
        .await
        .unwrap();
    sql.close().await;
    (r.rows[0][0].parse().unwrap(), r.rows[0][1].parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_loads_in_parallel_and_a_rerun_skips_every_chunk() {
    let endpoint = endpoint_with_table(Vendor::Doris).await;
    let dir = tempfile::tempdir().unwrap();
    write_csv_files(dir.path(), 3);
    let job = job(vec![dir.path().to_path_buf()], csv());
    let first = loader::run(&endpoint, &job, Arc::default()).await;
    assert!(first.error.is_none(), "{:?}", first.error);
    assert_eq!(first.summary.inputs, 3);
    assert_eq!(first.summary.rows_loaded, 3 * ROWS_PER_FILE);
    assert!(first.summary.chunks_loaded >= 9, "{:?}", first.summary);
    assert_eq!(count(&endpoint).await, (4500, 4500));

    let second = loader::run(&endpoint, &job, Arc::default()).await;
    assert!(second.error.is_none(), "{:?}", second.error);
    assert_eq!(second.summary.chunks_loaded, 0);
    assert_eq!(second.summary.chunks_skipped, first.summary.chunks_loaded);
    assert_eq!(second.summary.rows_skipped, 3 * ROWS_PER_FILE);
    assert_eq!(count(&endpoint).await, (4500, 4500));
    assert!(second.summary.render().contains("skipped (already loaded)"));
    endpoint.shutdown().await;
}

/// Runs the loader on its own runtime and kills that runtime once `after` chunks are loaded.
fn crashed_run(endpoint: &Endpoint, job: &LoadJob, after: u64) -> u64 {
    let progress = Arc::new(Progress::default());
    std::thread::scope(|scope| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let p = Arc::clone(&progress);
        let handle = runtime.spawn({
            // The endpoint is only borrowed for the run; the runtime dies before it does.
            let endpoint: &'static Endpoint = leaked_copy(endpoint);
            let job = job.clone();
            async move { loader::run(endpoint, &job, p).await }
        });
        let watched = Arc::clone(&progress);
        scope.spawn(move || {
            while progress_loaded(&watched) < after && !handle.is_finished() {
                std::thread::sleep(Duration::from_millis(1));
            }
            runtime.shutdown_background();
        });
    });
    progress_loaded(&progress)
}

fn progress_loaded(p: &Progress) -> u64 {
    p.chunks_loaded.load(Ordering::SeqCst)
}

/// A `'static` view of an endpoint that outlives every crashed runtime (tests only).
fn leaked_copy(endpoint: &Endpoint) -> &'static Endpoint {
    let owned = Endpoint::remote(
        endpoint.vendor,
        &endpoint.fe_url,
        Some(&format!("{}:{}", endpoint.mysql_host, endpoint.mysql_port)),
        endpoint.user.clone(),
        endpoint.password().to_owned(),
    )
    .unwrap();
    Box::leak(Box::new(owned))
}

async fn crash_then_resume(vendor: Vendor) {
    let endpoint = endpoint_with_table(vendor).await;
    let dir = tempfile::tempdir().unwrap();
    write_csv_files(dir.path(), 4);
    let job = job(vec![dir.path().to_path_buf()], csv());
    // The crashed run is rate-limited (96 KiB/s, a one-second burst, for ~160 KiB) so it cannot
    // finish before the crash after five chunks, however slow the machine.
    let mut slow = job.clone();
    slow.bytes_per_second = Some(96 << 10);
    let loaded_before_crash = tokio::task::block_in_place(|| crashed_run(&endpoint, &slow, 5));
    assert!(loaded_before_crash >= 5);
    let (rows_after_crash, _) = count(&endpoint).await;
    assert!(rows_after_crash < 4 * ROWS_PER_FILE, "the crash came early");

    let resumed = loader::run(&endpoint, &job, Arc::default()).await;
    assert!(resumed.error.is_none(), "{:?}", resumed.error);
    assert!(
        resumed.summary.chunks_skipped >= loaded_before_crash,
        "{:?}",
        resumed.summary
    );
    assert!(resumed.summary.chunks_loaded > 0);
    assert_eq!(
        resumed.summary.rows_loaded + resumed.summary.rows_skipped,
        4 * ROWS_PER_FILE
    );
    assert_eq!(
        count(&endpoint).await,
        (6000, 6000),
        "no loss, no duplicate"
    );
    endpoint.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doris_resume_after_a_crash_loads_each_row_once() {
    crash_then_resume(Vendor::Doris).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starrocks_resume_after_a_crash_loads_each_row_once() {
    crash_then_resume(Vendor::StarRocks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ndjson_loads_in_parallel_and_bad_lines_are_named() {
    let endpoint = endpoint_with_table(Vendor::StarRocks).await;
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for id in 0..2000 {
        text.push_str(&format!(
            "{{\"id\":{id},\"name\":\"n{id}\",\"city\":\"c\"}}\n"
        ));
    }
    std::fs::write(dir.path().join("rows.json"), &text).unwrap();
    let ok = loader::run(
        &endpoint,
        &job(vec![dir.path().join("rows.json")], InputFormat::NdJson),
        Arc::default(),
    )
    .await;
    assert!(ok.error.is_none(), "{:?}", ok.error);
    assert!(ok.summary.chunks_loaded > 3, "{:?}", ok.summary);
    assert_eq!(count(&endpoint).await, (2000, 2000));

    std::fs::write(dir.path().join("bad.json"), "{\"id\":1}\n{\"id\":2,\n").unwrap();
    let bad = loader::run(
        &endpoint,
        &job(vec![dir.path().join("bad.json")], InputFormat::NdJson),
        Arc::default(),
    )
    .await;
    match bad.error {
        Some(LoadError::Input { input, line, .. }) => {
            assert!(input.ends_with("bad.json"));
            assert_eq!(line, 2);
        }
        other => panic!("expected an input error, got {other:?}"),
    }

    std::fs::write(dir.path().join("bad.csv"), b"1,a,b\n2,\xc3\x28,c\n").unwrap();
    let bad = loader::run(
        &endpoint,
        &job(vec![dir.path().join("bad.csv")], csv()),
        Arc::default(),
    )
    .await;
    let message = bad.error.expect("invalid UTF-8 is refused").to_string();
    assert!(
        message.ends_with("bad.csv:2: invalid UTF-8 at byte 3 of the line (byte 0xc3)"),
        "{message}"
    );
    assert_eq!(
        count(&endpoint).await,
        (2000, 2000),
        "nothing of bad.csv landed"
    );
    endpoint.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ndjson_loads_into_doris_as_json_lines() {
    let endpoint = endpoint_with_table(Vendor::Doris).await;
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..1200)
        .map(|id| format!("{{\"id\":{id},\"name\":\"n{id}\",\"city\":\"c\"}}\n"))
        .collect();
    std::fs::write(dir.path().join("rows.json"), &text).unwrap();
    let mut job = job(vec![dir.path().join("rows.json")], InputFormat::NdJson);
    job.lz4 = false;
    let outcome = loader::run(&endpoint, &job, Arc::default()).await;
    assert!(outcome.error.is_none(), "{:?}", outcome.error);
    assert!(outcome.summary.chunks_loaded > 2, "{:?}", outcome.summary);
    assert_eq!(count(&endpoint).await, (1200, 1200));
    endpoint.shutdown().await;
}
