//! The quickstart binary's logic on both emulated vendors: the rows are invisible after
//! `prepare`, visible after `commit`, and equal to the connector manual's result.

use streamload_examples::endpoint::{Endpoint, Vendor};
use streamload_examples::quickstart;

async fn check(vendor: Vendor) {
    let endpoint = Endpoint::emulated(vendor).await.unwrap();
    let mut lines = Vec::new();
    let outcome = quickstart::run(&endpoint, &mut |l| lines.push(l))
        .await
        .unwrap();
    assert_eq!(outcome.visible_before_commit, 0, "{vendor:?}: {lines:?}");
    assert_eq!(outcome.prepared_labels.len(), 1);
    assert_eq!(outcome.result.columns, ["id", "name", "age"]);
    assert_eq!(
        outcome.result.rows,
        [["1", "prefix_James", "19"], ["2", "prefix_Emily", "29"]]
    );
    assert!(outcome.result.to_table().contains("| prefix_Emily |"));
    endpoint.shutdown().await;
}

#[tokio::test]
async fn quickstart_loads_the_manuals_rows_into_doris() {
    check(Vendor::Doris).await;
}

#[tokio::test]
async fn quickstart_loads_the_manuals_rows_into_starrocks() {
    check(Vendor::StarRocks).await;
}
