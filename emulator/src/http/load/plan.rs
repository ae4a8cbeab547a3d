//! The planner half of a load: which source field feeds which table column (`columns`,
//! `hidden_columns`, `jsonpaths`, JSON keys), which columns are derived, and the planner's
//! refusals (negative loads on non-SUM columns, MERGE/DELETE outside unique tables, partial
//! updates without the key, missing sequence columns). Checked once per load, before any row is
//! read; [`super::rows`] then reads rows through the resulting [`Plan`].

use crate::engine::{Aggregation, Flavor, KeysModel, TableSchema};

use super::columns::ColumnItem;
use super::expr::Expr;
use super::params::{LoadParams, MergeType, ParamError, Phase};
use super::rows::{DELETE_SIGN, OP_COLUMN, SEQUENCE_COL};

/// The resolved mapping of one load onto one table.
#[derive(Debug)]
pub struct Plan {
    pub(super) sources: Vec<String>,
    pub(super) derived: Vec<(String, Expr)>,
    /// For each table column: the name it is read from (`None` = not provided).
    pub(super) targets: Vec<Option<String>>,
    pub(super) delete_from: Option<String>,
    pub(super) params: LoadParams,
    pub(super) flavor: Flavor,
}

fn plan_err(message: String) -> ParamError {
    ParamError {
        phase: Phase::Plan,
        code: "ANALYSIS_ERROR",
        message,
    }
}

impl Plan {
    /// Resolves the mapping, with the planner's errors.
    pub fn new(
        schema: &TableSchema,
        params: &LoadParams,
        flavor: Flavor,
    ) -> Result<Plan, ParamError> {
        let unique = matches!(schema.model, KeysModel::Unique | KeysModel::Primary);
        let not_sum = schema
            .columns
            .iter()
            .find(|c| !c.is_key && !c.hidden && c.aggregation != Some(Aggregation::Sum));
        if let (true, Some(c)) = (params.negative, not_sum) {
            return Err(plan_err(format!(
                "Column is not SUM AggregateType. column:{}",
                c.name
            )));
        }
        if params.merge_type != MergeType::Append && !unique {
            return Err(plan_err(
                "load by MERGE or DELETE is only supported in unique tables.".into(),
            ));
        }
        if let Some(seq) = &params.sequence_col {
            if schema.sequence_column.is_none() {
                return Err(plan_err(format!(
                    "There is no sequence column in the table {}",
                    schema.name
                )));
            }
            let _ = seq;
        }
        let mut sources = Vec::new();
        let mut derived = Vec::new();
        // A Doris `columns` header naming no file field (`id = id * 10, code = id * 10 + 200`)
        // reads the file as the table's own columns first, then applies the expressions
        // (FE `Load.initColumns`: without `specifyFileFieldNames` the base schema's columns
        // are added as the file's fields).
        let only_derived = flavor == Flavor::Doris
            && params
                .columns
                .as_ref()
                .is_some_and(|items| items.iter().all(|i| matches!(i, ColumnItem::Derived(..))));
        match &params.columns {
            Some(items) => {
                for item in items {
                    match item {
                        ColumnItem::Source(name) => sources.push(name.clone()),
                        ColumnItem::Derived(name, expr) => {
                            derived.push((name.clone(), expr.clone()))
                        }
                    }
                }
                if only_derived {
                    sources.extend(schema.visible_columns().map(|c| c.name.clone()));
                }
            }
            None => {
                sources.extend(schema.visible_columns().map(|c| c.name.clone()));
                if flavor == Flavor::Doris {
                    for hidden in &params.hidden_columns {
                        if hidden.eq_ignore_ascii_case(DELETE_SIGN) && unique
                            || hidden.eq_ignore_ascii_case(SEQUENCE_COL)
                                && schema.sequence_column.is_some()
                        {
                            sources.push(hidden.clone());
                        }
                    }
                }
            }
        }
        for (_, expr) in &derived {
            let mut used = Vec::new();
            expr.columns(&mut used);
            for name in used {
                let known = sources.iter().any(|s| s.eq_ignore_ascii_case(&name))
                    || derived.iter().any(|(d, _)| d.eq_ignore_ascii_case(&name));
                if !known {
                    return Err(plan_err(format!("Unknown column '{name}' in 'table list'")));
                }
            }
        }
        let provided = |name: &str| {
            derived.iter().any(|(d, _)| d.eq_ignore_ascii_case(name))
                || sources.iter().any(|s| s.eq_ignore_ascii_case(name))
        };
        let explicit = params.columns.is_some();
        let mut targets = Vec::with_capacity(schema.columns.len());
        for column in &schema.columns {
            let from_header_seq = params
                .sequence_col
                .as_ref()
                .filter(|_| column.name.eq_ignore_ascii_case(SEQUENCE_COL));
            if let Some(src) = from_header_seq {
                targets.push(Some(src.clone()));
            } else if provided(&column.name) {
                targets.push(Some(column.name.clone()));
            } else {
                targets.push(None);
            }
        }
        if params.partial_update && explicit {
            if flavor == Flavor::Doris && !schema.merge_on_write {
                return Err(plan_err(
                    "Only unique key merge on write support partial update".into(),
                ));
            }
            let missing: Vec<&str> = schema
                .columns
                .iter()
                .zip(&targets)
                .filter(|(c, t)| c.is_key && t.is_none())
                .map(|(c, _)| c.name.as_str())
                .collect();
            if let Some(first) = missing.first() {
                return Err(plan_err(format!(
                    "Partial update should include all key columns, missing: {first}"
                )));
            }
        }
        // A column the load leaves out must have somewhere to get its value from: StarRocks'
        // planner refuses the load otherwise (a V2 `/load` answers ANALYSIS_ERROR and the
        // transaction is gone; recorded in its suite test_stream_load_exception_handling).
        if flavor == Flavor::StarRocks && explicit && !params.partial_update {
            let missing = schema
                .columns
                .iter()
                .zip(&targets)
                .find(|(c, t)| t.is_none() && !c.hidden && !c.nullable && c.default.is_none());
            if let Some((c, _)) = missing {
                return Err(plan_err(format!(
                    "Column has no default value. column: {}",
                    c.name
                )));
            }
        }
        let hidden_sequence = schema
            .columns
            .iter()
            .any(|c| c.hidden && c.name.eq_ignore_ascii_case(SEQUENCE_COL));
        if flavor == Flavor::Doris
            && hidden_sequence
            && params.sequence_col.is_none()
            && !provided(SEQUENCE_COL)
        {
            return Err(plan_err(format!(
                "Table {} has sequence column, need to specify the sequence column",
                schema.name
            )));
        }
        let marker = if flavor == Flavor::Doris {
            DELETE_SIGN
        } else {
            OP_COLUMN
        };
        // A Debezium event carries its operation whatever `columns` says.
        let delete_from = if provided(marker)
            || (flavor == Flavor::StarRocks && (!explicit || params.json.debezium))
        {
            Some(marker.to_string())
        } else {
            None
        };
        Ok(Plan {
            sources,
            derived,
            targets,
            delete_from,
            params: params.clone(),
            flavor,
        })
    }
}
