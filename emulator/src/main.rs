//! The `streamload-emulator` binary: starts an emulated Doris or StarRocks cluster, prints one
//! `ready ...` line when every listener is up, and serves until SIGINT or SIGTERM.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use streamload_emulator::engine::Flavor;
use streamload_emulator::version::ServerVersion;
use streamload_emulator::{Emulator, EmulatorConfig};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FlavorArg {
    Doris,
    Starrocks,
}

/// A local Apache Doris / StarRocks FE+BE emulator (Stream Load, 2PC, transactions, a MySQL port).
#[derive(Debug, Parser)]
///
/// `--version` names the server version to play; `-V` / `--emulator-version` prints the
/// emulator's own version.
#[command(name = "streamload-emulator", version, disable_version_flag = true)]
struct Args {
    /// Print the emulator's own version and exit.
    #[arg(short = 'V', long = "emulator-version", action = clap::ArgAction::Version)]
    emulator_version: (),
    /// Server version to play, `MAJOR.MINOR[.PATCH]` (Doris 2.0 / 2.1 / 3.0, StarRocks 2.3 /
    /// 2.5 / 3.1 / 3.4 / 3.5 / 4.0; default Doris 2.1.8, StarRocks 3.5.4). Features newer than
    /// it are off, and it is what the version queries report.
    #[arg(long = "version", value_name = "VERSION")]
    server_version: Option<String>,
    /// Which server to emulate.
    #[arg(long, value_enum)]
    flavor: FlavorArg,
    /// Address to bind and to advertise.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// FE HTTP port; further FEs use consecutive ports (0 = ephemeral).
    #[arg(long, default_value_t = 0)]
    fe_http_port: u16,
    /// Number of FEs: FE 0 leads while it is up, the others follow.
    #[arg(long, default_value_t = 1)]
    frontends: usize,
    /// First BE HTTP port; BEs use consecutive ports (0 = ephemeral).
    #[arg(long, default_value_t = 0)]
    be_http_port: u16,
    /// Number of BEs.
    #[arg(long, default_value_t = 1)]
    backends: usize,
    /// MySQL port (0 = ephemeral).
    #[arg(long, default_value_t = 0)]
    mysql_port: u16,
    /// User name.
    #[arg(long, default_value = "root")]
    user: String,
    /// Password.
    #[arg(long, default_value = "")]
    password: String,
    /// Persist data, labels and transactions here (safe against SIGKILL at any instant).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// BEs read and drop load bodies and answer Success (for benchmarks).
    #[arg(long)]
    discard: bool,
    /// Serve HTTPS on every FE and BE listener with this PEM certificate chain (needs
    /// `--tls-key`; the binary's `tls` feature).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert`.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Require client certificates signed by this PEM CA bundle (mutual TLS; needs
    /// `--tls-cert`).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
}

fn main() {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("streamload-emulator: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = runtime.block_on(run(args));
    std::process::exit(code);
}

async fn run(args: Args) -> i32 {
    let flavor = match args.flavor {
        FlavorArg::Doris => Flavor::Doris,
        FlavorArg::Starrocks => Flavor::StarRocks,
    };
    let mut config = EmulatorConfig::new(flavor);
    if let Some(text) = &args.server_version {
        match ServerVersion::parse(flavor, text) {
            Ok(v) => config.version = Some(v),
            Err(e) => {
                eprintln!("streamload-emulator: --{e}");
                return 2;
            }
        }
    }
    config.frontends = args.frontends;
    config.host = args.host;
    config.fe_http_port = args.fe_http_port;
    config.be_http_port = args.be_http_port;
    config.backends = args.backends;
    config.mysql_port = args.mysql_port;
    config.user = args.user;
    config.password = args.password;
    config.data_dir = args.data_dir;
    config.discard = args.discard;
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        let pem = streamload_emulator::TlsPem::read(cert, key).and_then(|mut pem| {
            if let Some(ca) = &args.tls_client_ca {
                pem.client_ca = Some(std::fs::read(ca).map_err(|e| {
                    std::io::Error::new(e.kind(), format!("cannot read {}: {e}", ca.display()))
                })?);
            }
            Ok(pem)
        });
        match pem {
            Ok(pem) => config.tls = Some(pem),
            Err(e) => {
                eprintln!("streamload-emulator: {e}");
                return 2;
            }
        }
    }
    let emulator = match Emulator::start(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("streamload-emulator: {e}");
            return 1;
        }
    };
    // Install the handlers before announcing readiness: a supervisor may signal us as soon as it
    // reads the line, and an uninstalled handler would let the default action kill the process.
    let stop = match StopSignals::install() {
        Ok(stop) => stop,
        Err(e) => {
            eprintln!("streamload-emulator: cannot install signal handlers: {e}");
            return 1;
        }
    };
    println!(
        "ready fe_http={} be_http={} mysql={}",
        emulator.fe_urls().join(","),
        emulator.be_urls().join(","),
        emulator.mysql_url()
    );
    stop.wait().await;
    emulator.shutdown().await;
    0
}

/// SIGINT and SIGTERM, registered up front.
struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
