//! [`Transport`]: the reqwest clients, Basic auth, FE failover, checked redirects, the empty-body
//! `Expect: 100-continue` probe, streamed loads and error-log reads, for one cluster.
//!
//! A vendor crate configures it ([`TransportConfig`]) with its nodes and timeouts and a
//! [`BackendDirectory`] (how its FE lists BEs), and keeps only its endpoints, headers and answer
//! parsing. Which hosts are the cluster's is `discovery.rs`'s part of the same type.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, EXPECT, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use url::Url;

use super::config::{Answer, BackendDirectory, Failover, Resolved, TransportConfig};
use super::redirect::{MAX_REDIRECTS, checked_location, location_of};
use super::tls::node_scheme;
use super::trust::HostTrust;
use super::{host_port, rotate, transport_error};
use crate::{Error, ErrorKind, Result};

/// The HTTP side of one cluster.
#[derive(Debug)]
pub struct Transport {
    pub(super) backend: &'static str,
    pub(super) control: reqwest::Client,
    pub(super) stream: reqwest::Client,
    pub(super) auth: HeaderValue,
    pub(super) trust: HostTrust,
    pub(super) directory: Box<dyn BackendDirectory>,
    /// Until when a node list the cluster refused to give (a user without admin rights, a server
    /// without the endpoint) is not asked for again.
    pub(super) unlisted_until: std::sync::Mutex<Option<std::time::Instant>>,
    pub(super) rewrite_localhost: bool,
    pub(super) next: AtomicUsize,
    pub(super) request_timeout: Option<Duration>,
    pub(super) probe_timeout: Option<Duration>,
    pub(super) load_timeout: Option<Duration>,
}

impl Transport {
    /// A transport for `config`, discovering BEs through `directory`.
    pub fn new(mut config: TransportConfig, directory: Box<dyn BackendDirectory>) -> Result<Self> {
        let backend = config.backend;
        let tag = |e: Error| e.with_context("backend", backend);
        if config.frontends.is_empty() && config.backends.is_empty() {
            return Err(tag(Error::new(
                ErrorKind::Config,
                "no FE or BE address configured",
            )));
        }
        for node in config
            .frontends
            .iter_mut()
            .chain(config.backends.iter_mut())
        {
            *node = node_scheme(&config.tls, node.clone()).map_err(tag)?;
        }
        let build = |read_timeout: Option<Duration>| {
            let mut b = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .connect_timeout(config.connect_timeout)
                .pool_idle_timeout(Duration::from_secs(30))
                .tcp_nodelay(true);
            if let Some(t) = read_timeout {
                b = b.read_timeout(t);
            }
            b = config.tls.apply(b, backend).map_err(tag)?;
            b.build().map_err(|e| {
                tag(Error::new(ErrorKind::Config, "cannot build the HTTP client").set_source(e))
            })
        };
        Ok(Self {
            backend: config.backend,
            control: build(config.read_timeout)?,
            stream: build(config.stream_read_timeout)?,
            auth: basic_auth(&config.username, &config.password).map_err(tag)?,
            trust: HostTrust::new(config.frontends, config.backends, config.allowed_hosts),
            directory,
            unlisted_until: std::sync::Mutex::new(None),
            rewrite_localhost: config.rewrite_localhost,
            next: AtomicUsize::new(0),
            request_timeout: config.request_timeout,
            probe_timeout: config.probe_timeout,
            load_timeout: config.load_timeout,
        })
    }

    /// The hosts this transport sends credentials to.
    pub fn trust(&self) -> &HostTrust {
        &self.trust
    }

    /// The vendor tag of this transport's errors.
    pub fn backend_tag(&self) -> &'static str {
        self.backend
    }

    /// Tags an error with this transport's vendor.
    pub fn tag(&self, e: Error) -> Error {
        if e.context("backend").is_some() {
            e
        } else {
            e.with_context("backend", self.backend)
        }
    }

    /// The FEs, rotated so consecutive calls start at different nodes.
    pub fn fe_rotation(&self) -> Vec<Url> {
        rotate(
            self.trust.frontends(),
            self.next.fetch_add(1, Ordering::Relaxed),
        )
    }

    /// Runs `attempt` against each FE in turn until one does not fail the `failover` way.
    pub async fn with_failover<T, F, Fut>(&self, failover: Failover, attempt: F) -> Result<T>
    where
        F: Fn(Url) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut last = None;
        for fe in self.fe_rotation() {
            match attempt(fe.clone()).await {
                Err(e) if moves_on(failover, &e) => {
                    tracing::warn!(backend = self.backend, fe = %host_port(&fe), error = %e, "FE failed, trying the next one");
                    last = Some(e);
                }
                other => return other.map_err(|e| self.tag(e)),
            }
        }
        Err(self.tag(last.unwrap_or_else(|| Error::new(ErrorKind::Config, "no FE configured"))))
    }

    /// A bodiless request to the FEs (`path_and_query` already encoded), following checked
    /// redirects; `failover` says when the next FE is asked. A 5xx answer moves on under
    /// [`Failover::Retryable`], and is returned when every FE gave one.
    pub async fn fe_request(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &HeaderMap,
        failover: Failover,
    ) -> Result<Answer> {
        self.with_failover(failover, |fe| {
            let method = method.clone();
            async move {
                let url = join(&fe, path_and_query)?;
                let answer = self.request(method, url, headers).await?;
                if failover == Failover::Retryable && answer.status.is_server_error() {
                    return Err(Error::new(
                        ErrorKind::Unavailable,
                        format!("FE answered HTTP {}", answer.status),
                    )
                    .with_context("node", host_port(&answer.url))
                    .temporary());
                }
                Ok(answer)
            }
        })
        .await
    }

    /// A bodiless request to `url`, following checked redirects. Transport failures are errors;
    /// any final answer is returned as is.
    pub async fn request(&self, method: Method, url: Url, headers: &HeaderMap) -> Result<Answer> {
        let mut url = url;
        for _ in 0..=MAX_REDIRECTS {
            self.check_trusted(&url).await?;
            let mut req = self
                .authorized(&self.control, method.clone(), &url)
                .headers(headers.clone());
            if method != Method::GET && !headers.contains_key(CONTENT_LENGTH) {
                // hyper sends no framing header for an empty body; the servers want one.
                req = req.header(CONTENT_LENGTH, "0").body(Bytes::new());
            }
            if let Some(t) = self.request_timeout {
                req = req.timeout(t);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| self.tag(transport_error(e, &url)))?;
            match location_of(&resp).map_err(|e| self.tag(e))? {
                Some(location) => url = self.follow(&url, &location).await?,
                None => return self.read(resp, url).await,
            }
        }
        Err(self.too_many_redirects(&url))
    }

    /// Probes `url` (an FE endpoint) with an empty-body PUT carrying `Expect: 100-continue` and
    /// follows FE → FE hops to the node that takes the body. Nothing is uploaded.
    pub async fn probe(&self, url: Url, headers: &HeaderMap) -> Result<Resolved> {
        let mut url = url;
        for _ in 0..=MAX_REDIRECTS {
            self.check_trusted(&url).await?;
            let mut probe_headers = headers.clone();
            probe_headers.insert(EXPECT, HeaderValue::from_static("100-continue"));
            probe_headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
            let mut req = self
                .authorized(&self.control, Method::PUT, &url)
                .headers(probe_headers)
                .body(Bytes::new());
            if let Some(t) = self.probe_timeout {
                req = req.timeout(t);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| self.tag(transport_error(e, &url)))?;
            let Some(location) = location_of(&resp).map_err(|e| self.tag(e))? else {
                return Ok(Resolved::Answered(self.read(resp, url).await?));
            };
            let target = self.follow(&url, &location).await?;
            if !self.is_frontend_hop(&target).await {
                tracing::debug!(backend = self.backend, target = %host_port(&target), "redirected to a BE");
                return Ok(Resolved::Node(target));
            }
            tracing::debug!(backend = self.backend, target = %host_port(&target), "redirected to another FE");
            url = target;
        }
        Err(self.too_many_redirects(&url))
    }

    /// A whole-body request to a checked node (a merge-commit batch), with credentials and the
    /// load deadline; the answer is read in full.
    pub async fn send_whole(
        &self,
        method: Method,
        url: &Url,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<Answer> {
        let resp = self
            .stream(method, url, headers, body.into())
            .send()
            .await
            .map_err(|e| self.tag(transport_error(e, url)))?;
        self.read(resp, url.clone()).await
    }

    /// A streamed request to a checked node (a BE the probe named, or a configured node), with
    /// credentials and the load deadline; the body is fed through `body`.
    pub fn stream(
        &self,
        method: Method,
        url: &Url,
        headers: HeaderMap,
        body: reqwest::Body,
    ) -> reqwest::RequestBuilder {
        let mut req = self
            .authorized(&self.stream, method, url)
            .headers(headers)
            .body(body);
        if let Some(t) = self.load_timeout {
            req = req.timeout(t);
        }
        req
    }

    /// Reads at most `limit` bytes of a URL a server handed out (an error log), without
    /// credentials, if it points to a host of the cluster or the allow-list.
    pub async fn get_limited(&self, url: &Url, limit: usize) -> Result<(StatusCode, String)> {
        if !self.trust.allows(url) {
            return Err(self.tag(
                Error::new(
                    ErrorKind::Config,
                    "the error log URL points to an unknown host",
                )
                .with_context("node", host_port(url)),
            ));
        }
        let mut req = self.control.get(url.clone());
        if let Some(t) = self.request_timeout.or(self.probe_timeout) {
            req = req.timeout(t);
        }
        let mut resp = req
            .send()
            .await
            .map_err(|e| self.tag(transport_error(e, url)))?;
        let status = resp.status();
        let mut out = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| self.tag(transport_error(e, url)))?
        {
            out.extend_from_slice(&chunk);
            if out.len() >= limit {
                out.truncate(limit);
                break;
            }
        }
        Ok((status, String::from_utf8_lossy(&out).into_owned()))
    }

    pub(super) fn authorized(
        &self,
        client: &reqwest::Client,
        method: Method,
        url: &Url,
    ) -> reqwest::RequestBuilder {
        client
            .request(method, url.clone())
            .header(AUTHORIZATION, self.auth.clone())
    }

    pub(super) async fn read(&self, resp: reqwest::Response, url: Url) -> Result<Answer> {
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| self.tag(transport_error(e, &url)))?;
        Ok(Answer { status, body, url })
    }

    /// Checks a redirect's `Location` and its host.
    pub(super) async fn follow(&self, from: &Url, location: &str) -> Result<Url> {
        let target =
            checked_location(from, location, self.rewrite_localhost).map_err(|e| self.tag(e))?;
        self.check_trusted(&target).await?;
        Ok(target)
    }

    pub(super) fn too_many_redirects(&self, url: &Url) -> Error {
        self.tag(
            Error::new(
                ErrorKind::Protocol,
                format!("more than {MAX_REDIRECTS} redirects"),
            )
            .with_context("node", host_port(url)),
        )
    }
}

fn moves_on(failover: Failover, e: &Error) -> bool {
    match failover {
        Failover::Unsent => e.is_unsent(),
        Failover::Retryable => e.is_retryable(),
    }
}

/// `base` joined with an encoded `path_and_query`.
pub(super) fn join(base: &Url, path_and_query: &str) -> Result<Url> {
    base.join(path_and_query).map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!("invalid request path {path_and_query:?}"),
        )
        .set_source(e)
    })
}

/// The `Authorization` value, marked sensitive so it never shows in `Debug` output.
fn basic_auth(user: &str, password: &str) -> Result<HeaderValue> {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let mut value = HeaderValue::from_str(&format!("Basic {token}"))
        .map_err(|_| Error::new(ErrorKind::Config, "credentials are not valid header text"))?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
