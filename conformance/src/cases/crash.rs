//! A crash at each point of a load's life, then a restart: checkpointed targets end with
//! exactly the input rows; batched targets with every row (labelled batches replayed
//! identically are skipped, so they too end with exactly the input; server-batched targets
//! write to a keyed table, which makes duplicates invisible).
//!
//! A crash is `mem::forget` of the sink: no destructor runs, no abort is sent, open bodies stay
//! open — as when the process dies. The restart is a new sink built from what the application
//! stored (the last checkpoint, or nothing in batched mode).

use std::time::Duration;

use streamload_core::{Checkpoint, Delivery, Sink, SinkConfigBuilder, Table};

use crate::ensure_eq;
use crate::failure::Result;
use crate::target::{DynProtocol, Keys, ProtocolSetup, TableSpec, Target, TargetExt};

use super::support::{Score, crash, deliver, scores, scores_text, write_scores};

/// Where the first run dies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CrashPoint {
    /// Rows of the second batch / checkpoint are only buffered.
    BeforePrepare,
    /// Part of the second batch / checkpoint reached the server.
    MidStream,
    /// The second checkpoint is prepared and stored, not committed.
    AfterPrepare,
    /// Everything was committed, but the application did not record it.
    AfterCommit,
}

async fn protocol(target: &dyn Target) -> Result<DynProtocol> {
    let setup = ProtocolSetup {
        label_prefix: Some("crash".to_owned()),
        ..ProtocolSetup::default()
    };
    target.protocol(&setup).await
}

fn sink_config(target: &dyn Target, table: &Table, point: CrashPoint) -> SinkConfigBuilder {
    let chunk = if point == CrashPoint::MidStream {
        64
    } else {
        1 << 20
    };
    target
        .sink_config("crash")
        .with_tables(vec![table.clone()])
        .with_chunk_bytes(chunk)
        .with_max_rows(2)
}

async fn crash_then_recover(target: &dyn Target, point: CrashPoint) -> Result {
    let keys = if target.server_batched() {
        Keys::Upsert
    } else {
        Keys::Duplicate
    };
    let table = target
        .create_table(&TableSpec::scores("crashed", keys))
        .await?;
    let first = scores(1, 4, "first");
    let second = scores(5, 4, "second");
    let mut expected = first.clone();
    expected.extend(second.iter().cloned());
    match target.delivery() {
        Delivery::Checkpointed => checkpointed(target, &table, point, &first, &second).await?,
        Delivery::Batched => batched(target, &table, point, &first, &second).await?,
    }
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&expected),
        "rows after a crash {point:?} and recovery"
    );
    if let Some(emu) = target.emulator() {
        let running = emu.engine().running_txns(&table.db);
        ensure_eq!(running.len(), 0, "transactions left running: {running:?}");
    }
    Ok(())
}

async fn checkpointed(
    target: &dyn Target,
    table: &Table,
    point: CrashPoint,
    first: &[Score],
    second: &[Score],
) -> Result {
    let config = sink_config(target, table, point).build()?;
    let mut sink = Sink::recover(protocol(target).await?, config, None).await?;
    write_scores(&mut sink, table, first).await?;
    let first_checkpoint = deliver(&mut sink, 1).await?;
    write_scores(&mut sink, table, second).await?;
    let (stored, replay): (Option<Checkpoint>, &[Score]) = match point {
        CrashPoint::BeforePrepare | CrashPoint::MidStream => (first_checkpoint, second),
        CrashPoint::AfterPrepare => (Some(sink.prepare(2).await?), &[]),
        CrashPoint::AfterCommit => (deliver(&mut sink, 2).await?, &[]),
    };
    crash(sink);
    // The checkpoint went through storage, as the application would keep it.
    let stored: Option<Checkpoint> = match stored {
        Some(c) => Some(serde_json::from_str(&serde_json::to_string(&c)?)?),
        None => None,
    };
    let next = stored.as_ref().map_or(1, |c| c.id + 1);
    let config = sink_config(target, table, point).build()?;
    let mut sink = Sink::recover(protocol(target).await?, config, stored).await?;
    write_scores(&mut sink, table, replay).await?;
    deliver(&mut sink, next).await?;
    sink.close().await?;
    Ok(())
}

async fn batched(
    target: &dyn Target,
    table: &Table,
    point: CrashPoint,
    first: &[Score],
    second: &[Score],
) -> Result {
    let labelled = !target.server_batched();
    let mut sink = Sink::new(
        protocol(target).await?,
        sink_config(target, table, point).build()?,
    )?;
    write_scores(&mut sink, table, first).await?;
    sink.flush().await?;
    let written = match point {
        CrashPoint::BeforePrepare => 1,
        CrashPoint::MidStream => 3,
        CrashPoint::AfterPrepare | CrashPoint::AfterCommit => second.len(),
    };
    write_scores(&mut sink, table, &second[..written]).await?;
    if point == CrashPoint::AfterCommit {
        sink.flush().await?;
    }
    crash(sink);
    // Loads the dead process had already sent finish or fail on the server meanwhile.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Labelled batches: the source replays from the start in identical batches, and batches
    // already loaded are skipped by label. Server-batched: replay what was not acknowledged.
    let replay: Vec<Score> = if labelled {
        first.iter().chain(second).cloned().collect()
    } else {
        second.to_vec()
    };
    let config = sink_config(target, table, point)
        .with_skip_loaded_batches(labelled)
        .build()?;
    let mut sink = Sink::new(protocol(target).await?, config)?;
    write_scores(&mut sink, table, &replay).await?;
    sink.flush().await?;
    sink.close().await?;
    Ok(())
}

/// Crash with the second batch / checkpoint only buffered, then recover.
pub async fn crash_before_prepare_then_recover(target: &dyn Target) -> Result {
    crash_then_recover(target, CrashPoint::BeforePrepare).await
}

/// Crash with part of the second batch / checkpoint sent, then recover.
pub async fn crash_mid_stream_then_recover(target: &dyn Target) -> Result {
    crash_then_recover(target, CrashPoint::MidStream).await
}

/// Crash after the second checkpoint was prepared and stored (batched: after its rows were
/// written), then recover.
pub async fn crash_after_prepare_before_commit_then_recover(target: &dyn Target) -> Result {
    crash_then_recover(target, CrashPoint::AfterPrepare).await
}

/// Crash after everything was committed, then recover (commit again is idempotent, replayed
/// batches are skipped).
pub async fn crash_after_commit_then_recover(target: &dyn Target) -> Result {
    crash_then_recover(target, CrashPoint::AfterCommit).await
}
