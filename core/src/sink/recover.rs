//! Restarting in checkpointed mode: commit what the last checkpoint prepared, abort what a
//! crashed run left behind, and continue the label sequence.
//!
//! Labels are deterministic, so the labels a crashed run may have used after its last stored
//! checkpoint are recomputable: `{prefix}_{table}_{writer}_{seq}` for seq = checkpoint id + 1,
//! + 2, … Recovery asks each one's state:
//!
//! | state | action |
//! |---|---|
//! | prepare / precommitted | abort by label (the rows will be replayed from the source) |
//! | aborted | keep probing |
//! | unknown | keep probing until `recovery_probe_gap` consecutive unknown labels, then stop |
//! | committed / visible | `ErrorKind::AlreadyCommitted`: rows the checkpoint does not cover are visible, and replaying would duplicate them |
//!
//! Tables neither the checkpoint nor [`crate::SinkConfig::tables`] names are probed the same way
//! when the sink first writes them (`tables.rs`), so a run that crashed right after its first
//! `prepare`, before any checkpoint was stored, leaves nothing behind either.
//!
//! A committed label after the checkpoint means someone committed a transaction that no stored
//! checkpoint owns (another writer with the same prefix and writer id, or a checkpoint the
//! application lost). Recovery fails loudly rather than guess.

use crate::config::Delivery;
use crate::error::{Error, ErrorKind, Result};
use crate::label::LabelGenerator;
use crate::protocol::LoadProtocol;
use crate::report::LabelState;
use crate::table::Table;

use super::Sink;
use super::checkpoint::Checkpoint;
use super::steps::Shared;

impl<P: LoadProtocol + 'static> Sink<P> {
    /// Restores a checkpointed sink: commits `checkpoint` (idempotent), aborts lingering
    /// transactions of the tables it knows and of [`crate::SinkConfig::tables`], and returns a
    /// sink whose next labels follow the checkpoint. With `None`, probing starts at label 1:
    /// a fresh start of a writer whose labels exist already fails loudly.
    pub async fn recover(
        protocol: P,
        config: crate::SinkConfig,
        checkpoint: Option<Checkpoint>,
    ) -> Result<Self> {
        if config.delivery != Delivery::Checkpointed {
            return Err(Error::new(
                ErrorKind::Config,
                "recover needs checkpointed delivery (sink.semantic = exactly-once)",
            ));
        }
        let next_seq = checkpoint.as_ref().map_or(1, |c| c.id + 1);
        let mut sink = Self::with_checkpoint_seq(protocol, config, next_seq)?;
        if let Some(checkpoint) = &checkpoint {
            sink.commit(checkpoint).await?;
        }
        let mut probes: Vec<(Table, LabelGenerator, u64)> = Vec::new();
        if let Some(checkpoint) = &checkpoint {
            for cursor in &checkpoint.tables {
                probes.push((cursor.table.clone(), cursor.generator()?, cursor.next_seq));
            }
        }
        for table in &sink.shared.config.tables {
            if !probes
                .iter()
                .any(|(t, g, _)| t == table && g == &sink.generator)
            {
                probes.push((table.clone(), sink.generator.clone(), next_seq));
            }
        }
        for (table, generator, start) in &probes {
            abort_lingering(&sink.shared, table, generator, *start).await?;
            if generator == &sink.generator {
                sink.probed.insert(table.clone());
            }
        }
        Ok(sink)
    }
}

/// Probes `table`'s labels from `start` and aborts the ones still open.
pub(super) async fn abort_lingering<P: LoadProtocol + ?Sized>(
    shared: &Shared<P>,
    table: &Table,
    generator: &LabelGenerator,
    start: u64,
) -> Result<()> {
    let gap = u64::from(shared.config.recovery_probe_gap);
    let mut unknown_in_a_row = 0;
    let mut seq = start;
    while unknown_in_a_row < gap {
        let label = generator.label(table, seq)?;
        let state = shared.label_state(table, &label).await?;
        match state {
            LabelState::Unknown => unknown_in_a_row += 1,
            LabelState::Aborted => unknown_in_a_row = 0,
            LabelState::Prepare | LabelState::Precommitted => {
                unknown_in_a_row = 0;
                tracing::info!(table = %table, label = %label, ?state, "Aborting a lingering transaction.");
                shared
                    .abort_label(table, &label)
                    .await
                    .map_err(|e| e.with_context("table", table).with_context("label", &label))?;
            }
            LabelState::Committed | LabelState::Visible => {
                return Err(Error::new(
                    ErrorKind::AlreadyCommitted,
                    format!(
                        "label {label} after the restored checkpoint is {state:?}: its rows are \
                         visible but no stored checkpoint covers them; replaying would duplicate \
                         them"
                    ),
                )
                .with_context("table", table)
                .with_context("label", &label));
            }
        }
        seq += 1;
    }
    Ok(())
}
