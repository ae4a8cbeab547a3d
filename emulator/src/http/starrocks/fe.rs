//! The StarRocks FE listener: V1 `_stream_load` redirect (no userinfo, `Connection: close`),
//! merge-commit routing, V2 `/api/transaction/*` routing and the FE-side commit / rollback of
//! PREPARED transactions, `get_load_state` and `_cancel`. In a cluster of several FEs a follower
//! redirects loads and transaction operations to the leader, as the real FEs do.

use http::{Method, Response, StatusCode, Version};

use crate::engine::{Privilege, TxnState};

use crate::http::auth::basic_auth;
use crate::http::reply::{Body, Obj, json_200, redirect, respond, starrocks_rest_result};
use crate::http::server::Req;
use crate::http::starrocks::be::{merge_commit_flag, merge_commit_settings};
use crate::http::state::HttpState;

/// Routes one request to FE `fe`.
pub(crate) async fn handle(state: &HttpState, req: &mut Req, fe: usize) -> Response<Body> {
    let segments = req.segments();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = req.parts.method.clone();
    if seg.is_empty() && method == Method::GET {
        return respond(StatusCode::OK, Some("text/html"), "StarRocks FE emulator");
    }
    if seg.first() != Some(&"api") {
        return respond(StatusCode::NOT_FOUND, Some("text/plain"), "Not Found");
    }
    if let Err(r) = check(state, req) {
        return r;
    }
    if let Some(to_leader) = redirect_to_leader(state, req, fe, &seg) {
        return to_leader;
    }
    match (method, seg.as_slice()) {
        (Method::PUT, ["api", db, table, "_stream_load"]) => stream_load(state, req, db, table),
        (Method::POST | Method::PUT, ["api", "transaction", op]) => {
            transaction(state, req, &op.to_ascii_lowercase())
        }
        (Method::GET, ["api", db, "get_load_state"]) => load_state(state, req, db),
        (Method::GET, ["api", _, _, "_stream_load_meta"]) => stream_load_meta(state, req),
        (Method::POST, ["api", db, x, "_cancel"]) => cancel(state, req, db, x),
        (Method::GET, ["api", "show_proc"]) => super::show_proc::show_proc(state, req),
        _ => respond(StatusCode::NOT_FOUND, Some("text/plain"), "Not Found"),
    }
}

/// A follower sends loads and transaction operations on to the leader (`redirectToLeader`
/// of the FE's load and transaction actions): a 307 to the same path and query on the
/// leader's HTTP port. Reads (label state, metadata) are answered by any FE.
fn redirect_to_leader(
    state: &HttpState,
    req: &Req,
    fe: usize,
    seg: &[&str],
) -> Option<Response<Body>> {
    let leader = state.switches.leader();
    if leader == fe {
        return None;
    }
    let to_leader = matches!(
        seg,
        ["api", _, _, "_stream_load"] | ["api", "transaction", _] | ["api", _, _, "_cancel"]
    );
    if !to_leader {
        return None;
    }
    let query = req
        .parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let location = format!(
        "{}://{}{}{query}",
        state.scheme,
        state.fe_authority(leader),
        req.parts.uri.path()
    );
    Some(redirect(&location, true))
}

fn unauthorized(text: &str) -> Response<Body> {
    let body = starrocks_rest_result("FAILED", "1", text, text).compact();
    let mut r = respond(StatusCode::UNAUTHORIZED, Some("application/json"), body);
    r.headers_mut().insert(
        http::header::WWW_AUTHENTICATE,
        http::HeaderValue::from_static("Basic realm=\"\""),
    );
    r
}

fn check(state: &HttpState, req: &Req) -> Result<(), Response<Body>> {
    let Some(creds) = basic_auth(&req.parts.headers) else {
        return Err(unauthorized("Need auth information."));
    };
    if !state.engine.check_password(&creds.user, &creds.password) {
        return Err(unauthorized(&format!(
            "Access denied for {}@{}",
            creds.user, req.remote_ip
        )));
    }
    Ok(())
}

fn be_location(state: &HttpState, req: &Req, be: usize) -> String {
    let query = req
        .parts
        .uri
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    format!(
        "{}://{}{}{query}",
        state.scheme,
        state.be_authority(be),
        req.parts.uri.path()
    )
}

fn failed_rest(code: &str, msg: &str) -> Response<Body> {
    json_200(starrocks_rest_result("FAILED", code, msg, msg).compact())
}

fn stream_load(state: &HttpState, req: &Req, db: &str, table: &str) -> Response<Body> {
    let expect = req
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if req.parts.version != Version::HTTP_10 && !expect {
        let body = Obj::new()
            .with("Status", "FAILED")
            .with(
                "Message",
                "class com.starrocks.common.DdlException: There is no 100-continue header",
            )
            .pretty();
        let mut r = json_200(body);
        r.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
        return r;
    }
    // `Authorizer.checkTableAction(..., INSERT)`: its AccessDeniedException leaves
    // RestBaseAction as 401, like a wrong password.
    let user = basic_auth(&req.parts.headers)
        .map(|c| c.user)
        .unwrap_or_default();
    if !state
        .engine
        .has_privilege(&user, db, table, Privilege::Load)
    {
        return unauthorized(&crate::mysql::starrocks_denied(Privilege::Load, table));
    }
    if let Ok(true) = merge_commit_flag(req)
        && let Err(msg) = merge_commit_settings(req)
    {
        return failed_rest(
            "INVALID_ARGUMENT",
            &format!("Failed to build stream load info, error: {msg}"),
        );
    }
    let be = state.pick_be();
    redirect(&be_location(state, req, be), true)
}

/// `GET /api/{db}/{table}/_stream_load_meta?type=nodes`: the coordinator BEs of a merge-commit
/// load (only its HTTP addresses: the emulator has no brpc port).
fn stream_load_meta(state: &HttpState, req: &Req) -> Response<Body> {
    let mut o = starrocks_rest_result("OK", "OK", "", "");
    if let Ok(true) = merge_commit_flag(req) {
        if let Err(msg) = merge_commit_settings(req) {
            return failed_rest("INVALID_ARGUMENT", &msg);
        }
        let http: Vec<String> = (0..state.be_ports.len())
            .map(|n| state.be_authority(n))
            .collect();
        o.push("nodes", Obj::new().with("http", http.join(",")));
    }
    json_200(o.compact())
}

fn txn_result(status: &str, message: &str, txn: Option<(i64, &str)>) -> Response<Body> {
    let mut o = Obj::new().with("Status", status).with("Message", message);
    if let Some((id, label)) = txn {
        o.push("TxnId", id);
        o.push("Label", label);
    }
    json_200(o.compact())
}

fn fe_failed(message: &str) -> Response<Body> {
    txn_result(
        "FAILED",
        &format!("class com.starrocks.common.StarRocksException: {message}"),
        None,
    )
}

fn transaction(state: &HttpState, req: &Req, op: &str) -> Response<Body> {
    if !["begin", "load", "prepare", "commit", "rollback"].contains(&op) {
        return fe_failed(&format!("Unknown transaction operation: {op}"));
    }
    let label = req.header("label").unwrap_or_default().to_string();
    if label.is_empty() {
        return fe_failed("Empty label.");
    }
    let db = req.header("db").unwrap_or_default().to_string();
    if db.is_empty() {
        return fe_failed("No database selected.");
    }
    if let Some(multi) = super::multi_txn::fe(state, req, op, &label, &db) {
        return match multi {
            super::multi_txn::FeAnswer::Reply(r) => r,
            super::multi_txn::FeAnswer::ToBe(be) => redirect(&be_location(state, req, be), false),
        };
    }
    let key = (db.to_ascii_lowercase(), label.clone());
    if op == "begin" {
        let be = {
            let mut cache = state.coordinators.lock().unwrap_or_else(|e| e.into_inner());
            *cache.entry(key).or_insert_with(|| state.pick_be())
        };
        return redirect(&be_location(state, req, be), false);
    }
    if state.engine.database_id(&db).is_none() {
        return fe_failed(&format!(
            "Can't find db[{db}] for label[{label}]. The db may be dropped."
        ));
    }
    let txn = state.engine.txn_by_label(&db, &label);
    let coordinator = || {
        let cached = state
            .coordinators
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .copied();
        cached
            .or_else(|| txn.as_ref().map(|t| t.coordinator_be))
            .filter(|be| *be < state.be_ports.len())
    };
    let not_found = || {
        fe_failed(&format!(
            "Can't find the transaction with db [{db}] and label[{label}]. The possible reasons: 1. FE leader is started or switched; 2. The transaction timeouts and is cleaned."
        ))
    };
    match op {
        "load" | "prepare" => match coordinator() {
            Some(be) if txn.is_some() => redirect(&be_location(state, req, be), false),
            _ => not_found(),
        },
        _ => {
            let Some(info) = txn.clone() else {
                return fe_failed(&format!(
                    "No transaction found with db[{db}] and label[{label}]"
                ));
            };
            let id = info.id;
            match (op, info.state) {
                (_, TxnState::Prepare) => match coordinator() {
                    Some(be) => redirect(&be_location(state, req, be), false),
                    None => not_found(),
                },
                ("commit", TxnState::Precommitted) => match state.engine.commit(id) {
                    Ok(_) => txn_result("OK", "", Some((id, &label))),
                    Err(e) => fe_failed(&e.to_string()),
                },
                ("commit", TxnState::Committed | TxnState::Visible) => txn_result(
                    "OK",
                    &format!("Transaction {id} has already committed, label is {label}"),
                    Some((id, &label)),
                ),
                ("commit", _) => fe_failed(&format!(
                    "Can not commit ABORTED transaction {id}, label is {label}"
                )),
                (_, TxnState::Precommitted) => match state.engine.abort(id, "User Aborted") {
                    Ok(_) => txn_result("OK", "", Some((id, &label))),
                    Err(e) => fe_failed(&e.to_string()),
                },
                (_, TxnState::Aborted) => txn_result(
                    "OK",
                    &format!("Transaction {id} has already aborted, label is {label}"),
                    Some((id, &label)),
                ),
                (_, s) => fe_failed(&format!(
                    "Can not abort {} transaction {id}, label is {label}",
                    s.starrocks_name()
                )),
            }
        }
    }
}

fn load_state(state: &HttpState, req: &Req, db: &str) -> Response<Body> {
    let Some(label) = req.query("label").filter(|l| !l.is_empty()) else {
        return failed_rest("1", "No label selected.");
    };
    if state.engine.database_id(db).is_none() {
        return failed_rest("1", &format!("unknown database, database={db}"));
    }
    let txn = state.engine.txn_by_label(db, &label);
    let (name, reason) = match &txn {
        None => ("UNKNOWN", String::new()),
        Some(t) => (
            t.state.starrocks_name(),
            t.abort_reason.clone().unwrap_or_default(),
        ),
    };
    let mut o = Obj::new().with("state", name).with("reason", reason);
    o.0.extend(starrocks_rest_result("OK", "0", "Success", "OK").0);
    json_200(o.compact())
}

fn cancel(state: &HttpState, req: &Req, db: &str, x: &str) -> Response<Body> {
    let label = req
        .query("label")
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| x.to_string());
    let Some(txn) = state.engine.txn_by_label(db, &label) else {
        return failed_rest("1", &format!("transaction not found, label={label}"));
    };
    if txn.state != TxnState::Prepare {
        return failed_rest(
            "1",
            &format!("running transaction not found, label={label}"),
        );
    }
    match state.engine.abort(txn.id, "user cancel") {
        Ok(_) => json_200(starrocks_rest_result("OK", "0", "Success", "OK").compact()),
        Err(e) => failed_rest("1", &e.to_string()),
    }
}
