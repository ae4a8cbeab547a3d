//! The sync's durable state (checkpoint + binlog position + tracked schemas, one JSON file
//! replaced atomically), the source's table list, and binlog events turned into row changes.
//!
//! The schemas travel with the position: binlog row images carry no column names, so the
//! column list that decodes an event must be the one in force at that event, not the source's
//! current one. `ALTER TABLE` events update the tracked list as they are replayed.

use std::path::Path;

use mysql_async::binlog::events::{EventData, RowsEventData};
use mysql_async::prelude::Queryable;
use mysql_async::{BinlogStream, Conn};
use serde::{Deserialize, Serialize};
use streamload_core::{Checkpoint, Op, Result, Value};

use super::schema::{ColumnChange, SourceColumn, SourceTable, parse_alter};
use super::{SyncConfig, SyncReport, err, values};
use crate::sinks::AnySink;

/// What is stored after every checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncState {
    /// The last prepared checkpoint (committed right after it was stored).
    pub checkpoint: Option<Checkpoint>,
    /// Binlog file to continue from.
    pub binlog_file: String,
    /// Position in it.
    pub binlog_pos: u64,
    /// The synced tables, with their columns as of that position.
    pub tables: Vec<SourceTable>,
    /// The id of the next checkpoint.
    pub next_checkpoint: u64,
}

impl SyncState {
    /// The stored state, or `None` before the first snapshot.
    pub fn load(path: &Path) -> Result<Option<SyncState>> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| err(format!("{}: bad state file: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(err(format!("{}: {e}", path.display()))),
        }
    }

    /// Writes the state atomically.
    pub fn store(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("tmp");
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| err(e.to_string()))?;
        std::fs::write(&tmp, bytes).map_err(|e| err(format!("{}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, path).map_err(|e| err(format!("{}: {e}", path.display())))
    }

    /// prepare → store (with the current position) → commit.
    pub async fn checkpoint(&mut self, sink: &mut AnySink, path: &Path) -> Result<()> {
        let checkpoint = sink.prepare(self.next_checkpoint).await?;
        self.next_checkpoint += 1;
        self.checkpoint = Some(checkpoint.clone());
        self.store(path)?;
        sink.commit(&checkpoint).await
    }

    /// Applies a column change to the tracked schema of `table`.
    pub fn apply(&mut self, table: &str, change: &ColumnChange) {
        if let Some(t) = self.tables.iter_mut().find(|t| t.name == table) {
            match change {
                ColumnChange::Add(column) => t.columns.push(column.clone()),
                ColumnChange::Drop(name) => t.columns.retain(|c| &c.name != name),
            }
        }
    }
}

/// Reads the tables to sync: base tables of `source_db` that pass the filters and have a key.
pub async fn read_tables(
    conn: &mut Conn,
    config: &SyncConfig,
    log: &mut (dyn FnMut(String) + Send),
) -> Result<Vec<SourceTable>> {
    let names: Vec<String> = conn
        .exec(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? \
             AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
            (config.source_db.as_str(),),
        )
        .await
        .map_err(|e| err(format!("source table list: {e}")))?;
    let mut tables = Vec::new();
    for name in names {
        let included = config.include.as_ref().is_none_or(|r| r.is_match(&name));
        let excluded = config.exclude.as_ref().is_some_and(|r| r.is_match(&name));
        if !included || excluded {
            continue;
        }
        let columns: Vec<(String, String)> = conn
            .exec(
                "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
                (config.source_db.as_str(), name.as_str()),
            )
            .await
            .map_err(|e| err(format!("source columns of {name}: {e}")))?;
        let key: Vec<String> = conn
            .exec(
                "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE \
                 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' \
                 ORDER BY ORDINAL_POSITION",
                (config.source_db.as_str(), name.as_str()),
            )
            .await
            .map_err(|e| err(format!("source key of {name}: {e}")))?;
        if key.is_empty() {
            log(format!("skipping {name}: no primary key"));
            continue;
        }
        tables.push(SourceTable {
            db: config.source_db.clone(),
            name,
            columns: columns
                .into_iter()
                .map(|(name, column_type)| SourceColumn { name, column_type })
                .collect(),
            key,
        });
    }
    Ok(tables)
}

/// How a binlog row lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowOp {
    /// An insert (upsert).
    Insert,
    /// An update that kept the key (upsert).
    Update,
    /// A delete.
    Delete,
    /// The delete half of a key-changing update.
    KeyChangeDelete,
}

impl RowOp {
    /// The sink operation.
    pub fn op(self) -> Op {
        match self {
            RowOp::Insert | RowOp::Update => Op::Upsert,
            RowOp::Delete | RowOp::KeyChangeDelete => Op::Delete,
        }
    }

    /// Counts the row in `report`.
    pub fn count(self, report: &mut SyncReport) {
        match self {
            RowOp::Insert => report.inserts += 1,
            RowOp::Update => report.updates += 1,
            RowOp::Delete | RowOp::KeyChangeDelete => report.deletes += 1,
        }
    }
}

/// What one binlog event means for the sync.
#[derive(Debug)]
pub enum Change {
    /// The binlog continues in this file.
    Rotate(String),
    /// Row changes: (index into `SyncState::tables`, operation, values in column order).
    Rows(Vec<(usize, RowOp, Vec<Value>)>),
    /// A transaction ended (a safe checkpoint boundary).
    Commit,
    /// A column change of a synced table.
    Alter(String, ColumnChange),
}

/// The changes in one event.
pub fn changes(
    data: &EventData<'_>,
    stream: &BinlogStream,
    state: &SyncState,
    config: &SyncConfig,
) -> Result<Vec<Change>> {
    let tracked = |db: &str, table: &str| {
        (db == config.source_db)
            .then(|| state.tables.iter().position(|t| t.name == table))
            .flatten()
    };
    Ok(match data {
        EventData::RotateEvent(e) => vec![Change::Rotate(e.name().into_owned())],
        EventData::XidEvent(_) => vec![Change::Commit],
        EventData::QueryEvent(q) => {
            let query = q.query();
            let default_db = q.schema();
            match parse_alter(&query) {
                Some((db, table, change)) => {
                    let db = db.unwrap_or_else(|| default_db.into_owned());
                    match tracked(&db, &table) {
                        Some(_) => vec![Change::Alter(table, change)],
                        None => Vec::new(),
                    }
                }
                None if query.trim().eq_ignore_ascii_case("COMMIT") => vec![Change::Commit],
                None => Vec::new(),
            }
        }
        EventData::RowsEvent(rows) => {
            let Some(tme) = stream.get_tme(rows.table_id()) else {
                return Err(err("a rows event without its table map"));
            };
            let Some(index) = tracked(&tme.database_name(), &tme.table_name()) else {
                return Ok(Vec::new());
            };
            let table = &state.tables[index];
            let mut out = Vec::new();
            for row in rows.rows(tme) {
                let (before, after) = row.map_err(|e| err(format!("binlog row: {e}")))?;
                let image = |row: &mysql_async::binlog::row::BinlogRow| -> Result<Vec<Value>> {
                    if row.len() != table.columns.len() {
                        return Err(err(format!(
                            "{}: row image has {} columns, the tracked schema {}",
                            table.name,
                            row.len(),
                            table.columns.len()
                        )));
                    }
                    table
                        .columns
                        .iter()
                        .enumerate()
                        .map(|(i, c)| match row.as_ref(i) {
                            Some(v) => values::from_binlog(v, &c.name, &c.column_type),
                            None => Ok(Value::Null),
                        })
                        .collect()
                };
                match (before, after, rows) {
                    (_, Some(after), RowsEventData::WriteRowsEvent(_))
                    | (_, Some(after), RowsEventData::WriteRowsEventV1(_)) => {
                        out.push((index, RowOp::Insert, image(&after)?));
                    }
                    (Some(before), None, _) => out.push((index, RowOp::Delete, image(&before)?)),
                    (Some(before), Some(after), _) => {
                        let (old, new) = (image(&before)?, image(&after)?);
                        let key_changed = table.key.iter().any(|k| {
                            let i = table.columns.iter().position(|c| &c.name == k);
                            i.is_some_and(|i| old[i] != new[i])
                        });
                        if key_changed {
                            out.push((index, RowOp::KeyChangeDelete, old));
                        }
                        out.push((index, RowOp::Update, new));
                    }
                    (None, Some(after), _) => out.push((index, RowOp::Insert, image(&after)?)),
                    (None, None, _) => {}
                }
            }
            vec![Change::Rows(out)]
        }
        _ => Vec::new(),
    })
}
