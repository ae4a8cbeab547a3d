//! The faults added for the conformance suite and the admin endpoints that script them from
//! another process: a lost response after commit, a reset mid-body, a listener down and back
//! up, the clock and FE config, each visible in the request log.

mod http_support;

use std::time::Duration;

use http_support::{authority, basic, doris_with_table, load, request, rows};
use streamload_emulator::{FaultAction, FaultRule, Listener};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends a load on a raw connection and returns every byte answered before EOF or reset.
async fn raw_load(be: &str, label: &str, body: &[u8]) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(be).await.unwrap();
    let head = format!(
        "PUT /api/db/t/_stream_load HTTP/1.1\r\nHost: {be}\r\nAuthorization: {}\r\n\
         label: {label}\r\nContent-Length: {}\r\n\r\n",
        basic("root", ""),
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    answer
}

#[tokio::test]
async fn lost_response_commits_and_reset_mid_body_does_not() {
    let (emu, be) = doris_with_table().await;
    emu.faults()
        .add(FaultRule::new("/_stream_load", 1, FaultAction::LoseResponse).on(Listener::Be(0)));
    let answer = raw_load(&be, "lost1", b"1\ta\t1\n").await;
    assert!(answer.is_empty(), "no response: {answer:?}");
    assert_eq!(
        rows(&emu, "SELECT count(*) FROM t"),
        ["1"],
        "the load committed"
    );
    let last = emu.request_log().entries().last().cloned().unwrap();
    assert_eq!(last.status, 0);
    assert_eq!(last.fault.as_deref(), Some("lose response (was 200)"));

    emu.faults().add(
        FaultRule::new(
            "/_stream_load",
            1,
            FaultAction::ResetMidBody { after_bytes: 4 },
        )
        .on(Listener::Be(0)),
    );
    let body = "2\tb\t2\n".repeat(40_000);
    let answer = raw_load(&be, "mid1", body.as_bytes()).await;
    assert!(answer.is_empty(), "no response: {answer:?}");
    let last = emu.request_log().entries().last().cloned().unwrap();
    assert!(
        last.body_bytes >= 4 && last.body_bytes < body.len() as u64,
        "{last:?}"
    );
    assert!(last.fault.unwrap().starts_with("reset after"));
    assert_eq!(
        rows(&emu, "SELECT count(*) FROM t"),
        ["1"],
        "nothing of the cut load"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn listener_down_refuses_and_up_serves_again() {
    let (emu, be) = doris_with_table().await;
    assert!(emu.set_listener_up(Listener::Be(0), false));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        tokio::net::TcpStream::connect(&be).await.is_err(),
        "a down BE refuses connections"
    );
    assert!(emu.set_listener_up(Listener::Be(0), true));
    let mut served = None;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(&be).await.is_ok() {
            served = Some(load(&be, &[("label", "up1")], b"3\tc\t3\n").await);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        served.expect("the BE came back").json()["Status"],
        "Success"
    );
    assert!(!emu.set_listener_up(Listener::Be(7), false), "no BE 7");
    emu.shutdown().await;
}

#[tokio::test]
async fn admin_endpoints_script_faults_clock_and_config() {
    let (emu, be) = doris_with_table().await;
    let fe = authority(&emu.fe_url());
    let rule = br#"{"path_contains":"/_stream_load","times":1,"listener":"be0","method":"PUT","action":"load_status","status_text":"FAILED","message":"No backend alive."}"#;
    let r = request(&fe, "POST", "/_emulator/faults", &[], Some(rule)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = load(&be, &[("label", "adm1")], b"4\td\t4\n").await;
    assert_eq!(r.json()["Status"], "FAILED");
    let last = emu.request_log().entries().last().cloned().unwrap();
    assert_eq!(last.fault.as_deref(), Some("respond 200"));

    let bad = request(
        &fe,
        "POST",
        "/_emulator/faults",
        &[],
        Some(br#"{"action":"boom"}"#),
    )
    .await;
    assert_eq!(bad.status, 400);
    let r = request(
        &fe,
        "POST",
        "/_emulator/faults",
        &[],
        Some(br#"{"action":"reset","times":5}"#),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = request(&fe, "DELETE", "/_emulator/faults", &[], None).await;
    assert_eq!(r.status, 200);
    let r = load(&be, &[("label", "adm2")], b"5\te\t5\n").await;
    assert_eq!(r.json()["Status"], "Success", "rules were cleared");

    let before = emu.engine().now_ms();
    let r = request(&fe, "POST", "/_emulator/clock?advance_ms=60000", &[], None).await;
    assert_eq!(r.status, 200);
    assert!(emu.engine().now_ms() >= before + 60_000);
    let r = request(
        &fe,
        "POST",
        "/_emulator/config?key=max_running_txn_num_per_db&value=1",
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 200);

    let r = request(&fe, "POST", "/_emulator/listeners/be0/down", &[], None).await;
    assert_eq!(r.status, 200);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(tokio::net::TcpStream::connect(&be).await.is_err());
    let r = request(&fe, "POST", "/_emulator/listeners/be0/up", &[], None).await;
    assert_eq!(r.status, 200);
    emu.shutdown().await;
}
