//! The one [`Target`] implementation: a mode on a cluster, which is either a fresh emulator
//! (always available) or a real server named by environment variables (skipped loudly when
//! they are unset).
//!
//! Each case gets its own namespace: a fresh emulator with database `conformance`, or on a real
//! cluster a fresh database `conformance_{pid}_{nanos}_{n}` dropped afterwards.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use streamload_core::{Capabilities, Delivery, Table};
use streamload_emulator::{Emulator, EmulatorConfig, EmulatorHandle};

use crate::failure::{Failure, Result};
use crate::modes::{Endpoints, Mode};
use crate::sql;
use crate::target::{DynProtocol, ProtocolSetup, TableSpec, Target};

/// The password of emulated targets: long and distinctive, so a leak is easy to spot.
pub const EMULATOR_PASSWORD: &str = "conformance-pw-7f3a9c";

/// A mode on a cluster.
pub struct ClusterTarget {
    mode: Mode,
    name: String,
    case: String,
    at: Endpoints,
    db: String,
    emulator: Option<EmulatorHandle>,
}

impl std::fmt::Debug for ClusterTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterTarget")
            .field("name", &self.name)
            .field("at", &self.at)
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

/// Starts a fresh emulator for `mode` and case `case`.
pub(crate) async fn emulated(mode: Mode, case: &str) -> Result<Box<dyn Target>> {
    let mut config = EmulatorConfig::new(mode.flavor());
    config.password = EMULATOR_PASSWORD.to_owned();
    config.group_commit_interval = Duration::from_millis(20);
    config.backends = backends_for(case);
    let emulator = Emulator::start(config).await?;
    let db = "conformance".to_owned();
    emulator
        .engine()
        .create_database(&db)
        .map_err(|e| Failure::new(format!("emulator database: {e}")))?;
    let mysql_url = emulator.mysql_url();
    let mysql_addr = mysql_url.rsplit('@').next().unwrap_or_default().to_owned();
    let at = Endpoints {
        fe_url: emulator.fe_url(),
        mysql_addr,
        user: "root".to_owned(),
        password: EMULATOR_PASSWORD.to_owned(),
    };
    Ok(Box::new(ClusterTarget {
        mode,
        name: format!("{}-emulated", mode.name()),
        case: case.to_owned(),
        at,
        db,
        emulator: Some(emulator),
    }))
}

/// One BE, so fault rules aimed at BE 0 hit every load; two for the case that kills the BE
/// which coordinated a load (the commit needs another node to go to).
fn backends_for(case: &str) -> usize {
    if case == "commit_survives_a_dead_coordinator_be" {
        2
    } else {
        1
    }
}

/// Connects `mode` to the real cluster named by `STREAMLOAD_{DORIS|STARROCKS}_URL`,
/// `_MYSQL` (`host:port`), `_USER` and `_PASSWORD`, in a fresh database; `Ok(None)` (after
/// printing why) when the variables are not set.
pub async fn real(mode: Mode, case: &str) -> Result<Option<Box<dyn Target>>> {
    let vendor = match mode.flavor() {
        streamload_emulator::engine::Flavor::Doris => "DORIS",
        streamload_emulator::engine::Flavor::StarRocks => "STARROCKS",
    };
    let var = |suffix: &str| std::env::var(format!("STREAMLOAD_{vendor}_{suffix}")).ok();
    let (Some(fe_url), Some(mysql_addr)) = (var("URL"), var("MYSQL")) else {
        eprintln!(
            "skipping {} on a real cluster: set STREAMLOAD_{vendor}_URL (FE http://host:port), \
             STREAMLOAD_{vendor}_MYSQL (host:port), STREAMLOAD_{vendor}_USER and \
             STREAMLOAD_{vendor}_PASSWORD",
            mode.name()
        );
        return Ok(None);
    };
    let at = Endpoints {
        fe_url,
        mysql_addr: mysql_addr.trim_start_matches("mysql://").to_owned(),
        user: var("USER").unwrap_or_else(|| "root".to_owned()),
        password: var("PASSWORD").unwrap_or_default(),
    };
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    // Database names are at most 64 characters: a counter, not the case name, tells them apart.
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let db = format!("conformance_{}_{nanos}_{n}", std::process::id());
    sql::execute(&at, &format!("CREATE DATABASE `{db}`")).await?;
    Ok(Some(Box::new(ClusterTarget {
        mode,
        name: format!("{}-real", mode.name()),
        case: case.to_owned(),
        at,
        db,
        emulator: None,
    })))
}

#[async_trait]
impl Target for ClusterTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> Capabilities {
        self.mode.capabilities()
    }

    fn delivery(&self) -> Delivery {
        self.mode.delivery()
    }

    fn database(&self) -> &str {
        &self.db
    }

    fn password(&self) -> &str {
        &self.at.password
    }

    async fn protocol(&self, setup: &ProtocolSetup) -> Result<DynProtocol> {
        let prefix = setup
            .label_prefix
            .clone()
            .unwrap_or_else(|| self.case.clone());
        self.mode.protocol(&self.at, &prefix, setup).await
    }

    async fn create_table(&self, spec: &TableSpec) -> Result<Table> {
        sql::execute(&self.at, &self.mode.create_table_sql(&self.db, spec)).await?;
        Ok(Table::new(self.db.clone(), spec.name.clone()))
    }

    async fn execute(&self, sql: &str) -> Result<()> {
        sql::execute(&self.at, sql).await
    }

    async fn query(&self, sql: &str) -> Result<Vec<Vec<String>>> {
        sql::query(&self.at, sql).await
    }

    fn emulator(&self) -> Option<&EmulatorHandle> {
        self.emulator.as_ref()
    }

    async fn finish(self: Box<Self>) {
        match self.emulator {
            Some(emulator) => emulator.shutdown().await,
            None => {
                let drop = format!("DROP DATABASE IF EXISTS `{}`", self.db);
                if let Err(e) = sql::execute(&self.at, &drop).await {
                    eprintln!("cleanup of {} failed: {e}", self.db);
                }
            }
        }
    }
}
