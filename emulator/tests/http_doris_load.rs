//! Doris BE `_stream_load` at the byte level: response fields in order, statuses and messages
//! for success and each error, the rows that land, ErrorURL, compression, 100-continue.

mod http_support;

use http_support::{basic, doris_with_table, load, request, request_version, rows};

const DORIS_KEYS: &[&str] = &[
    "TxnId",
    "Label",
    "Comment",
    "TwoPhaseCommit",
    "Status",
    "Message",
    "NumberTotalRows",
    "NumberLoadedRows",
    "NumberFilteredRows",
    "NumberUnselectedRows",
    "LoadBytes",
    "LoadTimeMs",
    "BeginTxnTimeMs",
    "StreamLoadPutTimeMs",
    "ReadDataTimeMs",
    "WriteDataTimeMs",
    "ReceiveDataTimeMs",
    "CommitAndPublishTimeMs",
];

#[tokio::test]
async fn csv_load_succeeds_with_exact_fields_and_label_reuse_is_refused() {
    let (emu, be) = doris_with_table().await;
    let body = b"1,a,10\n2,b,20\n3,\\N,30\n";
    let r = load(
        &be,
        &[
            ("label", "l1"),
            ("column_separator", ","),
            ("comment", "hi"),
        ],
        body,
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.ends_with("}\n"),
        "pretty JSON plus newline: {:?}",
        r.body
    );
    assert!(r.body.starts_with("{\n    \"TxnId\": "));
    assert_eq!(r.keys(), DORIS_KEYS);
    let j = r.json();
    assert_eq!(j["Status"], "Success");
    assert_eq!(j["Message"], "OK");
    assert_eq!(j["Label"], "l1");
    assert_eq!(j["Comment"], "hi");
    assert_eq!(j["TwoPhaseCommit"], "false");
    assert_eq!(j["NumberTotalRows"], 3);
    assert_eq!(j["NumberLoadedRows"], 3);
    assert_eq!(j["LoadBytes"], body.len());
    let txn_id = j["TxnId"].as_i64().unwrap();
    assert!(txn_id > 0);
    assert_eq!(
        rows(&emu, "SELECT k, v, n FROM t ORDER BY k"),
        ["1|a|10", "2|b|20", "3|NULL|30"]
    );

    let again = load(&be, &[("label", "l1"), ("column_separator", ",")], body)
        .await
        .json();
    assert_eq!(again["Status"], "Label Already Exists");
    assert_eq!(again["ExistingJobStatus"], "FINISHED");
    assert_eq!(again["TxnId"], -1);
    assert_eq!(
        again["Message"],
        format!(
            "[LABEL_ALREADY_EXISTS]TStatus: errCode = 2, detailMessage = Label [l1] has already been used, relate to txn [{txn_id}]"
        )
    );
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["3"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn filtered_rows_fail_the_load_and_the_error_url_lists_them() {
    let (emu, be) = doris_with_table().await;
    let body = b"1,a,10\n2,toolong,20\n3\n4,d,x\n";
    let r = load(
        &be,
        &[
            ("label", "f1"),
            ("column_separator", ","),
            ("strict_mode", "true"),
        ],
        body,
    )
    .await;
    let j = r.json();
    assert_eq!(j["Status"], "Fail");
    assert_eq!(j["Message"], "[DATA_QUALITY_ERROR]too many filtered rows");
    assert_eq!(j["NumberTotalRows"], 4);
    assert_eq!(j["NumberFilteredRows"], 3);
    assert_eq!(j["NumberLoadedRows"], 0);
    assert!(j["FirstErrorMsg"].as_str().unwrap().contains("Reason:"));
    let url = j["ErrorURL"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!(
            "http://{be}/api/_load_error_log?file=__shard_0/error_log_insert_stmt_"
        )),
        "{url}"
    );
    let path = url.trim_start_matches(&format!("http://{be}"));
    let log = request(&be, "GET", path, &[], None).await;
    assert_eq!(log.status, 200);
    assert_eq!(log.body.lines().count(), 3, "{}", log.body);
    assert!(log.body.contains("src line [3]"), "{}", log.body);
    assert!(
        log.body
            .contains("actual column number in csv file is less than schema column number")
    );
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["0"]);

    // The failed label is reusable; a tolerant ratio loads the good row.
    let r = load(
        &be,
        &[
            ("label", "f1"),
            ("column_separator", ","),
            ("max_filter_ratio", "0.9"),
        ],
        body,
    )
    .await;
    let j = r.json();
    assert_eq!(j["Status"], "Success");
    assert_eq!(
        j["NumberLoadedRows"], 3,
        "non-strict: x becomes NULL and `toolong` is cut to the column's 5; {}",
        r.body
    );
    assert_eq!(rows(&emu, "SELECT v FROM t WHERE k = 2"), ["toolo"]);
    assert!(j["ErrorURL"].is_string());
    emu.shutdown().await;
}

#[tokio::test]
async fn header_phase_errors_have_no_txn() {
    let (emu, be) = doris_with_table().await;
    let r = request(
        &be,
        "PUT",
        "/api/db/t/_stream_load",
        &[("label", "x")],
        Some(b"1\n"),
    )
    .await;
    let j = r.json();
    assert_eq!(
        (j["Status"].as_str(), j["TxnId"].as_i64()),
        (Some("Fail"), Some(-1))
    );
    assert_eq!(j["Message"], "[NOT_AUTHORIZED]no valid Basic authorization");
    let r = load(&be, &[("strict_mode", "maybe")], b"1\n").await.json();
    assert_eq!(
        r["Message"],
        "[INVALID_ARGUMENT]Invalid strict mode format. Must be bool type"
    );
    let auth = basic("root", "");
    let r = request(
        &be,
        "PUT",
        "/api/nodb/t/_stream_load",
        &[("Authorization", &auth)],
        Some(b"1\n"),
    )
    .await
    .json();
    assert_eq!(
        r["Message"],
        "[NOT_FOUND]TStatus: errCode = 7, detailMessage = unknown database, database=nodb"
    );
    let r = request(
        &be,
        "PUT",
        "/api/db/nope/_stream_load",
        &[("Authorization", &auth)],
        Some(b"1\n"),
    )
    .await
    .json();
    assert_eq!(
        r["Message"],
        "[NOT_FOUND]TStatus: errCode = 7, detailMessage = table not found, tableName=nope"
    );
    let r = load(&be, &[("label", "bad label")], b"1\n").await.json();
    assert!(
        r["Message"]
            .as_str()
            .unwrap()
            .contains("Label format error"),
        "{r}"
    );
    let wrong = basic("root", "pw");
    let r = request(
        &be,
        "PUT",
        "/api/db/t/_stream_load",
        &[("Authorization", &wrong)],
        Some(b"1\n"),
    )
    .await
    .json();
    assert_eq!(
        r["Message"],
        "[ANALYSIS_ERROR]TStatus: errCode = 2, detailMessage = Access denied for user 'root@127.0.0.1' (using password: YES)"
    );
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
    assert_eq!(
        big["Message"],
        "[E-217]json body size 104857601 exceed BE's conf `streaming_load_json_max_mb` 104857600. increase it if you are sure this load is reasonable"
    );
    let r = load(&be, &[("columns", "k, v, n = md5(k)")], b"1\n")
        .await
        .json();
    assert!(r["Message"].as_str().unwrap().contains("md5"), "{r}");
    assert!(
        r["TxnId"].as_i64().unwrap() > 0,
        "planner errors come after begin: {r}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn json_columns_where_and_http10_trailing_slash() {
    let (emu, be) = doris_with_table().await;
    let body =
        br#"[{"id":1,"name":"a","x":5},{"id":2,"name":"b","x":50},{"id":3,"name":"c","x":7}]"#;
    let r = load(
        &be,
        &[
            ("format", "json"),
            ("strip_outer_array", "true"),
            ("jsonpaths", r#"["$.id","$.name","$.x"]"#),
            ("columns", "k, v, tmp, n = tmp * 2"),
            ("where", "tmp < 10"),
        ],
        body,
    )
    .await;
    let j = r.json();
    assert_eq!(j["Status"], "Success", "{}", r.body);
    assert_eq!(
        (
            j["NumberLoadedRows"].as_u64(),
            j["NumberUnselectedRows"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(
        rows(&emu, "SELECT k, v, n FROM t ORDER BY k"),
        ["1|a|10", "3|c|14"]
    );

    let auth = basic("root", "");
    let r = request_version(
        &be,
        "PUT",
        "/api/db/t/_stream_load/",
        "HTTP/1.0",
        &[("Authorization", &auth), ("column_separator", "\\x01")],
        Some(b"9\x01z\x0199\n"),
    )
    .await;
    assert_eq!(r.json()["Status"], "Success", "{}", r.body);
    assert_eq!(rows(&emu, "SELECT v FROM t WHERE k = 9"), ["z"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn compressed_bodies() {
    use std::io::Write;
    let (emu, be) = doris_with_table().await;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"1\ta\t1\n").unwrap();
    let r = load(&be, &[("compress_type", "gz")], &gz.finish().unwrap())
        .await
        .json();
    assert_eq!(r["Status"], "Success", "{r}");
    let mut lz = lz4_flex::frame::FrameEncoder::new(Vec::new());
    lz.write_all(b"{\"k\":2,\"v\":\"b\",\"n\":2}\n").unwrap();
    let framed = lz.finish().unwrap();
    let r = load(
        &be,
        &[("compress_type", "lz4"), ("format", "json")],
        &framed,
    )
    .await
    .json();
    assert_eq!(r["Status"], "Success", "{r}");
    assert_eq!(
        r["LoadBytes"],
        framed.len(),
        "LoadBytes counts compressed bytes"
    );
    assert_eq!(rows(&emu, "SELECT k, v FROM t ORDER BY k"), ["1|a", "2|b"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn be_sends_100_continue_before_reading_the_body() {
    use tokio::io::AsyncWriteExt;
    let (emu, be) = doris_with_table().await;
    let mut stream = tokio::net::TcpStream::connect(&be).await.unwrap();
    let auth = basic("root", "");
    let head = format!(
        "PUT /api/db/t/_stream_load HTTP/1.1\r\nHost: {be}\r\nAuthorization: {auth}\r\nExpect: 100-continue\r\nContent-Length: 7\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::io::AsyncReadExt::read(&mut stream, &mut buf)
        .await
        .unwrap();
    assert_eq!(&buf[..n], b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(b"5\te\t55\n").await.unwrap();
    let mut rest = Vec::new();
    let r = http_support::read_response(&mut stream, &mut rest).await;
    assert_eq!(r.json()["Status"], "Success", "{}", r.body);
    let record = emu.request_log().entries().pop().unwrap();
    assert_eq!(record.body_bytes, 7);
    emu.shutdown().await;
}

#[tokio::test]
async fn reply_is_gzipped_when_the_client_accepts_gzip() {
    use std::io::Read;
    let (emu, be) = doris_with_table().await;
    let r = load(&be, &[("Accept-Encoding", "gzip, deflate")], b"1\ta\t1\n").await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(r.raw.as_slice())
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.contains("\"Status\": \"Success\""), "{text}");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_short_body_fails_and_rolls_back() {
    use tokio::io::AsyncWriteExt;
    let (emu, be) = doris_with_table().await;
    let mut stream = tokio::net::TcpStream::connect(&be).await.unwrap();
    let auth = basic("root", "");
    let head = format!(
        "PUT /api/db/t/_stream_load HTTP/1.1\r\nHost: {be}\r\nAuthorization: {auth}\r\nlabel: short\r\nContent-Length: 100\r\n\r\n1\ta\t1\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.shutdown().await.unwrap();
    let mut buf = Vec::new();
    let r = http_support::read_response(&mut stream, &mut buf).await;
    let j = r.json();
    assert_eq!(
        j["Message"],
        "[NETWORK_ERROR]receive body don't equal with body bytes"
    );
    let fe = http_support::authority(&emu.fe_url());
    let state = request(
        &fe,
        "GET",
        "/api/db/get_load_state?label=short",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(state.json()["data"], "ABORTED");
    emu.shutdown().await;
}
