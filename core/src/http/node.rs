//! Node addresses: parsing configured FEs and BEs, building endpoint URLs, naming a node.
//!
//! The same small rules (a bare `host:port` means `http://`, credentials never ride in a node
//! address, path segments are percent-encoded, a node is named `host:port` in a checkpoint) are
//! used by the transport, the redirect check and recovery of both vendors.

use url::Url;

use crate::{Error, ErrorKind, Result};

/// Parses one configured node: `host:port` (plain HTTP) or `http(s)://host:port`. `key` names the
/// option the address came from (`fenodes`, `load-url`, …) in the error.
pub fn parse_node(node: &str, key: &str) -> Result<Url> {
    let text = node.trim();
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("http://{text}")
    };
    // An address with userinfo may carry a password: it is never shown.
    let shown = if text.contains('@') {
        "(redacted)"
    } else {
        text
    };
    let invalid = || {
        Error::new(
            ErrorKind::Config,
            format!(
                "{key}: invalid node address {shown:?}: expected host:port or http(s)://host:port"
            ),
        )
        .with_context("key", key)
    };
    let mut url = Url::parse(&with_scheme).map_err(|e| invalid().set_source(e))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::new(
            ErrorKind::Config,
            format!("{key}: node addresses must not carry credentials; set username and password instead"),
        )
        .with_context("key", key));
    }
    url.set_path("");
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// `base` with its path replaced by `segments` (each percent-encoded) and no query.
pub fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.clear();
        path.extend(segments);
    }
    url
}

/// The path of `segments`, each percent-encoded (`["api", "d b"]` → `/api/d%20b`).
pub fn encoded_path(segments: &[&str]) -> String {
    let base = Url::parse("http://node/").expect("a constant URL parses");
    endpoint(&base, segments).path().to_owned()
}

/// `host:port` of a URL (the form a checkpoint stores and errors show).
pub fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// `nodes` starting at index `start` (modulo), wrapping around: round-robin with failover order.
pub fn rotate(nodes: &[Url], start: usize) -> Vec<Url> {
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
        assert_eq!(
            parse_node("fe1:8030", "fenodes").unwrap().as_str(),
            "http://fe1:8030/"
        );
        assert_eq!(
            parse_node("https://fe/x?y", "fenodes").unwrap().as_str(),
            "https://fe/"
        );
        let err = parse_node("ftp://x:1", "load-url").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(err.context("key"), Some("load-url"));
        for raw in ["http://u:secret@fe1:8030", "ftp://u:secret@fe1:8030"] {
            let err = parse_node(raw, "fenodes").unwrap_err();
            assert!(!err.to_string().contains("secret"), "{err}");
        }
    }

    #[test]
    fn endpoints_encode_segments() {
        let base = parse_node("fe:8030", "fenodes").unwrap();
        let url = endpoint(&base, &["api", "d b", "t/x", "_stream_load"]);
        assert_eq!(url.as_str(), "http://fe:8030/api/d%20b/t%2Fx/_stream_load");
        assert_eq!(host_port(&url), "fe:8030");
        assert_eq!(
            encoded_path(&["api", "d b", "get_load_state"]),
            "/api/d%20b/get_load_state"
        );
    }

    #[test]
    fn rotation_starts_at_each_node() {
        let nodes: Vec<Url> = ["a:1", "b:1", "c:1"]
            .iter()
            .map(|n| parse_node(n, "fenodes").unwrap())
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
