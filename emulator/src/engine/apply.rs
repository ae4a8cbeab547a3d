//! Applies the staged rows of a committed transaction per the table model: duplicate (append),
//! unique / primary (upsert and delete by key, partial update, sequence column, merge
//! condition), aggregate (per-column SUM / MAX / MIN / REPLACE / REPLACE_IF_NOT_NULL / unions).
//!
//! Simple cases (append, plain upsert, delete) are single statements; the rest read the stored
//! row by key, merge in Rust, and write it back — all inside one SQLite transaction, which also
//! records the transaction id as applied, so a crash never leaves rows without that record.

use std::cmp::Ordering;

use rusqlite::{Connection, OptionalExtension, params_from_iter};

use super::Flavor;
use super::convert::{self, decimal_add};
use super::crash_point;
use super::schema::{Aggregation, ColumnType, KeysModel, TableSchema, Value};
use super::storage::{data_table_name, from_sql, quote_ident, to_sql};
use super::table_files;
use super::txn_types::{EngineError, RowOp, StagedRow, WriteMode};

/// Orders two stored values of a column of type `ty` (NULL lowest; decimals and LARGEINT
/// numerically; strings, dates and datetimes by their text).
pub(crate) fn compare(ty: &ColumnType, a: &Value, b: &Value) -> Ordering {
    let numeric_text = matches!(ty, ColumnType::Decimal { .. } | ColumnType::LargeInt);
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) if !numeric_text => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => match (x.parse::<f64>(), y.parse::<f64>()) {
            (Ok(fx), Ok(fy)) => fx.partial_cmp(&fy).unwrap_or(Ordering::Equal),
            _ => x.cmp(y),
        },
        _ => {
            let (fx, fy) = (as_f64(a), as_f64(b));
            fx.partial_cmp(&fy).unwrap_or(Ordering::Equal)
        }
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Null => f64::NAN,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Text(s) => s.parse().unwrap_or(f64::NAN),
    }
}

fn sum(ty: &ColumnType, old: &Value, new: &Value) -> Value {
    match (old, new) {
        (Value::Null, v) | (v, Value::Null) => v.clone(),
        (Value::Int(a), Value::Int(b)) => Value::Int(a.wrapping_add(*b)),
        (Value::Text(a), Value::Text(b)) => match ty {
            ColumnType::Decimal { scale, .. } => decimal_add(a, b, *scale)
                .map(Value::Text)
                .unwrap_or_else(|| Value::Text(b.clone())),
            _ => Value::Float(as_f64(old) + as_f64(new)),
        },
        _ => Value::Float(as_f64(old) + as_f64(new)),
    }
}

/// BITMAP_UNION / HLL_UNION over the emulator's text form: a comma-separated set of members.
fn union(old: &Value, new: &Value) -> Value {
    let mut set: Vec<String> = Vec::new();
    for v in [old, new] {
        if let Value::Text(s) = v {
            set.extend(s.split(',').filter(|p| !p.is_empty()).map(str::to_string));
        } else if let Value::Int(i) = v {
            set.push(i.to_string());
        }
    }
    set.sort_by(|a, b| match (a.parse::<i128>(), b.parse::<i128>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    });
    set.dedup();
    if set.is_empty() {
        Value::Null
    } else {
        Value::Text(set.join(","))
    }
}

fn fold(agg: Aggregation, ty: &ColumnType, old: &Value, new: &Value) -> Value {
    match agg {
        Aggregation::Sum => sum(ty, old, new),
        Aggregation::Max => match (old, new) {
            (Value::Null, v) | (v, Value::Null) => v.clone(),
            _ if compare(ty, new, old) == Ordering::Greater => new.clone(),
            _ => old.clone(),
        },
        Aggregation::Min => match (old, new) {
            (Value::Null, v) | (v, Value::Null) => v.clone(),
            _ if compare(ty, new, old) == Ordering::Less => new.clone(),
            _ => old.clone(),
        },
        Aggregation::Replace => new.clone(),
        Aggregation::ReplaceIfNotNull => match new {
            Value::Null => old.clone(),
            v => v.clone(),
        },
        Aggregation::HllUnion | Aggregation::BitmapUnion => union(old, new),
    }
}

/// Applies transaction `txn_id`'s rows to one table and marks it applied, in one SQLite
/// transaction (see [`super::table_files`]); `now_ms` (the virtual clock) fills
/// `DEFAULT CURRENT_TIMESTAMP`.
pub(crate) fn apply(
    conn: &mut Connection,
    flavor: Flavor,
    schema: &TableSchema,
    write: &WriteMode,
    txn_id: i64,
    rows: &[StagedRow],
    now_ms: i64,
) -> Result<(), EngineError> {
    apply_tables(conn, flavor, &[(schema, write, rows)], txn_id, now_ms)
}

/// Applies the rows of several tables of one database (a StarRocks multi-table transaction) in
/// one SQLite transaction, which also marks `txn_id` applied: after a crash the database file
/// holds every table's rows or none of them.
pub(crate) fn apply_tables(
    conn: &mut Connection,
    flavor: Flavor,
    tables: &[(&TableSchema, &WriteMode, &[StagedRow])],
    txn_id: i64,
    now_ms: i64,
) -> Result<(), EngineError> {
    let Some(first) = tables.first() else {
        return Ok(());
    };
    let db = first.0.db.clone();
    let tx = conn.transaction()?;
    for (i, (schema, write, rows)) in tables.iter().enumerate() {
        if i > 0 {
            crash_point::hit(crash_point::COMMIT_BETWEEN_TABLES);
        }
        write_rows(&tx, flavor, schema, write, rows, now_ms)?;
    }
    table_files::mark_applied(&tx, &db, txn_id)?;
    tx.commit()?;
    Ok(())
}

/// Writes one table's rows inside the caller's SQLite transaction.
fn write_rows(
    tx: &Connection,
    flavor: Flavor,
    schema: &TableSchema,
    write: &WriteMode,
    rows: &[StagedRow],
    now_ms: i64,
) -> Result<(), EngineError> {
    let table = format!(
        "{}.{}",
        quote_ident(&schema.db),
        quote_ident(&data_table_name(schema))
    );
    let n = schema.columns.len();
    let defaults: Vec<Value> = schema
        .columns
        .iter()
        .map(|c| match &c.default {
            Some(d) if d.eq_ignore_ascii_case("CURRENT_TIMESTAMP") => {
                let now = convert::datetime_text(now_ms);
                convert::convert(flavor, c, Some(&now), false).unwrap_or(Value::Null)
            }
            Some(d) => convert::convert(flavor, c, Some(d), false).unwrap_or(Value::Null),
            None => Value::Null,
        })
        .collect();
    let keys = schema.key_indexes();
    let placeholders = vec!["?"; n].join(", ");
    // Columns by name: after ALTER TABLE the physical order in SQLite may differ.
    let names: Vec<String> = schema
        .columns
        .iter()
        .map(|c| quote_ident(&c.name))
        .collect();
    let names = names.join(", ");
    let insert = format!("INSERT INTO {table} ({names}) VALUES ({placeholders})");
    let upsert = format!("INSERT OR REPLACE INTO {table} ({names}) VALUES ({placeholders})");
    // `IS`: a NULL in a nullable key column is a key value like any other (the servers group
    // and replace on it); SQLite's `=` never matches NULL and its PRIMARY KEY lets NULL keys
    // repeat, so a row with a NULL key is deleted by key before it is written.
    let key_where: Vec<String> = keys
        .iter()
        .map(|&i| format!("{} IS ?", quote_ident(&schema.columns[i].name)))
        .collect();
    let key_where = key_where.join(" AND ");
    let delete = format!("DELETE FROM {table} WHERE {key_where}");
    let select = format!("SELECT {names} FROM {table} WHERE {key_where}");
    let seq_idx = schema
        .sequence_column
        .as_deref()
        .and_then(|s| schema.column_index(s));
    let cond_idx = write
        .merge_condition
        .as_deref()
        .and_then(|s| schema.column_index(s));
    let partial = write.partial_columns && schema.model != KeysModel::Duplicate;
    let needs_read =
        schema.model == KeysModel::Aggregate || partial || seq_idx.is_some() || cond_idx.is_some();

    {
        let mut ins = tx.prepare(if schema.model == KeysModel::Duplicate {
            &insert
        } else {
            &upsert
        })?;
        let mut del = tx.prepare(&delete)?;
        let mut sel = tx.prepare(&select)?;
        for (i, row) in rows.iter().enumerate() {
            if i == rows.len() / 2 {
                crash_point::hit(crash_point::COMMIT_MID_APPLY);
            }
            if schema.model == KeysModel::Duplicate && row.op == RowOp::Delete {
                continue;
            }
            let key_vals: Vec<Value> = keys
                .iter()
                .map(|&i| row.values[i].clone().unwrap_or_else(|| defaults[i].clone()))
                .collect();
            let old: Option<Vec<Value>> = if needs_read && schema.model != KeysModel::Duplicate {
                sel.query_row(params_from_iter(key_vals.iter().map(to_sql)), |r| {
                    (0..n).map(|i| r.get_ref(i).map(from_sql)).collect()
                })
                .optional()?
            } else {
                None
            };
            // The sequence column and merge condition keep the greater (ties: the newer row).
            let guard = seq_idx.or(cond_idx);
            if let (Some(g), Some(old)) = (guard, &old) {
                let new_v = row.values[g].clone().unwrap_or_else(|| old[g].clone());
                if compare(&schema.columns[g].ty, &new_v, &old[g]) == Ordering::Less {
                    continue;
                }
            }
            if row.op == RowOp::Delete {
                del.execute(params_from_iter(key_vals.iter().map(to_sql)))?;
                continue;
            }
            let merged: Vec<Value> = (0..n)
                .map(|i| {
                    let col = &schema.columns[i];
                    let new = match (&row.values[i], &old) {
                        (Some(v), _) => v,
                        // Partial update keeps the stored value of a column not provided.
                        (None, Some(old)) if partial => return old[i].clone(),
                        (None, _) => &defaults[i],
                    };
                    match (&old, col.aggregation) {
                        (Some(old), Some(agg))
                            if !col.is_key && schema.model == KeysModel::Aggregate =>
                        {
                            fold(agg, &col.ty, &old[i], new)
                        }
                        _ => new.clone(),
                    }
                })
                .collect();
            if schema.model != KeysModel::Duplicate && key_vals.contains(&Value::Null) {
                del.execute(params_from_iter(key_vals.iter().map(to_sql)))?;
            }
            ins.execute(params_from_iter(merged.iter().map(to_sql)))?;
        }
    }
    Ok(())
}
