//! Timeouts against a scripted cluster whose BE accepts a load and then never answers (or never
//! reads): the wait after the body, the whole-load deadline, and a stalled upload.

use std::time::Duration;

use bytes::Bytes;
use streamload_core::{
    Compression, CsvFormat, ErrorKind, Format, Label, LoadOptions, LoadProtocol, RetryStatus, Table,
};
use streamload_doris::{DorisBuilder, DorisProtocol};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn read_head(socket: &mut TcpStream) -> Option<String> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut read = 0;
    while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf[read..]).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => read += n,
        }
    }
    Some(String::from_utf8_lossy(&buf[..read]).into_owned())
}

/// A BE that never answers; with `drain` it reads (and drops) the body, else it reads nothing.
async fn silent_be(drain: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = read_head(&mut socket).await;
                let mut sink = vec![0u8; 64 * 1024];
                loop {
                    if drain {
                        if matches!(socket.read(&mut sink).await, Ok(0) | Err(_)) {
                            return;
                        }
                    } else {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    }
                }
            });
        }
    });
    port
}

/// An FE that lists `be_port` as its only BE and redirects every load to it.
async fn fe_for(be_port: u16) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let Some(head) = read_head(&mut socket).await else {
                continue;
            };
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let answer = if path.starts_with("/api/backends") {
                let body = format!(
                    r#"{{"msg":"success","code":0,"data":{{"backends":[{{"ip":"127.0.0.1","http_port":{be_port},"is_alive":true}}]}},"count":0}}"#
                );
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://root:@127.0.0.1:{be_port}{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            };
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    addr
}

fn options() -> LoadOptions {
    LoadOptions {
        format: Format::Csv(CsvFormat::default()),
        compression: Compression::None,
        columns: None,
        two_phase: true,
    }
}

async fn cluster(
    drain: bool,
    configure: impl FnOnce(DorisBuilder) -> DorisBuilder,
) -> DorisProtocol {
    let fe = fe_for(silent_be(drain).await).await;
    let builder = DorisBuilder::new()
        .with_fe_nodes([fe])
        .with_credentials("root", "");
    configure(builder).build().unwrap()
}

#[tokio::test]
async fn no_answer_after_the_body_is_an_unknown_outcome() {
    let doris = cluster(true, |b| b.with_read_timeout(Duration::from_millis(300))).await;
    let table = Table::new("db", "t");
    let mut txn = doris
        .begin(&table, Some(Label::new("l1").unwrap()), &options())
        .await
        .unwrap();
    txn.write(Bytes::from_static(b"1\ta\n")).await.unwrap();
    let err = txn.prepare().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.retry_status(), RetryStatus::OutcomeUnknown);
}

#[tokio::test]
async fn the_whole_load_deadline_applies() {
    let doris = cluster(true, |b| {
        b.with_read_timeout(Duration::from_secs(30))
            .with_load_timeout(Duration::from_millis(300))
    })
    .await;
    let table = Table::new("db", "t");
    let mut txn = doris
        .begin(&table, Some(Label::new("l2").unwrap()), &options())
        .await
        .unwrap();
    txn.write(Bytes::from_static(b"1\ta\n")).await.unwrap();
    let started = std::time::Instant::now();
    let err = txn.prepare().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_stalled_upload_fails_the_write() {
    let doris = cluster(false, |b| {
        b.with_read_timeout(Duration::from_millis(300))
            .with_buffer_count(1)
    })
    .await;
    let table = Table::new("db", "t");
    let mut txn = doris
        .begin(&table, Some(Label::new("l3").unwrap()), &options())
        .await
        .unwrap();
    let chunk = Bytes::from(vec![b'x'; 1 << 20]);
    let mut result = Ok(());
    // Socket buffers take a few MiB; after that the BE accepts nothing.
    for _ in 0..256 {
        result = txn.write(chunk.clone()).await;
        if result.is_err() {
            break;
        }
    }
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.is_retryable());
}
