//! The HTTP plumbing against the emulator and a scripted FE: FE failover, follower → leader →
//! BE redirect chains, BE-direct loads, BE discovery, and redirects that must be refused.

mod common;

use common::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use streamload_core::{ErrorKind, LoadProtocol};
use streamload_doris::DorisProtocol;
use streamload_emulator::Listener;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// An "FE" that answers every request with a 307 to `location` (`{path}` is replaced by the
/// request path). Returns its `host:port` and a counter of the requests it answered.
async fn redirecting_fe(location: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let location = location.clone();
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut read = 0;
                while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read += n,
                    }
                }
                let head = String::from_utf8_lossy(&buf[..read]).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let answer = format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    location.replace("{path}", &path)
                );
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (addr, hits)
}

async fn load_one_row(
    doris: &DorisProtocol,
    table: &streamload_core::Table,
    seq: u64,
) -> streamload_core::Result<()> {
    let label = doris.label_generator()?.label(table, seq)?;
    let mut txn = doris.begin(table, Some(label), &csv(true, &[])).await?;
    txn.write(bytes::Bytes::from(format!("{seq}\tx\n"))).await?;
    let prepared = txn.prepare().await?;
    doris.commit(&prepared.prepared).await
}

#[tokio::test]
async fn a_dead_fe_is_skipped() {
    let emu = start().await;
    let table = dup_table(&emu, "tfailover").await;
    let dead = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let doris = builder(&emu)
        .with_fe_nodes([dead, emu.fe_url()])
        .build()
        .unwrap();
    for seq in 1..=2 {
        load_one_row(&doris, &table, seq).await.unwrap();
    }
    assert_eq!(
        table_text(&emu, "select count(*) from test.tfailover").await,
        "2"
    );
}

#[tokio::test]
async fn follower_to_leader_to_be_chain() {
    let emu = start().await;
    let table = dup_table(&emu, "tchain").await;
    let leader = emu.fe_url();
    let (follower, hits) = redirecting_fe(format!(
        "http://root:@{}{{path}}",
        leader.trim_start_matches("http://")
    ))
    .await;
    let doris = builder(&emu)
        .with_fe_nodes([follower, leader])
        .build()
        .unwrap();
    // Rotation starts at the follower for the first load and at the leader for the second.
    for seq in 1..=2 {
        load_one_row(&doris, &table, seq).await.unwrap();
    }
    assert_eq!(
        table_text(&emu, "select count(*) from test.tchain").await,
        "2"
    );
    assert!(
        hits.load(Ordering::SeqCst) > 0,
        "the follower was never asked"
    );
    assert_no_body_reached_the_fe(&emu);
}

#[tokio::test]
async fn redirects_to_unknown_hosts_are_refused_without_leaking_the_password() {
    let emu = start().await;
    let table = dup_table(&emu, "trefuse").await;
    let (evil, _) = redirecting_fe("http://root:hunter2@evil.example:8040{path}".to_owned()).await;
    let doris = builder(&emu)
        .with_fe_nodes([evil])
        .with_credentials("root", "hunter2")
        .build()
        .unwrap();
    let err = load_one_row(&doris, &table, 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(err.to_string().contains("evil.example"), "{err}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

/// A host outside the cluster (127.0.0.2: loopback, but not the FE's host) that counts the
/// connections it gets.
async fn stranger() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.2:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (addr, hits)
}

#[tokio::test]
async fn a_redirect_outside_the_cluster_is_refused_before_anything_is_sent() {
    let emu = start().await;
    let table = dup_table(&emu, "tstranger").await;
    let (target, hits) = stranger().await;
    // The FE redirects everything, its own BE list included, to the stranger.
    let (fe, _) = redirecting_fe(format!("http://root:hunter2@{target}{{path}}")).await;
    let doris = builder(&emu)
        .with_fe_nodes([fe])
        .with_credentials("root", "hunter2")
        .build()
        .unwrap();
    let err = load_one_row(&doris, &table, 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(
        err.to_string().contains("refusing to send credentials"),
        "{err}"
    );
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the stranger was contacted");
}

#[tokio::test]
async fn be_direct_and_discovered_bes() {
    let emu = start().await;
    let table = dup_table(&emu, "tdirect").await;
    let direct = builder(&emu).with_be_nodes(emu.be_urls()).build().unwrap();
    load_one_row(&direct, &table, 1).await.unwrap();
    let discovered = builder(&emu).with_auto_redirect(false).build().unwrap();
    load_one_row(&discovered, &table, 2).await.unwrap();
    assert_eq!(
        table_text(&emu, "select count(*) from test.tdirect").await,
        "2"
    );
    let log = emu.request_log().entries();
    assert!(
        log.iter()
            .filter(|r| r.listener == Listener::Fe)
            .all(|r| !r.path.contains("_stream_load")),
        "a BE-direct load went to the FE"
    );
    assert!(
        log.iter()
            .any(|r| r.listener == Listener::Fe && r.path.starts_with("/api/backends"))
    );
}
