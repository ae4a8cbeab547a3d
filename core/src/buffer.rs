//! Per-table accumulation of encoded rows into `Bytes` chunks.
//!
//! Rows are encoded straight into the open buffer; at `chunk_bytes` it is sealed into an
//! immutable [`Chunk`] that carries its memory charge with it, so the budget is returned exactly
//! when the last holder of the chunk lets it go. Chunks are cut between rows only.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::budget::Charge;

/// Sealed rows, ready to be written to a transaction.
#[derive(Debug)]
pub(crate) struct Chunk {
    /// Encoded rows; ends at a row boundary.
    pub(crate) bytes: Bytes,
    /// Rows in `bytes`.
    pub(crate) rows: u64,
    /// Memory charged for `bytes`.
    pub(crate) charge: Charge,
}

/// The buffer of one table.
#[derive(Debug)]
pub(crate) struct TableBuffer {
    /// The open buffer rows are encoded into.
    pub(crate) current: Vec<u8>,
    current_rows: u64,
    charge: Charge,
    sealed: Vec<Chunk>,
    sealed_bytes: usize,
    sealed_rows: u64,
    first_row_at: Option<Instant>,
    chunk_bytes: usize,
    /// Bytes charged to the budget ahead of the rows that will use them (part of `charge`).
    reserved: usize,
}

impl TableBuffer {
    pub(crate) fn new(chunk_bytes: usize) -> Self {
        Self {
            current: Vec::new(),
            current_rows: 0,
            charge: Charge::default(),
            sealed: Vec::new(),
            sealed_bytes: 0,
            sealed_rows: 0,
            first_row_at: None,
            chunk_bytes,
            reserved: 0,
        }
    }

    /// Records `rows` just encoded into `current`, with their charge; seals a full chunk.
    pub(crate) fn rows_added(&mut self, rows: u64, charge: Charge) {
        self.current_rows += rows;
        self.charge.merge(charge);
        self.first_row_at.get_or_insert_with(Instant::now);
        if self.current.len() >= self.chunk_bytes {
            self.seal();
        }
    }

    /// Uses `len` bytes of the charge reserved ahead, when that much is left.
    pub(crate) fn use_reserved(&mut self, len: usize) -> bool {
        let enough = self.reserved >= len;
        if enough {
            self.reserved -= len;
        }
        enough
    }

    /// Records `bytes` charged ahead; the charge itself comes with the next `rows_added`.
    pub(crate) fn reserve(&mut self, bytes: usize) {
        self.reserved += bytes;
    }

    /// Adds a pre-encoded chunk as is (no copy).
    pub(crate) fn push_chunk(&mut self, chunk: Chunk) {
        self.seal();
        self.first_row_at.get_or_insert_with(Instant::now);
        self.sealed_bytes += chunk.bytes.len();
        self.sealed_rows += chunk.rows;
        self.sealed.push(chunk);
    }

    /// Seals the open buffer into a chunk (when it holds anything).
    pub(crate) fn seal(&mut self) {
        if self.current.is_empty() {
            return;
        }
        let capacity = self.chunk_bytes.min(self.current.len().max(64));
        let bytes = Bytes::from(std::mem::replace(
            &mut self.current,
            Vec::with_capacity(capacity),
        ));
        self.sealed_bytes += bytes.len();
        self.sealed_rows += self.current_rows;
        // What was reserved ahead is part of the charge that goes with the chunk.
        self.reserved = 0;
        self.sealed.push(Chunk {
            bytes,
            rows: std::mem::take(&mut self.current_rows),
            charge: std::mem::take(&mut self.charge),
        });
    }

    /// Adds a charge for rows already recorded. When those rows were shipped before their
    /// charge came (the budget was exhausted), it rides with the next chunk instead, so the
    /// total held never exceeds the budget plus one row.
    pub(crate) fn add_charge(&mut self, charge: Charge) {
        self.charge.merge(charge);
    }

    /// Takes the sealed chunks.
    pub(crate) fn take_chunks(&mut self) -> Vec<Chunk> {
        self.sealed_bytes = 0;
        self.sealed_rows = 0;
        if self.current.is_empty() {
            self.first_row_at = None;
        }
        std::mem::take(&mut self.sealed)
    }

    /// Rows buffered (sealed and open).
    pub(crate) fn rows(&self) -> u64 {
        self.sealed_rows + self.current_rows
    }

    /// Bytes buffered (sealed and open).
    pub(crate) fn bytes(&self) -> usize {
        self.sealed_bytes + self.current.len()
    }

    /// Whether sealed chunks wait to be taken.
    pub(crate) fn has_sealed(&self) -> bool {
        !self.sealed.is_empty()
    }

    /// How long the oldest buffered row has waited.
    pub(crate) fn age(&self) -> Option<Duration> {
        self.first_row_at.map(|t| t.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add_row(buffer: &mut TableBuffer, row: &[u8]) {
        buffer.current.extend_from_slice(row);
        buffer.rows_added(1, Charge::default());
    }

    #[test]
    fn chunks_are_sealed_at_the_size_and_between_rows() {
        let mut buffer = TableBuffer::new(10);
        for _ in 0..5 {
            add_row(&mut buffer, b"abcd\n");
        }
        assert_eq!(buffer.rows(), 5);
        assert_eq!(buffer.bytes(), 25);
        buffer.seal();
        let chunks = buffer.take_chunks();
        let sizes: Vec<_> = chunks.iter().map(|c| (c.bytes.len(), c.rows)).collect();
        assert_eq!(sizes, [(10, 2), (10, 2), (5, 1)]);
        assert!(chunks.iter().all(|c| c.bytes.ends_with(b"\n")));
        assert_eq!(buffer.rows(), 0);
        assert!(buffer.age().is_none());
    }

    #[test]
    fn bytes_reserved_ahead_are_used_up_and_end_with_the_chunk() {
        let mut buffer = TableBuffer::new(1 << 20);
        assert!(!buffer.use_reserved(1), "nothing reserved yet");
        buffer.reserve(10);
        assert!(buffer.use_reserved(4));
        assert!(buffer.use_reserved(6));
        assert!(!buffer.use_reserved(1), "all used");
        buffer.reserve(10);
        add_row(&mut buffer, b"abcd\n");
        buffer.seal();
        assert!(
            !buffer.use_reserved(1),
            "the reservation went with the sealed chunk's charge"
        );
    }

    #[test]
    fn a_row_larger_than_a_chunk_is_its_own_chunk() {
        let mut buffer = TableBuffer::new(4);
        add_row(&mut buffer, b"a very long row\n");
        let chunks = buffer.take_chunks();
        assert_eq!(chunks.len(), 1);
        assert_eq!(&chunks[0].bytes[..], b"a very long row\n");
    }
}
