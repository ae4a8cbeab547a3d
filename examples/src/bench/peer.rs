//! The peer: the `starrocks-stream-load` crate (crates.io) loading the same generated rows into
//! the same emulator, for the throughput and memory comparison in BENCHMARKS.md.
//!
//! The crate takes whole `Bytes` bodies (no streaming), so the data goes in batches of
//! `batch_bytes`; with V2 every batch is one `/api/transaction/load` of a single transaction,
//! with V1 every batch is one Stream Load.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use starrocks_stream_load::{
    DataFormat, StreamLoadConfig, StreamLoadManager, StreamLoadTableProperties,
};

use super::generate;

/// Loads about `bytes` of generated rows into `test.bench`; V2 transaction when `v2`.
pub async fn peer_load(
    fe_url: &str,
    bytes: u64,
    batch_bytes: usize,
    v2: bool,
) -> Result<Duration, String> {
    let host = fe_url.trim_start_matches("http://").to_owned();
    let config = StreamLoadConfig::builder(vec![host], "test".into(), "root".into())
        .password("")
        .enable_transaction(v2)
        .build();
    let properties = StreamLoadTableProperties::builder()
        .database("test")
        .table("bench")
        .format(DataFormat::CSV)
        .column_separator("\\t")
        .build();
    let manager = StreamLoadManager::new(config, properties).map_err(|e| e.to_string())?;
    let label = format!("peer_{}", std::process::id());
    let started = Instant::now();
    if v2 {
        manager
            .begin_transaction(&label)
            .await
            .map_err(|e| e.to_string())?;
    }
    let mut batch = BytesMut::new();
    let mut batches: Vec<Bytes> = Vec::new();
    let mut sequence = 0usize;
    let mut made = 0u64;
    while made < bytes {
        let step = (bytes - made).min(batch_bytes as u64);
        generate(step, |piece, _| batch.extend_from_slice(&piece));
        made += step;
        batches.push(batch.split().freeze());
        for body in batches.drain(..) {
            sequence += 1;
            if v2 {
                // The chunk's sequence number, as the crate's README passes it (it goes out as
                // a `channel_num` header, which the BE does not read on a load).
                manager
                    .load_transaction_data(&label, "test", "bench", sequence, body)
                    .await
                    .map_err(|e| e.to_string())?;
            } else {
                manager
                    .send_single_batch(&format!("{label}_{sequence}"), body)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    if v2 {
        manager
            .prepare_transaction(&label)
            .await
            .map_err(|e| e.to_string())?;
        manager
            .commit_transaction(&label)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(started.elapsed())
}
