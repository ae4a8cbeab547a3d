//! streamload-emulator: a local Doris / StarRocks FE+BE emulator.
//!
//! It behaves on the wire like a Doris or StarRocks cluster — one or several FEs and K BEs on
//! separate HTTP ports plus a MySQL port — so the client crates (and users' CI) can test Stream
//! Load, 2PC, V2 transactions and merge/group commit without a real server. It parses requests
//! with its own code and shares no types with the client crates, so a bug shared with a client
//! cannot cancel itself out.
//!
//! # What it serves
//!
//! * Doris FE: `_stream_load` / `_stream_load_2pc` redirects (307 with `user:password@` and a
//!   trailing `?`, never reading the body), `get_load_state`, `/api/backends`, `/api/health`,
//!   `/api/bootstrap`, `/api/fe_version_info`, `/api/{db}/{table}/_schema`, `/`.
//! * Doris BE: `_stream_load` (CSV / JSON, compression, `columns` / `where`, filter ratio with
//!   `ErrorURL`, 2PC, group commit, delete sign, sequence column, partial columns),
//!   `_stream_load_2pc`, `_load_error_log`, `/api/health`.
//! * StarRocks FE: V1 redirect (no userinfo, `Connection: close`), merge-commit routing, V2
//!   `/api/transaction/*` routing and FE commit / rollback of PREPARED transactions,
//!   `get_load_state`, `_cancel`, `_stream_load_meta`.
//! * StarRocks BE: V1 `_stream_load`, merge commit, V2 transaction contexts (one request at a
//!   time, identical headers, idle / transaction timeouts), `_load_error_log`.
//! * A MySQL port (DDL in each vendor's dialect, INSERT, SELECT) and a [`RequestLog`] of every
//!   HTTP exchange, e.g. to prove a body never reached the FE.
//! * Faults, scripted through [`EmulatorHandle::faults`] and
//!   [`EmulatorHandle::set_listener_up`] or, from another process, the admin endpoints under
//!   `/_emulator/` on every listener (faults, listener down / up, clock, FE config); each
//!   fault is named in the request log entry it hit.
//!
//! # Use
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use streamload_emulator::{Emulator, EmulatorConfig, engine::Flavor};
//! let emu = Emulator::start(EmulatorConfig::new(Flavor::Doris)).await?;
//! emu.engine().create_database("db").unwrap();
//! emu.engine()
//!     .execute_ddl("CREATE TABLE db.t (k INT, v STRING) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
//!     .unwrap();
//! println!("FE at {}, BEs at {:?}", emu.fe_url(), emu.be_urls());
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The binary has the same options:
//! `streamload-emulator --flavor doris|starrocks [--version X.Y[.Z]] [--frontends N]
//! [--host 127.0.0.1] [--fe-http-port N] [--be-http-port N] [--backends K] [--mysql-port N]
//! [--user root] [--password ''] [--data-dir DIR] [--discard]`; it prints one
//! `ready fe_http=...[,...] be_http=...[,...] mysql=mysql://USER@H:P` line when every listener
//! is up and serves until SIGINT / SIGTERM.
//!
//! # Versions and clusters
//!
//! [`EmulatorConfig::version`] (`--version`) plays a server release: the version queries report
//! it and features newer than it are off, as on that release (see [`version`]), so clients'
//! version detection and old-server fallbacks run against the emulator.
//! [`EmulatorConfig::frontends`] (`--frontends`) starts several FEs: FE 0 leads while it is up,
//! then the next FE that is up; StarRocks followers redirect loads and transaction operations
//! to the leader, Doris FEs redirect loads straight to a BE. Switching FE listeners down and up
//! ([`EmulatorHandle::set_listener_up`] with [`Listener::fe`]) tests leader redirects and FE
//! failover; [`FaultAction::Hang`] on a BE makes loads hang after the FE's 307 while the FE
//! stays healthy.
//!
//! With `--data-dir` the emulator survives being SIGKILLed at any instant: on restart committed
//! loads are present exactly once, PRECOMMITTED (PREPARED) transactions keep their rows and wait
//! for their commit, labels keep their states (see `engine::table_files`). It is not durable
//! against power loss. Tests can abort it at a named point inside a commit with
//! `STREAMLOAD_EMULATOR_CRASH_AT` (see [`engine::crash_point`]).
#![warn(missing_docs)]

pub mod engine;
pub mod http;
pub mod mysql;
#[cfg(feature = "test-pki")]
pub mod test_pki;
pub mod version;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::engine::{Engine, EngineConfig, Flavor};
pub use crate::http::faults::{FaultAction, FaultRule, Faults};
pub use crate::http::request_log::{Listener, RequestLog, RequestRecord};
pub use crate::http::switches::Switches;
pub use crate::http::tls::TlsPem;
use crate::http::{Cluster, HttpState};
use crate::version::{Release, ServerVersion};

/// How to start an emulator. [`EmulatorConfig::new`] gives loopback, ephemeral ports, one BE,
/// user `root` with an empty password, in memory.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Doris or StarRocks.
    pub flavor: Flavor,
    /// Address every listener binds (and the host written into redirects).
    pub host: String,
    /// FE HTTP port (0 = ephemeral); further FEs use consecutive ports from here.
    pub fe_http_port: u16,
    /// Number of FEs. FE 0 leads while it is up; the others are followers (StarRocks
    /// followers redirect loads and transaction operations to the leader, Doris FEs all
    /// redirect loads to a BE). When the leader's listener goes down the next FE that is up
    /// leads.
    pub frontends: usize,
    /// First BE HTTP port; BEs use consecutive ports from here (0 = each ephemeral).
    pub be_http_port: u16,
    /// Number of BEs.
    pub backends: usize,
    /// The server version played (see [`version`]); `None` plays
    /// [`ServerVersion::default_for`] the flavor.
    pub version: Option<ServerVersion>,
    /// MySQL port (0 = ephemeral).
    pub mysql_port: u16,
    /// The one user.
    pub user: String,
    /// Its password (never printed by `Debug`).
    pub password: String,
    /// Persist here (safe against the process being killed at any instant); `None` keeps
    /// everything in memory.
    pub data_dir: Option<PathBuf>,
    /// BEs read and drop load bodies and answer Success without parsing or storing
    /// (for client benchmarks).
    pub discard: bool,
    /// Length of a Doris group-commit window.
    pub group_commit_interval: Duration,
    /// Running-transaction limit per database; `None` keeps the vendor default (Doris 10000,
    /// StarRocks 1000).
    pub max_running_txn_per_db: Option<usize>,
    /// Serve HTTPS on every FE and BE listener with this certificate (feature `tls`); URLs
    /// handed out (redirects, error logs, [`EmulatorHandle::fe_url`]) then say `https://`.
    pub tls: Option<TlsPem>,
}

impl EmulatorConfig {
    /// Defaults for `flavor`.
    pub fn new(flavor: Flavor) -> EmulatorConfig {
        EmulatorConfig {
            flavor,
            host: "127.0.0.1".into(),
            fe_http_port: 0,
            frontends: 1,
            be_http_port: 0,
            backends: 1,
            version: None,
            mysql_port: 0,
            user: "root".into(),
            password: String::new(),
            data_dir: None,
            discard: false,
            group_commit_interval: Duration::from_millis(500),
            max_running_txn_per_db: None,
            tls: None,
        }
    }
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("flavor", &self.flavor)
            .field("host", &self.host)
            .field("fe_http_port", &self.fe_http_port)
            .field("frontends", &self.frontends)
            .field("be_http_port", &self.be_http_port)
            .field("backends", &self.backends)
            .field("version", &self.version)
            .field("mysql_port", &self.mysql_port)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("data_dir", &self.data_dir)
            .field("discard", &self.discard)
            .field("group_commit_interval", &self.group_commit_interval)
            .field("max_running_txn_per_db", &self.max_running_txn_per_db)
            .field("tls", &self.tls)
            .finish()
    }
}

/// The entry point.
#[derive(Debug)]
pub struct Emulator;

/// A running emulator. Dropping it without [`EmulatorHandle::shutdown`] leaves the listeners
/// running until the runtime ends.
#[derive(Debug)]
pub struct EmulatorHandle {
    scheme: &'static str,
    fes: Vec<SocketAddr>,
    release: Release,
    bes: Vec<SocketAddr>,
    mysql: SocketAddr,
    user: String,
    engine: Engine,
    log: RequestLog,
    faults: Faults,
    switches: Switches,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Port `n` of a consecutive range starting at `first` (0 = every port ephemeral).
fn consecutive(first: u16, n: usize) -> u16 {
    if first == 0 { 0 } else { first + n as u16 }
}

fn other_error(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl Emulator {
    /// Binds every listener, then serves in background tasks of the current tokio runtime.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<EmulatorHandle> {
        if config.backends == 0 {
            return Err(other_error("at least one backend is needed"));
        }
        if config.frontends == 0 {
            return Err(other_error("at least one frontend is needed"));
        }
        let version = config
            .version
            .unwrap_or(ServerVersion::default_for(config.flavor));
        let release = Release::new(config.flavor, version);
        let mut engine_config = EngineConfig::new(config.flavor);
        engine_config.data_dir = config.data_dir.clone();
        engine_config.user = config.user.clone();
        engine_config.password = config.password.clone();
        if let Some(limit) = config.max_running_txn_per_db {
            engine_config.max_running_txn_per_db = limit;
        }
        let tls = config.tls.as_ref().map(http::Acceptor::new).transpose()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let engine = Engine::open(engine_config).map_err(other_error)?;

        let host = config.host.as_str();
        let mut fes = Vec::with_capacity(config.frontends);
        for n in 0..config.frontends {
            fes.push(TcpListener::bind((host, consecutive(config.fe_http_port, n))).await?);
        }
        let mut bes = Vec::with_capacity(config.backends);
        for n in 0..config.backends {
            bes.push(TcpListener::bind((host, consecutive(config.be_http_port, n))).await?);
        }
        let mysql = TcpListener::bind((host, config.mysql_port)).await?;
        let fe_addrs: Vec<SocketAddr> = fes
            .iter()
            .map(|l| l.local_addr())
            .collect::<Result<_, _>>()?;
        let be_addrs: Vec<SocketAddr> = bes
            .iter()
            .map(|l| l.local_addr())
            .collect::<Result<_, _>>()?;
        let mysql_addr = mysql.local_addr()?;

        let log = RequestLog::default();
        let faults = Faults::default();
        let (shutdown, rx) = watch::channel(false);
        let cluster = Cluster {
            host: config.host.clone(),
            scheme,
            fe_ports: fe_addrs.iter().map(|a| a.port()).collect(),
            be_ports: be_addrs.iter().map(|a| a.port()).collect(),
            release,
            stopping: rx.clone(),
        };
        let state = Arc::new(HttpState::new(
            engine.clone(),
            cluster,
            log.clone(),
            faults.clone(),
            config.discard,
            config.group_commit_interval,
        ));
        let switches = state.switches.clone();
        let mut tasks = Vec::new();
        for (n, fe) in fes.into_iter().enumerate() {
            tasks.push(tokio::spawn(http::serve(
                fe,
                Listener::fe(n),
                Arc::clone(&state),
                rx.clone(),
                tls.clone(),
            )));
        }
        for (n, be) in bes.into_iter().enumerate() {
            tasks.push(tokio::spawn(http::serve(
                be,
                Listener::Be(n),
                Arc::clone(&state),
                rx.clone(),
                tls.clone(),
            )));
        }
        let mysql_engine = engine.clone();
        let mut mysql_rx = rx.clone();
        let topology = mysql::Topology {
            host: config.host.clone(),
            fe_http_ports: fe_addrs.iter().map(|a| a.port()).collect(),
            be_http_ports: be_addrs.iter().map(|a| a.port()).collect(),
            query_port: mysql_addr.port(),
        };
        tasks.push(tokio::spawn(async move {
            tokio::select! {
                _ = mysql::serve_cluster(mysql, mysql_engine, release, topology) => {}
                _ = mysql_rx.changed() => {}
            }
        }));
        let reaper_state = Arc::clone(&state);
        let mut reaper_rx = rx;
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tokio::select! {
                    _ = tick.tick() => http::reap(&reaper_state),
                    _ = reaper_rx.changed() => return,
                }
            }
        }));
        Ok(EmulatorHandle {
            scheme,
            fes: fe_addrs,
            release,
            bes: be_addrs,
            mysql: mysql_addr,
            user: config.user,
            engine,
            log,
            faults,
            switches,
            shutdown,
            tasks,
        })
    }
}

impl EmulatorHandle {
    /// `http://host:port` of FE 0 (the leader while it is up); `https://` with TLS.
    pub fn fe_url(&self) -> String {
        format!("{}://{}", self.scheme, self.fes[0])
    }

    /// `http://host:port` of every FE, in FE order ([`Listener::fe`]).
    pub fn fe_urls(&self) -> Vec<String> {
        self.fes
            .iter()
            .map(|a| format!("{}://{a}", self.scheme))
            .collect()
    }

    /// The leading FE: the first whose listener is up.
    pub fn leader(&self) -> usize {
        self.switches.leader()
    }

    /// The flavor and version played.
    pub fn release(&self) -> Release {
        self.release
    }

    /// `http://host:port` of every BE, in BE order.
    pub fn be_urls(&self) -> Vec<String> {
        self.bes
            .iter()
            .map(|a| format!("{}://{a}", self.scheme))
            .collect()
    }

    /// `mysql://user@host:port` of the MySQL port.
    pub fn mysql_url(&self) -> String {
        format!("mysql://{}@{}", self.user, self.mysql)
    }

    /// The engine (catalog, transactions, clock) behind every listener.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Every HTTP request served so far.
    pub fn request_log(&self) -> &RequestLog {
        &self.log
    }

    /// Fault injection: rules for the next requests matching an endpoint (delay, a chosen
    /// status, a connection dropped before, during or after the handler), recorded in the
    /// request log.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Switches a listener down (socket closed, open connections dropped: the FE or a BE is
    /// gone) or back up (the same port bound again). `false` when there is no such listener.
    pub fn set_listener_up(&self, listener: Listener, up: bool) -> bool {
        self.switches.set_up(listener, up)
    }

    /// The listener switches (for sharing with other tasks).
    pub fn switches(&self) -> &Switches {
        &self.switches
    }

    /// Stops every listener and waits for them.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
