//! SHOW statements and DESC: answered from the engine's catalog in the servers' column layout.

use crate::engine::lexer::Cursor;
use crate::engine::{Engine, TableSchema, Value, create_table_sql};

use super::reply::{Reply, text};
use super::router::like;
use super::show_txn::show_transaction;

fn like_pattern(lower: &str, sql: &str) -> Option<String> {
    let i = lower.find(" like ")?;
    Some(sql[i + 6..].trim().trim_matches(['\'', '"']).to_string())
}

/// SHOW ... ; `variables` lists (name, value) pairs matching an optional LIKE pattern.
pub(crate) fn show(
    engine: &Engine,
    current_db: Option<&str>,
    sql: &str,
    variables: impl Fn(Option<&str>) -> Vec<(String, Value)>,
) -> Reply {
    let lower = sql.to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let pattern = like_pattern(&lower, sql);
    let what: Vec<&str> = words
        .iter()
        .skip(1)
        .copied()
        .filter(|w| !matches!(*w, "full" | "global" | "session"))
        .collect();
    match what.first().copied().unwrap_or("") {
        "databases" | "schemas" => {
            let rows = engine
                .databases()
                .into_iter()
                .filter(|d| pattern.as_deref().is_none_or(|p| like(p, d)))
                .map(|d| vec![text(d)])
                .collect();
            Reply::rows(&["Database"], rows)
        }
        "tables" => {
            let raw: Vec<&str> = sql.split_whitespace().collect();
            let db = raw
                .iter()
                .position(|w| w.eq_ignore_ascii_case("from") || w.eq_ignore_ascii_case("in"))
                .and_then(|i| raw.get(i + 1))
                .map(|s| s.trim_matches('`').to_string())
                .or_else(|| current_db.map(str::to_string));
            let Some(db) = db else {
                return Reply::Error {
                    code: 1046,
                    message: "No database selected".into(),
                };
            };
            let Some(tables) = engine.tables(&db) else {
                return Reply::Error {
                    code: 1049,
                    message: format!("Unknown database '{db}'"),
                };
            };
            let col = format!("Tables_in_{db}");
            let full = words.contains(&"full");
            let rows = tables
                .into_iter()
                .filter(|t| pattern.as_deref().is_none_or(|p| like(p, t)))
                .map(|t| {
                    let mut row = vec![text(t)];
                    if full {
                        row.push(text("BASE TABLE"));
                    }
                    row
                })
                .collect();
            if full {
                Reply::rows(&[col.as_str(), "Table_type"], rows)
            } else {
                Reply::rows(&[col.as_str()], rows)
            }
        }
        "variables" | "status" => {
            let rows = variables(pattern.as_deref())
                .into_iter()
                .map(|(n, v)| {
                    let v = match v {
                        Value::Int(i) => text(i.to_string()),
                        other => other,
                    };
                    vec![text(n), v]
                })
                .collect();
            Reply::rows(&["Variable_name", "Value"], rows)
        }
        "create" if what.get(1) == Some(&"table") => {
            let name = sql.split_whitespace().last().unwrap_or("");
            match resolve(engine, current_db, name) {
                Ok(t) => Reply::rows(
                    &["Table", "Create Table"],
                    vec![vec![text(t.name.clone()), text(create_table_sql(&t))]],
                ),
                Err(r) => r,
            }
        }
        "columns" | "fields" => {
            let raw: Vec<&str> = sql.split_whitespace().collect();
            let mut name = raw
                .iter()
                .position(|w| w.eq_ignore_ascii_case("from") || w.eq_ignore_ascii_case("in"))
                .and_then(|i| raw.get(i + 1))
                .map(|s| s.to_string())
                .unwrap_or_default();
            // SHOW COLUMNS FROM t FROM db
            if let Some(db) = raw
                .iter()
                .rposition(|w| w.eq_ignore_ascii_case("from") || w.eq_ignore_ascii_case("in"))
                .filter(|&i| raw.get(i + 1).map(|s| s.to_string()) != Some(name.clone()))
                .and_then(|i| raw.get(i + 1))
            {
                name = format!("{db}.{name}");
            }
            describe(engine, current_db, &format!("DESC {name}"))
        }
        "transaction" => show_transaction(engine, current_db, sql),
        "warnings" | "errors" => Reply::rows(&["Level", "Code", "Message"], vec![]),
        "processlist" => Reply::rows(&["Id", "User", "Host", "db", "Command", "Time"], vec![]),
        "engines" | "collation" | "charset" | "character" | "plugins" | "triggers" => {
            Reply::rows(&["Name"], vec![])
        }
        _ => Reply::Error {
            code: 1064,
            message: format!("SHOW statement not supported by the emulator: {sql}"),
        },
    }
}

fn resolve(engine: &Engine, current_db: Option<&str>, name: &str) -> Result<TableSchema, Reply> {
    let mut cur = Cursor::new(name).map_err(|e| Reply::error(e.to_string()))?;
    let (db, table) = cur.qualified().map_err(|e| Reply::error(e.to_string()))?;
    let Some(db) = db.or_else(|| current_db.map(str::to_string)) else {
        return Err(Reply::Error {
            code: 1046,
            message: "No database selected".into(),
        });
    };
    engine.table(&db, &table).ok_or_else(|| Reply::Error {
        code: 1146,
        message: format!("Table '{db}.{table}' doesn't exist"),
    })
}

/// DESC [db.]t: Field, Type, Null, Key, Default, Extra.
pub(crate) fn describe(engine: &Engine, current_db: Option<&str>, sql: &str) -> Reply {
    let name = sql.split_whitespace().nth(1).unwrap_or("");
    let t = match resolve(engine, current_db, name) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let rows = t
        .visible_columns()
        .map(|c| {
            vec![
                text(c.name.clone()),
                text(c.ty.sql_name()),
                text(if c.nullable { "Yes" } else { "No" }),
                text(if c.is_key { "true" } else { "false" }),
                c.default.clone().map(Value::Text).unwrap_or(Value::Null),
                text(c.aggregation.map(|a| a.sql_name()).unwrap_or("")),
            ]
        })
        .collect();
    Reply::rows(&["Field", "Type", "Null", "Key", "Default", "Extra"], rows)
}
