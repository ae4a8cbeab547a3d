//! Property tests: CSV with enclose reads back through the `csv` crate, JSON reads back through
//! serde_json, and chunking never splits a row.

use proptest::prelude::*;
use serde::Serialize;

use super::{EncodeOptions, Encoder, Value};
use crate::budget::Charge;
use crate::buffer::TableBuffer;
use crate::format::{CsvFormat, Format, JsonFormat};
use crate::row::Op;

fn cell() -> impl Strategy<Value = Option<String>> {
    prop::option::of(
        "[a-z,\"\\\\\n\r\t é]{0,12}".prop_filter("not the NULL marker", |s| s != "\\N"),
    )
}

fn enclosed_format(escape: Option<u8>) -> CsvFormat {
    CsvFormat {
        column_separator: b",".to_vec(),
        line_delimiter: b"\n".to_vec(),
        enclose: Some(b'"'),
        escape,
    }
}

fn read_back(bytes: &[u8], escape: Option<u8>) -> Vec<Vec<Option<String>>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .quote(b'"')
        .escape(escape)
        .double_quote(escape.is_none())
        .from_reader(bytes);
    reader
        .records()
        .map(|record| {
            record
                .unwrap()
                .iter()
                .map(|field| (field != "\\N").then(|| field.to_owned()))
                .collect()
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct Mixed {
    id: i64,
    text: String,
    flag: bool,
    score: f64,
    tags: Vec<String>,
    big: i128,
    missing: Option<u32>,
}

fn mixed() -> impl Strategy<Value = Mixed> {
    (
        any::<i64>(),
        ".{0,16}",
        any::<bool>(),
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        prop::collection::vec(".{0,4}", 0..3),
        any::<i128>(),
        any::<Option<u32>>(),
    )
        .prop_map(|(id, text, flag, score, tags, big, missing)| Mixed {
            id,
            text,
            flag,
            score,
            tags,
            big,
            missing,
        })
}

proptest! {
    #[test]
    fn csv_with_enclose_reads_back_through_the_csv_crate(
        rows in prop::collection::vec(prop::collection::vec(cell(), 3), 1..20),
        use_escape in any::<bool>(),
    ) {
        let escape = use_escape.then_some(b'\\');
        let format = Format::Csv(enclosed_format(escape));
        let mut encoder = Encoder::new(&format, EncodeOptions::default(), None).unwrap();
        let columns = ["a", "b", "c"];
        let mut out = Vec::new();
        for row in &rows {
            let values: Vec<Value> = row.iter().cloned().map(Value::from).collect();
            encoder.encode_values(&mut out, Op::Upsert, &columns, &values).unwrap();
        }
        prop_assert_eq!(read_back(&out, escape), rows);
    }

    #[test]
    fn json_lines_read_back_through_serde_json(rows in prop::collection::vec(mixed(), 1..10)) {
        let format = Format::Json(JsonFormat::Lines);
        let mut encoder = Encoder::new(&format, EncodeOptions::default(), None).unwrap();
        let mut out = Vec::new();
        for row in &rows {
            encoder.encode(&mut out, Op::Upsert, row).unwrap();
        }
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        prop_assert_eq!(lines.len(), rows.len());
        for (line, row) in lines.iter().zip(&rows) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            prop_assert_eq!(v["id"].as_i64(), Some(row.id));
            prop_assert_eq!(v["text"].as_str(), Some(row.text.as_str()));
            prop_assert_eq!(v["flag"].as_bool(), Some(row.flag));
            // serde_json's default float parser is not correctly rounded for very long
            // numbers; read the raw text with Rust's exact parser instead.
            let raw = line.split("\"score\":").nth(1).unwrap().split(',').next().unwrap();
            prop_assert!(!raw.contains(['e', 'E']), "exponent in {}", raw);
            prop_assert_eq!(raw.parse::<f64>().unwrap(), row.score);
            prop_assert_eq!(&v["tags"], &serde_json::json!(row.tags));
            let big = row.big.to_string();
            prop_assert_eq!(v["big"].as_str(), Some(big.as_str()));
            prop_assert_eq!(v["missing"].as_u64(), row.missing.map(u64::from));
        }
    }

    #[test]
    fn chunk_boundaries_never_split_a_row(
        rows in prop::collection::vec(prop::collection::vec(cell(), 3), 1..40),
        chunk_bytes in 1usize..64,
    ) {
        let format = Format::Csv(enclosed_format(None));
        let mut encoder = Encoder::new(&format, EncodeOptions::default(), None).unwrap();
        let mut buffer = TableBuffer::new(chunk_bytes);
        let columns = ["a", "b", "c"];
        for row in &rows {
            let values: Vec<Value> = row.iter().cloned().map(Value::from).collect();
            encoder.encode_values(&mut buffer.current, Op::Upsert, &columns, &values).unwrap();
            buffer.rows_added(1, Charge::default());
        }
        buffer.seal();
        let chunks = buffer.take_chunks();
        let mut read = Vec::new();
        let mut counted = 0;
        for chunk in &chunks {
            // Every chunk is whole rows on its own.
            let chunk_rows = read_back(&chunk.bytes, None);
            prop_assert_eq!(chunk_rows.len() as u64, chunk.rows);
            counted += chunk.rows;
            read.extend(chunk_rows);
        }
        prop_assert_eq!(counted, rows.len() as u64);
        prop_assert_eq!(read, rows);
    }
}
