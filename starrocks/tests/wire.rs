//! Wire-level tests against scripted nodes: the redirect chain, credentials per hop, the V2
//! request sequence, commit settlement and the rollback → `_cancel` fallback.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use serde_json::json;
use streamload_core::{
    CsvFormat, ErrorKind, Format, Label, LabelState, LoadOptions, LoadProtocol, Prepared, Table,
};
use streamload_starrocks::{SinkVersion, StarRocksBuilder};
use support::{Seen, json, redirect, start};

fn csv(two_phase: bool) -> LoadOptions {
    LoadOptions {
        format: Format::Csv(CsvFormat::default()),
        compression: streamload_core::Compression::None,
        columns: Some(vec!["id".into(), "name".into()]),
        two_phase,
    }
}

/// A BE that answers V1 loads and every V2 operation with success.
async fn be() -> support::Node {
    start(|seen: &Seen| {
        let label = seen.header("label").unwrap_or("").to_owned();
        match seen.path_and_query.as_str() {
            p if p.ends_with("/_stream_load") => json(json!({"TxnId": 7, "Label": label,
                "Status": "Success", "Message": "OK", "NumberTotalRows": 2, "NumberLoadedRows": 2,
                "LoadBytes": seen.body_len})),
            "/api/transaction/begin" => json(json!({"Status": "OK", "Message": "", "Label": label, "TxnId": 9})),
            "/api/transaction/load" => json(json!({"Status": "OK", "Message": "", "Label": label, "TxnId": 9, "LoadBytes": seen.body_len})),
            "/api/transaction/prepare" | "/api/transaction/commit" => json(json!({"Status": "OK",
                "Message": "", "Label": label, "TxnId": 9, "NumberTotalRows": 2, "NumberLoadedRows": 2})),
            _ => (404, vec![], "Not Found".into()),
        }
    })
    .await
}

#[tokio::test]
async fn v1_goes_follower_to_leader_to_be_with_credentials_and_no_body_at_the_fes() {
    let be = be().await;
    let be_url = be.url();
    let leader =
        start(move |seen: &Seen| redirect(&be_url.replace("http://", "http://user:pw@"), seen))
            .await;
    let leader_url = leader.url();
    let follower = start(move |seen: &Seen| redirect(&leader_url, seen)).await;
    let protocol = StarRocksBuilder::new()
        .with_load_urls([follower.url(), leader.url()])
        .with_credentials("root", "secret")
        .with_version(SinkVersion::V1)
        .build()
        .unwrap();
    let table = Table::new("test", "score_board");
    let mut txn = protocol
        .begin(&table, Some(Label::new("l-1").unwrap()), &csv(false))
        .await
        .unwrap();
    txn.write(Bytes::from_static(b"1\ta\n")).await.unwrap();
    txn.write(Bytes::from_static(b"2\tb\n")).await.unwrap();
    let report = txn.finish().await.unwrap();
    assert_eq!(report.rows_loaded, 2);
    for fe in [&follower, &leader] {
        // Besides the probe, an FE may be asked for its BE list (which hosts are the cluster's).
        let seen: Vec<_> = fe
            .requests()
            .into_iter()
            .filter(|r| !r.path_and_query.starts_with("/api/show_proc"))
            .collect();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].body_len, 0, "the FE must never get the body");
        assert_eq!(seen[0].header("expect"), Some("100-continue"));
    }
    // (This scripted FE redirects its BE-list request too.)
    let at_be: Vec<_> = be
        .requests()
        .into_iter()
        .filter(|r| !r.path_and_query.starts_with("/api/show_proc"))
        .collect();
    assert_eq!(at_be.len(), 1);
    assert_eq!(&at_be[0].body[..], b"1\ta\n2\tb\n");
    assert_eq!(
        at_be[0].header("authorization"),
        Some("Basic cm9vdDpzZWNyZXQ=")
    );
    assert_eq!(at_be[0].header("label"), Some("l-1"));
    assert_eq!(at_be[0].header("columns"), Some("`id`,`name`"));
}

#[tokio::test]
async fn v2_sends_every_load_to_the_coordinator_with_identical_headers() {
    let be = be().await;
    let be_url = be.url();
    let fe = start(move |seen: &Seen| match seen.path_and_query.as_str() {
        p if p.starts_with("/api/transaction/") => redirect(&be_url, seen),
        _ => (404, vec![], String::new()),
    })
    .await;
    let protocol = StarRocksBuilder::new()
        .with_load_urls([fe.url()])
        .with_credentials("root", "")
        .with_version(SinkVersion::V2)
        .with_option("sink.chunk-limit", "8")
        .unwrap()
        .with_property("prepared_timeout", "3600")
        .build()
        .unwrap();
    let table = Table::new("test", "t");
    let mut txn = protocol
        .begin(&table, Some(Label::new("app-t-0-1").unwrap()), &csv(true))
        .await
        .unwrap();
    for row in [&b"1\ta\n"[..], b"2\tb\n", b"3\tc\n"] {
        txn.write(Bytes::copy_from_slice(row)).await.unwrap();
    }
    let prepared = txn.prepare().await.unwrap().prepared;
    assert_eq!(prepared.txn_id, Some(9));
    assert_eq!(
        prepared.coordinator.as_deref(),
        Some(be.addr.to_string().as_str())
    );
    protocol.commit(&prepared).await.unwrap();
    let ops: Vec<String> = be
        .requests()
        .iter()
        .map(|s| s.path_and_query.clone())
        .collect();
    assert_eq!(
        ops,
        [
            "/api/transaction/begin",
            "/api/transaction/load",
            "/api/transaction/load",
            "/api/transaction/prepare",
            "/api/transaction/commit"
        ]
    );
    let loads: Vec<Seen> = be
        .requests()
        .into_iter()
        .filter(|s| s.path_and_query.ends_with("/load"))
        .collect();
    assert_eq!(&loads[0].body[..], b"1\ta\n2\tb\n");
    assert_eq!(&loads[1].body[..], b"3\tc\n");
    let mut first = loads[0].headers.clone();
    let mut second = loads[1].headers.clone();
    for h in [&mut first, &mut second] {
        h.remove("transfer-encoding");
        h.remove("content-length");
    }
    assert_eq!(
        first, second,
        "every /load of a transaction carries the same headers"
    );
    assert!(fe.requests().iter().all(|s| s.body_len == 0));
    let prepare = be
        .requests()
        .into_iter()
        .find(|s| s.path_and_query.ends_with("/prepare"))
        .unwrap();
    assert_eq!(prepare.header("prepared_timeout"), Some("3600"));
    assert!(loads.iter().all(|s| s.header("prepared_timeout").is_none()));
}

#[tokio::test]
async fn a_failed_commit_is_settled_through_the_label_state() {
    let fe = start(|seen: &Seen| match seen.path_and_query.as_str() {
        "/api/transaction/commit" => json(json!({"Status": "FAILED",
            "Message": "class com.starrocks.common.StarRocksException: publish timeout: 20000"})),
        p if p.starts_with("/api/test/get_load_state") => {
            json(json!({"status": "OK", "state": "COMMITTED", "msg": "Success"}))
        }
        _ => (404, vec![], String::new()),
    })
    .await;
    let protocol = StarRocksBuilder::new()
        .with_load_urls([fe.url()])
        .build()
        .unwrap();
    let prepared = Prepared {
        vendor: "starrocks".into(),
        table: Table::new("test", "t"),
        label: Label::new("app-t-0-5").unwrap(),
        txn_id: Some(5),
        coordinator: None,
    };
    protocol.commit(&prepared).await.unwrap();
    assert_eq!(
        protocol.label_state("test", &prepared.label).await.unwrap(),
        LabelState::Committed
    );
}

#[tokio::test]
async fn rollback_of_a_prepare_txn_without_context_falls_back_to_cancel() {
    let cancelled = Arc::new(AtomicUsize::new(0));
    let flag = Arc::clone(&cancelled);
    let fe = start(move |seen: &Seen| match seen.path_and_query.as_str() {
        "/api/transaction/rollback" => json(
            json!({"Status": "TXN_NOT_EXISTS", "Message": "transaction with label l not exists"}),
        ),
        p if p.starts_with("/api/test/t/_cancel") => {
            flag.fetch_add(1, Ordering::SeqCst);
            json(json!({"status": "OK", "code": "0", "msg": "Success", "message": "OK"}))
        }
        p if p.starts_with("/api/test/get_load_state") => {
            let state = if flag.load(Ordering::SeqCst) > 0 {
                "ABORTED"
            } else {
                "PREPARE"
            };
            json(json!({"status": "OK", "state": state}))
        }
        _ => (404, vec![], String::new()),
    })
    .await;
    let protocol = StarRocksBuilder::new()
        .with_load_urls([fe.url()])
        .build()
        .unwrap();
    let prepared = Prepared {
        vendor: "starrocks".into(),
        table: Table::new("test", "t"),
        label: Label::new("l").unwrap(),
        txn_id: None,
        coordinator: None,
    };
    protocol.abort(&prepared).await.unwrap();
    assert_eq!(cancelled.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn aborting_a_visible_label_fails_loudly() {
    let fe = start(|seen: &Seen| match seen.path_and_query.as_str() {
        "/api/transaction/rollback" => json(json!({"Status": "FAILED",
            "Message": "Can not abort VISIBLE transaction 5, label is l"})),
        _ => (404, vec![], String::new()),
    })
    .await;
    let protocol = StarRocksBuilder::new()
        .with_load_urls([fe.url()])
        .build()
        .unwrap();
    let prepared = Prepared {
        vendor: "starrocks".into(),
        table: Table::new("test", "t"),
        label: Label::new("l").unwrap(),
        txn_id: None,
        coordinator: None,
    };
    assert_eq!(
        protocol.abort(&prepared).await.unwrap_err().kind(),
        ErrorKind::AlreadyCommitted
    );
}

#[tokio::test]
async fn a_dead_fe_fails_over_to_the_next() {
    let be = be().await;
    let be_url = be.url();
    let fe = start(move |seen: &Seen| redirect(&be_url, seen)).await;
    let protocol = StarRocksBuilder::new()
        .with_load_urls(["127.0.0.1:1".to_owned(), fe.url()])
        .with_version(SinkVersion::V1)
        .build()
        .unwrap();
    let table = Table::new("test", "t");
    let mut txn = protocol
        .begin(&table, Some(Label::new("l-2").unwrap()), &csv(false))
        .await
        .unwrap();
    txn.write(Bytes::from_static(b"1\ta\n")).await.unwrap();
    assert_eq!(txn.finish().await.unwrap().rows_loaded, 2);
}

#[tokio::test]
async fn auto_falls_back_to_v1_when_the_fe_lacks_transactions() {
    let fe = start(|seen: &Seen| match seen.path_and_query.as_str() {
        "/api/transaction/begin" => json(json!({"status": "FAILED", "msg": "Not implemented"})),
        _ => (404, vec![], String::new()),
    })
    .await;
    let protocol = StarRocksBuilder::new()
        .with_load_urls([fe.url()])
        .connect()
        .await
        .unwrap();
    assert_eq!(protocol.mode(), streamload_starrocks::Mode::V1);
}

#[tokio::test]
async fn txn_in_processing_is_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let fe = start(move |seen: &Seen| match seen.path_and_query.as_str() {
        "/api/transaction/commit" if counter.fetch_add(1, Ordering::SeqCst) < 2 => json(json!({
            "Status": "TXN_IN_PROCESSING", "Label": "l", "Message": "Transaction is in processing"})),
        "/api/transaction/commit" => json(json!({"Status": "OK", "Message": "", "TxnId": 3, "Label": "l"})),
        _ => (404, vec![], String::new()),
    })
    .await;
    let protocol = StarRocksBuilder::new()
        .with_load_urls([fe.url()])
        .build()
        .unwrap();
    let prepared = Prepared {
        vendor: "starrocks".into(),
        table: Table::new("test", "t"),
        label: Label::new("l").unwrap(),
        txn_id: Some(3),
        coordinator: None,
    };
    protocol.commit(&prepared).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}
