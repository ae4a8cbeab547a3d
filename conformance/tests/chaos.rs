//! The process-level chaos suite: every delivery mode of both vendors, with a fixed seed and
//! fixed counts (not wall time), against an emulator child behind a fault proxy.
//!
//! Per vendor it prints one line, `chaos: <vendor> writer_kills=… server_kills=…
//! dropped_answers=… …`, then every failure (mode, run, last step, error text), and fails when
//! there is any failure or when the counts fall short of the suite's targets: 20 writer
//! SIGKILLs, 5 emulator SIGKILLs and 50 dropped answers per vendor.

use std::path::PathBuf;
use std::time::Duration;

use streamload_conformance::Mode;
use streamload_conformance::chaos::proxy::FaultPlan;
use streamload_conformance::chaos::scenario::{GAP, Programs, ScenarioConfig, Tally, run_mode};

const SEED: u64 = 0x5eed_c4a0_5000;

fn programs() -> Programs {
    Programs {
        writer: PathBuf::from(env!("CARGO_BIN_EXE_chaos_writer")),
        emulator: PathBuf::from(env!("CARGO_BIN_EXE_chaos_emulator")),
    }
}

fn config(seed: u64, modes: u32) -> ScenarioConfig {
    ScenarioConfig {
        seed,
        batch: 8,
        rows: 8 * 80,
        // Each vendor's runs together load about the same number of batches (Doris a few more:
        // its loads take fewer requests, and the dropped-answer target needs a margin).
        batches_per_run: u64::from(15 / modes),
        writer_kills: 22_u32.div_ceil(modes),
        server_kills: 2,
        faults_only: 3,
        faults: FaultPlan {
            drop_answer: 0.45,
            delay: 0.15,
            reset: 0.1,
            max_delay: Duration::from_millis(300),
            gap: GAP,
        },
    }
}

async fn run_vendor(vendor: &str, modes: &[Mode]) {
    let workdir = tempfile::tempdir().expect("a temporary directory");
    let programs = programs();
    let mut tally = Tally::default();
    for (index, mode) in modes.iter().enumerate() {
        let seed = SEED ^ (index as u64) << 8;
        let modes = u32::try_from(modes.len()).unwrap_or(1);
        tally.add(run_mode(*mode, &config(seed, modes), &programs, workdir.path()).await);
    }
    println!("{}", tally.summary(vendor));
    let mut problems = tally.failures.clone();
    let targets = [
        ("writer_kills", tally.writer_kills, 20),
        ("server_kills", tally.server_kills, 5),
        ("dropped_answers", tally.proxy.dropped_answers, 50),
    ];
    for (name, got, want) in targets {
        if got < want {
            problems.push(format!(
                "{vendor}: {name}={got}, the suite's target is {want}"
            ));
        }
    }
    for problem in &problems {
        println!("chaos failure: {problem}");
    }
    assert!(
        problems.is_empty(),
        "{} chaos failures for {vendor} (listed above)",
        problems.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_doris_every_mode_survives_kills_and_lost_answers() {
    run_vendor(
        "doris",
        &[Mode::Doris2pc, Mode::DorisBatch, Mode::DorisGroupCommit],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_starrocks_every_mode_survives_kills_and_lost_answers() {
    run_vendor(
        "starrocks",
        &[
            Mode::StarRocksV2,
            Mode::StarRocksV2AtLeastOnce,
            Mode::StarRocksV1,
            Mode::StarRocksMergeCommit,
        ],
    )
    .await;
}
