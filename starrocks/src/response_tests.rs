//! Classification tests on the exact bodies of the protocol reference (§2.3, §4.6, §5.3, §6, §9).

use super::*;

#[test]
fn v1_success_and_publish_timeout_are_loads() {
    let body = br#"{ "TxnId": 1003, "Label": "l1", "Status": "Success", "Message": "OK",
      "NumberTotalRows": 3, "NumberLoadedRows": 3, "NumberFilteredRows": 0, "NumberUnselectedRows": 0,
      "LoadBytes": 27, "LoadTimeMs": 45, "BeginTxnTimeMs": 1, "StreamLoadPlanTimeMs": 3,
      "ReadDataTimeMs": 0, "WriteDataTimeMs": 20, "CommitAndPublishTimeMs": 15 }"#;
    let report = classify_v1(200, body).unwrap().report();
    assert_eq!(report.txn_id, Some(1003));
    assert_eq!(report.rows_loaded, 3);
    assert_eq!(report.bytes, 27);
    assert_eq!(report.commit_and_publish_time_ms, 15);
    let timeout = br#"{"TxnId": 5, "Label": "l", "Status": "Publish Timeout",
      "Message": "Publish timeout. The data will be visible after a while, x"}"#;
    assert_eq!(
        classify_v1(200, timeout).unwrap().report().status,
        "Publish Timeout"
    );
}

#[test]
fn v1_filtered_rows_are_data_quality_with_the_error_url() {
    let body = br#"{ "TxnId": 1004, "Label": "l2", "Status": "Fail", "Message": "too many filtered rows",
      "NumberTotalRows": 3, "NumberLoadedRows": 2, "NumberFilteredRows": 1, "NumberUnselectedRows": 0,
      "LoadBytes": 27, "LoadTimeMs": 40, "BeginTxnTimeMs": 0, "StreamLoadPlanTimeMs": 2,
      "ReadDataTimeMs": 0, "WriteDataTimeMs": 18, "CommitAndPublishTimeMs": 0,
      "ErrorURL": "http://10.0.0.5:8040/api/_load_error_log?file=error_log_3a4eb8421f0878a6_9a54df29fd9206be" }"#;
    let err = classify_v1(200, body).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DataQuality);
    assert!(!err.is_retryable());
    assert!(err.context("error_url").unwrap().contains("error_log_3a4e"));
}

#[test]
fn v1_label_already_exists_carries_the_existing_job_status() {
    let body = br#"{ "TxnId": -1, "Label": "l1", "Status": "Label Already Exists", "ExistingJobStatus": "FINISHED",
      "Message": "Label [l1] has already been used.", "NumberTotalRows": 0, "NumberLoadedRows": 0,
      "NumberFilteredRows": 0, "NumberUnselectedRows": 0, "LoadBytes": 0, "LoadTimeMs": 0,
      "BeginTxnTimeMs": 0, "StreamLoadPlanTimeMs": 0, "ReadDataTimeMs": 0, "WriteDataTimeMs": 0,
      "CommitAndPublishTimeMs": 0 }"#;
    let err = classify_v1(200, body).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LabelAlreadyExists);
    assert_eq!(err.context("existing_job_status"), Some("FINISHED"));
    assert_eq!(err.retry_status(), RetryStatus::OutcomeUnknown);
}

#[test]
fn v1_fe_errors_fail_closed() {
    let no_expect = br#"{"Status": "FAILED", "Message": "class com.starrocks.common.DdlException: There is no 100-continue header"}"#;
    assert_eq!(
        classify_v1(200, no_expect).unwrap_err().kind(),
        ErrorKind::Config
    );
    let no_be = br#"{"Status":"FAILED","Message":"class com.starrocks.common.DdlException: No backend alive."}"#;
    let err = classify_v1(200, no_be).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(err.retry_status(), RetryStatus::Temporary);
    let unknown = br#"{"Status": "Maybe", "Message": "?"}"#;
    assert_eq!(
        classify_v1(200, unknown).unwrap_err().kind(),
        ErrorKind::Protocol
    );
    let garbage = b"<html>oops</html>";
    let err = classify_v1(200, garbage).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(!err.is_retryable());
}

#[test]
fn v1_errors_of_the_catalogue() {
    let cases: [(&str, ErrorKind, RetryStatus); 6] = [
        (
            "no valid Basic authorization",
            ErrorKind::Unauthorized,
            RetryStatus::Permanent,
        ),
        (
            "current running txns on db 10 is 1000, larger than limit 1000",
            ErrorKind::TxnLimit,
            RetryStatus::Temporary,
        ),
        (
            "Commit transaction fail cause x, Transaction status unknown, you can retry with same label.",
            ErrorKind::Unexpected,
            RetryStatus::OutcomeUnknown,
        ),
        (
            "unknown table \"db.t\"",
            ErrorKind::NotFound,
            RetryStatus::Permanent,
        ),
        (
            "Label format error. regex: ^[-\\w]{1,128}$, label: a:b",
            ErrorKind::Config,
            RetryStatus::Permanent,
        ),
        (
            "Service is shutting down, please retry later!",
            ErrorKind::Unavailable,
            RetryStatus::Temporary,
        ),
    ];
    for (message, kind, retry) in cases {
        let body =
            serde_json::json!({"TxnId": -1, "Label": "l", "Status": "Fail", "Message": message});
        let err = classify_v1(200, body.to_string().as_bytes()).unwrap_err();
        assert_eq!((err.kind(), err.retry_status()), (kind, retry), "{message}");
    }
}

#[test]
fn fe_401_is_unauthorized() {
    let body = br#"{"status":"FAILED","code":"1","msg":"Need auth information.","message":"Need auth information."}"#;
    assert_eq!(
        classify_v1(401, body).unwrap_err().kind(),
        ErrorKind::Unauthorized
    );
    assert_eq!(
        classify_txn(401, body).unwrap_err().kind(),
        ErrorKind::Unauthorized
    );
}

#[test]
fn v2_bodies_of_the_reference() {
    let begin =
        br#"{"Status": "OK", "Message": "", "Label": "t1", "TxnId": 9032, "BeginTxnTimeMs": 0}"#;
    assert_eq!(classify_txn(200, begin).unwrap().txnid, Some(9032));
    let exists = br#"{"Status": "LABEL_ALREADY_EXISTS", "ExistingJobStatus": "RUNNING", "Message": "Label [t1] has already been used."}"#;
    let err = classify_txn(200, exists).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LabelAlreadyExists);
    assert_eq!(err.context("existing_job_status"), Some("RUNNING"));
    let load = br#"{"Status": "OK", "Message": "", "Label": "t1", "TxnId": 9032, "LoadBytes": 27, "StreamLoadPlanTimeMs": 3, "ReceivedDataTimeMs": 0}"#;
    assert_eq!(classify_txn(200, load).unwrap().loadbytes, 27);
    let busy = br#"{"Status": "TXN_IN_PROCESSING", "Label": "t1", "Message": "Transaction is in processing"}"#;
    let err = classify_txn(200, busy).unwrap_err();
    assert_eq!(err.context("server_status"), Some("TXN_IN_PROCESSING"));
    assert_eq!(err.retry_status(), RetryStatus::Temporary);
    let gone =
        br#"{"Status": "TXN_NOT_EXISTS", "Message": "transaction with label t1 not exists"}"#;
    let err = classify_txn(200, gone).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.retry_status(), RetryStatus::OutcomeUnknown);
    let fe_commit = br#"{"Status": "OK", "Message": "", "TxnId": 9032, "Label": "t1"}"#;
    assert!(classify_txn(200, fe_commit).is_ok());
    let slow = br#"{"Status": "FAILED", "Message": "class com.starrocks.common.StarRocksException: publish timeout: 20000"}"#;
    let err = classify_txn(200, slow).unwrap_err();
    assert_eq!(err.retry_status(), RetryStatus::OutcomeUnknown);
    assert_eq!(err.context("server_status"), Some("FAILED"));
}

#[test]
fn v2_failures_of_the_catalogue() {
    let cases: [(&str, &str, ErrorKind); 6] = [
        (
            "INTERNAL_ERROR",
            "load request not equal last.",
            ErrorKind::Unexpected,
        ),
        (
            "INTERNAL_ERROR",
            "too many filtered rows",
            ErrorKind::DataQuality,
        ),
        (
            "FAILED",
            "Can not commit ABORTED transaction 5, label is l",
            ErrorKind::DataLoss,
        ),
        (
            "FAILED",
            "Can not abort VISIBLE transaction 5, label is l",
            ErrorKind::AlreadyCommitted,
        ),
        (
            "ABORTED",
            "The load is timeout, and will be aborted",
            ErrorKind::Timeout,
        ),
        (
            "INVALID_ARGUMENT",
            "Request database a not equal transaction database b",
            ErrorKind::Config,
        ),
    ];
    for (status, message, kind) in cases {
        let body = serde_json::json!({"Status": status, "Message": message});
        let err = classify_txn(200, body.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.kind(), kind, "{status} {message}");
        assert!(!err.is_retryable(), "{status} {message}");
    }
    let unknown = br#"{"Status": "SOMETHING_NEW", "Message": ""}"#;
    assert_eq!(
        classify_txn(200, unknown).unwrap_err().kind(),
        ErrorKind::Protocol
    );
}

#[test]
fn label_states() {
    let body = br#"{"state":"VISIBLE","reason":"","status":"OK","code":"0","msg":"Success","message":"OK"}"#;
    assert_eq!(
        classify_label_state(200, body).unwrap(),
        LabelState::Visible
    );
    let prepared = br#"{"status":"OK","state":"PREPARED","msg":"Success"}"#;
    assert_eq!(
        classify_label_state(200, prepared).unwrap(),
        LabelState::Precommitted
    );
    let bad = br#"{"status":"OK","state":"WEIRD"}"#;
    assert_eq!(
        classify_label_state(200, bad).unwrap_err().kind(),
        ErrorKind::Protocol
    );
    let no_db = br#"{"status":"FAILED","code":"1","msg":"unknown database, database=x","message":"unknown database, database=x"}"#;
    assert_eq!(
        classify_label_state(200, no_db).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn cancel_replies() {
    let ok = br#"{"status":"OK","code":"0","msg":"Success","message":"OK"}"#;
    assert!(classify_cancel(200, ok).unwrap());
    let none =
        br#"{"status":"FAILED","msg":"running transaction not found, label=l","message":"x"}"#;
    assert!(!classify_cancel(200, none).unwrap());
}

#[test]
fn merge_commit_replies() {
    let ok = br#"{"TxnId": 7, "Label": "merge_commit_a-b", "Status": "Success", "Message": "OK",
      "RequestId": "r1", "LoadBytes": 10, "LeftMergeTimeMs": 300}"#;
    let parsed = classify_merge_commit(200, ok).unwrap();
    assert_eq!(parsed.label.as_deref(), Some("merge_commit_a-b"));
    assert_eq!(parsed.leftmergetimems, Some(300));
    let missing = br#"{"status":"FAILED","code":"INVALID_ARGUMENT","msg":"Batch write interval must be set positive, but is null","message":"Batch write interval must be set positive, but is null"}"#;
    let err = classify_merge_commit(200, missing).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let aborted = br#"{"TxnId": 7, "Label": "merge_commit_a-b", "Status": "Fail", "Message": "Load is aborted, reason: bad row"}"#;
    assert!(classify_merge_commit(200, aborted).is_err());
}
