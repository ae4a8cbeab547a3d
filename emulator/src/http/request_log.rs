//! The request log: every HTTP exchange the emulator served, for tests to assert on.
//!
//! The client crates' tests use it to prove that a load body never reached the FE (its
//! `body_bytes` stays 0) and which BE a transaction's requests went to. Every request passes
//! through one dispatch point in the server, which writes this log; fault injection ("for the
//! next N requests matching an endpoint: delay / 5xx / reset") hooks in at that same point.

use std::sync::{Arc, Mutex};

/// Which listener served a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Listener {
    /// The FE HTTP port (FE 0: the leader of a cluster while it is up).
    Fe,
    /// FE number `n` ≥ 1 of a cluster of several FEs (started as a follower; see
    /// [`crate::EmulatorConfig::frontends`]), in the order of [`crate::EmulatorHandle::fe_urls`].
    Frontend(usize),
    /// BE number `n` (0-based, in the order of [`crate::EmulatorHandle::be_urls`]).
    Be(usize),
}

impl Listener {
    /// The listener of FE `n` (0 = [`Listener::Fe`]).
    pub fn fe(n: usize) -> Listener {
        if n == 0 {
            Listener::Fe
        } else {
            Listener::Frontend(n)
        }
    }

    /// The FE number of an FE listener, `None` for a BE.
    pub fn fe_index(self) -> Option<usize> {
        match self {
            Listener::Fe => Some(0),
            Listener::Frontend(n) => Some(n),
            Listener::Be(_) => None,
        }
    }
}

/// One served request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// Arrival order, from 1.
    pub seq: u64,
    /// The listener that answered.
    pub listener: Listener,
    /// HTTP method.
    pub method: String,
    /// Path and query as sent.
    pub path: String,
    /// HTTP version (`HTTP/1.0`, `HTTP/1.1`).
    pub version: String,
    /// Request headers (lower-case names) except `Authorization`, which is never recorded.
    pub headers: Vec<(String, String)>,
    /// Body bytes the server read (0 when it answered without reading the body).
    pub body_bytes: u64,
    /// Status of the final response (0 when the connection was dropped without one).
    pub status: u16,
    /// The injected fault that hit this request (`FaultAction::name`), if any.
    pub fault: Option<String>,
}

impl RequestRecord {
    /// The value of a recorded header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The shared log; clones see the same records.
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    records: Arc<Mutex<Vec<RequestRecord>>>,
}

impl RequestLog {
    /// All records so far, oldest first.
    pub fn entries(&self) -> Vec<RequestRecord> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Forgets every record.
    pub fn clear(&self) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub(crate) fn push(&self, mut record: RequestRecord) {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        record.seq = records.len() as u64 + 1;
        records.push(record);
    }
}
