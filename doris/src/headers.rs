//! The Stream Load request headers of one load.
//!
//! Separate from the protocol so the rules are unit-testable without a server: user properties go
//! out verbatim, then what the load itself decides (format, compression, columns, label, 2PC)
//! overrides them. Separators are sent in Doris' `\xNN` form whenever they are not plain printable
//! text, so the FE decodes exactly the bytes the body uses.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use streamload_core::{
    Compression, Error, ErrorKind, Format, JsonFormat, Label, LoadOptions, Result,
};

use crate::config::{DorisConfig, DorisMode};
use crate::metadata::DELETE_SIGN;

/// Properties the load decides itself; user values for them are ignored.
const OWNED: &[&str] = &[
    "label",
    "two_phase_commit",
    "format",
    "compress_type",
    "expect",
    "authorization",
];

fn insert(headers: &mut HeaderMap, name: &str, value: &str) -> Result<()> {
    let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        Error::new(
            ErrorKind::Config,
            format!("invalid Stream Load property name {name:?}"),
        )
    })?;
    let value = HeaderValue::from_str(value).map_err(|_| {
        Error::new(
            ErrorKind::Config,
            format!("invalid value for Stream Load property {name}"),
        )
    })?;
    headers.insert(name, value);
    Ok(())
}

/// A separator as Doris reads it: printable text as is, anything else as `\xNN…`.
pub(crate) fn separator_header(bytes: &[u8]) -> String {
    let plain = bytes
        .iter()
        .all(|b| b.is_ascii_graphic() && *b != b'\\' || *b == b' ');
    if plain && !bytes.is_empty() {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        bytes.iter().map(|b| format!("\\x{b:02x}")).collect()
    }
}

/// The `columns` header: back-quoted names, the delete sign appended to a user list when the
/// encoder added it.
fn columns_header(config: &DorisConfig, columns: Option<&[String]>) -> Option<String> {
    let user = config.property("columns").map(str::to_owned);
    match (user, columns) {
        (Some(user), Some(cols)) => {
            let needs_sign = cols.iter().any(|c| c == DELETE_SIGN) && !user.contains(DELETE_SIGN);
            Some(if needs_sign {
                format!("{user},{DELETE_SIGN}")
            } else {
                user
            })
        }
        (Some(user), None) => Some(user),
        (None, Some(cols)) if !cols.is_empty() => Some(
            cols.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(","),
        ),
        (None, _) => None,
    }
}

/// All headers of a load (without `Authorization` and `Expect`, which the client adds).
pub(crate) fn load_headers(
    config: &DorisConfig,
    options: &LoadOptions,
    label: Option<&Label>,
) -> Result<HeaderMap> {
    let mut h = HeaderMap::new();
    for (name, value) in &config.properties {
        if !OWNED.iter().any(|o| o.eq_ignore_ascii_case(name)) {
            insert(&mut h, name, value)?;
        }
    }
    match &options.format {
        Format::Csv(csv) => {
            insert(&mut h, "format", "csv")?;
            insert(
                &mut h,
                "column_separator",
                &separator_header(&csv.column_separator),
            )?;
            insert(
                &mut h,
                "line_delimiter",
                &separator_header(&csv.line_delimiter),
            )?;
            for (name, byte) in [("enclose", csv.enclose), ("escape", csv.escape)] {
                if let Some(b) = byte {
                    insert(&mut h, name, &char::from(b).to_string())?;
                }
            }
            // Doris keeps the enclosing quotes in the value unless told to trim them
            // (`trim_double_quotes` defaults to false, as the vendor's regression suites record).
            if csv.enclose.is_some() && !h.contains_key("trim_double_quotes") {
                insert(&mut h, "trim_double_quotes", "true")?;
            }
        }
        Format::Json(layout) => {
            let by_line = *layout == JsonFormat::Lines;
            insert(&mut h, "format", "json")?;
            insert(
                &mut h,
                "read_json_by_line",
                if by_line { "true" } else { "false" },
            )?;
            insert(
                &mut h,
                "strip_outer_array",
                if by_line { "false" } else { "true" },
            )?;
        }
        Format::ArrowStream if cfg!(feature = "arrow") => insert(&mut h, "format", "arrow")?,
        Format::ArrowStream => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "Arrow bodies need the `arrow` feature of streamload-doris",
            ));
        }
    }
    match options.compression {
        Compression::None if crate::compress::gzip_here(config, options.compression) => {
            insert(&mut h, "compress_type", "gz")?;
        }
        Compression::None => {}
        Compression::Gzip => insert(&mut h, "compress_type", "gz")?,
        Compression::Lz4Frame => insert(&mut h, "compress_type", "lz4")?,
    }
    if let Some(columns) = columns_header(config, options.columns.as_deref()) {
        insert(&mut h, "columns", &columns)?;
    }
    if options.two_phase {
        insert(&mut h, "two_phase_commit", "true")?;
    }
    match (config.mode(), label) {
        (DorisMode::GroupCommit(_), _) => {} // Doris refuses a label with group commit.
        (_, Some(label)) => insert(&mut h, "label", label.as_str())?,
        (_, None) => {}
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamload_core::CsvFormat;

    fn csv_options(columns: Option<Vec<String>>) -> LoadOptions {
        LoadOptions {
            format: Format::Csv(CsvFormat::default()),
            compression: Compression::Gzip,
            columns,
            two_phase: true,
        }
    }

    #[test]
    fn csv_two_phase_headers() {
        let mut config = DorisConfig::default();
        config
            .properties
            .insert("label".into(), "user-label-ignored".into());
        config
            .properties
            .insert("max_filter_ratio".into(), "0.1".into());
        let label = Label::new("p_db_t_0_1").unwrap();
        let cols = vec!["id".to_owned(), "name".to_owned(), DELETE_SIGN.to_owned()];
        let h = load_headers(&config, &csv_options(Some(cols)), Some(&label)).unwrap();
        assert_eq!(h["label"], "p_db_t_0_1");
        assert_eq!(h["two_phase_commit"], "true");
        assert_eq!(h["column_separator"], "\\x09");
        assert_eq!(h["line_delimiter"], "\\x0a");
        assert_eq!(h["compress_type"], "gz");
        assert_eq!(h["max_filter_ratio"], "0.1");
        assert_eq!(h["columns"], "`id`,`name`,`__DORIS_DELETE_SIGN__`");
        assert!(!h.contains_key("trim_double_quotes"), "no enclose, no trim");
    }

    #[test]
    fn enclose_asks_doris_to_trim_the_quotes_unless_the_user_said_otherwise() {
        let mut options = csv_options(None);
        options.format = Format::Csv(CsvFormat {
            enclose: Some(b'"'),
            escape: Some(b'\\'),
            ..CsvFormat::default()
        });
        let h = load_headers(&DorisConfig::default(), &options, None).unwrap();
        assert_eq!(h["enclose"], "\"");
        assert_eq!(h["trim_double_quotes"], "true");
        let mut config = DorisConfig::default();
        config
            .properties
            .insert("trim_double_quotes".into(), "false".into());
        let h = load_headers(&config, &options, None).unwrap();
        assert_eq!(h["trim_double_quotes"], "false");
    }

    #[test]
    fn user_columns_win_but_keep_the_delete_sign() {
        let mut config = DorisConfig::default();
        config
            .properties
            .insert("columns".into(), "id,score".into());
        config
            .properties
            .insert("partial_columns".into(), "true".into());
        let cols = vec!["id".to_owned(), "score".to_owned(), DELETE_SIGN.to_owned()];
        let label = Label::new("l").unwrap();
        let h = load_headers(&config, &csv_options(Some(cols)), Some(&label)).unwrap();
        assert_eq!(h["columns"], "id,score,__DORIS_DELETE_SIGN__");
        assert_eq!(h["partial_columns"], "true");
    }

    #[test]
    fn group_commit_sends_no_label_and_json_is_explicit() {
        let mut config = DorisConfig::default();
        config
            .properties
            .insert("group_commit".into(), "sync_mode".into());
        let options = LoadOptions {
            format: Format::Json(JsonFormat::Lines),
            compression: Compression::Lz4Frame,
            columns: None,
            two_phase: false,
        };
        let h = load_headers(&config, &options, Some(&Label::new("x").unwrap())).unwrap();
        assert!(h.get("label").is_none());
        assert_eq!(h["group_commit"], "sync_mode");
        assert_eq!(h["read_json_by_line"], "true");
        assert_eq!(h["strip_outer_array"], "false");
        assert_eq!(h["compress_type"], "lz4");
    }

    #[test]
    fn arrow_bodies_follow_the_feature() {
        let options = LoadOptions {
            format: Format::ArrowStream,
            compression: Compression::None,
            columns: None,
            two_phase: false,
        };
        let result = load_headers(&DorisConfig::default(), &options, None);
        if cfg!(feature = "arrow") {
            assert_eq!(result.unwrap()["format"], "arrow");
        } else {
            assert_eq!(result.unwrap_err().kind(), ErrorKind::Unsupported);
        }
    }

    #[test]
    fn separators() {
        assert_eq!(separator_header(b","), ",");
        assert_eq!(separator_header(b"||"), "||");
        assert_eq!(separator_header(b"\x01\x02"), "\\x01\\x02");
        assert_eq!(separator_header(b"\\"), "\\x5c");
    }
}
