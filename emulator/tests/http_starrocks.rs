//! StarRocks V1 at the byte level: FE redirect and errors, BE load and its fields, `__op`,
//! merge commit, and `_cancel`.

mod http_support;

use http_support::{authority, basic, request, rows, starrocks_with_table, via_fe};

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
async fn stream_load_meta_lists_the_merge_commit_nodes() {
    let emu = starrocks_with_table(2).await;
    let fe = authority(&emu.fe_url());
    let auth = basic("root", "");
    let r = request(
        &fe,
        "GET",
        "/api/db/t/_stream_load_meta?type=nodes",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(
        r.body,
        r#"{"status":"OK","code":"OK","msg":"","message":""}"#
    );
    let r = request(
        &fe,
        "GET",
        "/api/db/t/_stream_load_meta?type=nodes",
        &[
            ("Authorization", &auth),
            ("enable_merge_commit", "true"),
            ("merge_commit_interval_ms", "1000"),
            ("merge_commit_parallel", "2"),
        ],
        None,
    )
    .await;
    let bes: Vec<String> = emu.be_urls().iter().map(|u| authority(u)).collect();
    assert_eq!(r.json()["nodes"]["http"], bes.join(","));
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
    let auth = basic("root", "");
    let big = request(
        &be,
        "PUT",
        "/api/db/t/_stream_load",
        &[
            ("Authorization", &auth),
            ("format", "json"),
            ("Content-Length", "104857601"),
        ],
        None,
    )
    .await
    .json();
    assert!(
        big["Message"]
            .as_str()
            .unwrap()
            .starts_with("The size of this batch exceed the max size [104857600]"),
        "{big}"
    );
    let r = request(&be, "GET", "/nothing", &[], None).await;
    assert_eq!((r.status, r.body.as_str()), (404, "Not Found"));
    emu.shutdown().await;
}

#[tokio::test]
async fn merge_commit_sync_and_async() {
    let emu = starrocks_with_table(2).await;
    let h = [
        ("enable_merge_commit", "true"),
        ("merge_commit_interval_ms", "1000"),
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
    // Poll the merged transaction's label, as the SDK does, for up to 10 s.
    let mut state = serde_json::Value::Null;
    for _ in 0..200 {
        state = request(
            &fe,
            "GET",
            &format!("/api/db/get_load_state?label={label}"),
            &[("Authorization", &auth)],
            None,
        )
        .await
        .json();
        if state["state"] == "VISIBLE" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
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
