//! The quickstart: the Doris connector's quick start, done with this library on both vendors.
//!
//! The connector's manual creates `test.student` (two rows) and `test.student_trans`, then runs
//! `INSERT INTO StudentTrans SELECT id, concat('prefix_', name), age + 1 FROM Student` through
//! Flink with exactly-once delivery. Here the same rows go through `Sink` in checkpointed mode
//! (prepare → store the checkpoint → commit) and are read back through the MySQL port. It is a
//! library function so a test can run exactly what the `quickstart` binary runs.

use serde::Serialize;
use streamload_core::{Delivery, Op, Result, SinkConfig, Table};

use crate::endpoint::{Endpoint, Vendor};
use crate::sinks::AnySink;
use crate::sql::{SqlClient, TextResult};

/// One student, as `test.student_trans` stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Student {
    /// Key.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Age.
    pub age: i32,
}

/// What one vendor's run did.
#[derive(Debug, Clone)]
pub struct QuickstartOutcome {
    /// The vendor.
    pub vendor: Vendor,
    /// Where the rows went (for people).
    pub target: String,
    /// The labels of the prepared (precommitted) loads.
    pub prepared_labels: Vec<String>,
    /// Rows of `test.student_trans` visible after `prepare`, before `commit`.
    pub visible_before_commit: usize,
    /// `SELECT * FROM test.student_trans ORDER BY id` after `commit`.
    pub result: TextResult,
}

/// The DDL of the two tables for `vendor` (the connector manual's, with one replica so it also
/// runs on a single-node cluster).
pub fn ddl(vendor: Vendor) -> [String; 2] {
    ["student", "student_trans"].map(|name| match vendor {
        Vendor::Doris => format!(
            "CREATE TABLE IF NOT EXISTS test.{name} (\n  `id` INT,\n  `name` VARCHAR(256),\n  \
             `age` INT\n)\nUNIQUE KEY(`id`)\nDISTRIBUTED BY HASH(`id`) BUCKETS 1\n\
             PROPERTIES (\"replication_allocation\" = \"tag.location.default: 1\")"
        ),
        Vendor::StarRocks => format!(
            "CREATE TABLE IF NOT EXISTS test.{name} (\n  `id` INT NOT NULL,\n  \
             `name` VARCHAR(256),\n  `age` INT\n)\nPRIMARY KEY(`id`)\n\
             DISTRIBUTED BY HASH(`id`) BUCKETS 1\nPROPERTIES (\"replication_num\" = \"1\")"
        ),
    })
}

/// Runs the quick start on one endpoint; `log` receives a line per step.
pub async fn run(endpoint: &Endpoint, log: &mut dyn FnMut(String)) -> Result<QuickstartOutcome> {
    let vendor = endpoint.vendor;
    let mut sql = SqlClient::connect(endpoint).await?;
    sql.execute("CREATE DATABASE IF NOT EXISTS test").await?;
    for statement in ddl(vendor) {
        sql.execute(&statement).await?;
    }
    sql.execute("INSERT INTO test.student VALUES (1, \"James\", 18)")
        .await?;
    sql.execute("INSERT INTO test.student VALUES (2, \"Emily\", 28)")
        .await?;
    log("created test.student (2 rows) and test.student_trans".into());

    let source = sql
        .query("SELECT id, name, age FROM test.student ORDER BY id")
        .await?;
    let students = source
        .rows
        .iter()
        .map(|row| transform(row))
        .collect::<Result<Vec<_>>>()?;

    // Labels are idempotency keys: one prefix per run, so a second run on a real cluster does
    // not meet the first run's labels.
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let config = SinkConfig::builder()
        .with_delivery(Delivery::Checkpointed)
        .with_label_prefix(format!("quickstart_{millis}"))
        .build()?;
    let mut sink = AnySink::open(endpoint, config, None).await?;
    let table = Table::new("test", "student_trans");
    for student in &students {
        sink.write(&table, Op::Upsert, student).await?;
    }
    let checkpoint = sink.prepare(1).await?;
    let prepared_labels: Vec<String> = checkpoint
        .prepared
        .iter()
        .map(|p| p.label.as_str().to_owned())
        .collect();
    let visible_before_commit = sql
        .query("SELECT id FROM test.student_trans")
        .await?
        .rows
        .len();
    log(format!(
        "prepared checkpoint 1: {} rows precommitted under {} ({} visible so far)",
        students.len(),
        prepared_labels.join(", "),
        visible_before_commit
    ));
    // A real job stores the checkpoint with its source offsets here, then commits.
    let stored = serde_json::to_string(&checkpoint).map_err(|e| {
        streamload_core::Error::new(streamload_core::ErrorKind::Unexpected, e.to_string())
    })?;
    log(format!(
        "checkpoint stored ({} bytes of JSON)",
        stored.len()
    ));
    sink.commit(&checkpoint).await?;
    sink.close().await?;
    log("committed: the rows are visible".into());

    let result = sql
        .query("SELECT * FROM test.student_trans ORDER BY id")
        .await?;
    sql.close().await;
    Ok(QuickstartOutcome {
        vendor,
        target: endpoint.describe(),
        prepared_labels,
        visible_before_commit,
        result,
    })
}

/// `SELECT id, concat('prefix_', name), age + 1`.
fn transform(row: &[String]) -> Result<Student> {
    let bad = |what: &str| {
        streamload_core::Error::new(
            streamload_core::ErrorKind::Encode,
            format!("test.student row {row:?}: {what}"),
        )
    };
    let [id, name, age] = row else {
        return Err(bad("expected 3 columns"));
    };
    Ok(Student {
        id: id.parse().map_err(|_| bad("id is not an INT"))?,
        name: format!("prefix_{name}"),
        age: age.parse::<i32>().map_err(|_| bad("age is not an INT"))? + 1,
    })
}
