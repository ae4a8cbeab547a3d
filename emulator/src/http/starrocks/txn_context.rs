//! StarRocks V2 transaction contexts on a BE: what a context holds, the per-BE map by label,
//! finding a request's context (with the db/table checks), the load parameters every load must
//! repeat, the size checks over the whole transaction, the timeout rules and the reaper.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use http::Response;

use crate::engine::TxnState;

use crate::http::doris::be::JSON_MAX_BYTES;
use crate::http::load::params::{DataFormat, LoadParams};
use crate::http::load::rows::{Plan, RowBatch};
use crate::http::reply::{Body, Obj, json_200};
use crate::http::server::Req;
use crate::http::state::HttpState;

/// The mutable part of a context, behind its try-lock.
#[derive(Debug)]
pub(crate) struct ContextWork {
    pub(crate) first_params: Option<String>,
    pub(crate) plan: Option<Arc<Plan>>,
    pub(crate) max_filter_ratio: f64,
    pub(crate) counts: RowBatch,
    pub(crate) load_bytes: u64,
    /// Σ Content-Length of the transaction's loads, for the BE's size checks (chunked loads
    /// declare none and add nothing).
    pub(crate) declared_bytes: u64,
    pub(crate) last_active_ms: i64,
    pub(crate) loaded_once: bool,
    pub(crate) started: Instant,
    pub(crate) plan_ms: u64,
    pub(crate) receive_ms: u64,
    pub(crate) write_ms: u64,
}

/// One V2 transaction on its coordinator BE.
#[derive(Debug)]
pub(crate) struct TxnContext {
    pub(crate) db: String,
    pub(crate) table: String,
    pub(crate) label: String,
    pub(crate) txn_id: i64,
    pub(crate) begin_ms: i64,
    pub(crate) timeout_s: u64,
    pub(crate) idle_timeout_s: Option<u64>,
    pub(crate) work: tokio::sync::Mutex<ContextWork>,
}

/// The contexts of one BE, by label.
#[derive(Debug, Default)]
pub(crate) struct TxnContexts {
    pub(crate) by_label: Mutex<HashMap<String, Arc<TxnContext>>>,
}

impl TxnContexts {
    pub(crate) fn get(&self, label: &str) -> Option<Arc<TxnContext>> {
        self.by_label
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(label)
            .cloned()
    }
    pub(crate) fn insert(&self, ctx: Arc<TxnContext>) {
        self.by_label
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ctx.label.clone(), ctx);
    }
    pub(crate) fn remove(&self, label: &str) {
        self.by_label
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(label);
    }
    pub(crate) fn all(&self) -> Vec<Arc<TxnContext>> {
        self.by_label
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }
}

pub(crate) fn error(status: &str, message: &str) -> Response<Body> {
    json_200(
        Obj::new()
            .with("Status", status)
            .with("Message", message)
            .pretty(),
    )
}

pub(crate) fn in_processing(label: &str) -> Response<Body> {
    json_200(
        Obj::new()
            .with("Status", "TXN_IN_PROCESSING")
            .with("Label", label)
            .with("Message", "Transaction is in processing")
            .pretty(),
    )
}

/// The load parameters a V2 `load` request carries into the BE's put request: only these are
/// compared with the first load's (`load request not equal last.`). Any other header, such as
/// `channel_num`, a tracing header or `Expect`, is not part of the request and may vary between
/// loads, as on the real BE, which builds the request from this fixed set of headers.
pub(crate) fn load_request_key(req: &Req) -> String {
    const PARAMS: &[&str] = &[
        "format",
        "columns",
        "where",
        "column_separator",
        "row_delimiter",
        "partitions",
        "temporary_partitions",
        "negative",
        "strict_mode",
        "timezone",
        "load_mem_limit",
        "jsonpaths",
        "json_root",
        "strip_outer_array",
        "partial_update",
        "partial_update_mode",
        "merge_condition",
        "transmission_compression_type",
        "load_dop",
    ];
    PARAMS
        .iter()
        .map(|&name| {
            let raw = req.header(name).unwrap_or_default();
            // Normalised as the BE parses them: no format is CSV, and these flags are booleans.
            let value = match name {
                "format" if raw.is_empty() => "csv".to_owned(),
                "format" => raw.to_ascii_lowercase(),
                "strip_outer_array" => raw.eq_ignore_ascii_case("true").to_string(),
                "negative" | "partial_update" => (raw == "true").to_string(),
                _ => raw.to_owned(),
            };
            format!("{name}={value}")
        })
        .collect::<Vec<_>>()
        .join("\u{2}")
}

/// The BE's `streaming_load_max_mb` (10 GiB): the most a transaction's loads may declare.
const STREAMING_LOAD_MAX_BYTES: u64 = 10240 * 1024 * 1024;

/// Adds the load's Content-Length to the transaction's total, which the BE checks before
/// anything else: the refusal when the total is over `streaming_load_max_mb`.
pub(crate) fn declare_body(work: &mut ContextWork, req: &Req) -> Option<String> {
    work.declared_bytes += req
        .header("content-length")
        .and_then(|cl| cl.parse::<u64>().ok())
        .unwrap_or(0);
    (work.declared_bytes > STREAMING_LOAD_MAX_BYTES).then(|| {
        format!(
            "body exceed max size: {STREAMING_LOAD_MAX_BYTES}, limit: {STREAMING_LOAD_MAX_BYTES}"
        )
    })
}

/// The JSON size check, over the transaction's declared total (not the single load) unless
/// the load says `ignore_json_size: true`.
pub(crate) fn json_size(work: &ContextWork, req: &Req, params: &LoadParams) -> Option<String> {
    let ignore = req
        .header("ignore_json_size")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    (params.format == DataFormat::Json && !ignore && work.declared_bytes > JSON_MAX_BYTES).then(
        || {
            format!(
                "The size of this batch exceed the max size [{JSON_MAX_BYTES}]  of json type data  data [ {} ]. Set ignore_json_size to skip the check, although it may lead huge memory consuming.",
                work.declared_bytes
            )
        },
    )
}

/// Aborts the transaction of a context and forgets the context.
pub(crate) fn drop_context(state: &HttpState, be: usize, ctx: &TxnContext, reason: &str) {
    let _ = state.engine.abort(ctx.txn_id, reason);
    state.contexts[be].remove(&ctx.label);
}

/// The context for a request's label, checked against its `db` (and `table`).
pub(crate) fn context_for(
    state: &HttpState,
    req: &Req,
    be: usize,
    check_table: bool,
) -> Result<Arc<TxnContext>, Response<Body>> {
    let label = req.header("label").unwrap_or_default();
    if label.is_empty() {
        return Err(error("INVALID_ARGUMENT", "Invalid label "));
    }
    let Some(ctx) = state.contexts[be].get(label) else {
        let text = if check_table {
            "Transaction with label"
        } else {
            "transaction with label"
        };
        return Err(error(
            "TXN_NOT_EXISTS",
            &format!("{text} {label} not exists"),
        ));
    };
    let db = req.header("db").unwrap_or_default();
    if !db.is_empty() && !db.eq_ignore_ascii_case(&ctx.db) {
        let msg = if check_table {
            format!(
                "Request database {db} not equal transaction database {}",
                ctx.db
            )
        } else {
            format!("request db {db} transaction db {} not match", ctx.db)
        };
        return Err(error("INVALID_ARGUMENT", &msg));
    }
    if check_table {
        let table = req.header("table").unwrap_or_default();
        if !table.is_empty() && !table.eq_ignore_ascii_case(&ctx.table) {
            return Err(error(
                "INVALID_ARGUMENT",
                &format!(
                    "Request table {table} not equal transaction table {}",
                    ctx.table
                ),
            ));
        }
    }
    Ok(ctx)
}

/// True (and the txn aborted) when the transaction has outlived a timeout.
pub(crate) fn expired(state: &HttpState, ctx: &TxnContext, work: &ContextWork) -> Option<String> {
    let now = state.engine.now_ms();
    if let Some(idle) = ctx.idle_timeout_s
        && now - work.last_active_ms > idle as i64 * 1000
    {
        return Some(format!(
            "transaction is aborted by idle timeout {idle} seconds."
        ));
    }
    if now - ctx.begin_ms > ctx.timeout_s as i64 * 1000 {
        return Some(format!(
            "transaction is aborted by timeout {} seconds.",
            ctx.timeout_s
        ));
    }
    match state.engine.txn(&ctx.db, ctx.txn_id) {
        Some(t) if t.state == TxnState::Prepare => None,
        Some(t) => Some(
            t.abort_reason
                .unwrap_or_else(|| "transaction is aborted".into()),
        ),
        None => Some("transaction is aborted".into()),
    }
}

/// The BE reaper: aborts contexts past their idle or transaction timeout.
pub(crate) fn reap(state: &HttpState) {
    for (be, contexts) in state.contexts.iter().enumerate() {
        for ctx in contexts.all() {
            let Ok(work) = ctx.work.try_lock() else {
                continue;
            };
            if let Some(reason) = expired(state, &ctx, &work) {
                drop(work);
                drop_context(state, be, &ctx, &reason);
            }
        }
    }
}
