//! `Sink` configuration: one builder, validated in one place.
//!
//! Every knob has a documented default; [`SinkConfigBuilder::build`] checks them all together so
//! a bad combination is one clear `ErrorKind::Config` before anything is sent. Keys the Flink
//! connectors use are parsed in `flink.rs`. Keys core does not use are kept for the vendor crate
//! in [`SinkConfig::extra`], and `Debug` hides any whose name looks secret.

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

use jiff::tz::TimeZone;

use crate::encode::EncodeOptions;
use crate::error::{Error, ErrorKind, Result};
use crate::format::{Compression, CsvFormat, Format};
use crate::label::{LabelFormat, LabelGenerator};
use crate::retry::RetryConfig;
use crate::table::Table;

/// How loads are delimited and what is guaranteed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// One transaction per table per checkpoint, prepared by `Sink::prepare` and committed by
    /// `Sink::commit`: exactly-once (`sink.semantic = exactly-once`).
    Checkpointed,
    /// One load per batch, flushed by rows, bytes, age or `Sink::flush`: at-least-once
    /// (`sink.semantic = at-least-once`). Server-batched protocols always run this way.
    Batched,
}

/// What committing a restored checkpoint does when the server no longer knows its transaction:
/// the commit answers "not found" and the label's state is `UNKNOWN`.
///
/// Servers forget a finished transaction and its label after a while (Doris
/// `streaming_label_keep_max_second`, 12 h; StarRocks `label_keep_max_second`, 3 days, or sooner
/// past `label_keep_max_num` labels). A checkpoint is stored after its transactions were
/// precommitted, so a forgotten label was either committed (what the store-then-commit protocol
/// does right away) or aborted by the server's precommit timeout long ago, whose rows are gone
/// whatever the writer does now. A checkpoint prepared by the running sink itself is never
/// judged by this rule: a label forgotten seconds after its prepare is `DataLoss`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForgottenLabel {
    /// Count the transaction as committed, with a warning and the `forgotten_commits` count in
    /// [`crate::SinkStats`] (`sink.recover.forgotten-label = assume-committed`). Default: a
    /// restart after a long stop goes on instead of needing an operator.
    #[default]
    AssumeCommitted,
    /// Fail with `ErrorKind::DataLoss` (`sink.recover.forgotten-label = fail`), for jobs that
    /// would rather stop and replay from an older source position.
    Fail,
}

/// The validated configuration of a `Sink`. Build it with [`SinkConfig::builder`].
#[derive(Clone)]
#[non_exhaustive]
pub struct SinkConfig {
    /// Delivery mode. Default: `Batched`.
    pub delivery: Delivery,
    /// Label prefix (`sink.label-prefix`). Default: `streamload`.
    pub label_prefix: String,
    /// Writer id: tells parallel writers' labels apart. Default: `0`.
    pub writer_id: String,
    /// Body format. Default: CSV, tab-separated, newline-delimited.
    pub format: Format,
    /// Body compression. Default: none.
    pub compression: Compression,
    /// Batched mode: flush a table after this many rows (`sink.buffer-flush.max-rows`).
    /// Default: 500 000.
    pub max_rows: u64,
    /// Batched mode: flush a table after this many encoded bytes
    /// (`sink.buffer-flush.max-bytes`). Default: 64 MiB.
    pub max_bytes: u64,
    /// Flush (batched) or send (checkpointed) buffered rows older than this
    /// (`sink.buffer-flush.interval`). Default: 10 s.
    pub flush_interval: Duration,
    /// Size at which a buffer is sealed into a chunk. Default: 1 MiB.
    pub chunk_bytes: usize,
    /// Global memory budget across all tables, in bytes (at most 4 GiB). Default: 256 MiB.
    pub memory_budget: u64,
    /// Batched mode: loads running at once across tables. Default: 4.
    pub max_concurrent_loads: usize,
    /// Batched mode: full batches of a table that may wait while its previous batch is still
    /// loading (`sink.flush.queue-size`). A table holds at most this many plus two batches in
    /// memory: the one loading and the one filling. Default: 0. A table's loads run one after
    /// another, so waiting batches (the Doris connector keeps 2) add memory without loading
    /// any sooner; they only absorb a writer's bursts.
    pub flush_queue_size: usize,
    /// Retry policy (`sink.max-retries` sets `max_retries`).
    pub retry: RetryConfig,
    /// Append the vendor's delete column so deletes work (`sink.enable-delete`). Default: true.
    /// When false, a delete is an `Unsupported` error, never an upsert.
    pub enable_delete: bool,
    /// Skip update-before images (`sink.ignore.update-before`). Default: true.
    pub ignore_update_before: bool,
    /// Bytes per second across all loads. Default: unlimited.
    pub bytes_per_second: Option<NonZeroU32>,
    /// Loads started per second. Default: unlimited.
    pub loads_per_second: Option<NonZeroU32>,
    /// Type policy options (the time zone of `Timestamp` values). Default: UTC.
    pub encode: EncodeOptions,
    /// Batched mode: sequence number of the first batch of each table. Default: 1.
    ///
    /// Labels of batches are `{prefix}_{table}_{writer}_{seq}`; a fresh process that starts the
    /// sequence again meets the labels of an earlier run. Set an epoch per run (for example
    /// `start_time_secs * 1_000_000`) or a new prefix, or resume with `skip_loaded_batches`.
    pub batch_sequence_start: u64,
    /// Batched mode: a batch whose label is found committed on its FIRST attempt counts as
    /// already loaded and is skipped (resume semantics for replayable, deterministic batches).
    /// Default: false, in which case that is a `LabelAlreadyExists` error.
    pub skip_loaded_batches: bool,
    /// Tables recovery cleans up even when no checkpoint mentions them.
    pub tables: Vec<Table>,
    /// Recovery stops probing a table's labels after this many consecutive unknown labels.
    /// Default: 2 (covers a checkpoint prepared but not stored before a crash, during which a
    /// table may have had no load).
    pub recovery_probe_gap: u32,
    /// Committing a restored checkpoint whose transaction the server forgot.
    /// Default: [`ForgottenLabel::AssumeCommitted`].
    pub forgotten_label: ForgottenLabel,
    /// Keys core does not use (vendor options), verbatim.
    pub extra: BTreeMap<String, String>,
}

impl SinkConfig {
    /// A builder with the defaults.
    pub fn builder() -> SinkConfigBuilder {
        SinkConfigBuilder::default()
    }

    /// The label generator for this configuration and a vendor's label format.
    pub fn label_generator(&self, format: LabelFormat) -> Result<LabelGenerator> {
        LabelGenerator::new(self.label_prefix.clone(), self.writer_id.clone(), format)
    }
}

impl fmt::Debug for SinkConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let extra: BTreeMap<&str, &str> = self
            .extra
            .iter()
            .map(|(k, v)| {
                let shown = if crate::options::is_secret_key(k) {
                    "<redacted>"
                } else {
                    v.as_str()
                };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("SinkConfig")
            .field("delivery", &self.delivery)
            .field("label_prefix", &self.label_prefix)
            .field("writer_id", &self.writer_id)
            .field("format", &self.format)
            .field("compression", &self.compression)
            .field("max_rows", &self.max_rows)
            .field("max_bytes", &self.max_bytes)
            .field("flush_interval", &self.flush_interval)
            .field("chunk_bytes", &self.chunk_bytes)
            .field("memory_budget", &self.memory_budget)
            .field("max_concurrent_loads", &self.max_concurrent_loads)
            .field("flush_queue_size", &self.flush_queue_size)
            .field("retry", &self.retry)
            .field("enable_delete", &self.enable_delete)
            .field("ignore_update_before", &self.ignore_update_before)
            .field("bytes_per_second", &self.bytes_per_second)
            .field("loads_per_second", &self.loads_per_second)
            .field("time_zone", &self.encode.time_zone.iana_name())
            .field("batch_sequence_start", &self.batch_sequence_start)
            .field("skip_loaded_batches", &self.skip_loaded_batches)
            .field("tables", &self.tables)
            .field("recovery_probe_gap", &self.recovery_probe_gap)
            .field("forgotten_label", &self.forgotten_label)
            .field("extra", &extra)
            .finish()
    }
}

/// Builds a [`SinkConfig`]: `Default`, chained `with_*` setters, one validating `build`.
#[derive(Debug, Clone)]
pub struct SinkConfigBuilder {
    config: SinkConfig,
}

impl Default for SinkConfigBuilder {
    fn default() -> Self {
        Self {
            config: SinkConfig {
                delivery: Delivery::Batched,
                label_prefix: "streamload".to_owned(),
                writer_id: "0".to_owned(),
                format: Format::Csv(CsvFormat::default()),
                compression: Compression::None,
                max_rows: 500_000,
                max_bytes: 64 << 20,
                flush_interval: Duration::from_secs(10),
                chunk_bytes: 1 << 20,
                memory_budget: 256 << 20,
                max_concurrent_loads: 4,
                flush_queue_size: 0,
                retry: RetryConfig::default(),
                enable_delete: true,
                ignore_update_before: true,
                bytes_per_second: None,
                loads_per_second: None,
                encode: EncodeOptions::default(),
                batch_sequence_start: 1,
                skip_loaded_batches: false,
                tables: Vec::new(),
                recovery_probe_gap: 2,
                forgotten_label: ForgottenLabel::AssumeCommitted,
                extra: BTreeMap::new(),
            },
        }
    }
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident, $field:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.config.$field = value;
            self
        }
    };
}

impl SinkConfigBuilder {
    setter!(/// Sets [`SinkConfig::delivery`].
        with_delivery, delivery: Delivery);
    setter!(/// Sets [`SinkConfig::format`].
        with_format, format: Format);
    setter!(/// Sets [`SinkConfig::compression`].
        with_compression, compression: Compression);
    setter!(/// Sets [`SinkConfig::max_rows`].
        with_max_rows, max_rows: u64);
    setter!(/// Sets [`SinkConfig::max_bytes`].
        with_max_bytes, max_bytes: u64);
    setter!(/// Sets [`SinkConfig::flush_interval`].
        with_flush_interval, flush_interval: Duration);
    setter!(/// Sets [`SinkConfig::chunk_bytes`].
        with_chunk_bytes, chunk_bytes: usize);
    setter!(/// Sets [`SinkConfig::memory_budget`].
        with_memory_budget, memory_budget: u64);
    setter!(/// Sets [`SinkConfig::max_concurrent_loads`].
        with_max_concurrent_loads, max_concurrent_loads: usize);
    setter!(/// Sets [`SinkConfig::flush_queue_size`].
        with_flush_queue_size, flush_queue_size: usize);

    /// Sets the flush triggers that are `Some` (a vendor builder's `sink.buffer-flush.*`
    /// options), leaving the others as they are.
    pub fn with_flush_triggers(
        mut self,
        max_rows: Option<u64>,
        max_bytes: Option<u64>,
        interval: Option<Duration>,
    ) -> Self {
        let c = &mut self.config;
        c.max_rows = max_rows.unwrap_or(c.max_rows);
        c.max_bytes = max_bytes.unwrap_or(c.max_bytes);
        c.flush_interval = interval.unwrap_or(c.flush_interval);
        self
    }
    setter!(/// Sets [`SinkConfig::retry`].
        with_retry, retry: RetryConfig);
    setter!(/// Sets [`SinkConfig::enable_delete`].
        with_enable_delete, enable_delete: bool);
    setter!(/// Sets [`SinkConfig::ignore_update_before`].
        with_ignore_update_before, ignore_update_before: bool);
    setter!(/// Sets [`SinkConfig::bytes_per_second`].
        with_bytes_per_second, bytes_per_second: Option<NonZeroU32>);
    setter!(/// Sets [`SinkConfig::loads_per_second`].
        with_loads_per_second, loads_per_second: Option<NonZeroU32>);
    setter!(/// Sets [`SinkConfig::batch_sequence_start`].
        with_batch_sequence_start, batch_sequence_start: u64);
    setter!(/// Sets [`SinkConfig::skip_loaded_batches`].
        with_skip_loaded_batches, skip_loaded_batches: bool);
    setter!(/// Sets [`SinkConfig::forgotten_label`].
        with_forgotten_label, forgotten_label: ForgottenLabel);
    setter!(/// Sets [`SinkConfig::tables`].
        with_tables, tables: Vec<Table>);
    setter!(/// Sets [`SinkConfig::recovery_probe_gap`].
        with_recovery_probe_gap, recovery_probe_gap: u32);

    /// Sets [`SinkConfig::label_prefix`].
    pub fn with_label_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.config.label_prefix = prefix.into();
        self
    }

    /// Sets [`SinkConfig::writer_id`].
    pub fn with_writer_id(mut self, writer: impl Into<String>) -> Self {
        self.config.writer_id = writer.into();
        self
    }

    /// Sets `SinkConfig::retry.max_retries`.
    pub fn with_max_retries(mut self, retries: usize) -> Self {
        self.config.retry.max_retries = retries;
        self
    }

    /// Sets the time zone in which `Timestamp` values are written.
    pub fn with_time_zone(mut self, zone: TimeZone) -> Self {
        self.config.encode.time_zone = zone;
        self
    }

    /// Sets the time zone by IANA name (`Asia/Shanghai`) or fixed offset (`+08:00`).
    pub fn with_time_zone_name(self, name: &str) -> Result<Self> {
        let zone = parse_time_zone(name)?;
        Ok(self.with_time_zone(zone))
    }

    /// Keeps an option core does not use, for the vendor crate.
    pub fn with_extra(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.extra.insert(key.into(), value.into());
        self
    }

    /// Validates every setting and returns the configuration.
    pub fn build(self) -> Result<SinkConfig> {
        let c = self.config;
        let bad = |msg: String| Err(Error::new(ErrorKind::Config, msg));
        // The generator checks prefix and writer id; any label format will do here.
        LabelGenerator::new(
            c.label_prefix.clone(),
            c.writer_id.clone(),
            LabelFormat {
                separator: '_',
                include_db: true,
            },
        )?;
        if c.max_rows == 0 || c.max_bytes == 0 || c.chunk_bytes == 0 {
            return bad("max_rows, max_bytes and chunk_bytes must be greater than 0".into());
        }
        if c.flush_interval.is_zero() {
            return bad("flush_interval must be greater than 0".into());
        }
        if c.max_concurrent_loads == 0 {
            return bad("max_concurrent_loads must be at least 1".into());
        }
        if c.memory_budget < c.chunk_bytes as u64 {
            return bad(format!(
                "memory_budget ({}) must hold at least one chunk ({} bytes)",
                c.memory_budget, c.chunk_bytes
            ));
        }
        if c.memory_budget > u64::from(u32::MAX) {
            return bad("memory_budget must be at most 4 GiB".into());
        }
        if c.recovery_probe_gap == 0 {
            return bad("recovery_probe_gap must be at least 1".into());
        }
        if c.retry.min_delay > c.retry.max_delay {
            return bad("retry min_delay must not exceed max_delay".into());
        }
        if let Compression::Gzip = c.compression {
            return bad("gzip bodies are not produced by the Sink; use LZ4 frame or none".into());
        }
        if matches!(c.format, Format::ArrowStream) && c.delivery == Delivery::Checkpointed {
            return bad(
                "Arrow bodies go one per load; use batched delivery with write_encoded".into(),
            );
        }
        if !matches!(c.format, Format::ArrowStream) {
            crate::encode::Encoder::new(&c.format, c.encode.clone(), None)?;
        }
        Ok(c)
    }
}

/// Parses an IANA time zone name or a fixed `±HH:MM` offset.
pub(crate) fn parse_time_zone(name: &str) -> Result<TimeZone> {
    if let Some(offset) = parse_offset(name) {
        return Ok(TimeZone::fixed(offset));
    }
    TimeZone::get(name).map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!("unknown time zone {name:?}: {e}"),
        )
    })
}

fn parse_offset(text: &str) -> Option<jiff::tz::Offset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "0"));
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    if hours > 18 || minutes > 59 {
        return None;
    }
    jiff::tz::Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}
