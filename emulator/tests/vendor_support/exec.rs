//! Runs one vendor script against a running emulator and compares every checked statement with
//! its recorded result, the way the vendors' testers compare them.
//!
//! * `shell:` — the curl line is sent; the record holds curl's exit code, then either the
//!   `jq` output or a JSON object whose keys (only those) must equal the response's.
//! * SQL — sent over the MySQL port; rows compare as tab-separated text, in order when the
//!   query orders them, as a multiset otherwise. NULL is `None` in StarRocks records (the
//!   tester is Python) and `\N` in Doris `.out` files, whose DATETIME is Java's
//!   `LocalDateTime` text (`2023-07-21T06:00`) and whole FLOAT / DOUBLE values keep `.0`.
//! * `function: wait_db_transaction_finish` and `select sleep(n)` wait until the database has
//!   no running transaction (merge-commit windows closed) rather than for the full time.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mysql_async::prelude::*;
use streamload_emulator::EmulatorHandle;

use super::curl;
use super::script::{Case, Kind, Statement, Step, split_sql};

/// The outcome of one case.
#[derive(Debug)]
pub struct CaseOutcome {
    pub statements: usize,
    /// One line per statement that disagreed.
    pub mismatches: Vec<String>,
}

/// Per-script state: substitutions, the MySQL session.
pub struct Runner<'a> {
    pub emu: &'a EmulatorHandle,
    pub doris: bool,
    pub data_dir: PathBuf,
    pub vars: HashMap<String, String>,
    pub conn: mysql_async::Conn,
}

impl Runner<'_> {
    fn subst(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (k, v) in &self.vars {
            out = out.replace(&format!("${{{k}}}"), v);
        }
        out
    }

    /// Runs every step of `case`.
    pub async fn run_case(&mut self, case: &Case) -> CaseOutcome {
        let mut outcome = CaseOutcome {
            statements: 0,
            mismatches: Vec::new(),
        };
        for step in &case.steps {
            match step {
                Step::One(stmt) => {
                    let actual = self.run(stmt).await;
                    self.check(stmt, actual, &mut outcome);
                }
                Step::Concurrent(stmts) => {
                    // Shell statements run at once (merge-commit windows fill up as on the
                    // vendor's tester); nothing else appears inside these groups.
                    let cmds: Vec<_> = stmts
                        .iter()
                        .map(|s| curl::parse(&self.subst(&s.text), &self.data_dir))
                        .collect();
                    let runs = cmds.iter().map(|c| async move {
                        match c {
                            Ok(c) => format!("0\n{}", curl::run(c).await),
                            Err(e) => format!("runner: {e}"),
                        }
                    });
                    let results = futures::future::join_all(runs).await;
                    for (stmt, actual) in stmts.iter().zip(results) {
                        self.check(stmt, actual, &mut outcome);
                    }
                }
            }
        }
        outcome
    }

    fn check(&mut self, stmt: &Statement, actual: String, outcome: &mut CaseOutcome) {
        outcome.statements += stmt.count();
        for (key, name) in &stmt.saves {
            let body = actual.split_once('\n').map(|(_, b)| b).unwrap_or("");
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(body)
                && let Some(v) = json.get(key)
            {
                let v = v.as_str().map(str::to_string).unwrap_or(v.to_string());
                self.vars.insert(name.clone(), v);
            }
        }
        if stmt.unchecked {
            return;
        }
        if let Err(why) = compare(stmt, &actual) {
            let head: String = stmt
                .text
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(110)
                .collect();
            outcome.mismatches.push(format!("`{head}`: {why}"));
        }
    }

    async fn run(&mut self, stmt: &Statement) -> String {
        let text = self.subst(&stmt.text);
        match stmt.kind {
            Kind::Shell => match curl::parse(&text, &self.data_dir) {
                Ok(c) => format!("0\n{}", curl::run(&c).await),
                Err(e) => format!("runner: {e}"),
            },
            Kind::Function => {
                if let Some(args) = text.strip_prefix("wait_db_transaction_finish(") {
                    let db = args.split('"').nth(1).unwrap_or_default().to_string();
                    self.wait_idle(&db, Duration::from_secs(60)).await;
                    "None".into()
                } else {
                    format!("runner: unsupported function {text}")
                }
            }
            Kind::Sql => {
                let mut lines = Vec::new();
                for sql in split_sql(&text) {
                    lines.extend(self.sql(&sql).await);
                }
                lines.join("\n")
            }
        }
    }

    async fn sql(&mut self, sql: &str) -> Vec<String> {
        let lower = sql.to_ascii_lowercase();
        if lower == "sync" {
            return Vec::new();
        }
        if let Some(secs) = lower
            .strip_prefix("select sleep(")
            .and_then(|r| r.trim_end_matches(')').parse::<u64>().ok())
        {
            let db: Option<String> = self
                .conn
                .query_first("SELECT DATABASE()")
                .await
                .ok()
                .flatten();
            self.wait_idle(&db.unwrap_or_default(), Duration::from_secs(secs))
                .await;
            return vec!["1".into()];
        }
        match self.conn.query_iter(sql).await {
            Ok(mut result) => {
                let rows: Vec<mysql_async::Row> = result.collect().await.unwrap_or_default();
                rows.into_iter().map(|r| self.render(r)).collect()
            }
            Err(mysql_async::Error::Server(e)) => vec![format!("E: ({}, '{}')", e.code, e.message)],
            Err(e) => vec![format!("E: {e}")],
        }
    }

    fn render(&self, row: mysql_async::Row) -> String {
        let columns = row.columns();
        let values = row.unwrap();
        let cells: Vec<String> = values
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                // The regression framework prints FLOAT / DOUBLE through Java's
                // `Double.toString`: a whole number keeps `.0`.
                mysql_async::Value::Bytes(b)
                    if self.doris
                        && columns.get(i).is_some_and(|c| {
                            matches!(
                                c.column_type(),
                                mysql_async::consts::ColumnType::MYSQL_TYPE_DOUBLE
                                    | mysql_async::consts::ColumnType::MYSQL_TYPE_FLOAT
                            )
                        })
                        && b.iter().all(|c| c.is_ascii_digit() || *c == b'-') =>
                {
                    format!("{}.0", String::from_utf8_lossy(&b))
                }
                // BOOLEAN comes as TINYINT(1), which the framework's JDBC reads as a Boolean (the
                // emulator sends TINY for BOOLEAN columns only).
                mysql_async::Value::Bytes(b)
                    if self.doris
                        && columns.get(i).is_some_and(|c| {
                            c.column_type() == mysql_async::consts::ColumnType::MYSQL_TYPE_TINY
                        })
                        && (b == b"0" || b == b"1") =>
                {
                    (if b == b"1" { "true" } else { "false" }).into()
                }
                mysql_async::Value::NULL if self.doris => "\\N".into(),
                mysql_async::Value::NULL => "None".into(),
                mysql_async::Value::Bytes(b) => {
                    let s = String::from_utf8_lossy(&b).into_owned();
                    if self.doris { java_datetime(&s) } else { s }
                }
                mysql_async::Value::Int(i) => i.to_string(),
                mysql_async::Value::UInt(u) => u.to_string(),
                mysql_async::Value::Float(f) => f.to_string(),
                mysql_async::Value::Double(f) => f.to_string(),
                other => other.as_sql(true).trim_matches('\'').to_string(),
            })
            .collect();
        cells.join("\t")
    }

    /// Waits until `db` has had no running transaction for a moment, or `max` passed.
    async fn wait_idle(&self, db: &str, max: Duration) {
        let start = Instant::now();
        let mut quiet = 0;
        while start.elapsed() < max && quiet < 2 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if self.emu.engine().running_txns(db).is_empty() {
                quiet += 1;
            } else {
                quiet = 0;
            }
        }
    }
}

/// `2023-07-21 06:00:00` as Java's `LocalDateTime::toString` prints it (`2023-07-21T06:00`).
fn java_datetime(s: &str) -> String {
    let shape = "dddd-dd-dd dd:dd:dd";
    let fits = s.len() >= 16
        && s.bytes().zip(shape.bytes()).all(|(c, p)| match p {
            b'd' => c.is_ascii_digit(),
            _ => c == p,
        })
        && (s.len() <= 19
            || (s.as_bytes()[19] == b'.' && s[20..].bytes().all(|c| c.is_ascii_digit())));
    if !fits || (s.len() > 16 && s.len() < 19) {
        return s.to_string();
    }
    let (date, time) = s.split_at(10);
    let time = &time[1..];
    let (hm, rest) = time.split_at(5);
    let secs = rest.trim_start_matches(':');
    let (sec, frac) = secs.split_once('.').unwrap_or((secs, ""));
    let frac = frac.trim_end_matches('0');
    if (sec.is_empty() || sec == "00") && frac.is_empty() {
        format!("{date}T{hm}")
    } else if frac.is_empty() {
        format!("{date}T{hm}:{sec}")
    } else {
        format!("{date}T{hm}:{sec}.{frac}")
    }
}

/// Compares a statement's actual output with its record.
fn compare(stmt: &Statement, actual: &str) -> Result<(), String> {
    let mut expected: Vec<&str> = stmt.expected.iter().map(String::as_str).collect();
    while expected.last().is_some_and(|l| l.trim().is_empty()) {
        expected.pop();
    }
    match stmt.kind {
        Kind::Shell => {
            let (code, body) = actual.split_once('\n').unwrap_or((actual, ""));
            let want_code = expected.first().copied().unwrap_or("0");
            if code != want_code {
                return Err(format!("exit {code} ({body}), recorded {want_code}"));
            }
            let want = expected.get(1..).unwrap_or_default().join("\n");
            let want = want.trim();
            if want.is_empty() {
                return Ok(());
            }
            if want.starts_with('{') {
                let want: serde_json::Value =
                    serde_json::from_str(want).map_err(|e| format!("record not JSON: {e}"))?;
                let got: serde_json::Value = serde_json::from_str(body)
                    .map_err(|_| format!("answer not JSON: {}", body.trim()))?;
                let mut diffs = Vec::new();
                for (k, v) in want.as_object().into_iter().flatten() {
                    if got.get(k) != Some(v) {
                        diffs.push(format!(
                            "{k}: got {}, recorded {v}",
                            got.get(k).map_or("nothing".into(), |g| g.to_string())
                        ));
                    }
                }
                if diffs.is_empty() {
                    Ok(())
                } else {
                    Err(format!("{} (message {})", diffs.join("; "), got["Message"]))
                }
            } else if body.trim() == want {
                Ok(())
            } else {
                Err(format!("got {:?}, recorded {want:?}", body.trim()))
            }
        }
        // The tester records a function's `None` return as `None` or, in some versions, as
        // nothing.
        Kind::Function if expected.is_empty() && actual.trim() == "None" => Ok(()),
        Kind::Function | Kind::Sql => {
            let mut got: Vec<&str> = actual.lines().collect();
            if expected.first().is_some_and(|l| l.starts_with("E:")) {
                return match got.first() {
                    Some(g) if g.starts_with("E:") => Ok(()),
                    _ => Err(format!("no error, recorded {}", expected[0])),
                };
            }
            if got
                .first()
                .is_some_and(|g| g.starts_with("E:") || g.starts_with("runner:"))
            {
                return Err(got.join(" "));
            }
            let mut want = expected.clone();
            if !stmt.text.to_ascii_lowercase().contains("order by") {
                got.sort_unstable();
                want.sort_unstable();
            }
            if got == want {
                Ok(())
            } else {
                Err(format!("rows {got:?}, recorded {want:?}"))
            }
        }
    }
}
