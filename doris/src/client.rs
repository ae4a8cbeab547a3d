//! HTTP plumbing: node failover, the FE → BE redirect done by us, timeouts.
//!
//! We never let reqwest follow a redirect: it would strip `Authorization` on the FE:8030 →
//! BE:8040 hop, and hyper does not wait for `100 Continue`, so a streamed body would be uploaded to
//! the FE. Instead a load first *probes* the FE with an empty-body PUT carrying `Expect:
//! 100-continue` (the FE answers 307 before any body and begins no transaction), reads `Location`,
//! checks it (userinfo stripped and never logged, allowed hosts only, no https → http downgrade,
//! optional loopback rewrite), and then streams the real request to that BE with our own
//! `Authorization`. Empty-body requests (2PC, REST) follow redirects the same checked way.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, redirect};
use streamload_core::{Error, ErrorKind, Result};
use url::Url;

use crate::BACKEND;
use crate::config::DorisConfig;
use crate::nodes::{endpoint, host_port, parse_node, rotate};
use crate::redirect::checked_location;
use crate::response::classify_load;

/// Redirect hops followed at most (follower FE → leader FE → BE).
const MAX_HOPS: usize = 3;

pub(crate) const MAX_REDIRECT_HOPS: usize = MAX_HOPS;

/// An HTTP answer: status, body, and the URL that gave it.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
    pub(crate) url: Url,
}

/// The HTTP side of one Doris cluster.
#[derive(Debug)]
pub(crate) struct DorisClient {
    /// Probes, 2PC and REST calls: connect and per-read timeouts.
    pub(crate) control: reqwest::Client,
    /// Streaming loads: no per-read timeout (a 2PC body stays open for a whole checkpoint).
    stream: reqwest::Client,
    fe: Vec<Url>,
    pub(crate) be: Vec<Url>,
    pub(crate) discovered: Mutex<Vec<Url>>,
    allowed_hosts: Vec<String>,
    auth: HeaderValue,
    auto_redirect: bool,
    pub(crate) rewrite_localhost: bool,
    next: AtomicUsize,
    pub(crate) read_timeout: Duration,
    pub(crate) load_timeout: Option<Duration>,
}

pub(crate) fn transport_error(e: reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Unavailable
    };
    let err = Error::new(kind, "HTTP request failed").with_context("backend", BACKEND);
    let err = if e.is_connect() {
        err.temporary()
    } else {
        err.outcome_unknown()
    };
    err.set_source(e)
}

impl DorisClient {
    pub(crate) fn new(config: &DorisConfig) -> Result<Self> {
        let fe = config
            .fe_nodes
            .iter()
            .map(|n| parse_node(n))
            .collect::<Result<Vec<_>>>()?;
        let be = config
            .be_nodes
            .iter()
            .map(|n| parse_node(n))
            .collect::<Result<Vec<_>>>()?;
        let build = |read_timeout: Option<Duration>| {
            let mut b = reqwest::Client::builder()
                .redirect(redirect::Policy::none())
                .no_proxy()
                .connect_timeout(config.connect_timeout)
                .pool_idle_timeout(Duration::from_secs(30))
                .tcp_nodelay(true);
            if let Some(t) = read_timeout {
                b = b.read_timeout(t);
            }
            b.build().map_err(|e| {
                Error::new(ErrorKind::Config, "cannot build the HTTP client").set_source(e)
            })
        };
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", config.username, config.password));
        let mut auth = HeaderValue::from_str(&format!("Basic {token}"))
            .map_err(|_| Error::new(ErrorKind::Config, "credentials are not valid header text"))?;
        auth.set_sensitive(true);
        Ok(Self {
            control: build(Some(config.read_timeout))?,
            stream: build(None)?,
            fe,
            be,
            discovered: Mutex::new(Vec::new()),
            allowed_hosts: config.allowed_hosts.clone(),
            auth,
            auto_redirect: config.auto_redirect,
            rewrite_localhost: config.rewrite_localhost,
            next: AtomicUsize::new(0),
            read_timeout: config.read_timeout,
            load_timeout: config.load_timeout,
        })
    }

    /// The FEs, rotated so consecutive calls start at different nodes.
    pub(crate) fn fe_rotation(&self) -> Vec<Url> {
        rotate(&self.fe, self.next.fetch_add(1, Ordering::Relaxed))
    }

    /// Nodes that accept a load or 2PC call directly: FEs (auto-redirect) or BEs.
    pub(crate) async fn entry_nodes(&self) -> Result<Vec<Url>> {
        if self.auto_redirect {
            return Ok(self.fe_rotation());
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        if !self.be.is_empty() {
            return Ok(rotate(&self.be, start));
        }
        let mut bes = self.discovered_bes();
        if bes.is_empty() {
            bes = self.discover().await?;
        }
        Ok(rotate(&bes, start))
    }

    pub(crate) fn location(&self, from: &Url, resp: &reqwest::Response) -> Result<Url> {
        let location = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Error::new(ErrorKind::Protocol, "redirect without a Location header"))?;
        checked_location(from, location, self.rewrite_localhost)
    }

    pub(crate) fn known_target(&self, from: &Url, resp: &reqwest::Response) -> Result<Url> {
        let target = self.location(from, resp)?;
        if self.host_allowed(&target) {
            Ok(target)
        } else {
            Err(refused(&target))
        }
    }

    pub(crate) fn base_request(
        &self,
        client: &reqwest::Client,
        method: Method,
        url: &Url,
    ) -> reqwest::RequestBuilder {
        client
            .request(method, url.clone())
            .header(header::AUTHORIZATION, self.auth.clone())
            .header(header::EXPECT, "100-continue")
    }

    /// Sends an empty-body request, following checked redirects; transport errors are returned.
    pub(crate) async fn request(
        &self,
        method: Method,
        url: Url,
        headers: &HeaderMap,
    ) -> Result<Answer> {
        let mut url = url;
        for _ in 0..=MAX_HOPS {
            let mut req = self
                .base_request(&self.control, method.clone(), &url)
                .headers(headers.clone());
            if method == Method::PUT {
                // hyper sends no framing header for an empty body; Doris BEs require one.
                req = req.header(header::CONTENT_LENGTH, "0").body(Bytes::new());
            }
            let resp = req.send().await.map_err(transport_error)?;
            let status = resp.status();
            if status.is_redirection() {
                url = self.redirect_target(&url, &resp).await?;
                continue;
            }
            let body = resp.bytes().await.map_err(transport_error)?;
            return Ok(Answer { status, body, url });
        }
        Err(Error::new(ErrorKind::Protocol, "too many redirects").with_context("backend", BACKEND))
    }

    /// A GET/PUT to the FEs with failover: the first FE that answers wins.
    pub(crate) async fn fe_request(
        &self,
        method: Method,
        segments: &[&str],
        query: Option<&str>,
    ) -> Result<Answer> {
        let mut last = None;
        for fe in self.fe_rotation() {
            let mut url = endpoint(&fe, segments);
            url.set_query(query);
            match self.request(method.clone(), url, &HeaderMap::new()).await {
                Ok(answer) if answer.status.is_server_error() => {
                    last = Some(Error::new(
                        ErrorKind::Unavailable,
                        format!("FE answered HTTP {}", answer.status),
                    ));
                }
                Ok(answer) => return Ok(answer),
                Err(e) if e.kind() == ErrorKind::Unavailable || e.kind() == ErrorKind::Timeout => {
                    tracing::warn!(fe = %host_port(&fe), error = %e, "FE unreachable, trying the next one");
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last
            .unwrap_or_else(|| Error::new(ErrorKind::Config, "no FE configured"))
            .with_context("backend", BACKEND)
            .temporary())
    }

    /// Finds the BE that will run a load: probes FEs (auto-redirect) or picks a BE directly.
    pub(crate) async fn resolve_load_target(
        &self,
        segments: &[&str],
        headers: &HeaderMap,
    ) -> Result<Url> {
        if !self.auto_redirect {
            let nodes = self.entry_nodes().await?;
            let be = nodes
                .first()
                .ok_or_else(|| Error::new(ErrorKind::Config, "no BE configured"))?;
            return Ok(endpoint(be, segments));
        }
        let mut last = None;
        for fe in self.fe_rotation() {
            match self.probe(endpoint(&fe, segments), headers).await {
                Ok(url) => return Ok(url),
                Err(e) if e.is_retryable() => {
                    tracing::warn!(fe = %host_port(&fe), error = %e, "redirect probe failed, trying the next FE");
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::new(ErrorKind::Config, "no FE configured")))
    }

    /// The empty-body PUT to an FE that yields the BE URL without uploading anything.
    async fn probe(&self, mut url: Url, headers: &HeaderMap) -> Result<Url> {
        for _ in 0..MAX_HOPS {
            let resp = self
                .base_request(&self.control, Method::PUT, &url)
                .headers(headers.clone())
                .header(header::CONTENT_LENGTH, "0")
                .body(Bytes::new())
                .send()
                .await
                .map_err(transport_error)
                .map_err(Error::temporary)?;
            let status = resp.status();
            if !status.is_redirection() {
                let body = resp.bytes().await.map_err(transport_error)?;
                // The FE refused before redirecting: nothing began, so retry status is kept.
                return Err(match classify_load(status, &body) {
                    Err(e) => e.with_context("node", host_port(&url)),
                    Ok(_) => Error::new(
                        ErrorKind::Protocol,
                        "a node listed as FE ran the load itself; list it under benodes",
                    )
                    .with_context("node", host_port(&url)),
                });
            }
            let target = self.redirect_target(&url, &resp).await?;
            if !self.is_fe(&target) && self.is_be(&target).await {
                return Ok(target);
            }
            url = target; // follower FE → leader FE (listed or not)
        }
        Err(
            Error::new(ErrorKind::Protocol, "too many redirects between FEs")
                .with_context("backend", BACKEND),
        )
    }

    /// Whether `url` is one of the configured FEs.
    pub(crate) fn is_fe(&self, url: &Url) -> bool {
        let hp = host_port(url);
        self.fe.iter().any(|fe| host_port(fe) == hp)
    }

    /// Reads and checks a redirect's `Location`; an unknown host triggers one BE discovery.
    async fn redirect_target(&self, from: &Url, resp: &reqwest::Response) -> Result<Url> {
        let target = self.location(from, resp)?;
        if self.host_allowed(&target) {
            return Ok(target);
        }
        // The FE is trusted: a BE it names may simply not be discovered yet. When the FE
        // cannot be asked right now (a lost answer, a node down), nothing is sent to the
        // unverified host, but the refusal is temporary: the next attempt asks again.
        match self.discover().await {
            Ok(_) if self.host_allowed(&target) => Ok(target),
            Err(e) if e.is_retryable() => Err(Error::new(
                ErrorKind::Unavailable,
                format!(
                    "cannot check the redirect target {}: BE discovery failed",
                    host_port(&target)
                ),
            )
            .with_context("backend", BACKEND)
            .set_source(e)
            .temporary()),
            _ => Err(refused(&target)),
        }
    }

    fn host_allowed(&self, url: &Url) -> bool {
        let host = url.host_str().unwrap_or_default();
        let same = |u: &Url| u.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host));
        self.fe.iter().any(same)
            || self.be.iter().any(same)
            || self.discovered_bes().iter().any(same)
            || self
                .allowed_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host))
    }

    /// Starts the streaming PUT of a load; the body is fed through `body`.
    pub(crate) fn stream_load(
        &self,
        url: Url,
        headers: HeaderMap,
        body: reqwest::Body,
    ) -> reqwest::RequestBuilder {
        let mut req = self
            .base_request(&self.stream, Method::PUT, &url)
            .headers(headers)
            .body(body);
        if let Some(t) = self.load_timeout {
            req = req.timeout(t);
        }
        req
    }

    /// GETs a URL a server handed us (ErrorURL), if it points to an allowed host.
    pub(crate) async fn get_limited(&self, url: &str, limit: usize) -> Result<String> {
        let url = Url::parse(url)
            .map_err(|e| Error::new(ErrorKind::Protocol, "invalid ErrorURL").set_source(e))?;
        if !self.host_allowed(&url) {
            return Err(Error::new(
                ErrorKind::Config,
                "ErrorURL points to an unknown host",
            ));
        }
        let mut resp = self
            .control
            .get(url)
            .send()
            .await
            .map_err(transport_error)?;
        let mut out = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
            out.extend_from_slice(&chunk);
            if out.len() >= limit {
                out.truncate(limit);
                break;
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

fn refused(target: &Url) -> Error {
    Error::new(
        ErrorKind::Config,
        format!(
            "refusing to follow a redirect to {}: not an FE, BE or allowed host",
            host_port(target)
        ),
    )
    .with_context("backend", BACKEND)
    .with_context("hint", "add the host to allowed_hosts or benodes")
}
