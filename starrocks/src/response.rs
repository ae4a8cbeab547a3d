//! What StarRocks answers, and what each answer means for the caller.
//!
//! StarRocks has four reply families: V1 Stream Load (`Success` / `Publish Timeout` /
//! `Label Already Exists` / `Fail`), V2 transaction operations (TStatusCode names such as `OK`,
//! `TXN_NOT_EXISTS`; the FE adds `FAILED`), the FE's `RestBaseResult` (`status` / `msg` /
//! `state`, used by `get_load_state`, `_cancel` and merge-commit routing errors) and merge commit
//! (`Success` / `Fail` with a server label). Key spelling differs between them and between
//! versions, so bodies are parsed with their top-level keys lower-cased. Each family has ONE
//! `classify_*` function; every status it does not know fails closed.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use streamload_core::{Error, ErrorKind, LabelState, LoadReport, RetryStatus};

/// The union of the load-reply shapes (V1, V2 BE and FE, merge commit), keys lower-cased.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub(crate) struct LoadBody {
    pub(crate) txnid: Option<i64>,
    pub(crate) label: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) existingjobstatus: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) msg: Option<String>,
    pub(crate) numbertotalrows: u64,
    pub(crate) numberloadedrows: u64,
    pub(crate) numberfilteredrows: u64,
    pub(crate) numberunselectedrows: u64,
    pub(crate) loadbytes: u64,
    pub(crate) loadtimems: u64,
    pub(crate) writedatatimems: u64,
    pub(crate) commitandpublishtimems: u64,
    pub(crate) errorurl: Option<String>,
    pub(crate) leftmergetimems: Option<u64>,
    pub(crate) requestid: Option<String>,
    /// `RestBaseResult.code`.
    pub(crate) code: Option<String>,
}

impl LoadBody {
    /// The error text, whichever key carried it.
    pub(crate) fn text(&self) -> &str {
        self.message
            .as_deref()
            .filter(|m| !m.is_empty())
            .or(self.msg.as_deref())
            .unwrap_or("")
    }

    /// The server's counters.
    pub(crate) fn report(&self) -> LoadReport {
        LoadReport {
            label: self.label.clone(),
            txn_id: self.txnid.filter(|id| *id >= 0),
            status: self.status.clone().unwrap_or_default(),
            rows_total: self.numbertotalrows,
            rows_loaded: self.numberloadedrows,
            rows_filtered: self.numberfilteredrows,
            rows_unselected: self.numberunselectedrows,
            bytes: self.loadbytes,
            load_time_ms: self.loadtimems,
            write_data_time_ms: self.writedatatimems,
            commit_and_publish_time_ms: self.commitandpublishtimems,
            error_url: self.errorurl.clone(),
        }
    }
}

/// `get_load_state` and `_cancel` replies (`RestBaseResult` + `state`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub(crate) struct RestBody {
    pub(crate) status: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) msg: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) state: Option<String>,
}

/// Parses a JSON object with its top-level keys lower-cased.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        Error::new(
            ErrorKind::Protocol,
            format!("unparseable reply: {}", snippet(body)),
        )
        .set_source(e)
    })?;
    let serde_json::Value::Object(map) = value else {
        return Err(protocol(format!(
            "reply is not a JSON object: {}",
            snippet(body)
        )));
    };
    let lowered: serde_json::Map<String, serde_json::Value> = map
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    serde_json::from_value(serde_json::Value::Object(lowered))
        .map_err(|e| protocol(format!("unexpected reply shape: {}", snippet(body))).set_source(e))
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
    text.into_owned()
}

fn protocol(message: String) -> Error {
    Error::new(ErrorKind::Protocol, message)
}

/// Checks the HTTP status shared by all families: 401 is fatal, 404 an unknown route, other
/// non-200 codes an unknown outcome.
fn check_http(http: u16, body: &[u8]) -> Result<(), Error> {
    match http {
        200 => Ok(()),
        401 | 403 => Err(Error::new(
            ErrorKind::Unauthorized,
            format!("access denied (HTTP {http}): {}", snippet(body)),
        )),
        404 => Err(Error::new(
            ErrorKind::Unsupported,
            format!("endpoint not found (HTTP 404): {}", snippet(body)),
        )),
        307 => Err(Error::new(
            ErrorKind::Protocol,
            "unexpected redirect as a final answer (the FE responded slowly or looped)",
        )
        .temporary()),
        _ => Err(Error::new(
            ErrorKind::Unavailable,
            format!("HTTP {http}: {}", snippet(body)),
        )
        .outcome_unknown()),
    }
}

/// Maps a failure message to a kind and retry status (the SDK's keyword rules plus §9).
pub(crate) fn classify_message(message: &str) -> (ErrorKind, RetryStatus) {
    use ErrorKind as K;
    use RetryStatus as R;
    let m = message.to_ascii_lowercase();
    let has = |needle: &str| m.contains(needle);
    if has("too many filtered rows") {
        (K::DataQuality, R::Permanent)
    } else if has("access denied") || has("no valid basic authorization") || has("need auth") {
        (K::Unauthorized, R::Permanent)
    } else if has("current running txns on db") || has("txn num per be exceeds") {
        (K::TxnLimit, R::Temporary)
    } else if has("transaction status unknown") || has("publish timeout") {
        (K::Unexpected, R::OutcomeUnknown)
    } else if has("unknown database")
        || has("unknown table")
        || has("does not exist")
        || has("no transaction found")
        || has("can't find the transaction")
        || has("has no node")
        || has("not exists")
    {
        (K::NotFound, R::Permanent)
    } else if has("can not abort") {
        (K::AlreadyCommitted, R::Permanent)
    } else if has("can not commit aborted") {
        (K::DataLoss, R::Permanent)
    } else if has("label format error")
        || has("exceed limit")
        || has("exceed the max size")
        || has("unknown data format")
        || has("no 100-continue header")
        || has("invalid")
        || has("no database selected")
        || has("no table selected")
        || has("batch write")
    {
        (K::Config, R::Permanent)
    } else if has("only primary key table")
        || has("primary key size exceed")
        || has("not implemented")
    {
        (K::Unsupported, R::Permanent)
    } else if has("concurrent limit")
        || has("cuncurrent limit")
        || has("shutting down")
        || has("no backend")
        || has("available backends")
    {
        (K::Unavailable, R::Temporary)
    } else if has("timeout") {
        (K::Timeout, R::Permanent)
    } else {
        (K::Unexpected, R::Temporary)
    }
}

fn failure(body: &LoadBody, status: &str) -> Error {
    let message = body.text();
    let (kind, retry) = classify_message(message);
    let mut err = Error::new(kind, format!("{status}: {message}")).with_server_status(status);
    if let Some(label) = &body.label {
        err = err.with_context("label", label);
    }
    if let Some(url) = &body.errorurl {
        err = err.with_context("error_url", url);
    }
    with_retry(err, retry)
}

fn with_retry(err: Error, retry: RetryStatus) -> Error {
    match retry {
        RetryStatus::Permanent => err.permanent(),
        RetryStatus::Temporary => err.temporary(),
        RetryStatus::OutcomeUnknown => err.outcome_unknown(),
    }
}

fn label_exists(body: &LoadBody, status: &str) -> Error {
    let existing = body.existingjobstatus.clone().unwrap_or_default();
    Error::new(ErrorKind::LabelAlreadyExists, body.text().to_owned())
        .with_server_status(status)
        .with_existing_job(existing, None)
        .outcome_unknown()
}

/// V1 Stream Load (`_stream_load`, also FE errors on that path). `Success` and
/// `Publish Timeout` are loads; everything else is an error.
pub(crate) fn classify_v1(http: u16, body: &[u8]) -> Result<LoadBody, Error> {
    check_http(http, body)?;
    let parsed: LoadBody = parse(body)?;
    let status = parsed.status.clone().unwrap_or_default();
    match status.as_str() {
        "Success" | "Publish Timeout" => Ok(parsed),
        "Label Already Exists" => Err(label_exists(&parsed, &status)),
        "Fail" | "FAILED" => Err(failure(&parsed, &status)),
        _ => {
            Err(protocol(format!("unknown Stream Load status {status:?}"))
                .with_server_status(status))
        }
    }
}

/// V2 transaction operations (`/api/transaction/*`, BE TStatusCode names and FE results).
/// `OK` is success; `PUBLISH_TIMEOUT` too (the data is committed). Callers look at the
/// `server_status` context of the error for `TXN_NOT_EXISTS`, `TXN_IN_PROCESSING`, `FAILED`.
pub(crate) fn classify_txn(http: u16, body: &[u8]) -> Result<LoadBody, Error> {
    check_http(http, body)?;
    let parsed: LoadBody = parse(body)?;
    let status = parsed.status.clone().unwrap_or_default();
    let err = |kind: ErrorKind, retry: RetryStatus| {
        let e = Error::new(kind, format!("{status}: {}", parsed.text()))
            .with_server_status(status.clone());
        with_retry(e, retry)
    };
    match status.as_str() {
        "OK" | "PUBLISH_TIMEOUT" => Ok(parsed),
        "LABEL_ALREADY_EXISTS" => Err(label_exists(&parsed, &status)),
        "TXN_NOT_EXISTS" => Err(err(ErrorKind::NotFound, RetryStatus::OutcomeUnknown)),
        "TXN_IN_PROCESSING" | "SERVICE_UNAVAILABLE" | "RESOURCE_BUSY" | "MEM_LIMIT_EXCEEDED" => {
            Err(err(ErrorKind::Unavailable, RetryStatus::Temporary))
        }
        "TIMEOUT" => Err(err(ErrorKind::Timeout, RetryStatus::OutcomeUnknown)),
        "ABORTED" | "CANCELLED" => {
            let kind = if parsed.text().contains("timeout") {
                ErrorKind::Timeout
            } else {
                ErrorKind::Unexpected
            };
            Err(err(kind, RetryStatus::Permanent))
        }
        "INVALID_ARGUMENT" => Err(err(ErrorKind::Config, RetryStatus::Permanent)),
        "INTERNAL_ERROR" | "ANALYSIS_ERROR" | "FAILED" | "Fail" => {
            let (kind, retry) = classify_message(parsed.text());
            let retry = match (status.as_str(), kind) {
                ("INTERNAL_ERROR", ErrorKind::Unexpected) => RetryStatus::Permanent,
                _ => retry,
            };
            let mut e = err(kind, retry);
            if let Some(url) = &parsed.errorurl {
                e = e.with_context("error_url", url);
            }
            Err(e)
        }
        _ => {
            Err(protocol(format!("unknown transaction status {status:?}"))
                .with_server_status(status))
        }
    }
}

/// `get_load_state`: the label's state.
pub(crate) fn classify_label_state(http: u16, body: &[u8]) -> Result<LabelState, Error> {
    check_http(http, body)?;
    let parsed: RestBody = parse(body)?;
    let status = parsed.status.clone().unwrap_or_default();
    if !status.eq_ignore_ascii_case("OK") {
        let text = parsed.msg.or(parsed.message).unwrap_or_default();
        let (kind, retry) = classify_message(&text);
        return Err(with_retry(
            Error::new(kind, format!("get_load_state {status}: {text}")).with_server_status(status),
            retry,
        ));
    }
    match parsed.state.as_deref() {
        Some("UNKNOWN") => Ok(LabelState::Unknown),
        Some("PREPARE") => Ok(LabelState::Prepare),
        Some("PREPARED") => Ok(LabelState::Precommitted),
        Some("COMMITTED") => Ok(LabelState::Committed),
        Some("VISIBLE") => Ok(LabelState::Visible),
        Some("ABORTED") => Ok(LabelState::Aborted),
        other => Err(protocol(format!("unknown label state {other:?}"))),
    }
}

/// `_cancel`: `Ok(true)` cancelled, `Ok(false)` no running transaction under the label.
pub(crate) fn classify_cancel(http: u16, body: &[u8]) -> Result<bool, Error> {
    check_http(http, body)?;
    let parsed: RestBody = parse(body)?;
    let status = parsed.status.clone().unwrap_or_default();
    if status.eq_ignore_ascii_case("OK") {
        return Ok(true);
    }
    let text = parsed.msg.or(parsed.message).unwrap_or_default();
    if text.contains("transaction not found") {
        return Ok(false);
    }
    Err(
        Error::new(ErrorKind::Unexpected, format!("cancel {status}: {text}"))
            .with_server_status(status),
    )
}

/// Merge commit replies: `Success` with the server's label, or `Fail`; FE routing errors come
/// as `RestBaseResult` with a TStatusCode in `code`.
pub(crate) fn classify_merge_commit(http: u16, body: &[u8]) -> Result<LoadBody, Error> {
    check_http(http, body)?;
    let parsed: LoadBody = parse(body)?;
    let status = parsed.status.clone().unwrap_or_default();
    match status.as_str() {
        "Success" | "Publish Timeout" if parsed.label.as_deref().is_some_and(|l| !l.is_empty()) => {
            Ok(parsed)
        }
        "Success" | "Publish Timeout" => Err(protocol(
            "merge commit succeeded without a server label".to_owned(),
        )),
        "Fail"
            if parsed
                .text()
                .contains("has not been published before timeout") =>
        {
            Ok(parsed)
        }
        "Fail" | "FAILED" => Err(failure(&parsed, &status)),
        _ if parsed.code.is_some() => Err(failure(&parsed, &status)),
        _ => {
            Err(protocol(format!("unknown merge commit status {status:?}"))
                .with_server_status(status))
        }
    }
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
