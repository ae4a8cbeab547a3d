//! `bench`: end-to-end client measurements on an emulator whose BEs discard bodies.
//!
//! ```text
//! cargo run --release -p streamload-examples --bin bench                 # defaults
//! cargo run --release -p streamload-examples --features peer-bench --bin bench -- --peer
//! ```
//!
//! Prints: sink vs `curl -T` throughput of the same pre-encoded file (ratio), peak RSS at each
//! `--rss-mb` size (ratio of the largest to the smallest), and with `--peer` the
//! `starrocks-stream-load` crate on the same data (throughput and memory ratios). Each client
//! runs in a child process of this binary so its peak RSS is its own.

use std::path::PathBuf;
use std::process::Command;

use clap::Parser;
use streamload_emulator::EmulatorConfig;
use streamload_emulator::engine::Flavor;
use streamload_examples::bench::{self, SinkMode, Source};
use streamload_examples::endpoint::{Endpoint, Vendor};

#[derive(Debug, Parser)]
#[command(name = "bench")]
struct Args {
    /// Size of the throughput comparison with curl, in MB (MiB).
    #[arg(long, default_value_t = 200)]
    mb: u64,
    /// Rounds of the throughput comparisons (the best of each client is kept).
    #[arg(long, default_value_t = 5)]
    rounds: u32,
    /// Input sizes of the peak-RSS measurement, in MiB.
    #[arg(long, value_delimiter = ',', default_value = "200,2048")]
    rss_mb: Vec<u64>,
    /// Runs per peak-RSS size; the highest peak of each size is compared.
    #[arg(long, default_value_t = 3)]
    rss_runs: u32,
    /// Also measure the starrocks-stream-load crate (needs `--features peer-bench`).
    #[arg(long)]
    peer: bool,
    /// Body sizes given to the peer crate, in MiB (it holds whole bodies); 0 sends the whole
    /// input as one body.
    #[arg(long, value_delimiter = ',', default_value = "16,64,0")]
    peer_batch_mb: Vec<u64>,
    /// Typed rows in the peer comparison from structs (6 000 000 is about 200 MiB of CSV).
    #[arg(long, default_value_t = 6_000_000)]
    rows: u64,
    /// Internal: run one client and print its numbers.
    #[arg(long, hide = true)]
    child: Option<String>,
    #[arg(long, hide = true)]
    fe: Option<String>,
    #[arg(long, hide = true)]
    mysql: Option<String>,
    #[arg(long, hide = true)]
    starrocks: bool,
    #[arg(long, hide = true)]
    bytes: Option<u64>,
    #[arg(long, hide = true)]
    file: Option<PathBuf>,
    #[arg(long, hide = true)]
    be: Option<String>,
    #[arg(long, hide = true)]
    max_rows: Option<u64>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let result = match &args.child {
        Some(mode) => child(mode, &args).await,
        None => parent(&args).await,
    };
    if let Err(e) = result {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

/// One client run; prints `secs=… rss_kib=… sent=…`.
async fn child(mode: &str, args: &Args) -> Result<(), String> {
    let fe = args.fe.clone().ok_or("--fe missing")?;
    let vendor = if args.starrocks {
        Vendor::StarRocks
    } else {
        Vendor::Doris
    };
    let bytes = args.bytes.unwrap_or(0);
    let (secs, sent) = match mode {
        "sink-file" | "sink-gen" | "sink-gen-eo" => {
            let endpoint = Endpoint::remote(
                vendor,
                &fe,
                args.mysql.as_deref(),
                "root".into(),
                String::new(),
            )
            .map_err(|e| e.to_string())?;
            let source = match (mode, &args.file) {
                ("sink-file", Some(file)) => Source::file(file).map_err(|e| e.to_string())?,
                _ => Source::Generated(bytes),
            };
            let sink_mode = if mode == "sink-gen-eo" {
                SinkMode::ExactlyOnce
            } else {
                SinkMode::Batched
            };
            let (elapsed, sent) = bench::sink_load(&endpoint, source, sink_mode, args.max_rows)
                .await
                .map_err(|e| e.to_string())?;
            (elapsed.as_secs_f64(), sent)
        }
        "sink-rows-eo" => {
            let endpoint = Endpoint::remote(
                vendor,
                &fe,
                args.mysql.as_deref(),
                "root".into(),
                String::new(),
            )
            .map_err(|e| e.to_string())?;
            let elapsed = bench::typed::sink_load_rows(&endpoint, args.rows)
                .await
                .map_err(|e| e.to_string())?;
            (elapsed.as_secs_f64(), 0)
        }
        #[cfg(feature = "peer-bench")]
        "peer-rows" => {
            let be = args.be.as_deref().ok_or("--be missing")?;
            let batch = args.peer_batch_mb.first().copied().unwrap_or(0) << 20;
            let elapsed = bench::peer::peer_load_rows(be, &fe, args.rows, batch).await?;
            (elapsed.as_secs_f64(), 0)
        }
        #[cfg(feature = "peer-bench")]
        "peer-v2" | "peer-v1" => {
            let be = args.be.as_deref().ok_or("--be missing")?;
            let batch = args.peer_batch_mb.first().copied().unwrap_or(0) << 20;
            let elapsed = bench::peer::peer_load(be, &fe, bytes, batch, mode == "peer-v2").await?;
            (elapsed.as_secs_f64(), bytes)
        }
        other => return Err(format!("unknown child mode {other}")),
    };
    println!(
        "secs={secs} rss_kib={} sent={sent}",
        bench::peak_rss_kib().unwrap_or(0)
    );
    Ok(())
}

#[derive(Debug, Clone, Copy)]
struct Run {
    secs: f64,
    rss_mib: f64,
}

/// Runs one client in a child process against the endpoint's FE.
fn run_child(endpoint: &Endpoint, mode: &str, extra: &[String]) -> Result<Run, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.args(["--child", mode, "--fe", &endpoint.fe_url, "--mysql"])
        .arg(format!("{}:{}", endpoint.mysql_host, endpoint.mysql_port))
        .args(extra);
    if endpoint.vendor == Vendor::StarRocks {
        cmd.arg("--starrocks");
    }
    let out = cmd.output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{mode} failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let field = |name: &str| -> Result<f64, String> {
        text.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{mode}: no {name} in {text:?}"))
    };
    Ok(Run {
        secs: field("secs=")?,
        rss_mib: field("rss_kib=")? / 1024.0,
    })
}

async fn emulator(flavor: Flavor) -> Result<Endpoint, String> {
    let mut config = EmulatorConfig::new(flavor);
    config.discard = true;
    let endpoint = Endpoint::emulated_with(config)
        .await
        .map_err(|e| e.to_string())?;
    let engine = endpoint.emulator().ok_or("no emulator")?.engine();
    engine.create_database("test").map_err(|e| e.to_string())?;
    engine
        .execute_ddl(bench::TABLE_DDL)
        .map_err(|e| e.to_string())?;
    Ok(endpoint)
}

async fn parent(args: &Args) -> Result<(), String> {
    let doris = emulator(Flavor::Doris).await?;
    let mib = |mb: u64| mb << 20;
    println!(
        "== throughput: {} MiB of CSV, best of {} ==",
        args.mb, args.rounds
    );
    let dir = std::env::temp_dir().join(format!("streamload-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file = dir.join("data.csv");
    let size = bench::write_file(&file, mib(args.mb)).map_err(|e| e.to_string())?;
    // The Sink at defaults (batches close at 500 000 rows, about 16 MiB of these rows), and
    // with batches closed by size only (64 MiB), which makes fewer, larger loads.
    let file_arg = ["--file".to_owned(), file.display().to_string()];
    let mut by_size = file_arg.to_vec();
    by_size.extend(["--max-rows".to_owned(), u64::MAX.to_string()]);
    let (mut best_curl, mut best_sink, mut best_by_size) = (f64::MAX, f64::MAX, f64::MAX);
    for round in 0..args.rounds {
        let curl = tokio::task::block_in_place(|| {
            bench::curl_load(&doris.fe_url, &file, &format!("curl_{round}"))
        })
        .map_err(|e| e.to_string())?;
        best_curl = best_curl.min(curl.as_secs_f64());
        let sink = tokio::task::block_in_place(|| run_child(&doris, "sink-file", &file_arg))?;
        best_sink = best_sink.min(sink.secs);
        let sink = tokio::task::block_in_place(|| run_child(&doris, "sink-file", &by_size))?;
        best_by_size = best_by_size.min(sink.secs);
    }
    let rate = |secs: f64| size as f64 / (1 << 20) as f64 / secs;
    println!(
        "curl -T (one load)          : {:>8.1} MiB/s",
        rate(best_curl)
    );
    println!(
        "Sink, defaults              : {:>8.1} MiB/s",
        rate(best_sink)
    );
    println!(
        "Sink, 64 MiB batches by size: {:>8.1} MiB/s",
        rate(best_by_size)
    );
    println!(
        "ratio sink/curl = {:.2} at defaults, {:.2} by size (target >= 0.9)",
        best_curl / best_sink,
        best_curl / best_by_size
    );
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "== peak RSS of the Sink (Doris, default configuration, generated rows), highest of {} runs ==",
        args.rss_runs
    );
    let mut peaks = Vec::new();
    for &mb in &args.rss_mb {
        let extra = ["--bytes".to_owned(), mib(mb).to_string()];
        let mut runs = Vec::new();
        for _ in 0..args.rss_runs.max(1) {
            runs.push(tokio::task::block_in_place(|| {
                run_child(&doris, "sink-gen", &extra)
            })?);
        }
        let low = runs.iter().map(|r| r.rss_mib).fold(f64::MAX, f64::min);
        let high = runs.iter().map(|r| r.rss_mib).fold(0.0, f64::max);
        let fastest = runs.iter().map(|r| r.secs).fold(f64::MAX, f64::min);
        println!(
            "{mb:>6} MiB: peak RSS {high:>7.1} MiB (runs {low:.1}-{high:.1}), {:>8.1} MiB/s",
            mb as f64 / fastest
        );
        peaks.push(high);
    }
    if let (Some(first), Some(last)) = (peaks.first(), peaks.last()) {
        println!(
            "ratio RSS {} MiB / {} MiB = {:.2} (target <= 1.1; <= 64 MiB at defaults)",
            args.rss_mb.last().unwrap_or(&0),
            args.rss_mb.first().unwrap_or(&0),
            last / first
        );
    }
    doris.shutdown().await;
    if args.peer {
        peer(args).await?;
    }
    Ok(())
}

/// The best time and the highest peak RSS of `rounds` runs of one client.
#[cfg(feature = "peer-bench")]
fn best_of(endpoint: &Endpoint, mode: &str, extra: &[String], rounds: u32) -> Result<Run, String> {
    let mut best = Run {
        secs: f64::MAX,
        rss_mib: 0.0,
    };
    for _ in 0..rounds.max(1) {
        let run = tokio::task::block_in_place(|| run_child(endpoint, mode, extra))?;
        best.secs = best.secs.min(run.secs);
        best.rss_mib = best.rss_mib.max(run.rss_mib);
    }
    Ok(best)
}

#[cfg(feature = "peer-bench")]
async fn peer(args: &Args) -> Result<(), String> {
    let starrocks = emulator(Flavor::StarRocks).await?;
    let mb = args.mb;
    println!(
        "== starrocks-stream-load vs Sink, StarRocks V2 exactly-once, {mb} MiB of generated rows, best of {} ==",
        args.rounds
    );
    let be = starrocks
        .emulator()
        .and_then(|e| e.be_urls().first().cloned())
        .ok_or("no BE")?;
    let bytes = ["--bytes".to_owned(), (mb << 20).to_string()];
    let ours = best_of(&starrocks, "sink-gen-eo", &bytes, args.rounds)?;
    let rate = |secs: f64| mb as f64 / secs;
    println!(
        "Sink (one V2 transaction, streamed)     : {:>8.1} MiB/s, peak RSS {:>7.1} MiB",
        rate(ours.secs),
        ours.rss_mib
    );
    for &batch in &args.peer_batch_mb {
        let mut extra = bytes.to_vec();
        extra.extend(["--be".to_owned(), be.clone()]);
        extra.extend(["--peer-batch-mb".to_owned(), batch.to_string()]);
        let theirs = best_of(&starrocks, "peer-v2", &extra, args.rounds)?;
        let body = if batch == 0 {
            format!("one {mb} MiB body")
        } else {
            format!("{batch} MiB bodies")
        };
        println!(
            "starrocks-stream-load V2, {body:<14}: {:>8.1} MiB/s, peak RSS {:>7.1} MiB; \
             sink/peer throughput {:.2} (target >= 3), memory {:.2} (target <= 0.1)",
            rate(theirs.secs),
            theirs.rss_mib,
            theirs.secs / ours.secs,
            ours.rss_mib / theirs.rss_mib
        );
    }
    typed_rows(args, &starrocks, &be)?;
    starrocks.shutdown().await;
    Ok(())
}

/// The peer comparison from typed rows: the `Sink` encodes structs itself (CSV); the peer's
/// caller serializes them with `serde_json` into JSON-array bodies.
#[cfg(feature = "peer-bench")]
fn typed_rows(args: &Args, starrocks: &Endpoint, be: &str) -> Result<(), String> {
    let rows = args.rows;
    println!(
        "== the same from {rows} typed rows (structs): Sink CSV encoder vs serde_json bodies, best of {} ==",
        args.rounds
    );
    let count = ["--rows".to_owned(), rows.to_string()];
    let ours = best_of(starrocks, "sink-rows-eo", &count, args.rounds)?;
    let rate = |secs: f64| rows as f64 / secs / 1e6;
    println!(
        "Sink (one V2 transaction, streamed)     : {:>6.2} M rows/s, peak RSS {:>7.1} MiB",
        rate(ours.secs),
        ours.rss_mib
    );
    // One JSON body of every row is left out: it would be about twice the CSV's size.
    for &batch in args.peer_batch_mb.iter().filter(|&&b| b != 0) {
        let mut extra = count.to_vec();
        extra.extend(["--be".to_owned(), be.to_owned()]);
        extra.extend(["--peer-batch-mb".to_owned(), batch.to_string()]);
        let theirs = best_of(starrocks, "peer-rows", &extra, args.rounds)?;
        println!(
            "starrocks-stream-load V2, {batch:>3} MiB JSON   : {:>6.2} M rows/s, peak RSS {:>7.1} MiB; \
             sink/peer throughput {:.2} (target >= 3), memory {:.2} (target <= 0.1)",
            rate(theirs.secs),
            theirs.rss_mib,
            theirs.secs / ours.secs,
            ours.rss_mib / theirs.rss_mib
        );
    }
    Ok(())
}

#[cfg(not(feature = "peer-bench"))]
async fn peer(_: &Args) -> Result<(), String> {
    Err("--peer needs the peer-bench feature: --features peer-bench".into())
}
