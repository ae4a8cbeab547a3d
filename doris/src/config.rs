//! The Doris sink's settings, and the parser of the Flink connector's option keys.
//!
//! Users of the Java connector know its option names (`fenodes`, `sink.label-prefix`,
//! `sink.properties.*`, …) and value spellings (`30s`, `100MB`); [`ConfigKey`] accepts them (and
//! `snake_case` aliases used by [`crate::DorisBuilder::from_env`]) so a Flink table definition can
//! be carried over unchanged. Validation of the whole set happens once, in
//! [`crate::DorisBuilder::build`].

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use streamload_core::http::TlsConfig;
use streamload_core::options::{
    CommonKey, CommonOption, normalize_key, parse_bool, parse_count, parse_duration, parse_list,
    unknown_key, value_error,
};
use streamload_core::{Error, Result, Table};

/// How loads reach the server and what they guarantee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DorisMode {
    /// One streaming two-phase load per table per checkpoint: exactly-once.
    TwoPhaseCommit,
    /// One load per batch under a deterministic label: at-least-once.
    Batch,
    /// The server batches loads (`group_commit` header) and chooses labels: at-least-once.
    GroupCommit(GroupCommitMode),
}

/// The `group_commit` header values that turn group commit on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupCommitMode {
    /// `sync_mode`: the response waits for the internal commit (data visible on return).
    Sync,
    /// `async_mode`: the response returns after the WAL write (data visible later).
    Async,
}

impl GroupCommitMode {
    /// The header value.
    pub fn as_header(self) -> &'static str {
        match self {
            GroupCommitMode::Sync => "sync_mode",
            GroupCommitMode::Async => "async_mode",
        }
    }
}

/// All settings of a Doris sink. Build one with [`crate::DorisBuilder`].
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DorisConfig {
    /// FE HTTP addresses (`host:port` or `http://host:port`), tried in order with failover.
    pub fe_nodes: Vec<String>,
    /// BE HTTP addresses for BE-direct writes (used when `auto_redirect` is off).
    pub be_nodes: Vec<String>,
    /// `true`: loads go to an FE and follow its 307 to a BE. `false`: straight to `be_nodes`, or
    /// to BEs discovered through `/api/backends?is_alive=true`.
    pub auto_redirect: bool,
    /// User name.
    pub username: String,
    /// Password (never logged, never in `Debug`, never serialized).
    #[serde(skip_serializing)]
    pub password: String,
    /// Default target table (`table.identifier`, `db.table`).
    pub table: Option<Table>,
    /// Label prefix (`sink.label-prefix`).
    pub label_prefix: String,
    /// Writer id in labels (the Flink subtask id).
    pub writer_id: String,
    /// Two-phase commit (`sink.enable-2pc`, default true).
    pub enable_2pc: bool,
    /// Batch mode (`sink.enable.batch-mode`, default false).
    pub batch_mode: bool,
    /// Carry deletes through `__DORIS_DELETE_SIGN__` on UNIQUE_KEYS tables (default true).
    pub enable_delete: bool,
    /// Skip update-before images of change streams (default true).
    pub ignore_update_before: bool,
    /// Retries of a load or commit step (`sink.max-retries`). `None` (the default) is 3 here
    /// and leaves the `Sink`'s retry setting (also 3); when set, both follow it.
    pub max_retries: Option<u32>,
    /// Fixed pause between retries (`sink.retry.interval-ms`); unset: core's backoff.
    pub retry_interval: Option<Duration>,
    /// Flush a table's batch after this many rows (`sink.buffer-flush.max-rows`). `None` (the
    /// default) leaves the `Sink`'s setting: 500 000.
    pub buffer_flush_max_rows: Option<u64>,
    /// Flush a table's batch after this many bytes (`sink.buffer-flush.max-bytes`). `None` (the
    /// default) leaves the `Sink`'s setting: 64 MiB (the Java connector's is 100 MB).
    pub buffer_flush_max_bytes: Option<u64>,
    /// Flush buffers older than this (`sink.buffer-flush.interval`). `None` (the default)
    /// leaves the `Sink`'s setting: 10 s.
    pub buffer_flush_interval: Option<Duration>,
    /// TCP connect timeout (default 60 s).
    pub connect_timeout: Duration,
    /// Per-read timeout, also the wait for a load's answer once its body ended (default 60 s).
    pub read_timeout: Duration,
    /// Deadline of one whole load, body upload included (default none).
    pub load_timeout: Option<Duration>,
    /// Stream Load headers (`sink.properties.*`), sent verbatim.
    pub properties: BTreeMap<String, String>,
    /// Extra hosts a 307 may redirect to (FE, BE and discovered BE hosts are always allowed).
    pub allowed_hosts: Vec<String>,
    /// Rewrite a `127.0.0.1` / `localhost` BE in a redirect to the FE's host.
    pub rewrite_localhost: bool,
    /// The server aborts transactions by label (Doris 2.1+); otherwise recovery probes (§9.4).
    pub abort_by_label: bool,
    /// Chunks queued between the writer and the HTTP body (back-pressure bound, default 3).
    pub buffer_count: usize,
    /// HTTPS: CA bundles, client identity, hostname verification (`doris.enable.tls`,
    /// `doris.tls.*`; applied with the `rustls` feature).
    pub tls: TlsConfig,
}

/// Retries of a step when `max_retries` is not set.
pub(crate) const DEFAULT_MAX_RETRIES: u32 = 3;

impl Default for DorisConfig {
    fn default() -> Self {
        Self {
            fe_nodes: Vec::new(),
            be_nodes: Vec::new(),
            auto_redirect: true,
            username: String::new(),
            password: String::new(),
            table: None,
            label_prefix: String::new(),
            writer_id: "0".to_owned(),
            enable_2pc: true,
            batch_mode: false,
            enable_delete: true,
            ignore_update_before: true,
            max_retries: None,
            retry_interval: None,
            buffer_flush_max_rows: None,
            buffer_flush_max_bytes: None,
            buffer_flush_interval: None,
            connect_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
            load_timeout: None,
            properties: BTreeMap::new(),
            allowed_hosts: Vec::new(),
            rewrite_localhost: false,
            abort_by_label: true,
            buffer_count: 3,
            tls: TlsConfig::default(),
        }
    }
}

impl fmt::Debug for DorisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DorisConfig")
            .field("fe_nodes", &self.fe_nodes)
            .field("be_nodes", &self.be_nodes)
            .field("auto_redirect", &self.auto_redirect)
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .field("table", &self.table)
            .field("label_prefix", &self.label_prefix)
            .field("mode", &self.mode())
            .field("properties", &self.properties)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl DorisConfig {
    /// The mode these settings select: a `group_commit` property of `sync_mode` / `async_mode`
    /// wins, then batch mode or `enable_2pc = false`, else two-phase commit.
    pub fn mode(&self) -> DorisMode {
        match self.group_commit() {
            Some(mode) => DorisMode::GroupCommit(mode),
            None if self.batch_mode || !self.enable_2pc => DorisMode::Batch,
            None => DorisMode::TwoPhaseCommit,
        }
    }

    fn group_commit(&self) -> Option<GroupCommitMode> {
        let value = self.property("group_commit")?;
        match value.to_ascii_lowercase().as_str() {
            "sync_mode" => Some(GroupCommitMode::Sync),
            "async_mode" => Some(GroupCommitMode::Async),
            _ => None,
        }
    }

    /// A Stream Load property, looked up case-insensitively.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Applies one option (`key = value`), naming the key in any error.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let parsed: ConfigKey = key.parse()?;
        parsed.apply_as(key.trim(), self, value).map_err(|e| {
            if e.context("key").is_some() {
                e
            } else {
                e.with_context("key", key.trim())
            }
        })
    }

    /// Applies an option both vendors share.
    pub(crate) fn apply_common(&mut self, option: CommonOption) {
        match option {
            CommonOption::Username(v) => self.username = v,
            CommonOption::Password(v) => self.password = v,
            CommonOption::LabelPrefix(v) => self.label_prefix = v,
            CommonOption::BufferFlushMaxBytes(n) => self.buffer_flush_max_bytes = Some(n),
            CommonOption::BufferFlushMaxRows(n) => self.buffer_flush_max_rows = Some(n),
            CommonOption::BufferFlushInterval(d) => self.buffer_flush_interval = Some(d),
            CommonOption::MaxRetries(n) => self.max_retries = Some(n),
            CommonOption::RetryInterval(d) => self.retry_interval = Some(d),
            CommonOption::IgnoreUpdateBefore(on) => self.ignore_update_before = on,
            CommonOption::AllowedHosts(hosts) => self.allowed_hosts = hosts,
            CommonOption::RewriteLocalhost(on) => self.rewrite_localhost = on,
            CommonOption::Tls(option) => self.tls.set(option),
            CommonOption::Property(name, value) => {
                self.properties.insert(name, value);
            }
            CommonOption::Ignored => {}
        }
    }

    /// Settings from a map of Flink option keys (`fenodes`, `sink.label-prefix`, …).
    pub fn from_options<'a>(
        options: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Result<Self> {
        let mut config = Self::default();
        for (key, value) in options {
            config.set(key, value)?;
        }
        Ok(config)
    }
}

/// One option key, with the Flink spelling and its aliases.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigKey {
    /// `fenodes`
    FeNodes,
    /// `benodes`
    BeNodes,
    /// `auto-redirect`
    AutoRedirect,
    /// `table.identifier` (alias `table`)
    TableIdentifier,
    /// `sink.writer-id` (alias `writer-id`)
    WriterId,
    /// `sink.enable-2pc`
    Enable2pc,
    /// `sink.enable.batch-mode`
    BatchMode,
    /// `sink.enable-delete`
    EnableDelete,
    /// `sink.buffer-count`
    BufferCount,
    /// `doris.request.connect.timeout`
    ConnectTimeout,
    /// `doris.request.read.timeout`
    ReadTimeout,
    /// `sink.load-timeout`
    LoadTimeout,
    /// `sink.abort-by-label`
    AbortByLabel,
    /// A key both vendors share (credentials, buffering, retries, redirects,
    /// `sink.properties.*`, Flink keys without meaning here), parsed by core.
    Common(CommonKey),
}

impl FromStr for ConfigKey {
    type Err = Error;

    fn from_str(key: &str) -> Result<Self> {
        let parsed = match normalize_key(key).as_str() {
            "fenodes" | "fe.nodes" => ConfigKey::FeNodes,
            "benodes" | "be.nodes" => ConfigKey::BeNodes,
            "auto.redirect" => ConfigKey::AutoRedirect,
            "table.identifier" | "table" => ConfigKey::TableIdentifier,
            "sink.writer.id" | "writer.id" => ConfigKey::WriterId,
            "sink.enable.2pc" | "enable.2pc" => ConfigKey::Enable2pc,
            "sink.enable.batch.mode" | "batch.mode" => ConfigKey::BatchMode,
            "sink.enable.delete" | "enable.delete" => ConfigKey::EnableDelete,
            "sink.buffer.count" | "buffer.count" => ConfigKey::BufferCount,
            "doris.request.connect.timeout" | "connect.timeout" => ConfigKey::ConnectTimeout,
            "doris.request.read.timeout" | "read.timeout" => ConfigKey::ReadTimeout,
            "sink.load.timeout" | "load.timeout" => ConfigKey::LoadTimeout,
            "sink.abort.by.label" | "abort.by.label" => ConfigKey::AbortByLabel,
            // Core's own keys (queue size, semantic, forgotten labels) reach the Sink through
            // `DorisSinkBuilder`, and `jdbc-url` serves the connector's lookups: known here,
            // and nothing of the protocol.
            "sink.flush.queue.size"
            | "sink.semantic"
            | "sink.recover.forgotten.label"
            | "jdbc.url" => ConfigKey::Common(CommonKey::Ignored(key.trim().to_owned())),
            // The vendor's own keys come first: a shared key never shadows one.
            _ => match CommonKey::classify(key)? {
                Some(common) => ConfigKey::Common(common),
                None => return Err(unknown_key(key, crate::BACKEND)),
            },
        };
        Ok(parsed)
    }
}

impl ConfigKey {
    /// Parses `value` for this key and stores it in `config`.
    pub fn apply(&self, config: &mut DorisConfig, value: &str) -> Result<()> {
        self.apply_as(&format!("{self:?}"), config, value)
    }

    /// [`apply`](Self::apply), naming the key as the user spelled it in errors.
    pub(crate) fn apply_as(&self, key: &str, config: &mut DorisConfig, value: &str) -> Result<()> {
        let v = value.trim();
        match self {
            ConfigKey::FeNodes => config.fe_nodes = parse_list(v),
            ConfigKey::BeNodes => config.be_nodes = parse_list(v),
            ConfigKey::AutoRedirect => config.auto_redirect = parse_bool(key, v)?,
            ConfigKey::TableIdentifier => config.table = Some(parse_table(v)?),
            ConfigKey::WriterId => config.writer_id = v.to_owned(),
            ConfigKey::Enable2pc => config.enable_2pc = parse_bool(key, v)?,
            ConfigKey::BatchMode => config.batch_mode = parse_bool(key, v)?,
            ConfigKey::EnableDelete => config.enable_delete = parse_bool(key, v)?,
            ConfigKey::BufferCount => config.buffer_count = parse_count(key, v)?,
            ConfigKey::ConnectTimeout => config.connect_timeout = parse_duration(key, v)?,
            ConfigKey::ReadTimeout => config.read_timeout = parse_duration(key, v)?,
            ConfigKey::LoadTimeout => config.load_timeout = Some(parse_duration(key, v)?),
            ConfigKey::AbortByLabel => config.abort_by_label = parse_bool(key, v)?,
            ConfigKey::Common(common) => config.apply_common(common.parse(key, value)?),
        }
        Ok(())
    }
}

fn parse_table(v: &str) -> Result<Table> {
    match v.split_once('.') {
        Some((db, name)) if !db.is_empty() && !name.is_empty() && !name.contains('.') => {
            Ok(Table::new(db, name))
        }
        _ => Err(value_error("table.identifier", v, "db.table")),
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
