//! Load parameters: the request headers that change how a body becomes rows, validated with the
//! vendors' error texts.
//!
//! Doris and StarRocks share most names but differ in details (`line_delimiter` vs
//! `row_delimiter`, `compress_type` vs `format: gzip` / `compression`, `partial_columns` vs
//! `partial_update`), so each flavor has its own entry point producing the same [`LoadParams`].

use http::HeaderMap;

use super::columns::{ColumnItem, parse_columns};
use super::csv::CsvOptions;
use super::decompress::Compression;
use super::expr::{Expr, parse_expr};
use super::json::{JsonOptions, parse_jsonpaths};
use super::separator::decode_separator;

/// Body format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    /// Delimited text.
    Csv,
    /// JSON documents.
    Json,
}

/// Doris `merge_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeType {
    /// Every row is an upsert (default).
    Append,
    /// Every row deletes its key.
    Delete,
    /// Rows matching the `delete` predicate delete, the others upsert.
    Merge,
}

/// When a parameter error is detected: before the transaction begins (header phase, `TxnId`
/// -1) or while planning, after begin (the transaction is rolled back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Checked by the BE before begin.
    Header,
    /// Checked by the planner after begin.
    Plan,
}

/// A rejected parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    /// When the server notices it.
    pub phase: Phase,
    /// The status code name (`INVALID_ARGUMENT`, `ANALYSIS_ERROR`, ...).
    pub code: &'static str,
    /// The message without any prefix.
    pub message: String,
}

impl ParamError {
    pub(super) fn header(message: impl Into<String>) -> Self {
        ParamError {
            phase: Phase::Header,
            code: "INVALID_ARGUMENT",
            message: message.into(),
        }
    }
    pub(super) fn plan(message: impl Into<String>) -> Self {
        ParamError {
            phase: Phase::Plan,
            code: "ANALYSIS_ERROR",
            message: message.into(),
        }
    }
}

/// Every header that changes how the body becomes rows.
#[derive(Debug, Clone)]
pub struct LoadParams {
    /// CSV or JSON.
    pub format: DataFormat,
    /// CSV splitting.
    pub csv: CsvOptions,
    /// JSON splitting.
    pub json: JsonOptions,
    /// Body compression to undo.
    pub compression: Option<Compression>,
    /// The `columns` header.
    pub columns: Option<Vec<ColumnItem>>,
    /// Doris `hidden_columns` (used only without `columns`).
    pub hidden_columns: Vec<String>,
    /// Row filter (`where`).
    pub where_filter: Option<Expr>,
    /// Allowed filtered share.
    pub max_filter_ratio: f64,
    /// Strict type conversion.
    pub strict_mode: bool,
    /// Doris merge type.
    pub merge_type: MergeType,
    /// Doris `delete` predicate (with MERGE).
    pub delete_on: Option<Expr>,
    /// Doris `function_column.sequence_col`.
    pub sequence_col: Option<String>,
    /// Partial update (Doris `partial_columns`, StarRocks `partial_update`).
    pub partial_update: bool,
    /// StarRocks `merge_condition`.
    pub merge_condition: Option<String>,
    /// `negative: true` (exactly): SUM columns are subtracted.
    pub negative: bool,
    /// `timeout` in seconds, if sent.
    pub timeout_s: Option<u64>,
}

pub(super) fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

pub(super) fn strtod(value: Option<&str>) -> f64 {
    value.and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
}

pub(super) fn single_byte(headers: &HeaderMap, name: &str) -> Result<Option<u8>, ParamError> {
    match headers.get(name).and_then(|v| v.to_str().ok()) {
        None | Some("") => Ok(None),
        Some(v) if v.len() == 1 => Ok(Some(v.as_bytes()[0])),
        Some(v) => Err(ParamError::header(format!(
            "{name} must be single-char, actually is {v}"
        ))),
    }
}

pub(super) fn common(headers: &HeaderMap) -> Result<LoadParams, ParamError> {
    let columns = match get(headers, "columns") {
        Some(text) => Some(parse_columns(text).map_err(ParamError::plan)?),
        None => None,
    };
    let where_filter = match get(headers, "where") {
        Some(text) => Some(parse_expr(text).map_err(ParamError::plan)?),
        None => None,
    };
    let jsonpaths = match get(headers, "jsonpaths") {
        Some(text) => Some(parse_jsonpaths(text).map_err(ParamError::plan)?),
        None => None,
    };
    if get(headers, "partitions").is_some() && get(headers, "temporary_partitions").is_some() {
        return Err(ParamError::plan(
            "Can not specify both partitions and temporary partitions",
        ));
    }
    let timeout_s = match get(headers, "timeout") {
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| ParamError::header("Invalid timeout format"))?,
        ),
        None => None,
    };
    let mut csv = CsvOptions::default();
    if let Some(sep) = get(headers, "column_separator") {
        csv.column_separator = decode_separator(sep).map_err(ParamError::plan)?;
    }
    csv.enclose = single_byte(headers, "enclose")?;
    csv.escape = single_byte(headers, "escape")?;
    Ok(LoadParams {
        format: DataFormat::Csv,
        csv,
        json: JsonOptions {
            read_json_by_line: false,
            strip_outer_array: get(headers, "strip_outer_array")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            document_stream: false,
            json_root: get(headers, "json_root").map(str::to_string),
            jsonpaths,
            debezium: false,
            reject_unmatched_paths: false,
        },
        compression: None,
        columns,
        hidden_columns: Vec::new(),
        where_filter,
        max_filter_ratio: strtod(get(headers, "max_filter_ratio")),
        strict_mode: false,
        merge_type: MergeType::Append,
        delete_on: None,
        sequence_col: None,
        partial_update: false,
        merge_condition: None,
        negative: headers
            .get("negative")
            .is_some_and(|v| v.as_bytes() == b"true"),
        timeout_s,
    })
}

pub(super) fn strict_mode(headers: &HeaderMap) -> Result<bool, ParamError> {
    match get(headers, "strict_mode") {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(ParamError::header(
            "Invalid strict mode format. Must be bool type",
        )),
    }
}

/// Reads the Doris load headers.
pub fn doris_params(headers: &HeaderMap) -> Result<LoadParams, ParamError> {
    let mut p = common(headers)?;
    p.strict_mode = strict_mode(headers)?;
    p.json.reject_unmatched_paths = true;
    let format = get(headers, "format").unwrap_or("csv").to_ascii_lowercase();
    match format.as_str() {
        "csv" => {}
        "csv_with_names" => p.csv.skip_lines = 1,
        "csv_with_names_and_types" => p.csv.skip_lines = 2,
        "json" => p.format = DataFormat::Json,
        other => {
            return Err(ParamError::header(format!(
                "unknown data format, format={other} (the emulator reads csv and json)"
            )));
        }
    }
    if let Some(ct) = get(headers, "compress_type") {
        p.compression = Some(match ct.to_ascii_lowercase().as_str() {
            "gz" => Compression::Gzip,
            "lz4" => Compression::Lz4Frame,
            "deflate" => Compression::Deflate,
            _ if p.format == DataFormat::Csv => {
                return Err(ParamError::header(format!(
                    "unknown data format, format={format}"
                )));
            }
            other => {
                return Err(ParamError::header(format!(
                    "compress_type {other} is not supported by the emulator (gz, lz4, deflate)"
                )));
            }
        });
    }
    if let Some(ld) = get(headers, "line_delimiter") {
        p.csv.line_delimiter = decode_separator(ld).map_err(ParamError::plan)?;
    }
    p.csv.trim_double_quotes =
        get(headers, "trim_double_quotes").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    p.csv.empty_field_as_null =
        get(headers, "empty_field_as_null").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if let Some(skip) = get(headers, "skip_lines")
        && p.csv.skip_lines == 0
    {
        p.csv.skip_lines = skip
            .parse::<usize>()
            .map_err(|_| ParamError::header(format!("Invalid 'skip_lines': {skip}")))?;
    }
    let by_line = get(headers, "read_json_by_line");
    p.json.read_json_by_line = match (by_line, get(headers, "strip_outer_array")) {
        (None, None) => true,
        (v, _) => v.is_some_and(|v| v.eq_ignore_ascii_case("true")),
    };
    p.hidden_columns = get(headers, "hidden_columns")
        .map(|v| {
            v.split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect()
        })
        .unwrap_or_default();
    p.merge_type = match get(headers, "merge_type")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("APPEND") => MergeType::Append,
        Some("DELETE") => MergeType::Delete,
        Some("MERGE") => MergeType::Merge,
        Some(_) => {
            let v = get(headers, "merge_type").unwrap_or_default();
            return Err(ParamError::header(format!("Invalid merge type {v}")));
        }
    };
    let delete = get(headers, "delete");
    match (p.merge_type, delete) {
        (MergeType::Merge, None) => {
            return Err(ParamError::plan(
                "Excepted DELETE ON clause when merge type is MERGE.",
            ));
        }
        (MergeType::Merge, Some(d)) => p.delete_on = Some(parse_expr(d).map_err(ParamError::plan)?),
        (_, Some(_)) if get(headers, "merge_type").is_some() => {
            return Err(ParamError::plan(
                "Not support DELETE ON clause when merge type is not MERGE.",
            ));
        }
        _ => {}
    }
    p.sequence_col = get(headers, "function_column.sequence_col").map(str::to_string);
    p.partial_update = match get(headers, "unique_key_update_mode")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None => get(headers, "partial_columns").is_some_and(|v| v.eq_ignore_ascii_case("true")),
        Some("UPSERT") => false,
        Some("UPDATE_FIXED_COLUMNS") => true,
        Some(_) => {
            let v = get(headers, "unique_key_update_mode").unwrap_or_default();
            return Err(ParamError::header(format!(
                "Invalid unique_key_partial_mode {v}, must be one of 'UPSERT', 'UPDATE_FIXED_COLUMNS' or 'UPDATE_FLEXIBLE_COLUMNS'"
            )));
        }
    };
    if let Some(t) = p.timeout_s
        && !(1..=259_200).contains(&t)
    {
        return Err(ParamError::plan(format!(
            "Invalid timeout: {t}. Timeout should between 1 and 259200 seconds"
        )));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn doris_defaults_and_json_line_mode() {
        let p = doris_params(&headers(&[])).unwrap();
        assert_eq!(p.format, DataFormat::Csv);
        assert_eq!(p.csv.column_separator, b"\t");
        let p = doris_params(&headers(&[("format", "JSON")])).unwrap();
        assert!(p.json.read_json_by_line);
        let p = doris_params(&headers(&[
            ("format", "json"),
            ("strip_outer_array", "true"),
        ]))
        .unwrap();
        assert!(!p.json.read_json_by_line && p.json.strip_outer_array);
    }

    #[test]
    fn doris_header_errors() {
        let e = doris_params(&headers(&[("strict_mode", "yes")])).unwrap_err();
        assert_eq!(e.message, "Invalid strict mode format. Must be bool type");
        let e = doris_params(&headers(&[("merge_type", "MERGE")])).unwrap_err();
        assert_eq!(
            e.message,
            "Excepted DELETE ON clause when merge type is MERGE."
        );
        let e = doris_params(&headers(&[("enclose", "ab")])).unwrap_err();
        assert_eq!(e.message, "enclose must be single-char, actually is ab");
        let e = doris_params(&headers(&[("compress_type", "gzip")])).unwrap_err();
        assert_eq!(e.message, "unknown data format, format=csv");
        assert_eq!(
            doris_params(&headers(&[("max_filter_ratio", "x")]))
                .unwrap()
                .max_filter_ratio,
            0.0
        );
    }
}
