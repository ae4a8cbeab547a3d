//! Rewrites opensrv-mysql's failed-login packet into the servers' own: opensrv answers a bad
//! password with `ERROR 1698 Authenticate failed, user: ...`, while MySQL, Doris and StarRocks
//! answer `ERROR 1045 (28000): Access denied for user 'u'@'host' (using password: YES)` — the
//! code clients map to "unauthorized".
//!
//! The shim records the refused login in a [`LoginOutcome`]; from then on this writer holds back
//! what opensrv writes (only the error packet follows) and, on flush, replaces it.
//!
//! The same writer carries error codes opensrv cannot name (StarRocks' 5203 for a missing
//! privilege): such an error leaves the router as 1105 whose message starts with a marker
//! holding the real code and SQLSTATE, and the writer rewrites that packet on its way out.

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
    /// Bytes written since the last flush: opensrv writes a packet's header and payload
    /// apart, so marked errors are rewritten when the whole response is here.
    pending: Vec<u8>,
    out: Vec<u8>,
    rewritten: bool,
}

impl<W> Writer<W> {
    pub(crate) fn new(inner: W, outcome: Arc<LoginOutcome>) -> Writer<W> {
        Writer {
            inner,
            outcome,
            held: Vec::new(),
            pending: Vec::new(),
            out: Vec::new(),
            rewritten: false,
        }
    }
}

/// The first byte of a marked error message (never sent by a server).
const MARK: u8 = 0x01;

/// `message` marked to leave as `code` / `sqlstate` (five characters).
pub(crate) fn mark_error(code: u16, sqlstate: &str, message: &str) -> String {
    format!("\u{1}{code:05}{sqlstate:.5}{message}")
}

/// Rewrites the marked ERR packets of `buf` (whole packets only; anything else unchanged).
fn unmark(buf: &[u8]) -> Option<Vec<u8>> {
    // ERR payload: 0xFF, code (2), '#', SQLSTATE (5), message.
    const MSG: usize = 9;
    let mut out = Vec::with_capacity(buf.len());
    let mut rest = buf;
    let mut changed = false;
    while !rest.is_empty() {
        if rest.len() < 4 {
            return None;
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], 0]) as usize;
        let (packet, tail) = rest.split_at_checked(4 + len)?;
        let payload = &packet[4..];
        let marked = payload.first() == Some(&0xFF)
            && payload.get(MSG) == Some(&MARK)
            && payload.len() >= MSG + 11;
        if marked {
            let code: u16 = std::str::from_utf8(&payload[MSG + 1..MSG + 6])
                .ok()?
                .parse()
                .ok()?;
            let mut new = vec![0xFF];
            new.extend_from_slice(&code.to_le_bytes());
            new.push(b'#');
            new.extend_from_slice(&payload[MSG + 6..MSG + 11]);
            new.extend_from_slice(&payload[MSG + 11..]);
            out.extend_from_slice(&(new.len() as u32).to_le_bytes()[..3]);
            out.push(packet[3]);
            out.extend(new);
            changed = true;
        } else {
            out.extend_from_slice(packet);
        }
        rest = tail;
    }
    changed.then_some(out)
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

/// Pending bytes beyond which a response is passed on unrewritten (marked errors are small).
const PENDING_LIMIT: usize = 64 * 1024;

impl<W: AsyncWrite + Unpin> Writer<W> {
    /// Moves the pending bytes to the outgoing buffer, marked errors rewritten.
    fn release(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let bytes = if pending.contains(&MARK) {
            unmark(&pending).unwrap_or(pending)
        } else {
            pending
        };
        self.out.extend(bytes);
    }

    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.rewritten
            && let Some(message) = self.outcome.message()
        {
            let is_err_packet = self.held.get(4) == Some(&0xFF);
            let packet = if is_err_packet {
                access_denied_packet(&self.held, &message)
            } else {
                std::mem::take(&mut self.held)
            };
            self.out.extend(packet);
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
        self.pending.extend_from_slice(buf);
        if self.pending.len() > PENDING_LIMIT {
            // A large result set: no marked error in it, pass it on.
            self.release();
            if let Poll::Ready(Err(e)) = self.drain(cx) {
                return Poll::Ready(Err(e));
            }
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.release();
        std::task::ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.release();
        std::task::ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
