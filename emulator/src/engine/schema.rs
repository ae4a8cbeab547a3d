//! Catalog types: tables, columns, column types and stored values.
//!
//! These are the engine's vocabulary shared with the HTTP side: a load maps its fields onto
//! [`Column`]s of a [`TableSchema`] and hands the engine [`Value`]s already checked by
//! [`crate::engine::Engine::convert`].

/// How rows of a table with the same key are combined (the vendors' "data models").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysModel {
    /// `DUPLICATE KEY`: every row is kept (append).
    Duplicate,
    /// `UNIQUE KEY` (Doris, StarRocks): the last row for a key wins.
    Unique,
    /// `PRIMARY KEY` (StarRocks): like unique, plus partial update and merge condition.
    Primary,
    /// `AGGREGATE KEY`: value columns are folded with their [`Aggregation`].
    Aggregate,
}

/// Per-column aggregation of an `AGGREGATE KEY` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// `SUM`
    Sum,
    /// `MAX`
    Max,
    /// `MIN`
    Min,
    /// `REPLACE`
    Replace,
    /// `REPLACE_IF_NOT_NULL`
    ReplaceIfNotNull,
    /// `HLL_UNION` (stored as text; folded like `REPLACE`).
    HllUnion,
    /// `BITMAP_UNION` (stored as text; folded like `REPLACE`).
    BitmapUnion,
}

impl Aggregation {
    /// The keyword as written in DDL.
    pub fn sql_name(self) -> &'static str {
        match self {
            Aggregation::Sum => "SUM",
            Aggregation::Max => "MAX",
            Aggregation::Min => "MIN",
            Aggregation::Replace => "REPLACE",
            Aggregation::ReplaceIfNotNull => "REPLACE_IF_NOT_NULL",
            Aggregation::HllUnion => "HLL_UNION",
            Aggregation::BitmapUnion => "BITMAP_UNION",
        }
    }
}

/// A declared column type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnType {
    /// `BOOLEAN`
    Boolean,
    /// `TINYINT` (i8)
    TinyInt,
    /// `SMALLINT` (i16)
    SmallInt,
    /// `INT` (i32)
    Int,
    /// `BIGINT` (i64)
    BigInt,
    /// `LARGEINT` (i128)
    LargeInt,
    /// `FLOAT`
    Float,
    /// `DOUBLE`
    Double,
    /// `DECIMAL(p,s)` (also DECIMALV3 / DECIMAL32/64/128).
    Decimal {
        /// Total digits.
        precision: u8,
        /// Digits after the point.
        scale: u8,
    },
    /// `DATE`
    Date,
    /// `DATETIME(p)`
    DateTime {
        /// Fractional-second digits (0..=6).
        precision: u8,
    },
    /// `CHAR(n)`, n in bytes.
    Char(u32),
    /// `VARCHAR(n)`, n in bytes.
    Varchar(u32),
    /// `STRING` / `TEXT`
    String,
    /// `JSON` / `JSONB`
    Json,
    /// `ARRAY<T>`, stored as JSON text.
    Array(Box<ColumnType>),
    /// `MAP<K,V>`, stored as JSON text.
    Map(Box<ColumnType>, Box<ColumnType>),
    /// `STRUCT<name:T,...>`, stored as JSON text.
    Struct(Vec<(String, ColumnType)>),
    /// `BITMAP`, stored as text.
    Bitmap,
    /// `HLL`, stored as text.
    Hll,
}

impl ColumnType {
    /// The type as the servers print it in `DESC`: `varchar(20)`, `decimal(27,9)`, `int`, ...
    pub fn sql_name(&self) -> String {
        match self {
            ColumnType::Boolean => "boolean".into(),
            ColumnType::TinyInt => "tinyint".into(),
            ColumnType::SmallInt => "smallint".into(),
            ColumnType::Int => "int".into(),
            ColumnType::BigInt => "bigint".into(),
            ColumnType::LargeInt => "largeint".into(),
            ColumnType::Float => "float".into(),
            ColumnType::Double => "double".into(),
            ColumnType::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
            ColumnType::Date => "date".into(),
            ColumnType::DateTime { precision: 0 } => "datetime".into(),
            ColumnType::DateTime { precision } => format!("datetime({precision})"),
            ColumnType::Char(n) => format!("char({n})"),
            ColumnType::Varchar(n) => format!("varchar({n})"),
            ColumnType::String => "text".into(),
            ColumnType::Json => "json".into(),
            ColumnType::Array(t) => format!("array<{}>", t.sql_name()),
            ColumnType::Map(k, v) => format!("map<{},{}>", k.sql_name(), v.sql_name()),
            ColumnType::Struct(fields) => {
                let inner: Vec<String> = fields
                    .iter()
                    .map(|(n, t)| format!("{n}:{}", t.sql_name()))
                    .collect();
                format!("struct<{}>", inner.join(","))
            }
            ColumnType::Bitmap => "bitmap".into(),
            ColumnType::Hll => "hll".into(),
        }
    }

    /// True for the integer types (stored as SQLite INTEGER).
    pub fn is_integer(&self) -> bool {
        matches!(
            self,
            ColumnType::Boolean
                | ColumnType::TinyInt
                | ColumnType::SmallInt
                | ColumnType::Int
                | ColumnType::BigInt
        )
    }
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Column name as declared (case kept; lookups are case-insensitive).
    pub name: String,
    /// Declared type.
    pub ty: ColumnType,
    /// False when declared `NOT NULL` (keys of unique/primary tables are NOT NULL implicitly
    /// only if declared so; the servers require it for StarRocks primary keys).
    pub nullable: bool,
    /// Part of the key (`DUPLICATE/UNIQUE/AGGREGATE/PRIMARY KEY(...)`).
    pub is_key: bool,
    /// Aggregation of a value column of an aggregate table.
    pub aggregation: Option<Aggregation>,
    /// `DEFAULT` value as text (`None` = no default; `Some("NULL")` is not used: a NULL default is `None`
    /// with `nullable`).
    pub default: Option<String>,
    /// `COMMENT '...'`.
    pub comment: Option<String>,
    /// A hidden column (Doris `__DORIS_SEQUENCE_COL__` of a table declared with
    /// `function_column.sequence_type`): loads may fill it by name, `SELECT *`, `DESC` and
    /// positional CSV mapping skip it.
    pub hidden: bool,
}

/// A table in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    /// Database name.
    pub db: String,
    /// Table name.
    pub name: String,
    /// Data model.
    pub model: KeysModel,
    /// Columns in declaration order.
    pub columns: Vec<Column>,
    /// Doris `function_column.sequence_col` (a column name), or the hidden sequence column
    /// `__DORIS_SEQUENCE_COL__` when only `function_column.sequence_type` is given.
    pub sequence_column: Option<String>,
    /// Doris `enable_unique_key_merge_on_write` (partial update needs it). StarRocks primary
    /// key tables are always merge-on-write.
    pub merge_on_write: bool,
    /// Declared range / list partitions a row must fit (see [`super::partition`]).
    pub partitions: Option<super::partition::Partitions>,
}

impl TableSchema {
    /// Index of a column by name (case-insensitive).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The column by name (case-insensitive).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.column_index(name).map(|i| &self.columns[i])
    }

    /// True when some column is hidden.
    pub fn has_hidden_columns(&self) -> bool {
        self.columns.iter().any(|c| c.hidden)
    }

    /// The visible columns, in declaration order.
    pub fn visible_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| !c.hidden)
    }

    /// Indexes of the key columns, in declaration order.
    pub fn key_indexes(&self) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_key)
            .map(|(i, _)| i)
            .collect()
    }
}

/// A checked, stored value. Decimals, dates, datetimes, JSON and complex types are canonical text.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// BOOLEAN.
    Bool(bool),
    /// Any integer type (LARGEINT fits i128).
    Int(i128),
    /// FLOAT / DOUBLE.
    Float(f64),
    /// Everything else, in canonical text form.
    Text(String),
}
