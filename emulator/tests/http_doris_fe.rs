//! Doris FE endpoints at the byte level: the `_stream_load` / `_stream_load_2pc` redirects and
//! their errors, `/api/backends`, `/api/health`, `_schema`, `get_load_state`, `GET /`.

mod http_support;

use http_support::{authority, basic, ddl, request, start};
use streamload_emulator::Listener;
use streamload_emulator::engine::Flavor;

#[tokio::test]
async fn stream_load_redirects_with_userinfo_and_trailing_question_mark_without_reading_the_body() {
    let emu = start(Flavor::Doris, 2).await;
    let fe = authority(&emu.fe_url());
    let auth = basic("root", "");
    let body = vec![b'x'; 100_000];
    let r = request(
        &fe,
        "PUT",
        "/api/db/t/_stream_load",
        &[
            ("Authorization", &auth),
            ("Expect", "100-continue"),
            ("label", "l1"),
        ],
        Some(&body),
    )
    .await;
    assert_eq!(r.status, 307);
    assert!(r.interim.is_empty(), "the FE must not send 100 Continue");
    let location = r.header("location").unwrap();
    let be0 = authority(&emu.be_urls()[0]);
    let be1 = authority(&emu.be_urls()[1]);
    assert!(
        location == format!("http://root:@{be0}/api/db/t/_stream_load?")
            || location == format!("http://root:@{be1}/api/db/t/_stream_load?"),
        "{location}"
    );
    let with_query = request(
        &fe,
        "PUT",
        "/api/db/t/_stream_load?x=1",
        &[("Authorization", &auth), ("Expect", "100-continue")],
        None,
    )
    .await;
    assert!(
        with_query
            .header("location")
            .unwrap()
            .ends_with("/api/db/t/_stream_load?x=1")
    );
    let fe_records: Vec<_> = emu
        .request_log()
        .entries()
        .into_iter()
        .filter(|r| r.listener == Listener::Fe)
        .collect();
    assert_eq!(fe_records.len(), 2);
    assert!(
        fe_records
            .iter()
            .all(|r| r.body_bytes == 0 && r.status == 307)
    );
    assert!(fe_records[0].header("authorization").is_none());
    assert_eq!(fe_records[0].header("label"), Some("l1"));
    emu.shutdown().await;
}

#[tokio::test]
async fn stream_load_errors_use_the_fe_shapes() {
    let emu = start(Flavor::Doris, 1).await;
    let fe = authority(&emu.fe_url());
    let auth = basic("root", "");
    let r = request(
        &fe,
        "PUT",
        "/api/db/t/_stream_load",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (
            200,
            r#"{"status":"FAILED","msg":"There is no 100-continue header"}"#
        )
    );
    let r = request(
        &fe,
        "PUT",
        "/api/db/t/_stream_load",
        &[("Expect", "100-continue")],
        None,
    )
    .await;
    assert_eq!(
        r.body,
        r#"{"msg":"Unauthorized","code":401,"data":"Need auth information.","count":0}"#
    );
    let bad = basic("root", "wrong");
    let r = request(
        &fe,
        "PUT",
        "/api/db/t/_stream_load",
        &[("Authorization", &bad), ("Expect", "100-continue")],
        None,
    )
    .await;
    assert_eq!(
        r.json()["data"],
        "Access denied for user 'root@127.0.0.1' (using password: YES)"
    );
    let r = request(
        &fe,
        "PUT",
        "/api/db/t/_stream_load",
        &[
            ("Authorization", &auth),
            ("Expect", "100-continue"),
            ("group_commit", "fast"),
        ],
        None,
    )
    .await;
    assert_eq!(
        r.body,
        r#"{"status":"FAILED","msg":"Header `group_commit` can only be `sync_mode`, `async_mode` or `off_mode`."}"#
    );
    let r = request(
        &fe,
        "PUT",
        "/api/db/missing/_stream_load",
        &[
            ("Authorization", &auth),
            ("Expect", "100-continue"),
            ("group_commit", "sync_mode"),
        ],
        None,
    )
    .await;
    assert_eq!(
        r.body,
        r#"{"status":"FAILED","msg":"OlapTable not found."}"#
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn two_phase_redirect_needs_txn_id_or_label_and_operation() {
    let emu = start(Flavor::Doris, 1).await;
    let fe = authority(&emu.fe_url());
    let auth = basic("root", "");
    let r = request(
        &fe,
        "PUT",
        "/api/db/_stream_load_2pc",
        &[("Authorization", &auth), ("txn_operation", "commit")],
        None,
    )
    .await;
    assert_eq!(
        r.body,
        r#"{"status":"FAILED","msg":"No transaction id or label selected."}"#
    );
    let r = request(
        &fe,
        "PUT",
        "/api/db/_stream_load_2pc",
        &[("Authorization", &auth), ("txn_id", "1")],
        None,
    )
    .await;
    assert_eq!(
        r.body,
        r#"{"status":"FAILED","msg":"No transaction operation('commit' or 'abort') selected."}"#
    );
    let r = request(
        &fe,
        "PUT",
        "/api/db/_stream_load_2pc",
        &[
            ("Authorization", &auth),
            ("txn_id", "1"),
            ("txn_operation", "commit"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, 307);
    let be = authority(&emu.be_urls()[0]);
    assert_eq!(
        r.header("location"),
        Some(format!("http://root:@{be}/api/db/_stream_load_2pc?").as_str())
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn helper_endpoints() {
    let emu = start(Flavor::Doris, 2).await;
    ddl(
        &emu,
        "CREATE TABLE db.t (k INT, v VARCHAR(20), d DECIMAL(10,2)) UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    );
    let fe = authority(&emu.fe_url());
    let auth = basic("root", "");
    let r = request(
        &fe,
        "GET",
        "/api/backends?is_alive=true",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    let j = r.json();
    assert_eq!(j["code"], 0);
    assert_eq!(j["data"]["backends"].as_array().unwrap().len(), 2);
    let port: u64 = emu.be_urls()[0]
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(j["data"]["backends"][0]["http_port"], port);
    assert_eq!(j["data"]["backends"][0]["ip"], "127.0.0.1");
    let r = request(&fe, "GET", "/api/health", &[], None).await;
    assert_eq!(
        r.body,
        r#"{"msg":"success","code":0,"data":{"total_backend_num":2,"online_backend_num":2},"count":0}"#
    );
    let be = authority(&emu.be_urls()[0]);
    let r = request(&be, "GET", "/api/health", &[], None).await;
    assert_eq!(r.body, r#"{"status": "OK","msg": "OK"}"#);
    let r = request(
        &fe,
        "GET",
        "/api/db/t/_schema",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    let j = r.json();
    assert_eq!(j["data"]["keysType"], "UNIQUE_KEYS");
    assert_eq!(j["data"]["properties"][0]["name"], "k");
    assert_eq!(j["data"]["properties"][2]["precision"], "10");
    let r = request(
        &fe,
        "GET",
        "/api/db/nope/_schema",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(r.json()["code"], 1);
    let r = request(
        &fe,
        "GET",
        "/api/db/get_load_state?label=never",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(
        r.body,
        r#"{"msg":"success","code":0,"data":"UNKNOWN","count":0}"#
    );
    let r = request(
        &fe,
        "GET",
        "/api/db/get_load_state",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(
        r.body,
        r#"{"msg":"Bad Request","code":403,"data":"No label selected","count":0}"#
    );
    let r = request(&fe, "GET", "/", &[], None).await;
    assert!(r.status < 500);
    emu.shutdown().await;
}
