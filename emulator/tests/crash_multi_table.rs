//! Crash safety of a StarRocks multi-table transaction (`transaction_type: multi`, played as
//! StarRocks 4.0): the binary is aborted at a named point inside the commit that applies two
//! tables, restarted on the same data dir, and both tables must hold the transaction's rows
//! together, exactly once, or neither — never one table without the other.

mod crash_support;

use crash_support::{Committed, Emu, Reply, csv_rows, data_dir, open, via};
use streamload_emulator::engine::crash_point::{
    COMMIT_AFTER_APPLY, COMMIT_AFTER_PERSIST, COMMIT_BETWEEN_TABLES, COMMIT_MID_APPLY,
};
use streamload_emulator::engine::{Engine, Flavor, Value};

const SR: Flavor = Flavor::StarRocks;
const PLAY_4_0: &[&str] = &["--version", "4.0"];
/// Rows per table: enough that SQLite writes pages to the file before the commit.
const BIG: i64 = 20_000;

fn create_tables(dir: &std::path::Path) {
    let engine = open(SR, dir);
    engine.create_database("db").unwrap();
    for t in ["t1", "t2"] {
        engine
            .execute_ddl(&format!(
                "CREATE TABLE db.{t} (k INT NOT NULL, v VARCHAR(64)) DUPLICATE KEY(k) \
                 DISTRIBUTED BY HASH(k) BUCKETS 1"
            ))
            .unwrap();
    }
}

fn count(engine: &Engine, table: &str) -> i64 {
    let sql = format!("SELECT count(*), count(DISTINCT k) FROM {table}");
    let r = engine.query(Some("db"), &sql).unwrap();
    match (&r.rows[0][0], &r.rows[0][1]) {
        (Value::Int(n), Value::Int(distinct)) => {
            assert_eq!(n, distinct, "{table}: a row applied twice");
            *n as i64
        }
        other => panic!("unexpected {other:?}"),
    }
}

fn ok(what: &str, r: std::io::Result<Reply>) -> serde_json::Value {
    let r = r.unwrap_or_else(|e| panic!("{what}: {e}"));
    let j = r.json();
    assert_eq!(j["Status"], "OK", "{what}: {}", r.body);
    j
}

/// Begins `label`, loads `BIG` rows into each of t1 and t2, and prepares when asked.
fn stage_two_tables(fe: &str, label: &str, prepare: bool) {
    let multi = [
        ("label", label),
        ("db", "db"),
        ("transaction_type", "multi"),
    ];
    ok(
        "begin",
        via(fe, "POST", "/api/transaction/begin", &multi, &[]),
    );
    for (table, first) in [("t1", 0), ("t2", 100_000)] {
        let mut h = multi.to_vec();
        h.extend([("table", table), ("column_separator", ",")]);
        let body = csv_rows(first, BIG, 32);
        ok("load", via(fe, "PUT", "/api/transaction/load", &h, &body));
    }
    if prepare {
        ok(
            "prepare",
            via(fe, "POST", "/api/transaction/prepare", &multi, &[]),
        );
    }
}

/// Crashes the commit of a prepared two-table transaction at `point`; after the restart the
/// label is `expected`, a re-commit finishes it, and each table holds its rows once.
fn crash_prepared_commit(point: &str, expected: &str) {
    let dir = data_dir(&format!("multi-{}", point.replace(':', "-")));
    create_tables(&dir);
    let emu = Emu::start_with(SR, &dir, Some(point), PLAY_4_0);
    let c = emu.client();
    stage_two_tables(&emu.fe, "multi", true);
    assert!(
        c.commit("multi", 0).is_err(),
        "the commit dies with the server"
    );
    emu.expect_crash();

    let emu = Emu::start_with(SR, &dir, None, PLAY_4_0);
    let c = emu.client();
    assert_eq!(c.label_state("multi").unwrap(), expected, "after {point}");
    let again = c.commit("multi", 0).unwrap();
    let want = if expected == "VISIBLE" {
        Committed::Already
    } else {
        Committed::Now
    };
    assert_eq!(again, want, "the re-commit after {point}");
    emu.kill();

    let engine = open(SR, &dir);
    assert_eq!(count(&engine, "t1"), BIG, "t1 after {point}");
    assert_eq!(count(&engine, "t2"), BIG, "t2 after {point}");
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn crash_between_the_two_tables_keeps_the_txn_prepared_with_neither_table_written() {
    crash_prepared_commit(COMMIT_BETWEEN_TABLES, "PRECOMMITTED");
}

#[test]
fn crash_in_the_middle_of_the_first_table_keeps_the_txn_prepared() {
    crash_prepared_commit(COMMIT_MID_APPLY, "PRECOMMITTED");
}

#[test]
fn crash_after_applying_both_tables_rolls_forward_to_visible() {
    crash_prepared_commit(COMMIT_AFTER_APPLY, "VISIBLE");
}

#[test]
fn crash_after_persisting_keeps_the_commit() {
    crash_prepared_commit(COMMIT_AFTER_PERSIST, "VISIBLE");
}

/// Without `prepare` the rows live only in memory: a crash between the tables loses the whole
/// transaction (ABORTED), and neither table has any of its rows.
#[test]
fn crash_committing_an_unprepared_txn_leaves_neither_table() {
    let dir = data_dir("multi-unprepared");
    create_tables(&dir);
    let emu = Emu::start_with(SR, &dir, Some(COMMIT_BETWEEN_TABLES), PLAY_4_0);
    let c = emu.client();
    stage_two_tables(&emu.fe, "multi", false);
    assert!(c.commit("multi", 0).is_err());
    emu.expect_crash();

    let emu = Emu::start_with(SR, &dir, None, PLAY_4_0);
    let c = emu.client();
    assert_eq!(c.label_state("multi").unwrap(), "ABORTED");
    assert!(
        c.commit("multi", 0).is_err(),
        "an aborted txn does not commit"
    );
    emu.kill();

    let engine = open(SR, &dir);
    assert_eq!((count(&engine, "t1"), count(&engine, "t2")), (0, 0));
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}
