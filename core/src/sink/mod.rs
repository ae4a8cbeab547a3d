//! The `Sink`: the user API that turns rows into loads.
//!
//! It owns what vendors should not have to write: per-table encoders and buffers, the global
//! memory budget, flush triggers, labels, and the commit state machine. Each table's loads run
//! on its own task (see `worker.rs`), one at a time, which keeps per-key order; tables load in
//! parallel. `tables.rs` holds the per-table plumbing, `steps.rs` the retried protocol steps,
//! `batch.rs` one batched load, `open_txn.rs` a checkpoint's open transaction (sending it
//! again after a failure that may pass), `checkpoint.rs` prepare / commit, `recover.rs` the
//! restart.

mod batch;
mod checkpoint;
mod json_lines;
mod open_txn;
mod recover;
mod resend;
mod steps;
mod table_states;
mod tables;
mod worker;
mod write_path;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_checkpoint;
#[cfg(test)]
mod tests_labels;
#[cfg(test)]
mod tests_retry;

use std::collections::HashSet;
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::{Semaphore, oneshot};

use crate::budget::MemoryBudget;
use crate::buffer::Chunk;
use crate::config::{Delivery, SinkConfig};
use crate::encode::Value;
use crate::error::{Error, ErrorKind, Result};
use crate::format::{Compression, Format, JsonFormat};
use crate::label::LabelGenerator;
use crate::metrics::{SinkStats, Stats};
use crate::protocol::LoadProtocol;
use crate::ratelimit::RateLimits;
use crate::row::{Op, RowKind};
use crate::table::Table;

pub use self::checkpoint::{Checkpoint, TableCursor};
use self::steps::Shared;
use self::table_states::TableStates;
use self::worker::Command;

/// Writes rows of many tables through a [`LoadProtocol`].
///
/// * Batched mode ([`Delivery::Batched`]): each table's rows are loaded in batches, flushed by
///   rows, bytes or age (checked on every write and by [`Sink::flush_due`]) or by
///   [`Sink::flush`]. Each batch has a deterministic label (`{prefix}_{table}_{writer}_{seq}`,
///   seq from [`SinkConfig::batch_sequence_start`]) kept across its retries. At-least-once.
/// * Checkpointed mode ([`Delivery::Checkpointed`]): each table has one streaming transaction
///   per checkpoint, labelled with the id of the checkpoint that will seal it;
///   [`Sink::prepare`] precommits them all and returns a [`Checkpoint`] to store,
///   [`Sink::commit`] commits it, [`Sink::recover`] restarts from one. Exactly-once.
///
/// A failed load makes the next call for its table (or `flush` / `prepare`) return the error;
/// in batched mode the failed batch's rows are not retried further and must be replayed by the
/// caller. Dropping a `Sink` aborts its open transactions.
#[derive(Debug)]
pub struct Sink<P: LoadProtocol + 'static> {
    shared: Arc<Shared<P>>,
    generator: LabelGenerator,
    tables: TableStates,
    /// Checkpointed mode: the label sequence of transactions opened now.
    checkpoint_seq: u64,
    /// The first checkpoint id this sink prepares; lower ids were restored from storage.
    first_checkpoint: u64,
    /// Checkpointed mode: tables whose labels from `first_checkpoint` on were probed for what
    /// a crashed run left open (by `recover`, or when first written).
    probed: HashSet<Table>,
}

impl<P: LoadProtocol + 'static> Sink<P> {
    /// A sink writing through `protocol`. In checkpointed mode prefer [`Sink::recover`], which
    /// also aborts what an earlier run left open.
    pub fn new(protocol: P, config: SinkConfig) -> Result<Self> {
        Self::with_checkpoint_seq(protocol, config, 1)
    }

    fn with_checkpoint_seq(protocol: P, config: SinkConfig, checkpoint_seq: u64) -> Result<Self> {
        let caps = protocol.capabilities();
        check_capabilities(&caps, &config)?;
        let multi_load = caps.multi_load_per_txn;
        let generator = config.label_generator(caps.label_format)?;
        let shared = Shared {
            protocol: Arc::new(protocol),
            caps,
            stats: Stats::default(),
            budget: MemoryBudget::new(config.memory_budget),
            limits: RateLimits::new(config.bytes_per_second, config.loads_per_second),
            load_slots: Arc::new(Semaphore::new(config.max_concurrent_loads)),
            retention: resend::Retention::new(retention_cap(multi_load, config.memory_budget)),
            config,
        };
        Ok(Self {
            shared: Arc::new(shared),
            generator,
            tables: TableStates::default(),
            checkpoint_seq,
            first_checkpoint: checkpoint_seq,
            probed: HashSet::new(),
        })
    }

    /// The protocol.
    pub fn protocol(&self) -> &P {
        &self.shared.protocol
    }

    /// The configuration.
    pub fn config(&self) -> &SinkConfig {
        &self.shared.config
    }

    /// A snapshot of the counters (works without a metrics recorder).
    pub fn stats(&self) -> SinkStats {
        self.shared.stats.snapshot()
    }

    /// Writes one serde row (a struct; field order = columns) to `table`.
    ///
    /// `Op::Delete` needs the table's delete column (`TableDescription::delete_column` and
    /// `SinkConfig::enable_delete`); without it the row is an `Unsupported` error, never
    /// dropped or upserted.
    pub async fn write<T: Serialize + ?Sized>(
        &mut self,
        table: &Table,
        op: Op,
        row: &T,
    ) -> Result<()> {
        self.add_row(table, op, |encoder, out| encoder.encode(out, op, row))
            .await
    }

    /// Writes one change-stream row: its [`RowKind`] is mapped to an [`Op`] with the configured
    /// `ignore_update_before`; a skipped update-before image is `Ok` and writes nothing.
    pub async fn write_change<T: Serialize + ?Sized>(
        &mut self,
        table: &Table,
        kind: RowKind,
        row: &T,
    ) -> Result<()> {
        match kind.to_op(self.shared.config.ignore_update_before) {
            Some(op) => self.write(table, op, row).await,
            None => Ok(()),
        }
    }

    /// Writes one dynamic row: `values[i]` is column `columns[i]`.
    pub async fn write_values<S: AsRef<str>>(
        &mut self,
        table: &Table,
        op: Op,
        columns: &[S],
        values: &[Value],
    ) -> Result<()> {
        self.add_row(table, op, |encoder, out| {
            encoder.encode_values(out, op, columns, values)
        })
        .await
    }

    /// Writes pre-encoded rows in the configured format: whole rows only (CSV bytes end with
    /// the line delimiter), no delete column added. Arrow bodies go one `write_encoded` per
    /// load, followed by `flush`. When the format is a JSON array (StarRocks' JSON), the bytes
    /// are JSON lines (one object per line) and become elements of the load's array; `rows` is
    /// then counted from the lines.
    pub async fn write_encoded(&mut self, table: &Table, bytes: Bytes, rows: u64) -> Result<()> {
        match &self.shared.config.format {
            Format::Json(JsonFormat::Array) => {
                return self.write_json_lines_into_array(table, &bytes).await;
            }
            Format::Csv(csv) if !bytes.is_empty() && !bytes.ends_with(&csv.line_delimiter) => {
                return Err(Error::new(
                    ErrorKind::Encode,
                    "pre-encoded CSV must end with the line delimiter (whole rows only)",
                )
                .with_context("table", table));
            }
            _ => {}
        }
        if bytes.is_empty() {
            return Ok(());
        }
        self.ensure_table(table).await?;
        self.check_failed(table).await?;
        self.shared.stats.written(rows, bytes.len());
        let charge = self.charge(table, bytes.len(), 0).await?;
        let state = self.state(table)?;
        state.buffer.push_chunk(Chunk {
            bytes,
            rows,
            charge,
        });
        self.after_rows(table).await
    }

    /// Flushes tables whose oldest buffered row is older than the flush interval. Call it
    /// periodically (for example from a `tokio::time::interval`) when writes may pause.
    pub async fn flush_due(&mut self) -> Result<()> {
        let interval = self.shared.config.flush_interval;
        let due: Vec<Table> = self
            .tables
            .iter()
            .filter(|(_, s)| s.buffer.age().is_some_and(|age| age >= interval))
            .map(|(t, _)| t.clone())
            .collect();
        for table in due {
            self.flush_table(&table).await?;
        }
        Ok(())
    }

    /// Batched mode: loads everything buffered and waits until every load has finished.
    /// Checkpointed mode: sends everything buffered to the open transactions (it does not
    /// commit; that is `prepare` + `commit`). Returns the first failure of any table.
    pub async fn flush(&mut self) -> Result<()> {
        let tables: Vec<Table> = self.tables.keys().cloned().collect();
        for table in &tables {
            self.flush_table(table).await?;
        }
        let mut first: Option<Error> = None;
        let mut others = 0;
        for table in &tables {
            if let Err(e) = self.sync(table).await {
                if first.is_some() {
                    tracing::error!(table = %table, error = %e, "Another table failed too.");
                    others += 1;
                } else {
                    first = Some(e);
                }
            }
        }
        match first {
            None => Ok(()),
            Some(e) if others > 0 => Err(e.with_context("other_failed_tables", others)),
            Some(e) => Err(e),
        }
    }

    /// Ends the sink. Batched mode: flushes and waits for every load. Checkpointed mode: aborts
    /// open transactions (rows written since the last `prepare` are discarded).
    pub async fn close(mut self) -> Result<()> {
        let result = match self.shared.config.delivery {
            Delivery::Batched => self.flush().await,
            Delivery::Checkpointed => {
                let tables: Vec<Table> = self.tables.keys().cloned().collect();
                for table in &tables {
                    let (reply, done) = oneshot::channel();
                    self.send(table, Command::Abort(reply)).await?;
                    let _ = done.await;
                }
                Ok(())
            }
        };
        for (_, state) in self.tables.drain() {
            drop(state.commands);
            let _ = state.task.await;
        }
        result
    }
}

fn check_capabilities(caps: &crate::Capabilities, config: &SinkConfig) -> Result<()> {
    let bad =
        |msg: &str| Err(Error::new(ErrorKind::Config, msg).with_context("vendor", caps.vendor));
    if config.delivery == Delivery::Checkpointed && !caps.two_phase_commit {
        return bad("checkpointed delivery needs a protocol with two-phase commit");
    }
    if config.delivery == Delivery::Checkpointed && caps.server_batched {
        return bad("server-batched protocols are at-least-once; use batched delivery");
    }
    if config.compression == Compression::Lz4Frame {
        let ok = match config.format {
            Format::Csv(_) => caps.lz4_csv,
            Format::Json(_) => caps.lz4_json,
            Format::ArrowStream => false,
        };
        if !ok {
            return bad("this protocol does not accept LZ4 bodies in this format");
        }
    }
    if caps.max_body_bytes > 0 && config.max_bytes > caps.max_body_bytes {
        return bad("max_bytes exceeds the largest body this protocol accepts (max_body_bytes)");
    }
    if config.format == Format::ArrowStream && !caps.arrow {
        return bad("this protocol does not accept Arrow bodies");
    }
    if let Format::Csv(csv) = &config.format
        && (csv.enclose.is_some() || csv.escape.is_some())
        && !caps.csv_enclose
    {
        return bad(
            "this protocol cannot send CSV enclose/escape; use JSON, or CSV without enclose \
             (a value holding the separator is then refused with an Encode error naming it)",
        );
    }
    Ok(())
}

/// Bytes of sent chunks kept for a resend (see [`resend`]). A transaction carried by one
/// streaming request learns only at `prepare` that the server refused to begin it, and a load
/// whose answer was lost or broke off can only be sent again whole, so a quarter of the budget
/// may hold its sent chunks. A transaction begun by its own request (several loads per
/// transaction) learns of a refusal at `begin`, before anything is sent, so it keeps chunks
/// only for a lost or broken load: a sixteenth of the budget, which keeps a large
/// transaction's peak memory low (past the cap its chunks are returned and it is no longer
/// resendable).
fn retention_cap(multi_load_per_txn: bool, memory_budget: u64) -> usize {
    let share = if multi_load_per_txn { 16 } else { 4 };
    usize::try_from(memory_budget / share).unwrap_or(usize::MAX)
}
