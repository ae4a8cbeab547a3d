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
use streamload_examples::bench::{self, Source};
use streamload_examples::endpoint::{Endpoint, Vendor};

#[derive(Debug, Parser)]
#[command(name = "bench")]
struct Args {
    /// Size of the throughput comparison with curl, in MB (MiB).
    #[arg(long, default_value_t = 200)]
    mb: u64,
    /// Rounds of the throughput comparison (the best of each is kept).
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Input sizes of the peak-RSS measurement, in MiB.
    #[arg(long, value_delimiter = ',', default_value = "200,2048")]
    rss_mb: Vec<u64>,
    /// Also measure the starrocks-stream-load crate (needs `--features peer-bench`).
    #[arg(long)]
    peer: bool,
    /// Batch size given to the peer crate, in MiB (it holds whole bodies).
    #[arg(long, default_value_t = 64)]
    peer_batch_mb: usize,
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
        "sink-file" | "sink-gen" => {
            let endpoint = Endpoint::remote(
                vendor,
                &fe,
                args.mysql.as_deref(),
                "root".into(),
                String::new(),
            )
            .map_err(|e| e.to_string())?;
            let source = match (mode, &args.file) {
                ("sink-file", Some(file)) => {
                    Source::File(std::fs::read(file).map_err(|e| e.to_string())?.into())
                }
                _ => Source::Generated(bytes),
            };
            let (elapsed, sent) = bench::sink_load(&endpoint, source)
                .await
                .map_err(|e| e.to_string())?;
            (elapsed.as_secs_f64(), sent)
        }
        #[cfg(feature = "peer-bench")]
        "peer-v2" | "peer-v1" => {
            let elapsed =
                bench::peer::peer_load(&fe, bytes, args.peer_batch_mb << 20, mode == "peer-v2")
                    .await?;
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

fn run_child(endpoint: &Endpoint, mode: &str, extra: &[String]) -> Result<Run, String> {
    run_child_at(endpoint, &endpoint.fe_url, mode, extra)
}

/// Runs a child against `url` (the FE, or a BE for the peer).
fn run_child_at(
    endpoint: &Endpoint,
    url: &str,
    mode: &str,
    extra: &[String],
) -> Result<Run, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.args(["--child", mode, "--fe", url, "--mysql"])
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
    let (mut best_curl, mut best_sink) = (f64::MAX, f64::MAX);
    for round in 0..args.rounds {
        let curl = tokio::task::block_in_place(|| {
            bench::curl_load(&doris.fe_url, &file, &format!("curl_{round}"))
        })
        .map_err(|e| e.to_string())?;
        best_curl = best_curl.min(curl.as_secs_f64());
        let file_arg = ["--file".to_owned(), file.display().to_string()];
        let sink = tokio::task::block_in_place(|| run_child(&doris, "sink-file", &file_arg))?;
        best_sink = best_sink.min(sink.secs);
    }
    let rate = |secs: f64| size as f64 / (1 << 20) as f64 / secs;
    println!("curl -T : {:>8.1} MiB/s", rate(best_curl));
    println!("Sink    : {:>8.1} MiB/s", rate(best_sink));
    println!(
        "ratio sink/curl = {:.2} (target >= 0.9)",
        best_curl / best_sink
    );
    let _ = std::fs::remove_dir_all(&dir);

    println!("== peak RSS of the Sink (Doris, default configuration, generated rows) ==");
    let mut rss = Vec::new();
    for &mb in &args.rss_mb {
        let extra = ["--bytes".to_owned(), mib(mb).to_string()];
        let run = tokio::task::block_in_place(|| run_child(&doris, "sink-gen", &extra))?;
        println!(
            "{mb:>6} MiB: peak RSS {:>7.1} MiB, {:>8.1} MiB/s",
            run.rss_mib,
            mb as f64 / run.secs
        );
        rss.push(run.rss_mib);
    }
    if let (Some(first), Some(last)) = (rss.first(), rss.last()) {
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

#[cfg(feature = "peer-bench")]
async fn peer(args: &Args) -> Result<(), String> {
    let starrocks = emulator(Flavor::StarRocks).await?;
    let mb = args.mb;
    println!("== starrocks-stream-load vs Sink on StarRocks, {mb} MiB ==");
    let extra = ["--bytes".to_owned(), (mb << 20).to_string()];
    let peer_batch = ["--peer-batch-mb".to_owned(), args.peer_batch_mb.to_string()];
    let peer_args: Vec<String> = extra.iter().chain(&peer_batch).cloned().collect();
    let ours = tokio::task::block_in_place(|| run_child(&starrocks, "sink-gen", &extra))?;
    // The peer sends the whole body to the FE first; the FE answers 307 and closes without
    // reading it, which fails the request. Pointed at the BE it loads directly.
    let be = starrocks
        .emulator()
        .and_then(|e| e.be_urls().first().cloned())
        .ok_or("no BE")?;
    println!("(the peer loads straight into the BE {be}: through the FE its body is refused)");
    let (mode, theirs) = match tokio::task::block_in_place(|| {
        run_child_at(&starrocks, &be, "peer-v2", &peer_args)
    }) {
        Ok(run) => ("V2", run),
        Err(e) => {
            println!("peer V2 failed on the emulator ({e}); measuring its V1 path");
            let run = tokio::task::block_in_place(|| {
                run_child_at(&starrocks, &be, "peer-v1", &peer_args)
            })?;
            ("V1", run)
        }
    };
    let rate = |secs: f64| mb as f64 / secs;
    println!(
        "Sink                 : {:>8.1} MiB/s, peak RSS {:>7.1} MiB",
        rate(ours.secs),
        ours.rss_mib
    );
    println!(
        "starrocks-stream-load ({mode}): {:>8.1} MiB/s, peak RSS {:>7.1} MiB",
        rate(theirs.secs),
        theirs.rss_mib
    );
    println!(
        "ratio throughput sink/peer = {:.2} (target >= 3), memory sink/peer = {:.2} (target <= 0.1)",
        theirs.secs / ours.secs,
        ours.rss_mib / theirs.rss_mib
    );
    starrocks.shutdown().await;
    Ok(())
}

#[cfg(not(feature = "peer-bench"))]
async fn peer(_: &Args) -> Result<(), String> {
    Err("--peer needs the peer-bench feature: --features peer-bench".into())
}
