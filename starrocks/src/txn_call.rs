//! V2 transaction operations through the FE, on the session: `begin` / `prepare` / `commit`
//! with the `TXN_IN_PROCESSING` retry, and the settlement of a lost answer by the label's state
//! (a prepare or commit whose answer was lost is sent again only while the label says it did
//! not take effect). Doris's twin is its `txn_call.rs` (`_stream_load_2pc` calls).

use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use streamload_core::{
    Error, ErrorKind, Label, LabelState, LoadReport, Result, RetryStatus, Table,
};
use url::Url;

use crate::BACKEND;
use crate::headers::header_value;
use crate::response::{LoadBody, classify_txn};
use crate::session::Shared;

/// How long a label in `PREPARE` is polled when `sink.check-label-state.timeout-ms` is unset.
const DEFAULT_SETTLE_MS: u64 = 60_000;

/// Commits sent again after a failure that left the transaction waiting.
const COMMIT_RESENDS: u32 = 3;

/// Prepares sent again after answers lost while the label stayed `PREPARE`.
const LOST_PREPARE_TRIES: u32 = 3;

/// Tries of a transaction operation answered `TXN_IN_PROCESSING`.
const BUSY_TRIES: u32 = 6;

impl Shared {
    /// Sends a V2 operation through the FE, retrying `TXN_IN_PROCESSING` with a short backoff.
    pub(crate) async fn txn_op(
        &self,
        op: &str,
        table: &Table,
        label: &Label,
        extra: &[(&str, String)],
    ) -> Result<(LoadBody, Url)> {
        let mut headers = HeaderMap::new();
        headers.insert("label", header_value(label.as_str()));
        headers.insert("db", header_value(&table.db));
        headers.insert("table", header_value(&table.name));
        for (name, value) in extra {
            if let Ok(name) = reqwest::header::HeaderName::from_bytes(name.as_bytes()) {
                headers.insert(name, header_value(value));
            }
        }
        let path = format!("/api/transaction/{op}");
        let mut attempt = 0;
        loop {
            let reply = self
                .client
                .send_empty(Method::POST, &path, &headers)
                .await?;
            match classify_txn(reply.status.as_u16(), &reply.body) {
                Ok(body) => return Ok((body, reply.url)),
                Err(e)
                    if e.server_status() == Some("TXN_IN_PROCESSING")
                        && attempt + 1 < BUSY_TRIES =>
                {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                }
                Err(e) => return Err(e.with_context("operation", op).with_context("table", table)),
            }
        }
    }

    /// Prepares a loaded transaction. A `TXN_NOT_EXISTS` or a lost answer is settled through
    /// the label state: `PREPARED` is done; a label still `PREPARE` after a lost answer is
    /// prepared again (the first prepare never arrived or is still running).
    pub(crate) async fn prepare_txn(&self, table: &Table, label: &Label) -> Result<LoadBody> {
        let mut extra = Vec::new();
        if let Some(t) = self.config.property("prepared_timeout") {
            extra.push(("prepared_timeout", t.to_owned()));
        }
        let mut lost = 0;
        loop {
            let e = match self.txn_op("prepare", table, label, &extra).await {
                Ok((body, _)) => return Ok(body),
                Err(e) => e,
            };
            let state = if e.server_status() == Some("TXN_NOT_EXISTS") {
                self.settle(&table.db, label).await?
            } else if e.retry_status() == RetryStatus::OutcomeUnknown && lost < LOST_PREPARE_TRIES {
                // The answer was lost: the label says whether the prepare took effect.
                lost += 1;
                self.label_state(&table.db, label).await?
            } else {
                return Err(self.explain(e).await);
            };
            match state {
                LabelState::Precommitted => {
                    return Ok(LoadBody {
                        label: Some(label.to_string()),
                        status: Some("PREPARED".into()),
                        ..LoadBody::default()
                    });
                }
                LabelState::Prepare if e.retry_status() == RetryStatus::OutcomeUnknown => {
                    tracing::warn!(backend = BACKEND, label = %label, error = %e, "prepare answer lost and the label is still PREPARE; preparing again");
                }
                state => return Err(e.with_context("label_state", format!("{state:?}"))),
            }
        }
    }

    /// Commits a transaction (prepared, or one-phase from PREPARE). Anything but `OK` is
    /// settled through `get_load_state`: COMMITTED / VISIBLE is success, and a transaction
    /// still waiting after a failure that may pass is sent the commit again (up to
    /// `COMMIT_RESENDS` times).
    pub(crate) async fn commit_txn(&self, table: &Table, label: &Label) -> Result<LoadReport> {
        let mut extra = Vec::new();
        if let Some(ms) = self.config.publish_timeout_ms {
            extra.push(("timeout", (ms / 1000).max(1).to_string()));
        }
        let mut resent = 0;
        let (failure, settled) = loop {
            let failure = match self.txn_op("commit", table, label, &extra).await {
                Ok((body, _)) => return Ok(body.report()),
                Err(e) if e.kind() == ErrorKind::DataQuality => return Err(self.explain(e).await),
                Err(e) if e.kind() == ErrorKind::Unauthorized => return Err(e),
                Err(e) => e,
            };
            let settled = self.settle(&table.db, label).await;
            let waiting = matches!(settled, Ok(LabelState::Prepare | LabelState::Precommitted));
            // A commit lost on its way (the FE's redirect was the answer lost) leaves the
            // transaction waiting: send the commit again rather than give the load up.
            if waiting && failure.is_retryable() && resent < COMMIT_RESENDS {
                resent += 1;
                tracing::warn!(backend = BACKEND, label = %label, error = %failure, "commit did not take effect; sending it again");
                continue;
            }
            break (failure, settled);
        };
        match settled {
            Ok(state) if state.is_committed() => {
                tracing::info!(backend = BACKEND, label = %label, ?state, "commit settled through the label state");
                Ok(LoadReport {
                    label: Some(label.to_string()),
                    status: format!("{state:?}"),
                    ..LoadReport::default()
                })
            }
            Ok(LabelState::Aborted) => Err(Error::new(
                ErrorKind::DataLoss,
                format!("transaction was aborted: {}", failure.message()),
            )
            .with_context("label", label)),
            Ok(LabelState::Unknown) if failure.kind() == ErrorKind::NotFound => Err(failure),
            Ok(state) => Err(failure.with_context("label_state", format!("{state:?}"))),
            Err(e) => Err(failure.with_context("label_state_error", e)),
        }
    }

    /// Polls the label while it is `PREPARE` (a load still running), like the reference SDK:
    /// sleeps 0, 1, 2, 3, 4, 5, 5, … s, for at most `sink.check-label-state.timeout-ms`
    /// (default 60 s), and returns the last state. The query only reads, so one that fails on
    /// the way (a lost answer, an FE restarting) is asked again within the same budget.
    pub(crate) async fn settle(&self, db: &str, label: &Label) -> Result<LabelState> {
        let budget = Duration::from_millis(
            self.config
                .label_state_timeout_ms
                .unwrap_or(DEFAULT_SETTLE_MS),
        );
        let started = tokio::time::Instant::now();
        let mut step = 0u64;
        loop {
            let asked = self.label_state(db, label).await;
            let left = budget.saturating_sub(started.elapsed());
            let state = match asked {
                Ok(state) => state,
                Err(e) if e.is_retryable() && !left.is_zero() => {
                    tracing::warn!(backend = BACKEND, label = %label, error = %e, "label state unreadable; asking again");
                    LabelState::Prepare
                }
                Err(e) => return Err(e),
            };
            if state != LabelState::Prepare || left.is_zero() {
                return Ok(state);
            }
            tokio::time::sleep(Duration::from_secs(step.min(5)).min(left)).await;
            step += 1;
        }
    }
}
