//! The writer's command line, shared by the `chaos_writer` binary and the harness that spawns
//! it, so the two can never disagree on a flag.

use std::path::PathBuf;

use clap::Parser;

use crate::Mode;

/// A production-shaped load job over a deterministic source, printing a `step …` line per
/// protocol step.
#[derive(Debug, Clone, Parser)]
#[command(name = "chaos_writer")]
pub struct WriterArgs {
    /// Delivery mode (`doris-2pc`, `doris-batch`, `doris-group-commit`, `starrocks-v2`,
    /// `starrocks-v2-at-least-once`, `starrocks-v1`, `starrocks-merge-commit`).
    #[arg(long)]
    pub mode: String,
    /// FE HTTP URL.
    #[arg(long)]
    pub fe: String,
    /// MySQL `host:port` (StarRocks asks it for the server version).
    #[arg(long)]
    pub mysql: String,
    /// Table in database `test`.
    #[arg(long)]
    pub table: String,
    /// The state file (checkpoint and next offset).
    #[arg(long)]
    pub state: PathBuf,
    /// Rows in the source.
    #[arg(long)]
    pub rows: u64,
    /// Rows per checkpoint or flush.
    #[arg(long)]
    pub batch: u64,
    /// Stop cleanly after this many checkpoints or flushes (0: run to the end of the source).
    #[arg(long, default_value_t = 0)]
    pub max_batches: u64,
    /// The job's label prefix.
    #[arg(long)]
    pub prefix: String,
    /// `std::process::abort()` right after this step (`name` or `name:nth`, counted per run).
    #[arg(long)]
    pub abort_after: Option<String>,
    /// Declare the table to the sink (`SinkConfig::tables`), so recovery may clean it up even
    /// when no checkpoint names it.
    #[arg(long)]
    pub declare_tables: bool,
}

impl WriterArgs {
    /// The mode, when `mode` names one.
    pub fn parsed_mode(&self) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == self.mode)
    }

    /// The arguments that reproduce these settings.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec![
            format!("--mode={}", self.mode),
            format!("--fe={}", self.fe),
            format!("--mysql={}", self.mysql),
            format!("--table={}", self.table),
            format!("--state={}", self.state.display()),
            format!("--rows={}", self.rows),
            format!("--batch={}", self.batch),
            format!("--max-batches={}", self.max_batches),
            format!("--prefix={}", self.prefix),
        ];
        if let Some(step) = &self.abort_after {
            args.push(format!("--abort-after={step}"));
        }
        if self.declare_tables {
            args.push("--declare-tables".to_owned());
        }
        args
    }
}

/// Whether a step line names `step` (`step prepared cp=3` names `prepared`).
pub fn step_name(line: &str) -> Option<&str> {
    line.strip_prefix("step ")?.split_whitespace().next()
}
