//! The CSV reader of Stream Load bodies.
//!
//! Doris and StarRocks CSV is not RFC 4180: separators and line delimiters may be several bytes,
//! `\N` means NULL, there is no quoting unless `enclose` is set, and a trailing line delimiter
//! does not make an empty row. The `csv` crate only knows single-byte delimiters, so the
//! emulator has its own reader; it is the hot path of ingest, so it borrows from the body and
//! only allocates the field strings.

/// How a CSV body is split into rows and fields.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// Bytes between fields (default `\t`).
    pub column_separator: Vec<u8>,
    /// Bytes between rows (default `\n`).
    pub line_delimiter: Vec<u8>,
    /// Quote byte: a field wrapped in it may contain separators and delimiters.
    pub enclose: Option<u8>,
    /// Escape byte inside an enclosed field.
    pub escape: Option<u8>,
    /// Strip one surrounding pair of `"` from every field (Doris `trim_double_quotes`).
    pub trim_double_quotes: bool,
    /// Strip the enclose bytes around an enclosed field (StarRocks always does; Doris only
    /// with `trim_double_quotes`).
    pub strip_enclose: bool,
    /// Leading lines to skip (header lines).
    pub skip_lines: usize,
    /// An empty field is NULL instead of an empty string.
    pub empty_field_as_null: bool,
    /// Trim spaces around fields (StarRocks `trim_space`).
    pub trim_space: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            column_separator: b"\t".to_vec(),
            line_delimiter: b"\n".to_vec(),
            enclose: None,
            escape: None,
            trim_double_quotes: false,
            strip_enclose: false,
            skip_lines: 0,
            empty_field_as_null: false,
            trim_space: false,
        }
    }
}

/// One CSV row: its fields (`None` = `\N`) and where its raw line is in the body (rendered
/// only for the error log).
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRow {
    /// Field values in file order.
    pub fields: Vec<Option<String>>,
    /// Byte range of the row in the body.
    pub span: (usize, usize),
}

impl CsvRow {
    /// The row as it appeared in `data` (lossy UTF-8), for error reports.
    pub fn line(&self, data: &[u8]) -> String {
        String::from_utf8_lossy(&data[self.span.0..self.span.1]).into_owned()
    }
}

/// Splits a whole body into rows. Empty lines are skipped, as the servers do.
pub fn read_csv(data: &[u8], opts: &CsvOptions) -> Vec<CsvRow> {
    let mut rows = Vec::new();
    let mut pos = 0;
    let mut skipped = 0;
    while pos < data.len() {
        let (fields, end, next) = match opts.enclose {
            Some(quote) => read_enclosed_row(data, pos, opts, quote),
            None => {
                let end = find(data, pos, &opts.line_delimiter).unwrap_or(data.len());
                let next = (end + opts.line_delimiter.len()).min(data.len().max(end));
                (split_plain(&data[pos..end], opts), end, next)
            }
        };
        let line_bytes = &data[pos..end];
        let start = pos;
        pos = if next <= start { data.len() } else { next };
        if skipped < opts.skip_lines {
            skipped += 1;
            continue;
        }
        if line_bytes.is_empty() {
            continue;
        }
        rows.push(CsvRow {
            fields,
            span: (start, end),
        });
    }
    rows
}

fn find(data: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if needle.len() == 1 {
        let b = needle[0];
        return data[from..].iter().position(|&c| c == b).map(|i| i + from);
    }
    if data.len() < from + needle.len() {
        return None;
    }
    data[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

fn split_plain(line: &[u8], opts: &CsvOptions) -> Vec<Option<String>> {
    let mut fields = Vec::new();
    let mut start = 0;
    loop {
        match find(line, start, &opts.column_separator) {
            Some(at) => {
                fields.push(finish_field(&line[start..at], opts));
                start = at + opts.column_separator.len();
            }
            None => {
                fields.push(finish_field(&line[start..], opts));
                break;
            }
        }
    }
    fields
}

fn finish_field(raw: &[u8], opts: &CsvOptions) -> Option<String> {
    let mut raw = raw;
    if opts.trim_space {
        raw = trim_spaces(raw);
    }
    let quote = match (opts.strip_enclose, opts.enclose) {
        (true, Some(q)) => q,
        _ => b'"',
    };
    let wrapped = raw.len() >= 2 && raw[0] == quote && raw[raw.len() - 1] == quote;
    if wrapped && opts.strip_enclose {
        // An enclosed StarRocks field is text as written: `"\N"` is the two characters.
        let inner = &raw[1..raw.len() - 1];
        return Some(String::from_utf8_lossy(inner).into_owned());
    }
    if wrapped && opts.trim_double_quotes {
        // Doris `CsvReader::_deserialize_nullable_string`: with `trim_double_quotes`
        // (`converted_from_string`) a quoted field loses its quotes and is never the null
        // marker, so `"\N"` is the two characters.
        return Some(String::from_utf8_lossy(&raw[1..raw.len() - 1]).into_owned());
    }
    if raw == b"\\N" {
        return None;
    }
    if raw.is_empty() && opts.empty_field_as_null {
        return None;
    }
    Some(match std::str::from_utf8(raw) {
        Ok(text) => text.to_string(),
        Err(_) => String::from_utf8_lossy(raw).into_owned(),
    })
}

fn trim_spaces(mut raw: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = raw {
        raw = rest;
    }
    while let [rest @ .., b' '] = raw {
        raw = rest;
    }
    raw
}

/// Reads one row starting at `pos` honouring the enclose byte; returns the fields, the end of
/// the row's bytes and where the next row starts.
///
/// As Doris' enclose splitter (`EncloseCsvLineReaderCtx` in
/// `be/src/vec/exec/format/file_reader/new_plain_text_line_reader.cpp`): an enclose byte opens
/// only at the start of a field; inside, the escape byte makes the next byte literal (and is
/// dropped); the next enclose byte closes, and whatever follows up to the separator stays in the
/// field as plain text. The field keeps its enclose bytes: only `trim_double_quotes` strips a
/// surrounding pair (the servers' default keeps them, so `"abc"` loads as `"abc"`).
fn read_enclosed_row(
    data: &[u8],
    pos: usize,
    opts: &CsvOptions,
    quote: u8,
) -> (Vec<Option<String>>, usize, usize) {
    let sep = opts.column_separator.as_slice();
    let eol = opts.line_delimiter.as_slice();
    let mut fields = Vec::new();
    let mut raw: Vec<u8> = Vec::new();
    let mut j = pos;
    let mut field_start = true;
    let mut in_enclose = false;
    while j < data.len() {
        let c = data[j];
        if in_enclose {
            if Some(c) == opts.escape && j + 1 < data.len() {
                raw.push(data[j + 1]);
                j += 2;
                continue;
            }
            if c == quote {
                in_enclose = false;
            }
            raw.push(c);
            j += 1;
            continue;
        }
        if field_start && c == quote {
            in_enclose = true;
            field_start = false;
            raw.push(c);
            j += 1;
            continue;
        }
        if data[j..].starts_with(sep) {
            fields.push(finish_field(&raw, opts));
            raw.clear();
            field_start = true;
            j += sep.len();
            continue;
        }
        if data[j..].starts_with(eol) {
            if j == pos {
                return (Vec::new(), j, j + eol.len());
            }
            fields.push(finish_field(&raw, opts));
            return (fields, j, j + eol.len());
        }
        field_start = false;
        raw.push(c);
        j += 1;
    }
    fields.push(finish_field(&raw, opts));
    (fields, data.len(), data.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(rows: &[CsvRow]) -> Vec<Vec<Option<&str>>> {
        rows.iter()
            .map(|r| r.fields.iter().map(|f| f.as_deref()).collect())
            .collect()
    }

    #[test]
    fn default_tab_and_newline_with_null_and_trailing_delimiter() {
        let rows = read_csv(b"1\ta\n2\t\\N\n", &CsvOptions::default());
        assert_eq!(
            texts(&rows),
            vec![vec![Some("1"), Some("a")], vec![Some("2"), None]]
        );
        assert_eq!(rows[0].line(b"1\ta\n2\t\\N\n"), "1\ta");
    }

    #[test]
    fn multi_byte_separators_and_empty_lines() {
        let opts = CsvOptions {
            column_separator: b"||".to_vec(),
            line_delimiter: vec![2],
            ..CsvOptions::default()
        };
        let rows = read_csv(b"1||x||\x022||y||z\x02\x02", &opts);
        assert_eq!(
            texts(&rows),
            vec![
                vec![Some("1"), Some("x"), Some("")],
                vec![Some("2"), Some("y"), Some("z")]
            ]
        );
    }

    #[test]
    fn enclose_keeps_separators_and_newlines() {
        let opts = CsvOptions {
            column_separator: b",".to_vec(),
            enclose: Some(b'"'),
            escape: Some(b'\\'),
            ..CsvOptions::default()
        };
        let body = b"1,\"a,b\nc\",x\n2,\"q\\\"q\",y\n3,\"a\"b,c\n";
        let rows = read_csv(body, &opts);
        // Doris keeps the enclose bytes unless trim_double_quotes is set; text after the
        // closing byte stays in the field.
        assert_eq!(
            texts(&rows),
            vec![
                vec![Some("1"), Some("\"a,b\nc\""), Some("x")],
                vec![Some("2"), Some("\"q\"q\""), Some("y")],
                vec![Some("3"), Some("\"a\"b"), Some("c")]
            ]
        );
        let strip = CsvOptions {
            strip_enclose: true,
            ..opts
        };
        assert_eq!(
            texts(&read_csv(body, &strip))[..2],
            vec![
                vec![Some("1"), Some("a,b\nc"), Some("x")],
                vec![Some("2"), Some("q\"q"), Some("y")]
            ]
        );
    }

    #[test]
    fn trim_double_quotes_skip_lines_and_empty_as_null() {
        let opts = CsvOptions {
            column_separator: b",".to_vec(),
            trim_double_quotes: true,
            skip_lines: 1,
            empty_field_as_null: true,
            ..CsvOptions::default()
        };
        let rows = read_csv(b"h1,h2\n\"a\",\n", &opts);
        assert_eq!(texts(&rows), vec![vec![Some("a"), None]]);
        // A quoted null marker is text once trimmed; a bare one is NULL.
        let rows = read_csv(b"h1,h2\n\"\\N\",\\N\n", &opts);
        assert_eq!(texts(&rows), vec![vec![Some("\\N"), None]]);
    }
}
