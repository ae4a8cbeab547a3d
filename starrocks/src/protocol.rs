//! `impl LoadProtocol` for StarRocks: V1 Stream Load, V2 transactions and merge commit.
//!
//! One [`StarRocksProtocol`] speaks one mode, chosen when it is built. The transaction
//! operations shared by handles, commit and recovery (`begin`, `prepare`, `commit`, the
//! `TXN_IN_PROCESSING` retry, the `get_load_state` settlement) live on [`Shared`], which the
//! protocol and its open handles hold through an `Arc`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use reqwest::header::HeaderMap;
use streamload_core::{
    Capabilities, Error, ErrorKind, Label, LabelState, LoadOptions, LoadProtocol, LoadReport,
    Prepared, Result, RetryStatus, Table, TableDescription, Transaction,
};
use url::Url;

use crate::BACKEND;
use crate::capabilities;
use crate::client::{HttpClient, Target};
use crate::config::StarRocksConfig;
use crate::headers::{HeaderMode, load_headers};
use crate::merge_commit::{MergeCommitTransaction, MergeLimits};
use crate::response::{LoadBody, classify_label_state, classify_txn, classify_v1};
use crate::transaction::{BodyStream, Split, V1Transaction, V2Transaction, header_value};

/// Which StarRocks interface a protocol speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// V1 Stream Load: one `_stream_load` per batch, committed by the server.
    V1,
    /// Transaction Stream Load: begin / load… / prepare / commit.
    V2,
    /// Merge commit: the server batches concurrent loads and picks the label.
    MergeCommit,
}

/// How long a label in `PREPARE` is polled when `sink.check-label-state.timeout-ms` is unset.
const DEFAULT_SETTLE_MS: u64 = 60_000;

/// Commits sent again after a failure that left the transaction waiting.
const COMMIT_RESENDS: u32 = 3;

/// Prepares sent again after answers lost while the label stayed `PREPARE`.
const LOST_PREPARE_TRIES: u32 = 3;

/// Tries of a transaction operation answered `TXN_IN_PROCESSING`.
const BUSY_TRIES: u32 = 6;

/// State shared by the protocol and its open handles.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) client: HttpClient,
    pub(crate) config: StarRocksConfig,
    pub(crate) mode: Mode,
    pub(crate) descriptions: Mutex<HashMap<Table, TableDescription>>,
    pub(crate) merge_limits: MergeLimits,
}

/// The StarRocks [`LoadProtocol`]. Build it with [`crate::StarRocksBuilder`].
#[derive(Debug, Clone)]
pub struct StarRocksProtocol {
    pub(crate) shared: Arc<Shared>,
}

impl StarRocksProtocol {
    pub(crate) fn new(config: StarRocksConfig, mode: Mode) -> Result<Self> {
        let client = HttpClient::new(&config)?;
        let merge_limits = MergeLimits::new(config.merge_commit_max_concurrent_requests);
        Ok(Self {
            shared: Arc::new(Shared {
                client,
                config,
                mode,
                descriptions: Mutex::new(HashMap::new()),
                merge_limits,
            }),
        })
    }

    /// The interface this protocol speaks.
    pub fn mode(&self) -> Mode {
        self.shared.mode
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &StarRocksConfig {
        &self.shared.config
    }
}

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
                    if e.context("server_status") == Some("TXN_IN_PROCESSING")
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
            let state = if e.context("server_status") == Some("TXN_NOT_EXISTS") {
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
            .with_context("backend", BACKEND)
            .with_context("label", label)),
            Ok(LabelState::Unknown) if failure.kind() == ErrorKind::NotFound => Err(failure),
            Ok(state) => Err(failure.with_context("label_state", format!("{state:?}"))),
            Err(e) => Err(failure.with_context("label_state_error", e)),
        }
    }

    /// `get_load_state` through the FE.
    pub(crate) async fn label_state(&self, db: &str, label: &Label) -> Result<LabelState> {
        let path = format!(
            "/api/{}/get_load_state?label={}",
            encode(db),
            encode(label.as_str())
        );
        let reply = self
            .client
            .send_empty(Method::GET, &path, &HeaderMap::new())
            .await?;
        classify_label_state(reply.status.as_u16(), &reply.body)
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

    async fn begin_v1(
        self: &Arc<Self>,
        table: &Table,
        label: Label,
        options: &LoadOptions,
    ) -> Result<Box<dyn Transaction>> {
        let mut headers = load_headers(&self.config, table, options, HeaderMode::V1)?;
        headers.insert("label", header_value(label.as_str()));
        let path = stream_load_path(table);
        let url = match self.client.resolve(Method::PUT, &path, &headers).await? {
            Target::Node(url) => url,
            Target::Answered(reply) => {
                return Err(answered_instead(
                    classify_v1(reply.status.as_u16(), &reply.body).err(),
                ));
            }
        };
        let body = BodyStream::start(self, Method::PUT, url, &headers);
        Ok(Box::new(V1Transaction {
            shared: Arc::clone(self),
            table: table.clone(),
            label,
            body: Some(body),
        }))
    }

    async fn begin_v2(
        self: &Arc<Self>,
        table: &Table,
        label: Label,
        options: &LoadOptions,
    ) -> Result<Box<dyn Transaction>> {
        let headers = load_headers(&self.config, table, options, HeaderMode::V2)?;
        let mut extra = vec![(
            "timeout",
            self.config.property("timeout").unwrap_or("600").to_owned(),
        )];
        if let Some(w) = self.config.property("warehouse") {
            extra.push(("warehouse", w.to_owned()));
        }
        let (body, from) = self.txn_op("begin", table, &label, &extra).await?;
        let mut coordinator = from;
        coordinator.set_path("");
        coordinator.set_query(None);
        tracing::debug!(backend = BACKEND, label = %label, coordinator = %coordinator, "transaction begun");
        Ok(Box::new(V2Transaction {
            shared: Arc::clone(self),
            table: table.clone(),
            label,
            txn_id: body.txnid,
            coordinator,
            headers,
            current: None,
            loads: 0,
            open: true,
            split: Split::of(options),
        }))
    }
}

#[async_trait]
impl LoadProtocol for StarRocksProtocol {
    fn capabilities(&self) -> Capabilities {
        capabilities::of(self.shared.mode)
    }

    async fn describe(&self, table: &Table) -> Result<TableDescription> {
        if let Some(found) = self
            .shared
            .descriptions
            .lock()
            .ok()
            .and_then(|m| m.get(table).cloned())
        {
            return Ok(found);
        }
        let description = crate::metadata::describe(&self.shared.config, table).await?;
        if let Ok(mut cache) = self.shared.descriptions.lock() {
            cache.insert(table.clone(), description.clone());
        }
        Ok(description)
    }

    async fn begin(
        &self,
        table: &Table,
        label: Option<Label>,
        options: &LoadOptions,
    ) -> Result<Box<dyn Transaction>> {
        let shared = &self.shared;
        if shared.mode == Mode::MergeCommit {
            return MergeCommitTransaction::begin(shared, table, options).await;
        }
        let label = label.ok_or_else(|| {
            Error::new(ErrorKind::Config, "StarRocks V1/V2 loads need a label")
                .with_context("backend", BACKEND)
        })?;
        if label.as_str().contains(':') {
            return Err(Error::new(
                ErrorKind::Config,
                format!("label {label} has ':' which StarRocks refuses"),
            )
            .with_context("backend", BACKEND));
        }
        match (shared.mode, options.two_phase) {
            (Mode::V1, true) => Err(Error::new(
                ErrorKind::Unsupported,
                "V1 Stream Load cannot prepare; use sink.version V2",
            )
            .with_context("backend", BACKEND)),
            (Mode::V1, false) => shared.begin_v1(table, label, options).await,
            _ => shared.begin_v2(table, label, options).await,
        }
    }

    async fn commit(&self, prepared: &Prepared) -> Result<()> {
        let shared = &self.shared;
        let mut last = None;
        for pause in [0u64, 1, 2] {
            tokio::time::sleep(Duration::from_secs(pause)).await;
            match shared.commit_txn(&prepared.table, &prepared.label).await {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == ErrorKind::NotFound => return Err(e.permanent()),
                Err(e) if e.is_retryable() && e.kind() != ErrorKind::DataLoss => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::new(ErrorKind::Unexpected, "commit failed")))
    }

    async fn abort(&self, prepared: &Prepared) -> Result<()> {
        self.shared.rollback(&prepared.table, &prepared.label).await
    }

    async fn label_state(&self, db: &str, label: &Label) -> Result<LabelState> {
        self.shared.label_state(db, label).await
    }
}

pub(crate) fn stream_load_path(table: &Table) -> String {
    format!(
        "/api/{}/{}/_stream_load",
        encode(&table.db),
        encode(&table.name)
    )
}

/// Percent-encodes one path or query component.
pub(crate) fn encode(part: &str) -> String {
    url::form_urlencoded::byte_serialize(part.as_bytes()).collect()
}

fn answered_instead(err: Option<Error>) -> Error {
    err.unwrap_or_else(|| {
        Error::new(
            ErrorKind::Protocol,
            "the FE answered a load without redirecting it",
        )
        .with_context("backend", BACKEND)
    })
}
