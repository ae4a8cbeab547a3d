//! Test support for the crash tests: runs the emulator binary on a data dir, kills it, restarts
//! it, and drives Doris 2PC and StarRocks V2 loads over plain blocking HTTP (a client that must
//! survive the server dying mid-request, so every call returns a `Result`).
//!
//! The table is `db.t (k INT, v VARCHAR)` with DUPLICATE KEY: a transaction applied twice shows
//! up as duplicate rows. Rows are verified by opening the data dir in-process once the binary
//! is dead (which is itself one more restart).

#![allow(dead_code, unreachable_pub)]

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use streamload_emulator::engine::{Engine, EngineConfig, Flavor, TxnState, Value};

mod http;

pub use http::{Reply, http, via};

/// The environment variable that arms a crash point (see the emulator's `crash_point` module).
pub use streamload_emulator::engine::crash_point::CRASH_AT_ENV;

/// A fresh, empty data dir for one test.
pub fn data_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "streamload-crash-{name}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Opens the data dir in-process (a restart) and returns the engine.
pub fn open(flavor: Flavor, dir: &Path) -> Engine {
    let mut config = EngineConfig::new(flavor);
    config.data_dir = Some(dir.to_path_buf());
    Engine::open(config).unwrap_or_else(|e| panic!("the data dir opens: {e}"))
}

/// Creates `db.t`, a DUPLICATE KEY table, in the data dir.
pub fn create_table(flavor: Flavor, dir: &Path) {
    let engine = open(flavor, dir);
    engine.create_database("db").unwrap();
    engine
        .execute_ddl(
            "CREATE TABLE db.t (k INT NOT NULL, v VARCHAR(64)) DUPLICATE KEY(k) \
             DISTRIBUTED BY HASH(k) BUCKETS 1",
        )
        .unwrap();
}

/// `k -> number of rows with that k` in `db.t`.
pub fn key_counts(engine: &Engine) -> std::collections::BTreeMap<i64, i64> {
    let r = engine
        .query(Some("db"), "SELECT k, count(*) FROM t GROUP BY k")
        .unwrap();
    r.rows
        .iter()
        .map(|row| match (&row[0], &row[1]) {
            (Value::Int(k), Value::Int(n)) => (*k as i64, *n as i64),
            other => panic!("unexpected row {other:?}"),
        })
        .collect()
}

/// The state of the newest transaction holding `label`, if any.
pub fn state_in(engine: &Engine, label: &str) -> Option<TxnState> {
    engine.txn_by_label("db", label).map(|t| t.state)
}

/// A running emulator process.
pub struct Emu {
    child: Child,
    flavor: Flavor,
    log: PathBuf,
    /// `host:port` of the FE.
    pub fe: String,
    /// `host:port` of the (only) BE.
    pub be: String,
}

fn authority(url: &str) -> String {
    url.trim_start_matches("http://").to_string()
}

impl Emu {
    /// Starts the binary on `dir` (optionally with a crash point armed) and waits for its
    /// ready line; panics with its stderr if it does not start.
    pub fn start(flavor: Flavor, dir: &Path, crash_at: Option<&str>) -> Emu {
        Emu::start_with(flavor, dir, crash_at, &[])
    }

    /// Like [`Emu::start`], with more command-line arguments (e.g. `--version 4.0`).
    pub fn start_with(flavor: Flavor, dir: &Path, crash_at: Option<&str>, args: &[&str]) -> Emu {
        let log = dir.with_extension(format!("{}.log", std::process::id()));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_streamload-emulator"));
        cmd.args(["--flavor", flavor_arg(flavor), "--data-dir"])
            .arg(dir)
            .args(args)
            .env_remove(CRASH_AT_ENV)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(File::create(&log).unwrap()));
        if let Some(point) = crash_at {
            cmd.env(CRASH_AT_ENV, point);
        }
        let mut child = cmd.spawn().expect("the binary spawns");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.first() != Some(&"ready") {
            let _ = child.kill();
            let _ = child.wait();
            let err = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("the emulator did not start on its data dir: {err}");
        }
        let fe = authority(parts[1].trim_start_matches("fe_http="));
        let be = authority(
            parts[2]
                .trim_start_matches("be_http=")
                .split(',')
                .next()
                .unwrap(),
        );
        Emu {
            child,
            flavor,
            log,
            fe,
            be,
        }
    }

    /// SIGKILL and reap.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to die by a signal (an armed crash point aborting it).
    pub fn expect_crash(mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.code().is_none(), "died by a signal, got {status}");
                return;
            }
            assert!(Instant::now() < deadline, "the crash point was not reached");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// A handle for driving loads (usable from another thread while this one kills).
    pub fn client(&self) -> Client {
        Client {
            flavor: self.flavor,
            fe: self.fe.clone(),
            be: self.be.clone(),
        }
    }
}

impl Drop for Emu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn flavor_arg(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::Doris => "doris",
        Flavor::StarRocks => "starrocks",
    }
}

/// The outcome of a commit the server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    /// This request committed it.
    Now,
    /// It was already committed (the server said so).
    Already,
}

/// Drives loads of one flavor against a running emulator.
#[derive(Debug, Clone)]
pub struct Client {
    flavor: Flavor,
    fe: String,
    be: String,
}

fn err(what: &str, r: &Reply) -> std::io::Error {
    std::io::Error::other(format!("{what}: {} {}", r.status, r.body))
}

impl Client {
    /// Loads `csv` (`k,v` lines) under `label` and precommits it (Doris 2PC stream load,
    /// StarRocks V2 begin + load + prepare); returns the transaction id.
    pub fn precommit(&self, label: &str, csv: &[u8]) -> std::io::Result<i64> {
        match self.flavor {
            Flavor::Doris => {
                let r = http(
                    &self.be,
                    "PUT",
                    "/api/db/t/_stream_load",
                    &[
                        ("label", label),
                        ("two_phase_commit", "true"),
                        ("column_separator", ","),
                    ],
                    csv,
                )?;
                let j = r.json();
                if j["Status"] != "Success" {
                    return Err(err("2PC load", &r));
                }
                Ok(j["TxnId"].as_i64().unwrap())
            }
            Flavor::StarRocks => {
                let h = [
                    ("label", label),
                    ("db", "db"),
                    ("table", "t"),
                    ("column_separator", ","),
                ];
                let begin = via(&self.fe, "POST", "/api/transaction/begin", &h, &[])?;
                if begin.json()["Status"] != "OK" {
                    return Err(err("begin", &begin));
                }
                let id = begin.json()["TxnId"].as_i64().unwrap();
                let load = via(&self.fe, "PUT", "/api/transaction/load", &h, csv)?;
                if load.json()["Status"] != "OK" {
                    return Err(err("load", &load));
                }
                let prepare = via(&self.fe, "POST", "/api/transaction/prepare", &h, &[])?;
                if prepare.json()["Status"] != "OK" {
                    return Err(err("prepare", &prepare));
                }
                Ok(id)
            }
        }
    }

    /// A one-shot Doris stream load (no 2PC): committed by the load itself.
    pub fn load(&self, label: &str, csv: &[u8]) -> std::io::Result<()> {
        let headers = [("label", label), ("column_separator", ",")];
        let r = http(&self.be, "PUT", "/api/db/t/_stream_load", &headers, csv)?;
        if r.json()["Status"] != "Success" {
            return Err(err("stream load", &r));
        }
        Ok(())
    }

    /// Commits a precommitted transaction.
    pub fn commit(&self, label: &str, txn_id: i64) -> std::io::Result<Committed> {
        match self.flavor {
            Flavor::Doris => {
                let id = txn_id.to_string();
                let r = via(
                    &self.fe,
                    "PUT",
                    "/api/db/_stream_load_2pc",
                    &[("txn_id", &id), ("txn_operation", "commit")],
                    &[],
                )?;
                let j = r.json();
                let msg = j["msg"].as_str().or(j["Message"].as_str()).unwrap_or("");
                if j["status"] == "Success" || j["Status"] == "Success" {
                    Ok(Committed::Now)
                } else if msg.contains("already visible") {
                    Ok(Committed::Already)
                } else {
                    Err(err("2PC commit", &r))
                }
            }
            Flavor::StarRocks => {
                let h = [("label", label), ("db", "db")];
                let r = via(&self.fe, "POST", "/api/transaction/commit", &h, &[])?;
                let j = r.json();
                if j["Status"] != "OK" {
                    return Err(err("commit", &r));
                }
                let already = j["Message"]
                    .as_str()
                    .is_some_and(|m| m.contains("already committed"));
                Ok(if already {
                    Committed::Already
                } else {
                    Committed::Now
                })
            }
        }
    }

    /// A label's state as the FE reports it, in Doris names (StarRocks PREPARED is
    /// PRECOMMITTED).
    pub fn label_state(&self, label: &str) -> std::io::Result<String> {
        let path = format!("/api/db/get_load_state?label={label}");
        let r = http(&self.fe, "GET", &path, &[], &[])?;
        let j = r.json();
        let state = match self.flavor {
            Flavor::Doris => j["data"].as_str(),
            Flavor::StarRocks => j["state"].as_str(),
        }
        .ok_or_else(|| err("get_load_state", &r))?;
        Ok(match state {
            "PREPARED" => "PRECOMMITTED".to_string(),
            s => s.to_string(),
        })
    }
}

/// `count` CSV rows `k,v` with keys `first..first+count`, each `pad` bytes of text.
pub fn csv_rows(first: i64, count: i64, pad: usize) -> Vec<u8> {
    let filler = "x".repeat(pad);
    let mut out = Vec::new();
    for k in first..first + count {
        out.extend_from_slice(format!("{k},{filler}\n").as_bytes());
    }
    out
}
