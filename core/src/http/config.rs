//! What a [`super::Transport`] is built from and answers with: its settings, the vendor's
//! [`BackendDirectory`], a final [`Answer`], where a probe [`Resolved`] to, and the
//! [`Failover`] rule of a request.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use url::Url;

use super::tls::TlsConfig;
use crate::Result;

/// How one cluster is reached.
#[derive(Clone)]
pub struct TransportConfig {
    /// Vendor tag put on every error of this transport (`"doris"`, `"starrocks"`).
    pub backend: &'static str,
    /// FE base URLs, in failover order.
    pub frontends: Vec<Url>,
    /// BE base URLs the user configured (loads may go to them directly).
    pub backends: Vec<Url>,
    /// Further host names that may receive credentials.
    pub allowed_hosts: Vec<String>,
    /// User name for Basic auth.
    pub username: String,
    /// Password for Basic auth (never shown by `Debug`).
    pub password: String,
    /// Rewrite a loopback host in a redirect or a reported BE to the FE's host.
    pub rewrite_localhost: bool,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Per-read timeout of bodiless requests.
    pub read_timeout: Option<Duration>,
    /// Per-read timeout of streamed loads (`None`: a 2PC body may stay open a whole checkpoint).
    pub stream_read_timeout: Option<Duration>,
    /// Whole-request deadline of bodiless requests.
    pub request_timeout: Option<Duration>,
    /// Whole-request deadline of the redirect probe.
    pub probe_timeout: Option<Duration>,
    /// Whole-request deadline of streamed loads.
    pub load_timeout: Option<Duration>,
    /// CA bundles, client identity, hostname verification (applied with feature `rustls`).
    pub tls: TlsConfig,
}

impl fmt::Debug for TransportConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportConfig")
            .field("backend", &self.backend)
            .field("frontends", &self.frontends)
            .field("backends", &self.backends)
            .field("allowed_hosts", &self.allowed_hosts)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("rewrite_localhost", &self.rewrite_localhost)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

/// How a vendor's FE lists its alive BEs (they become hosts that may receive credentials).
pub trait BackendDirectory: Send + Sync + fmt::Debug {
    /// Path and query of the FE endpoint that lists the BEs.
    fn path_and_query(&self) -> &str;
    /// The alive BEs in the endpoint's answer, as base URLs with the answer's scheme.
    fn parse(&self, answer: &Answer) -> Result<Vec<Url>>;

    /// Path and query of the FE endpoint that lists the FEs, where the vendor's FEs redirect to
    /// one another (a follower to a leader that may be missing from the FE list).
    fn frontends_path(&self) -> Option<&str> {
        None
    }

    /// The alive FEs in the answer of [`frontends_path`](Self::frontends_path).
    fn parse_frontends(&self, _answer: &Answer) -> Result<Vec<Url>> {
        Ok(Vec::new())
    }
}

/// A final (non-redirect) answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: Bytes,
    /// The URL that answered (no userinfo).
    pub url: Url,
}

/// Where a probe led: the node that takes the body, or the FE's own answer.
#[derive(Debug)]
pub enum Resolved {
    /// Send the body here (a BE).
    Node(Url),
    /// The FE answered instead of redirecting (a refusal, in practice).
    Answered(Answer),
}

/// Which failures move a request on to the next FE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failover {
    /// Only requests that never reached the FE ([`crate::Error::is_unsent`]): for calls that act.
    Unsent,
    /// Any retryable failure and any 5xx answer: for reads that change nothing, and probes
    /// (which begin nothing).
    Retryable,
}
