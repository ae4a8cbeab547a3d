//! The StarRocks BE listener: V1 `_stream_load` (plain and merge commit), the V2
//! `/api/transaction/*` operations, `_load_error_log` and `/api/health`.

use std::sync::Arc;
use std::time::Duration;

use http::{Method, Response, StatusCode};

use crate::engine::{Flavor, WriteMode};

use super::txn;
use crate::http::auth::basic_auth;
use crate::http::batcher::{JoinError, WindowOutcome, WindowSpec};
use crate::http::doris::be::{JSON_MAX_BYTES, discard, error_log, param_key};
use crate::http::ids::{unique_pair, uuid_label};
use crate::http::load::params::{DataFormat, LoadParams, Phase};
use crate::http::load::params_starrocks::starrocks_params;
use crate::http::load::rows::Plan;
use crate::http::load_exec::{LoadJob, decode_body, read_rows, run_load};
use crate::http::load_report::{LoadReport, LoadStatus};
use crate::http::reply::{Body, json_200, respond};
use crate::http::server::Req;
use crate::http::state::HttpState;
use crate::http::texts;

/// Routes one BE request.
pub(crate) async fn handle(state: &HttpState, req: &mut Req, be: usize) -> Response<Body> {
    let segments = req.segments();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = req.parts.method.clone();
    match (method, seg.as_slice()) {
        (Method::PUT, ["api", db, table, "_stream_load"]) => {
            let (db, table) = (db.to_string(), table.to_string());
            let (report, merge) = stream_load(state, req, be, db, table).await;
            json_200(if merge {
                report.merge_commit_json()
            } else {
                report.starrocks_json()
            })
        }
        (Method::POST | Method::PUT, ["api", "transaction", op]) => {
            let op = op.to_string();
            txn::handle(state, req, be, &op).await
        }
        (Method::GET, ["api", "health"]) => json_200("{\"status\": \"OK\",\"msg\": \"OK\"}".into()),
        (Method::GET | Method::HEAD, ["api", "_load_error_log"]) => error_log(state, req),
        _ => respond(StatusCode::NOT_FOUND, Some("text/plain"), "Not Found"),
    }
}

/// Reads `enable_merge_commit` (`Err` = the vendor's message for a non-bool).
pub(crate) fn merge_commit_flag(req: &Req) -> Result<bool, String> {
    match req.header("enable_merge_commit") {
        None | Some("") => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(format!(
            "Invalid parameter enable_merge_commit. The value must be bool type, but is {v}"
        )),
    }
}

/// Checks `merge_commit_interval_ms` and `merge_commit_parallel`; returns the interval.
pub(crate) fn merge_commit_settings(req: &Req) -> Result<Duration, String> {
    let positive = |name: &str| {
        req.header(name)
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|v| *v > 0)
    };
    let shown = |name: &str| req.header(name).map_or("null".to_string(), str::to_string);
    let Some(interval) = positive("merge_commit_interval_ms") else {
        return Err(format!(
            "Batch write interval must be set positive, but is {}",
            shown("merge_commit_interval_ms")
        ));
    };
    if positive("merge_commit_parallel").is_none() {
        return Err(format!(
            "Batch write parallel must be set positive, but is {}",
            shown("merge_commit_parallel")
        ));
    }
    Ok(Duration::from_millis(interval as u64))
}

async fn stream_load(
    state: &HttpState,
    req: &mut Req,
    be: usize,
    db: String,
    table: String,
) -> (LoadReport, bool) {
    let label_header = req
        .header("label")
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    let report = LoadReport::new(label_header.clone().unwrap_or_else(uuid_label));
    let Some(creds) = basic_auth(&req.parts.headers) else {
        return (report.fail("no valid Basic authorization"), false);
    };
    let merge = match merge_commit_flag(req) {
        Ok(m) => m,
        Err(e) => return (report.fail(e), false),
    };
    let (params, plan_error) = match starrocks_params(&req.parts.headers) {
        Ok(p) => (p, None),
        Err(e) if e.phase == Phase::Header => {
            return (
                report.fail(texts::header_error(Flavor::StarRocks, &e)),
                merge,
            );
        }
        Err(e) => (
            LoadParams {
                columns: None,
                where_filter: None,
                ..lenient(req)
            },
            Some(e),
        ),
    };
    if !state.engine.check_password(&creds.user, &creds.password) {
        return (
            report.fail(format!(
                "Access denied for {}@{}",
                creds.user, req.remote_ip
            )),
            merge,
        );
    }
    // The FE's `loadTxnBegin` checks INSERT on the table for the BE's caller.
    if !state
        .engine
        .has_privilege(&creds.user, &db, &table, crate::engine::Privilege::Load)
    {
        let denied = crate::mysql::starrocks_denied(crate::engine::Privilege::Load, &table);
        return (report.fail(denied), merge);
    }
    let body_size = req
        .header("content-length")
        .and_then(|cl| cl.parse::<u64>().ok())
        .unwrap_or(0);
    let ignore_json_size = req
        .header("ignore_json_size")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if params.format == DataFormat::Json && !ignore_json_size && body_size > JSON_MAX_BYTES {
        return (
            report.fail(format!(
                "The size of this batch exceed the max size [{JSON_MAX_BYTES}]  of json type data  data [ {body_size} ]. Set ignore_json_size to skip the check, although it may lead huge memory consuming."
            )),
            merge,
        );
    }
    if merge {
        return (
            merge_commit(state, req, be, db, table, params, report).await,
            true,
        );
    }
    if let Some(l) = label_header
        .as_deref()
        .filter(|l| !texts::starrocks_label_ok(l))
    {
        return (
            report.fail(format!(
                "Label format error. regex: ^[-\\w]{{1,128}}$, label: {l}"
            )),
            false,
        );
    }
    if state.discard {
        return (discard(state, req, report).await, false);
    }
    let job = LoadJob {
        be,
        db,
        table,
        params,
        plan_error,
        two_phase: false,
    };
    (run_load(state, req, job, report).await, false)
}

fn lenient(req: &Req) -> LoadParams {
    let mut headers = req.parts.headers.clone();
    for name in [
        "columns",
        "where",
        "jsonpaths",
        "column_separator",
        "row_delimiter",
    ] {
        headers.remove(name);
    }
    starrocks_params(&headers)
        .unwrap_or_else(|_| starrocks_params(&http::HeaderMap::new()).expect("defaults are valid"))
}

async fn merge_commit(
    state: &HttpState,
    req: &mut Req,
    be: usize,
    db: String,
    table: String,
    params: LoadParams,
    mut report: LoadReport,
) -> LoadReport {
    report.request_id = report.label.clone();
    let interval = match merge_commit_settings(req) {
        Ok(i) => i,
        Err(e) => return report.fail(e),
    };
    let asynchronous = req
        .header("merge_commit_async")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let Some(schema) = state.engine.table(&db, &table) else {
        let msg = match state.engine.database_id(&db) {
            None => format!("unknown database, database={db}"),
            Some(_) => format!("unknown table \"{db}.{table}\""),
        };
        return report.fail(msg);
    };
    let plan = match Plan::new(&schema, &params, Flavor::StarRocks) {
        Ok(p) => Arc::new(p),
        Err(e) => return report.fail(e.message),
    };
    let body = match req.read_body(true).await {
        Ok(b) => b,
        Err(e) => return report.fail(e),
    };
    report.load_bytes = body.len() as u64;
    let data = match decode_body(&params, body) {
        Ok(d) => d,
        Err(e) => return report.fail(e),
    };
    let mut batch = read_rows(&state.engine, &schema, plan, data).await;
    if !batch.rejected.is_empty() {
        report.error_url = Some(state.error_url(be, std::mem::take(&mut batch.rejected)));
    }
    let failed = batch.exceeds(params.max_filter_ratio);
    let key = format!(
        "mc\u{1}{}\u{1}{}\u{1}{}",
        db.to_ascii_lowercase(),
        table.to_ascii_lowercase(),
        param_key(req)
    );
    let spec = WindowSpec {
        key,
        db: db.clone(),
        table: table.clone(),
        interval,
        coordinator_be: be,
        write: WriteMode {
            partial_columns: params.partial_update,
            merge_condition: params.merge_condition.clone(),
        },
    };
    let merge_label = || {
        let (hi, lo) = unique_pair();
        format!("merge_commit_{hi:016x}-{lo:016x}")
    };
    let failure = failed.then_some("too many filtered rows");
    let window = match state
        .batcher
        .join(&state.engine, spec, merge_label, batch.rows, failure)
        .await
    {
        Ok(window) => window,
        Err(JoinError::Begin { error, label }) => {
            let (_, _, msg) = texts::begin_error(Flavor::StarRocks, &error, &db, &table, &label);
            return report.fail(msg);
        }
        Err(JoinError::Txn(e)) => return report.fail(e.to_string()),
        Err(JoinError::KeptClosing) => {
            return report.fail("merge commit window kept closing, please retry");
        }
    };
    report.txn_id = window.txn_id;
    report.label = window.label.clone();
    report.left_merge_ms = window.left_ms();
    if asynchronous && !failed {
        report.status = LoadStatus::Success;
        return report;
    }
    match window.wait().await {
        WindowOutcome::Visible => {
            report.status = LoadStatus::Success;
            report
        }
        WindowOutcome::Aborted(reason) => report.fail(format!("Load is aborted, reason: {reason}")),
    }
}
