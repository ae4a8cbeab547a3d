//! Fault injection through `EmulatorHandle::faults()`: a chosen status, a dropped connection and
//! a delay for the next N matching requests, then normal service again.

mod http_support;

use std::time::{Duration, Instant};

use http_support::{basic, doris_with_table, load};
use streamload_emulator::{FaultAction, FaultRule, Listener};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn status_reset_and_delay_then_normal_service() {
    let (emu, be) = doris_with_table().await;
    emu.faults().add(
        FaultRule::new(
            "/_stream_load",
            1,
            FaultAction::Respond {
                status: 503,
                body: "busy".into(),
            },
        )
        .on(Listener::Be(0))
        .method("PUT"),
    );
    let r = load(&be, &[("label", "f1")], b"1\ta\t1\n").await;
    assert_eq!((r.status, r.body.as_str()), (503, "busy"));
    let r = load(&be, &[("label", "f1")], b"1\ta\t1\n").await;
    assert_eq!(
        r.json()["Status"],
        "Success",
        "the label was never used by the faulted request"
    );

    emu.faults()
        .add(FaultRule::new("/_stream_load", 1, FaultAction::Reset));
    let mut stream = tokio::net::TcpStream::connect(&be).await.unwrap();
    let auth = basic("root", "");
    let head = format!(
        "PUT /api/db/t/_stream_load HTTP/1.1\r\nHost: {be}\r\nAuthorization: {auth}\r\nContent-Length: 6\r\n\r\n2\tb\t2\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let n = stream.read_to_end(&mut buf).await.unwrap_or(0);
    assert_eq!(
        n,
        0,
        "no response bytes: {:?}",
        String::from_utf8_lossy(&buf)
    );
    assert_eq!(emu.request_log().entries().last().unwrap().status, 0);

    emu.faults().add(FaultRule::new(
        "/_stream_load",
        1,
        FaultAction::Delay(Duration::from_millis(300)),
    ));
    let started = Instant::now();
    let r = load(&be, &[("label", "f2")], b"3\tc\t3\n").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.json()["Status"], "Success");
    assert_eq!(http_support::rows(&emu, "SELECT count(*) FROM t"), ["2"]);
    emu.shutdown().await;
}
