//! The seeded plan of one mode's writer runs: which disruption each run meets.
//!
//! A plan is a list fixed by the seed before anything runs, so a failing run can be replayed by
//! its index. It kills the writer right after every protocol step of its mode and at random
//! moments, lets it abort itself after random steps, kills the emulator while a commit is in
//! flight and between runs, and leaves some runs to the proxy's faults alone. Every run but the
//! last meets proxy faults; the last runs clean to the end of the source.

use std::time::Duration;

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use streamload_core::Delivery;

use crate::Mode;

/// What happens to one writer run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disruption {
    /// SIGKILL the writer right after its `nth` `step` line.
    KillAfterStep {
        /// The step.
        step: &'static str,
        /// Which occurrence in the run (from 1).
        nth: u32,
    },
    /// SIGKILL the writer this long after it started.
    KillAfterDelay(Duration),
    /// The writer aborts itself right after its `nth` `step` line.
    AbortAfterStep {
        /// The step.
        step: &'static str,
        /// Which occurrence in the run (from 1).
        nth: u32,
    },
    /// SIGKILL the emulator right after the writer's `nth` `step` line; restart it after
    /// `restart_after`.
    KillServerAtStep {
        /// The step.
        step: &'static str,
        /// Which occurrence in the run (from 1).
        nth: u32,
        /// Downtime.
        restart_after: Duration,
    },
    /// SIGKILL the emulator after the run and restart it.
    KillServerAfterRun,
    /// Only the proxy's faults.
    FaultsOnly,
}

/// The steps a mode's writer prints, in order.
pub fn steps(mode: Mode) -> &'static [&'static str] {
    if mode.delivery() == Delivery::Checkpointed {
        &[
            "recovered",
            "written",
            "prepared",
            "stored",
            "committing",
            "committed",
        ]
    } else {
        &["started", "written", "flushing", "flushed", "stored"]
    }
}

/// The step during which the server commits.
fn commit_step(mode: Mode) -> &'static str {
    if mode.delivery() == Delivery::Checkpointed {
        "committing"
    } else {
        "flushing"
    }
}

/// The runs of one mode: at least `writer_kills` SIGKILLs of the writer and `server_kills`
/// of the emulator (half of them while a commit is in flight), two aborts and `faults_only`
/// runs with faults alone, in a seeded order. Exactly-once modes start with a kill right after
/// the very first `prepare`.
pub fn plan(
    mode: Mode,
    writer_kills: u32,
    server_kills: u32,
    faults_only: u32,
    rng: &mut StdRng,
) -> Vec<Disruption> {
    let steps = steps(mode);
    let nth = |rng: &mut StdRng, step: &str| {
        if matches!(step, "recovered" | "started") {
            1
        } else {
            rng.random_range(1..=2)
        }
    };
    let mut runs = Vec::new();
    for step in steps.iter().copied().cycle().take(writer_kills as usize) {
        if runs.len() < steps.len() {
            let n = nth(rng, step);
            runs.push(Disruption::KillAfterStep { step, nth: n });
        } else {
            runs.push(Disruption::KillAfterDelay(Duration::from_millis(
                rng.random_range(50..900),
            )));
        }
    }
    for _ in 0..2 {
        let step = steps[rng.random_range(0..steps.len())];
        let n = nth(rng, step);
        runs.push(Disruption::AbortAfterStep { step, nth: n });
    }
    for k in 0..server_kills {
        let restart_after = Duration::from_millis(rng.random_range(100..700));
        runs.push(match k % 3 {
            0 | 1 => Disruption::KillServerAtStep {
                step: if k % 3 == 0 {
                    commit_step(mode)
                } else {
                    steps[rng.random_range(1..steps.len())]
                },
                nth: rng.random_range(1..=2),
                restart_after,
            },
            _ => Disruption::KillServerAfterRun,
        });
    }
    runs.extend((0..faults_only).map(|_| Disruption::FaultsOnly));
    runs.shuffle(rng);
    if mode.delivery() == Delivery::Checkpointed {
        runs.insert(
            0,
            Disruption::KillAfterStep {
                step: "prepared",
                nth: 1,
            },
        );
    }
    runs
}
