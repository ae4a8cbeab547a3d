//! `chaos_writer`: one lifetime of a production-shaped load job, for the chaos suite.
//!
//! It reads the deterministic source from the offset in its state file and loads it in one
//! delivery mode through the public API only:
//!
//! * exactly-once modes: `recover(stored checkpoint)`, then per batch write → `prepare` → store
//!   `{checkpoint, next offset}` atomically → `commit`;
//! * at-least-once modes: per batch write → `flush` → store the next offset. A batch's label
//!   follows from its place in the source (`batch_sequence_start`), so a replay after a crash
//!   repeats the same batches under the same labels.
//!
//! Every protocol step prints `step <name> …` on stdout before the next one starts, so the
//! harness can kill the process right after it; `--abort-after name[:nth]` makes the process
//! abort itself there instead. An error prints `error: …` on stderr and exits with 1.

mod sinks;

use std::process::ExitCode;

use clap::Parser;
use streamload_conformance::chaos::args::WriterArgs;
use streamload_conformance::chaos::source::{StoredState, row_at};
use streamload_core::{Delivery, Table};

/// Prints step lines and aborts after the chosen one.
struct Steps {
    abort_name: Option<String>,
    abort_nth: u32,
    seen: std::collections::HashMap<String, u32>,
}

impl Steps {
    fn new(spec: Option<&str>) -> Steps {
        let (abort_name, abort_nth) = match spec.map(|s| s.split_once(':').unwrap_or((s, "1"))) {
            Some((name, nth)) => (Some(name.to_owned()), nth.parse().unwrap_or(1)),
            None => (None, 0),
        };
        Steps {
            abort_name,
            abort_nth,
            seen: Default::default(),
        }
    }

    fn step(&mut self, name: &str, detail: String) {
        println!("step {name} {detail}");
        let count = self.seen.entry(name.to_owned()).or_default();
        *count += 1;
        if self.abort_name.as_deref() == Some(name) && *count == self.abort_nth {
            std::process::abort();
        }
    }
}

fn main() -> ExitCode {
    let args = WriterArgs::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &WriterArgs) -> Result<(), String> {
    let mode = args
        .parsed_mode()
        .ok_or_else(|| format!("unknown mode {:?}", args.mode))?;
    let table = Table::new("test", args.table.clone());
    let mut steps = Steps::new(args.abort_after.as_deref());
    let state = StoredState::load(&args.state).map_err(|e| format!("state file: {e}"))?;
    if mode.delivery() == Delivery::Checkpointed {
        exactly_once(args, mode, &table, state, &mut steps).await
    } else {
        at_least_once(args, mode, &table, state, &mut steps).await
    }
}

fn batch_end(args: &WriterArgs, offset: u64) -> u64 {
    (offset + args.batch).min(args.rows)
}

/// Closes the sink and prints `done` (the whole source is in) or `paused` (the run's batch
/// limit came first).
async fn finish(
    sink: sinks::AnySink,
    args: &WriterArgs,
    offset: u64,
    steps: &mut Steps,
) -> Result<(), String> {
    sink.close().await.map_err(|e| format!("close: {e}"))?;
    let end = if offset >= args.rows {
        "done"
    } else {
        "paused"
    };
    steps.step(end, format!("offset={offset}"));
    Ok(())
}

async fn exactly_once(
    args: &WriterArgs,
    mode: streamload_conformance::Mode,
    table: &Table,
    state: StoredState,
    steps: &mut Steps,
) -> Result<(), String> {
    let mut checkpoint_id = state.checkpoint.as_ref().map_or(0, |c| c.id);
    let mut offset = state.next_offset;
    let mut sink = sinks::open(args, mode, table, 1, state.checkpoint)
        .await
        .map_err(|e| format!("recover cp={checkpoint_id}: {e}"))?;
    steps.step("recovered", format!("cp={checkpoint_id} offset={offset}"));
    let mut batches = 0;
    while offset < args.rows && (args.max_batches == 0 || batches < args.max_batches) {
        let end = batch_end(args, offset);
        checkpoint_id += 1;
        for o in offset..end {
            sink.write(table, &row_at(o))
                .await
                .map_err(|e| format!("write cp={checkpoint_id} offset={o}: {e}"))?;
        }
        steps.step("written", format!("cp={checkpoint_id}"));
        let checkpoint = sink
            .prepare(checkpoint_id)
            .await
            .map_err(|e| format!("prepare cp={checkpoint_id}: {e}"))?;
        steps.step("prepared", format!("cp={checkpoint_id}"));
        let stored = StoredState {
            checkpoint: Some(checkpoint.clone()),
            next_offset: end,
        };
        stored
            .store(&args.state)
            .map_err(|e| format!("store cp={checkpoint_id}: {e}"))?;
        steps.step("stored", format!("cp={checkpoint_id} offset={end}"));
        steps.step("committing", format!("cp={checkpoint_id}"));
        sink.commit(&checkpoint)
            .await
            .map_err(|e| format!("commit cp={checkpoint_id}: {e}"))?;
        steps.step("committed", format!("cp={checkpoint_id}"));
        offset = end;
        batches += 1;
    }
    finish(sink, args, offset, steps).await
}

async fn at_least_once(
    args: &WriterArgs,
    mode: streamload_conformance::Mode,
    table: &Table,
    state: StoredState,
    steps: &mut Steps,
) -> Result<(), String> {
    let mut offset = state.next_offset;
    // Batches start at multiples of `batch`: batch k (from 1) always holds the same rows.
    let first_batch = offset / args.batch + 1;
    let mut sink = sinks::open(args, mode, table, first_batch, None)
        .await
        .map_err(|e| format!("open offset={offset}: {e}"))?;
    steps.step("started", format!("offset={offset}"));
    let mut batches = 0;
    while offset < args.rows && (args.max_batches == 0 || batches < args.max_batches) {
        let end = batch_end(args, offset);
        for o in offset..end {
            sink.write(table, &row_at(o))
                .await
                .map_err(|e| format!("write offset={o}: {e}"))?;
        }
        steps.step("written", format!("offset={end}"));
        steps.step("flushing", format!("offset={end}"));
        sink.flush()
            .await
            .map_err(|e| format!("flush offset={end}: {e}"))?;
        steps.step("flushed", format!("offset={end}"));
        let stored = StoredState {
            checkpoint: None,
            next_offset: end,
        };
        stored
            .store(&args.state)
            .map_err(|e| format!("store offset={end}: {e}"))?;
        steps.step("stored", format!("offset={end}"));
        offset = end;
        batches += 1;
    }
    finish(sink, args, offset, steps).await
}
