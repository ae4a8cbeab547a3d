//! The one error type of the workspace.
//!
//! Callers ask two questions of a failure: *what* went wrong (the [`ErrorKind`]) and *may I try
//! again* (the [`RetryStatus`]). Vendor crates keep their own private detail and convert at the
//! crate boundary, adding context pairs (`backend`, `label`, `txn_id`, `table`, …) instead of new
//! variants. `OutcomeUnknown` is its own status because it must be resolved by asking the server
//! for the label's state before anything else happens.

use std::fmt;

/// A `Result` with streamload's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Invalid configuration or arguments; nothing was sent.
    Config,
    /// A row or value could not be encoded (the context names row and column).
    Encode,
    /// The server refused the credentials or the privilege.
    Unauthorized,
    /// The database, table or transaction does not exist.
    NotFound,
    /// The label is held by another load; the context carries `existing_job_status`.
    LabelAlreadyExists,
    /// The server filtered too many rows; the message carries the rejected rows and reasons.
    DataQuality,
    /// A deadline passed (connect, read, whole load, or a server-side transaction timeout).
    Timeout,
    /// A node is down, overloaded or shutting down.
    Unavailable,
    /// Too many running transactions on the database; waiting frees the slot.
    TxnLimit,
    /// The server's answer does not follow the protocol (unknown status, unparseable body).
    Protocol,
    /// The transaction is already committed, so it cannot be aborted.
    AlreadyCommitted,
    /// Data that was prepared is gone (for example a commit found the transaction aborted).
    DataLoss,
    /// The server or table does not support the request (deletes on a duplicate table, …).
    Unsupported,
    /// Anything else.
    Unexpected,
}

/// Whether an operation may be attempted again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryStatus {
    /// Trying again will fail the same way.
    Permanent,
    /// Trying again (with the same label) may succeed.
    Temporary,
    /// The request may or may not have taken effect; ask the server for the label state first.
    OutcomeUnknown,
}

/// streamload's error: a kind, a retry status, a message, context pairs and an optional source.
///
/// Never put credentials in the message or the context.
pub struct Error {
    kind: ErrorKind,
    status: RetryStatus,
    message: String,
    context: Vec<(&'static str, String)>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    unsent: bool,
    /// Boxed: most errors are not a server's answer, and `Result<_, Error>` stays small.
    server: Option<Box<ServerAnswer>>,
}

/// What the server said, when an error is its answer: typed fields a caller may act on (the
/// same values also show as context pairs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ServerAnswer {
    /// The answer's status word (`TXN_IN_PROCESSING`, `Label Already Exists`, …).
    status: Option<String>,
    /// For a label held by another load: that load's state (`FINISHED`, `PRECOMMITTED`, …).
    existing_job_status: Option<String>,
    /// For a label held by another load: that load's transaction id, when the server named it.
    existing_txn_id: Option<i64>,
}

impl Error {
    /// A permanent error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: RetryStatus::Permanent,
            message: message.into(),
            context: Vec::new(),
            source: None,
            unsent: false,
            server: None,
        }
    }

    /// Records the server's status word (also shown as `server_status` context).
    pub fn with_server_status(mut self, status: impl Into<String>) -> Self {
        let status = status.into();
        self.server.get_or_insert_default().status = Some(status.clone());
        self.with_context("server_status", status)
    }

    /// The server's status word, when the error is its answer.
    pub fn server_status(&self) -> Option<&str> {
        self.server.as_ref()?.status.as_deref()
    }

    /// Records the load that holds a label: its state and, if known, its transaction id (also
    /// shown as `existing_job_status` / `existing_txn_id` context).
    pub fn with_existing_job(mut self, status: impl Into<String>, txn_id: Option<i64>) -> Self {
        let status = status.into();
        let server = self.server.get_or_insert_default();
        server.existing_job_status = Some(status.clone());
        server.existing_txn_id = txn_id;
        let e = self.with_context("existing_job_status", status);
        match txn_id {
            Some(id) => e.with_context("existing_txn_id", id),
            None => e,
        }
    }

    /// The state of the load holding a label, for a `LabelAlreadyExists` answer.
    pub fn existing_job_status(&self) -> Option<&str> {
        self.server.as_ref()?.existing_job_status.as_deref()
    }

    /// The transaction id of the load holding a label, when the server named it.
    pub fn existing_txn_id(&self) -> Option<i64> {
        self.server.as_ref()?.existing_txn_id
    }

    /// Marks the error as "the request never reached the node" (a refused connection): nothing
    /// can have taken effect, so the request may go to another node. Implies
    /// [`temporary`](Self::temporary).
    pub fn unsent(mut self) -> Self {
        self.unsent = true;
        self.status = RetryStatus::Temporary;
        self
    }

    /// Whether the request never reached the node (see [`unsent`](Self::unsent)).
    pub fn is_unsent(&self) -> bool {
        self.unsent
    }

    /// Marks the error as temporary: the same step may be retried under the same label.
    pub fn temporary(mut self) -> Self {
        self.status = RetryStatus::Temporary;
        self
    }

    /// Marks the error as outcome-unknown: the label state must be asked before a retry.
    pub fn outcome_unknown(mut self) -> Self {
        self.status = RetryStatus::OutcomeUnknown;
        self
    }

    /// Marks the error as permanent (for example after retries gave up).
    pub fn permanent(mut self) -> Self {
        self.status = RetryStatus::Permanent;
        self
    }

    /// Adds a context pair such as `("label", label)` or `("backend", "doris")`.
    /// A pair already present with the same value is not added again.
    pub fn with_context(mut self, key: &'static str, value: impl ToString) -> Self {
        let value = value.to_string();
        if !self.context.iter().any(|(k, v)| *k == key && *v == value) {
            self.context.push((key, value));
        }
        self
    }

    /// Appends `detail` to the message, keeping kind, retry status, context and source.
    pub fn with_detail(mut self, detail: impl AsRef<str>) -> Self {
        self.message.push_str(detail.as_ref());
        self
    }

    /// Appends the first `max_lines` non-empty lines of a server's rejected-row log, numbered
    /// (`rejected rows:` then `  1: …`), keeping everything else of the error. Both vendors
    /// show the rows the same way.
    pub fn with_rejected_rows(self, log: &str, max_lines: usize) -> Self {
        let rows: String = log
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(max_lines)
            .enumerate()
            .map(|(i, line)| format!("\n  {}: {line}", i + 1))
            .collect();
        if rows.is_empty() {
            self
        } else {
            self.with_detail(format!("\nrejected rows:{rows}"))
        }
    }

    /// Sets the underlying cause.
    pub fn set_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether the step may be retried.
    pub fn retry_status(&self) -> RetryStatus {
        self.status
    }

    /// True unless the error is permanent. Outcome-unknown errors are retryable only after the
    /// label state was checked; the `Sink` driver does that.
    pub fn is_retryable(&self) -> bool {
        self.status != RetryStatus::Permanent
    }

    /// The message, without context.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The value of the first context pair named `key`.
    pub fn context(&self, key: &str) -> Option<&str> {
        self.context
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All context pairs, in the order they were added.
    pub fn context_pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.context.iter().map(|(k, v)| (*k, v.as_str()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({:?}): {}", self.kind, self.status, self.message)?;
        if !self.context.is_empty() {
            f.write_str(" [")?;
            for (i, (k, v)) in self.context.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{k}={v}")?;
            }
            f.write_str("]")?;
        }
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("status", &self.status)
            .field("message", &self.message)
            .field("context", &self.context)
            .field("source", &self.source)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_carries_kind_status_and_context() {
        let err = Error::new(ErrorKind::DataQuality, "too many filtered rows")
            .with_context("label", "l1")
            .with_context("table", "db.t")
            .with_context("label", "l1");
        assert!(!err.is_retryable());
        assert_eq!(err.context("table"), Some("db.t"));
        assert_eq!(
            err.to_string(),
            "DataQuality (Permanent): too many filtered rows [label=l1, table=db.t]"
        );
    }

    #[test]
    fn rejected_rows_are_appended_and_the_rest_is_kept() {
        let source = std::io::Error::other("cause");
        let err = Error::new(ErrorKind::DataQuality, "too many filtered rows")
            .with_context("error_url", "http://be/log")
            .temporary()
            .set_source(source)
            .with_rejected_rows(
                "Reason: bad int. src line [x];\n\n  \nReason: too long.\n",
                1,
            );
        assert_eq!(
            err.message(),
            "too many filtered rows\nrejected rows:\n  1: Reason: bad int. src line [x];"
        );
        assert_eq!(err.retry_status(), RetryStatus::Temporary);
        assert_eq!(err.context("error_url"), Some("http://be/log"));
        assert!(std::error::Error::source(&err).is_some());
        let same = Error::new(ErrorKind::DataQuality, "x").with_rejected_rows("\n \n", 5);
        assert_eq!(same.message(), "x");
    }

    #[test]
    fn server_answers_are_typed_and_shown() {
        let err = Error::new(ErrorKind::LabelAlreadyExists, "Label Already Exists")
            .with_server_status("LABEL_ALREADY_EXISTS")
            .with_existing_job("PRECOMMITTED", Some(42));
        assert_eq!(err.server_status(), Some("LABEL_ALREADY_EXISTS"));
        assert_eq!(err.existing_job_status(), Some("PRECOMMITTED"));
        assert_eq!(err.existing_txn_id(), Some(42));
        let shown = err.to_string();
        assert!(
            shown.contains("existing_job_status=PRECOMMITTED"),
            "{shown}"
        );
        assert!(shown.contains("existing_txn_id=42"), "{shown}");
        let plain = Error::new(ErrorKind::Unavailable, "down").with_context("server_status", "X");
        assert_eq!(
            plain.server_status(),
            None,
            "a context pair is not the typed field"
        );
    }

    #[test]
    fn retry_status_builders() {
        let err = Error::new(ErrorKind::Timeout, "read timed out").outcome_unknown();
        assert_eq!(err.retry_status(), RetryStatus::OutcomeUnknown);
        assert!(err.is_retryable());
        assert!(!err.permanent().is_retryable());
    }
}
