//! A hand-written parser for the vendors' DDL (sqlparser cannot parse Doris/StarRocks DDL):
//! CREATE DATABASE / TABLE with DUPLICATE / UNIQUE / AGGREGATE / PRIMARY KEY, per-column
//! aggregation, NULL / NOT NULL, DEFAULT, COMMENT, ENGINE, PARTITION BY (range / list kept, see `partition`),
//! DISTRIBUTED BY ... BUCKETS (ignored), ORDER BY (ignored) and PROPERTIES; DROP DATABASE / TABLE.

use std::collections::BTreeMap;

use super::Flavor;
use super::ddl_types::parse_type;
use super::lexer::{Cursor, Token};
use super::partition::{self, Partitions};
use super::schema::{Aggregation, Column, KeysModel, TableSchema};
use super::txn_types::EngineError;

/// Doris' name of the hidden sequence column.
pub(crate) const DORIS_SEQUENCE_COL: &str = "__DORIS_SEQUENCE_COL__";

/// A parsed DDL statement.
#[derive(Debug, Clone)]
pub(crate) enum DdlStatement {
    CreateDatabase {
        name: String,
        if_not_exists: bool,
    },
    CreateTable {
        /// `db` of `db.table`, if qualified.
        db: Option<String>,
        /// The schema with an empty `db` when unqualified.
        schema: TableSchema,
        if_not_exists: bool,
    },
    DropDatabase {
        name: String,
        if_exists: bool,
    },
    DropTable {
        db: Option<String>,
        name: String,
        if_exists: bool,
    },
    AlterTable {
        db: Option<String>,
        name: String,
        change: super::ddl_alter::AlterChange,
    },
}

/// Parses one DDL statement.
pub(crate) fn parse(sql: &str, flavor: Flavor) -> Result<DdlStatement, EngineError> {
    let mut cur = Cursor::new(sql)?;
    let stmt = if cur.eat_kw("CREATE") {
        if cur.eat_kw("DATABASE") || cur.eat_kw("SCHEMA") {
            let if_not_exists = cur.eat_kws(&["IF", "NOT", "EXISTS"]);
            let name = cur.ident()?;
            if cur.eat_kw("PROPERTIES") {
                cur.skip_group()?;
            }
            DdlStatement::CreateDatabase {
                name,
                if_not_exists,
            }
        } else {
            cur.eat_kw("EXTERNAL");
            cur.expect_kw("TABLE")?;
            create_table(&mut cur, flavor)?
        }
    } else if cur.eat_kw("DROP") {
        if cur.eat_kw("DATABASE") || cur.eat_kw("SCHEMA") {
            let if_exists = cur.eat_kws(&["IF", "EXISTS"]);
            let name = cur.ident()?;
            cur.eat_kw("FORCE");
            DdlStatement::DropDatabase { name, if_exists }
        } else {
            cur.expect_kw("TABLE")?;
            let if_exists = cur.eat_kws(&["IF", "EXISTS"]);
            let (db, name) = cur.qualified()?;
            cur.eat_kw("FORCE");
            DdlStatement::DropTable {
                db,
                name,
                if_exists,
            }
        }
    } else if cur.eat_kw("ALTER") {
        super::ddl_alter::parse_alter(&mut cur, flavor)?
    } else {
        return Err(EngineError::Parse(format!(
            "not a DDL statement: {}",
            sql.trim()
        )));
    };
    if let Some(t) = cur.peek() {
        return Err(EngineError::Parse(format!(
            "unexpected '{}' after the statement",
            t.text()
        )));
    }
    Ok(stmt)
}

fn aggregation(word: &str) -> Option<Aggregation> {
    Some(match word.to_ascii_uppercase().as_str() {
        "SUM" => Aggregation::Sum,
        "MAX" => Aggregation::Max,
        "MIN" => Aggregation::Min,
        "REPLACE" => Aggregation::Replace,
        "REPLACE_IF_NOT_NULL" => Aggregation::ReplaceIfNotNull,
        "HLL_UNION" => Aggregation::HllUnion,
        "BITMAP_UNION" => Aggregation::BitmapUnion,
        _ => return None,
    })
}

pub(crate) fn column_def(cur: &mut Cursor, flavor: Flavor) -> Result<Column, EngineError> {
    let name = cur.ident()?;
    let ty = parse_type(cur, flavor)?;
    let mut col = Column {
        name,
        ty,
        nullable: true,
        is_key: false,
        aggregation: None,
        default: None,
        comment: None,
        hidden: false,
    };
    loop {
        let agg = match cur.peek() {
            Some(Token::Word(w)) => aggregation(w),
            _ => None,
        };
        match agg {
            Some(a) => {
                col.aggregation = Some(a);
                cur.next();
            }
            _ if cur.eat_kws(&["NOT", "NULL"]) => col.nullable = false,
            _ if cur.eat_kw("NULL") => col.nullable = true,
            _ if cur.eat_kw("AUTO_INCREMENT") => {
                if cur.peek() == Some(&Token::Punct('(')) {
                    cur.skip_group()?;
                }
            }
            _ if cur.eat_kw("KEY") => col.is_key = true,
            _ if cur.eat_kw("DEFAULT") => {
                col.default = if cur.eat_kw("NULL") {
                    None
                } else if cur.eat_kw("CURRENT_TIMESTAMP") {
                    if cur.peek() == Some(&Token::Punct('(')) {
                        cur.skip_group()?;
                    }
                    Some("CURRENT_TIMESTAMP".into())
                } else {
                    Some(cur.literal()?)
                };
            }
            _ if cur.eat_kw("COMMENT") => col.comment = Some(cur.literal()?),
            _ if cur.eat_kw("ON") => {
                // ON UPDATE CURRENT_TIMESTAMP
                cur.expect_kw("UPDATE")?;
                cur.ident()?;
                if cur.peek() == Some(&Token::Punct('(')) {
                    cur.skip_group()?;
                }
            }
            _ => break,
        }
    }
    Ok(col)
}

fn properties(cur: &mut Cursor) -> Result<BTreeMap<String, String>, EngineError> {
    cur.expect_punct('(')?;
    let mut out = BTreeMap::new();
    if cur.eat_punct(')') {
        return Ok(out);
    }
    loop {
        let key = cur.literal()?;
        cur.expect_punct('=')?;
        let value = cur.literal()?;
        out.insert(key.to_ascii_lowercase(), value);
        if !cur.eat_punct(',') {
            break;
        }
    }
    cur.expect_punct(')')?;
    Ok(out)
}

fn keys_model(cur: &mut Cursor) -> Option<KeysModel> {
    let model = match cur.peek() {
        Some(t) if t.is_kw("DUPLICATE") => KeysModel::Duplicate,
        Some(t) if t.is_kw("UNIQUE") => KeysModel::Unique,
        Some(t) if t.is_kw("AGGREGATE") => KeysModel::Aggregate,
        Some(t) if t.is_kw("PRIMARY") => KeysModel::Primary,
        _ => return None,
    };
    if cur.peek_at(1).is_some_and(|t| t.is_kw("KEY")) {
        cur.next();
        cur.next();
        Some(model)
    } else {
        None
    }
}

fn create_table(cur: &mut Cursor, flavor: Flavor) -> Result<DdlStatement, EngineError> {
    let if_not_exists = cur.eat_kws(&["IF", "NOT", "EXISTS"]);
    let (db, name) = cur.qualified()?;
    cur.expect_punct('(')?;
    let mut columns: Vec<Column> = Vec::new();
    let mut inline_keys: Option<Vec<String>> = None;
    loop {
        if cur.eat_kw("INDEX") {
            // INDEX name (cols) USING BITMAP COMMENT '...': accepted and ignored.
            cur.ident()?;
            cur.skip_group()?;
            while !matches!(
                cur.peek(),
                Some(Token::Punct(',')) | Some(Token::Punct(')')) | None
            ) {
                cur.next();
            }
        } else if cur.peek().is_some_and(|t| t.is_kw("PRIMARY"))
            && cur.peek_at(1).is_some_and(|t| t.is_kw("KEY"))
        {
            cur.next();
            cur.next();
            inline_keys = Some(cur.ident_list()?);
            cur.eat_kws(&["NOT", "ENFORCED"]);
        } else {
            columns.push(column_def(cur, flavor)?);
        }
        // Doris takes a comma before the closing parenthesis (its suite
        // test_stream_load_keyword creates a table so).
        if !cur.eat_punct(',')
            || (flavor == Flavor::Doris && matches!(cur.peek(), Some(Token::Punct(')'))))
        {
            break;
        }
    }
    cur.expect_punct(')')?;

    let mut model = None;
    let mut key_names: Option<Vec<String>> = None;
    let mut props = BTreeMap::new();
    let mut partitions = None;
    while !cur.at_end() {
        if let Some(m) = keys_model(cur) {
            model = Some(m);
            key_names = Some(cur.ident_list()?);
        } else if cur.eat_kw("ENGINE") {
            cur.expect_punct('=')?;
            cur.ident()?;
        } else if cur.eat_kw("COMMENT") {
            cur.eat_punct('=');
            cur.literal()?;
        } else if cur
            .peek()
            .is_some_and(|t| t.is_kw("PARTITION") || t.is_kw("AUTO"))
        {
            // [AUTO] PARTITION BY RANGE|LIST|expr (...) (...): kept when `partition` models it.
            let auto = cur.eat_kw("AUTO");
            cur.expect_kw("PARTITION")?;
            cur.expect_kw("BY")?;
            let mut clause = Vec::new();
            let mut depth = 0;
            while let Some(t) = cur.peek() {
                let stop = t.is_kw("DISTRIBUTED") || t.is_kw("PROPERTIES") || t.is_kw("ORDER");
                if depth == 0 && stop {
                    break;
                }
                match t {
                    Token::Punct('(') => depth += 1,
                    Token::Punct(')') => depth -= 1,
                    _ => {}
                }
                clause.extend(cur.next());
            }
            partitions = if auto {
                None
            } else {
                partition::parse(&clause)
            };
        } else if cur.eat_kw("DISTRIBUTED") {
            cur.expect_kw("BY")?;
            if cur.eat_kw("HASH") {
                for name in cur.ident_list()? {
                    if !columns
                        .iter()
                        .any(|c: &Column| c.name.eq_ignore_ascii_case(&name))
                    {
                        return Err(EngineError::Invalid(format!(
                            "Distribution column({name}) doesn't exist"
                        )));
                    }
                }
            } else {
                cur.expect_kw("RANDOM")?;
            }
            if cur.eat_kw("BUCKETS") && !cur.eat_kw("AUTO") {
                cur.literal()?;
            }
        } else if cur.eat_kw("ROLLUP") {
            // ROLLUP (r1 (a, b), r2 (c)): materialized views, accepted and ignored.
            cur.skip_group()?;
        } else if cur.eat_kw("ORDER") {
            cur.expect_kw("BY")?;
            cur.ident_list()?;
        } else if cur.eat_kw("PROPERTIES") {
            props = properties(cur)?;
        } else {
            let t = cur.peek().map(Token::text).unwrap_or_default();
            return Err(EngineError::Parse(format!(
                "unexpected '{t}' in CREATE TABLE {name}"
            )));
        }
    }
    let mut schema = build_schema(
        flavor,
        name,
        columns,
        model,
        key_names.or(inline_keys),
        &props,
    )?;
    // Dynamic partitions are created by the server over time; not modelled.
    let dynamic = props
        .get("dynamic_partition.enable")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    schema.partitions =
        partitions.filter(|p: &Partitions| !dynamic && schema.column(&p.column).is_some());
    Ok(DdlStatement::CreateTable {
        db,
        schema,
        if_not_exists,
    })
}

fn build_schema(
    flavor: Flavor,
    name: String,
    mut columns: Vec<Column>,
    model: Option<KeysModel>,
    key_names: Option<Vec<String>>,
    props: &BTreeMap<String, String>,
) -> Result<TableSchema, EngineError> {
    let mut seen = std::collections::BTreeSet::new();
    for c in &columns {
        if !seen.insert(c.name.to_ascii_lowercase()) {
            return Err(EngineError::Invalid(format!(
                "Duplicate column name '{}'",
                c.name
            )));
        }
    }
    let model = model.unwrap_or(KeysModel::Duplicate);
    let keys = match key_names {
        Some(k) => k,
        // No key clause: the servers pick leading columns as the sort key; the first is enough.
        None => columns.iter().take(1).map(|c| c.name.clone()).collect(),
    };
    for k in &keys {
        let Some(col) = columns.iter_mut().find(|c| c.name.eq_ignore_ascii_case(k)) else {
            return Err(EngineError::Invalid(format!(
                "Key column '{k}' doesn't exist in table {name}"
            )));
        };
        col.is_key = true;
        if model == KeysModel::Primary && col.nullable && flavor == Flavor::StarRocks {
            col.nullable = false;
        }
    }
    if model == KeysModel::Aggregate {
        for c in columns.iter_mut().filter(|c| !c.is_key) {
            if c.aggregation.is_none() {
                return Err(EngineError::Invalid(format!(
                    "The column '{}' of an AGGREGATE KEY table must have an aggregate type",
                    c.name
                )));
            }
        }
    } else if let Some(c) = columns.iter().find(|c| c.aggregation.is_some()) {
        return Err(EngineError::Invalid(format!(
            "Only AGGREGATE KEY tables may set an aggregate type on column '{}'",
            c.name
        )));
    }
    let sequence_column = match (
        props.get("function_column.sequence_col"),
        props.get("function_column.sequence_type"),
    ) {
        (Some(col), _) => {
            let Some(c) = columns.iter().find(|c| c.name.eq_ignore_ascii_case(col)) else {
                return Err(EngineError::Invalid(format!(
                    "The specified sequence column[{col}] not exists"
                )));
            };
            Some(c.name.clone())
        }
        (None, Some(ty)) => {
            let mut cur = Cursor::new(ty)?;
            let ty = parse_type(&mut cur, flavor)?;
            columns.push(Column {
                name: DORIS_SEQUENCE_COL.to_string(),
                ty,
                nullable: true,
                is_key: false,
                aggregation: None,
                default: None,
                comment: None,
                hidden: true,
            });
            Some(DORIS_SEQUENCE_COL.to_string())
        }
        (None, None) => None,
    };
    if sequence_column.is_some() && model != KeysModel::Unique {
        return Err(EngineError::Invalid(
            "Sequence column only support UNIQUE_KEYS".into(),
        ));
    }
    let merge_on_write = match model {
        KeysModel::Primary => true,
        KeysModel::Unique => props
            .get("enable_unique_key_merge_on_write")
            .map(|v| v.eq_ignore_ascii_case("true"))
            .unwrap_or(flavor == Flavor::Doris),
        _ => false,
    };
    Ok(TableSchema {
        db: String::new(),
        name,
        model,
        columns,
        sequence_column,
        merge_on_write,
        partitions: None,
    })
}
