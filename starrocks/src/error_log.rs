//! Puts the first lines of the server's error log into a data-quality error.
//!
//! A `too many filtered rows` reply only carries an `ErrorURL`; the reasons (which row, which
//! column, why) are in the log behind it. Users should not have to fetch it by hand, so the first
//! lines, numbered, go into the error message. Fetching is best effort: a failure leaves the
//! error as it was, with the URL in its context.

use streamload_core::{Error, ErrorKind};
use url::Url;

use crate::BACKEND;
use crate::session::Shared;

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

/// `err` with the numbered first lines of `log` appended to its message.
pub(crate) fn with_log(err: Error, log: &[u8]) -> Error {
    let text = String::from_utf8_lossy(&log[..log.len().min(MAX_BYTES)]);
    err.with_rejected_rows(&text, MAX_LINES)
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
