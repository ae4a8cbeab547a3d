//! Running one load on a BE: begin, plan, read the body, turn it into rows, check the filter
//! ratio, stage, then commit or precommit — the part Doris `_stream_load` and StarRocks V1 share.
//! Each vendor's words for the outcomes come from [`texts`](super::texts).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::engine::{BeginRequest, Engine, StagedRow, TableSchema, TxnError, WriteMode};

use super::load::decompress::decompress;
use super::load::params::{LoadParams, ParamError};
use super::load::rows::{Plan, RowBatch};
use super::load_report::{LoadReport, LoadStatus};
use super::server::Req;
use super::state::HttpState;
use super::texts;

/// What a BE load needs besides the request.
#[derive(Debug)]
pub(crate) struct LoadJob {
    pub(crate) be: usize,
    pub(crate) db: String,
    pub(crate) table: String,
    pub(crate) params: LoadParams,
    /// A planner error found while reading headers; reported after begin, as the servers do.
    pub(crate) plan_error: Option<ParamError>,
    pub(crate) two_phase: bool,
}

/// Undoes body compression.
pub(crate) fn decode_body(params: &LoadParams, body: Bytes) -> Result<Bytes, String> {
    match params.compression {
        None => Ok(body),
        Some(c) => decompress(&body, c).map(Bytes::from),
    }
}

/// Parses rows off the async threads (a large body takes a while).
pub(crate) async fn read_rows(
    engine: &Engine,
    schema: &TableSchema,
    plan: Arc<Plan>,
    data: Bytes,
) -> RowBatch {
    let (engine, schema) = (engine.clone(), schema.clone());
    tokio::task::spawn_blocking(move || plan.read(&engine, &schema, &data))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

/// Stages rows off the async threads.
pub(crate) async fn stage_rows(
    engine: &Engine,
    txn_id: i64,
    rows: Vec<StagedRow>,
) -> Result<(), TxnError> {
    let engine = engine.clone();
    tokio::task::spawn_blocking(move || engine.stage(txn_id, rows))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

fn ms_since(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

/// Runs a load whose headers passed the header phase; fills `report`.
pub(crate) async fn run_load(
    state: &HttpState,
    req: &mut Req,
    job: LoadJob,
    mut report: LoadReport,
) -> LoadReport {
    let engine = &state.engine;
    let flavor = state.flavor;
    let t_begin = Instant::now();
    let timeout = job
        .params
        .timeout_s
        .map(Duration::from_secs)
        .unwrap_or(Duration::ZERO);
    let begin = engine.begin(BeginRequest {
        db: job.db.clone(),
        table: job.table.clone(),
        label: report.label.clone(),
        timeout,
        coordinator_be: job.be,
        write: WriteMode {
            partial_columns: job.params.partial_update,
            merge_condition: job.params.merge_condition.clone(),
        },
    });
    report.begin_ms = ms_since(t_begin);
    let txn = match begin {
        Ok(txn) => txn,
        Err(e) => {
            let (status, existing, message) =
                texts::begin_error(flavor, &e, &job.db, &job.table, &report.label);
            report = report.fail(message);
            report.status = status;
            report.existing_job_status = existing;
            return report;
        }
    };
    report.txn_id = txn.id;
    let abort = |reason: &str| {
        let _ = engine.abort(txn.id, reason);
    };
    let t_plan = Instant::now();
    let planned = match engine.table(&job.db, &job.table) {
        None => Err(ParamError {
            phase: super::load::params::Phase::Plan,
            code: "NOT_FOUND",
            message: format!("table not found, tableName={}", job.table),
        }),
        Some(schema) => match job.plan_error {
            Some(e) => Err(e),
            None => Plan::new(&schema, &job.params, flavor).map(|plan| (Arc::new(plan), schema)),
        },
    };
    report.plan_ms = ms_since(t_plan);
    let (plan, schema) = match planned {
        Ok(planned) => planned,
        Err(e) => {
            abort(&e.message);
            return report.fail(texts::plan_error(flavor, &e));
        }
    };
    let t_receive = Instant::now();
    let body = match req.read_body(true).await {
        Ok(body) => body,
        Err(e) => {
            abort(&e);
            report.load_bytes = req.body_bytes;
            return report.fail(texts::network_error(flavor, &e));
        }
    };
    report.receive_ms = ms_since(t_receive);
    report.load_bytes = body.len() as u64;
    let t_read = Instant::now();
    let data = match decode_body(&job.params, body) {
        Ok(data) => data,
        Err(e) => {
            abort(&e);
            return report.fail(texts::data_error(flavor, &e));
        }
    };
    let batch = read_rows(engine, &schema, plan, data).await;
    report.read_ms = ms_since(t_read);
    finish(
        state,
        job.be,
        &job.params,
        txn.id,
        job.two_phase,
        batch,
        report,
    )
    .await
}

/// Counts, ratio check, staging and commit of a read batch.
pub(crate) async fn finish(
    state: &HttpState,
    be: usize,
    params: &LoadParams,
    txn_id: i64,
    two_phase: bool,
    mut batch: RowBatch,
    mut report: LoadReport,
) -> LoadReport {
    let engine = &state.engine;
    report.total = batch.total;
    report.filtered = batch.filtered;
    report.unselected = batch.unselected;
    report.loaded = batch.loaded();
    if !batch.rejected.is_empty() {
        report.first_error = batch.rejected.first().cloned();
        report.error_url = Some(state.error_url(be, std::mem::take(&mut batch.rejected)));
    }
    if batch.exceeds(params.max_filter_ratio) {
        let _ = engine.abort(txn_id, "too many filtered rows");
        return report.fail(texts::too_many_filtered(state.flavor));
    }
    let t_write = Instant::now();
    if let Err(e) = stage_rows(engine, txn_id, batch.rows).await {
        let _ = engine.abort(txn_id, &e.to_string());
        return report.fail(texts::txn_error(state.flavor, &e));
    }
    report.write_ms = ms_since(t_write);
    let t_commit = Instant::now();
    let result = if two_phase {
        engine.precommit(txn_id)
    } else {
        engine.commit(txn_id)
    };
    if let Err(e) = result {
        let _ = engine.abort(txn_id, &e.to_string());
        return report.fail(texts::txn_error(state.flavor, &e));
    }
    report.commit_ms = if two_phase { 0 } else { ms_since(t_commit) };
    report.status = LoadStatus::Success;
    report
}
