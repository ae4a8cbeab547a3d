//! What the bytes of a load look like: the data format and its compression.
//!
//! Encoders in this crate produce these formats; vendor crates turn them into request headers
//! (`format`, `column_separator`, `line_delimiter`, `enclose`, `escape`, `strip_outer_array`,
//! `read_json_by_line`, `compress_type` / `compression`).

use serde::{Deserialize, Serialize};

/// The data format of a load body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    /// Delimited text.
    Csv(CsvFormat),
    /// JSON objects, one per line or inside one array.
    Json(JsonFormat),
    /// Arrow IPC stream (Doris only). Core's encoders do not produce it: the bytes come
    /// pre-encoded through `write_encoded`.
    ArrowStream,
}

/// CSV options as the servers understand them (multi-byte separators allowed, NULL is `\N`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvFormat {
    /// Column separator, one or more bytes (Doris and StarRocks default: `\t`).
    pub column_separator: Vec<u8>,
    /// Line delimiter, one or more bytes (default: `\n`).
    pub line_delimiter: Vec<u8>,
    /// Optional enclose character (`"`): values containing separators are wrapped in it.
    pub enclose: Option<u8>,
    /// Optional escape character used inside enclosed values (`\`); without it, an enclose
    /// character inside a value is doubled.
    pub escape: Option<u8>,
}

impl Default for CsvFormat {
    fn default() -> Self {
        Self {
            column_separator: b"\t".to_vec(),
            line_delimiter: b"\n".to_vec(),
            enclose: None,
            escape: None,
        }
    }
}

/// JSON layout of a load body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JsonFormat {
    /// One object per line (`read_json_by_line: true`).
    Lines,
    /// One array of objects (`strip_outer_array: true`).
    Array,
}

/// Compression of the body on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Compression {
    /// Plain bytes.
    #[default]
    None,
    /// One LZ4 frame per load (block size at most 4 MB).
    Lz4Frame,
    /// gzip (Doris `compress_type: gz`).
    Gzip,
}
