//! `impl LoadProtocol` for StarRocks: V1 Stream Load, V2 transactions and merge commit.
//!
//! One [`StarRocksProtocol`] speaks one mode, chosen when it is built. The transaction
//! operations shared by handles, commit and recovery live on the session (`session.rs`), which
//! the protocol and its open handles hold through an `Arc`; this file opens the handles.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use streamload_core::{
    Capabilities, Error, ErrorKind, Label, LabelState, LoadOptions, Prepared, Result, Table,
    TableDescription, Transaction, VendorProtocol,
};

use crate::BACKEND;
use crate::capabilities;
use crate::client::Target;
use crate::config::{Mode, StarRocksConfig};
use crate::headers::{HeaderMode, header_value, load_headers};
use crate::merge_commit::MergeCommitTransaction;
use crate::response::classify_v1;
use crate::session::{Shared, stream_load_path};
use crate::transaction::{BodyStream, Split, V1Transaction, V2Transaction};

/// The StarRocks [`streamload_core::LoadProtocol`]. Build it with [`crate::StarRocksBuilder`].
#[derive(Debug, Clone)]
pub struct StarRocksProtocol {
    pub(crate) shared: Arc<Shared>,
}

impl StarRocksProtocol {
    pub(crate) fn new(config: StarRocksConfig, mode: Mode) -> Result<Self> {
        Ok(Self {
            shared: Arc::new(Shared::new(config, mode)?),
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

/// The crate boundary: core's blanket `LoadProtocol` for a `VendorProtocol` tags every answer
/// (and every open transaction's) with `backend`.
#[async_trait]
impl VendorProtocol for StarRocksProtocol {
    const VENDOR: &'static str = BACKEND;

    fn vendor_capabilities(&self) -> Capabilities {
        capabilities::of(self.shared.mode)
    }

    async fn describe_table(&self, table: &Table) -> Result<TableDescription> {
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

    async fn open(
        &self,
        table: &Table,
        label: Option<Label>,
        options: &LoadOptions,
    ) -> Result<Box<dyn Transaction>> {
        let shared = &self.shared;
        if shared.mode == Mode::MergeCommit {
            return MergeCommitTransaction::begin(shared, table, options).await;
        }
        let label = label
            .ok_or_else(|| Error::new(ErrorKind::Config, "StarRocks V1/V2 loads need a label"))?;
        if label.as_str().contains(':') {
            return Err(Error::new(
                ErrorKind::Config,
                format!("label {label} has ':' which StarRocks refuses"),
            ));
        }
        match (shared.mode, options.two_phase) {
            (Mode::V1, true) => Err(Error::new(
                ErrorKind::Unsupported,
                "V1 Stream Load cannot prepare; use sink.version V2",
            )),
            (Mode::V1, false) => begin_v1(shared, table, label, options).await,
            _ => begin_v2(shared, table, label, options).await,
        }
    }

    async fn commit_prepared(&self, prepared: &Prepared) -> Result<()> {
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

    async fn abort_prepared(&self, prepared: &Prepared) -> Result<()> {
        self.shared.rollback(&prepared.table, &prepared.label).await
    }

    async fn read_label_state(&self, db: &str, label: &Label) -> Result<LabelState> {
        self.shared.label_state(db, label).await
    }
}

fn answered_instead(err: Option<Error>) -> Error {
    err.unwrap_or_else(|| {
        Error::new(
            ErrorKind::Protocol,
            "the FE answered a load without redirecting it",
        )
    })
}

async fn begin_v1(
    shared: &Arc<Shared>,
    table: &Table,
    label: Label,
    options: &LoadOptions,
) -> Result<Box<dyn Transaction>> {
    let mut headers = load_headers(&shared.config, table, options, HeaderMode::V1)?;
    headers.insert("label", header_value(label.as_str()));
    let path = stream_load_path(table);
    let url = match shared.client.resolve(Method::PUT, &path, &headers).await? {
        Target::Node(url) => url,
        Target::Answered(reply) => {
            return Err(answered_instead(
                classify_v1(reply.status.as_u16(), &reply.body).err(),
            ));
        }
    };
    let body = BodyStream::start(shared, Method::PUT, url, &headers);
    Ok(Box::new(V1Transaction {
        shared: Arc::clone(shared),
        table: table.clone(),
        label,
        body: Some(body),
    }))
}

async fn begin_v2(
    shared: &Arc<Shared>,
    table: &Table,
    label: Label,
    options: &LoadOptions,
) -> Result<Box<dyn Transaction>> {
    let headers = load_headers(&shared.config, table, options, HeaderMode::V2)?;
    let mut extra = vec![(
        "timeout",
        shared
            .config
            .property("timeout")
            .unwrap_or("600")
            .to_owned(),
    )];
    if let Some(w) = shared.config.property("warehouse") {
        extra.push(("warehouse", w.to_owned()));
    }
    let (body, from) = shared.txn_op("begin", table, &label, &extra).await?;
    let mut coordinator = from;
    coordinator.set_path("");
    coordinator.set_query(None);
    tracing::debug!(backend = BACKEND, label = %label, coordinator = %coordinator, "transaction begun");
    Ok(Box::new(V2Transaction {
        shared: Arc::clone(shared),
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
