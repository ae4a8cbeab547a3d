//! The `Sink`'s per-row write path: rows/s of `Sink::write` of a 4-column struct into a
//! protocol whose loads drop their bodies, next to the encoder alone on the same rows in the
//! same run. The difference is what the `Sink` adds per row (table lookup, memory budget,
//! flush checks); the encoder alone is the ceiling.
//!
//! `cargo bench -p streamload-core --features testing --bench sink_write` (`SINK_BENCH_ROWS` sets the row count).

use std::hint::black_box;
use std::time::Instant;

use serde::Serialize;
use streamload_core::testing::Discard;
use streamload_core::{
    CsvFormat, Delivery, EncodeOptions, Encoder, Format, Op, Sink, SinkConfig, Table,
};

#[derive(Serialize)]
struct Row<'a> {
    id: u64,
    name: &'a str,
    score: u64,
    city: &'a str,
}

/// Reusable text of row `id`.
#[derive(Default)]
struct Text {
    name: String,
    city: String,
}

impl Text {
    fn row(&mut self, id: u64) -> Row<'_> {
        use std::fmt::Write as _;
        self.name.clear();
        let _ = write!(
            self.name,
            "name-{:08x}",
            id.wrapping_mul(0x9E37_79B9) as u32
        );
        self.city.clear();
        let _ = write!(self.city, "city-{}", id % 97);
        Row {
            id,
            name: &self.name,
            score: id % 1000,
            city: &self.city,
        }
    }
}

fn encoder_only(rows: u64) -> f64 {
    let mut encoder = Encoder::new(
        &Format::Csv(CsvFormat::default()),
        EncodeOptions::default(),
        None,
    )
    .unwrap();
    let mut out = Vec::with_capacity(1 << 20);
    let mut text = Text::default();
    let start = Instant::now();
    for id in 0..rows {
        encoder.encode(&mut out, Op::Upsert, &text.row(id)).unwrap();
        if out.len() >= 1 << 20 {
            black_box(&out);
            out.clear();
        }
    }
    start.elapsed().as_secs_f64()
}

async fn sink(rows: u64) -> f64 {
    let config = SinkConfig::builder()
        .with_delivery(Delivery::Batched)
        .build()
        .unwrap();
    let mut sink = Sink::new(Discard, config).unwrap();
    let table = Table::new("db", "orders");
    let mut text = Text::default();
    let start = Instant::now();
    for id in 0..rows {
        sink.write(&table, Op::Upsert, &text.row(id)).await.unwrap();
    }
    sink.flush().await.unwrap();
    let secs = start.elapsed().as_secs_f64();
    sink.close().await.unwrap();
    secs
}

fn main() {
    let rows: u64 = std::env::var("SINK_BENCH_ROWS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut best_encoder, mut best_sink) = (f64::MAX, f64::MAX);
    for _ in 0..3 {
        best_encoder = best_encoder.min(encoder_only(rows));
        best_sink = best_sink.min(runtime.block_on(sink(rows)));
    }
    println!("write {rows} rows x 4 columns to CSV (best of 3)");
    println!(
        "  encoder alone   {:>10.0} rows/s",
        rows as f64 / best_encoder
    );
    println!(
        "  Sink::write     {:>10.0} rows/s  ({:.0} ns per row over the encoder)",
        rows as f64 / best_sink,
        (best_sink - best_encoder) / rows as f64 * 1e9
    );
}
