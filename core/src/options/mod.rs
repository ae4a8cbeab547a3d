//! One grammar for connector options, shared by core and both vendor crates.
//!
//! Users carry their Flink connector option maps over unchanged, and one map must get one
//! verdict whichever crate reads it. So the value grammar (`values`: sizes, durations,
//! booleans, lists) and the keys both vendors share (`common`: credentials, buffering,
//! retries, redirects, `sink.properties.*`) are parsed here once; a vendor crate reads only the
//! keys it owns and reports every other key with [`unknown_key`].
//!
//! Keys are matched after [`normalize_key`]: case, `-` and `_` do not matter
//! (`sink.buffer-flush.max-bytes` = `SINK_BUFFER_FLUSH_MAX_BYTES` = `sink.buffer.flush.max.bytes`).

mod common;
mod connector;
mod values;

pub use common::{CommonKey, CommonOption, TlsKey, TlsOption, parse_common};
pub use values::{
    parse_bool, parse_count, parse_duration, parse_list, parse_millis_or_off, parse_size,
    value_error,
};

use crate::{Error, ErrorKind};

/// `key` in the form keys are matched in: lowercase, with `-` and `_` read as `.`.
pub fn normalize_key(key: &str) -> String {
    key.trim().to_ascii_lowercase().replace(['-', '_'], ".")
}

/// Whether a key names a secret (its value is never echoed in an error or `Debug` output).
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "secret", "token", "credential", "auth"]
        .iter()
        .any(|s| key.contains(s))
}

/// The verdict on a key neither core nor the vendor knows.
pub fn unknown_key(key: &str, backend: &str) -> Error {
    Error::new(
        ErrorKind::Config,
        format!("unknown option key {:?}", key.trim()),
    )
    .with_context("key", key.trim())
    .with_context("backend", backend)
}

/// Flink connector keys that mean nothing to a Stream Load client (Flink runtime settings, the
/// connectors' own buffering knobs): accepted and ignored by every crate alike. A vendor that
/// gives one of them a meaning reads it before the shared keys.
pub const IGNORED_FLINK_KEYS: &[&str] = &[
    "connector",
    "sink.parallelism",
    "doris.request.retries",
    "sink.buffer.size",
    "sink.check.interval",
    "sink.use.cache",
    "sink.write.mode",
    "sink.ignore.commit.error",
];

/// Whether a (normalized) key is one of [`IGNORED_FLINK_KEYS`].
pub fn is_ignored(normalized: &str) -> bool {
    IGNORED_FLINK_KEYS
        .iter()
        .any(|k| normalize_key(k) == normalized)
}
