//! Text that looks like format syntax: separators, line breaks, quotes and `\N` inside values.
//!
//! Connectors that do no quoting silently split such rows (apache/doris#6497, #6550); the
//! encoders either enclose them or refuse the row with an error naming it. Each case loads the
//! same awkward values and reads them back byte for byte.

use streamload_core::{CsvFormat, ErrorKind, Format, JsonFormat, Op, Sink, Value};

use crate::failure::{Failure, Result};
use crate::target::{Keys, ProtocolSetup, TableSpec, Target, TargetExt};
use crate::{ensure, ensure_eq, skip};

use super::support::deliver;

/// Values that break naive CSV.
const AWKWARD: [&str; 8] = [
    "comma, inside",
    "tab\tinside",
    "line\nbreak",
    "carriage\r\nreturn",
    "\"quoted\" text",
    "back\\slash",
    "\\N",
    "",
];

async fn load_awkward(target: &dyn Target, table_name: &str, format: Format) -> Result {
    let table = target
        .create_table(&TableSpec::new(
            table_name,
            Keys::Duplicate,
            &[("id", "INT"), ("v", "STRING")],
        ))
        .await?;
    let setup = ProtocolSetup {
        label_prefix: Some(table_name.replace('_', "-")),
        ..ProtocolSetup::default()
    };
    let protocol = target.protocol(&setup).await?;
    let config = target
        .sink_config(&table_name.replace('_', "-"))
        .with_format(format.clone())
        .build()?;
    let enclosed = matches!(&format, Format::Csv(csv) if csv.enclose.is_some());
    if enclosed && !target.capabilities().csv_enclose {
        // The protocol cannot send `enclose`: the sink must refuse the format up front rather
        // than let the server split quoted values into columns.
        let err = match Sink::new(protocol, config) {
            Ok(_) => return Err(Failure::new("an enclosed CSV format was accepted")),
            Err(e) => e,
        };
        ensure_eq!(err.kind(), ErrorKind::Config, "error: {err}");
        skip!(
            target,
            "needs csv_enclose (refused up front with a Config error, as it must be)"
        );
    }
    let mut sink = Sink::new(protocol, config)?;
    for (id, text) in AWKWARD.iter().enumerate() {
        let id = i64::try_from(id).map_err(|e| Failure::new(e.to_string()))?;
        sink.write_values(
            &table,
            Op::Upsert,
            &["id", "v"],
            &[Value::Int(id), Value::Text((*text).to_owned())],
        )
        .await?;
    }
    deliver(&mut sink, 1).await?;
    sink.close().await?;
    let rows = target
        .query(&format!(
            "SELECT id, v FROM {}.{} ORDER BY id",
            table.db, table.name
        ))
        .await?;
    ensure_eq!(rows.len(), AWKWARD.len(), "rows read back: {rows:?}");
    for (row, text) in rows.iter().zip(AWKWARD) {
        ensure_eq!(row[1].as_str(), text, "value of row {}", row[0]);
    }
    Ok(())
}

/// Enclosed CSV carries separators, line breaks, quotes and `\N`-looking text unchanged.
pub async fn csv_text_with_separators_quotes_and_null_marker_round_trips(
    target: &dyn Target,
) -> Result {
    let format = Format::Csv(CsvFormat {
        column_separator: b",".to_vec(),
        line_delimiter: b"\n".to_vec(),
        enclose: Some(b'"'),
        escape: Some(b'\\'),
    });
    load_awkward(target, "csv_awkward", format).await
}

/// JSON lines carry the same awkward text unchanged.
pub async fn json_text_with_separators_quotes_and_null_marker_round_trips(
    target: &dyn Target,
) -> Result {
    load_awkward(target, "json_awkward", Format::Json(JsonFormat::Lines)).await
}

/// Plain CSV (no enclose) cannot carry a separator: the row is refused with an `Encode` error
/// that names it, never split into wrong columns.
pub async fn plain_csv_refuses_a_value_containing_the_separator(target: &dyn Target) -> Result {
    let table = target
        .create_table(&TableSpec::new(
            "plain_csv",
            Keys::Duplicate,
            &[("id", "INT"), ("v", "STRING")],
        ))
        .await?;
    let mut sink = target.sink("plain").await?;
    sink.write_values(
        &table,
        Op::Upsert,
        &["id", "v"],
        &[Value::Int(1), Value::Text("fine".into())],
    )
    .await?;
    let refused = sink
        .write_values(
            &table,
            Op::Upsert,
            &["id", "v"],
            &[Value::Int(2), Value::Text("tab\there".into())],
        )
        .await;
    let err = match refused {
        Ok(()) => return Err(Failure::new("a value with a tab was accepted in plain CSV")),
        Err(e) => e,
    };
    ensure_eq!(err.kind(), ErrorKind::Encode, "error kind: {err}");
    let text = err.to_string();
    ensure!(
        text.contains("row") && text.contains('v'),
        "the error names the row and column: {text}"
    );
    deliver(&mut sink, 1).await?;
    sink.close().await?;
    ensure_eq!(
        target.table_text(&table, "id, v").await?,
        "1,fine",
        "only the good row is loaded"
    );
    Ok(())
}
