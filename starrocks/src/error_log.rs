//! Puts the first lines of the server's error log into a data-quality error.
//!
//! A `too many filtered rows` reply only carries an `ErrorURL`; the reasons (which row, which
//! column, why) are in the log behind it. Users should not have to fetch it by hand, so the first
//! lines, numbered, go into the error message. Fetching is best effort: a failure leaves the
//! error as it was, with the URL in its context.

use streamload_core::{Error, ErrorKind, RetryStatus};
use url::Url;

use crate::BACKEND;
use crate::protocol::Shared;

/// Lines of the error log copied into the message.
const MAX_LINES: usize = 20;
/// Bytes of the error log read at most.
const MAX_BYTES: usize = 16 * 1024;

impl Shared {
    /// Adds the error log to a data-quality error; other errors pass through.
    pub(crate) async fn explain(&self, err: Error) -> Error {
        if err.kind() != ErrorKind::DataQuality {
            return err;
        }
        let Some(url) = err.context("error_url").and_then(|u| Url::parse(u).ok()) else {
            return err;
        };
        match self.client.get_plain(url, MAX_BYTES).await {
            Ok((200, log)) => with_log(err, log.as_bytes()),
            Ok((status, _)) => {
                tracing::debug!(backend = BACKEND, status, "error log not readable");
                err
            }
            Err(e) => {
                tracing::debug!(backend = BACKEND, error = %e, "error log not reachable");
                err
            }
        }
    }
}

/// A copy of `err` whose message ends with the numbered first lines of `log`.
pub(crate) fn with_log(err: Error, log: &[u8]) -> Error {
    let text = String::from_utf8_lossy(&log[..log.len().min(MAX_BYTES)]);
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(MAX_LINES)
        .enumerate()
        .map(|(i, line)| format!("  {}: {line}", i + 1))
        .collect();
    if lines.is_empty() {
        return err;
    }
    let mut out = Error::new(
        err.kind(),
        format!("{}\nrejected rows:\n{}", err.message(), lines.join("\n")),
    );
    for (key, value) in err.context_pairs() {
        out = out.with_context(key, value);
    }
    match err.retry_status() {
        RetryStatus::Permanent => out,
        RetryStatus::Temporary => out.temporary(),
        RetryStatus::OutcomeUnknown => out.outcome_unknown(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_numbered_into_the_message() {
        let err = Error::new(ErrorKind::DataQuality, "Fail: too many filtered rows")
            .with_context("error_url", "http://be:8040/api/_load_error_log?file=x");
        let log = b"Error: Value count does not match column count. Row: 1,a\n\nError: bad int. Row: x,b\n";
        let out = with_log(err, log);
        assert_eq!(out.kind(), ErrorKind::DataQuality);
        assert!(
            out.message()
                .contains("  1: Error: Value count does not match column count. Row: 1,a")
        );
        assert!(out.message().contains("  2: Error: bad int. Row: x,b"));
        assert_eq!(
            out.context("error_url"),
            Some("http://be:8040/api/_load_error_log?file=x")
        );
    }
}
