//! MySQL-to-SQLite literal rewriting for statements passed through to SQLite.
//!
//! MySQL clients (pymysql's client-side parameters, the CLI, Doris users) write string literals
//! with backslash escapes and in double quotes; SQLite knows neither. Each literal is rewritten
//! as a single-quoted SQLite literal with quotes doubled; identifiers, comments and everything
//! else are left untouched.

/// Rewrites the string literals of `sql` for SQLite.
pub(crate) fn to_sqlite(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '`' => {
                // Back-quoted identifier: copy through the closing quote.
                let start = i;
                i += 1;
                while i < chars.len() && chars[i] != '`' {
                    i += 1;
                }
                i = (i + 1).min(chars.len());
                out.extend(&chars[start..i]);
            }
            '\'' | '"' => {
                let quote = c;
                let mut value = String::new();
                i += 1;
                while i < chars.len() {
                    let ch = chars[i];
                    if ch == '\\' && i + 1 < chars.len() {
                        let n = chars[i + 1];
                        // LIKE wildcards keep their escape, as MySQL does.
                        if matches!(n, '%' | '_') {
                            value.push('\\');
                        }
                        value.push(match n {
                            'n' => '\n',
                            't' => '\t',
                            'r' => '\r',
                            '0' => '\0',
                            'Z' => '\u{1a}',
                            'b' => '\u{8}',
                            other => other,
                        });
                        i += 2;
                    } else if ch == quote && chars.get(i + 1) == Some(&quote) {
                        value.push(quote);
                        i += 2;
                    } else if ch == quote {
                        i += 1;
                        break;
                    } else {
                        value.push(ch);
                        i += 1;
                    }
                }
                out.push('\'');
                out.push_str(&value.replace('\'', "''"));
                out.push('\'');
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    out.push(chars[i]);
                    i += 1;
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::to_sqlite;

    #[test]
    fn literals_become_sqlite_literals() {
        assert_eq!(
            to_sqlite(r#"SELECT * FROM t WHERE a = 'O\'Brien' AND b = "x\"y" AND c = 'a''b'"#),
            "SELECT * FROM t WHERE a = 'O''Brien' AND b = 'x\"y' AND c = 'a''b'"
        );
        assert_eq!(to_sqlite(r"SELECT 'a\\b\n'"), "SELECT 'a\\b\n'");
        assert_eq!(
            to_sqlite("SELECT `we'ird` FROM t"),
            "SELECT `we'ird` FROM t"
        );
    }
}
