//! The rejected-row logs behind `ErrorURL` (`GET /api/_load_error_log?file=...` on a BE).
//!
//! A load that filtered rows stores one line per rejected row (reason and source line) under a
//! file name in each vendor's shape; the BE serves it as plain text.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::engine::Flavor;

use super::ids::unique_pair;

/// Stored error logs by file name.
#[derive(Debug, Default)]
pub(crate) struct ErrorLogs {
    files: Mutex<HashMap<String, Vec<String>>>,
}

impl ErrorLogs {
    /// Stores `lines` and returns the `file` query value.
    pub(crate) fn store(&self, flavor: Flavor, lines: Vec<String>) -> String {
        let (hi, lo) = unique_pair();
        let name = match flavor {
            Flavor::Doris => {
                format!("__shard_0/error_log_insert_stmt_{hi:016x}-{lo:016x}_{hi:016x}_{lo:016x}")
            }
            Flavor::StarRocks => format!("error_log_{hi:016x}_{lo:016x}"),
        };
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.clone(), lines);
        name
    }

    /// The text of a stored log.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        files.get(name).map(|lines| {
            let mut text = lines.join("\n");
            text.push('\n');
            text
        })
    }
}
