//! Merge commit: many small loads that the server merges into one transaction per window.
//!
//! The server buffers a merge-commit body whole before appending it to the merge pipe, so a
//! handle collects its chunks and sends them in one request (through the leader FE's 307) when it
//! finishes. The server picks the label, so there is no idempotency: this mode is at-least-once.
//! In async mode (`merge_commit_async`, default `true` as in the connector) the reply only says
//! the data is in the pipe; `finish` then polls the server's label until it is visible. A
//! per-table semaphore caps concurrent requests; `0` means one at a time, in begin order, which
//! primary-key tables need so the last write per key wins.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use reqwest::Method;
use reqwest::header::HeaderMap;
use streamload_core::{
    Error, ErrorKind, Label, LabelState, LoadOptions, LoadReport, PreparedLoad, Result, Table,
    Transaction,
};
use tokio::sync::OwnedSemaphorePermit;

use crate::client::Target;
use crate::headers::{HeaderMode, load_headers};
use crate::response::{LoadBody, classify_merge_commit};
use crate::session::{Shared, stream_load_path};

/// One merge-commit request being assembled.
#[derive(Debug)]
pub(crate) struct MergeCommitTransaction {
    shared: Arc<Shared>,
    table: Table,
    headers: HeaderMap,
    body: BytesMut,
    _permit: Option<OwnedSemaphorePermit>,
}

impl MergeCommitTransaction {
    /// Opens a request for `table`, waiting for a free slot of its per-table limit.
    pub(crate) async fn begin(
        shared: &Arc<Shared>,
        table: &Table,
        options: &LoadOptions,
    ) -> Result<Box<dyn Transaction>> {
        if options.two_phase {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "merge commit is at-least-once only; it cannot prepare",
            ));
        }
        let headers = load_headers(&shared.config, table, options, HeaderMode::MergeCommit)?;
        let permit = shared.merge_limits.acquire(table).await;
        Ok(Box::new(Self {
            shared: Arc::clone(shared),
            table: table.clone(),
            headers,
            body: BytesMut::new(),
            _permit: permit,
        }))
    }

    async fn send(&self, body: Bytes) -> Result<LoadBody> {
        let path = stream_load_path(&self.table);
        let client = &self.shared.client;
        let url = match client.resolve(Method::PUT, &path, &self.headers).await? {
            Target::Node(url) => url,
            Target::Answered(reply) => {
                return match classify_merge_commit(reply.status.as_u16(), &reply.body) {
                    Err(e) => Err(e),
                    Ok(_) => Err(Error::new(
                        ErrorKind::Protocol,
                        "the FE answered a merge commit itself",
                    )),
                };
            }
        };
        let reply = client
            .transport
            .send_whole(Method::PUT, &url, self.headers.clone(), body)
            .await?;
        match classify_merge_commit(reply.status.as_u16(), &reply.body) {
            Ok(parsed) => Ok(parsed),
            // A rejected merge carries the same error log as V1: its first rows go into the error.
            Err(e) => Err(self.shared.explain(e).await),
        }
    }

    /// Async mode: waits until the server's label is visible (or committed past the publish
    /// timeout), starting after the merge window the server reported.
    async fn wait_visible(&self, parsed: &LoadBody) -> Result<()> {
        let config = &self.shared.config;
        let label = Label::new(parsed.label.clone().unwrap_or_default())?;
        let left = parsed.leftmergetimems.unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(left + 500)).await;
        let timeout = Duration::from_millis(
            config
                .label_state_timeout_ms
                .or(config.load_timeout_ms)
                .unwrap_or(600_000),
        );
        let publish = Duration::from_millis(config.publish_timeout_ms.unwrap_or(10_000));
        let start = Instant::now();
        let mut committed_at = None;
        loop {
            match self.shared.label_state(&self.table.db, &label).await? {
                LabelState::Visible => return Ok(()),
                LabelState::Committed => {
                    let since = *committed_at.get_or_insert_with(Instant::now);
                    if since.elapsed() >= publish {
                        return Ok(());
                    }
                }
                LabelState::Aborted => {
                    return Err(Error::new(
                        ErrorKind::Unexpected,
                        "the merged transaction was aborted",
                    )
                    .with_context("label", &label)
                    .with_context("table", &self.table)
                    .temporary());
                }
                _ => {}
            }
            if start.elapsed() >= timeout {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    "merged transaction not visible in time",
                )
                .with_context("label", &label)
                .outcome_unknown());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    fn is_async(&self) -> bool {
        self.headers
            .get("merge_commit_async")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

#[async_trait]
impl Transaction for MergeCommitTransaction {
    fn label(&self) -> Option<&Label> {
        None
    }

    async fn write(&mut self, chunk: Bytes) -> Result<()> {
        self.body.extend_from_slice(&chunk);
        Ok(())
    }

    async fn prepare(self: Box<Self>) -> Result<PreparedLoad> {
        Err(Error::new(
            ErrorKind::Unsupported,
            "merge commit cannot prepare",
        ))
    }

    async fn finish(mut self: Box<Self>) -> Result<LoadReport> {
        let body = std::mem::take(&mut self.body).freeze();
        let parsed = self.send(body).await?;
        if self.is_async() {
            self.wait_visible(&parsed).await?;
        }
        Ok(parsed.report())
    }

    async fn abort(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}
