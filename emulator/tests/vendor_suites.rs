//! The emulator judged by the vendors' own recorded regression suites.
//!
//! `tests/vendor_suites/starrocks/` holds scripts ported from StarRocks'
//! `test/sql/test_stream_load/R/` (the SQL tester's recorded results), `tests/vendor_suites/doris/`
//! cases ported from Doris' `regression-test/suites/load_p0/stream_load/*.groovy` with the rows
//! of their `.out` files; each file names its source repository, path and commit. They are data:
//! this runner is our own reader of them (see `vendor_support::script`).
//!
//! Every script runs against one in-process emulator per vendor, over HTTP (the curl lines) and
//! the MySQL port (the SQL), scripts concurrently. The test prints `vendor suites: N/M cases
//! match` and a line per mismatch, and fails when fewer than `MIN_MATCH_PERCENT` of the in-scope cases match
//! or when a case fails that `known_mismatches.txt` does not list (each entry there carries its
//! reason). Cases for features the emulator leaves out are marked `-- out-of-scope:` in the
//! scripts and suite files not ported at all are listed in `not_ported.txt`, both with reasons.

mod http_support;
mod vendor_support;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use streamload_emulator::engine::Flavor;
use streamload_emulator::version::ServerVersion;
use streamload_emulator::{Emulator, EmulatorConfig, EmulatorHandle};
use vendor_support::exec::Runner;
use vendor_support::script;

/// The share of in-scope cases that must match (each known mismatch needs a reason in
/// `known_mismatches.txt`).
const MIN_MATCH_PERCENT: usize = 95;

fn suites_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vendor_suites")
}

/// Script files of one vendor (data files sit next to them and have an extension).
fn scripts(vendor: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(suites_dir().join(vendor))
        .expect("suite folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_none_or(|e| e == "test"))
        .collect();
    files.sort();
    files
}

/// `known_mismatches.txt`: `vendor/script::case | reason` lines.
fn known_mismatches() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(suites_dir().join("known_mismatches.txt")).expect("list");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, reason) = l.split_once('|').expect("`id | reason`");
            (id.trim().to_string(), reason.trim().to_string())
        })
        .collect()
}

#[derive(Debug, Default)]
struct Tally {
    cases: usize,
    matched: usize,
    out_of_scope: usize,
    statements: usize,
    failures: Vec<(String, Vec<String>)>,
}

async fn run_script(
    emu: Arc<EmulatorHandle>,
    vendor: &'static str,
    path: PathBuf,
    n: usize,
) -> Tally {
    let id = format!(
        "{vendor}/{}",
        path.file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
    );
    let text = std::fs::read_to_string(&path).expect("script");
    let cases = script::parse(&text).unwrap_or_else(|e| panic!("{id}: {e}"));
    let mysql = format!("{}?prefer_socket=false", emu.mysql_url());
    let conn = mysql_async::Conn::new(mysql_async::Opts::from_url(&mysql).expect("url"))
        .await
        .expect("mysql connects");
    let mut runner = Runner {
        emu: &emu,
        doris: vendor == "doris",
        data_dir: path.parent().expect("folder").to_path_buf(),
        vars: HashMap::from([
            ("url".to_string(), emu.fe_url()),
            (
                "uuid0".to_string(),
                format!("{n:04}{:08x}", std::process::id()),
            ),
        ]),
        conn,
    };
    let mut tally = Tally::default();
    for case in &cases {
        if case.out_of_scope.is_some() {
            tally.out_of_scope += 1;
            continue;
        }
        let outcome = runner.run_case(case).await;
        tally.cases += 1;
        tally.statements += outcome.statements;
        if outcome.mismatches.is_empty() {
            tally.matched += 1;
        } else {
            tally
                .failures
                .push((format!("{id}::{}", case.name), outcome.mismatches));
        }
    }
    tally
}

async fn run_vendor(flavor: Flavor, vendor: &'static str) -> Tally {
    let mut config = EmulatorConfig::new(flavor);
    if flavor == Flavor::StarRocks {
        // The R files are recorded on StarRocks' main line (4.x): multi-table transactions
        // exist there.
        config.version = Some(ServerVersion::new(4, 0, 0));
    }
    let emu = Arc::new(Emulator::start(config).await.expect("emulator"));
    let tasks: Vec<_> = scripts(vendor)
        .into_iter()
        .enumerate()
        .map(|(n, p)| tokio::spawn(run_script(Arc::clone(&emu), vendor, p, n)))
        .collect();
    let mut total = Tally::default();
    for t in tasks {
        let t = t.await.expect("script task");
        total.cases += t.cases;
        total.matched += t.matched;
        total.out_of_scope += t.out_of_scope;
        total.statements += t.statements;
        total.failures.extend(t.failures);
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendor_suites_match() {
    let (sr, doris) = tokio::join!(
        run_vendor(Flavor::StarRocks, "starrocks"),
        run_vendor(Flavor::Doris, "doris")
    );
    let not_ported = std::fs::read_to_string(suites_dir().join("not_ported.txt")).expect("list");
    let not_ported = not_ported
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('|'))
        .count();
    let cases = sr.cases + doris.cases;
    let matched = sr.matched + doris.matched;
    println!("vendor suites: {matched}/{cases} cases match");
    println!(
        "  starrocks: {}/{} cases ({} statements), doris: {}/{} cases ({} statements); \
         out of scope: {} cases marked, {} suite files not ported",
        sr.matched,
        sr.cases,
        sr.statements,
        doris.matched,
        doris.cases,
        doris.statements,
        sr.out_of_scope + doris.out_of_scope,
        not_ported
    );
    let known = known_mismatches();
    let mut regressed = Vec::new();
    let mut failed = Vec::new();
    for (id, lines) in sr.failures.iter().chain(&doris.failures) {
        failed.push(id.clone());
        let tag = match known.get(id) {
            Some(_) => "known",
            None => {
                regressed.push(id.clone());
                "NEW"
            }
        };
        println!("mismatch ({tag}) {id}: {}", lines.join(" | "));
    }
    for id in known.keys().filter(|k| !failed.contains(k)) {
        println!("note: {id} matches now; drop it from known_mismatches.txt");
    }
    assert!(
        regressed.is_empty(),
        "cases not in known_mismatches.txt fail: {regressed:?}"
    );
    assert!(
        matched * 100 >= cases * MIN_MATCH_PERCENT,
        "only {matched}/{cases} in-scope vendor cases match ({MIN_MATCH_PERCENT}% needed)"
    );
}
