//! `mysql-sync`: whole-database sync from MySQL / MariaDB (snapshot, then the binlog) into
//! Doris or StarRocks, exactly-once. See `streamload_examples::sync` for what it does.
//!
//! ```text
//! mysql-sync --source mysql://repl:secret@db:3306 --source-db shop \
//!     --vendor doris --fe-url http://fe:8030 --target-db shop_copy \
//!     --include '^(orders|items)$' --table-prefix ods_ --state sync-state.json --follow
//! ```
//!
//! The source URL (with its password) can come from `MYSQL_SYNC_SOURCE`; it is never printed.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use regex::Regex;
use streamload_examples::endpoint::{Endpoint, Vendor};
use streamload_examples::sync::{self, SyncConfig};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum VendorArg {
    Doris,
    Starrocks,
}

/// MySQL / MariaDB → Doris / StarRocks whole-database sync.
#[derive(Parser)]
#[command(name = "mysql-sync", version)]
struct Args {
    /// Source `mysql://user:password@host:port`.
    #[arg(long, env = "MYSQL_SYNC_SOURCE", hide_env_values = true)]
    source: String,
    /// Source database.
    #[arg(long)]
    source_db: String,
    /// Target vendor.
    #[arg(long, value_enum)]
    vendor: VendorArg,
    /// Target FE HTTP address.
    #[arg(long)]
    fe_url: String,
    /// Target MySQL address (default: the FE host, port 9030).
    #[arg(long)]
    mysql_url: Option<String>,
    /// Target user.
    #[arg(long, default_value = "root")]
    user: String,
    /// Target password.
    #[arg(
        long,
        env = "TARGET_PASSWORD",
        default_value = "",
        hide_env_values = true
    )]
    password: String,
    /// Target database.
    #[arg(long)]
    target_db: String,
    /// Sync only tables whose name matches this regex.
    #[arg(long)]
    include: Option<Regex>,
    /// Skip tables whose name matches this regex.
    #[arg(long)]
    exclude: Option<Regex>,
    /// Target table name prefix.
    #[arg(long, default_value = "")]
    table_prefix: String,
    /// Target table name suffix.
    #[arg(long, default_value = "")]
    table_suffix: String,
    /// Binlog client server id.
    #[arg(long, default_value_t = 5701)]
    server_id: u32,
    /// State file (checkpoint, binlog position, schemas).
    #[arg(long, default_value = "mysql-sync-state.json")]
    state: PathBuf,
    /// Label prefix (keep it across restarts).
    #[arg(long, default_value = "mysql_sync")]
    label_prefix: String,
    /// Rows between checkpoints.
    #[arg(long, default_value_t = 10_000)]
    checkpoint_rows: u64,
    /// Longest wait of a row for its checkpoint, in seconds (checked at transaction ends).
    #[arg(long, default_value_t = 5)]
    checkpoint_secs: u64,
    /// Keep following the binlog (otherwise stop when caught up).
    #[arg(long)]
    follow: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let vendor = match args.vendor {
        VendorArg::Doris => Vendor::Doris,
        VendorArg::Starrocks => Vendor::StarRocks,
    };
    let endpoint = match Endpoint::remote(
        vendor,
        &args.fe_url,
        args.mysql_url.as_deref(),
        args.user.clone(),
        args.password.clone(),
    ) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("mysql-sync: {e}");
            std::process::exit(2);
        }
    };
    let config = SyncConfig {
        source_url: args.source,
        source_db: args.source_db,
        target_db: args.target_db,
        include: args.include,
        exclude: args.exclude,
        table_prefix: args.table_prefix,
        table_suffix: args.table_suffix,
        server_id: args.server_id,
        state_path: args.state,
        label_prefix: args.label_prefix,
        checkpoint_rows: args.checkpoint_rows,
        checkpoint_interval: std::time::Duration::from_secs(args.checkpoint_secs),
        follow: args.follow,
    };
    match sync::run(&endpoint, &config, &mut |line| println!("{line}")).await {
        Ok(report) => println!("{report:?}"),
        Err(e) => {
            eprintln!("mysql-sync: {e}");
            std::process::exit(1);
        }
    }
}
