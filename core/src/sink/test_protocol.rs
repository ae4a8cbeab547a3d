//! An in-memory recording protocol for the driver's unit tests (a test double, not a
//! conformance target): it keeps label states like a server would, records every call, and
//! fails on cue.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use crate::capabilities::Capabilities;
use crate::error::{Error, ErrorKind, Result, RetryStatus};
use crate::label::{Label, LabelFormat};
use crate::protocol::{
    DeleteColumn, KeysModel, LoadOptions, LoadProtocol, PreparedLoad, TableDescription, Transaction,
};
use crate::report::{LabelState, LoadReport, Prepared};
use crate::table::Table;

/// A recorded call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Call {
    Begin(String),
    Write(String),
    Finish(String),
    Prepare(String),
    TxnAbort(String),
    DropAbort(String),
    Commit(String),
    Abort(String),
    State(String),
}

/// Which step a scripted fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Begin,
    Write,
    Finish,
    Prepare,
    Commit,
}

/// A scripted failure: `applied` says whether the step took effect before the error.
#[derive(Debug)]
pub(crate) struct Fault {
    pub(crate) step: Step,
    pub(crate) error: Error,
    pub(crate) applied: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Server {
    pub(crate) calls: Vec<Call>,
    pub(crate) states: HashMap<String, LabelState>,
    /// Bodies of visible loads, by label.
    pub(crate) visible: HashMap<String, Vec<u8>>,
    /// Bodies being written or precommitted, by label.
    pub(crate) pending: HashMap<String, Vec<u8>>,
    pub(crate) options: HashMap<String, LoadOptions>,
    /// Each `write` of each label, as sent.
    pub(crate) chunks: HashMap<String, Vec<Vec<u8>>>,
    pub(crate) faults: VecDeque<Fault>,
    pub(crate) next_txn: i64,
    /// `Some` makes the server a single-request Stream Load: `begin` asks nothing, and a
    /// committed label is refused as `Label Already Exists` in `finish`, with this retry status.
    pub(crate) label_exists_at_finish: Option<RetryStatus>,
    /// How many label-state queries still answer `Unknown` (a server slow to publish).
    pub(crate) stale_states: usize,
}

/// The test double.
#[derive(Debug, Clone)]
pub(crate) struct Recording {
    pub(crate) server: Arc<Mutex<Server>>,
    pub(crate) caps: Capabilities,
    pub(crate) delete_column: bool,
    /// Delay of each `write`, to make the transport slow.
    pub(crate) write_delay: Duration,
}

pub(crate) fn caps() -> Capabilities {
    Capabilities {
        vendor: "recording",
        two_phase_commit: true,
        multi_load_per_txn: false,
        abort_by_label: true,
        server_batched: false,
        partial_update: false,
        conditional_update: false,
        lz4_json: true,
        lz4_csv: true,
        arrow: false,
        csv_enclose: true,
        max_body_bytes: 0,
        label_format: LabelFormat {
            separator: '_',
            include_db: true,
        },
    }
}

impl Recording {
    pub(crate) fn new() -> Self {
        Self {
            server: Arc::default(),
            caps: caps(),
            delete_column: true,
            write_delay: Duration::ZERO,
        }
    }

    pub(crate) fn server(&self) -> MutexGuard<'_, Server> {
        self.server.lock().unwrap()
    }

    pub(crate) fn fail(&self, step: Step, error: Error, applied: bool) {
        self.server().faults.push_back(Fault {
            step,
            error,
            applied,
        });
    }

    pub(crate) fn calls(&self) -> Vec<Call> {
        self.server().calls.clone()
    }

    pub(crate) fn state(&self, label: &str) -> LabelState {
        self.server()
            .states
            .get(label)
            .copied()
            .unwrap_or(LabelState::Unknown)
    }

    pub(crate) fn visible_text(&self, label: &str) -> String {
        String::from_utf8(
            self.server()
                .visible
                .get(label)
                .cloned()
                .unwrap_or_default(),
        )
        .unwrap()
    }
}

impl Server {
    /// Takes the next fault for `step`, if it is first in line.
    fn fault(&mut self, step: Step) -> Option<Fault> {
        if self.faults.front().is_some_and(|f| f.step == step) {
            self.faults.pop_front()
        } else {
            None
        }
    }

    fn set(&mut self, label: &str, state: LabelState) {
        self.states.insert(label.to_owned(), state);
    }

    fn make_visible(&mut self, label: &str) {
        let body = self.pending.remove(label).unwrap_or_default();
        self.visible.insert(label.to_owned(), body);
        self.set(label, LabelState::Visible);
    }

    fn discard(&mut self, label: &str) -> Result<()> {
        match self.states.get(label) {
            Some(s) if s.is_committed() => Err(Error::new(
                ErrorKind::AlreadyCommitted,
                "transaction is visible",
            )),
            Some(_) => {
                self.pending.remove(label);
                self.set(label, LabelState::Aborted);
                Ok(())
            }
            None => Ok(()),
        }
    }
}

#[async_trait]
impl LoadProtocol for Recording {
    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    async fn describe(&self, _table: &Table) -> Result<TableDescription> {
        Ok(TableDescription {
            keys: KeysModel::Unique,
            columns: Vec::new(),
            delete_column: self.delete_column.then(|| DeleteColumn {
                name: "__DORIS_DELETE_SIGN__".to_owned(),
                upsert: "0".to_owned(),
                delete: "1".to_owned(),
            }),
        })
    }

    async fn begin(
        &self,
        _table: &Table,
        label: Option<Label>,
        options: &LoadOptions,
    ) -> Result<Box<dyn Transaction>> {
        let mut server = self.server();
        server.next_txn += 1;
        let name = label
            .as_ref()
            .map_or_else(|| format!("server_{}", server.next_txn), |l| l.to_string());
        server.calls.push(Call::Begin(name.clone()));
        if let Some(fault) = server.fault(Step::Begin) {
            if fault.applied {
                server.set(&name, LabelState::Prepare);
            }
            return Err(fault.error);
        }
        let single_request = server.label_exists_at_finish.is_some();
        match server.states.get(&name) {
            _ if single_request => {}
            None | Some(LabelState::Aborted | LabelState::Unknown) => {}
            Some(state) => {
                return Err(
                    Error::new(ErrorKind::LabelAlreadyExists, "Label Already Exists")
                        .with_context("existing_job_status", format!("{state:?}")),
                );
            }
        }
        if !single_request {
            server.set(&name, LabelState::Prepare);
        }
        server.pending.insert(name.clone(), Vec::new());
        server.options.insert(name.clone(), options.clone());
        Ok(Box::new(RecordingTxn {
            server: Arc::clone(&self.server),
            label,
            name,
            txn_id: server.next_txn,
            done: false,
            delay: self.write_delay,
        }))
    }

    async fn commit(&self, prepared: &Prepared) -> Result<()> {
        let mut server = self.server();
        let label = prepared.label.to_string();
        server.calls.push(Call::Commit(label.clone()));
        let fault = server.fault(Step::Commit);
        if let Some(fault) = fault {
            if fault.applied && server.states.get(&label) == Some(&LabelState::Precommitted) {
                server.make_visible(&label);
            }
            return Err(fault.error);
        }
        match server.states.get(&label).copied() {
            Some(LabelState::Precommitted) => {
                server.make_visible(&label);
                Ok(())
            }
            Some(s) if s.is_committed() => Ok(()),
            Some(LabelState::Aborted) => Err(Error::new(ErrorKind::DataLoss, "aborted")),
            _ => Err(Error::new(ErrorKind::NotFound, "no such transaction")),
        }
    }

    async fn abort(&self, prepared: &Prepared) -> Result<()> {
        let mut server = self.server();
        let label = prepared.label.to_string();
        server.calls.push(Call::Abort(label.clone()));
        server.discard(&label)
    }

    async fn label_state(&self, _db: &str, label: &Label) -> Result<LabelState> {
        let mut server = self.server();
        server.calls.push(Call::State(label.to_string()));
        if server.stale_states > 0 {
            server.stale_states -= 1;
            return Ok(LabelState::Unknown);
        }
        Ok(server
            .states
            .get(label.as_str())
            .copied()
            .unwrap_or(LabelState::Unknown))
    }
}

#[derive(Debug)]
struct RecordingTxn {
    server: Arc<Mutex<Server>>,
    label: Option<Label>,
    name: String,
    txn_id: i64,
    done: bool,
    delay: Duration,
}

impl RecordingTxn {
    fn server(&self) -> MutexGuard<'_, Server> {
        self.server.lock().unwrap()
    }
}

#[async_trait]
impl Transaction for RecordingTxn {
    fn label(&self) -> Option<&Label> {
        self.label.as_ref()
    }

    async fn write(&mut self, chunk: Bytes) -> Result<()> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let mut server = self.server();
        server.calls.push(Call::Write(self.name.clone()));
        if let Some(fault) = server.fault(Step::Write) {
            return Err(fault.error);
        }
        server
            .pending
            .entry(self.name.clone())
            .or_default()
            .extend_from_slice(&chunk);
        server
            .chunks
            .entry(self.name.clone())
            .or_default()
            .push(chunk.to_vec());
        Ok(())
    }

    async fn prepare(mut self: Box<Self>) -> Result<PreparedLoad> {
        self.done = true;
        let name = self.name.clone();
        let mut server = self.server();
        server.calls.push(Call::Prepare(name.clone()));
        let fault = server.fault(Step::Prepare);
        if fault.as_ref().is_none_or(|f| f.applied) {
            server.set(&name, LabelState::Precommitted);
        }
        if let Some(fault) = fault {
            return Err(fault.error);
        }
        Ok(PreparedLoad {
            prepared: Prepared {
                vendor: "recording".to_owned(),
                table: Table::new("db", "t"),
                label: self.label.clone().expect("two-phase loads have labels"),
                txn_id: Some(self.txn_id),
                coordinator: None,
            },
            report: LoadReport::default(),
        })
    }

    async fn finish(mut self: Box<Self>) -> Result<LoadReport> {
        self.done = true;
        let name = self.name.clone();
        let mut server = self.server();
        server.calls.push(Call::Finish(name.clone()));
        if let Some(status) = server.label_exists_at_finish
            && server.states.get(&name).is_some_and(|s| s.is_committed())
        {
            server.pending.remove(&name);
            let err = Error::new(ErrorKind::LabelAlreadyExists, "Label Already Exists")
                .with_context("existing_job_status", "FINISHED");
            return Err(match status {
                RetryStatus::Permanent => err.permanent(),
                RetryStatus::Temporary => err.temporary(),
                RetryStatus::OutcomeUnknown => err.outcome_unknown(),
            });
        }
        let fault = server.fault(Step::Finish);
        if fault.as_ref().is_none_or(|f| f.applied) {
            server.make_visible(&name);
        } else {
            let _ = server.discard(&name);
        }
        if let Some(fault) = fault {
            return Err(fault.error);
        }
        let rows = server.visible[&name]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        Ok(LoadReport {
            label: Some(name),
            txn_id: Some(self.txn_id),
            status: "Success".to_owned(),
            rows_total: rows,
            rows_loaded: rows,
            ..LoadReport::default()
        })
    }

    async fn abort(mut self: Box<Self>) -> Result<()> {
        self.done = true;
        let name = self.name.clone();
        let mut server = self.server();
        server.calls.push(Call::TxnAbort(name.clone()));
        server.discard(&name)
    }
}

impl Drop for RecordingTxn {
    fn drop(&mut self) {
        if !self.done {
            let name = self.name.clone();
            let mut server = self.server();
            server.calls.push(Call::DropAbort(name.clone()));
            let _ = server.discard(&name);
        }
    }
}
