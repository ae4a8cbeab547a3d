//! StarRocks multi-table transactions on the FE (`transaction_type: multi`, or `source_type: 12`,
//! from StarRocks 4.0): one label over several tables of one database.
//!
//! Unlike a one-table V2 transaction, which lives on its coordinator BE, the server keeps a
//! multi-table transaction on the FE (its `MultiStatementTransactionHandler` and
//! `StreamLoadMultiStmtTask`): `begin`, `commit` and `rollback` are answered there, and only each
//! `load` goes on to a BE with a 307, which writes into the table its `table` header names. So
//! the emulator answers these operations here and keeps nothing per label outside the engine's
//! transaction. The answers follow StarRocks' recorded suites `test_multi_statement_txn` and
//! `test_stream_load_multi_table_rollback`: `begin` says only `OK`; a second `begin`, or one
//! after the transaction finished, is `LABEL_ALREADY_EXISTS` (a rolled-back label stays taken);
//! `commit` twice is `OK`, `rollback` twice is `OK`, and crossing them is `FAILED`; a `load`
//! after either is `FAILED`. `prepare` moves all tables to PREPARED at once (the route the FE
//! takes for a label whose transaction is a multi-table one), and the commit that follows
//! applies them together.

use http::Response;

use crate::engine::{BeginError, BeginRequest, Flavor, TxnInfo, TxnState, WriteMode};

use crate::http::load::params_starrocks::starrocks_params;
use crate::http::load::rows::Plan;
use crate::http::reply::{Body, Obj, json_200};
use crate::http::server::Req;
use crate::http::state::HttpState;
use crate::http::texts;

/// Transaction timeout when `begin` gives none: the FE's `DEFAULT_TXN_TIMEOUT_MILLIS` (20 s),
/// which a multi-table transaction keeps (a one-table one takes the BE's 600 s).
const DEFAULT_TIMEOUT_S: u64 = 20;

/// What the FE does with a multi-table transaction request.
pub(crate) enum FeAnswer {
    /// Answer this.
    Reply(Response<Body>),
    /// Redirect the load to this BE.
    ToBe(usize),
}

/// True when the request names a multi-table transaction and the played release has them.
pub(crate) fn is_multi(state: &HttpState, req: &Req) -> bool {
    state.release.multi_table_txn()
        && (req
            .header("transaction_type")
            .is_some_and(|t| t.eq_ignore_ascii_case("multi"))
            || req.header("source_type").is_some_and(|t| t.trim() == "12"))
}

/// The multi-table transaction holding `label` in `db`, if the newest holder is one.
pub(crate) fn multi_txn(state: &HttpState, db: &str, label: &str) -> Option<TxnInfo> {
    let t = state.engine.txn_by_label(db, label)?;
    state.engine.multi_tables(t.id).map(|_| t)
}

/// Handles `op` when it belongs to a multi-table transaction: when the request says so, or
/// (for `prepare`, `commit`, `rollback`) when the label's transaction is one. `None` leaves the
/// request to the one-table handlers.
pub(crate) fn fe(
    state: &HttpState,
    req: &Req,
    op: &str,
    label: &str,
    db: &str,
) -> Option<FeAnswer> {
    let flagged = is_multi(state, req);
    let txn = multi_txn(state, db, label);
    if !flagged && (txn.is_none() || matches!(op, "begin" | "load")) {
        return None;
    }
    let reply = match op {
        "begin" => begin(state, req, label, db, txn),
        "load" => return Some(load(state, req, label, db, txn)),
        "prepare" => prepare(state, req, label, db, txn),
        "commit" => commit(state, label, db, txn),
        _ => rollback(state, label, db, txn),
    };
    Some(FeAnswer::Reply(reply))
}

fn answer(status: &str, message: &str) -> Obj {
    Obj::new().with("Status", status).with("Message", message)
}

fn failed(message: &str) -> Response<Body> {
    json_200(answer("FAILED", message).compact())
}

fn with_txn(mut o: Obj, t: &TxnInfo) -> Response<Body> {
    o.push("Label", t.label.as_str());
    o.push("TxnId", t.id);
    json_200(o.compact())
}

fn no_txn(db: &str, label: &str) -> Response<Body> {
    failed(&format!(
        "class com.starrocks.common.StarRocksException: No transaction found with db[{db}] and label[{label}]"
    ))
}

/// The state name the FE's task reports for a transaction in `state`.
fn task_state(state: TxnState) -> &'static str {
    match state {
        TxnState::Prepare => "BEGIN",
        TxnState::Precommitted => "PREPARED",
        TxnState::Committed | TxnState::Visible => "COMMITED",
        TxnState::Aborted => "CANCELLED",
    }
}

fn label_taken(message: String, existing: &str) -> Response<Body> {
    let o = answer("LABEL_ALREADY_EXISTS", &message).with("ExistingJobStatus", existing);
    json_200(o.compact())
}

fn begin(
    state: &HttpState,
    req: &Req,
    label: &str,
    db: &str,
    txn: Option<TxnInfo>,
) -> Response<Body> {
    if let Some(t) = txn {
        let s = task_state(t.state);
        return if s == "COMMITED" {
            label_taken(format!("Label [{label}] has already been used."), s)
        } else {
            let msg = format!(
                "Transaction already started with label [{label}], txnId: {}",
                t.id
            );
            let o = answer("LABEL_ALREADY_EXISTS", &msg)
                .with("ExistingJobStatus", s)
                .with("TxnId", t.id);
            json_200(o.compact())
        };
    }
    if !texts::starrocks_label_ok(label) {
        return failed(&format!(
            "Label format error. regex: ^[-\\w]{{1,128}}$, label: {label}"
        ));
    }
    let timeout_s = match req.header("timeout").filter(|v| !v.is_empty()) {
        None => DEFAULT_TIMEOUT_S,
        Some(v) => match v.trim().parse::<u64>() {
            Ok(t) => t,
            Err(_) => {
                return failed(&format!(
                    "java.lang.NumberFormatException: For input string: \"{v}\""
                ));
            }
        },
    };
    let be = state.pick_be();
    let begun = state.engine.begin_multi(BeginRequest {
        db: db.to_string(),
        table: String::new(),
        label: label.to_string(),
        timeout: std::time::Duration::from_secs(timeout_s.max(1)),
        coordinator_be: be,
        write: WriteMode::default(),
    });
    match begun {
        Ok(_) => json_200(answer("OK", "").compact()),
        Err(BeginError::LabelAlreadyExists { state: s, .. }) => label_taken(
            format!("Label [{label}] has already been used."),
            texts::starrocks_existing(s),
        ),
        Err(e) => {
            let (_, _, msg) = texts::begin_error(Flavor::StarRocks, &e, db, "", label);
            failed(&msg)
        }
    }
}

/// Why a load (or a prepare) may not join the transaction in its state, as the FE's task says.
pub(crate) fn closed(t: &TxnInfo) -> Option<String> {
    let label = &t.label;
    match t.state {
        TxnState::Prepare => None,
        TxnState::Precommitted => Some(format!(
            "stream load task {label} is prepared, can not accept new loads"
        )),
        TxnState::Committed | TxnState::Visible => Some(format!(
            "stream load task {label} has already been commited"
        )),
        TxnState::Aborted => Some(format!(
            "stream load task {label} has already been cancelled: {}",
            t.abort_reason.clone().unwrap_or_default()
        )),
    }
}

fn load(state: &HttpState, req: &Req, label: &str, db: &str, txn: Option<TxnInfo>) -> FeAnswer {
    let Some(t) = txn else {
        return FeAnswer::Reply(no_txn(db, label));
    };
    if let Some(why) = closed(&t) {
        return FeAnswer::Reply(failed(&why));
    }
    let table = req.header("table").unwrap_or_default();
    // The FE's task adds the table and plans the load before it sends it to a BE; a failure
    // there is the FE's FAILED, and the transaction is rolled back.
    let planned = match state.engine.table(db, table) {
        None => Err(format!("Failed to find table {table} in db {db}")),
        Some(schema) => starrocks_params(&req.parts.headers)
            .and_then(|p| Plan::new(&schema, &p, Flavor::StarRocks))
            .map(|_| ())
            .map_err(|e| e.message),
    };
    if let Err(msg) = planned {
        let _ = state.engine.abort(t.id, &format!("LOAD exception: {msg}"));
        return FeAnswer::Reply(failed(&msg));
    }
    let be = t.coordinator_be.min(state.be_ports.len().saturating_sub(1));
    FeAnswer::ToBe(be)
}

fn prepare(
    state: &HttpState,
    req: &Req,
    label: &str,
    db: &str,
    txn: Option<TxnInfo>,
) -> Response<Body> {
    let Some(t) = txn else {
        return no_txn(db, label);
    };
    match t.state {
        TxnState::Prepare | TxnState::Precommitted => {}
        _ => return failed(&closed(&t).unwrap_or_default()),
    }
    let prepared_timeout = req
        .header("prepared_timeout")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|t| *t > 0)
        .map(std::time::Duration::from_secs);
    let done = match prepared_timeout {
        Some(d) => state.engine.precommit_with_timeout(t.id, d),
        None => state.engine.precommit(t.id),
    };
    match done {
        Ok(_) => with_txn(answer("OK", ""), &t),
        Err(e) => failed(&e.to_string()),
    }
}

fn commit(state: &HttpState, label: &str, db: &str, txn: Option<TxnInfo>) -> Response<Body> {
    let Some(t) = txn else {
        return no_txn(db, label);
    };
    let id = t.id;
    match t.state {
        TxnState::Prepare | TxnState::Precommitted => match state.engine.commit(id) {
            Ok(_) => {
                let o = Obj::new()
                    .with("Label", label)
                    .with("Status", "OK")
                    .with("TxnId", id)
                    .with("ChannelId", 0)
                    .with("Message", "")
                    .with("Prepared Channel Num", 1);
                json_200(o.compact())
            }
            Err(e) => {
                let _ = state.engine.abort(id, &format!("commit failed: {e}"));
                failed(&e.to_string())
            }
        },
        TxnState::Committed | TxnState::Visible => with_txn(
            answer(
                "OK",
                &format!("Transaction {id} has already committed, label is {label}"),
            ),
            &t,
        ),
        TxnState::Aborted => failed(&format!(
            "Can not commit CANCELLED transaction {id}, label is {label}"
        )),
    }
}

fn rollback(state: &HttpState, label: &str, db: &str, txn: Option<TxnInfo>) -> Response<Body> {
    let Some(t) = txn else {
        return no_txn(db, label);
    };
    let id = t.id;
    match t.state {
        TxnState::Prepare | TxnState::Precommitted => {
            match state.engine.abort(id, "manual abort") {
                Ok(_) => json_200(answer("OK", &format!("stream load {label} abort")).compact()),
                Err(e) => failed(&e.to_string()),
            }
        }
        TxnState::Aborted => with_txn(
            answer(
                "OK",
                &format!("Transaction {id} has already aborted, label is {label}"),
            ),
            &t,
        ),
        TxnState::Committed | TxnState::Visible => failed(&format!(
            "Can not abort VISIBLE transaction {id}, label is {label}"
        )),
    }
}
