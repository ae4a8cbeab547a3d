//! `INSERT INTO [db.]t [(cols)] VALUES (...), (...)`: parsed here and loaded through the
//! engine's transaction path (begin, stage, commit), so table models apply exactly as they do
//! for Stream Load. Values are checked strictly, like the servers' `enable_insert_strict`.

use std::time::Duration;

use crate::engine::lexer::{Cursor, Token};
use crate::engine::{BeginRequest, Engine, RowOp, StagedRow, WriteMode};

use super::reply::Reply;

fn literal(cur: &mut Cursor) -> Result<Option<String>, String> {
    match cur.next() {
        Some(Token::Str(s)) | Some(Token::Number(s)) => Ok(Some(s)),
        Some(Token::Punct('-')) => match cur.next() {
            Some(Token::Number(n)) => Ok(Some(format!("-{n}"))),
            other => Err(format!("bad value after '-': {other:?}")),
        },
        Some(Token::Punct('+')) => match cur.next() {
            Some(Token::Number(n)) => Ok(Some(n)),
            other => Err(format!("bad value after '+': {other:?}")),
        },
        Some(t) if t.is_kw("NULL") => Ok(None),
        Some(t) if t.is_kw("TRUE") => Ok(Some("1".into())),
        Some(t) if t.is_kw("FALSE") => Ok(Some("0".into())),
        Some(t) => Err(format!("unsupported value '{}' in INSERT", t.text())),
        None => Err("unexpected end of INSERT".into()),
    }
}

/// Runs an INSERT statement.
pub(crate) fn insert(engine: &Engine, current_db: Option<&str>, sql: &str) -> Reply {
    match run(engine, current_db, sql) {
        Ok(n) => Reply::Ok { affected: n },
        Err(m) => Reply::error(m),
    }
}

fn run(engine: &Engine, current_db: Option<&str>, sql: &str) -> Result<u64, String> {
    let mut cur = Cursor::new(sql).map_err(|e| e.to_string())?;
    cur.expect_kw("INSERT").map_err(|e| e.to_string())?;
    cur.eat_kw("INTO");
    let (db, table) = cur.qualified().map_err(|e| e.to_string())?;
    let db = db
        .or_else(|| current_db.map(str::to_string))
        .ok_or("No database selected")?;
    let schema = engine
        .table(&db, &table)
        .ok_or_else(|| format!("Unknown table '{table}'"))?;
    let targets: Vec<usize> = if cur.peek() == Some(&Token::Punct('(')) {
        let names = cur.ident_list().map_err(|e| e.to_string())?;
        names
            .iter()
            .map(|n| {
                schema
                    .column_index(n)
                    .ok_or_else(|| format!("Unknown column '{n}' in '{table}'"))
            })
            .collect::<Result<_, _>>()?
    } else {
        (0..schema.columns.len())
            .filter(|&i| !schema.columns[i].hidden)
            .collect()
    };
    if !(cur.eat_kw("VALUES") || cur.eat_kw("VALUE")) {
        return Err("only INSERT ... VALUES is supported".into());
    }
    let mut rows = Vec::new();
    loop {
        cur.expect_punct('(').map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        loop {
            raw.push(literal(&mut cur)?);
            if !cur.eat_punct(',') {
                break;
            }
        }
        cur.expect_punct(')').map_err(|e| e.to_string())?;
        if raw.len() != targets.len() {
            return Err(format!(
                "Column count doesn't match value count at row {}",
                rows.len() + 1
            ));
        }
        let mut values = vec![None; schema.columns.len()];
        for (&i, r) in targets.iter().zip(&raw) {
            let v = engine
                .convert(&schema.columns[i], r.as_deref(), true)
                .map_err(|reason| format!("Insert has filtered data in strict mode. {reason}"))?;
            values[i] = Some(v);
        }
        // Columns not named take their default, or NULL; NOT NULL without default is an error.
        for (i, c) in schema.columns.iter().enumerate() {
            if values[i].is_none() && c.default.is_none() && !c.nullable {
                return Err(format!(
                    "Column '{}' has no default value and is NOT NULL",
                    c.name
                ));
            }
        }
        rows.push(StagedRow {
            op: RowOp::Upsert,
            values,
        });
        if !cur.eat_punct(',') {
            break;
        }
    }
    if !cur.at_end() {
        return Err("unexpected text after VALUES".into());
    }
    let n = rows.len() as u64;
    let label = format!("insert_{}_{}", engine.now_ms(), rows.len());
    let txn = engine
        .begin(BeginRequest {
            db,
            table,
            label: format!("{label}_{:x}", rand_suffix()),
            timeout: Duration::from_secs(3600),
            coordinator_be: 0,
            write: WriteMode::default(),
        })
        .map_err(|e| e.to_string())?;
    engine.stage(txn.id, rows).map_err(|e| e.to_string())?;
    engine.commit(txn.id).map_err(|e| e.to_string())?;
    Ok(n)
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
