//! StarRocks' reading of an outer array (`strip_outer_array`) that holds a grammar error.
//!
//! StarRocks parses JSON with simdjson's on-demand API: the body's structure is indexed first
//! and values are read as a row needs them. A grammar error inside a value (a missing comma in
//! the object of a MAP column) is found only when that value is converted: the column becomes
//! NULL and the row still loads, but the parser cannot find the next element, so the rows after
//! it are never read and the load succeeds with the rows before. Its suite case
//! `test_stream_load_json_map_partial_append` records exactly this.
//!
//! serde_json refuses the whole document instead, so when it does, this reader walks the array
//! element by element, keeps the fields of the broken element read before the error, gives the
//! broken field JSON `null`, and stops. Only a body whose strings and brackets balance is read
//! this way; a truncated body stays a document that does not parse, as before.

use serde_json::{Map, Value as Json};

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn skip_ws(&mut self) {
        while self.data.get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_ws();
        if self.data.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// One complete JSON value at the cursor, or `None` (the cursor then has not moved).
    fn value(&mut self) -> Option<Json> {
        self.skip_ws();
        let mut values =
            serde_json::Deserializer::from_slice(&self.data[self.pos..]).into_iter::<Json>();
        match values.next() {
            Some(Ok(v)) => {
                self.pos += values.byte_offset();
                Some(v)
            }
            _ => None,
        }
    }

    /// The fields of an object up to its first grammar error; the field whose value is broken
    /// is `null`.
    fn partial_object(&mut self) -> Option<Map<String, Json>> {
        if !self.eat(b'{') {
            return None;
        }
        let mut fields = Map::new();
        while let Some(Json::String(key)) = self.value() {
            if !self.eat(b':') {
                break;
            }
            match self.value() {
                Some(v) => {
                    fields.insert(key, v);
                }
                None => {
                    fields.insert(key, Json::Null);
                    break;
                }
            }
            if !self.eat(b',') {
                break;
            }
        }
        Some(fields)
    }
}

/// Strings closed and brackets balanced (what simdjson's structural pass checks before any
/// value is read).
fn balanced(doc: &[u8]) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0i64, false, false);
    for &b in doc {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0 && !in_string
}

/// The elements StarRocks reads from an outer array serde_json refused: every element before
/// the first broken one, then that one as far as it reads (if it is an object). `None` when
/// `doc` is not a balanced array.
pub(crate) fn salvage_outer_array(doc: &[u8]) -> Option<Vec<Json>> {
    if !balanced(doc) {
        return None;
    }
    let mut cursor = Cursor { data: doc, pos: 0 };
    if !cursor.eat(b'[') {
        return None;
    }
    let mut items = Vec::new();
    if cursor.eat(b']') {
        return Some(items);
    }
    loop {
        match cursor.value() {
            Some(item) => items.push(item),
            None => {
                if let Some(fields) = cursor.partial_object() {
                    items.push(Json::Object(fields));
                }
                break;
            }
        }
        if !cursor.eat(b',') {
            break;
        }
    }
    Some(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_broken_map_value_is_null_and_ends_the_array() {
        let body = br#"[
          {"id": 1, "m": {"a": "1", "b": "2"}},
          {"id": 2, "m": {"a": "1" "b": "2"}, "n": 5},
          {"id": 3, "m": {"x": "1", "y": "2"}}
        ]"#;
        assert!(serde_json::from_slice::<Json>(body).is_err());
        let items = salvage_outer_array(body).expect("balanced array");
        assert_eq!(
            items,
            vec![
                json!({"id": 1, "m": {"a": "1", "b": "2"}}),
                json!({"id": 2, "m": null}),
            ]
        );
    }

    #[test]
    fn truncated_or_non_array_bodies_are_left_alone() {
        assert_eq!(salvage_outer_array(br#"[{"id": 1}, {"id": "#), None);
        assert_eq!(salvage_outer_array(br#"[{"id": "1]"#), None);
        assert_eq!(salvage_outer_array(br#"{"id": 1 "x": 2}"#), None);
        assert_eq!(salvage_outer_array(b"[]"), Some(Vec::new()));
        // A missing comma between elements ends the array after the first one.
        assert_eq!(
            salvage_outer_array(br#"[{"id": 1} {"id": 2}]"#),
            Some(vec![json!({"id": 1})])
        );
    }
}
