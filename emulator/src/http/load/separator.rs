//! Decoding of separator header values (`column_separator`, `line_delimiter`, `row_delimiter`).
//!
//! Clients send separators as text in a header, e.g. the four characters `\x01`, while the body
//! carries the real byte. Both vendors decode the header the same way: a value that starts with
//! `\x` is a run of hex bytes (every `\x` marker removed), anything else gets C-style escapes.

/// Decodes a separator header value into the bytes that separate fields or lines in the body.
///
/// Errors carry the vendor's text (`Hex str is empty`, `Hex str format error`,
/// `Hex str length error`, `Column separator is null or empty`).
pub fn decode_separator(value: &str) -> Result<Vec<u8>, String> {
    if value.is_empty() {
        return Err("Column separator is null or empty".to_string());
    }
    if value.starts_with("\\x") || value.starts_with("\\X") {
        let hex: String = value.replace("\\x", "").replace("\\X", "");
        if hex.is_empty() {
            return Err("Hex str is empty".to_string());
        }
        if !hex.len().is_multiple_of(2) {
            return Err("Hex str length error".to_string());
        }
        return (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| "Hex str format error".to_string());
    }
    let mut out = Vec::with_capacity(value.len());
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            let replaced = match bytes[i + 1] {
                b'\\' => Some(b'\\'),
                b'\'' => Some(b'\''),
                b'"' => Some(b'"'),
                b'r' => Some(b'\r'),
                b't' => Some(b'\t'),
                b'n' => Some(b'\n'),
                _ => None,
            };
            if let Some(byte) = replaced {
                out.push(byte);
                i += 2;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_forms_decode_to_bytes() {
        assert_eq!(decode_separator("\\x01").unwrap(), vec![1]);
        assert_eq!(decode_separator("\\x01\\x02").unwrap(), vec![1, 2]);
        assert_eq!(decode_separator("\\x0D0A").unwrap(), vec![13, 10]);
    }

    #[test]
    fn c_escapes_and_plain_text() {
        assert_eq!(decode_separator("\\t").unwrap(), b"\t");
        assert_eq!(decode_separator("\\n").unwrap(), b"\n");
        assert_eq!(decode_separator(",").unwrap(), b",");
        assert_eq!(decode_separator("||").unwrap(), b"||");
        assert_eq!(decode_separator("\\q").unwrap(), b"\\q");
    }

    #[test]
    fn bad_values_give_vendor_errors() {
        assert_eq!(
            decode_separator("").unwrap_err(),
            "Column separator is null or empty"
        );
        assert_eq!(decode_separator("\\x").unwrap_err(), "Hex str is empty");
        assert_eq!(
            decode_separator("\\x0").unwrap_err(),
            "Hex str length error"
        );
        assert_eq!(
            decode_separator("\\xZZ").unwrap_err(),
            "Hex str format error"
        );
    }
}
