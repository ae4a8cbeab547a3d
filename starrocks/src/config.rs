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
use streamload_core::{Error, ErrorKind, Result};

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
    /// separated). Empty: the hosts the configured FEs redirect to.
    pub allowed_hosts: Vec<String>,
    /// Replace `127.0.0.1`/`localhost` in redirect targets with the host of the FE that answered
    /// (`sink.redirect.rewrite-localhost`), for clusters in containers.
    pub rewrite_localhost: bool,
    /// Stream Load headers (`sink.properties.*`), keys lower-cased.
    pub properties: BTreeMap<String, String>,
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
            let key_text = key.as_ref();
            let parsed: ConfigKey = key_text.parse()?;
            config
                .set(parsed, value.as_ref())
                .map_err(|e| e.with_context("key", key_text))?;
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
        let v = value.trim();
        match key {
            ConfigKey::LoadUrl => {
                self.load_urls = v
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            ConfigKey::JdbcUrl => self.jdbc_url = Some(v.to_owned()),
            ConfigKey::DatabaseName => self.database = v.to_owned(),
            ConfigKey::TableName => self.table = v.to_owned(),
            ConfigKey::Username => self.username = v.to_owned(),
            ConfigKey::Password => self.password = value.to_owned(),
            ConfigKey::Version => {
                self.version = match v.to_ascii_uppercase().as_str() {
                    "V1" => SinkVersion::V1,
                    "V2" => SinkVersion::V2,
                    "AUTO" => SinkVersion::Auto,
                    _ => return Err(bad_value(v, "V1, V2 or AUTO")),
                }
            }
            ConfigKey::Semantic => {
                self.semantic = match v.to_ascii_lowercase().as_str() {
                    "at-least-once" | "at_least_once" => Semantic::AtLeastOnce,
                    "exactly-once" | "exactly_once" => Semantic::ExactlyOnce,
                    _ => return Err(bad_value(v, "at-least-once or exactly-once")),
                }
            }
            ConfigKey::LabelPrefix => self.label_prefix = v.to_owned(),
            ConfigKey::BufferFlushMaxBytes => self.buffer_flush_max_bytes = Some(number(v)?),
            ConfigKey::BufferFlushMaxRows => self.buffer_flush_max_rows = Some(number(v)?),
            ConfigKey::BufferFlushIntervalMs => {
                self.buffer_flush_interval_ms = Some(number(v)?);
            }
            ConfigKey::MaxRetries => self.max_retries = Some(number(v)?),
            ConfigKey::RetryIntervalMs => self.retry_interval_ms = Some(number(v)?),
            ConfigKey::ConnectTimeoutMs => self.connect_timeout_ms = number(v)?,
            ConfigKey::SocketTimeoutMs => self.socket_timeout_ms = optional_ms(v)?,
            ConfigKey::WaitForContinueTimeoutMs => self.wait_for_continue_timeout_ms = number(v)?,
            ConfigKey::LoadTimeoutMs => self.load_timeout_ms = optional_ms(v)?,
            ConfigKey::ChunkLimit => self.chunk_limit_bytes = number(v)?,
            ConfigKey::MergeCommitChunkSize => self.merge_commit_chunk_size = number(v)?,
            ConfigKey::MergeCommitMaxConcurrentRequests => {
                self.merge_commit_max_concurrent_requests = number(v)?
            }
            ConfigKey::LabelStateTimeoutMs => self.label_state_timeout_ms = optional_ms(v)?,
            ConfigKey::PublishTimeoutMs => self.publish_timeout_ms = optional_ms(v)?,
            ConfigKey::IgnoreUpdateBefore => self.ignore_update_before = boolean(v)?,
            ConfigKey::AllowedHosts => {
                self.allowed_hosts = v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            ConfigKey::RewriteLocalhost => self.rewrite_localhost = boolean(v)?,
            ConfigKey::Property(name) => {
                self.properties.insert(name, value.to_owned());
            }
        }
        Ok(())
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
    /// `username`
    Username,
    /// `password`
    Password,
    /// `sink.version`
    Version,
    /// `sink.semantic`
    Semantic,
    /// `sink.label-prefix`
    LabelPrefix,
    /// `sink.buffer-flush.max-bytes`
    BufferFlushMaxBytes,
    /// `sink.buffer-flush.max-rows`
    BufferFlushMaxRows,
    /// `sink.buffer-flush.interval-ms`
    BufferFlushIntervalMs,
    /// `sink.max-retries`
    MaxRetries,
    /// `sink.retry.interval-ms`
    RetryIntervalMs,
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
    /// `sink.ignore.update-before`
    IgnoreUpdateBefore,
    /// `sink.allowed-hosts`
    AllowedHosts,
    /// `sink.redirect.rewrite-localhost`
    RewriteLocalhost,
    /// `sink.properties.<name>`: a Stream Load header (name lower-cased).
    Property(String),
}

impl FromStr for ConfigKey {
    type Err = Error;

    fn from_str(key: &str) -> Result<Self> {
        let lower = key.trim().to_ascii_lowercase();
        if let Some(name) = lower.strip_prefix("sink.properties.") {
            if name.is_empty() {
                return Err(
                    Error::new(ErrorKind::Config, "empty sink.properties.* name")
                        .with_context("key", key),
                );
            }
            return Ok(ConfigKey::Property(name.to_owned()));
        }
        let parsed = match lower.as_str() {
            "load-url" | "load_url" | "fenodes" => ConfigKey::LoadUrl,
            "jdbc-url" | "jdbc_url" => ConfigKey::JdbcUrl,
            "database-name" | "database" | "db" => ConfigKey::DatabaseName,
            "table-name" | "table" => ConfigKey::TableName,
            "username" | "user" => ConfigKey::Username,
            "password" => ConfigKey::Password,
            "sink.version" => ConfigKey::Version,
            "sink.semantic" => ConfigKey::Semantic,
            "sink.label-prefix" | "label-prefix" => ConfigKey::LabelPrefix,
            "sink.buffer-flush.max-bytes" => ConfigKey::BufferFlushMaxBytes,
            "sink.buffer-flush.max-rows" => ConfigKey::BufferFlushMaxRows,
            "sink.buffer-flush.interval-ms" => ConfigKey::BufferFlushIntervalMs,
            "sink.max-retries" => ConfigKey::MaxRetries,
            "sink.retry.interval-ms" => ConfigKey::RetryIntervalMs,
            "sink.connect.timeout-ms" => ConfigKey::ConnectTimeoutMs,
            "sink.socket.timeout-ms" => ConfigKey::SocketTimeoutMs,
            "sink.wait-for-continue.timeout-ms" => ConfigKey::WaitForContinueTimeoutMs,
            "sink.load.timeout-ms" => ConfigKey::LoadTimeoutMs,
            "sink.chunk-limit" => ConfigKey::ChunkLimit,
            "sink.merge-commit.chunk.size" => ConfigKey::MergeCommitChunkSize,
            "sink.merge-commit.max-concurrent-requests" => {
                ConfigKey::MergeCommitMaxConcurrentRequests
            }
            "sink.check-label-state.timeout-ms" => ConfigKey::LabelStateTimeoutMs,
            "sink.publish-timeout.ms" => ConfigKey::PublishTimeoutMs,
            "sink.ignore.update-before" => ConfigKey::IgnoreUpdateBefore,
            "sink.allowed-hosts" => ConfigKey::AllowedHosts,
            "sink.redirect.rewrite-localhost" => ConfigKey::RewriteLocalhost,
            _ => {
                return Err(
                    Error::new(ErrorKind::Config, format!("unknown option key {key:?}"))
                        .with_context("key", key),
                );
            }
        };
        Ok(parsed)
    }
}

fn bad_value(value: &str, expected: &str) -> Error {
    Error::new(
        ErrorKind::Config,
        format!("invalid value {value:?}: expected {expected}"),
    )
}

fn number<T: FromStr>(v: &str) -> Result<T> {
    v.parse().map_err(|_| bad_value(v, "a number"))
}

fn optional_ms(v: &str) -> Result<Option<u64>> {
    if v.starts_with('-') {
        let n: i64 = number(v)?;
        return if n < 0 {
            Ok(None)
        } else {
            Err(bad_value(v, "-1 or a duration"))
        };
    }
    number(v).map(Some)
}

fn boolean(v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad_value(v, "true or false")),
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
