//! Measures the engine's ingest rate: convert + stage + commit of N rows into a 3-column table,
//! for the duplicate and unique models. Prints rows/s; run with
//! `cargo run --release -p streamload-emulator --example engine_ingest -- [rows]`.

use std::time::{Duration, Instant};

use streamload_emulator::engine::{
    BeginRequest, Engine, EngineConfig, Flavor, RowOp, StagedRow, WriteMode,
};

fn run(model: &str, rows: usize) -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::open(EngineConfig::new(Flavor::Doris))?;
    engine.create_database("bench")?;
    engine.execute_ddl(&format!(
        "CREATE TABLE bench.t (id BIGINT, name VARCHAR(32), score INT) {model} KEY(id) \
         DISTRIBUTED BY HASH(id) BUCKETS 1"
    ))?;
    let schema = engine.table("bench", "t").ok_or("table missing")?;
    let fields: Vec<[String; 3]> = (0..rows)
        .map(|i| [i.to_string(), format!("name-{i}"), (i % 1000).to_string()])
        .collect();
    let start = Instant::now();
    let txn = engine.begin(BeginRequest {
        db: "bench".into(),
        table: "t".into(),
        label: format!("bench-{model}"),
        timeout: Duration::from_secs(600),
        coordinator_be: 0,
        write: WriteMode::default(),
    })?;
    let mut staged = Vec::with_capacity(rows);
    for f in &fields {
        let mut values = Vec::with_capacity(3);
        for (c, raw) in schema.columns.iter().zip(f) {
            values.push(Some(engine.convert(c, Some(raw), false)?));
        }
        staged.push(StagedRow {
            op: RowOp::Upsert,
            values,
        });
    }
    let converted = start.elapsed();
    engine.stage(txn.id, staged)?;
    engine.commit(txn.id)?;
    let total = start.elapsed();
    println!(
        "{model:<9} rows={rows} convert={:.0} rows/s  convert+stage+commit={:.0} rows/s ({:.3} s)",
        rows as f64 / converted.as_secs_f64(),
        rows as f64 / total.as_secs_f64(),
        total.as_secs_f64()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(500_000);
    for model in ["DUPLICATE", "UNIQUE"] {
        run(model, rows)?;
    }
    Ok(())
}
