//! The Flink connectors' `sink.*` keys that apply to core, so users can carry their existing
//! Doris / StarRocks connector options over unchanged.
//!
//! Keys and values follow [`crate::options`], the grammar the vendor crates use too: one option
//! map gets one verdict. A bad value is a `Config` error naming the key (and never echoing a
//! value whose key looks secret). Keys core does not act on are kept in `SinkConfig::extra` for
//! the vendor crate.

use crate::config::{Delivery, ForgottenLabel, SinkConfigBuilder};
use crate::error::Result;
use crate::options::{
    CommonOption, normalize_key, parse_bool, parse_common, parse_count, value_error,
};

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
            if let Some(common) = parse_common(key, value)? {
                self = match common {
                    CommonOption::LabelPrefix(prefix) => self.with_label_prefix(prefix),
                    CommonOption::BufferFlushMaxRows(n) => self.with_max_rows(n),
                    CommonOption::BufferFlushMaxBytes(n) => self.with_max_bytes(n),
                    CommonOption::BufferFlushInterval(d) => self.with_flush_interval(d),
                    CommonOption::MaxRetries(n) => {
                        self.with_max_retries(usize::try_from(n).unwrap_or(usize::MAX))
                    }
                    CommonOption::IgnoreUpdateBefore(on) => self.with_ignore_update_before(on),
                    // Credentials, redirects, headers, retry pauses: the vendor's business.
                    _ => self.with_extra(key, value),
                };
                continue;
            }
            self = match normalize_key(key).as_str() {
                "sink.flush.queue.size" => self.with_flush_queue_size(parse_count(key, value)?),
                "sink.enable.delete" => self.with_enable_delete(parse_bool(key, value)?),
                "sink.semantic" => match value.trim().to_ascii_lowercase().as_str() {
                    "exactly-once" | "exactly_once" => self.with_delivery(Delivery::Checkpointed),
                    "at-least-once" | "at_least_once" => self.with_delivery(Delivery::Batched),
                    _ => return Err(value_error(key, value, "exactly-once or at-least-once")),
                },
                "sink.recover.forgotten.label" => {
                    match value.trim().to_ascii_lowercase().as_str() {
                        "assume-committed" => {
                            self.with_forgotten_label(ForgottenLabel::AssumeCommitted)
                        }
                        "fail" => self.with_forgotten_label(ForgottenLabel::Fail),
                        _ => return Err(value_error(key, value, "assume-committed or fail")),
                    }
                }
                "sink.enable.2pc" => {
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
    use crate::ErrorKind;
    use crate::config::SinkConfig;
    use crate::options::{parse_duration, parse_size};
    use std::time::Duration;

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
