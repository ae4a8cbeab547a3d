//! One case per user bug of the Flink connectors and other clients (anchors §8) that applies
//! to us, named after the bug, so the suite proves we do not repeat it.

use std::time::Duration;

use bytes::Bytes;
use streamload_core::{
    CsvFormat, Delivery, ErrorKind, Format, Label, LoadOptions, LoadProtocol, Sink, Timestamp,
};

use crate::failure::{Failure, Result};
use crate::target::{Keys, ProtocolSetup, TableSpec, Target, TargetExt};
use crate::{ensure, ensure_eq, skip};

use super::support::{crash, deliver, scores, scores_text, write_scores};

async fn crash_protocol(target: &dyn Target, prefix: &str) -> Result<crate::DynProtocol> {
    let setup = ProtocolSetup {
        label_prefix: Some(prefix.to_owned()),
        ..ProtocolSetup::default()
    };
    target.protocol(&setup).await
}

/// #3: a table first written after the last checkpoint has no state in it; its lingering
/// transaction must still be aborted on recovery, so the next run can use its labels.
pub async fn table_added_after_the_last_checkpoint_is_cleaned_up_on_recover(
    target: &dyn Target,
) -> Result {
    if target.delivery() != Delivery::Checkpointed {
        skip!(target, "checkpointed delivery only");
    }
    let old = target
        .create_table(&TableSpec::scores("old_table", Keys::Duplicate))
        .await?;
    let new = target
        .create_table(&TableSpec::scores("new_table", Keys::Duplicate))
        .await?;
    let tables = vec![old.clone(), new.clone()];
    let config = || {
        target
            .sink_config("added")
            .with_tables(tables.clone())
            .with_chunk_bytes(32)
    };
    let mut sink = Sink::recover(
        crash_protocol(target, "added").await?,
        config().build()?,
        None,
    )
    .await?;
    write_scores(&mut sink, &old, &scores(1, 2, "old")).await?;
    let stored = sink.prepare(1).await?;
    sink.commit(&stored).await?;
    ensure!(
        stored.cursor(&new).is_none(),
        "the new table is not in checkpoint 1"
    );
    write_scores(&mut sink, &new, &scores(10, 3, "lost")).await?;
    let _unsaved = sink.prepare(2).await?;
    crash(sink);

    let mut sink = Sink::recover(
        crash_protocol(target, "added").await?,
        config().build()?,
        Some(stored),
    )
    .await?;
    let replay = scores(10, 3, "replayed");
    write_scores(&mut sink, &new, &replay).await?;
    deliver(&mut sink, 2).await?;
    sink.close().await?;
    ensure_eq!(
        target.table_text(&new, "id, name, score").await?,
        scores_text(&replay),
        "rows of the table added after the checkpoint"
    );
    Ok(())
}

/// #14: restoring an older checkpoint while a later one was committed must fail loudly
/// (`AlreadyCommitted`), not abort a VISIBLE transaction or duplicate its rows.
pub async fn recovery_from_a_stale_checkpoint_fails_loudly(target: &dyn Target) -> Result {
    if target.delivery() != Delivery::Checkpointed {
        skip!(target, "checkpointed delivery only");
    }
    let table = target
        .create_table(&TableSpec::scores("stale", Keys::Duplicate))
        .await?;
    let config = || target.sink_config("stale").with_tables(vec![table.clone()]);
    let mut sink = Sink::recover(
        crash_protocol(target, "stale").await?,
        config().build()?,
        None,
    )
    .await?;
    write_scores(&mut sink, &table, &scores(1, 2, "a")).await?;
    let first = deliver(&mut sink, 1).await?;
    write_scores(&mut sink, &table, &scores(3, 2, "b")).await?;
    deliver(&mut sink, 2).await?;
    sink.close().await?;
    let err = match Sink::recover(
        crash_protocol(target, "stale").await?,
        config().build()?,
        first,
    )
    .await
    {
        Ok(_) => {
            return Err(Failure::new(
                "recovery ignored a committed later checkpoint",
            ));
        }
        Err(e) => e,
    };
    ensure_eq!(err.kind(), ErrorKind::AlreadyCommitted, "error: {err}");
    ensure_eq!(target.count(&table).await?, 4, "rows stay as committed");
    Ok(())
}

/// #5 / #6: a prepared transaction that expired on the server (clock advanced past its
/// timeout) makes commit fail with a clear, permanent error — no endless retry, no success.
pub async fn expired_transaction_on_commit_is_a_clear_error(target: &dyn Target) -> Result {
    if target.delivery() != Delivery::Checkpointed {
        skip!(target, "checkpointed delivery only");
    }
    let Some(emu) = target.emulator() else {
        skip!(target, "needs the emulator's clock");
    };
    let table = target
        .create_table(&TableSpec::scores("expired", Keys::Duplicate))
        .await?;
    let mut sink = target.sink("expired").await?;
    write_scores(&mut sink, &table, &scores(1, 2, "x")).await?;
    let checkpoint = sink.prepare(1).await?;
    emu.engine()
        .advance_clock(Duration::from_secs(3 * 24 * 3600));
    let started = std::time::Instant::now();
    let err = match sink.commit(&checkpoint).await {
        Ok(()) => return Err(Failure::new("commit of an expired transaction succeeded")),
        Err(e) => e,
    };
    ensure!(
        matches!(
            err.kind(),
            ErrorKind::DataLoss | ErrorKind::NotFound | ErrorKind::Timeout
        ),
        "an expired transaction is DataLoss, NotFound or Timeout, got: {err}"
    );
    ensure!(!err.is_retryable(), "expiry is permanent: {err}");
    ensure!(
        started.elapsed() < Duration::from_secs(10),
        "commit kept retrying for {:?}",
        started.elapsed()
    );
    ensure_eq!(target.count(&table).await?, 0, "rows of an expired txn");
    Ok(())
}

/// #8: when the database has as many running transactions as allowed, the next load waits
/// for a free slot (`TxnLimit` is retried) instead of failing or losing rows.
pub async fn running_txn_limit_is_waited_out(target: &dyn Target) -> Result {
    let Some(emu) = target.emulator() else {
        skip!(
            target,
            "changing the limit of a real cluster would affect other users"
        );
    };
    let caps = target.capabilities();
    let table = target
        .create_table(&TableSpec::scores("limited", Keys::Duplicate))
        .await?;
    target
        .execute("ADMIN SET FRONTEND CONFIG (\"max_running_txn_num_per_db\" = \"1\")")
        .await?;
    // A blocker holds the one slot with an open load.
    let blocker_protocol = crash_protocol(target, "blocker").await?;
    let label = (!caps.server_batched)
        .then(|| Label::new("blocker_label"))
        .transpose()?;
    let options = LoadOptions {
        format: Format::Csv(CsvFormat::default()),
        compression: streamload_core::Compression::None,
        columns: None,
        two_phase: target.delivery() == Delivery::Checkpointed,
    };
    let mut blocker = blocker_protocol.begin(&table, label, &options).await?;
    blocker
        .write(Bytes::from_static(b"100\tblocker\t1\n"))
        .await?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let held = !emu.engine().running_txns(&table.db).is_empty();
    if !held {
        eprintln!(
            "{}: an open load holds no transaction slot here; the limit is not reached",
            target.name()
        );
    }
    let rows = scores(1, 3, "waited");
    let mut sink = target.sink("limited").await?;
    let writer = async {
        write_scores(&mut sink, &table, &rows).await?;
        deliver(&mut sink, 1).await?;
        Ok::<_, Failure>(())
    };
    let release = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        blocker.abort().await
    };
    let (written, released) = tokio::join!(writer, release);
    released?;
    written?;
    if held {
        ensure!(
            sink.stats().retries > 0,
            "the load never met the limit (stats {:?})",
            sink.stats()
        );
    }
    sink.close().await?;
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "rows loaded after waiting for a slot"
    );
    Ok(())
}

/// #18: an instant is written as wall-clock time of the configured zone, never shifted by
/// the machine's zone or a hard-coded +8 h.
pub async fn timestamps_are_written_in_the_configured_time_zone(target: &dyn Target) -> Result {
    let table = target
        .create_table(&TableSpec::new(
            "zoned",
            Keys::Duplicate,
            &[("id", "INT"), ("at", "DATETIME")],
        ))
        .await?;
    let config = target
        .sink_config("zoned")
        .with_time_zone_name("+08:00")?
        .build()?;
    let mut sink = Sink::new(crash_protocol(target, "zoned").await?, config)?;
    // 2024-01-01 00:00:00 UTC is 08:00 at +08:00.
    let instant = Timestamp::from_micros(1_704_067_200_000_000)?;
    sink.write_values(
        &table,
        streamload_core::Op::Upsert,
        &["id", "at"],
        &[
            streamload_core::Value::Int(1),
            streamload_core::Value::Timestamp(instant),
        ],
    )
    .await?;
    deliver(&mut sink, 1).await?;
    sink.close().await?;
    ensure_eq!(
        target.table_text(&table, "id, at").await?,
        "1,2024-01-01 08:00:00",
        "the instant at +08:00"
    );
    Ok(())
}
