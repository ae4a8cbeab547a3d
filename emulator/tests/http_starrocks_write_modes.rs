//! StarRocks write modes on every load path that has its own transaction setup: a partial
//! update (`partial_update: true` with `columns`) keeps the columns a row does not name, and
//! `merge_condition` keeps a stored row whose condition value is greater — on V2
//! `/api/transaction/load` as well as on merge commit, not only on V1.

mod http_support;

use http_support::{rows, starrocks_with_table, via_fe};
use streamload_emulator::EmulatorHandle as Handle;

const MERGE: [(&str, &str); 4] = [
    ("enable_merge_commit", "true"),
    ("merge_commit_interval_ms", "200"),
    ("merge_commit_parallel", "1"),
    ("column_separator", ","),
];

/// `t` holds ids 1..=3 named `keepN` with score N.
async fn table_with_three_rows() -> Handle {
    let emu = starrocks_with_table(1).await;
    let body = b"1,keep1,1\n2,keep2,2\n3,keep3,3\n";
    let h = [("label", "base"), ("column_separator", ",")];
    let r = via_fe(&emu, "PUT", "/api/db/t/_stream_load", &h, Some(body)).await;
    assert_eq!(r.json()["Status"], "Success", "{}", r.body);
    emu
}

fn table_text(emu: &Handle) -> Vec<String> {
    rows(emu, "SELECT id, name, score FROM t ORDER BY id")
}

#[tokio::test]
async fn v2_partial_update_keeps_unnamed_columns() {
    let emu = table_with_three_rows().await;
    let h = [
        ("label", "partial-v2"),
        ("db", "db"),
        ("table", "t"),
        ("column_separator", ","),
        ("columns", "id,score"),
        ("partial_update", "true"),
    ];
    let begin = via_fe(&emu, "POST", "/api/transaction/begin", &h, None).await;
    assert_eq!(begin.json()["Status"], "OK", "{}", begin.body);
    for body in [&b"1,101\n"[..], b"3,103\n"] {
        let load = via_fe(&emu, "PUT", "/api/transaction/load", &h, Some(body)).await;
        assert_eq!(load.json()["Status"], "OK", "{}", load.body);
    }
    let commit = via_fe(&emu, "POST", "/api/transaction/commit", &h, None).await;
    assert_eq!(commit.json()["Status"], "OK", "{}", commit.body);
    assert_eq!(
        table_text(&emu),
        ["1|keep1|101", "2|keep2|2", "3|keep3|103"]
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn v2_merge_condition_keeps_the_newer_row() {
    let emu = table_with_three_rows().await;
    let h = [
        ("label", "cond-v2"),
        ("db", "db"),
        ("table", "t"),
        ("column_separator", ","),
        ("merge_condition", "score"),
    ];
    via_fe(&emu, "POST", "/api/transaction/begin", &h, None).await;
    let body = b"1,older,0\n2,newer,20\n";
    let load = via_fe(&emu, "PUT", "/api/transaction/load", &h, Some(body)).await;
    assert_eq!(load.json()["Status"], "OK", "{}", load.body);
    let commit = via_fe(&emu, "POST", "/api/transaction/commit", &h, None).await;
    assert_eq!(commit.json()["Status"], "OK", "{}", commit.body);
    assert_eq!(table_text(&emu), ["1|keep1|1", "2|newer|20", "3|keep3|3"]);
    emu.shutdown().await;
}

#[tokio::test]
async fn merge_commit_partial_update_keeps_unnamed_columns() {
    let emu = table_with_three_rows().await;
    let mut h = MERGE.to_vec();
    h.extend([("columns", "id,score"), ("partial_update", "true")]);
    let r = via_fe(
        &emu,
        "PUT",
        "/api/db/t/_stream_load",
        &h,
        Some(b"1,101\n3,103\n"),
    )
    .await;
    assert_eq!(r.json()["Status"], "Success", "{}", r.body);
    assert_eq!(
        table_text(&emu),
        ["1|keep1|101", "2|keep2|2", "3|keep3|103"]
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn merge_commit_applies_merge_condition() {
    let emu = table_with_three_rows().await;
    let mut h = MERGE.to_vec();
    h.push(("merge_condition", "score"));
    let body = b"1,older,0\n2,newer,20\n";
    let r = via_fe(&emu, "PUT", "/api/db/t/_stream_load", &h, Some(body)).await;
    assert_eq!(r.json()["Status"], "Success", "{}", r.body);
    assert_eq!(table_text(&emu), ["1|keep1|1", "2|newer|20", "3|keep3|3"]);
    emu.shutdown().await;
}

/// `partial_update_mode: column` (StarRocks' column-mode partial update, `COLUMN_UPSERT_MODE`)
/// writes the same rows as row mode: named columns of existing rows change, the others keep
/// their values, and a new key is inserted with the rest NULL.
#[tokio::test]
async fn column_mode_partial_update_upserts_like_row_mode() {
    for mode in ["column", "row"] {
        let emu = table_with_three_rows().await;
        let h = [
            ("column_separator", ","),
            ("columns", "id,score"),
            ("partial_update", "true"),
            ("partial_update_mode", mode),
        ];
        let body = b"1,101\n4,104\n";
        let r = via_fe(&emu, "PUT", "/api/db/t/_stream_load", &h, Some(body)).await;
        assert_eq!(r.json()["Status"], "Success", "{mode}: {}", r.body);
        assert_eq!(
            table_text(&emu),
            ["1|keep1|101", "2|keep2|2", "3|keep3|3", "4|NULL|104"],
            "{mode}"
        );
        emu.shutdown().await;
    }
}
