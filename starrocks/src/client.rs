//! The StarRocks side of the shared transport: the FE list (`load-url`), the timeouts the
//! connector options name, and how an FE lists its BEs (`/api/show_proc?path=/backends`).
//!
//! Redirect checks, credentials (configured FEs, reported BEs and the allow-list only), FE
//! failover and the `Expect: 100-continue` probe are `streamload_core::http`'s. Bodiless calls
//! (`begin`, `prepare`, `commit`, …) move to the next FE only when they never reached one: a
//! call that may have acted is settled by label state, never sent twice blindly.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use streamload_core::http::{Answer, BackendDirectory, Failover, Transport, TransportConfig};
use streamload_core::{Error, ErrorKind, Result};
use url::Url;

use crate::BACKEND;
use crate::config::StarRocksConfig;

/// A final (non-redirect) answer.
pub(crate) type Reply = Answer;

/// Where a body-carrying request goes, or the FE's own answer when it did not redirect.
pub(crate) use streamload_core::http::Resolved as Target;

/// The HTTP side of a StarRocks cluster.
#[derive(Debug)]
pub(crate) struct HttpClient {
    pub(crate) transport: Transport,
}

impl HttpClient {
    /// A client for `config.load_urls`.
    pub(crate) fn new(config: &StarRocksConfig) -> Result<Self> {
        let frontends = config
            .load_urls
            .iter()
            .map(|raw| parse_node(raw))
            .collect::<Result<Vec<_>>>()?;
        if frontends.is_empty() {
            return Err(config_error(
                "load-url: at least one FE address is required",
            ));
        }
        let probe = Duration::from_millis(config.wait_for_continue_timeout_ms);
        let socket = config.socket_timeout_ms.map(Duration::from_millis);
        let load = config.load_timeout_ms.map(Duration::from_millis);
        let transport = Transport::new(
            TransportConfig {
                backend: BACKEND,
                frontends,
                backends: Vec::new(),
                allowed_hosts: config.allowed_hosts.clone(),
                username: config.username.clone(),
                password: config.password.clone(),
                rewrite_localhost: config.rewrite_localhost,
                connect_timeout: Duration::from_millis(config.connect_timeout_ms),
                read_timeout: socket,
                stream_read_timeout: socket,
                request_timeout: Some(load.unwrap_or(probe * 4)),
                probe_timeout: Some(probe),
                load_timeout: load,
                tls: config.tls.clone(),
            },
            Box::new(ShowProcBackends),
        )?;
        Ok(Self { transport })
    }

    /// Sends a bodiless request to an FE (failing over when it never reached one) and follows
    /// checked redirects.
    pub(crate) async fn send_empty(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &HeaderMap,
    ) -> Result<Reply> {
        self.transport
            .fe_request(method, path_and_query, headers, Failover::Unsent)
            .await
    }

    /// Finds the node a body-carrying request must go to, without sending the body.
    pub(crate) async fn resolve(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &HeaderMap,
    ) -> Result<Target> {
        debug_assert_eq!(method, Method::PUT, "loads are PUTs");
        self.transport
            .with_failover(Failover::Unsent, |fe| async move {
                let url = fe.join(path_and_query).map_err(|e| {
                    config_error(format!("invalid request path {path_and_query:?}")).set_source(e)
                })?;
                self.transport.probe(url, headers).await
            })
            .await
    }

    /// A GET without credentials (the BE's error log), to a host of the cluster only.
    pub(crate) async fn get_plain(&self, url: Url, limit: usize) -> Result<(u16, String)> {
        let (status, text) = self.transport.get_limited(&url, limit).await?;
        Ok((status.as_u16(), text))
    }
}

/// `host:port` or a URL → the FE base URL.
pub(crate) fn parse_node(raw: &str) -> Result<Url> {
    streamload_core::http::parse_node(raw, "load-url")
        .map_err(|e| e.with_context("backend", BACKEND))
}

/// StarRocks's node lists: `/api/show_proc?path=/backends` and `…/frontends` on an FE (rows as
/// JSON objects).
#[derive(Debug)]
struct ShowProcBackends;

#[derive(Debug, Deserialize)]
struct NodeRow {
    #[serde(rename = "IP")]
    ip: String,
    #[serde(rename = "HttpPort")]
    http_port: String,
    #[serde(rename = "Alive", default)]
    alive: Option<String>,
}

impl BackendDirectory for ShowProcBackends {
    fn path_and_query(&self) -> &str {
        "/api/show_proc?path=/backends"
    }

    fn parse(&self, answer: &Answer) -> Result<Vec<Url>> {
        alive_nodes(answer, "BEs")
    }

    /// A follower FE redirects transaction calls to the leader, which may be missing from
    /// `load-url`: the FE list makes it one of the cluster's hosts.
    fn frontends_path(&self) -> Option<&str> {
        Some("/api/show_proc?path=/frontends")
    }

    fn parse_frontends(&self, answer: &Answer) -> Result<Vec<Url>> {
        alive_nodes(answer, "FEs")
    }
}

/// The alive nodes of a `show_proc` node list (rows keyed `IP`, `HttpPort`, `Alive`).
fn alive_nodes(answer: &Answer, what: &str) -> Result<Vec<Url>> {
    if !answer.status.is_success() {
        return Err(Error::new(
            ErrorKind::Unavailable,
            format!("the FE did not list its {what} (HTTP {})", answer.status),
        )
        .with_context(
            "hint",
            "the node lists need an admin user; or list the hosts in sink.allowed-hosts",
        ));
    }
    let rows: Vec<NodeRow> = serde_json::from_slice(&answer.body).map_err(|e| {
        Error::new(ErrorKind::Protocol, "unexpected /api/show_proc answer").set_source(e)
    })?;
    let scheme = answer.url.scheme();
    rows.into_iter()
        .filter(|row| {
            row.alive
                .as_deref()
                .is_none_or(|a| a.eq_ignore_ascii_case("true"))
        })
        .map(|row| parse_node(&format!("{scheme}://{}:{}", row.ip, row.http_port)))
        .collect()
}

fn config_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Config, message).with_context("backend", BACKEND)
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
