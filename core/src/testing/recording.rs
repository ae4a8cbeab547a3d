//! [`Recording`]: an in-memory protocol that keeps label states like a server would, records
//! every call, and fails on cue.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;

use crate::capabilities::Capabilities;
use crate::error::{Error, ErrorKind, Result, RetryStatus};
use crate::label::{Label, LabelFormat};
use crate::protocol::{
    DeleteColumn, KeysModel, LoadOptions, LoadProtocol, TableDescription, Transaction,
};
use crate::report::{LabelState, Prepared};
use crate::table::Table;

use super::recording_txn::RecordingTxn;

/// A recorded call, with the label (or server label) it concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `LoadProtocol::begin`.
    Begin(String),
    /// `Transaction::write`.
    Write(String),
    /// `Transaction::finish`.
    Finish(String),
    /// `Transaction::prepare`.
    Prepare(String),
    /// `Transaction::abort`.
    TxnAbort(String),
    /// A transaction dropped while open.
    DropAbort(String),
    /// `LoadProtocol::commit`.
    Commit(String),
    /// `LoadProtocol::abort`.
    Abort(String),
    /// `LoadProtocol::label_state`.
    State(String),
}

/// Which step a scripted fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `begin`.
    Begin,
    /// A `write`.
    Write,
    /// `finish`.
    Finish,
    /// `prepare`.
    Prepare,
    /// `commit`.
    Commit,
}

/// A scripted failure: `applied` says whether the step took effect before the error.
#[derive(Debug)]
pub struct Fault {
    /// The step that fails.
    pub step: Step,
    /// The error it fails with.
    pub error: Error,
    /// Whether the step took effect before the error (an answer lost after the server acted).
    pub applied: bool,
}

/// The emulated server's state, shared by a [`Recording`] and its clones.
#[derive(Debug, Default)]
pub struct Server {
    /// Every call, in order.
    pub calls: Vec<Call>,
    /// Label states, by label.
    pub states: HashMap<String, LabelState>,
    /// Bodies of visible loads, by label.
    pub visible: HashMap<String, Vec<u8>>,
    /// Bodies being written or precommitted, by label.
    pub pending: HashMap<String, Vec<u8>>,
    /// The load options of each label's `begin`.
    pub options: HashMap<String, LoadOptions>,
    /// Each `write` of each label, as sent.
    pub chunks: HashMap<String, Vec<Vec<u8>>>,
    /// Scripted faults, taken in order by the step they name.
    pub faults: VecDeque<Fault>,
    /// The last transaction id handed out.
    pub next_txn: i64,
    /// `Some` makes the server a single-request Stream Load: `begin` asks nothing, and a
    /// committed label is refused as `Label Already Exists` in `finish`, with this retry status.
    pub label_exists_at_finish: Option<RetryStatus>,
    /// How many label-state queries still answer `Unknown` (a server slow to publish).
    pub stale_states: usize,
}

/// The recording protocol. Clones share one [`Server`].
#[derive(Debug, Clone)]
pub struct Recording {
    /// The emulated server.
    pub server: Arc<Mutex<Server>>,
    /// The capabilities it reports (two-phase, abort by label, LZ4: see [`caps`]).
    pub caps: Capabilities,
    /// Whether `describe` reports a delete column.
    pub delete_column: bool,
    /// Delay of each `write`, to make the transport slow.
    pub write_delay: Duration,
}

/// The default capabilities of a [`Recording`]: a two-phase protocol like Doris's.
pub fn caps() -> Capabilities {
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

impl Default for Recording {
    fn default() -> Self {
        Self::new()
    }
}

impl Recording {
    /// A recording protocol with an empty server.
    pub fn new() -> Self {
        Self {
            server: Arc::default(),
            caps: caps(),
            delete_column: true,
            write_delay: Duration::ZERO,
        }
    }

    /// The server's state (locked).
    pub fn server(&self) -> MutexGuard<'_, Server> {
        self.server.lock().unwrap()
    }

    /// Scripts a fault: the next `step` fails with `error`, after taking effect if `applied`.
    pub fn fail(&self, step: Step, error: Error, applied: bool) {
        self.server().faults.push_back(Fault {
            step,
            error,
            applied,
        });
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.server().calls.clone()
    }

    /// A label's state (`Unknown` if never used).
    pub fn state(&self, label: &str) -> LabelState {
        self.server()
            .states
            .get(label)
            .copied()
            .unwrap_or(LabelState::Unknown)
    }

    /// The body of a visible load, as text.
    pub fn visible_text(&self, label: &str) -> String {
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
    pub(super) fn fault(&mut self, step: Step) -> Option<Fault> {
        if self.faults.front().is_some_and(|f| f.step == step) {
            self.faults.pop_front()
        } else {
            None
        }
    }

    pub(super) fn set(&mut self, label: &str, state: LabelState) {
        self.states.insert(label.to_owned(), state);
    }

    pub(super) fn make_visible(&mut self, label: &str) {
        let body = self.pending.remove(label).unwrap_or_default();
        self.visible.insert(label.to_owned(), body);
        self.set(label, LabelState::Visible);
    }

    pub(super) fn discard(&mut self, label: &str) -> Result<()> {
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
