//! The servers' BITMAP / HLL SQL functions, registered on every SQLite connection so queries
//! such as `SELECT bitmap_union_count(visit_users) FROM page_uv` work. The emulator stores a
//! bitmap or HLL as its members in text (`"1,5,9"`), so counts are exact.

use std::collections::BTreeSet;

use rusqlite::Connection;
use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::types::{Value as SqlValue, ValueRef};

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
    for name in ["to_bitmap", "hll_hash", "bitmap_to_string", "bitmap_hash"] {
        conn.create_scalar_function(name, 1, flags, |ctx| {
            let set = members(ctx.get_raw(0));
            Ok((!set.is_empty()).then(|| render(&set)))
        })?;
    }
    for name in ["bitmap_empty", "hll_empty"] {
        conn.create_scalar_function(name, 0, flags, |_| Ok(String::new()))?;
    }
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
