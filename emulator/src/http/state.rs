//! What every HTTP handler shares: the engine, the cluster's addresses, the version it plays,
//! the request log, the error logs, the round-robin BE choice and the per-BE StarRocks
//! transaction contexts.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use crate::engine::{Engine, Flavor};
use crate::version::Release;

use super::batcher::Batcher;
use super::error_log::ErrorLogs;
use super::faults::Faults;
use super::request_log::RequestLog;
use super::starrocks::txn_context::TxnContexts;
use super::switches::Switches;

/// Shared state of all listeners.
#[derive(Debug)]
pub(crate) struct HttpState {
    pub(crate) engine: Engine,
    pub(crate) flavor: Flavor,
    pub(crate) host: String,
    /// `https` when the listeners speak TLS, else `http`: the scheme of every URL handed out.
    pub(crate) scheme: &'static str,
    /// HTTP ports of the FEs (FE 0 first).
    pub(crate) fe_ports: Vec<u16>,
    pub(crate) be_ports: Vec<u16>,
    /// The version played, and what it switches.
    pub(crate) release: Release,
    /// Flips to `true` when the emulator stops (ends requests held by a `Hang` fault).
    pub(crate) stopping: watch::Receiver<bool>,
    pub(crate) log: RequestLog,
    pub(crate) faults: Faults,
    /// Listener up / down switches.
    pub(crate) switches: Switches,
    pub(crate) errors: ErrorLogs,
    pub(crate) discard: bool,
    rr: AtomicUsize,
    discard_txn_ids: AtomicI64,
    /// StarRocks V2 transaction contexts, one map per BE.
    pub(crate) contexts: Vec<TxnContexts>,
    /// StarRocks FE label -> coordinator BE cache (db, label).
    pub(crate) coordinators: Mutex<HashMap<(String, String), usize>>,
    /// Group commit (Doris) and merge commit (StarRocks) windows.
    pub(crate) batcher: Batcher,
}

/// The cluster's layout and what it plays, for [`HttpState::new`].
#[derive(Debug)]
pub(crate) struct Cluster {
    pub(crate) host: String,
    pub(crate) scheme: &'static str,
    pub(crate) fe_ports: Vec<u16>,
    pub(crate) be_ports: Vec<u16>,
    pub(crate) release: Release,
    pub(crate) stopping: watch::Receiver<bool>,
}

impl HttpState {
    pub(crate) fn new(
        engine: Engine,
        cluster: Cluster,
        log: RequestLog,
        faults: Faults,
        discard: bool,
        group_commit_interval: Duration,
    ) -> HttpState {
        let flavor = engine.flavor();
        let Cluster {
            host,
            scheme,
            fe_ports,
            be_ports,
            release,
            stopping,
        } = cluster;
        let contexts = be_ports.iter().map(|_| TxnContexts::default()).collect();
        let switches = Switches::new(fe_ports.len(), be_ports.len());
        HttpState {
            engine,
            flavor,
            host,
            scheme,
            fe_ports,
            be_ports,
            release,
            stopping,
            log,
            faults,
            switches,
            errors: ErrorLogs::default(),
            discard,
            rr: AtomicUsize::new(0),
            discard_txn_ids: AtomicI64::new(1),
            contexts,
            coordinators: Mutex::new(HashMap::new()),
            batcher: Batcher::new(group_commit_interval),
        }
    }

    /// `host:port` of BE `n`.
    pub(crate) fn be_authority(&self, n: usize) -> String {
        format!("{}:{}", self.host, self.be_ports[n])
    }

    /// `host:port` of FE `n`.
    pub(crate) fn fe_authority(&self, n: usize) -> String {
        format!("{}:{}", self.host, self.fe_ports[n])
    }

    /// The next BE, round-robin.
    pub(crate) fn pick_be(&self) -> usize {
        self.rr.fetch_add(1, Ordering::Relaxed) % self.be_ports.len()
    }

    /// `ErrorURL` for a stored error log, served by BE `be`.
    pub(crate) fn error_url(&self, be: usize, lines: Vec<String>) -> String {
        let file = self.errors.store(self.flavor, lines);
        format!(
            "{}://{}/api/_load_error_log?file={file}",
            self.scheme,
            self.be_authority(be)
        )
    }

    /// A transaction id for `--discard` loads, which begin no real transaction.
    pub(crate) fn discard_txn_id(&self) -> i64 {
        self.discard_txn_ids.fetch_add(1, Ordering::Relaxed)
    }
}
