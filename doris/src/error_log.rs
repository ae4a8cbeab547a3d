//! Rejected rows: fetch the BE's `ErrorURL` and put its first lines into the error.
//!
//! "too many filtered rows" alone does not tell a user what is wrong with the data; the BE's
//! error log does (one line per rejected row, with the reason and the row's source text). We read
//! a bounded prefix of it so a huge log cannot blow up memory, and never fail the original error
//! when the log cannot be read.

use streamload_core::{Error, ErrorKind};

use crate::client::DorisClient;

/// Lines of the error log copied into the error.
const MAX_LINES: usize = 10;
/// Bytes of the error log read at most.
const MAX_BYTES: usize = 64 * 1024;

/// Adds the first rejected rows to a `DataQuality` error that carries an `error_url` context.
pub(crate) async fn with_rejected_rows(client: &DorisClient, error: Error) -> Error {
    if error.kind() != ErrorKind::DataQuality {
        return error;
    }
    let Some(url) = error.context("error_url").map(str::to_owned) else {
        return error;
    };
    match client.get_limited(&url, MAX_BYTES).await {
        Ok(log) => rebuild(error, &summarize(&log)),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the load's error log");
            error
        }
    }
}

/// `row {n}: {line}` for the first non-empty lines of the log.
pub(crate) fn summarize(log: &str) -> String {
    log.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(MAX_LINES)
        .enumerate()
        .map(|(i, line)| format!("\n  rejected row {}: {line}", i + 1))
        .collect()
}

fn rebuild(error: Error, rows: &str) -> Error {
    if rows.is_empty() {
        return error;
    }
    let mut out = Error::new(
        error.kind(),
        format!("{}; error log:{rows}", error.message()),
    );
    for (key, value) in error.context_pairs() {
        out = out.with_context(key, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_numbered_and_bounded() {
        let log =
            "Reason: column count mismatch. src line [1,2];\n\nReason: bad int. src line [x];\n";
        let s = summarize(log);
        assert!(
            s.contains("rejected row 1: Reason: column count mismatch"),
            "{s}"
        );
        assert!(s.contains("rejected row 2: Reason: bad int"), "{s}");
        let many = "r\n".repeat(100);
        assert_eq!(summarize(&many).matches("rejected row").count(), MAX_LINES);
        let e =
            Error::new(ErrorKind::DataQuality, "too many filtered rows").with_context("label", "l");
        let e = rebuild(e, &s);
        assert!(
            e.message()
                .starts_with("too many filtered rows; error log:")
        );
        assert_eq!(e.context("label"), Some("l"));
    }
}
