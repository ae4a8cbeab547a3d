//! The option keys both vendor crates understand, classified and parsed once.

use std::path::PathBuf;
use std::time::Duration;

use super::values::{parse_bool, parse_count, parse_duration, parse_list, parse_size};
use super::{is_ignored, normalize_key};
use crate::{Error, ErrorKind, Result};

/// A key both vendors share (the value is parsed by [`CommonKey::parse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommonKey {
    /// `username` (alias `user`).
    Username,
    /// `password`.
    Password,
    /// `sink.label-prefix`.
    LabelPrefix,
    /// `sink.buffer-flush.max-bytes`: a size (`64mb`).
    BufferFlushMaxBytes,
    /// `sink.buffer-flush.max-rows`.
    BufferFlushMaxRows,
    /// `sink.buffer-flush.interval` (`10s`) or `sink.buffer-flush.interval-ms` (`10000`).
    BufferFlushInterval,
    /// `sink.max-retries`.
    MaxRetries,
    /// `sink.retry.interval-ms`.
    RetryInterval,
    /// `sink.ignore.update-before`.
    IgnoreUpdateBefore,
    /// `sink.allowed-hosts` / `sink.redirect.allowed-hosts`: hosts besides the cluster's own
    /// that may receive credentials.
    AllowedHosts,
    /// `sink.redirect.rewrite-localhost`.
    RewriteLocalhost,
    /// The Doris connector's TLS family (`doris.enable.tls`, `doris.tls.*`, also spelled
    /// without the `doris.` prefix): see [`TlsKey`].
    Tls(TlsKey),
    /// `sink.properties.NAME` / `property.NAME`: a Stream Load header (name lowercased).
    Property(String),
    /// A Flink runtime key without meaning here (see [`super::IGNORED_FLINK_KEYS`]).
    Ignored(String),
}

/// A parsed value of a [`CommonKey`].
#[derive(Clone, PartialEq, Eq)]
pub enum CommonOption {
    /// User name.
    Username(String),
    /// Password (never shown by `Debug`).
    Password(String),
    /// Label prefix.
    LabelPrefix(String),
    /// Bytes that close a batch.
    BufferFlushMaxBytes(u64),
    /// Rows that close a batch.
    BufferFlushMaxRows(u64),
    /// Age that closes a batch.
    BufferFlushInterval(Duration),
    /// Retries after the first attempt.
    MaxRetries(u32),
    /// Pause between retries.
    RetryInterval(Duration),
    /// Skip update-before images.
    IgnoreUpdateBefore(bool),
    /// Further hosts that may receive credentials.
    AllowedHosts(Vec<String>),
    /// Rewrite loopback redirect targets to the FE's host.
    RewriteLocalhost(bool),
    /// A TLS setting (the transport's `TlsConfig::set` applies it).
    Tls(TlsOption),
    /// A Stream Load header.
    Property(String, String),
    /// Nothing to do.
    Ignored,
}

/// A TLS option key. The Doris Flink connector names the family; Rust has no JKS, so every
/// store is a PEM file, and the client identity (mutual TLS) is two PEM files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsKey {
    /// `doris.enable.tls`: reach every node over `https://`.
    Enabled,
    /// `doris.tls.ca-certificate-path`: a PEM CA bundle (empty: the system roots only).
    CaCertificatePath,
    /// `doris.tls.skip-hostname-verification`.
    SkipHostnameVerification,
    /// `doris.tls.system-roots`: trust the system roots besides the CA bundle (default true).
    SystemRoots,
    /// `doris.tls.client-certificate-path`: a PEM certificate chain for mutual TLS.
    ClientCertificatePath,
    /// `doris.tls.client-key-path`: its PEM private key.
    ClientKeyPath,
    /// `doris.tls.excluded-protocols`: `http` in the list keeps HTTP plaintext.
    ExcludedProtocols,
}

/// A parsed TLS option (paths: an empty value means none).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsOption {
    /// Reach every node over `https://`.
    Enabled(bool),
    /// A PEM CA bundle.
    CaCertificatePath(Option<PathBuf>),
    /// Accept a certificate issued for another host name.
    SkipHostnameVerification(bool),
    /// Trust the system roots too.
    SystemRoots(bool),
    /// The client certificate chain.
    ClientCertificatePath(Option<PathBuf>),
    /// The client private key (a path; the key itself is read when the transport is built).
    ClientKeyPath(Option<PathBuf>),
    /// Protocols TLS is not used for.
    ExcludedProtocols(Vec<String>),
}

impl TlsKey {
    /// The TLS key a normalized key names, with or without the `doris.` prefix.
    fn classify(normalized: &str) -> Option<TlsKey> {
        let key = normalized.strip_prefix("doris.").unwrap_or(normalized);
        Some(match key {
            "enable.tls" | "tls.enabled" => TlsKey::Enabled,
            "tls.ca.certificate.path" => TlsKey::CaCertificatePath,
            "tls.skip.hostname.verification" => TlsKey::SkipHostnameVerification,
            "tls.system.roots" => TlsKey::SystemRoots,
            "tls.client.certificate.path" => TlsKey::ClientCertificatePath,
            "tls.client.key.path" => TlsKey::ClientKeyPath,
            "tls.excluded.protocols" => TlsKey::ExcludedProtocols,
            _ => return None,
        })
    }

    fn parse(self, key: &str, v: &str) -> Result<TlsOption> {
        let path = || (!v.is_empty()).then(|| PathBuf::from(v));
        Ok(match self {
            TlsKey::Enabled => TlsOption::Enabled(parse_bool(key, v)?),
            TlsKey::CaCertificatePath => TlsOption::CaCertificatePath(path()),
            TlsKey::SkipHostnameVerification => {
                TlsOption::SkipHostnameVerification(parse_bool(key, v)?)
            }
            TlsKey::SystemRoots => TlsOption::SystemRoots(parse_bool(key, v)?),
            TlsKey::ClientCertificatePath => TlsOption::ClientCertificatePath(path()),
            TlsKey::ClientKeyPath => TlsOption::ClientKeyPath(path()),
            TlsKey::ExcludedProtocols => TlsOption::ExcludedProtocols(parse_list(v)),
        })
    }
}

impl std::fmt::Debug for CommonOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommonOption::Password(_) => f.write_str("Password(<redacted>)"),
            CommonOption::Username(v) | CommonOption::LabelPrefix(v) => {
                f.debug_tuple("Option").field(v).finish()
            }
            CommonOption::BufferFlushMaxBytes(v) | CommonOption::BufferFlushMaxRows(v) => {
                f.debug_tuple("Option").field(v).finish()
            }
            CommonOption::BufferFlushInterval(v) | CommonOption::RetryInterval(v) => {
                f.debug_tuple("Option").field(v).finish()
            }
            CommonOption::MaxRetries(v) => f.debug_tuple("MaxRetries").field(v).finish(),
            CommonOption::IgnoreUpdateBefore(v) | CommonOption::RewriteLocalhost(v) => {
                f.debug_tuple("Option").field(v).finish()
            }
            CommonOption::AllowedHosts(v) => f.debug_tuple("AllowedHosts").field(v).finish(),
            CommonOption::Tls(v) => f.debug_tuple("Tls").field(v).finish(),
            CommonOption::Property(k, v) => f.debug_tuple("Property").field(k).field(v).finish(),
            CommonOption::Ignored => f.write_str("Ignored"),
        }
    }
}

impl CommonKey {
    /// Classifies `key`: `Ok(None)` if it is not a shared key.
    pub fn classify(key: &str) -> Result<Option<CommonKey>> {
        let raw = key.trim();
        for prefix in ["sink.properties.", "property."] {
            if raw.len() >= prefix.len() && raw[..prefix.len()].eq_ignore_ascii_case(prefix) {
                let name = raw[prefix.len()..].trim().to_ascii_lowercase();
                if name.is_empty() {
                    return Err(
                        Error::new(ErrorKind::Config, "empty Stream Load property name")
                            .with_context("key", raw),
                    );
                }
                return Ok(Some(CommonKey::Property(name)));
            }
        }
        let key = match normalize_key(raw).as_str() {
            "username" | "user" => CommonKey::Username,
            "password" => CommonKey::Password,
            "sink.label.prefix" | "label.prefix" => CommonKey::LabelPrefix,
            "sink.buffer.flush.max.bytes" => CommonKey::BufferFlushMaxBytes,
            "sink.buffer.flush.max.rows" => CommonKey::BufferFlushMaxRows,
            "sink.buffer.flush.interval" | "sink.buffer.flush.interval.ms" => {
                CommonKey::BufferFlushInterval
            }
            "sink.max.retries" | "max.retries" => CommonKey::MaxRetries,
            "sink.retry.interval.ms" | "sink.retry.interval" => CommonKey::RetryInterval,
            "sink.ignore.update.before" => CommonKey::IgnoreUpdateBefore,
            "sink.allowed.hosts" | "sink.redirect.allowed.hosts" | "allowed.hosts" => {
                CommonKey::AllowedHosts
            }
            "sink.redirect.rewrite.localhost" | "rewrite.localhost" => CommonKey::RewriteLocalhost,
            other if TlsKey::classify(other).is_some() => {
                CommonKey::Tls(TlsKey::classify(other).expect("just matched"))
            }
            other if is_ignored(other) => CommonKey::Ignored(raw.to_owned()),
            _ => return Ok(None),
        };
        Ok(Some(key))
    }

    /// Parses `value` for this key; `key` is the spelling the user wrote (named in errors).
    pub fn parse(&self, key: &str, value: &str) -> Result<CommonOption> {
        let v = value.trim();
        Ok(match self {
            CommonKey::Username => CommonOption::Username(v.to_owned()),
            // A password is taken as written: spaces may be part of it.
            CommonKey::Password => CommonOption::Password(value.to_owned()),
            CommonKey::LabelPrefix => CommonOption::LabelPrefix(v.to_owned()),
            CommonKey::BufferFlushMaxBytes => {
                CommonOption::BufferFlushMaxBytes(parse_size(key, v)?)
            }
            CommonKey::BufferFlushMaxRows => CommonOption::BufferFlushMaxRows(parse_count(key, v)?),
            CommonKey::BufferFlushInterval => {
                CommonOption::BufferFlushInterval(parse_duration(key, v)?)
            }
            CommonKey::MaxRetries => CommonOption::MaxRetries(parse_count(key, v)?),
            CommonKey::RetryInterval => CommonOption::RetryInterval(parse_duration(key, v)?),
            CommonKey::IgnoreUpdateBefore => CommonOption::IgnoreUpdateBefore(parse_bool(key, v)?),
            CommonKey::AllowedHosts => CommonOption::AllowedHosts(parse_list(v)),
            CommonKey::RewriteLocalhost => CommonOption::RewriteLocalhost(parse_bool(key, v)?),
            CommonKey::Tls(tls) => CommonOption::Tls(tls.parse(key, v)?),
            CommonKey::Property(name) => CommonOption::Property(name.clone(), value.to_owned()),
            CommonKey::Ignored(_) => CommonOption::Ignored,
        })
    }
}

/// Classifies and parses `key = value` in one step: `Ok(None)` if the key is not shared.
pub fn parse_common(key: &str, value: &str) -> Result<Option<CommonOption>> {
    match CommonKey::classify(key)? {
        Some(common) => common.parse(key.trim(), value).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_meet_in_one_option() {
        for key in [
            "sink.buffer-flush.max-bytes",
            "SINK_BUFFER_FLUSH_MAX_BYTES",
            "sink.buffer.flush.max.bytes",
        ] {
            assert_eq!(
                parse_common(key, "64mb").unwrap(),
                Some(CommonOption::BufferFlushMaxBytes(64 << 20)),
                "{key}"
            );
        }
        assert_eq!(
            parse_common("sink.buffer-flush.interval-ms", "1000").unwrap(),
            Some(CommonOption::BufferFlushInterval(Duration::from_secs(1)))
        );
        assert_eq!(
            parse_common("sink.properties.Format", "json").unwrap(),
            Some(CommonOption::Property("format".into(), "json".into()))
        );
        assert_eq!(parse_common("sink.version", "V2").unwrap(), None);
        assert_eq!(
            parse_common("sink.parallelism", "4").unwrap(),
            Some(CommonOption::Ignored)
        );
        assert!(parse_common("sink.properties.", "x").is_err());
        let err = parse_common("sink.max-retries", "many").unwrap_err();
        assert_eq!(err.context("key"), Some("sink.max-retries"));
        let password = parse_common("password", "s3cr3t").unwrap().unwrap();
        assert!(!format!("{password:?}").contains("s3cr3t"));
    }

    #[test]
    fn tls_family_with_and_without_the_doris_prefix() {
        for key in ["doris.enable.tls", "DORIS_ENABLE_TLS", "tls.enabled"] {
            assert_eq!(
                parse_common(key, "true").unwrap(),
                Some(CommonOption::Tls(TlsOption::Enabled(true))),
                "{key}"
            );
        }
        assert_eq!(
            parse_common("doris.tls.ca-certificate-path", " ca.pem ").unwrap(),
            Some(CommonOption::Tls(TlsOption::CaCertificatePath(Some(
                "ca.pem".into()
            ))))
        );
        assert_eq!(
            parse_common("tls.ca-certificate-path", "").unwrap(),
            Some(CommonOption::Tls(TlsOption::CaCertificatePath(None)))
        );
        assert_eq!(
            parse_common("doris.tls.excluded-protocols", " HTTP, thrift ").unwrap(),
            Some(CommonOption::Tls(TlsOption::ExcludedProtocols(vec![
                "HTTP".into(),
                "thrift".into()
            ])))
        );
        let err = parse_common("doris.tls.skip-hostname-verification", "maybe").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(
            err.context("key"),
            Some("doris.tls.skip-hostname-verification")
        );
        assert_eq!(parse_common("doris.tls.bogus", "1").unwrap(), None);
    }
}
