//! Small pieces many cases share: the row type, "deliver what was written" for either delivery
//! mode, and waiting for a server-batched target's window.

use serde::Serialize;
use streamload_core::{Checkpoint, Delivery, LoadProtocol, Op, Sink, Table};

use crate::failure::Result;
use crate::target::{Target, TargetExt};

/// A row of the `scores` table (`TableSpec::scores`).
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    /// Key.
    pub id: i32,
    /// Text value.
    pub name: String,
    /// Number value.
    pub score: i32,
}

impl Score {
    /// A row.
    pub fn new(id: i32, name: &str, score: i32) -> Self {
        Self {
            id,
            name: name.to_owned(),
            score,
        }
    }
}

/// `count` rows `id = start.., name = "{tag}{id}", score = id`.
pub fn scores(start: i32, count: i32, tag: &str) -> Vec<Score> {
    (start..start + count)
        .map(|id| Score::new(id, &format!("{tag}{id}"), id))
        .collect()
}

/// The `scores` rows as `table_text` renders them (`id,name,score;…`).
pub fn scores_text(rows: &[Score]) -> String {
    let mut sorted: Vec<&Score> = rows.iter().collect();
    sorted.sort_by_key(|r| r.id);
    sorted
        .iter()
        .map(|r| format!("{},{},{}", r.id, r.name, r.score))
        .collect::<Vec<_>>()
        .join(";")
}

/// Writes `rows` as upserts.
pub async fn write_scores<P: LoadProtocol + 'static>(
    sink: &mut Sink<P>,
    table: &Table,
    rows: &[Score],
) -> Result<()> {
    for row in rows {
        sink.write(table, Op::Upsert, row).await?;
    }
    Ok(())
}

/// Makes everything written so far visible: prepare + commit checkpoint `checkpoint_id` in
/// checkpointed mode, `flush` in batched mode. Returns the checkpoint when there was one.
pub async fn deliver<P: LoadProtocol + 'static>(
    sink: &mut Sink<P>,
    checkpoint_id: u64,
) -> Result<Option<Checkpoint>> {
    match sink.config().delivery {
        Delivery::Checkpointed => {
            let checkpoint = sink.prepare(checkpoint_id).await?;
            sink.commit(&checkpoint).await?;
            Ok(Some(checkpoint))
        }
        Delivery::Batched => {
            sink.flush().await?;
            Ok(None)
        }
    }
}

/// Writes `rows` into a fresh sink, delivers them and closes the sink.
pub async fn load_scores(
    target: &dyn Target,
    prefix: &str,
    table: &Table,
    rows: &[Score],
) -> Result {
    let mut sink = target.sink(prefix).await?;
    write_scores(&mut sink, table, rows).await?;
    deliver(&mut sink, 1).await?;
    sink.close().await?;
    Ok(())
}

/// A crash: the sink vanishes without running any destructor, as when the process dies (no
/// abort is scheduled, open HTTP bodies stay open until the runtime ends).
pub fn crash<P: LoadProtocol + 'static>(sink: Sink<P>) {
    std::mem::forget(sink);
}
