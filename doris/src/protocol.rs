//! `impl LoadProtocol` for Doris: each method is "build request → send → classify".
//!
//! One [`DorisProtocol`] serves one mode (two-phase, batch or group commit). Commit and abort go
//! through `_stream_load_2pc`, first to the BE that ran the load (recorded in the checkpoint),
//! then to the other nodes, so one dead node does not block a checkpoint.

use std::sync::Arc;

use async_trait::async_trait;
use streamload_core::{
    Capabilities, Error, ErrorKind, KeysModel, Label, LabelState, LoadOptions, Prepared, Result,
    Table, TableDescription, Transaction, VendorProtocol,
};

use crate::BACKEND;
use crate::capabilities::capabilities;
use crate::config::{DorisConfig, DorisMode};
use crate::headers::load_headers;
use crate::metadata::DELETE_SIGN;
use crate::response::{TxnOp, TxnOpOutcome};
use crate::session::{Shared, TxnRef};
use crate::transaction::DorisTransaction;

/// The Doris Stream Load protocol in one mode. Build it with [`crate::DorisBuilder`].
#[derive(Debug, Clone)]
pub struct DorisProtocol {
    pub(crate) shared: Arc<Shared>,
    mode: DorisMode,
}

impl DorisProtocol {
    pub(crate) fn new(config: DorisConfig) -> Result<Self> {
        let mode = config.mode();
        Ok(Self {
            shared: Arc::new(Shared::new(config)?),
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
        .with_context("table", table))
    }
}

/// The crate boundary: core's blanket `LoadProtocol` for a `VendorProtocol` tags every answer
/// (and every open transaction's) with `backend`.
#[async_trait]
impl VendorProtocol for DorisProtocol {
    const VENDOR: &'static str = BACKEND;

    fn vendor_capabilities(&self) -> Capabilities {
        capabilities(self.mode)
    }

    async fn describe_table(&self, table: &Table) -> Result<TableDescription> {
        self.shared.describe(table).await
    }

    async fn open(
        &self,
        table: &Table,
        label: Option<Label>,
        options: &LoadOptions,
    ) -> Result<Box<dyn Transaction>> {
        let group_commit = matches!(self.mode, DorisMode::GroupCommit(_));
        if group_commit && options.two_phase {
            return Err(Error::new(
                ErrorKind::Config,
                "group commit cannot run two-phase loads",
            ));
        }
        let label = if group_commit { None } else { label };
        if !group_commit && label.is_none() {
            return Err(Error::new(
                ErrorKind::Config,
                "a Doris load needs a label outside group commit",
            ));
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

    async fn commit_prepared(&self, prepared: &Prepared) -> Result<()> {
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

    async fn abort_prepared(&self, prepared: &Prepared) -> Result<()> {
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

    async fn read_label_state(&self, db: &str, label: &Label) -> Result<LabelState> {
        self.shared.label_state(db, label).await
    }
}
