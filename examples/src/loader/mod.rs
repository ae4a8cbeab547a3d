//! The bulk loader behind `streamload-load`: files, directories or stdin → one table, in
//! parallel, exactly once across re-runs.
//!
//! One reader cuts every input into chunks of whole lines ([`chunker`]); `workers` tasks take
//! chunks from a bounded queue (memory stays at about `(2 × workers + workers) × chunk_bytes`),
//! validate them ([`validate`]: UTF-8, CSV field counts, NDJSON objects — in parallel for JSON
//! too) and load each as one Stream Load through core's `Sink` in batched mode. A chunk's label
//! is `{prefix}_{db}_{table}_{input identity}_{chunk index + 1}` ([`input`]), and the sink runs
//! with `skip_loaded_batches`: a re-run after a crash finds the labels of chunks that landed
//! committed and skips them, and loads the rest. The first error stops the run; it names the
//! file and line (bad input) or the file and chunk (refused load).

pub mod chunker;
pub mod error;
pub mod input;
pub mod progress;
pub mod validate;

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use streamload_core::{
    Compression, CsvFormat, Delivery, Format, JsonFormat, SinkConfig, SinkStats, Table,
};
use tokio::io::AsyncRead;
use tokio::sync::mpsc;

use crate::endpoint::Endpoint;
use crate::sinks::{AnyProtocol, AnySink};
use chunker::{Chunk, Chunker};
use error::LoadError;
use input::Input;
use progress::{Progress, Summary};
use validate::InputFormat;

/// What to load, where, and how.
#[derive(Debug, Clone)]
pub struct LoadJob {
    /// The target table.
    pub table: Table,
    /// Files, directories, or `-` for stdin.
    pub paths: Vec<PathBuf>,
    /// CSV (with its separator) or NDJSON.
    pub format: InputFormat,
    /// The columns of each line, in order (sent as the `columns` header); also fixes the CSV
    /// field count.
    pub columns: Option<Vec<String>>,
    /// Drop the first line of each input (a CSV header).
    pub skip_header: bool,
    /// Parallel loads.
    pub workers: usize,
    /// Target chunk (= load) size in bytes.
    pub chunk_bytes: usize,
    /// LZ4-frame-compress bodies.
    pub lz4: bool,
    /// Total body bytes per second across workers.
    pub bytes_per_second: Option<u64>,
    /// Label prefix: keep it the same across re-runs of one job to resume.
    pub label_prefix: String,
}

/// The end of a run: what was done, and the error that stopped it, if any.
#[derive(Debug)]
pub struct Outcome {
    /// Counters.
    pub summary: Summary,
    /// The first error.
    pub error: Option<LoadError>,
}

struct Shared {
    job: LoadJob,
    inputs: Vec<Input>,
    protocol: AnyProtocol,
    base: SinkConfig,
    progress: Arc<Progress>,
    stop: AtomicBool,
    error: Mutex<Option<LoadError>>,
}

impl Shared {
    fn fail(&self, error: LoadError) {
        self.stop.store(true, Ordering::SeqCst);
        let mut slot = self.error.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert(error);
    }
}

/// The inputs `paths` expand to (for sizing a progress bar before [`run`]).
pub fn inputs(job: &LoadJob) -> Result<Vec<Input>, LoadError> {
    input::discover(&job.paths)
}

/// Runs `job` against `endpoint`, counting into `progress`.
pub async fn run(endpoint: &Endpoint, job: &LoadJob, progress: Arc<Progress>) -> Outcome {
    let started = Instant::now();
    let shared = match prepare(endpoint, job, progress).await {
        Ok(shared) => Arc::new(shared),
        Err(error) => {
            return Outcome {
                summary: Progress::default().summary(0, started.elapsed()),
                error: Some(error),
            };
        }
    };
    execute(Arc::clone(&shared)).await;
    let error = shared
        .error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    Outcome {
        summary: shared
            .progress
            .summary(shared.inputs.len(), started.elapsed()),
        error,
    }
}

async fn prepare(
    endpoint: &Endpoint,
    job: &LoadJob,
    progress: Arc<Progress>,
) -> Result<Shared, LoadError> {
    if job.workers == 0 || job.chunk_bytes == 0 {
        return Err(LoadError::Config(
            "workers and chunk size must be at least 1".into(),
        ));
    }
    let inputs = input::discover(&job.paths)?;
    let mut properties = Vec::new();
    if let Some(columns) = &job.columns {
        properties.push(("columns".to_owned(), columns.join(",")));
    }
    let config_error = |e: streamload_core::Error| LoadError::Config(e.to_string());
    let protocol = AnyProtocol::connect(endpoint, &job.label_prefix, false, &properties)
        .await
        .map_err(config_error)?;
    let format = match &job.format {
        InputFormat::Csv { separator } => Format::Csv(CsvFormat {
            column_separator: separator.clone(),
            ..CsvFormat::default()
        }),
        InputFormat::NdJson => Format::Json(JsonFormat::Lines),
    };
    let rate = job
        .bytes_per_second
        .map(|r| (r / job.workers as u64).clamp(1, u32::MAX as u64) as u32)
        .and_then(NonZeroU32::new);
    let base = SinkConfig::builder()
        .with_delivery(Delivery::Batched)
        .with_label_prefix(job.label_prefix.clone())
        .with_format(format)
        .with_compression(if job.lz4 {
            Compression::Lz4Frame
        } else {
            Compression::None
        })
        .with_max_rows(u64::MAX)
        .with_max_bytes(job.chunk_bytes as u64 * 2)
        .with_max_concurrent_loads(1)
        .with_skip_loaded_batches(true)
        .with_bytes_per_second(rate)
        .build()
        .map_err(config_error)?;
    Ok(Shared {
        job: job.clone(),
        inputs,
        protocol,
        base,
        progress,
        stop: AtomicBool::new(false),
        error: Mutex::new(None),
    })
}

/// What one loaded chunk added.
struct Loaded {
    rows: u64,
    filtered: u64,
    bytes: u64,
}

type Work = (Chunk, Option<usize>);

async fn execute(shared: Arc<Shared>) {
    let (tx, rx) = mpsc::channel::<Work>(shared.job.workers * 2);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let workers: Vec<_> = (0..shared.job.workers)
        .map(|_| {
            let shared = Arc::clone(&shared);
            let rx = Arc::clone(&rx);
            tokio::spawn(async move {
                loop {
                    let work = rx.lock().await.recv().await;
                    let Some((chunk, fields)) = work else { return };
                    if shared.stop.load(Ordering::SeqCst) {
                        return;
                    }
                    if let Err(e) = load_chunk(&shared, chunk, fields).await {
                        shared.fail(e);
                        return;
                    }
                }
            })
        })
        .collect();
    // Only the workers hold the receiver: when they all stop, the reader's send fails.
    drop(rx);
    if let Err(e) = read_all(&shared, tx).await {
        shared.fail(e);
    }
    for worker in workers {
        if let Err(e) = worker.await {
            shared.fail(LoadError::Config(format!("a worker panicked: {e}")));
        }
    }
}

async fn read_all(shared: &Shared, tx: mpsc::Sender<Work>) -> Result<(), LoadError> {
    for (n, input) in shared.inputs.iter().enumerate() {
        let reader: Box<dyn AsyncRead + Unpin + Send> = match input {
            Input::File { path, .. } => Box::new(tokio::fs::File::open(path).await.map_err(
                |error| LoadError::Io {
                    input: input.name(),
                    error,
                },
            )?),
            Input::Stdin => Box::new(tokio::io::stdin()),
        };
        let skip_header = shared.job.skip_header;
        let mut chunker = Chunker::new(reader, n, shared.job.chunk_bytes, skip_header);
        let mut fields = match (&shared.job.format, &shared.job.columns) {
            (InputFormat::Csv { .. }, Some(columns)) => Some(columns.len()),
            _ => None,
        };
        loop {
            if shared.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            let chunk = chunker.next_chunk().await.map_err(|error| LoadError::Io {
                input: input.name(),
                error,
            })?;
            let Some(chunk) = chunk else { break };
            if let (InputFormat::Csv { separator }, None) = (&shared.job.format, fields) {
                let first = memchr::memchr(b'\n', &chunk.bytes).unwrap_or(chunk.bytes.len());
                let line = &chunk.bytes[..first];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                fields = Some(validate::field_count(line, separator));
            }
            if tx.send((chunk, fields)).await.is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}

async fn load_chunk(shared: &Shared, chunk: Chunk, fields: Option<usize>) -> Result<(), LoadError> {
    let input = &shared.inputs[chunk.input];
    if let Err((line, reason)) = validate::validate(&chunk, &shared.job.format, fields) {
        return Err(LoadError::Input {
            input: input.name(),
            line,
            reason,
        });
    }
    let lines = (chunk.first_line, chunk.first_line + chunk.lines - 1);
    let load_error = |error| LoadError::Load {
        input: input.name(),
        chunk: chunk.index,
        lines,
        error: Box::new(error),
    };
    let mut config = shared.base.clone();
    config.writer_id = input.writer_id(&chunk.bytes);
    config.batch_sequence_start = chunk.index + 1;
    let budget = (chunk.bytes.len() as u64 * 2).clamp(config.chunk_bytes as u64, 4 << 30);
    config.memory_budget = budget;
    config.max_bytes = config.max_bytes.max(chunk.bytes.len() as u64 * 2);
    let table = &shared.job.table;
    // The Sink resolves the label: a chunk an earlier run committed is skipped
    // (`skip_loaded_batches`), a load a crashed run left open under it is aborted and redone.
    let mut sink = AnySink::new(shared.protocol.clone(), config).map_err(load_error)?;
    let loaded: streamload_core::Result<SinkStats> = async {
        sink.write_encoded(table, chunk.bytes.clone(), chunk.lines)
            .await?;
        sink.flush().await?;
        let stats = sink.stats();
        sink.close().await?;
        Ok(stats)
    }
    .await;
    let stats = match loaded.map_err(load_error)? {
        stats if stats.loads_skipped == 0 => Some(Loaded {
            rows: stats.rows_loaded,
            filtered: stats.rows_filtered,
            bytes: stats.bytes_loaded,
        }),
        _ => None,
    };
    let p = &shared.progress;
    let add = |counter: &std::sync::atomic::AtomicU64, n: u64| {
        counter.fetch_add(n, Ordering::Relaxed);
    };
    match stats {
        None => {
            add(&p.chunks_skipped, 1);
            add(&p.rows_skipped, chunk.lines);
        }
        Some(stats) => {
            add(&p.chunks_loaded, 1);
            add(&p.rows_loaded, stats.rows);
            add(&p.rows_filtered, stats.filtered);
            add(&p.bytes_sent, stats.bytes);
        }
    }
    add(&p.input_bytes, chunk.input_bytes);
    Ok(())
}
