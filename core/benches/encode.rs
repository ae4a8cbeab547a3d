//! Encoder throughput: 1M rows of a 16-column mixed-type row to CSV and to JSON lines, next to
//! `serde_json::to_writer` of the same rows in the same run.
//!
//! Prints rows/s and MB/s for each (one timed pass over all rows), then lets criterion measure
//! the same three with a small sample size. Targets: CSV ≥ 2× and JSON ≥ 1× serde_json.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use serde::Serialize;
use streamload_core::{
    CsvFormat, Date, DateTime, Decimal, EncodeOptions, Encoder, Format, JsonFormat, Op,
};

/// Rows per pass; `ENCODE_BENCH_ROWS` shrinks it for slow profilers (callgrind).
fn row_count() -> usize {
    std::env::var("ENCODE_BENCH_ROWS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}

#[derive(Serialize)]
struct Order {
    id: i64,
    user_id: i32,
    quantity: u32,
    code: u16,
    amount: f64,
    discount: f32,
    active: bool,
    name: String,
    email: String,
    city: &'static str,
    note: Option<String>,
    price: Decimal,
    day: Date,
    created: DateTime,
    big: i128,
    status: &'static str,
}

fn rows() -> Vec<Order> {
    let cities = ["Beijing", "Hangzhou", "Shenzhen", "Berlin", "Lisbon"];
    let day = Date::new(2024, 5, 17).unwrap();
    (0..row_count())
        .map(|i| {
            let n = i as i64;
            Order {
                id: n,
                user_id: (n % 100_000) as i32,
                quantity: (n % 50) as u32,
                code: (n % 999) as u16,
                amount: n as f64 * 0.37 + 0.01,
                discount: (n % 7) as f32 * 0.5,
                active: n % 3 == 0,
                name: format!("customer number {n}"),
                email: format!("user{n}@example.com"),
                city: cities[i % cities.len()],
                note: (n % 4 == 0).then(|| format!("gift wrap, note {n}")),
                price: Decimal::from_parts(i128::from(n) * 13 + 99, 2),
                day,
                created: DateTime(jiff::civil::date(2024, 5, 17).at(
                    (n % 24) as i8,
                    (n % 60) as i8,
                    7,
                    0,
                )),
                big: i128::from(n) * 1_000_000_000_000,
                status: "shipped",
            }
        })
        .collect()
}

fn serde_json_lines(rows: &[Order], out: &mut Vec<u8>) {
    for row in rows {
        serde_json::to_writer(&mut *out, row).unwrap();
        out.push(b'\n');
    }
}

fn encode(rows: &[Order], encoder: &mut Encoder, out: &mut Vec<u8>) {
    for row in rows {
        encoder.encode(out, Op::Upsert, row).unwrap();
    }
}

fn csv_encoder() -> Encoder {
    Encoder::new(
        &Format::Csv(CsvFormat::default()),
        EncodeOptions::default(),
        None,
    )
    .unwrap()
}

fn json_encoder() -> Encoder {
    Encoder::new(
        &Format::Json(JsonFormat::Lines),
        EncodeOptions::default(),
        None,
    )
    .unwrap()
}

/// Rounds of the timed comparison; each encoder keeps its fastest round, which filters out
/// the noise of a shared machine.
const ROUNDS: usize = 5;

fn report(rows: &[Order]) {
    let mut out = Vec::with_capacity(512 << 20);
    let mut best = [(f64::MAX, 0usize); 3];
    for _ in 0..ROUNDS {
        for (i, slot) in best.iter_mut().enumerate() {
            out.clear();
            let start = Instant::now();
            match i {
                0 => serde_json_lines(rows, &mut out),
                1 => encode(rows, &mut csv_encoder(), &mut out),
                _ => encode(rows, &mut json_encoder(), &mut out),
            }
            let secs = start.elapsed().as_secs_f64();
            if secs < slot.0 {
                *slot = (secs, out.len());
            }
        }
    }
    let base = best[0].0;
    let rows = rows.len();
    println!("encode {rows} rows x 16 columns (best of {ROUNDS} rounds)");
    for (name, (secs, bytes)) in [
        "serde_json::to_writer",
        "streamload CSV",
        "streamload JSON lines",
    ]
    .into_iter()
    .zip(best)
    {
        println!(
            "  {name:<22} {:>10.0} rows/s {:>7.1} MB/s  {:.3} s  {:>10} bytes  {:.2}x serde_json",
            rows as f64 / secs,
            bytes as f64 / secs / 1e6,
            secs,
            bytes,
            base / secs,
        );
    }
}

fn main() {
    let rows = rows();
    // `ENCODE_BENCH_ONLY=csv|json|serde_json` loops one encoder (for a profiler) and exits.
    if let Ok(only) = std::env::var("ENCODE_BENCH_ONLY") {
        let mut out = Vec::with_capacity(512 << 20);
        for _ in 0..10 {
            out.clear();
            match only.as_str() {
                "csv" => encode(&rows, &mut csv_encoder(), &mut out),
                "json" => encode(&rows, &mut json_encoder(), &mut out),
                _ => serde_json_lines(&rows, &mut out),
            }
        }
        return;
    }
    report(&rows);

    let mut criterion = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let mut group = criterion.benchmark_group("encode_1M_rows");
    group.throughput(Throughput::Elements(rows.len() as u64));
    let mut out = Vec::with_capacity(512 << 20);
    group.bench_function("serde_json_to_writer", |b| {
        b.iter(|| {
            out.clear();
            serde_json_lines(black_box(&rows), &mut out);
        })
    });
    group.bench_function("csv", |b| {
        b.iter(|| {
            out.clear();
            encode(black_box(&rows), &mut csv_encoder(), &mut out);
        })
    });
    group.bench_function("json_lines", |b| {
        b.iter(|| {
            out.clear();
            encode(black_box(&rows), &mut json_encoder(), &mut out);
        })
    });
    group.finish();
    criterion.final_summary();
}
