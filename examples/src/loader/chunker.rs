//! Cutting one input into chunks of whole lines, each chunk one load.
//!
//! The cut is deterministic — the same bytes and chunk size give the same chunks — which is
//! what lets a chunk's label (input identity + chunk index) mean the same rows on every run.
//! The reader only cuts and counts lines (memchr); validation happens in the workers, so JSON
//! is checked in parallel too.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

/// One chunk: whole lines of one input.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// Index of the input in the run's input list.
    pub input: usize,
    /// 0-based chunk index within the input.
    pub index: u64,
    /// 1-based number of the chunk's first line in the input.
    pub first_line: u64,
    /// Lines in the chunk.
    pub lines: u64,
    /// The bytes, ending with `\n`.
    pub bytes: Bytes,
    /// Bytes of the input this chunk accounts for (a skipped header included).
    pub input_bytes: u64,
}

/// Splits a reader into chunks of about `chunk_bytes` (never splitting a line).
#[derive(Debug)]
pub struct Chunker<R> {
    reader: R,
    input: usize,
    chunk_bytes: usize,
    buf: BytesMut,
    eof: bool,
    next_index: u64,
    next_line: u64,
    skip_header: bool,
    skipped: u64,
}

impl<R: AsyncRead + Unpin> Chunker<R> {
    /// A chunker over `reader`, input number `input`; `skip_header` drops the first line.
    pub fn new(reader: R, input: usize, chunk_bytes: usize, skip_header: bool) -> Self {
        Chunker {
            reader,
            input,
            chunk_bytes: chunk_bytes.max(1),
            buf: BytesMut::new(),
            eof: false,
            next_index: 0,
            next_line: 1,
            skip_header,
            skipped: 0,
        }
    }

    async fn fill(&mut self, want: usize) -> std::io::Result<()> {
        while !self.eof && self.buf.len() < want {
            self.buf.reserve((want - self.buf.len()).max(64 << 10));
            if self.reader.read_buf(&mut self.buf).await? == 0 {
                self.eof = true;
            }
        }
        Ok(())
    }

    /// The next chunk, or `None` at the end of the input.
    pub async fn next_chunk(&mut self) -> std::io::Result<Option<Chunk>> {
        if self.skip_header {
            self.skip_header = false;
            loop {
                if let Some(end) = memchr::memchr(b'\n', &self.buf) {
                    let _ = self.buf.split_to(end + 1);
                    self.skipped = end as u64 + 1;
                    self.next_line = 2;
                    break;
                }
                if self.eof {
                    self.skipped = self.buf.len() as u64;
                    self.buf.clear();
                    break;
                }
                let want = self.buf.len() + (64 << 10);
                self.fill(want).await?;
            }
        }
        self.fill(self.chunk_bytes).await?;
        let cut = loop {
            if self.eof && self.buf.len() <= self.chunk_bytes {
                break self.buf.len();
            }
            let window = &self.buf[..self.buf.len().min(self.chunk_bytes)];
            if let Some(end) = memchr::memrchr(b'\n', window) {
                break end + 1;
            }
            // A line longer than the chunk: read on until it ends.
            if let Some(end) = memchr::memchr(b'\n', &self.buf) {
                break end + 1;
            }
            if self.eof {
                break self.buf.len();
            }
            let want = self.buf.len() + self.chunk_bytes;
            self.fill(want).await?;
        };
        if cut == 0 {
            return Ok(None);
        }
        let mut bytes = self.buf.split_to(cut);
        let input_bytes = bytes.len() as u64 + std::mem::take(&mut self.skipped);
        if !bytes.ends_with(b"\n") {
            bytes.extend_from_slice(b"\n");
        }
        let lines = memchr::memchr_iter(b'\n', &bytes).count() as u64;
        let chunk = Chunk {
            input: self.input,
            index: self.next_index,
            first_line: self.next_line,
            lines,
            bytes: bytes.freeze(),
            input_bytes,
        };
        self.next_index += 1;
        self.next_line += lines;
        Ok(Some(chunk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn chunks(text: &str, size: usize, header: bool) -> Vec<(u64, u64, String)> {
        let mut chunker = Chunker::new(text.as_bytes(), 0, size, header);
        let mut out = Vec::new();
        while let Some(c) = chunker.next_chunk().await.unwrap() {
            out.push((
                c.first_line,
                c.lines,
                String::from_utf8(c.bytes.to_vec()).unwrap(),
            ));
        }
        out
    }

    #[tokio::test]
    async fn chunks_hold_whole_lines_and_know_their_line_numbers() {
        assert_eq!(
            chunks("a\nbb\nccc\nd", 5, false).await,
            [
                (1, 2, "a\nbb\n".to_owned()),
                (3, 1, "ccc\n".to_owned()),
                (4, 1, "d\n".to_owned())
            ]
        );
        assert_eq!(
            chunks("h1,h2\nlong-line\nx\n", 3, true).await,
            [(2, 1, "long-line\n".to_owned()), (3, 1, "x\n".to_owned())]
        );
        assert!(chunks("", 4, false).await.is_empty());
        assert!(chunks("only-header", 4, true).await.is_empty());
    }
}
