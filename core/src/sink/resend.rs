//! The chunks of each open checkpoint transaction, kept so a load the server refused to begin,
//! or one whose answer was lost or broke off, can be sent again.
//!
//! A streaming two-phase load may learn only at `prepare` that the server refused to begin its
//! transaction (`TxnLimit`, too many running transactions): nothing was loaded, so the load is
//! begun again under the same label and its chunks are sent again. That needs the chunks, with
//! their memory charges, until the transaction is prepared. Keeping them must not break the
//! budget's promise that a waiting writer's wait ends: before a writer waits for memory it
//! pauses retention, which drops every kept chunk (those transactions can then no longer be
//! resent and fail on `TxnLimit` as before) and keeps nothing new until the wait is over.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::budget::Charge;
use crate::buffer::Chunk;
use crate::compress::BodyEncoder;
use crate::error::{Error, ErrorKind, Result};
use crate::label::Label;
use crate::protocol::{LoadOptions, LoadProtocol, Transaction};
use crate::table::Table;

use super::steps::{Begun, Shared};

/// The kept chunks of every table's open transaction.
#[derive(Debug)]
pub(crate) struct Retention {
    /// Most bytes kept at once across all tables (a share of the memory budget, so keeping
    /// chunks never makes writers wait on its own).
    cap: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    paused: bool,
    kept_bytes: usize,
    /// `None`: a chunk of the open transaction was not kept, so it cannot be resent.
    tables: HashMap<Table, Option<Vec<Chunk>>>,
}

impl Inner {
    /// Gives up resending `table`'s open transaction, returning the memory of its chunks.
    fn give_up(&mut self, table: &Table) {
        if let Some(entry) = self.tables.get_mut(table)
            && let Some(chunks) = entry.take()
        {
            self.kept_bytes -= chunks.iter().map(|c| c.bytes.len()).sum::<usize>();
        }
    }
}

impl Retention {
    /// Keeps at most `cap` bytes at once.
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            cap,
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts keeping the chunks of a new transaction of `table`.
    pub(crate) fn start(&self, table: &Table) {
        let mut inner = self.lock();
        inner.give_up(table);
        let kept = (!inner.paused).then(Vec::new);
        inner.tables.insert(table.clone(), kept);
    }

    /// Keeps `chunk` of `table`'s open transaction, or returns its memory now (and gives up
    /// resending the transaction) when retention is paused, over its cap, or the transaction
    /// already lost a chunk.
    pub(crate) fn keep(&self, table: &Table, chunk: Chunk) {
        let mut inner = self.lock();
        let fits = !inner.paused && inner.kept_bytes + chunk.bytes.len() <= self.cap;
        match inner.tables.get_mut(table) {
            Some(Some(kept)) if fits => {
                let len = chunk.bytes.len();
                kept.push(chunk);
                inner.kept_bytes += len;
            }
            Some(_) => {
                inner.give_up(table);
                drop::<Charge>(chunk.charge);
            }
            None => drop::<Charge>(chunk.charge),
        }
    }

    /// Ends retention for `table`'s transaction: its chunks when every one was kept.
    pub(crate) fn take(&self, table: &Table) -> Option<Vec<Chunk>> {
        let mut inner = self.lock();
        let chunks = inner.tables.remove(table).flatten()?;
        inner.kept_bytes -= chunks.iter().map(|c| c.bytes.len()).sum::<usize>();
        Some(chunks)
    }

    /// A writer is about to wait for memory: drop every kept chunk and keep none until
    /// [`Retention::resume`].
    pub(crate) fn pause(&self) {
        let dropped: Vec<Vec<Chunk>> = {
            let mut inner = self.lock();
            inner.paused = true;
            inner.kept_bytes = 0;
            inner.tables.values_mut().filter_map(Option::take).collect()
        };
        drop(dropped);
    }

    /// The writer's wait is over.
    pub(crate) fn resume(&self) {
        self.lock().paused = false;
    }
}

/// Whether a checkpoint transaction whose load failed with `err` may be begun again and its
/// kept chunks sent again: the server refused to begin it (`TxnLimit`), or the failure may pass
/// (a reset, a lost or unreadable answer, a node restarting). A refusal of the request or of
/// the data never is.
pub(crate) fn resendable(err: &Error) -> bool {
    err.is_retryable()
        && matches!(
            err.kind(),
            ErrorKind::TxnLimit
                | ErrorKind::Unavailable
                | ErrorKind::Timeout
                | ErrorKind::Protocol
                | ErrorKind::Unexpected
        )
}

/// A transaction begun again with its chunks sent again.
pub(crate) struct Resent {
    pub(crate) txn: Box<dyn Transaction>,
    pub(crate) body: BodyEncoder,
    pub(crate) body_bytes: u64,
}

/// Begins `label` of `table` again (the server refused the first begin, so nothing of it was
/// loaded) and sends `chunks` again, keeping them for another resend.
pub(crate) async fn begin_again<P: LoadProtocol + ?Sized>(
    shared: &Shared<P>,
    table: &Table,
    label: &Label,
    options: &LoadOptions,
    chunks: Vec<Chunk>,
) -> Result<Resent> {
    // The refused attempt was ours: a transaction found under the label may be its remains.
    let mut ours_before = true;
    let mut txn = match shared
        .begin(table, Some(label), options, &mut ours_before)
        .await?
    {
        Begun::Open(txn) => txn,
        Begun::AlreadyLoaded => {
            return Err(Error::new(
                ErrorKind::Unexpected,
                "a two-phase label cannot be already loaded",
            ));
        }
    };
    shared.retention.start(table);
    let mut body = BodyEncoder::new(options.compression, shared.caps.multi_load_per_txn)?;
    let mut body_bytes = 0u64;
    for chunk in chunks {
        let bytes = body.chunk(&chunk.bytes)?;
        shared.retention.keep(table, chunk);
        if bytes.is_empty() {
            continue;
        }
        shared.limits.before_bytes(bytes.len()).await;
        body_bytes += bytes.len() as u64;
        if let Err(e) = txn.write(bytes).await {
            if let Err(abort) = txn.abort().await {
                tracing::warn!(table = %table, error = %abort, "Abort after a failed resend failed.");
            }
            return Err(e);
        }
    }
    Ok(Resent {
        txn,
        body,
        body_bytes,
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::budget::MemoryBudget;

    fn chunk(budget: &MemoryBudget, text: &'static str) -> Chunk {
        Chunk {
            bytes: Bytes::from_static(text.as_bytes()),
            rows: 1,
            charge: budget.try_charge(text.len()).unwrap(),
        }
    }

    #[test]
    fn kept_chunks_hold_their_memory_until_taken_or_paused() {
        let budget = MemoryBudget::new(100);
        let retention = Retention::new(50);
        let (a, b) = (Table::new("db", "a"), Table::new("db", "b"));
        retention.start(&a);
        retention.start(&b);
        retention.keep(&a, chunk(&budget, "1\n"));
        retention.keep(&b, chunk(&budget, "22\n"));
        assert_eq!(budget.available(), 95);
        let taken = retention.take(&a).unwrap();
        assert_eq!(taken[0].bytes, "1\n");
        drop(taken);
        retention.pause();
        assert_eq!(budget.available(), 100, "pause returns every kept byte");
        retention.keep(&b, chunk(&budget, "3\n"));
        assert_eq!(budget.available(), 100, "nothing is kept while paused");
        retention.resume();
        retention.keep(&b, chunk(&budget, "4\n"));
        assert_eq!(
            budget.available(),
            100,
            "a transaction that lost a chunk keeps none"
        );
        assert!(retention.take(&b).is_none());
    }

    #[test]
    fn a_transaction_over_the_cap_is_no_longer_kept() {
        let budget = MemoryBudget::new(100);
        let retention = Retention::new(5);
        let a = Table::new("db", "a");
        retention.start(&a);
        retention.keep(&a, chunk(&budget, "1\n"));
        retention.keep(&a, chunk(&budget, "22\n"));
        assert_eq!(budget.available(), 95);
        retention.keep(&a, chunk(&budget, "3\n"));
        assert_eq!(budget.available(), 100, "over the cap: nothing kept");
        assert!(retention.take(&a).is_none());
        retention.start(&a);
        retention.keep(&a, chunk(&budget, "4\n"));
        assert_eq!(
            retention.take(&a).unwrap().len(),
            1,
            "the next transaction is kept"
        );
    }
}
