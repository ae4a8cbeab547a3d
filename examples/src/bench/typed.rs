//! The same rows as typed structs, for the comparison a Rust service sees: it holds values, not
//! encoded bytes, so each client also pays for encoding them. The `Sink` takes the structs and
//! encodes them with core's CSV encoder; a client that takes whole bodies needs the caller to
//! encode them, with `serde_json` the obvious choice (see `peer::peer_load_rows`).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde::Serialize;
use streamload_core::{Op, Result, Table};

use super::{SinkMode, finish_sink, open_sink};
use crate::endpoint::Endpoint;

/// One row of `test.bench` as a service would hold it.
#[derive(Debug, Serialize)]
pub struct BenchRow<'a> {
    /// `id`
    pub id: u64,
    /// `name`
    pub name: &'a str,
    /// `score`
    pub score: u64,
    /// `city`
    pub city: &'a str,
}

/// Reusable text of the row `id` (the same values as the CSV generator's rows).
#[derive(Debug, Default)]
pub struct RowText {
    name: String,
    city: String,
}

impl RowText {
    /// The row `id`, borrowing this text.
    pub fn row(&mut self, id: u64) -> BenchRow<'_> {
        self.name.clear();
        let hash = id.wrapping_mul(0x9E37_79B9) as u32;
        let _ = write!(self.name, "name-{hash:08x}");
        self.city.clear();
        let _ = write!(self.city, "city-{}", id % 97);
        BenchRow {
            id,
            name: &self.name,
            score: id % 1000,
            city: &self.city,
        }
    }
}

/// Loads `rows` typed rows into `test.bench` through the `Sink`, exactly-once (one checkpoint;
/// on StarRocks a V2 transaction), default configuration. Returns the wall time.
pub async fn sink_load_rows(endpoint: &Endpoint, rows: u64) -> Result<Duration> {
    let table = Table::new("test", "bench");
    let started = Instant::now();
    let mut sink = open_sink(endpoint, SinkMode::ExactlyOnce, None).await?;
    let mut text = RowText::default();
    for id in 0..rows {
        sink.write(&table, Op::Upsert, &text.row(id)).await?;
    }
    finish_sink(sink, SinkMode::ExactlyOnce).await?;
    Ok(started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_rows_hold_the_csv_generators_values() {
        let mut text = RowText::default();
        let json = serde_json::to_string(&text.row(3)).unwrap();
        let (csv, _) = super::super::Rows::new(200).next().unwrap();
        let fourth = String::from_utf8(csv.to_vec()).unwrap();
        let fourth = fourth.lines().nth(3).unwrap().to_owned();
        let fields: Vec<&str> = fourth.split('\t').collect();
        assert_eq!(
            json,
            format!(
                r#"{{"id":{},"name":"{}","score":{},"city":"{}"}}"#,
                fields[0], fields[1], fields[2], fields[3]
            )
        );
    }
}
