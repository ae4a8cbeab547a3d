//! Option values as the Flink connectors spell them.
//!
//! * sizes: `1048576`, `512kb`, `64mb`, `1gb` (also `k`/`m`/`g`, `kib`/`mib`/`gib`, `b`,
//!   `bytes`; any case) — binary multiples, as Flink's `MemorySize`;
//! * durations: `500ms`, `10s`, `5min`, `1h` (also `m`, `sec`, `seconds`, …); a bare number is
//!   milliseconds;
//! * booleans: `true` / `false`, any case;
//! * counts: non-negative integers;
//! * lists: separated by `,` or `;`, blanks dropped.
//!
//! A bad value is a `Config` error that says what was expected; the caller adds the key. Values
//! of secret keys are never echoed.

use std::time::Duration;

use crate::{Error, ErrorKind, Result};

/// The error for a bad `value`; `key` (if not empty) is named, and its value hidden when the key
/// names a secret.
pub fn value_error(key: &str, value: &str, expected: &str) -> Error {
    let shown = if super::is_secret_key(key) {
        "<redacted>"
    } else {
        value.trim()
    };
    if key.is_empty() {
        Error::new(
            ErrorKind::Config,
            format!("invalid value {shown:?}: expected {expected}"),
        )
    } else {
        Error::new(
            ErrorKind::Config,
            format!("invalid value {shown:?} for {key}: expected {expected}"),
        )
        .with_context("key", key)
    }
}

/// `true` or `false`, any case.
pub fn parse_bool(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(value_error(key, value, "true or false")),
    }
}

/// A non-negative integer.
pub fn parse_count<T: TryFrom<u64>>(key: &str, value: &str) -> Result<T> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| value_error(key, value, "a non-negative integer"))
}

/// Splits `30s` into (`30`, `s`).
fn number_and_unit(value: &str) -> Option<(u64, String)> {
    let text = value.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number = text[..digits].parse().ok()?;
    Some((number, text[digits..].trim().to_ascii_lowercase()))
}

/// A memory size in bytes.
pub fn parse_size(key: &str, value: &str) -> Result<u64> {
    let expected = "a size such as 512kb, 64mb or 1gb";
    let (n, unit) = number_and_unit(value).ok_or_else(|| value_error(key, value, expected))?;
    let factor: u64 = match unit.as_str() {
        "" | "b" | "bytes" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(value_error(key, value, expected)),
    };
    n.checked_mul(factor)
        .ok_or_else(|| value_error(key, value, expected))
}

/// A duration; a bare number is milliseconds.
pub fn parse_duration(key: &str, value: &str) -> Result<Duration> {
    let expected = "a duration such as 500ms, 10s, 5min or 1h";
    let (n, unit) = number_and_unit(value).ok_or_else(|| value_error(key, value, expected))?;
    let ms = match unit.as_str() {
        "" | "ms" | "milli" | "millis" => Some(n),
        "s" | "sec" | "secs" | "second" | "seconds" => n.checked_mul(1000),
        "m" | "min" | "minute" | "minutes" => n.checked_mul(60_000),
        "h" | "hour" | "hours" => n.checked_mul(3_600_000),
        _ => None,
    };
    ms.map(Duration::from_millis)
        .ok_or_else(|| value_error(key, value, expected))
}

/// A duration, or off for a negative number (`-1`, as the connectors spell "no timeout").
pub fn parse_millis_or_off(key: &str, value: &str) -> Result<Option<Duration>> {
    let text = value.trim();
    if let Some(rest) = text.strip_prefix('-') {
        return match rest.parse::<u64>() {
            Ok(_) => Ok(None),
            Err(_) => Err(value_error(key, value, "-1 or a duration")),
        };
    }
    parse_duration(key, text).map(Some)
}

/// A list separated by `,` or `;`, blanks dropped.
pub fn parse_list(value: &str) -> Vec<String> {
    value
        .split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_in_every_spelling() {
        for (text, bytes) in [
            ("1048576", 1 << 20),
            ("64mb", 64 << 20),
            ("64MiB", 64 << 20),
            ("512k", 512 << 10),
            ("1gb", 1 << 30),
        ] {
            assert_eq!(parse_size("k", text).unwrap(), bytes, "{text}");
        }
        for (text, ms) in [
            ("500", 500),
            ("500ms", 500),
            ("10s", 10_000),
            ("5min", 300_000),
            ("2m", 120_000),
            ("1h", 3_600_000),
        ] {
            assert_eq!(
                parse_duration("k", text).unwrap(),
                Duration::from_millis(ms),
                "{text}"
            );
        }
        assert_eq!(parse_millis_or_off("k", "-1").unwrap(), None);
        assert_eq!(
            parse_millis_or_off("k", "30000").unwrap(),
            Some(Duration::from_secs(30))
        );
        assert!(parse_size("k", "64pb").is_err());
        assert!(parse_duration("k", "ten").is_err());
        assert_eq!(parse_count::<u32>("k", "7").unwrap(), 7);
        assert!(parse_count::<u8>("k", "300").is_err());
        assert_eq!(parse_list("a, b;;c"), ["a", "b", "c"]);
    }

    #[test]
    fn errors_name_the_key_and_hide_secrets() {
        let err = parse_size("sink.buffer-flush.max-bytes", "lots").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(err.context("key"), Some("sink.buffer-flush.max-bytes"));
        assert!(err.to_string().contains("\"lots\""), "{err}");
        let err = parse_bool("sink.token.refresh", "s3cr3t").unwrap_err();
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
    }
}
