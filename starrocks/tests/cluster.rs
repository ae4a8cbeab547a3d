//! The scripted-node tests of `wire.rs` for leader redirects, FE failover, AUTO detection and
//! old versions, run again against the emulator: a cluster of FEs whose followers redirect to
//! the leader, FE listeners switched down, and the emulator playing older releases (no
//! transaction API before 2.4, no merge commit before 3.4, no compressed JSON before 3.2.7); and
//! a BE that hangs while the FEs stay healthy.

mod support;

use std::time::Duration;

use bytes::Bytes;
use streamload_core::{CsvFormat, ErrorKind, Format, Label, LoadOptions, LoadProtocol, Table};
use streamload_emulator::engine::Flavor;
use streamload_emulator::version::ServerVersion;
use streamload_emulator::{Emulator, EmulatorConfig, EmulatorHandle, Listener};
use streamload_starrocks::{Mode, SinkVersion, StarRocksBuilder};
use support::emu;

fn csv(two_phase: bool) -> LoadOptions {
    LoadOptions {
        format: Format::Csv(CsvFormat::default()),
        compression: streamload_core::Compression::None,
        columns: Some(vec!["id".into(), "name".into()]),
        two_phase,
    }
}

/// An emulated cluster of `frontends` FEs playing `version` (the default release when `None`),
/// with `test.score_board`.
async fn cluster(frontends: usize, version: Option<&str>) -> EmulatorHandle {
    let mut config = EmulatorConfig::new(Flavor::StarRocks);
    config.frontends = frontends;
    config.version = version.map(|v| ServerVersion::parse(Flavor::StarRocks, v).unwrap());
    let emu = Emulator::start(config).await.unwrap();
    emu.engine().create_database("test").unwrap();
    emu.engine().execute_ddl(emu::SCORE_BOARD).unwrap();
    emu
}

async fn count(emu: &EmulatorHandle) -> String {
    emu::rows(emu, "select count(*) from test.score_board").await[0][0].clone()
}

async fn load_v1(builder: StarRocksBuilder, label: &str, rows: &'static [u8]) -> u64 {
    let protocol = builder.with_version(SinkVersion::V1).build().unwrap();
    let table = Table::new("test", "score_board");
    let mut txn = protocol
        .begin(&table, Some(Label::new(label).unwrap()), &csv(false))
        .await
        .unwrap();
    txn.write(Bytes::from_static(rows)).await.unwrap();
    txn.finish().await.unwrap().rows_loaded
}

#[tokio::test]
async fn v1_goes_follower_to_leader_to_be_on_the_emulator() {
    let emu = cluster(2, None).await;
    let urls = emu.fe_urls();
    let builder = emu::builder(&emu).with_load_urls([urls[1].clone(), urls[0].clone()]);
    assert_eq!(load_v1(builder, "l-1", b"1\ta\n2\tb\n").await, 2);
    assert_eq!(count(&emu).await, "2");
    let log = emu.request_log().entries();
    let puts = |listener: Listener| {
        log.iter()
            .filter(|r| r.listener == listener && r.method == "PUT")
            .cloned()
            .collect::<Vec<_>>()
    };
    let (follower, leader, be) = (
        puts(Listener::Frontend(1)),
        puts(Listener::Fe),
        puts(Listener::Be(0)),
    );
    assert_eq!((follower.len(), leader.len(), be.len()), (1, 1, 1));
    assert_eq!(follower[0].status, 307);
    for fe in [&follower[0], &leader[0]] {
        assert_eq!(fe.body_bytes, 0, "the FE must never get the body");
        assert_eq!(fe.header("expect"), Some("100-continue"));
    }
    assert_eq!(be[0].body_bytes, 8);
    assert_eq!(be[0].header("label"), Some("l-1"));
}

#[tokio::test]
async fn v2_transactions_run_through_a_follower() {
    let emu = cluster(2, None).await;
    let follower = emu.fe_urls()[1].clone();
    let protocol = emu::builder(&emu)
        .with_load_urls([follower])
        .with_version(SinkVersion::V2)
        .build()
        .unwrap();
    let table = Table::new("test", "score_board");
    let mut txn = protocol
        .begin(&table, Some(Label::new("app-t-0-1").unwrap()), &csv(true))
        .await
        .unwrap();
    txn.write(Bytes::from_static(b"1\ta\n")).await.unwrap();
    let prepared = txn.prepare().await.unwrap().prepared;
    protocol.commit(&prepared).await.unwrap();
    assert_eq!(count(&emu).await, "1");
    let redirected = emu
        .request_log()
        .entries()
        .into_iter()
        .filter(|r| r.listener == Listener::Frontend(1) && r.path.starts_with("/api/transaction/"))
        .filter(|r| r.status == 307)
        .count();
    assert!(
        redirected >= 2,
        "begin and commit went through the follower"
    );
}

#[tokio::test]
async fn a_dead_fe_fails_over_to_the_next_on_the_emulator() {
    let emu = cluster(2, None).await;
    let urls = emu.fe_urls();
    let builder = || emu::builder(&emu).with_load_urls(urls.clone());
    assert_eq!(load_v1(builder(), "l-2", b"1\ta\n").await, 1);
    emu.set_listener_up(Listener::Fe, false);
    assert_eq!(emu.leader(), 1);
    assert_eq!(load_v1(builder(), "l-3", b"2\tb\n").await, 1);
    assert_eq!(load_v1(builder(), "l-4", b"3\tc\n").await, 1);
    assert_eq!(count(&emu).await, "3");
    emu.set_listener_up(Listener::Fe, true);
    assert_eq!(load_v1(builder(), "l-5", b"4\td\n").await, 1);
    assert_eq!(count(&emu).await, "4");
}

#[tokio::test]
async fn auto_falls_back_to_v1_when_the_emulated_fe_lacks_transactions() {
    let old = cluster(1, Some("2.3")).await;
    // The begin probe (no jdbc-url) gets the old FE's `Not implemented`.
    let probed = StarRocksBuilder::new()
        .with_load_urls([old.fe_url()])
        .with_credentials("root", "")
        .connect()
        .await
        .unwrap();
    assert_eq!(probed.mode(), Mode::V1);
    // `current_version()` over the MySQL port says the same.
    assert_eq!(emu::builder(&old).connect().await.unwrap().mode(), Mode::V1);
    assert_eq!(load_v1(emu::builder(&old), "l-6", b"1\ta\n").await, 1);
    let new = cluster(1, Some("2.5")).await;
    let probed = StarRocksBuilder::new()
        .with_load_urls([new.fe_url()])
        .with_credentials("root", "")
        .connect()
        .await
        .unwrap();
    assert_eq!(probed.mode(), Mode::V2);
    assert_eq!(emu::builder(&new).connect().await.unwrap().mode(), Mode::V2);
}

#[tokio::test]
async fn features_newer_than_the_emulated_server_are_refused() {
    let v33 = cluster(1, Some("3.3")).await;
    let merge = emu::builder(&v33)
        .with_property("enable_merge_commit", "true")
        .with_property("merge_commit_interval_ms", "1000")
        .connect()
        .await
        .unwrap_err();
    assert_eq!(merge.kind(), ErrorKind::Config, "{merge}");
    assert!(merge.to_string().contains("3.4.0"), "{merge}");
    let v34 = cluster(1, Some("3.4")).await;
    let protocol = emu::builder(&v34)
        .with_property("enable_merge_commit", "true")
        .with_property("merge_commit_interval_ms", "1000")
        .connect()
        .await
        .unwrap();
    assert_eq!(protocol.mode(), Mode::MergeCommit);

    let v326 = cluster(1, Some("3.2.6")).await;
    let json = emu::builder(&v326)
        .with_property("format", "json")
        .with_property("compression", "lz4_frame")
        .connect()
        .await
        .unwrap_err();
    assert_eq!(json.kind(), ErrorKind::Config, "{json}");
    assert!(json.to_string().contains("3.2.7"), "{json}");
}

/// A BE that accepts connections but never answers (the emulator's `hang` fault) while the FEs
/// stay healthy: the load fails with a retryable timeout instead of hanging.
#[tokio::test]
async fn a_hung_be_times_out_with_a_retryable_error() {
    use streamload_emulator::{FaultAction, FaultRule};
    let emu = cluster(2, None).await;
    emu.faults()
        .add(FaultRule::new("", usize::MAX, FaultAction::Hang).on(Listener::Be(0)));
    let protocol = emu::builder(&emu)
        .with_load_urls(emu.fe_urls())
        .with_connect_timeout(Duration::from_millis(1000))
        .with_read_timeout(Duration::from_millis(300))
        .with_load_timeout(Duration::from_millis(2000))
        .with_version(SinkVersion::V1)
        .build()
        .unwrap();
    let table = Table::new("test", "score_board");
    let started = std::time::Instant::now();
    let outcome = async {
        let mut txn = protocol
            .begin(&table, Some(Label::new("l-hung").unwrap()), &csv(false))
            .await?;
        txn.write(Bytes::from_static(b"1\ta\n")).await?;
        txn.finish().await
    }
    .await;
    let err = outcome.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.is_retryable(), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let log = emu.request_log().entries();
    assert!(
        log.iter()
            .filter(|r| r.listener == Listener::Be(0))
            .all(|r| r.fault.as_deref() == Some("hang"))
    );
    assert_eq!(count(&emu).await, "0");
}
