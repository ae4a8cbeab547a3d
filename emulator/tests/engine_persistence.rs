//! With a data dir, committed rows, the catalog, labels and PRECOMMITTED transactions (with
//! their staged rows) survive a reopen; PREPARE transactions are aborted by the restart.

use std::time::Duration;

use streamload_emulator::engine::{
    BeginError, BeginRequest, Engine, EngineConfig, Flavor, RowOp, StagedRow, TxnState, Value,
    WriteMode,
};

fn config(dir: &std::path::Path) -> EngineConfig {
    let mut c = EngineConfig::new(Flavor::Doris);
    c.data_dir = Some(dir.to_path_buf());
    c
}

fn req(label: &str) -> BeginRequest {
    BeginRequest {
        db: "shop".into(),
        table: "orders".into(),
        label: label.into(),
        timeout: Duration::from_secs(600),
        coordinator_be: 0,
        write: WriteMode::default(),
    }
}

fn row(k: i128, v: &str) -> StagedRow {
    StagedRow {
        op: RowOp::Upsert,
        values: vec![Some(Value::Int(k)), Some(Value::Text(v.into()))],
    }
}

#[test]
fn data_labels_and_precommitted_txns_survive_reopen() {
    let dir = std::env::temp_dir().join(format!(
        "streamload-emulator-persist-{}-{}",
        std::process::id(),
        Engine::open(EngineConfig::new(Flavor::Doris))
            .expect("e")
            .now_ms()
    ));
    let (committed, precommitted, open) = {
        let e = Engine::open(config(&dir)).expect("open");
        e.create_database("shop").expect("db");
        e.execute_ddl("CREATE TABLE shop.orders (id BIGINT, note VARCHAR(20)) UNIQUE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1")
            .expect("ddl");
        let a = e.begin(req("a")).expect("a");
        e.stage(a.id, vec![row(1, "one")]).expect("stage");
        e.commit(a.id).expect("commit");
        let b = e.begin(req("b")).expect("b");
        e.stage(b.id, vec![row(2, "two"), row(3, "three")])
            .expect("stage");
        e.precommit(b.id).expect("precommit");
        let c = e.begin(req("c")).expect("c");
        e.stage(c.id, vec![row(4, "four")]).expect("stage");
        (a.id, b.id, c.id)
    };
    let e = Engine::open(config(&dir)).expect("reopen");
    assert!(e.table("shop", "orders").is_some());
    let count = |e: &Engine| {
        e.query(None, "SELECT count(*) FROM shop.orders")
            .expect("q")
            .rows[0][0]
            .clone()
    };
    assert_eq!(count(&e), Value::Int(1));
    assert_eq!(
        e.begin(req("a")),
        Err(BeginError::LabelAlreadyExists {
            txn_id: committed,
            state: TxnState::Visible
        })
    );
    assert_eq!(
        e.txn("shop", precommitted).expect("b").state,
        TxnState::Precommitted
    );
    assert_eq!(e.txn("shop", open).expect("c").state, TxnState::Aborted);
    e.commit(precommitted).expect("commit after restart");
    assert_eq!(count(&e), Value::Int(3));
    let next = e.begin(req("d")).expect("d");
    assert!(next.id > open, "ids keep increasing across restarts");
    drop(e);
    let _ = std::fs::remove_dir_all(&dir);
}
