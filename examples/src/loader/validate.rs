//! Checks a chunk line by line before it is sent, so bad input is reported by file and line
//! instead of as a server-side filter count.
//!
//! * Invalid UTF-8 is an error (never replaced: a loader must not change data).
//! * CSV: every line has the same number of fields as the input's first data line (or as the
//!   `--columns` list); empty lines are errors.
//! * NDJSON: every non-empty line is one JSON object.

use crate::loader::chunker::Chunk;

/// The input format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputFormat {
    /// Separated values: the column separator (bytes), lines end with `\n`.
    Csv {
        /// Column separator.
        separator: Vec<u8>,
    },
    /// One JSON object per line.
    NdJson,
}

/// A problem on one line: the 1-based line number in the input and the reason.
pub type LineError = (u64, String);

/// The number of fields of `line` with `separator`.
pub fn field_count(line: &[u8], separator: &[u8]) -> usize {
    memchr::memmem::find_iter(line, separator).count() + 1
}

/// Validates `chunk`; `expected_fields` is the CSV field count every line must have.
pub fn validate(
    chunk: &Chunk,
    format: &InputFormat,
    expected_fields: Option<usize>,
) -> Result<(), LineError> {
    let bytes = &chunk.bytes[..];
    if let Err(e) = std::str::from_utf8(bytes) {
        let at = e.valid_up_to();
        let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |p| p + 1);
        let line = chunk.first_line + memchr::memchr_iter(b'\n', &bytes[..at]).count() as u64;
        return Err((
            line,
            format!(
                "invalid UTF-8 at byte {} of the line (byte 0x{:02x})",
                at - line_start + 1,
                bytes[at]
            ),
        ));
    }
    let mut start = 0;
    for (n, end) in memchr::memchr_iter(b'\n', bytes).enumerate() {
        let line = &bytes[start..end];
        let number = chunk.first_line + n as u64;
        start = end + 1;
        match format {
            InputFormat::Csv { separator } => {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.is_empty() {
                    return Err((number, "empty line".into()));
                }
                if let Some(expected) = expected_fields {
                    let found = field_count(line, separator);
                    if found != expected {
                        return Err((
                            number,
                            format!("{found} fields where {expected} are expected"),
                        ));
                    }
                }
            }
            InputFormat::NdJson => {
                if line.iter().all(u8::is_ascii_whitespace) {
                    return Err((number, "empty line".into()));
                }
                match serde_json::from_slice::<serde_json::Value>(line) {
                    Ok(serde_json::Value::Object(_)) => {}
                    Ok(_) => return Err((number, "not a JSON object".into())),
                    Err(e) => return Err((number, format!("invalid JSON: {e}"))),
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn chunk(text: &[u8]) -> Chunk {
        Chunk {
            input: 0,
            index: 0,
            first_line: 10,
            lines: 0,
            bytes: Bytes::copy_from_slice(text),
            input_bytes: text.len() as u64,
        }
    }

    #[test]
    fn bad_lines_are_named_by_number() {
        let csv = InputFormat::Csv {
            separator: b",".to_vec(),
        };
        assert!(validate(&chunk(b"1,a\n2,b\n"), &csv, Some(2)).is_ok());
        assert_eq!(
            validate(&chunk(b"1,a\n2,b,c\n"), &csv, Some(2)).unwrap_err(),
            (11, "3 fields where 2 are expected".to_owned())
        );
        assert_eq!(
            validate(&chunk(b"1,a\n2,\xffb\n"), &csv, None).unwrap_err(),
            (
                11,
                "invalid UTF-8 at byte 3 of the line (byte 0xff)".to_owned()
            )
        );
        assert_eq!(validate(&chunk(b"1,a\n\n"), &csv, None).unwrap_err().0, 11);
        let json = InputFormat::NdJson;
        assert!(validate(&chunk(b"{\"a\":1}\n{\"a\":2}\n"), &json, None).is_ok());
        let (line, reason) = validate(&chunk(b"{\"a\":1}\n{\"a\":\n"), &json, None).unwrap_err();
        assert_eq!(line, 11);
        assert!(reason.starts_with("invalid JSON"), "{reason}");
        assert_eq!(
            validate(&chunk(b"[1]\n"), &json, None).unwrap_err(),
            (10, "not a JSON object".to_owned())
        );
    }
}
