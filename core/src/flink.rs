//! The Flink connectors' `sink.*` keys that apply to core, so users can carry their existing
//! Doris / StarRocks connector options over unchanged.
//!
//! Values follow Flink's spellings: sizes like `64mb`, durations like `10s` or `500ms`, booleans
//! `true` / `false`. A bad value is a `Config` error naming the key (and never echoing a value
//! whose key looks secret). Keys core does not know are kept in `SinkConfig::extra` for the
//! vendor crate.

use std::time::Duration;

use crate::config::{Delivery, ForgottenLabel, SinkConfigBuilder, is_secret_key};
use crate::error::{Error, ErrorKind, Result};

fn bad_value(key: &str, value: &str, expected: &str) -> Error {
    let shown = if is_secret_key(key) {
        "<redacted>"
    } else {
        value
    };
    Error::new(
        ErrorKind::Config,
        format!("invalid value {shown:?} for {key}: expected {expected}"),
    )
    .with_context("key", key)
}

fn parse_u64(key: &str, value: &str) -> Result<u64> {
    value
        .trim()
        .parse()
        .map_err(|_| bad_value(key, value, "a non-negative integer"))
}

fn parse_bool(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad_value(key, value, "true or false")),
    }
}

/// Parses a Flink memory size: `1048576`, `64kb`, `64mb`, `1gb` (also `k`, `m`, `g`, `b`).
fn parse_size(key: &str, value: &str) -> Result<u64> {
    let text = value.trim().to_ascii_lowercase();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let factor: u64 = match unit.trim() {
        "" | "b" | "bytes" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad_value(key, value, "a size such as 64mb")),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| bad_value(key, value, "a size such as 64mb"))
}

/// Parses a Flink duration: `500ms`, `10s`, `1min`, `1h`; a bare number is milliseconds.
fn parse_duration(key: &str, value: &str) -> Result<Duration> {
    let text = value.trim().to_ascii_lowercase();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits_end);
    let n: u64 = number
        .parse()
        .map_err(|_| bad_value(key, value, "a duration such as 10s"))?;
    let d = match unit.trim() {
        "" | "ms" | "milli" | "millis" => Duration::from_millis(n),
        "s" | "sec" | "secs" | "second" | "seconds" => Duration::from_secs(n),
        "min" | "m" | "minute" | "minutes" => Duration::from_secs(n.saturating_mul(60)),
        "h" | "hour" | "hours" => Duration::from_secs(n.saturating_mul(3600)),
        _ => return Err(bad_value(key, value, "a duration such as 10s")),
    };
    Ok(d)
}

impl SinkConfigBuilder {
    /// Applies the Flink connectors' sink keys that concern core:
    ///
    /// | key | effect |
    /// |---|---|
    /// | `sink.label-prefix` | label prefix |
    /// | `sink.buffer-flush.max-rows` | batched flush after N rows |
    /// | `sink.buffer-flush.max-bytes` | batched flush after N bytes (`64mb`) |
    /// | `sink.buffer-flush.interval` / `sink.buffer-flush.interval-ms` | flush age (`10s` / ms) |
    /// | `sink.flush.queue-size` | full batches waiting per table while one loads |
    /// | `sink.max-retries` | retries after the first attempt |
    /// | `sink.enable-delete` | append the delete column |
    /// | `sink.ignore.update-before` | skip update-before images |
    /// | `sink.semantic` | `exactly-once` (checkpointed) or `at-least-once` (batched) |
    /// | `sink.enable-2pc` | `true` = exactly-once |
    /// | `sink.recover.forgotten-label` | `assume-committed` (default) or `fail`: see [`crate::ForgottenLabel`] |
    ///
    /// Every other key is kept in `SinkConfig::extra`.
    pub fn with_flink_options<K, V>(
        mut self,
        options: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        for (key, value) in options {
            let (key, value) = (key.as_ref().trim(), value.as_ref());
            self = match key {
                "sink.label-prefix" => self.with_label_prefix(value.trim()),
                "sink.buffer-flush.max-rows" => self.with_max_rows(parse_u64(key, value)?),
                "sink.buffer-flush.max-bytes" => self.with_max_bytes(parse_size(key, value)?),
                "sink.buffer-flush.interval" => {
                    self.with_flush_interval(parse_duration(key, value)?)
                }
                "sink.buffer-flush.interval-ms" => {
                    self.with_flush_interval(Duration::from_millis(parse_u64(key, value)?))
                }
                "sink.flush.queue-size" => {
                    let n = parse_u64(key, value)?;
                    self.with_flush_queue_size(usize::try_from(n).unwrap_or(usize::MAX))
                }
                "sink.max-retries" => {
                    let n = parse_u64(key, value)?;
                    self.with_max_retries(usize::try_from(n).unwrap_or(usize::MAX))
                }
                "sink.enable-delete" => self.with_enable_delete(parse_bool(key, value)?),
                "sink.ignore.update-before" => {
                    self.with_ignore_update_before(parse_bool(key, value)?)
                }
                "sink.semantic" => match value.trim().to_ascii_lowercase().as_str() {
                    "exactly-once" | "exactly_once" => self.with_delivery(Delivery::Checkpointed),
                    "at-least-once" | "at_least_once" => self.with_delivery(Delivery::Batched),
                    _ => return Err(bad_value(key, value, "exactly-once or at-least-once")),
                },
                "sink.recover.forgotten-label" => {
                    match value.trim().to_ascii_lowercase().as_str() {
                        "assume-committed" => {
                            self.with_forgotten_label(ForgottenLabel::AssumeCommitted)
                        }
                        "fail" => self.with_forgotten_label(ForgottenLabel::Fail),
                        _ => return Err(bad_value(key, value, "assume-committed or fail")),
                    }
                }
                "sink.enable-2pc" => {
                    if parse_bool(key, value)? {
                        self.with_delivery(Delivery::Checkpointed)
                    } else {
                        self.with_delivery(Delivery::Batched)
                    }
                }
                _ => self.with_extra(key, value),
            };
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SinkConfig;

    #[test]
    fn flink_keys_set_the_core_options() {
        let config = SinkConfig::builder()
            .with_flink_options([
                ("sink.label-prefix", "job7"),
                ("sink.buffer-flush.max-rows", "1000"),
                ("sink.buffer-flush.max-bytes", "8mb"),
                ("sink.buffer-flush.interval", "5s"),
                ("sink.max-retries", "5"),
                ("sink.flush.queue-size", "3"),
                ("sink.enable-delete", "false"),
                ("sink.ignore.update-before", "FALSE"),
                ("sink.semantic", "exactly-once"),
                ("sink.recover.forgotten-label", "FAIL"),
                ("fenodes", "fe:8030"),
                ("password", "hunter2"),
            ])
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(config.label_prefix, "job7");
        assert_eq!(config.max_rows, 1000);
        assert_eq!(config.max_bytes, 8 << 20);
        assert_eq!(config.flush_interval, Duration::from_secs(5));
        assert_eq!(config.retry.max_retries, 5);
        assert_eq!(config.flush_queue_size, 3);
        assert!(!config.enable_delete);
        assert!(!config.ignore_update_before);
        assert_eq!(config.delivery, Delivery::Checkpointed);
        assert_eq!(config.forgotten_label, ForgottenLabel::Fail);
        assert_eq!(config.extra["fenodes"], "fe:8030");
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("<redacted>"));
    }

    #[test]
    fn interval_ms_and_duration_units() {
        let c = SinkConfig::builder()
            .with_flink_options([("sink.buffer-flush.interval-ms", "250")])
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.flush_interval, Duration::from_millis(250));
        assert_eq!(
            parse_duration("k", "2min").unwrap(),
            Duration::from_secs(120)
        );
        assert_eq!(parse_size("k", "10KB").unwrap(), 10 << 10);
    }

    #[test]
    fn bad_values_name_the_key() {
        for (key, value) in [
            ("sink.buffer-flush.max-rows", "many"),
            ("sink.buffer-flush.max-bytes", "10 parsecs"),
            ("sink.buffer-flush.interval", "soon"),
            ("sink.enable-delete", "yes"),
            ("sink.semantic", "at-most-once"),
            ("sink.recover.forgotten-label", "guess"),
        ] {
            let err = SinkConfig::builder()
                .with_flink_options([(key, value)])
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config);
            assert_eq!(err.context("key"), Some(key));
        }
        let zero = SinkConfig::builder()
            .with_flink_options([("sink.buffer-flush.max-rows", "0")])
            .unwrap()
            .build()
            .unwrap_err();
        assert!(zero.message().contains("max_rows"), "{zero}");
    }
}
