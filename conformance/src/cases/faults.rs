//! Faults injected by the emulator: lost connections, 5xx, slow answers, lying status strings,
//! an FE that is down. Each case asserts the fault fired (the request log shows it) and that
//! the data ends exactly as it should: outcome-unknown faults are settled through the label's
//! state, never by guessing.
//!
//! The endpoints named here are the servers' load, commit and begin paths; the cases do not
//! branch on them, they fault whichever the target's mode uses.

use std::time::Duration;

use streamload_core::{Delivery, Sink};
use streamload_emulator::{EmulatorHandle, FaultAction, FaultRule, Listener};

use crate::failure::{Failure, Result};
use crate::target::{Keys, ProtocolSetup, TableSpec, Target, TargetExt};
use crate::{ensure, ensure_eq, skip};

use super::support::{deliver, scores, scores_text, write_scores};

/// Paths that carry a load's rows to a BE (Stream Load, transaction `/load`).
const LOAD_PATHS: [&str; 2] = ["_stream_load", "/api/transaction/load"];
/// Paths that commit a prepared transaction.
const COMMIT_PATHS: [&str; 2] = ["_stream_load_2pc", "/api/transaction/commit"];

fn emulator(target: &dyn Target) -> Option<&EmulatorHandle> {
    target.emulator()
}

/// Loads on BEs that carried a label header, in order: `(label, status)`.
fn be_loads(emu: &EmulatorHandle) -> Vec<(Option<String>, u16)> {
    emu.request_log()
        .entries()
        .into_iter()
        .filter(|r| matches!(r.listener, Listener::Be(_)))
        .filter(|r| r.method == "PUT" && LOAD_PATHS.iter().any(|p| r.path.contains(p)))
        .map(|r| (r.header("label").map(str::to_owned), r.status))
        .collect()
}

fn label_state_asked(emu: &EmulatorHandle) -> bool {
    emu.request_log()
        .entries()
        .iter()
        .any(|r| r.path.contains("get_load_state") || r.path.contains("_stream_load_2pc"))
}

/// A load whose connection drops before the body is read is retried under the SAME label
/// after asking the label's state, and its rows land exactly once. In checkpointed mode the
/// rows already streamed are gone with the connection, so the checkpoint fails and a
/// recovery + replay ends with the rows exactly once.
pub async fn load_reset_before_the_body_is_retried_under_the_same_label(
    target: &dyn Target,
) -> Result {
    let Some(emu) = emulator(target) else {
        skip!(target, "needs the emulator's faults");
    };
    let table = target
        .create_table(&TableSpec::scores("lost", Keys::Duplicate))
        .await?;
    for path in LOAD_PATHS {
        emu.faults().add(
            FaultRule::new(path, 1, FaultAction::Reset)
                .method("PUT")
                .on(Listener::Be(0)),
        );
    }
    let rows = scores(1, 3, "once");
    if target.delivery() == Delivery::Checkpointed {
        return checkpoint_fails_then_replays(target, emu, &table, &rows).await;
    }
    let mut sink = target.sink("lost").await?;
    write_scores(&mut sink, &table, &rows).await?;
    deliver(&mut sink, 1).await?;
    let retries = sink.stats().retries;
    sink.close().await?;
    let loads = be_loads(emu);
    ensure!(
        loads.iter().any(|(_, status)| *status == 0),
        "the reset fired: {loads:?}"
    );
    ensure!(retries > 0, "the sink retried");
    if !target.server_batched() {
        let labels: Vec<&Option<String>> = loads.iter().map(|(l, _)| l).collect();
        ensure!(
            labels.windows(2).all(|w| w[0] == w[1]) && labels[0].is_some(),
            "every attempt carried the same label: {loads:?}"
        );
        ensure!(label_state_asked(emu), "the label state was asked");
    }
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "rows after a lost response"
    );
    Ok(())
}

/// Checkpointed: the faulted checkpoint fails (or succeeds by retrying); either way a
/// recovery and replay from the previous checkpoint ends with the rows exactly once and no
/// transaction left running.
async fn checkpoint_fails_then_replays(
    target: &dyn Target,
    emu: &EmulatorHandle,
    table: &streamload_core::Table,
    rows: &[super::support::Score],
) -> Result {
    let setup = ProtocolSetup {
        label_prefix: Some("lost".to_owned()),
        ..ProtocolSetup::default()
    };
    let config = || {
        target
            .sink_config("lost")
            .with_tables(vec![table.clone()])
            .build()
    };
    let mut sink = Sink::recover(target.protocol(&setup).await?, config()?, None).await?;
    write_scores(&mut sink, table, rows).await?;
    let first = sink.prepare(1).await;
    let faulted = be_loads(emu).iter().any(|(_, status)| *status == 0);
    ensure!(faulted, "the reset fired: {:?}", be_loads(emu));
    match first {
        Ok(checkpoint) => sink.commit(&checkpoint).await?,
        Err(e) => {
            ensure!(
                e.retry_status() != streamload_core::RetryStatus::Temporary,
                "a lost write is not a plain temporary error: {e}"
            );
            drop(sink);
            let mut sink = Sink::recover(target.protocol(&setup).await?, config()?, None).await?;
            write_scores(&mut sink, table, rows).await?;
            deliver(&mut sink, 2).await?;
            sink.close().await?;
        }
    }
    ensure_eq!(
        target.table_text(table, "id, name, score").await?,
        scores_text(rows),
        "rows after a lost write and a replay"
    );
    let running = emu.engine().running_txns(&table.db);
    ensure_eq!(running.len(), 0, "transactions left running: {running:?}");
    Ok(())
}

/// #12: an HTTP 200 whose status is `FAILED` (not `Fail`) is a failure: the flush or prepare
/// returns an error and nothing is reported loaded.
#[allow(non_snake_case)]
pub async fn fail_status_spelled_FAILED_is_not_success(target: &dyn Target) -> Result {
    let Some(emu) = emulator(target) else {
        skip!(target, "needs the emulator's faults");
    };
    let table = target
        .create_table(&TableSpec::scores("failed", Keys::Duplicate))
        .await?;
    let body = r#"{"Status":"FAILED","Message":"No backend alive.","NumberLoadedRows":3}"#;
    let answer = FaultAction::Respond {
        status: 200,
        body: body.to_owned(),
    };
    for path in LOAD_PATHS.iter().chain(&["/api/transaction/begin"]) {
        emu.faults().add(FaultRule::new(path, 50, answer.clone()));
    }
    let mut sink = target.sink("failed").await?;
    write_scores(&mut sink, &table, &scores(1, 3, "f")).await?;
    let outcome = deliver(&mut sink, 1).await;
    let loaded = sink.stats().loads_succeeded;
    emu.faults().clear();
    let Err(err) = outcome else {
        return Err(Failure::new(format!(
            "a FAILED status was taken for success ({loaded} loads counted)"
        )));
    };
    ensure!(
        err.message().contains("FAILED") || err.message().contains("No backend alive"),
        "the error carries the server's status: {err}"
    );
    ensure_eq!(loaded, 0, "loads counted as succeeded");
    ensure_eq!(target.count(&table).await?, 0, "rows after FAILED");
    Ok(())
}

/// A status string the client does not know fails closed (`Protocol`), never success.
pub async fn unknown_status_fails_closed(target: &dyn Target) -> Result {
    let Some(emu) = emulator(target) else {
        skip!(target, "needs the emulator's faults");
    };
    let table = target
        .create_table(&TableSpec::scores("weird", Keys::Duplicate))
        .await?;
    let answer = FaultAction::Respond {
        status: 200,
        body: r#"{"Status":"Maybe","Message":"who knows"}"#.to_owned(),
    };
    for path in LOAD_PATHS {
        emu.faults()
            .add(FaultRule::new(path, 50, answer.clone()).on(Listener::Be(0)));
    }
    let mut sink = target.sink("weird").await?;
    write_scores(&mut sink, &table, &scores(1, 2, "w")).await?;
    let outcome = deliver(&mut sink, 1).await;
    emu.faults().clear();
    ensure!(outcome.is_err(), "an unknown status was taken for success");
    Ok(())
}

/// A commit answered with HTTP 500 (outcome unknown) is settled through the label state and
/// retried: the checkpoint's rows land exactly once.
pub async fn commit_answered_5xx_is_settled_by_label_state(target: &dyn Target) -> Result {
    let Some(emu) = emulator(target) else {
        skip!(target, "needs the emulator's faults");
    };
    if target.delivery() != Delivery::Checkpointed {
        skip!(target, "commit is a step of checkpointed delivery");
    }
    let table = target
        .create_table(&TableSpec::scores("commit_5xx", Keys::Duplicate))
        .await?;
    let rows = scores(1, 3, "c");
    let mut sink = target.sink("c5xx").await?;
    write_scores(&mut sink, &table, &rows).await?;
    let checkpoint = sink.prepare(1).await?;
    let answer = FaultAction::Respond {
        status: 500,
        body: "Internal Server Error".to_owned(),
    };
    for path in COMMIT_PATHS {
        emu.faults().add(FaultRule::new(path, 1, answer.clone()));
    }
    sink.commit(&checkpoint).await?;
    sink.close().await?;
    let faulted = emu
        .request_log()
        .entries()
        .iter()
        .filter(|r| r.status == 500)
        .count();
    ensure_eq!(faulted, 1, "the 5xx fired once");
    // StarRocks asks `get_load_state`; Doris' `_stream_load_2pc` answer names the state.
    ensure!(
        label_state_asked(emu),
        "the label state was asked after the 5xx"
    );
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "rows after a 5xx commit"
    );
    Ok(())
}

/// A load answered later than the client's read timeout is an unknown outcome: the sink asks
/// the label state and ends with the rows exactly once (checkpointed: the checkpoint fails
/// and recovery + replay ends with them exactly once).
pub async fn slow_answer_past_the_read_timeout_is_settled_by_label_state(
    target: &dyn Target,
) -> Result {
    let Some(emu) = emulator(target) else {
        skip!(target, "needs the emulator's faults");
    };
    if target.delivery() == Delivery::Checkpointed && !target.capabilities().multi_load_per_txn {
        skip!(
            target,
            "a streamed two-phase load cannot be resent; covered by the crash cases"
        );
    }
    let table = target
        .create_table(&TableSpec::scores("slow", Keys::Upsert))
        .await?;
    for path in LOAD_PATHS {
        emu.faults().add(
            FaultRule::new(path, 1, FaultAction::Delay(Duration::from_millis(1500)))
                .on(Listener::Be(0)),
        );
    }
    let setup = ProtocolSetup {
        label_prefix: Some("slow".to_owned()),
        read_timeout: Some(Duration::from_millis(400)),
        ..ProtocolSetup::default()
    };
    let protocol = target.protocol(&setup).await?;
    let mut sink = Sink::new(protocol, target.sink_config("slow").build()?)?;
    let rows = scores(1, 3, "s");
    write_scores(&mut sink, &table, &rows).await?;
    let outcome = deliver(&mut sink, 1).await;
    match outcome {
        Ok(_) => sink.close().await?,
        // Checkpointed: rows streamed into the open transaction cannot be resent, so the
        // checkpoint fails; the replay goes through recovery.
        Err(e) if target.delivery() == Delivery::Checkpointed => {
            drop(sink);
            eprintln!(
                "{}: the slow checkpoint failed ({e}); replaying",
                target.name()
            );
            let protocol = target.protocol(&setup).await?;
            let config = target
                .sink_config("slow")
                .with_tables(vec![table.clone()])
                .build()?;
            let mut sink = Sink::recover(protocol, config, None).await?;
            write_scores(&mut sink, &table, &rows).await?;
            deliver(&mut sink, 2).await?;
            sink.close().await?;
        }
        Err(e) => return Err(e),
    }
    // Let the delayed request finish on the server before reading.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "rows after a slow answer"
    );
    Ok(())
}

/// With the first FE down, loads, commits and label lookups go to the next FE.
pub async fn fe_failover_uses_the_next_fe(target: &dyn Target) -> Result {
    if target.emulator().is_none() {
        skip!(target, "needs a down FE in front of the cluster");
    }
    let table = target
        .create_table(&TableSpec::scores("failover", Keys::Duplicate))
        .await?;
    let setup = ProtocolSetup {
        label_prefix: Some("failover".to_owned()),
        down_fe_first: true,
        ..ProtocolSetup::default()
    };
    let protocol = target.protocol(&setup).await?;
    let mut sink = Sink::new(protocol, target.sink_config("failover").build()?)?;
    let rows = scores(1, 3, "fo");
    write_scores(&mut sink, &table, &rows).await?;
    deliver(&mut sink, 1).await?;
    sink.close().await?;
    ensure_eq!(
        target.table_text(&table, "id, name, score").await?,
        scores_text(&rows),
        "rows loaded through the second FE"
    );
    Ok(())
}
