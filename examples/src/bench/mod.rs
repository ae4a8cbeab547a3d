//! Measurements behind `bench` and BENCHMARKS.md: deterministic CSV data, peak RSS, and the
//! three load paths compared on one emulator in discard mode (the BE reads and drops bodies, so
//! the client is what is measured).
//!
//! * [`sink_load`]: core's `Sink` (Doris or StarRocks protocol), pre-encoded CSV via
//!   `write_encoded`, default configuration, batched delivery.
//! * [`curl_load`]: `curl -T` of the same bytes (`--location-trusted`, as the vendors' manuals
//!   show).
//! * `peer` (feature `peer-bench`): the `starrocks-stream-load` crate.
//!
//! Each client runs in its own child process so its peak RSS (`VmHWM`) is its own.

#[cfg(feature = "peer-bench")]
pub mod peer;
pub mod typed;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use streamload_core::{Delivery, Result, SinkConfig, Table};

use streamload_starrocks::{SinkVersion, StarRocksBuilder};

use crate::endpoint::{Endpoint, Vendor};
use crate::sinks::{AnyProtocol, AnySink};

/// The benchmark table (`id`, `name`, `score`, `city`), created on the emulator.
pub const TABLE_DDL: &str = "CREATE TABLE test.bench (`id` BIGINT, `name` VARCHAR(64), \
    `score` INT, `city` VARCHAR(64)) DUPLICATE KEY(`id`) DISTRIBUTED BY HASH(`id`) BUCKETS 1";

/// Size of the generated pieces.
pub const PIECE: usize = 1 << 20;

/// Size of the pieces a file is read in (each one `write_encoded` call).
pub const FILE_READ: usize = 4 << 20;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Deterministic tab-separated rows (`id`, `name`, `score`, `city`), about `bytes` in total,
/// made in whole-row pieces of about [`PIECE`] so a consumer holds one piece at a time.
#[derive(Debug)]
pub struct Rows {
    id: u64,
    made: u64,
    bytes: u64,
}

impl Rows {
    /// Rows of about `bytes` in total.
    pub fn new(bytes: u64) -> Self {
        Self {
            id: 0,
            made: 0,
            bytes,
        }
    }
}

impl Iterator for Rows {
    /// A piece of whole rows and its row count.
    type Item = (Bytes, u64);

    fn next(&mut self) -> Option<(Bytes, u64)> {
        if self.made >= self.bytes {
            return None;
        }
        let mut piece = BytesMut::with_capacity(PIECE + 128);
        let mut rows = 0;
        while piece.len() < PIECE && self.made + (piece.len() as u64) < self.bytes {
            let id = self.id;
            let mut num = itoa::Buffer::new();
            piece.extend_from_slice(num.format(id).as_bytes());
            piece.extend_from_slice(b"\tname-");
            let hash = id.wrapping_mul(0x9E37_79B9) as u32;
            for shift in (0..8).rev() {
                piece.extend_from_slice(&[HEX[((hash >> (shift * 4)) & 0xf) as usize]]);
            }
            piece.extend_from_slice(b"\t");
            piece.extend_from_slice(num.format(id % 1000).as_bytes());
            piece.extend_from_slice(b"\tcity-");
            piece.extend_from_slice(num.format(id % 97).as_bytes());
            piece.extend_from_slice(b"\n");
            self.id += 1;
            rows += 1;
        }
        self.made += piece.len() as u64;
        Some((piece.freeze(), rows))
    }
}

/// Writes the generated data to `path`.
pub fn write_file(path: &Path, bytes: u64) -> std::io::Result<u64> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut written = 0;
    for (piece, _) in Rows::new(bytes) {
        written += piece.len() as u64;
        out.write_all(&piece)?;
    }
    out.flush()?;
    Ok(written)
}

/// Peak resident set size of this process, in KiB (`VmHWM`), when the system reports it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Where the bytes of a sink run come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Generated on the fly (nothing held but the piece in flight).
    Generated(u64),
    /// A file's bytes, read into memory and cut into whole-row slices of about [`FILE_READ`]
    /// with their row counts before the clock starts (as curl reads a ready file from the page
    /// cache); each slice is one `write_encoded` call, without copying.
    File(Vec<(Bytes, u64)>),
}

impl Source {
    /// Reads `path` and cuts it into whole-row slices (see [`Source::File`]).
    pub fn file(path: &Path) -> std::io::Result<Source> {
        let mut rest = Bytes::from(std::fs::read(path)?);
        let mut pieces = Vec::new();
        while !rest.is_empty() {
            let window = &rest[..rest.len().min(FILE_READ)];
            let cut = if window.len() < FILE_READ {
                window.len()
            } else {
                memchr::memrchr(b'\n', window).map_or(window.len(), |p| p + 1)
            };
            let piece = rest.split_to(cut);
            let rows = memchr::memchr_iter(b'\n', &piece).count() as u64;
            pieces.push((piece, rows));
        }
        Ok(Source::File(pieces))
    }
}

/// How the `Sink` loads in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkMode {
    /// Batched delivery, one load per batch: Doris Stream Load, StarRocks V1 Stream Load.
    Batched,
    /// Checkpointed (exactly-once) delivery, the whole input in one checkpoint: a Doris
    /// two-phase load, a StarRocks V2 transaction; prepared and committed at the end.
    ExactlyOnce,
}

/// Loads `source` into `test.bench` through core's `Sink` with the default configuration in
/// `mode`, except `max_rows` when given. Returns the wall time and the bytes sent.
pub async fn sink_load(
    endpoint: &Endpoint,
    source: Source,
    mode: SinkMode,
    max_rows: Option<u64>,
) -> Result<(Duration, u64)> {
    let table = Table::new("test", "bench");
    let started = Instant::now();
    let mut sink = open_sink(endpoint, mode, max_rows).await?;
    match source {
        Source::Generated(bytes) => {
            for (piece, rows) in Rows::new(bytes) {
                sink.write_encoded(&table, piece, rows).await?;
            }
        }
        Source::File(pieces) => {
            for (piece, rows) in pieces {
                sink.write_encoded(&table, piece, rows).await?;
            }
        }
    }
    let sent = finish_sink(sink, mode).await?;
    Ok((started.elapsed(), sent))
}

/// A `Sink` on `endpoint` with the default configuration in `mode`, except `max_rows` when
/// given. StarRocks loads through V1 when batched and a V2 transaction when exactly-once.
pub(crate) async fn open_sink(
    endpoint: &Endpoint,
    mode: SinkMode,
    max_rows: Option<u64>,
) -> Result<AnySink> {
    let delivery = match mode {
        SinkMode::Batched => Delivery::Batched,
        SinkMode::ExactlyOnce => Delivery::Checkpointed,
    };
    let mut config = SinkConfig::builder()
        .with_delivery(delivery)
        .with_label_prefix(format!("bench_{}", std::process::id()));
    if let Some(rows) = max_rows {
        config = config.with_max_rows(rows);
    }
    let config = config.build()?;
    if endpoint.vendor == Vendor::Doris {
        return AnySink::open(endpoint, config, None).await;
    }
    let version = match mode {
        SinkMode::Batched => SinkVersion::V1,
        SinkMode::ExactlyOnce => SinkVersion::V2,
    };
    let protocol = StarRocksBuilder::new()
        .with_load_urls([endpoint.fe_url.clone()])
        .with_jdbc_url(endpoint.jdbc_url())
        .with_credentials(endpoint.user.clone(), endpoint.password())
        .with_label_prefix(config.label_prefix.clone())
        .with_version(version)
        .build()?;
    let protocol = AnyProtocol::StarRocks(protocol);
    match mode {
        SinkMode::Batched => AnySink::new(protocol, config),
        SinkMode::ExactlyOnce => AnySink::recover(protocol, config, None).await,
    }
}

/// Ends a run: flush (batched) or prepare and commit one checkpoint (exactly-once), then
/// close. Returns the body bytes loaded.
pub(crate) async fn finish_sink(mut sink: AnySink, mode: SinkMode) -> Result<u64> {
    match mode {
        SinkMode::Batched => sink.flush().await?,
        SinkMode::ExactlyOnce => {
            let checkpoint = sink.prepare(1).await?;
            sink.commit(&checkpoint).await?;
        }
    }
    let sent = sink.stats().bytes_loaded;
    sink.close().await?;
    Ok(sent)
}

/// `curl -T file` through the FE's redirect into `test.bench`: wall time.
pub fn curl_load(fe_url: &str, file: &Path, label: &str) -> std::io::Result<Duration> {
    let started = Instant::now();
    let output = Command::new("curl")
        .args(["-sS", "--location-trusted", "-u", "root:", "-H"])
        .arg(format!("label:{label}"))
        .args([
            "-H",
            "Expect:100-continue",
            "-H",
            "column_separator:\\t",
            "-T",
        ])
        .arg(file)
        .arg(format!("{fe_url}/api/test/bench/_stream_load"))
        .output()?;
    let elapsed = started.elapsed();
    let body = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !body.contains("\"Success\"") {
        return Err(std::io::Error::other(format!(
            "curl failed: {body} {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(elapsed)
}
