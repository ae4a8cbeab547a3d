//! The cluster session: what a [`crate::StarRocksProtocol`] and its open handles share through
//! an `Arc` — the HTTP client, the settings, the mode, the table descriptions and the merge-commit
//! limits — with the label-state read every layer above uses. Its transaction operations live in
//! `txn_call.rs` (as Doris's 2PC calls do), split by role so each file stays readable.
//!
//! It sits below the transaction, merge-commit, recovery and protocol files, which import it and
//! never each other's session parts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::Method;
use reqwest::header::HeaderMap;
use streamload_core::{Label, LabelState, Result, Table, TableDescription};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::client::HttpClient;
use crate::config::{Mode, StarRocksConfig};
use crate::response::classify_label_state;

/// State shared by the protocol and its open handles.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) client: HttpClient,
    pub(crate) config: StarRocksConfig,
    pub(crate) mode: Mode,
    pub(crate) descriptions: Mutex<HashMap<Table, TableDescription>>,
    pub(crate) merge_limits: MergeLimits,
}

impl Shared {
    /// A session for `config` in `mode`.
    pub(crate) fn new(config: StarRocksConfig, mode: Mode) -> Result<Self> {
        Ok(Self {
            client: HttpClient::new(&config)?,
            merge_limits: MergeLimits::new(config.merge_commit_max_concurrent_requests),
            config,
            mode,
            descriptions: Mutex::new(HashMap::new()),
        })
    }
}

impl Shared {
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

/// Per-table limits on requests in flight.
#[derive(Debug)]
pub(crate) struct MergeLimits {
    permits: Option<usize>,
    tables: Mutex<HashMap<Table, Arc<Semaphore>>>,
}

impl MergeLimits {
    /// `max < 0`: unlimited; `0`: one at a time (in order); `n`: `n`.
    pub(crate) fn new(max: i64) -> Self {
        let permits = match max {
            m if m < 0 => None,
            0 => Some(1),
            m => Some(
                usize::try_from(m)
                    .unwrap_or(usize::MAX)
                    .min(Semaphore::MAX_PERMITS),
            ),
        };
        Self {
            permits,
            tables: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) async fn acquire(&self, table: &Table) -> Option<OwnedSemaphorePermit> {
        let permits = self.permits?;
        let semaphore = {
            let mut tables = self.tables.lock().ok()?;
            Arc::clone(
                tables
                    .entry(table.clone())
                    .or_insert_with(|| Arc::new(Semaphore::new(permits))),
            )
        };
        semaphore.acquire_owned().await.ok()
    }
}
