//! Doris nodes: configured `fenodes` / `benodes` parsed by the shared transport's rules, BE
//! discovery through `/api/backends?is_alive=true`, and the BEs that recently failed a 2PC call
//! (asked last for a while).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;
use streamload_core::http::{Answer, BackendDirectory};
use streamload_core::{Error, ErrorKind, Result};
use url::Url;

use crate::BACKEND;
use crate::response::classify_rest;

pub(crate) use streamload_core::http::{endpoint, host_port};

/// Parses one configured node (`host:port` or `http(s)://host:port`); `key` names the option.
pub(crate) fn parse_node(node: &str, key: &str) -> Result<Url> {
    streamload_core::http::parse_node(node, key).map_err(|e| e.with_context("backend", BACKEND))
}

/// Doris's BE list: `/api/backends?is_alive=true` on an FE.
#[derive(Debug)]
pub(crate) struct BackendsEndpoint;

impl BackendDirectory for BackendsEndpoint {
    fn path_and_query(&self) -> &str {
        "/api/backends?is_alive=true"
    }

    fn parse(&self, answer: &Answer) -> Result<Vec<Url>> {
        let data = classify_rest(answer.status, &answer.body)?;
        parse_backends(data, answer.url.scheme())
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
pub(crate) fn parse_backends(data: serde_json::Value, scheme: &str) -> Result<Vec<Url>> {
    let backends: Backends = serde_json::from_value(data).map_err(|e| {
        Error::new(ErrorKind::Protocol, "unexpected /api/backends answer")
            .with_context("backend", BACKEND)
            .set_source(e)
    })?;
    backends
        .backends
        .into_iter()
        .filter(|b| b.is_alive)
        .map(|b| {
            parse_node(
                &format!("{scheme}://{}:{}", b.ip, b.http_port),
                "/api/backends",
            )
        })
        .collect()
}

/// How long a BE that failed a 2PC call is asked after the other nodes.
const SUSPECT_FOR: Duration = Duration::from_secs(60);

/// BEs (as `host:port`) that recently failed a 2PC call, with the time of the failure.
#[derive(Debug, Default)]
pub(crate) struct SuspectNodes(Mutex<HashMap<String, Instant>>);

impl SuspectNodes {
    pub(crate) fn mark(&self, node: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(node.to_owned(), Instant::now());
        }
    }

    pub(crate) fn clear(&self, node: &str) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(node);
        }
    }

    pub(crate) fn contains(&self, node: &str) -> bool {
        let Ok(mut map) = self.0.lock() else {
            return false;
        };
        map.retain(|_, at| at.elapsed() < SUSPECT_FOR);
        map.contains_key(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
