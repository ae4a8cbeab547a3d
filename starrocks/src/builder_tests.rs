//! Unit tests of `builder.rs`.

use super::*;

fn base() -> StarRocksBuilder {
    StarRocksBuilder::new()
        .with_load_urls(["127.0.0.1:8030"])
        .with_credentials("root", "")
}

#[test]
fn modes_follow_the_options() {
    assert_eq!(
        base().with_version(SinkVersion::V1).build().unwrap().mode(),
        Mode::V1
    );
    assert_eq!(base().build().unwrap().mode(), Mode::V2);
    let merge = base()
        .with_property("enable_merge_commit", "true")
        .with_property("merge_commit_interval_ms", "1000");
    assert_eq!(merge.build().unwrap().mode(), Mode::MergeCommit);
    let conditional = base().with_property("merge_condition", "score");
    assert_eq!(conditional.build().unwrap().mode(), Mode::V1);
}

#[test]
fn invalid_combinations_name_the_key() {
    let err = StarRocksBuilder::new().build().unwrap_err();
    assert_eq!(err.context("key"), Some("load-url"));
    let err = base()
        .with_property("enable_merge_commit", "true")
        .build()
        .unwrap_err();
    assert_eq!(
        err.context("key"),
        Some("sink.properties.merge_commit_interval_ms")
    );
    let err = base()
        .with_version(SinkVersion::V1)
        .with_semantic(Semantic::ExactlyOnce)
        .build()
        .unwrap_err();
    assert_eq!(err.context("key"), Some("sink.version"));
    let err = base().with_label_prefix("a b").build().unwrap_err();
    assert_eq!(err.context("key"), Some("sink.label-prefix"));
    let err = base()
        .with_property("enable_merge_commit", "true")
        .with_property("merge_commit_interval_ms", "1000")
        .with_property("merge_condition", "score")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(err.context("key"), Some("sink.properties.merge_condition"));
    assert!(err.message().contains("merge commit"), "{err}");
    let err = base()
        .with_property("compression", "zstd")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}
