//! Real SIGKILLs at seeded random moments while a client loops over 2PC loads (Doris
//! `two_phase_commit`, StarRocks V2 begin / load / prepare / commit): after every restart on the
//! same data dir, each acknowledged commit is VISIBLE, each acknowledged precommit can still be
//! committed (exactly once), and in the end every VISIBLE label's rows are present exactly once
//! and no other label's rows are present at all.

mod crash_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crash_support::{Client, Emu, create_table, csv_rows, data_dir, key_counts, open, state_in};
use streamload_emulator::engine::{Flavor, TxnState};

/// Kills per flavor (30 in all), from a fixed seed.
const KILLS: usize = 15;
/// Keys per label: label `n` owns keys `n * SPAN ..`.
const SPAN: i64 = 10_000;

/// xorshift64*: small, deterministic.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

#[derive(Debug, Default)]
struct Label {
    rows: i64,
    txn_id: Option<i64>,
    committed: bool,
}

/// What the client knows: label number -> what the server acknowledged.
type Known = Arc<Mutex<BTreeMap<i64, Label>>>;

/// Loads and commits labels `first..` until a request fails (the server was killed).
fn drive(c: Client, known: Known, first: i64, sizes: Vec<i64>) {
    for (n, rows) in (first..).zip(sizes) {
        let label = format!("l{n}");
        known.lock().unwrap().insert(
            n,
            Label {
                rows,
                ..Label::default()
            },
        );
        let Ok(id) = c.precommit(&label, &csv_rows(n * SPAN, rows, 16)) else {
            return;
        };
        known.lock().unwrap().get_mut(&n).unwrap().txn_id = Some(id);
        if c.commit(&label, id).is_err() {
            return;
        }
        known.lock().unwrap().get_mut(&n).unwrap().committed = true;
    }
}

fn kill_loop(flavor: Flavor, seed: u64) {
    let dir = data_dir(&format!("sigkill-{flavor:?}"));
    create_table(flavor, &dir);
    let mut rng = Rng(seed);
    let known: Known = Arc::default();
    let mut next = 0;
    for round in 0..KILLS {
        let emu = Emu::start(flavor, &dir, None);
        let c = emu.client();
        // Recovery: what was acknowledged survived the kill.
        for (n, l) in known.lock().unwrap().iter_mut() {
            let label = format!("l{n}");
            let state = c.label_state(&label).unwrap();
            if l.committed {
                assert_eq!(
                    state, "VISIBLE",
                    "round {round}: acknowledged commit of {label}"
                );
            } else if let Some(id) = l.txn_id {
                assert!(
                    state == "PRECOMMITTED" || state == "VISIBLE",
                    "round {round}: acknowledged precommit of {label} is {state}"
                );
                c.commit(&label, id)
                    .unwrap_or_else(|e| panic!("round {round}: re-commit of {label}: {e}"));
                l.committed = true;
            }
        }
        let sizes: Vec<i64> = (0..1000).map(|_| 1 + rng.below(3000) as i64).collect();
        let driver = {
            let (c, known) = (c.clone(), Arc::clone(&known));
            std::thread::spawn(move || drive(c, known, next, sizes))
        };
        std::thread::sleep(Duration::from_millis(30 + rng.below(400)));
        emu.kill();
        driver.join().unwrap();
        next = known.lock().unwrap().keys().last().map_or(0, |n| n + 1);
    }

    let engine = open(flavor, &dir);
    let counts = key_counts(&engine);
    let dupes: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).take(5).collect();
    assert!(dupes.is_empty(), "rows applied twice: {dupes:?}");
    let mut visible = 0;
    for (n, l) in known.lock().unwrap().iter() {
        let label = format!("l{n}");
        let state = state_in(&engine, &label);
        let present = (n * SPAN..n * SPAN + l.rows)
            .filter(|k| counts.contains_key(k))
            .count() as i64;
        if l.committed {
            assert_eq!(state, Some(TxnState::Visible), "{label}");
        }
        if l.txn_id.is_some() {
            assert!(
                matches!(state, Some(TxnState::Visible | TxnState::Precommitted)),
                "{label} was precommitted, now {state:?}"
            );
        }
        if state == Some(TxnState::Visible) {
            visible += 1;
            assert_eq!(present, l.rows, "{label} is VISIBLE: all its rows, once");
        } else {
            assert_eq!(present, 0, "{label} is {state:?}: none of its rows");
        }
    }
    assert!(
        visible > KILLS,
        "the loop committed work ({visible} labels)"
    );
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn doris_2pc_survives_sigkill_at_random_moments() {
    kill_loop(Flavor::Doris, 0x5eed_d0e1_5000_0001);
}

#[test]
fn starrocks_v2_survives_sigkill_at_random_moments() {
    kill_loop(Flavor::StarRocks, 0x5eed_57a2_0000_0002);
}
