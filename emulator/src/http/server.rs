//! The listeners: a hyper HTTP/1 server per FE/BE port, and the one dispatch point every request
//! passes through (routing by flavor and listener, then the request log).
//!
//! hyper is used directly because the emulator must control when a body is read (the FE never
//! reads it, so no `100 Continue` is sent), `Connection: close`, and HTTP/1.0. Fault injection
//! happens in [`dispatch`], around the handler and where the log is written; the admin
//! endpoints (`/_emulator/...`) are answered there too, and [`route`] applies the played
//! version (`version_gate`) before the per-flavor handlers.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::engine::Flavor;

use super::faults::FaultAction;
use super::reply::Body;
use super::request_log::{Listener, RequestRecord};
use super::state::HttpState;
use super::switches::wait_for;
use super::tls::Acceptor;
use super::version_gate::Gate;
use super::{doris, starrocks};

/// One request as handlers see it: head, the still-unread body, and bookkeeping.
#[derive(Debug)]
pub(crate) struct Req {
    pub(crate) parts: http::request::Parts,
    body: Option<Incoming>,
    pub(crate) body_bytes: u64,
    pub(crate) remote_ip: String,
}

impl Req {
    /// A header value as text (trimmed), if present.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    }

    /// The path split into percent-decoded segments; a trailing slash is ignored.
    pub(crate) fn segments(&self) -> Vec<String> {
        self.parts
            .uri
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect()
    }

    /// A query parameter.
    pub(crate) fn query(&self, key: &str) -> Option<String> {
        let query = self.parts.uri.query()?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }

    /// Reads the whole body (hyper sends `100 Continue` when asked for it). With `keep` false
    /// the bytes are counted and dropped.
    pub(crate) async fn read_body(&mut self, keep: bool) -> Result<Bytes, String> {
        let Some(mut body) = self.body.take() else {
            return Ok(Bytes::new());
        };
        let mut buf = BytesMut::new();
        while let Some(frame) = body.frame().await {
            let frame =
                frame.map_err(|_| "receive body don't equal with body bytes".to_string())?;
            if let Ok(data) = frame.into_data() {
                self.body_bytes += data.len() as u64;
                if keep {
                    buf.extend_from_slice(&data);
                }
            }
        }
        Ok(buf.freeze())
    }
}

impl Req {
    /// Reads and drops up to `limit` body bytes (fault `ResetMidBody`); stops early when the
    /// body ends or breaks.
    pub(crate) async fn read_body_prefix(&mut self, limit: u64) {
        let Some(body) = self.body.as_mut() else {
            return;
        };
        while self.body_bytes < limit {
            match body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.body_bytes += data.len() as u64;
                    }
                }
                _ => return,
            }
        }
    }
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&segment[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Accepts connections until `shutdown` flips, serving each with hyper. While the listener's
/// switch is down the socket is closed and open connections are dropped; switched up again,
/// the same address is bound again.
pub(crate) async fn serve(
    listener: TcpListener,
    which: Listener,
    state: Arc<HttpState>,
    mut shutdown: watch::Receiver<bool>,
    tls: Option<Acceptor>,
) {
    let Ok(addr) = listener.local_addr() else {
        return;
    };
    let mut up = state.switches.subscribe(which);
    let mut listener = Some(listener);
    loop {
        let Some(socket) = listener.as_ref() else {
            tokio::select! {
                _ = wait_for(&mut up, true) => {}
                _ = shutdown.changed() => return,
            }
            listener = rebind(addr).await;
            continue;
        };
        let accepted = tokio::select! {
            accepted = socket.accept() => accepted,
            _ = wait_for(&mut up, false) => {
                listener = None;
                continue;
            }
            _ = shutdown.changed() => return,
        };
        let Ok((stream, remote)) = accepted else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        let conn_shutdown = shutdown.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => connection(stream, which, remote, state, conn_shutdown).await,
                // A failed handshake (an untrusted certificate, plain HTTP) just ends the
                // connection, as a real server's does.
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(stream) => connection(stream, which, remote, state, conn_shutdown).await,
                    Err(e) => tracing::debug!(error = %e, "TLS handshake failed"),
                },
            }
        });
    }
}

/// Serves one accepted (plain or TLS) connection until it ends, its listener is switched down,
/// or the emulator stops.
async fn connection<S>(
    stream: S,
    which: Listener,
    remote: SocketAddr,
    state: Arc<HttpState>,
    mut shutdown: watch::Receiver<bool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut up = state.switches.subscribe(which);
    let service = service_fn(move |req| dispatch(Arc::clone(&state), which, remote, req));
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        // Switched down: the node is gone, its connections with it.
        _ = wait_for(&mut up, false) => {}
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// Binds `addr` again after a listener was switched back up (the old socket may linger a
/// moment).
async fn rebind(addr: SocketAddr) -> Option<TcpListener> {
    for _ in 0..50 {
        if let Ok(listener) = TcpListener::bind(addr).await {
            return Some(listener);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    None
}

/// The service error that makes hyper drop a connection without answering (fault `Reset`).
#[derive(Debug)]
pub(crate) struct ConnectionReset;

impl std::fmt::Display for ConnectionReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by fault injection")
    }
}

impl std::error::Error for ConnectionReset {}

/// Every request passes here: admin endpoints, faults, route, answer, log.
async fn dispatch(
    state: Arc<HttpState>,
    which: Listener,
    remote: SocketAddr,
    request: Request<Incoming>,
) -> Result<Response<Body>, ConnectionReset> {
    let (parts, body) = request.into_parts();
    let mut req = Req {
        parts,
        body: Some(body),
        body_bytes: 0,
        remote_ip: remote.ip().to_string(),
    };
    if req.parts.uri.path().starts_with(super::admin::PREFIX) {
        let response = super::admin::handle(&state, &mut req).await;
        record(&state, which, &req, response.status().as_u16(), None);
        return Ok(response);
    }
    let fault = state
        .faults
        .take(which, req.parts.method.as_str(), req.parts.uri.path());
    let name = fault.as_ref().map(FaultAction::name);
    let response = match fault {
        Some(FaultAction::Reset) => {
            record(&state, which, &req, 0, name);
            return Err(ConnectionReset);
        }
        Some(FaultAction::ResetMidBody { after_bytes }) => {
            req.read_body_prefix(after_bytes).await;
            record(&state, which, &req, 0, name);
            return Err(ConnectionReset);
        }
        Some(FaultAction::LoseResponse) => {
            let response = route(&state, which, &mut req).await;
            let name = name.map(|n| format!("{n} (was {})", response.status().as_u16()));
            record(&state, which, &req, 0, name);
            return Err(ConnectionReset);
        }
        Some(FaultAction::Respond { status, body }) => {
            let status = http::StatusCode::from_u16(status)
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            super::reply::respond(status, Some("text/plain"), body)
        }
        Some(FaultAction::Hang) => {
            record(&state, which, &req, 0, name);
            let mut stopping = state.stopping.clone();
            let _ = stopping.wait_for(|stop| *stop).await;
            return Err(ConnectionReset);
        }
        Some(FaultAction::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            route(&state, which, &mut req).await
        }
        None => route(&state, which, &mut req).await,
    };
    record(&state, which, &req, response.status().as_u16(), name);
    Ok(response)
}

async fn route(state: &HttpState, which: Listener, req: &mut Req) -> Response<Body> {
    let sent = match super::version_gate::gate(state, which, req) {
        Gate::Answer(answer) => return answer,
        Gate::Pass(sent) => sent,
    };
    let response = match (state.flavor, which) {
        (Flavor::Doris, Listener::Fe | Listener::Frontend(_)) => {
            doris::fe::handle(state, req).await
        }
        (Flavor::Doris, Listener::Be(n)) => doris::be::handle(state, req, n).await,
        (Flavor::StarRocks, Listener::Fe) => starrocks::fe::handle(state, req, 0).await,
        (Flavor::StarRocks, Listener::Frontend(n)) => starrocks::fe::handle(state, req, n).await,
        (Flavor::StarRocks, Listener::Be(n)) => starrocks::be::handle(state, req, n).await,
    };
    if let Some(headers) = sent {
        req.parts.headers = headers;
    }
    response
}

/// Writes the request log entry (status 0 = no response was sent).
fn record(state: &HttpState, which: Listener, req: &Req, status: u16, fault: Option<String>) {
    let headers = req
        .parts
        .headers
        .iter()
        .filter(|(k, _)| *k != http::header::AUTHORIZATION)
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    state.log.push(RequestRecord {
        seq: 0,
        listener: which,
        method: req.parts.method.to_string(),
        path: req
            .parts
            .uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        version: format!("{:?}", req.parts.version),
        headers,
        body_bytes: req.body_bytes,
        status,
        fault,
    });
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("my%20db"), "my db");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("plain"), "plain");
    }
}
