//! Unit tests of `client.rs` against raw TCP peers (no HTTP server crate in core).

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

#[derive(Debug)]
struct NoDirectory;

impl BackendDirectory for NoDirectory {
    fn path_and_query(&self) -> &str {
        "/api/backends"
    }
    fn parse(&self, answer: &Answer) -> Result<Vec<Url>> {
        Err(Error::new(
            ErrorKind::Protocol,
            format!("no BE list: {}", answer.status),
        ))
    }
}

/// A peer that answers every request with `response` and counts the requests it read.
async fn peer(host: &str, response: String) -> (Url, Arc<AtomicUsize>) {
    let listener = TcpListener::bind((host, 0)).await.unwrap();
    let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut head = vec![0u8; 4096];
            let _ = socket.read(&mut head).await;
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    (url, seen)
}

fn config(fe: &Url, allowed: &[&str]) -> TransportConfig {
    TransportConfig {
        backend: "test",
        frontends: vec![fe.clone()],
        backends: Vec::new(),
        allowed_hosts: allowed.iter().map(|h| h.to_string()).collect(),
        username: "root".into(),
        password: "hunter2".into(),
        rewrite_localhost: false,
        connect_timeout: Duration::from_secs(2),
        read_timeout: Some(Duration::from_secs(2)),
        stream_read_timeout: None,
        request_timeout: Some(Duration::from_secs(5)),
        probe_timeout: Some(Duration::from_secs(5)),
        load_timeout: None,
        tls: Default::default(),
    }
}

fn redirect_to(target: &Url) -> String {
    format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://root:hunter2@{}:{}/api/db/t/_stream_load?\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        target.host_str().unwrap(),
        target.port().unwrap()
    )
}

#[tokio::test]
async fn a_redirect_to_a_foreign_host_is_refused_before_anything_is_sent() {
    // 127.0.0.2 is loopback too, but not the FE's host: a stranger to the cluster.
    let (stranger, stranger_seen) = peer(
        "127.0.0.2",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".into(),
    )
    .await;
    let (fe, _) = peer("127.0.0.1", redirect_to(&stranger)).await;
    let transport = Transport::new(config(&fe, &[]), Box::new(NoDirectory)).unwrap();
    let url = fe.join("/api/db/t/_stream_load").unwrap();
    let err = transport
        .probe(url.clone(), &HeaderMap::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(
        err.to_string().contains("refusing to send credentials"),
        "{err}"
    );
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert_eq!(err.context("backend"), Some("test"));
    let err = transport
        .request(Method::PUT, url, &HeaderMap::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert_eq!(
        stranger_seen.load(Ordering::SeqCst),
        0,
        "the stranger was contacted"
    );

    // Allow-listed, the same redirect is followed.
    let transport = Transport::new(config(&fe, &["127.0.0.2"]), Box::new(NoDirectory)).unwrap();
    let url = fe.join("/api/db/t/_stream_load").unwrap();
    let answer = transport
        .request(Method::PUT, url, &HeaderMap::new())
        .await
        .unwrap();
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.url.host_str(), Some("127.0.0.2"));
    assert_eq!(stranger_seen.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refused_connection_is_unsent_and_moves_to_the_next_fe() {
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/", l.local_addr().unwrap())).unwrap();
        drop(l);
        url
    };
    let (alive, seen) = peer(
        "127.0.0.1",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".into(),
    )
    .await;
    let mut cfg = config(&dead, &[]);
    cfg.frontends.push(alive);
    let transport = Transport::new(cfg, Box::new(NoDirectory)).unwrap();
    let err = transport
        .request(Method::GET, dead.join("/api/x").unwrap(), &HeaderMap::new())
        .await
        .unwrap_err();
    assert!(err.is_unsent(), "{err}");
    let answer = transport
        .fe_request(Method::POST, "/api/x", &HeaderMap::new(), Failover::Unsent)
        .await
        .unwrap();
    assert_eq!(&answer.body[..], b"ok");
    assert!(seen.load(Ordering::SeqCst) >= 1);
}

#[test]
fn the_password_never_shows_in_debug_output() {
    let fe = Url::parse("http://fe1:8030/").unwrap();
    let cfg = config(&fe, &[]);
    assert!(!format!("{cfg:?}").contains("hunter2"));
    let transport = Transport::new(cfg, Box::new(NoDirectory)).unwrap();
    let shown = format!("{transport:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("aHVudGVyMg"),
        "{shown}"
    );
}

/// A directory that lists one BE and no other FE (neither is the redirect target of the test
/// below).
#[derive(Debug)]
struct OtherBe;

impl BackendDirectory for OtherBe {
    fn path_and_query(&self) -> &str {
        "/api/backends"
    }
    fn parse(&self, _answer: &Answer) -> Result<Vec<Url>> {
        Ok(vec![Url::parse("http://127.0.0.9:8040/").unwrap()])
    }
    fn frontends_path(&self) -> Option<&str> {
        Some("/api/frontends")
    }
    fn parse_frontends(&self, _answer: &Answer) -> Result<Vec<Url>> {
        Ok(Vec::new())
    }
}

/// A peer that answers its node lists with an empty 200 and every other request with `response`.
async fn fe_peer(response: String) -> Url {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut head = vec![0u8; 4096];
            let n = socket.read(&mut head).await.unwrap_or(0);
            let text = String::from_utf8_lossy(&head[..n]);
            let answer = if text.contains("/api/backends") || text.contains("/api/frontends") {
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
            } else {
                response.clone()
            };
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    url
}

#[tokio::test]
async fn a_redirect_target_not_known_as_an_fe_gets_the_body_not_a_probe() {
    // The target is allowed but the cluster, which lists its FEs, lists it neither as FE nor as
    // BE: taking it for an FE would send it the empty-body probe, which a BE runs as an empty
    // load under the label.
    let (target, target_seen) = peer(
        "127.0.0.2",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
    )
    .await;
    let fe = fe_peer(redirect_to(&target)).await;
    let transport = Transport::new(config(&fe, &["127.0.0.2"]), Box::new(OtherBe)).unwrap();
    let url = fe.join("/api/db/t/_stream_load").unwrap();
    match transport.probe(url, &HeaderMap::new()).await.unwrap() {
        Resolved::Node(node) => assert_eq!(node.host_str(), Some("127.0.0.2")),
        Resolved::Answered(answer) => panic!("probed the target as an FE: {answer:?}"),
    }
    assert_eq!(
        target_seen.load(Ordering::SeqCst),
        0,
        "the probe reached the target"
    );
}

#[tokio::test]
async fn a_refused_node_list_is_not_asked_for_on_every_load() {
    let (fe, seen) = peer(
        "127.0.0.1",
        "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
    )
    .await;
    let transport = Transport::new(config(&fe, &[]), Box::new(NoDirectory)).unwrap();
    assert!(transport.discover().await.is_err());
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    for _ in 0..3 {
        assert!(transport.discover().await.is_err());
    }
    assert_eq!(
        seen.load(Ordering::SeqCst),
        1,
        "the refused list was asked again"
    );
}
