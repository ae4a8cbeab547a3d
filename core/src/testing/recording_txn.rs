//! The [`Transaction`] of a [`super::Recording`]: writes, prepare, finish and abort against
//! the recorded server.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::{Error, ErrorKind, Result, RetryStatus};
use crate::label::Label;
use crate::protocol::{PreparedLoad, Transaction};
use crate::report::{LabelState, LoadReport, Prepared};
use crate::table::Table;

use super::recording::{Call, Server, Step};

/// One open load of a recording protocol.
#[derive(Debug)]
pub(super) struct RecordingTxn {
    pub(super) server: Arc<Mutex<Server>>,
    pub(super) label: Option<Label>,
    pub(super) name: String,
    pub(super) txn_id: i64,
    pub(super) done: bool,
    pub(super) delay: Duration,
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
