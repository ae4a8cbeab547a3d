//! [`StarRocksSink`]: one option map → a ready `streamload_core::Sink<StarRocksProtocol>`.
//!
//! The Flink connector takes a single `WITH (...)` map that mixes buffering keys (core's) with
//! connection and Stream Load keys (ours). This builder feeds every key to both parsers, derives
//! the body format the `Sink` encodes from `sink.properties.format` / `column_separator` /
//! `row_delimiter` / `compression`, and fails on a key neither side knows. What was set on a
//! protocol builder given with `with_protocol` (exactly-once, flush triggers, retries,
//! update-before handling) carries over to the `Sink` as well.

use streamload_core::{
    Checkpoint, Compression, CsvFormat, Delivery, Error, ErrorKind, Format, JsonFormat, Result,
    Sink, SinkConfig, SinkConfigBuilder,
};

use crate::BACKEND;
use crate::builder::StarRocksBuilder;
use crate::config::{ConfigKey, Semantic, StarRocksConfig};
use crate::protocol::StarRocksProtocol;

/// Entry point: `StarRocksSink::builder()`.
#[derive(Debug, Clone, Copy)]
pub struct StarRocksSink;

impl StarRocksSink {
    /// A builder for a StarRocks `Sink`.
    pub fn builder() -> StarRocksSinkBuilder {
        StarRocksSinkBuilder::default()
    }
}

/// Builds a `Sink<StarRocksProtocol>` from Flink connector options (or explicit setters).
#[derive(Debug, Clone, Default)]
pub struct StarRocksSinkBuilder {
    protocol: StarRocksBuilder,
    sink: SinkConfigBuilder,
}

impl StarRocksSinkBuilder {
    /// Applies connector options (`load-url`, `sink.semantic`, `sink.properties.*`, …).
    pub fn with_flink_options<K, V>(
        mut self,
        options: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut config = self.protocol.config().clone();
        self.sink = self
            .sink
            .with_connector_options(options, BACKEND, |key, value| {
                if key.parse::<ConfigKey>().is_err() {
                    return Ok(false);
                }
                config.set_option(key, value)?;
                Ok(true)
            })?;
        self.protocol = StarRocksBuilder::from_config(config);
        Ok(self)
    }

    /// Replaces the protocol builder (addresses, credentials, mode).
    pub fn with_protocol(mut self, protocol: StarRocksBuilder) -> Self {
        self.protocol = protocol;
        self
    }

    /// Replaces the core `Sink` settings (delivery, buffers, retries, writer id).
    pub fn with_sink_config(mut self, sink: SinkConfigBuilder) -> Self {
        self.sink = sink;
        self
    }

    /// Sets the writer id that tells parallel writers' labels apart.
    pub fn with_writer_id(mut self, writer: impl Into<String>) -> Self {
        self.sink = self.sink.with_writer_id(writer);
        self
    }

    fn configs(self) -> Result<(StarRocksBuilder, SinkConfig)> {
        let format = body_format(self.protocol.config())?;
        let (format, compression) = format;
        let own = self.protocol.config();
        let mut sink = self.sink.with_format(format).with_compression(compression);
        // Settings made on the protocol's side (`StarRocksBuilder::with_option`) apply too:
        // exactly-once there is never quietly at-least-once here.
        if own.semantic == Semantic::ExactlyOnce {
            sink = sink.with_delivery(Delivery::Checkpointed);
        }
        if !own.ignore_update_before {
            sink = sink.with_ignore_update_before(false);
        }
        let mut sink = sink
            .with_flush_triggers(
                own.buffer_flush_max_rows,
                own.buffer_flush_max_bytes,
                own.buffer_flush_interval_ms
                    .map(std::time::Duration::from_millis),
            )
            .build()?;
        if let Some(retries) = own.max_retries {
            sink.retry.max_retries = retries as usize;
        }
        if let Some(ms) = own.retry_interval_ms {
            let interval = std::time::Duration::from_millis(ms);
            (sink.retry.min_delay, sink.retry.max_delay) = (interval, interval);
        }
        let prefix = one_label_prefix(&self.protocol.config().label_prefix, &sink.label_prefix)?;
        sink.label_prefix.clone_from(&prefix);
        let protocol = self.protocol.with_label_prefix(prefix);
        let config = protocol.config();
        if config.merge_commit_enabled() {
            // A merge-commit request carries one batch: cap batches at the chunk size.
            sink.max_bytes = sink.max_bytes.min(config.merge_commit_chunk_size.max(1));
        }
        Ok((protocol, sink))
    }

    /// Builds the sink (`AUTO` becomes V2; see [`StarRocksBuilder::build`]).
    pub fn build(self) -> Result<Sink<StarRocksProtocol>> {
        let (protocol, sink) = self.configs()?;
        Sink::new(protocol.build()?, sink)
    }

    /// Builds the sink after asking the server which interface it supports.
    pub async fn connect(self) -> Result<Sink<StarRocksProtocol>> {
        let (protocol, sink) = self.configs()?;
        Sink::new(protocol.connect().await?, sink)
    }

    /// Exactly-once restart: commits what `checkpoint` prepared, rolls back what a crashed run
    /// left open, and returns a sink that continues the label sequence.
    pub async fn recover(self, checkpoint: Option<Checkpoint>) -> Result<Sink<StarRocksProtocol>> {
        let (protocol, sink) = self.configs()?;
        Sink::recover(protocol.connect().await?, sink, checkpoint).await
    }
}

/// The label prefix both halves use. Core's label generator (labels of batches, of recovery and
/// of `abort_lingering`) reads the `Sink`'s; a prefix given only to the protocol builder is
/// carried over instead of silently falling back to the default, and two different explicit
/// prefixes are refused rather than one being ignored.
fn one_label_prefix(protocol: &str, sink: &str) -> Result<String> {
    let default = StarRocksConfig::default().label_prefix;
    match (protocol, sink) {
        (p, s) if p == s => Ok(s.to_owned()),
        (p, s) if s == default => Ok(p.to_owned()),
        (p, s) if p == default => Ok(s.to_owned()),
        (p, s) => Err(Error::new(
            ErrorKind::Config,
            format!(
                "sink.label-prefix: the protocol builder says {p:?} and the sink config says \
                 {s:?}; set one label prefix"
            ),
        )
        .with_context("key", "sink.label-prefix")),
    }
}

/// The body the `Sink` encodes, from `sink.properties.*` (CSV by default; JSON as an array with
/// `strip_outer_array`, as the connector sends it).
fn body_format(config: &StarRocksConfig) -> Result<(Format, Compression)> {
    let compression = match config.property("compression") {
        Some(v) if v.eq_ignore_ascii_case("lz4_frame") => Compression::Lz4Frame,
        Some(v) => {
            return Err(
                Error::new(ErrorKind::Config, format!("unsupported compression {v:?}"))
                    .with_context("key", "sink.properties.compression"),
            );
        }
        None => Compression::None,
    };
    let format = match config
        .property("format")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("csv") => {
            let mut csv = CsvFormat::default();
            if let Some(sep) = config.property("column_separator") {
                csv.column_separator = unescape_separator(sep, "column_separator")?;
            }
            if let Some(delim) = config.property("row_delimiter") {
                csv.line_delimiter = unescape_separator(delim, "row_delimiter")?;
            }
            Format::Csv(csv)
        }
        Some("json") => Format::Json(JsonFormat::Array),
        Some(other) => {
            return Err(Error::new(
                ErrorKind::Config,
                format!("unsupported format {other:?}: csv or json"),
            )
            .with_context("key", "sink.properties.format"));
        }
    };
    Ok((format, compression))
}

/// `\x01` / `\x0D0A` (hex bytes after `\x`) or the literal text.
pub(crate) fn unescape_separator(text: &str, key: &str) -> Result<Vec<u8>> {
    let Some(hex) = text
        .strip_prefix("\\x")
        .or_else(|| text.strip_prefix("\\X"))
    else {
        if text.is_empty() {
            return Err(
                Error::new(ErrorKind::Config, format!("{key} must not be empty"))
                    .with_context("key", key),
            );
        }
        return Ok(text.as_bytes().to_vec());
    };
    if hex.is_empty() || hex.len() % 2 != 0 {
        return Err(Error::new(
            ErrorKind::Config,
            format!("{key}: bad hex separator {text:?}"),
        )
        .with_context("key", key));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| {
                Error::new(
                    ErrorKind::Config,
                    format!("{key}: bad hex separator {text:?}"),
                )
                .with_context("key", key)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamload_core::Delivery;

    #[test]
    fn one_option_map_configures_both_halves() {
        let builder = StarRocksSink::builder()
            .with_flink_options([
                ("load-url", "127.0.0.1:8030"),
                ("sink.semantic", "exactly-once"),
                ("sink.label-prefix", "job7"),
                ("sink.properties.column_separator", "\\x01"),
                ("sink.properties.row_delimiter", "\\x02"),
                ("sink.buffer-flush.interval-ms", "5000"),
            ])
            .unwrap();
        let (protocol, sink) = builder.configs().unwrap();
        assert_eq!(sink.delivery, Delivery::Checkpointed);
        assert_eq!(sink.label_prefix, "job7");
        let Format::Csv(csv) = &sink.format else {
            panic!("csv expected")
        };
        assert_eq!(csv.column_separator, [1]);
        assert_eq!(csv.line_delimiter, [2]);
        assert_eq!(protocol.config().load_urls, ["127.0.0.1:8030"]);
    }

    #[test]
    fn flush_and_retry_options_set_on_the_protocol_reach_the_sink() {
        let base = || StarRocksBuilder::new().with_load_urls(["127.0.0.1:8030"]);
        let (_, defaults) = StarRocksSink::builder()
            .with_protocol(base())
            .configs()
            .unwrap();
        let core = SinkConfig::builder().build().unwrap();
        assert_eq!(
            (
                defaults.max_bytes,
                defaults.max_rows,
                defaults.flush_interval
            ),
            (core.max_bytes, core.max_rows, core.flush_interval)
        );
        assert_eq!(defaults.retry, core.retry);
        let protocol = base()
            .with_option("sink.buffer-flush.max-bytes", "1048576")
            .and_then(|b| b.with_option("sink.buffer-flush.max-rows", "1000"))
            .and_then(|b| b.with_option("sink.buffer-flush.interval-ms", "2500"))
            .and_then(|b| b.with_option("sink.max-retries", "5"))
            .and_then(|b| b.with_option("sink.retry.interval-ms", "1500"))
            .unwrap();
        let (_, sink) = StarRocksSink::builder()
            .with_protocol(protocol)
            .configs()
            .unwrap();
        assert_eq!(
            (sink.max_bytes, sink.max_rows, sink.flush_interval),
            (1 << 20, 1000, std::time::Duration::from_millis(2500))
        );
        let pause = std::time::Duration::from_millis(1500);
        assert_eq!(
            (
                sink.retry.max_retries,
                sink.retry.min_delay,
                sink.retry.max_delay
            ),
            (5, pause, pause)
        );
    }

    #[test]
    fn exactly_once_and_update_before_set_on_the_protocol_reach_the_sink() {
        let base = || StarRocksBuilder::new().with_load_urls(["127.0.0.1:8030"]);
        let (_, defaults) = StarRocksSink::builder()
            .with_protocol(base())
            .configs()
            .unwrap();
        assert_eq!(defaults.delivery, Delivery::Batched);
        assert!(defaults.ignore_update_before);
        let protocol = base()
            .with_option("sink.semantic", "exactly-once")
            .and_then(|b| b.with_option("sink.ignore.update-before", "false"))
            .unwrap();
        let (_, sink) = StarRocksSink::builder()
            .with_protocol(protocol)
            .configs()
            .unwrap();
        assert_eq!(sink.delivery, Delivery::Checkpointed);
        assert!(!sink.ignore_update_before);
    }

    #[test]
    fn the_label_prefix_is_one_for_protocol_and_sink() {
        let base = || StarRocksBuilder::new().with_load_urls(["127.0.0.1:8030"]);
        let (protocol, sink) = StarRocksSink::builder()
            .with_protocol(base().with_label_prefix("job9"))
            .configs()
            .unwrap();
        assert_eq!(sink.label_prefix, "job9");
        assert_eq!(protocol.config().label_prefix, "job9");
        let (protocol, sink) = StarRocksSink::builder()
            .with_protocol(base())
            .with_sink_config(SinkConfig::builder().with_label_prefix("etl"))
            .configs()
            .unwrap();
        assert_eq!(sink.label_prefix, "etl");
        assert_eq!(protocol.config().label_prefix, "etl");
        let err = StarRocksSink::builder()
            .with_protocol(base().with_label_prefix("a"))
            .with_sink_config(SinkConfig::builder().with_label_prefix("b"))
            .configs()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(err.context("key"), Some("sink.label-prefix"));
    }

    #[test]
    fn unknown_keys_and_bad_formats_are_named() {
        let err = StarRocksSink::builder()
            .with_flink_options([("sink.bogus", "1")])
            .unwrap_err();
        assert_eq!(err.context("key"), Some("sink.bogus"));
        let err = StarRocksSink::builder()
            .with_flink_options([("load-url", "x:1"), ("sink.properties.format", "parquet")])
            .unwrap()
            .configs()
            .unwrap_err();
        assert_eq!(err.context("key"), Some("sink.properties.format"));
        assert!(unescape_separator("\\x0", "k").is_err());
        assert_eq!(unescape_separator("\\x0D0A", "k").unwrap(), b"\r\n");
    }
}
