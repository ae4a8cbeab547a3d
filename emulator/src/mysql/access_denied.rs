//! Rewrites opensrv-mysql's failed-login packet into the servers' own: opensrv answers a bad
//! password with `ERROR 1698 Authenticate failed, user: ...`, while MySQL, Doris and StarRocks
//! answer `ERROR 1045 (28000): Access denied for user 'u'@'host' (using password: YES)` — the
//! code clients map to "unauthorized".
//!
//! The shim records the refused login in a [`LoginOutcome`]; from then on this writer holds back
//! what opensrv writes (only the error packet follows) and, on flush, replaces it.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;

/// A refused login: who, from where, and whether a password was sent.
#[derive(Debug, Default)]
pub(crate) struct LoginOutcome {
    refused: Mutex<Option<String>>,
}

impl LoginOutcome {
    pub(crate) fn refuse(&self, user: &str, host: &str, with_password: bool) {
        let yes_no = if with_password { "YES" } else { "NO" };
        let message =
            format!("Access denied for user '{user}'@'{host}' (using password: {yes_no})");
        *self.refused.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
    }

    fn message(&self) -> Option<String> {
        self.refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The connection's write half, with the failed-login rewrite.
pub(crate) struct Writer<W> {
    inner: W,
    outcome: Arc<LoginOutcome>,
    held: Vec<u8>,
    out: Vec<u8>,
    rewritten: bool,
}

impl<W> Writer<W> {
    pub(crate) fn new(inner: W, outcome: Arc<LoginOutcome>) -> Writer<W> {
        Writer {
            inner,
            outcome,
            held: Vec::new(),
            out: Vec::new(),
            rewritten: false,
        }
    }
}

/// `ERR` packet: 0xFF, code 1045, `#28000`, message; same sequence id as the held packet.
fn access_denied_packet(held: &[u8], message: &str) -> Vec<u8> {
    let seq = held.get(3).copied().unwrap_or(2);
    let mut payload = vec![0xFF];
    payload.extend_from_slice(&1045u16.to_le_bytes());
    payload.extend_from_slice(b"#28000");
    payload.extend_from_slice(message.as_bytes());
    let len = payload.len() as u32;
    let mut packet = len.to_le_bytes()[..3].to_vec();
    packet.push(seq);
    packet.extend(payload);
    packet
}

impl<W: AsyncWrite + Unpin> Writer<W> {
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.rewritten
            && let Some(message) = self.outcome.message()
        {
            let is_err_packet = self.held.get(4) == Some(&0xFF);
            self.out = if is_err_packet {
                access_denied_packet(&self.held, &message)
            } else {
                std::mem::take(&mut self.held)
            };
            self.held.clear();
            self.rewritten = true;
        }
        while !self.out.is_empty() {
            let n = std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, &self.out))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.out.drain(..n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Writer<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if !self.rewritten && self.outcome.message().is_some() {
            self.held.extend_from_slice(buf);
            return Poll::Ready(Ok(buf.len()));
        }
        std::task::ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
