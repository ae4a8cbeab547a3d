//! The `columns` header: which source field feeds which table column, and derived columns.
//!
//! `a, b, tmp, c = tmp * 100, __op = 'delete'` — plain names bind the body's fields in order,
//! `name = expr` items compute a target column from them. Backquotes are allowed around names.

use super::expr::{Expr, parse_expr};

/// One item of the `columns` header.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnItem {
    /// A source field, bound positionally (CSV, jsonpaths) or by name (JSON).
    Source(String),
    /// A target column computed from an expression.
    Derived(String, Expr),
}

/// Parses a `columns` header value.
pub fn parse_columns(text: &str) -> Result<Vec<ColumnItem>, String> {
    let mut items = Vec::new();
    for part in split_top_level(text) {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!("empty item in columns: {text}"));
        }
        match find_assignment(part) {
            Some(at) => {
                let name = unquote(part[..at].trim());
                let expr = parse_expr(part[at + 1..].trim())?;
                items.push(ColumnItem::Derived(name, expr));
            }
            None => items.push(ColumnItem::Source(unquote(part))),
        }
    }
    Ok(items)
}

/// Strips backquotes from a column name.
pub fn unquote(name: &str) -> String {
    name.trim().trim_matches('`').to_string()
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn find_assignment(part: &str) -> Option<usize> {
    let bytes = part.as_bytes();
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"' | b'`') => quote = Some(b),
            (None, b'=') => {
                let prev = if i > 0 { bytes[i - 1] } else { b' ' };
                let next = bytes.get(i + 1).copied().unwrap_or(b' ');
                if !matches!(prev, b'<' | b'>' | b'!' | b'=') && next != b'=' {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_quoted_and_derived_items() {
        let items = parse_columns("`id`, name ,tmp, score = tmp * 100, __op = 'delete'").unwrap();
        assert_eq!(items[0], ColumnItem::Source("id".into()));
        assert_eq!(items[1], ColumnItem::Source("name".into()));
        assert!(matches!(&items[3], ColumnItem::Derived(n, _) if n == "score"));
        assert!(matches!(&items[4], ColumnItem::Derived(n, _) if n == "__op"));
    }

    #[test]
    fn commas_inside_calls_do_not_split_and_bad_functions_fail() {
        let items = parse_columns("a, b, c = concat(a, ',', b)").unwrap();
        assert_eq!(items.len(), 3);
        assert!(parse_columns("a, k = md5(a)").unwrap_err().contains("md5"));
        assert!(parse_columns("a,,b").is_err());
    }
}
