//! The Doris BE listener: `_stream_load` (plain, 2PC, group commit), `_stream_load_2pc`,
//! `_load_error_log`, `/api/health` and `/`.

use http::{Method, Response, StatusCode};

use crate::engine::{Flavor, WriteMode};

use super::two_pc;
use crate::http::auth::basic_auth;
use crate::http::batcher::{JoinError, WindowOutcome, WindowSpec};
use crate::http::ids::{unique_pair, uuid_label};
use crate::http::load::params::{Phase, doris_params};
use crate::http::load::rows::Plan;
use crate::http::load_exec::{LoadJob, decode_body, read_rows, run_load};
use crate::http::load_report::{LoadReport, LoadStatus};
use crate::http::reply::{Body, json_200, respond};
use crate::http::server::Req;
use crate::http::state::HttpState;
use crate::http::texts;

/// `streaming_load_json_max_mb` (100 MB) in bytes: the JSON body limit without line mode.
pub(crate) const JSON_MAX_BYTES: u64 = 100 * 1024 * 1024;

/// Routes one BE request.
pub(crate) async fn handle(state: &HttpState, req: &mut Req, be: usize) -> Response<Body> {
    let segments = req.segments();
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = req.parts.method.clone();
    match (method, seg.as_slice()) {
        (Method::PUT, ["api", db, table, "_stream_load" | "_load"]) => {
            let (db, table) = (db.to_string(), table.to_string());
            let gzip = req
                .header("accept-encoding")
                .is_some_and(|v| v.to_ascii_lowercase().contains("gzip"));
            let report = stream_load(state, req, be, db, table).await;
            if gzip {
                gzip_json(report.doris_json())
            } else {
                json_200(report.doris_json())
            }
        }
        (Method::PUT, ["api", db, "_stream_load_2pc"] | ["api", db, _, "_stream_load_2pc"]) => {
            let db = db.to_string();
            two_pc::be_2pc(state, req, &db)
        }
        (Method::GET, ["api", "health"]) => json_200("{\"status\": \"OK\",\"msg\": \"OK\"}".into()),
        (Method::GET | Method::HEAD, ["api", "_load_error_log"]) => error_log(state, req),
        (Method::GET, []) => respond(StatusCode::OK, Some("text/html"), "Doris BE emulator"),
        _ => respond(StatusCode::NOT_FOUND, Some("text/plain"), "Not Found"),
    }
}

/// The BE gzips its reply when the client accepts gzip (`HttpChannel::send_reply`).
fn gzip_json(body: String) -> Response<Body> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let compressed = encoder
        .write_all(body.as_bytes())
        .and_then(|()| encoder.finish());
    match compressed {
        Ok(bytes) => {
            let mut r = respond(StatusCode::OK, Some("application/json"), bytes);
            r.headers_mut().insert(
                http::header::CONTENT_ENCODING,
                http::HeaderValue::from_static("gzip"),
            );
            r
        }
        Err(_) => json_200(body),
    }
}

/// `GET /api/_load_error_log?file=...`.
pub(crate) fn error_log(state: &HttpState, req: &Req) -> Response<Body> {
    match req.query("file").and_then(|f| state.errors.get(&f)) {
        Some(text) => respond(StatusCode::OK, Some("text/plain; charset=utf-8"), text),
        None => respond(
            StatusCode::NOT_FOUND,
            Some("text/plain"),
            "error log file not found",
        ),
    }
}

async fn stream_load(
    state: &HttpState,
    req: &mut Req,
    be: usize,
    db: String,
    table: String,
) -> LoadReport {
    let label_header = req
        .header("label")
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    let mut report = LoadReport::new(label_header.clone().unwrap_or_else(uuid_label));
    report.comment = req.header("comment").unwrap_or_default().to_string();
    report.two_phase = req.header("two_phase_commit") == Some("true");
    let Some(creds) = basic_auth(&req.parts.headers) else {
        return report.fail("[NOT_AUTHORIZED]no valid Basic authorization");
    };
    let content_length = req.header("content-length").map(str::to_string);
    let chunked = req
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    match (&content_length, chunked) {
        (None, false) => {
            return report.fail(
                "[INVALID_ARGUMENT]content_length is empty and transfer-encoding!=chunked, please set content_length or transfer-encoding=chunked",
            );
        }
        (Some(_), true) => {
            return report.fail(
                "[INVALID_ARGUMENT]please do not set both content_length and transfer-encoding",
            );
        }
        (Some(cl), false) if cl.parse::<u64>().is_err() => {
            return report.fail(format!(
                "[INVALID_ARGUMENT]invalid HTTP header CONTENT_LENGTH={cl}"
            ));
        }
        _ => {}
    }
    let group_commit = match req.header("group_commit").map(str::to_ascii_lowercase) {
        None => None,
        Some(mode) if mode == "sync_mode" || mode == "async_mode" => Some(mode),
        Some(mode) if mode == "off_mode" => None,
        Some(_) => {
            return report.fail(
                "[INVALID_ARGUMENT]group_commit can only be [async_mode, sync_mode, off_mode]",
            );
        }
    };
    let (params, plan_error) = match doris_params(&req.parts.headers) {
        Ok(p) => (p, None),
        Err(e) if e.phase == Phase::Header => {
            return report.fail(texts::header_error(Flavor::Doris, &e));
        }
        Err(e) => (doris_params_lenient(req), Some(e)),
    };
    if !state.engine.check_password(&creds.user, &creds.password) {
        let denied = texts::doris_access_denied(&creds.user, &req.remote_ip, &creds.password);
        return report.fail(format!(
            "[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = {denied}"
        ));
    }
    if !state
        .engine
        .has_privilege(&creds.user, &db, &table, crate::engine::Privilege::Load)
    {
        return report.fail(format!(
            "[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = {}",
            texts::DORIS_LOAD_DENIED
        ));
    }
    let body_size = content_length
        .as_deref()
        .and_then(|cl| cl.parse::<u64>().ok())
        .unwrap_or(0);
    let by_line_header = req
        .header("read_json_by_line")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if params.format == crate::http::load::params::DataFormat::Json
        && !by_line_header
        && body_size > JSON_MAX_BYTES
    {
        return report.fail(format!(
            "[E-217]json body size {body_size} exceed BE's conf `streaming_load_json_max_mb` {JSON_MAX_BYTES}. increase it if you are sure this load is reasonable"
        ));
    }
    let empty_body = content_length.as_deref() == Some("0");
    let partitioned =
        req.header("partitions").is_some() || req.header("temporary_partitions").is_some();
    let use_group_commit = group_commit.is_some()
        && !empty_body
        && !params.partial_update
        && !report.two_phase
        && !partitioned;
    if let (true, Some(mode)) = (use_group_commit, group_commit) {
        if label_header.is_some() && !chunked {
            return report
                .fail("[INVALID_ARGUMENT]label and group_commit can't be set at the same time");
        }
        return group_commit_load(
            state,
            req,
            be,
            db,
            table,
            params,
            mode == "sync_mode",
            report,
        )
        .await;
    }
    if label_header
        .as_deref()
        .is_some_and(|l| !texts::doris_label_ok(l))
    {
        let l = label_header.unwrap_or_default();
        return report.fail(format!(
            "[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = Label format error. regex: ^[-_A-Za-z0-9:]{{1,128}}$, label: {l}"
        ));
    }
    if state.discard {
        return discard(state, req, report).await;
    }
    let two_phase = report.two_phase;
    let job = LoadJob {
        be,
        db,
        table,
        params,
        plan_error,
        two_phase,
    };
    run_load(state, req, job, report).await
}

fn doris_params_lenient(req: &Req) -> crate::http::load::params::LoadParams {
    let mut headers = req.parts.headers.clone();
    for name in [
        "columns",
        "where",
        "jsonpaths",
        "column_separator",
        "line_delimiter",
        "delete",
        "merge_type",
        "timeout",
    ] {
        headers.remove(name);
    }
    doris_params(&headers)
        .unwrap_or_else(|_| doris_params(&http::HeaderMap::new()).expect("defaults are valid"))
}

/// `--discard`: read and drop the body, answer Success without parsing or storing.
pub(crate) async fn discard(
    state: &HttpState,
    req: &mut Req,
    mut report: LoadReport,
) -> LoadReport {
    match req.read_body(false).await {
        Ok(_) => {
            report.txn_id = state.discard_txn_id();
            report.load_bytes = req.body_bytes;
            report
        }
        Err(e) => report.fail(texts::network_error(state.flavor, &e)),
    }
}

#[allow(clippy::too_many_arguments)]
async fn group_commit_load(
    state: &HttpState,
    req: &mut Req,
    be: usize,
    db: String,
    table: String,
    params: crate::http::load::params::LoadParams,
    sync: bool,
    mut report: LoadReport,
) -> LoadReport {
    report.group_commit = true;
    let Some(schema) = state.engine.table(&db, &table) else {
        let msg = match state.engine.database_id(&db) {
            None => format!(
                "[NOT_FOUND]TStatus: errCode = 7, detailMessage = unknown database, database={db}"
            ),
            Some(_) => format!(
                "[NOT_FOUND]TStatus: errCode = 7, detailMessage = table not found, tableName={table}"
            ),
        };
        return report.fail(msg);
    };
    let plan = match Plan::new(&schema, &params, Flavor::Doris) {
        Ok(plan) => std::sync::Arc::new(plan),
        Err(e) => return report.fail(texts::plan_error(Flavor::Doris, &e)),
    };
    let body = match req.read_body(true).await {
        Ok(b) => b,
        Err(e) => return report.fail(texts::network_error(Flavor::Doris, &e)),
    };
    report.load_bytes = body.len() as u64;
    let data = match decode_body(&params, body) {
        Ok(d) => d,
        Err(e) => return report.fail(texts::data_error(Flavor::Doris, &e)),
    };
    let mut batch = read_rows(&state.engine, &schema, plan, data).await;
    report.total = batch.total;
    report.filtered = batch.filtered;
    report.unselected = batch.unselected;
    report.loaded = batch.loaded();
    if !batch.rejected.is_empty() {
        report.first_error = batch.rejected.first().cloned();
        report.error_url = Some(state.error_url(be, std::mem::take(&mut batch.rejected)));
    }
    if batch.exceeds(params.max_filter_ratio) {
        return report.fail(texts::too_many_filtered(Flavor::Doris));
    }
    let key = format!(
        "gc\u{1}{}\u{1}{}\u{1}{}",
        db.to_ascii_lowercase(),
        table.to_ascii_lowercase(),
        param_key(req)
    );
    let spec = WindowSpec {
        key,
        db: db.clone(),
        table: table.clone(),
        interval: state.batcher.default_interval,
        coordinator_be: be,
        write: WriteMode::default(),
    };
    let group_label = || {
        let (hi, lo) = unique_pair();
        format!("group_commit_{hi:016x}_{lo:016x}")
    };
    let window = match state
        .batcher
        .join(&state.engine, spec, group_label, batch.rows, None)
        .await
    {
        Ok(window) => window,
        Err(JoinError::Begin { error, label }) => {
            let (_, _, msg) = texts::begin_error(Flavor::Doris, &error, &db, &table, &label);
            return report.fail(msg);
        }
        Err(JoinError::Txn(e)) => return report.fail(texts::txn_error(Flavor::Doris, &e)),
        Err(JoinError::KeptClosing) => {
            return report.fail("[INTERNAL_ERROR]group commit window kept closing, please retry");
        }
    };
    report.txn_id = window.txn_id;
    report.label = window.label.clone();
    if sync && let WindowOutcome::Aborted(reason) = window.wait().await {
        return report.fail(format!("[INTERNAL_ERROR]{reason}"));
    }
    report.status = LoadStatus::Success;
    report
}

/// The load-parameter headers that must be identical for requests to share a window.
pub(crate) fn param_key(req: &Req) -> String {
    const SKIP: &[&str] = &[
        "authorization",
        "content-length",
        "transfer-encoding",
        "expect",
        "host",
        "user-agent",
        "accept",
        "connection",
        "label",
        "content-type",
        "accept-encoding",
    ];
    let mut pairs: Vec<(String, String)> = req
        .parts
        .headers
        .iter()
        .filter(|(k, _)| !SKIP.contains(&k.as_str()))
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\u{2}")
}
