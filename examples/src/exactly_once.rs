//! The exactly-once pipeline, crashed on purpose: a source with offsets is loaded through a
//! checkpointed `Sink`, the process "dies" at random steps chosen by a seeded RNG, and every
//! restart resumes from the stored checkpoint and offset. The table must end equal to the input.
//!
//! A crash is simulated the hard way: the run happens on its own tokio runtime, the sink is
//! leaked (nothing is aborted politely) and the runtime is shut down, which cuts its sockets in
//! the middle of whatever they were doing. The next run only has the state file.
//!
//! The target table is a DUPLICATE KEY table, so a row loaded twice would show as a duplicate:
//! equality with the input proves exactly-once, not just idempotent upserts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use streamload_core::{Checkpoint, Delivery, Error, ErrorKind, Op, Result, SinkConfig, Table};

use crate::endpoint::{Endpoint, Vendor};
use crate::sinks::AnySink;
use crate::sql::SqlClient;

/// The demo's knobs.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Seed of the crash schedule.
    pub seed: u64,
    /// Rows in the source.
    pub rows: u64,
    /// Rows per checkpoint.
    pub batch: u64,
    /// Chance of a crash at each step (mid-batch, after prepare, after store, after commit).
    pub crash_probability: f64,
    /// At most this many crashes; after that the pipeline runs to the end.
    pub max_crashes: u32,
    /// Where the checkpoint and the source offset are stored (one JSON file, replaced
    /// atomically).
    pub state_path: PathBuf,
}

/// One source record: its offset is its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// The source offset.
    pub id: u64,
    /// A payload derived from the offset.
    pub payload: String,
}

/// The source: `rows` events at offsets `0..rows`, re-readable from any offset (like a Kafka
/// partition).
pub fn event_at(offset: u64) -> Event {
    Event {
        id: offset,
        payload: format!(
            "event-{offset:06}-{:08x}",
            offset.wrapping_mul(2_654_435_761)
        ),
    }
}

/// What is stored durably, in one atomic write: the checkpoint to commit and where the source
/// continues after it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredState {
    /// The last prepared checkpoint that was stored.
    pub checkpoint: Option<Checkpoint>,
    /// The source offset after the rows of `checkpoint`.
    pub next_offset: u64,
}

impl StoredState {
    /// Reads the state file; a missing file is the initial state.
    pub fn load(path: &Path) -> Result<StoredState> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::new(ErrorKind::Unexpected, format!("bad state file: {e}"))
                    .with_context("path", path.display())
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StoredState::default()),
            Err(e) => Err(io_error(path, e)),
        }
    }

    /// Writes the state file atomically (a temporary file renamed over it).
    pub fn store(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("tmp");
        let bytes = serde_json::to_vec(self)
            .map_err(|e| Error::new(ErrorKind::Unexpected, e.to_string()))?;
        std::fs::write(&tmp, bytes).map_err(|e| io_error(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io_error(path, e))
    }
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Unexpected, format!("{}: {e}", path.display()))
        .with_context("path", path.display())
}

/// What the demo did.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// Runs started (crashed ones plus the last).
    pub runs: u32,
    /// Where each crash happened.
    pub crashes: Vec<String>,
    /// `(id, payload)` rows of the table at the end, ordered by id.
    pub table: Vec<(u64, String)>,
    /// The input, in the same shape.
    pub input: Vec<(u64, String)>,
}

impl DemoReport {
    /// True when the table equals the input (no loss, no duplicate).
    pub fn exactly_once(&self) -> bool {
        self.table == self.input
    }
}

/// The DUPLICATE KEY table of the demo.
pub fn ddl(vendor: Vendor, table: &str) -> String {
    let props = match vendor {
        Vendor::Doris => "\"replication_allocation\" = \"tag.location.default: 1\"",
        Vendor::StarRocks => "\"replication_num\" = \"1\"",
    };
    format!(
        "CREATE TABLE test.{table} (`id` BIGINT, `payload` VARCHAR(64)) DUPLICATE KEY(`id`) \
         DISTRIBUTED BY HASH(`id`) BUCKETS 1 PROPERTIES ({props})"
    )
}

enum RunEnd {
    Finished,
    Crashed(String),
}

/// Runs the demo against `endpoint` (creating `test.{table}`), crashing and resuming until the
/// source is exhausted; `log` gets a line per step.
pub async fn run(
    endpoint: &Endpoint,
    table: &str,
    config: &DemoConfig,
    log: &mut (dyn FnMut(String) + Send),
) -> Result<DemoReport> {
    let mut sql = SqlClient::connect(endpoint).await?;
    sql.execute("CREATE DATABASE IF NOT EXISTS test").await?;
    sql.execute(&ddl(endpoint.vendor, table)).await?;
    let _ = std::fs::remove_file(&config.state_path);
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let prefix = format!("eo_demo_{millis}");
    let target = Table::new("test", table);
    let mut rng = StdRng::seed_from_u64(config.seed);
    let mut crashes = Vec::new();
    let mut runs = 0;
    loop {
        runs += 1;
        let may_crash = (crashes.len() as u32) < config.max_crashes;
        // Each run gets its own runtime on its own thread, so a crash can kill it outright.
        let end = tokio::task::block_in_place(|| {
            std::thread::scope(|scope| {
                scope
                    .spawn(|| one_run(endpoint, &target, &prefix, config, &mut rng, may_crash, log))
                    .join()
                    .unwrap_or_else(|_| Err(Error::new(ErrorKind::Unexpected, "run panicked")))
            })
        })?;
        match end {
            RunEnd::Finished => break,
            RunEnd::Crashed(step) => crashes.push(step),
        }
    }
    let result = sql
        .query(&format!(
            "SELECT id, payload FROM test.{table} ORDER BY id, payload"
        ))
        .await?;
    sql.close().await;
    let table_rows = result
        .rows
        .into_iter()
        .map(|r| (r[0].parse().unwrap_or(u64::MAX), r[1].clone()))
        .collect();
    let input = (0..config.rows)
        .map(event_at)
        .map(|e| (e.id, e.payload))
        .collect();
    Ok(DemoReport {
        runs,
        crashes,
        table: table_rows,
        input,
    })
}

/// One process lifetime: recover, resume from the stored offset, checkpoint batch after batch,
/// and maybe die at a random step.
fn one_run(
    endpoint: &Endpoint,
    table: &Table,
    prefix: &str,
    config: &DemoConfig,
    rng: &mut StdRng,
    may_crash: bool,
    log: &mut (dyn FnMut(String) + Send),
) -> Result<RunEnd> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorKind::Unexpected, e.to_string()))?;
    let crash = |rng: &mut StdRng| may_crash && rng.random_bool(config.crash_probability);
    let outcome = runtime.block_on(async {
        let state = StoredState::load(&config.state_path)?;
        let sink_config = SinkConfig::builder()
            .with_delivery(Delivery::Checkpointed)
            .with_label_prefix(prefix)
            .with_chunk_bytes(4096)
            .with_tables(vec![table.clone()])
            .build()?;
        let mut sink = AnySink::open(endpoint, sink_config, state.checkpoint.clone()).await?;
        let mut offset = state.next_offset;
        let mut checkpoint_id = state.checkpoint.as_ref().map_or(0, |c| c.id);
        log(format!(
            "run: recovered checkpoint {checkpoint_id}, resuming at offset {offset}"
        ));
        while offset < config.rows {
            let end = (offset + config.batch).min(config.rows);
            let crash_after = crash(rng).then(|| rng.random_range(offset..end));
            for o in offset..end {
                sink.write(table, Op::Upsert, &event_at(o)).await?;
                if crash_after == Some(o) {
                    return Ok((sink, RunEnd::Crashed(format!("mid-batch after offset {o}"))));
                }
            }
            checkpoint_id += 1;
            let checkpoint = sink.prepare(checkpoint_id).await?;
            if crash(rng) {
                let step = format!("after prepare of checkpoint {checkpoint_id}, before storing");
                return Ok((sink, RunEnd::Crashed(step)));
            }
            let stored = StoredState {
                checkpoint: Some(checkpoint.clone()),
                next_offset: end,
            };
            stored.store(&config.state_path)?;
            if crash(rng) {
                let step = format!("after storing checkpoint {checkpoint_id}, before commit");
                return Ok((sink, RunEnd::Crashed(step)));
            }
            sink.commit(&checkpoint).await?;
            log(format!(
                "checkpoint {checkpoint_id}: offsets {offset}..{end} committed"
            ));
            offset = end;
            if offset < config.rows && crash(rng) {
                let step = format!("after commit of checkpoint {checkpoint_id}");
                return Ok((sink, RunEnd::Crashed(step)));
            }
        }
        Ok((sink, RunEnd::Finished))
    });
    match outcome {
        Ok((sink, RunEnd::Finished)) => {
            runtime.block_on(sink.close())?;
            log("source exhausted: finished".into());
            Ok(RunEnd::Finished)
        }
        Ok((sink, RunEnd::Crashed(step))) => {
            log(format!("CRASH {step}"));
            // No goodbye: nothing is aborted, the sockets die with the runtime.
            std::mem::forget(sink);
            runtime.shutdown_timeout(Duration::from_millis(50));
            Ok(RunEnd::Crashed(step))
        }
        Err(e) => Err(e),
    }
}
