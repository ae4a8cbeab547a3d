//! Crash safety at named points inside a commit: the binary runs on a data dir with a crash
//! point armed, aborts there (as a SIGKILL at that instant would), and is restarted on the same
//! data dir. It must start, report the right label state, let the client's re-commit apply the
//! rows exactly once, and keep earlier committed rows exactly once.

mod crash_support;

use crash_support::{Committed, Emu, create_table, csv_rows, data_dir, key_counts, open};
use streamload_emulator::engine::Flavor;
use streamload_emulator::engine::TxnState;
use streamload_emulator::engine::crash_point::{
    COMMIT_AFTER_APPLY, COMMIT_AFTER_PERSIST, COMMIT_MID_APPLY,
};

/// Rows of the transaction cut by the crash: enough (about 3 MB) that SQLite spills pages to
/// the table file before the commit, so a journal that is not on disk cannot undo them.
const BIG: i64 = 40_000;

/// Commits a small baseline load, then crashes on the second commit at `point` and checks the
/// restart. `expected` is the state the cut transaction must have after the restart.
fn crash_on_commit(flavor: Flavor, point: &str, expected: &str) {
    let dir = data_dir(&format!("{flavor:?}-{}", point.replace(':', "-")));
    create_table(flavor, &dir);
    let emu = Emu::start(flavor, &dir, Some(&format!("{point}@2")));
    let c = emu.client();
    let base = c.precommit("base", &csv_rows(0, 10, 8)).unwrap();
    assert_eq!(c.commit("base", base).unwrap(), Committed::Now);
    let id = c.precommit("big", &csv_rows(1000, BIG, 64)).unwrap();
    assert!(
        c.commit("big", id).is_err(),
        "the commit request dies with the server"
    );
    emu.expect_crash();

    let emu = Emu::start(flavor, &dir, None);
    let c = emu.client();
    assert_eq!(c.label_state("base").unwrap(), "VISIBLE");
    assert_eq!(
        c.label_state("big").unwrap(),
        expected,
        "after a crash at {point}"
    );
    let again = c.commit("big", id).unwrap();
    let want = if expected == "VISIBLE" {
        Committed::Already
    } else {
        Committed::Now
    };
    assert_eq!(
        again, want,
        "the client's re-commit after a crash at {point}"
    );
    assert_eq!(c.label_state("big").unwrap(), "VISIBLE");
    emu.kill();

    let engine = open(flavor, &dir);
    let counts = key_counts(&engine);
    let dupes: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).take(5).collect();
    assert!(
        dupes.is_empty(),
        "rows applied twice after {point}: {dupes:?}"
    );
    assert_eq!(
        counts.len() as i64,
        10 + BIG,
        "every row once after {point}"
    );
    assert_eq!(
        engine.txn_by_label("db", "big").map(|t| t.state),
        Some(TxnState::Visible)
    );
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn doris_crash_in_the_middle_of_applying_rows_keeps_the_txn_precommitted() {
    crash_on_commit(Flavor::Doris, COMMIT_MID_APPLY, "PRECOMMITTED");
}

#[test]
fn doris_crash_between_applying_and_persisting_applies_rows_once() {
    crash_on_commit(Flavor::Doris, COMMIT_AFTER_APPLY, "VISIBLE");
}

#[test]
fn doris_crash_after_persisting_keeps_the_commit() {
    crash_on_commit(Flavor::Doris, COMMIT_AFTER_PERSIST, "VISIBLE");
}

#[test]
fn starrocks_crash_in_the_middle_of_applying_rows_keeps_the_txn_prepared() {
    crash_on_commit(Flavor::StarRocks, COMMIT_MID_APPLY, "PRECOMMITTED");
}

#[test]
fn starrocks_crash_between_applying_and_persisting_applies_rows_once() {
    crash_on_commit(Flavor::StarRocks, COMMIT_AFTER_APPLY, "VISIBLE");
}

#[test]
fn starrocks_crash_after_persisting_keeps_the_commit() {
    crash_on_commit(Flavor::StarRocks, COMMIT_AFTER_PERSIST, "VISIBLE");
}

/// A plain (one-shot) load is PREPARE until its commit: a crash after its rows were applied
/// must not leave the label ABORTED with the rows present (a client would load them again).
#[test]
fn doris_crash_after_applying_a_plain_load_keeps_its_label_visible() {
    let flavor = Flavor::Doris;
    let dir = data_dir("doris-plain-after-apply");
    create_table(flavor, &dir);
    let emu = Emu::start(flavor, &dir, Some(COMMIT_AFTER_APPLY));
    let c = emu.client();
    assert!(c.load("plain", &csv_rows(0, 100, 8)).is_err());
    emu.expect_crash();

    let emu = Emu::start(flavor, &dir, None);
    let c = emu.client();
    assert_eq!(c.label_state("plain").unwrap(), "VISIBLE");
    emu.kill();
    let engine = open(flavor, &dir);
    let counts = key_counts(&engine);
    assert_eq!(counts.len(), 100);
    assert!(counts.values().all(|n| *n == 1));
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}
