//! StarRocks load headers: `format` doubles as the CSV compression (`gzip`, `lz4`, ...), JSON
//! compression comes from `compression` / `Content-Encoding`, the row delimiter is
//! `row_delimiter`, and booleans such as `partial_update` must be `true` or `false`.
//! `partial_update_mode` (`row`, `column`, `auto`; anything else is ignored, as the FE's
//! `getPartialUpdateMode` does) only chooses how a BE writes a partial update, not which rows
//! result, so it is accepted and not read. `envelope: debezium` reads JSON change events.

use http::HeaderMap;

use super::decompress::Compression;
use super::params::{DataFormat, LoadParams, ParamError, common, get, strict_mode};
use super::separator::decode_separator;

fn starrocks_compression(name: &str) -> Result<Compression, ParamError> {
    match name.to_ascii_lowercase().as_str() {
        "gzip" => Ok(Compression::Gzip),
        "lz4_frame" | "lz4" => Ok(Compression::Lz4Frame),
        "deflate" | "zlib" => Ok(Compression::Deflate),
        "bzip2" | "zstd" | "snappy" => Err(ParamError::header(format!(
            "compression {name} is not supported by the emulator (gzip, lz4_frame, deflate)"
        ))),
        _ => Err(ParamError::header(format!(
            "Unsupported compression type: {name}"
        ))),
    }
}

/// Reads the StarRocks load headers (V1, V2 `/load` and merge commit).
pub fn starrocks_params(headers: &HeaderMap) -> Result<LoadParams, ParamError> {
    let mut p = common(headers)?;
    p.strict_mode = strict_mode(headers)?;
    let format = get(headers, "format").unwrap_or("csv").to_ascii_lowercase();
    match format.as_str() {
        "csv" => {}
        "json" => {
            p.format = DataFormat::Json;
            p.json.document_stream = true;
        }
        "gzip" | "lz4" | "deflate" | "bzip2" | "zstd" => {
            p.compression = Some(starrocks_compression(&format)?);
        }
        other => {
            return Err(ParamError::header(format!(
                "unknown data format, format={other}"
            )));
        }
    }
    if let Some(envelope) = get(headers, "envelope") {
        match envelope.to_ascii_lowercase().as_str() {
            "debezium" if p.format == DataFormat::Json => p.json.debezium = true,
            "debezium" => {
                return Err(ParamError::header(
                    "envelope debezium is only supported with format json".to_string(),
                ));
            }
            other => {
                return Err(ParamError::header(format!("unknown envelope: {other}")));
            }
        }
    }
    match (
        get(headers, "compression"),
        get(headers, "content-encoding"),
    ) {
        (Some(_), Some(_)) => {
            return Err(ParamError::header(
                "Only one of http header content-encoding and compression can be set",
            ));
        }
        (Some(c), None) | (None, Some(c)) => p.compression = Some(starrocks_compression(c)?),
        (None, None) => {}
    }
    if let Some(rd) = get(headers, "row_delimiter") {
        p.csv.line_delimiter = decode_separator(rd).map_err(ParamError::plan)?;
    }
    if let Some(skip) = get(headers, "skip_header") {
        p.csv.skip_lines = skip
            .parse::<usize>()
            .map_err(|_| ParamError::header(format!("Invalid skip_header: {skip}")))?;
    }
    // StarRocks takes the enclose bytes off an enclosed field (it has no trim_double_quotes).
    p.csv.strip_enclose = p.csv.enclose.is_some();
    p.csv.trim_space = get(headers, "trim_space").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    p.partial_update = match get(headers, "partial_update") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => {
            return Err(ParamError::header(
                "Invalid partial update flag format. Must be bool type",
            ));
        }
    };
    p.merge_condition = get(headers, "merge_condition").map(str::to_string);
    let bad_rejected_num = get(headers, "log_rejected_record_num")
        .is_some_and(|v| v.parse::<i64>().map_or(true, |n| n < -1));
    if bad_rejected_num {
        return Err(ParamError::header(
            "log_rejected_record_num must be equal or greater than -1",
        ));
    }
    if let Some(t) = p.timeout_s
        && !(1..=259_200).contains(&t)
    {
        return Err(ParamError::header("Invalid timeout format"));
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
    fn starrocks_formats_and_compression() {
        let p =
            starrocks_params(&headers(&[("format", "lz4"), ("row_delimiter", "\\x02")])).unwrap();
        assert_eq!(p.compression, Some(Compression::Lz4Frame));
        assert_eq!(p.csv.line_delimiter, vec![2]);
        let p = starrocks_params(&headers(&[
            ("format", "json"),
            ("compression", "LZ4_FRAME"),
        ]))
        .unwrap();
        assert_eq!(
            (p.format, p.compression),
            (DataFormat::Json, Some(Compression::Lz4Frame))
        );
        let e = starrocks_params(&headers(&[
            ("compression", "x"),
            ("content-encoding", "gzip"),
        ]))
        .unwrap_err();
        assert_eq!(
            e.message,
            "Only one of http header content-encoding and compression can be set"
        );
        let e = starrocks_params(&headers(&[("format", "xml")])).unwrap_err();
        assert_eq!(e.message, "unknown data format, format=xml");
        let e = starrocks_params(&headers(&[("partial_update", "1")])).unwrap_err();
        assert_eq!(
            e.message,
            "Invalid partial update flag format. Must be bool type"
        );
    }
}
