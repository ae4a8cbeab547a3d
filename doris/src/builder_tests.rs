//! Unit tests of `builder.rs`.

use super::*;
use crate::config::DorisMode;

fn base() -> DorisBuilder {
    DorisBuilder::new()
        .with_fe_nodes(["127.0.0.1:8030"])
        .with_credentials("root", "pw")
}

#[test]
fn build_validates_in_one_place() {
    assert!(base().build().is_ok());
    let e = DorisBuilder::new()
        .with_credentials("root", "")
        .build()
        .unwrap_err();
    assert!(e.message().contains("fenodes"), "{e}");
    let e = base().with_label_prefix("bad prefix").build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    let e = base()
        .with_property("partial_columns", "true")
        .build()
        .unwrap_err();
    assert!(e.message().contains("columns"), "{e}");
    let e = base()
        .with_property("group_commit", "sometimes")
        .build()
        .unwrap_err();
    assert!(e.message().contains("group_commit"), "{e}");
    let e = base()
        .with_config(ConfigKey::ReadTimeout, "soon")
        .unwrap_err();
    assert!(e.message().contains("soon"), "{e}");
}

#[test]
fn env_variables_are_read() {
    let vars = [
        ("DORIS_FENODES", "fe1:8030,fe2:8030"),
        ("DORIS_USERNAME", "admin"),
        ("DORIS_LABEL_PREFIX", "job7"),
        ("DORIS_PROPERTY_FORMAT", "json"),
        ("DORIS_HOME", "/opt/doris"),
        ("PATH", "/bin"),
    ];
    let b =
        DorisBuilder::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap();
    assert_eq!(b.config().fe_nodes.len(), 2);
    assert_eq!(b.config().username, "admin");
    assert_eq!(b.config().property("format"), Some("json"));
    assert!(b.build().is_ok());
}

#[test]
fn mode_setters() {
    let p = base()
        .with_group_commit(GroupCommitMode::Async)
        .build()
        .unwrap();
    assert_eq!(p.mode(), DorisMode::GroupCommit(GroupCommitMode::Async));
    let p = base().with_batch_mode(true).build().unwrap();
    assert_eq!(p.mode(), DorisMode::Batch);
}
