//! One task per table: the only place a table's transaction lives.
//!
//! Running a table's loads on one task, one after the other, keeps per-key order (a later
//! upsert never overtakes an earlier one) and gives back-pressure for free: the `Sink` waits on
//! the bounded command channel while the task is busy. When the `Sink` is dropped the channel
//! closes and the task aborts whatever transaction is still open, so nothing lingers until the
//! server's timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::budget::Charge;
use crate::buffer::Chunk;
use crate::compress::BodyEncoder;
use crate::error::{Error, ErrorKind, Result, RetryStatus};
use crate::label::Label;
use crate::protocol::{LoadOptions, LoadProtocol, PreparedLoad, Transaction};
use crate::report::{LabelState, LoadReport};
use crate::table::Table;

use super::batch::run_batch;
use super::steps::{Begun, Shared};

/// What the `Sink` asks of a table's task.
#[derive(Debug)]
pub(crate) enum Command {
    /// Checkpointed: begin the checkpoint's transaction.
    Open { label: Label, options: LoadOptions },
    /// Checkpointed: append a chunk to the open transaction.
    Chunk(Chunk),
    /// Checkpointed: end the body and precommit; `None` when nothing was opened.
    Prepare(oneshot::Sender<Result<Option<PreparedLoad>>>),
    /// Checkpointed: abort the open transaction (unprepared rows are discarded).
    Abort(oneshot::Sender<()>),
    /// Batched: run one load of these chunks.
    Batch(Batch),
    /// Report (and clear) the first failure since the last sync.
    Sync(oneshot::Sender<Result<()>>),
}

/// The chunks of one batched load.
#[derive(Debug)]
pub(crate) struct Batch {
    pub(crate) label: Option<Label>,
    pub(crate) options: LoadOptions,
    pub(crate) chunks: Vec<Chunk>,
    pub(crate) rows: u64,
}

/// The open transaction of the current checkpoint.
#[derive(Debug)]
struct Open {
    txn: Box<dyn Transaction>,
    label: Label,
    body: Option<BodyEncoder>,
    body_bytes: u64,
    rows: u64,
    started: Instant,
    span: tracing::Span,
}

/// A table's task.
#[derive(Debug)]
pub(crate) struct Worker<P: ?Sized> {
    pub(crate) shared: Arc<Shared<P>>,
    pub(crate) table: Table,
    pub(crate) failed: Arc<AtomicBool>,
    open: Option<Open>,
    failure: Option<Error>,
    /// Checkpointed mode: this checkpoint's transaction failed, so its `prepare` must fail even
    /// when the failure itself was already reported.
    checkpoint_failed: bool,
}

fn load_span(table: &Table, label: Option<&Label>) -> tracing::Span {
    tracing::info_span!(
        "load",
        table = %table,
        label = label.map(Label::as_str),
        txn_id = tracing::field::Empty,
        bytes = tracing::field::Empty,
        rows = tracing::field::Empty,
    )
}

impl<P: LoadProtocol + ?Sized + 'static> Worker<P> {
    pub(crate) fn new(shared: Arc<Shared<P>>, table: Table, failed: Arc<AtomicBool>) -> Self {
        Self {
            shared,
            table,
            failed,
            open: None,
            failure: None,
            checkpoint_failed: false,
        }
    }

    pub(crate) async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        while let Some(command) = commands.recv().await {
            match command {
                Command::Open { label, options } => self.open(label, options).await,
                Command::Chunk(chunk) => self.write_chunk(chunk).await,
                Command::Prepare(reply) => {
                    let _ = reply.send(self.prepare().await);
                }
                Command::Abort(reply) => {
                    self.abort_open().await;
                    let _ = reply.send(());
                }
                Command::Batch(batch) => self.batch(batch).await,
                Command::Sync(reply) => {
                    self.failed.store(false, Ordering::Release);
                    let _ = reply.send(self.failure.take().map_or(Ok(()), Err));
                }
            }
        }
        if self.open.is_some() {
            tracing::warn!(table = %self.table, "Sink dropped with an open transaction; aborting it.");
            self.abort_open().await;
        }
    }

    fn fail(&mut self, err: Error) {
        self.shared.stats.failed(&self.table);
        tracing::error!(table = %self.table, error = %err, "Load failed.");
        self.failed.store(true, Ordering::Release);
        self.failure.get_or_insert(err);
    }

    async fn open(&mut self, label: Label, options: LoadOptions) {
        if self.checkpoint_failed {
            return;
        }
        self.checkpoint_failed = true;
        let mut ours_before = false;
        let span = load_span(&self.table, Some(&label));
        let begun = self
            .shared
            .begin(&self.table, Some(&label), &options, &mut ours_before)
            .instrument(span.clone())
            .await;
        let body = BodyEncoder::new(options.compression, self.shared.caps.multi_load_per_txn);
        match (begun, body) {
            (Ok(Begun::Open(txn)), Ok(body)) => {
                self.checkpoint_failed = false;
                self.open = Some(Open {
                    txn,
                    label,
                    body: Some(body),
                    body_bytes: 0,
                    rows: 0,
                    started: Instant::now(),
                    span,
                });
            }
            (Ok(Begun::AlreadyLoaded), _) => self.fail(Error::new(
                ErrorKind::Unexpected,
                "a two-phase label cannot be already loaded",
            )),
            (Ok(Begun::Open(txn)), Err(e)) => {
                let _ = txn.abort().await;
                self.fail(e);
            }
            (Err(e), _) => self.fail(e.with_context("table", &self.table)),
        }
    }

    async fn write_chunk(&mut self, chunk: Chunk) {
        if self.failure.is_some() {
            return;
        }
        let Some(open) = self.open.as_mut() else {
            self.fail(Error::new(
                ErrorKind::Unexpected,
                "chunk without an open transaction",
            ));
            return;
        };
        let span = open.span.clone();
        let result = send_chunk(&self.shared, open, chunk).instrument(span).await;
        if let Err(e) = result {
            let label = open.label.clone();
            self.checkpoint_failed = true;
            self.abort_open().await;
            self.fail(
                e.with_context("table", &self.table)
                    .with_context("label", label),
            );
        }
    }

    async fn abort_open(&mut self) {
        if let Some(open) = self.open.take()
            && let Err(e) = open.txn.abort().await
        {
            tracing::warn!(table = %self.table, label = %open.label, error = %e,
                "Abort failed; recovery will abort the label.");
        }
    }

    async fn prepare(&mut self) -> Result<Option<PreparedLoad>> {
        if self.checkpoint_failed {
            self.checkpoint_failed = false;
            self.failed.store(false, Ordering::Release);
            self.abort_open().await;
            return Err(self.failure.take().unwrap_or_else(|| {
                Error::new(
                    ErrorKind::DataLoss,
                    "an earlier failure lost rows of this checkpoint; restore the last \
                     checkpoint and replay",
                )
            }));
        }
        let Some(mut open) = self.open.take() else {
            return Ok(None);
        };
        let span = open.span.clone();
        let result = async {
            if let Some(body) = open.body.take() {
                let tail = body.finish()?;
                if !tail.is_empty() {
                    open.body_bytes += tail.len() as u64;
                    open.txn.write(tail).await?;
                }
            }
            let label = open.label.clone();
            match open.txn.prepare().await {
                Ok(prepared) => Ok(prepared),
                Err(e) if e.retry_status() == RetryStatus::OutcomeUnknown => {
                    let state = self.shared.label_state(&self.table, &label).await?;
                    if state == LabelState::Precommitted {
                        let prepared = self.shared.by_label(&self.table, &label);
                        Ok(PreparedLoad {
                            prepared,
                            report: LoadReport::default(),
                        })
                    } else {
                        if state == LabelState::Prepare {
                            let _ = self.shared.abort_label(&self.table, &label).await;
                        }
                        Err(e.with_context("state", format!("{state:?}")))
                    }
                }
                Err(e) => {
                    let _ = self.shared.abort_label(&self.table, &label).await;
                    Err(e)
                }
            }
        }
        .instrument(span.clone())
        .await;
        match result {
            Ok(prepared) => {
                span.record("txn_id", prepared.prepared.txn_id);
                span.record("bytes", open.body_bytes);
                span.record("rows", open.rows);
                let took = open.started.elapsed();
                self.shared
                    .stats
                    .succeeded(&self.table, &prepared.report, open.body_bytes, took);
                Ok(Some(prepared))
            }
            Err(e) => {
                self.shared.stats.failed(&self.table);
                Err(e
                    .with_context("table", &self.table)
                    .with_context("label", &open.label))
            }
        }
    }

    async fn batch(&mut self, batch: Batch) {
        let Ok(_slot) = Arc::clone(&self.shared.load_slots).acquire_owned().await else {
            return;
        };
        let span = load_span(&self.table, batch.label.as_ref());
        let started = Instant::now();
        let result = run_batch(&self.shared, &self.table, &batch)
            .instrument(span.clone())
            .await;
        match result {
            Ok(Some((report, body_bytes))) => {
                span.record("txn_id", report.txn_id);
                span.record("bytes", body_bytes);
                span.record("rows", batch.rows);
                self.shared
                    .stats
                    .succeeded(&self.table, &report, body_bytes, started.elapsed());
            }
            Ok(None) => self.shared.stats.skipped(),
            Err(e) => {
                let e = e.with_context("table", &self.table);
                let e = match &batch.label {
                    Some(label) => e.with_context("label", label),
                    None => e,
                };
                self.fail(e);
            }
        }
    }
}

/// Compresses, paces and writes one chunk; its memory charge is returned afterwards.
async fn send_chunk<P: LoadProtocol + ?Sized>(
    shared: &Shared<P>,
    open: &mut Open,
    chunk: Chunk,
) -> Result<()> {
    let body = match open.body.as_mut() {
        Some(encoder) => encoder.chunk(&chunk.bytes)?,
        None => chunk.bytes.clone(),
    };
    if body.is_empty() {
        return Ok(());
    }
    shared.limits.before_bytes(body.len()).await;
    open.body_bytes += body.len() as u64;
    open.rows += chunk.rows;
    open.txn.write(body).await?;
    drop::<Charge>(chunk.charge);
    Ok(())
}
