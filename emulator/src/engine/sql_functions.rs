//! The servers' SQL functions SQLite lacks or defines differently, registered on every SQLite
//! connection: BITMAP / HLL functions (so `SELECT bitmap_union_count(visit_users) FROM page_uv`
//! works; the emulator stores a bitmap or HLL as its members in text, `"1,5,9"`, so counts are
//! exact, and builds them as [`super::sketches`] says), MySQL's byte-counting `length` next to
//! `char_length`, and `year` / `month` / `day` / `to_date` over the emulator's date text.

use std::collections::BTreeSet;

use rusqlite::Connection;
use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::types::{Value as SqlValue, ValueRef};

use super::sketches;

type Members = BTreeSet<String>;

fn members(v: ValueRef<'_>) -> Members {
    match v {
        ValueRef::Null => Members::new(),
        ValueRef::Integer(i) => std::iter::once(i.to_string()).collect(),
        ValueRef::Real(f) => std::iter::once(f.to_string()).collect(),
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t)
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
    }
}

/// A scalar argument as text (`None` = NULL).
fn arg_text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

fn render(set: &Members) -> String {
    let mut v: Vec<&String> = set.iter().collect();
    v.sort_by(|a, b| match (a.parse::<i128>(), b.parse::<i128>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    });
    v.into_iter().cloned().collect::<Vec<_>>().join(",")
}

/// Folds its argument's members into one set; finishes as a count or as the set's text.
struct UnionOf {
    count: bool,
}

impl Aggregate<Members, SqlValue> for UnionOf {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Members> {
        Ok(Members::new())
    }

    fn step(&self, ctx: &mut Context<'_>, acc: &mut Members) -> rusqlite::Result<()> {
        acc.extend(members(ctx.get_raw(0)));
        Ok(())
    }

    fn finalize(&self, _: &mut Context<'_>, acc: Option<Members>) -> rusqlite::Result<SqlValue> {
        let set = acc.unwrap_or_default();
        Ok(if self.count {
            SqlValue::Integer(set.len() as i64)
        } else {
            SqlValue::Text(render(&set))
        })
    }
}

/// Registers the functions on `conn`.
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    for name in ["bitmap_count", "hll_cardinality"] {
        conn.create_scalar_function(name, 1, flags, |ctx| {
            Ok(members(ctx.get_raw(0)).len() as i64)
        })?;
    }
    conn.create_scalar_function("bitmap_to_string", 1, flags, |ctx| {
        let set = members(ctx.get_raw(0));
        Ok((!set.is_empty()).then(|| render(&set)))
    })?;
    conn.create_scalar_function("to_bitmap", 1, flags, |ctx| {
        Ok(sketches::to_bitmap(arg_text(ctx.get_raw(0)).as_deref()))
    })?;
    conn.create_scalar_function("bitmap_from_base64", 1, flags, |ctx| {
        Ok(sketches::bitmap_from_base64(
            arg_text(ctx.get_raw(0)).as_deref(),
        ))
    })?;
    conn.create_scalar_function("bitmap_hash", 1, flags, |ctx| {
        Ok(sketches::bitmap_hash(arg_text(ctx.get_raw(0)).as_deref()))
    })?;
    conn.create_scalar_function("hll_hash", 1, flags, |ctx| {
        Ok(sketches::hll_hash(arg_text(ctx.get_raw(0)).as_deref()))
    })?;
    for name in ["bitmap_empty", "hll_empty"] {
        conn.create_scalar_function(name, 0, flags, |_| Ok(String::new()))?;
    }
    // MySQL / Doris / StarRocks LENGTH counts bytes; SQLite's counts characters.
    conn.create_scalar_function("length", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Null => None,
            ValueRef::Text(t) | ValueRef::Blob(t) => Some(t.len() as i64),
            ValueRef::Integer(i) => Some(i.to_string().len() as i64),
            ValueRef::Real(f) => Some(f.to_string().len() as i64),
        })
    })?;
    for name in ["char_length", "character_length"] {
        conn.create_scalar_function(name, 1, flags, |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Null => None,
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    Some(String::from_utf8_lossy(t).chars().count() as i64)
                }
                ValueRef::Integer(i) => Some(i.to_string().len() as i64),
                ValueRef::Real(f) => Some(f.to_string().len() as i64),
            })
        })?;
    }
    // Dates are `YYYY-MM-DD[ HH:MM:SS[.ffffff]]` text.
    for (name, range) in [("year", 0..4), ("month", 5..7), ("day", 8..10)] {
        conn.create_scalar_function(name, 1, flags, move |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Text(t) => std::str::from_utf8(t)
                    .ok()
                    .and_then(|s| s.get(range.clone()))
                    .and_then(|p| p.parse::<i64>().ok()),
                _ => None,
            })
        })?;
    }
    conn.create_scalar_function("to_date", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Text(t) => std::str::from_utf8(t)
                .ok()
                .and_then(|s| s.get(0..10))
                .map(str::to_string),
            _ => None,
        })
    })?;
    conn.create_scalar_function("bitmap_contains", 2, flags, |ctx| {
        let set = members(ctx.get_raw(0));
        let probe = members(ctx.get_raw(1));
        Ok(probe.iter().all(|p| set.contains(p)) && !probe.is_empty())
    })?;
    for name in [
        "bitmap_union_count",
        "hll_union_agg",
        "approx_count_distinct_hll",
    ] {
        conn.create_aggregate_function(name, 1, flags, UnionOf { count: true })?;
    }
    for name in ["bitmap_union", "hll_union", "hll_raw_agg"] {
        conn.create_aggregate_function(name, 1, flags, UnionOf { count: false })?;
    }
    Ok(())
}
