//! The vendor-suite script format, read as data.
//!
//! It is the StarRocks SQL-tester "R" format (statements each followed by a `-- result:` …
//! `-- !result` block holding the recorded answer), used for the Doris cases too so one reader
//! serves both: a Doris `streamLoad { … }` block is written as the `curl` line the regression
//! framework sends, its `check` assertions as the JSON keys they test, and a `qt_*` query with
//! the rows from the suite's `.out` file. Our own additions are comment lines the vendors'
//! tester would ignore:
//!
//! * `-- source: …` / `-- data: …` — where the case comes from (repository, path, commit);
//! * `-- out-of-scope: reason` — inside a case: not run, counted apart, with the reason;
//! * `-- save: KEY as NAME` — before a `shell:` statement: keep the response's `KEY` as
//!   `${NAME}` for later statements (Doris 2PC needs the `TxnId` of an earlier load).

/// One `-- name:` block.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub out_of_scope: Option<String>,
    pub steps: Vec<Step>,
}

/// A statement, or a group of statements the vendor's tester runs at once.
#[derive(Debug, Clone)]
pub enum Step {
    One(Statement),
    Concurrent(Vec<Statement>),
}

/// One statement and its recorded result.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The text after `shell:` / `function:`, or the SQL.
    pub text: String,
    pub kind: Kind,
    /// `[UC]`: run, result not compared.
    pub unchecked: bool,
    /// The recorded result lines (between `-- result:` and `-- !result`).
    pub expected: Vec<String>,
    /// `-- save:` directives (response key, variable name).
    pub saves: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Shell,
    Function,
    Sql,
}

impl Statement {
    /// How many statements this counts as (a multi-statement SQL block counts each).
    pub fn count(&self) -> usize {
        match self.kind {
            Kind::Sql => split_sql(&self.text).len().max(1),
            _ => 1,
        }
    }
}

/// Splits a SQL block into statements at `;` that end a line.
pub fn split_sql(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        cur.push_str(line);
        cur.push('\n');
        if line.trim_end().ends_with(';') {
            let s = cur.trim().trim_end_matches(';').trim().to_string();
            if !s.is_empty() {
                out.push(s);
            }
            cur.clear();
        }
    }
    let s = cur.trim().trim_end_matches(';').trim().to_string();
    if !s.is_empty() {
        out.push(s);
    }
    out
}

/// Parses a whole script.
pub fn parse(text: &str) -> Result<Vec<Case>, String> {
    let mut cases: Vec<Case> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let mut saves: Vec<(String, String)> = Vec::new();
    let mut group: Option<Vec<Statement>> = None;
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("-- name:") {
            let name = rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
            cases.push(Case {
                name,
                out_of_scope: None,
                steps: Vec::new(),
            });
            continue;
        }
        if let Some(reason) = trimmed.strip_prefix("-- out-of-scope:") {
            let case = cases.last_mut().ok_or(format!("line {}: no case", n + 1))?;
            case.out_of_scope = Some(reason.trim().to_string());
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("-- save:") {
            let (key, name) = rest
                .split_once(" as ")
                .ok_or(format!("line {}: `-- save: KEY as NAME`", n + 1))?;
            saves.push((key.trim().to_string(), name.trim().to_string()));
            continue;
        }
        if trimmed == "CONCURRENCY {" {
            group = Some(Vec::new());
            continue;
        }
        if trimmed == "} END CONCURRENCY" {
            let stmts = group.take().ok_or(format!("line {}: no group", n + 1))?;
            let case = cases.last_mut().ok_or(format!("line {}: no case", n + 1))?;
            case.steps.push(Step::Concurrent(stmts));
            continue;
        }
        if trimmed == "-- result:" {
            let mut expected = Vec::new();
            loop {
                let (_, l) = lines
                    .next()
                    .ok_or(format!("line {}: unterminated result", n + 1))?;
                if l.trim() == "-- !result" {
                    break;
                }
                expected.push(l.to_string());
            }
            let stmt = statement(
                std::mem::take(&mut pending),
                expected,
                std::mem::take(&mut saves),
            )
            .ok_or(format!("line {}: result without a statement", n + 1))?;
            match group.as_mut() {
                Some(g) => g.push(stmt),
                None => {
                    let case = cases.last_mut().ok_or(format!("line {}: no case", n + 1))?;
                    case.steps.push(Step::One(stmt));
                }
            }
            continue;
        }
        if trimmed.starts_with("--") || (trimmed.is_empty() && pending.is_empty()) {
            continue;
        }
        pending.push(line.to_string());
    }
    Ok(cases)
}

fn statement(
    lines: Vec<String>,
    expected: Vec<String>,
    saves: Vec<(String, String)>,
) -> Option<Statement> {
    let text = lines.join("\n");
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let (unchecked, text) = match text.strip_prefix("[UC]") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (kind, text) = if let Some(rest) = text.strip_prefix("shell:") {
        (Kind::Shell, rest.trim())
    } else if let Some(rest) = text.strip_prefix("function:") {
        (Kind::Function, rest.trim())
    } else {
        (Kind::Sql, text)
    };
    Some(Statement {
        text: text.to_string(),
        kind,
        unchecked,
        expected,
        saves,
    })
}
