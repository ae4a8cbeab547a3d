//! One task per table: the only place a table's transaction lives.
//!
//! Running a table's loads on one task, one after the other, keeps per-key order (a later
//! upsert never overtakes an earlier one) and gives back-pressure for free: the `Sink` waits on
//! the bounded command channel while the task is busy. When the `Sink` is dropped the channel
//! closes and the task aborts whatever transaction is still open, so nothing lingers until the
//! server's timeout. The checkpoint transaction itself (sending, resending, prepare) is
//! `open_txn.rs`; a batched load is `batch.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::buffer::Chunk;
use crate::error::{Error, ErrorKind, Result};
use crate::label::Label;
use crate::protocol::{LoadOptions, LoadProtocol, PreparedLoad};
use crate::table::Table;

use super::batch::run_batch;
use super::open_txn::{OpenTxn, load_span};
use super::steps::Shared;

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
    /// The table's batch permit, returned when the batch is finished (dropped).
    pub(crate) _queued: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// A table's task.
#[derive(Debug)]
pub(crate) struct Worker<P: ?Sized> {
    pub(crate) shared: Arc<Shared<P>>,
    pub(crate) table: Table,
    pub(crate) failed: Arc<AtomicBool>,
    open: Option<OpenTxn>,
    failure: Option<Error>,
    /// Checkpointed mode: this checkpoint's transaction failed, so its `prepare` must fail even
    /// when the failure itself was already reported.
    checkpoint_failed: bool,
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
        match OpenTxn::begin(&self.shared, &self.table, label, options).await {
            Ok(open) => self.open = Some(open),
            Err(e) => {
                self.checkpoint_failed = true;
                self.fail(e);
            }
        }
    }

    async fn write_chunk(&mut self, chunk: Chunk) {
        if self.failure.is_some() {
            return;
        }
        let Some(mut open) = self.open.take() else {
            self.fail(Error::new(
                ErrorKind::Unexpected,
                "chunk without an open transaction",
            ));
            return;
        };
        let err = match open.send(&self.shared, &self.table, chunk).await {
            Ok(()) => {
                self.open = Some(open);
                return;
            }
            Err(e) => e,
        };
        let label = open.label.clone();
        match open.send_again(&self.shared, &self.table, err).await {
            Ok(again) => self.open = Some(again),
            Err((e, open)) => {
                self.checkpoint_failed = true;
                self.open = open;
                self.abort_open().await;
                self.fail(
                    e.with_context("table", &self.table)
                        .with_context("label", label),
                );
            }
        }
    }

    async fn abort_open(&mut self) {
        self.shared.retention.take(&self.table);
        if let Some(open) = self.open.take() {
            open.abort(&self.table).await;
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
        match self.open.take() {
            Some(open) => open.prepare(&self.shared, &self.table).await.map(Some),
            None => Ok(None),
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
