//! `exactly-once-demo`: loads a source with offsets through a checkpointed sink while crashing
//! at random points (seeded), resumes from the stored checkpoint each time, and checks that the
//! table equals the input. Runs on emulators unless `DORIS_FE_URL` / `STARROCKS_FE_URL` are set.

use std::path::PathBuf;

use clap::Parser;
use streamload_examples::endpoint::{Endpoint, Vendor};
use streamload_examples::exactly_once::{self, DemoConfig};

/// Crash-and-resume demonstration of exactly-once loading.
#[derive(Debug, Parser)]
#[command(name = "exactly-once-demo")]
struct Args {
    /// doris, starrocks, or both.
    #[arg(long, default_value = "both")]
    vendor: String,
    /// Seed of the crash schedule.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Rows in the source.
    #[arg(long, default_value_t = 2000)]
    rows: u64,
    /// Rows per checkpoint.
    #[arg(long, default_value_t = 250)]
    batch: u64,
    /// Chance of a crash at each step.
    #[arg(long, default_value_t = 0.3)]
    crash_probability: f64,
    /// At most this many crashes.
    #[arg(long, default_value_t = 10)]
    max_crashes: u32,
    /// Directory of the state files (default: the system's temporary directory).
    #[arg(long)]
    state_dir: Option<PathBuf>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let vendors = match args.vendor.as_str() {
        "both" => vec![Vendor::Doris, Vendor::StarRocks],
        other => match other.parse() {
            Ok(v) => vec![v],
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        },
    };
    let mut ok = true;
    for vendor in vendors {
        match run(vendor, &args).await {
            Ok(true) => {}
            Ok(false) => ok = false,
            Err(e) => {
                eprintln!("{}: {e}", vendor.name());
                ok = false;
            }
        }
    }
    if !ok {
        std::process::exit(1);
    }
}

async fn run(vendor: Vendor, args: &Args) -> streamload_core::Result<bool> {
    let endpoint = Endpoint::from_env_or_emulator(vendor).await?;
    println!("== {} ==", endpoint.describe());
    let dir = args.state_dir.clone().unwrap_or_else(std::env::temp_dir);
    let config = DemoConfig {
        seed: args.seed,
        rows: args.rows,
        batch: args.batch,
        crash_probability: args.crash_probability,
        max_crashes: args.max_crashes,
        state_path: dir.join(format!(
            "exactly-once-demo-{}-{}.json",
            vendor.env_prefix().to_ascii_lowercase(),
            std::process::id()
        )),
    };
    let table = format!("eo_demo_{}", std::process::id());
    let report =
        exactly_once::run(&endpoint, &table, &config, &mut |line| println!("  {line}")).await?;
    let _ = std::fs::remove_file(&config.state_path);
    println!(
        "{} runs, {} crashes; table has {} rows, input has {}: {}",
        report.runs,
        report.crashes.len(),
        report.table.len(),
        report.input.len(),
        if report.exactly_once() {
            "EQUAL (exactly-once)"
        } else {
            "DIFFERENT"
        }
    );
    endpoint.shutdown().await;
    Ok(report.exactly_once())
}
