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
use streamload_core::{Error, ErrorKind, Result, Table};

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
        parsed
            .apply(self, value)
            .map_err(|e| e.with_context("key", key))
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
    /// `username` (alias `user`)
    Username,
    /// `password`
    Password,
    /// `table.identifier` (alias `table`)
    TableIdentifier,
    /// `sink.label-prefix`
    LabelPrefix,
    /// `sink.writer-id` (alias `writer-id`)
    WriterId,
    /// `sink.enable-2pc`
    Enable2pc,
    /// `sink.enable.batch-mode`
    BatchMode,
    /// `sink.enable-delete`
    EnableDelete,
    /// `sink.ignore.update-before`
    IgnoreUpdateBefore,
    /// `sink.max-retries`
    MaxRetries,
    /// `sink.buffer-flush.max-rows`
    BufferFlushMaxRows,
    /// `sink.buffer-flush.max-bytes`
    BufferFlushMaxBytes,
    /// `sink.buffer-flush.interval`
    BufferFlushInterval,
    /// `sink.buffer-count`
    BufferCount,
    /// `doris.request.connect.timeout`
    ConnectTimeout,
    /// `doris.request.read.timeout`
    ReadTimeout,
    /// `sink.load-timeout`
    LoadTimeout,
    /// `sink.redirect.allowed-hosts`
    AllowedHosts,
    /// `sink.redirect.rewrite-localhost`
    RewriteLocalhost,
    /// `sink.abort-by-label`
    AbortByLabel,
    /// `sink.properties.{name}`: a Stream Load header.
    Property(String),
    /// A Flink option that has no meaning here (`jdbc-url`, `sink.buffer-size`, …); ignored.
    Ignored(String),
}

/// Flink options accepted for compatibility and ignored.
const IGNORED_KEYS: &[&str] = &[
    "jdbc.url",
    "doris.request.retries",
    "sink.buffer.size",
    "sink.flush.queue.size",
    "sink.check.interval",
    "sink.use.cache",
    "sink.write.mode",
    "sink.ignore.commit.error",
    "connector",
    "sink.parallelism",
];

impl FromStr for ConfigKey {
    type Err = Error;

    fn from_str(key: &str) -> Result<Self> {
        let trimmed = key.trim();
        if let Some(name) = trimmed
            .strip_prefix("sink.properties.")
            .or_else(|| trimmed.strip_prefix("property."))
        {
            if name.is_empty() {
                return Err(config_error(key, "empty Stream Load property name"));
            }
            return Ok(ConfigKey::Property(name.to_owned()));
        }
        let norm = trimmed.to_ascii_lowercase().replace(['-', '_'], ".");
        let parsed = match norm.as_str() {
            "fenodes" | "fe.nodes" => ConfigKey::FeNodes,
            "benodes" | "be.nodes" => ConfigKey::BeNodes,
            "auto.redirect" => ConfigKey::AutoRedirect,
            "username" | "user" => ConfigKey::Username,
            "password" => ConfigKey::Password,
            "table.identifier" | "table" => ConfigKey::TableIdentifier,
            "sink.label.prefix" | "label.prefix" => ConfigKey::LabelPrefix,
            "sink.writer.id" | "writer.id" => ConfigKey::WriterId,
            "sink.enable.2pc" | "enable.2pc" => ConfigKey::Enable2pc,
            "sink.enable.batch.mode" | "batch.mode" => ConfigKey::BatchMode,
            "sink.enable.delete" | "enable.delete" => ConfigKey::EnableDelete,
            "sink.ignore.update.before" | "ignore.update.before" => ConfigKey::IgnoreUpdateBefore,
            "sink.max.retries" | "max.retries" => ConfigKey::MaxRetries,
            "sink.buffer.flush.max.rows" | "buffer.flush.max.rows" => ConfigKey::BufferFlushMaxRows,
            "sink.buffer.flush.max.bytes" | "buffer.flush.max.bytes" => {
                ConfigKey::BufferFlushMaxBytes
            }
            "sink.buffer.flush.interval" | "buffer.flush.interval" => {
                ConfigKey::BufferFlushInterval
            }
            "sink.buffer.count" | "buffer.count" => ConfigKey::BufferCount,
            "doris.request.connect.timeout" | "connect.timeout" => ConfigKey::ConnectTimeout,
            "doris.request.read.timeout" | "read.timeout" => ConfigKey::ReadTimeout,
            "sink.load.timeout" | "load.timeout" => ConfigKey::LoadTimeout,
            "sink.redirect.allowed.hosts" | "allowed.hosts" => ConfigKey::AllowedHosts,
            "sink.redirect.rewrite.localhost" | "rewrite.localhost" => ConfigKey::RewriteLocalhost,
            "sink.abort.by.label" | "abort.by.label" => ConfigKey::AbortByLabel,
            other if IGNORED_KEYS.contains(&other) => ConfigKey::Ignored(trimmed.to_owned()),
            _ => return Err(config_error(key, "unknown option key")),
        };
        Ok(parsed)
    }
}

impl ConfigKey {
    /// Parses `value` for this key and stores it in `config`.
    pub fn apply(&self, config: &mut DorisConfig, value: &str) -> Result<()> {
        let v = value.trim();
        match self {
            ConfigKey::FeNodes => config.fe_nodes = split_list(v),
            ConfigKey::BeNodes => config.be_nodes = split_list(v),
            ConfigKey::AutoRedirect => config.auto_redirect = parse_bool(v)?,
            ConfigKey::Username => config.username = v.to_owned(),
            ConfigKey::Password => config.password = value.to_owned(),
            ConfigKey::TableIdentifier => config.table = Some(parse_table(v)?),
            ConfigKey::LabelPrefix => config.label_prefix = v.to_owned(),
            ConfigKey::WriterId => config.writer_id = v.to_owned(),
            ConfigKey::Enable2pc => config.enable_2pc = parse_bool(v)?,
            ConfigKey::BatchMode => config.batch_mode = parse_bool(v)?,
            ConfigKey::EnableDelete => config.enable_delete = parse_bool(v)?,
            ConfigKey::IgnoreUpdateBefore => config.ignore_update_before = parse_bool(v)?,
            ConfigKey::MaxRetries => config.max_retries = Some(parse_int(v)?),
            ConfigKey::BufferFlushMaxRows => config.buffer_flush_max_rows = Some(parse_int(v)?),
            ConfigKey::BufferFlushMaxBytes => {
                config.buffer_flush_max_bytes = Some(parse_size(v)?);
            }
            ConfigKey::BufferFlushInterval => {
                config.buffer_flush_interval = Some(parse_duration(v)?);
            }
            ConfigKey::BufferCount => config.buffer_count = parse_int(v)?,
            ConfigKey::ConnectTimeout => config.connect_timeout = parse_duration(v)?,
            ConfigKey::ReadTimeout => config.read_timeout = parse_duration(v)?,
            ConfigKey::LoadTimeout => config.load_timeout = Some(parse_duration(v)?),
            ConfigKey::AllowedHosts => config.allowed_hosts = split_list(v),
            ConfigKey::RewriteLocalhost => config.rewrite_localhost = parse_bool(v)?,
            ConfigKey::AbortByLabel => config.abort_by_label = parse_bool(v)?,
            ConfigKey::Property(name) => {
                config.properties.insert(name.clone(), value.to_owned());
            }
            ConfigKey::Ignored(key) => {
                tracing::debug!(key = %key, "ignoring Flink option without meaning here");
            }
        }
        Ok(())
    }
}

fn config_error(key: &str, what: &str) -> Error {
    Error::new(ErrorKind::Config, format!("option {key:?}: {what}"))
        .with_context("backend", crate::BACKEND)
}

fn value_error(value: &str, expected: &str) -> Error {
    Error::new(
        ErrorKind::Config,
        format!("invalid value {value:?}: expected {expected}"),
    )
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_bool(v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(value_error(v, "true or false")),
    }
}

fn parse_int<T: FromStr>(v: &str) -> Result<T> {
    v.parse()
        .map_err(|_| value_error(v, "a non-negative integer"))
}

fn parse_table(v: &str) -> Result<Table> {
    match v.split_once('.') {
        Some((db, name)) if !db.is_empty() && !name.is_empty() && !name.contains('.') => {
            Ok(Table::new(db, name))
        }
        _ => Err(value_error(v, "db.table")),
    }
}

/// Splits `30s` into (`30`, `s`).
fn number_and_unit(v: &str) -> Option<(u64, String)> {
    let digits = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let number = v[..digits].parse().ok()?;
    Some((number, v[digits..].trim().to_ascii_lowercase()))
}

/// Durations as Flink spells them: `500ms`, `30s`, `5min`, `1h`; a bare number is milliseconds.
pub(crate) fn parse_duration(v: &str) -> Result<Duration> {
    let expected = "a duration such as 500ms, 30s, 5min or 1h";
    let (n, unit) = number_and_unit(v).ok_or_else(|| value_error(v, expected))?;
    let ms = match unit.as_str() {
        "" | "ms" => Some(n),
        "s" | "sec" | "second" | "seconds" => n.checked_mul(1000),
        "m" | "min" | "minute" | "minutes" => n.checked_mul(60_000),
        "h" | "hour" | "hours" => n.checked_mul(3_600_000),
        _ => None,
    };
    ms.map(Duration::from_millis)
        .ok_or_else(|| value_error(v, expected))
}

/// Sizes as Flink spells them: `100mb`, `10MB`, `512kb`, `1gb`; a bare number is bytes.
pub(crate) fn parse_size(v: &str) -> Result<u64> {
    let expected = "a size such as 512kb, 100mb or 1gb";
    let (n, unit) = number_and_unit(v).ok_or_else(|| value_error(v, expected))?;
    let factor: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1 << 10,
        "m" | "mb" => 1 << 20,
        "g" | "gb" => 1 << 30,
        _ => return Err(value_error(v, expected)),
    };
    n.checked_mul(factor)
        .ok_or_else(|| value_error(v, expected))
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
