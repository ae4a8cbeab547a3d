//! One mode's scenario: an emulator child behind two fault proxies, the seeded plan of writer
//! runs against it, a check of the table after every run, and a last clean run to the end of
//! the source followed by the final check.
//!
//! A failure is recorded with the mode, the run, the writer's last step and the error text, and
//! the scenario goes on where it can: one report lists every failure of a suite run. A writer
//! that gives up while only the proxy disturbed it is a failure (after each dropped answer or
//! reset the proxy lets [`GAP`] requests through, which a client with a few retries survives); a
//! writer that gives up while the emulator was down is not.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::time::Instant;

use crate::Mode;
use crate::chaos::args::WriterArgs;
use crate::chaos::check::{Expectation, check_table};
use crate::chaos::plan::{Disruption, plan};
use crate::chaos::process::{EmulatorProcess, RunExit, WaitStep, WriterProcess};
use crate::chaos::proxy::{FaultPlan, FaultSchedule, Proxy, ProxyCounts};
use crate::chaos::source::StoredState;
use crate::modes::Endpoints;

/// Requests let through after a dropped answer or a reset.
pub const GAP: u32 = 8;
/// The longest a writer run may take.
const RUN_DEADLINE: Duration = Duration::from_secs(60);
/// Clean runs tried at the end before the scenario counts as stuck.
const FINAL_ATTEMPTS: u32 = 2;

/// The sizes and seed of a scenario.
#[derive(Debug, Clone)]
pub struct ScenarioConfig {
    /// The seed of the plan and of the proxies' schedules.
    pub seed: u64,
    /// Rows per checkpoint or flush.
    pub batch: u64,
    /// Rows in the source.
    pub rows: u64,
    /// Checkpoints or flushes per disrupted run at most.
    pub batches_per_run: u64,
    /// Writer SIGKILLs in the plan.
    pub writer_kills: u32,
    /// Emulator SIGKILLs in the plan.
    pub server_kills: u32,
    /// Runs with proxy faults only.
    pub faults_only: u32,
    /// The proxies' fault rates while a disrupted run goes on.
    pub faults: FaultPlan,
}

/// The binaries a scenario runs.
#[derive(Debug, Clone)]
pub struct Programs {
    /// `chaos_writer`.
    pub writer: PathBuf,
    /// `chaos_emulator`.
    pub emulator: PathBuf,
}

/// What one or more scenarios did.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Writer runs.
    pub runs: u64,
    /// Writers killed with SIGKILL.
    pub writer_kills: u64,
    /// Writers that aborted themselves after a step.
    pub writer_aborts: u64,
    /// Emulators killed with SIGKILL (and restarted).
    pub server_kills: u64,
    /// What the proxies did.
    pub proxy: ProxyCounts,
    /// Scenarios run.
    pub scenarios: u64,
    /// Table checks.
    pub checks: u64,
    /// Checks that found exactly offsets `0..k`, each once.
    pub exact: u64,
    /// Every failure, one line each.
    pub failures: Vec<String>,
}

impl Tally {
    /// Adds another tally.
    pub fn add(&mut self, other: Tally) {
        self.runs += other.runs;
        self.writer_kills += other.writer_kills;
        self.writer_aborts += other.writer_aborts;
        self.server_kills += other.server_kills;
        self.proxy += other.proxy;
        self.scenarios += other.scenarios;
        self.checks += other.checks;
        self.exact += other.exact;
        self.failures.extend(other.failures);
    }

    /// The one-line summary, `chaos: <vendor> writer_kills=…`.
    pub fn summary(&self, vendor: &str) -> String {
        format!(
            "chaos: {vendor} writer_kills={} writer_aborts={} server_kills={} dropped_answers={} delays={} resets={} requests={} runs={} scenarios={} checks={} exact={} failures={}",
            self.writer_kills,
            self.writer_aborts,
            self.server_kills,
            self.proxy.dropped_answers,
            self.proxy.delays,
            self.proxy.resets,
            self.proxy.requests,
            self.runs,
            self.scenarios,
            self.checks,
            self.exact,
            self.failures.len()
        )
    }
}

struct Scenario<'a> {
    mode: Mode,
    config: &'a ScenarioConfig,
    programs: &'a Programs,
    state: PathBuf,
    emulator: EmulatorProcess,
    schedule: FaultSchedule,
    fe_proxy: Proxy,
    be_proxy: Proxy,
    endpoints: Endpoints,
    tally: Tally,
    /// A check failed already: later mid-scenario checks would repeat it.
    table_broken: bool,
}

/// Runs `mode`'s scenario in `workdir`.
pub async fn run_mode(
    mode: Mode,
    config: &ScenarioConfig,
    programs: &Programs,
    workdir: &Path,
) -> Tally {
    let mut scenario = match Scenario::start(mode, config, programs, workdir).await {
        Ok(scenario) => scenario,
        Err(e) => {
            return Tally {
                failures: vec![format!("{}: setup: {e}", mode.name())],
                ..Tally::default()
            };
        }
    };
    let mut rng = StdRng::seed_from_u64(config.seed);
    let runs = plan(
        mode,
        config.writer_kills,
        config.server_kills,
        config.faults_only,
        &mut rng,
    );
    for (index, disruption) in runs.iter().enumerate() {
        if let Err(fatal) = scenario.disrupted_run(index, disruption).await {
            scenario.fail(format!(
                "run {index} ({disruption:?}): {fatal}; scenario stopped"
            ));
            return scenario.finish();
        }
    }
    scenario.final_runs(runs.len()).await;
    scenario.finish()
}

impl<'a> Scenario<'a> {
    async fn start(
        mode: Mode,
        config: &'a ScenarioConfig,
        programs: &'a Programs,
        workdir: &Path,
    ) -> Result<Scenario<'a>, String> {
        let dir = workdir.join(mode.name());
        let data = dir.join("data");
        std::fs::create_dir_all(&data).map_err(|e| format!("work directory: {e}"))?;
        let flavor = if mode.name().starts_with("doris") {
            "doris"
        } else {
            "starrocks"
        };
        let emulator = EmulatorProcess::start(&programs.emulator, flavor, &data).await?;
        let ports = emulator.ports();
        let schedule = FaultSchedule::new(config.seed ^ 0xfa17);
        let fe_proxy = Proxy::start(ports.fe, &schedule)
            .await
            .map_err(|e| format!("FE proxy: {e}"))?;
        let be_proxy = Proxy::start(ports.be, &schedule)
            .await
            .map_err(|e| format!("BE proxy: {e}"))?;
        fe_proxy.rewrite_location(ports.be, be_proxy.addr());
        let endpoints = Endpoints {
            fe_url: format!("http://{}", fe_proxy.addr()),
            mysql_addr: ports.mysql.to_string(),
            user: "root".to_owned(),
            password: String::new(),
        };
        crate::sql::execute(&endpoints, "CREATE DATABASE IF NOT EXISTS test")
            .await
            .map_err(|e| format!("create database: {e}"))?;
        let props = if flavor == "doris" {
            "\"replication_allocation\" = \"tag.location.default: 1\""
        } else {
            "\"replication_num\" = \"1\""
        };
        let ddl = format!(
            "CREATE TABLE test.{} (`id` BIGINT, `payload` VARCHAR(64)) DUPLICATE KEY(`id`) DISTRIBUTED BY HASH(`id`) BUCKETS 1 PROPERTIES ({props})",
            table_name(mode)
        );
        crate::sql::execute(&endpoints, &ddl)
            .await
            .map_err(|e| format!("create table: {e}"))?;
        Ok(Scenario {
            mode,
            config,
            programs,
            state: dir.join("state.json"),
            emulator,
            schedule,
            fe_proxy,
            be_proxy,
            endpoints,
            tally: Tally {
                scenarios: 1,
                ..Tally::default()
            },
            table_broken: false,
        })
    }

    fn fail(&mut self, what: String) {
        self.tally
            .failures
            .push(format!("{}: {what}", self.mode.name()));
    }

    fn writer_args(&self, max_batches: u64, abort_after: Option<String>) -> WriterArgs {
        WriterArgs {
            mode: self.mode.name().to_owned(),
            fe: self.endpoints.fe_url.clone(),
            mysql: self.endpoints.mysql_addr.clone(),
            table: table_name(self.mode),
            state: self.state.clone(),
            rows: self.config.rows,
            batch: self.config.batch,
            max_batches,
            prefix: format!("chaos_{}", self.mode.name().replace('-', "_")),
            abort_after,
            declare_tables: false,
        }
    }

    fn set_faults(&self, on: bool) {
        self.schedule.set_plan(on.then_some(self.config.faults));
    }

    async fn kill_server(&mut self, downtime: Duration) -> Result<(), String> {
        self.emulator.kill().await;
        self.tally.server_kills += 1;
        tokio::time::sleep(downtime).await;
        self.emulator
            .restart()
            .await
            .map_err(|e| format!("the emulator did not restart: {e}"))
    }

    /// One disrupted run; an error stops the scenario (the emulator is gone).
    async fn disrupted_run(&mut self, index: usize, disruption: &Disruption) -> Result<(), String> {
        let abort_after = match disruption {
            Disruption::AbortAfterStep { step, nth } => Some(format!("{step}:{nth}")),
            _ => None,
        };
        let args = self.writer_args(self.config.batches_per_run, abort_after);
        self.set_faults(true);
        let mut writer = WriterProcess::spawn(&self.programs.writer, &args.to_args())?;
        self.tally.runs += 1;
        let deadline = Instant::now() + RUN_DEADLINE;
        let mut server_down = false;
        match disruption {
            Disruption::KillAfterStep { step, nth } => {
                if writer.wait_step(step, *nth, deadline).await == WaitStep::Seen {
                    writer.kill();
                    self.tally.writer_kills += 1;
                }
            }
            Disruption::KillAfterDelay(delay) => {
                let never = writer.wait_step("never", 1, deadline);
                if tokio::time::timeout(*delay, never).await.is_err() {
                    writer.kill();
                    self.tally.writer_kills += 1;
                }
            }
            Disruption::KillServerAtStep {
                step,
                nth,
                restart_after,
            } => {
                if writer.wait_step(step, *nth, deadline).await == WaitStep::Seen {
                    server_down = true;
                    self.kill_server(*restart_after).await?;
                }
            }
            Disruption::AbortAfterStep { .. }
            | Disruption::KillServerAfterRun
            | Disruption::FaultsOnly => {}
        }
        let (exit, last_step) = writer.finish(deadline).await;
        self.set_faults(false);
        if std::env::var_os("CHAOS_VERBOSE").is_some() {
            eprintln!(
                "chaos: {} run {index} ({disruption:?}): {exit:?} after step `{last_step}`, proxies {:?} {:?}",
                self.mode.name(),
                self.fe_proxy.counts(),
                self.be_proxy.counts()
            );
        }
        match exit {
            RunExit::Aborted => self.tally.writer_aborts += 1,
            RunExit::Failed(error) if !server_down => {
                self.fail(format!("run {index} ({disruption:?}): the writer gave up under proxy faults after step `{last_step}`: {error}"));
            }
            RunExit::Wedged => {
                self.fail(format!(
                    "run {index} ({disruption:?}): the writer hung after step `{last_step}`"
                ));
            }
            RunExit::Finished | RunExit::Killed | RunExit::Failed(_) => {}
        }
        if *disruption == Disruption::KillServerAfterRun {
            self.kill_server(Duration::from_millis(50)).await?;
        }
        self.check(&format!("after run {index} ({disruption:?})"), false)
            .await;
        Ok(())
    }

    /// Clean runs to the end of the source, then the final check.
    async fn final_runs(&mut self, first_index: usize) {
        for attempt in 0..FINAL_ATTEMPTS {
            let index = first_index + attempt as usize;
            let args = self.writer_args(0, None);
            let writer = match WriterProcess::spawn(&self.programs.writer, &args.to_args()) {
                Ok(writer) => writer,
                Err(e) => return self.fail(e),
            };
            self.tally.runs += 1;
            let (exit, last_step) = writer.finish(Instant::now() + RUN_DEADLINE).await;
            match exit {
                RunExit::Finished => {
                    self.check("at the end", true).await;
                    return;
                }
                other => self.fail(format!(
                    "run {index} (clean, to the end): {other:?} after step `{last_step}`"
                )),
            }
        }
        self.check("at the end, unfinished", false).await;
    }

    async fn check(&mut self, when: &str, at_end: bool) {
        let stored = match StoredState::load(&self.state) {
            Ok(state) => state.next_offset,
            Err(e) => return self.fail(format!("state file {when}: {e}")),
        };
        if at_end && stored != self.config.rows {
            return self.fail(format!(
                "{when}: stored offset {stored}, not {}",
                self.config.rows
            ));
        }
        let expectation = Expectation::of(self.mode);
        let batch = if at_end { 0 } else { self.config.batch };
        self.tally.checks += 1;
        match check_table(
            &self.endpoints,
            &table_name(self.mode),
            expectation,
            stored,
            batch,
        )
        .await
        {
            Ok(found) => self.tally.exact += u64::from(found.exact),
            Err(e) if !self.table_broken || at_end => {
                self.table_broken = true;
                self.fail(format!("check {when}: {e}"));
            }
            Err(_) => {}
        }
    }

    fn finish(mut self) -> Tally {
        self.tally.proxy = self.fe_proxy.counts();
        self.tally.proxy += self.be_proxy.counts();
        self.tally
    }
}

fn table_name(mode: Mode) -> String {
    format!("chaos_{}", mode.name().replace('-', "_"))
}
