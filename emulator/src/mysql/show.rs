//! SHOW statements and DESC: answered from the engine's catalog in the servers' column layout.
//! `SHOW [FULL] COLUMNS` and DESC differ on purpose, as on the servers: SHOW COLUMNS says
//! `YES`/`NO` for both Null and Key (nine columns with FULL), DESC says `Yes`/`No` and
//! `true`/`false`.

use crate::engine::lexer::Cursor;
use crate::engine::{Engine, Flavor, TableSchema, Value, create_table_sql};

use super::reply::{Reply, text};
use super::router::like;
use super::show_cluster::{self, Topology};
use super::show_txn::show_transaction;

/// The tables `information_schema` holds (what `SHOW TABLES FROM information_schema` lists).
const INFORMATION_SCHEMA_TABLES: &[&str] = &["columns", "schemata", "tables", "tables_config"];

/// The cluster a SHOW statement describes: its nodes and the version it reports.
pub(crate) struct Cluster<'a> {
    pub(crate) topology: &'a Topology,
    pub(crate) version: &'a str,
}

/// The database a `SHOW ... FROM db` / `IN db` names, else the current one.
fn from_db(sql: &str, current_db: Option<&str>) -> Result<String, Reply> {
    let raw: Vec<&str> = sql.split_whitespace().collect();
    raw.iter()
        .position(|w| w.eq_ignore_ascii_case("from") || w.eq_ignore_ascii_case("in"))
        .and_then(|i| raw.get(i + 1))
        .map(|s| s.trim_matches('`').to_string())
        .or_else(|| current_db.map(str::to_string))
        .ok_or_else(|| Reply::Error {
            code: 1046,
            message: "No database selected".into(),
        })
}

fn like_pattern(lower: &str, sql: &str) -> Option<String> {
    let i = lower.find(" like ")?;
    Some(sql[i + 6..].trim().trim_matches(['\'', '"']).to_string())
}

/// SHOW ... ; `variables` lists (name, value) pairs matching an optional LIKE pattern.
pub(crate) fn show(
    engine: &Engine,
    current_db: Option<&str>,
    sql: &str,
    cluster: &Cluster<'_>,
    variables: impl Fn(Option<&str>) -> Vec<(String, Value)>,
) -> Reply {
    let flavor = engine.flavor();
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
            let mut names = engine.databases();
            names.push("information_schema".into());
            names.sort();
            let rows = names
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
            let tables = if db.eq_ignore_ascii_case("information_schema") {
                Some(
                    INFORMATION_SCHEMA_TABLES
                        .iter()
                        .map(|t| t.to_string())
                        .collect(),
                )
            } else {
                engine.tables(&db)
            };
            let Some(tables) = tables else {
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
                        row.push(text(if db.eq_ignore_ascii_case("information_schema") {
                            "SYSTEM VIEW"
                        } else {
                            "BASE TABLE"
                        }));
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
            let full = words.contains(&"full");
            show_columns(engine, current_db, &name, full, pattern.as_deref())
        }
        "table" if what.get(1) == Some(&"status") => match from_db(sql, current_db) {
            Ok(db) => {
                show_cluster::table_status(engine, &db, pattern.as_deref()).unwrap_or_else(|e| e)
            }
            Err(e) => e,
        },
        "backends" => show_cluster::backends(flavor, cluster.topology, cluster.version),
        "frontends" => show_cluster::frontends(flavor, cluster.topology, cluster.version),
        "proc" => {
            let path = sql[sql.to_ascii_lowercase().find("proc").unwrap_or(0) + 4..]
                .trim()
                .trim_matches(['\'', '"'])
                .trim_end_matches('/');
            match path {
                "/backends" => show_cluster::backends(flavor, cluster.topology, cluster.version),
                "/frontends" => show_cluster::frontends(flavor, cluster.topology, cluster.version),
                _ => Reply::error(format!("Proc path '{path}' doesn't exist")),
            }
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
    engine
        .table(&db, &table)
        .ok_or_else(|| unknown_table(engine.flavor(), &db, &table))
}

/// A missing table named by DESC / SHOW COLUMNS: Doris' `getTableOrAnalysisException`
/// answers ERR_UNKNOWN_TABLE's text as an analysis error (1105; doris-alchemy's `has_table`
/// looks for exactly this), StarRocks MySQL's 1146.
fn unknown_table(flavor: Flavor, db: &str, table: &str) -> Reply {
    match flavor {
        Flavor::Doris => Reply::error(format!("Unknown table '{table}' in {db}")),
        Flavor::StarRocks => Reply::Error {
            code: 1146,
            message: format!("Table '{db}.{table}' doesn't exist"),
        },
    }
}

/// `SHOW [FULL] COLUMNS FROM [db.]t [LIKE 'p']`: Field, Type, Null, Key, Default, Extra; FULL
/// adds Collation after Type and Privileges, Comment at the end.
fn show_columns(
    engine: &Engine,
    current_db: Option<&str>,
    name: &str,
    full: bool,
    pattern: Option<&str>,
) -> Reply {
    let t = match resolve(engine, current_db, name) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let yes_no = |b: bool| text(if b { "YES" } else { "NO" });
    let rows = t
        .visible_columns()
        .filter(|c| pattern.is_none_or(|p| like(p, &c.name)))
        .map(|c| {
            let default = c.default.clone().map(Value::Text).unwrap_or(Value::Null);
            let extra = text(c.aggregation.map(|a| a.sql_name()).unwrap_or(""));
            let ty = text(c.ty.sql_name().to_ascii_lowercase());
            if full {
                vec![
                    text(c.name.clone()),
                    ty,
                    text(""),
                    yes_no(c.nullable),
                    yes_no(c.is_key),
                    default,
                    extra,
                    text(""),
                    text(c.comment.clone().unwrap_or_default()),
                ]
            } else {
                vec![
                    text(c.name.clone()),
                    ty,
                    yes_no(c.nullable),
                    yes_no(c.is_key),
                    default,
                    extra,
                ]
            }
        })
        .collect();
    if full {
        Reply::rows(
            &[
                "Field",
                "Type",
                "Collation",
                "Null",
                "Key",
                "Default",
                "Extra",
                "Privileges",
                "Comment",
            ],
            rows,
        )
    } else {
        Reply::rows(&["Field", "Type", "Null", "Key", "Default", "Extra"], rows)
    }
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
