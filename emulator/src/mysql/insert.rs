//! `INSERT INTO [db.]t [(cols)] VALUES (...), (...)` and `INSERT INTO ... SELECT ...`: parsed
//! here and loaded through the engine's transaction path (begin, stage, commit), so table models
//! apply exactly as they do for Stream Load. Values are checked strictly, like the servers'
//! `enable_insert_strict`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::engine::lexer::{Cursor, Token};
use crate::engine::{
    BeginRequest, Engine, RowOp, StagedRow, TableSchema, Value, WriteMode, datetime_text,
};

use super::dialect;
use super::reply::Reply;

fn literal(cur: &mut Cursor, engine: &Engine) -> Result<Option<String>, String> {
    match cur.next() {
        Some(Token::Str(s)) | Some(Token::Number(s)) => Ok(Some(s)),
        Some(Token::Punct(sign @ ('-' | '+'))) => match cur.next() {
            Some(Token::Number(n)) if sign == '-' => Ok(Some(format!("-{n}"))),
            Some(Token::Number(n)) => Ok(Some(n)),
            other => Err(format!("bad value after '{sign}': {other:?}")),
        },
        Some(t) if t.is_kw("NULL") => Ok(None),
        Some(t) if t.is_kw("TRUE") => Ok(Some("1".into())),
        Some(t) if t.is_kw("FALSE") => Ok(Some("0".into())),
        Some(t) if t.is_kw("NOW") || t.is_kw("CURRENT_TIMESTAMP") => {
            if cur.peek() == Some(&Token::Punct('(')) {
                cur.skip_group().map_err(|e| e.to_string())?;
            }
            Ok(Some(now_text(engine)))
        }
        Some(t) => Err(format!("unsupported value '{}' in INSERT", t.text())),
        None => Err("unexpected end of INSERT".into()),
    }
}

fn now_text(engine: &Engine) -> String {
    datetime_text(engine.now_ms())
}

fn render(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(u8::from(*b).to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Text(s) => Some(s.clone()),
    }
}

/// Runs an INSERT statement.
pub(crate) fn insert(engine: &Engine, current_db: Option<&str>, sql: &str) -> Reply {
    match run(engine, current_db, sql) {
        Ok(affected) => Reply::Ok { affected },
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
    let raw_rows: Vec<Vec<Option<String>>> = if cur.eat_kw("VALUES") || cur.eat_kw("VALUE") {
        values_rows(&mut cur, engine)?
    } else if cur
        .peek()
        .is_some_and(|t| t.is_kw("SELECT") || t.is_kw("WITH"))
    {
        let lower = sql.to_ascii_lowercase();
        let at = ["select", "with"]
            .iter()
            .filter_map(|k| find_word(&lower, k))
            .min()
            .ok_or("INSERT ... SELECT without SELECT")?;
        let query = dialect::to_sqlite(&sql[at..]);
        let result = engine.query(Some(&db), &query).map_err(|e| e.to_string())?;
        result
            .rows
            .iter()
            .map(|r| r.iter().map(render).collect())
            .collect()
    } else {
        return Err("only INSERT ... VALUES and INSERT ... SELECT are supported".into());
    };
    let rows = check_rows(engine, &schema, &targets, raw_rows)?;
    let n = rows.len() as u64;
    let label = format!(
        "insert_{:x}_{:x}",
        engine.now_ms(),
        NEXT_INSERT.fetch_add(1, Ordering::Relaxed)
    );
    let txn = engine
        .begin(BeginRequest {
            db,
            table,
            label,
            timeout: Duration::from_secs(3600),
            coordinator_be: 0,
            write: WriteMode::default(),
        })
        .map_err(|e| e.to_string())?;
    engine.stage(txn.id, rows).map_err(|e| e.to_string())?;
    engine.commit(txn.id).map_err(|e| e.to_string())?;
    Ok(n)
}

static NEXT_INSERT: AtomicU64 = AtomicU64::new(1);

/// The byte offset of `word` as a whole word in `s`.
fn find_word(s: &str, word: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    s.match_indices(word).map(|(i, _)| i).find(|&i| {
        let before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let after = bytes
            .get(i + word.len())
            .is_none_or(|b| !b.is_ascii_alphanumeric());
        before && after
    })
}

fn values_rows(cur: &mut Cursor, engine: &Engine) -> Result<Vec<Vec<Option<String>>>, String> {
    let mut rows = Vec::new();
    loop {
        cur.expect_punct('(').map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        loop {
            raw.push(literal(cur, engine)?);
            if !cur.eat_punct(',') {
                break;
            }
        }
        cur.expect_punct(')').map_err(|e| e.to_string())?;
        rows.push(raw);
        if !cur.eat_punct(',') {
            break;
        }
    }
    if !cur.at_end() {
        return Err("unexpected text after VALUES".into());
    }
    Ok(rows)
}

fn check_rows(
    engine: &Engine,
    schema: &TableSchema,
    targets: &[usize],
    raw_rows: Vec<Vec<Option<String>>>,
) -> Result<Vec<StagedRow>, String> {
    let mut rows = Vec::with_capacity(raw_rows.len());
    for (n, raw) in raw_rows.into_iter().enumerate() {
        if raw.len() != targets.len() {
            return Err(format!(
                "Column count doesn't match value count at row {}",
                n + 1
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
    }
    Ok(rows)
}
