//! Server version and feature detection, for `sink.version = AUTO`.
//!
//! The connector decides with two probes (reference §7): `select current_version()` over the
//! MySQL port, and a credential-only `POST /api/transaction/begin` whose `Not implemented` reply
//! marks a server without transaction Stream Load. When the probe itself fails, transactions are
//! assumed, as the connector does.

use std::fmt;
use std::str::FromStr;

use reqwest::Method;
use reqwest::header::HeaderMap;
use streamload_core::{Error, ErrorKind, Result};

use crate::BACKEND;
use crate::client::HttpClient;
use crate::response::{RestBody, parse};

/// A StarRocks version such as `3.3.5-5d7a9f2`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServerVersion {
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
    /// Patch number.
    pub patch: u32,
}

impl ServerVersion {
    /// True when this version is `major.minor.patch` or newer.
    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        (self.major, self.minor, self.patch) >= (major, minor, patch)
    }

    /// Transaction Stream Load (V2), since 2.4.
    pub fn supports_transactions(&self) -> bool {
        self.at_least(2, 4, 0)
    }

    /// Merge commit, since 3.4.0.
    pub fn supports_merge_commit(&self) -> bool {
        self.at_least(3, 4, 0)
    }

    /// `compression` for JSON bodies, since 3.2.7.
    pub fn supports_json_compression(&self) -> bool {
        self.at_least(3, 2, 7)
    }

    /// The `prepared_timeout` header, since 3.5.4.
    pub fn supports_prepared_timeout(&self) -> bool {
        self.at_least(3, 5, 4)
    }
}

impl FromStr for ServerVersion {
    type Err = Error;

    /// Parses `^(\d+)\.(\d+)\.(\d+).*`.
    fn from_str(text: &str) -> Result<Self> {
        let bad = || {
            Error::new(
                ErrorKind::Protocol,
                format!("unparseable server version {text:?}"),
            )
        };
        let mut parts = text.trim().splitn(3, '.');
        let mut number = |last: bool| -> Result<u32> {
            let part = parts.next().ok_or_else(bad)?;
            let digits: String = if last {
                part.chars().take_while(char::is_ascii_digit).collect()
            } else {
                part.to_owned()
            };
            digits.parse().map_err(|_| bad())
        };
        Ok(Self {
            major: number(false)?,
            minor: number(false)?,
            patch: number(true)?,
        })
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The transaction-support probe: `false` only for the old FE's `Not implemented`.
pub(crate) async fn probe_transactions(client: &HttpClient) -> bool {
    let reply = match client
        .send_empty(Method::POST, "/api/transaction/begin", &HeaderMap::new())
        .await
    {
        Ok(reply) => reply,
        Err(e) => {
            tracing::debug!(backend = BACKEND, error = %e, "transaction probe failed; assuming support");
            return true;
        }
    };
    match parse::<RestBody>(&reply.body) {
        Ok(body) => {
            !(body.status.as_deref() == Some("FAILED")
                && body.msg.as_deref() == Some("Not implemented"))
        }
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_like_the_connector() {
        let v: ServerVersion = "3.3.5-5d7a9f2".parse().unwrap();
        assert_eq!(
            v,
            ServerVersion {
                major: 3,
                minor: 3,
                patch: 5
            }
        );
        assert!(v.supports_transactions());
        assert!(v.supports_json_compression());
        assert!(!v.supports_merge_commit());
        assert!(
            !"2.3.0"
                .parse::<ServerVersion>()
                .unwrap()
                .supports_transactions()
        );
        assert!(
            "3.4.0-ee"
                .parse::<ServerVersion>()
                .unwrap()
                .supports_merge_commit()
        );
        assert_eq!(
            "x.y".parse::<ServerVersion>().unwrap_err().kind(),
            ErrorKind::Protocol
        );
    }
}
