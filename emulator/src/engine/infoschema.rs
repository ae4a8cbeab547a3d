//! `information_schema` (SCHEMATA, TABLES, COLUMNS) built from the catalog on demand, so
//! connectors that read table metadata over the MySQL port (the StarRocks Flink connector asks
//! `information_schema.COLUMNS` for `COLUMN_KEY = 'PRI'`) get the servers' answers.

use rusqlite::{Connection, params};

use super::catalog::Catalog;
use super::schema::{ColumnType, KeysModel};
use super::txn_types::EngineError;

/// Creates the tables in the attached `information_schema` database of `conn`.
pub(crate) fn create(conn: &Connection) -> Result<(), EngineError> {
    conn.execute_batch(
        "ATTACH DATABASE ':memory:' AS information_schema;
         CREATE TABLE information_schema.schemata (CATALOG_NAME TEXT, SCHEMA_NAME TEXT,
             DEFAULT_CHARACTER_SET_NAME TEXT, DEFAULT_COLLATION_NAME TEXT, SQL_PATH TEXT);
         CREATE TABLE information_schema.tables (TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT,
             TABLE_NAME TEXT, TABLE_TYPE TEXT, ENGINE TEXT, TABLE_ROWS INTEGER,
             TABLE_COMMENT TEXT);
         CREATE TABLE information_schema.columns (TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT,
             TABLE_NAME TEXT, COLUMN_NAME TEXT, ORDINAL_POSITION INTEGER, COLUMN_DEFAULT TEXT,
             IS_NULLABLE TEXT, DATA_TYPE TEXT, CHARACTER_MAXIMUM_LENGTH INTEGER,
             NUMERIC_PRECISION INTEGER, NUMERIC_SCALE INTEGER, COLUMN_TYPE TEXT,
             COLUMN_KEY TEXT, EXTRA TEXT, COLUMN_COMMENT TEXT, COLUMN_SIZE INTEGER,
             DECIMAL_DIGITS INTEGER);",
    )?;
    Ok(())
}

/// `DATA_TYPE`: the type name without arguments.
fn data_type(ty: &ColumnType) -> String {
    let full = ty.sql_name();
    let end = full.find(['(', '<']).unwrap_or(full.len());
    full[..end].to_string()
}

/// (COLUMN_SIZE, DECIMAL_DIGITS) as the servers report them.
fn size(ty: &ColumnType) -> (Option<i64>, Option<i64>) {
    match ty {
        ColumnType::TinyInt => (Some(3), Some(0)),
        ColumnType::SmallInt => (Some(5), Some(0)),
        ColumnType::Int => (Some(10), Some(0)),
        ColumnType::BigInt => (Some(19), Some(0)),
        ColumnType::LargeInt => (Some(39), Some(0)),
        ColumnType::Decimal { precision, scale } => {
            (Some(i64::from(*precision)), Some(i64::from(*scale)))
        }
        ColumnType::Char(n) | ColumnType::Varchar(n) => (Some(i64::from(*n)), None),
        _ => (None, None),
    }
}

/// Rebuilds the three tables from the catalog.
pub(crate) fn refresh(conn: &Connection, catalog: &Catalog) -> Result<(), EngineError> {
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(
        "DELETE FROM information_schema.schemata;
         DELETE FROM information_schema.tables;
         DELETE FROM information_schema.columns;",
    )?;
    {
        let mut schemata = tx.prepare(
            "INSERT INTO information_schema.schemata VALUES ('def', ?1, 'utf8mb4', 'utf8mb4_0900_bin', NULL)",
        )?;
        let mut tables = tx.prepare(
            "INSERT INTO information_schema.tables VALUES ('def', ?1, ?2, 'BASE TABLE', 'OLAP', NULL, '')",
        )?;
        let mut columns = tx.prepare(
            "INSERT INTO information_schema.columns VALUES
             ('def', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, '', ?13, ?14, ?15)",
        )?;
        for db in catalog.database_names() {
            schemata.execute([&db])?;
            let Some(d) = catalog.database(&db) else {
                continue;
            };
            for t in d.tables.values() {
                tables.execute(params![db, t.name])?;
                let key = match t.model {
                    KeysModel::Primary => "PRI",
                    KeysModel::Unique => "UNI",
                    KeysModel::Duplicate => "DUP",
                    KeysModel::Aggregate => "AGG",
                };
                for (pos, c) in t.visible_columns().enumerate() {
                    let (col_size, digits) = size(&c.ty);
                    let char_len = match c.ty {
                        ColumnType::Char(n) | ColumnType::Varchar(n) => Some(i64::from(n)),
                        _ => None,
                    };
                    let numeric = if char_len.is_none() { col_size } else { None };
                    columns.execute(params![
                        db,
                        t.name,
                        c.name,
                        pos as i64 + 1,
                        c.default,
                        if c.nullable { "YES" } else { "NO" },
                        data_type(&c.ty),
                        char_len,
                        numeric,
                        digits,
                        c.ty.sql_name(),
                        if c.is_key { key } else { "" },
                        c.comment.clone().unwrap_or_default(),
                        col_size,
                        digits,
                    ])?;
                }
            }
        }
    }
    tx.commit()?;
    Ok(())
}
