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
pub use version::ServerVersion;
