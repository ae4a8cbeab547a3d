//! Load metrics: the Doris connector's names through the `metrics` facade, and a [`SinkStats`]
//! snapshot that works without any recorder installed.
//!
//! Dashboards built for the Flink connectors keep working when the names match, so the counter
//! names are the connector's documented ones, labelled by `table`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::report::LoadReport;
use crate::table::Table;

/// Metric names (the Doris Flink connector's).
pub mod names {
    /// Bytes sent in successful loads (counter).
    pub const TOTAL_FLUSH_LOAD_BYTES: &str = "totalFlushLoadBytes";
    /// Rows the server read in successful loads (counter).
    pub const FLUSH_TOTAL_NUMBER_ROWS: &str = "flushTotalNumberRows";
    /// Rows loaded (counter).
    pub const TOTAL_FLUSH_LOADED_ROWS: &str = "totalFlushLoadedRows";
    /// Client-side time spent in loads, in milliseconds (counter).
    pub const TOTAL_FLUSH_TIME_MS: &str = "totalFlushTimeMs";
    /// Successful loads (counter).
    pub const TOTAL_FLUSH_SUCCEEDED_NUMBER: &str = "totalFlushSucceededNumber";
    /// Failed loads (counter).
    pub const TOTAL_FLUSH_FAILED_NUMBER: &str = "totalFlushFailedNumber";
    /// Rows filtered by the server (counter).
    pub const TOTAL_FLUSH_FILTERED_ROWS: &str = "totalFlushFilteredRows";
    /// Rows dropped by the `where` condition (counter).
    pub const TOTAL_FLUSH_UNSELECTED_ROWS: &str = "totalFlushUnselectedRows";
    /// Server load time per load, in milliseconds (histogram).
    pub const LOAD_TIME_MS: &str = "loadTimeMs";
    /// Server write time per load, in milliseconds (histogram).
    pub const WRITE_DATA_TIME_MS: &str = "writeDataTimeMs";
    /// Server commit-and-publish time per load, in milliseconds (histogram).
    pub const COMMIT_AND_PUBLISH_TIME_MS: &str = "commitAndPublishTimeMs";
    /// Retries of load steps (counter).
    pub const TOTAL_RETRIES: &str = "totalRetries";
}

/// A snapshot of a `Sink`'s counters since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SinkStats {
    /// Rows accepted by `write*` calls.
    pub rows_written: u64,
    /// Encoded bytes accepted by `write*` calls (before compression).
    pub bytes_written: u64,
    /// Loads finished or prepared successfully.
    pub loads_succeeded: u64,
    /// Loads that failed.
    pub loads_failed: u64,
    /// Batches found already loaded under their label and skipped.
    pub loads_skipped: u64,
    /// Rows the server loaded.
    pub rows_loaded: u64,
    /// Rows the server filtered.
    pub rows_filtered: u64,
    /// Rows dropped by the `where` condition.
    pub rows_unselected: u64,
    /// Body bytes sent in successful loads (after compression).
    pub bytes_loaded: u64,
    /// Client-side time spent in successful loads, in milliseconds.
    pub load_time_ms: u64,
    /// Retried steps.
    pub retries: u64,
    /// Times a writer waited for the memory budget.
    pub memory_waits: u64,
    /// Restored checkpoints' transactions counted as committed although the server had
    /// forgotten them (see [`crate::ForgottenLabel`]).
    pub forgotten_commits: u64,
}

/// The live counters behind [`SinkStats`].
#[derive(Debug, Default)]
pub(crate) struct Stats {
    rows_written: AtomicU64,
    bytes_written: AtomicU64,
    loads_succeeded: AtomicU64,
    loads_failed: AtomicU64,
    loads_skipped: AtomicU64,
    rows_loaded: AtomicU64,
    rows_filtered: AtomicU64,
    rows_unselected: AtomicU64,
    bytes_loaded: AtomicU64,
    load_time_ms: AtomicU64,
    retries: AtomicU64,
    memory_waits: AtomicU64,
    forgotten_commits: AtomicU64,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Stats {
    /// Rows accepted by the `Sink`. Only the `Sink` itself (behind `&mut self`) counts them,
    /// so a plain load and store is enough, and cheaper per row than a locked add.
    pub(crate) fn written(&self, rows: u64, bytes: usize) {
        let add_one_writer = |counter: &AtomicU64, n: u64| {
            counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Relaxed);
        };
        add_one_writer(&self.rows_written, rows);
        add_one_writer(&self.bytes_written, bytes as u64);
    }

    pub(crate) fn memory_wait(&self) {
        add(&self.memory_waits, 1);
    }

    pub(crate) fn retry(&self, table: &Table) {
        add(&self.retries, 1);
        metrics::counter!(names::TOTAL_RETRIES, "table" => table.to_string()).increment(1);
    }

    pub(crate) fn forgotten_commit(&self) {
        add(&self.forgotten_commits, 1);
    }

    pub(crate) fn skipped(&self) {
        add(&self.loads_skipped, 1);
    }

    pub(crate) fn failed(&self, table: &Table) {
        add(&self.loads_failed, 1);
        metrics::counter!(names::TOTAL_FLUSH_FAILED_NUMBER, "table" => table.to_string())
            .increment(1);
    }

    pub(crate) fn succeeded(
        &self,
        table: &Table,
        report: &LoadReport,
        body_bytes: u64,
        took: Duration,
    ) {
        add(&self.loads_succeeded, 1);
        add(&self.rows_loaded, report.rows_loaded);
        add(&self.rows_filtered, report.rows_filtered);
        add(&self.rows_unselected, report.rows_unselected);
        add(&self.bytes_loaded, body_bytes);
        add(&self.load_time_ms, millis(took));
        let t = table.to_string();
        metrics::counter!(names::TOTAL_FLUSH_SUCCEEDED_NUMBER, "table" => t.clone()).increment(1);
        metrics::counter!(names::TOTAL_FLUSH_LOAD_BYTES, "table" => t.clone())
            .increment(body_bytes);
        metrics::counter!(names::FLUSH_TOTAL_NUMBER_ROWS, "table" => t.clone())
            .increment(report.rows_total);
        metrics::counter!(names::TOTAL_FLUSH_LOADED_ROWS, "table" => t.clone())
            .increment(report.rows_loaded);
        metrics::counter!(names::TOTAL_FLUSH_FILTERED_ROWS, "table" => t.clone())
            .increment(report.rows_filtered);
        metrics::counter!(names::TOTAL_FLUSH_UNSELECTED_ROWS, "table" => t.clone())
            .increment(report.rows_unselected);
        metrics::counter!(names::TOTAL_FLUSH_TIME_MS, "table" => t.clone()).increment(millis(took));
        metrics::histogram!(names::LOAD_TIME_MS, "table" => t.clone())
            .record(report.load_time_ms as f64);
        metrics::histogram!(names::WRITE_DATA_TIME_MS, "table" => t.clone())
            .record(report.write_data_time_ms as f64);
        metrics::histogram!(names::COMMIT_AND_PUBLISH_TIME_MS, "table" => t)
            .record(report.commit_and_publish_time_ms as f64);
    }

    pub(crate) fn snapshot(&self) -> SinkStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SinkStats {
            rows_written: get(&self.rows_written),
            bytes_written: get(&self.bytes_written),
            loads_succeeded: get(&self.loads_succeeded),
            loads_failed: get(&self.loads_failed),
            loads_skipped: get(&self.loads_skipped),
            rows_loaded: get(&self.rows_loaded),
            rows_filtered: get(&self.rows_filtered),
            rows_unselected: get(&self.rows_unselected),
            bytes_loaded: get(&self.bytes_loaded),
            load_time_ms: get(&self.load_time_ms),
            retries: get(&self.retries),
            memory_waits: get(&self.memory_waits),
            forgotten_commits: get(&self.forgotten_commits),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use metrics::{
        Counter, CounterFn, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit,
    };

    use super::*;

    /// Records counter names and totals.
    #[derive(Debug, Default)]
    struct Names(Arc<Mutex<Vec<(String, u64)>>>);

    #[derive(Debug)]
    struct Count(Arc<Mutex<Vec<(String, u64)>>>, String);

    impl CounterFn for Count {
        fn increment(&self, value: u64) {
            self.0.lock().unwrap().push((self.1.clone(), value));
        }
        fn absolute(&self, value: u64) {
            self.increment(value);
        }
    }

    impl Recorder for Names {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            let name = key.name().to_owned();
            Counter::from_arc(Arc::new(Count(Arc::clone(&self.0), name)))
        }
        fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::noop()
        }
        fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::noop()
        }
    }

    #[test]
    fn loads_are_counted_under_the_connector_names_and_in_the_snapshot() {
        let recorder = Names::default();
        let stats = Stats::default();
        let report = LoadReport {
            rows_total: 10,
            rows_loaded: 8,
            rows_filtered: 1,
            rows_unselected: 1,
            ..LoadReport::default()
        };
        let table = Table::new("db", "t");
        metrics::with_local_recorder(&recorder, || {
            stats.succeeded(&table, &report, 300, Duration::from_millis(20));
            stats.failed(&table);
        });
        let seen = recorder.0.lock().unwrap().clone();
        for (name, value) in [
            (names::TOTAL_FLUSH_LOAD_BYTES, 300),
            (names::FLUSH_TOTAL_NUMBER_ROWS, 10),
            (names::TOTAL_FLUSH_LOADED_ROWS, 8),
            (names::TOTAL_FLUSH_FILTERED_ROWS, 1),
            (names::TOTAL_FLUSH_UNSELECTED_ROWS, 1),
            (names::TOTAL_FLUSH_SUCCEEDED_NUMBER, 1),
            (names::TOTAL_FLUSH_FAILED_NUMBER, 1),
            (names::TOTAL_FLUSH_TIME_MS, 20),
        ] {
            assert!(
                seen.contains(&(name.to_owned(), value)),
                "{name} in {seen:?}"
            );
        }
        let snapshot = stats.snapshot();
        assert_eq!(snapshot.loads_succeeded, 1);
        assert_eq!(snapshot.loads_failed, 1);
        assert_eq!(snapshot.rows_loaded, 8);
        assert_eq!(snapshot.bytes_loaded, 300);
    }
}
