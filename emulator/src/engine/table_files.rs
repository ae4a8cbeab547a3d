//! Crash safety of the per-database table files (`db_<id>.sqlite` under `--data-dir`): how they
//! are journaled, and the two records they keep about themselves so that a SIGKILL at any
//! instant leaves the data dir consistent with `meta.sqlite`.
//!
//! # Why not one atomic commit across files
//!
//! A commit changes two files: the table file (the rows) and `meta.sqlite` (the state becomes
//! VISIBLE, the staged rows go). SQLite makes a transaction over ATTACHed databases atomic only
//! with a rollback journal on disk and a file-backed main database (the super-journal); in WAL
//! mode each file commits on its own. A rollback journal would cost a file create, write and
//! delete per commit, and the engine keeps one connection per database (SQLite attaches at most
//! ten databases per connection), so the meta file would have to be attached to many of them.
//!
//! # What is done instead: an idempotent commit keyed by transaction id
//!
//! * Every file (tables and meta) uses `journal_mode = WAL`: a writer killed mid-transaction
//!   leaves uncommitted frames that the next open ignores, so a file always opens and holds
//!   exactly its committed transactions. (The old `journal_mode = MEMORY` could leave half a
//!   transaction in the file — "database disk image is malformed".)
//! * Applying a transaction's rows also inserts its id into `__emulator_applied`, in the same
//!   SQLite transaction. The table file therefore says on its own whether a transaction's rows
//!   are in it.
//! * On restart, a transaction that `meta.sqlite` still shows running (PREPARE, PRECOMMITTED)
//!   but whose id is in `__emulator_applied` was cut between the two commits: it is rolled
//!   forward to VISIBLE without touching the rows. Any other PRECOMMITTED transaction keeps its
//!   staged rows (saved in `meta.sqlite` with its state, in one transaction), so the client's
//!   re-commit applies them exactly once. The markers are then cleared (ids are reused only
//!   across restarts), and a marker is dropped when its label is forgotten.
//! * Table DDL lives in `__emulator_tables`, written in the same SQLite transaction as the
//!   CREATE / ALTER / DROP it describes, so the restored catalog always matches the stored
//!   columns. (Data dirs from before this record take their DDL from `meta.sqlite` once.)
//!
//! # Durability
//!
//! `synchronous = NORMAL` with WAL: a commit is in the OS page cache when it returns, so it
//! survives a process kill (SIGKILL, abort, panic) but not a power loss or OS crash, which may
//! lose the last commits (never corrupt the file). The emulator is a test tool: SIGKILL safety
//! is the contract; power-loss durability is not worth an fsync per commit.

use std::collections::HashSet;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use super::schema::TableSchema;
use super::storage::{Storage, quote_ident};
use super::txn_types::EngineError;

/// Ids of transactions whose rows are in this file.
const APPLIED: &str = "__emulator_applied";
/// Table name -> the CREATE TABLE text that describes the stored table.
const TABLES: &str = "__emulator_tables";

/// Sets the journal of a freshly attached database and creates the bookkeeping tables. Returns
/// true when the file predates the DDL record (its tables are known only to `meta.sqlite`).
pub(crate) fn prepare(conn: &Connection, db: &str, on_disk: bool) -> Result<bool, EngineError> {
    let q = quote_ident(db);
    if on_disk {
        // `journal_mode` answers with a row, so it cannot go through `execute_batch`.
        let mode: String =
            conn.query_row(&format!("PRAGMA {q}.journal_mode = WAL"), [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(EngineError::Storage(format!(
                "cannot switch database {db} to WAL (journal mode {mode})"
            )));
        }
        conn.execute_batch(&format!("PRAGMA {q}.synchronous = NORMAL;"))?;
    } else {
        conn.execute_batch(&format!(
            "PRAGMA {q}.synchronous = OFF; PRAGMA {q}.journal_mode = MEMORY;"
        ))?;
    }
    let legacy = on_disk && !has_table(conn, db, TABLES)? && has_any_table(conn, db)?;
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {q}.{APPLIED} (txn_id INTEGER PRIMARY KEY);
         CREATE TABLE IF NOT EXISTS {q}.{TABLES} (name TEXT PRIMARY KEY, ddl TEXT NOT NULL);"
    ))?;
    Ok(legacy)
}

fn has_table(conn: &Connection, db: &str, name: &str) -> Result<bool, EngineError> {
    let sql = format!(
        "SELECT 1 FROM {}.sqlite_master WHERE type = 'table' AND name = ?1",
        quote_ident(db)
    );
    Ok(conn
        .query_row(&sql, [name], |_| Ok(()))
        .optional()?
        .is_some())
}

fn has_any_table(conn: &Connection, db: &str) -> Result<bool, EngineError> {
    let sql = format!(
        "SELECT 1 FROM {}.sqlite_master WHERE type = 'table' LIMIT 1",
        quote_ident(db)
    );
    Ok(conn.query_row(&sql, [], |_| Ok(())).optional()?.is_some())
}

/// Records that `txn_id`'s rows are applied; call inside the transaction that applies them.
pub(crate) fn mark_applied(conn: &Connection, db: &str, txn_id: i64) -> Result<(), EngineError> {
    conn.execute(
        &format!(
            "INSERT OR IGNORE INTO {}.{APPLIED} VALUES (?1)",
            quote_ident(db)
        ),
        [txn_id],
    )?;
    Ok(())
}

/// Records (or, with `None`, removes) a table's DDL; call inside the transaction that changes
/// the table.
pub(crate) fn record_ddl(
    conn: &Connection,
    db: &str,
    table: &str,
    ddl: Option<&str>,
) -> Result<(), EngineError> {
    let q = quote_ident(db);
    match ddl {
        Some(ddl) => conn.execute(
            &format!("INSERT OR REPLACE INTO {q}.{TABLES} VALUES (?1, ?2)"),
            [table, ddl],
        )?,
        None => conn.execute(
            &format!("DELETE FROM {q}.{TABLES} WHERE name = ?1"),
            [table],
        )?,
    };
    Ok(())
}

/// The table file and its WAL companions.
pub(crate) fn remove_files(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

impl Storage {
    /// Ids of the transactions whose rows are applied in `db`'s file.
    pub(crate) fn applied_txns(&self, db: &str) -> Result<HashSet<i64>, EngineError> {
        let conn = self.conn(db)?;
        let mut st = conn.prepare(&format!("SELECT txn_id FROM {}.{APPLIED}", quote_ident(db)))?;
        let ids = st
            .query_map([], |r| r.get(0))?
            .collect::<Result<HashSet<i64>, _>>()?;
        Ok(ids)
    }

    /// Drops the applied marks of `db` (once `meta.sqlite` agrees with all of them), or just
    /// the one of `txn_id`.
    pub(crate) fn clear_applied(&self, db: &str, txn_id: Option<i64>) -> Result<(), EngineError> {
        let conn = self.conn(db)?;
        let q = quote_ident(db);
        match txn_id {
            Some(id) => conn.execute(
                &format!("DELETE FROM {q}.{APPLIED} WHERE txn_id = ?1"),
                [id],
            )?,
            None => conn.execute(&format!("DELETE FROM {q}.{APPLIED}"), [])?,
        };
        Ok(())
    }

    /// Records the DDL of a table restored from an older data dir.
    pub(crate) fn record_table_ddl(
        &self,
        schema: &TableSchema,
        ddl: &str,
    ) -> Result<(), EngineError> {
        record_ddl(self.conn(&schema.db)?, &schema.db, &schema.name, Some(ddl))
    }

    /// The recorded CREATE TABLE texts of `db`.
    pub(crate) fn table_ddls(&self, db: &str) -> Result<Vec<String>, EngineError> {
        let conn = self.conn(db)?;
        let mut st = conn.prepare(&format!(
            "SELECT ddl FROM {}.{TABLES} ORDER BY name",
            quote_ident(db)
        ))?;
        let ddls = st
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(ddls)
    }
}
