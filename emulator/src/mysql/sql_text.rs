//! Text helpers for the statements the router reads: leading comments, a case-insensitive
//! function replace that keeps MySQL's column naming, and SQL LIKE. Kept apart from the router
//! so routing stays readable.

/// Drops leading `/* ... */` and `-- ...` comments (JDBC prefixes its connect-time queries
/// with `/* mysql-connector-j-8.x */`).
pub(crate) fn strip_leading_comments(sql: &str) -> &str {
    let mut s = sql.trim_start();
    loop {
        if let Some(rest) = s.strip_prefix("/*") {
            match rest.find("*/") {
                Some(end) => s = rest[end + 2..].trim_start(),
                None => return "",
            }
        } else if s.starts_with("--") || s.starts_with('#') {
            match s.find('\n') {
                Some(end) => s = s[end + 1..].trim_start(),
                None => return "",
            }
        } else {
            return s;
        }
    }
}

/// Case-insensitive replace of an ASCII pattern that is not preceded by a word character.
pub(crate) fn replace_ci(s: &str, pat: &str, with: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(pos) = lower[i..].find(pat) {
        let at = i + pos;
        let prev_ok = at == 0
            || !lower.as_bytes()[at - 1].is_ascii_alphanumeric()
                && lower.as_bytes()[at - 1] != b'_';
        out.push_str(&s[i..at]);
        if prev_ok {
            out.push_str(with);
            // A bare select item keeps the function's text as its column name, as MySQL does.
            let before = lower[..at].trim_end();
            let after = lower[at + pat.len()..].trim_start();
            let item_start = before.ends_with("select") || before.ends_with(',');
            let item_end = after.is_empty()
                || after.starts_with(',')
                || after.starts_with("from ")
                || after.starts_with("limit ");
            if item_start && item_end {
                out.push_str(&format!(" AS \"{pat}\""));
            }
        } else {
            out.push_str(&s[at..at + pat.len()]);
        }
        i = at + pat.len();
    }
    out.push_str(&s[i..]);
    out
}

/// SQL LIKE with `%` and `_`, case-insensitive.
pub(crate) fn like(pattern: &str, s: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((b'%', rest)) => (0..=s.len()).any(|i| go(rest, &s[i..])),
            Some((b'_', rest)) => !s.is_empty() && go(rest, &s[1..]),
            Some((c, rest)) => {
                s.first().is_some_and(|x| x.eq_ignore_ascii_case(c)) && go(rest, &s[1..])
            }
        }
    }
    go(pattern.as_bytes(), s.as_bytes())
}
