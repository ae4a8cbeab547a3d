//! A scriptable HTTP node for wire-level tests: every request is recorded, a closure answers.
//!
//! The emulator covers the servers' behaviour; this covers what it does not script, such as a
//! follower FE that redirects to a leader FE, and lets tests assert on exact requests (headers,
//! body bytes per hop).

#![allow(dead_code, unreachable_pub)]

pub mod emu;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// One request as the node saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub headers: hyper::HeaderMap,
    pub body_len: usize,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What the handler returns: status, extra headers, body.
pub type Answer = (u16, Vec<(&'static str, String)>, String);

type Handler = dyn Fn(&Seen) -> Answer + Send + Sync;

/// A running node.
#[derive(Clone)]
pub struct Node {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Node {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Starts a node whose answers come from `handler`. Bodies are read in full unless the
/// handler's route starts with `/api/` and the node is told to keep them (always here: small).
pub async fn start(handler: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Node {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let handler: Arc<Handler> = Arc::new(handler);
    let node = Node {
        addr,
        seen: Arc::clone(&seen),
    };
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let seen = Arc::clone(&seen);
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let seen = Arc::clone(&seen);
                    let handler = Arc::clone(&handler);
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let record = Seen {
                            method: parts.method.to_string(),
                            path_and_query: parts
                                .uri
                                .path_and_query()
                                .map(|p| p.to_string())
                                .unwrap_or_default(),
                            headers: parts.headers,
                            body_len: body.len(),
                            body,
                        };
                        let (status, headers, text) = handler(&record);
                        seen.lock().unwrap().push(record);
                        let mut response = Response::builder().status(status);
                        for (k, v) in headers {
                            response = response.header(k, v);
                        }
                        Ok::<_, Infallible>(response.body(Full::new(Bytes::from(text))).unwrap())
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    node
}

/// A 307 to `target` + the request's path and query.
pub fn redirect(target: &str, seen: &Seen) -> Answer {
    (
        307,
        vec![("location", format!("{target}{}", seen.path_and_query))],
        String::new(),
    )
}

/// A JSON answer with HTTP 200.
pub fn json(body: serde_json::Value) -> Answer {
    (
        200,
        vec![("content-type", "application/json".into())],
        body.to_string(),
    )
}
