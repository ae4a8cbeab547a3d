//! The HTTP rules (redirects, who gets credentials, failover, bodies that break on abort) and
//! the option grammar are core's; this crate keeps StarRocks's wire. Its files read bottom-up:
//! `config` → `client` → `headers` / `response` / `metadata` / `version` → `session` →
//! `txn_call` (V2 transaction calls) → `transaction` / `merge_commit` → `recovery` → `protocol`
//! (the `LoadProtocol` impl, where every error is tagged `backend=starrocks`) → `builder` /
//! `sink`.
#![doc = include_str!("../docs.md")]
#![warn(missing_docs)]

mod builder;
mod capabilities;
mod client;
mod config;
mod error_log;
mod headers;
mod merge_commit;
mod metadata;
mod protocol;
mod recovery;
mod response;
mod session;
mod sink;
mod transaction;
mod txn_call;
mod version;

/// Backend name used in error context and `Prepared::vendor`.
pub(crate) const BACKEND: &str = "starrocks";

pub use builder::StarRocksBuilder;
pub use capabilities::{LABEL_FORMAT, MERGE_COMMIT, V1, V2};
pub use config::{ConfigKey, Mode, Semantic, SinkVersion, StarRocksConfig};
pub use metadata::OP_COLUMN;
pub use protocol::StarRocksProtocol;
pub use sink::{StarRocksSink, StarRocksSinkBuilder};
pub use streamload_core::http::{PemSource, TlsConfig};
pub use version::ServerVersion;
