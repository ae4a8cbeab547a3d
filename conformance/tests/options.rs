//! One option map, one verdict: the keys both vendors share, in every spelling a user may carry
//! over from a Flink job, are accepted or refused alike by the Doris and the StarRocks sink
//! builders, and a refusal names the same key with the same kind.

use streamload_core::{ErrorKind, Result};
use streamload_doris::DorisSink;
use streamload_starrocks::StarRocksSink;

/// Whether each vendor takes `options`; `Err` carries (kind, key named by the error).
fn verdicts(options: &[(&str, &str)]) -> (Result<()>, Result<()>) {
    let doris = DorisSink::builder()
        .with_flink_options(options.iter().copied())
        .map(|_| ());
    let starrocks = StarRocksSink::builder()
        .with_flink_options(options.iter().copied())
        .map(|_| ());
    (doris, starrocks)
}

fn same_verdict(options: &[(&str, &str)]) -> std::result::Result<(), (ErrorKind, String)> {
    let (doris, starrocks) = verdicts(options);
    let summary = |r: &Result<()>| {
        r.as_ref()
            .map(|_| ())
            .map_err(|e| (e.kind(), e.context("key").unwrap_or_default().to_owned()))
    };
    assert_eq!(
        summary(&doris),
        summary(&starrocks),
        "{options:?}: doris {doris:?} / starrocks {starrocks:?}"
    );
    summary(&doris)
}

#[test]
fn shared_keys_are_accepted_alike_in_every_spelling() {
    let accepted: &[&[(&str, &str)]] = &[
        &[("sink.buffer-flush.max-bytes", "64mb")],
        &[("sink.buffer-flush.max-bytes", "64MiB")],
        &[("sink.buffer-flush.max-bytes", "67108864")],
        &[("SINK_BUFFER_FLUSH_MAX_BYTES", "1gb")],
        &[("sink.buffer-flush.max-rows", "500000")],
        &[("sink.buffer-flush.interval-ms", "10000")],
        &[("sink.buffer-flush.interval", "10s")],
        &[("sink.max-retries", "5")],
        &[("sink.retry.interval-ms", "500")],
        &[("sink.label-prefix", "job_7")],
        &[("sink.ignore.update-before", "FALSE")],
        &[("sink.allowed-hosts", "be1.example, be2.example")],
        &[("sink.redirect.allowed-hosts", "be1.example;be2.example")],
        &[("sink.redirect.rewrite-localhost", "true")],
        &[("username", "root"), ("password", " spaces count ")],
        &[
            ("sink.properties.format", "json"),
            ("sink.properties.strip_outer_array", "true"),
        ],
        &[("sink.parallelism", "4"), ("connector", "doris")],
        &[("sink.semantic", "at-least-once")],
        &[("sink.flush.queue-size", "2")],
        &[("sink.recover.forgotten-label", "fail")],
    ];
    for options in accepted {
        assert_eq!(same_verdict(options), Ok(()), "{options:?}");
    }
}

#[test]
fn bad_values_and_unknown_keys_are_refused_alike() {
    let refused: &[(&[(&str, &str)], &str)] = &[
        (
            &[("sink.buffer-flush.max-bytes", "lots")],
            "sink.buffer-flush.max-bytes",
        ),
        (
            &[("sink.buffer-flush.max-bytes", "64pb")],
            "sink.buffer-flush.max-bytes",
        ),
        (
            &[("sink.buffer-flush.max-rows", "-1")],
            "sink.buffer-flush.max-rows",
        ),
        (
            &[("sink.buffer-flush.interval", "soon")],
            "sink.buffer-flush.interval",
        ),
        (&[("sink.max-retries", "many")], "sink.max-retries"),
        (
            &[("sink.ignore.update-before", "yes")],
            "sink.ignore.update-before",
        ),
        (
            &[("sink.redirect.rewrite-localhost", "1")],
            "sink.redirect.rewrite-localhost",
        ),
        (&[("sink.semantic", "twice")], "sink.semantic"),
        (&[("sink.bogus", "1")], "sink.bogus"),
        (&[("sink.properties.", "x")], "sink.properties."),
    ];
    for (options, key) in refused {
        let verdict = same_verdict(options);
        let (kind, named) = verdict.expect_err("a bad option was accepted");
        assert_eq!(kind, ErrorKind::Config, "{options:?}");
        assert_eq!(named, *key, "{options:?}");
    }
}

#[test]
fn a_secret_value_is_never_echoed() {
    let (doris, starrocks) = verdicts(&[("sink.auth.token-refresh", "s3cr3t-value")]);
    for err in [doris.unwrap_err(), starrocks.unwrap_err()] {
        assert!(!err.to_string().contains("s3cr3t-value"), "{err}");
    }
}
