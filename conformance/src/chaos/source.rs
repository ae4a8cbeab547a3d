//! The writer's source and its durable state, shared by the writer binary and the harness.
//!
//! The source behaves like a Kafka partition: the row at an offset is always the same and can be
//! read again from any offset, and its id is its offset, so the table tells which offsets were
//! loaded and how often. The state file is what a job stores next to its checkpoint: written to
//! a temporary file, fsynced and renamed over the old one, so a `kill -9` leaves either the old
//! or the new state, never a torn one.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use streamload_core::Checkpoint;

/// One source row; its offset is its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRow {
    /// The source offset.
    pub id: u64,
    /// A payload derived from the offset, so a wrong row shows.
    pub payload: String,
}

/// The row at `offset`.
pub fn row_at(offset: u64) -> SourceRow {
    SourceRow {
        id: offset,
        payload: payload_at(offset),
    }
}

/// The payload of the row at `offset`.
pub fn payload_at(offset: u64) -> String {
    format!(
        "row-{offset:06}-{:08x}",
        offset.wrapping_mul(2_654_435_761) & 0xffff_ffff
    )
}

/// What the writer stores in one atomic write after each prepared checkpoint (exactly-once) or
/// each successful flush (at-least-once).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredState {
    /// The last prepared checkpoint (exactly-once modes only).
    pub checkpoint: Option<Checkpoint>,
    /// The source offset the next run starts from.
    pub next_offset: u64,
}

impl StoredState {
    /// Reads the state; a missing file is the initial state.
    pub fn load(path: &Path) -> std::io::Result<StoredState> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(std::io::Error::other),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StoredState::default()),
            Err(e) => Err(e),
        }
    }

    /// Replaces the state atomically: temporary file, fsync, rename, fsync of the directory.
    pub fn store(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("tmp");
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}
