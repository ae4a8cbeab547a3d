//! Credentials go only to the cluster's own hosts (configured FEs, BEs the FE reports) or the
//! allow-list: with the default configuration a redirect anywhere else is refused before a
//! single byte — let alone the `Authorization` header — reaches that host.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use streamload_core::{CsvFormat, ErrorKind, Format, Label, LoadOptions, LoadProtocol, Table};
use streamload_starrocks::{SinkVersion, StarRocksBuilder};
use support::{redirect, start};
use tokio::net::TcpListener;

/// A host outside the cluster (127.0.0.2: loopback, but not the FE's host) that counts the
/// connections it gets.
async fn stranger() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.2:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (url, hits)
}

fn csv() -> LoadOptions {
    LoadOptions {
        format: Format::Csv(CsvFormat::default()),
        compression: streamload_core::Compression::None,
        columns: None,
        two_phase: false,
    }
}

async fn load_through(
    fe: String,
    version: SinkVersion,
    allowed: &[&str],
) -> streamload_core::Result<()> {
    let mut builder = StarRocksBuilder::new()
        .with_load_urls([fe])
        .with_credentials("root", "hunter2")
        .with_version(version);
    for host in allowed {
        builder = builder.with_allowed_host(*host);
    }
    let protocol = builder.build()?;
    let table = Table::new("db", "t");
    let mut txn = protocol
        .begin(&table, Some(Label::new("l-1").unwrap()), &csv())
        .await?;
    txn.write(bytes::Bytes::from_static(b"1\ta\n")).await?;
    txn.finish().await.map(|_| ())
}

#[tokio::test]
async fn a_redirect_to_a_host_outside_the_cluster_is_refused_before_anything_is_sent() {
    for version in [SinkVersion::V1, SinkVersion::V2] {
        let (target, hits) = stranger().await;
        let location = target.replace("http://", "http://root:hunter2@");
        // The FE redirects everything, its own BE list included, to the stranger.
        let fe = start(move |seen| redirect(&location, seen)).await;
        let err = load_through(fe.url(), version, &[]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{version:?}: {err}");
        assert!(
            err.to_string().contains("refusing to send credentials"),
            "{err}"
        );
        assert!(err.to_string().contains("127.0.0.2"), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert_eq!(
            hits.load(Ordering::SeqCst),
            0,
            "{version:?}: the stranger was contacted"
        );
    }
}

#[tokio::test]
async fn an_allow_listed_host_is_followed() {
    let (target, hits) = stranger().await;
    let fe = start(move |seen| redirect(&target, seen)).await;
    // The stranger drops every connection: the load fails, but only after reaching it.
    let err = load_through(fe.url(), SinkVersion::V1, &["127.0.0.2"])
        .await
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::Config, "{err}");
    assert!(hits.load(Ordering::SeqCst) >= 1);
}
