//! One batched load, retried under its label until it is loaded, found already loaded, or
//! fails for good.
//!
//! A batch keeps its chunks (cheap `Bytes` clones) until the load is finished, so a retry can
//! resend exactly the same body under exactly the same label; the memory stays charged to the
//! budget until then.

use crate::compress::BodyEncoder;
use crate::error::{ErrorKind, Result, RetryStatus};
use crate::protocol::{LoadProtocol, Transaction};
use crate::report::{LabelState, LoadReport};
use crate::retry::Backoff;
use crate::table::Table;

use super::steps::{Begun, Shared};
use super::worker::Batch;

/// One batched load with retries: `Some((report, body bytes))`, or `None` when the label was
/// found already loaded.
pub(crate) async fn run_batch<P: LoadProtocol + ?Sized>(
    shared: &Shared<P>,
    table: &Table,
    batch: &Batch,
) -> Result<Option<(LoadReport, u64)>> {
    let mut backoff = Backoff::new(&shared.config.retry);
    let mut ours_before = false;
    loop {
        let err = match attempt(shared, table, batch, &mut ours_before).await {
            Ok(done) => return Ok(done),
            Err(e) => e,
        };
        if let (RetryStatus::OutcomeUnknown, Some(label)) = (err.retry_status(), &batch.label) {
            let state = shared.label_state(table, label).await?;
            if state.is_committed() {
                return Ok(None);
            }
            if matches!(state, LabelState::Prepare | LabelState::Precommitted) {
                match shared.abort_label(table, label).await {
                    Err(e) if e.kind() == ErrorKind::AlreadyCommitted => return Ok(None),
                    other => other?,
                }
            }
        }
        match backoff.next_delay(&err) {
            Some(delay) => {
                shared.stats.retry(table);
                tracing::warn!(table = %table, error = %err, ?delay, "Retrying the batch under the same label.");
                tokio::time::sleep(delay).await;
            }
            None => return Err(err.permanent()),
        }
    }
}

async fn attempt<P: LoadProtocol + ?Sized>(
    shared: &Shared<P>,
    table: &Table,
    batch: &Batch,
    ours_before: &mut bool,
) -> Result<Option<(LoadReport, u64)>> {
    let mut txn = match shared
        .begin(table, batch.label.as_ref(), &batch.options, ours_before)
        .await?
    {
        Begun::Open(txn) => txn,
        Begun::AlreadyLoaded => return Ok(None),
    };
    let mut body_bytes = 0u64;
    let sent: Result<()> = async {
        let mut encoder =
            BodyEncoder::new(batch.options.compression, shared.caps.multi_load_per_txn)?;
        for chunk in &batch.chunks {
            let body = encoder.chunk(&chunk.bytes)?;
            body_bytes += write_body(shared, txn.as_mut(), body).await?;
        }
        body_bytes += write_body(shared, txn.as_mut(), encoder.finish()?).await?;
        Ok(())
    }
    .await;
    if let Err(e) = sent {
        if let Err(abort) = txn.abort().await {
            tracing::warn!(table = %table, error = %abort, "Abort after a failed write failed.");
        }
        return Err(e);
    }
    let report = txn.finish().await?;
    Ok(Some((report, body_bytes)))
}

async fn write_body<P: LoadProtocol + ?Sized>(
    shared: &Shared<P>,
    txn: &mut dyn Transaction,
    body: bytes::Bytes,
) -> Result<u64> {
    if body.is_empty() {
        return Ok(0);
    }
    shared.limits.before_bytes(body.len()).await;
    let len = body.len() as u64;
    txn.write(body).await?;
    Ok(len)
}
