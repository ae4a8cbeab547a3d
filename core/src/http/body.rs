//! [`StreamedBody`]: one streaming HTTP request whose body is fed chunk by chunk.
//!
//! The body is a bounded channel feeding `reqwest::Body::wrap_stream`, so `write` waits while
//! the socket is busy (back-pressure) and memory stays at a few chunks whatever the load size.
//!
//! Aborting must never look like an end: a chunked body that simply stops is a complete body to
//! the server, which could then commit a truncated batch. So abort (and drop) puts an error into
//! the stream, cancels the request task and waits for it to be gone, and only then lets the
//! sender go: with the channel full the error cannot be queued, and a sender dropped first would
//! end the body cleanly.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::HeaderMap;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use url::Url;

use super::{Answer, Transport, transport_error};
use crate::{Error, ErrorKind, Result};

type BodyItem = std::result::Result<Bytes, std::io::Error>;

/// Why a chunk was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyOutcome {
    /// The server took nothing for the stall timeout: stalled, not slow.
    Stalled,
    /// The request ended before the body did (the server answered early, or the link broke);
    /// [`StreamedBody::finish`] gives the answer.
    Ended,
}

/// One streaming request in flight.
pub struct StreamedBody {
    backend: &'static str,
    tx: Option<mpsc::Sender<BodyItem>>,
    task: Option<JoinHandle<Result<Answer>>>,
    answer: Option<Answer>,
    stall_timeout: Option<Duration>,
    bytes: u64,
}

impl fmt::Debug for StreamedBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamedBody")
            .field("bytes", &self.bytes)
            .field("open", &self.tx.is_some())
            .finish_non_exhaustive()
    }
}

impl StreamedBody {
    /// Starts `method url` on its own task with `depth` chunks queued ahead of the socket. A
    /// `write` that waits longer than `stall_timeout` gives [`BodyOutcome::Stalled`].
    pub fn start(
        transport: &Transport,
        method: Method,
        url: Url,
        headers: HeaderMap,
        depth: usize,
        stall_timeout: Option<Duration>,
    ) -> Self {
        let (tx, rx) = mpsc::channel::<BodyItem>(depth.max(1));
        let chunks = tokio_stream::wrappers::ReceiverStream::new(rx);
        let request = transport.stream(method, &url, headers, reqwest::Body::wrap_stream(chunks));
        let backend = transport.backend_tag();
        let task = tokio::spawn(async move {
            let tag = |e: Error| e.with_context("backend", backend);
            let resp = request
                .send()
                .await
                .map_err(|e| tag(transport_error(e, &url)))?;
            let status = resp.status();
            let body = resp
                .bytes()
                .await
                .map_err(|e| tag(transport_error(e, &url)))?;
            Ok(Answer { status, body, url })
        });
        Self {
            backend,
            tx: Some(tx),
            task: Some(task),
            answer: None,
            stall_timeout,
            bytes: 0,
        }
    }

    /// Body bytes queued so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Whether the request has not been answered or broken yet.
    pub fn in_flight(&self) -> bool {
        self.task.is_some()
    }

    /// Queues one chunk.
    pub async fn write(&mut self, chunk: Bytes) -> std::result::Result<(), BodyOutcome> {
        let len = chunk.len() as u64;
        let Some(tx) = &self.tx else {
            return Err(BodyOutcome::Ended);
        };
        let sent = match self.stall_timeout {
            Some(limit) => match tokio::time::timeout(limit, tx.send(Ok(chunk))).await {
                Ok(sent) => sent,
                Err(_) => return Err(BodyOutcome::Stalled),
            },
            None => tx.send(Ok(chunk)).await,
        };
        if sent.is_err() {
            self.tx = None;
            return Err(BodyOutcome::Ended);
        }
        self.bytes += len;
        Ok(())
    }

    /// Ends the body cleanly and waits (at most `wait`) for the answer. The answer is kept, so
    /// a second call gives it again.
    pub async fn finish(&mut self, wait: Option<Duration>) -> Result<Answer> {
        self.tx = None;
        if let Some(answer) = &self.answer {
            return Ok(answer.clone());
        }
        let task = self.task.take().ok_or_else(|| {
            self.tagged(
                Error::new(
                    ErrorKind::Unavailable,
                    "the load's connection failed earlier",
                )
                .outcome_unknown(),
            )
        })?;
        let joined = match wait {
            Some(limit) => match tokio::time::timeout(limit, task).await {
                Ok(joined) => joined,
                Err(_) => {
                    return Err(self.tagged(
                        Error::new(
                            ErrorKind::Timeout,
                            "no answer to the load after its body ended",
                        )
                        .outcome_unknown(),
                    ));
                }
            },
            None => task.await,
        };
        let answer = joined.map_err(|e| {
            self.tagged(
                Error::new(ErrorKind::Unexpected, "load task failed")
                    .set_source(e)
                    .outcome_unknown(),
            )
        })??;
        self.answer = Some(answer.clone());
        Ok(answer)
    }

    /// Breaks the request so the server can never see a clean end of the body, and waits until
    /// the request is gone.
    pub async fn abort(&mut self) {
        let tx = self.tx.take();
        if let Some(tx) = &tx {
            let _ = tx.try_send(Err(aborted()));
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        drop(tx);
    }

    fn tagged(&self, e: Error) -> Error {
        e.with_context("backend", self.backend)
    }
}

impl Drop for StreamedBody {
    /// Breaks an unfinished request in the background (see the module docs).
    fn drop(&mut self) {
        let Some(task) = self.task.take() else {
            return;
        };
        let tx = self.tx.take();
        if let Some(tx) = &tx {
            let _ = tx.try_send(Err(aborted()));
        }
        task.abort();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = task.await;
                drop(tx);
            });
        }
    }
}

fn aborted() -> std::io::Error {
    std::io::Error::other("load aborted by the client")
}
