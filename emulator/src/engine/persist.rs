//! Catalog and transaction persistence for `--data-dir`: databases, the transaction and label
//! table, and the staged rows of PRECOMMITTED transactions, in `meta.sqlite`.
//!
//! Table rows and table DDL live in the per-database files of [`super::storage`]; this file
//! holds what is needed to rebuild the database list and the transaction table on restart
//! (its `tables` table is only read, for data dirs written before the DDL moved). Every write
//! is one SQLite transaction in WAL mode, so a kill leaves a transaction's state and its staged
//! rows together or not at all; how this file and the table files stay in step across a crash
//! is explained in [`super::table_files`]. Without a data dir every call is a no-op.

use std::path::Path;

use rusqlite::{Connection, params};

use super::schema::Value;
use super::txn_table::{TablePart, TxnRecord};
use super::txn_types::{EngineError, RowOp, StagedRow, TxnInfo, TxnState, WriteMode};

/// The metadata store.
#[derive(Debug)]
pub(crate) struct Meta {
    conn: Option<Connection>,
}

/// What a restart restores.
#[derive(Debug, Default)]
pub(crate) struct Restored {
    /// (name, id)
    pub(crate) databases: Vec<(String, i64)>,
    /// (db, DDL text), as data dirs from before the DDL record kept them.
    pub(crate) legacy_tables: Vec<(String, String)>,
    pub(crate) txns: Vec<TxnRecord>,
}

fn encode(values: &[Option<Value>]) -> String {
    let items: Vec<serde_json::Value> = values
        .iter()
        .map(|v| match v {
            None => serde_json::Value::Null,
            Some(Value::Null) => "N".into(),
            Some(Value::Bool(b)) => format!("B{}", u8::from(*b)).into(),
            Some(Value::Int(i)) => format!("I{i}").into(),
            Some(Value::Float(f)) => format!("F{f}").into(),
            Some(Value::Text(s)) => format!("T{s}").into(),
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}

fn decode(text: &str) -> Vec<Option<Value>> {
    let items: Vec<Option<String>> = serde_json::from_str(text).unwrap_or_default();
    items
        .into_iter()
        .map(|item| {
            let s = item?;
            let (tag, rest) = s.split_at(1.min(s.len()));
            Some(match tag {
                "B" => Value::Bool(rest == "1"),
                "I" => rest.parse().map(Value::Int).unwrap_or(Value::Null),
                "F" => rest.parse().map(Value::Float).unwrap_or(Value::Null),
                "T" => Value::Text(rest.to_string()),
                _ => Value::Null,
            })
        })
        .collect()
}

impl Meta {
    pub(crate) fn open(dir: Option<&Path>) -> Result<Meta, EngineError> {
        let Some(dir) = dir else {
            return Ok(Meta { conn: None });
        };
        let conn = Connection::open(dir.join("meta.sqlite"))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS databases (name TEXT PRIMARY KEY, id INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS tables (db TEXT, name TEXT, ddl TEXT NOT NULL,
                 PRIMARY KEY (db, name));
             CREATE TABLE IF NOT EXISTS txns (id INTEGER PRIMARY KEY, db TEXT, db_id INTEGER,
                 tbl TEXT, label TEXT, state TEXT, abort_reason TEXT, coordinator_be INTEGER,
                 rows_staged INTEGER, created_ms INTEGER, finished_ms INTEGER,
                 precommitted_ms INTEGER, timeout_ms INTEGER, partial INTEGER,
                 merge_condition TEXT, precommit_timeout_ms INTEGER);
             CREATE TABLE IF NOT EXISTS staged (txn_id INTEGER, seq INTEGER, op INTEGER,
                 vals TEXT, PRIMARY KEY (txn_id, seq));
             CREATE TABLE IF NOT EXISTS multi_txns (txn_id INTEGER PRIMARY KEY);
             CREATE TABLE IF NOT EXISTS staged_parts (txn_id INTEGER, part INTEGER,
                 tbl TEXT NOT NULL, partial INTEGER, merge_condition TEXT, seq INTEGER,
                 op INTEGER, vals TEXT, PRIMARY KEY (txn_id, part, seq));",
        )?;
        Ok(Meta { conn: Some(conn) })
    }

    pub(crate) fn save_database(&self, name: &str, id: i64) -> Result<(), EngineError> {
        if let Some(c) = &self.conn {
            c.execute(
                "INSERT OR REPLACE INTO databases VALUES (?1, ?2)",
                params![name, id],
            )?;
        }
        Ok(())
    }

    /// Forgets a database with its transactions (labels belong to the database).
    pub(crate) fn drop_database(&self, name: &str, id: i64) -> Result<(), EngineError> {
        if let Some(c) = &self.conn {
            let tx = c.unchecked_transaction()?;
            tx.execute("DELETE FROM databases WHERE name = ?1", [name])?;
            tx.execute("DELETE FROM tables WHERE db = ?1", [name])?;
            tx.execute(
                "DELETE FROM staged WHERE txn_id IN (SELECT id FROM txns WHERE db_id = ?1)",
                [id],
            )?;
            for table in ["multi_txns", "staged_parts"] {
                tx.execute(
                    &format!(
                        "DELETE FROM {table} WHERE txn_id IN (SELECT id FROM txns WHERE db_id = ?1)"
                    ),
                    [id],
                )?;
            }
            tx.execute("DELETE FROM txns WHERE db_id = ?1", [id])?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Writes a transaction's state; staged rows are written when it becomes PRECOMMITTED and
    /// removed when it finishes — in the same SQLite transaction as the state.
    pub(crate) fn save_txn(&self, rec: &TxnRecord) -> Result<(), EngineError> {
        let Some(c) = &self.conn else {
            return Ok(());
        };
        let i = &rec.info;
        let tx = c.unchecked_transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO txns VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
            params![
                i.id,
                i.db,
                i.db_id,
                i.table,
                i.label,
                i.state.doris_name(),
                i.abort_reason,
                i.coordinator_be as i64,
                i.rows_staged as i64,
                i.created_ms,
                i.finished_ms,
                i.precommitted_ms,
                rec.timeout_ms,
                rec.write.partial_columns,
                rec.write.merge_condition,
                rec.precommit_timeout_ms,
            ],
        )?;
        if rec.multi {
            tx.execute("INSERT OR IGNORE INTO multi_txns VALUES (?1)", [i.id])?;
            save_parts(&tx, rec)?;
        }
        match i.state {
            TxnState::Precommitted => {
                tx.execute("DELETE FROM staged WHERE txn_id = ?1", [i.id])?;
                let mut st = tx.prepare("INSERT INTO staged VALUES (?1, ?2, ?3, ?4)")?;
                for (seq, row) in rec.rows.iter().enumerate() {
                    let op = i64::from(row.op == RowOp::Delete);
                    st.execute(params![i.id, seq as i64, op, encode(&row.values)])?;
                }
            }
            TxnState::Visible | TxnState::Aborted => {
                tx.execute("DELETE FROM staged WHERE txn_id = ?1", [i.id])?;
            }
            _ => {}
        }
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn forget_txn(&self, id: i64) -> Result<(), EngineError> {
        if let Some(c) = &self.conn {
            let tx = c.unchecked_transaction()?;
            tx.execute("DELETE FROM txns WHERE id = ?1", [id])?;
            tx.execute("DELETE FROM staged WHERE txn_id = ?1", [id])?;
            tx.execute("DELETE FROM multi_txns WHERE txn_id = ?1", [id])?;
            tx.execute("DELETE FROM staged_parts WHERE txn_id = ?1", [id])?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Reads everything back.
    pub(crate) fn restore(&self) -> Result<Restored, EngineError> {
        let Some(c) = &self.conn else {
            return Ok(Restored::default());
        };
        let mut out = Restored::default();
        let mut st = c.prepare("SELECT name, id FROM databases ORDER BY id")?;
        out.databases = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut st = c.prepare("SELECT db, ddl FROM tables")?;
        out.legacy_tables = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut st = c.prepare("SELECT * FROM txns ORDER BY id")?;
        let txns: Vec<TxnRecord> = st
            .query_map([], |r| {
                let state: String = r.get(5)?;
                Ok(TxnRecord {
                    info: TxnInfo {
                        id: r.get(0)?,
                        db: r.get(1)?,
                        db_id: r.get(2)?,
                        table: r.get(3)?,
                        label: r.get(4)?,
                        state: TxnState::from_doris_name(&state).unwrap_or(TxnState::Aborted),
                        abort_reason: r.get(6)?,
                        coordinator_be: r.get::<_, i64>(7)? as usize,
                        rows_staged: r.get::<_, i64>(8)? as u64,
                        created_ms: r.get(9)?,
                        finished_ms: r.get(10)?,
                        precommitted_ms: r.get(11)?,
                    },
                    timeout_ms: r.get(12)?,
                    precommit_timeout_ms: r.get(15)?,
                    write: WriteMode {
                        partial_columns: r.get(13)?,
                        merge_condition: r.get(14)?,
                    },
                    rows: Vec::new(),
                    multi: false,
                    parts: Vec::new(),
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut st = c.prepare("SELECT op, vals FROM staged WHERE txn_id = ?1 ORDER BY seq")?;
        let multi = multi_ids(c)?;
        for mut t in txns {
            if multi.contains(&t.info.id) {
                t.multi = true;
                t.parts = load_parts(c, t.info.id)?;
            }
            if t.info.state == TxnState::Precommitted {
                t.rows = st
                    .query_map([t.info.id], |r| {
                        let op: i64 = r.get(0)?;
                        let vals: String = r.get(1)?;
                        Ok(StagedRow {
                            op: if op == 1 {
                                RowOp::Delete
                            } else {
                                RowOp::Upsert
                            },
                            values: decode(&vals),
                        })
                    })?
                    .collect::<Result<_, _>>()?;
            }
            out.txns.push(t);
        }
        Ok(out)
    }
}

/// Writes the parts of a multi-table transaction: their rows while PRECOMMITTED (as `staged`
/// keeps a one-table transaction's), only their tables otherwise.
fn save_parts(tx: &rusqlite::Transaction<'_>, rec: &TxnRecord) -> Result<(), EngineError> {
    let id = rec.info.id;
    tx.execute("DELETE FROM staged_parts WHERE txn_id = ?1", [id])?;
    let keep_rows = rec.info.state == TxnState::Precommitted;
    let mut st = tx.prepare("INSERT INTO staged_parts VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
    for (n, p) in rec.parts.iter().enumerate() {
        let (partial, cond) = (p.write.partial_columns, p.write.merge_condition.as_deref());
        // Sequence -1 names the table even when it has no rows to keep.
        st.execute(params![
            id, n as i64, p.table, partial, cond, -1i64, 0i64, ""
        ])?;
        if keep_rows {
            for (seq, row) in p.rows.iter().enumerate() {
                let op = i64::from(row.op == RowOp::Delete);
                let vals = encode(&row.values);
                st.execute(params![
                    id, n as i64, p.table, partial, cond, seq as i64, op, vals
                ])?;
            }
        }
    }
    Ok(())
}

fn multi_ids(c: &Connection) -> Result<std::collections::HashSet<i64>, EngineError> {
    let mut st = c.prepare("SELECT txn_id FROM multi_txns")?;
    let ids = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(ids)
}

fn load_parts(c: &Connection, id: i64) -> Result<Vec<TablePart>, EngineError> {
    let mut st = c.prepare(
        "SELECT part, tbl, partial, merge_condition, seq, op, vals FROM staged_parts
         WHERE txn_id = ?1 ORDER BY part, seq",
    )?;
    let mut rows = st.query([id])?;
    let mut parts: Vec<(i64, TablePart)> = Vec::new();
    while let Some(r) = rows.next()? {
        let n: i64 = r.get(0)?;
        if parts.last().is_none_or(|(last, _)| *last != n) {
            let write = WriteMode {
                partial_columns: r.get(2)?,
                merge_condition: r.get(3)?,
            };
            let table = r.get(1)?;
            parts.push((
                n,
                TablePart {
                    table,
                    write,
                    rows: Vec::new(),
                },
            ));
        }
        if r.get::<_, i64>(4)? >= 0
            && let Some((_, part)) = parts.last_mut()
        {
            let op: i64 = r.get(5)?;
            let vals: String = r.get(6)?;
            part.rows.push(StagedRow {
                op: if op == 1 {
                    RowOp::Delete
                } else {
                    RowOp::Upsert
                },
                values: decode(&vals),
            });
        }
    }
    Ok(parts.into_iter().map(|(_, p)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};
    use crate::engine::Value;

    #[test]
    fn staged_values_round_trip_through_their_text_form() {
        let values = vec![
            None,
            Some(Value::Null),
            Some(Value::Bool(true)),
            Some(Value::Int(i128::MIN)),
            Some(Value::Float(-0.1)),
            Some(Value::Text(String::new())),
            Some(Value::Text("T\"quoted\", N, 日本".into())),
        ];
        assert_eq!(decode(&encode(&values)), values);
    }
}
