//! The retried protocol steps every load is made of: begin, label state, abort, commit.
//!
//! Each applies the retry rules once, in one place: backoff only while the error is retryable,
//! always under the same label, and the label's state decides after an outcome-unknown failure
//! or a `LabelAlreadyExists` refusal (see [`crate::retry::decide`]).

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::budget::MemoryBudget;
use crate::capabilities::Capabilities;
use crate::config::{ForgottenLabel, SinkConfig};
use crate::error::{Error, ErrorKind, Result, RetryStatus};
use crate::label::Label;
use crate::metrics::Stats;
use crate::protocol::{LoadOptions, LoadProtocol, Transaction};
use crate::ratelimit::RateLimits;
use crate::report::{LabelState, Prepared};
use crate::retry::{Backoff, Cause, Decision, Situation, decide};
use crate::table::Table;

use super::resend::Retention;

/// What every table worker shares.
#[derive(Debug)]
pub(crate) struct Shared<P: ?Sized> {
    pub(crate) protocol: Arc<P>,
    pub(crate) caps: Capabilities,
    pub(crate) config: SinkConfig,
    pub(crate) stats: Stats,
    pub(crate) budget: MemoryBudget,
    pub(crate) limits: RateLimits,
    pub(crate) load_slots: Arc<Semaphore>,
    /// The chunks of open checkpoint transactions, kept for a resend after `TxnLimit`.
    pub(crate) retention: Retention,
}

/// The result of [`Shared::begin`].
pub(crate) enum Begun {
    /// A transaction is open.
    Open(Box<dyn Transaction>),
    /// The label's load is already committed and may be concluded done.
    AlreadyLoaded,
}

impl<P: LoadProtocol + ?Sized> Shared<P> {
    /// A handle naming `label` of `table`, for abort / commit by label.
    pub(crate) fn by_label(&self, table: &Table, label: &Label) -> Prepared {
        Prepared {
            vendor: self.caps.vendor.to_owned(),
            table: table.clone(),
            label: label.clone(),
            txn_id: None,
            coordinator: None,
        }
    }

    pub(crate) async fn pause(
        &self,
        backoff: &mut Backoff,
        table: &Table,
        err: Error,
    ) -> Result<()> {
        match backoff.next_delay(&err) {
            Some(delay) => {
                self.stats.retry(table);
                tracing::warn!(table = %table, error = %err, ?delay, "Retrying a load step.");
                tokio::time::sleep(delay).await;
                Ok(())
            }
            None => Err(err.permanent()),
        }
    }

    /// The state of `label`, retrying transient failures (the query is read-only).
    pub(crate) async fn label_state(&self, table: &Table, label: &Label) -> Result<LabelState> {
        let mut backoff = Backoff::new(&self.config.retry);
        loop {
            match self.protocol.label_state(&table.db, label).await {
                Ok(state) => return Ok(state),
                Err(e) => self.pause(&mut backoff, table, e).await?,
            }
        }
    }

    /// Aborts the transaction holding `label`, retrying transient failures (abort is
    /// idempotent). `AlreadyCommitted` is returned as is for the caller to judge.
    pub(crate) async fn abort_label(&self, table: &Table, label: &Label) -> Result<()> {
        let handle = self.by_label(table, label);
        let mut backoff = Backoff::new(&self.config.retry);
        loop {
            match self.protocol.abort(&handle).await {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == ErrorKind::AlreadyCommitted => return Err(e),
                Err(e) => self.pause(&mut backoff, table, e).await?,
            }
        }
    }

    /// Commits a prepared transaction. Commit is idempotent.
    ///
    /// After a failure whose outcome is unknown, or an answer that the transaction is not found
    /// (what the servers say of one that already finished: Doris `running transaction not
    /// found` by label, `transaction [id] not found` once the id is cleaned), the label's state
    /// decides: committed or visible is done; precommitted is committed again (by label, when
    /// the id was the one not found); aborted is `DataLoss`. A label the server forgot is
    /// `DataLoss` for a checkpoint this sink prepared (`restored` false) and follows
    /// [`SinkConfig::forgotten_label`] for a restored one.
    pub(crate) async fn commit(&self, prepared: &Prepared, restored: bool) -> Result<()> {
        let mut backoff = Backoff::new(&self.config.retry);
        let mut handle = prepared.clone();
        loop {
            let err = match self.protocol.commit(&handle).await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            let gone = err.kind() == ErrorKind::NotFound;
            if !gone && err.retry_status() != RetryStatus::OutcomeUnknown {
                self.pause(&mut backoff, &prepared.table, err).await?;
                continue;
            }
            let state = self.label_state(&prepared.table, &prepared.label).await?;
            match state {
                LabelState::Committed | LabelState::Visible => return Ok(()),
                LabelState::Precommitted | LabelState::Prepare => {}
                LabelState::Unknown
                    if restored
                        && self.config.forgotten_label == ForgottenLabel::AssumeCommitted =>
                {
                    self.stats.forgotten_commit();
                    tracing::warn!(table = %prepared.table, label = %prepared.label, error = %err,
                        "The server no longer knows this restored transaction; counting it as \
                         committed (sink.recover.forgotten-label = assume-committed).");
                    return Ok(());
                }
                LabelState::Aborted | LabelState::Unknown => {
                    let why = if restored {
                        " (sink.recover.forgotten-label = fail)"
                    } else {
                        ""
                    };
                    return Err(Error::new(
                        ErrorKind::DataLoss,
                        format!("prepared transaction is {state:?}; its rows are lost{why}"),
                    )
                    .with_context("table", &prepared.table)
                    .with_context("label", &prepared.label)
                    .set_source(err));
                }
            }
            let err = if gone {
                // The id is gone but the label still waits: address the label from now on.
                handle = self.by_label(&prepared.table, &prepared.label);
                err.temporary()
            } else {
                err
            };
            self.pause(&mut backoff, &prepared.table, err).await?;
        }
    }

    /// Begins a load of `table` under `label`.
    ///
    /// `ours_before` says whether an earlier attempt of ours may have used the label. Only a
    /// begin whose outcome is unknown sets it here (its request may have reached the server);
    /// the caller sets it once an attempt's transaction was open.
    pub(crate) async fn begin(
        &self,
        table: &Table,
        label: Option<&Label>,
        options: &LoadOptions,
        ours_before: &mut bool,
    ) -> Result<Begun> {
        let mut backoff = Backoff::new(&self.config.retry);
        loop {
            self.limits.before_load().await;
            let err = match self.protocol.begin(table, label.cloned(), options).await {
                Ok(txn) => return Ok(Begun::Open(txn)),
                Err(e) => e,
            };
            let err = match label {
                Some(label) => {
                    let reached_server = err.retry_status() == RetryStatus::OutcomeUnknown
                        && err.kind() != ErrorKind::LabelAlreadyExists;
                    let settled = self
                        .settle(table, label, err, *ours_before, options)
                        .await?;
                    *ours_before |= reached_server;
                    match settled {
                        Settled::AlreadyLoaded => return Ok(Begun::AlreadyLoaded),
                        Settled::Retry(err) => err,
                    }
                }
                None => err,
            };
            self.pause(&mut backoff, table, err).await?;
        }
    }

    /// Settles a failed step under `label` by the label's state when the failure asks for it:
    /// an outcome-unknown error, or `LabelAlreadyExists` whatever retry status the vendor gave
    /// it (at begin or in the load's final answer). Other errors come back as they are.
    ///
    /// `ours_before` must say whether an attempt of ours before this one used the label: only
    /// then, or after an outcome-unknown failure, may a committed label mean "already loaded";
    /// otherwise it is a typed `LabelAlreadyExists` error (unless `skip_loaded_batches`). A
    /// label in prepare / precommitted is aborted and the step retried under the same label.
    pub(crate) async fn settle(
        &self,
        table: &Table,
        label: &Label,
        err: Error,
        ours_before: bool,
        options: &LoadOptions,
    ) -> Result<Settled> {
        let cause = if err.kind() == ErrorKind::LabelAlreadyExists {
            Cause::LabelAlreadyExists
        } else if err.retry_status() == RetryStatus::OutcomeUnknown {
            Cause::OutcomeUnknown
        } else {
            return Ok(Settled::Retry(err));
        };
        let state = self.label_state(table, label).await?;
        let situation = Situation {
            cause,
            ours_before,
            in_prepared_checkpoint: false,
            skip_loaded: self.config.skip_loaded_batches && !options.two_phase,
        };
        let decision = match decide(state, situation) {
            Decision::AbortThenRetry => match self.abort_label(table, label).await {
                // Committed between our look and the abort: judge it as committed.
                Err(e) if e.kind() == ErrorKind::AlreadyCommitted => {
                    decide(LabelState::Committed, situation)
                }
                Err(e) => return Err(e),
                Ok(()) => Decision::RetrySameLabel,
            },
            other => other,
        };
        match decision {
            Decision::Done if !options.two_phase => Ok(Settled::AlreadyLoaded),
            Decision::RetrySameLabel => Ok(Settled::Retry(err.temporary())),
            Decision::Done
            | Decision::FailLabelTaken
            | Decision::Commit
            | Decision::AbortThenRetry => Err(Error::new(
                ErrorKind::LabelAlreadyExists,
                format!(
                    "label {label} is held by a {state:?} load that this writer did not \
                     start; use another label prefix, writer id or batch sequence start \
                     (or skip_loaded_batches to resume a replayed batched run)"
                ),
            )
            .with_context("table", table)
            .with_context("label", label)
            .with_context("state", format!("{state:?}"))
            .set_source(err)),
        }
    }
}

/// What [`Shared::settle`] concluded.
pub(crate) enum Settled {
    /// The label's load is committed and may be concluded done (batched loads only).
    AlreadyLoaded,
    /// Retry the step under the same label after this (possibly adjusted) error.
    Retry(Error),
}
