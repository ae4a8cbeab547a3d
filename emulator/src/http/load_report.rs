//! The result of one Stream Load and its JSON in each vendor's shape (Doris §3, StarRocks V1
//! §2.3, merge commit §5.3): the same facts, different keys, order and status words.

use std::time::Instant;

use super::reply::Obj;

/// Final status of a load, in Doris / StarRocks V1 words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoadStatus {
    Success,
    LabelAlreadyExists,
    Fail,
}

impl LoadStatus {
    fn word(self) -> &'static str {
        match self {
            LoadStatus::Success => "Success",
            LoadStatus::LabelAlreadyExists => "Label Already Exists",
            LoadStatus::Fail => "Fail",
        }
    }
}

/// Everything a load response reports.
#[derive(Debug, Clone)]
pub(crate) struct LoadReport {
    pub(crate) started: Instant,
    pub(crate) txn_id: i64,
    pub(crate) label: String,
    pub(crate) comment: String,
    pub(crate) two_phase: bool,
    pub(crate) group_commit: bool,
    pub(crate) status: LoadStatus,
    pub(crate) existing_job_status: Option<&'static str>,
    pub(crate) message: String,
    pub(crate) total: u64,
    pub(crate) loaded: u64,
    pub(crate) filtered: u64,
    pub(crate) unselected: u64,
    pub(crate) load_bytes: u64,
    pub(crate) begin_ms: u64,
    pub(crate) plan_ms: u64,
    pub(crate) read_ms: u64,
    pub(crate) write_ms: u64,
    pub(crate) receive_ms: u64,
    pub(crate) commit_ms: u64,
    pub(crate) error_url: Option<String>,
    pub(crate) first_error: Option<String>,
    /// Merge commit: the client's label (or a generated id).
    pub(crate) request_id: String,
    /// Merge commit: time left in the window when the data was appended.
    pub(crate) left_merge_ms: u64,
}

impl LoadReport {
    pub(crate) fn new(label: String) -> LoadReport {
        LoadReport {
            started: Instant::now(),
            txn_id: -1,
            request_id: label.clone(),
            label,
            comment: String::new(),
            two_phase: false,
            group_commit: false,
            status: LoadStatus::Success,
            existing_job_status: None,
            message: "OK".into(),
            total: 0,
            loaded: 0,
            filtered: 0,
            unselected: 0,
            load_bytes: 0,
            begin_ms: 0,
            plan_ms: 0,
            read_ms: 0,
            write_ms: 0,
            receive_ms: 0,
            commit_ms: 0,
            error_url: None,
            first_error: None,
            left_merge_ms: 0,
        }
    }

    /// Marks the load failed with `message`; loaded rows are forced to 0.
    pub(crate) fn fail(mut self, message: impl Into<String>) -> LoadReport {
        self.status = LoadStatus::Fail;
        self.message = message.into();
        self.loaded = 0;
        self
    }

    fn load_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Doris BE `_stream_load` body: pretty JSON plus `\n`.
    pub(crate) fn doris_json(&self) -> String {
        let mut o = Obj::new()
            .with("TxnId", self.txn_id)
            .with("Label", self.label.as_str())
            .with("Comment", self.comment.as_str());
        if self.group_commit {
            o.push("GroupCommit", true);
        } else {
            o.push(
                "TwoPhaseCommit",
                if self.two_phase { "true" } else { "false" },
            );
        }
        o.push("Status", self.status.word());
        if let Some(existing) = self.existing_job_status {
            o.push("ExistingJobStatus", existing);
        }
        o.push("Message", self.message.as_str());
        o.push("NumberTotalRows", self.total);
        o.push("NumberLoadedRows", self.loaded);
        o.push("NumberFilteredRows", self.filtered);
        o.push("NumberUnselectedRows", self.unselected);
        o.push("LoadBytes", self.load_bytes);
        o.push("LoadTimeMs", self.load_ms());
        if !self.group_commit {
            o.push("BeginTxnTimeMs", self.begin_ms);
        }
        o.push("StreamLoadPutTimeMs", self.plan_ms);
        o.push("ReadDataTimeMs", self.read_ms);
        o.push("WriteDataTimeMs", self.write_ms);
        o.push("ReceiveDataTimeMs", self.receive_ms);
        if !self.group_commit {
            o.push("CommitAndPublishTimeMs", self.commit_ms);
        }
        if let Some(url) = &self.error_url {
            o.push("ErrorURL", url.as_str());
        }
        if let (Some(first), LoadStatus::Fail) = (&self.first_error, self.status) {
            o.push("FirstErrorMsg", first.as_str());
        }
        let mut body = o.pretty();
        body.push('\n');
        body
    }

    /// StarRocks BE V1 `_stream_load` body (pretty JSON).
    pub(crate) fn starrocks_json(&self) -> String {
        let mut o = Obj::new()
            .with("TxnId", self.txn_id)
            .with("Label", self.label.as_str())
            .with("Status", self.status.word());
        if let Some(existing) = self.existing_job_status {
            o.push("ExistingJobStatus", existing);
        }
        o.push("Message", self.message.as_str());
        o.push("NumberTotalRows", self.total);
        o.push("NumberLoadedRows", self.loaded);
        o.push("NumberFilteredRows", self.filtered);
        o.push("NumberUnselectedRows", self.unselected);
        o.push("LoadBytes", self.load_bytes);
        o.push("LoadTimeMs", self.load_ms());
        o.push("BeginTxnTimeMs", self.begin_ms);
        o.push("StreamLoadPlanTimeMs", self.plan_ms);
        o.push("ReadDataTimeMs", self.read_ms);
        o.push("WriteDataTimeMs", self.write_ms);
        o.push("CommitAndPublishTimeMs", self.commit_ms);
        if let Some(url) = &self.error_url {
            o.push("ErrorURL", url.as_str());
        }
        o.pretty()
    }

    /// StarRocks merge-commit body (`to_merge_commit_json`): only Success or Fail.
    pub(crate) fn merge_commit_json(&self) -> String {
        let status = if self.status == LoadStatus::Success {
            "Success"
        } else {
            "Fail"
        };
        let mut o = Obj::new()
            .with("TxnId", self.txn_id)
            .with("Label", self.label.as_str())
            .with("Status", status)
            .with("Message", self.message.as_str())
            .with("RequestId", self.request_id.as_str())
            .with("LoadBytes", self.load_bytes)
            .with("LoadTimeMs", self.load_ms())
            .with("ReadDataTimeMs", self.read_ms)
            .with("PendingTimeMs", 0)
            .with("WaitPlanTimeMs", 0)
            .with("WriteDataTimeMs", self.write_ms)
            .with("WaitFinishTimeMs", self.commit_ms)
            .with("LeftMergeTimeMs", self.left_merge_ms);
        if let Some(url) = &self.error_url {
            o.push("ErrorURL", url.as_str());
        }
        o.pretty()
    }
}
