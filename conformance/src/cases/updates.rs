//! What loads do to keyed tables: upserts and deletes, partial updates (which must never write
//! NULL into the columns a row does not carry — StarRocks connector#428), conditional updates,
//! and the same rows compressed or not.

use serde::Serialize;
use streamload_core::{Compression, CsvFormat, Format, JsonFormat, Op, Sink};

use crate::failure::Result;
use crate::target::{Keys, ProtocolSetup, TableSpec, Target, TargetExt};
use crate::{ensure_eq, skip};

use super::support::{Score, deliver, load_scores, scores, scores_text};

/// Upserts replace rows by key and deletes remove them, in write order, in one load.
pub async fn upserts_and_deletes_apply_in_order(target: &dyn Target) -> Result {
    let table = target
        .create_table(&TableSpec::scores("upserts", Keys::Upsert))
        .await?;
    load_scores(target, "up1", &table, &scores(1, 5, "v1-")).await?;
    let mut sink = target.sink("up2").await?;
    sink.write(&table, Op::Upsert, &Score::new(2, "v2", 20))
        .await?;
    sink.write(&table, Op::Delete, &Score::new(3, "v1-3", 3))
        .await?;
    sink.write(&table, Op::Upsert, &Score::new(6, "new", 60))
        .await?;
    sink.write(&table, Op::Delete, &Score::new(6, "new", 60))
        .await?;
    sink.write(&table, Op::Upsert, &Score::new(2, "v3", 30))
        .await?;
    deliver(&mut sink, 1).await?;
    sink.close().await?;
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        "1,v1-1,1;2,v3,30;4,v1-4,4;5,v1-5,5",
        "rows after upserts and deletes"
    );
    Ok(())
}

#[derive(Serialize)]
struct ScoreOnly {
    id: i32,
    score: i32,
}

/// A partial update writes only the named columns and keeps the others.
pub async fn partial_update_keeps_unnamed_columns(target: &dyn Target) -> Result {
    if !target.capabilities().partial_update {
        skip!(target, "needs partial_update");
    }
    let table = target
        .create_table(&TableSpec::scores("partial", Keys::Upsert))
        .await?;
    load_scores(target, "full", &table, &scores(1, 3, "keep")).await?;
    let setup = ProtocolSetup {
        label_prefix: Some("partial".to_owned()),
        partial_columns: Some(vec!["id".to_owned(), "score".to_owned()]),
        ..ProtocolSetup::default()
    };
    let protocol = target.protocol(&setup).await?;
    let mut sink = Sink::new(protocol, target.sink_config("partial").build()?)?;
    for id in [1, 3] {
        sink.write(
            &table,
            Op::Upsert,
            &ScoreOnly {
                id,
                score: 100 + id,
            },
        )
        .await?;
    }
    deliver(&mut sink, 1).await?;
    sink.close().await?;
    let got = target.table_text(&table, "id, name, score").await?;
    ensure_eq!(
        got,
        "1,keep1,101;2,keep2,2;3,keep3,103",
        "rows after a partial update of score"
    );
    Ok(())
}

/// With a condition column, a row replaces the stored one only when its value is not smaller.
pub async fn conditional_update_keeps_the_newer_row(target: &dyn Target) -> Result {
    if !target.capabilities().conditional_update {
        skip!(target, "needs conditional_update");
    }
    let table = target
        .create_table(&TableSpec::scores("conditional", Keys::Upsert))
        .await?;
    load_scores(target, "base", &table, &[Score::new(1, "ten", 10)]).await?;
    let setup = ProtocolSetup {
        label_prefix: Some("cond".to_owned()),
        condition_column: Some("score".to_owned()),
        ..ProtocolSetup::default()
    };
    let protocol = target.protocol(&setup).await?;
    let mut sink = Sink::new(protocol, target.sink_config("cond").build()?)?;
    sink.write(&table, Op::Upsert, &Score::new(1, "five", 5))
        .await?;
    deliver(&mut sink, 1).await?;
    let got = target.table_text(&table, "id, name, score").await?;
    ensure_eq!(got, "1,ten,10", "an older row does not replace a newer one");
    sink.write(&table, Op::Upsert, &Score::new(1, "twenty", 20))
        .await?;
    deliver(&mut sink, 2).await?;
    sink.close().await?;
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        "1,twenty,20",
        "a newer row replaces an older one"
    );
    Ok(())
}

async fn load_with(
    target: &dyn Target,
    table_name: &str,
    format: Format,
    compression: Compression,
) -> Result {
    let table = target
        .create_table(&TableSpec::scores(table_name, Keys::Duplicate))
        .await?;
    let prefix = table_name.replace('_', "-");
    let setup = ProtocolSetup {
        label_prefix: Some(prefix.clone()),
        ..ProtocolSetup::default()
    };
    let protocol = target.protocol(&setup).await?;
    let config = target
        .sink_config(&prefix)
        .with_format(format)
        .with_compression(compression)
        .build()?;
    let mut sink = Sink::new(protocol, config)?;
    let rows = scores(1, 200, "compressible-name-");
    super::support::write_scores(&mut sink, &table, &rows).await?;
    deliver(&mut sink, 1).await?;
    sink.close().await?;
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "rows of {table_name}"
    );
    Ok(())
}

/// The same rows load identically with LZ4-frame compression on and off, in CSV and JSON.
pub async fn compression_on_and_off_load_the_same_rows(target: &dyn Target) -> Result {
    let caps = target.capabilities();
    let csv = || Format::Csv(CsvFormat::default());
    let json = || Format::Json(JsonFormat::Lines);
    load_with(target, "plain_csv", csv(), Compression::None).await?;
    load_with(target, "plain_json", json(), Compression::None).await?;
    if caps.lz4_csv {
        load_with(target, "lz4_csv", csv(), Compression::Lz4Frame).await?;
    } else {
        eprintln!("{}: no lz4_csv, LZ4 CSV not checked", target.name());
    }
    if caps.lz4_json {
        load_with(target, "lz4_json", json(), Compression::Lz4Frame).await?;
    } else {
        eprintln!("{}: no lz4_json, LZ4 JSON not checked", target.name());
    }
    Ok(())
}
