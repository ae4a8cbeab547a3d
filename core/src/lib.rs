//! streamload-core: the vendor-neutral half of streamload.
//!
//! Vendor crates (`streamload-doris`, `streamload-starrocks`) implement [`LoadProtocol`] and
//! [`Transaction`]: the wire. Everything else lives here, behind the [`Sink`] driver.
//!
//! # Data flow
//!
//! ```text
//! Sink::write(table, op, &row)          serde struct | write_values (dynamic Value row) | write_encoded (bytes)
//!   -> LoadProtocol::describe(table)    once per table: key model, delete column
//!   -> Encoder                          CSV / JSON lines / JSON array, type policy, delete column
//!   -> TableBuffer                      per-table Bytes chunks, cut between rows
//!        + MemoryBudget                 one byte budget across all tables; writers wait
//!   -> flush policy                     batched: rows / bytes / age / flush(); checkpointed: per chunk
//!   -> table task (one per table)       one open load per table, in order; bounded queue = back-pressure
//!        -> LZ4 frame (optional)        one frame per load, streamed chunk by chunk
//!        -> rate limits (optional)      governor: bytes/s, loads/s
//!        -> Transaction::write          begin(label) ... write ... finish | prepare
//!   -> retry + label state              backoff under the same label; outcome unknown -> label_state
//!   -> LoadReport -> SinkStats, metrics, a tracing span per load
//! ```
//!
//! # Delivery
//!
//! * **Batched** ([`Delivery::Batched`]): one load per batch under a deterministic label,
//!   at-least-once. A label found committed on a *first* attempt is an error unless
//!   [`SinkConfig::skip_loaded_batches`] is set; see [`SinkConfig::batch_sequence_start`].
//! * **Checkpointed** ([`Delivery::Checkpointed`]): [`Sink::prepare`] → store the
//!   [`Checkpoint`] → [`Sink::commit`]; after a crash [`Sink::recover`]. Exactly-once.
//! * **Server-batched** protocols ([`Capabilities::server_batched`]): batched, no client label,
//!   at-least-once (a retry after an unknown outcome may duplicate rows).
//!
//! # Example
//!
//! ```no_run
//! use streamload_core::{Delivery, LoadProtocol, Op, Sink, SinkConfig, Table};
//!
//! #[derive(serde::Serialize)]
//! struct Student {
//!     id: i64,
//!     name: String,
//! }
//!
//! async fn load<P: LoadProtocol + 'static>(protocol: P) -> streamload_core::Result<()> {
//!     let config = SinkConfig::builder()
//!         .with_label_prefix("etl")
//!         .with_delivery(Delivery::Checkpointed)
//!         .build()?;
//!     let mut sink = Sink::recover(protocol, config, None).await?;
//!     let table = Table::new("test", "student");
//!     let row = Student { id: 1, name: "Ann".into() };
//!     sink.write(&table, Op::Upsert, &row).await?;
//!     let checkpoint = sink.prepare(1).await?;
//!     // Store `checkpoint` (serde) together with the source offsets, then:
//!     sink.commit(&checkpoint).await?;
//!     sink.close().await
//! }
//! ```
//!
//! The retry rules and the label-state decision table are in [`retry`]; the type policy of the
//! encoders is in [`encode`]; metric names are in [`metrics::names`].
#![warn(missing_docs)]

mod budget;
mod buffer;
mod capabilities;
mod compress;
mod config;
pub mod encode;
mod error;
mod flink;
mod format;
#[cfg(feature = "http")]
pub mod http;
mod label;
pub mod metrics;
pub mod options;
mod protocol;
mod ratelimit;
mod report;
pub mod retry;
mod row;
mod sink;
mod table;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod vendor_tag;

pub use capabilities::Capabilities;
pub use config::{Delivery, ForgottenLabel, SinkConfig, SinkConfigBuilder};
pub use encode::{Date, DateTime, Decimal, EncodeOptions, Encoder, Timestamp, Value};
pub use error::{Error, ErrorKind, Result, RetryStatus};
pub use format::{Compression, CsvFormat, Format, JsonFormat};
/// The date-time crate of the type policy (for building [`Date`], [`DateTime`], [`Timestamp`]).
pub use jiff;
pub use label::{Label, LabelFormat, LabelGenerator};
pub use metrics::SinkStats;
pub use protocol::{
    DeleteColumn, KeysModel, LoadOptions, LoadProtocol, PreparedLoad, TableDescription, Transaction,
};
pub use report::{LabelState, LoadReport, Prepared};
pub use retry::RetryConfig;
pub use row::{Op, RowKind};
pub use sink::{Checkpoint, Sink, TableCursor};
pub use table::Table;
pub use vendor_tag::{VendorProtocol, VendorTransaction};
