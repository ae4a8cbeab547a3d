//! `chaos_emulator`: the emulator library behind a command line, for the chaos suite.
//!
//! The suite kills the emulator with SIGKILL and starts it again on the same data directory and
//! ports, so it must run as a child process; an integration test can only locate binaries of its
//! own package, hence this copy of the emulator's own binary (same options, same `ready …` line)
//! rather than a path guessed from the target directory. There are no signal handlers: the suite
//! only ever kills it.

use std::path::PathBuf;

use clap::Parser;
use streamload_emulator::engine::Flavor;
use streamload_emulator::{Emulator, EmulatorConfig};

/// Runs an emulated Doris or StarRocks until killed.
#[derive(Debug, Parser)]
#[command(name = "chaos_emulator")]
struct Args {
    /// `doris` or `starrocks`.
    #[arg(long)]
    flavor: String,
    /// Persist data, labels and transactions here.
    #[arg(long)]
    data_dir: PathBuf,
    /// FE HTTP port (0 = ephemeral).
    #[arg(long, default_value_t = 0)]
    fe_http_port: u16,
    /// BE HTTP port (0 = ephemeral).
    #[arg(long, default_value_t = 0)]
    be_http_port: u16,
    /// MySQL port (0 = ephemeral).
    #[arg(long, default_value_t = 0)]
    mysql_port: u16,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let flavor = match args.flavor.as_str() {
        "doris" => Flavor::Doris,
        "starrocks" => Flavor::StarRocks,
        other => {
            eprintln!("chaos_emulator: unknown flavor {other:?}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut config = EmulatorConfig::new(flavor);
    config.fe_http_port = args.fe_http_port;
    config.be_http_port = args.be_http_port;
    config.mysql_port = args.mysql_port;
    config.data_dir = Some(args.data_dir);
    let emulator = match Emulator::start(config).await {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("chaos_emulator: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!(
        "ready fe_http={} be_http={} mysql={}",
        emulator.fe_url(),
        emulator.be_urls().join(","),
        emulator.mysql_url()
    );
    std::future::pending::<()>().await;
    std::process::ExitCode::SUCCESS
}
