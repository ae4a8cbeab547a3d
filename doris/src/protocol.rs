//! `impl LoadProtocol` for Doris: each method is "build request → send → classify".
//!
//! One [`DorisProtocol`] serves one mode (two-phase, batch or group commit). Commit and abort go
//! through `_stream_load_2pc`, first to the BE that ran the load (recorded in the checkpoint),
//! then to the other nodes, so one dead node does not block a checkpoint.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use reqwest::Method;
use streamload_core::{
    Capabilities, Error, ErrorKind, KeysModel, Label, LabelState, LoadOptions, LoadProtocol,
    Prepared, Result, Table, TableDescription, Transaction,
};

use crate::BACKEND;
use crate::capabilities::capabilities;
use crate::client::DorisClient;
use crate::config::{DorisConfig, DorisMode};
use crate::headers::load_headers;
use crate::response::{TxnOp, TxnOpOutcome, classify_label_state, classify_rest};
use crate::schema::{DELETE_SIGN, parse_schema};
use crate::transaction::DorisTransaction;
use crate::txn_call::SuspectNodes;

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
    /// Aborts by txn id or label. Already aborted / gone is `Ok`; committed is `AlreadyCommitted`.
    pub(crate) async fn abort(
        &self,
        table: &Table,
        txn: TxnRef<'_>,
        coordinator: Option<&str>,
        label: Option<&Label>,
    ) -> Result<()> {
        if let TxnRef::Label(label) = txn
            && !self.config.abort_by_label
        {
            return crate::recovery::probe_abort(self, table, label)
                .await
                .map(|_| ());
        }
        match self
            .txn_op(&table.db, txn, TxnOp::Abort, coordinator, label)
            .await?
        {
            TxnOpOutcome::Done | TxnOpOutcome::AlreadyDone => Ok(()),
            TxnOpOutcome::NoRunningTxn => {
                let TxnRef::Label(label) = txn else {
                    return Ok(());
                };
                let state = self.label_state(&table.db, label).await?;
                if state.is_committed() {
                    return Err(Error::new(
                        ErrorKind::AlreadyCommitted,
                        format!("label {label} is {state:?}; it cannot be aborted (restored from an old checkpoint?)"),
                    )
                    .with_context("backend", BACKEND)
                    .with_context("label", label));
                }
                Ok(())
            }
        }
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

/// The Doris Stream Load protocol in one mode. Build it with [`crate::DorisBuilder`].
#[derive(Debug, Clone)]
pub struct DorisProtocol {
    pub(crate) shared: Arc<Shared>,
    mode: DorisMode,
}

impl DorisProtocol {
    pub(crate) fn new(config: DorisConfig) -> Result<Self> {
        let client = DorisClient::new(&config)?;
        let mode = config.mode();
        let shared = Shared {
            client,
            config,
            schemas: Mutex::new(HashMap::new()),
            suspects: SuspectNodes::default(),
        };
        Ok(Self {
            shared: Arc::new(shared),
            mode,
        })
    }

    /// The mode this protocol runs in.
    pub fn mode(&self) -> DorisMode {
        self.mode
    }

    /// The settings it was built from.
    pub fn config(&self) -> &DorisConfig {
        &self.shared.config
    }

    /// Refuses deletes on tables without a delete sign, naming the table and its key model.
    async fn check_deletes(&self, table: &Table, options: &LoadOptions) -> Result<()> {
        let in_columns = options.columns.iter().flatten().any(|c| c == DELETE_SIGN);
        let hidden = self
            .shared
            .config
            .property("hidden_columns")
            .is_some_and(|h| h.contains(DELETE_SIGN));
        if !in_columns && !hidden {
            return Ok(());
        }
        let description = self.shared.describe(table).await?;
        if description.keys == KeysModel::Unique {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "deletes need a UNIQUE KEY table, but {table} has key model {:?}",
                description.keys
            ),
        )
        .with_context("backend", BACKEND)
        .with_context("table", table))
    }
}

#[async_trait]
impl LoadProtocol for DorisProtocol {
    fn capabilities(&self) -> Capabilities {
        capabilities(self.mode)
    }

    async fn describe(&self, table: &Table) -> Result<TableDescription> {
        self.shared.describe(table).await
    }

    async fn begin(
        &self,
        table: &Table,
        label: Option<Label>,
        options: &LoadOptions,
    ) -> Result<Box<dyn Transaction>> {
        let group_commit = matches!(self.mode, DorisMode::GroupCommit(_));
        if group_commit && options.two_phase {
            return Err(
                Error::new(ErrorKind::Config, "group commit cannot run two-phase loads")
                    .with_context("backend", BACKEND),
            );
        }
        let label = if group_commit { None } else { label };
        if !group_commit && label.is_none() {
            return Err(Error::new(
                ErrorKind::Config,
                "a Doris load needs a label outside group commit",
            )
            .with_context("backend", BACKEND));
        }
        self.check_deletes(table, options).await?;
        let headers = load_headers(&self.shared.config, options, label.as_ref())?;
        let segments = [
            "api",
            table.db.as_str(),
            table.name.as_str(),
            "_stream_load",
        ];
        let target = self
            .shared
            .client
            .resolve_load_target(&segments, &headers)
            .await
            .map_err(|e| e.with_context("table", table))?;
        let txn = DorisTransaction::start(
            Arc::clone(&self.shared),
            table.clone(),
            label,
            options.two_phase,
            crate::compress::gzip_here(&self.shared.config, options.compression),
            target,
            headers,
        );
        Ok(Box::new(txn))
    }

    async fn commit(&self, prepared: &Prepared) -> Result<()> {
        let txn = match prepared.txn_id {
            Some(id) => TxnRef::Id(id),
            None => TxnRef::Label(&prepared.label),
        };
        let outcome = self
            .shared
            .txn_op(
                &prepared.table.db,
                txn,
                TxnOp::Commit,
                prepared.coordinator.as_deref(),
                Some(&prepared.label),
            )
            .await
            .map_err(|e| e.with_context("label", &prepared.label))?;
        if outcome == TxnOpOutcome::AlreadyDone {
            tracing::info!(label = %prepared.label, "transaction was already committed");
        }
        Ok(())
    }

    async fn abort(&self, prepared: &Prepared) -> Result<()> {
        let txn = match prepared.txn_id {
            Some(id) => TxnRef::Id(id),
            None => TxnRef::Label(&prepared.label),
        };
        self.shared
            .abort(
                &prepared.table,
                txn,
                prepared.coordinator.as_deref(),
                Some(&prepared.label),
            )
            .await
            .map_err(|e| e.with_context("label", &prepared.label))
    }

    async fn label_state(&self, db: &str, label: &Label) -> Result<LabelState> {
        self.shared.label_state(db, label).await
    }
}
