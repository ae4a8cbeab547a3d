//! Streamed LZ4 frame compression of a load body.
//!
//! Both servers read exactly one LZ4 frame per request (Doris parses the frame header once), so
//! a load's chunks are fed through one `FrameEncoder` and each chunk's compressed blocks are
//! sent as soon as they exist; the end mark follows the last chunk. The block size is pinned at
//! 4 MB: lz4_flex also offers an 8 MB size that the frame format does not define and Doris rejects.

use std::io::Write;

use bytes::Bytes;
use lz4_flex::frame::{BlockSize, FrameEncoder, FrameInfo};

use crate::error::{Error, ErrorKind, Result};
use crate::format::Compression;

/// Compresses one load body chunk by chunk.
pub(crate) struct BodyCompressor {
    encoder: FrameEncoder<Vec<u8>>,
}

impl std::fmt::Debug for BodyCompressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyCompressor").finish_non_exhaustive()
    }
}

fn io_error(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::new(ErrorKind::Unexpected, "LZ4 compression failed").set_source(e)
}

impl BodyCompressor {
    /// A compressor for `compression`, or `None` when the body is sent as is.
    pub(crate) fn new(compression: Compression) -> Result<Option<Self>> {
        match compression {
            Compression::None => Ok(None),
            Compression::Lz4Frame => {
                let info = FrameInfo::new()
                    .block_size(BlockSize::Max4MB)
                    .content_checksum(true);
                Ok(Some(Self {
                    encoder: FrameEncoder::with_frame_info(info, Vec::new()),
                }))
            }
            Compression::Gzip => Err(Error::new(
                ErrorKind::Config,
                "gzip bodies are not produced by the Sink; use LZ4 frame or none",
            )),
        }
    }

    /// Compresses `chunk` and returns the frame bytes produced so far (header on the first call).
    pub(crate) fn compress(&mut self, chunk: &[u8]) -> Result<Bytes> {
        self.encoder.write_all(chunk).map_err(io_error)?;
        self.encoder.flush().map_err(io_error)?;
        Ok(Bytes::from(std::mem::take(self.encoder.get_mut())))
    }

    /// Ends the frame and returns its last bytes (end mark and checksum).
    pub(crate) fn finish(self) -> Result<Bytes> {
        self.encoder.finish().map(Bytes::from).map_err(io_error)
    }
}

/// How a load's chunks become body bytes.
#[derive(Debug)]
pub(crate) enum BodyEncoder {
    /// Sent as is.
    Plain,
    /// One LZ4 frame across the whole load (one streaming request per load).
    OneFrame(Box<BodyCompressor>),
    /// One LZ4 frame per chunk: protocols whose chunks travel as separate requests of one
    /// transaction (`Capabilities::multi_load_per_txn`) need every request to be whole.
    FramePerChunk(Compression),
}

impl BodyEncoder {
    pub(crate) fn new(compression: Compression, frame_per_chunk: bool) -> Result<Self> {
        Ok(match BodyCompressor::new(compression)? {
            None => BodyEncoder::Plain,
            Some(_) if frame_per_chunk => BodyEncoder::FramePerChunk(compression),
            Some(compressor) => BodyEncoder::OneFrame(Box::new(compressor)),
        })
    }

    /// The body bytes of one chunk.
    pub(crate) fn chunk(&mut self, chunk: &Bytes) -> Result<Bytes> {
        match self {
            BodyEncoder::Plain => Ok(chunk.clone()),
            BodyEncoder::OneFrame(compressor) => compressor.compress(chunk),
            BodyEncoder::FramePerChunk(compression) => {
                let Some(mut compressor) = BodyCompressor::new(*compression)? else {
                    return Ok(chunk.clone());
                };
                let mut frame = compressor.compress(chunk)?.to_vec();
                frame.extend_from_slice(&compressor.finish()?);
                Ok(Bytes::from(frame))
            }
        }
    }

    /// The last body bytes of the load (the end of a load-wide frame).
    pub(crate) fn finish(self) -> Result<Bytes> {
        match self {
            BodyEncoder::OneFrame(compressor) => (*compressor).finish(),
            BodyEncoder::Plain | BodyEncoder::FramePerChunk(_) => Ok(Bytes::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn chunks_form_one_frame_that_decodes_to_the_input() {
        let mut compressor = BodyCompressor::new(Compression::Lz4Frame).unwrap().unwrap();
        let mut wire = Vec::new();
        let mut plain = Vec::new();
        for i in 0..50 {
            let chunk = format!("{i}\trow number {i}\n").repeat(100);
            plain.extend_from_slice(chunk.as_bytes());
            wire.extend_from_slice(&compressor.compress(chunk.as_bytes()).unwrap());
        }
        wire.extend_from_slice(&compressor.finish().unwrap());
        assert_eq!(&wire[..4], &[0x04, 0x22, 0x4d, 0x18]);
        assert_eq!(
            wire.windows(4)
                .filter(|w| w == &[0x04, 0x22, 0x4d, 0x18])
                .count(),
            1
        );
        let mut decoded = Vec::new();
        lz4_flex::frame::FrameDecoder::new(&wire[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, plain);
    }

    #[test]
    fn frame_per_chunk_makes_every_chunk_a_whole_frame() {
        let mut encoder = BodyEncoder::new(Compression::Lz4Frame, true).unwrap();
        for text in ["a\tb\n", "c\td\n"] {
            let frame = encoder.chunk(&Bytes::from(text)).unwrap();
            let mut decoded = String::new();
            lz4_flex::frame::FrameDecoder::new(&frame[..])
                .read_to_string(&mut decoded)
                .unwrap();
            assert_eq!(decoded, text);
        }
        assert!(encoder.finish().unwrap().is_empty());
    }

    #[test]
    fn gzip_is_a_config_error() {
        let err = BodyCompressor::new(Compression::Gzip).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(BodyCompressor::new(Compression::None).unwrap().is_none());
    }
}
