//! How rows become loads: many tables in one sink, the flush triggers (rows, bytes, age), an
//! empty flush, and a row larger than a chunk.
//!
//! Users hit stalls and broken buffers here (a single oversized row broke the Flink
//! connector's buffer; tiny flush intervals made tiny loads), so each trigger is checked by what
//! the server ends up holding and by how many loads the sink reports.

use std::time::Duration;

use streamload_core::{Delivery, Op, Sink};

use crate::failure::Result;
use crate::target::{Keys, ProtocolSetup, TableSpec, Target, TargetExt};
use crate::{ensure, ensure_eq, skip};

use super::support::{Score, deliver, scores, scores_text, write_scores};

/// Rows of three tables interleaved through one sink all arrive, each in its own table.
pub async fn many_tables_in_one_sink(target: &dyn Target) -> Result {
    let mut tables = Vec::new();
    for n in 0..3 {
        tables.push(
            target
                .create_table(&TableSpec::scores(&format!("many_{n}"), Keys::Duplicate))
                .await?,
        );
    }
    let mut sink = target.sink("many").await?;
    let mut expected = vec![Vec::new(); tables.len()];
    for id in 0..30 {
        let n = (id % 3) as usize;
        let row = Score::new(id, &format!("t{n}"), id * 10);
        sink.write(&tables[n], Op::Upsert, &row).await?;
        expected[n].push(row);
    }
    deliver(&mut sink, 1).await?;
    sink.close().await?;
    for (table, rows) in tables.iter().zip(&expected) {
        ensure_eq!(
            target.table_text(table, "id, name, score").await?,
            scores_text(rows),
            "rows of {table}"
        );
    }
    Ok(())
}

async fn batched_sink(
    target: &dyn Target,
    prefix: &str,
    tune: impl FnOnce(streamload_core::SinkConfigBuilder) -> streamload_core::SinkConfigBuilder,
) -> Result<Sink<crate::DynProtocol>> {
    let setup = ProtocolSetup {
        label_prefix: Some(prefix.to_owned()),
        ..ProtocolSetup::default()
    };
    let protocol = target.protocol(&setup).await?;
    let config = tune(target.sink_config(prefix)).build()?;
    Ok(Sink::new(protocol, config)?)
}

/// Batched mode: every `max_rows` rows make one load, without any `flush` call.
pub async fn flush_by_rows(target: &dyn Target) -> Result {
    if target.delivery() != Delivery::Batched {
        skip!(target, "flush triggers belong to batched delivery");
    }
    let table = target
        .create_table(&TableSpec::scores("by_rows", Keys::Duplicate))
        .await?;
    let mut sink = batched_sink(target, "rows", |c| c.with_max_rows(3)).await?;
    let rows = scores(1, 7, "r");
    write_scores(&mut sink, &table, &rows).await?;
    // Loads run on the table's task; `flush` waits for them and then sends the 7th row.
    sink.flush().await?;
    ensure_eq!(
        sink.stats().loads_succeeded + sink.stats().loads_skipped,
        3,
        "loads for 7 rows at 3 rows per batch"
    );
    sink.close().await?;
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "rows loaded"
    );
    Ok(())
}

/// Batched mode: a batch is cut once its encoded bytes reach `max_bytes`.
pub async fn flush_by_bytes(target: &dyn Target) -> Result {
    if target.delivery() != Delivery::Batched {
        skip!(target, "flush triggers belong to batched delivery");
    }
    let table = target
        .create_table(&TableSpec::scores("by_bytes", Keys::Duplicate))
        .await?;
    // Each row is about 30 bytes encoded; 100 bytes make a batch of four rows.
    let mut sink = batched_sink(target, "bytes", |c| {
        c.with_max_bytes(100).with_chunk_bytes(64)
    })
    .await?;
    let rows: Vec<Score> = (1..=12)
        .map(|id| Score::new(id, "twenty-byte-name-xxx", id))
        .collect();
    write_scores(&mut sink, &table, &rows).await?;
    let before_flush = sink.stats();
    sink.flush().await?;
    let loads = sink.stats().loads_succeeded;
    sink.close().await?;
    ensure!(
        (3..=4).contains(&loads),
        "12 rows of ~30 bytes at 100 bytes per batch should make 3 or 4 loads, made {loads} \
         (before flush: {before_flush:?})"
    );
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "rows loaded"
    );
    Ok(())
}

/// Rows older than the flush interval are sent by `flush_due` without a `flush` call.
pub async fn flush_by_age(target: &dyn Target) -> Result {
    if target.delivery() != Delivery::Batched {
        skip!(target, "flush triggers belong to batched delivery");
    }
    let table = target
        .create_table(&TableSpec::scores("by_age", Keys::Duplicate))
        .await?;
    let mut sink = batched_sink(target, "age", |c| {
        c.with_flush_interval(Duration::from_millis(50))
    })
    .await?;
    let rows = scores(1, 2, "a");
    write_scores(&mut sink, &table, &rows).await?;
    ensure_eq!(sink.stats().loads_succeeded, 0, "nothing is due yet");
    tokio::time::sleep(Duration::from_millis(80)).await;
    sink.flush_due().await?;
    // The load runs on the table's task: wait (bounded) for it to land.
    let mut waited = 0;
    while target.count(&table).await? < 2 && waited < 100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += 1;
    }
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "aged rows were loaded without flush()"
    );
    sink.close().await?;
    Ok(())
}

/// `flush` (batched) or `prepare` + `commit` (checkpointed) with nothing written sends no
/// load and succeeds; the sink keeps working afterwards.
pub async fn empty_flush_sends_nothing(target: &dyn Target) -> Result {
    let table = target
        .create_table(&TableSpec::scores("empty", Keys::Duplicate))
        .await?;
    let mut sink = target.sink("empty").await?;
    let checkpoint = deliver(&mut sink, 1).await?;
    if let Some(checkpoint) = checkpoint {
        ensure!(
            checkpoint.prepared.is_empty(),
            "an empty checkpoint prepared loads: {checkpoint:?}"
        );
    }
    ensure_eq!(sink.stats().loads_succeeded, 0, "loads of an empty flush");
    if let Some(emu) = target.emulator() {
        let loads = emu
            .request_log()
            .entries()
            .into_iter()
            .filter(|r| r.body_bytes > 0)
            .count();
        ensure_eq!(loads, 0, "requests with a body after an empty flush");
    }
    let rows = scores(1, 2, "e");
    write_scores(&mut sink, &table, &rows).await?;
    deliver(&mut sink, 2).await?;
    sink.close().await?;
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "rows after an empty flush"
    );
    Ok(())
}

/// A row larger than a chunk (and than `max_bytes`) is loaded whole, between normal rows.
pub async fn row_larger_than_a_chunk(target: &dyn Target) -> Result {
    let table = target
        .create_table(&TableSpec::new(
            "big_row",
            Keys::Duplicate,
            &[("id", "INT"), ("body", "STRING")],
        ))
        .await?;
    let setup = ProtocolSetup {
        label_prefix: Some("big".to_owned()),
        ..ProtocolSetup::default()
    };
    let protocol = target.protocol(&setup).await?;
    let config = target
        .sink_config("big")
        .with_chunk_bytes(1024)
        .with_max_bytes(2048)
        .with_memory_budget(64 * 1024)
        .build()?;
    let mut sink = Sink::new(protocol, config)?;
    let big = "x".repeat(20_000);
    let columns = ["id", "body"];
    let rows = [(1, "small"), (2, big.as_str()), (3, "after")];
    for (id, body) in rows {
        let values = [
            streamload_core::Value::Int(id),
            streamload_core::Value::Text(body.to_owned()),
        ];
        sink.write_values(&table, Op::Upsert, &columns, &values)
            .await?;
    }
    deliver(&mut sink, 1).await?;
    sink.close().await?;
    let got = target
        .query(&format!(
            "SELECT id, LENGTH(body) FROM {}.{} ORDER BY id",
            table.db, table.name
        ))
        .await?;
    ensure_eq!(
        got,
        vec![
            vec!["1".to_owned(), "5".to_owned()],
            vec!["2".to_owned(), "20000".to_owned()],
            vec!["3".to_owned(), "5".to_owned()],
        ],
        "row lengths read back"
    );
    Ok(())
}
