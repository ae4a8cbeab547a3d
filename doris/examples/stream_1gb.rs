//! Streams 1 GiB through ONE two-phase load and prints the client's peak RSS, to show that a
//! streaming load's memory stays bounded (the body is a bounded channel, never a buffer).
//!
//! ```sh
//! # against an emulator in its own process (so its memory is not counted):
//! cargo run --release -p streamload-emulator -- --flavor doris --fe-http-port 18030 --discard &
//! DORIS_FENODES=127.0.0.1:18030 cargo run --release -p streamload-doris --example stream_1gb
//! # or with an in-process emulator that discards bodies (its memory is then included):
//! cargo run --release -p streamload-doris --example stream_1gb
//! ```
//! `STREAM_MB` changes the volume (default 1024). `STREAM_VIA=sink` sends the same bytes through
//! core's `Sink` (`write_encoded`, one checkpoint) instead of one `Transaction`; it needs the
//! in-process emulator (the table is created through its engine).

use std::time::Instant;

use bytes::Bytes;
use streamload_core::{Compression, CsvFormat, Format, LoadOptions, LoadProtocol, Table};
use streamload_doris::{DorisBuilder, DorisSink};
use streamload_emulator::engine::Flavor;
use streamload_emulator::{Emulator, EmulatorConfig};

/// Peak resident set size of this process, from `/proc/self/status` (`VmHWM`), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let megabytes: u64 = std::env::var("STREAM_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let via_sink = std::env::var("STREAM_VIA").is_ok_and(|v| v == "sink");
    let (fe, _emulator) = match std::env::var("DORIS_FENODES") {
        Ok(fe) => (fe, None),
        Err(_) => {
            let mut config = EmulatorConfig::new(Flavor::Doris);
            config.discard = true;
            let emu = Emulator::start(config).await?;
            emu.engine().create_database("bench")?;
            emu.engine().execute_ddl(
                "CREATE TABLE bench.stream (id INT, name VARCHAR(64), v INT) DUPLICATE KEY(id) \
                 DISTRIBUTED BY HASH(id) BUCKETS 1",
            )?;
            (emu.fe_url(), Some(emu))
        }
    };
    let doris = DorisBuilder::new()
        .with_fe_nodes([fe])
        .with_credentials("root", "")
        .with_label_prefix(format!("rss{}", std::process::id()));
    let table = Table::new("bench", "stream");
    let options = LoadOptions {
        format: Format::Csv(CsvFormat::default()),
        compression: Compression::None,
        columns: None,
        two_phase: true,
    };
    // One 1 MiB chunk of whole rows, sent again and again (Bytes clones share the buffer).
    let row = b"123456\tsome text for the name column\t42\n";
    let mut chunk = Vec::with_capacity(1 << 20);
    while chunk.len() + row.len() <= 1 << 20 {
        chunk.extend_from_slice(row);
    }
    let chunk = Bytes::from(chunk);
    let total = megabytes * (1 << 20) / chunk.len() as u64;

    let rows_per_chunk = (chunk.len() / row.len()) as u64;
    let before = peak_rss_kib().unwrap_or(0);
    let started = Instant::now();
    let server_bytes = if via_sink {
        let mut sink = DorisSink::builder()
            .with_protocol(doris)
            .recover(None)
            .await?;
        for _ in 0..total {
            sink.write_encoded(&table, chunk.clone(), rows_per_chunk)
                .await?;
        }
        let checkpoint = sink.prepare(1).await?;
        let txn = checkpoint.prepared.first().map(|p| p.label.to_string());
        println!("prepared checkpoint 1 ({txn:?})");
        sink.stats().bytes_loaded
    } else {
        let doris = doris.build()?;
        let label = doris.label_generator()?.label(&table, 1)?;
        let mut txn = doris.begin(&table, Some(label), &options).await?;
        for _ in 0..total {
            txn.write(chunk.clone()).await?;
        }
        let prepared = txn.prepare().await?;
        if let Err(e) = doris.abort(&prepared.prepared).await {
            println!("abort of the measured load: {e}");
        }
        prepared.report.bytes
    };
    let elapsed = started.elapsed();
    let bytes = total * chunk.len() as u64;
    println!(
        "streamed {:.1} MiB in one load ({}) in {:.2} s ({:.0} MiB/s); server counted {} bytes",
        bytes as f64 / f64::from(1 << 20),
        if via_sink {
            "through the Sink"
        } else {
            "through one Transaction"
        },
        elapsed.as_secs_f64(),
        bytes as f64 / f64::from(1 << 20) / elapsed.as_secs_f64(),
        server_bytes,
    );
    println!(
        "peak RSS: {} KiB before the load, {} KiB after (VmHWM)",
        before,
        peak_rss_kib().unwrap_or(0)
    );
    Ok(())
}
