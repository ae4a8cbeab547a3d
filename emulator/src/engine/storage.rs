//! SQLite storage: one connection per catalog database, whose data lives in a SQLite database
//! attached under the catalog name (in memory, or `db_<id>.sqlite` under the data dir).
//!
//! Attaching under the catalog name makes `SELECT ... FROM test.student` and, after `USE test`,
//! `FROM student` work natively; one connection per database sidesteps SQLite's limit of ten
//! attached databases per connection. A scratch connection answers table-less queries. How the
//! files survive a crash is [`super::table_files`]'s concern.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, OptionalExtension};

use super::QueryResult;
use super::catalog::Catalog;
use super::lexer::{Token, tokenize};
use super::schema::{ColumnType, KeysModel, TableSchema, Value};
use super::txn_types::EngineError;
use super::{infoschema, sql_functions, table_files};

fn mentions_information_schema(tokens: &[Token]) -> bool {
    tokens.iter().any(|t| {
        matches!(t, Token::Word(w) | Token::Quoted(w) if w.eq_ignore_ascii_case("information_schema"))
    })
}

/// Quotes an SQLite identifier.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Declared SQLite type of DECIMAL columns (BLOB affinity).
pub const DECL_DECIMAL: &str = "DECIMAL_BLOB";
/// Declared SQLite type of DATE columns (TEXT affinity).
pub const DECL_DATE: &str = "DATE_TEXT";
/// Declared SQLite type of DATETIME columns (TEXT affinity).
pub const DECL_DATETIME: &str = "DATETIME_TEXT";
/// Declared SQLite type of BOOLEAN columns (INTEGER affinity): the MySQL port answers them as
/// TINYINT(1), as both servers do, so clients read booleans rather than integers.
pub const DECL_BOOLEAN: &str = "BOOLEAN_INT";
/// Declared SQLite type of BITMAP and HLL columns (TEXT affinity: the members as text, see
/// [`super::sketches`]).
pub(crate) const DECL_SKETCH: &str = "SKETCH_TEXT";

/// The SQLite declared type (and so the affinity) used for a column type.
fn sqlite_type(ty: &ColumnType) -> &'static str {
    match ty {
        ColumnType::Boolean => DECL_BOOLEAN,
        // `INT`, not `INTEGER`: an `INTEGER` primary key would be SQLite's rowid, and a NULL
        // key (legal in a nullable key column) would be stored as a generated row number.
        ColumnType::TinyInt | ColumnType::SmallInt | ColumnType::Int | ColumnType::BigInt => "INT",
        ColumnType::Float | ColumnType::Double => "REAL",
        // No affinity: LARGEINT beyond i64 stays exact text, small values integers.
        ColumnType::LargeInt => "",
        // The declared names keep the affinity SQLite derives from them (BLOB: decimals stay
        // exact text; TEXT) and tell the MySQL port the column's type (see `QueryResult`).
        ColumnType::Decimal { .. } => DECL_DECIMAL,
        ColumnType::Date => DECL_DATE,
        ColumnType::DateTime { .. } => DECL_DATETIME,
        ColumnType::Bitmap | ColumnType::Hll => DECL_SKETCH,
        _ => "TEXT",
    }
}

/// The SQLite table holding a table's rows: the table's own name, or `__base_<name>` behind a
/// view when the table has hidden columns.
pub(crate) fn data_table_name(schema: &TableSchema) -> String {
    if schema.has_hidden_columns() {
        format!("__base_{}", schema.name)
    } else {
        schema.name.clone()
    }
}

/// The SQLite column list (with the key as PRIMARY KEY for non-duplicate models).
pub(crate) fn column_defs(schema: &TableSchema) -> String {
    let mut defs: Vec<String> = schema
        .columns
        .iter()
        .map(|c| format!("{} {}", quote_ident(&c.name), sqlite_type(&c.ty)))
        .collect();
    if schema.model != KeysModel::Duplicate {
        let keys: Vec<String> = schema
            .columns
            .iter()
            .filter(|c| c.is_key)
            .map(|c| quote_ident(&c.name))
            .collect();
        defs.push(format!("PRIMARY KEY ({})", keys.join(", ")));
    }
    defs.join(", ")
}

/// Binds a [`Value`] for SQLite.
pub(crate) fn to_sql(v: &Value) -> ToSqlOutput<'_> {
    match v {
        Value::Null => ToSqlOutput::Owned(SqlValue::Null),
        Value::Bool(b) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*b))),
        Value::Int(i) => match i64::try_from(*i) {
            Ok(i) => ToSqlOutput::Owned(SqlValue::Integer(i)),
            Err(_) => ToSqlOutput::Owned(SqlValue::Text(i.to_string())),
        },
        Value::Float(f) => ToSqlOutput::Owned(SqlValue::Real(*f)),
        Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
    }
}

/// Reads an SQLite value back.
pub(crate) fn from_sql(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i128::from(i)),
        ValueRef::Real(f) => Value::Float(f),
        ValueRef::Text(t) | ValueRef::Blob(t) => Value::Text(String::from_utf8_lossy(t).into()),
    }
}

/// Drops a table's SQLite view and table, whichever of them exist.
fn drop_sqlite_table(conn: &Connection, schema: &TableSchema) -> Result<(), EngineError> {
    let db = quote_ident(&schema.db);
    let kind_of = format!("SELECT type FROM {db}.sqlite_master WHERE name = ?1");
    for name in [schema.name.clone(), data_table_name(schema)] {
        let kind: Option<String> = conn.query_row(&kind_of, [&name], |r| r.get(0)).optional()?;
        let what = match kind.as_deref() {
            Some("view") => "VIEW",
            Some("table") => "TABLE",
            _ => continue,
        };
        conn.execute(&format!("DROP {what} {db}.{}", quote_ident(&name)), [])?;
    }
    Ok(())
}

/// All SQLite connections.
#[derive(Debug)]
pub(crate) struct Storage {
    dir: Option<PathBuf>,
    /// Lower-cased catalog name -> connection with that database attached under its name.
    dbs: BTreeMap<String, Connection>,
    scratch: Connection,
}

impl Storage {
    pub(crate) fn open(dir: Option<&Path>) -> Result<Storage, EngineError> {
        if let Some(d) = dir {
            std::fs::create_dir_all(d).map_err(|e| {
                EngineError::Storage(format!("cannot create data dir {}: {e}", d.display()))
            })?;
        }
        let scratch = Connection::open_in_memory()?;
        infoschema::create(&scratch)?;
        sql_functions::register(&scratch)?;
        Ok(Storage {
            dir: dir.map(Path::to_path_buf),
            dbs: BTreeMap::new(),
            scratch,
        })
    }

    fn file_for(&self, db_id: i64) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(format!("db_{db_id}.sqlite")))
    }

    /// Opens the connection of a database (creating its file when persistent); `fresh` (a new
    /// database, not a restart) first removes any file left under this id by a database whose
    /// drop was cut short. Returns true when the file predates the DDL record (see
    /// [`table_files`]).
    pub(crate) fn attach(
        &mut self,
        db: &str,
        db_id: i64,
        fresh: bool,
    ) -> Result<bool, EngineError> {
        let conn = Connection::open_in_memory()?;
        sql_functions::register(&conn)?;
        let file = self.file_for(db_id);
        if let (Some(p), true) = (&file, fresh) {
            table_files::remove_files(p);
        }
        let target = match &file {
            Some(p) => p.to_string_lossy().into_owned(),
            None => ":memory:".to_string(),
        };
        conn.execute(
            &format!("ATTACH DATABASE ?1 AS {}", quote_ident(db)),
            [&target],
        )?;
        let legacy = table_files::prepare(&conn, db, file.is_some())?;
        self.dbs.insert(db.to_ascii_lowercase(), conn);
        Ok(legacy)
    }

    pub(crate) fn conn(&self, db: &str) -> Result<&Connection, EngineError> {
        self.dbs
            .get(&db.to_ascii_lowercase())
            .ok_or_else(|| EngineError::UnknownDatabase(db.to_string()))
    }

    pub(crate) fn conn_mut(&mut self, db: &str) -> Result<&mut Connection, EngineError> {
        self.dbs
            .get_mut(&db.to_ascii_lowercase())
            .ok_or_else(|| EngineError::UnknownDatabase(db.to_string()))
    }

    pub(crate) fn drop_database(&mut self, db: &str, db_id: i64) -> Result<(), EngineError> {
        self.dbs.remove(&db.to_ascii_lowercase());
        if let Some(p) = self.file_for(db_id) {
            table_files::remove_files(&p);
        }
        Ok(())
    }

    /// Creates a table's SQLite table (and view), recording `ddl` in the same transaction;
    /// with `ddl` (a CREATE TABLE, not a restart) a leftover of the same name is replaced.
    pub(crate) fn create_table(
        &mut self,
        schema: &TableSchema,
        ddl: Option<&str>,
    ) -> Result<(), EngineError> {
        let db = quote_ident(&schema.db);
        let conn = self.conn(&schema.db)?;
        let tx = conn.unchecked_transaction()?;
        if ddl.is_some() {
            drop_sqlite_table(&tx, schema)?;
        }
        tx.execute(
            &format!(
                "CREATE TABLE IF NOT EXISTS {db}.{} ({})",
                quote_ident(&data_table_name(schema)),
                column_defs(schema)
            ),
            [],
        )?;
        if schema.has_hidden_columns() {
            // Queries see a view without the hidden columns, as the servers show them.
            let visible: Vec<String> = schema
                .visible_columns()
                .map(|c| quote_ident(&c.name))
                .collect();
            tx.execute(
                &format!(
                    "CREATE VIEW IF NOT EXISTS {db}.{} AS SELECT {} FROM {}",
                    quote_ident(&schema.name),
                    visible.join(", "),
                    quote_ident(&data_table_name(schema)),
                ),
                [],
            )?;
        }
        if let Some(ddl) = ddl {
            table_files::record_ddl(&tx, &schema.db, &schema.name, Some(ddl))?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Drops a table's SQLite table (and view) and its DDL record, in one transaction.
    pub(crate) fn drop_table(&mut self, schema: &TableSchema) -> Result<(), EngineError> {
        let conn = self.conn(&schema.db)?;
        let tx = conn.unchecked_transaction()?;
        drop_sqlite_table(&tx, schema)?;
        table_files::record_ddl(&tx, &schema.db, &schema.name, None)?;
        tx.commit()?;
        Ok(())
    }

    /// Picks the connection for a query: the first `db.` qualifier naming a known database,
    /// else the current database, else the scratch connection.
    fn route(&self, current_db: Option<&str>, sql: &str) -> Result<&Connection, EngineError> {
        let tokens = tokenize(sql)?;
        if mentions_information_schema(&tokens) {
            return Ok(&self.scratch);
        }
        for w in tokens.windows(2) {
            if let (Token::Word(n) | Token::Quoted(n), Token::Punct('.')) = (&w[0], &w[1])
                && let Some(c) = self.dbs.get(&n.to_ascii_lowercase())
            {
                return Ok(c);
            }
        }
        match current_db {
            Some(db) => self.conn(db),
            None => Ok(&self.scratch),
        }
    }

    /// Rebuilds `information_schema` when `sql` reads it.
    pub(crate) fn prepare_information_schema(
        &self,
        sql: &str,
        catalog: &Catalog,
    ) -> Result<(), EngineError> {
        if mentions_information_schema(&tokenize(sql)?) {
            infoschema::refresh(&self.scratch, catalog)?;
        }
        Ok(())
    }

    /// Runs DELETE / UPDATE / TRUNCATE TABLE on a table's stored rows.
    pub(crate) fn execute_dml(
        &self,
        current_db: Option<&str>,
        sql: &str,
        catalog: &Catalog,
    ) -> Result<u64, EngineError> {
        let mut cur = super::lexer::Cursor::new(sql)?;
        let truncate = cur.eat_kw("TRUNCATE");
        if truncate {
            cur.eat_kw("TABLE");
        } else if cur.eat_kw("DELETE") {
            cur.expect_kw("FROM")?;
        } else {
            cur.expect_kw("UPDATE")?;
        }
        let (db, table) = cur.qualified()?;
        let db = db
            .or_else(|| current_db.map(str::to_string))
            .ok_or(EngineError::NoDatabaseSelected)?;
        let schema = catalog
            .table(&db, &table)
            .ok_or_else(|| EngineError::UnknownTable(format!("{db}.{table}")))?;
        let conn = self.conn(&db)?;
        if truncate {
            let n = conn.execute(
                &format!(
                    "DELETE FROM {}.{}",
                    quote_ident(&schema.db),
                    quote_ident(&data_table_name(schema))
                ),
                [],
            )?;
            return Ok(n as u64);
        }
        conn.execute(sql, [])
            .map(|n| n as u64)
            .map_err(|e| EngineError::Invalid(e.to_string()))
    }

    /// Runs a query and collects its rows.
    pub(crate) fn query(
        &self,
        current_db: Option<&str>,
        sql: &str,
    ) -> Result<QueryResult, EngineError> {
        let conn = self.route(current_db, sql)?;
        let mut stmt = conn
            .prepare(sql)
            .map_err(|e| EngineError::Invalid(e.to_string()))?;
        let columns: Vec<String> = stmt.column_names().map(str::to_string).collect();
        let column_types: Vec<Option<String>> = stmt
            .columns()
            .map(|c| c.decl_type().map(str::to_string))
            .collect();
        let n = columns.len();
        let mut rows = Vec::new();
        let mut it = stmt.query([])?;
        while let Some(row) = it.next()? {
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                out.push(from_sql(row.get_ref(i)?));
            }
            rows.push(out);
        }
        Ok(QueryResult {
            columns,
            rows,
            column_types,
        })
    }
}
