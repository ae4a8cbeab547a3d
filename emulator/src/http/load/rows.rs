//! From body bytes to staged rows: the column mapping, `where`, the delete markers and the
//! per-row value checks, with the counts and reasons a Stream Load response reports.
//!
//! The [`Plan`] (see [`super::plan`]) says which source field feeds which table column; here each
//! row is read through it: derived columns are evaluated, rows that fail `where` are dropped
//! (unselected) and rows the engine refuses are filtered, with a reason.

use crate::engine::partition::PartitionCheck;
use crate::engine::{Aggregation, Engine, Flavor, RowOp, StagedRow, TableSchema};

use super::csv::read_csv;
use super::json::{JsonRow, json_text, read_json};
use super::params::{DataFormat, MergeType};
pub use super::plan::Plan;

/// Doris' hidden delete-sign column.
pub const DELETE_SIGN: &str = "__DORIS_DELETE_SIGN__";
/// StarRocks' operation pseudo-column.
pub const OP_COLUMN: &str = "__op";
/// Doris' reason for a JSON row none of whose fields the load reads.
pub const ALL_FIELDS_NULL: &str = "All fields is null, this is a invalid row.";
/// Doris' hidden sequence column.
pub const SEQUENCE_COL: &str = "__DORIS_SEQUENCE_COL__";

/// The rows of one body and what happened to the others.
#[derive(Debug, Default)]
pub struct RowBatch {
    /// Rows to stage.
    pub rows: Vec<StagedRow>,
    /// Rows read from the body.
    pub total: u64,
    /// Rows rejected by quality checks.
    pub filtered: u64,
    /// Rows dropped by `where`.
    pub unselected: u64,
    /// One line per filtered row: reason and source line (the error log).
    pub rejected: Vec<String>,
}

impl RowBatch {
    /// Rows loaded.
    pub fn loaded(&self) -> u64 {
        self.total - self.filtered - self.unselected
    }

    /// Adds another batch (V2 loads and merged windows accumulate).
    pub fn absorb(&mut self, other: RowBatch) {
        self.rows.extend(other.rows);
        self.total += other.total;
        self.filtered += other.filtered;
        self.unselected += other.unselected;
        self.rejected.extend(other.rejected);
    }

    /// True when `filtered / (total - unselected) > max_filter_ratio`.
    pub fn exceeds(&self, max_filter_ratio: f64) -> bool {
        let considered = self.total - self.unselected;
        considered > 0 && (self.filtered as f64 / considered as f64) > max_filter_ratio
    }
}

/// `-v` for `negative` loads, keeping the value's text otherwise intact.
fn negate(value: &str) -> String {
    let v = value.trim();
    match v.strip_prefix('-') {
        Some(rest) => rest.to_string(),
        None => format!("-{}", v.strip_prefix('+').unwrap_or(v)),
    }
}

impl Plan {
    /// Reads `data` (already decompressed) into rows.
    pub fn read(&self, engine: &Engine, schema: &TableSchema, data: &[u8]) -> RowBatch {
        let mut batch = RowBatch::default();
        let partitions = partition_check(engine, schema);
        let partitions = partitions.as_ref();
        match self.params.format {
            DataFormat::Csv => {
                for mut row in read_csv(data, &self.params.csv) {
                    batch.total += 1;
                    // Doris reads as many fields as the load names and ignores the rest of
                    // the line (its regression suite test_stream_load_2pc_batch_commit loads
                    // six-field lines into five columns with nothing filtered); StarRocks
                    // filters such rows.
                    if self.flavor == Flavor::Doris && row.fields.len() > self.sources.len() {
                        row.fields.truncate(self.sources.len());
                    }
                    if row.fields.len() != self.sources.len() {
                        let relation = if row.fields.len() < self.sources.len() {
                            "less"
                        } else {
                            "more"
                        };
                        batch.filtered += 1;
                        batch.rejected.push(format!(
                            "Reason: actual column number in csv file is {relation} than schema column number.actual number: {}, schema column number: {}. src line [{}];",
                            row.fields.len(),
                            self.sources.len(),
                            row.line(data)
                        ));
                        continue;
                    }
                    let span = row.span;
                    let fields = row.fields;
                    let lookup = |name: &str| -> Option<Option<String>> {
                        self.sources
                            .iter()
                            .position(|s| s.eq_ignore_ascii_case(name))
                            .map(|i| fields[i].clone())
                    };
                    self.finish_row(
                        engine,
                        schema,
                        &lookup,
                        &|| String::from_utf8_lossy(&data[span.0..span.1]).into_owned(),
                        &mut batch,
                        partitions,
                    );
                }
            }
            DataFormat::Json => {
                for row in read_json(data, &self.params.json) {
                    batch.total += 1;
                    match row {
                        JsonRow::Bad { reason, line } => {
                            batch.filtered += 1;
                            batch
                                .rejected
                                .push(format!("Reason: {reason}. src line [{line}];"));
                        }
                        JsonRow::Paths(values) => {
                            let lookup = |name: &str| -> Option<Option<String>> {
                                self.sources
                                    .iter()
                                    .position(|s| s.eq_ignore_ascii_case(name))
                                    .map(|i| values.get(i).cloned().flatten())
                            };
                            self.finish_row(
                                engine,
                                schema,
                                &lookup,
                                &|| format!("{values:?}"),
                                &mut batch,
                                partitions,
                            );
                        }
                        // Doris filters an object holding none of the load's source columns
                        // (`NewJsonReader`: "All fields is null, this is a invalid row.").
                        JsonRow::Object(map)
                            if self.flavor == Flavor::Doris
                                && !self
                                    .sources
                                    .iter()
                                    .any(|s| map.keys().any(|k| k.eq_ignore_ascii_case(s))) =>
                        {
                            batch.filtered += 1;
                            batch.rejected.push(format!(
                                "Reason: {ALL_FIELDS_NULL}. src line [{}];",
                                serde_json::to_string(&map).unwrap_or_default()
                            ));
                        }
                        JsonRow::Object(map) => {
                            let lookup = |name: &str| -> Option<Option<String>> {
                                let known =
                                    self.sources.iter().any(|s| s.eq_ignore_ascii_case(name))
                                        || name == OP_COLUMN
                                        || name.eq_ignore_ascii_case(DELETE_SIGN);
                                if !known {
                                    return None;
                                }
                                let value = map.get(name).or_else(|| {
                                    map.iter()
                                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                                        .map(|(_, v)| v)
                                });
                                match value {
                                    Some(v) => Some(json_text(v)),
                                    None => Some(self.missing_json_field(engine, schema, name)),
                                }
                            };
                            let line = || serde_json::to_string(&map).unwrap_or_default();
                            self.finish_row(engine, schema, &lookup, &line, &mut batch, partitions);
                        }
                    }
                }
            }
        }
        batch
    }

    /// The value of a field a JSON row lacks: Doris fills the column's default
    /// (`NewJsonReader::_fill_missing_column`), StarRocks NULL; `null` written in the row is NULL
    /// in both.
    fn missing_json_field(
        &self,
        engine: &Engine,
        schema: &TableSchema,
        name: &str,
    ) -> Option<String> {
        if self.flavor != Flavor::Doris {
            return None;
        }
        let column = schema
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))?;
        match column.default.as_deref() {
            Some(d) if d.eq_ignore_ascii_case("CURRENT_TIMESTAMP") => {
                Some(crate::engine::datetime_text(engine.now_ms()))
            }
            other => other.map(str::to_string),
        }
    }

    fn finish_row(
        &self,
        engine: &Engine,
        schema: &TableSchema,
        source: &dyn Fn(&str) -> Option<Option<String>>,
        line: &dyn Fn() -> String,
        batch: &mut RowBatch,
        partitions: Option<&PartitionCheck>,
    ) {
        let mut computed: Vec<(String, Option<String>)> = Vec::new();
        for (name, expr) in &self.derived {
            let value = {
                let lookup = |n: &str| -> Option<String> {
                    computed
                        .iter()
                        .find(|(c, _)| c.eq_ignore_ascii_case(n))
                        .map(|(_, v)| v.clone())
                        .unwrap_or_else(|| source(n).flatten())
                };
                expr.eval(&lookup).into_text()
            };
            computed.push((name.clone(), value));
        }
        let resolve = |n: &str| -> Option<String> {
            computed
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| source(n).flatten())
        };
        if let Some(filter) = &self.params.where_filter
            && !filter.matches(&resolve)
        {
            batch.unselected += 1;
            return;
        }
        let mut values = Vec::with_capacity(schema.columns.len());
        for (column, target) in schema.columns.iter().zip(&self.targets) {
            let raw = match target {
                Some(name)
                    if self.params.negative && column.aggregation == Some(Aggregation::Sum) =>
                {
                    resolve(name).map(|v| negate(&v))
                }
                Some(name) => resolve(name),
                None if self.params.partial_update && self.params.columns.is_some() => {
                    values.push(None);
                    continue;
                }
                // `DEFAULT CURRENT_TIMESTAMP` is the load's time, on the engine's clock.
                None if column
                    .default
                    .as_deref()
                    .is_some_and(|d| d.eq_ignore_ascii_case("CURRENT_TIMESTAMP")) =>
                {
                    Some(crate::engine::datetime_text(engine.now_ms()))
                }
                None => column.default.clone(),
            };
            match engine.convert(column, raw.as_deref(), self.params.strict_mode) {
                Ok(v) => values.push(Some(v)),
                Err(reason) => {
                    batch.filtered += 1;
                    batch
                        .rejected
                        .push(format!("Reason: {reason}. src line [{}];", line()));
                    return;
                }
            }
        }
        if let Some(check) = partitions
            && !values[check.index].as_ref().is_some_and(|v| check.fits(v))
        {
            batch.filtered += 1;
            let reason = match self.flavor {
                Flavor::Doris => "no partition for this tuple",
                Flavor::StarRocks => {
                    "The row is out of partition ranges. Please add a new partition."
                }
            };
            batch
                .rejected
                .push(format!("Reason: {reason}. src line [{}];", line()));
            return;
        }
        let mut op = match self.params.merge_type {
            MergeType::Delete => RowOp::Delete,
            MergeType::Merge
                if self
                    .params
                    .delete_on
                    .as_ref()
                    .is_some_and(|d| d.matches(&resolve)) =>
            {
                RowOp::Delete
            }
            _ => RowOp::Upsert,
        };
        if let Some(marker) = &self.delete_from {
            match resolve(marker).as_deref().map(str::trim) {
                None | Some("0") | Some("") => {}
                Some("1") => op = RowOp::Delete,
                Some(v) if self.flavor == Flavor::StarRocks && v.eq_ignore_ascii_case("upsert") => {
                }
                Some(v) if self.flavor == Flavor::StarRocks && v.eq_ignore_ascii_case("delete") => {
                    op = RowOp::Delete
                }
                Some(v) => {
                    batch.filtered += 1;
                    batch.rejected.push(format!(
                        "Reason: invalid value '{v}' for {marker}. src line [{}];",
                        line()
                    ));
                    return;
                }
            }
        }
        batch.rows.push(StagedRow { op, values });
    }
}

/// The table's partitions with bounds as the partition column's values (bounds that do not
/// convert are taken as NULL, as the FE would have refused them).
fn partition_check(engine: &Engine, schema: &TableSchema) -> Option<PartitionCheck> {
    let partitions = schema.partitions.as_ref()?;
    let index = schema.column_index(&partitions.column)?;
    let column = &schema.columns[index];
    let convert = |raw: &str| {
        engine
            .convert(column, Some(raw), false)
            .unwrap_or(crate::engine::Value::Null)
    };
    Some(PartitionCheck::new(partitions, index, column, convert))
}

#[cfg(test)]
#[path = "rows_tests.rs"]
mod tests;
