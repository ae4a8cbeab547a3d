//! The played server version: what it reports (MySQL port, Doris `/api/bootstrap` and
//! `/api/fe_version_info`) and what it switches off (StarRocks transactions before 2.4, merge
//! commit before 3.4, compressed JSON before 3.2.7 / Doris 2.1, Doris group commit and 2PC by
//! label before 2.1), each against the neighbouring release that has it.

mod http_support;

use http_support::{authority, basic, ddl, request, rows, via_fe};
use mysql_async::prelude::Queryable;
use streamload_emulator::engine::Flavor;
use streamload_emulator::version::ServerVersion;
use streamload_emulator::{Emulator, EmulatorConfig, EmulatorHandle};

async fn playing(flavor: Flavor, version: &str) -> EmulatorHandle {
    let mut config = EmulatorConfig::new(flavor);
    config.version = Some(ServerVersion::parse(flavor, version).unwrap());
    let emu = Emulator::start(config).await.unwrap();
    emu.engine().create_database("db").unwrap();
    let sql = match flavor {
        Flavor::Doris => {
            "CREATE TABLE db.t (k INT, v VARCHAR(8)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1"
        }
        Flavor::StarRocks => {
            "CREATE TABLE db.t (k INT NOT NULL, v VARCHAR(8)) PRIMARY KEY(k) DISTRIBUTED BY HASH(k)"
        }
    };
    ddl(&emu, sql);
    emu
}

async fn mysql_text(emu: &EmulatorHandle, sql: &str) -> String {
    let url = emu.mysql_url();
    let (ip, port) = url.rsplit('@').next().unwrap().rsplit_once(':').unwrap();
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(ip)
        .tcp_port(port.parse().unwrap())
        .user(Some("root"))
        .pass(Some(""))
        .prefer_socket(false);
    let mut conn = mysql_async::Conn::new(opts).await.unwrap();
    let value: Option<String> = conn.query_first(sql).await.unwrap();
    let _ = conn.disconnect().await;
    value.unwrap()
}

fn fe(emu: &EmulatorHandle) -> String {
    authority(&emu.fe_url())
}

fn be(emu: &EmulatorHandle) -> String {
    authority(&emu.be_urls()[0])
}

#[tokio::test]
async fn the_version_is_what_the_version_queries_report() {
    let sr = playing(Flavor::StarRocks, "3.1").await;
    assert_eq!(
        mysql_text(&sr, "select current_version()").await,
        "3.1.17-emulator"
    );
    assert_eq!(
        mysql_text(&sr, "select @@version_comment").await,
        "StarRocks version 3.1.17-emulator"
    );
    let doris = playing(Flavor::Doris, "2.0").await;
    assert_eq!(
        mysql_text(&doris, "select @@version_comment").await,
        "Doris version doris-2.0.15-rc01-emulator"
    );
    let boot = request(&fe(&doris), "GET", "/api/bootstrap", &[], None).await;
    assert_eq!(boot.json()["data"]["version"], "doris-2.0.15-rc01-emulator");
    let info = request(&fe(&doris), "GET", "/api/fe_version_info", &[], None).await;
    let info = &info.json()["data"]["feVersionInfo"];
    assert_eq!(
        (
            info["dorisBuildVersionMajor"].as_u64(),
            info["dorisBuildVersionMinor"].as_u64(),
            info["dorisBuildVersionPatch"].as_u64()
        ),
        (Some(2), Some(0), Some(15))
    );
    let default = Emulator::start(EmulatorConfig::new(Flavor::StarRocks))
        .await
        .unwrap();
    assert_eq!(
        mysql_text(&default, "select current_version()").await,
        "3.5.4-emulator"
    );
}

#[tokio::test]
async fn starrocks_before_2_4_has_no_transaction_api() {
    let auth = basic("root", "");
    let headers = [
        ("Authorization", auth.as_str()),
        ("label", "tx1"),
        ("db", "db"),
        ("table", "t"),
    ];
    let old = playing(Flavor::StarRocks, "2.3").await;
    let r = request(&fe(&old), "POST", "/api/transaction/begin", &headers, None).await;
    assert_eq!(r.status, 501);
    assert_eq!(r.json()["status"], "FAILED");
    assert_eq!(r.json()["msg"], "Not implemented");
    let r = request(&be(&old), "POST", "/api/transaction/begin", &headers, None).await;
    assert_eq!(r.status, 404);
    // A plain load still works.
    let mut load = headers.to_vec();
    load.retain(|(k, _)| *k == "Authorization");
    load.extend([("label", "v1"), ("column_separator", ",")]);
    let r = request(
        &be(&old),
        "PUT",
        "/api/db/t/_stream_load",
        &load,
        Some(b"1,a\n"),
    )
    .await;
    assert_eq!(r.json()["Status"], "Success", "{}", r.body);

    let new = playing(Flavor::StarRocks, "2.5").await;
    let r = request(&fe(&new), "POST", "/api/transaction/begin", &headers, None).await;
    assert_eq!(r.status, 307, "{}", r.body);
}

#[tokio::test]
async fn merge_commit_arrives_in_3_4() {
    let auth = basic("root", "");
    let headers = [
        ("Authorization", auth.as_str()),
        ("enable_merge_commit", "true"),
        ("merge_commit_interval_ms", "1000"),
        ("merge_commit_parallel", "1"),
    ];
    let meta = "/api/db/t/_stream_load_meta?type=nodes";
    let old = playing(Flavor::StarRocks, "3.3").await;
    let r = request(&fe(&old), "GET", meta, &headers, None).await;
    assert_eq!(
        (r.status, r.json()["msg"].as_str()),
        (501, Some("Not implemented"))
    );
    // The header is unknown to 3.3: the load runs as a plain load under its own label.
    let mut load = headers.to_vec();
    load.extend([("label", "plain1"), ("column_separator", ",")]);
    let r = request(
        &be(&old),
        "PUT",
        "/api/db/t/_stream_load",
        &load,
        Some(b"1,a\n"),
    )
    .await;
    assert_eq!(r.json()["Status"], "Success", "{}", r.body);
    assert_eq!(r.json()["Label"], "plain1");
    assert_eq!(rows(&old, "SELECT k, v FROM t"), ["1|a"]);
    let logged = old.request_log().entries().last().cloned().unwrap();
    assert_eq!(
        logged.header("enable_merge_commit"),
        Some("true"),
        "the log keeps what the client sent"
    );

    let new = playing(Flavor::StarRocks, "3.4").await;
    let r = request(&fe(&new), "GET", meta, &headers, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["nodes"]["http"], be(&new));
}

fn lz4(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = lz4_flex::frame::FrameEncoder::new(Vec::new());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[tokio::test]
async fn starrocks_reads_compressed_json_from_3_2_7() {
    let auth = basic("root", "");
    let body = lz4(br#"[{"k": 1, "v": "a"}]"#);
    let headers = [
        ("Authorization", auth.as_str()),
        ("format", "json"),
        ("strip_outer_array", "true"),
        ("compression", "lz4_frame"),
    ];
    let old = playing(Flavor::StarRocks, "3.2.6").await;
    let r = request(
        &be(&old),
        "PUT",
        "/api/db/t/_stream_load",
        &headers,
        Some(&body),
    )
    .await;
    assert_ne!(r.json()["Status"], "Success", "{}", r.body);
    let new = playing(Flavor::StarRocks, "3.2.7").await;
    let r = request(
        &be(&new),
        "PUT",
        "/api/db/t/_stream_load",
        &headers,
        Some(&body),
    )
    .await;
    assert_eq!(r.json()["Status"], "Success", "{}", r.body);
    assert_eq!(rows(&new, "SELECT k, v FROM t"), ["1|a"]);
}

#[tokio::test]
async fn doris_reads_compressed_json_from_2_1() {
    let auth = basic("root", "");
    let body = lz4(br#"[{"k": 1, "v": "a"}]"#);
    let headers = [
        ("Authorization", auth.as_str()),
        ("format", "json"),
        ("strip_outer_array", "true"),
        ("compress_type", "lz4"),
    ];
    let old = playing(Flavor::Doris, "2.0").await;
    let r = request(
        &be(&old),
        "PUT",
        "/api/db/t/_stream_load",
        &headers,
        Some(&body),
    )
    .await;
    assert_eq!(r.json()["Status"], "Fail", "{}", r.body);
    assert_eq!(
        r.json()["Message"],
        "[INTERNAL_ERROR]unknown data format, format=json"
    );
    let new = playing(Flavor::Doris, "2.1").await;
    let r = request(
        &be(&new),
        "PUT",
        "/api/db/t/_stream_load",
        &headers,
        Some(&body),
    )
    .await;
    assert_eq!(r.json()["Status"], "Success", "{}", r.body);
}

#[tokio::test]
async fn doris_group_commit_arrives_in_2_1() {
    let auth = basic("root", "");
    let headers = [
        ("Authorization", auth.as_str()),
        ("group_commit", "async_mode"),
        ("column_separator", ","),
    ];
    let old = playing(Flavor::Doris, "2.0").await;
    let r = request(
        &be(&old),
        "PUT",
        "/api/db/t/_stream_load",
        &headers,
        Some(b"1,a\n"),
    )
    .await;
    let j = r.json();
    assert_eq!(j["Status"], "Success", "{}", r.body);
    assert!(j.get("GroupCommit").is_none(), "{}", r.body);
    assert!(j["TxnId"].as_i64().unwrap() > 0);
    assert_eq!(rows(&old, "SELECT k, v FROM t"), ["1|a"]);

    let new = playing(Flavor::Doris, "2.1").await;
    let r = request(
        &be(&new),
        "PUT",
        "/api/db/t/_stream_load",
        &headers,
        Some(b"1,a\n"),
    )
    .await;
    assert_eq!(r.json()["GroupCommit"], true, "{}", r.body);
}

#[tokio::test]
async fn doris_settles_2pc_by_label_from_2_1() {
    let auth = basic("root", "");
    let mut load = vec![
        ("Authorization", auth.as_str()),
        ("two_phase_commit", "true"),
        ("column_separator", ","),
    ];
    let abort = [
        ("Authorization", auth.as_str()),
        ("Expect", "100-continue"),
        ("label", "l2pc"),
        ("txn_operation", "abort"),
    ];
    load.push(("label", "l2pc"));
    for (version, by_label) in [("2.0", false), ("2.1", true)] {
        let emu = playing(Flavor::Doris, version).await;
        let r = request(
            &be(&emu),
            "PUT",
            "/api/db/t/_stream_load",
            &load,
            Some(b"1,a\n"),
        )
        .await;
        assert_eq!(r.json()["Status"], "Success", "{}", r.body);
        let r = request(&fe(&emu), "PUT", "/api/db/_stream_load_2pc", &abort, None).await;
        if by_label {
            assert_eq!(r.status, 307, "{version}: {}", r.body);
        } else {
            assert_eq!(r.json()["msg"], "No transaction id selected.", "{version}");
        }
        let r = request(&be(&emu), "PUT", "/api/db/_stream_load_2pc", &abort, None).await;
        let aborted = r.json()["status"] == "Success";
        assert_eq!(aborted, by_label, "{version}: {}", r.body);
    }
}

#[tokio::test]
async fn prepared_timeout_is_read_from_3_5_4() {
    for (version, read) in [("3.5.3", false), ("3.5.4", true)] {
        let emu = playing(Flavor::StarRocks, version).await;
        let h = [
            ("label", "pt1"),
            ("db", "db"),
            ("table", "t"),
            ("column_separator", ","),
        ];
        let begin = via_fe(&emu, "POST", "/api/transaction/begin", &h, None).await;
        assert_eq!(begin.json()["Status"], "OK", "{}", begin.body);
        let load = via_fe(&emu, "PUT", "/api/transaction/load", &h, Some(b"1,a\n")).await;
        assert_eq!(load.json()["Status"], "OK", "{}", load.body);
        let mut prepare = h.to_vec();
        prepare.push(("prepared_timeout", "0"));
        let r = via_fe(&emu, "POST", "/api/transaction/prepare", &prepare, None).await;
        let status = r.json()["Status"].as_str().unwrap().to_string();
        if read {
            assert_eq!(status, "INVALID_ARGUMENT", "{version}: {}", r.body);
        } else {
            assert_eq!(status, "OK", "{version}: the header is unknown: {}", r.body);
        }
    }
}

#[tokio::test]
async fn the_newest_lines_have_every_feature() {
    let auth = basic("root", "");
    let sr = playing(Flavor::StarRocks, "4.0").await;
    assert_eq!(
        mysql_text(&sr, "select current_version()").await,
        "4.0.0-emulator"
    );
    let headers = [
        ("Authorization", auth.as_str()),
        ("enable_merge_commit", "true"),
        ("merge_commit_interval_ms", "1000"),
        ("merge_commit_parallel", "1"),
    ];
    let meta = "/api/db/t/_stream_load_meta?type=nodes";
    assert_eq!(
        request(&fe(&sr), "GET", meta, &headers, None).await.status,
        200
    );
    let doris = playing(Flavor::Doris, "3.0").await;
    let r = request(
        &be(&doris),
        "PUT",
        "/api/db/t/_stream_load",
        &[
            ("Authorization", auth.as_str()),
            ("group_commit", "async_mode"),
            ("column_separator", ","),
        ],
        Some(b"1,a\n"),
    )
    .await;
    assert_eq!(r.json()["GroupCommit"], true, "{}", r.body);
}
