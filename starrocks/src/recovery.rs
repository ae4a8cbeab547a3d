//! Aborting by label, and finding the transactions a crashed writer left behind.
//!
//! `rollback` of a `PREPARE` transaction whose coordinator BE lost its context (BE restart,
//! timeout reaper) answers `TXN_NOT_EXISTS` although the FE still holds the transaction; the
//! connector falls back to the FE's `_cancel` API (newer path `/api/{db}/{table}/_cancel?label=`,
//! older `/api/{db}/{label}/_cancel`) and so do we. A label found COMMITTED/VISIBLE where we meant
//! to abort is `AlreadyCommitted`: restoring from an old checkpoint must fail loudly, never keep
//! data silently. [`StarRocksProtocol::abort_lingering`] walks a writer's deterministic labels.

use reqwest::Method;
use reqwest::header::HeaderMap;
use streamload_core::{Error, ErrorKind, Label, LabelGenerator, LabelState, Result, Table};

use crate::BACKEND;
use crate::protocol::StarRocksProtocol;
use crate::response::classify_cancel;
use crate::session::{Shared, encode};

impl Shared {
    /// Rolls back `label` (running or prepared). Idempotent: aborted or unknown is `Ok`.
    pub(crate) async fn rollback(&self, table: &Table, label: &Label) -> Result<()> {
        let err = match self.txn_op("rollback", table, label, &[]).await {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::AlreadyCommitted => return Err(already(e, label)),
            Err(e) if e.kind() == ErrorKind::NotFound => e,
            Err(e) => return Err(e),
        };
        match self.label_state(&table.db, label).await? {
            LabelState::Unknown | LabelState::Aborted => Ok(()),
            LabelState::Prepare => self.cancel_running(table, label).await,
            state if state.is_committed() => Err(already(err, label)),
            state => Err(err.with_context("label_state", format!("{state:?}"))),
        }
    }

    /// Cancels a `PREPARE` transaction through the FE; `Ok` when nothing is left running.
    pub(crate) async fn cancel_running(&self, table: &Table, label: &Label) -> Result<()> {
        match self.label_state(&table.db, label).await? {
            LabelState::Prepare => {}
            state if state.is_committed() => {
                return Err(already(
                    Error::new(ErrorKind::AlreadyCommitted, "cannot abort a committed load"),
                    label,
                ));
            }
            _ => return Ok(()),
        }
        let newer = format!(
            "/api/{}/{}/_cancel?label={}",
            encode(&table.db),
            encode(&table.name),
            encode(label.as_str())
        );
        let older = format!(
            "/api/{}/{}/_cancel",
            encode(&table.db),
            encode(label.as_str())
        );
        let mut cancelled = false;
        for path in [newer, older] {
            let reply = self
                .client
                .send_empty(Method::POST, &path, &HeaderMap::new())
                .await?;
            if reply.status.as_u16() == 404 {
                continue;
            }
            cancelled = classify_cancel(reply.status.as_u16(), &reply.body)?;
            break;
        }
        match self.label_state(&table.db, label).await? {
            LabelState::Prepare => Err(Error::new(
                ErrorKind::Unexpected,
                format!("transaction is still running after cancel (cancel answered {cancelled})"),
            )
            .with_context("label", label)
            .temporary()),
            state if state.is_committed() => Err(already(
                Error::new(
                    ErrorKind::AlreadyCommitted,
                    "load committed while cancelling",
                ),
                label,
            )),
            _ => Ok(()),
        }
    }
}

fn already(err: Error, label: &Label) -> Error {
    Error::new(
        ErrorKind::AlreadyCommitted,
        format!(
            "label {label} is already committed; refusing to abort it (restoring from an older \
             checkpoint? use a new label prefix): {}",
            err.message()
        ),
    )
    .with_context("label", label)
}

impl StarRocksProtocol {
    /// Rolls back every transaction a writer left open: labels `first_seq, first_seq + 1, …`
    /// of `generator` for `table`, until the first label the server does not know (or
    /// `max_labels` were checked). Returns the labels rolled back. A COMMITTED/VISIBLE label
    /// on the way is an `AlreadyCommitted` error.
    pub async fn abort_lingering(
        &self,
        generator: &LabelGenerator,
        table: &Table,
        first_seq: u64,
        max_labels: Option<u64>,
    ) -> Result<Vec<Label>> {
        let mut aborted = Vec::new();
        let mut seq = first_seq;
        loop {
            if max_labels.is_some_and(|max| seq - first_seq >= max) {
                return Ok(aborted);
            }
            let label = generator.label(table, seq)?;
            match self.shared.label_state(&table.db, &label).await? {
                LabelState::Unknown => return Ok(aborted),
                LabelState::Aborted => {}
                LabelState::Prepare | LabelState::Precommitted => {
                    tracing::info!(backend = BACKEND, label = %label, "rolling back a lingering transaction");
                    self.shared.rollback(table, &label).await?;
                    aborted.push(label);
                }
                LabelState::Committed | LabelState::Visible => {
                    return Err(already(
                        Error::new(
                            ErrorKind::AlreadyCommitted,
                            "found a committed label after the checkpoint",
                        ),
                        &label,
                    ));
                }
            }
            seq += 1;
        }
    }
}
