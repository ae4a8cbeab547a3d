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

use crate::buffer::Chunk;
use crate::compress::BodyEncoder;
use crate::error::{Error, ErrorKind, Result, RetryStatus};
use crate::label::Label;
use crate::protocol::{LoadOptions, LoadProtocol, PreparedLoad, Transaction};
use crate::report::{LabelState, LoadReport};
use crate::retry::Backoff;
use crate::table::Table;

use super::batch::run_batch;
use super::resend::{begin_again, resendable};
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
    /// The table's batch permit, returned when the batch is finished (dropped).
    pub(crate) _queued: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// The open transaction of the current checkpoint.
#[derive(Debug)]
struct Open {
    txn: Box<dyn Transaction>,
    label: Label,
    options: LoadOptions,
    body: Option<BodyEncoder>,
    body_bytes: u64,
    rows: u64,
    started: Instant,
    span: tracing::Span,
    /// Pauses before sending the transaction again after a failed load; bounds the resends.
    resends: Backoff,
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
                self.shared.retention.start(&self.table);
                self.open = Some(Open {
                    txn,
                    label,
                    options,
                    body: Some(body),
                    body_bytes: 0,
                    rows: 0,
                    started: Instant::now(),
                    span,
                    resends: Backoff::new(&self.shared.config.retry),
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
        let result = send_chunk(&self.shared, &self.table, open, chunk)
            .instrument(span)
            .await;
        if let Err(e) = result
            && let Err(e) = self.send_again(e).await
        {
            let label = self.open.as_ref().map(|o| o.label.clone());
            self.checkpoint_failed = true;
            self.abort_open().await;
            let e = e.with_context("table", &self.table);
            self.fail(match label {
                Some(label) => e.with_context("label", label),
                None => e,
            });
        }
    }

    /// A chunk could not be sent, but the failure may pass (a reset, a lost answer, a node
    /// restarting): when every chunk of the transaction was kept, it is aborted and begun again
    /// under the same label with all its chunks. Otherwise, or once the retries are used up,
    /// the error is returned and the checkpoint fails.
    async fn send_again(&mut self, err: Error) -> Result<()> {
        if !resendable(&err) {
            return Err(err);
        }
        let Some(chunks) = self.shared.retention.take(&self.table) else {
            return Err(err);
        };
        let Some(mut open) = self.open.take() else {
            return Err(err);
        };
        let Some(delay) = open.resends.next_delay(&err) else {
            self.open = Some(open);
            return Err(err);
        };
        // Abort through the handle: it also stops the broken body, and no abort is left
        // scheduled that could hit the transaction begun next under the same label.
        if let Err(abort) = open.txn.abort().await {
            tracing::warn!(table = %self.table, label = %open.label, error = %abort,
                "Abort before a resend failed; the checkpoint fails instead.");
            return Err(err);
        }
        self.shared.stats.retry(&self.table);
        tracing::warn!(table = %self.table, label = %open.label, error = %err, ?delay,
            "Sending the transaction again after a failed load.");
        tokio::time::sleep(delay).await;
        let again = begin_again(
            &self.shared,
            &self.table,
            &open.label,
            &open.options,
            chunks,
        )
        .await?;
        self.open = Some(Open {
            txn: again.txn,
            body: Some(again.body),
            body_bytes: again.body_bytes,
            ..open
        });
        Ok(())
    }

    async fn abort_open(&mut self) {
        self.shared.retention.take(&self.table);
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
        let Some(open) = self.open.take() else {
            return Ok(None);
        };
        let Open {
            txn,
            label,
            options,
            body,
            mut body_bytes,
            rows,
            started,
            span,
            resends: _,
        } = open;
        let result = self
            .prepare_txn(txn, body, &label, &options, &mut body_bytes)
            .instrument(span.clone())
            .await;
        self.shared.retention.take(&self.table);
        match result {
            Ok(prepared) => {
                span.record("txn_id", prepared.prepared.txn_id);
                span.record("bytes", body_bytes);
                span.record("rows", rows);
                let took = started.elapsed();
                self.shared
                    .stats
                    .succeeded(&self.table, &prepared.report, body_bytes, took);
                Ok(Some(prepared))
            }
            Err(e) => {
                self.shared.stats.failed(&self.table);
                Err(e
                    .with_context("table", &self.table)
                    .with_context("label", &label))
            }
        }
    }

    /// Ends the body and precommits. A failure that may pass is sent again: a `TxnLimit`
    /// refusal (the server never began the transaction) is waited out, and a load whose answer
    /// was lost or broke off is settled by the label first (precommitted is prepared) and
    /// otherwise aborted; then the label is begun again and the kept chunks sent again, as long
    /// as every chunk was kept.
    async fn prepare_txn(
        &mut self,
        mut txn: Box<dyn Transaction>,
        mut body: Option<BodyEncoder>,
        label: &Label,
        options: &LoadOptions,
        body_bytes: &mut u64,
    ) -> Result<PreparedLoad> {
        let mut backoff = Backoff::new(&self.shared.config.retry);
        loop {
            let err = match end_and_prepare(txn, body.take(), body_bytes).await {
                Ok(prepared) => return Ok(prepared),
                Err(e) => e,
            };
            if !resendable(&err) {
                return self.settle_prepare(err, label).await;
            }
            if err.kind() != ErrorKind::TxnLimit {
                if err.retry_status() == RetryStatus::OutcomeUnknown
                    && self.shared.label_state(&self.table, label).await?
                        == LabelState::Precommitted
                {
                    return Ok(self.prepared_by_label(label));
                }
                if self.shared.abort_label(&self.table, label).await.is_err() {
                    return self.settle_prepare(err, label).await;
                }
            }
            let Some(chunks) = self.shared.retention.take(&self.table) else {
                return self.settle_prepare(err, label).await;
            };
            self.shared.pause(&mut backoff, &self.table, err).await?;
            let again = begin_again(&self.shared, &self.table, label, options, chunks).await?;
            txn = again.txn;
            body = Some(again.body);
            *body_bytes = again.body_bytes;
        }
    }

    fn prepared_by_label(&self, label: &Label) -> PreparedLoad {
        PreparedLoad {
            prepared: self.shared.by_label(&self.table, label),
            report: LoadReport::default(),
        }
    }

    /// A failed prepare: an unknown outcome is settled by the label's state (precommitted is
    /// prepared); anything else aborts the label and fails.
    async fn settle_prepare(&mut self, err: Error, label: &Label) -> Result<PreparedLoad> {
        if err.retry_status() != RetryStatus::OutcomeUnknown {
            let _ = self.shared.abort_label(&self.table, label).await;
            return Err(err);
        }
        let state = self.shared.label_state(&self.table, label).await?;
        if state == LabelState::Precommitted {
            return Ok(self.prepared_by_label(label));
        }
        if state == LabelState::Prepare {
            let _ = self.shared.abort_label(&self.table, label).await;
        }
        Err(err.with_context("state", format!("{state:?}")))
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

/// Writes the body's tail and precommits.
async fn end_and_prepare(
    mut txn: Box<dyn Transaction>,
    body: Option<BodyEncoder>,
    body_bytes: &mut u64,
) -> Result<PreparedLoad> {
    if let Some(body) = body {
        let tail = body.finish()?;
        if !tail.is_empty() {
            *body_bytes += tail.len() as u64;
            txn.write(tail).await?;
        }
    }
    txn.prepare().await
}

/// Compresses, paces and writes one chunk, which is kept for a resend (or its memory charge
/// returned when it cannot be kept).
async fn send_chunk<P: LoadProtocol + ?Sized>(
    shared: &Shared<P>,
    table: &Table,
    open: &mut Open,
    chunk: Chunk,
) -> Result<()> {
    let body = match open.body.as_mut() {
        Some(encoder) => encoder.chunk(&chunk.bytes)?,
        None => chunk.bytes.clone(),
    };
    open.rows += chunk.rows;
    shared.retention.keep(table, chunk);
    if body.is_empty() {
        return Ok(());
    }
    shared.limits.before_bytes(body.len()).await;
    open.body_bytes += body.len() as u64;
    open.txn.write(body).await
}
