//! A small SQL expression language for the `columns` mappings (`c3 = c1 + c2`, `__op = 'delete'`)
//! and the `where` / `delete` predicates of a load.
//!
//! The real servers plan these with their SQL planner; the emulator covers what the references
//! use — column references, literals, arithmetic, comparisons, AND/OR/NOT, IS \[NOT\] NULL,
//! \[NOT\] IN, a few scalar functions and the BITMAP / HLL builders — and rejects anything else
//! with a clear error naming the construct, instead of guessing.

/// A value during evaluation. Numbers keep their text so `100` is not turned into `100.0`.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// SQL NULL.
    Null,
    /// A number, as text.
    Num(String),
    /// A string.
    Str(String),
    /// A boolean (result of a predicate).
    Bool(bool),
}

impl Scalar {
    /// The text a column converter receives (`None` = NULL).
    pub fn into_text(self) -> Option<String> {
        match self {
            Scalar::Null => None,
            Scalar::Num(s) | Scalar::Str(s) => Some(s),
            Scalar::Bool(b) => Some(if b { "1" } else { "0" }.to_string()),
        }
    }

    fn truthy(&self) -> Option<bool> {
        match self {
            Scalar::Null => None,
            Scalar::Bool(b) => Some(*b),
            Scalar::Num(s) | Scalar::Str(s) => {
                Some(s.parse::<f64>().map(|v| v != 0.0).unwrap_or(s == "true"))
            }
        }
    }
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A column (source or mapped) by name.
    Column(String),
    /// A literal.
    Literal(Scalar),
    /// `-e`.
    Neg(Box<Expr>),
    /// `NOT e`.
    Not(Box<Expr>),
    /// `l op r`.
    Binary(String, Box<Expr>, Box<Expr>),
    /// `e IS [NOT] NULL` (the flag is `true` for NOT).
    IsNull(Box<Expr>, bool),
    /// `e [NOT] IN (...)`.
    InList(Box<Expr>, Vec<Expr>, bool),
    /// `name(args)`.
    Func(String, Vec<Expr>),
}

pub use super::expr_parse::parse_expr;
use crate::engine::sketches;

impl Expr {
    /// Every column name the expression reads.
    pub fn columns(&self, out: &mut Vec<String>) {
        match self {
            Expr::Column(c) => out.push(c.clone()),
            Expr::Literal(_) => {}
            Expr::Neg(e) | Expr::Not(e) | Expr::IsNull(e, _) => e.columns(out),
            Expr::Binary(_, l, r) => {
                l.columns(out);
                r.columns(out);
            }
            Expr::InList(e, items, _) => {
                e.columns(out);
                items.iter().for_each(|i| i.columns(out));
            }
            Expr::Func(_, args) => args.iter().for_each(|a| a.columns(out)),
        }
    }

    /// Evaluates with `lookup` resolving column names to their text (`None` = NULL).
    pub fn eval(&self, lookup: &dyn Fn(&str) -> Option<String>) -> Scalar {
        match self {
            Expr::Column(c) => match lookup(c) {
                None => Scalar::Null,
                Some(s) => Scalar::Str(s),
            },
            Expr::Literal(s) => s.clone(),
            Expr::Neg(e) => match e.eval(lookup) {
                Scalar::Null => Scalar::Null,
                v => arith("-", &Scalar::Num("0".into()), &v),
            },
            Expr::Not(e) => e
                .eval(lookup)
                .truthy()
                .map_or(Scalar::Null, |b| Scalar::Bool(!b)),
            Expr::IsNull(e, negated) => Scalar::Bool((e.eval(lookup) == Scalar::Null) != *negated),
            Expr::InList(e, items, negated) => {
                let v = e.eval(lookup);
                if v == Scalar::Null {
                    return Scalar::Null;
                }
                let found = items
                    .iter()
                    .any(|i| compare(&v, &i.eval(lookup)) == Some(std::cmp::Ordering::Equal));
                Scalar::Bool(found != *negated)
            }
            Expr::Binary(op, l, r) => {
                let (a, b) = (l.eval(lookup), r.eval(lookup));
                match op.as_str() {
                    "and" => match (a.truthy(), b.truthy()) {
                        (Some(false), _) | (_, Some(false)) => Scalar::Bool(false),
                        (Some(true), Some(true)) => Scalar::Bool(true),
                        _ => Scalar::Null,
                    },
                    "or" => match (a.truthy(), b.truthy()) {
                        (Some(true), _) | (_, Some(true)) => Scalar::Bool(true),
                        (Some(false), Some(false)) => Scalar::Bool(false),
                        _ => Scalar::Null,
                    },
                    "+" | "-" | "*" | "/" | "%" => arith(op, &a, &b),
                    cmp_op => match compare(&a, &b) {
                        None => Scalar::Null,
                        Some(ord) => Scalar::Bool(match cmp_op {
                            "=" => ord.is_eq(),
                            "!=" => ord.is_ne(),
                            "<" => ord.is_lt(),
                            "<=" => ord.is_le(),
                            ">" => ord.is_gt(),
                            _ => ord.is_ge(),
                        }),
                    },
                }
            }
            Expr::Func(name, args) => call(name, args.iter().map(|a| a.eval(lookup)).collect()),
        }
    }

    /// Evaluates as a predicate: NULL counts as false, as in SQL WHERE.
    pub fn matches(&self, lookup: &dyn Fn(&str) -> Option<String>) -> bool {
        self.eval(lookup).truthy().unwrap_or(false)
    }
}

fn text_of(s: &Scalar) -> Option<String> {
    s.clone().into_text()
}

fn compare(a: &Scalar, b: &Scalar) -> Option<std::cmp::Ordering> {
    let (x, y) = (text_of(a)?, text_of(b)?);
    match (x.trim().parse::<f64>(), y.trim().parse::<f64>()) {
        (Ok(p), Ok(q)) => p.partial_cmp(&q),
        _ => Some(x.cmp(&y)),
    }
}

fn arith(op: &str, a: &Scalar, b: &Scalar) -> Scalar {
    let (Some(x), Some(y)) = (text_of(a), text_of(b)) else {
        return Scalar::Null;
    };
    if let (Ok(p), Ok(q)) = (x.trim().parse::<i128>(), y.trim().parse::<i128>()) {
        let value = match op {
            "+" => p.checked_add(q),
            "-" => p.checked_sub(q),
            "*" => p.checked_mul(q),
            "%" => p.checked_rem(q),
            _ => None,
        };
        if let Some(v) = value {
            return Scalar::Num(v.to_string());
        }
    }
    match (x.trim().parse::<f64>(), y.trim().parse::<f64>()) {
        (Ok(p), Ok(q)) => {
            let v = match op {
                "+" => p + q,
                "-" => p - q,
                "*" => p * q,
                "%" => p % q,
                _ if q == 0.0 => return Scalar::Null,
                _ => p / q,
            };
            Scalar::Num(v.to_string())
        }
        _ => Scalar::Null,
    }
}

fn call(name: &str, args: Vec<Scalar>) -> Scalar {
    match name {
        "coalesce" | "ifnull" | "nvl" => args
            .into_iter()
            .find(|a| *a != Scalar::Null)
            .unwrap_or(Scalar::Null),
        "concat" => {
            let parts: Option<Vec<String>> = args.iter().map(text_of).collect();
            parts.map_or(Scalar::Null, |p| Scalar::Str(p.concat()))
        }
        "upper" => args
            .first()
            .and_then(text_of)
            .map_or(Scalar::Null, |s| Scalar::Str(s.to_uppercase())),
        "lower" => args
            .first()
            .and_then(text_of)
            .map_or(Scalar::Null, |s| Scalar::Str(s.to_lowercase())),
        // The load's wall-clock time (`columns: t = now()` in StarRocks' suite
        // test_stream_load_columns).
        "now" | "current_timestamp" => {
            let ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            Scalar::Str(crate::engine::datetime_text(ms))
        }
        // Date parts of a `YYYY-MM-DD[ hh:mm:ss]` text (Doris' suite test_stream_load_new loads
        // `year = year(tmp_c3)`); anything else is NULL, as a failed cast is.
        "year" | "month" | "day" => {
            let Some(text) = args.first().and_then(text_of) else {
                return Scalar::Null;
            };
            let date = text.trim().split([' ', 'T']).next().unwrap_or_default();
            let parts: Vec<&str> = date.split('-').collect();
            let at = match name {
                "year" => 0,
                "month" => 1,
                _ => 2,
            };
            match (
                parts.len(),
                parts.get(at).and_then(|p| p.parse::<u32>().ok()),
            ) {
                (3, Some(n)) => Scalar::Num(n.to_string()),
                _ => Scalar::Null,
            }
        }
        // BITMAP / HLL builders (`columns: visit_users = to_bitmap(user_id)` in the vendors' UV
        // examples), as the engine defines them.
        "to_bitmap" => sketches::to_bitmap(args.first().and_then(text_of).as_deref())
            .map_or(Scalar::Null, Scalar::Str),
        "bitmap_from_base64" => {
            sketches::bitmap_from_base64(args.first().and_then(text_of).as_deref())
                .map_or(Scalar::Null, Scalar::Str)
        }
        "bitmap_hash" => Scalar::Str(sketches::bitmap_hash(
            args.first().and_then(text_of).as_deref(),
        )),
        "hll_hash" => Scalar::Str(sketches::hll_hash(
            args.first().and_then(text_of).as_deref(),
        )),
        "bitmap_empty" | "hll_empty" => Scalar::Str(String::new()),
        "abs" => match args.first().and_then(text_of) {
            Some(s) => Scalar::Num(s.trim_start_matches('-').to_string()),
            None => Scalar::Null,
        },
        _ => {
            // "if"
            let mut args = args.into_iter();
            let cond = args.next().and_then(|c| c.truthy()).unwrap_or(false);
            let (then, otherwise) = (
                args.next().unwrap_or(Scalar::Null),
                args.next().unwrap_or(Scalar::Null),
            );
            if cond { then } else { otherwise }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        match name {
            "a" => Some("3".into()),
            "b" => Some("4".into()),
            "s" => Some("x".into()),
            _ => None,
        }
    }

    #[test]
    fn arithmetic_keeps_integers_exact() {
        assert_eq!(
            parse_expr("a + b * 2").unwrap().eval(&lookup),
            Scalar::Num("11".into())
        );
        assert_eq!(
            parse_expr("`a` / 2").unwrap().eval(&lookup),
            Scalar::Num("1.5".into())
        );
        assert_eq!(
            parse_expr("-a").unwrap().eval(&lookup),
            Scalar::Num("-3".into())
        );
    }

    #[test]
    fn predicates() {
        assert!(parse_expr("a > 2 and s = 'x'").unwrap().matches(&lookup));
        assert!(
            !parse_expr("a > 2 and not s = 'x'")
                .unwrap()
                .matches(&lookup)
        );
        assert!(
            parse_expr("z is null or a in (1, 3)")
                .unwrap()
                .matches(&lookup)
        );
        assert!(!parse_expr("z = 1").unwrap().matches(&lookup));
        assert!(parse_expr("a <> b").unwrap().matches(&lookup));
    }

    #[test]
    fn functions_and_rejections() {
        assert_eq!(
            parse_expr("concat(s, 'y')").unwrap().eval(&lookup),
            Scalar::Str("xy".into())
        );
        assert_eq!(
            parse_expr("ifnull(z, 'd')").unwrap().eval(&lookup),
            Scalar::Str("d".into())
        );
        let err = parse_expr("md5(a)").unwrap_err();
        assert!(
            err.contains("md5") && err.contains("not supported"),
            "{err}"
        );
        // Bitmap and HLL builders (values as the engine keeps them: members as text).
        assert_eq!(
            parse_expr("to_bitmap(a)").unwrap().eval(&lookup),
            Scalar::Str("3".into())
        );
        assert_eq!(
            parse_expr("to_bitmap(s)").unwrap().eval(&lookup),
            Scalar::Null
        );
        assert_eq!(
            parse_expr("to_bitmap(z)").unwrap().eval(&lookup),
            Scalar::Str(String::new())
        );
        let hashed = parse_expr("bitmap_hash(s)").unwrap().eval(&lookup);
        assert!(
            matches!(&hashed, Scalar::Str(h) if h.parse::<u32>().is_ok()),
            "{hashed:?}"
        );
        assert!(parse_expr("a +").is_err());
        let date = |n: &str| -> Option<String> { (n == "d").then(|| "2017-10-09 06:00:00".into()) };
        assert_eq!(
            parse_expr("month(d)").unwrap().eval(&date),
            Scalar::Num("10".into())
        );
        assert_eq!(
            parse_expr("day(d)").unwrap().eval(&date),
            Scalar::Num("9".into())
        );
    }
}
