//! Named crash points for crash-safety tests: with `STREAMLOAD_EMULATOR_CRASH_AT=<point>` (or
//! `<point>@N` for the N-th time it is reached) in the environment, the process aborts there,
//! exactly as if it had been SIGKILLed at that instant.
//!
//! A test cannot time a real SIGKILL to land between two statements, so the points sit where a
//! kill is most dangerous: in the middle of applying a transaction's rows, between applying them
//! and persisting the new state, and right after persisting it. Points are checked rarely (once
//! per commit), so an unarmed process pays one atomic load per commit.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable that arms a crash point.
pub const CRASH_AT_ENV: &str = "STREAMLOAD_EMULATOR_CRASH_AT";

/// Inside a commit, after half of the transaction's rows were written (not yet committed).
pub const COMMIT_MID_APPLY: &str = "commit:mid-apply";
/// Inside the commit of a multi-table transaction, after the first table's rows were written
/// and before the next table's (nothing committed yet).
pub const COMMIT_BETWEEN_TABLES: &str = "commit:between-tables";
/// After the rows were committed to the table file, before the state is persisted.
pub const COMMIT_AFTER_APPLY: &str = "commit:after-apply";
/// After the VISIBLE state was persisted.
pub const COMMIT_AFTER_PERSIST: &str = "commit:after-persist";

#[derive(Debug)]
struct Armed {
    point: String,
    /// Hits left before the abort.
    remaining: AtomicU64,
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let spec = std::env::var(CRASH_AT_ENV).ok()?;
            let (point, nth) = match spec.split_once('@') {
                Some((p, n)) => (p.to_string(), n.parse().ok()?),
                None => (spec, 1),
            };
            Some(Armed {
                point,
                remaining: AtomicU64::new(nth),
            })
        })
        .as_ref()
}

/// Aborts the process if `point` is armed and this is the hit it waits for.
pub(crate) fn hit(point: &str) {
    if let Some(a) = armed()
        && a.point == point
        && a.remaining.fetch_sub(1, Ordering::SeqCst) == 1
    {
        eprintln!("streamload-emulator: crash point {point} reached, aborting");
        std::process::abort();
    }
}
