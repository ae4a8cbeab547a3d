//! `information_schema` (SCHEMATA, TABLES, COLUMNS, and StarRocks' TABLES_CONFIG) built from the
//! catalog on demand, so connectors that read table metadata over the MySQL port get the
//! servers' answers: the StarRocks Flink connector asks `information_schema.COLUMNS` for
//! `COLUMN_KEY = 'PRI'`, and the StarRocks SQLAlchemy dialect reflects a table from `SELECT *`
//! over TABLES, TABLES_CONFIG and COLUMNS, reading columns by name (so COLUMNS carries the
//! servers' full column list, `GENERATION_EXPRESSION` included).

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
             CHARACTER_OCTET_LENGTH INTEGER, NUMERIC_PRECISION INTEGER, NUMERIC_SCALE INTEGER,
             DATETIME_PRECISION INTEGER, CHARACTER_SET_NAME TEXT, COLLATION_NAME TEXT,
             COLUMN_TYPE TEXT, COLUMN_KEY TEXT, EXTRA TEXT, PRIVILEGES TEXT,
             COLUMN_COMMENT TEXT, COLUMN_SIZE INTEGER, DECIMAL_DIGITS INTEGER,
             GENERATION_EXPRESSION TEXT, SRS_ID INTEGER);
         CREATE TABLE information_schema.tables_config (TABLE_SCHEMA TEXT, TABLE_NAME TEXT,
             TABLE_ENGINE TEXT, TABLE_MODEL TEXT, PRIMARY_KEY TEXT, PARTITION_KEY TEXT,
             DISTRIBUTE_KEY TEXT, DISTRIBUTE_TYPE TEXT, DISTRIBUTE_BUCKET INTEGER,
             SORT_KEY TEXT, PROPERTIES TEXT, TABLE_ID INTEGER);",
    )?;
    Ok(())
}

/// `DATA_TYPE`: the type name without arguments.
fn data_type(ty: &ColumnType) -> String {
    let full = ty.sql_name();
    let end = full.find(['(', '<']).unwrap_or(full.len());
    full[..end].to_string()
}

/// True for the character types (which report a character set and collation).
fn text_type(ty: &ColumnType) -> bool {
    matches!(ty, ColumnType::Char(_) | ColumnType::Varchar(_))
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

/// `TABLE_MODEL` of TABLES_CONFIG.
fn table_model(model: KeysModel) -> &'static str {
    match model {
        KeysModel::Primary => "PRI_KEYS",
        KeysModel::Unique => "UNQ_KEYS",
        KeysModel::Duplicate => "DUP_KEYS",
        KeysModel::Aggregate => "AGG_KEYS",
    }
}

/// Rebuilds the tables from the catalog.
pub(crate) fn refresh(conn: &Connection, catalog: &Catalog) -> Result<(), EngineError> {
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(
        "DELETE FROM information_schema.schemata;
         DELETE FROM information_schema.tables;
         DELETE FROM information_schema.columns;
         DELETE FROM information_schema.tables_config;",
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
             ('def', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, NULL, ?11, ?12, ?13, ?14,
              '', 'SELECT,INSERT,UPDATE,REFERENCES', ?15, ?16, ?17, NULL, NULL)",
        )?;
        let mut config = tx.prepare(
            "INSERT INTO information_schema.tables_config VALUES
             (?1, ?2, 'OLAP', ?3, ?4, '', ?5, 'HASH', 1, ?4, ?6, ?7)",
        )?;
        for db in catalog.database_names() {
            schemata.execute([&db])?;
            let Some(d) = catalog.database(&db) else {
                continue;
            };
            for (n, t) in d.tables.values().enumerate() {
                tables.execute(params![db, t.name])?;
                // The servers quote each key column; the emulator distributes by the first key
                // column into one bucket, as its SHOW CREATE TABLE says.
                let keys: Vec<String> = t
                    .visible_columns()
                    .filter(|c| c.is_key)
                    .map(|c| format!("`{}`", c.name))
                    .collect();
                config.execute(params![
                    db,
                    t.name,
                    table_model(t.model),
                    keys.join(", "),
                    keys.first().cloned().unwrap_or_default(),
                    r#"{"replication_num":"1"}"#,
                    10_000 + n as i64,
                ])?;
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
                        text_type(&c.ty).then_some("utf8"),
                        text_type(&c.ty).then_some("utf8_general_ci"),
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
