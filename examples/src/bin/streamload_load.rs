//! `streamload-load`: bulk-loads CSV or NDJSON files, directories or stdin into a Doris or
//! StarRocks table — parallel, chunked into loads with deterministic labels, resumable.
//!
//! ```text
//! streamload-load --vendor doris --fe-url http://fe:8030 --table db.t --format csv \
//!     --column-separator , --workers 4 data/
//! ```
//!
//! Re-running the same command after a crash (same files, same `--label-prefix`) skips the
//! chunks that already landed and loads the rest. The password comes from `--password` or the
//! `STREAMLOAD_PASSWORD` variable and is never printed.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, ValueEnum};
use streamload_core::Table;
use streamload_examples::endpoint::{Endpoint, Vendor};
use streamload_examples::loader::progress::Progress;
use streamload_examples::loader::validate::InputFormat;
use streamload_examples::loader::{self, LoadJob};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum VendorArg {
    Doris,
    Starrocks,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    Csv,
    Json,
}

/// Bulk loader of CSV / NDJSON files into Apache Doris or StarRocks over Stream Load.
#[derive(Parser)]
#[command(name = "streamload-load", version)]
struct Args {
    /// Files, directories (read recursively) or `-` for stdin.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Which server.
    #[arg(long, value_enum)]
    vendor: VendorArg,
    /// FE HTTP address (`http://host:8030`).
    #[arg(long)]
    fe_url: String,
    /// MySQL address of the FE (StarRocks uses it to detect the version); default FE host:9030.
    #[arg(long)]
    mysql_url: Option<String>,
    /// User.
    #[arg(long, default_value = "root")]
    user: String,
    /// Password.
    #[arg(
        long,
        env = "STREAMLOAD_PASSWORD",
        default_value = "",
        hide_env_values = true
    )]
    password: String,
    /// Target table as `db.table`.
    #[arg(long)]
    table: String,
    /// Input format: csv or json (one object per line).
    #[arg(long, value_enum, default_value = "csv")]
    format: FormatArg,
    /// CSV column separator (`\t` and `\xNN` escapes understood).
    #[arg(long, default_value = "\\t")]
    column_separator: String,
    /// Columns of each line, comma separated (the `columns` header).
    #[arg(long, value_delimiter = ',')]
    columns: Option<Vec<String>>,
    /// Skip the first line of each input.
    #[arg(long)]
    skip_header: bool,
    /// Parallel loads (JSON too).
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// Chunk size in MiB: one load per chunk.
    #[arg(long, default_value_t = 64)]
    chunk_mb: usize,
    /// Compress bodies with LZ4 frames.
    #[arg(long)]
    lz4: bool,
    /// Limit to this many MiB/s in total.
    #[arg(long)]
    rate_limit_mb: Option<u64>,
    /// Label prefix; keep it for re-runs of the same job (that is how they resume).
    #[arg(long, default_value = "streamload_load")]
    label_prefix: String,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

fn separator(text: &str) -> Result<Vec<u8>, String> {
    match text {
        "\\t" => Ok(b"\t".to_vec()),
        "" => Err("the column separator must not be empty".into()),
        _ => match text.strip_prefix("\\x") {
            Some(hex) if hex.len() % 2 == 0 && !hex.is_empty() => (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|e| e.to_string()))
                .collect(),
            Some(_) => Err(format!("bad separator {text:?}")),
            None => Ok(text.as_bytes().to_vec()),
        },
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    match run(args).await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(message) => {
            eprintln!("streamload-load: {message}");
            std::process::exit(2);
        }
    }
}

async fn run(args: Args) -> Result<bool, String> {
    let vendor = match args.vendor {
        VendorArg::Doris => Vendor::Doris,
        VendorArg::Starrocks => Vendor::StarRocks,
    };
    let (db, name) = args
        .table
        .split_once('.')
        .ok_or_else(|| format!("--table {:?} is not db.table", args.table))?;
    let format = match args.format {
        FormatArg::Csv => InputFormat::Csv {
            separator: separator(&args.column_separator)?,
        },
        FormatArg::Json => InputFormat::NdJson,
    };
    let endpoint = Endpoint::remote(
        vendor,
        &args.fe_url,
        args.mysql_url.as_deref(),
        args.user.clone(),
        args.password.clone(),
    )
    .map_err(|e| e.to_string())?;
    let job = LoadJob {
        table: Table::new(db, name),
        paths: args.paths,
        format,
        columns: args.columns,
        skip_header: args.skip_header,
        workers: args.workers,
        chunk_bytes: args.chunk_mb.max(1) << 20,
        lz4: args.lz4,
        bytes_per_second: args.rate_limit_mb.map(|mb| mb << 20),
        label_prefix: args.label_prefix,
    };
    let total = loader::inputs(&job)
        .map_err(|e| e.to_string())?
        .iter()
        .map(|i| i.size())
        .sum::<Option<u64>>();
    let progress = Arc::new(Progress::default());
    let bar = (!args.quiet).then(|| progress.show(total));
    let outcome = loader::run(&endpoint, &job, Arc::clone(&progress)).await;
    drop(bar);
    print!("{}", outcome.summary.render());
    match outcome.error {
        None => Ok(true),
        Some(e) => {
            eprintln!("streamload-load: stopped: {e}");
            eprintln!("re-run the same command to resume: chunks already loaded are skipped");
            Ok(false)
        }
    }
}
