//! StarRocks Transaction Stream Load (V2): routing through the FE, the FE commit of PREPARED,
//! TXN_IN_PROCESSING, the identical-headers rule, prepare without data, rollback, and the size
//! checks over the whole transaction.

mod http_support;

use http_support::{
    authority, basic, discarding_with_table, request, rows, starrocks_with_table, via_fe,
};
use streamload_emulator::engine::Flavor;
use tokio::io::AsyncWriteExt;

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
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let busy = request(&be, "PUT", "/api/transaction/load", &h, Some(b"2\tb\t20\n")).await;
    assert_eq!(
        busy.body,
        "{\n    \"Status\": \"TXN_IN_PROCESSING\",\n    \"Label\": \"tx2\",\n    \"Message\": \"Transaction is in processing\"\n}"
    );
    slow.write_all(b"0\r\n\r\n").await.unwrap();
    let mut buf = Vec::new();
    let done = http_support::read_response(&mut slow, &mut buf).await;
    assert_eq!(done.json()["Status"], "OK", "{}", done.body);

    // Headers outside the BE's load request (here the `channel_num` some clients send on every
    // load, and a tracing header) may differ between loads; so may `format` spelled out.
    let mut unrelated = h.to_vec();
    unrelated.extend([
        ("channel_num", "7"),
        ("x-trace-id", "abc"),
        ("format", "CSV"),
    ]);
    let r = request(
        &be,
        "PUT",
        "/api/transaction/load",
        &unrelated,
        Some(b"4\td\t40\n"),
    )
    .await;
    assert_eq!(r.json()["Status"], "OK", "{}", r.body);

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
async fn v2_idle_timeout_aborts_the_transaction() {
    let emu = starrocks_with_table(1).await;
    let be = authority(&emu.be_urls()[0]);
    let fe = authority(&emu.fe_url());
    let auth = basic("root", "");
    let h = [
        ("Authorization", auth.as_str()),
        ("label", "idle1"),
        ("db", "db"),
        ("table", "t"),
        ("idle_transaction_timeout", "5"),
    ];
    assert_eq!(
        request(&be, "POST", "/api/transaction/begin", &h, None)
            .await
            .json()["Status"],
        "OK"
    );
    emu.engine()
        .advance_clock(std::time::Duration::from_secs(6));
    // Either this request finds the expired context (ABORTED) or the 1 s reaper got there first
    // (the context is gone): both are what a BE does.
    let r = request(&be, "PUT", "/api/transaction/load", &h, Some(b"1\ta\t1\n"))
        .await
        .json();
    let outcome = (
        r["Status"].as_str().unwrap_or_default(),
        r["Message"].as_str().unwrap_or_default(),
    );
    assert!(
        outcome == ("ABORTED", "current transaction is aborted")
            || outcome == ("TXN_NOT_EXISTS", "Transaction with label idle1 not exists"),
        "{r}"
    );
    let state = request(
        &fe,
        "GET",
        "/api/db/get_load_state?label=idle1",
        &[("Authorization", &auth)],
        None,
    )
    .await
    .json();
    assert_eq!(state["state"], "ABORTED");
    assert_eq!(
        state["reason"],
        "transaction is aborted by idle timeout 5 seconds."
    );
    let r = request(&be, "PUT", "/api/transaction/load", &h, Some(b"1\ta\t1\n"))
        .await
        .json();
    assert_eq!(r["Status"], "TXN_NOT_EXISTS");
    emu.shutdown().await;
}

#[tokio::test]
async fn v2_json_size_is_checked_over_the_whole_transaction() {
    let emu = discarding_with_table(Flavor::StarRocks).await;
    let be = authority(&emu.be_urls()[0]);
    let auth = basic("root", "");
    let h = [
        ("Authorization", auth.as_str()),
        ("label", "big"),
        ("db", "db"),
        ("table", "t"),
        ("format", "json"),
    ];
    let begin = request(&be, "POST", "/api/transaction/begin", &h, None).await;
    assert_eq!(begin.json()["Status"], "OK", "{}", begin.body);
    // 60 MB is under the 100 MB JSON limit on its own.
    let body = vec![b' '; 60 << 20];
    let first = request(&be, "PUT", "/api/transaction/load", &h, Some(&body)).await;
    assert_eq!(first.json()["Status"], "OK", "{}", first.body);
    // Another 50 MB declared: 110 MB in the transaction. The BE refuses from the headers,
    // before reading the body, and rolls the transaction back.
    let mut declared = h.to_vec();
    declared.push(("Content-Length", "52428800"));
    let refused = request(&be, "PUT", "/api/transaction/load", &declared, Some(b""));
    let second = tokio::time::timeout(std::time::Duration::from_secs(20), refused)
        .await
        .expect("refused from the headers, without waiting for the body");
    let j = second.json();
    assert_eq!(j["Status"], "INTERNAL_ERROR", "{}", second.body);
    assert_eq!(
        j["Message"],
        "The size of this batch exceed the max size [104857600]  of json type data  data [ 115343360 ]. Set ignore_json_size to skip the check, although it may lead huge memory consuming."
    );
    let prepare = request(&be, "POST", "/api/transaction/prepare", &h, None).await;
    assert_eq!(
        prepare.json()["Status"],
        "TXN_NOT_EXISTS",
        "{}",
        prepare.body
    );

    // With ignore_json_size the same total is accepted.
    let mut ignoring = h.to_vec();
    ignoring[1] = ("label", "big-ignored");
    ignoring.push(("ignore_json_size", "true"));
    let begin = request(&be, "POST", "/api/transaction/begin", &ignoring, None).await;
    assert_eq!(begin.json()["Status"], "OK", "{}", begin.body);
    for _ in 0..2 {
        let load = request(&be, "PUT", "/api/transaction/load", &ignoring, Some(&body)).await;
        assert_eq!(load.json()["Status"], "OK", "{}", load.body);
    }
    emu.shutdown().await;
}
