//! Pre-encoded JSON lines written into a sink whose bodies are JSON arrays.
//!
//! StarRocks loads JSON as arrays (`strip_outer_array`), while bulk sources (NDJSON files, other
//! tools' output) come as JSON lines. Each line becomes one element of the array the encoder is
//! building, exactly as if the row had been encoded here, so chunking, array framing (one array
//! per chunk when chunks travel as separate requests, one per load otherwise), the memory budget
//! and flush triggers are those of encoded rows. The bytes are copied once into the array.

use crate::error::{ErrorKind, Result};
use crate::protocol::LoadProtocol;
use crate::row::Op;
use crate::table::Table;

use super::Sink;

impl<P: LoadProtocol + 'static> Sink<P> {
    /// Appends every non-blank line of `lines` (one JSON object each) to `table`'s JSON array.
    /// A line that is not an object fails with `ErrorKind::Encode` naming the table, the row
    /// and the line within `lines`; the lines before it are kept.
    pub(super) async fn write_json_lines_into_array(
        &mut self,
        table: &Table,
        lines: &[u8],
    ) -> Result<()> {
        for (index, line) in lines.split(|b| *b == b'\n').enumerate() {
            if line.trim_ascii().is_empty() {
                continue;
            }
            let appended = self
                .add_row(table, Op::Upsert, |encoder, out| {
                    encoder.append_json_object(out, line)
                })
                .await;
            if let Err(e) = appended {
                return Err(match e.kind() {
                    ErrorKind::Encode => e.with_context("line", index + 1),
                    _ => e,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::super::tests::{builder, label, table, write_rows};
    use super::*;
    use crate::format::{Format, JsonFormat};
    use crate::testing::Recording;

    fn ids(array: &[u8]) -> Vec<i64> {
        let value: serde_json::Value = serde_json::from_slice(array).unwrap();
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect()
    }

    fn ndjson(range: std::ops::Range<i64>) -> Bytes {
        let text: String = range
            .map(|i| format!("{{\"id\":{i},\"name\":\"n{i}\"}}\r\n\n"))
            .collect();
        Bytes::from(text)
    }

    #[tokio::test]
    async fn json_lines_become_elements_of_each_loads_array() {
        let protocol = Recording::new();
        let config = builder()
            .with_format(Format::Json(JsonFormat::Array))
            .with_max_rows(3)
            .build()
            .unwrap();
        let mut sink = Sink::new(protocol.clone(), config).unwrap();
        write_rows(&mut sink, 1..2).await;
        sink.write_encoded(&table(), ndjson(2..6), 4).await.unwrap();
        sink.flush().await.unwrap();
        assert_eq!(ids(protocol.visible_text(&label(1)).as_bytes()), [1, 2, 3]);
        assert_eq!(ids(protocol.visible_text(&label(2)).as_bytes()), [4, 5]);
        assert_eq!(sink.stats().rows_written, 5);
    }

    #[tokio::test]
    async fn every_chunk_is_a_whole_array_when_chunks_travel_alone() {
        let mut protocol = Recording::new();
        protocol.caps.multi_load_per_txn = true;
        let config = builder()
            .with_format(Format::Json(JsonFormat::Array))
            .with_chunk_bytes(40)
            .build()
            .unwrap();
        let mut sink = Sink::new(protocol.clone(), config).unwrap();
        sink.write_encoded(&table(), ndjson(1..8), 7).await.unwrap();
        sink.flush().await.unwrap();
        let chunks = protocol.server().chunks[&label(1)].clone();
        assert!(chunks.len() > 1, "{chunks:?}");
        let all: Vec<i64> = chunks.iter().flat_map(|c| ids(c)).collect();
        assert_eq!(all, (1..8).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_line_that_is_not_an_object_is_named() {
        let protocol = Recording::new();
        let config = builder()
            .with_format(Format::Json(JsonFormat::Array))
            .build()
            .unwrap();
        let mut sink = Sink::new(protocol, config).unwrap();
        let bytes = Bytes::from_static(b"{\"id\":1}\n[1,2]\n");
        let err = sink.write_encoded(&table(), bytes, 2).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Encode, "{err}");
        assert_eq!(err.context("line"), Some("2"));
        assert_eq!(err.context("table"), Some("db.t"));
    }
}
