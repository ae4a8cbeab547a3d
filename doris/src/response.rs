//! Every answer shape Doris sends, and one `classify` function per family.
//!
//! Doris reports almost everything as HTTP 200 and puts the verdict in JSON whose shape depends on
//! who answered: the BE's Stream Load result (`Status` / `Message`, Pascal case), the FE's early
//! rejection (`status: FAILED` / `msg`), the REST envelope (`msg` / `code` / `data`) and the 2PC
//! answer (`status` / `msg`). Texts carry `[CODE]` and `TStatus:` prefixes that changed between
//! releases, so classification looks for stable substrings. The rules are kept in this one file so
//! that "is this success?" is decided in exactly one place, and it fails closed: an unknown status
//! is never success, and an unparseable answer to a load is a permanent protocol error (retrying
//! blindly could load the data twice).

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use streamload_core::{Error, ErrorKind, LabelState, LoadReport, Result};

/// The BE's Stream Load result (reference §3.2). Unknown fields are ignored, absent ones default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct StreamLoadResponse {
    pub(crate) txn_id: i64,
    pub(crate) label: String,
    pub(crate) two_phase_commit: Option<Value>,
    pub(crate) group_commit: Option<bool>,
    pub(crate) status: String,
    pub(crate) existing_job_status: Option<String>,
    pub(crate) message: String,
    pub(crate) number_total_rows: i64,
    pub(crate) number_loaded_rows: i64,
    pub(crate) number_filtered_rows: i64,
    pub(crate) number_unselected_rows: i64,
    pub(crate) load_bytes: i64,
    pub(crate) load_time_ms: i64,
    pub(crate) write_data_time_ms: i64,
    pub(crate) commit_and_publish_time_ms: i64,
    #[serde(rename = "ErrorURL")]
    pub(crate) error_url: Option<String>,
    pub(crate) first_error_msg: Option<String>,
}

impl StreamLoadResponse {
    /// `TwoPhaseCommit` is the string `"true"` on real servers; a JSON bool is tolerated.
    pub(crate) fn is_two_phase(&self) -> bool {
        match &self.two_phase_commit {
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            Some(Value::Bool(b)) => *b,
            _ => false,
        }
    }

    pub(crate) fn txn_id(&self) -> Option<i64> {
        (self.txn_id > 0).then_some(self.txn_id)
    }

    pub(crate) fn report(&self) -> LoadReport {
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        LoadReport {
            label: (!self.label.is_empty()).then(|| self.label.clone()),
            txn_id: self.txn_id(),
            status: self.status.clone(),
            rows_total: n(self.number_total_rows),
            rows_loaded: n(self.number_loaded_rows),
            rows_filtered: n(self.number_filtered_rows),
            rows_unselected: n(self.number_unselected_rows),
            bytes: n(self.load_bytes),
            load_time_ms: n(self.load_time_ms),
            write_data_time_ms: n(self.write_data_time_ms),
            commit_and_publish_time_ms: n(self.commit_and_publish_time_ms),
            error_url: self.error_url.clone(),
        }
    }
}

/// The two operations of `_stream_load_2pc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxnOp {
    Commit,
    Abort,
}

impl TxnOp {
    pub(crate) fn as_header(self) -> &'static str {
        match self {
            TxnOp::Commit => "commit",
            TxnOp::Abort => "abort",
        }
    }
}

/// What a `_stream_load_2pc` call achieved, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxnOpOutcome {
    /// The operation happened now.
    Done,
    /// The transaction was already in the requested end state (or is gone, for abort).
    AlreadyDone,
    /// Abort by label found transactions, none running: look at the label state to decide.
    NoRunningTxn,
}

fn err(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::new(kind, message)
}

fn parse_json(http: StatusCode, body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body).map_err(|e| {
        let shown = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        http_status_error(http).unwrap_or_else(|| {
            err(
                ErrorKind::Protocol,
                format!("unparseable answer (HTTP {http}): {shown:?}"),
            )
            .set_source(e)
        })
    })
}

/// Non-200 answers carry no JSON verdict; their status decides.
fn http_status_error(http: StatusCode) -> Option<Error> {
    match http.as_u16() {
        200..=299 => None,
        401 | 403 => Some(err(
            ErrorKind::Unauthorized,
            format!("HTTP {http}: credentials refused"),
        )),
        404 => Some(err(ErrorKind::NotFound, format!("HTTP {http}"))),
        500..=599 => Some(err(ErrorKind::Unavailable, format!("HTTP {http}")).outcome_unknown()),
        _ => Some(err(ErrorKind::Protocol, format!("unexpected HTTP {http}")).outcome_unknown()),
    }
}

/// The kind of a failure message, from its `[CODE]` prefix or its stable wording.
pub(crate) fn error_for_message(message: &str) -> Error {
    let m = message.to_ascii_lowercase();
    let has = |s: &str| m.contains(s);
    let base = |kind| err(kind, message);
    if has("not_authorized") || has("access denied") || has("basic authorization") {
        base(ErrorKind::Unauthorized)
    } else if has("data_quality_error") || has("too many filtered rows") {
        base(ErrorKind::DataQuality)
    } else if has("current running txns on db") {
        base(ErrorKind::TxnLimit).temporary()
    } else if has("unknown database")
        || has("table not found")
        || has("unknown table")
        || has("[not_found]")
        || has("database not found")
        || has("olaptable not found")
        || has("does not exist")
    {
        base(ErrorKind::NotFound)
    } else if has("no backend") || has("not_master") || has("shutting down") {
        base(ErrorKind::Unavailable).temporary()
    } else if has("[timeout]") || has("timed out") || has("timeout by txn manager") {
        base(ErrorKind::Timeout).temporary()
    } else if has("[network_error]") || has("[cancelled]") || has("sender is gone") {
        base(ErrorKind::Unavailable).temporary()
    } else if has("partial update")
        || has("only supported in unique tables")
        || has("support batch delete")
        || has("is unsupported")
    {
        base(ErrorKind::Unsupported)
    } else if has("[invalid_argument]")
        || has("[analysis_error]")
        || has("[e-217]")
        || has("unknown data format")
        || has("label format error")
        || has("sequence column")
        || has("100-continue")
    {
        base(ErrorKind::Config)
    } else {
        // `Fail` means the BE rolled the transaction back: the same label may be retried.
        base(ErrorKind::Unexpected).temporary()
    }
}

/// `Label [x] has already been used, relate to txn [123]` → `("x", 123)`.
pub(crate) fn label_conflict_txn(message: &str) -> Option<(String, i64)> {
    let start = message.find("Label [")? + "Label [".len();
    let end = start + message[start..].find(']')?;
    let label = message[start..end].to_owned();
    let txn_start = message.find("relate to txn [")? + "relate to txn [".len();
    let digits: String = message[txn_start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((label, digits.parse().ok()?))
}

/// An FE-shaped rejection (`{"status":"FAILED","msg":..}`, `{"code":401,..}`) as an error.
fn fe_rejection(value: &Value) -> Option<Error> {
    if let Some(code) = value.get("code").and_then(Value::as_i64) {
        if code == 0 {
            return None;
        }
        let data = value.get("data").map(value_text).unwrap_or_default();
        let msg = value.get("msg").map(value_text).unwrap_or_default();
        let text = format!("{msg}: {data}");
        return Some(match code {
            401 => err(ErrorKind::Unauthorized, text),
            403 => err(ErrorKind::Config, text),
            404 => err(ErrorKind::NotFound, text),
            503 => err(ErrorKind::Unavailable, text).temporary(),
            _ => error_for_message(&text),
        });
    }
    let status = value.get("status").or_else(|| value.get("Status"))?;
    let failed = status.as_str()?.eq_ignore_ascii_case("failed");
    failed.then(|| {
        let msg = value
            .get("msg")
            .or_else(|| value.get("Message"))
            .map(value_text)
            .unwrap_or_default();
        error_for_message(&msg).with_context("answered_by", "fe")
    })
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Classifies the answer to a Stream Load (BE result or FE rejection).
///
/// `Success` and `Publish Timeout` are success. `Label Already Exists` is
/// `ErrorKind::LabelAlreadyExists` with contexts `existing_job_status` and (when the message names
/// it) `existing_txn_id`. `Fail` is classified by its message; an unknown status is a protocol
/// error whose outcome is unknown; an unparseable 200 body is a permanent protocol error.
pub(crate) fn classify_load(http: StatusCode, body: &[u8]) -> Result<StreamLoadResponse> {
    let value = parse_json(http, body)?;
    if let Some(rejection) = fe_rejection(&value) {
        return Err(rejection);
    }
    if let Some(e) = http_status_error(http) {
        return Err(e);
    }
    let response: StreamLoadResponse = serde_json::from_value(value).map_err(|e| {
        err(
            ErrorKind::Protocol,
            "Stream Load answer has unexpected field types",
        )
        .set_source(e)
    })?;
    let with_load = |e: Error| {
        let e = e.with_context("label", &response.label);
        match response.txn_id() {
            Some(id) => e.with_context("txn_id", id),
            None => e,
        }
    };
    match response.status.as_str() {
        "Success" | "Publish Timeout" => Ok(response),
        "Label Already Exists" => {
            let job = response.existing_job_status.clone().unwrap_or_default();
            let txn = label_conflict_txn(&response.message).map(|(_, txn)| txn);
            Err(err(ErrorKind::LabelAlreadyExists, &response.message)
                .with_context("label", &response.label)
                .with_existing_job(job, txn))
        }
        "Fail" => {
            let mut e = with_load(error_for_message(&response.message));
            if let Some(url) = &response.error_url {
                e = e.with_context("error_url", url);
            }
            if let Some(first) = &response.first_error_msg {
                e = e.with_context("first_error", first);
            }
            Err(e)
        }
        "" => Err(err(
            ErrorKind::Protocol,
            "Stream Load answer without Status",
        )),
        other => Err(with_load(
            err(
                ErrorKind::Protocol,
                format!("unknown Stream Load status {other:?}: {}", response.message),
            )
            .outcome_unknown(),
        )),
    }
}

/// Classifies the answer to `_stream_load_2pc` (reference §4.2–4.3).
pub(crate) fn classify_txn_op(op: TxnOp, http: StatusCode, body: &[u8]) -> Result<TxnOpOutcome> {
    let value = parse_json(http, body)?;
    if value.get("code").is_some()
        && let Some(rejection) = fe_rejection(&value)
    {
        return Err(rejection);
    }
    if let Some(e) = http_status_error(http) {
        return Err(e);
    }
    let status = value
        .get("status")
        .or_else(|| value.get("Status"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let msg = value
        .get("msg")
        .or_else(|| value.get("Message"))
        .map(value_text)
        .unwrap_or_default();
    if status.eq_ignore_ascii_case("success") {
        return Ok(TxnOpOutcome::Done);
    }
    let m = msg.to_ascii_lowercase();
    let committed = m.contains("is already committed") || m.contains("is already visible");
    let aborted = m.contains("is already aborted");
    let not_found = m.contains("] not found") || m.starts_with("transaction not found");
    let not_found = not_found || m.contains("detailmessage = transaction not found");
    match op {
        TxnOp::Commit if committed => Ok(TxnOpOutcome::AlreadyDone),
        TxnOp::Commit if aborted => Err(err(
            ErrorKind::DataLoss,
            format!("commit found the transaction aborted, its data is lost: {msg}"),
        )),
        TxnOp::Commit if not_found || m.contains("running transaction not found") => {
            Err(err(ErrorKind::NotFound, msg))
        }
        TxnOp::Commit if m.contains("is prepare, not pre-committed") => Err(err(
            ErrorKind::Unexpected,
            format!("transaction is still loading: {msg}"),
        )
        .temporary()),
        TxnOp::Abort if committed => Err(err(ErrorKind::AlreadyCommitted, msg)),
        TxnOp::Abort if aborted || not_found => Ok(TxnOpOutcome::AlreadyDone),
        TxnOp::Abort if m.contains("running transaction not found") => {
            Ok(TxnOpOutcome::NoRunningTxn)
        }
        _ if status.is_empty() => Err(err(
            ErrorKind::Protocol,
            format!("2PC answer without status: {msg}"),
        )),
        _ => Err(error_for_message(&msg).with_context("status", status)),
    }
}

/// Unwraps the REST envelope `{"msg","code","data","count"}` and returns `data`.
pub(crate) fn classify_rest(http: StatusCode, body: &[u8]) -> Result<Value> {
    let value = parse_json(http, body)?;
    if let Some(rejection) = fe_rejection(&value) {
        return Err(rejection);
    }
    if let Some(e) = http_status_error(http) {
        return Err(e);
    }
    match value {
        Value::Object(mut map) if map.contains_key("code") => {
            Ok(map.remove("data").unwrap_or(Value::Null))
        }
        other => Ok(other),
    }
}

/// Classifies the answer to `get_load_state`.
pub(crate) fn classify_label_state(http: StatusCode, body: &[u8]) -> Result<LabelState> {
    let data = classify_rest(http, body)?;
    let state = data.as_str().unwrap_or_default();
    Ok(match state {
        "UNKNOWN" => LabelState::Unknown,
        "PREPARE" => LabelState::Prepare,
        "PRECOMMITTED" => LabelState::Precommitted,
        "COMMITTED" => LabelState::Committed,
        "VISIBLE" => LabelState::Visible,
        "ABORTED" => LabelState::Aborted,
        other => {
            return Err(err(
                ErrorKind::Protocol,
                format!("unknown label state {other:?}"),
            ));
        }
    })
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
