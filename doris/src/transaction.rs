//! `impl Transaction` for Doris: one streaming chunked PUT to a BE.
//!
//! `write` hands chunks to a bounded channel that is the request body, so a slow BE blocks the
//! writer instead of growing memory (at most `buffer_count` chunks are queued). `prepare` /
//! `finish` end the body and classify the BE's answer; `abort` breaks the connection (the BE rolls
//! the load back) and also aborts by label, because the BE's rollback is best-effort. A handle
//! dropped while open does the same in a spawned task, and logs it.
//!
//! The body is the shared transport's `StreamedBody`, whose abort breaks the request: a BE never
//! sees a clean end of a body we gave up on, so it cannot load (or precommit) a truncated batch.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use reqwest::Method;
use reqwest::header::HeaderMap;
use streamload_core::http::{BodyOutcome, StreamedBody};
use streamload_core::{
    Error, ErrorKind, Label, LoadReport, Prepared, PreparedLoad, Result, Table, Transaction,
};
use url::Url;

use crate::BACKEND;
use crate::client::with_expect;
use crate::compress::GzipBody;
use crate::error_log::with_rejected_rows;
use crate::nodes::host_port;
use crate::response::{StreamLoadResponse, classify_load};
use crate::session::{Shared, TxnRef};

/// An open Doris load.
pub(crate) struct DorisTransaction {
    shared: Arc<Shared>,
    table: Table,
    label: Option<Label>,
    two_phase: bool,
    coordinator: String,
    /// The request; `None` once it was handed to a drop's clean-up.
    body: Option<StreamedBody>,
    /// gzip applied here (`compress_type: gz` on an uncompressed body).
    gzip: Option<GzipBody>,
}

impl std::fmt::Debug for DorisTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DorisTransaction")
            .field("table", &self.table)
            .field("label", &self.label)
            .field("two_phase", &self.two_phase)
            .field("coordinator", &self.coordinator)
            .finish_non_exhaustive()
    }
}

impl DorisTransaction {
    /// Opens the streaming request to `target` and returns the handle that feeds it.
    pub(crate) fn start(
        shared: Arc<Shared>,
        table: Table,
        label: Option<Label>,
        two_phase: bool,
        gzip: bool,
        target: Url,
        headers: HeaderMap,
    ) -> Self {
        let coordinator = host_port(&target);
        let body = StreamedBody::start(
            &shared.client.transport,
            Method::PUT,
            target,
            with_expect(&headers),
            shared.config.buffer_count,
            // A BE that accepts nothing for a whole read timeout is stalled, not slow.
            Some(shared.client.read_timeout),
        );
        Self {
            shared,
            table,
            label,
            two_phase,
            coordinator,
            body: Some(body),
            gzip: gzip.then(GzipBody::new),
        }
    }

    fn context(&self, e: Error) -> Error {
        let e = e
            .with_context("table", &self.table)
            .with_context("node", &self.coordinator);
        match &self.label {
            Some(label) => e.with_context("label", label),
            None => e,
        }
    }

    /// Breaks the request so the BE can never see a clean end of the body.
    async fn break_body(&mut self) {
        if let Some(body) = &mut self.body {
            body.abort().await;
        }
    }

    /// Ends the body and waits (at most the read timeout) for the BE's verdict.
    async fn end(&mut self) -> Result<StreamLoadResponse> {
        let body = self
            .body
            .as_mut()
            .ok_or_else(|| Error::new(ErrorKind::Unexpected, "the load was already dropped"))?;
        if let Some(gzip) = self.gzip.take() {
            let tail = gzip.finish()?;
            // A refused write means the server already answered; that answer decides.
            let _ = body.write(tail).await;
        }
        let answer = body.finish(Some(self.shared.client.read_timeout)).await?;
        let (status, body) = (answer.status, answer.body);
        let response = match classify_load(status, &body) {
            Ok(r) => r,
            Err(e) => {
                let e = with_rejected_rows(&self.shared.client, e, &self.coordinator).await;
                return Err(e);
            }
        };
        if let Some(label) = &self.label
            && response.label != label.as_str()
        {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!("server answered for label {:?}", response.label),
            ));
        }
        Ok(response)
    }
}

#[async_trait]
impl Transaction for DorisTransaction {
    fn label(&self) -> Option<&Label> {
        self.label.as_ref()
    }

    async fn write(&mut self, chunk: Bytes) -> Result<()> {
        let chunk = match &mut self.gzip {
            Some(gzip) => gzip.compress(&chunk)?,
            None => chunk,
        };
        if chunk.is_empty() {
            return Ok(());
        }
        let body = self
            .body
            .as_mut()
            .ok_or_else(|| Error::new(ErrorKind::Unexpected, "write after the body ended"))?;
        match body.write(chunk).await {
            Ok(()) => return Ok(()),
            Err(BodyOutcome::Ended) => {}
            Err(BodyOutcome::Stalled) => {
                let e = Error::new(
                    ErrorKind::Timeout,
                    "the BE accepted no data for a read timeout",
                )
                .temporary();
                return Err(self.context(e));
            }
        }
        // The request ended before the body did: the server answered early or the link broke.
        let e = match self.end().await {
            Err(e) => e,
            Ok(_) => Error::new(
                ErrorKind::Protocol,
                "the server finished the load before its body ended",
            ),
        };
        Err(self.context(e))
    }

    async fn prepare(mut self: Box<Self>) -> Result<PreparedLoad> {
        let response = self.end().await.map_err(|e| self.context(e))?;
        let label = self
            .label
            .clone()
            .ok_or_else(|| Error::new(ErrorKind::Config, "prepare needs a label"))?;
        if !self.two_phase || !response.is_two_phase() {
            return Err(self.context(Error::new(
                ErrorKind::Protocol,
                "prepare of a load that the server did not run as two-phase",
            )));
        }
        let txn_id = response.txn_id().ok_or_else(|| {
            self.context(Error::new(
                ErrorKind::Protocol,
                "precommitted load without TxnId",
            ))
        })?;
        let prepared = Prepared {
            vendor: BACKEND.to_owned(),
            table: self.table.clone(),
            label,
            txn_id: Some(txn_id),
            coordinator: Some(self.coordinator.clone()),
        };
        Ok(PreparedLoad {
            prepared,
            report: response.report(),
        })
    }

    async fn finish(mut self: Box<Self>) -> Result<LoadReport> {
        let response = self.end().await.map_err(|e| self.context(e))?;
        if response.is_two_phase() {
            // Never leave a precommitted transaction behind by mistake.
            if let Some(id) = response.txn_id() {
                let aborted = self
                    .shared
                    .abort(
                        &self.table,
                        TxnRef::Id(id),
                        Some(&self.coordinator),
                        self.label.as_ref(),
                    )
                    .await;
                if let Err(e) = aborted {
                    tracing::warn!(txn_id = id, error = %e, "could not abort a two-phase load ended by finish");
                }
            }
            let e = Error::new(
                ErrorKind::Protocol,
                "finish of a two-phase load; use prepare",
            );
            return Err(self.context(e));
        }
        Ok(response.report())
    }

    async fn abort(mut self: Box<Self>) -> Result<()> {
        self.break_body().await;
        let Some(label) = self.label.clone() else {
            return Ok(());
        };
        self.shared
            .abort(
                &self.table,
                TxnRef::Label(&label),
                Some(&self.coordinator),
                None,
            )
            .await
            .map_err(|e| self.context(e))
    }
}

impl Drop for DorisTransaction {
    fn drop(&mut self) {
        let Some(mut body) = self.body.take().filter(StreamedBody::in_flight) else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // the body's own drop breaks the request
        };
        let label = self.label.clone();
        if let Some(label) = &label {
            tracing::warn!(label = %label, table = %self.table, "open load dropped; aborting it");
        }
        let shared = Arc::clone(&self.shared);
        let table = self.table.clone();
        let coordinator = self.coordinator.clone();
        runtime.spawn(async move {
            // The request is gone before the label is aborted.
            body.abort().await;
            let Some(label) = label else {
                return;
            };
            if let Err(e) = shared
                .abort(&table, TxnRef::Label(&label), Some(&coordinator), None)
                .await {
                tracing::warn!(label = %label, error = %e, "best-effort abort of a dropped load failed");
            }
        });
    }
}
