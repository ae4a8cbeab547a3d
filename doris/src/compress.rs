//! gzip of a load body on the way out (`compress_type: gz`), as the Flink connector does by
//! default.
//!
//! Core's `Sink` compresses LZ4 frames itself but produces no gzip, so when a user asks for
//! `sink.properties.compress_type = gz` the transaction compresses the encoded chunks here, one
//! gzip stream per load, streaming: each chunk's compressed output is sent as soon as it exists.

use std::io::Write;

use bytes::Bytes;
use flate2::write::GzEncoder;
use streamload_core::{Compression, Error, ErrorKind, Result};

use crate::config::DorisConfig;

/// One gzip stream over a load body.
pub(crate) struct GzipBody {
    encoder: GzEncoder<Vec<u8>>,
}

impl std::fmt::Debug for GzipBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GzipBody").finish_non_exhaustive()
    }
}

fn gzip_error(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Unexpected, "gzip compression failed").set_source(e)
}

impl GzipBody {
    pub(crate) fn new() -> Self {
        Self {
            encoder: GzEncoder::new(Vec::new(), flate2::Compression::fast()),
        }
    }

    /// Compresses `chunk`; returns the compressed bytes produced so far (may be empty).
    pub(crate) fn compress(&mut self, chunk: &[u8]) -> Result<Bytes> {
        self.encoder.write_all(chunk).map_err(gzip_error)?;
        Ok(Bytes::from(std::mem::take(self.encoder.get_mut())))
    }

    /// Ends the stream and returns its last bytes.
    pub(crate) fn finish(self) -> Result<Bytes> {
        self.encoder.finish().map(Bytes::from).map_err(gzip_error)
    }
}

/// Whether this crate gzips the body: the body arrives uncompressed and `compress_type` is `gz`.
pub(crate) fn gzip_here(config: &DorisConfig, compression: Compression) -> bool {
    compression == Compression::None
        && config
            .property("compress_type")
            .is_some_and(|v| v.eq_ignore_ascii_case("gz"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn streamed_gzip_round_trips() {
        let mut body = GzipBody::new();
        let mut out = Vec::new();
        for chunk in [&b"1\ta\n"[..], b"2\tb\n", &vec![b'x'; 100_000]] {
            out.extend_from_slice(&body.compress(chunk).unwrap());
        }
        out.extend_from_slice(&body.finish().unwrap());
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&out[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain.len(), 8 + 100_000);
        assert!(plain.starts_with(b"1\ta\n2\tb\n"));
    }
}
