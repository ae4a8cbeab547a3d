//! streamload-doris: the Apache Doris Stream Load client of streamload.
//!
//! Implements `streamload_core::LoadProtocol` and `Transaction` over Doris' HTTP Stream Load:
//! the FE → BE redirect done by us, streaming two-phase loads (exactly-once), batch loads
//! (at-least-once) and group commit, deletes through `__DORIS_DELETE_SIGN__`, and recovery of
//! precommitted transactions after a crash.
//!
//! The HTTP rules (redirects, who gets credentials, failover, bodies that break on abort) and
//! the option grammar are core's; this crate keeps Doris's wire. Its files read bottom-up:
//! `config` → `client` / `nodes` → `headers` / `response` / `metadata` → `session` →
//! `txn_call` (2PC calls) → `transaction` → `recovery` → `protocol` (the `LoadProtocol` impl,
//! where every error is tagged `backend=doris`) → `builder` / `sink`.
#![doc = include_str!("../docs.md")]
#![warn(missing_docs)]

mod builder;
mod capabilities;
mod client;
mod compress;
mod config;
mod error_log;
mod headers;
mod metadata;
mod nodes;
mod protocol;
mod recovery;
mod response;
mod session;
mod sink;
mod transaction;
mod txn_call;

/// Vendor name used in error context and `Prepared::vendor`.
pub(crate) const BACKEND: &str = "doris";

pub use builder::DorisBuilder;
pub use capabilities::{DORIS_LABEL_FORMAT, capabilities};
pub use config::{ConfigKey, DorisConfig, DorisMode, GroupCommitMode};
pub use metadata::{DELETE_SIGN, delete_column};
pub use protocol::DorisProtocol;
pub use sink::{DorisSink, DorisSinkBuilder};
pub use streamload_core::http::{PemSource, TlsConfig};

/// The workspace README's API tour, compiled as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeTour;
