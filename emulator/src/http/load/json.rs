//! The JSON reader of Stream Load bodies.
//!
//! Turns a body into source rows for the column mapper: line mode (`read_json_by_line`), one
//! outer array (`strip_outer_array`), StarRocks' stream of documents (neither of those: every
//! whitespace-separated document is a row), StarRocks' partial reading of a broken outer array
//! (`json_salvage`), `json_root`, `jsonpaths` with simple `$.a.b` paths, and StarRocks'
//! Debezium change events (`json_debezium`).
//! A JSON scalar becomes its text (strings unquoted), objects and arrays their JSON text, and
//! `null` becomes NULL — the engine then checks the text against the column type.

use serde_json::Value as Json;

use super::json_debezium::{self, Change};
use super::json_salvage::salvage_outer_array;

/// How a JSON body is split into rows.
#[derive(Debug, Clone, Default)]
pub struct JsonOptions {
    /// One JSON value per line.
    pub read_json_by_line: bool,
    /// The body (or each line) is an array of row objects.
    pub strip_outer_array: bool,
    /// StarRocks' parser: without `strip_outer_array`, the body is a stream of JSON documents
    /// separated by whitespace (newline-delimited or not), one row each; with it, an array
    /// holding a grammar error still yields the elements before the error (see
    /// `json_salvage`). Doris reads such a body as one document and rejects it.
    pub document_stream: bool,
    /// Simple path (`$.data`) selecting the row object(s) inside each document.
    pub json_root: Option<String>,
    /// Paths whose values feed the columns positionally, instead of key lookup.
    pub jsonpaths: Option<Vec<String>>,
    /// StarRocks `envelope: debezium`: every item is a change event (see
    /// [`super::json_debezium`]).
    pub debezium: bool,
    /// Doris: a row where no `jsonpaths` path finds anything is rejected
    /// ([`super::rows::ALL_FIELDS_NULL`]).
    pub reject_unmatched_paths: bool,
}

/// One JSON source row.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonRow {
    /// A row object: fields looked up by name.
    Object(serde_json::Map<String, Json>),
    /// Values picked by `jsonpaths`, in path order.
    Paths(Vec<Option<String>>),
    /// A document that could not be used as a row.
    Bad {
        /// Why it was rejected.
        reason: String,
        /// The document as text, for the error log.
        line: String,
    },
}

/// Parses `jsonpaths` (a JSON array of strings) and checks every path is one the emulator can
/// follow (`$`, `$.a`, `$.a.b`).
pub fn parse_jsonpaths(text: &str) -> Result<Vec<String>, String> {
    let paths: Vec<String> =
        serde_json::from_str(text).map_err(|e| format!("Invalid jsonpaths: {text}, error: {e}"))?;
    for path in &paths {
        path_segments(path)?;
    }
    Ok(paths)
}

fn path_segments(path: &str) -> Result<Vec<&str>, String> {
    let rest = path
        .strip_prefix('$')
        .ok_or_else(|| format!("Invalid json path: {path} (must start with $)"))?;
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let rest = rest
        .strip_prefix('.')
        .ok_or_else(|| format!("Invalid json path: {path} (only $.a.b paths are supported)"))?;
    let segments: Vec<&str> = rest.split('.').collect();
    if segments
        .iter()
        .any(|s| s.is_empty() || s.contains('[') || s.contains('*'))
    {
        return Err(format!(
            "Invalid json path: {path} (only $.a.b paths are supported)"
        ));
    }
    Ok(segments)
}

fn follow<'a>(value: &'a Json, path: &str) -> Option<&'a Json> {
    let segments = path_segments(path).ok()?;
    let mut current = value;
    for segment in segments {
        current = current.get(segment)?;
    }
    Some(current)
}

/// Renders a JSON value as the text a column converter receives (`None` = NULL).
pub fn json_text(value: &Json) -> Option<String> {
    match value {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

/// Splits a JSON body into rows.
pub fn read_json(data: &[u8], opts: &JsonOptions) -> Vec<JsonRow> {
    let mut rows = Vec::new();
    if opts.read_json_by_line {
        for line in data.split(|&b| b == b'\n') {
            let line = trim_ascii(line);
            if !line.is_empty() {
                document_rows(line, opts, &mut rows);
            }
        }
    } else if opts.document_stream && !opts.strip_outer_array {
        stream_rows(data, opts, &mut rows);
    } else if !trim_ascii(data).is_empty() {
        document_rows(trim_ascii(data), opts, &mut rows);
    }
    rows
}

/// Every document of a whitespace-separated stream; a malformed one ends the stream (the
/// parser cannot find the next document boundary after it).
fn stream_rows(data: &[u8], opts: &JsonOptions, rows: &mut Vec<JsonRow>) {
    let mut documents = serde_json::Deserializer::from_slice(data).into_iter::<Json>();
    let mut start = 0;
    while let Some(next) = documents.next() {
        let end = documents.byte_offset();
        let line = String::from_utf8_lossy(trim_ascii(&data[start..end])).into_owned();
        match next {
            Ok(value) => value_rows(value, line, opts, rows),
            Err(e) => {
                let rest = String::from_utf8_lossy(trim_ascii(&data[start..])).into_owned();
                rows.push(JsonRow::Bad {
                    reason: format!("Parse json data failed. error: {e}"),
                    line: rest,
                });
                return;
            }
        }
        start = end;
    }
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

fn document_rows(doc: &[u8], opts: &JsonOptions, rows: &mut Vec<JsonRow>) {
    let line = String::from_utf8_lossy(doc).into_owned();
    let value: Json = match serde_json::from_slice(doc) {
        Ok(v) => v,
        Err(_)
            if opts.document_stream
                && opts.strip_outer_array
                && opts.json_root.is_none()
                && let Some(items) = salvage_outer_array(doc) =>
        {
            items
                .into_iter()
                .for_each(|item| push_item(item, opts, rows));
            return;
        }
        Err(e) => {
            rows.push(JsonRow::Bad {
                reason: format!("Parse json data failed. error: {e}"),
                line,
            });
            return;
        }
    };
    value_rows(value, line, opts, rows);
}

/// The rows of one parsed document (`line` is its text, for the error log).
fn value_rows(value: Json, line: String, opts: &JsonOptions, rows: &mut Vec<JsonRow>) {
    let root = match &opts.json_root {
        Some(root) => match follow(&value, root) {
            Some(v) => v.clone(),
            None => {
                let reason = format!("JSON Root not found. json root: {root}");
                rows.push(JsonRow::Bad { reason, line });
                return;
            }
        },
        None => value,
    };
    let items: Vec<Json> = if opts.strip_outer_array {
        match root {
            Json::Array(items) => items,
            _ => {
                let reason =
                    "JSON data is not an array-object, strip_outer_array must be FALSE".to_string();
                rows.push(JsonRow::Bad { reason, line });
                return;
            }
        }
    } else {
        match root {
            Json::Array(_) => {
                let reason =
                    "JSON data is array-object, `strip_outer_array` must be TRUE".to_string();
                rows.push(JsonRow::Bad { reason, line });
                return;
            }
            other => vec![other],
        }
    };
    for item in items {
        push_item(item, opts, rows);
    }
}

/// Adds the row of one item (a document or an element of the outer array); a Debezium event
/// first gives up its image.
fn push_item(item: Json, opts: &JsonOptions, rows: &mut Vec<JsonRow>) {
    if !opts.debezium {
        rows.push(item_row(item, opts));
        return;
    }
    let line = item.to_string();
    let change = json_debezium::change(item);
    let row = match change {
        Ok(Change::Delete(_)) if opts.jsonpaths.is_some() => JsonRow::Bad {
            reason: "a Debezium delete read through jsonpaths is not emulated".into(),
            line,
        },
        Ok(change) => match change.into_row() {
            Some(image) => item_row(Json::Object(image), opts),
            None => return,
        },
        Err(reason) => JsonRow::Bad { reason, line },
    };
    rows.push(row);
}

fn item_row(item: Json, opts: &JsonOptions) -> JsonRow {
    if let Some(paths) = &opts.jsonpaths {
        if opts.reject_unmatched_paths && paths.iter().all(|p| follow(&item, p).is_none()) {
            return JsonRow::Bad {
                reason: super::rows::ALL_FIELDS_NULL.to_string(),
                line: item.to_string(),
            };
        }
        let values = paths
            .iter()
            .map(|p| follow(&item, p).and_then(json_text))
            .collect();
        return JsonRow::Paths(values);
    }
    match item {
        Json::Object(map) => JsonRow::Object(map),
        other => JsonRow::Bad {
            reason: "Expected value of object type in json data".to_string(),
            line: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_mode_reads_one_object_per_line() {
        let opts = JsonOptions {
            read_json_by_line: true,
            ..JsonOptions::default()
        };
        let rows = read_json(b"{\"a\":1}\n\n{\"a\":null}\n{bad\n", &opts);
        assert_eq!(rows.len(), 3);
        assert!(matches!(&rows[0], JsonRow::Object(m) if m["a"] == 1));
        assert!(matches!(&rows[2], JsonRow::Bad { reason, .. } if reason.contains("Parse json")));
    }

    #[test]
    fn outer_array_root_and_paths() {
        let opts = JsonOptions {
            strip_outer_array: true,
            json_root: Some("$.data".into()),
            jsonpaths: Some(parse_jsonpaths(r#"["$.id","$.n.x"]"#).unwrap()),
            ..JsonOptions::default()
        };
        let rows = read_json(br#"{"data":[{"id":1,"n":{"x":"s"}},{"id":2}]}"#, &opts);
        assert_eq!(
            rows,
            vec![
                JsonRow::Paths(vec![Some("1".into()), Some("s".into())]),
                JsonRow::Paths(vec![Some("2".into()), None]),
            ]
        );
    }

    #[test]
    fn array_without_strip_is_a_bad_row_and_paths_are_checked() {
        let rows = read_json(b"[{\"a\":1}]", &JsonOptions::default());
        assert!(
            matches!(&rows[0], JsonRow::Bad { reason, .. } if reason.contains("strip_outer_array"))
        );
        assert!(parse_jsonpaths(r#"["$.a[0]"]"#).is_err());
        assert_eq!(json_text(&serde_json::json!({"k":1})).unwrap(), "{\"k\":1}");
    }

    #[test]
    fn document_stream_reads_every_document_and_one_document_mode_refuses_several() {
        let body = b"{\"a\":1}\n{\"a\":2} {\"a\":3}\n";
        let stream = JsonOptions {
            document_stream: true,
            ..JsonOptions::default()
        };
        let rows = read_json(body, &stream);
        let values: Vec<_> = rows
            .iter()
            .map(|r| match r {
                JsonRow::Object(m) => m["a"].clone(),
                other => panic!("not a row object: {other:?}"),
            })
            .collect();
        assert_eq!(values, [1, 2, 3]);
        let one = read_json(body, &JsonOptions::default());
        assert!(matches!(&one[..], [JsonRow::Bad { reason, .. }] if reason.contains("Parse json")));
        let broken = read_json(b"{\"a\":1}\n{bad\n{\"a\":3}", &stream);
        assert_eq!(broken.len(), 2);
        assert!(matches!(&broken[1], JsonRow::Bad { line, .. } if line.starts_with("{bad")));
    }
}
