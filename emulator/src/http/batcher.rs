//! Server-side batching windows: Doris group commit and StarRocks merge commit.
//!
//! Both merge the loads of one table (with identical parameters) that arrive within a time
//! window into one transaction with a server-assigned label. A window is opened by its first
//! request (beginning the transaction), collects the rows of every request, and is committed —
//! or aborted if a request failed it — when its interval ends. Synchronous requests wait for
//! that outcome; asynchronous ones answer as soon as their rows are in the window.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::engine::{BeginError, BeginRequest, Engine, StagedRow, TxnError, TxnInfo, WriteMode};

/// How a window ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WindowOutcome {
    /// Committed and visible.
    Visible,
    /// Aborted, with the reason.
    Aborted(String),
}

#[derive(Debug, Default)]
struct WindowInner {
    closed: bool,
    failure: Option<String>,
}

/// One open batching window (one transaction).
#[derive(Debug)]
pub(crate) struct Window {
    pub(crate) txn_id: i64,
    pub(crate) label: String,
    opened: Instant,
    interval: Duration,
    inner: Mutex<WindowInner>,
    done: watch::Sender<Option<WindowOutcome>>,
}

impl Window {
    /// Adds rows; `Ok(false)` when the window closed meanwhile (use a new one). The rows are
    /// taken only when they are staged, so a closed window leaves them with the caller.
    fn append(&self, engine: &Engine, rows: &mut Vec<StagedRow>) -> Result<bool, TxnError> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.closed {
            return Ok(false);
        }
        engine.stage(self.txn_id, std::mem::take(rows))?;
        Ok(true)
    }

    /// Marks the whole window failed (merge commit: one bad request fails all).
    fn fail(&self, reason: &str) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.closed {
            return false;
        }
        inner.failure.get_or_insert_with(|| reason.to_string());
        true
    }

    /// Milliseconds left before the window closes.
    pub(crate) fn left_ms(&self) -> u64 {
        self.interval
            .saturating_sub(self.opened.elapsed())
            .as_millis() as u64
    }

    /// Waits for the window's outcome.
    pub(crate) async fn wait(&self) -> WindowOutcome {
        let mut rx = self.done.subscribe();
        loop {
            if let Some(outcome) = rx.borrow_and_update().clone() {
                return outcome;
            }
            if rx.changed().await.is_err() {
                return WindowOutcome::Aborted("window dropped".into());
            }
        }
    }
}

type Windows = Arc<Mutex<HashMap<String, Arc<Window>>>>;

/// All open windows, by merge key.
#[derive(Debug)]
pub(crate) struct Batcher {
    /// Default window length (Doris group commit interval).
    pub(crate) default_interval: Duration,
    windows: Windows,
}

/// Why a request could not join a window.
#[derive(Debug)]
pub(crate) enum JoinError {
    /// Opening a window failed to begin its transaction under `label`.
    Begin { error: BeginError, label: String },
    /// Staging the rows failed.
    Txn(TxnError),
    /// Every window tried closed before the request got in.
    KeptClosing,
}

/// How many closing windows a request outlives before it gives up.
const JOIN_ATTEMPTS: usize = 8;

/// What opening a window needs.
#[derive(Debug, Clone)]
pub(crate) struct WindowSpec {
    pub(crate) key: String,
    pub(crate) db: String,
    pub(crate) table: String,
    pub(crate) interval: Duration,
    pub(crate) coordinator_be: usize,
    /// How the window's transaction writes rows (StarRocks merge commit: `partial_update`,
    /// `merge_condition` — part of the merge key, so the same for every request of a window).
    pub(crate) write: WriteMode,
}

impl Batcher {
    pub(crate) fn new(default_interval: Duration) -> Batcher {
        Batcher {
            default_interval,
            windows: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Puts `rows` into the open window for `spec.key`, opening one under `make_label()` when
    /// none is open; with `failure` set it fails that window instead (merge commit: a request
    /// over its filter ratio fails the whole window). A window that closes between the lookup
    /// and the append is replaced by a new one, a few times at most.
    pub(crate) async fn join(
        &self,
        engine: &Engine,
        spec: WindowSpec,
        make_label: impl Fn() -> String,
        mut rows: Vec<StagedRow>,
        failure: Option<&str>,
    ) -> Result<Arc<Window>, JoinError> {
        for _ in 0..JOIN_ATTEMPTS {
            let label = make_label();
            let window = self
                .window(engine, &spec, &label)
                .map_err(|error| JoinError::Begin { error, label })?;
            let joined = match failure {
                Some(reason) => window.fail(reason),
                None => window.append(engine, &mut rows).map_err(JoinError::Txn)?,
            };
            if joined {
                return Ok(window);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Err(JoinError::KeptClosing)
    }

    /// The open window for `spec.key`, or a new one under `label` (its transaction begun, its
    /// close scheduled).
    fn window(
        &self,
        engine: &Engine,
        spec: &WindowSpec,
        label: &str,
    ) -> Result<Arc<Window>, BeginError> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = windows.get(&spec.key) {
            return Ok(Arc::clone(w));
        }
        let txn: TxnInfo = engine.begin(BeginRequest {
            db: spec.db.clone(),
            table: spec.table.clone(),
            label: label.to_owned(),
            timeout: Duration::ZERO,
            coordinator_be: spec.coordinator_be,
            write: spec.write.clone(),
        })?;
        let (done, _) = watch::channel(None);
        let window = Arc::new(Window {
            txn_id: txn.id,
            label: txn.label,
            opened: Instant::now(),
            interval: spec.interval,
            inner: Mutex::new(WindowInner::default()),
            done,
        });
        windows.insert(spec.key.clone(), Arc::clone(&window));
        let (engine, all, key, w) = (
            engine.clone(),
            Arc::clone(&self.windows),
            spec.key.clone(),
            Arc::clone(&window),
        );
        tokio::spawn(async move {
            tokio::time::sleep(w.interval).await;
            {
                let mut map = all.lock().unwrap_or_else(|e| e.into_inner());
                if map.get(&key).is_some_and(|cur| Arc::ptr_eq(cur, &w)) {
                    map.remove(&key);
                }
            }
            let failure = {
                let mut inner = w.inner.lock().unwrap_or_else(|e| e.into_inner());
                inner.closed = true;
                inner.failure.clone()
            };
            let outcome = match failure {
                Some(reason) => {
                    let _ = engine.abort(w.txn_id, &reason);
                    WindowOutcome::Aborted(reason)
                }
                None => match engine.commit(w.txn_id) {
                    Ok(_) => WindowOutcome::Visible,
                    Err(e) => {
                        let reason = e.to_string();
                        let _ = engine.abort(w.txn_id, &reason);
                        WindowOutcome::Aborted(reason)
                    }
                },
            };
            w.done.send_replace(Some(outcome));
        });
        Ok(window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{EngineConfig, Flavor, RowOp, Value};

    fn row(id: i128) -> StagedRow {
        StagedRow {
            op: RowOp::Upsert,
            values: vec![Some(Value::Int(id))],
        }
    }

    #[tokio::test]
    async fn a_request_racing_a_closing_window_keeps_its_rows_for_the_next_one() {
        let engine = Engine::open(EngineConfig::new(Flavor::Doris)).unwrap();
        engine.create_database("db").unwrap();
        engine
            .execute_ddl(
                "CREATE TABLE db.t (id INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
            )
            .unwrap();
        let interval = Duration::from_millis(5);
        let batcher = Batcher::new(interval);
        let spec = WindowSpec {
            key: "k".into(),
            db: "db".into(),
            table: "t".into(),
            interval,
            coordinator_be: 0,
            write: WriteMode::default(),
        };
        let first = batcher
            .join(&engine, spec.clone(), || "w1".into(), vec![row(1)], None)
            .await
            .unwrap();
        assert_eq!(first.wait().await, WindowOutcome::Visible);

        // The window has closed: the rows must stay with the caller, not vanish.
        let mut rows = vec![row(2)];
        assert!(!first.append(&engine, &mut rows).unwrap());
        assert_eq!(rows.len(), 1);

        let second = batcher
            .join(&engine, spec, || "w2".into(), rows, None)
            .await
            .unwrap();
        assert_ne!(second.txn_id, first.txn_id);
        assert_eq!(second.wait().await, WindowOutcome::Visible);
        let count = engine.query(Some("db"), "SELECT COUNT(*) FROM t").unwrap();
        assert_eq!(count.rows, vec![vec![Value::Int(2)]]);
    }
}
