//! A small SQL tokenizer shared by the DDL parser and the MySQL port's statement router.
//!
//! Doris/StarRocks DDL mixes MySQL quoting (backticks, '..', "..") with their own clauses, so a
//! tokenizer that keeps quoting information is all the parsers need.

use super::txn_types::EngineError;

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    /// A bare word (keyword or identifier), as written.
    Word(String),
    /// A back-quoted identifier.
    Quoted(String),
    /// A string literal ('..' or ".."), unescaped.
    Str(String),
    /// A number literal, as written.
    Number(String),
    /// One punctuation character: ( ) , . = ; < > : * - +
    Punct(char),
}

impl Token {
    /// True when this is the bare word `kw` (case-insensitive).
    pub(crate) fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    /// The text of a word, quoted identifier or string.
    pub(crate) fn text(&self) -> String {
        match self {
            Token::Word(s) | Token::Quoted(s) | Token::Str(s) | Token::Number(s) => s.clone(),
            Token::Punct(c) => c.to_string(),
        }
    }
}

fn unescape_char(c: char) -> char {
    match c {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        '0' => '\0',
        other => other,
    }
}

/// Splits `sql` into tokens; `--` and `/* */` comments are skipped.
pub(crate) fn tokenize(sql: &str) -> Result<Vec<Token>, EngineError> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') || c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == '`' || c == '\'' || c == '"' {
            let quote = c;
            let mut s = String::new();
            i += 1;
            loop {
                let Some(&ch) = chars.get(i) else {
                    return Err(EngineError::Parse(format!(
                        "unterminated {quote}-quoted text starting with {s:?}"
                    )));
                };
                if ch == quote {
                    if chars.get(i + 1) == Some(&quote) {
                        s.push(quote);
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                if ch == '\\'
                    && quote != '`'
                    && let Some(&n) = chars.get(i + 1)
                {
                    s.push(unescape_char(n));
                    i += 2;
                    continue;
                }
                s.push(ch);
                i += 1;
            }
            out.push(match quote {
                '`' => Token::Quoted(s),
                _ => Token::Str(s),
            });
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit()))
        {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_')
            {
                // exponent sign, e.g. 1e-5
                i += 1;
                if (chars[i - 1] == 'e' || chars[i - 1] == 'E')
                    && matches!(chars.get(i), Some('-') | Some('+'))
                {
                    i += 1;
                }
            }
            let text: String = chars[start..i].iter().collect();
            if text.chars().all(|ch| ch.is_ascii_digit() || ch == '.')
                || text.parse::<f64>().is_ok()
            {
                out.push(Token::Number(text));
            } else {
                out.push(Token::Word(text));
            }
        } else if c.is_alphanumeric() || c == '_' || c == '@' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '@' | '$'))
            {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    Ok(out)
}

/// A cursor over tokens with the helpers a recursive-descent parser needs.
#[derive(Debug)]
pub(crate) struct Cursor {
    tokens: Vec<Token>,
    pos: usize,
}

impl Cursor {
    pub(crate) fn new(sql: &str) -> Result<Cursor, EngineError> {
        let mut tokens = tokenize(sql)?;
        while tokens.last() == Some(&Token::Punct(';')) {
            tokens.pop();
        }
        Ok(Cursor { tokens, pos: 0 })
    }

    pub(crate) fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    pub(crate) fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.pos + ahead)
    }

    pub(crate) fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    /// Consumes the keyword if it is next.
    pub(crate) fn eat_kw(&mut self, kw: &str) -> bool {
        if self.peek().is_some_and(|t| t.is_kw(kw)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes a sequence of keywords if all are next.
    pub(crate) fn eat_kws(&mut self, kws: &[&str]) -> bool {
        let all = kws
            .iter()
            .enumerate()
            .all(|(i, kw)| self.peek_at(i).is_some_and(|t| t.is_kw(kw)));
        if all {
            self.pos += kws.len();
        }
        all
    }

    pub(crate) fn eat_punct(&mut self, c: char) -> bool {
        if self.peek() == Some(&Token::Punct(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn found(&self) -> String {
        match self.peek() {
            Some(t) => format!("'{}'", t.text()),
            None => "end of statement".into(),
        }
    }

    pub(crate) fn expect_kw(&mut self, kw: &str) -> Result<(), EngineError> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(EngineError::Parse(format!(
                "expected {kw}, found {}",
                self.found()
            )))
        }
    }

    pub(crate) fn expect_punct(&mut self, c: char) -> Result<(), EngineError> {
        if self.eat_punct(c) {
            Ok(())
        } else {
            Err(EngineError::Parse(format!(
                "expected '{c}', found {}",
                self.found()
            )))
        }
    }

    /// An identifier: a bare word or a back-quoted name.
    pub(crate) fn ident(&mut self) -> Result<String, EngineError> {
        match self.peek() {
            Some(Token::Word(w)) | Some(Token::Quoted(w)) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => Err(EngineError::Parse(format!(
                "expected a name, found {}",
                self.found()
            ))),
        }
    }

    /// `name` or `db.name`.
    pub(crate) fn qualified(&mut self) -> Result<(Option<String>, String), EngineError> {
        let first = self.ident()?;
        if self.eat_punct('.') {
            Ok((Some(first), self.ident()?))
        } else {
            Ok((None, first))
        }
    }

    /// A string literal or number, as text.
    pub(crate) fn literal(&mut self) -> Result<String, EngineError> {
        match self.peek() {
            Some(Token::Str(s)) | Some(Token::Number(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            Some(Token::Punct('-')) => {
                self.pos += 1;
                Ok(format!("-{}", self.literal()?))
            }
            _ => Err(EngineError::Parse(format!(
                "expected a literal, found {}",
                self.found()
            ))),
        }
    }

    /// Skips a balanced `( ... )` group (the cursor is on the `(`).
    pub(crate) fn skip_group(&mut self) -> Result<(), EngineError> {
        self.expect_punct('(')?;
        let mut depth = 1;
        while depth > 0 {
            match self.next() {
                Some(Token::Punct('(')) => depth += 1,
                Some(Token::Punct(')')) => depth -= 1,
                Some(_) => {}
                None => return Err(EngineError::Parse("unbalanced parentheses".into())),
            }
        }
        Ok(())
    }

    /// `( ident, ident, ... )`
    pub(crate) fn ident_list(&mut self) -> Result<Vec<String>, EngineError> {
        self.expect_punct('(')?;
        let mut out = vec![self.ident()?];
        while self.eat_punct(',') {
            out.push(self.ident()?);
        }
        self.expect_punct(')')?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{Token, tokenize};
    use crate::engine::Flavor;
    use crate::engine::ddl;

    #[test]
    fn tokens_keep_quoting() {
        let t = tokenize("CREATE `a b`.t ('x''y', \"z\\n\") -- c\n1.5e-3 /* d */ ;").expect("ok");
        assert_eq!(
            t,
            vec![
                Token::Word("CREATE".into()),
                Token::Quoted("a b".into()),
                Token::Punct('.'),
                Token::Word("t".into()),
                Token::Punct('('),
                Token::Str("x'y".into()),
                Token::Punct(','),
                Token::Str("z\n".into()),
                Token::Punct(')'),
                Token::Number("1.5e-3".into()),
                Token::Punct(';'),
            ]
        );
        assert!(tokenize("'open").is_err());
    }

    /// Arbitrary input (cut and spliced from real DDL) yields `Ok` or `Err`, never a panic.
    #[test]
    fn the_parser_never_panics_on_garbage() {
        let base = "CREATE TABLE IF NOT EXISTS `db`.t (k INT NOT NULL DEFAULT \"0\" COMMENT 'c', \
                    v DECIMAL(10, 2) SUM, a ARRAY<MAP<STRING,INT>>) AGGREGATE KEY(k) \
                    PARTITION BY RANGE(k) () DISTRIBUTED BY HASH(k) BUCKETS 3 \
                    PROPERTIES (\"a\" = \"b\"); DROP DATABASE /* x */ -- y\n";
        let chars: Vec<char> = base.chars().collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n.max(1)
        };
        for _ in 0..3000 {
            let (a, b) = (next(chars.len()), next(chars.len()));
            let (c, d) = (next(chars.len()), next(chars.len()));
            let s: String = chars[a.min(b)..a.max(b)]
                .iter()
                .chain(&chars[c.min(d)..c.max(d)])
                .collect();
            let _ = ddl::parse(&s, Flavor::Doris);
            let _ = ddl::parse(&s, Flavor::StarRocks);
        }
    }
}
