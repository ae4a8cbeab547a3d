//! One batched load, retried under its label until it is loaded, found already loaded, or
//! fails for good.
//!
//! A batch keeps its chunks (cheap `Bytes` clones) until the load is finished, so a retry can
//! resend exactly the same body under exactly the same label; the memory stays charged to the
//! budget until then.

use crate::compress::BodyEncoder;
use crate::error::Result;
use crate::protocol::{LoadProtocol, Transaction};
use crate::report::LoadReport;
use crate::retry::Backoff;
use crate::table::Table;

use super::steps::{Begun, Settled, Shared};
use super::worker::Batch;

/// One batched load with retries: `Some((report, body bytes))`, or `None` when the label was
/// found already loaded.
///
/// Every failure under a label goes through [`Shared::settle`], including a `Label Already
/// Exists` in the load's final answer: a first attempt never concludes "already loaded" from a
/// committed label unless `skip_loaded_batches`, while an attempt that follows one of ours
/// (opened, or with an unknown outcome) may.
pub(crate) async fn run_batch<P: LoadProtocol + ?Sized>(
    shared: &Shared<P>,
    table: &Table,
    batch: &Batch,
) -> Result<Option<(LoadReport, u64)>> {
    let mut backoff = Backoff::new(&shared.config.retry);
    let mut ours_before = false;
    loop {
        let mut opened = false;
        let err = match attempt(shared, table, batch, &mut ours_before, &mut opened).await {
            Ok(done) => return Ok(done),
            Err(e) => e,
        };
        // `begin` settles its own failures; only what failed after it is settled here.
        let err = match &batch.label {
            Some(label) if opened => {
                let settled = shared
                    .settle(table, label, err, ours_before, &batch.options)
                    .await?;
                ours_before = true;
                match settled {
                    Settled::AlreadyLoaded => return Ok(None),
                    Settled::Retry(err) => err,
                }
            }
            _ => err,
        };
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

/// One attempt; `opened` is set once the transaction is open (its requests may have reached
/// the server, so a later attempt follows one of ours).
async fn attempt<P: LoadProtocol + ?Sized>(
    shared: &Shared<P>,
    table: &Table,
    batch: &Batch,
    ours_before: &mut bool,
    opened: &mut bool,
) -> Result<Option<(LoadReport, u64)>> {
    let mut txn = match shared
        .begin(table, batch.label.as_ref(), &batch.options, ours_before)
        .await?
    {
        Begun::Open(txn) => txn,
        Begun::AlreadyLoaded => return Ok(None),
    };
    *opened = true;
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
