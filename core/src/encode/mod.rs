//! Encoders: rows in, load-body bytes out.
//!
//! An [`Encoder`] turns one row at a time — a serde struct ([`Encoder::encode`]) or a dynamic
//! row ([`Encoder::encode_values`]) — into CSV or JSON bytes appended to a buffer, adds the
//! vendor's delete column, and names the row and column of any value that cannot be loaded
//! faithfully. A failed row leaves the buffer as it was, so a chunk never holds half a row.
//!
//! # Type policy
//!
//! | Rust / [`Value`] | CSV | JSON |
//! |---|---|---|
//! | `bool` | `1` / `0` | `true` / `false` |
//! | `i8`…`i64`, `u8`…`u64` | digits | number |
//! | `i128`, `u128` (LARGEINT) | digits | string of digits |
//! | `f32`, `f64` | shortest round-trip text, plain (no exponent); NaN/inf → error | same |
//! | [`Decimal`] | plain digits | string of digits |
//! | `&str`, `String`, `char` | text (checked or enclosed) | string |
//! | bytes | raw bytes (checked or enclosed) | string; non-UTF-8 → error |
//! | `None`, `()` | `\N` | `null` |
//! | [`Date`] | `YYYY-MM-DD` | string |
//! | [`DateTime`] | `YYYY-MM-DD HH:MM:SS[.ffffff]` | string |
//! | [`Timestamp`] | as `DateTime`, in [`EncodeOptions::time_zone`] | string |
//! | unit enum variant | its name | string |
//! | `Vec`, maps, nested structs, data-carrying enums | JSON text | embedded JSON |
//!
//! In CSV, a value containing the column separator or line delimiter (or ending with the start
//! of a multi-byte one) is enclosed when an enclose character is configured and is an
//! `ErrorKind::Encode` error otherwise; so is the text `\N`, which would read back as NULL.
//! Inside nested values the policy is serde_json's: a nested `Timestamp` is its microseconds,
//! a nested `i128` beyond 64 bits is an error; a nested NaN or infinity is an error too.

mod append;
mod csv;
mod csv_scan;
mod fields;
mod finite;
mod json;
mod nested;
mod serializer;
mod types;
mod value;
mod writer;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::format::{Format, JsonFormat};
use crate::protocol::DeleteColumn;
use crate::row::Op;

use self::csv::{CsvRow, CsvSettings};
use self::fields::{RowSerializer, StructColumns};
use self::json::JsonRow;
use self::serializer::EncodeFailure;
use self::writer::RowWriter;

pub use self::types::{Date, DateTime, Decimal, EncodeOptions, Timestamp};
pub use self::value::Value;

const MIXED: &str = "a table's rows must be all serde rows or all dynamic rows";

#[derive(Debug, Clone)]
enum Layout {
    Csv(Box<CsvSettings>),
    Json(JsonFormat),
}

/// Encodes the rows of one table's loads.
#[derive(Debug)]
pub struct Encoder {
    layout: Layout,
    options: EncodeOptions,
    delete: Option<DeleteColumn>,
    struct_columns: StructColumns,
    dynamic_columns: Option<Vec<String>>,
    /// Rendered JSON keys by column index.
    json_keys: Vec<Vec<u8>>,
    rows: u64,
    rows_in_body: u64,
}

impl Encoder {
    /// An encoder for `format`, appending `delete` (the vendor's delete column) to every row
    /// when given. Arrow bodies are not encoded here (`ErrorKind::Config`).
    pub fn new(
        format: &Format,
        options: EncodeOptions,
        delete: Option<DeleteColumn>,
    ) -> Result<Self> {
        let layout = match format {
            Format::Csv(csv) => Layout::Csv(Box::new(CsvSettings::new(csv)?)),
            Format::Json(json) => Layout::Json(*json),
            Format::ArrowStream => {
                return Err(Error::new(
                    ErrorKind::Config,
                    "Arrow bodies are not encoded by core; send them with write_encoded",
                ));
            }
        };
        Ok(Self {
            layout,
            options,
            delete,
            struct_columns: StructColumns::default(),
            dynamic_columns: None,
            json_keys: Vec::new(),
            rows: 0,
            rows_in_body: 0,
        })
    }

    /// Appends one serde row (a struct: field order = columns) to `out`.
    pub fn encode<T: Serialize + ?Sized>(
        &mut self,
        out: &mut Vec<u8>,
        op: Op,
        row: &T,
    ) -> Result<()> {
        self.rows += 1;
        if self.dynamic_columns.is_some() {
            return Err(self.row_error(None, MIXED.to_owned()));
        }
        let options = &self.options;
        let columns = &mut self.struct_columns;
        let start = out.len();
        let result = write_row(
            &self.layout,
            self.delete.as_ref(),
            self.rows_in_body,
            &mut self.json_keys,
            out,
            op,
            SerdeBody {
                row,
                columns,
                options,
            },
        );
        self.settle(out, start, result)
    }

    /// Appends one dynamic row to `out`: `values[i]` is column `columns[i]`.
    ///
    /// Every row of a table must use the same columns in the same order.
    pub fn encode_values<S: AsRef<str>>(
        &mut self,
        out: &mut Vec<u8>,
        op: Op,
        columns: &[S],
        values: &[Value],
    ) -> Result<()> {
        self.rows += 1;
        if self.struct_columns.learned {
            return Err(self.row_error(None, MIXED.to_owned()));
        }
        if columns.len() != values.len() {
            return Err(self.row_error(
                None,
                format!("{} columns but {} values", columns.len(), values.len()),
            ));
        }
        match &self.dynamic_columns {
            Some(known)
                if !known
                    .iter()
                    .map(String::as_str)
                    .eq(columns.iter().map(AsRef::as_ref)) =>
            {
                return Err(self.row_error(
                    None,
                    format!("columns differ from the first row's {known:?}"),
                ));
            }
            Some(_) => {}
            None => {
                self.dynamic_columns =
                    Some(columns.iter().map(|c| c.as_ref().to_owned()).collect());
            }
        }
        let options = &self.options;
        let start = out.len();
        let result = write_row(
            &self.layout,
            self.delete.as_ref(),
            self.rows_in_body,
            &mut self.json_keys,
            out,
            op,
            ValuesBody {
                columns,
                values,
                options,
            },
        );
        self.settle(out, start, result)
    }

    /// Appends one pre-encoded JSON object (a line of JSON-lines input) as the next element of
    /// the JSON array body, opening the array when it is the body's first row. The object is
    /// checked only for its braces; the server parses it.
    pub fn append_json_object(&mut self, out: &mut Vec<u8>, object: &[u8]) -> Result<()> {
        self.rows += 1;
        if !matches!(self.layout, Layout::Json(JsonFormat::Array)) {
            return Err(Error::new(
                ErrorKind::Config,
                "JSON objects are appended only to JSON array bodies",
            ));
        }
        let object = object.trim_ascii();
        if !(object.starts_with(b"{") && object.ends_with(b"}")) {
            return Err(self.row_error(None, "a JSON-lines row must be one JSON object".to_owned()));
        }
        out.push(if self.rows_in_body == 0 { b'[' } else { b',' });
        out.extend_from_slice(object);
        self.rows_in_body += 1;
        Ok(())
    }

    /// Ends the current load body (the closing `]` of a JSON array) and starts a new one.
    pub fn finish_body(&mut self, out: &mut Vec<u8>) {
        if let Layout::Json(JsonFormat::Array) = self.layout {
            if self.rows_in_body == 0 {
                out.push(b'[');
            }
            out.push(b']');
        }
        self.rows_in_body = 0;
    }

    /// Rows given to this encoder so far (including failed ones): the row number of errors.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Rows encoded into the current body.
    pub fn rows_in_body(&self) -> u64 {
        self.rows_in_body
    }

    /// The encoded columns in order, including the delete column; `None` before the first row.
    pub fn columns(&self) -> Option<Vec<String>> {
        let mut names: Vec<String> = match &self.dynamic_columns {
            Some(names) => names.clone(),
            None if self.struct_columns.learned => self
                .struct_columns
                .names
                .iter()
                .map(|n| (*n).to_owned())
                .collect(),
            None => return None,
        };
        names.extend(self.delete.as_ref().map(|d| d.name.clone()));
        Some(names)
    }

    fn settle(
        &mut self,
        out: &mut Vec<u8>,
        start: usize,
        result: std::result::Result<(), EncodeFailure>,
    ) -> Result<()> {
        match result {
            Ok(()) => {
                self.rows_in_body += 1;
                Ok(())
            }
            Err(failure) => {
                out.truncate(start);
                if !self.struct_columns.learned {
                    // A failed first row teaches nothing.
                    self.struct_columns.names.clear();
                }
                let parts = failure.into_parts();
                Err(self.row_error(parts.column, parts.message))
            }
        }
    }

    fn row_error(&self, column: Option<String>, message: String) -> Error {
        let err = Error::new(ErrorKind::Encode, message).with_context("row", self.rows);
        match column {
            Some(column) => err.with_context("column", column),
            None => err,
        }
    }
}

/// Writes the row prefix, the columns (through `columns`), the delete column and the row end.
fn write_row(
    layout: &Layout,
    delete: Option<&DeleteColumn>,
    rows_in_body: u64,
    json_keys: &mut Vec<Vec<u8>>,
    out: &mut Vec<u8>,
    op: Op,
    body: impl RowBody,
) -> std::result::Result<(), EncodeFailure> {
    let delete_value = match (op, delete) {
        (Op::Upsert, Some(d)) => Some((d.name.as_str(), d.upsert.as_str())),
        (Op::Delete, Some(d)) => Some((d.name.as_str(), d.delete.as_str())),
        (Op::Upsert, None) => None,
        (Op::Delete, None) => {
            return Err(EncodeFailure::new(
                None,
                "a delete needs the table's delete column, which it does not have".to_owned(),
            ));
        }
    };
    match layout {
        Layout::Csv(settings) => {
            let mut row = CsvRow::new(settings, out);
            finish(&mut row, body, delete_value)
        }
        Layout::Json(json) => {
            match (json, rows_in_body) {
                (JsonFormat::Array, 0) => out.push(b'['),
                (JsonFormat::Array, _) => out.push(b','),
                (JsonFormat::Lines, _) => {}
            }
            let mut row = JsonRow::new(out, json_keys);
            finish(&mut row, body, delete_value)?;
            if *json == JsonFormat::Lines {
                out.push(b'\n');
            }
            Ok(())
        }
    }
}

fn finish<W: RowWriter>(
    row: &mut W,
    body: impl RowBody,
    delete_value: Option<(&str, &str)>,
) -> std::result::Result<(), EncodeFailure> {
    let columns = body.write(row)?;
    if let Some((name, value)) = delete_value {
        row.column(columns, name);
        row.text(value.as_bytes())
            .map_err(|message| EncodeFailure::new(Some(name.to_owned()), message))?;
    }
    row.end_row();
    Ok(())
}

/// The columns of one row, written through any [`RowWriter`].
trait RowBody {
    /// Writes the columns; returns how many.
    fn write<W: RowWriter>(self, writer: &mut W) -> std::result::Result<usize, EncodeFailure>;
}

struct SerdeBody<'a, T: ?Sized> {
    row: &'a T,
    columns: &'a mut StructColumns,
    options: &'a EncodeOptions,
}

impl<T: Serialize + ?Sized> RowBody for SerdeBody<'_, T> {
    fn write<W: RowWriter>(self, writer: &mut W) -> std::result::Result<usize, EncodeFailure> {
        self.row.serialize(RowSerializer {
            writer,
            columns: &mut *self.columns,
            options: self.options,
        })?;
        Ok(self.columns.names.len())
    }
}

struct ValuesBody<'a, S> {
    columns: &'a [S],
    values: &'a [Value],
    options: &'a EncodeOptions,
}

impl<S: AsRef<str>> RowBody for ValuesBody<'_, S> {
    fn write<W: RowWriter>(self, writer: &mut W) -> std::result::Result<usize, EncodeFailure> {
        for (index, (name, value)) in self.columns.iter().zip(self.values).enumerate() {
            let name = name.as_ref();
            writer.column(index, name);
            value
                .write_to(writer, self.options)
                .map_err(|message| EncodeFailure::new(Some(name.to_owned()), message))?;
        }
        Ok(self.columns.len())
    }
}
