//! Faults of whole nodes and of answers after the fact: a response lost after the server
//! committed, a BE dying while the body streams (the node a 307 pointed to resets while the
//! client still sends), an FE that goes down and comes back. Each ends with the rows exactly
//! once (server-batched targets write to a keyed table, where a retried duplicate is invisible),
//! with the fault visible in the request log.

use std::time::Duration;

use streamload_core::{Delivery, RetryConfig, Sink};
use streamload_emulator::{EmulatorHandle, FaultAction, FaultRule, Listener};

use crate::failure::{Failure, Result};
use crate::target::{Keys, ProtocolSetup, TableSpec, Target, TargetExt};
use crate::{ensure, ensure_eq, skip};

use super::support::{Score, crash, deliver, scores, scores_text, write_scores};

/// Paths that carry a load's rows to a BE.
const LOAD_PATHS: [&str; 2] = ["_stream_load", "/api/transaction/load"];
/// Paths that commit a prepared transaction.
const COMMIT_PATHS: [&str; 2] = ["_stream_load_2pc", "/api/transaction/commit"];

fn faulted(emu: &EmulatorHandle, name: &str) -> usize {
    emu.request_log()
        .entries()
        .iter()
        .filter(|r| r.fault.as_deref().is_some_and(|f| f.starts_with(name)))
        .count()
}

fn keys_for(target: &dyn Target) -> Keys {
    if target.server_batched() {
        Keys::Upsert
    } else {
        Keys::Duplicate
    }
}

fn setup(prefix: &str) -> ProtocolSetup {
    ProtocolSetup {
        label_prefix: Some(prefix.to_owned()),
        ..ProtocolSetup::default()
    }
}

/// #11: the server commits a load (or a checkpoint's commit) and the response is lost. The
/// retry keeps the label, the label state says "committed", and the rows land exactly once.
pub async fn retry_keeps_label_after_lost_response(target: &dyn Target) -> Result {
    let Some(emu) = target.emulator() else {
        skip!(target, "needs the emulator's faults");
    };
    let table = target
        .create_table(&TableSpec::scores("lost_response", keys_for(target)))
        .await?;
    let rows = scores(1, 3, "once");
    let checkpointed = target.delivery() == Delivery::Checkpointed;
    let config = || {
        target
            .sink_config("lostresp")
            .with_tables(vec![table.clone()])
            .build()
    };
    let mut sink = Sink::new(target.protocol(&setup("lostresp")).await?, config()?)?;
    write_scores(&mut sink, &table, &rows).await?;
    if checkpointed {
        let checkpoint = sink.prepare(1).await?;
        for path in COMMIT_PATHS {
            emu.faults()
                .add(FaultRule::new(path, 1, FaultAction::LoseResponse));
        }
        let committed = sink.commit(&checkpoint).await;
        ensure_eq!(
            faulted(emu, "lose response"),
            1,
            "the response was lost once"
        );
        if let Err(e) = committed {
            // The outcome stayed unknown: the application restarts from the stored checkpoint,
            // and recovery commits it again (idempotent).
            eprintln!(
                "{}: commit with a lost response failed ({e}); recovering",
                target.name()
            );
            crash(sink);
            let protocol = target.protocol(&setup("lostresp")).await?;
            let sink = Sink::recover(protocol, config()?, Some(checkpoint)).await?;
            sink.close().await?;
        } else {
            sink.close().await?;
        }
    } else {
        for path in LOAD_PATHS {
            emu.faults().add(
                FaultRule::new(path, 1, FaultAction::LoseResponse)
                    .method("PUT")
                    .on(Listener::Be(0)),
            );
        }
        deliver(&mut sink, 1).await?;
        sink.close().await?;
        ensure_eq!(
            faulted(emu, "lose response"),
            1,
            "the response was lost once"
        );
    }
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "rows after a lost response"
    );
    if !target.server_batched() && !checkpointed {
        let labels: Vec<Option<String>> = emu
            .request_log()
            .entries()
            .iter()
            .filter(|r| r.method == "PUT" && LOAD_PATHS.iter().any(|p| r.path.contains(p)))
            .filter(|r| matches!(r.listener, Listener::Be(_)))
            .map(|r| r.header("label").map(str::to_owned))
            .collect();
        ensure!(
            labels.windows(2).all(|w| w[0] == w[1]),
            "every attempt carried the same label: {labels:?}"
        );
    }
    Ok(())
}

/// A BE dies while the body streams. Batched: the load is retried under its label and lands
/// once. Checkpointed: the checkpoint fails, the BE comes back, recovery + replay land the
/// rows once and nothing is left running.
pub async fn be_dying_mid_stream_then_recover(target: &dyn Target) -> Result {
    let Some(emu) = target.emulator() else {
        skip!(target, "needs the emulator's faults");
    };
    let table = target
        .create_table(&TableSpec::scores("be_dies", keys_for(target)))
        .await?;
    let rows: Vec<Score> = (1..=400)
        .map(|id| Score::new(id, &format!("a-longer-name-to-make-the-body-big-{id}"), id))
        .collect();
    if target.delivery() == Delivery::Batched {
        for path in LOAD_PATHS {
            emu.faults().add(
                FaultRule::new(path, 1, FaultAction::ResetMidBody { after_bytes: 1 })
                    .method("PUT")
                    .on(Listener::Be(0)),
            );
        }
        let mut sink = target.sink("bedies").await?;
        write_scores(&mut sink, &table, &rows).await?;
        deliver(&mut sink, 1).await?;
        sink.close().await?;
        ensure_eq!(faulted(emu, "reset after"), 1, "the BE died once mid-body");
    } else {
        let config = || {
            target
                .sink_config("bedies")
                .with_tables(vec![table.clone()])
                .with_chunk_bytes(256)
                .build()
        };
        let mut sink =
            Sink::recover(target.protocol(&setup("bedies")).await?, config()?, None).await?;
        write_scores(&mut sink, &table, &rows[..200]).await?;
        emu.set_listener_up(Listener::Be(0), false);
        let written = write_scores(&mut sink, &table, &rows[200..]).await;
        let prepared = match written {
            Ok(()) => sink.prepare(1).await.map_err(Failure::from),
            Err(e) => Err(e),
        };
        ensure!(
            prepared.is_err(),
            "a checkpoint survived its BE dying mid-stream"
        );
        drop(sink);
        emu.set_listener_up(Listener::Be(0), true);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut sink =
            Sink::recover(target.protocol(&setup("bedies")).await?, config()?, None).await?;
        write_scores(&mut sink, &table, &rows).await?;
        deliver(&mut sink, 2).await?;
        sink.close().await?;
        let running = emu.engine().running_txns(&table.db);
        ensure_eq!(running.len(), 0, "transactions left running: {running:?}");
    }
    ensure_eq!(
        target.count(&table).await?,
        400,
        "rows after the BE died mid-stream"
    );
    Ok(())
}

/// The FE goes down before a load and comes back while the sink retries: the load waits it
/// out and lands once.
pub async fn fe_down_and_back_up_is_waited_out(target: &dyn Target) -> Result {
    let Some(emu) = target.emulator() else {
        skip!(target, "needs the emulator's listener switches");
    };
    let table = target
        .create_table(&TableSpec::scores("fe_down", keys_for(target)))
        .await?;
    let config = target
        .sink_config("fedown")
        .with_retry(RetryConfig {
            // About 4 s of retries for an FE that is down 0.3 s, so a busy machine still fits.
            max_retries: 12,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
            txn_limit_wait: Duration::from_secs(5),
        })
        .build()?;
    let mut sink = Sink::new(target.protocol(&setup("fedown")).await?, config)?;
    let rows = scores(1, 3, "fe");
    write_scores(&mut sink, &table, &rows).await?;
    emu.set_listener_up(Listener::Fe, false);
    let switches = emu.switches().clone();
    let back_up = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        switches.set_up(Listener::Fe, true);
    });
    let outcome = deliver(&mut sink, 1).await;
    let _ = back_up.await;
    outcome?;
    sink.close().await?;
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "rows after the FE came back"
    );
    Ok(())
}
