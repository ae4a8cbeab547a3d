//! StarRocks Transaction Stream Load (V2) on the BE: the per-label transaction contexts and the
//! `begin` / `load` / `prepare` / `commit` / `rollback` operations (reference §4.4–4.6).
//!
//! A context lives on the coordinator BE only; one request at a time may work on it (a
//! try-lock: a second gets `TXN_IN_PROCESSING`), every `load` must carry the same load headers
//! as the first, bytes add up over the transaction, and idle / transaction timeouts abort it.
//! The contexts themselves live in [`txn_context`](super::txn_context).

use std::sync::Arc;
use std::time::Instant;

use http::{Method, Response};

use crate::engine::{BeginError, BeginRequest, Flavor, WriteMode};

use crate::http::auth::basic_auth;
use crate::http::load::params_starrocks::starrocks_params;
use crate::http::load::rows::{Plan, RowBatch};
use crate::http::load_exec::{decode_body, read_rows, stage_rows};
use crate::http::reply::{Body, Obj, json_200};
use crate::http::server::Req;
use crate::http::starrocks::txn_context::{
    ContextWork, TxnContext, context_for, declare_body, drop_context, error, expired,
    in_processing, json_size, load_request_key,
};
use crate::http::state::HttpState;
use crate::http::texts;

/// Routes `/api/transaction/{op}` on BE `be`.
pub(crate) async fn handle(
    state: &HttpState,
    req: &mut Req,
    be: usize,
    op: &str,
) -> Response<Body> {
    let op = op.to_ascii_lowercase();
    let is_put = req.parts.method == Method::PUT;
    if op != "load" && super::multi_txn::is_multi(state, req) {
        // Only the FE keeps multi-table transactions (StarRocks' test_be_reject_transaction_type).
        return error(
            "INVALID_ARGUMENT",
            "Multi-statement transaction requests can only be sent to FE nodes, not BE nodes",
        );
    }
    match op.as_str() {
        "begin" => begin(state, req, be),
        "load" if is_put && super::multi_txn::is_multi(state, req) => {
            super::multi_load::be_load(state, req, be).await
        }
        "load" if is_put => load(state, req, be).await,
        "prepare" | "commit" => finish(state, req, be, op == "prepare").await,
        "rollback" => rollback(state, req, be).await,
        "list" => list(state, be),
        _ => error(
            "INVALID_ARGUMENT",
            &format!("unsupport transaction operation {op}"),
        ),
    }
}

fn begin(state: &HttpState, req: &Req, be: usize) -> Response<Body> {
    let engine = &state.engine;
    let label = req.header("label").unwrap_or_default().to_string();
    if label.is_empty() {
        return error("INVALID_ARGUMENT", "empty label");
    }
    if state.contexts[be].get(&label).is_some() {
        return json_200(
            Obj::new()
                .with("Status", "LABEL_ALREADY_EXISTS")
                .with("ExistingJobStatus", "")
                .with("Message", "")
                .pretty(),
        );
    }
    let db = req.header("db").unwrap_or_default().to_string();
    let table = req.header("table").unwrap_or_default().to_string();
    let parse = |name: &str| {
        req.header(name)
            .filter(|v| !v.is_empty())
            .map(|v| v.parse::<u64>())
    };
    let timeout_s = match parse("timeout") {
        None => 600,
        Some(Ok(t)) => t,
        Some(Err(_)) => return error("INVALID_ARGUMENT", "Invalid timeout format"),
    };
    let idle_timeout_s = match parse("idle_transaction_timeout") {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(_)) => return error("INVALID_ARGUMENT", "Invalid timeout format"),
    };
    let Some(creds) = basic_auth(&req.parts.headers) else {
        return error("INVALID_ARGUMENT", "no valid Basic authorization");
    };
    if !engine.check_password(&creds.user, &creds.password) {
        return error(
            "ANALYSIS_ERROR",
            &format!("Access denied for {}@{}", creds.user, req.remote_ip),
        );
    }
    // The FE's `loadTxnBegin` checks INSERT on the table for the BE's caller.
    if !engine.has_privilege(&creds.user, &db, &table, crate::engine::Privilege::Load) {
        let denied = crate::mysql::starrocks_denied(crate::engine::Privilege::Load, &table);
        return error("ANALYSIS_ERROR", &denied);
    }
    if !texts::starrocks_label_ok(&label) {
        return error(
            "INTERNAL_ERROR",
            &format!("Label format error. regex: ^[-\\w]{{1,128}}$, label: {label}"),
        );
    }
    let t = Instant::now();
    let txn = match engine.begin(BeginRequest {
        db: db.clone(),
        table: table.clone(),
        label: label.clone(),
        timeout: std::time::Duration::from_secs(timeout_s),
        coordinator_be: be,
        write: WriteMode::default(),
    }) {
        Ok(t) => t,
        Err(BeginError::LabelAlreadyExists { state: s, .. }) => {
            return json_200(
                Obj::new()
                    .with("Status", "LABEL_ALREADY_EXISTS")
                    .with("ExistingJobStatus", texts::starrocks_existing(s))
                    .with("Message", format!("Label [{label}] has already been used."))
                    .pretty(),
            );
        }
        Err(e) => {
            let (_, _, msg) = texts::begin_error(Flavor::StarRocks, &e, &db, &table, &label);
            return error("ANALYSIS_ERROR", &msg);
        }
    };
    let now = engine.now_ms();
    state.contexts[be].insert(Arc::new(TxnContext {
        db,
        table,
        label: label.clone(),
        txn_id: txn.id,
        begin_ms: now,
        timeout_s,
        idle_timeout_s,
        work: tokio::sync::Mutex::new(ContextWork {
            first_params: None,
            plan: None,
            max_filter_ratio: 0.0,
            counts: RowBatch::default(),
            load_bytes: 0,
            declared_bytes: 0,
            last_active_ms: now,
            loaded_once: false,
            started: Instant::now(),
            plan_ms: 0,
            receive_ms: 0,
            write_ms: 0,
        }),
    }));
    json_200(
        Obj::new()
            .with("Status", "OK")
            .with("Message", "")
            .with("Label", label)
            .with("TxnId", txn.id)
            .with("BeginTxnTimeMs", t.elapsed().as_millis() as u64)
            .pretty(),
    )
}

async fn load(state: &HttpState, req: &mut Req, be: usize) -> Response<Body> {
    let ctx = match context_for(state, req, be, true) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Ok(mut work) = ctx.work.try_lock() else {
        return in_processing(&ctx.label);
    };
    if let Some(reason) = expired(state, &ctx, &work) {
        drop_context(state, be, &ctx, &reason);
        return error("ABORTED", "current transaction is aborted");
    }
    let fail = |work_reason: String, status: &str| {
        drop_context(state, be, &ctx, &work_reason);
        error(status, &work_reason)
    };
    if let Some(refusal) = declare_body(&mut work, req) {
        return fail(refusal, "INTERNAL_ERROR");
    }
    let params = match starrocks_params(&req.parts.headers) {
        Ok(p) => p,
        Err(e) => return fail(e.message, "INVALID_ARGUMENT"),
    };
    if let Some(refusal) = json_size(&work, req, &params) {
        return fail(refusal, "INTERNAL_ERROR");
    }
    let key = load_request_key(req);
    match &work.first_params {
        Some(first) if *first != key => {
            return fail("load request not equal last.".into(), "INTERNAL_ERROR");
        }
        Some(_) => {}
        None if state.discard => work.first_params = Some(key),
        None => {
            let t = Instant::now();
            let Some(schema) = state.engine.table(&ctx.db, &ctx.table) else {
                return fail(
                    format!("unknown table \"{}.{}\"", ctx.db, ctx.table),
                    "ANALYSIS_ERROR",
                );
            };
            match Plan::new(&schema, &params, Flavor::StarRocks) {
                Ok(plan) => work.plan = Some(Arc::new(plan)),
                Err(e) => return fail(e.message, "ANALYSIS_ERROR"),
            }
            // Every load of the transaction carries these same headers (parameter equality), so
            // the first one sets how the whole transaction writes its rows.
            let write = WriteMode {
                partial_columns: params.partial_update,
                merge_condition: params.merge_condition.clone(),
            };
            if let Err(e) = state.engine.set_write_mode(ctx.txn_id, write) {
                return fail(e.to_string(), "INTERNAL_ERROR");
            }
            work.first_params = Some(key);
            work.max_filter_ratio = params.max_filter_ratio;
            work.plan_ms = t.elapsed().as_millis() as u64;
        }
    }
    if state.discard {
        // `--discard`: count and drop the body; nothing is parsed or stored.
        let t = Instant::now();
        if let Err(e) = req.read_body(false).await {
            return fail(e, "INTERNAL_ERROR");
        }
        work.receive_ms += t.elapsed().as_millis() as u64;
        let this_bytes = req.body_bytes;
        work.load_bytes += this_bytes;
        work.loaded_once = true;
        work.last_active_ms = state.engine.now_ms();
        return load_ok(&ctx, &work, this_bytes);
    }
    let t = Instant::now();
    let body = match req.read_body(true).await {
        Ok(b) => b,
        Err(e) => return fail(e, "INTERNAL_ERROR"),
    };
    work.receive_ms += t.elapsed().as_millis() as u64;
    let this_bytes = body.len() as u64;
    work.load_bytes += this_bytes;
    let data = match decode_body(&params, body) {
        Ok(d) => d,
        Err(e) => return fail(e, "INTERNAL_ERROR"),
    };
    let Some(schema) = state.engine.table(&ctx.db, &ctx.table) else {
        return fail(
            format!("unknown table \"{}.{}\"", ctx.db, ctx.table),
            "ANALYSIS_ERROR",
        );
    };
    let Some(plan) = work.plan.clone() else {
        return fail("load request was never planned".into(), "INTERNAL_ERROR");
    };
    let t = Instant::now();
    let mut batch = read_rows(&state.engine, &schema, plan, data).await;
    if let Err(e) = stage_rows(&state.engine, ctx.txn_id, std::mem::take(&mut batch.rows)).await {
        return fail(e.to_string(), "INTERNAL_ERROR");
    }
    work.write_ms += t.elapsed().as_millis() as u64;
    work.counts.absorb(batch);
    work.loaded_once = true;
    work.last_active_ms = state.engine.now_ms();
    load_ok(&ctx, &work, this_bytes)
}

/// The reply to a successful `/load`; `LoadBytes` counts this request only.
fn load_ok(ctx: &TxnContext, work: &ContextWork, this_bytes: u64) -> Response<Body> {
    json_200(
        Obj::new()
            .with("Status", "OK")
            .with("Message", "")
            .with("Label", ctx.label.as_str())
            .with("TxnId", ctx.txn_id)
            .with("LoadBytes", this_bytes)
            .with("StreamLoadPlanTimeMs", work.plan_ms)
            .with("ReceivedDataTimeMs", work.receive_ms)
            .pretty(),
    )
}

async fn finish(state: &HttpState, req: &mut Req, be: usize, prepare: bool) -> Response<Body> {
    let ctx = match context_for(state, req, be, false) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if prepare
        && let Some(v) = req.header("prepared_timeout").filter(|v| !v.is_empty())
        && v.parse::<u64>().map_or(true, |t| t == 0)
    {
        return error(
            "INVALID_ARGUMENT",
            &format!("Invalid prepared_timeout: {v}"),
        );
    }
    let Ok(mut work) = ctx.work.try_lock() else {
        return in_processing(&ctx.label);
    };
    if let Some(reason) = expired(state, &ctx, &work) {
        drop_context(state, be, &ctx, &reason);
        return error("ABORTED", "transaction is aborted");
    }
    if !work.loaded_once {
        let msg = format!("transaction {} hasn't send any data yet", ctx.txn_id);
        drop_context(state, be, &ctx, &msg);
        return error("INTERNAL_ERROR", &msg);
    }
    let mut error_url = None;
    if !work.counts.rejected.is_empty() {
        error_url = Some(state.error_url(be, std::mem::take(&mut work.counts.rejected)));
    }
    if work.counts.exceeds(work.max_filter_ratio) {
        drop_context(state, be, &ctx, "too many filtered rows");
        let mut o = Obj::new()
            .with("Status", "INTERNAL_ERROR")
            .with("Message", "too many filtered rows");
        if let Some(url) = error_url {
            o.push("ErrorURL", url);
        }
        return json_200(o.pretty());
    }
    let t = Instant::now();
    let prepared_timeout = req
        .header("prepared_timeout")
        .and_then(|v| v.parse::<u64>().ok())
        .map(std::time::Duration::from_secs);
    let result = match (prepare, prepared_timeout) {
        (true, Some(t)) => state.engine.precommit_with_timeout(ctx.txn_id, t),
        (true, None) => state.engine.precommit(ctx.txn_id),
        (false, _) => state.engine.commit(ctx.txn_id),
    };
    state.contexts[be].remove(&ctx.label);
    if let Err(e) = result {
        let _ = state.engine.abort(ctx.txn_id, &e.to_string());
        return error("INTERNAL_ERROR", &e.to_string());
    }
    let c = &work.counts;
    let mut o = Obj::new()
        .with("Status", "OK")
        .with("Message", "")
        .with("Label", ctx.label.as_str())
        .with("TxnId", ctx.txn_id)
        .with("NumberTotalRows", c.total)
        .with("NumberLoadedRows", c.loaded())
        .with("NumberFilteredRows", c.filtered)
        .with("NumberUnselectedRows", c.unselected)
        .with("LoadBytes", work.load_bytes)
        .with("LoadTimeMs", work.started.elapsed().as_millis() as u64)
        .with("StreamLoadPlanTimeMs", work.plan_ms)
        .with("ReceivedDataTimeMs", work.receive_ms)
        .with("WriteDataTimeMs", work.write_ms)
        .with(
            "CommitAndPublishTimeMs",
            if prepare {
                0
            } else {
                t.elapsed().as_millis() as u64
            },
        );
    if let Some(url) = error_url {
        o.push("ErrorURL", url);
    }
    json_200(o.pretty())
}

async fn rollback(state: &HttpState, req: &Req, be: usize) -> Response<Body> {
    let ctx = match context_for(state, req, be, false) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Ok(_work) = ctx.work.try_lock() else {
        return in_processing(&ctx.label);
    };
    drop_context(state, be, &ctx, "transaction is aborted by user.");
    json_200(
        Obj::new()
            .with("Status", "OK")
            .with("Message", "")
            .with("Label", ctx.label.as_str())
            .pretty(),
    )
}

fn list(state: &HttpState, be: usize) -> Response<Body> {
    let mut out = String::new();
    for ctx in state.contexts[be].all() {
        let mut o = Obj::new();
        match ctx.work.try_lock() {
            Ok(w) => {
                o.push("Status", "OK");
                o.push("InProcessing", false);
                o.push("Label", ctx.label.as_str());
                o.push("TxnId", ctx.txn_id);
                o.push("NumberTotalRows", w.counts.total);
                o.push("LoadBytes", w.load_bytes);
            }
            Err(_) => {
                o.push("InProcessing", true);
                o.push("Label", ctx.label.as_str());
                o.push("TxnId", ctx.txn_id);
            }
        }
        out.push_str(&o.pretty());
    }
    json_200(out)
}
