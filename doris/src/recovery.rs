//! Recovery pieces only Doris needs: the probing abort of servers without abort-by-label, and the
//! walk over the labels a crashed writer may have left precommitted.
//!
//! Before Doris 2.1 a transaction could be aborted only by id, and the id of a load whose answer
//! was lost is unknown. The Flink connector's trick (doris-protocol §9.4) finds it: an empty-body
//! two-phase load under the same label either fails with `Label Already Exists … relate to txn
//! [id]` (then abort that id) or succeeds, creating an empty transaction that is aborted at once.
//! A label found FINISHED where we meant to abort fails loudly: its data is already visible.

use reqwest::Method;
use streamload_core::{
    Compression, CsvFormat, Error, ErrorKind, Format, Label, LabelGenerator, LabelState,
    LoadOptions, Result, Table,
};

use crate::headers::load_headers;
use crate::nodes::host_port;
use crate::response::{TxnOp, TxnOpOutcome, classify_load};
use crate::session::{Shared, TxnRef};

/// What a probing abort found under a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Probed {
    /// The label was held by a running or precommitted transaction, now aborted.
    AbortedHolder,
    /// The label was free; the probe's own empty transaction was aborted.
    Free,
}

fn finished_error(label: &Label) -> Error {
    Error::new(
        ErrorKind::AlreadyCommitted,
        format!(
            "label {label} belongs to a finished load, so it cannot be aborted; \
             change the label prefix or restore from the latest checkpoint"
        ),
    )
    .with_context("label", label)
}

/// Aborts whatever holds `label` by probing it with an empty two-phase load (reference §9.4).
pub(crate) async fn probe_abort(shared: &Shared, table: &Table, label: &Label) -> Result<Probed> {
    let options = LoadOptions {
        format: Format::Csv(CsvFormat::default()),
        compression: Compression::None,
        columns: None,
        two_phase: true,
    };
    let headers = load_headers(&shared.config, &options, Some(label))?;
    let segments = [
        "api",
        table.db.as_str(),
        table.name.as_str(),
        "_stream_load",
    ];
    let target = shared
        .client
        .resolve_load_target(&segments, &headers)
        .await?;
    let coordinator = host_port(&target);
    let answer = shared.client.request(Method::PUT, target, &headers).await?;
    match classify_load(answer.status, &answer.body) {
        Ok(response) => {
            let id = response.txn_id().ok_or_else(|| {
                Error::new(ErrorKind::Protocol, "probe load answered without TxnId")
                    .with_context("label", label)
            })?;
            shared
                .txn_op(
                    &table.db,
                    TxnRef::Id(id),
                    crate::response::TxnOp::Abort,
                    Some(&coordinator),
                    Some(label),
                )
                .await?;
            Ok(Probed::Free)
        }
        Err(e) if e.kind() == ErrorKind::LabelAlreadyExists => {
            if e.existing_job_status() == Some("FINISHED") {
                return Err(finished_error(label));
            }
            let id: i64 = e.existing_txn_id().ok_or_else(|| {
                Error::new(
                    ErrorKind::Protocol,
                    "label is in use but no txn id was given",
                )
                .with_context("label", label)
            })?;
            shared
                .txn_op(
                    &table.db,
                    TxnRef::Id(id),
                    crate::response::TxnOp::Abort,
                    None,
                    Some(label),
                )
                .await?;
            Ok(Probed::AbortedHolder)
        }
        Err(e) => Err(e),
    }
}

/// Aborts the transactions a crashed writer may have left behind under `generator`'s labels for
/// `table`, starting at load number `first` (the checkpoint after the restored one) and stopping
/// at the first label that was never used or is already aborted. Returns how many were aborted.
pub(crate) async fn abort_lingering(
    shared: &Shared,
    table: &Table,
    generator: &LabelGenerator,
    first: u64,
) -> Result<u64> {
    let mut aborted = 0;
    for seq in first.. {
        let label = generator.label(table, seq)?;
        if !shared.config.abort_by_label {
            match probe_abort(shared, table, &label).await? {
                Probed::Free => return Ok(aborted),
                Probed::AbortedHolder => aborted += 1,
            }
            continue;
        }
        match shared.label_state(&table.db, &label).await? {
            LabelState::Unknown | LabelState::Aborted => return Ok(aborted),
            LabelState::Prepare | LabelState::Precommitted => {
                shared
                    .abort(table, TxnRef::Label(&label), None, None)
                    .await?;
                tracing::info!(label = %label, "aborted a lingering transaction");
                aborted += 1;
            }
            LabelState::Committed | LabelState::Visible => return Err(finished_error(&label)),
        }
    }
    Ok(aborted)
}

impl crate::DorisProtocol {
    /// The label generator of this writer (`{prefix}_{db}_{table}_{writer}_{seq}`).
    pub fn label_generator(&self) -> Result<LabelGenerator> {
        let config = &self.shared.config;
        LabelGenerator::new(
            config.label_prefix.clone(),
            config.writer_id.clone(),
            crate::capabilities::DORIS_LABEL_FORMAT,
        )
    }

    /// Aborts transactions a crashed writer left running or precommitted for `table`, starting
    /// at checkpoint `first` (the one after the restored checkpoint), as the Flink connector does
    /// on restore. Fails with `AlreadyCommitted` when such a label is already visible.
    pub async fn abort_lingering(&self, table: &Table, first: u64) -> Result<u64> {
        abort_lingering(&self.shared, table, &self.label_generator()?, first).await
    }
}

impl Shared {
    /// Aborts by txn id or label. Already aborted / gone is `Ok`; committed is `AlreadyCommitted`.
    pub(crate) async fn abort(
        &self,
        table: &Table,
        txn: TxnRef<'_>,
        coordinator: Option<&str>,
        label: Option<&Label>,
    ) -> Result<()> {
        if let TxnRef::Label(label) = txn
            && !self.config.abort_by_label
        {
            return probe_abort(self, table, label).await.map(|_| ());
        }
        match self
            .txn_op(&table.db, txn, TxnOp::Abort, coordinator, label)
            .await?
        {
            TxnOpOutcome::Done | TxnOpOutcome::AlreadyDone => Ok(()),
            TxnOpOutcome::NoRunningTxn => {
                let TxnRef::Label(label) = txn else {
                    return Ok(());
                };
                let state = self.label_state(&table.db, label).await?;
                if state.is_committed() {
                    return Err(Error::new(
                        ErrorKind::AlreadyCommitted,
                        format!("label {label} is {state:?}; it cannot be aborted (restored from an old checkpoint?)"),
                    )

                    .with_context("label", label));
                }
                Ok(())
            }
        }
    }
}
