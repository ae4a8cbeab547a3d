//! `ALTER TABLE [db.]t ADD COLUMN coldef [AFTER c | FIRST]`, `ADD COLUMN (coldef, ...)` and
//! `DROP COLUMN c`: the schema changes loads meet in practice (a CDC source gaining a column).

use super::Flavor;
use super::ddl::{DdlStatement, column_def};
use super::lexer::Cursor;
use super::schema::{Column, KeysModel, TableSchema};
use super::txn_types::EngineError;

/// Where an added column goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Position {
    Last,
    First,
    After(String),
}

/// One schema change.
#[derive(Debug, Clone)]
pub(crate) enum AlterChange {
    AddColumns(Vec<(Column, Position)>),
    DropColumn(String),
}

/// Parses after `ALTER`.
pub(crate) fn parse_alter(cur: &mut Cursor, flavor: Flavor) -> Result<DdlStatement, EngineError> {
    cur.expect_kw("TABLE")?;
    let (db, name) = cur.qualified()?;
    let change = if cur.eat_kw("ADD") {
        cur.expect_kw("COLUMN")?;
        let mut added = Vec::new();
        if cur.eat_punct('(') {
            loop {
                added.push((column_def(cur, flavor)?, Position::Last));
                if !cur.eat_punct(',') {
                    break;
                }
            }
            cur.expect_punct(')')?;
        } else {
            let column = column_def(cur, flavor)?;
            let position = if cur.eat_kw("FIRST") {
                Position::First
            } else if cur.eat_kw("AFTER") {
                Position::After(cur.ident()?)
            } else {
                Position::Last
            };
            added.push((column, position));
        }
        AlterChange::AddColumns(added)
    } else if cur.eat_kw("DROP") {
        cur.expect_kw("COLUMN")?;
        AlterChange::DropColumn(cur.ident()?)
    } else {
        return Err(EngineError::Parse(
            "only ALTER TABLE ... ADD COLUMN / DROP COLUMN are supported".into(),
        ));
    };
    // [TO rollup] [PROPERTIES (...)]: accepted and ignored.
    if cur.eat_kw("TO") {
        cur.ident()?;
    }
    if cur.eat_kw("PROPERTIES") {
        cur.skip_group()?;
    }
    Ok(DdlStatement::AlterTable { db, name, change })
}

/// The schema after the change, or why the servers refuse it.
pub(crate) fn altered(
    schema: &TableSchema,
    change: &AlterChange,
) -> Result<TableSchema, EngineError> {
    let mut next = schema.clone();
    match change {
        AlterChange::AddColumns(added) => {
            for (column, position) in added {
                if next.column(&column.name).is_some() {
                    return Err(EngineError::Invalid(format!(
                        "Can not add column which already exists in base table: {}",
                        column.name
                    )));
                }
                if column.is_key && schema.model != KeysModel::Duplicate {
                    return Err(EngineError::Invalid(format!(
                        "Can not add key column {} to a {:?} KEY table in the emulator",
                        column.name, schema.model
                    )));
                }
                match (schema.model, column.aggregation) {
                    (KeysModel::Aggregate, None) if !column.is_key => {
                        return Err(EngineError::Invalid(format!(
                            "The column '{}' of an AGGREGATE KEY table must have an aggregate type",
                            column.name
                        )));
                    }
                    (model, Some(_)) if model != KeysModel::Aggregate => {
                        return Err(EngineError::Invalid(format!(
                            "Only AGGREGATE KEY tables may set an aggregate type on column '{}'",
                            column.name
                        )));
                    }
                    _ => {}
                }
                if !column.nullable && column.default.is_none() {
                    return Err(EngineError::Invalid(format!(
                        "Can not add a NOT NULL column '{}' without a default value",
                        column.name
                    )));
                }
                let at = match position {
                    Position::Last => next.visible_columns().count(),
                    Position::First => 0,
                    Position::After(c) => {
                        next.column_index(c).ok_or_else(|| {
                            EngineError::Invalid(format!("Column[{c}] does not exist"))
                        })? + 1
                    }
                };
                next.columns.insert(at, column.clone());
            }
        }
        AlterChange::DropColumn(name) => {
            let Some(i) = next.column_index(name).filter(|&i| !next.columns[i].hidden) else {
                return Err(EngineError::Invalid(format!(
                    "Column does not exists: {name}"
                )));
            };
            if next.columns[i].is_key {
                return Err(EngineError::Invalid(format!(
                    "Can not drop key column {name} in {:?} KEY table",
                    schema.model
                )));
            }
            if next.sequence_column.as_deref() == Some(next.columns[i].name.as_str()) {
                return Err(EngineError::Invalid(format!(
                    "Can not drop sequence mapping column {name}"
                )));
            }
            next.columns.remove(i);
        }
    }
    Ok(next)
}
