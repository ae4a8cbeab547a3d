//! [`StarRocksBuilder`]: the one place where a configuration is validated and a protocol built.
//!
//! Setters never fail; `build()` checks everything at once (addresses, label prefix, merge-commit
//! options, the mode against the delivery guarantee) so a bad option is reported before anything
//! is sent. `connect()` additionally resolves `sink.version = AUTO` against the server.

use std::time::Duration;

use streamload_core::http::PemSource;
use streamload_core::{Error, ErrorKind, Result, Table};

use crate::BACKEND;
use crate::config::Mode;
use crate::config::{Semantic, SinkVersion, StarRocksConfig};
use crate::protocol::StarRocksProtocol;
use crate::version::ServerVersion;

/// Environment variables read by [`StarRocksBuilder::from_env`], with their option keys.
const ENV_KEYS: &[(&str, &str)] = &[
    ("STARROCKS_LOAD_URL", "load-url"),
    ("STARROCKS_JDBC_URL", "jdbc-url"),
    ("STARROCKS_DATABASE", "database-name"),
    ("STARROCKS_TABLE", "table-name"),
    ("STARROCKS_USER", "username"),
    ("STARROCKS_PASSWORD", "password"),
    ("STARROCKS_VERSION", "sink.version"),
    ("STARROCKS_SEMANTIC", "sink.semantic"),
    ("STARROCKS_LABEL_PREFIX", "sink.label-prefix"),
];

/// Builds a [`StarRocksProtocol`].
#[derive(Debug, Clone, Default)]
pub struct StarRocksBuilder {
    config: StarRocksConfig,
}

impl StarRocksBuilder {
    /// A builder with the connector's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts from a configuration (for example [`StarRocksConfig::from_options`]).
    pub fn from_config(config: StarRocksConfig) -> Self {
        Self { config }
    }

    /// Reads `STARROCKS_LOAD_URL`, `STARROCKS_JDBC_URL`, `STARROCKS_DATABASE`, `STARROCKS_TABLE`,
    /// `STARROCKS_USER`, `STARROCKS_PASSWORD`, `STARROCKS_VERSION`, `STARROCKS_SEMANTIC` and
    /// `STARROCKS_LABEL_PREFIX`; unset variables keep their defaults.
    pub fn from_env() -> Result<Self> {
        let mut config = StarRocksConfig::default();
        for (var, key) in ENV_KEYS {
            if let Ok(value) = std::env::var(var) {
                config
                    .set_option(key, &value)
                    .map_err(|e| e.with_context("env", var))?;
            }
        }
        Ok(Self { config })
    }

    /// FE addresses (`host:port` or URLs), tried in order.
    pub fn with_load_urls<I: IntoIterator<Item = S>, S: Into<String>>(mut self, urls: I) -> Self {
        self.config.load_urls = urls.into_iter().map(Into::into).collect();
        self
    }

    /// The MySQL-protocol address (`jdbc:mysql://host:9030` or `host:9030`).
    pub fn with_jdbc_url(mut self, url: impl Into<String>) -> Self {
        self.config.jdbc_url = Some(url.into());
        self
    }

    /// User name and password.
    pub fn with_credentials(
        mut self,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.config.username = user.into();
        self.config.password = password.into();
        self
    }

    /// Default target table.
    pub fn with_table(mut self, table: Table) -> Self {
        self.config.database = table.db;
        self.config.table = table.name;
        self
    }

    /// The load interface.
    pub fn with_version(mut self, version: SinkVersion) -> Self {
        self.config.version = version;
        self
    }

    /// The delivery guarantee.
    pub fn with_semantic(mut self, semantic: Semantic) -> Self {
        self.config.semantic = semantic;
        self
    }

    /// The label prefix.
    pub fn with_label_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.config.label_prefix = prefix.into();
        self
    }

    /// One Stream Load header (`sink.properties.<key>`).
    pub fn with_property(mut self, key: impl AsRef<str>, value: impl Into<String>) -> Self {
        self.config
            .properties
            .insert(key.as_ref().to_ascii_lowercase(), value.into());
        self
    }

    /// Sets one option by its connector key (`load-url`, `sink.label-prefix`, …); a bad key or
    /// value is an error naming the key.
    pub fn with_option(mut self, key: &str, value: &str) -> Result<Self> {
        self.config.set_option(key, value)?;
        Ok(self)
    }

    /// Sets options by their connector keys (see [`with_option`](Self::with_option)).
    pub fn with_options<K: AsRef<str>, V: AsRef<str>>(
        mut self,
        options: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self> {
        for (key, value) in options {
            self.config.set_option(key.as_ref(), value.as_ref())?;
        }
        Ok(self)
    }

    /// Hosts that may receive credentials after a redirect, besides the FEs and the BEs the
    /// cluster reports (replaces the list).
    pub fn with_allowed_hosts<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        hosts: I,
    ) -> Self {
        self.config.allowed_hosts = hosts.into_iter().map(Into::into).collect();
        self
    }

    /// Adds one host to [`with_allowed_hosts`](Self::with_allowed_hosts)'s list.
    pub fn with_allowed_host(mut self, host: impl Into<String>) -> Self {
        self.config.allowed_hosts.push(host.into());
        self
    }

    /// Rewrite `127.0.0.1`/`localhost` redirect targets to the FE's host.
    pub fn with_rewrite_localhost(mut self, on: bool) -> Self {
        self.config.rewrite_localhost = on;
        self
    }

    /// Reaches every FE and BE over `https://`, whatever scheme its address has
    /// (`doris.enable.tls`); needs the `rustls` feature.
    pub fn with_tls(mut self, on: bool) -> Self {
        self.config.tls.enabled = on;
        self
    }

    /// Trusts a PEM CA bundle (a path, or the PEM bytes as `Vec<u8>` / `&[u8]`), besides the
    /// system roots unless [`with_system_roots`](Self::with_system_roots)`(false)`.
    pub fn with_ca_certificate(mut self, ca: impl Into<PemSource>) -> Self {
        self.config.tls.ca_certificates.push(ca.into());
        self
    }

    /// Whether the system roots are trusted besides the CA bundles (default `true`).
    pub fn with_system_roots(mut self, on: bool) -> Self {
        self.config.tls.system_roots = on;
        self
    }

    /// Presents a PEM certificate chain and its private key (paths or bytes) to servers that
    /// require mutual TLS.
    pub fn with_client_identity(
        mut self,
        certificate: impl Into<PemSource>,
        key: impl Into<PemSource>,
    ) -> Self {
        self.config.tls.client_certificate = Some(certificate.into());
        self.config.tls.client_key = Some(key.into());
        self
    }

    /// Checks that a server certificate names the host (default). `false` accepts a
    /// certificate for another name signed by a configured CA, with a warning; the system
    /// roots are then not trusted.
    pub fn with_tls_hostname_verification(mut self, on: bool) -> Self {
        self.config.tls.verify_hostname = on;
        self
    }

    /// TCP connect timeout (`sink.connect.timeout-ms`).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout_ms = millis(timeout);
        self
    }

    /// Per-read timeout (`sink.socket.timeout-ms`; none by default).
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.config.socket_timeout_ms = Some(millis(timeout));
        self
    }

    /// Deadline of one whole load request (`sink.load.timeout-ms`; none by default).
    pub fn with_load_timeout(mut self, timeout: Duration) -> Self {
        self.config.load_timeout_ms = Some(millis(timeout));
        self
    }

    /// Retries of one load after the first attempt (`sink.max-retries`).
    pub fn with_max_retries(mut self, retries: u32) -> Self {
        self.config.max_retries = Some(retries);
        self
    }

    /// The configuration so far.
    pub fn config(&self) -> &StarRocksConfig {
        &self.config
    }

    /// Validates and builds. `AUTO` becomes V2 here, as the connector does for at-least-once;
    /// use [`StarRocksBuilder::connect`] to ask the server.
    pub fn build(self) -> Result<StarRocksProtocol> {
        let mode = self.validate()?.unwrap_or(Mode::V2);
        StarRocksProtocol::new(self.config, mode)
    }

    /// Validates, resolves `AUTO` (server version over `jdbc-url`, else the begin probe) and
    /// builds.
    /// With a `jdbc-url`, also checks the features in use against the server version.
    pub async fn connect(self) -> Result<StarRocksProtocol> {
        let validated = self.validate()?;
        let version = match crate::metadata::server_version(&self.config).await {
            Ok(version) => version,
            Err(e) => {
                tracing::debug!(backend = BACKEND, error = %e, "version query failed");
                None
            }
        };
        if let Some(version) = &version {
            check_features(&self.config, version)?;
        }
        let mode = match validated {
            Some(mode) => mode,
            None => detect(&self.config, version.as_ref()).await?,
        };
        StarRocksProtocol::new(self.config, mode)
    }

    /// Checks the configuration; returns the mode unless it needs detection.
    fn validate(&self) -> Result<Option<Mode>> {
        let c = &self.config;
        if c.load_urls.is_empty() {
            return Err(config_error(
                "load-url",
                "at least one FE address is required",
            ));
        }
        for url in &c.load_urls {
            crate::client::parse_node(url).map_err(|e| e.with_context("key", "load-url"))?;
        }
        if let Some(jdbc) = &c.jdbc_url {
            crate::metadata::parse_jdbc(jdbc)?;
        }
        streamload_core::LabelGenerator::new(
            c.label_prefix.clone(),
            "0",
            crate::capabilities::LABEL_FORMAT,
        )
        .map_err(|e| e.with_context("key", "sink.label-prefix"))?;
        if let Some(value) = c.property("compression")
            && !value.eq_ignore_ascii_case("lz4_frame")
        {
            return Err(config_error(
                "sink.properties.compression",
                "only lz4_frame is supported",
            ));
        }
        if let Some(mode) = c.property("partial_update_mode")
            && !["row", "column", "auto"].contains(&mode.to_ascii_lowercase().as_str())
        {
            return Err(config_error(
                "sink.properties.partial_update_mode",
                "expected row, column or auto",
            ));
        }
        if c.wait_for_continue_timeout_ms == 0 || c.connect_timeout_ms == 0 {
            return Err(config_error(
                "sink.connect.timeout-ms",
                "timeouts must be positive",
            ));
        }
        if c.merge_commit_enabled() {
            let interval = c
                .property("merge_commit_interval_ms")
                .and_then(|v| v.parse::<u64>().ok());
            if interval.is_none_or(|ms| ms == 0) {
                return Err(config_error(
                    "sink.properties.merge_commit_interval_ms",
                    "merge commit needs a positive merge_commit_interval_ms",
                ));
            }
            if c.semantic == Semantic::ExactlyOnce {
                return Err(config_error(
                    "sink.semantic",
                    "merge commit is at-least-once only",
                ));
            }
            if c.property("merge_condition").is_some() {
                return Err(config_error(
                    "sink.properties.merge_condition",
                    "merge_condition works with V1 Stream Load only, not with merge commit \
                     (sink.properties.enable_merge_commit)",
                ));
            }
            return Ok(Some(Mode::MergeCommit));
        }
        match (c.version, c.semantic) {
            (SinkVersion::V1, Semantic::ExactlyOnce) => Err(config_error(
                "sink.version",
                "exactly-once needs transaction Stream Load (V2 or AUTO)",
            )),
            (SinkVersion::V2, _) if c.property("merge_condition").is_some() => Err(config_error(
                "sink.properties.merge_condition",
                "merge_condition works with V1 Stream Load only (sink.version = V1)",
            )),
            (SinkVersion::V1, _) => Ok(Some(Mode::V1)),
            (SinkVersion::V2, _) => Ok(Some(Mode::V2)),
            (SinkVersion::Auto, _) if c.property("merge_condition").is_some() => Ok(Some(Mode::V1)),
            (SinkVersion::Auto, _) => Ok(None),
        }
    }
}

/// `AUTO`: V2 when the server supports transaction Stream Load, else V1.
async fn detect(config: &StarRocksConfig, version: Option<&ServerVersion>) -> Result<Mode> {
    let by_version = version.map(ServerVersion::supports_transactions);
    let supported = match by_version {
        Some(supported) => supported,
        None => {
            let client = crate::client::HttpClient::new(config)?;
            crate::version::probe_transactions(&client).await
        }
    };
    if !supported && config.semantic == Semantic::ExactlyOnce {
        return Err(config_error(
            "sink.semantic",
            "exactly-once needs transaction Stream Load, which this server lacks",
        ));
    }
    Ok(if supported { Mode::V2 } else { Mode::V1 })
}

/// Refuses features the server is too old for (reference §7), warns where it only ignores them.
fn check_features(c: &StarRocksConfig, version: &ServerVersion) -> Result<()> {
    let json = c
        .property("format")
        .is_some_and(|f| f.eq_ignore_ascii_case("json"));
    if json && c.property("compression").is_some() && !version.supports_json_compression() {
        let message = format!("JSON compression needs StarRocks 3.2.7 or newer (server {version})");
        return Err(config_error("sink.properties.compression", &message));
    }
    if c.merge_commit_enabled() && !version.supports_merge_commit() {
        let message = format!("merge commit needs StarRocks 3.4.0 or newer (server {version})");
        return Err(config_error(
            "sink.properties.enable_merge_commit",
            &message,
        ));
    }
    if c.property("prepared_timeout").is_some() && !version.supports_prepared_timeout() {
        tracing::warn!(backend = BACKEND, %version, "prepared_timeout needs StarRocks 3.5.4; the server default applies");
    }
    Ok(())
}

fn config_error(key: &str, message: &str) -> Error {
    Error::new(ErrorKind::Config, format!("{key}: {message}"))
        .with_context("backend", BACKEND)
        .with_context("key", key)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
#[path = "builder_tests.rs"]
mod tests;
