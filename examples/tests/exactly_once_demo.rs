//! The exactly-once demo with a fixed seed on both emulated vendors: it crashes several times
//! (at different steps) and the DUPLICATE KEY table still ends equal to the input.

use streamload_examples::endpoint::{Endpoint, Vendor};
use streamload_examples::exactly_once::{self, DemoConfig};

async fn check(vendor: Vendor) {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = Endpoint::emulated(vendor).await.unwrap();
    let config = DemoConfig {
        seed: 7,
        rows: 2000,
        batch: 250,
        crash_probability: 0.3,
        max_crashes: 10,
        state_path: dir.path().join("state.json"),
    };
    let mut lines = Vec::new();
    let report = exactly_once::run(&endpoint, "events", &config, &mut |l| lines.push(l))
        .await
        .unwrap();
    assert_eq!(report.crashes.len(), 10, "{lines:#?}");
    assert!(
        report.crashes.iter().any(|c| c.starts_with("mid-batch"))
            && report.crashes.iter().any(|c| c.contains("before storing"))
            && report.crashes.iter().any(|c| c.contains("before commit")),
        "the seed covers several crash points: {:?}",
        report.crashes
    );
    assert_eq!(report.table.len(), 2000);
    assert_eq!(report.table, report.input, "{lines:#?}");
    assert!(report.exactly_once());
    endpoint.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashed_doris_pipeline_ends_equal_to_its_input() {
    check(Vendor::Doris).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashed_starrocks_pipeline_ends_equal_to_its_input() {
    check(Vendor::StarRocks).await;
}
