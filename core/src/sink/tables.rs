//! Per-table plumbing of the `Sink`: describing a table once, starting its task, and handing
//! its sealed chunks on (to the open transaction, or as a batch).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::buffer::TableBuffer;
use crate::config::Delivery;
use crate::encode::Encoder;
use crate::error::{Error, ErrorKind, Result};
use crate::format::Format;
use crate::protocol::{LoadOptions, LoadProtocol, TableDescription};
use crate::retry::Backoff;
use crate::table::Table;

use super::Sink;
use super::checkpoint::TableCursor;
use super::recover::abort_lingering;
use super::worker::{Batch, Command, Worker};

/// Commands queued per table before the `Sink` waits (back-pressure).
const COMMAND_QUEUE: usize = 2;

/// What the `Sink` keeps per table.
#[derive(Debug)]
pub(crate) struct TableState {
    /// `None` for Arrow bodies, which arrive pre-encoded.
    pub(crate) encoder: Option<Encoder>,
    pub(crate) has_delete_column: bool,
    pub(crate) buffer: TableBuffer,
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) failed: Arc<AtomicBool>,
    pub(crate) task: JoinHandle<()>,
    /// Checkpointed mode: the label sequence of the transaction opened for this checkpoint.
    pub(crate) open_seq: Option<u64>,
    /// Batched mode: the sequence of the next batch's label.
    pub(crate) batch_seq: u64,
    /// Batched mode: one permit per batch handed to the task and not yet finished
    /// (`flush_queue_size` waiting plus the one loading), so a table's memory is bounded by
    /// batches, not by how far the writer runs ahead.
    pub(crate) batches: Arc<Semaphore>,
}

impl TableState {
    /// Ends the load body in the open buffer (the `]` of a JSON array).
    pub(crate) fn end_body(&mut self) {
        if let Some(encoder) = self.encoder.as_mut()
            && encoder.rows_in_body() > 0
        {
            encoder.finish_body(&mut self.buffer.current);
        }
    }

    fn load_options(
        &self,
        format: &Format,
        compression: crate::Compression,
        two_phase: bool,
    ) -> LoadOptions {
        LoadOptions {
            format: format.clone(),
            compression,
            columns: self.encoder.as_ref().and_then(Encoder::columns),
            two_phase,
        }
    }
}

pub(super) fn worker_gone(table: &Table) -> Error {
    Error::new(ErrorKind::Unexpected, "the table's load task has ended")
        .with_context("table", table)
}

impl<P: LoadProtocol + 'static> Sink<P> {
    pub(crate) fn state(&mut self, table: &Table) -> Result<&mut TableState> {
        self.tables.get_mut(table).ok_or_else(|| worker_gone(table))
    }

    /// Describes `table` (once) and starts its task.
    pub(crate) async fn ensure_table(&mut self, table: &Table) -> Result<()> {
        if self.tables.contains_key(table) {
            return Ok(());
        }
        let description = self.describe(table).await?;
        if self.shared.config.delivery == Delivery::Checkpointed && !self.probed.contains(table) {
            // A table recovery did not know (no checkpoint or `tables` entry named it) may still
            // hold labels a crashed run precommitted: clean them up before the first begin.
            abort_lingering(&self.shared, table, &self.generator, self.first_checkpoint).await?;
            self.probed.insert(table.clone());
        }
        let config = &self.shared.config;
        let delete = description.delete_column.filter(|_| config.enable_delete);
        let encoder = match config.format {
            Format::ArrowStream => None,
            ref format => Some(Encoder::new(format, config.encode.clone(), delete.clone())?),
        };
        let failed = Arc::new(AtomicBool::new(false));
        let (commands, receiver) = mpsc::channel(COMMAND_QUEUE);
        let worker = Worker::new(Arc::clone(&self.shared), table.clone(), Arc::clone(&failed));
        let task = tokio::spawn(worker.run(receiver));
        self.tables.insert(
            table.clone(),
            TableState {
                encoder,
                has_delete_column: delete.is_some(),
                buffer: TableBuffer::new(config.chunk_bytes),
                commands,
                failed,
                task,
                open_seq: None,
                batch_seq: config.batch_sequence_start,
                batches: Arc::new(Semaphore::new(config.flush_queue_size.saturating_add(1))),
            },
        );
        Ok(())
    }

    async fn describe(&self, table: &Table) -> Result<TableDescription> {
        let mut backoff = Backoff::new(&self.shared.config.retry);
        loop {
            match self.shared.protocol.describe(table).await {
                Ok(description) => return Ok(description),
                Err(e) => match backoff.next_delay(&e) {
                    Some(delay) => tokio::time::sleep(delay).await,
                    None => return Err(e.with_context("table", table)),
                },
            }
        }
    }

    pub(crate) async fn send(&mut self, table: &Table, command: Command) -> Result<()> {
        let sender = self.state(table)?.commands.clone();
        sender.send(command).await.map_err(|_| worker_gone(table))
    }

    /// Waits until the table's task has done everything queued; returns its first failure.
    pub(crate) async fn sync(&mut self, table: &Table) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        self.send(table, Command::Sync(reply)).await?;
        answer.await.map_err(|_| worker_gone(table))?
    }

    /// Returns a failure the table's task reported since the last call.
    pub(crate) async fn check_failed(&mut self, table: &Table) -> Result<()> {
        if self.state(table)?.failed.load(Ordering::Acquire) {
            self.sync(table).await?;
        }
        Ok(())
    }

    /// Checkpointed mode: sends the sealed chunks to the checkpoint's transaction, opening it
    /// first when needed.
    pub(crate) async fn ship(&mut self, table: &Table) -> Result<()> {
        let seq = self.checkpoint_seq;
        let format = self.shared.config.format.clone();
        let compression = self.shared.config.compression;
        let state = self.state(table)?;
        let chunks = state.buffer.take_chunks();
        if chunks.is_empty() {
            return Ok(());
        }
        if state.open_seq != Some(seq) {
            let options = state.load_options(&format, compression, true);
            state.open_seq = Some(seq);
            let label = self.generator.label(table, seq)?;
            self.send(table, Command::Open { label, options }).await?;
        }
        for chunk in chunks {
            self.send(table, Command::Chunk(chunk)).await?;
        }
        Ok(())
    }

    /// Hands the table's buffered rows on: as a batch (batched mode) or to the open
    /// transaction (checkpointed mode).
    pub(crate) async fn flush_table(&mut self, table: &Table) -> Result<()> {
        let config = &self.shared.config;
        let (delivery, format, compression) =
            (config.delivery, config.format.clone(), config.compression);
        let server_batched = self.shared.caps.server_batched;
        let multi_load = self.shared.caps.multi_load_per_txn;
        let state = self.state(table)?;
        if delivery == Delivery::Checkpointed {
            if multi_load {
                state.end_body();
            }
            state.buffer.seal();
            return self.ship(table).await;
        }
        state.end_body();
        state.buffer.seal();
        let chunks = state.buffer.take_chunks();
        if chunks.is_empty() {
            return Ok(());
        }
        let options = state.load_options(&format, compression, false);
        let seq = state.batch_seq;
        state.batch_seq += 1;
        let batches = Arc::clone(&state.batches);
        let label = if server_batched {
            None
        } else {
            Some(self.generator.label(table, seq)?)
        };
        let rows = chunks.iter().map(|c| c.rows).sum();
        // The semaphore is never closed, so acquiring cannot fail.
        let queued = batches.acquire_owned().await.ok();
        let batch = Batch {
            label,
            options,
            chunks,
            rows,
            _queued: queued,
        };
        self.send(table, Command::Batch(batch)).await
    }

    /// The label cursors of every known table, continuing at `next_seq`.
    pub(crate) fn cursors(&self, next_seq: u64) -> Vec<TableCursor> {
        let mut cursors: Vec<TableCursor> = self
            .tables
            .keys()
            .map(|table| TableCursor {
                table: table.clone(),
                label_prefix: self.generator.prefix().to_owned(),
                writer_id: self.generator.writer().to_owned(),
                label_format: self.shared.caps.label_format,
                next_seq,
            })
            .collect();
        cursors.sort_by(|a, b| a.table.cmp(&b.table));
        cursors
    }
}
