//! Labels as idempotency keys: a label already used is detected (never silently reloaded or
//! silently skipped), commit is idempotent, and an aborted prepare is gone for good.
//!
//! Users hit "Label Already Exists … change your label prefix" on every stateless restart
//! (apache/doris#17572) and duplicates when retries changed labels; these cases pin what the
//! sink does instead.

use streamload_core::{Delivery, ErrorKind, LabelState, LoadProtocol, Sink};

use crate::failure::{Failure, Result};
use crate::target::{Keys, ProtocolSetup, TableSpec, Target, TargetExt};
use crate::{ensure, ensure_eq, skip};

use super::support::{deliver, load_scores, scores, scores_text, write_scores};

/// A second run that reuses the labels of a finished one is refused with
/// `LabelAlreadyExists` (batched) or `AlreadyCommitted` (checkpointed recovery), never loaded
/// twice; with `skip_loaded_batches` a replayed batch is skipped instead.
pub async fn label_reuse_is_detected(target: &dyn Target) -> Result {
    if target.capabilities().server_batched {
        skip!(target, "the server chooses the labels (server_batched)");
    }
    let table = target
        .create_table(&TableSpec::scores("reuse", Keys::Duplicate))
        .await?;
    let first = scores(1, 3, "first");
    load_scores(target, "reuse", &table, &first).await?;
    let setup = ProtocolSetup {
        label_prefix: Some("reuse".to_owned()),
        ..ProtocolSetup::default()
    };
    match target.delivery() {
        Delivery::Batched => {
            let protocol = target.protocol(&setup).await?;
            let mut sink = Sink::new(protocol, target.sink_config("reuse").build()?)?;
            write_scores(&mut sink, &table, &scores(10, 3, "second")).await?;
            let err = match sink.flush().await {
                Ok(()) => return Err(Failure::new("a reused label was loaded again")),
                Err(e) => e,
            };
            ensure_eq!(err.kind(), ErrorKind::LabelAlreadyExists, "error: {err}");
            let protocol = target.protocol(&setup).await?;
            let config = target
                .sink_config("reuse")
                .with_skip_loaded_batches(true)
                .build()?;
            let mut resumed = Sink::new(protocol, config)?;
            write_scores(&mut resumed, &table, &first).await?;
            resumed.flush().await?;
            ensure_eq!(resumed.stats().loads_skipped, 1, "replayed batches skipped");
            resumed.close().await?;
        }
        Delivery::Checkpointed => {
            let protocol = target.protocol(&setup).await?;
            let config = target
                .sink_config("reuse")
                .with_tables(vec![table.clone()])
                .build()?;
            let err = match Sink::recover(protocol, config, None).await {
                Ok(_) => {
                    return Err(Failure::new(
                        "recovery without state ignored a committed label",
                    ));
                }
                Err(e) => e,
            };
            ensure_eq!(err.kind(), ErrorKind::AlreadyCommitted, "error: {err}");
        }
    }
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&first),
        "rows after the reuse attempts"
    );
    Ok(())
}

/// Committing a checkpoint twice — from the same sink and from a recovered one — loads its
/// rows once.
pub async fn commit_twice_is_idempotent(target: &dyn Target) -> Result {
    if target.delivery() != Delivery::Checkpointed {
        skip!(target, "commit is a step of checkpointed delivery");
    }
    let table = target
        .create_table(&TableSpec::scores("twice", Keys::Duplicate))
        .await?;
    let rows = scores(1, 4, "t");
    let mut sink = target.sink("twice").await?;
    write_scores(&mut sink, &table, &rows).await?;
    let checkpoint = sink.prepare(1).await?;
    sink.commit(&checkpoint).await?;
    sink.commit(&checkpoint).await?;
    let protocol = target.protocol(&ProtocolSetup::default()).await?;
    for prepared in &checkpoint.prepared {
        protocol.commit(prepared).await?;
    }
    sink.close().await?;
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "rows after three commits"
    );
    Ok(())
}

/// Aborting a prepared checkpoint discards its rows; committing it afterwards is `DataLoss`,
/// never a silent success.
pub async fn abort_after_prepare_discards(target: &dyn Target) -> Result {
    if target.delivery() != Delivery::Checkpointed {
        skip!(target, "prepare is a step of checkpointed delivery");
    }
    let table = target
        .create_table(&TableSpec::scores("aborted", Keys::Duplicate))
        .await?;
    let mut sink = target.sink("aborted").await?;
    write_scores(&mut sink, &table, &scores(1, 3, "gone")).await?;
    let checkpoint = sink.prepare(1).await?;
    ensure!(!checkpoint.prepared.is_empty(), "nothing was prepared");
    for prepared in &checkpoint.prepared {
        sink.protocol().abort(prepared).await?;
        sink.protocol().abort(prepared).await?;
        let state = sink
            .protocol()
            .label_state(&prepared.table.db, &prepared.label)
            .await?;
        ensure_eq!(state, LabelState::Aborted, "state of {}", prepared.label);
    }
    let err = match sink.commit(&checkpoint).await {
        Ok(()) => return Err(Failure::new("commit of an aborted checkpoint succeeded")),
        Err(e) => e,
    };
    ensure_eq!(err.kind(), ErrorKind::DataLoss, "error: {err}");
    ensure_eq!(target.count(&table).await?, 0, "rows after abort");
    // The sink goes on with the next checkpoint.
    let rows = scores(10, 2, "next");
    write_scores(&mut sink, &table, &rows).await?;
    deliver(&mut sink, 2).await?;
    sink.close().await?;
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "rows of the next checkpoint"
    );
    Ok(())
}
