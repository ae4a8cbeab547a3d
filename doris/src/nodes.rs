//! Doris node addresses and BE discovery: configured `fenodes` / `benodes` are parsed by the
//! shared transport's rules, and the FE lists its BEs at `/api/backends?is_alive=true`.

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
