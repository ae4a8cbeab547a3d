//! Doris `_stream_load_2pc` on the BE: commit or abort a PRECOMMITTED transaction by txn id or
//! label, with the FE's exact texts for every state (reference §4.2–4.3).

use http::Response;

use crate::engine::{TxnInfo, TxnState};

use crate::http::auth::basic_auth;
use crate::http::reply::{Body, Obj, respond};
use crate::http::server::Req;
use crate::http::state::HttpState;
use crate::http::texts;

fn reply(status: &str, msg: &str) -> Response<Body> {
    let body = Obj::new().with("status", status).with("msg", msg).pretty();
    respond(http::StatusCode::OK, Some("application/json"), body)
}

fn fe_error(msg: &str) -> Response<Body> {
    reply(
        "ANALYSIS_ERROR",
        &format!("TStatus: errCode = 2, detailMessage = {msg}"),
    )
}

/// Handles `PUT /api/{db}/_stream_load_2pc` on a BE.
pub(crate) fn be_2pc(state: &HttpState, req: &Req, db: &str) -> Response<Body> {
    let engine = &state.engine;
    let op = req.header("txn_operation").unwrap_or_default().to_string();
    if op != "commit" && op != "abort" {
        return reply(
            "INTERNAL_ERROR",
            "transaction operation should be 'commit' or 'abort'",
        );
    }
    let txn_id_header = req
        .header("txn_id")
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let label_header = req
        .header("label")
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    // `txn_id: 1,2,3` settles several transactions at once (Doris' regression suite
    // test_stream_load_2pc_batch_commit commits three loads with one request).
    let mut txn_ids = Vec::new();
    if let Some(v) = &txn_id_header {
        for part in v.split(',') {
            match part.trim().parse::<i64>() {
                Ok(id) => txn_ids.push(id),
                Err(e) => {
                    return reply(
                        "INTERNAL_ERROR",
                        &format!("convert txn_id [{v}] failed, reason={e}"),
                    );
                }
            }
        }
    }
    let creds = basic_auth(&req.parts.headers);
    let user = creds.as_ref().map(|c| c.user.clone()).unwrap_or_default();
    let authorized = creds
        .as_ref()
        .is_some_and(|c| engine.check_password(&c.user, &c.password));
    if !authorized {
        let (user, password) = creds.map(|c| (c.user, c.password)).unwrap_or_default();
        return fe_error(&texts::doris_access_denied(
            &user,
            &req.remote_ip,
            &password,
        ));
    }
    if engine.database_id(db).is_none() {
        return fe_error(&format!("unknown database, database={db}"));
    }
    let txns: Vec<TxnInfo> = if txn_ids.is_empty() {
        match &label_header {
            Some(label) => match engine.txn_by_label(db, label) {
                None => return fe_error(&format!("transaction not found, label={label}")),
                Some(t) => {
                    let usable = match op.as_str() {
                        "commit" => t.state == TxnState::Precommitted,
                        _ => matches!(t.state, TxnState::Precommitted | TxnState::Prepare),
                    };
                    if !usable {
                        return fe_error(&format!("running transaction not found, label={label}"));
                    }
                    vec![t]
                }
            },
            None => return fe_error("No transaction id or label selected."),
        }
    } else {
        let mut txns = Vec::new();
        for id in &txn_ids {
            match engine.txn(db, *id) {
                Some(t) => txns.push(t),
                None => return fe_error(&format!("transaction [{id}] not found")),
            }
        }
        txns
    };
    if txns
        .iter()
        .any(|t| !engine.has_privilege(&user, &t.db, &t.table, crate::engine::Privilege::Load))
    {
        return fe_error(texts::DORIS_LOAD_DENIED);
    }
    let result = txns.iter().try_for_each(|txn| settle(engine, &op, txn));
    match result {
        Ok(()) => {
            let mut msg = String::new();
            if let Some(label) = &label_header {
                msg.push_str(&format!("label [{label}] "));
            }
            if let Some(v) = &txn_id_header {
                msg.push_str(&format!("transaction [{v}] "));
            }
            msg.push_str(&format!("{op} successfully."));
            reply("Success", &msg)
        }
        Err(msg) => fe_error(&msg),
    }
}

/// Commits or aborts one transaction, or says why not in the FE's words.
fn settle(engine: &crate::engine::Engine, op: &str, txn: &TxnInfo) -> Result<(), String> {
    let id = txn.id;
    let reason = txn.abort_reason.clone().unwrap_or_default();
    match (op, txn.state) {
        ("commit", TxnState::Precommitted) => {
            engine.commit(id).map(|_| ()).map_err(|e| e.to_string())
        }
        ("commit", TxnState::Prepare) => {
            Err(format!("transaction [{id}] is prepare, not pre-committed."))
        }
        ("commit", TxnState::Committed) => Err(format!(
            "transaction [{id}] is already committed, not pre-committed."
        )),
        ("commit", TxnState::Visible) => Err(format!(
            "transaction [{id}] is already visible, not pre-committed."
        )),
        ("commit", TxnState::Aborted) => Err(format!(
            "transaction [{id}] is already aborted. abort reason: {reason}"
        )),
        (_, TxnState::Prepare | TxnState::Precommitted) => engine
            .abort(id, "User Abort")
            .map(|_| ())
            .map_err(|e| e.to_string()),
        (_, TxnState::Aborted) => Err(format!(
            "transaction [{id}] is already aborted, abort reason: {reason}"
        )),
        (_, TxnState::Visible) => Err(format!(
            "transaction [{id}] is already VISIBLE, could not abort."
        )),
        (_, TxnState::Committed) => Err(format!(
            "transaction [{id}] is already COMMITTED, could not abort."
        )),
    }
}
