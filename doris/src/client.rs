//! The Doris side of the shared transport: which nodes a load or 2PC call enters through, and
//! the `Expect: 100-continue` header every Doris request carries.
//!
//! Redirect checks, credentials, FE failover and the probe are `streamload_core::http`'s; this
//! file keeps Doris's choices: loads go through the FE's redirect (`auto_redirect`, default) or
//! straight to listed or discovered BEs, and BEs are listed by `/api/backends`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{EXPECT, HeaderMap, HeaderValue};
use streamload_core::http::{
    Answer, Failover, Resolved, Transport, TransportConfig, encoded_path, endpoint, host_port,
    rotate,
};
use streamload_core::{Error, ErrorKind, Result};
use url::Url;

use crate::BACKEND;
use crate::config::DorisConfig;
use crate::nodes::{BackendsEndpoint, parse_node};
use crate::response::classify_load;

/// The HTTP side of one Doris cluster.
#[derive(Debug)]
pub(crate) struct DorisClient {
    pub(crate) transport: Transport,
    auto_redirect: bool,
    next: AtomicUsize,
    pub(crate) read_timeout: Duration,
}

impl DorisClient {
    pub(crate) fn new(config: &DorisConfig) -> Result<Self> {
        let parse = |nodes: &[String], key| {
            nodes
                .iter()
                .map(|n| parse_node(n, key))
                .collect::<Result<Vec<_>>>()
        };
        let transport = Transport::new(
            TransportConfig {
                backend: BACKEND,
                frontends: parse(&config.fe_nodes, "fenodes")?,
                backends: parse(&config.be_nodes, "benodes")?,
                allowed_hosts: config.allowed_hosts.clone(),
                username: config.username.clone(),
                password: config.password.clone(),
                rewrite_localhost: config.rewrite_localhost,
                connect_timeout: config.connect_timeout,
                read_timeout: Some(config.read_timeout),
                stream_read_timeout: None,
                request_timeout: None,
                probe_timeout: None,
                load_timeout: config.load_timeout,
                tls: config.tls.clone(),
            },
            Box::new(BackendsEndpoint),
        )?;
        Ok(Self {
            transport,
            auto_redirect: config.auto_redirect,
            next: AtomicUsize::new(0),
            read_timeout: config.read_timeout,
        })
    }

    /// The FEs, rotated so consecutive calls start at different nodes.
    pub(crate) fn fe_rotation(&self) -> Vec<Url> {
        self.transport.fe_rotation()
    }

    /// Whether `url` is one of the configured FEs.
    pub(crate) fn is_fe(&self, url: &Url) -> bool {
        self.transport.trust().is_frontend(url)
    }

    /// The configured BEs.
    pub(crate) fn configured_bes(&self) -> &[Url] {
        self.transport.trust().backends()
    }

    /// The BEs the FE reported last.
    pub(crate) fn discovered_bes(&self) -> Vec<Url> {
        self.transport.trust().reported()
    }

    /// Asks the FEs for the alive BEs (they become hosts that may receive credentials).
    pub(crate) async fn discover(&self) -> Result<Vec<Url>> {
        self.transport.discover().await
    }

    /// Nodes that accept a load or 2PC call directly: FEs (auto-redirect) or BEs.
    pub(crate) async fn entry_nodes(&self) -> Result<Vec<Url>> {
        if self.auto_redirect {
            return Ok(self.fe_rotation());
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        if !self.configured_bes().is_empty() {
            return Ok(rotate(self.configured_bes(), start));
        }
        let mut bes = self.discovered_bes();
        if bes.is_empty() {
            bes = self.discover().await?;
        }
        Ok(rotate(&bes, start))
    }

    /// Sends an empty-body request, following checked redirects; transport errors are returned.
    pub(crate) async fn request(
        &self,
        method: Method,
        url: Url,
        headers: &HeaderMap,
    ) -> Result<Answer> {
        self.transport
            .request(method, url, &with_expect(headers))
            .await
    }

    /// A GET/PUT to the FEs with failover: the first FE that answers wins.
    pub(crate) async fn fe_request(
        &self,
        method: Method,
        segments: &[&str],
        query: Option<&str>,
    ) -> Result<Answer> {
        let mut path = encoded_path(segments);
        if let Some(query) = query {
            path = format!("{path}?{query}");
        }
        self.transport
            .fe_request(
                method,
                &path,
                &with_expect(&HeaderMap::new()),
                Failover::Retryable,
            )
            .await
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
        self.transport
            .with_failover(Failover::Retryable, |fe| async move {
                let url = endpoint(&fe, segments);
                match self.transport.probe(url.clone(), headers).await? {
                    Resolved::Node(target) => Ok(target),
                    // The FE refused before redirecting: nothing began, so retry status is kept.
                    Resolved::Answered(answer) => {
                        Err(match classify_load(answer.status, &answer.body) {
                            Err(e) => e.with_context("node", host_port(&url)),
                            Ok(_) => Error::new(
                                ErrorKind::Protocol,
                                "a node listed as FE ran the load itself; list it under benodes",
                            )
                            .with_context("node", host_port(&url)),
                        })
                    }
                }
            })
            .await
    }

    /// Reads at most `limit` bytes of a URL a server handed us (ErrorURL).
    pub(crate) async fn get_limited(&self, url: &str, limit: usize) -> Result<String> {
        let url = Url::parse(url)
            .map_err(|e| Error::new(ErrorKind::Protocol, "invalid ErrorURL").set_source(e))?;
        let (_, text) = self.transport.get_limited(&url, limit).await?;
        Ok(text)
    }
}

/// Every Doris request carries `Expect: 100-continue` (the FE refuses a load without it).
pub(crate) fn with_expect(headers: &HeaderMap) -> HeaderMap {
    let mut headers = headers.clone();
    headers.insert(EXPECT, HeaderValue::from_static("100-continue"));
    headers
}
