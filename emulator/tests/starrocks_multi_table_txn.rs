//! StarRocks multi-table transactions (`transaction_type: multi`, StarRocks 4.0): one label over
//! several tables, committed or rolled back together, with the answers StarRocks' recorded
//! suites `test_multi_statement_txn` and `test_stream_load_multi_table_rollback` show; and the
//! version gate (3.5 ignores the header).

mod http_support;

use http_support::{authority, basic, ddl, request, rows, via_fe};
use serde_json::Value as Json;
use streamload_emulator::engine::{Flavor, TxnState};
use streamload_emulator::version::ServerVersion;
use streamload_emulator::{Emulator, EmulatorConfig, EmulatorHandle};

async fn playing(version: &str) -> EmulatorHandle {
    let mut config = EmulatorConfig::new(Flavor::StarRocks);
    config.version = Some(ServerVersion::parse(Flavor::StarRocks, version).unwrap());
    let emu = Emulator::start(config).await.unwrap();
    emu.engine().create_database("db").unwrap();
    for t in ["t1", "t2"] {
        ddl(
            &emu,
            &format!(
                "CREATE TABLE db.{t} (id INT NOT NULL, name VARCHAR(16)) DUPLICATE KEY(id) \
                 DISTRIBUTED BY HASH(id) BUCKETS 1"
            ),
        );
    }
    emu
}

/// One transaction operation through the FE (a 307 is followed, as curl --location-trusted).
async fn op(emu: &EmulatorHandle, op: &str, label: &str, extra: &[(&str, &str)]) -> Json {
    let mut h = vec![
        ("label", label),
        ("db", "db"),
        ("transaction_type", "multi"),
    ];
    h.extend_from_slice(extra);
    let method = if op == "load" { "PUT" } else { "POST" };
    via_fe(emu, method, &format!("/api/transaction/{op}"), &h, None)
        .await
        .json()
}

async fn load(emu: &EmulatorHandle, label: &str, table: &str, csv: &str) -> Json {
    let h = [
        ("label", label),
        ("db", "db"),
        ("table", table),
        ("transaction_type", "multi"),
        ("column_separator", ","),
    ];
    via_fe(
        emu,
        "PUT",
        "/api/transaction/load",
        &h,
        Some(csv.as_bytes()),
    )
    .await
    .json()
}

fn sorted(emu: &EmulatorHandle, table: &str) -> Vec<String> {
    rows(emu, &format!("SELECT id, name FROM {table} ORDER BY id"))
}

#[tokio::test]
async fn two_tables_prepare_and_commit_become_visible_together() {
    let emu = playing("4.0").await;
    let begin = op(&emu, "begin", "two", &[]).await;
    assert_eq!(begin, serde_json::json!({"Status": "OK", "Message": ""}));
    let a = load(&emu, "two", "t1", "1,alice\n2,bob\n").await;
    assert_eq!(a["Status"], "OK", "{a}");
    assert_eq!(a["LoadBytes"], 14);
    let b = load(&emu, "two", "t2", "10,carol\n").await;
    let c = load(&emu, "two", "t1", "3,dave\n").await;
    assert_eq!(
        (b["Status"].clone(), c["Status"].clone()),
        ("OK".into(), "OK".into())
    );
    assert_eq!(a["TxnId"], b["TxnId"], "one transaction for both tables");
    assert!(sorted(&emu, "t1").is_empty() && sorted(&emu, "t2").is_empty());

    // Prepare needs no header naming the transaction type: the label's transaction says it.
    let h = [("label", "two"), ("db", "db")];
    let prepared = via_fe(&emu, "POST", "/api/transaction/prepare", &h, None)
        .await
        .json();
    assert_eq!(prepared["Status"], "OK", "{prepared}");
    assert_eq!(prepared["TxnId"], a["TxnId"]);
    let txn = emu.engine().txn_by_label("db", "two").unwrap();
    assert_eq!(
        (txn.state, txn.table.as_str()),
        (TxnState::Precommitted, "t1,t2")
    );
    let late = load(&emu, "two", "t2", "11,eve\n").await;
    assert_eq!(late["Status"], "FAILED", "no load after prepare: {late}");
    assert!(sorted(&emu, "t1").is_empty(), "prepared is not visible");

    let commit = op(&emu, "commit", "two", &[]).await;
    assert_eq!(commit["Status"], "OK", "{commit}");
    assert_eq!(commit["TxnId"], a["TxnId"]);
    assert_eq!(commit["Prepared Channel Num"], 1);
    assert_eq!(sorted(&emu, "t1"), ["1|alice", "2|bob", "3|dave"]);
    assert_eq!(sorted(&emu, "t2"), ["10|carol"]);
    assert_eq!(
        emu.engine().txn_by_label("db", "two").unwrap().state,
        TxnState::Visible
    );
}

#[tokio::test]
async fn rollback_leaves_neither_table_and_keeps_the_label() {
    let emu = playing("4.0").await;
    assert_eq!(op(&emu, "begin", "rb", &[]).await["Status"], "OK");
    assert_eq!(load(&emu, "rb", "t1", "1,alice\n").await["Status"], "OK");
    assert_eq!(load(&emu, "rb", "t2", "2,bob\n").await["Status"], "OK");
    let rollback = op(&emu, "rollback", "rb", &[]).await;
    assert_eq!(rollback["Status"], "OK", "{rollback}");
    assert!(sorted(&emu, "t1").is_empty() && sorted(&emu, "t2").is_empty());
    // As recorded: rollback again OK, then load and commit FAILED, and the label stays taken.
    assert_eq!(op(&emu, "rollback", "rb", &[]).await["Status"], "OK");
    assert_eq!(
        load(&emu, "rb", "t1", "3,carol\n").await["Status"],
        "FAILED"
    );
    let commit = op(&emu, "commit", "rb", &[]).await;
    assert_eq!(commit["Status"], "FAILED", "{commit}");
    assert!(commit["Message"].as_str().unwrap().contains("CANCELLED"));
    let again = op(&emu, "begin", "rb", &[("table", "t1")]).await;
    assert_eq!(again["Status"], "LABEL_ALREADY_EXISTS", "{again}");
    assert!(sorted(&emu, "t1").is_empty());
}

#[tokio::test]
async fn commit_twice_is_ok_and_what_follows_a_commit_fails_as_recorded() {
    let emu = playing("4.0").await;
    assert_eq!(
        op(&emu, "begin", "c", &[("table", "t1")]).await["Status"],
        "OK"
    );
    assert_eq!(load(&emu, "c", "t1", "1,alice\n").await["Status"], "OK");
    assert_eq!(op(&emu, "commit", "c", &[]).await["Status"], "OK");
    let twice = op(&emu, "commit", "c", &[]).await;
    assert_eq!(twice["Status"], "OK");
    assert!(
        twice["Message"]
            .as_str()
            .unwrap()
            .contains("already committed")
    );
    assert_eq!(load(&emu, "c", "t1", "2,bob\n").await["Status"], "FAILED");
    let rollback = op(&emu, "rollback", "c", &[]).await;
    assert_eq!(rollback["Status"], "FAILED");
    assert!(
        rollback["Message"]
            .as_str()
            .unwrap()
            .contains("Can not abort VISIBLE")
    );
    assert_eq!(sorted(&emu, "t1"), ["1|alice"]);
    let begin = op(&emu, "begin", "c", &[("table", "t1")]).await;
    assert_eq!(begin["Status"], "LABEL_ALREADY_EXISTS");
    assert_eq!(begin["ExistingJobStatus"], "COMMITED");
}

#[tokio::test]
async fn edge_cases_answer_as_recorded() {
    let emu = playing("4.0").await;
    // Nothing begun under the label.
    assert_eq!(load(&emu, "none", "t1", "1,a\n").await["Status"], "FAILED");
    assert_eq!(op(&emu, "commit", "none", &[]).await["Status"], "FAILED");
    assert_eq!(op(&emu, "rollback", "none", &[]).await["Status"], "FAILED");
    // Empty commit and empty rollback.
    assert_eq!(op(&emu, "begin", "empty_c", &[]).await["Status"], "OK");
    assert_eq!(op(&emu, "commit", "empty_c", &[]).await["Status"], "OK");
    assert_eq!(op(&emu, "begin", "empty_r", &[]).await["Status"], "OK");
    assert_eq!(op(&emu, "rollback", "empty_r", &[]).await["Status"], "OK");
    // Double begin.
    assert_eq!(op(&emu, "begin", "double", &[]).await["Status"], "OK");
    let second = op(&emu, "begin", "double", &[]).await;
    assert_eq!(second["Status"], "LABEL_ALREADY_EXISTS", "{second}");
    assert_eq!(second["ExistingJobStatus"], "BEGIN");
    assert_eq!(op(&emu, "rollback", "double", &[]).await["Status"], "OK");
    assert!(sorted(&emu, "t1").is_empty());
}

#[tokio::test]
async fn a_load_into_a_table_not_in_the_database_rolls_everything_back() {
    let emu = playing("4.0").await;
    assert_eq!(op(&emu, "begin", "bad", &[]).await["Status"], "OK");
    assert_eq!(load(&emu, "bad", "t1", "1,alice\n").await["Status"], "OK");
    let missing = load(&emu, "bad", "nope", "2,bob\n").await;
    assert_eq!(missing["Status"], "FAILED");
    assert_eq!(missing["Message"], "Failed to find table nope in db db");
    let txn = emu.engine().txn_by_label("db", "bad").unwrap();
    assert_eq!(txn.state, TxnState::Aborted);
    assert_eq!(op(&emu, "commit", "bad", &[]).await["Status"], "FAILED");
    assert!(sorted(&emu, "t1").is_empty());
}

#[tokio::test]
async fn a_load_over_the_filter_ratio_aborts_the_whole_transaction() {
    let emu = playing("4.0").await;
    assert_eq!(op(&emu, "begin", "ratio", &[]).await["Status"], "OK");
    assert_eq!(load(&emu, "ratio", "t1", "1,alice\n").await["Status"], "OK");
    let bad = load(&emu, "ratio", "t2", "x,bob\n").await;
    assert_eq!(bad["Status"], "INTERNAL_ERROR", "{bad}");
    assert!(bad["ErrorURL"].as_str().is_some());
    assert_eq!(op(&emu, "commit", "ratio", &[]).await["Status"], "FAILED");
    assert!(sorted(&emu, "t1").is_empty() && sorted(&emu, "t2").is_empty());
}

/// The FE plans each table's load before it sends it on: a load that does not plan (here its
/// `columns` leave out the NOT NULL `id`) is the FE's `FAILED`, without a redirect, and rolls
/// the transaction back.
#[tokio::test]
async fn a_load_that_does_not_plan_is_refused_by_the_fe() {
    let emu = playing("4.0").await;
    assert_eq!(op(&emu, "begin", "plan", &[]).await["Status"], "OK");
    assert_eq!(load(&emu, "plan", "t2", "1,alice\n").await["Status"], "OK");
    let h = [
        ("label", "plan"),
        ("db", "db"),
        ("table", "t1"),
        ("transaction_type", "multi"),
        ("columns", "name"),
    ];
    let r = via_fe(&emu, "PUT", "/api/transaction/load", &h, Some(b"alice\n")).await;
    assert_eq!(r.status, 200, "answered by the FE, not redirected");
    assert_eq!(r.json()["Status"], "FAILED", "{}", r.body);
    let txn = emu.engine().txn_by_label("db", "plan").unwrap();
    assert_eq!(txn.state, TxnState::Aborted);
    assert!(sorted(&emu, "t2").is_empty());
}

/// A BE refuses to begin (or finish) a multi-table transaction: only the FE keeps them
/// (StarRocks' `test_be_reject_transaction_type`).
#[tokio::test]
async fn a_be_refuses_to_begin_a_multi_table_transaction() {
    let emu = playing("4.0").await;
    let be = authority(&emu.be_urls()[0]);
    let auth = basic("root", "");
    let h = [
        ("Authorization", auth.as_str()),
        ("label", "on_be"),
        ("db", "db"),
        ("table", "t1"),
        ("transaction_type", "multi"),
    ];
    let r = request(&be, "POST", "/api/transaction/begin", &h, None).await;
    assert_eq!(r.json()["Status"], "INVALID_ARGUMENT", "{}", r.body);
    assert_eq!(
        r.json()["Message"],
        "Multi-statement transaction requests can only be sent to FE nodes, not BE nodes"
    );
    assert!(emu.engine().txn_by_label("db", "on_be").is_none());
}

/// A transaction past its `timeout` (StarRocks' test_multi_txn_timeout waits it out) is gone:
/// a load and the commit fail, and nothing is loaded.
#[tokio::test]
async fn a_transaction_past_its_timeout_is_aborted() {
    let emu = playing("4.0").await;
    assert_eq!(
        op(&emu, "begin", "slow", &[("timeout", "5")]).await["Status"],
        "OK"
    );
    assert_eq!(load(&emu, "slow", "t1", "1,alice\n").await["Status"], "OK");
    emu.engine()
        .advance_clock(std::time::Duration::from_secs(8));
    assert_eq!(
        load(&emu, "slow", "t2", "2,bob\n").await["Status"],
        "FAILED"
    );
    assert_eq!(op(&emu, "commit", "slow", &[]).await["Status"], "FAILED");
    assert!(sorted(&emu, "t1").is_empty() && sorted(&emu, "t2").is_empty());
}

/// `test_multi_statement_txn` names the transaction type with `source_type: 12` instead.
#[tokio::test]
async fn source_type_12_is_a_multi_table_transaction_too() {
    let emu = playing("4.0").await;
    let h = |table: &'static str| {
        vec![
            ("label", "st"),
            ("db", "db"),
            ("table", table),
            ("source_type", "12"),
            ("format", "json"),
        ]
    };
    let begin = via_fe(&emu, "POST", "/api/transaction/begin", &h("t1")[..4], None).await;
    assert_eq!(begin.json()["Status"], "OK");
    for (table, body) in [("t1", r#"{"id":"1"}"#), ("t2", r#"{"id":"2"}"#)] {
        let r = via_fe(
            &emu,
            "PUT",
            "/api/transaction/load",
            &h(table),
            Some(body.as_bytes()),
        )
        .await;
        assert_eq!(r.json()["Status"], "OK", "{}", r.body);
        assert_eq!(r.json()["LoadBytes"], 10);
    }
    let commit = via_fe(&emu, "POST", "/api/transaction/commit", &h("t1")[..4], None).await;
    assert_eq!(commit.json()["Status"], "OK", "{}", commit.body);
    assert_eq!(sorted(&emu, "t1"), ["1|NULL"]);
    assert_eq!(sorted(&emu, "t2"), ["2|NULL"]);
}

/// Before 4.0 the header is unknown and ignored: the begin is a one-table transaction, whose
/// loads may not name another table.
#[tokio::test]
async fn before_4_0_the_header_is_ignored() {
    let emu = playing("3.5").await;
    let begin = op(&emu, "begin", "old", &[("table", "t1")]).await;
    assert_eq!(begin["Status"], "OK");
    assert!(
        begin["TxnId"].is_i64(),
        "a one-table begin answers its TxnId: {begin}"
    );
    let other = load(&emu, "old", "t2", "1,alice\n").await;
    assert_eq!(other["Status"], "INVALID_ARGUMENT", "{other}");
    let no_table = op(&emu, "begin", "old2", &[]).await;
    assert_ne!(
        no_table["Status"], "OK",
        "a begin without a table: {no_table}"
    );
}
