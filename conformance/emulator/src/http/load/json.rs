//! The JSON reader of Stream Load bodies.
//!
//! Turns a body into source rows for the column mapper: line mode (`read_json_by_line`), one
//! outer array (`strip_outer_array`), `json_root`, and `jsonpaths` with simple `$.a.b` paths.
//! A JSON scalar becomes its text (strings unquoted), objects and arrays their JSON text, and
//! `null` becomes NULL — the engine then checks the text against the column type.

use serde_json::Value as Json;

/// How a JSON body is split into rows.
#[derive(Debug, Clone, Default)]
pub struct JsonOptions {
    /// One JSON value per line.
    pub read_json_by_line: bool,
    /// The body (or each line) is an array of row objects.
    pub strip_outer_array: bool,
    /// Simple path (`$.data`) selecting the row object(s) inside each document.
    pub json_root: Option<String>,
    /// Paths whose values feed the columns positionally, instead of key lookup.
    pub jsonpaths: Option<Vec<String>>,
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
    } else if !trim_ascii(data).is_empty() {
        document_rows(trim_ascii(data), opts, &mut rows);
    }
    rows
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
        Err(e) => {
            rows.push(JsonRow::Bad {
                reason: format!("Parse json data failed. error: {e}"),
                line,
            });
            return;
        }
    };
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
        rows.push(item_row(item, opts));
    }
}

fn item_row(item: Json, opts: &JsonOptions) -> JsonRow {
    if let Some(paths) = &opts.jsonpaths {
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
}
