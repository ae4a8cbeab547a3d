//! The type policy, one test per type and format, and the CSV safety rules.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Date, DateTime, Decimal, EncodeOptions, Encoder, Timestamp, Value};
use crate::error::ErrorKind;
use crate::format::{CsvFormat, Format, JsonFormat};
use crate::protocol::DeleteColumn;
use crate::row::Op;

fn csv() -> Encoder {
    Encoder::new(
        &Format::Csv(CsvFormat::default()),
        EncodeOptions::default(),
        None,
    )
    .unwrap()
}

fn json() -> Encoder {
    Encoder::new(
        &Format::Json(JsonFormat::Lines),
        EncodeOptions::default(),
        None,
    )
    .unwrap()
}

fn encode<T: Serialize>(encoder: &mut Encoder, row: &T) -> String {
    let mut out = Vec::new();
    encoder.encode(&mut out, Op::Upsert, row).unwrap();
    String::from_utf8(out).unwrap()
}

#[derive(Serialize)]
struct One<T> {
    v: T,
}

fn both<T: Serialize>(v: T) -> (String, String) {
    let row = One { v };
    (encode(&mut csv(), &row), encode(&mut json(), &row))
}

#[test]
fn integers() {
    assert_eq!(both(-7i8), ("-7\n".into(), "{\"v\":-7}\n".into()));
    assert_eq!(both(u64::MAX).0, "18446744073709551615\n");
    assert_eq!(both(i64::MIN).1, "{\"v\":-9223372036854775808}\n");
}

#[test]
fn large_integers_are_strings_in_json() {
    let (c, j) = both(i128::MIN);
    assert_eq!(c, "-170141183460469231731687303715884105728\n");
    assert_eq!(j, "{\"v\":\"-170141183460469231731687303715884105728\"}\n");
    assert_eq!(both(u128::MAX).1, format!("{{\"v\":\"{}\"}}\n", u128::MAX));
}

#[test]
fn floats_are_plain_and_finite() {
    assert_eq!(both(0.1f64).0, "0.1\n");
    assert_eq!(both(0.1f32).0, "0.1\n");
    assert_eq!(both(1e20f64).0, "100000000000000000000\n");
    assert_eq!(both(1.5e-7f64).1, "{\"v\":0.00000015}\n");
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut out = Vec::new();
        let err = json()
            .encode(&mut out, Op::Upsert, &One { v: bad })
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Encode);
        assert_eq!(err.context("column"), Some("v"));
        assert!(out.is_empty(), "a failed row leaves nothing behind");
    }
}

#[test]
fn booleans() {
    assert_eq!(both(true), ("1\n".into(), "{\"v\":true}\n".into()));
}

#[test]
fn decimals_are_digit_strings() {
    let d = Decimal::parse("-12345678901234567890123456789.123456789").unwrap();
    let (c, j) = both(d.clone());
    assert_eq!(c, format!("{}\n", d.as_str()));
    assert_eq!(j, format!("{{\"v\":\"{}\"}}\n", d.as_str()));
}

#[test]
fn dates_datetimes_and_timestamps() {
    let date = Date::new(2024, 3, 1).unwrap();
    assert_eq!(both(date).0, "2024-03-01\n");
    let dt = DateTime(jiff::civil::date(2024, 3, 1).at(8, 0, 1, 500_000_000));
    assert_eq!(both(dt).1, "{\"v\":\"2024-03-01 08:00:01.500000\"}\n");
    let ts = Timestamp::from_micros(1_709_251_200_000_000).unwrap(); // 2024-03-01T00:00:00Z
    assert_eq!(both(ts).0, "2024-03-01 00:00:00\n");
    let shanghai = EncodeOptions {
        time_zone: jiff::tz::TimeZone::fixed(jiff::tz::offset(8)),
    };
    let mut enc = Encoder::new(&Format::Csv(CsvFormat::default()), shanghai, None).unwrap();
    assert_eq!(encode(&mut enc, &One { v: ts }), "2024-03-01 08:00:00\n");
}

#[test]
fn text_bytes_and_nulls() {
    assert_eq!(both("héllo").1, "{\"v\":\"héllo\"}\n");
    assert_eq!(
        both(Option::<i32>::None),
        ("\\N\n".into(), "{\"v\":null}\n".into())
    );
    let mut out = Vec::new();
    let columns = ["b"];
    csv()
        .encode_values(
            &mut out,
            Op::Upsert,
            &columns,
            &[Value::Bytes(vec![0xff, 0x01])],
        )
        .unwrap();
    assert_eq!(out, b"\xff\x01\n");
    let err = json()
        .encode_values(&mut out, Op::Upsert, &columns, &[Value::Bytes(vec![0xff])])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Encode);
}

#[test]
fn nested_values_are_json_text() {
    #[derive(Serialize)]
    struct Point {
        x: i32,
    }
    let map: BTreeMap<&str, Vec<i32>> = [("a", vec![1, 2])].into_iter().collect();
    assert_eq!(
        both(vec![1, 2]),
        ("[1,2]\n".into(), "{\"v\":[1,2]}\n".into())
    );
    assert_eq!(both(map).1, "{\"v\":{\"a\":[1,2]}}\n");
    assert_eq!(both(Point { x: 3 }).0, "{\"x\":3}\n");
}

#[test]
fn separators_inside_values_are_typed_errors_without_enclose() {
    #[derive(Serialize)]
    struct Two {
        id: i32,
        note: &'static str,
    }
    let mut enc = csv();
    let mut out = Vec::new();
    enc.encode(&mut out, Op::Upsert, &Two { id: 1, note: "ok" })
        .unwrap();
    for note in ["a\tb", "line\nbreak", "\\N"] {
        let err = enc
            .encode(&mut out, Op::Upsert, &Two { id: 2, note })
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Encode);
        assert_eq!(err.context("column"), Some("note"));
    }
    assert_eq!(out, b"1\tok\n");
}

#[test]
fn multi_byte_separators_catch_values_that_end_with_their_start() {
    let format = CsvFormat {
        column_separator: b"||".to_vec(),
        line_delimiter: b"\r\n".to_vec(),
        enclose: None,
        escape: None,
    };
    let mut enc = Encoder::new(&Format::Csv(format), EncodeOptions::default(), None).unwrap();
    let columns = ["a", "b"];
    let mut out = Vec::new();
    enc.encode_values(&mut out, Op::Upsert, &columns, &["x|".into(), "y".into()])
        .unwrap_err();
    enc.encode_values(&mut out, Op::Upsert, &columns, &["x".into(), "y\r".into()])
        .unwrap_err();
    enc.encode_values(
        &mut out,
        Op::Upsert,
        &columns,
        &["|x|y".into(), "\n".into()],
    )
    .unwrap();
    assert_eq!(out, b"|x|y||\n\r\n");
}

#[test]
fn enclose_wraps_and_escapes_only_when_needed() {
    let format = CsvFormat {
        column_separator: b",".to_vec(),
        line_delimiter: b"\n".to_vec(),
        enclose: Some(b'"'),
        escape: Some(b'\\'),
    };
    let mut enc = Encoder::new(&Format::Csv(format), EncodeOptions::default(), None).unwrap();
    let columns = ["a", "b", "c"];
    let mut out = Vec::new();
    let values = ["plain".into(), "x,\"y\"".into(), Value::Null];
    enc.encode_values(&mut out, Op::Upsert, &columns, &values)
        .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "plain,\"x,\\\"y\\\"\",\\N\n"
    );
}

#[test]
fn the_delete_column_is_appended_and_listed() {
    let delete = DeleteColumn {
        name: "__op".into(),
        upsert: "0".into(),
        delete: "1".into(),
    };
    let mut enc = Encoder::new(
        &Format::Json(JsonFormat::Lines),
        EncodeOptions::default(),
        Some(delete),
    )
    .unwrap();
    assert_eq!(enc.columns(), None);
    let mut out = Vec::new();
    enc.encode(&mut out, Op::Delete, &One { v: 1 }).unwrap();
    assert_eq!(out, b"{\"v\":1,\"__op\":\"1\"}\n");
    assert_eq!(enc.columns().unwrap(), ["v", "__op"]);
    let err = csv()
        .encode(&mut Vec::new(), Op::Delete, &One { v: 1 })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Encode);
}

#[test]
fn rows_must_keep_the_first_rows_columns() {
    #[derive(Serialize)]
    struct Sparse {
        a: i32,
        #[serde(skip_serializing_if = "Option::is_none")]
        b: Option<i32>,
    }
    let mut enc = csv();
    let mut out = Vec::new();
    enc.encode(&mut out, Op::Upsert, &Sparse { a: 1, b: Some(2) })
        .unwrap();
    let err = enc
        .encode(&mut out, Op::Upsert, &Sparse { a: 1, b: None })
        .unwrap_err();
    assert_eq!(err.context("row"), Some("2"));
    assert_eq!(out, b"1\t2\n");
    let not_a_struct = enc.encode(&mut out, Op::Upsert, &5).unwrap_err();
    assert_eq!(not_a_struct.kind(), ErrorKind::Encode);
}

#[test]
fn json_arrays_open_and_close_per_body() {
    let mut enc = Encoder::new(
        &Format::Json(JsonFormat::Array),
        EncodeOptions::default(),
        None,
    )
    .unwrap();
    let mut out = Vec::new();
    enc.encode(&mut out, Op::Upsert, &One { v: 1 }).unwrap();
    enc.encode(&mut out, Op::Upsert, &One { v: 2 }).unwrap();
    enc.finish_body(&mut out);
    enc.encode(&mut out, Op::Upsert, &One { v: 3 }).unwrap();
    enc.finish_body(&mut out);
    assert_eq!(out, b"[{\"v\":1},{\"v\":2}][{\"v\":3}]");
}

#[test]
fn a_failed_first_row_teaches_no_columns_and_kinds_do_not_mix() {
    #[derive(Serialize)]
    struct Pair {
        a: i32,
        b: f64,
    }
    let mut enc = json();
    let mut out = Vec::new();
    let bad = Pair { a: 1, b: f64::NAN };
    enc.encode(&mut out, Op::Upsert, &bad).unwrap_err();
    assert_eq!(enc.columns(), None);
    enc.encode(&mut out, Op::Upsert, &Pair { a: 2, b: 0.5 })
        .unwrap();
    assert_eq!(enc.columns().unwrap(), ["a", "b"]);
    assert_eq!(out, b"{\"a\":2,\"b\":0.5}\n");
    let mixed = enc
        .encode_values(&mut out, Op::Upsert, &["a"], &[Value::Int(1)])
        .unwrap_err();
    assert_eq!(mixed.kind(), ErrorKind::Encode);
}

#[test]
fn non_finite_floats_are_rejected_inside_nested_values_too() {
    let mut out = Vec::new();
    let nested = One {
        v: vec![vec![1.0, f64::NAN]],
    };
    let err = csv().encode(&mut out, Op::Upsert, &nested).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Encode);
    assert_eq!(err.context("column"), Some("v"));
    let map: BTreeMap<&str, f32> = [("x", f32::INFINITY)].into_iter().collect();
    assert!(
        json()
            .encode(&mut out, Op::Upsert, &One { v: map })
            .is_err()
    );
    assert!(out.is_empty());
}
