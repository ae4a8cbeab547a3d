//! The seven modes the suite runs in, and everything about them that depends on the vendor:
//! how to build the protocol, the capabilities, the delivery, and how to spell a table's DDL.
//!
//! This is the only file that knows which vendor a mode belongs to; cases see capabilities.

use std::sync::Arc;
use std::time::Duration;

use streamload_core::{Capabilities, Delivery};
use streamload_doris::{DorisBuilder, DorisMode, GroupCommitMode};
use streamload_emulator::engine::Flavor;
use streamload_starrocks::{Semantic, SinkVersion, StarRocksBuilder};

use crate::failure::{Failure, Result};
use crate::target::{DynProtocol, Keys, ProtocolSetup, TableSpec};

/// A backend in one delivery mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Doris Stream Load with two-phase commit: checkpointed, exactly-once.
    Doris2pc,
    /// Doris Stream Load per batch under deterministic labels: at-least-once.
    DorisBatch,
    /// Doris group commit (`sync_mode`): the server batches, at-least-once.
    DorisGroupCommit,
    /// StarRocks transaction Stream Load, exactly-once.
    StarRocksV2,
    /// StarRocks transaction Stream Load committed per batch: at-least-once.
    StarRocksV2AtLeastOnce,
    /// StarRocks V1 Stream Load per batch: at-least-once.
    StarRocksV1,
    /// StarRocks merge commit: the server batches, at-least-once.
    StarRocksMergeCommit,
}

/// Where a cluster is and who we are on it.
#[derive(Clone)]
pub struct Endpoints {
    /// FE HTTP URL (`http://host:port`).
    pub fe_url: String,
    /// MySQL `host:port`.
    pub mysql_addr: String,
    /// User.
    pub user: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for Endpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoints")
            .field("fe_url", &self.fe_url)
            .field("mysql_addr", &self.mysql_addr)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Mode {
    /// Every mode, in the order targets are listed.
    pub const ALL: [Mode; 7] = [
        Mode::Doris2pc,
        Mode::DorisBatch,
        Mode::DorisGroupCommit,
        Mode::StarRocksV2,
        Mode::StarRocksV2AtLeastOnce,
        Mode::StarRocksV1,
        Mode::StarRocksMergeCommit,
    ];

    /// The target name (`doris-2pc`, …).
    pub fn name(self) -> &'static str {
        match self {
            Mode::Doris2pc => "doris-2pc",
            Mode::DorisBatch => "doris-batch",
            Mode::DorisGroupCommit => "doris-group-commit",
            Mode::StarRocksV2 => "starrocks-v2",
            Mode::StarRocksV2AtLeastOnce => "starrocks-v2-at-least-once",
            Mode::StarRocksV1 => "starrocks-v1",
            Mode::StarRocksMergeCommit => "starrocks-merge-commit",
        }
    }

    /// The emulator flavour serving this mode.
    pub fn flavor(self) -> Flavor {
        if self.is_doris() {
            Flavor::Doris
        } else {
            Flavor::StarRocks
        }
    }

    fn is_doris(self) -> bool {
        matches!(
            self,
            Mode::Doris2pc | Mode::DorisBatch | Mode::DorisGroupCommit
        )
    }

    /// The capabilities the vendor crate declares for this mode.
    pub fn capabilities(self) -> Capabilities {
        match self {
            Mode::Doris2pc => streamload_doris::capabilities(DorisMode::TwoPhaseCommit),
            Mode::DorisBatch => streamload_doris::capabilities(DorisMode::Batch),
            Mode::DorisGroupCommit => {
                streamload_doris::capabilities(DorisMode::GroupCommit(GroupCommitMode::Sync))
            }
            Mode::StarRocksV2 | Mode::StarRocksV2AtLeastOnce => streamload_starrocks::V2,
            Mode::StarRocksV1 => streamload_starrocks::V1,
            Mode::StarRocksMergeCommit => streamload_starrocks::MERGE_COMMIT,
        }
    }

    /// Checkpointed for the exactly-once modes, batched for the others.
    pub fn delivery(self) -> Delivery {
        match self {
            Mode::Doris2pc | Mode::StarRocksV2 => Delivery::Checkpointed,
            _ => Delivery::Batched,
        }
    }

    /// Builds this mode's protocol against `at`.
    pub async fn protocol(
        self,
        at: &Endpoints,
        prefix: &str,
        setup: &ProtocolSetup,
    ) -> Result<DynProtocol> {
        let password = setup.wrong_password.as_deref().unwrap_or(&at.password);
        let read_timeout = setup.read_timeout.unwrap_or(Duration::from_secs(20));
        let mut fe_urls = vec![at.fe_url.clone()];
        if setup.down_fe_first {
            fe_urls.insert(0, down_address()?);
        }
        if self.is_doris() {
            let mut b = DorisBuilder::new()
                .with_fe_nodes(fe_urls)
                .with_credentials(at.user.clone(), password.to_owned())
                .with_label_prefix(prefix)
                .with_connect_timeout(Duration::from_secs(5))
                .with_read_timeout(read_timeout)
                .with_max_retries(2);
            b = match self {
                Mode::DorisBatch => b.with_batch_mode(true),
                Mode::DorisGroupCommit => b.with_group_commit(GroupCommitMode::Sync),
                _ => b,
            };
            if let Some(columns) = &setup.partial_columns {
                b = b.with_partial_columns(columns);
            }
            if let Some(column) = &setup.condition_column {
                return Err(Failure::new(format!(
                    "{}: no conditional update (column {column})",
                    self.name()
                )));
            }
            if let Some(ratio) = setup.max_filter_ratio {
                b = b.with_property("max_filter_ratio", ratio.to_string());
            }
            return Ok(Arc::new(b.build()?));
        }
        let mut b = StarRocksBuilder::new()
            .with_load_urls(fe_urls)
            .with_jdbc_url(format!("jdbc:mysql://{}", at.mysql_addr))
            .with_credentials(at.user.clone(), password.to_owned())
            .with_label_prefix(prefix)
            .with_connect_timeout(Duration::from_secs(5))
            .with_read_timeout(read_timeout);
        b = match self {
            Mode::StarRocksV2 => b
                .with_version(SinkVersion::V2)
                .with_semantic(Semantic::ExactlyOnce),
            Mode::StarRocksV2AtLeastOnce => b.with_version(SinkVersion::V2),
            Mode::StarRocksV1 => b.with_version(SinkVersion::V1),
            _ => b
                .with_version(SinkVersion::V1)
                .with_property("enable_merge_commit", "true")
                .with_property("merge_commit_interval_ms", "50"),
        };
        if setup.partial_columns.is_some() {
            b = b.with_property("partial_update", "true");
        }
        if let Some(column) = &setup.condition_column {
            b = b.with_property("merge_condition", column.clone());
        }
        if let Some(ratio) = setup.max_filter_ratio {
            b = b.with_property("max_filter_ratio", ratio.to_string());
        }
        Ok(Arc::new(b.build()?))
    }

    /// The DDL creating `spec` in `db`, as this vendor spells it.
    pub fn create_table_sql(self, db: &str, spec: &TableSpec) -> String {
        let columns: Vec<String> = spec
            .columns
            .iter()
            .enumerate()
            .map(|(i, (name, ty))| {
                let null = if i < spec.key_columns {
                    " NOT NULL"
                } else {
                    " NULL"
                };
                format!("`{name}` {}{null}", self.column_type(ty))
            })
            .collect();
        let keys: Vec<String> = spec.columns[..spec.key_columns]
            .iter()
            .map(|(name, _)| format!("`{name}`"))
            .collect();
        let keys = keys.join(", ");
        let (model, properties) = match (spec.keys, self.is_doris()) {
            (Keys::Duplicate, _) => ("DUPLICATE", String::new()),
            (Keys::Upsert, true) => (
                "UNIQUE",
                ", \"enable_unique_key_merge_on_write\" = \"true\"".to_owned(),
            ),
            (Keys::Upsert, false) => ("PRIMARY", String::new()),
        };
        format!(
            "CREATE TABLE `{db}`.`{}` ({}) {model} KEY({keys}) DISTRIBUTED BY HASH({keys}) \
             BUCKETS 1 PROPERTIES (\"replication_num\" = \"1\"{properties})",
            spec.name,
            columns.join(", ")
        )
    }

    /// StarRocks spells a microsecond DATETIME without a precision.
    fn column_type(self, ty: &str) -> String {
        if !self.is_doris() && ty.to_ascii_uppercase().starts_with("DATETIME(") {
            "DATETIME".to_owned()
        } else {
            ty.to_owned()
        }
    }
}

/// `http://127.0.0.1:port` of a port nothing listens on (bound, then closed).
fn down_address() -> Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    drop(listener);
    Ok(format!("http://{addr}"))
}
