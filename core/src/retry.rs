//! Retry policy: how long to wait, and what a label's state means for the next step.
//!
//! Two separate questions, kept apart so each can be tested alone:
//!
//! * **When** — exponential backoff with jitter ([`RetryConfig`], built on backon). Only steps that
//!   are idempotent under their label are retried, and always under the same label: a new label
//!   is never minted to get past an error. `TxnLimit` (too many running transactions) is waited
//!   out with its own, longer budget instead of failing after `max_retries`.
//! * **What** — after an outcome-unknown step, or a `LabelAlreadyExists` refusal, the driver asks
//!   the server for the label's state and [`decide`] turns that state into the next step.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use crate::error::{Error, ErrorKind, RetryStatus};
use crate::report::LabelState;

/// Backoff settings for retried steps. The `Default` is 3 retries, 200 ms doubling to 10 s with
/// jitter, and up to 10 minutes of waiting for a free transaction slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryConfig {
    /// Retries after the first attempt (`sink.max-retries`), for errors other than `TxnLimit`.
    pub max_retries: usize,
    /// First delay.
    pub min_delay: Duration,
    /// Largest delay.
    pub max_delay: Duration,
    /// Total time to keep waiting while the server reports `TxnLimit`.
    pub txn_limit_wait: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_retries: 3,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            txn_limit_wait: Duration::from_secs(600),
        }
    }
}

/// The delays of one retried step: a backon backoff for ordinary errors and one without a
/// retry count (bounded by total time) for `TxnLimit`.
pub(crate) struct Backoff {
    ordinary: Box<dyn Iterator<Item = Duration> + Send>,
    txn_limit: Box<dyn Iterator<Item = Duration> + Send>,
}

impl std::fmt::Debug for Backoff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backoff").finish_non_exhaustive()
    }
}

impl Backoff {
    pub(crate) fn new(config: &RetryConfig) -> Self {
        let base = ExponentialBuilder::default()
            .with_min_delay(config.min_delay)
            .with_max_delay(config.max_delay)
            .with_jitter();
        Self {
            ordinary: Box::new(base.with_max_times(config.max_retries).build()),
            txn_limit: Box::new(
                base.without_max_times()
                    .with_total_delay(Some(config.txn_limit_wait))
                    .build(),
            ),
        }
    }

    /// The delay before retrying after `err`, or `None` when the error is permanent or the
    /// retries are used up.
    pub(crate) fn next_delay(&mut self, err: &Error) -> Option<Duration> {
        if err.retry_status() == RetryStatus::Permanent {
            return None;
        }
        if err.kind() == ErrorKind::TxnLimit {
            self.txn_limit.next()
        } else {
            self.ordinary.next()
        }
    }
}

/// Why the driver asked for a label's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A step under the label ended with an outcome-unknown error (timeout, reset, 5xx, …).
    OutcomeUnknown,
    /// `begin` was refused because a non-aborted transaction holds the label.
    LabelAlreadyExists,
}

/// What the driver knows besides the label's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Situation {
    /// Why the state was asked.
    pub cause: Cause,
    /// An earlier attempt of this driver already used the label (so a load found under it may
    /// be ours). False on a first attempt: the label may be an earlier run's.
    pub ours_before: bool,
    /// The label belongs to a prepared checkpoint, so it must be committed, never aborted.
    pub in_prepared_checkpoint: bool,
    /// The user opted into "skip batches already loaded" (resume semantics).
    pub skip_loaded: bool,
}

/// The next step after reading a label's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The data is (or will be) visible: the step is done.
    Done,
    /// Retry the step under the same label.
    RetrySameLabel,
    /// Abort the transaction holding the label, then retry under the same label.
    AbortThenRetry,
    /// Commit the prepared transaction (it belongs to a prepared checkpoint).
    Commit,
    /// Fail with `LabelAlreadyExists`: the label is held by a load that is not provably ours.
    FailLabelTaken,
}

/// The label-state decision of the retry rules.
///
/// | state | outcome unknown | label exists, ours before or skip-loaded | label exists, first attempt |
/// |---|---|---|---|
/// | committed / visible | done | done | fail (typed `LabelAlreadyExists`) |
/// | aborted / unknown | retry same label | retry same label | retry same label |
/// | prepare / precommitted | abort, retry (commit if in a prepared checkpoint) | same | same |
///
/// Only an attempt that follows one of ours under the same label (`ours_before`, which includes
/// an earlier attempt whose outcome is unknown) may conclude that a committed label is its own
/// load; a first attempt that meets a committed label fails, unless `skip_loaded`.
pub fn decide(state: LabelState, situation: Situation) -> Decision {
    let may_conclude = match situation.cause {
        Cause::OutcomeUnknown => true,
        Cause::LabelAlreadyExists => situation.ours_before,
    };
    match state {
        LabelState::Committed | LabelState::Visible => {
            if may_conclude || situation.skip_loaded {
                Decision::Done
            } else {
                Decision::FailLabelTaken
            }
        }
        LabelState::Aborted | LabelState::Unknown => Decision::RetrySameLabel,
        // Nothing under a prepare / precommitted label is visible yet: an earlier run that
        // crashed left it, or an attempt of ours did. Either way it is aborted and the load
        // retried under the same label, unless a prepared checkpoint owns it.
        LabelState::Prepare | LabelState::Precommitted => {
            if situation.in_prepared_checkpoint {
                Decision::Commit
            } else {
                Decision::AbortThenRetry
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn situation(cause: Cause, ours_before: bool) -> Situation {
        Situation {
            cause,
            ours_before,
            in_prepared_checkpoint: false,
            skip_loaded: false,
        }
    }

    #[test]
    fn outcome_unknown_follows_the_label_state() {
        let s = situation(Cause::OutcomeUnknown, true);
        assert_eq!(decide(LabelState::Visible, s), Decision::Done);
        assert_eq!(decide(LabelState::Committed, s), Decision::Done);
        assert_eq!(decide(LabelState::Aborted, s), Decision::RetrySameLabel);
        assert_eq!(decide(LabelState::Unknown, s), Decision::RetrySameLabel);
        assert_eq!(decide(LabelState::Prepare, s), Decision::AbortThenRetry);
        assert_eq!(
            decide(LabelState::Precommitted, s),
            Decision::AbortThenRetry
        );
    }

    #[test]
    fn prepared_checkpoint_labels_are_committed_never_aborted() {
        let s = Situation {
            in_prepared_checkpoint: true,
            ..situation(Cause::OutcomeUnknown, true)
        };
        assert_eq!(decide(LabelState::Precommitted, s), Decision::Commit);
        assert_eq!(decide(LabelState::Visible, s), Decision::Done);
    }

    #[test]
    fn a_first_attempt_never_concludes_already_loaded() {
        let first = situation(Cause::LabelAlreadyExists, false);
        assert_eq!(decide(LabelState::Visible, first), Decision::FailLabelTaken);
        assert_eq!(
            decide(LabelState::Precommitted, first),
            Decision::AbortThenRetry
        );
        assert_eq!(decide(LabelState::Prepare, first), Decision::AbortThenRetry);
        assert_eq!(decide(LabelState::Aborted, first), Decision::RetrySameLabel);
        let retry = situation(Cause::LabelAlreadyExists, true);
        assert_eq!(decide(LabelState::Visible, retry), Decision::Done);
        assert_eq!(decide(LabelState::Prepare, retry), Decision::AbortThenRetry);
        let resume = Situation {
            skip_loaded: true,
            ..first
        };
        assert_eq!(decide(LabelState::Committed, resume), Decision::Done);
        assert_eq!(
            decide(LabelState::Prepare, resume),
            Decision::AbortThenRetry
        );
    }

    #[test]
    fn backoff_gives_up_after_max_retries_but_waits_out_txn_limit() {
        let config = RetryConfig {
            max_retries: 2,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            txn_limit_wait: Duration::from_secs(1),
        };
        let mut backoff = Backoff::new(&config);
        let temporary = Error::new(ErrorKind::Unavailable, "busy").temporary();
        assert!(backoff.next_delay(&temporary).is_some());
        assert!(backoff.next_delay(&temporary).is_some());
        assert!(backoff.next_delay(&temporary).is_none());
        let limit = Error::new(ErrorKind::TxnLimit, "too many").temporary();
        for _ in 0..10 {
            assert!(backoff.next_delay(&limit).is_some());
        }
        let permanent = Error::new(ErrorKind::DataQuality, "bad rows");
        assert!(Backoff::new(&config).next_delay(&permanent).is_none());
    }
}
