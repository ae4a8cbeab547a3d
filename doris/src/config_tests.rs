//! Option-key parsing: Flink spellings, aliases, values and error messages.

use super::*;
use streamload_core::ErrorKind;

fn options(pairs: &[(&str, &str)]) -> Result<DorisConfig> {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    DorisConfig::from_options(&map)
}

#[test]
fn flink_table_options_are_understood() {
    let c = options(&[
        ("fenodes", "fe1:8030, fe2:8030"),
        ("table.identifier", "db.tbl"),
        ("username", "root"),
        ("password", "s3cret"),
        ("sink.label-prefix", "doris_label"),
        ("sink.enable-2pc", "false"),
        ("sink.properties.format", "json"),
        ("sink.buffer-flush.max-bytes", "10MB"),
        ("doris.request.connect.timeout", "30s"),
        ("doris.request.read.timeout", "1500"),
        ("jdbc-url", "jdbc:mysql://127.0.0.1:9030"),
    ])
    .unwrap();
    assert_eq!(c.fe_nodes, ["fe1:8030", "fe2:8030"]);
    assert_eq!(c.table, Some(Table::new("db", "tbl")));
    assert_eq!(c.mode(), DorisMode::Batch);
    assert_eq!(c.property("FORMAT"), Some("json"));
    assert_eq!(c.buffer_flush_max_bytes, Some(10 * 1024 * 1024));
    assert_eq!(c.connect_timeout, Duration::from_secs(30));
    assert_eq!(c.read_timeout, Duration::from_millis(1500));
}

#[test]
fn errors_name_the_key_and_value() {
    let err = options(&[("sink.enable-2pc", "yes")]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(err.context("key"), Some("sink.enable-2pc"));
    assert!(err.message().contains("\"yes\""), "{err}");
    let err = options(&[("sink.lable-prefix", "x")]).unwrap_err();
    assert!(err.message().contains("sink.lable-prefix"), "{err}");
    assert!(options(&[("table.identifier", "nodot")]).is_err());
    assert!(options(&[("sink.buffer-flush.interval", "10 parsecs")]).is_err());
}

#[test]
fn group_commit_property_selects_the_mode() {
    let c = options(&[("sink.properties.group_commit", "ASYNC_MODE")]).unwrap();
    assert_eq!(c.mode(), DorisMode::GroupCommit(GroupCommitMode::Async));
    let c = options(&[("sink.properties.group_commit", "off_mode")]).unwrap();
    assert_eq!(c.mode(), DorisMode::TwoPhaseCommit);
}

#[test]
fn debug_hides_the_password() {
    let c = options(&[("password", "s3cret-pw")]).unwrap();
    let shown = format!("{c:?}");
    assert!(!shown.contains("s3cret-pw"), "{shown}");
    assert!(shown.contains("<hidden>"));
}

#[test]
fn snake_case_aliases_work() {
    let key: ConfigKey = "LABEL_PREFIX".parse().unwrap();
    assert_eq!(key, ConfigKey::Common(CommonKey::LabelPrefix));
    let key: ConfigKey = "doris_request_read_timeout".parse().unwrap();
    assert_eq!(key, ConfigKey::ReadTimeout);
}

#[test]
fn serialization_leaves_the_password_out() {
    let c = options(&[("password", "s3cret-pw"), ("fenodes", "fe:8030")]).unwrap();
    let json = serde_json::to_string(&c).unwrap();
    assert!(!json.contains("s3cret-pw"), "{json}");
    let back: DorisConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back.fe_nodes, ["fe:8030"]);
    assert!(back.password.is_empty());
}
