//! The StarRocks sink configuration and the Flink option-key parser.
//!
//! Users migrating from the Flink connector have `WITH (...)` maps in hand (`load-url`,
//! `sink.properties.format`, …). [`StarRocksConfig::from_options`] reads such a map with the
//! connector's key names (and a few aliases), so the same option set drives this crate, and every
//! bad value is reported with the key that carried it. Defaults are the connector's (reference
//! §8.1), except where noted on the field.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use streamload_core::http::TlsConfig;
use streamload_core::options::{
    CommonKey, CommonOption, normalize_key, parse_duration, parse_list, parse_millis_or_off,
    parse_size, unknown_key, value_error,
};
use streamload_core::{Error, Result};

/// Which StarRocks load interface to use (`sink.version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SinkVersion {
    /// Plain Stream Load, one `_stream_load` request per batch.
    V1,
    /// Transaction Stream Load (`/api/transaction/*`, StarRocks ≥ 2.4).
    V2,
    /// V2 when the server supports transactions, else V1 (decided by
    /// [`crate::StarRocksBuilder::connect`]).
    #[default]
    Auto,
}

/// Which StarRocks interface a protocol speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// V1 Stream Load: one `_stream_load` per batch, committed by the server.
    V1,
    /// Transaction Stream Load: begin / load… / prepare / commit.
    V2,
    /// Merge commit: the server batches concurrent loads and picks the label.
    MergeCommit,
}

/// The delivery guarantee (`sink.semantic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Semantic {
    /// Every row arrives at least once.
    #[default]
    AtLeastOnce,
    /// Rows are committed exactly once, at checkpoints (needs V2).
    ExactlyOnce,
}

/// Configuration of a StarRocks sink. Build it with [`crate::StarRocksBuilder`] or
/// [`StarRocksConfig::from_options`]; `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StarRocksConfig {
    /// FE HTTP addresses (`host:port` or URLs), tried in order on failure (`load-url`).
    pub load_urls: Vec<String>,
    /// MySQL-protocol address for version and schema queries (`jdbc-url`).
    pub jdbc_url: Option<String>,
    /// Default database (`database-name`).
    pub database: String,
    /// Default table (`table-name`).
    pub table: String,
    /// User name (`username`).
    pub username: String,
    /// Password (`password`); never logged.
    pub password: String,
    /// Load interface (`sink.version`).
    pub version: SinkVersion,
    /// Delivery guarantee (`sink.semantic`).
    pub semantic: Semantic,
    /// Label prefix (`sink.label-prefix`); `flink`-style default is `streamload`.
    pub label_prefix: String,
    /// Buffered bytes that trigger a flush (`sink.buffer-flush.max-bytes`). `None` (the
    /// default) leaves the `Sink`'s setting: 64 MiB (the Java connector's is 90 MiB).
    pub buffer_flush_max_bytes: Option<u64>,
    /// Buffered rows that trigger a flush (`sink.buffer-flush.max-rows`). `None` (the default)
    /// leaves the `Sink`'s setting: 500 000.
    pub buffer_flush_max_rows: Option<u64>,
    /// Flush interval in milliseconds (`sink.buffer-flush.interval-ms`). `None` (the default)
    /// leaves the `Sink`'s setting: 10 s (the Java connector's is 300 s).
    pub buffer_flush_interval_ms: Option<u64>,
    /// Retries of one load (`sink.max-retries`). `None` (the default) leaves the `Sink`'s
    /// setting: 3.
    pub max_retries: Option<u32>,
    /// Pause between retries in milliseconds (`sink.retry.interval-ms`): a fixed delay, as the
    /// Java connector waits. `None` (the default) leaves the `Sink`'s backoff: 200 ms doubling
    /// to 10 s.
    pub retry_interval_ms: Option<u64>,
    /// TCP connect timeout in milliseconds (`sink.connect.timeout-ms`).
    pub connect_timeout_ms: u64,
    /// Per-read timeout in milliseconds, `None` = none (`sink.socket.timeout-ms`, `-1`).
    pub socket_timeout_ms: Option<u64>,
    /// How long the FE probe may take before it counts as failed
    /// (`sink.wait-for-continue.timeout-ms`).
    pub wait_for_continue_timeout_ms: u64,
    /// Deadline of one whole load request in milliseconds (`sink.load.timeout-ms`; our own key).
    pub load_timeout_ms: Option<u64>,
    /// Largest body of one V2 `/load` request; the next write opens a new one (`sink.chunk-limit`).
    pub chunk_limit_bytes: u64,
    /// Merge commit: bytes per request (`sink.merge-commit.chunk.size`).
    pub merge_commit_chunk_size: u64,
    /// Merge commit: requests in flight per table; `0` = one at a time, in order
    /// (`sink.merge-commit.max-concurrent-requests`); negative = unlimited.
    pub merge_commit_max_concurrent_requests: i64,
    /// How long a label is polled while the server still works on it
    /// (`sink.check-label-state.timeout-ms`): a merge-commit label until it is visible (default:
    /// the load timeout), and a V1 / V2 label still `PREPARE` after a lost answer (default:
    /// 60 s).
    pub label_state_timeout_ms: Option<u64>,
    /// A label COMMITTED for longer than this counts as loaded (`sink.publish-timeout.ms`).
    pub publish_timeout_ms: Option<u64>,
    /// Skip update-before images instead of deleting (`sink.ignore.update-before`).
    pub ignore_update_before: bool,
    /// Extra hosts that may receive credentials after a redirect (`sink.allowed-hosts`, `,`
    /// separated). Empty: only the configured FEs and the BEs the cluster reports.
    pub allowed_hosts: Vec<String>,
    /// Replace `127.0.0.1`/`localhost` in redirect targets with the host of the FE that answered
    /// (`sink.redirect.rewrite-localhost`), for clusters in containers.
    pub rewrite_localhost: bool,
    /// Stream Load headers (`sink.properties.*`), keys lower-cased.
    pub properties: BTreeMap<String, String>,
    /// HTTPS: CA bundles, client identity, hostname verification (`doris.enable.tls` /
    /// `tls.enabled`, `tls.*`; applied with the `rustls` feature).
    pub tls: TlsConfig,
}

impl Default for StarRocksConfig {
    fn default() -> Self {
        Self {
            load_urls: Vec::new(),
            jdbc_url: None,
            database: String::new(),
            table: String::new(),
            username: String::new(),
            password: String::new(),
            version: SinkVersion::Auto,
            semantic: Semantic::AtLeastOnce,
            label_prefix: "streamload".to_owned(),
            buffer_flush_max_bytes: None,
            buffer_flush_max_rows: None,
            buffer_flush_interval_ms: None,
            max_retries: None,
            retry_interval_ms: None,
            connect_timeout_ms: 30_000,
            socket_timeout_ms: None,
            wait_for_continue_timeout_ms: 30_000,
            load_timeout_ms: None,
            chunk_limit_bytes: 3 * 1024 * 1024 * 1024,
            merge_commit_chunk_size: 20 * 1024 * 1024,
            merge_commit_max_concurrent_requests: -1,
            label_state_timeout_ms: None,
            publish_timeout_ms: None,
            ignore_update_before: true,
            allowed_hosts: Vec::new(),
            rewrite_localhost: false,
            properties: BTreeMap::new(),
            tls: TlsConfig::default(),
        }
    }
}

impl fmt::Debug for StarRocksConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StarRocksConfig")
            .field("load_urls", &self.load_urls)
            .field("jdbc_url", &self.jdbc_url)
            .field("database", &self.database)
            .field("table", &self.table)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("version", &self.version)
            .field("semantic", &self.semantic)
            .field("label_prefix", &self.label_prefix)
            .field("properties", &self.properties)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl StarRocksConfig {
    /// Reads a Flink-style option map. Unknown keys are an error naming the key.
    pub fn from_options<I, K, V>(options: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut config = Self::default();
        for (key, value) in options {
            config.set_option(key.as_ref(), value.as_ref())?;
        }
        Ok(config)
    }

    /// The Stream Load header `key` (case-insensitive), if set in `sink.properties.*`.
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties
            .get(&key.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// True when `sink.properties.enable_merge_commit` is `true`.
    pub fn merge_commit_enabled(&self) -> bool {
        self.property("enable_merge_commit")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// Applies one option.
    pub fn set(&mut self, key: ConfigKey, value: &str) -> Result<()> {
        self.set_as(&format!("{key:?}"), key, value)
    }

    /// Applies one option by its connector key, naming the key as written in any error.
    pub fn set_option(&mut self, key: &str, value: &str) -> Result<()> {
        let parsed: ConfigKey = key.parse()?;
        self.set_as(key.trim(), parsed, value).map_err(|e| {
            if e.context("key").is_some() {
                e
            } else {
                e.with_context("key", key.trim())
            }
        })
    }

    /// [`set`](Self::set), naming the key as the user spelled it in errors.
    pub(crate) fn set_as(&mut self, name: &str, key: ConfigKey, value: &str) -> Result<()> {
        let v = value.trim();
        let ms = |v: &str| parse_duration(name, v).map(|d| d.as_millis() as u64);
        let ms_or_off =
            |v: &str| parse_millis_or_off(name, v).map(|d| d.map(|d| d.as_millis() as u64));
        match key {
            ConfigKey::LoadUrl => self.load_urls = parse_list(v),
            ConfigKey::JdbcUrl => self.jdbc_url = Some(v.to_owned()),
            ConfigKey::DatabaseName => self.database = v.to_owned(),
            ConfigKey::TableName => self.table = v.to_owned(),
            ConfigKey::Version => {
                self.version = match v.to_ascii_uppercase().as_str() {
                    "V1" => SinkVersion::V1,
                    "V2" => SinkVersion::V2,
                    "AUTO" => SinkVersion::Auto,
                    _ => return Err(value_error(name, v, "V1, V2 or AUTO")),
                }
            }
            ConfigKey::Semantic => {
                self.semantic = match v.to_ascii_lowercase().as_str() {
                    "at-least-once" | "at_least_once" => Semantic::AtLeastOnce,
                    "exactly-once" | "exactly_once" => Semantic::ExactlyOnce,
                    _ => return Err(value_error(name, v, "at-least-once or exactly-once")),
                }
            }
            ConfigKey::ConnectTimeoutMs => self.connect_timeout_ms = ms(v)?,
            ConfigKey::SocketTimeoutMs => self.socket_timeout_ms = ms_or_off(v)?,
            ConfigKey::WaitForContinueTimeoutMs => self.wait_for_continue_timeout_ms = ms(v)?,
            ConfigKey::LoadTimeoutMs => self.load_timeout_ms = ms_or_off(v)?,
            ConfigKey::ChunkLimit => self.chunk_limit_bytes = parse_size(name, v)?,
            ConfigKey::MergeCommitChunkSize => self.merge_commit_chunk_size = parse_size(name, v)?,
            ConfigKey::MergeCommitMaxConcurrentRequests => {
                self.merge_commit_max_concurrent_requests =
                    v.parse().map_err(|_| value_error(name, v, "an integer"))?;
            }
            ConfigKey::LabelStateTimeoutMs => self.label_state_timeout_ms = ms_or_off(v)?,
            ConfigKey::PublishTimeoutMs => self.publish_timeout_ms = ms_or_off(v)?,
            ConfigKey::Common(common) => self.apply_common(common.parse(name, value)?),
        }
        Ok(())
    }

    /// Applies an option both vendors share.
    pub(crate) fn apply_common(&mut self, option: CommonOption) {
        let ms = |d: std::time::Duration| d.as_millis() as u64;
        match option {
            CommonOption::Username(v) => self.username = v,
            CommonOption::Password(v) => self.password = v,
            CommonOption::LabelPrefix(v) => self.label_prefix = v,
            CommonOption::BufferFlushMaxBytes(n) => self.buffer_flush_max_bytes = Some(n),
            CommonOption::BufferFlushMaxRows(n) => self.buffer_flush_max_rows = Some(n),
            CommonOption::BufferFlushInterval(d) => self.buffer_flush_interval_ms = Some(ms(d)),
            CommonOption::MaxRetries(n) => self.max_retries = Some(n),
            CommonOption::RetryInterval(d) => self.retry_interval_ms = Some(ms(d)),
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
}

/// One option key, with the connector's spelling and a few aliases.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigKey {
    /// `load-url`
    LoadUrl,
    /// `jdbc-url`
    JdbcUrl,
    /// `database-name`
    DatabaseName,
    /// `table-name`
    TableName,
    /// `sink.version`
    Version,
    /// `sink.semantic`
    Semantic,
    /// `sink.connect.timeout-ms`
    ConnectTimeoutMs,
    /// `sink.socket.timeout-ms`
    SocketTimeoutMs,
    /// `sink.wait-for-continue.timeout-ms`
    WaitForContinueTimeoutMs,
    /// `sink.load.timeout-ms`
    LoadTimeoutMs,
    /// `sink.chunk-limit`
    ChunkLimit,
    /// `sink.merge-commit.chunk.size`
    MergeCommitChunkSize,
    /// `sink.merge-commit.max-concurrent-requests`
    MergeCommitMaxConcurrentRequests,
    /// `sink.check-label-state.timeout-ms`
    LabelStateTimeoutMs,
    /// `sink.publish-timeout.ms`
    PublishTimeoutMs,
    /// A key both vendors share (credentials, buffering, retries, redirects,
    /// `sink.properties.*`, Flink keys without meaning here), parsed by core.
    Common(CommonKey),
}

impl FromStr for ConfigKey {
    type Err = Error;

    fn from_str(key: &str) -> Result<Self> {
        let parsed = match normalize_key(key).as_str() {
            "load.url" | "fenodes" => ConfigKey::LoadUrl,
            "jdbc.url" => ConfigKey::JdbcUrl,
            "database.name" | "database" | "db" => ConfigKey::DatabaseName,
            "table.name" | "table" => ConfigKey::TableName,
            "sink.version" => ConfigKey::Version,
            "sink.semantic" => ConfigKey::Semantic,
            "sink.connect.timeout.ms" => ConfigKey::ConnectTimeoutMs,
            "sink.socket.timeout.ms" => ConfigKey::SocketTimeoutMs,
            "sink.wait.for.continue.timeout.ms" => ConfigKey::WaitForContinueTimeoutMs,
            "sink.load.timeout.ms" => ConfigKey::LoadTimeoutMs,
            "sink.chunk.limit" => ConfigKey::ChunkLimit,
            "sink.merge.commit.chunk.size" => ConfigKey::MergeCommitChunkSize,
            "sink.merge.commit.max.concurrent.requests" => {
                ConfigKey::MergeCommitMaxConcurrentRequests
            }
            "sink.check.label.state.timeout.ms" => ConfigKey::LabelStateTimeoutMs,
            "sink.publish.timeout.ms" => ConfigKey::PublishTimeoutMs,
            // The vendor's own keys come first: a shared key never shadows one.
            _ => match CommonKey::classify(key)? {
                Some(common) => ConfigKey::Common(common),
                None => return Err(unknown_key(key, crate::BACKEND)),
            },
        };
        Ok(parsed)
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
