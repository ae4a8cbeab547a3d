//! Range and list partitions: which rows a table can hold at all.
//!
//! A row whose partition column fits no partition is not stored by either server: Doris' sink
//! filters it ("no partition for this tuple"), StarRocks' too ("The row is out of partition
//! ranges"), and both count it as a filtered row (Doris' suite
//! test_stream_load_strict_mode_and_filter_ratio, "no partition" cases). So the partitions the
//! DDL declares are kept — with single-column `RANGE` (`LESS THAN`, `[lower, upper)`) or `LIST`
//! (`IN`) — and checked per row. Forms the emulator does not model (automatic and dynamic
//! partitions, expressions, several partition columns, `FROM … TO … INTERVAL`) keep every row,
//! as before.

use super::lexer::Token;
use super::schema::{Column, ColumnType, Value};

/// The partitions of a table, with bounds as written in the DDL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partitions {
    /// The partition column.
    pub column: String,
    /// The partitions.
    pub kind: PartitionKind,
}

/// Range or list partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionKind {
    /// `[lower, upper)` per partition (`None`: MINVALUE / MAXVALUE), with the partition names.
    Range(Vec<(String, Option<String>, Option<String>)>),
    /// The values of each partition (`None`: NULL), with the partition names.
    List(Vec<(String, Vec<Option<String>>)>),
}

struct Tokens<'a> {
    t: &'a [Token],
    pos: usize,
}

impl Tokens<'_> {
    fn kw(&mut self, kw: &str) -> Option<()> {
        let hit = self.t.get(self.pos).is_some_and(|t| t.is_kw(kw));
        hit.then(|| self.pos += 1)
    }
    fn punct(&mut self, c: char) -> Option<()> {
        let hit = self.t.get(self.pos) == Some(&Token::Punct(c));
        hit.then(|| self.pos += 1)
    }
    fn name(&mut self) -> Option<String> {
        match self.t.get(self.pos)? {
            Token::Word(w) | Token::Quoted(w) => {
                self.pos += 1;
                Some(w.clone())
            }
            _ => None,
        }
    }
    /// A bound: a string or number literal, `MAXVALUE` / `NULL` as `None`.
    fn value(&mut self) -> Option<Option<String>> {
        if self.kw("MAXVALUE").is_some() || self.kw("NULL").is_some() {
            return Some(None);
        }
        let neg = self.punct('-').is_some();
        match self.t.get(self.pos)? {
            Token::Str(s) | Token::Number(s) => {
                self.pos += 1;
                Some(Some(if neg { format!("-{s}") } else { s.clone() }))
            }
            _ => None,
        }
    }
    /// `( v )` with exactly one value.
    fn one(&mut self) -> Option<Option<String>> {
        self.punct('(')?;
        let v = self.value()?;
        self.punct(')')?;
        Some(v)
    }
}

/// Reads the tokens after `PARTITION BY` (up to `DISTRIBUTED` / `PROPERTIES`); `None` for the
/// forms not modelled (see the module docs).
pub(crate) fn parse(tokens: &[Token]) -> Option<Partitions> {
    let mut t = Tokens { t: tokens, pos: 0 };
    let range = if t.kw("RANGE").is_some() {
        true
    } else {
        t.kw("LIST")?;
        false
    };
    t.punct('(')?;
    let column = t.name()?;
    t.punct(')')?;
    t.punct('(')?;
    let mut ranges = Vec::new();
    let mut lists = Vec::new();
    let mut previous_upper: Option<String> = None;
    loop {
        t.kw("PARTITION")?;
        t.kw("IF")
            .and_then(|_| t.kw("NOT"))
            .and_then(|_| t.kw("EXISTS"));
        let name = t.name()?;
        t.kw("VALUES")?;
        if range && t.kw("LESS").is_some() {
            t.kw("THAN")?;
            let upper = match t.kw("MAXVALUE") {
                Some(()) => None,
                None => t.one()?,
            };
            ranges.push((name, previous_upper.take(), upper.clone()));
            previous_upper = upper;
        } else if range {
            t.punct('[')?;
            let lower = t.one()?;
            t.punct(',')?;
            let upper = t.one()?;
            t.punct(')')?;
            previous_upper = upper.clone();
            ranges.push((name, lower, upper));
        } else {
            t.kw("IN")?;
            t.punct('(')?;
            let mut values = vec![t.value().or_else(|| t.one())?];
            while t.punct(',').is_some() {
                values.push(t.value().or_else(|| t.one())?);
            }
            t.punct(')')?;
            lists.push((name, values));
        }
        // Per-partition properties: `("replication_num" = "1")`.
        if t.punct('(').is_some() {
            let mut depth = 1;
            while depth > 0 {
                match t.t.get(t.pos)? {
                    Token::Punct('(') => depth += 1,
                    Token::Punct(')') => depth -= 1,
                    _ => {}
                }
                t.pos += 1;
            }
        }
        if t.punct(',').is_none() {
            break;
        }
    }
    t.punct(')')?;
    if t.pos != tokens.len() {
        return None;
    }
    let kind = if range {
        PartitionKind::Range(ranges)
    } else {
        PartitionKind::List(lists)
    };
    Some(Partitions { column, kind })
}

/// The smallest value of an integer column type: a range starting there also holds NULL
/// (both servers order NULL first).
fn type_min(ty: &ColumnType) -> Option<i128> {
    Some(match ty {
        ColumnType::TinyInt => i8::MIN.into(),
        ColumnType::SmallInt => i16::MIN.into(),
        ColumnType::Int => i32::MIN.into(),
        ColumnType::BigInt => i64::MIN.into(),
        ColumnType::LargeInt => i128::MIN,
        _ => return None,
    })
}

fn less(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => false,
        (Value::Null, _) => true,
        (_, Value::Null) => false,
        (Value::Int(x), Value::Int(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::Int(x), Value::Float(y)) => (*x as f64) < *y,
        (Value::Float(x), Value::Int(y)) => *x < (*y as f64),
        (Value::Text(x), Value::Text(y)) => x < y,
        (Value::Bool(x), Value::Bool(y)) => x < y,
        _ => false,
    }
}

/// The partitions of one table with bounds converted to the column's values, for a load.
#[derive(Debug)]
pub struct PartitionCheck {
    /// Index of the partition column in the table.
    pub index: usize,
    ranges: Vec<(Option<Value>, Option<Value>)>,
    lists: Vec<Vec<Value>>,
}

impl PartitionCheck {
    /// Converts the declared bounds with `convert` (the column's own conversion).
    pub fn new(
        partitions: &Partitions,
        index: usize,
        column: &Column,
        convert: impl Fn(&str) -> Value,
    ) -> PartitionCheck {
        let min = type_min(&column.ty);
        let mut check = PartitionCheck {
            index,
            ranges: Vec::new(),
            lists: Vec::new(),
        };
        match &partitions.kind {
            PartitionKind::Range(ranges) => {
                for (_, lower, upper) in ranges {
                    let lower = lower
                        .as_deref()
                        .map(&convert)
                        .filter(|v| !matches!((v, min), (Value::Int(i), Some(m)) if *i == m));
                    check.ranges.push((lower, upper.as_deref().map(&convert)));
                }
            }
            PartitionKind::List(lists) => {
                for (_, values) in lists {
                    let values = values
                        .iter()
                        .map(|v| v.as_deref().map_or(Value::Null, &convert))
                        .collect();
                    check.lists.push(values);
                }
            }
        }
        check
    }

    /// True when some partition holds `value`.
    pub fn fits(&self, value: &Value) -> bool {
        if !self.lists.is_empty() {
            return self.lists.iter().flatten().any(|v| v == value);
        }
        self.ranges.iter().any(|(lower, upper)| {
            let above = match lower {
                None => true,
                Some(l) => !matches!(value, Value::Null) && !less(value, l),
            };
            let below = upper.as_ref().is_none_or(|u| less(value, u));
            above && below
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::lexer::tokenize;

    #[test]
    fn less_than_fixed_and_list_forms() {
        let p = parse(&tokenize("RANGE(`id`) (PARTITION p0 VALUES LESS THAN (\"60\"), PARTITION `p1` VALUES LESS THAN (\"80\"))").unwrap()).unwrap();
        assert_eq!(
            p.kind,
            PartitionKind::Range(vec![
                ("p0".into(), None, Some("60".into())),
                ("p1".into(), Some("60".into()), Some("80".into())),
            ])
        );
        let p = parse(&tokenize("RANGE(k1) (PARTITION a VALUES [(\"-9\"), (\"10\")), PARTITION d VALUES [(\"10\"), (MAXVALUE)))").unwrap()).unwrap();
        assert!(
            matches!(&p.kind, PartitionKind::Range(r) if r[1].2.is_none() && r[0].1.as_deref() == Some("-9"))
        );
        let p = parse(
            &tokenize(
                "LIST(city) (PARTITION p1 VALUES IN (\"a\", \"b\"), PARTITION p2 VALUES IN (NULL))",
            )
            .unwrap(),
        )
        .unwrap();
        assert!(matches!(&p.kind, PartitionKind::List(l) if l[1].1 == vec![None]));
        assert!(parse(&tokenize("RANGE(dt) ()").unwrap()).is_none());
        assert!(parse(&tokenize("RANGE(date_trunc(dt, 'day')) ()").unwrap()).is_none());
    }

    #[test]
    fn rows_outside_every_range_do_not_fit() {
        let p = parse(&tokenize("RANGE(id) (PARTITION p0 VALUES LESS THAN (\"60\"), PARTITION p1 VALUES LESS THAN (\"80\"))").unwrap()).unwrap();
        let column = Column {
            name: "id".into(),
            ty: ColumnType::Int,
            nullable: true,
            is_key: true,
            aggregation: None,
            default: None,
            comment: None,
            hidden: false,
        };
        let check = PartitionCheck::new(&p, 0, &column, |s| Value::Int(s.parse().unwrap()));
        assert!(check.fits(&Value::Int(1)) && check.fits(&Value::Int(79)));
        assert!(check.fits(&Value::Null), "NULL sorts first");
        assert!(!check.fits(&Value::Int(80)) && !check.fits(&Value::Int(100)));
    }
}
