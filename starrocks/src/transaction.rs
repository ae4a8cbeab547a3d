//! Open loads: the streaming chunked body and the V1 / V2 transaction handles.
//!
//! A body is a bounded channel feeding `reqwest::Body::wrap_stream`, so `write` waits while the
//! socket is busy (back-pressure) and memory stays at a few chunks whatever the load size. A V1
//! load is one `_stream_load` request; a V2 transaction is one or more `/api/transaction/load`
//! requests, all to the coordinator BE and with identical headers, rolled over when one body
//! reaches `sink.chunk-limit` (plain CSV) or one per chunk (JSON arrays and LZ4 frames are whole
//! per chunk).
//! A handle dropped while open schedules a best-effort abort.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use reqwest::Method;
use reqwest::header::HeaderMap;
use streamload_core::{
    Error, ErrorKind, Label, LoadReport, PreparedLoad, Result, Table, Transaction,
};
use url::Url;

use crate::BACKEND;
use crate::client::Reply;
use crate::headers::header_value;
use crate::response::{classify_txn, classify_v1};
use crate::session::Shared;
use streamload_core::http::StreamedBody;

/// Chunks queued ahead of the socket per body.
const CHANNEL_DEPTH: usize = 2;

/// One streaming HTTP request whose body is fed chunk by chunk: the shared transport's body,
/// whose abort breaks the request so the BE never sees a clean end.
#[derive(Debug)]
pub(crate) struct BodyStream {
    inner: StreamedBody,
}

impl BodyStream {
    /// Starts `method url` with a chunked body; the request runs on its own task.
    pub(crate) fn start(shared: &Shared, method: Method, url: Url, headers: &HeaderMap) -> Self {
        let inner = StreamedBody::start(
            &shared.client.transport,
            method,
            url,
            headers.clone(),
            CHANNEL_DEPTH,
            None,
        );
        Self { inner }
    }

    /// Body bytes queued so far.
    pub(crate) fn bytes(&self) -> u64 {
        self.inner.bytes()
    }

    /// Queues one chunk. `Err(reply)` means the server answered before the body was complete.
    pub(crate) async fn write(&mut self, chunk: Bytes) -> Result<(), Result<Reply>> {
        if self.inner.write(chunk).await.is_err() {
            return Err(self.inner.finish(None).await);
        }
        Ok(())
    }

    /// Ends the body and waits for the reply.
    pub(crate) async fn finish(mut self) -> Result<Reply> {
        self.inner.finish(None).await
    }

    /// Breaks the body and waits until the request is gone.
    pub(crate) async fn cancel(mut self) {
        self.inner.abort().await;
    }
}

fn closed() -> Error {
    Error::new(ErrorKind::Unexpected, "the load request is already closed")
}

/// Turns "the server answered mid-body" into the error the answer carries.
fn early_reply(
    result: Result<Reply>,
    classify: fn(u16, &[u8]) -> Result<crate::response::LoadBody>,
) -> Error {
    match result {
        Ok(reply) => match classify(reply.status.as_u16(), &reply.body) {
            Err(e) => e,
            Ok(_) => Error::new(
                ErrorKind::Protocol,
                "the server answered before the body ended",
            ),
        },
        Err(e) => e,
    }
}

/// A V1 Stream Load: one streaming `_stream_load` request to the BE.
#[derive(Debug)]
pub(crate) struct V1Transaction {
    pub(crate) shared: Arc<Shared>,
    pub(crate) table: Table,
    pub(crate) label: Label,
    pub(crate) body: Option<BodyStream>,
}

#[async_trait]
impl Transaction for V1Transaction {
    fn label(&self) -> Option<&Label> {
        Some(&self.label)
    }

    async fn write(&mut self, chunk: Bytes) -> Result<()> {
        let body = self.body.as_mut().ok_or_else(closed)?;
        match body.write(chunk).await {
            Ok(()) => Ok(()),
            Err(early) => {
                let err = self.shared.explain(early_reply(early, classify_v1)).await;
                Err(err.with_context("label", &self.label))
            }
        }
    }

    async fn prepare(self: Box<Self>) -> Result<PreparedLoad> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "V1 Stream Load has no prepare step",
        ))
    }

    async fn finish(mut self: Box<Self>) -> Result<LoadReport> {
        let body = self.body.take().ok_or_else(closed)?;
        let reply = body
            .finish()
            .await
            .map_err(|e| e.with_context("label", &self.label))?;
        match classify_v1(reply.status.as_u16(), &reply.body) {
            Ok(parsed) => Ok(parsed.report()),
            Err(e) => Err(self
                .shared
                .explain(e)
                .await
                .with_context("label", &self.label)),
        }
    }

    async fn abort(mut self: Box<Self>) -> Result<()> {
        if let Some(body) = self.body.take() {
            body.cancel().await;
        }
        self.shared.cancel_running(&self.table, &self.label).await
    }
}

impl Drop for V1Transaction {
    fn drop(&mut self) {
        if self.body.take().is_some() {
            // Dropping the body breaks it in the background.
            tracing::warn!(backend = BACKEND, label = %self.label, "V1 load dropped while open; breaking its body");
        }
    }
}

/// A V2 transaction: begun, fed by `/load` requests to its coordinator BE, then prepared or
/// committed.
#[derive(Debug)]
pub(crate) struct V2Transaction {
    pub(crate) shared: Arc<Shared>,
    pub(crate) table: Table,
    pub(crate) label: Label,
    pub(crate) txn_id: Option<i64>,
    /// The coordinator BE (`http://be:port`).
    pub(crate) coordinator: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) current: Option<BodyStream>,
    pub(crate) loads: u32,
    pub(crate) open: bool,
    /// How the body is cut into `/load` requests.
    pub(crate) split: Split,
}

/// Where a V2 body may be cut into `/load` requests: every request must be valid on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Split {
    /// Plain CSV: rows end with the delimiter, so cut when a request reaches the chunk limit.
    AtLimit,
    /// JSON or compressed: with `multi_load_per_txn` core makes every chunk a whole body (its
    /// own JSON array, its own LZ4 frame), so each write is one request.
    EveryWrite,
}

impl Split {
    /// The policy for a load's options.
    pub(crate) fn of(options: &streamload_core::LoadOptions) -> Self {
        use streamload_core::{Compression, Format};
        match (&options.format, options.compression) {
            (Format::Csv(_), Compression::None) => Split::AtLimit,
            _ => Split::EveryWrite,
        }
    }
}

impl V2Transaction {
    async fn end_current_load(&mut self) -> Result<()> {
        if let Some(body) = self.current.take() {
            let reply = body.finish().await?;
            if let Err(e) = classify_txn(reply.status.as_u16(), &reply.body) {
                let err = self.shared.explain(e).await;
                return Err(err.with_context("label", &self.label));
            }
        }
        Ok(())
    }

    fn start_load(&mut self) -> Result<()> {
        let url = self
            .coordinator
            .join("/api/transaction/load")
            .map_err(|e| {
                Error::new(ErrorKind::Protocol, "bad coordinator address").set_source(e)
            })?;
        let mut headers = self.headers.clone();
        headers.insert("label", header_value(self.label.as_str()));
        self.current = Some(BodyStream::start(&self.shared, Method::PUT, url, &headers));
        self.loads += 1;
        Ok(())
    }

    async fn end_body(&mut self) -> Result<()> {
        if self.loads == 0 {
            self.start_load()?;
        }
        self.end_current_load().await
    }
}

#[async_trait]
impl Transaction for V2Transaction {
    fn label(&self) -> Option<&Label> {
        Some(&self.label)
    }

    async fn write(&mut self, chunk: Bytes) -> Result<()> {
        let limit = self.shared.config.chunk_limit_bytes;
        let full = self.split == Split::AtLimit
            && self
                .current
                .as_ref()
                .is_some_and(|b| b.bytes() > 0 && b.bytes() + chunk.len() as u64 > limit);
        if full {
            self.end_current_load().await?;
        }
        if self.current.is_none() {
            self.start_load()?;
        }
        let body = self.current.as_mut().ok_or_else(closed)?;
        if let Err(early) = body.write(chunk).await {
            let err = self.shared.explain(early_reply(early, classify_txn)).await;
            return Err(err.with_context("label", &self.label));
        }
        if self.split == Split::EveryWrite {
            self.end_current_load().await?;
        }
        Ok(())
    }

    async fn prepare(mut self: Box<Self>) -> Result<PreparedLoad> {
        self.end_body().await?;
        let prepared = self.shared.prepare_txn(&self.table, &self.label).await;
        self.open = false;
        let body = prepared.map_err(|e| e.with_context("label", &self.label))?;
        let report = body.report();
        let coordinator = self.coordinator.host_str().map(|h| {
            format!(
                "{h}:{}",
                self.coordinator.port_or_known_default().unwrap_or(0)
            )
        });
        Ok(PreparedLoad {
            prepared: streamload_core::Prepared {
                vendor: BACKEND.to_owned(),
                table: self.table.clone(),
                label: self.label.clone(),
                txn_id: report.txn_id.or(self.txn_id),
                coordinator,
            },
            report,
        })
    }

    async fn finish(mut self: Box<Self>) -> Result<LoadReport> {
        self.end_body().await?;
        let committed = self.shared.commit_txn(&self.table, &self.label).await;
        self.open = false;
        committed.map_err(|e| e.with_context("label", &self.label))
    }

    async fn abort(mut self: Box<Self>) -> Result<()> {
        if let Some(body) = self.current.take() {
            body.cancel().await;
        }
        self.open = false;
        self.shared.rollback(&self.table, &self.label).await
    }
}

impl Drop for V2Transaction {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        // Dropping the body breaks it in the background.
        drop(self.current.take());
        tracing::warn!(backend = BACKEND, label = %self.label, "V2 transaction dropped while open; rolling it back");
        let shared = Arc::clone(&self.shared);
        let (table, label) = (self.table.clone(), self.label.clone());
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                if let Err(e) = shared.rollback(&table, &label).await {
                    tracing::warn!(backend = BACKEND, label = %label, error = %e, "best-effort rollback failed");
                }
            });
        }
    }
}
