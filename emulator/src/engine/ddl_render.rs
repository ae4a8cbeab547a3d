//! Renders a table schema back as vendor DDL: for `SHOW CREATE TABLE`, and as the persisted
//! form of a table after `ALTER TABLE` (it parses back to the same schema).

use super::partition::{PartitionKind, Partitions};
use super::schema::{KeysModel, TableSchema};

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Renders a table back as DDL in the vendor's layout.
pub(crate) fn create_table_sql(t: &TableSchema) -> String {
    let cols: Vec<String> = t
        .visible_columns()
        .map(|c| {
            let mut s = format!("  `{}` {}", c.name, c.ty.sql_name());
            if let Some(a) = c.aggregation {
                s.push(' ');
                s.push_str(a.sql_name());
            }
            s.push_str(if c.nullable { " NULL" } else { " NOT NULL" });
            if let Some(d) = &c.default {
                s.push_str(&format!(" DEFAULT \"{}\"", quote(d)));
            }
            if let Some(cm) = &c.comment {
                s.push_str(&format!(" COMMENT \"{}\"", quote(cm)));
            }
            s
        })
        .collect();
    let keys: Vec<String> = t
        .columns
        .iter()
        .filter(|c| c.is_key)
        .map(|c| format!("`{}`", c.name))
        .collect();
    let model = match t.model {
        KeysModel::Duplicate => "DUPLICATE",
        KeysModel::Unique => "UNIQUE",
        KeysModel::Primary => "PRIMARY",
        KeysModel::Aggregate => "AGGREGATE",
    };
    let mut props = vec!["\"replication_num\" = \"1\"".to_string()];
    match (&t.sequence_column, t.columns.iter().find(|c| c.hidden)) {
        (Some(_), Some(hidden)) => props.push(format!(
            "\"function_column.sequence_type\" = \"{}\"",
            hidden.ty.sql_name()
        )),
        (Some(s), None) => props.push(format!("\"function_column.sequence_col\" = \"{s}\"")),
        _ => {}
    }
    if t.model == KeysModel::Unique {
        props.push(format!(
            "\"enable_unique_key_merge_on_write\" = \"{}\"",
            t.merge_on_write
        ));
    }
    let first_key = keys.first().cloned().unwrap_or_default();
    format!(
        "CREATE TABLE `{}` (\n{}\n) ENGINE=OLAP\n{model} KEY({})\n{}DISTRIBUTED BY HASH({first_key}) BUCKETS 1\nPROPERTIES (\n{}\n);",
        t.name,
        cols.join(",\n"),
        keys.join(", "),
        t.partitions
            .as_ref()
            .map(partitions_sql)
            .unwrap_or_default(),
        props.join(",\n")
    )
}

/// `PARTITION BY ...` in the fixed-range / list form (parses back to the same partitions).
fn partitions_sql(p: &Partitions) -> String {
    let bound = |v: &Option<String>, none: &str| match v {
        Some(v) => format!("(\"{}\")", quote(v)),
        None => none.to_string(),
    };
    let parts: Vec<String> = match &p.kind {
        PartitionKind::Range(ranges) => ranges
            .iter()
            .map(|(name, lower, upper)| match lower {
                None => format!(
                    "PARTITION `{name}` VALUES LESS THAN {}",
                    bound(upper, "MAXVALUE")
                ),
                Some(_) => format!(
                    "PARTITION `{name}` VALUES [{}, {})",
                    bound(lower, "MAXVALUE"),
                    bound(upper, "(MAXVALUE)")
                ),
            })
            .collect(),
        PartitionKind::List(lists) => lists
            .iter()
            .map(|(name, values)| {
                let values: Vec<String> = values
                    .iter()
                    .map(|v| {
                        v.as_ref()
                            .map_or("NULL".into(), |v| format!("\"{}\"", quote(v)))
                    })
                    .collect();
                format!("PARTITION `{name}` VALUES IN ({})", values.join(", "))
            })
            .collect(),
    };
    let kind = if matches!(p.kind, PartitionKind::Range(_)) {
        "RANGE"
    } else {
        "LIST"
    };
    format!(
        "PARTITION BY {kind}(`{}`)\n({})\n",
        p.column,
        parts.join(",\n")
    )
}

#[cfg(test)]
mod tests {
    use super::create_table_sql;
    use crate::engine::Flavor;
    use crate::engine::ddl::{DdlStatement, parse};

    fn schema(sql: &str, flavor: Flavor) -> crate::engine::TableSchema {
        match parse(sql, flavor).expect("parse") {
            DdlStatement::CreateTable { schema, .. } => schema,
            other => panic!("not a CREATE TABLE: {other:?}"),
        }
    }

    #[test]
    fn rendered_ddl_parses_back_to_the_same_schema() {
        for (flavor, sql) in [
            (
                Flavor::Doris,
                "CREATE TABLE t (k INT NOT NULL COMMENT 'key \\\\ \"k\"', s VARCHAR(5) DEFAULT \"x\", \
                 d DECIMAL(27,9), a ARRAY<INT>, m MAP<STRING,INT>, st STRUCT<x:INT,y:DATETIME(3)>) \
                 UNIQUE KEY(k) PROPERTIES (\"function_column.sequence_type\" = \"bigint\", \
                 \"enable_unique_key_merge_on_write\" = \"false\")",
            ),
            (
                Flavor::Doris,
                "CREATE TABLE t (k INT, d DATE, v BIGINT SUM, r VARCHAR(3) REPLACE_IF_NOT_NULL, \
                 b BITMAP BITMAP_UNION) AGGREGATE KEY(k, d)",
            ),
            (
                Flavor::StarRocks,
                "CREATE TABLE t (id INT NOT NULL, at DATETIME DEFAULT CURRENT_TIMESTAMP, \
                 v LARGEINT) PRIMARY KEY(id)",
            ),
        ] {
            let first = schema(sql, flavor);
            let again = schema(&create_table_sql(&first), flavor);
            assert_eq!(first, again, "{}", create_table_sql(&first));
        }
    }
}
