//! What a checkpoint stores: the prepared transactions, and per table what recovery needs to
//! recompute the labels that may have been used after it.
//!
//! It is plain serde data: the application stores it next to its own source offsets (Kafka
//! offsets, binlog positions) in the same atomic write, then calls `Sink::commit`. This file
//! also holds `Sink::prepare` and `Sink::commit`, which make and consume it.

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::config::Delivery;
use crate::error::{Error, ErrorKind, Result};
use crate::label::{LabelFormat, LabelGenerator};
use crate::protocol::LoadProtocol;
use crate::report::Prepared;
use crate::table::Table;

use super::Sink;
use super::worker::Command;

/// A prepared checkpoint of a `Sink` in checkpointed mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The checkpoint id given to `Sink::prepare`.
    pub id: u64,
    /// The transactions to commit.
    pub prepared: Vec<Prepared>,
    /// Every table the sink knew, with its label cursor.
    pub tables: Vec<TableCursor>,
}

/// Where a table's labels continue after a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableCursor {
    /// The table.
    pub table: Table,
    /// Label prefix in use.
    pub label_prefix: String,
    /// Writer id in use.
    pub writer_id: String,
    /// The vendor's label spelling.
    pub label_format: LabelFormat,
    /// The sequence number of the table's next load label (checkpoint id + 1).
    pub next_seq: u64,
}

impl TableCursor {
    /// The generator that recomputes this table's labels.
    pub fn generator(&self) -> Result<LabelGenerator> {
        LabelGenerator::new(
            self.label_prefix.clone(),
            self.writer_id.clone(),
            self.label_format,
        )
    }
}

impl Checkpoint {
    /// The cursor of `table`, if the checkpoint knows it.
    pub fn cursor(&self, table: &Table) -> Option<&TableCursor> {
        self.tables.iter().find(|c| &c.table == table)
    }
}

impl<P: LoadProtocol + 'static> Sink<P> {
    /// Prepares (precommits) every open transaction and returns the checkpoint to store.
    ///
    /// Checkpoint ids must increase. Rows written after `prepare` returns go to transactions
    /// labelled with `checkpoint_id + 1`. When any table fails, the transactions prepared by
    /// this call are aborted and the error is returned: restore the previous checkpoint.
    pub async fn prepare(&mut self, checkpoint_id: u64) -> Result<Checkpoint> {
        if self.shared.config.delivery != Delivery::Checkpointed {
            return Err(Error::new(
                ErrorKind::Config,
                "prepare needs checkpointed delivery (sink.semantic = exactly-once)",
            ));
        }
        if checkpoint_id < self.checkpoint_seq {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "checkpoint ids must increase: got {checkpoint_id}, expected at least {}",
                    self.checkpoint_seq
                ),
            ));
        }
        let tables: Vec<Table> = self.tables.keys().cloned().collect();
        let mut replies = Vec::new();
        for table in &tables {
            let state = self.state(table)?;
            state.end_body();
            state.buffer.seal();
            self.ship(table).await?;
            let (reply, answer) = oneshot::channel();
            self.send(table, Command::Prepare(reply)).await?;
            replies.push(answer);
        }
        let mut prepared = Vec::new();
        let mut failure = None;
        for answer in replies {
            match answer.await {
                Ok(Ok(Some(load))) => prepared.push(load.prepared),
                Ok(Ok(None)) => {}
                Ok(Err(e)) => {
                    failure.get_or_insert(e);
                }
                Err(_) => {
                    failure.get_or_insert(Error::new(ErrorKind::Unexpected, "table task ended"));
                }
            }
        }
        self.checkpoint_seq = checkpoint_id + 1;
        for state in self.tables.values_mut() {
            state.open_seq = None;
        }
        if let Some(err) = failure {
            for p in &prepared {
                if let Err(e) = self.shared.protocol.abort(p).await {
                    tracing::warn!(label = %p.label, error = %e, "Abort of a prepared load failed.");
                }
            }
            return Err(err);
        }
        Ok(Checkpoint {
            id: checkpoint_id,
            prepared,
            tables: self.cursors(checkpoint_id + 1),
        })
    }

    /// Commits a checkpoint's transactions. Idempotent: commit it again after a crash, any
    /// number of times, also once the server has finished and forgotten its transactions (see
    /// [`crate::ForgottenLabel`] for a checkpoint older than the server's label memory).
    pub async fn commit(&self, checkpoint: &Checkpoint) -> Result<()> {
        let restored = checkpoint.id < self.first_checkpoint;
        for prepared in &checkpoint.prepared {
            self.shared.commit(prepared, restored).await?;
        }
        Ok(())
    }
}
