//! The parser of the load expression language: tokens, then recursive descent with SQL
//! precedence (OR < AND < NOT < comparison < + - < * / % < unary). Unknown functions are refused
//! here, at parse time, so a load with `md5(...)` fails before any row is read.

use super::expr::{Expr, Scalar};

pub(crate) const FUNCTIONS: &[&str] = &[
    "coalesce",
    "ifnull",
    "nvl",
    "concat",
    "upper",
    "lower",
    "if",
    "abs",
    "now",
    "current_timestamp",
    "year",
    "month",
    "day",
    "to_bitmap",
    "bitmap_hash",
    "bitmap_from_base64",
    "hll_hash",
    "bitmap_empty",
    "hll_empty",
];

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Num(String),
    Str(String),
    Op(String),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '`' {
            let end = chars[i + 1..]
                .iter()
                .position(|&x| x == '`')
                .ok_or("unclosed `")?;
            tokens.push(Token::Ident(chars[i + 1..i + 1 + end].iter().collect()));
            i += end + 2;
        } else if c == '\'' || c == '"' {
            let mut s = String::new();
            let mut j = i + 1;
            loop {
                match chars.get(j) {
                    None => return Err(format!("unclosed string literal in `{text}`")),
                    Some(&x) if x == c && chars.get(j + 1) == Some(&c) => {
                        s.push(c);
                        j += 2;
                    }
                    Some(&x) if x == c => break,
                    Some(&x) => {
                        s.push(x);
                        j += 1;
                    }
                }
            }
            tokens.push(Token::Str(s));
            i = j + 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            tokens.push(Token::Num(chars[start..i].iter().collect()));
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            tokens.push(Token::Ident(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            if ["<=", ">=", "!=", "<>", "=="].contains(&two.as_str()) {
                tokens.push(Token::Op(two));
                i += 2;
            } else if "=<>+-*/%(),".contains(c) {
                tokens.push(Token::Op(c.to_string()));
                i += 1;
            } else {
                return Err(format!("unexpected character '{c}' in `{text}`"));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek_keyword(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Ident(w)) if w.eq_ignore_ascii_case(word))
    }
    fn peek_op(&self, op: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Op(o)) if o == op)
    }
    fn expect_op(&mut self, op: &str) -> Result<(), String> {
        if self.peek_op(op) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected '{op}'"))
        }
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.peek_keyword("or") {
            self.pos += 1;
            left = Expr::Binary("or".into(), Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.not()?;
        while self.peek_keyword("and") {
            self.pos += 1;
            left = Expr::Binary("and".into(), Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }
    fn not(&mut self) -> Result<Expr, String> {
        if self.peek_keyword("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.comparison()
    }
    fn comparison(&mut self) -> Result<Expr, String> {
        let left = self.additive()?;
        if self.peek_keyword("is") {
            self.pos += 1;
            let negated = self.peek_keyword("not");
            if negated {
                self.pos += 1;
            }
            if !self.peek_keyword("null") {
                return Err("expected NULL after IS".into());
            }
            self.pos += 1;
            return Ok(Expr::IsNull(Box::new(left), negated));
        }
        let negated = self.peek_keyword("not");
        if negated || self.peek_keyword("in") {
            self.pos += usize::from(negated);
            if !self.peek_keyword("in") {
                return Err("expected IN after NOT".into());
            }
            self.pos += 1;
            self.expect_op("(")?;
            let mut items = vec![self.additive()?];
            while self.peek_op(",") {
                self.pos += 1;
                items.push(self.additive()?);
            }
            self.expect_op(")")?;
            return Ok(Expr::InList(Box::new(left), items, negated));
        }
        for op in ["=", "==", "!=", "<>", "<", "<=", ">", ">="] {
            if self.peek_op(op) {
                self.pos += 1;
                let right = self.additive()?;
                let op = match op {
                    "==" => "=",
                    "<>" => "!=",
                    other => other,
                };
                return Ok(Expr::Binary(op.into(), Box::new(left), Box::new(right)));
            }
        }
        Ok(left)
    }
    fn additive(&mut self) -> Result<Expr, String> {
        let mut left = self.multiplicative()?;
        while self.peek_op("+") || self.peek_op("-") {
            let Token::Op(op) = self.tokens[self.pos].clone() else {
                unreachable!()
            };
            self.pos += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(self.multiplicative()?));
        }
        Ok(left)
    }
    fn multiplicative(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self.peek_op("*") || self.peek_op("/") || self.peek_op("%") {
            let Token::Op(op) = self.tokens[self.pos].clone() else {
                unreachable!()
            };
            self.pos += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }
    fn unary(&mut self) -> Result<Expr, String> {
        if self.peek_op("-") {
            self.pos += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.primary()
    }
    fn primary(&mut self) -> Result<Expr, String> {
        let token = self
            .tokens
            .get(self.pos)
            .cloned()
            .ok_or("unexpected end of expression")?;
        self.pos += 1;
        match token {
            Token::Num(n) => Ok(Expr::Literal(Scalar::Num(n))),
            Token::Str(s) => Ok(Expr::Literal(Scalar::Str(s))),
            Token::Op(o) if o == "(" => {
                let inner = self.or()?;
                self.expect_op(")")?;
                Ok(inner)
            }
            Token::Op(o) => Err(format!("unexpected '{o}'")),
            Token::Ident(name) if name.eq_ignore_ascii_case("null") => {
                Ok(Expr::Literal(Scalar::Null))
            }
            Token::Ident(name) if name.eq_ignore_ascii_case("true") => {
                Ok(Expr::Literal(Scalar::Bool(true)))
            }
            Token::Ident(name) if name.eq_ignore_ascii_case("false") => {
                Ok(Expr::Literal(Scalar::Bool(false)))
            }
            Token::Ident(name) if self.peek_op("(") => {
                self.pos += 1;
                let lower = name.to_ascii_lowercase();
                if !FUNCTIONS.contains(&lower.as_str()) {
                    return Err(format!(
                        "function {name}() is not supported by the emulator (supported: {})",
                        FUNCTIONS.join(", ")
                    ));
                }
                let mut args = Vec::new();
                if !self.peek_op(")") {
                    args.push(self.or()?);
                    while self.peek_op(",") {
                        self.pos += 1;
                        args.push(self.or()?);
                    }
                }
                self.expect_op(")")?;
                Ok(Expr::Func(lower, args))
            }
            Token::Ident(name) => Ok(Expr::Column(name)),
        }
    }
}

/// Parses an expression; the error names the unsupported construct.
pub fn parse_expr(text: &str) -> Result<Expr, String> {
    let mut parser = Parser {
        tokens: tokenize(text)?,
        pos: 0,
    };
    let expr = parser
        .or()
        .map_err(|e| format!("{e} in expression `{text}`"))?;
    if parser.pos != parser.tokens.len() {
        return Err(format!("unexpected trailing input in expression `{text}`"));
    }
    Ok(expr)
}
