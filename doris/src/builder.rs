//! [`DorisBuilder`]: chained setters, `DORIS_*` environment variables, and `build()`, the one
//! place where the whole configuration is validated.

use std::time::Duration;

use streamload_core::http::PemSource;
use streamload_core::options::CommonKey;
use streamload_core::{Error, ErrorKind, LabelGenerator, Result, Table};

use crate::BACKEND;
use crate::capabilities::DORIS_LABEL_FORMAT;
use crate::config::{ConfigKey, DorisConfig, GroupCommitMode};
use crate::nodes::parse_node;
use crate::protocol::DorisProtocol;

/// Builds a [`DorisProtocol`].
///
/// ```
/// use streamload_doris::DorisBuilder;
///
/// let doris = DorisBuilder::new()
///     .with_fe_nodes(["127.0.0.1:8030"])
///     .with_credentials("root", "")
///     .with_label_prefix("orders_job")
///     .build()?;
/// # Ok::<(), streamload_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct DorisBuilder {
    config: DorisConfig,
}

impl DorisBuilder {
    /// Default settings (two-phase commit, auto-redirect through the FE).
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts from a configuration (for example [`DorisConfig::from_options`]).
    pub fn from_config(config: DorisConfig) -> Self {
        Self { config }
    }

    /// Settings from `DORIS_*` variables: `DORIS_FENODES`, `DORIS_USERNAME`, `DORIS_PASSWORD`,
    /// `DORIS_TABLE`, `DORIS_LABEL_PREFIX`, …, and `DORIS_PROPERTY_{NAME}` for Stream Load headers.
    /// Variables that name no option (such as `DORIS_HOME`) are ignored; a bad value is an error
    /// naming its variable.
    pub fn from_env() -> Result<Self> {
        Self::from_vars(std::env::vars())
    }

    fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        let mut builder = Self::new();
        for (name, value) in vars {
            let Some(rest) = name.strip_prefix("DORIS_") else {
                continue;
            };
            let key = match rest.strip_prefix("PROPERTY_") {
                Some(property) => {
                    ConfigKey::Common(CommonKey::Property(property.to_ascii_lowercase()))
                }
                None => match rest.parse::<ConfigKey>() {
                    Ok(ConfigKey::Common(CommonKey::Ignored(_))) | Err(_) => continue,
                    Ok(key) => key,
                },
            };
            key.apply_as(&name, &mut builder.config, &value)?;
        }
        Ok(builder)
    }

    /// Sets one option by its key.
    pub fn with_config(mut self, key: ConfigKey, value: &str) -> Result<Self> {
        key.apply(&mut self.config, value)?;
        Ok(self)
    }

    /// Sets one option by its Flink key (`fenodes`, `sink.label-prefix`, …); a bad key or value
    /// is an error naming the key.
    pub fn with_option(mut self, key: &str, value: &str) -> Result<Self> {
        self.config.set(key, value)?;
        Ok(self)
    }

    /// Sets options by their Flink keys (see [`with_option`](Self::with_option)).
    pub fn with_options<K: AsRef<str>, V: AsRef<str>>(
        mut self,
        options: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self> {
        for (key, value) in options {
            self.config.set(key.as_ref(), value.as_ref())?;
        }
        Ok(self)
    }

    /// FE HTTP addresses, tried in order.
    pub fn with_fe_nodes<S: Into<String>>(mut self, nodes: impl IntoIterator<Item = S>) -> Self {
        self.config.fe_nodes = nodes.into_iter().map(Into::into).collect();
        self
    }

    /// BE HTTP addresses for BE-direct writes (turns auto-redirect off).
    pub fn with_be_nodes<S: Into<String>>(mut self, nodes: impl IntoIterator<Item = S>) -> Self {
        self.config.be_nodes = nodes.into_iter().map(Into::into).collect();
        self.config.auto_redirect = false;
        self
    }

    /// `true` (default): load through the FE's redirect; `false`: BE-direct or discovered BEs.
    pub fn with_auto_redirect(mut self, on: bool) -> Self {
        self.config.auto_redirect = on;
        self
    }

    /// User and password.
    pub fn with_credentials(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.config.username = username.into();
        self.config.password = password.into();
        self
    }

    /// The default table (`table.identifier`).
    pub fn with_table(mut self, table: Table) -> Self {
        self.config.table = Some(table);
        self
    }

    /// Label prefix; with two-phase commit it must be unique per job.
    pub fn with_label_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.config.label_prefix = prefix.into();
        self
    }

    /// The writer id in labels (one per parallel writer).
    pub fn with_writer_id(mut self, writer: impl Into<String>) -> Self {
        self.config.writer_id = writer.into();
        self
    }

    /// Two-phase commit on (default) or off (then batch mode).
    pub fn with_two_phase_commit(mut self, on: bool) -> Self {
        self.config.enable_2pc = on;
        self
    }

    /// Batch mode: one load per batch, at-least-once.
    pub fn with_batch_mode(mut self, on: bool) -> Self {
        self.config.batch_mode = on;
        self
    }

    /// Group commit: the server batches loads; no label, at-least-once.
    pub fn with_group_commit(self, mode: GroupCommitMode) -> Self {
        self.with_property("group_commit", mode.as_header())
    }

    /// A Stream Load header, sent verbatim (`sink.properties.*`).
    pub fn with_property(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.properties.insert(name.into(), value.into());
        self
    }

    /// Carry deletes on UNIQUE KEY tables (default true).
    pub fn with_enable_delete(mut self, on: bool) -> Self {
        self.config.enable_delete = on;
        self
    }

    /// Skip update-before images (default true).
    pub fn with_ignore_update_before(mut self, on: bool) -> Self {
        self.config.ignore_update_before = on;
        self
    }

    /// The source column feeding the table's sequence column (`function_column.sequence_col`).
    pub fn with_sequence_column(self, column: impl Into<String>) -> Self {
        self.with_property("function_column.sequence_col", column)
    }

    /// Partial-column update of a UNIQUE KEY (merge-on-write) table: only `columns` are written.
    pub fn with_partial_columns<S: AsRef<str>>(self, columns: impl IntoIterator<Item = S>) -> Self {
        let list: Vec<String> = columns.into_iter().map(|c| c.as_ref().to_owned()).collect();
        self.with_property("partial_columns", "true")
            .with_property("columns", list.join(","))
    }

    /// Connect timeout.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Per-read timeout, also the wait for a load's answer after its body ended.
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.config.read_timeout = timeout;
        self
    }

    /// Deadline of one whole load.
    pub fn with_load_timeout(mut self, timeout: Duration) -> Self {
        self.config.load_timeout = Some(timeout);
        self
    }

    /// Hosts that may receive credentials after a redirect, besides the FE / BE nodes and the
    /// BEs the cluster reports (replaces the list).
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

    /// Rewrite a loopback BE in a redirect to the FE's host (single-node containers).
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

    /// Whether the server aborts by label (Doris 2.1+, default); otherwise recovery probes.
    pub fn with_abort_by_label(mut self, on: bool) -> Self {
        self.config.abort_by_label = on;
        self
    }

    /// Retries of a commit or abort across nodes.
    pub fn with_max_retries(mut self, retries: u32) -> Self {
        self.config.max_retries = Some(retries);
        self
    }

    /// Chunks queued between writer and HTTP body (memory bound of a streaming load).
    pub fn with_buffer_count(mut self, count: usize) -> Self {
        self.config.buffer_count = count;
        self
    }

    /// The settings so far.
    pub fn config(&self) -> &DorisConfig {
        &self.config
    }

    /// Validates every setting and builds the protocol.
    pub fn build(self) -> Result<DorisProtocol> {
        validate(&self.config).map_err(|e| e.with_context("backend", BACKEND))?;
        DorisProtocol::new(self.config)
    }
}

fn config_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Config, message)
}

fn validate(c: &DorisConfig) -> Result<()> {
    if c.fe_nodes.is_empty() && (c.auto_redirect || c.be_nodes.is_empty()) {
        return Err(config_error(
            "fenodes is empty: set at least one FE address",
        ));
    }
    for node in &c.fe_nodes {
        parse_node(node, "fenodes")?;
    }
    for node in &c.be_nodes {
        parse_node(node, "benodes")?;
    }
    if c.username.is_empty() {
        return Err(config_error("username is empty"));
    }
    LabelGenerator::new(
        c.label_prefix.clone(),
        c.writer_id.clone(),
        DORIS_LABEL_FORMAT,
    )?;
    for (name, value) in [
        ("connect timeout", c.connect_timeout),
        ("read timeout", c.read_timeout),
    ] {
        if value.is_zero() {
            return Err(config_error(format!("{name} must be greater than zero")));
        }
    }
    if c.buffer_count == 0 {
        return Err(config_error("buffer count must be at least 1"));
    }
    if let Some(mode) = c.property("group_commit")
        && !["sync_mode", "async_mode", "off_mode"].contains(&mode.to_ascii_lowercase().as_str())
    {
        return Err(config_error(format!(
            "property group_commit = {mode:?}: expected sync_mode, async_mode or off_mode"
        )));
    }
    if c.property("partial_columns")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        && c.property("columns").is_none()
    {
        return Err(config_error(
            "partial_columns needs the columns property (the updated columns, all key columns included)",
        ));
    }
    if let Some(kind) = c.property("compress_type")
        && !["gz", "lz4"].contains(&kind.to_ascii_lowercase().as_str())
    {
        return Err(config_error(format!(
            "property compress_type = {kind:?}: this client writes gz or lz4 (frame) bodies"
        )));
    }
    if let Some(ratio) = c.property("max_filter_ratio") {
        match ratio.parse::<f64>() {
            Ok(r) if (0.0..=1.0).contains(&r) => {}
            _ => {
                return Err(config_error(format!(
                    "property max_filter_ratio = {ratio:?}: expected 0..1"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "builder_tests.rs"]
mod tests;
