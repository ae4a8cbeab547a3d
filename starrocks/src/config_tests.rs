//! Unit tests of `config.rs`.

use super::*;
use streamload_core::ErrorKind;

#[test]
fn flink_options_are_read_with_their_keys() {
    let config = StarRocksConfig::from_options([
        ("load-url", "fe1:8030;fe2:8030"),
        ("jdbc-url", "jdbc:mysql://fe1:9030"),
        ("database-name", "test"),
        ("table-name", "score_board"),
        ("username", "root"),
        ("password", "s3cret"),
        ("sink.version", "v1"),
        ("sink.semantic", "exactly-once"),
        ("sink.socket.timeout-ms", "-1"),
        ("sink.properties.Partial_Update", "true"),
        ("sink.merge-commit.max-concurrent-requests", "0"),
    ])
    .unwrap();
    assert_eq!(config.load_urls, ["fe1:8030", "fe2:8030"]);
    assert_eq!(config.version, SinkVersion::V1);
    assert_eq!(config.semantic, Semantic::ExactlyOnce);
    assert_eq!(config.socket_timeout_ms, None);
    assert_eq!(config.property("partial_update"), Some("true"));
    assert_eq!(config.merge_commit_max_concurrent_requests, 0);
    assert_eq!(config.connect_timeout_ms, 30_000);
}

#[test]
fn errors_name_the_key() {
    let err = StarRocksConfig::from_options([("sink.max-retries", "many")]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(err.context("key"), Some("sink.max-retries"));
    let err = StarRocksConfig::from_options([("sink.nope", "1")]).unwrap_err();
    assert_eq!(err.context("key"), Some("sink.nope"));
    assert!(err.message().contains("sink.nope"));
}

#[test]
fn debug_hides_the_password() {
    let config = StarRocksConfig::from_options([("password", "hunter2")]).unwrap();
    let text = format!("{config:?}");
    assert!(!text.contains("hunter2"));
    assert!(text.contains("<redacted>"));
}
