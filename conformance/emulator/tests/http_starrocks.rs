//! StarRocks at the byte level: FE V1 redirect and errors, BE V1 load, the V2 transaction
//! interface through the FE (routing, FE commit of PREPARED, TXN_IN_PROCESSING, identical
//! headers), merge commit, get_load_state and _cancel.

mod http_support;

use http_support::{RawResponse, authority, basic, ddl, request, rows, start};
use streamload_emulator::EmulatorHandle;
use streamload_emulator::engine::Flavor;
use tokio::io::AsyncWriteExt;

async fn starrocks_with_table(backends: usize) -> EmulatorHandle {
    let emu = start(Flavor::StarRocks, backends).await;
    ddl(
        &emu,
        "CREATE TABLE db.t (id INT NOT NULL, name VARCHAR(10), score INT) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
    );
    emu
}

/// Follows one 307 (re-sending the request with its auth) like curl --location-trusted.
async fn via_fe(
    emu: &EmulatorHandle,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> RawResponse {
    let auth = basic("root", "");
    let mut all = vec![("Authorization", auth.as_str()), ("Expect", "100-continue")];
    all.extend_from_slice(headers);
    let fe = authority(&emu.fe_url());
    let first = request(&fe, method, path, &all, None).await;
    if first.status != 307 {
        return first;
    }
    let location = first.header("location").unwrap().to_string();
    let rest = location.trim_start_matches("http://");
    let (addr, path) = rest.split_at(rest.find('/').unwrap());
    request(addr, method, path, &all, body).await
}

#[tokio::test]
async fn fe_v1_redirect_and_errors() {
    let emu = starrocks_with_table(1).await;
    let fe = authority(&emu.fe_url());
    let be = authority(&emu.be_urls()[0]);
    let auth = basic("root", "");
    let r = request(
        &fe,
        "PUT",
        "/api/db/t/_stream_load?a=b",
        &[("Authorization", &auth), ("Expect", "100-continue")],
        None,
    )
    .await;
    assert_eq!(r.status, 307);
    assert_eq!(
        r.header("location"),
        Some(format!("http://{be}/api/db/t/_stream_load?a=b").as_str())
    );
    assert_eq!(r.header("connection"), Some("close"));
    let r = request(
        &fe,
        "PUT",
        "/api/db/t/_stream_load",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(
        r.body,
        "{\n    \"Status\": \"FAILED\",\n    \"Message\": \"class com.starrocks.common.DdlException: There is no 100-continue header\"\n}"
    );
    let r = request(
        &fe,
        "PUT",
        "/api/db/t/_stream_load",
        &[("Expect", "100-continue")],
        None,
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"\""));
    assert_eq!(
        r.body,
        r#"{"status":"FAILED","code":"1","msg":"Need auth information.","message":"Need auth information."}"#
    );
    let r = request(
        &fe,
        "PUT",
        "/api/db/t/_stream_load",
        &[
            ("Authorization", &auth),
            ("Expect", "100-continue"),
            ("enable_merge_commit", "true"),
        ],
        None,
    )
    .await;
    let j = r.json();
    assert_eq!(
        (j["status"].as_str(), j["code"].as_str()),
        (Some("FAILED"), Some("INVALID_ARGUMENT"))
    );
    assert!(
        j["msg"]
            .as_str()
            .unwrap()
            .contains("Batch write interval must be set positive, but is null")
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn be_v1_load_with_op_and_label_reuse() {
    let emu = starrocks_with_table(1).await;
    let r = via_fe(
        &emu,
        "PUT",
        "/api/db/t/_stream_load",
        &[("label", "s1"), ("column_separator", ",")],
        Some(b"1,a,10\n2,b,20\n"),
    )
    .await;
    assert_eq!(
        r.keys(),
        [
            "TxnId",
            "Label",
            "Status",
            "Message",
            "NumberTotalRows",
            "NumberLoadedRows",
            "NumberFilteredRows",
            "NumberUnselectedRows",
            "LoadBytes",
            "LoadTimeMs",
            "BeginTxnTimeMs",
            "StreamLoadPlanTimeMs",
            "ReadDataTimeMs",
            "WriteDataTimeMs",
            "CommitAndPublishTimeMs"
        ]
    );
    assert_eq!(r.json()["Status"], "Success");
    let again = via_fe(
        &emu,
        "PUT",
        "/api/db/t/_stream_load",
        &[("label", "s1")],
        Some(b"3\tc\t3\n"),
    )
    .await
    .json();
    assert_eq!(again["Status"], "Label Already Exists");
    assert_eq!(again["ExistingJobStatus"], "FINISHED");
    assert_eq!(again["Message"], "Label [s1] has already been used.");
    let r = via_fe(
        &emu,
        "PUT",
        "/api/db/t/_stream_load",
        &[
            ("columns", "`id`,`name`,`score`,`__op`"),
            ("column_separator", ","),
        ],
        Some(b"1,a,10,1\n2,bb,22,0\n"),
    )
    .await;
    assert_eq!(r.json()["Status"], "Success", "{}", r.body);
    assert_eq!(
        rows(&emu, "SELECT id, name, score FROM t ORDER BY id"),
        ["2|bb|22"]
    );
    let r = via_fe(&emu, "PUT", "/api/nodb/t/_stream_load", &[], Some(b"1\n"))
        .await
        .json();
    assert_eq!(r["Message"], "unknown database, database=nodb");
    let be = authority(&emu.be_urls()[0]);
    let r = request(&be, "PUT", "/api/db/t/_stream_load", &[], Some(b"1\n"))
        .await
        .json();
    assert_eq!(
        (r["Status"].as_str(), r["Message"].as_str()),
        (Some("Fail"), Some("no valid Basic authorization"))
    );
    let r = request(&be, "GET", "/nothing", &[], None).await;
    assert_eq!((r.status, r.body.as_str()), (404, "Not Found"));
    emu.shutdown().await;
}

#[tokio::test]
async fn v2_transaction_through_the_fe() {
    let emu = starrocks_with_table(3).await;
    let h = [
        ("label", "tx1"),
        ("db", "db"),
        ("table", "t"),
        ("column_separator", ","),
    ];
    let begin = via_fe(&emu, "POST", "/api/transaction/begin", &h, None).await;
    let j = begin.json();
    assert_eq!(
        begin.keys(),
        ["Status", "Message", "Label", "TxnId", "BeginTxnTimeMs"]
    );
    assert_eq!(
        (j["Status"].as_str(), j["Label"].as_str()),
        (Some("OK"), Some("tx1"))
    );
    let txn_id = j["TxnId"].as_i64().unwrap();
    let again = via_fe(&emu, "POST", "/api/transaction/begin", &h, None)
        .await
        .json();
    assert_eq!(again["Status"], "LABEL_ALREADY_EXISTS");

    let load = via_fe(&emu, "PUT", "/api/transaction/load", &h, Some(b"1,a,10\n")).await;
    assert_eq!(
        load.keys(),
        [
            "Status",
            "Message",
            "Label",
            "TxnId",
            "LoadBytes",
            "StreamLoadPlanTimeMs",
            "ReceivedDataTimeMs"
        ]
    );
    assert_eq!(load.json()["LoadBytes"], 7);
    let load = via_fe(&emu, "PUT", "/api/transaction/load", &h, Some(b"2,b,20\n"))
        .await
        .json();
    assert_eq!(load["Status"], "OK");
    let prepare = via_fe(&emu, "POST", "/api/transaction/prepare", &h, None)
        .await
        .json();
    assert_eq!(prepare["Status"], "OK", "{prepare}");
    assert_eq!(prepare["NumberLoadedRows"], 2);
    assert_eq!(
        prepare["LoadBytes"], 14,
        "bytes add up over the transaction"
    );
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["0"]);
    let auth = basic("root", "");
    let fe = authority(&emu.fe_url());
    let state = request(
        &fe,
        "GET",
        "/api/db/get_load_state?label=tx1",
        &[("Authorization", &auth)],
        None,
    )
    .await
    .json();
    assert_eq!(state["state"], "PREPARED");
    let commit = via_fe(&emu, "POST", "/api/transaction/commit", &h, None).await;
    assert_eq!(
        commit.body,
        format!(r#"{{"Status":"OK","Message":"","TxnId":{txn_id},"Label":"tx1"}}"#)
    );
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["2"]);
    let commit = via_fe(&emu, "POST", "/api/transaction/commit", &h, None)
        .await
        .json();
    assert_eq!(
        commit["Message"],
        format!("Transaction {txn_id} has already committed, label is tx1")
    );
    let rollback = via_fe(&emu, "POST", "/api/transaction/rollback", &h, None)
        .await
        .json();
    assert_eq!(rollback["Status"], "FAILED");
    assert!(rollback["Message"].as_str().unwrap().ends_with(&format!(
        "Can not abort VISIBLE transaction {txn_id}, label is tx1"
    )));
    let state = request(
        &fe,
        "GET",
        "/api/db/get_load_state?label=tx1",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(
        state.body,
        r#"{"state":"VISIBLE","reason":"","status":"OK","code":"0","msg":"Success","message":"OK"}"#
    );
    let unknown = via_fe(
        &emu,
        "POST",
        "/api/transaction/load",
        &[("label", "zz"), ("db", "db"), ("table", "t")],
        Some(b""),
    )
    .await
    .json();
    assert!(
        unknown["Message"]
            .as_str()
            .unwrap()
            .contains("Can't find the transaction with db [db] and label[zz]")
    );
    // Every request of the txn reached one BE.
    let log = emu.request_log().entries();
    let bes: std::collections::BTreeSet<_> = log
        .iter()
        .filter(|r| {
            r.header("label") == Some("tx1") && r.listener != streamload_emulator::Listener::Fe
        })
        .map(|r| r.listener)
        .collect();
    assert_eq!(bes.len(), 1, "{bes:?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn v2_one_request_at_a_time_identical_headers_and_rollback() {
    let emu = starrocks_with_table(1).await;
    let be = authority(&emu.be_urls()[0]);
    let auth = basic("root", "");
    let h = [
        ("Authorization", auth.as_str()),
        ("label", "tx2"),
        ("db", "db"),
        ("table", "t"),
    ];
    assert_eq!(
        request(&be, "POST", "/api/transaction/begin", &h, None)
            .await
            .json()["Status"],
        "OK"
    );

    // A slow chunked load holds the context's lock.
    let mut slow = tokio::net::TcpStream::connect(&be).await.unwrap();
    let head = format!(
        "PUT /api/transaction/load HTTP/1.1\r\nHost: {be}\r\nAuthorization: {auth}\r\nlabel: tx2\r\ndb: db\r\ntable: t\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n1\ta\t10\n\r\n"
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let busy = request(&be, "PUT", "/api/transaction/load", &h, Some(b"2\tb\t20\n")).await;
    assert_eq!(
        busy.body,
        "{\n    \"Status\": \"TXN_IN_PROCESSING\",\n    \"Label\": \"tx2\",\n    \"Message\": \"Transaction is in processing\"\n}"
    );
    slow.write_all(b"0\r\n\r\n").await.unwrap();
    let mut buf = Vec::new();
    let done = http_support::read_response(&mut slow, &mut buf).await;
    assert_eq!(done.json()["Status"], "OK", "{}", done.body);

    let mut drift = h.to_vec();
    drift.push(("columns", "id,name,score"));
    let r = request(
        &be,
        "PUT",
        "/api/transaction/load",
        &drift,
        Some(b"3\tc\t30\n"),
    )
    .await
    .json();
    assert_eq!(
        (r["Status"].as_str(), r["Message"].as_str()),
        (Some("INTERNAL_ERROR"), Some("load request not equal last."))
    );
    let r = request(&be, "POST", "/api/transaction/prepare", &h, None)
        .await
        .json();
    assert_eq!(
        (r["Status"].as_str(), r["Message"].as_str()),
        (
            Some("TXN_NOT_EXISTS"),
            Some("transaction with label tx2 not exists")
        )
    );
    let fe = authority(&emu.fe_url());
    let state = request(
        &fe,
        "GET",
        "/api/db/get_load_state?label=tx2",
        &[("Authorization", &auth)],
        None,
    )
    .await
    .json();
    assert_eq!(state["state"], "ABORTED");

    let h3 = [
        ("Authorization", auth.as_str()),
        ("label", "tx3"),
        ("db", "db"),
        ("table", "t"),
    ];
    request(&be, "POST", "/api/transaction/begin", &h3, None).await;
    let r = request(&be, "POST", "/api/transaction/prepare", &h3, None)
        .await
        .json();
    assert_eq!(r["Status"], "INTERNAL_ERROR");
    assert!(
        r["Message"]
            .as_str()
            .unwrap()
            .contains("hasn't send any data yet")
    );
    let h4 = [
        ("Authorization", auth.as_str()),
        ("label", "tx4"),
        ("db", "db"),
        ("table", "t"),
    ];
    request(&be, "POST", "/api/transaction/begin", &h4, None).await;
    let r = request(&be, "POST", "/api/transaction/rollback", &h4, None).await;
    assert_eq!(
        r.body,
        "{\n    \"Status\": \"OK\",\n    \"Message\": \"\",\n    \"Label\": \"tx4\"\n}"
    );
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["0"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn merge_commit_sync_and_async() {
    let emu = starrocks_with_table(2).await;
    let h = [
        ("enable_merge_commit", "true"),
        ("merge_commit_interval_ms", "300"),
        ("merge_commit_parallel", "2"),
        ("column_separator", ","),
    ];
    let (a, b) = tokio::join!(
        via_fe(&emu, "PUT", "/api/db/t/_stream_load", &h, Some(b"1,a,1\n")),
        via_fe(&emu, "PUT", "/api/db/t/_stream_load", &h, Some(b"2,b,2\n")),
    );
    let (a, b) = (a.json(), b.json());
    assert_eq!(a["Status"], "Success", "{a}");
    assert!(a["Label"].as_str().unwrap().starts_with("merge_commit_"));
    assert!(a["RequestId"].is_string() && a["LeftMergeTimeMs"].is_u64());
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["2"]);
    let _ = b;
    let mut async_h = h.to_vec();
    async_h.push(("merge_commit_async", "true"));
    async_h.push(("label", "req-1"));
    let r = via_fe(
        &emu,
        "PUT",
        "/api/db/t/_stream_load",
        &async_h,
        Some(b"3,c,3\n"),
    )
    .await
    .json();
    assert_eq!(
        (r["Status"].as_str(), r["RequestId"].as_str()),
        (Some("Success"), Some("req-1"))
    );
    let label = r["Label"].as_str().unwrap().to_string();
    let auth = basic("root", "");
    let fe = authority(&emu.fe_url());
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let state = request(
        &fe,
        "GET",
        &format!("/api/db/get_load_state?label={label}"),
        &[("Authorization", &auth)],
        None,
    )
    .await
    .json();
    assert_eq!(state["state"], "VISIBLE");
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["3"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn cancel_aborts_a_running_txn() {
    let emu = starrocks_with_table(1).await;
    let be = authority(&emu.be_urls()[0]);
    let fe = authority(&emu.fe_url());
    let auth = basic("root", "");
    let h = [
        ("Authorization", auth.as_str()),
        ("label", "c1"),
        ("db", "db"),
        ("table", "t"),
    ];
    request(&be, "POST", "/api/transaction/begin", &h, None).await;
    let r = request(
        &fe,
        "POST",
        "/api/db/t/_cancel?label=c1",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(
        r.body,
        r#"{"status":"OK","code":"0","msg":"Success","message":"OK"}"#
    );
    let r = request(
        &fe,
        "POST",
        "/api/db/t/_cancel?label=c1",
        &[("Authorization", &auth)],
        None,
    )
    .await
    .json();
    assert_eq!(r["msg"], "running transaction not found, label=c1");
    let state = request(
        &fe,
        "GET",
        "/api/db/get_load_state?label=c1",
        &[("Authorization", &auth)],
        None,
    )
    .await
    .json();
    assert_eq!(
        (state["state"].as_str(), state["reason"].as_str()),
        (Some("ABORTED"), Some("user cancel"))
    );
    emu.shutdown().await;
}
