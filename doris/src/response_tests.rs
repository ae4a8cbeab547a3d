//! Classification of the reference's exact answer bodies (doris-protocol §3.4, §4, §5, §8).

use super::*;
use streamload_core::RetryStatus;

const OK: StatusCode = StatusCode::OK;

const SUCCESS: &str = r#"{
    "TxnId": 1003,
    "Label": "app_orders_20260801_0001",
    "Comment": "",
    "TwoPhaseCommit": "false",
    "Status": "Success",
    "Message": "OK",
    "NumberTotalRows": 1000000,
    "NumberLoadedRows": 1000000,
    "NumberFilteredRows": 0,
    "NumberUnselectedRows": 0,
    "LoadBytes": 40888898,
    "LoadTimeMs": 2144,
    "BeginTxnTimeMs": 1,
    "StreamLoadPutTimeMs": 2,
    "ReadDataTimeMs": 325,
    "WriteDataTimeMs": 1933,
    "ReceiveDataTimeMs": 12,
    "CommitAndPublishTimeMs": 106
}
"#;

const DATA_QUALITY: &str = r#"{
    "TxnId": 1004,
    "Label": "app_orders_20260801_0002",
    "Comment": "",
    "TwoPhaseCommit": "false",
    "Status": "Fail",
    "Message": "[DATA_QUALITY_ERROR]too many filtered rows",
    "NumberTotalRows": 10,
    "NumberLoadedRows": 0,
    "NumberFilteredRows": 2,
    "NumberUnselectedRows": 0,
    "LoadBytes": 118,
    "LoadTimeMs": 40,
    "ErrorURL": "http://10.0.0.2:8040/api/_load_error_log?file=__shard_0/error_log_insert_stmt_db1",
    "FirstErrorMsg": "Reason: actual column number in csv file is less than schema column number."
}
"#;

const LABEL_EXISTS: &str = r#"{
    "TxnId": -1,
    "Label": "lp_db_tbl_0_7",
    "Comment": "",
    "TwoPhaseCommit": "true",
    "Status": "Label Already Exists",
    "ExistingJobStatus": "PRECOMMITTED",
    "Message": "[LABEL_ALREADY_EXISTS]TStatus: errCode = 2, detailMessage = Label [lp_db_tbl_0_7] has already been used, relate to txn [18037]",
    "NumberTotalRows": 0,
    "NumberLoadedRows": 0
}
"#;

fn load_err(body: &str) -> Error {
    classify_load(OK, body.as_bytes()).unwrap_err()
}

#[test]
fn success_and_publish_timeout_are_success() {
    let r = classify_load(OK, SUCCESS.as_bytes()).unwrap();
    let report = r.report();
    assert_eq!(report.txn_id, Some(1003));
    assert_eq!(report.rows_loaded, 1_000_000);
    assert_eq!(report.commit_and_publish_time_ms, 106);
    assert!(!r.is_two_phase());
    let publish = SUCCESS.replace("\"Success\"", "\"Publish Timeout\"").replace(
        "\"OK\"",
        "\"[PUBLISH_TIMEOUT]TStatus: transaction commit successfully, BUT data will be visible later\"",
    );
    assert_eq!(
        classify_load(OK, publish.as_bytes()).unwrap().status,
        "Publish Timeout"
    );
}

#[test]
fn data_quality_failure_keeps_the_error_url() {
    let e = load_err(DATA_QUALITY);
    assert_eq!(e.kind(), ErrorKind::DataQuality);
    assert_eq!(e.retry_status(), RetryStatus::Permanent);
    assert!(e.context("error_url").unwrap().contains("_load_error_log"));
    assert_eq!(e.context("txn_id"), Some("1004"));
}

#[test]
fn label_already_exists_carries_job_status_and_txn() {
    let e = load_err(LABEL_EXISTS);
    assert_eq!(e.kind(), ErrorKind::LabelAlreadyExists);
    assert_eq!(e.context("existing_job_status"), Some("PRECOMMITTED"));
    assert_eq!(e.context("existing_txn_id"), Some("18037"));
    let old = "errCode = 2, detailMessage = Label [x] has already been used, relate to txn [50985]";
    assert_eq!(label_conflict_txn(old), Some(("x".to_owned(), 50985)));
}

#[test]
fn fail_messages_map_to_kinds() {
    let cases = [
        (
            "[NOT_AUTHORIZED]no valid Basic authorization",
            ErrorKind::Unauthorized,
        ),
        (
            "[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = Access denied for user 'u@1.2.3.4' (using password: YES)",
            ErrorKind::Unauthorized,
        ),
        (
            "[NOT_FOUND]TStatus: errCode = 7, detailMessage = unknown database, database=nodb",
            ErrorKind::NotFound,
        ),
        (
            "[NOT_FOUND]TStatus: errCode = 7, detailMessage = table not found, tableName=t",
            ErrorKind::NotFound,
        ),
        (
            "[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = current running txns on db 10006 is 1000, larger than limit 1000",
            ErrorKind::TxnLimit,
        ),
        (
            "[INVALID_ARGUMENT]please do not set both content_length and transfer-encoding",
            ErrorKind::Config,
        ),
        (
            "[E-217]body size 1 exceed BE's conf `streaming_load_max_mb` 0.",
            ErrorKind::Config,
        ),
        ("[INTERNAL_ERROR]something odd", ErrorKind::Unexpected),
    ];
    for (message, kind) in cases {
        let body =
            serde_json::json!({"TxnId": -1, "Label": "l", "Status": "Fail", "Message": message});
        let e = classify_load(OK, body.to_string().as_bytes()).unwrap_err();
        assert_eq!(e.kind(), kind, "{message}");
    }
    let txn_limit = error_for_message("current running txns on db 1 is 9, larger than limit 9");
    assert_eq!(txn_limit.retry_status(), RetryStatus::Temporary);
}

#[test]
fn running_txn_limit_is_a_temporary_txn_limit_in_every_shape() {
    // The BE's Stream Load answer (reference §3.3, §4.4), exactly as the newest BE writes it.
    let newest = r#"{"TxnId": -1, "Label": "l", "TwoPhaseCommit": "true", "Status": "Fail", "Message": "[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = current running txns on db 10006 is 1000, larger than limit 1000"}"#;
    // Doris <= 1.2: no `[CODE]` / `TStatus:` prefix.
    let old = r#"{"TxnId": -1, "Label": "l", "Status": "Fail", "Message": "errCode = 2, detailMessage = current running txns on db 10006 is 100, larger than limit 100"}"#;
    // The same text in the FE's early-rejection shape.
    let fe = r#"{"status":"FAILED","msg":"current running txns on db 10006 is 1000, larger than limit 1000"}"#;
    for body in [newest, old, fe] {
        let e = load_err(body);
        assert_eq!(e.kind(), ErrorKind::TxnLimit, "{body}");
        assert_eq!(e.retry_status(), RetryStatus::Temporary, "{body}");
        assert!(e.is_retryable(), "{body}");
    }
}

#[test]
fn fe_shapes_are_recognised() {
    let e = load_err(r#"{"status":"FAILED","msg":"There is no 100-continue header"}"#);
    assert_eq!(e.kind(), ErrorKind::Config);
    let e =
        load_err(r#"{"msg":"Unauthorized","code":401,"data":"Need auth information.","count":0}"#);
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    let e = classify_rest(
        OK,
        br#"{"msg":"Error","code":1,"data":"Table[missing] does not exist","count":0}"#,
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = load_err(r#"{"status":"FAILED","msg":"OlapTable not found."}"#);
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = classify_load(StatusCode::UNAUTHORIZED, b"<html>401</html>").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
}

#[test]
fn unknown_status_and_garbage_fail_closed() {
    let e = load_err(r#"{"TxnId": 5, "Label": "l", "Status": "Maybe", "Message": "?"}"#);
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert_eq!(e.retry_status(), RetryStatus::OutcomeUnknown);
    let e = load_err("this is not json");
    assert_eq!(e.kind(), ErrorKind::Protocol);
    assert_eq!(e.retry_status(), RetryStatus::Permanent);
    let e = load_err(r#"{"TxnId": 5}"#);
    assert_eq!(e.kind(), ErrorKind::Protocol);
}

fn txn(op: TxnOp, status: &str, msg: &str) -> Result<TxnOpOutcome> {
    let body = serde_json::json!({"status": status, "msg": msg}).to_string();
    classify_txn_op(op, OK, body.as_bytes())
}

#[test]
fn commit_answers() {
    use TxnOp::Commit;
    let done = txn(
        Commit,
        "Success",
        "transaction [18037] commit successfully.",
    );
    assert_eq!(done.unwrap(), TxnOpOutcome::Done);
    let again = "TStatus: errCode = 2, detailMessage = transaction [18037] is already visible, not pre-committed.";
    assert_eq!(
        txn(Commit, "ANALYSIS_ERROR", again).unwrap(),
        TxnOpOutcome::AlreadyDone
    );
    let publishing = "transaction [1] is already committed, not pre-committed.";
    assert_eq!(
        txn(Commit, "ANALYSIS_ERROR", publishing).unwrap(),
        TxnOpOutcome::AlreadyDone
    );
    let aborted = "transaction [1] is already aborted. abort reason: User Abort";
    assert_eq!(
        txn(Commit, "ANALYSIS_ERROR", aborted).unwrap_err().kind(),
        ErrorKind::DataLoss
    );
    let gone = "TStatus: errCode = 2, detailMessage = transaction [1] not found";
    assert_eq!(
        txn(Commit, "ANALYSIS_ERROR", gone).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let db = "unknown database, database=x";
    assert_eq!(
        txn(Commit, "ANALYSIS_ERROR", db).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn abort_answers() {
    use TxnOp::Abort;
    assert_eq!(
        txn(Abort, "Success", "label [l1] abort successfully.").unwrap(),
        TxnOpOutcome::Done
    );
    let aborted = "transaction [1] is already aborted, abort reason: User Abort";
    assert_eq!(
        txn(Abort, "ANALYSIS_ERROR", aborted).unwrap(),
        TxnOpOutcome::AlreadyDone
    );
    let missing = "transaction not found, label=l9";
    assert_eq!(
        txn(Abort, "ANALYSIS_ERROR", missing).unwrap(),
        TxnOpOutcome::AlreadyDone
    );
    let none_running = "running transaction not found, label=l9";
    assert_eq!(
        txn(Abort, "ANALYSIS_ERROR", none_running).unwrap(),
        TxnOpOutcome::NoRunningTxn
    );
    let visible = "transaction [1] is already VISIBLE, could not abort.";
    let e = txn(Abort, "ANALYSIS_ERROR", visible).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyCommitted);
    let bad_op = "transaction operation should be 'commit' or 'abort'";
    assert!(txn(Abort, "INTERNAL_ERROR", bad_op).is_err());
}

#[test]
fn label_states() {
    let body = br#"{"msg":"success","code":0,"data":"VISIBLE","count":0}"#;
    assert_eq!(classify_label_state(OK, body).unwrap(), LabelState::Visible);
    let body = br#"{"msg":"success","code":0,"data":"PRECOMMITTED","count":0}"#;
    assert_eq!(
        classify_label_state(OK, body).unwrap(),
        LabelState::Precommitted
    );
    let body = br#"{"msg":"Error","code":1,"data":"unknown database, database=x","count":0}"#;
    assert_eq!(
        classify_label_state(OK, body).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    let body = br#"{"msg":"success","code":0,"data":"HALF_DONE","count":0}"#;
    assert_eq!(
        classify_label_state(OK, body).unwrap_err().kind(),
        ErrorKind::Protocol
    );
}
