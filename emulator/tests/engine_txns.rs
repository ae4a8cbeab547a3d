//! Engine tests: transaction states, label rules, timeouts on the virtual clock, the
//! running-transaction limit, and invisibility of uncommitted data.

use std::time::Duration;

use streamload_emulator::engine::{
    BeginError, BeginRequest, Engine, EngineConfig, Flavor, RowOp, StagedRow, TxnError, TxnState,
    Value, WriteMode,
};

fn engine(config: EngineConfig) -> Engine {
    let e = Engine::open(config).expect("open");
    e.create_database("db1").expect("db");
    e.execute_ddl(
        "CREATE TABLE db1.t (k INT, v INT) UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
    )
    .expect("ddl");
    e
}

fn req(label: &str) -> BeginRequest {
    BeginRequest {
        db: "db1".into(),
        table: "t".into(),
        label: label.into(),
        timeout: Duration::from_secs(100),
        coordinator_be: 1,
        write: WriteMode::default(),
    }
}

fn row(k: i128) -> StagedRow {
    StagedRow {
        op: RowOp::Upsert,
        values: vec![Some(Value::Int(k)), Some(Value::Int(k * 10))],
    }
}

fn count(e: &Engine) -> Value {
    e.query(None, "SELECT count(*) FROM db1.t").expect("q").rows[0][0].clone()
}

#[test]
fn label_is_refused_until_abort_and_reusable_after() {
    let e = engine(EngineConfig::new(Flavor::Doris));
    let t1 = e.begin(req("L")).expect("begin");
    assert_eq!(t1.state, TxnState::Prepare);
    assert_eq!(
        e.begin(req("L")),
        Err(BeginError::LabelAlreadyExists {
            txn_id: t1.id,
            state: TxnState::Prepare
        })
    );
    e.abort(t1.id, "sender is gone").expect("abort");
    let t2 = e.begin(req("L")).expect("reuse after abort");
    assert!(t2.id > t1.id);
    e.stage(t2.id, vec![row(1)]).expect("stage");
    e.commit(t2.id).expect("commit");
    assert_eq!(
        e.begin(req("L")),
        Err(BeginError::LabelAlreadyExists {
            txn_id: t2.id,
            state: TxnState::Visible
        })
    );
    assert_eq!(e.txn_by_label("db1", "L").expect("t").id, t2.id);
    assert_eq!(e.commit(t2.id), Err(TxnError::AlreadyVisible));
    assert_eq!(
        e.abort(t1.id, "again"),
        Err(TxnError::AlreadyAborted {
            reason: "sender is gone".into()
        })
    );
    assert_eq!(e.commit(999_999), Err(TxnError::NotFound));
    // Finished labels expire after label_keep (Doris: 12 h).
    e.advance_clock(Duration::from_secs(12 * 3600 + 1));
    assert!(e.txn_by_label("db1", "L").is_none());
    e.begin(req("L")).expect("expired label is free");
}

#[test]
fn precommitted_rows_are_invisible_until_commit_and_dropped_on_abort() {
    let e = engine(EngineConfig::new(Flavor::Doris));
    let t = e.begin(req("a")).expect("begin");
    e.stage(t.id, vec![row(1), row(2)]).expect("stage");
    let p = e.precommit(t.id).expect("precommit");
    assert_eq!(p.state, TxnState::Precommitted);
    assert_eq!(p.rows_staged, 2);
    assert_eq!(
        e.precommit(t.id).expect("idempotent").state,
        TxnState::Precommitted
    );
    assert_eq!(
        e.stage(t.id, vec![row(3)]),
        Err(TxnError::WrongState(TxnState::Precommitted))
    );
    assert_eq!(count(&e), Value::Int(0));
    e.commit(t.id).expect("commit");
    assert_eq!(count(&e), Value::Int(2));

    let t = e.begin(req("b")).expect("begin");
    e.stage(t.id, vec![row(7)]).expect("stage");
    e.precommit(t.id).expect("precommit");
    e.abort(t.id, "User Abort").expect("abort");
    assert_eq!(count(&e), Value::Int(2));
    assert_eq!(
        e.txn("db1", t.id).expect("t").abort_reason.as_deref(),
        Some("User Abort")
    );
}

#[test]
fn prepare_and_precommit_timeouts_abort_on_the_virtual_clock() {
    let e = engine(EngineConfig::new(Flavor::StarRocks));
    let open = e.begin(req("open")).expect("begin");
    let prepared = e.begin(req("prepared")).expect("begin");
    e.precommit(prepared.id).expect("precommit");
    e.advance_clock(Duration::from_secs(101));
    let o = e.txn("db1", open.id).expect("t");
    assert_eq!(o.state, TxnState::Aborted);
    assert_eq!(o.abort_reason.as_deref(), Some("timeout by txn manager"));
    assert_eq!(
        e.txn("db1", prepared.id).expect("t").state,
        TxnState::Precommitted
    );
    e.advance_clock(Duration::from_secs(86_400));
    assert_eq!(
        e.txn("db1", prepared.id).expect("t").state,
        TxnState::Aborted
    );
    assert!(matches!(
        e.commit(prepared.id),
        Err(TxnError::AlreadyAborted { .. })
    ));
}

#[test]
fn a_transaction_may_carry_its_own_precommit_timeout() {
    let e = engine(EngineConfig::new(Flavor::StarRocks));
    let short = e.begin(req("short")).expect("begin");
    e.precommit_with_timeout(short.id, Duration::from_secs(30))
        .expect("prepare");
    let default = e.begin(req("default")).expect("begin");
    e.precommit(default.id).expect("prepare");
    e.advance_clock(Duration::from_secs(31));
    assert_eq!(e.txn("db1", short.id).expect("t").state, TxnState::Aborted);
    assert_eq!(
        e.txn("db1", default.id).expect("t").state,
        TxnState::Precommitted
    );
}

#[test]
fn running_transactions_are_limited_per_database() {
    let mut config = EngineConfig::new(Flavor::Doris);
    config.max_running_txn_per_db = 2;
    let e = engine(config);
    let a = e.begin(req("a")).expect("a");
    let b = e.begin(req("b")).expect("b");
    e.precommit(b.id).expect("precommitted still counts");
    let db_id = e.database_id("db1").expect("id");
    assert_eq!(
        e.begin(req("c")),
        Err(BeginError::TooManyRunningTxns {
            db_id,
            running: 2,
            limit: 2
        })
    );
    assert_eq!(e.running_txns("db1").len(), 2);
    e.commit(a.id).expect("commit");
    e.begin(req("c")).expect("room again");
    assert_eq!(
        e.begin(BeginRequest {
            db: "nope".into(),
            ..req("x")
        }),
        Err(BeginError::UnknownDatabase)
    );
    assert_eq!(
        e.begin(BeginRequest {
            table: "nope".into(),
            ..req("x")
        }),
        Err(BeginError::UnknownTable)
    );
}

#[test]
fn dropping_a_database_forgets_its_labels() {
    let e = engine(EngineConfig::new(Flavor::Doris));
    let t = e.begin(req("L")).expect("begin");
    e.commit(t.id).expect("commit");
    e.execute_ddl("DROP DATABASE db1").expect("drop");
    assert!(e.txn_any(t.id).is_none());
    e.create_database("db1").expect("db");
    e.execute_ddl("CREATE TABLE db1.t (k INT, v INT) UNIQUE KEY(k)")
        .expect("ddl");
    e.begin(req("L"))
        .expect("the label is free in the new database");
}
