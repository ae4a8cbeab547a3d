//! Streams a large volume through ONE exactly-once transaction and prints the client's peak RSS.
//!
//! Memory must stay bounded by configuration whatever the transaction size: rows go through the
//! `Sink`'s budget and a bounded channel into a chunked HTTP body. Run a StarRocks (or the
//! emulator binary, `--flavor starrocks`) and point the program at it:
//!
//! ```text
//! STARROCKS_LOAD_URL=127.0.0.1:8030 STARROCKS_JDBC_URL=127.0.0.1:9030 \
//!   cargo run --release -p streamload-starrocks --example stream_1gb -- 1024
//! ```
//!
//! The arguments are the volume in MiB (default 1024) and the `Sink`'s memory budget in MiB
//! (default 32; the `Sink`'s own default is 256). Peak RSS is `VmHWM` from `/proc/self/status`
//! (Linux).

use std::time::Instant;

use mysql_async::prelude::Queryable;
use serde::Serialize;
use streamload_core::{Delivery, Op, SinkConfig, Table};
use streamload_starrocks::{SinkVersion, StarRocksBuilder, StarRocksSink};

#[derive(Serialize)]
struct Row<'a> {
    id: u64,
    payload: &'a str,
}

/// Bytes of text per row; wide rows keep the server's per-row work small.
const PAYLOAD: usize = 16 * 1024;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn create_table(
    jdbc: &str,
    user: &str,
    password: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let (host, port) = jdbc
        .trim_start_matches("jdbc:mysql://")
        .rsplit_once(':')
        .ok_or("STARROCKS_JDBC_URL must be host:port")?;
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(host)
        .tcp_port(port.parse()?)
        .user(Some(user))
        .pass(Some(password))
        .prefer_socket(false);
    let mut conn = mysql_async::Conn::new(opts).await?;
    let _ = conn.query_drop("CREATE DATABASE bench").await;
    let _ = conn
        .query_drop(
            "CREATE TABLE bench.wide (id bigint NOT NULL, payload varchar(65533)) \
             DUPLICATE KEY(id) DISTRIBUTED BY HASH(id)",
        )
        .await;
    conn.disconnect().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mib: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1024);
    let budget_mib: u64 = std::env::args()
        .nth(2)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(32);
    let builder = StarRocksBuilder::from_env()?
        .with_version(SinkVersion::V2)
        .with_option("sink.chunk-limit", &(128u64 << 20).to_string())?;
    let jdbc = builder
        .config()
        .jdbc_url
        .clone()
        .ok_or("set STARROCKS_JDBC_URL")?;
    create_table(
        &jdbc,
        &builder.config().username,
        &builder.config().password,
    )
    .await?;
    let table = Table::new("bench", "wide");
    let config = SinkConfig::builder()
        .with_delivery(Delivery::Checkpointed)
        .with_label_prefix(format!("bench{}", std::process::id()))
        .with_chunk_bytes(1 << 20)
        .with_memory_budget(budget_mib << 20);
    let mut sink = StarRocksSink::builder()
        .with_protocol(builder)
        .with_sink_config(config)
        .build()?;
    let payload = "x".repeat(PAYLOAD);
    let target = mib << 20;
    let start = Instant::now();
    let mut id = 0u64;
    while id * (PAYLOAD as u64 + 8) < target {
        sink.write(
            &table,
            Op::Upsert,
            &Row {
                id,
                payload: &payload,
            },
        )
        .await?;
        id += 1;
    }
    let checkpoint = sink.prepare(1).await?;
    sink.commit(&checkpoint).await?;
    let secs = start.elapsed().as_secs_f64();
    let stats = sink.stats();
    sink.close().await?;
    println!(
        "rows={id} bytes={} transactions={} seconds={secs:.1} MiB/s={:.1} peak_rss_mib={:.1}",
        target,
        checkpoint.prepared.len(),
        mib as f64 / secs,
        peak_rss_kib().unwrap_or(0) as f64 / 1024.0
    );
    println!("{stats:?}");
    Ok(())
}
