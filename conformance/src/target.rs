//! What a case is run against: the [`Target`] trait and the vendor-neutral descriptions a case
//! hands it (a table to create, the protocol options it needs).
//!
//! A case never asks "is this Doris?": it asks the target for a protocol in the target's mode,
//! for a table of a key model, for rows back, and reads [`Capabilities`] to decide whether it
//! applies. Everything vendor-specific (DDL spelling, which header makes a partial update) is
//! behind this trait, in `modes.rs`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use streamload_core::{
    Capabilities, Delivery, LoadProtocol, RetryConfig, Sink, SinkConfigBuilder, Table,
};
use streamload_emulator::EmulatorHandle;

use crate::failure::Result;

/// The protocol a case gets from [`Target::protocol`].
pub type DynProtocol = Arc<dyn LoadProtocol>;

/// The key model of a table a case creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Every row appended (DUPLICATE KEY).
    Duplicate,
    /// Upsert by key, deletes allowed (Doris UNIQUE KEY merge-on-write, StarRocks PRIMARY KEY).
    Upsert,
}

/// A table a case needs: name, columns with their SQL types, key model. The first
/// `key_columns` columns are the key.
#[derive(Debug, Clone)]
pub struct TableSpec {
    /// Table name (unique within the case).
    pub name: String,
    /// `(column, type)` in table order; types in the spelling both vendors accept.
    pub columns: Vec<(String, String)>,
    /// Key model.
    pub keys: Keys,
    /// How many leading columns form the key.
    pub key_columns: usize,
}

impl TableSpec {
    /// A table `name` with `columns` (`"id INT"` style pairs), keyed by its first column.
    pub fn new(name: &str, keys: Keys, columns: &[(&str, &str)]) -> Self {
        Self {
            name: name.to_owned(),
            columns: columns
                .iter()
                .map(|(c, t)| ((*c).to_owned(), (*t).to_owned()))
                .collect(),
            keys,
            key_columns: 1,
        }
    }

    /// The `id INT, name VARCHAR(64), score INT` table most cases use.
    pub fn scores(name: &str, keys: Keys) -> Self {
        Self::new(
            name,
            keys,
            &[("id", "INT"), ("name", "VARCHAR(64)"), ("score", "INT")],
        )
    }
}

/// Options of one protocol a case builds, in vendor-neutral words.
#[derive(Debug, Clone, Default)]
pub struct ProtocolSetup {
    /// Label prefix (default: the case name, so targets sharing a server never collide).
    pub label_prefix: Option<String>,
    /// Use this password instead of the right one (auth-failure cases).
    pub wrong_password: Option<String>,
    /// Partial update writing only these columns (needs `Capabilities::partial_update`).
    pub partial_columns: Option<Vec<String>>,
    /// Conditional update: a row replaces the stored one only when this column is not smaller
    /// (needs `Capabilities::conditional_update`).
    pub condition_column: Option<String>,
    /// Rows the server may reject before failing the load (`max_filter_ratio`), 0 by default.
    pub max_filter_ratio: Option<f64>,
    /// Per-read timeout of the client (shortened by fault cases).
    pub read_timeout: Option<Duration>,
    /// List an FE that refuses connections before the real one (FE failover).
    pub down_fe_first: bool,
}

/// One backend in one mode, on the emulator or a real cluster.
#[async_trait]
pub trait Target: Send + Sync + fmt::Debug {
    /// `doris-2pc`, `starrocks-v1`, … plus `-emulated` or `-real`.
    fn name(&self) -> &str;

    /// The features of this target's mode.
    fn capabilities(&self) -> Capabilities;

    /// How this target's mode delivers: checkpointed (exactly-once) or batched.
    fn delivery(&self) -> Delivery;

    /// The database the case's tables live in (fresh for each case).
    fn database(&self) -> &str;

    /// The password a secrets case must never see printed.
    fn password(&self) -> &str;

    /// A protocol in this target's mode.
    async fn protocol(&self, setup: &ProtocolSetup) -> Result<DynProtocol>;

    /// Creates `spec` in [`Target::database`] through the MySQL port, in the vendor's DDL.
    async fn create_table(&self, spec: &TableSpec) -> Result<Table>;

    /// Runs one SQL statement through the MySQL port.
    async fn execute(&self, sql: &str) -> Result<()>;

    /// Rows of `sql` through the MySQL port, every value as text (`NULL` for null).
    async fn query(&self, sql: &str) -> Result<Vec<Vec<String>>>;

    /// The emulator behind this target (faults, request log, clock); `None` on a real cluster.
    fn emulator(&self) -> Option<&EmulatorHandle>;

    /// Stops what the target started.
    async fn finish(self: Box<Self>);
}

/// Conveniences every case uses, built on [`Target`]'s required methods.
#[async_trait]
pub trait TargetExt: Target {
    /// A sink configuration for this target: its delivery, the case's label prefix, fast
    /// retries (so failure cases end quickly) and an effectively unbounded flush interval.
    fn sink_config(&self, label_prefix: &str) -> SinkConfigBuilder {
        SinkConfigBuilder::default()
            .with_delivery(self.delivery())
            .with_label_prefix(label_prefix)
            .with_flush_interval(Duration::from_secs(3600))
            .with_retry(RetryConfig {
                max_retries: 3,
                min_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(100),
                txn_limit_wait: Duration::from_secs(20),
            })
    }

    /// A sink over a protocol with default options.
    async fn sink(&self, label_prefix: &str) -> Result<Sink<DynProtocol>> {
        let setup = ProtocolSetup {
            label_prefix: Some(label_prefix.to_owned()),
            ..ProtocolSetup::default()
        };
        let protocol = self.protocol(&setup).await?;
        Ok(Sink::new(
            protocol,
            self.sink_config(label_prefix).build()?,
        )?)
    }

    /// `SELECT {columns} FROM {table} ORDER BY 1`, rows joined as `a,b;c,d`.
    async fn table_text(&self, table: &Table, columns: &str) -> Result<String> {
        let rows = self
            .query(&format!(
                "SELECT {columns} FROM {}.{} ORDER BY 1",
                table.db, table.name
            ))
            .await?;
        Ok(rows
            .iter()
            .map(|r| r.join(","))
            .collect::<Vec<_>>()
            .join(";"))
    }

    /// `SELECT COUNT(*)` of `table`.
    async fn count(&self, table: &Table) -> Result<u64> {
        let rows = self
            .query(&format!("SELECT COUNT(*) FROM {}.{}", table.db, table.name))
            .await?;
        let text = rows.first().and_then(|r| r.first()).cloned();
        text.as_deref()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| crate::Failure::new(format!("COUNT(*) answered {rows:?}")))
    }

    /// True when a load's data is visible only after the server's own batching window:
    /// cases wait for it before reading back.
    fn server_batched(&self) -> bool {
        self.capabilities().server_batched
    }
}

impl<T: Target + ?Sized> TargetExt for T {}
