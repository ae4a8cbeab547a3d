//! What a checkpoint stores: the prepared transactions, and per table what recovery needs to
//! recompute the labels that may have been used after it.
//!
//! It is plain serde data: the application stores it next to its own source offsets (Kafka
//! offsets, binlog positions) in the same atomic write, then calls `Sink::commit`.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::label::{LabelFormat, LabelGenerator};
use crate::report::Prepared;
use crate::table::Table;

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
