//! The peer: the `starrocks-stream-load` crate (crates.io) loading the same generated rows into
//! the same emulator, for the throughput and memory comparison in BENCHMARKS.md.
//!
//! The crate takes whole `Bytes` bodies (no streaming), so the data goes in batches of
//! `batch_bytes`; with V2 every batch is one `/api/transaction/load` of a single transaction
//! (the exactly-once path, as the `Sink`'s), with V1 every batch is one Stream Load.
//!
//! The crate sends every request to one configured address and follows one redirect by
//! resending the whole body. A body sent to the FE is refused there (the FE answers 307 and
//! closes without reading it), so the data requests go to the BE, a valid StarRocks load
//! address. The BE forgets a transaction once it is prepared and the FE commits it, so the V2
//! commit goes through a second manager configured with the FE.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use starrocks_stream_load::{
    DataFormat, StreamLoadConfig, StreamLoadManager, StreamLoadTableProperties,
};

use super::typed::RowText;
use super::{PIECE, Rows};

fn manager(url: &str, v2: bool) -> Result<StreamLoadManager, String> {
    manager_for(url, v2, DataFormat::CSV)
}

fn manager_for(url: &str, v2: bool, format: DataFormat) -> Result<StreamLoadManager, String> {
    let host = url.trim_start_matches("http://").to_owned();
    let config = StreamLoadConfig::builder(vec![host], "test".into(), "root".into())
        .password("")
        .enable_transaction(v2)
        .build();
    let json = matches!(format, DataFormat::JSON);
    let properties = StreamLoadTableProperties::builder()
        .database("test")
        .table("bench")
        .format(format);
    // The BE refuses JSON past 100 MB per transaction unless told to ignore the size.
    let properties = if json {
        properties.strip_outer_array(true).ignore_json_size(true)
    } else {
        properties.column_separator("\\t")
    };
    let properties = properties.build();
    StreamLoadManager::new(config, properties).map_err(|e| e.to_string())
}

/// Loads about `bytes` of generated rows into `test.bench` through `be_url` in bodies of
/// `batch_bytes` (0: the whole input in one body); a V2 transaction committed through `fe_url`
/// when `v2`.
pub async fn peer_load(
    be_url: &str,
    fe_url: &str,
    bytes: u64,
    batch_bytes: u64,
    v2: bool,
) -> Result<Duration, String> {
    let batch_bytes = if batch_bytes == 0 { bytes } else { batch_bytes };
    let data = manager(be_url, v2)?;
    let label = format!("peer_{}", std::process::id());
    let started = Instant::now();
    if v2 {
        data.begin_transaction(&label)
            .await
            .map_err(|e| e.to_string())?;
    }
    let mut rows = Rows::new(bytes).peekable();
    let mut sequence = 0usize;
    while rows.peek().is_some() {
        // One body of about `batch_bytes`, in one allocation.
        let mut batch = BytesMut::with_capacity(batch_bytes as usize + PIECE);
        while (batch.len() as u64) < batch_bytes
            && let Some((piece, _)) = rows.next()
        {
            batch.extend_from_slice(&piece);
        }
        let body: Bytes = batch.freeze();
        sequence += 1;
        if v2 {
            // The chunk's sequence number, as the crate's README passes it (it goes out as a
            // `channel_num` header, which the BE does not read on a load).
            data.load_transaction_data(&label, "test", "bench", sequence, body)
                .await
                .map_err(|e| e.to_string())?;
        } else {
            data.send_single_batch(&format!("{label}_{sequence}"), body)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    if v2 {
        data.prepare_transaction(&label)
            .await
            .map_err(|e| e.to_string())?;
        manager(fe_url, v2)?
            .commit_transaction(&label)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(started.elapsed())
}

/// Loads `rows` typed rows into `test.bench` through V2 as the crate's user would: each body
/// serialized with `serde_json` into a JSON array of about `batch_bytes` (0: all rows in one
/// body), loaded with `strip_outer_array`; committed through `fe_url`.
pub async fn peer_load_rows(
    be_url: &str,
    fe_url: &str,
    rows: u64,
    batch_bytes: u64,
) -> Result<Duration, String> {
    let batch_bytes = if batch_bytes == 0 {
        u64::MAX
    } else {
        batch_bytes
    };
    let data = manager_for(be_url, true, DataFormat::JSON)?;
    let label = format!("peer_rows_{}", std::process::id());
    let started = Instant::now();
    data.begin_transaction(&label)
        .await
        .map_err(|e| e.to_string())?;
    let mut text = RowText::default();
    let mut id = 0u64;
    let mut sequence = 0usize;
    while id < rows {
        let mut body = Vec::with_capacity(batch_bytes.min(64 << 20) as usize);
        body.push(b'[');
        while id < rows && (body.len() as u64) < batch_bytes {
            if body.len() > 1 {
                body.push(b',');
            }
            serde_json::to_writer(&mut body, &text.row(id)).map_err(|e| e.to_string())?;
            id += 1;
        }
        body.push(b']');
        sequence += 1;
        data.load_transaction_data(&label, "test", "bench", sequence, Bytes::from(body))
            .await
            .map_err(|e| e.to_string())?;
    }
    data.prepare_transaction(&label)
        .await
        .map_err(|e| e.to_string())?;
    manager_for(fe_url, true, DataFormat::JSON)?
        .commit_transaction(&label)
        .await
        .map_err(|e| e.to_string())?;
    Ok(started.elapsed())
}
