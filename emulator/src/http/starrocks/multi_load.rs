//! The BE side of a StarRocks multi-table transaction: a `load` the FE redirected here writes
//! its rows into the table its `table` header names, as part of the label's one transaction.
//!
//! The server runs each table of the transaction as its own load task under the shared
//! transaction, so each table is planned on its own and a failed load rolls the whole
//! transaction back (the documented rule for `begin`, `load` and `prepare` errors). The answer
//! is the V2 load answer: this load's bytes, no row counts.

use std::sync::Arc;
use std::time::Instant;

use http::Response;

use crate::engine::{Flavor, TxnError, WriteMode};

use super::multi_txn::{closed, multi_txn};
use super::txn_context::error;
use crate::http::auth::basic_auth;
use crate::http::load::params_starrocks::starrocks_params;
use crate::http::load::rows::Plan;
use crate::http::load_exec::{decode_body, read_rows};
use crate::http::reply::{Body, Obj, json_200};
use crate::http::server::Req;
use crate::http::state::HttpState;

/// `PUT /api/transaction/load` of a multi-table transaction on BE `be`.
pub(crate) async fn be_load(state: &HttpState, req: &mut Req, be: usize) -> Response<Body> {
    let engine = &state.engine;
    let Some(creds) = basic_auth(&req.parts.headers) else {
        return error("INVALID_ARGUMENT", "no valid Basic authorization");
    };
    if !engine.check_password(&creds.user, &creds.password) {
        return error(
            "ANALYSIS_ERROR",
            &format!("Access denied for {}@{}", creds.user, req.remote_ip),
        );
    }
    let label = req.header("label").unwrap_or_default().to_string();
    let db = req.header("db").unwrap_or_default().to_string();
    let table = req.header("table").unwrap_or_default().to_string();
    let Some(t) = multi_txn(state, &db, &label) else {
        return error(
            "TXN_NOT_EXISTS",
            &format!("Transaction with label {label} not exists"),
        );
    };
    if let Some(why) = closed(&t) {
        return error("FAILED", &why);
    }
    let fail = |status: &str, msg: String| {
        let _ = state.engine.abort(t.id, &format!("LOAD exception: {msg}"));
        error(status, &msg)
    };
    let started = Instant::now();
    let params = match starrocks_params(&req.parts.headers) {
        Ok(p) => p,
        Err(e) => return fail("INVALID_ARGUMENT", e.message),
    };
    let Some(schema) = engine.table(&db, &table) else {
        return fail("ANALYSIS_ERROR", format!("unknown table \"{db}.{table}\""));
    };
    let plan = match Plan::new(&schema, &params, Flavor::StarRocks) {
        Ok(p) => Arc::new(p),
        Err(e) => return fail("ANALYSIS_ERROR", e.message),
    };
    let plan_ms = started.elapsed().as_millis() as u64;
    let received = Instant::now();
    let body = match req.read_body(true).await {
        Ok(b) => b,
        Err(e) => return fail("INTERNAL_ERROR", e),
    };
    let receive_ms = received.elapsed().as_millis() as u64;
    let load_bytes = body.len() as u64;
    let data = match decode_body(&params, body) {
        Ok(d) => d,
        Err(e) => return fail("INTERNAL_ERROR", e),
    };
    let mut batch = read_rows(engine, &schema, plan, data).await;
    if batch.exceeds(params.max_filter_ratio) {
        let url = state.error_url(be, std::mem::take(&mut batch.rejected));
        let _ = engine.abort(t.id, "too many filtered rows");
        let o = Obj::new()
            .with("Status", "INTERNAL_ERROR")
            .with("Message", "too many filtered rows")
            .with("ErrorURL", url);
        return json_200(o.pretty());
    }
    let write = WriteMode {
        partial_columns: params.partial_update,
        merge_condition: params.merge_condition.clone(),
    };
    let rows = std::mem::take(&mut batch.rows);
    let staged = {
        let (engine, id, table) = (engine.clone(), t.id, schema.name.clone());
        tokio::task::spawn_blocking(move || engine.stage_table(id, &table, write, rows))
            .await
            .unwrap_or_else(|e| Err(TxnError::Storage(e.to_string())))
    };
    if let Err(e) = staged {
        return fail("INTERNAL_ERROR", e.to_string());
    }
    json_200(
        Obj::new()
            .with("Status", "OK")
            .with("Message", "")
            .with("Label", label.as_str())
            .with("TxnId", t.id)
            .with("LoadBytes", load_bytes)
            .with("StreamLoadPlanTimeMs", plan_ms)
            .with("ReceivedDataTimeMs", receive_ms)
            .pretty(),
    )
}
