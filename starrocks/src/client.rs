//! HTTP plumbing: FE list with failover, and the redirect done by us.
//!
//! reqwest cannot follow a 307 for a streamed body, strips `Authorization` when the port changes
//! (FE :8030 → BE :8040), and has no client-side `Expect: 100-continue`. So redirects are ours:
//! bodiless operations (`begin`, `prepare`, `commit`, …) are re-sent hop by hop with the
//! credentials; a body-carrying request is first *resolved* with an empty-body PUT carrying
//! `Expect: 100-continue` (the FE only redirects, it never reads the body), following follower FE
//! → leader FE hops, and the real body is then streamed to the BE the last FE named.
//! Credentials go only to allowed hosts, https is never downgraded to http, user-info in a
//! `Location` is stripped and never logged.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, EXPECT, HeaderMap, HeaderValue, LOCATION};
use reqwest::{Method, StatusCode};
use streamload_core::{Error, ErrorKind, Result};
use url::Url;

use crate::BACKEND;
use crate::config::StarRocksConfig;

/// Most hops we follow: follower FE → leader FE → BE, plus one spare.
const MAX_HOPS: usize = 4;

/// A final (non-redirect) answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    /// HTTP status code.
    pub(crate) status: u16,
    /// The body.
    pub(crate) body: Bytes,
    /// The URL that answered (no user-info).
    pub(crate) from: Url,
}

/// Where a body-carrying request goes, or the FE's own answer when it did not redirect.
#[derive(Debug)]
pub(crate) enum Target {
    /// Stream the body here (a BE).
    Node(Url),
    /// The FE answered instead of redirecting (an error in practice).
    Answered(Reply),
}

/// The HTTP side of a StarRocks cluster.
#[derive(Debug)]
pub(crate) struct HttpClient {
    http: reqwest::Client,
    nodes: Vec<Url>,
    next: AtomicUsize,
    auth: HeaderValue,
    allowed_hosts: Vec<String>,
    rewrite_localhost: bool,
    probe_timeout: Duration,
    load_timeout: Option<Duration>,
}

impl HttpClient {
    /// A client for `config.load_urls`.
    pub(crate) fn new(config: &StarRocksConfig) -> Result<Self> {
        let nodes = config
            .load_urls
            .iter()
            .map(|raw| parse_node(raw))
            .collect::<Result<Vec<_>>>()?;
        if nodes.is_empty() {
            return Err(config_error(
                "load-url: at least one FE address is required",
            ));
        }
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            .pool_idle_timeout(Duration::from_secs(30))
            .tcp_nodelay(true);
        if let Some(ms) = config.socket_timeout_ms {
            builder = builder.read_timeout(Duration::from_millis(ms));
        }
        let http = builder
            .build()
            .map_err(|e| config_error("cannot build the HTTP client").set_source(e))?;
        Ok(Self {
            http,
            nodes,
            next: AtomicUsize::new(0),
            auth: basic_auth(&config.username, &config.password),
            allowed_hosts: config.allowed_hosts.clone(),
            rewrite_localhost: config.rewrite_localhost,
            probe_timeout: Duration::from_millis(config.wait_for_continue_timeout_ms),
            load_timeout: config.load_timeout_ms.map(Duration::from_millis),
        })
    }

    /// Sends a bodiless request to an FE (failing over on connect errors) and follows 307s.
    pub(crate) async fn send_empty(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &HeaderMap,
    ) -> Result<Reply> {
        self.with_failover(|base| {
            let method = method.clone();
            async move {
                let mut url = join(&base, path_and_query)?;
                for _ in 0..MAX_HOPS {
                    let reply = self
                        .request(method.clone(), url.clone(), headers)
                        .header(CONTENT_LENGTH, "0")
                        .timeout(self.load_timeout.unwrap_or(self.probe_timeout * 4))
                        .send()
                        .await
                        .map_err(|e| transport_error(e, &url))?;
                    match location(&reply)? {
                        Some(next) => url = self.follow(&url, &next)?,
                        None => return read_reply(reply, url).await,
                    }
                }
                Err(too_many_hops(&url))
            }
        })
        .await
    }

    /// Finds the node a body-carrying request must go to, without sending the body: an
    /// empty-body probe with `Expect: 100-continue` to the FE, following FE → FE hops.
    pub(crate) async fn resolve(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &HeaderMap,
    ) -> Result<Target> {
        self.with_failover(|base| {
            let method = method.clone();
            async move {
                let mut url = join(&base, path_and_query)?;
                for _ in 0..MAX_HOPS {
                    let reply = self
                        .request(method.clone(), url.clone(), headers)
                        .header(EXPECT, "100-continue")
                        .header(CONTENT_LENGTH, "0")
                        .timeout(self.probe_timeout)
                        .send()
                        .await
                        .map_err(|e| transport_error(e, &url))?;
                    let Some(next) = location(&reply)? else {
                        return Ok(Target::Answered(read_reply(reply, url).await?));
                    };
                    let next = self.follow(&url, &next)?;
                    if !self.is_frontend(&next, &url) {
                        tracing::debug!(backend = BACKEND, target = %next, "redirected to a BE");
                        return Ok(Target::Node(next));
                    }
                    tracing::debug!(backend = BACKEND, target = %next, "redirected to another FE");
                    url = next;
                }
                Err(too_many_hops(&url))
            }
        })
        .await
    }

    /// A request with the credentials (to an already checked host) and the load deadline.
    pub(crate) fn request(
        &self,
        method: Method,
        url: Url,
        headers: &HeaderMap,
    ) -> reqwest::RequestBuilder {
        let mut builder = self
            .http
            .request(method, url)
            .headers(headers.clone())
            .header(AUTHORIZATION, self.auth.clone());
        if let Some(deadline) = self.load_timeout {
            builder = builder.timeout(deadline);
        }
        builder
    }

    /// A GET without credentials (the BE's error log).
    pub(crate) async fn get_plain(&self, url: Url) -> Result<Reply> {
        self.check_host(&url)?;
        let reply = self
            .http
            .get(url.clone())
            .timeout(self.probe_timeout)
            .send()
            .await
            .map_err(|e| transport_error(e, &url))?;
        read_reply(reply, url).await
    }

    async fn with_failover<F, Fut, T>(&self, attempt: F) -> Result<T>
    where
        F: Fn(Url) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let start = self.next.load(Ordering::Relaxed);
        let mut last = None;
        for i in 0..self.nodes.len() {
            let index = (start + i) % self.nodes.len();
            match attempt(self.nodes[index].clone()).await {
                Err(e) if e.context("phase") == Some("connect") => {
                    tracing::warn!(backend = BACKEND, node = %self.nodes[index], error = %e, "FE unreachable, trying the next one");
                    self.next.store(index + 1, Ordering::Relaxed);
                    last = Some(e);
                }
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| config_error("no FE configured")))
    }

    /// Checks and rewrites a redirect target.
    fn follow(&self, from: &Url, location: &str) -> Result<Url> {
        let mut next = from.join(location).map_err(|e| {
            Error::new(ErrorKind::Protocol, "unparseable redirect Location")
                .with_context("backend", BACKEND)
                .set_source(e)
        })?;
        let _ = next.set_username("");
        let _ = next.set_password(None);
        if from.scheme() == "https" && next.scheme() != "https" {
            return Err(Error::new(
                ErrorKind::Protocol,
                format!("refusing redirect from https to {}", next.scheme()),
            )
            .with_context("backend", BACKEND)
            .with_context("target", &next));
        }
        if self.rewrite_localhost
            && is_loopback(&next)
            && !is_loopback(from)
            && let Some(host) = from.host_str()
        {
            let host = host.to_owned();
            next.set_host(Some(&host)).map_err(|e| {
                Error::new(ErrorKind::Protocol, "cannot rewrite redirect host").set_source(e)
            })?;
        }
        self.check_host(&next)?;
        Ok(next)
    }

    /// Credentials only go to configured FEs, or to the allow-list when one is set.
    fn check_host(&self, url: &Url) -> Result<()> {
        let host = url.host_str().unwrap_or("");
        let is_fe = self.nodes.iter().any(|n| n.host_str() == Some(host));
        let allowed = self.allowed_hosts.is_empty()
            || self
                .allowed_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host));
        if is_fe || allowed {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Config,
                format!("host {host:?} is not in sink.allowed-hosts; refusing to send credentials"),
            )
            .with_context("backend", BACKEND))
        }
    }

    /// A redirect target is another FE when it is a configured FE or keeps the FE's port.
    fn is_frontend(&self, target: &Url, responder: &Url) -> bool {
        let same = |a: &Url, b: &Url| {
            a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
        };
        self.nodes.iter().any(|n| same(n, target))
            || target.port_or_known_default() == responder.port_or_known_default()
    }
}

/// `host:port` or a URL → the FE base URL.
pub(crate) fn parse_node(raw: &str) -> Result<Url> {
    let text = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("http://{raw}")
    };
    let mut url = Url::parse(&text)
        .map_err(|e| config_error(format!("load-url: invalid FE address {raw:?}")).set_source(e))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(config_error(format!(
            "load-url: invalid FE address {raw:?}"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config_error(
            "load-url: put credentials in username/password, not in the URL",
        ));
    }
    url.set_path("");
    url.set_query(None);
    Ok(url)
}

fn join(base: &Url, path_and_query: &str) -> Result<Url> {
    base.join(path_and_query)
        .map_err(|e| config_error(format!("invalid request path {path_and_query:?}")).set_source(e))
}

fn location(reply: &reqwest::Response) -> Result<Option<String>> {
    if !matches!(
        reply.status(),
        StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT | StatusCode::FOUND
    ) {
        return Ok(None);
    }
    reply
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|s| Some(s.to_owned()))
        .ok_or_else(|| {
            Error::new(ErrorKind::Protocol, "redirect without a Location header")
                .with_context("backend", BACKEND)
        })
}

pub(crate) async fn read_reply(reply: reqwest::Response, from: Url) -> Result<Reply> {
    let status = reply.status().as_u16();
    let body = reply.bytes().await.map_err(|e| transport_error(e, &from))?;
    Ok(Reply { status, body, from })
}

/// Maps a transport failure: nothing sent (connect) is temporary, anything later is unknown.
pub(crate) fn transport_error(e: reqwest::Error, url: &Url) -> Error {
    let node = format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    );
    let base = |kind, message: &str| {
        Error::new(kind, message)
            .with_context("backend", BACKEND)
            .with_context("node", &node)
    };
    if e.is_connect() {
        base(ErrorKind::Unavailable, "cannot connect")
            .with_context("phase", "connect")
            .temporary()
            .set_source(e.without_url())
    } else if e.is_timeout() {
        base(ErrorKind::Timeout, "request timed out")
            .outcome_unknown()
            .set_source(e.without_url())
    } else {
        base(ErrorKind::Unavailable, "connection failed")
            .outcome_unknown()
            .set_source(e.without_url())
    }
}

fn too_many_hops(url: &Url) -> Error {
    Error::new(
        ErrorKind::Protocol,
        format!("more than {MAX_HOPS} redirects"),
    )
    .with_context("backend", BACKEND)
    .with_context("last", url)
}

fn is_loopback(url: &Url) -> bool {
    matches!(
        url.host_str(),
        Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
    )
}

fn basic_auth(user: &str, password: &str) -> HeaderValue {
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let mut value = HeaderValue::from_str(&format!("Basic {token}"))
        .unwrap_or_else(|_| HeaderValue::from_static("Basic Og=="));
    value.set_sensitive(true);
    value
}

fn config_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Config, message).with_context("backend", BACKEND)
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
