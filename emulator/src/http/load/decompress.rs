//! Decompression of load bodies (Doris `compress_type`, StarRocks `format: gzip|lz4` for CSV
//! and `compression` / `Content-Encoding` for JSON).
//!
//! `LoadBytes` counts the compressed bytes, so the body is decompressed only after it was
//! received and counted.

use std::io::Read;

/// A body compression the emulator can undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip (`gz`, `gzip`).
    Gzip,
    /// LZ4 frame format (`lz4`, `lz4_frame`).
    Lz4Frame,
    /// zlib-wrapped deflate (`deflate`, `zlib`).
    Deflate,
}

/// Undoes `compression` on `data`, with a reason text on corrupt input.
pub fn decompress(data: &[u8], compression: Compression) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(data.len() * 4);
    let result = match compression {
        Compression::Gzip => flate2::read::MultiGzDecoder::new(data).read_to_end(&mut out),
        Compression::Deflate => flate2::read::ZlibDecoder::new(data).read_to_end(&mut out),
        Compression::Lz4Frame => lz4_flex::frame::FrameDecoder::new(data).read_to_end(&mut out),
    };
    result
        .map(|_| out)
        .map_err(|e| format!("failed to decompress the body ({compression:?}): {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_and_lz4_frame_round_trip() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"1,a\n").unwrap();
        assert_eq!(
            decompress(&gz.finish().unwrap(), Compression::Gzip).unwrap(),
            b"1,a\n"
        );

        let mut lz = lz4_flex::frame::FrameEncoder::new(Vec::new());
        lz.write_all(b"{\"a\":1}").unwrap();
        let framed = lz.finish().unwrap();
        assert_eq!(&framed[..4], &[0x04, 0x22, 0x4d, 0x18]);
        assert_eq!(
            decompress(&framed, Compression::Lz4Frame).unwrap(),
            b"{\"a\":1}"
        );
    }

    #[test]
    fn corrupt_input_is_an_error() {
        assert!(
            decompress(b"not gzip", Compression::Gzip)
                .unwrap_err()
                .contains("Gzip")
        );
    }
}
