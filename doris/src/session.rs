//! The cluster session: what a [`crate::DorisProtocol`] and its open transactions share — the
//! HTTP client, the settings, the schema cache and the BEs that recently failed a 2PC call —
//! with the reads every layer above uses (label state, table schema).
//!
//! It sits below the transaction, recovery and protocol files, which import it and never each
//! other's session parts. Its 2PC calls live in `txn_call.rs` and its abort in `recovery.rs`:
//! the same session, split by role so each file stays readable.

use std::collections::HashMap;
use std::sync::Mutex;

use reqwest::Method;
use streamload_core::{Label, LabelState, Result, Table, TableDescription};

use crate::client::DorisClient;
use crate::config::DorisConfig;
use crate::metadata::parse_schema;
use crate::nodes::SuspectNodes;
use crate::response::{classify_label_state, classify_rest};

/// Which transaction a 2PC call addresses.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TxnRef<'a> {
    Id(i64),
    Label(&'a Label),
}

/// State shared by the protocol and its open transactions.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) client: DorisClient,
    pub(crate) config: DorisConfig,
    schemas: Mutex<HashMap<Table, TableDescription>>,
    /// BEs that recently failed a 2PC call; asked last.
    pub(crate) suspects: SuspectNodes,
}

impl Shared {
    /// A session for `config`.
    pub(crate) fn new(config: DorisConfig) -> Result<Self> {
        Ok(Self {
            client: DorisClient::new(&config)?,
            config,
            schemas: Mutex::new(HashMap::new()),
            suspects: SuspectNodes::default(),
        })
    }

    pub(crate) async fn label_state(&self, db: &str, label: &Label) -> Result<LabelState> {
        let query = format!("label={}", label.as_str());
        let answer = self
            .client
            .fe_request(Method::GET, &["api", db, "get_load_state"], Some(&query))
            .await?;
        classify_label_state(answer.status, &answer.body)
            .map_err(|e| e.with_context("label", label).with_context("db", db))
    }

    pub(crate) async fn describe(&self, table: &Table) -> Result<TableDescription> {
        if let Some(found) = self.schemas.lock().ok().and_then(|m| m.get(table).cloned()) {
            return Ok(found);
        }
        let answer = self
            .client
            .fe_request(
                Method::GET,
                &["api", &table.db, &table.name, "_schema"],
                None,
            )
            .await?;
        let data = classify_rest(answer.status, &answer.body)
            .map_err(|e| e.with_context("table", table))?;
        let description = parse_schema(data, self.config.enable_delete)?;
        if let Ok(mut cache) = self.schemas.lock() {
            cache.insert(table.clone(), description.clone());
        }
        Ok(description)
    }
}
