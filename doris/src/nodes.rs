//! Node addresses: parsing `fenodes` / `benodes`, building endpoint URLs, BE discovery through
//! `/api/backends?is_alive=true`, and telling a redirect's BE from another FE.
//!
//! Kept apart from the HTTP plumbing because the same small rules (a bare `host:port` means
//! `http://`, path segments are percent-encoded, a node is named `host:port` in a checkpoint)
//! are used by the client, the redirect check and recovery.

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;
use streamload_core::{Error, ErrorKind, Result};
use url::Url;

use crate::BACKEND;
use crate::client::{Answer, DorisClient, MAX_REDIRECT_HOPS, transport_error};
use crate::redirect::rewrite_loopback;
use crate::response::classify_rest;

/// Parses one configured node: `host:port` (plain HTTP) or a full `http(s)://host:port` URL.
pub(crate) fn parse_node(node: &str) -> Result<Url> {
    let text = node.trim();
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("http://{text}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!("invalid node address {text:?}: {e}"),
        )
        .with_context("backend", BACKEND)
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::new(
            ErrorKind::Config,
            format!("invalid node address {text:?}: expected host:port or http(s)://host:port"),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::new(
            ErrorKind::Config,
            "node addresses must not carry credentials; set username and password instead",
        ));
    }
    Ok(url)
}

/// `base` with its path replaced by `segments` (each percent-encoded).
pub(crate) fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.clear();
        path.extend(segments);
    }
    url
}

/// `host:port` of a URL (the form a checkpoint stores).
pub(crate) fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

#[derive(Debug, Deserialize)]
struct Backends {
    #[serde(default)]
    backends: Vec<Backend>,
}

#[derive(Debug, Deserialize)]
struct Backend {
    ip: String,
    http_port: u16,
    #[serde(default = "alive_by_default")]
    is_alive: bool,
}

fn alive_by_default() -> bool {
    true
}

/// The alive BEs in the `data` of `/api/backends?is_alive=true`, as URLs with `scheme`.
pub(crate) fn parse_backends(data: Value, scheme: &str) -> Result<Vec<Url>> {
    let backends: Backends = serde_json::from_value(data).map_err(|e| {
        Error::new(ErrorKind::Protocol, "unexpected /api/backends answer")
            .with_context("backend", BACKEND)
            .set_source(e)
    })?;
    backends
        .backends
        .into_iter()
        .filter(|b| b.is_alive)
        .map(|b| parse_node(&format!("{scheme}://{}:{}", b.ip, b.http_port)))
        .collect()
}

impl DorisClient {
    pub(crate) fn discovered_bes(&self) -> Vec<Url> {
        self.discovered
            .lock()
            .map(|g| g.clone())
            .unwrap_or_default()
    }

    /// Asks the FEs for the alive BEs and remembers them (they become allowed redirect hosts).
    pub(crate) async fn discover(&self) -> Result<Vec<Url>> {
        let mut last = None;
        for fe in self.fe_rotation() {
            let mut url = endpoint(&fe, &["api", "backends"]);
            url.set_query(Some("is_alive=true"));
            match self.get_between_fes(url).await {
                Ok(answer) => {
                    let data = classify_rest(answer.status, &answer.body)?;
                    let mut bes = parse_backends(data, answer.url.scheme())?;
                    if self.rewrite_localhost {
                        for be in &mut bes {
                            rewrite_loopback(be, &answer.url);
                        }
                    }
                    if bes.is_empty() {
                        return Err(Error::new(
                            ErrorKind::Unavailable,
                            "no alive BE reported by the FE",
                        )
                        .with_context("backend", BACKEND)
                        .temporary());
                    }
                    if let Ok(mut guard) = self.discovered.lock() {
                        guard.clone_from(&bes);
                    }
                    return Ok(bes);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::new(ErrorKind::Config, "no FE configured")))
    }

    /// A GET that follows redirects only to already-known hosts (FE follower → leader).
    async fn get_between_fes(&self, mut url: Url) -> Result<Answer> {
        for _ in 0..=MAX_REDIRECT_HOPS {
            let resp = self
                .base_request(&self.control, Method::GET, &url)
                .send()
                .await
                .map_err(transport_error)?;
            let status = resp.status();
            if status.is_redirection() {
                url = self.known_target(&url, &resp)?;
                continue;
            }
            let body = resp.bytes().await.map_err(transport_error)?;
            return Ok(Answer { status, body, url });
        }
        Err(Error::new(ErrorKind::Protocol, "too many redirects").with_context("backend", BACKEND))
    }

    /// Whether a redirect target is a BE. A target that is neither a listed BE nor among the
    /// BEs the FE reports is another FE (a leader missing from `fenodes`); when the FE cannot
    /// list its BEs, the target is taken for a BE, as the FE protocol intends.
    pub(crate) async fn is_be(&self, url: &Url) -> bool {
        let hp = host_port(url);
        let known = |list: &[Url]| list.iter().any(|be| host_port(be) == hp);
        if known(&self.be) || known(&self.discovered_bes()) {
            return true;
        }
        match self.discover().await {
            Ok(bes) => known(&bes),
            Err(_) => true,
        }
    }
}

/// `nodes` starting at index `start` (modulo), wrapping around: round-robin with failover order.
pub(crate) fn rotate(nodes: &[Url], start: usize) -> Vec<Url> {
    if nodes.is_empty() {
        return Vec::new();
    }
    let k = start % nodes.len();
    nodes[k..].iter().chain(&nodes[..k]).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_parse_with_and_without_scheme() {
        assert_eq!(parse_node("fe1:8030").unwrap().as_str(), "http://fe1:8030/");
        assert_eq!(parse_node("https://fe1:8030").unwrap().scheme(), "https");
        assert!(parse_node("ftp://x:1").is_err());
        assert!(parse_node("http://u:p@fe1:8030").is_err());
    }

    #[test]
    fn endpoints_encode_segments() {
        let base = parse_node("fe:8030").unwrap();
        let url = endpoint(&base, &["api", "d b", "t/x", "_stream_load"]);
        assert_eq!(url.as_str(), "http://fe:8030/api/d%20b/t%2Fx/_stream_load");
        assert_eq!(host_port(&url), "fe:8030");
    }

    #[test]
    fn backends_answer_is_read() {
        let data = serde_json::json!({"backends": [
            {"ip": "10.0.0.2", "http_port": 8040, "is_alive": true},
            {"ip": "10.0.0.3", "http_port": 8040, "is_alive": false}
        ]});
        let bes = parse_backends(data, "http").unwrap();
        assert_eq!(bes.len(), 1);
        assert_eq!(bes[0].as_str(), "http://10.0.0.2:8040/");
    }

    #[test]
    fn rotation_starts_at_each_node() {
        let nodes: Vec<Url> = ["a:1", "b:1", "c:1"]
            .iter()
            .map(|n| parse_node(n).unwrap())
            .collect();
        let hosts = |v: Vec<Url>| {
            v.iter()
                .map(|u| u.host_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(hosts(rotate(&nodes, 4)), ["b", "c", "a"]);
        assert!(rotate(&[], 3).is_empty());
    }
}
