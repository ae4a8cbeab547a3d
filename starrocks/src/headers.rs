//! The Stream Load headers of one load, built once per transaction.
//!
//! V2 rolls a transaction back when a `/load` carries different parameters than the first
//! (`load request not equal last.`), so the header set is computed once in `begin` and reused
//! verbatim. This is also where the data features are enforced: the `columns` list (with `__op`
//! last) is always sent when the encoder named the columns, so a partial update never writes
//! NULL into columns the rows do not carry; `merge_condition` is refused on V2, which ignores it.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use streamload_core::{
    Compression, Error, ErrorKind, Format, JsonFormat, LoadOptions, Result, Table,
};

use crate::config::StarRocksConfig;

/// Which request family the headers are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderMode {
    /// `_stream_load`.
    V1,
    /// `/api/transaction/load`.
    V2,
    /// `_stream_load` with `enable_merge_commit`.
    MergeCommit,
}

/// Headers this crate computes; user `sink.properties.*` never override them.
const COMPUTED: &[&str] = &[
    "label",
    "db",
    "table",
    "format",
    "compression",
    "content-encoding",
    "columns",
    "expect",
    "authorization",
    "content-length",
    "transfer-encoding",
    "column_separator",
    "row_delimiter",
    "strip_outer_array",
    "enclose",
    "escape",
    "prepared_timeout",
];

/// Merge-commit keys, sent only in merge-commit mode.
const MERGE_KEYS: &[&str] = &[
    "enable_merge_commit",
    "merge_commit_interval_ms",
    "merge_commit_parallel",
    "merge_commit_async",
];

/// Builds the load headers (without label and credentials) for `table`.
pub(crate) fn load_headers(
    config: &StarRocksConfig,
    table: &Table,
    options: &LoadOptions,
    mode: HeaderMode,
) -> Result<HeaderMap> {
    let mut h = HeaderMap::new();
    let mut put = |name: &str, value: &str| -> Result<()> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| config_error(format!("invalid header name {name:?}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| config_error(format!("invalid value for header {name}")))?;
        h.insert(name, value);
        Ok(())
    };
    if mode == HeaderMode::V2 {
        put("db", &table.db)?;
        put("table", &table.name)?;
    }
    match (&options.format, options.compression) {
        (Format::Csv(csv), compression) => {
            let format = match compression {
                Compression::None => "csv",
                Compression::Lz4Frame => "lz4",
                Compression::Gzip => "gzip",
            };
            put("format", format)?;
            put("column_separator", &escape_separator(&csv.column_separator))?;
            put("row_delimiter", &escape_separator(&csv.line_delimiter))?;
            if mode == HeaderMode::V2 && (csv.enclose.is_some() || csv.escape.is_some()) {
                // Dropping them would let the server split quoted values into columns.
                return Err(config_error(
                    "CSV enclose/escape are not read by StarRocks transaction loads (V2); \
                     use V1, JSON, or CSV without enclose"
                        .to_owned(),
                ));
            }
            if let Some(b) = csv.enclose {
                put("enclose", &char::from(b).to_string())?;
            }
            if let Some(b) = csv.escape {
                put("escape", &char::from(b).to_string())?;
            }
        }
        (Format::Json(layout), compression) => {
            put("format", "json")?;
            if *layout == JsonFormat::Array {
                put("strip_outer_array", "true")?;
            }
            match compression {
                Compression::None => {}
                Compression::Lz4Frame => put("compression", "LZ4_FRAME")?,
                Compression::Gzip => put("compression", "GZIP")?,
            }
        }
        (Format::ArrowStream, _) => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "StarRocks does not load Arrow streams",
            ));
        }
    }
    if matches!(options.format, Format::Json(_)) && config.property("ignore_json_size").is_none() {
        put("ignore_json_size", "true")?;
    }
    let partial = config
        .property("partial_update")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    match (&options.columns, config.property("columns")) {
        (_, Some(user)) => put("columns", user)?,
        (Some(columns), None) => put("columns", &quote_columns(columns))?,
        (None, None) if partial => {
            return Err(config_error(
                "partial_update needs the list of columns the rows carry (unnamed columns \
                 would be overwritten with NULL); encode rows with named fields or set \
                 sink.properties.columns",
            )
            .with_context("table", table));
        }
        (None, None) => {}
    }
    if mode != HeaderMode::V1 && config.property("merge_condition").is_some() {
        return Err(config_error(
            "merge_condition works with V1 Stream Load only (sink.version = V1)",
        ));
    }
    if config.property("timeout").is_none() {
        put("timeout", "600")?;
    }
    for (key, value) in &config.properties {
        let merge_key = MERGE_KEYS.contains(&key.as_str());
        if COMPUTED.contains(&key.as_str()) || (merge_key && mode != HeaderMode::MergeCommit) {
            continue;
        }
        put(key, value)?;
    }
    if mode == HeaderMode::MergeCommit {
        put("enable_merge_commit", "true")?;
        if config.property("merge_commit_parallel").is_none() {
            put("merge_commit_parallel", "3")?;
        }
        if config.property("merge_commit_async").is_none() {
            put("merge_commit_async", "true")?;
        }
    }
    Ok(h)
}

/// `` `a`,`b`,`__op` `` (backticks allow any column name).
pub(crate) fn quote_columns(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("`{}`", c.replace('`', "``")))
        .collect::<Vec<_>>()
        .join(",")
}

/// Printable separators go as text, others as `\xHH…` (the server's hex form).
pub(crate) fn escape_separator(bytes: &[u8]) -> String {
    if bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') && !bytes.starts_with(b"\\x") {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut out = String::from("\\x");
    for b in bytes {
        out.push_str(&format!("{b:02X}"));
    }
    out
}

fn config_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Config, message)
}

/// A header value from text; text that is not a valid header value becomes empty.
pub(crate) fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamload_core::CsvFormat;

    fn options(columns: Option<&[&str]>, format: Format, compression: Compression) -> LoadOptions {
        LoadOptions {
            format,
            compression,
            columns: columns.map(|c| c.iter().map(|s| s.to_string()).collect()),
            two_phase: false,
        }
    }

    fn config(props: &[(&str, &str)]) -> StarRocksConfig {
        let mut c = StarRocksConfig::default();
        for (k, v) in props {
            c.properties.insert(k.to_string(), v.to_string());
        }
        c
    }

    #[test]
    fn csv_headers_carry_columns_with_op_last() {
        let t = Table::new("test", "score_board");
        let o = options(
            Some(&["id", "name", "__op"]),
            Format::Csv(CsvFormat::default()),
            Compression::None,
        );
        let h = load_headers(
            &config(&[("partial_update", "true")]),
            &t,
            &o,
            HeaderMode::V2,
        )
        .unwrap();
        assert_eq!(h["columns"], "`id`,`name`,`__op`");
        assert_eq!(h["column_separator"], "\\x09");
        assert_eq!(h["row_delimiter"], "\\x0A");
        assert_eq!(h["partial_update"], "true");
        assert_eq!(h["db"], "test");
        assert_eq!(h["timeout"], "600");
    }

    #[test]
    fn partial_update_without_columns_is_refused() {
        let t = Table::new("test", "score_board");
        let o = options(None, Format::Csv(CsvFormat::default()), Compression::None);
        let err = load_headers(
            &config(&[("partial_update", "true")]),
            &t,
            &o,
            HeaderMode::V1,
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("partial_update"));
    }

    #[test]
    fn merge_condition_is_v1_only() {
        let t = Table::new("test", "score_board");
        let o = options(
            Some(&["id", "score"]),
            Format::Csv(CsvFormat::default()),
            Compression::None,
        );
        let c = config(&[("merge_condition", "score")]);
        assert!(load_headers(&c, &t, &o, HeaderMode::V2).is_err());
        let merge = load_headers(&c, &t, &o, HeaderMode::MergeCommit).unwrap_err();
        assert_eq!(merge.kind(), ErrorKind::Config);
        assert_eq!(
            load_headers(&c, &t, &o, HeaderMode::V1).unwrap()["merge_condition"],
            "score"
        );
    }

    #[test]
    fn enclose_is_refused_on_transaction_loads_and_sent_on_v1() {
        let t = Table::new("test", "t");
        let enclosed = CsvFormat {
            enclose: Some(b'"'),
            escape: Some(b'\\'),
            ..CsvFormat::default()
        };
        let o = options(None, Format::Csv(enclosed), Compression::None);
        let c = config(&[]);
        let v2 = load_headers(&c, &t, &o, HeaderMode::V2).unwrap_err();
        assert_eq!(v2.kind(), ErrorKind::Config);
        let v1 = load_headers(&c, &t, &o, HeaderMode::V1).unwrap();
        assert_eq!(v1["enclose"], "\"");
        assert_eq!(v1["escape"], "\\");
    }

    #[test]
    fn compression_headers() {
        let t = Table::new("d", "t");
        let json = options(None, Format::Json(JsonFormat::Array), Compression::Lz4Frame);
        let h = load_headers(&config(&[]), &t, &json, HeaderMode::V1).unwrap();
        assert_eq!(h["format"], "json");
        assert_eq!(h["compression"], "LZ4_FRAME");
        assert_eq!(h["strip_outer_array"], "true");
        let csv = options(
            None,
            Format::Csv(CsvFormat::default()),
            Compression::Lz4Frame,
        );
        let h = load_headers(&config(&[]), &t, &csv, HeaderMode::V1).unwrap();
        assert_eq!(h["format"], "lz4");
        assert!(h.get("compression").is_none());
    }

    #[test]
    fn merge_keys_only_in_merge_mode() {
        let t = Table::new("d", "t");
        let o = options(None, Format::Csv(CsvFormat::default()), Compression::None);
        let c = config(&[
            ("enable_merge_commit", "true"),
            ("merge_commit_interval_ms", "1000"),
        ]);
        assert!(
            load_headers(&c, &t, &o, HeaderMode::V1)
                .unwrap()
                .get("merge_commit_interval_ms")
                .is_none()
        );
        let h = load_headers(&c, &t, &o, HeaderMode::MergeCommit).unwrap();
        assert_eq!(h["merge_commit_interval_ms"], "1000");
        assert_eq!(h["merge_commit_parallel"], "3");
    }
}
