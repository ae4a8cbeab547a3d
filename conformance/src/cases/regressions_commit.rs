//! Regression cases about who commits what, and in which order (anchors §8 #4, #7, #22).

use streamload_core::{Delivery, Op, Sink};
use streamload_emulator::{FaultAction, FaultRule, Listener};

use crate::failure::Result;
use crate::target::{Keys, ProtocolSetup, TableSpec, Target, TargetExt};
use crate::{ensure, ensure_eq, skip};

use super::support::{Score, deliver, scores, scores_text, write_scores};

/// #4: closing (or dropping) the writer after `prepare` must not abort the transactions it
/// handed to the checkpoint; a committer restored from that checkpoint commits them.
pub async fn close_after_prepare_keeps_the_prepared_transactions(target: &dyn Target) -> Result {
    if target.delivery() != Delivery::Checkpointed {
        skip!(target, "checkpointed delivery only");
    }
    let table = target
        .create_table(&TableSpec::scores("handed_over", Keys::Duplicate))
        .await?;
    let setup = ProtocolSetup {
        label_prefix: Some("handover".to_owned()),
        ..ProtocolSetup::default()
    };
    let config = || {
        target
            .sink_config("handover")
            .with_tables(vec![table.clone()])
            .build()
    };
    let rows = scores(1, 3, "kept");
    let mut writer = Sink::recover(target.protocol(&setup).await?, config()?, None).await?;
    write_scores(&mut writer, &table, &rows).await?;
    let checkpoint = writer.prepare(1).await?;
    // Rows written after prepare belong to the next checkpoint, which close discards.
    write_scores(&mut writer, &table, &scores(100, 2, "discarded")).await?;
    writer.close().await?;
    let committer =
        Sink::recover(target.protocol(&setup).await?, config()?, Some(checkpoint)).await?;
    committer.close().await?;
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "rows of the handed-over checkpoint"
    );
    Ok(())
}

/// #7: the BE that coordinated a prepared load refuses every request when the commit comes;
/// the commit still succeeds (through the FE or another node) and the rows appear once.
pub async fn commit_survives_a_dead_coordinator_be(target: &dyn Target) -> Result {
    if target.delivery() != Delivery::Checkpointed {
        skip!(target, "checkpointed delivery only");
    }
    let Some(emu) = target.emulator() else {
        skip!(target, "needs the emulator's faults");
    };
    let table = target
        .create_table(&TableSpec::scores("dead_be", Keys::Duplicate))
        .await?;
    let rows = scores(1, 3, "d");
    let mut sink = target.sink("deadbe").await?;
    write_scores(&mut sink, &table, &rows).await?;
    let checkpoint = sink.prepare(1).await?;
    // The BE that coordinated the load (BE 0 when the checkpoint does not name one).
    let urls = emu.be_urls();
    let dead = checkpoint
        .prepared
        .iter()
        .filter_map(|p| p.coordinator.as_deref())
        .find_map(|c| urls.iter().position(|u| u.ends_with(c)))
        .unwrap_or(0);
    let dead = Listener::Be(dead);
    emu.faults()
        .add(FaultRule::new("", 1000, FaultAction::Reset).on(dead));
    let committed = sink.commit(&checkpoint).await;
    let refused = emu
        .request_log()
        .entries()
        .iter()
        .filter(|r| r.listener == dead && r.status == 0)
        .count();
    emu.faults().clear();
    committed?;
    sink.close().await?;
    eprintln!(
        "{}: {refused} requests to the dead BE during commit",
        target.name()
    );
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "rows after a commit with the coordinator BE dead"
    );
    Ok(())
}

/// #22: many small batches of updates to one key, with concurrent loads allowed, end with
/// the last write (per-table loads stay in order).
pub async fn many_small_batches_keep_the_last_write_per_key(target: &dyn Target) -> Result {
    let table = target
        .create_table(&TableSpec::scores("ordered", Keys::Upsert))
        .await?;
    let setup = ProtocolSetup {
        label_prefix: Some("ordered".to_owned()),
        ..ProtocolSetup::default()
    };
    let config = target
        .sink_config("ordered")
        .with_max_rows(1)
        .with_chunk_bytes(16)
        .with_max_concurrent_loads(4)
        .build()?;
    let mut sink = Sink::new(target.protocol(&setup).await?, config)?;
    let versions = 12;
    for version in 1..=versions {
        let row = Score::new(1, &format!("v{version}"), version);
        sink.write(&table, Op::Upsert, &row).await?;
        sink.write(&table, Op::Upsert, &Score::new(2, "other", version))
            .await?;
    }
    deliver(&mut sink, 1).await?;
    sink.close().await?;
    let got = target.table_text(&table, "id, name, score").await?;
    ensure!(
        got == format!("1,v{versions},{versions};2,other,{versions}"),
        "the last write per key wins, got {got}"
    );
    Ok(())
}
