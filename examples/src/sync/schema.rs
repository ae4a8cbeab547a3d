//! Source tables as the sync sees them, the MySQL → Doris / StarRocks type mapping, and the
//! DDL that creates and alters the targets.
//!
//! Type mapping (MySQL / MariaDB → both targets):
//!
//! | source | target |
//! |---|---|
//! | `tinyint`, `smallint`, `int`, `mediumint`, `bigint` | `TINYINT`, `SMALLINT`, `INT`, `INT`, `BIGINT`; unsigned ones widen one step (`bigint unsigned` → `LARGEINT`) |
//! | `decimal(p,s)` | `DECIMAL(p,s)` (p ≤ 38) |
//! | `float`, `double` | `FLOAT`, `DOUBLE` |
//! | `char(n)`, `varchar(n)` | `VARCHAR(min(3n, 65533))` (bytes, for UTF-8) |
//! | `tinytext` … `longtext`, `json`, `enum`, `set`, `time`, binary types | `STRING` |
//! | `date` | `DATE` |
//! | `datetime`, `timestamp` | `DATETIME` |
//! | `year` | `SMALLINT` |
//! | `bit(1)`, `bool` | `BOOLEAN` |
//!
//! Primary-key columns come first (Doris UNIQUE KEY / StarRocks PRIMARY KEY need the key as a
//! prefix); a key column that would map to `STRING` becomes `VARCHAR(65533)`. Tables without a
//! primary key are not synced (deletes and updates need a key).

use serde::{Deserialize, Serialize};

use crate::endpoint::Vendor;

/// One column of a source table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceColumn {
    /// Name.
    pub name: String,
    /// The full MySQL column type (`int(11) unsigned`, `varchar(64)`, `decimal(10,2)`).
    pub column_type: String,
}

/// A source table: columns in source order (the order of binlog row images) and key names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceTable {
    /// Database.
    pub db: String,
    /// Name.
    pub name: String,
    /// Columns in source order.
    pub columns: Vec<SourceColumn>,
    /// Primary-key column names, in key order.
    pub key: Vec<String>,
}

/// The target type of a MySQL column type, or `None` when it has no mapping.
pub fn map_type(column_type: &str, is_key: bool) -> Option<String> {
    let t = column_type.trim().to_ascii_lowercase();
    let unsigned = t.contains("unsigned");
    let base = t.split(['(', ' ']).next().unwrap_or("");
    let args = t
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(a, _)| a.to_owned());
    let string = || {
        Some(if is_key {
            "VARCHAR(65533)".to_owned()
        } else {
            "STRING".to_owned()
        })
    };
    let mapped = match (base, unsigned) {
        ("tinyint", _) if args.as_deref() == Some("1") && !unsigned => "BOOLEAN".to_owned(),
        ("tinyint", false) => "TINYINT".into(),
        ("tinyint", true) | ("smallint", false) => "SMALLINT".into(),
        ("smallint", true) | ("mediumint", _) | ("int" | "integer", false) => "INT".into(),
        ("int" | "integer", true) | ("bigint", false) => "BIGINT".into(),
        ("bigint", true) => "LARGEINT".into(),
        ("decimal" | "numeric", _) => {
            let args = args.unwrap_or_else(|| "10,0".into());
            let (p, s) = args.split_once(',').unwrap_or((&args, "0"));
            let p: u32 = p.trim().parse().ok()?;
            let s: u32 = s.trim().parse().ok()?;
            if p > 38 {
                return None;
            }
            format!("DECIMAL({p},{s})")
        }
        ("float", _) => "FLOAT".into(),
        ("double" | "real", _) => "DOUBLE".into(),
        ("char" | "varchar", _) => {
            let n: u32 = args.as_deref().unwrap_or("255").trim().parse().ok()?;
            format!("VARCHAR({})", (n * 3).clamp(1, 65533))
        }
        ("date", _) => "DATE".into(),
        ("datetime" | "timestamp", _) => "DATETIME".into(),
        ("year", _) => "SMALLINT".into(),
        ("bit", _) if args.as_deref() == Some("1") => "BOOLEAN".into(),
        ("bool" | "boolean", _) => "BOOLEAN".into(),
        (
            "tinytext" | "text" | "mediumtext" | "longtext" | "json" | "enum" | "set" | "time"
            | "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob",
            _,
        ) => return string(),
        _ => return None,
    };
    Some(mapped)
}

/// Quotes an identifier with backticks.
pub fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `CREATE TABLE IF NOT EXISTS` of the target of `table`, named `target_db.target_name`.
pub fn create_table(
    vendor: Vendor,
    table: &SourceTable,
    target_db: &str,
    target_name: &str,
) -> Result<String, String> {
    let mut ordered: Vec<&SourceColumn> = table
        .key
        .iter()
        .filter_map(|k| table.columns.iter().find(|c| &c.name == k))
        .collect();
    ordered.extend(
        table
            .columns
            .iter()
            .filter(|c| !table.key.contains(&c.name)),
    );
    let mut columns = Vec::new();
    for column in ordered {
        let is_key = table.key.contains(&column.name);
        let ty = map_type(&column.column_type, is_key).ok_or_else(|| {
            format!(
                "{}.{} column {}: no mapping for type {}",
                table.db, table.name, column.name, column.column_type
            )
        })?;
        let not_null = if is_key && vendor == Vendor::StarRocks {
            " NOT NULL"
        } else {
            ""
        };
        columns.push(format!("  {} {ty}{not_null}", quote(&column.name)));
    }
    let key = table
        .key
        .iter()
        .map(|k| quote(k))
        .collect::<Vec<_>>()
        .join(", ");
    let (model, props) = match vendor {
        Vendor::Doris => (
            "UNIQUE KEY",
            "\"replication_allocation\" = \"tag.location.default: 1\"",
        ),
        Vendor::StarRocks => ("PRIMARY KEY", "\"replication_num\" = \"1\""),
    };
    Ok(format!(
        "CREATE TABLE IF NOT EXISTS {}.{} (\n{}\n) {model}({key}) DISTRIBUTED BY HASH({key}) \
         BUCKETS 1 PROPERTIES ({props})",
        quote(target_db),
        quote(target_name),
        columns.join(",\n")
    ))
}

/// A column change read from an `ALTER TABLE` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnChange {
    /// `ADD [COLUMN] name type ...` (appended at the end).
    Add(SourceColumn),
    /// `DROP [COLUMN] name`.
    Drop(String),
}

/// Parses `ALTER TABLE [db.]t ADD|DROP [COLUMN] ...` (one clause): the table name and the
/// change, or `None` for any other statement.
pub fn parse_alter(statement: &str) -> Option<(Option<String>, String, ColumnChange)> {
    let pattern = regex::Regex::new(
        r"(?is)^\s*ALTER\s+TABLE\s+(?:`?(\w+)`?\.)?`?(\w+)`?\s+(ADD|DROP)\s+(?:COLUMN\s+)?`?(\w+)`?\s*(.*?)\s*;?\s*$",
    )
    .ok()?;
    let caps = pattern.captures(statement)?;
    let db = caps.get(1).map(|m| m.as_str().to_owned());
    let table = caps[2].to_owned();
    let name = caps[4].to_owned();
    const NOT_COLUMNS: [&str; 9] = [
        "index",
        "key",
        "primary",
        "unique",
        "constraint",
        "foreign",
        "fulltext",
        "spatial",
        "partition",
    ];
    if NOT_COLUMNS.contains(&name.to_ascii_lowercase().as_str()) {
        return None;
    }
    let mut depth = 0i32;
    let several_clauses = caps[5].chars().any(|c| {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        c == ',' && depth == 0
    });
    if several_clauses {
        return None; // several clauses in one statement: not supported
    }
    let change = if caps[3].eq_ignore_ascii_case("add") {
        let rest = caps[5].trim();
        if rest.is_empty() || rest.to_ascii_lowercase().contains(" first") {
            return None;
        }
        // The type is the first token, with its parenthesised arguments and `unsigned`.
        let lower = rest.to_ascii_lowercase();
        let end = match lower.find(')') {
            Some(p)
                if lower[..p]
                    .find(' ')
                    .is_none_or(|s| s > lower.find('(').unwrap_or(0)) =>
            {
                p + 1
            }
            _ => lower.find(' ').unwrap_or(lower.len()),
        };
        let mut column_type = rest[..end].to_owned();
        if lower[end..].trim_start().starts_with("unsigned") {
            column_type.push_str(" unsigned");
        }
        ColumnChange::Add(SourceColumn { name, column_type })
    } else {
        ColumnChange::Drop(name)
    };
    Some((db, table, change))
}

/// The target-side `ALTER TABLE` for `change`.
pub fn alter_table(target: &str, change: &ColumnChange) -> Result<String, String> {
    match change {
        ColumnChange::Add(column) => {
            let ty = map_type(&column.column_type, false).ok_or_else(|| {
                format!(
                    "column {}: no mapping for type {}",
                    column.name, column.column_type
                )
            })?;
            Ok(format!(
                "ALTER TABLE {target} ADD COLUMN {} {ty}",
                quote(&column.name)
            ))
        }
        ColumnChange::Drop(name) => Ok(format!("ALTER TABLE {target} DROP COLUMN {}", quote(name))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_map_and_alters_parse() {
        assert_eq!(map_type("int(11)", false).unwrap(), "INT");
        assert_eq!(map_type("int(10) unsigned", false).unwrap(), "BIGINT");
        assert_eq!(map_type("bigint(20) unsigned", false).unwrap(), "LARGEINT");
        assert_eq!(map_type("decimal(10,2)", false).unwrap(), "DECIMAL(10,2)");
        assert_eq!(map_type("varchar(64)", false).unwrap(), "VARCHAR(192)");
        assert_eq!(map_type("text", false).unwrap(), "STRING");
        assert_eq!(map_type("text", true).unwrap(), "VARCHAR(65533)");
        assert_eq!(map_type("tinyint(1)", false).unwrap(), "BOOLEAN");
        assert_eq!(map_type("datetime(6)", false).unwrap(), "DATETIME");
        assert!(map_type("geometry", false).is_none());
        assert_eq!(
            parse_alter("ALTER TABLE `shop`.`orders` ADD COLUMN `note` varchar(20) DEFAULT NULL"),
            Some((
                Some("shop".into()),
                "orders".into(),
                ColumnChange::Add(SourceColumn {
                    name: "note".into(),
                    column_type: "varchar(20)".into()
                })
            ))
        );
        assert_eq!(
            parse_alter("alter table orders add qty int unsigned not null default 0"),
            Some((
                None,
                "orders".into(),
                ColumnChange::Add(SourceColumn {
                    name: "qty".into(),
                    column_type: "int unsigned".into()
                })
            ))
        );
        assert_eq!(
            parse_alter("ALTER TABLE orders DROP COLUMN note"),
            Some((None, "orders".into(), ColumnChange::Drop("note".into())))
        );
        assert_eq!(parse_alter("ALTER TABLE orders ADD INDEX i (a)"), None);
        assert_eq!(parse_alter("ALTER TABLE t ADD a int, ADD b int"), None);
        assert_eq!(parse_alter("ALTER TABLE t DROP a, DROP b"), None);
        assert!(parse_alter("ALTER TABLE t ADD d decimal(10,2) NULL").is_some());
        assert_eq!(parse_alter("INSERT INTO t VALUES (1)"), None);
    }
}
