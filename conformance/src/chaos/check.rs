//! What the table must hold after a run, read back through the emulator's MySQL port.
//!
//! Tables are DUPLICATE KEY, so a row loaded twice shows twice: equality with the source proves
//! exactly-once, not just idempotent upserts. What may be there depends on the guarantee:
//!
//! * exactly-once: offsets `0..k`, each once, where `k` is the stored offset or, when the stored
//!   checkpoint was not committed yet (the next run's `recover` commits it), the offset before;
//! * at-least-once with deterministic labels (batches replayed identically): every offset below
//!   the stored one, none twice;
//! * server-batched (group / merge commit, server labels): every offset below the stored one;
//!   duplicates are what the model allows.
//!
//! Rows beyond the stored offset are allowed in the at-least-once modes (flushed, not yet
//! stored), but every row must be a source row with its own payload.

use std::collections::BTreeMap;

use crate::Mode;
use crate::chaos::source::payload_at;
use crate::modes::Endpoints;

/// What a mode promises about the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expectation {
    /// Each offset exactly once, up to a committed checkpoint.
    ExactlyOnce,
    /// Nothing missing, nothing twice.
    NoLossNoDuplicates,
    /// Nothing missing.
    NoLoss,
}

impl Expectation {
    /// The promise of `mode`.
    pub fn of(mode: Mode) -> Expectation {
        match mode {
            Mode::Doris2pc | Mode::StarRocksV2 => Expectation::ExactlyOnce,
            Mode::DorisBatch | Mode::StarRocksV1 | Mode::StarRocksV2AtLeastOnce => {
                Expectation::NoLossNoDuplicates
            }
            Mode::DorisGroupCommit | Mode::StarRocksMergeCommit => Expectation::NoLoss,
        }
    }
}

/// The table as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// Rows in the table.
    pub rows: u64,
    /// True when the table is exactly offsets `0..rows`, each once.
    pub exact: bool,
}

/// Checks `test.{table}` against `expectation`, given the stored offset and the batch size.
pub async fn check_table(
    at: &Endpoints,
    table: &str,
    expectation: Expectation,
    stored_offset: u64,
    batch: u64,
) -> Result<Found, String> {
    let rows = crate::sql::query(at, &format!("SELECT id, payload FROM test.{table}"))
        .await
        .map_err(|e| format!("reading the table: {e}"))?;
    let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
    for row in &rows {
        let id: u64 = row[0]
            .parse()
            .map_err(|_| format!("a row with id {:?}", row[0]))?;
        if row[1] != payload_at(id) {
            return Err(format!("row {id} has payload {:?}", row[1]));
        }
        *counts.entry(id).or_default() += 1;
    }
    let total = rows.len() as u64;
    let distinct = counts.len() as u64;
    let contiguous = counts
        .keys()
        .next_back()
        .is_none_or(|last| last + 1 == distinct);
    let exact = contiguous && distinct == total;
    let duplicated: Vec<u64> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| *id)
        .take(5)
        .collect();
    let missing: Vec<u64> = (0..stored_offset)
        .filter(|o| !counts.contains_key(o))
        .take(5)
        .collect();
    let summary = format!(
        "{total} rows, {distinct} distinct, stored offset {stored_offset}, first missing {missing:?}, first duplicated {duplicated:?}"
    );
    match expectation {
        Expectation::ExactlyOnce => {
            let before = stored_offset.saturating_sub(batch);
            if !exact || (distinct != stored_offset && distinct != before) {
                return Err(format!(
                    "not exactly offsets 0..{before} or 0..{stored_offset} once each: {summary}"
                ));
            }
        }
        Expectation::NoLossNoDuplicates | Expectation::NoLoss => {
            if !missing.is_empty() {
                return Err(format!("rows lost: {summary}"));
            }
            if expectation == Expectation::NoLossNoDuplicates && !duplicated.is_empty() {
                return Err(format!("rows duplicated: {summary}"));
            }
        }
    }
    Ok(Found { rows: total, exact })
}
