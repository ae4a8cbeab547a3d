//! StarRocks body formats: JSON with `compression: LZ4_FRAME`, CSV compressed through
//! `format: gzip`, `where` filtering and `max_filter_ratio` with an ErrorURL, and JSON without
//! `strip_outer_array` read as a stream of documents (StarRocks' document-stream parser).

mod http_support;

use std::io::Write;

use http_support::{authority, basic, request, rows, starrocks_with_table};

#[tokio::test]
async fn lz4_json_gzip_csv_where_and_filtered_rows() {
    let emu = starrocks_with_table(1).await;
    let be = authority(&emu.be_urls()[0]);
    let auth = basic("root", "");
    let mut lz = lz4_flex::frame::FrameEncoder::new(Vec::new());
    lz.write_all(br#"[{"id":1,"name":"a","score":1},{"id":2,"name":"b","score":2}]"#)
        .unwrap();
    let body = lz.finish().unwrap();
    let r = request(
        &be,
        "PUT",
        "/api/db/t/_stream_load",
        &[
            ("Authorization", &auth),
            ("format", "json"),
            ("strip_outer_array", "true"),
            ("compression", "LZ4_FRAME"),
        ],
        Some(&body),
    )
    .await
    .json();
    assert_eq!(r["Status"], "Success", "{r}");
    assert_eq!(r["LoadBytes"], body.len());

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"3,c,3\n4,d,40\n").unwrap();
    let body = gz.finish().unwrap();
    let r = request(
        &be,
        "PUT",
        "/api/db/t/_stream_load",
        &[
            ("Authorization", &auth),
            ("format", "gzip"),
            ("column_separator", ","),
            ("where", "score < 10"),
        ],
        Some(&body),
    )
    .await
    .json();
    assert_eq!(r["Status"], "Success", "{r}");
    assert_eq!(
        (
            r["NumberLoadedRows"].as_u64(),
            r["NumberUnselectedRows"].as_u64()
        ),
        (Some(1), Some(1))
    );

    let r = request(
        &be,
        "PUT",
        "/api/db/t/_stream_load",
        &[
            ("Authorization", &auth),
            ("column_separator", ","),
            ("max_filter_ratio", "0.2"),
        ],
        Some(b"5,e,5\nbad,row\n"),
    )
    .await
    .json();
    assert_eq!(
        (r["Status"].as_str(), r["Message"].as_str()),
        (Some("Fail"), Some("too many filtered rows"))
    );
    let url = r["ErrorURL"].as_str().unwrap();
    assert!(
        url.contains("/api/_load_error_log?file=error_log_"),
        "{url}"
    );
    let log = request(
        &be,
        "GET",
        url.trim_start_matches(&format!("http://{be}")),
        &[],
        None,
    )
    .await;
    assert!(log.body.contains("src line [bad,row]"), "{}", log.body);
    assert_eq!(rows(&emu, "SELECT id FROM t ORDER BY id"), ["1", "2", "3"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn one_bad_request_fails_its_whole_merge_commit_window() {
    let emu = starrocks_with_table(1).await;
    let be = authority(&emu.be_urls()[0]);
    let auth = basic("root", "");
    let h = [
        ("Authorization", auth.as_str()),
        ("enable_merge_commit", "true"),
        ("merge_commit_interval_ms", "1000"),
        ("merge_commit_parallel", "1"),
        ("column_separator", ","),
    ];
    let (good, bad) = tokio::join!(
        request(&be, "PUT", "/api/db/t/_stream_load", &h, Some(b"1,a,1\n")),
        request(&be, "PUT", "/api/db/t/_stream_load", &h, Some(b"oops\n")),
    );
    for r in [good.json(), bad.json()] {
        assert_eq!(r["Status"], "Fail", "{r}");
        assert_eq!(
            r["Message"],
            "Load is aborted, reason: too many filtered rows"
        );
    }
    assert_eq!(rows(&emu, "SELECT count(*) FROM t"), ["0"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn json_without_strip_outer_array_is_a_stream_of_documents() {
    let emu = starrocks_with_table(1).await;
    let be = authority(&emu.be_urls()[0]);
    let auth = basic("root", "");
    let body = b"{\"id\":1,\"name\":\"a\",\"score\":1}\n{\"id\":2,\"name\":\"b\",\"score\":2} \
                 {\"id\":3,\"name\":\"c\",\"score\":3}\n";
    let r = request(
        &be,
        "PUT",
        "/api/db/t/_stream_load",
        &[("Authorization", &auth), ("format", "json")],
        Some(body),
    )
    .await
    .json();
    assert_eq!(r["Status"], "Success", "{r}");
    assert_eq!(r["NumberLoadedRows"], 3);
    assert_eq!(
        rows(&emu, "SELECT id, name FROM t ORDER BY id"),
        ["1|a", "2|b", "3|c"]
    );
    emu.shutdown().await;
}
