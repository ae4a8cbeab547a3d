//! The JSON row writer: one object per row, for JSON lines and JSON array bodies.
//!
//! String escaping is serde_json's; what this file adds is the type policy that plain
//! `serde_json` does not apply (LARGEINT as strings, NaN rejected instead of `null`, bytes only
//! when they are UTF-8, nested values embedded as JSON rather than as quoted text).

use serde::Serializer as _;

use super::append::append;
use super::writer::{FloatText, RowWriter};

/// Writes one JSON object into `out`.
#[derive(Debug)]
pub(crate) struct JsonRow<'a> {
    out: &'a mut Vec<u8>,
    keys: &'a mut Vec<Vec<u8>>,
    first: bool,
}

impl<'a> JsonRow<'a> {
    /// A row writer; `keys` caches each column's rendered `,"name":` by column index.
    pub(crate) fn new(out: &'a mut Vec<u8>, keys: &'a mut Vec<Vec<u8>>) -> Self {
        out.push(b'{');
        Self {
            out,
            keys,
            first: true,
        }
    }

    fn string(&mut self, v: &str) {
        let mut ser = serde_json::Serializer::new(&mut *self.out);
        // Writing into a Vec cannot fail.
        let _ = ser.serialize_str(v);
    }
}

/// True when `name` can be written between quotes as is.
fn plain_name(name: &str) -> bool {
    name.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\')
}

impl RowWriter for JsonRow<'_> {
    #[inline]
    fn column(&mut self, index: usize, name: &str) {
        // Cached keys carry their leading comma (all but column 0).
        if let Some(key) = self.keys.get(index) {
            self.out.extend_from_slice(key);
            self.first = false;
            return;
        }
        let start = self.out.len();
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        if plain_name(name) {
            self.out.push(b'"');
            self.out.extend_from_slice(name.as_bytes());
            self.out.push(b'"');
        } else {
            self.string(name);
        }
        self.out.push(b':');
        if self.keys.len() == index && (index == 0) == (self.out[start] != b',') {
            self.keys.push(self.out[start..].to_vec());
        }
    }

    #[inline]
    fn null(&mut self) {
        self.out.extend_from_slice(b"null");
    }

    #[inline]
    fn bool(&mut self, v: bool) {
        self.out
            .extend_from_slice(if v { b"true" as &[u8] } else { b"false" });
    }

    #[inline]
    fn integer<I: itoa::Integer>(&mut self, v: I) {
        append(self.out, itoa::Buffer::new().format(v).as_bytes());
    }

    #[inline]
    fn large_integer<I: itoa::Integer>(&mut self, v: I) {
        self.out.push(b'"');
        self.integer(v);
        self.out.push(b'"');
    }

    #[inline]
    fn float(&mut self, v: FloatText<'_>) {
        append(self.out, v.0.as_bytes());
    }

    #[inline]
    fn str(&mut self, v: &str) -> Result<(), String> {
        self.string(v);
        Ok(())
    }

    #[inline]
    fn text(&mut self, v: &[u8]) -> Result<(), String> {
        match std::str::from_utf8(v) {
            Ok(s) => {
                self.string(s);
                Ok(())
            }
            Err(e) => Err(format!(
                "bytes are not UTF-8 and JSON cannot carry them: {e}"
            )),
        }
    }

    #[inline]
    fn numeric_text(&mut self, v: &str) -> Result<(), String> {
        // Digits, signs and date punctuation never need JSON escapes.
        self.out.push(b'"');
        append(self.out, v.as_bytes());
        self.out.push(b'"');
        Ok(())
    }

    fn nested_json(&mut self, json: &str) -> Result<(), String> {
        self.out.extend_from_slice(json.as_bytes());
        Ok(())
    }

    #[inline]
    fn end_row(&mut self) {
        self.out.push(b'}');
    }
}
