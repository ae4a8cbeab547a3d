//! NDJSON chunks for StarRocks, sent as one JSON array per load.
//!
//! The StarRocks BE (and the emulator, which follows its source) reads a JSON load body as one
//! document, so newline-delimited objects are sent the way the StarRocks connector sends JSON:
//! an array with `strip_outer_array: true`. The lines were validated as objects, so joining them
//! with commas keeps every byte of every row (no re-encoding of numbers or strings). Core's
//! `Sink` cannot take pre-encoded JSON arrays, so this path drives the protocol directly: one
//! `begin` → `write` → `finish` under the chunk's own label, LZ4-framed when asked.

use std::io::Write;

use bytes::{Bytes, BytesMut};
use streamload_core::{
    Compression, Error, ErrorKind, Format, JsonFormat, Label, LoadOptions, LoadReport, Result,
    Table,
};

use crate::sinks::AnyProtocol;

/// `{a}\n{b}\n` → `[{a},{b}]`.
pub fn lines_to_array(lines: &[u8]) -> Bytes {
    let body = lines.strip_suffix(b"\n").unwrap_or(lines);
    let mut out = BytesMut::with_capacity(body.len() + 2);
    out.extend_from_slice(b"[");
    for (i, line) in body.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            out.extend_from_slice(b",");
        }
        out.extend_from_slice(line);
    }
    out.extend_from_slice(b"]");
    out.freeze()
}

/// Loads `lines` (validated NDJSON) as one JSON-array load under `label`.
pub async fn load(
    protocol: &AnyProtocol,
    table: &Table,
    label: Label,
    lines: &[u8],
    columns: Option<Vec<String>>,
    lz4: bool,
) -> Result<LoadReport> {
    let array = lines_to_array(lines);
    let (body, compression) = if lz4 {
        let mut encoder = lz4_flex::frame::FrameEncoder::new(Vec::with_capacity(array.len() / 2));
        encoder
            .write_all(&array)
            .map_err(|e| Error::new(ErrorKind::Encode, format!("lz4: {e}")))?;
        let framed = encoder
            .finish()
            .map_err(|e| Error::new(ErrorKind::Encode, format!("lz4: {e}")))?;
        (Bytes::from(framed), Compression::Lz4Frame)
    } else {
        (array, Compression::None)
    };
    let options = LoadOptions {
        format: Format::Json(JsonFormat::Array),
        compression,
        columns,
        two_phase: false,
    };
    let mut txn = protocol.begin(table, label, &options).await?;
    if let Err(e) = txn.write(body).await {
        let _ = txn.abort().await;
        return Err(e);
    }
    txn.finish().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_one_array_byte_for_byte() {
        assert_eq!(
            &lines_to_array(b"{\"a\":1.10}\n{\"b\":\"x\"}\n")[..],
            b"[{\"a\":1.10},{\"b\":\"x\"}]"
        );
        assert_eq!(&lines_to_array(b"{}")[..], b"[{}]");
    }
}
