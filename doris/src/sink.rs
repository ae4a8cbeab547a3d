//! [`DorisSink`]: one option map (or setters) → a ready `streamload_core::Sink<DorisProtocol>`.
//!
//! A Flink `WITH (...)` map mixes core's keys (buffers, retries, label prefix) with ours
//! (addresses, credentials, Stream Load properties). This builder feeds every key to both
//! parsers, keeps the shared ones (label prefix, writer id) equal on both sides, derives the
//! `Sink`'s delivery from the Doris mode and its body format from `sink.properties.format` /
//! `column_separator` / `line_delimiter` / `compress_type`, and fails on a key neither knows.

use streamload_core::{
    Checkpoint, Compression, CsvFormat, Delivery, Error, ErrorKind, Format, JsonFormat, Result,
    Sink, SinkConfig, SinkConfigBuilder,
};

use streamload_core::options::normalize_key;

use crate::BACKEND;
use crate::builder::DorisBuilder;
use crate::config::{ConfigKey, DorisConfig, DorisMode};
use crate::protocol::DorisProtocol;

/// Entry point: `DorisSink::builder()`.
#[derive(Debug, Clone, Copy)]
pub struct DorisSink;

impl DorisSink {
    /// A builder for a Doris `Sink`.
    pub fn builder() -> DorisSinkBuilder {
        DorisSinkBuilder::default()
    }
}

/// Builds a `Sink<DorisProtocol>` from Flink connector options or explicit builders.
#[derive(Debug, Default)]
pub struct DorisSinkBuilder {
    protocol: DorisBuilder,
    sink: SinkConfigBuilder,
}

impl DorisSinkBuilder {
    /// Applies Doris Flink connector options (`fenodes`, `sink.label-prefix`,
    /// `sink.enable-2pc`, `sink.properties.*`, `sink.buffer-flush.*`, …).
    pub fn with_flink_options<K, V>(
        mut self,
        options: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut protocol = std::mem::take(&mut self.protocol);
        self.sink = self
            .sink
            .with_connector_options(options, BACKEND, |key, value| {
                if normalize_key(key) == "sink.semantic" {
                    // Core's spelling of the delivery; the Doris mode follows it.
                    let exactly_once =
                        value.trim().to_ascii_lowercase().replace('_', "-") == "exactly-once";
                    protocol = std::mem::take(&mut protocol).with_two_phase_commit(exactly_once);
                }
                if key.parse::<ConfigKey>().is_err() {
                    return Ok(false);
                }
                protocol = std::mem::take(&mut protocol).with_option(key, value)?;
                Ok(true)
            })?;
        self.protocol = protocol;
        Ok(self)
    }

    /// Replaces the protocol builder (addresses, credentials, mode, Stream Load properties).
    pub fn with_protocol(mut self, protocol: DorisBuilder) -> Self {
        self.protocol = protocol;
        self
    }

    /// Replaces the core `Sink` settings (buffers, retries, memory budget). The delivery always
    /// follows the Doris mode, and the label prefix / writer id follow the protocol's when set.
    pub fn with_sink_config(mut self, sink: SinkConfigBuilder) -> Self {
        self.sink = sink;
        self
    }

    /// Label prefix on both sides.
    pub fn with_label_prefix(mut self, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        self.protocol = self.protocol.with_label_prefix(prefix.clone());
        self.sink = self.sink.with_label_prefix(prefix);
        self
    }

    /// Writer id on both sides (one per parallel writer).
    pub fn with_writer_id(mut self, writer: impl Into<String>) -> Self {
        let writer = writer.into();
        self.protocol = self.protocol.with_writer_id(writer.clone());
        self.sink = self.sink.with_writer_id(writer);
        self
    }

    fn configs(self) -> Result<(DorisProtocol, SinkConfig)> {
        let config = self.protocol.config().clone();
        let (format, compression) = body_format(&config)?;
        let delivery = match config.mode() {
            DorisMode::TwoPhaseCommit => Delivery::Checkpointed,
            DorisMode::Batch | DorisMode::GroupCommit(_) => Delivery::Batched,
        };
        let mut sink = self
            .sink
            .with_delivery(delivery)
            .with_format(format)
            .with_compression(compression)
            .with_enable_delete(config.enable_delete)
            .with_ignore_update_before(config.ignore_update_before)
            // Flush triggers set on the protocol's side (`DorisBuilder::with_options`) apply too.
            .with_flush_triggers(
                config.buffer_flush_max_rows,
                config.buffer_flush_max_bytes,
                config.buffer_flush_interval,
            );
        if let Some(retries) = config.max_retries {
            sink = sink.with_max_retries(retries as usize);
        }
        if !config.label_prefix.is_empty() {
            sink = sink.with_label_prefix(config.label_prefix.clone());
        }
        let mut sink = sink.with_writer_id(config.writer_id.clone()).build()?;
        if let Some(interval) = config.retry_interval {
            // A fixed pause, as the Java connector waits between retries.
            (sink.retry.min_delay, sink.retry.max_delay) = (interval, interval);
        }
        let protocol = self
            .protocol
            .with_label_prefix(sink.label_prefix.clone())
            .build()?;
        Ok((protocol, sink))
    }

    /// Builds the sink. In exactly-once mode prefer [`DorisSinkBuilder::recover`].
    pub fn build(self) -> Result<Sink<DorisProtocol>> {
        let (protocol, sink) = self.configs()?;
        Sink::new(protocol, sink)
    }

    /// Exactly-once restart: commits what `checkpoint` prepared, aborts what a crashed run left
    /// open (by label, or by the probing load on servers without abort-by-label), and returns a
    /// sink that continues the label sequence.
    pub async fn recover(self, checkpoint: Option<Checkpoint>) -> Result<Sink<DorisProtocol>> {
        let (protocol, sink) = self.configs()?;
        Sink::recover(protocol, sink, checkpoint).await
    }
}

/// The body the `Sink` encodes: CSV (default) or JSON lines, LZ4 frames compressed by the `Sink`
/// for `compress_type = lz4`; `gz` is applied by this crate's transaction.
fn body_format(config: &DorisConfig) -> Result<(Format, Compression)> {
    let compression = match config
        .property("compress_type")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("lz4") => Compression::Lz4Frame,
        None | Some("gz") => Compression::None,
        Some(other) => {
            return Err(Error::new(
                ErrorKind::Config,
                format!("unsupported compress_type {other:?}: gz or lz4"),
            )
            .with_context("key", "sink.properties.compress_type"));
        }
    };
    let format = match config
        .property("format")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("csv") => {
            let mut csv = CsvFormat::default();
            if let Some(sep) = config.property("column_separator") {
                csv.column_separator = unescape(sep, "sink.properties.column_separator")?;
            }
            if let Some(delim) = config.property("line_delimiter") {
                csv.line_delimiter = unescape(delim, "sink.properties.line_delimiter")?;
            }
            Format::Csv(csv)
        }
        Some("json")
            if config
                .property("strip_outer_array")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")) =>
        {
            Format::Json(JsonFormat::Array)
        }
        Some("json") => Format::Json(JsonFormat::Lines),
        Some("arrow") => Format::ArrowStream,
        Some(other) => {
            return Err(Error::new(
                ErrorKind::Config,
                format!("unsupported format {other:?}: csv, json or arrow"),
            )
            .with_context("key", "sink.properties.format"));
        }
    };
    Ok((format, compression))
}

/// A separator as Doris reads it: `\x01\x02` (hex bytes) or C escapes `\t \n \r \\`, else text.
pub(crate) fn unescape(text: &str, key: &str) -> Result<Vec<u8>> {
    let bad = || {
        Error::new(ErrorKind::Config, format!("{key}: bad separator {text:?}"))
            .with_context("key", key)
    };
    if text.is_empty() {
        return Err(bad());
    }
    if text.starts_with("\\x") || text.starts_with("\\X") {
        let hex: String = text.replace("\\x", "").replace("\\X", "");
        if hex.is_empty() || !hex.len().is_multiple_of(2) {
            return Err(bad());
        }
        return (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad()))
            .collect();
    }
    let mut out = Vec::new();
    let mut chars = text.bytes();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match chars.next() {
            Some(b't') => out.push(b'\t'),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(other) => out.push(other),
            None => out.push(b'\\'),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_option_map_configures_both_halves() {
        let (protocol, sink) = DorisSink::builder()
            .with_flink_options([
                ("fenodes", "127.0.0.1:8030"),
                ("username", "root"),
                ("sink.label-prefix", "job7"),
                ("sink.properties.column_separator", "\\x01"),
                ("sink.properties.line_delimiter", "\\x02"),
                ("sink.properties.compress_type", "lz4"),
                ("sink.buffer-flush.max-rows", "10000"),
                ("sink.flush.queue-size", "2"),
            ])
            .unwrap()
            .configs()
            .unwrap();
        assert_eq!(sink.delivery, Delivery::Checkpointed);
        assert_eq!(sink.label_prefix, "job7");
        assert_eq!(sink.max_rows, 10_000);
        assert_eq!(sink.flush_queue_size, 2);
        assert_eq!(sink.compression, Compression::Lz4Frame);
        let Format::Csv(csv) = &sink.format else {
            panic!("csv expected")
        };
        assert_eq!(
            (
                csv.column_separator.as_slice(),
                csv.line_delimiter.as_slice()
            ),
            (&[1u8][..], &[2u8][..])
        );
        assert_eq!(protocol.config().label_prefix, "job7");
    }

    #[test]
    fn flush_and_retry_options_set_on_the_protocol_reach_the_sink() {
        let base = || {
            DorisBuilder::new()
                .with_fe_nodes(["127.0.0.1:8030"])
                .with_credentials("root", "")
        };
        let (_, defaults) = DorisSink::builder()
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
            .with_options([
                ("sink.buffer-flush.max-bytes", "1mb"),
                ("sink.buffer-flush.max-rows", "1000"),
                ("sink.buffer-flush.interval", "2s"),
                ("sink.max-retries", "7"),
            ])
            .unwrap();
        let (_, sink) = DorisSink::builder()
            .with_protocol(protocol)
            .configs()
            .unwrap();
        assert_eq!(
            (sink.max_bytes, sink.max_rows, sink.flush_interval),
            (1 << 20, 1000, std::time::Duration::from_secs(2))
        );
        assert_eq!(sink.retry.max_retries, 7);
    }

    #[test]
    fn batch_mode_and_json_and_unknown_keys() {
        let (protocol, sink) = DorisSink::builder()
            .with_flink_options([
                ("fenodes", "127.0.0.1:8030"),
                ("username", "root"),
                ("sink.enable.batch-mode", "true"),
                ("sink.properties.format", "json"),
            ])
            .unwrap()
            .configs()
            .unwrap();
        assert_eq!(protocol.mode(), DorisMode::Batch);
        assert_eq!(sink.delivery, Delivery::Batched);
        assert_eq!(sink.format, Format::Json(JsonFormat::Lines));
        let (protocol, sink) = DorisSink::builder()
            .with_flink_options([
                ("fenodes", "127.0.0.1:8030"),
                ("username", "root"),
                ("sink.semantic", "at-least-once"),
            ])
            .unwrap()
            .configs()
            .unwrap();
        assert_eq!(
            (protocol.mode(), sink.delivery),
            (DorisMode::Batch, Delivery::Batched)
        );
        let err = DorisSink::builder()
            .with_flink_options([("sink.bogus", "1")])
            .unwrap_err();
        assert_eq!(err.context("key"), Some("sink.bogus"));
        assert_eq!(unescape("\\t", "k").unwrap(), b"\t");
        assert!(unescape("\\x0", "k").is_err());
    }
}
