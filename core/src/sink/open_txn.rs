//! The checkpoint transaction a table's task holds open, from begin to prepare.
//!
//! Its chunks go to the server as they fill. A failure that may pass (a reset, a lost or
//! unreadable answer, a node restarting, a refusal to begin) does not end the checkpoint: the
//! transaction is settled by its label where that can tell (precommitted is prepared), else
//! aborted and begun again under the same label with every chunk it had, as long as the
//! `Retention` kept them all. A refusal of the data itself, or retries used up, fails it.

use std::time::Instant;

use tracing::Instrument;

use crate::buffer::Chunk;
use crate::compress::BodyEncoder;
use crate::error::{Error, ErrorKind, Result, RetryStatus};
use crate::label::Label;
use crate::protocol::{LoadOptions, LoadProtocol, PreparedLoad, Transaction};
use crate::report::{LabelState, LoadReport};
use crate::retry::Backoff;
use crate::table::Table;

use super::resend::{begin_again, resendable};
use super::steps::{Begun, Shared};

/// The open transaction of the current checkpoint.
#[derive(Debug)]
pub(super) struct OpenTxn {
    txn: Box<dyn Transaction>,
    pub(super) label: Label,
    options: LoadOptions,
    body: Option<BodyEncoder>,
    body_bytes: u64,
    rows: u64,
    started: Instant,
    span: tracing::Span,
    /// Pauses before sending the transaction again after a failed load; bounds the resends.
    resends: Backoff,
}

/// The tracing span of one load.
pub(super) fn load_span(table: &Table, label: Option<&Label>) -> tracing::Span {
    tracing::info_span!(
        "load",
        table = %table,
        label = label.map(Label::as_str),
        txn_id = tracing::field::Empty,
        bytes = tracing::field::Empty,
        rows = tracing::field::Empty,
    )
}

impl OpenTxn {
    /// Begins the checkpoint's transaction of `table` under `label`.
    pub(super) async fn begin<P: LoadProtocol + ?Sized>(
        shared: &Shared<P>,
        table: &Table,
        label: Label,
        options: LoadOptions,
    ) -> Result<Self> {
        let mut ours_before = false;
        let span = load_span(table, Some(&label));
        let begun = shared
            .begin(table, Some(&label), &options, &mut ours_before)
            .instrument(span.clone())
            .await
            .map_err(|e| e.with_context("table", table))?;
        let txn = match begun {
            Begun::Open(txn) => txn,
            Begun::AlreadyLoaded => {
                return Err(Error::new(
                    ErrorKind::Unexpected,
                    "a two-phase label cannot be already loaded",
                ));
            }
        };
        let body = match BodyEncoder::new(options.compression, shared.caps.multi_load_per_txn) {
            Ok(body) => body,
            Err(e) => {
                let _ = txn.abort().await;
                return Err(e);
            }
        };
        shared.retention.start(table);
        Ok(Self {
            txn,
            label,
            options,
            body: Some(body),
            body_bytes: 0,
            rows: 0,
            started: Instant::now(),
            span,
            resends: Backoff::new(&shared.config.retry),
        })
    }

    /// Compresses, paces and writes one chunk, which is kept for a resend (or its memory
    /// charge returned when it cannot be kept).
    pub(super) async fn send<P: LoadProtocol + ?Sized>(
        &mut self,
        shared: &Shared<P>,
        table: &Table,
        chunk: Chunk,
    ) -> Result<()> {
        let body = match self.body.as_mut() {
            Some(encoder) => encoder.chunk(&chunk.bytes)?,
            None => chunk.bytes.clone(),
        };
        self.rows += chunk.rows;
        shared.retention.keep(table, chunk);
        if body.is_empty() {
            return Ok(());
        }
        shared.limits.before_bytes(body.len()).await;
        self.body_bytes += body.len() as u64;
        let span = self.span.clone();
        self.txn.write(body).instrument(span).await
    }

    /// After a failed [`OpenTxn::send`]: when the failure may pass and every chunk was kept,
    /// the transaction is aborted and begun again under the same label with all its chunks.
    /// Otherwise, or once the retries are used up, the error comes back with the transaction
    /// (`None` when even its abort failed).
    pub(super) async fn send_again<P: LoadProtocol + ?Sized>(
        mut self,
        shared: &Shared<P>,
        table: &Table,
        err: Error,
    ) -> std::result::Result<Self, (Error, Option<Self>)> {
        if !resendable(&err) {
            return Err((err, Some(self)));
        }
        let Some(delay) = self.resends.next_delay(&err) else {
            return Err((err, Some(self)));
        };
        let Some(chunks) = shared.retention.take(table) else {
            return Err((err, Some(self)));
        };
        // Abort through the handle: it also stops the broken body, and no abort is left
        // scheduled that could hit the transaction begun next under the same label.
        if let Err(abort) = self.txn.abort().await {
            tracing::warn!(table = %table, label = %self.label, error = %abort,
                "Abort before a resend failed; the checkpoint fails instead.");
            return Err((err, None));
        }
        shared.stats.retry(table);
        tracing::warn!(table = %table, label = %self.label, error = %err, ?delay,
            "Sending the transaction again after a failed load.");
        tokio::time::sleep(delay).await;
        let again = begin_again(shared, table, &self.label, &self.options, chunks)
            .await
            .map_err(|e| (e, None))?;
        Ok(Self {
            txn: again.txn,
            body: Some(again.body),
            body_bytes: again.body_bytes,
            ..self
        })
    }

    /// Aborts the transaction (best effort: recovery aborts a label left behind).
    pub(super) async fn abort(self, table: &Table) {
        if let Err(e) = self.txn.abort().await {
            tracing::warn!(table = %table, label = %self.label, error = %e,
                "Abort failed; recovery will abort the label.");
        }
    }

    /// Ends the body and precommits, recording the load in the stats.
    pub(super) async fn prepare<P: LoadProtocol + ?Sized>(
        self,
        shared: &Shared<P>,
        table: &Table,
    ) -> Result<PreparedLoad> {
        let span = self.span.clone();
        let (label, rows, started) = (self.label.clone(), self.rows, self.started);
        let mut body_bytes = 0;
        let result = self
            .prepare_txn(shared, table, &mut body_bytes)
            .instrument(span.clone())
            .await;
        shared.retention.take(table);
        match result {
            Ok(prepared) => {
                span.record("txn_id", prepared.prepared.txn_id);
                span.record("bytes", body_bytes);
                span.record("rows", rows);
                shared
                    .stats
                    .succeeded(table, &prepared.report, body_bytes, started.elapsed());
                Ok(prepared)
            }
            Err(e) => {
                shared.stats.failed(table);
                Err(e.with_context("table", table).with_context("label", &label))
            }
        }
    }

    /// Ends the body and precommits. A failure that may pass is sent again: a `TxnLimit`
    /// refusal (the server never began the transaction) is waited out, and a load whose answer
    /// was lost or broke off is settled by the label first (precommitted is prepared) and
    /// otherwise aborted; then the label is begun again and the kept chunks sent again, as long
    /// as every chunk was kept.
    async fn prepare_txn<P: LoadProtocol + ?Sized>(
        self,
        shared: &Shared<P>,
        table: &Table,
        body_bytes: &mut u64,
    ) -> Result<PreparedLoad> {
        let Self {
            mut txn,
            label,
            options,
            mut body,
            body_bytes: sent,
            ..
        } = self;
        *body_bytes = sent;
        let mut backoff = Backoff::new(&shared.config.retry);
        loop {
            let err = match end_and_prepare(txn, body.take(), body_bytes).await {
                Ok(prepared) => return Ok(prepared),
                Err(e) => e,
            };
            if !resendable(&err) {
                return settle_prepare(shared, table, err, &label).await;
            }
            if err.kind() != ErrorKind::TxnLimit {
                if err.retry_status() == RetryStatus::OutcomeUnknown
                    && shared.label_state(table, &label).await? == LabelState::Precommitted
                {
                    return Ok(prepared_by_label(shared, table, &label));
                }
                if shared.abort_label(table, &label).await.is_err() {
                    return settle_prepare(shared, table, err, &label).await;
                }
            }
            let Some(chunks) = shared.retention.take(table) else {
                return settle_prepare(shared, table, err, &label).await;
            };
            shared.pause(&mut backoff, table, err).await?;
            let again = begin_again(shared, table, &label, &options, chunks).await?;
            txn = again.txn;
            body = Some(again.body);
            *body_bytes = again.body_bytes;
        }
    }
}

fn prepared_by_label<P: LoadProtocol + ?Sized>(
    shared: &Shared<P>,
    table: &Table,
    label: &Label,
) -> PreparedLoad {
    PreparedLoad {
        prepared: shared.by_label(table, label),
        report: LoadReport::default(),
    }
}

/// A failed prepare: an unknown outcome is settled by the label's state (precommitted is
/// prepared); anything else aborts the label and fails.
async fn settle_prepare<P: LoadProtocol + ?Sized>(
    shared: &Shared<P>,
    table: &Table,
    err: Error,
    label: &Label,
) -> Result<PreparedLoad> {
    if err.retry_status() != RetryStatus::OutcomeUnknown {
        let _ = shared.abort_label(table, label).await;
        return Err(err);
    }
    let state = shared.label_state(table, label).await?;
    if state == LabelState::Precommitted {
        return Ok(prepared_by_label(shared, table, label));
    }
    if state == LabelState::Prepare {
        let _ = shared.abort_label(table, label).await;
    }
    Err(err.with_context("state", format!("{state:?}")))
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
