//! The per-row write path of the `Sink`: encode a row into its table's open buffer, charge
//! the memory budget, and decide whether the buffer must be flushed or shipped.
//!
//! It runs once per row, so it looks the table up as few times as it can, charges the budget
//! in blocks rather than per row, and awaits nothing unless something has to happen: the
//! `sink_write` benchmark measures what it adds to the encoder alone.

use std::sync::atomic::Ordering;

use crate::budget::Charge;
use crate::config::{Delivery, SinkConfig};
use crate::encode::Encoder;
use crate::error::{Error, ErrorKind, Result};
use crate::protocol::LoadProtocol;
use crate::row::Op;
use crate::table::Table;

use super::Sink;
use super::tables::{self, TableState};

impl<P: LoadProtocol + 'static> Sink<P> {
    pub(super) async fn add_row<F>(&mut self, table: &Table, op: Op, encode: F) -> Result<()>
    where
        F: FnOnce(&mut Encoder, &mut Vec<u8>) -> Result<()>,
    {
        // This path runs for every row: the table is looked up once to learn whether it is new
        // or failed and once for the row itself, and nothing is awaited unless something must
        // happen.
        let failed = match self.tables.get_mut(table) {
            Some(state) => state.failed.load(Ordering::Acquire),
            None => {
                self.ensure_table(table).await?;
                false
            }
        };
        if failed {
            self.sync(table).await?;
        }
        let shared = &self.shared;
        let state = self
            .tables
            .get_mut(table)
            .ok_or_else(|| tables::worker_gone(table))?;
        let encoder = state.encoder.as_mut().ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                "Arrow bodies are written with write_encoded",
            )
        })?;
        if op == Op::Delete && !state.has_delete_column {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "delete of a row in a table without a delete column (or with deletes disabled)",
            )
            .with_context("table", table)
            .with_context("row", encoder.rows() + 1));
        }
        let start = state.buffer.current.len();
        encode(encoder, &mut state.buffer.current).map_err(|e| e.with_context("table", table))?;
        let len = state.buffer.current.len() - start;
        if shared.caps.multi_load_per_txn && state.buffer.current.len() >= shared.config.chunk_bytes
        {
            encoder.finish_body(&mut state.buffer.current);
        }
        shared.stats.written(1, len);
        let charge = if state.buffer.use_reserved(len) {
            Some(Charge::default())
        } else {
            // Charge a block ahead, so most rows need no semaphore operation of their own.
            let ahead = len.max(charge_block(shared.config.memory_budget));
            match shared.budget.try_charge(ahead) {
                Some(charge) => {
                    state.buffer.reserve(ahead - len);
                    Some(charge)
                }
                None if ahead > len => shared.budget.try_charge(len),
                None => None,
            }
        };
        match charge {
            Some(charge) => {
                state.buffer.rows_added(1, charge);
                match next_step(&shared.config, state) {
                    Step::Stay => Ok(()),
                    step => self.take_step(table, step).await,
                }
            }
            None => {
                state.buffer.rows_added(1, Charge::default());
                let charge = self.charge(table, len, len).await?;
                self.state(table)?.buffer.add_charge(charge);
                self.after_rows(table).await
            }
        }
    }

    /// Charges `len` bytes. When the budget is exhausted, ships this table's buffer and then
    /// the largest other buffers until at least `len` charged bytes are on their way out, and
    /// waits: everything charged is then in flight and comes back, so the wait always ends.
    ///
    /// `uncharged` says how many of the table's buffered bytes are the ones being charged.
    pub(super) async fn charge(
        &mut self,
        table: &Table,
        len: usize,
        uncharged: usize,
    ) -> Result<Charge> {
        if let Some(charge) = self.shared.budget.try_charge(len) {
            return Ok(charge);
        }
        self.shared.stats.memory_wait();
        let mut shipped = self.state(table)?.buffer.bytes().saturating_sub(uncharged);
        self.flush_table(table).await?;
        let mut others: Vec<(Table, usize)> = self
            .tables
            .iter()
            .filter(|(t, s)| *t != table && s.buffer.bytes() > 0)
            .map(|(t, s)| (t.clone(), s.buffer.bytes()))
            .collect();
        others.sort_by_key(|other| std::cmp::Reverse(other.1));
        for (other, bytes) in others {
            if shipped >= len {
                break;
            }
            self.flush_table(&other).await?;
            shipped += bytes;
        }
        // Kept chunks come back only at prepare: give them back now so the wait ends.
        self.shared.retention.pause();
        let charge = self.shared.budget.charge(len).await;
        self.shared.retention.resume();
        Ok(charge)
    }

    /// Flush triggers after rows were added to `table`.
    pub(super) async fn after_rows(&mut self, table: &Table) -> Result<()> {
        let state = self
            .tables
            .get_mut(table)
            .ok_or_else(|| tables::worker_gone(table))?;
        let step = next_step(&self.shared.config, state);
        self.take_step(table, step).await
    }

    async fn take_step(&mut self, table: &Table, step: Step) -> Result<()> {
        match step {
            Step::Stay => Ok(()),
            Step::Flush => self.flush_table(table).await,
            Step::Ship => self.ship(table).await,
        }
    }
}

/// Bytes charged to the budget ahead of a table's rows: a 64th of the budget, at most 64 KiB.
/// The open buffer holds at most that much charge beyond its bytes, and it goes with the
/// buffer's chunk, so it is returned with it.
fn charge_block(memory_budget: u64) -> usize {
    usize::try_from(memory_budget / 64).map_or(64 << 10, |block| block.clamp(1, 64 << 10))
}

/// What a table's buffer needs after rows were added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Nothing yet.
    Stay,
    /// End the batch (batched: full or aged) or the chunk (checkpointed: aged).
    Flush,
    /// Checkpointed: send the sealed chunks to the open transaction.
    Ship,
}

fn next_step(config: &SinkConfig, state: &TableState) -> Step {
    let aged = state
        .buffer
        .age()
        .is_some_and(|age| age >= config.flush_interval);
    match config.delivery {
        // Flushing an aged buffer ends the chunk properly (a whole JSON array where chunks
        // must be whole).
        Delivery::Checkpointed if aged => Step::Flush,
        Delivery::Checkpointed if state.buffer.has_sealed() => Step::Ship,
        Delivery::Checkpointed => Step::Stay,
        Delivery::Batched => {
            let full = state.buffer.rows() >= config.max_rows
                || state.buffer.bytes() as u64 >= config.max_bytes;
            if full || aged {
                Step::Flush
            } else {
                Step::Stay
            }
        }
    }
}
