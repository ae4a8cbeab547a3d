//! The FE and BE HTTP listeners of both flavors, the load parser, and the request log.
//!
//! Layout: `server` owns the sockets and the one dispatch point; `doris` and `starrocks` hold the
//! per-flavor FE and BE handlers; `load` turns bodies into rows; `load_exec`, `batcher` and
//! `starrocks::txn` run loads, group/merge-commit windows and V2 transactions on top of the engine.

// Handlers return a ready response as the error of their checks (`Result<_, Response<Body>>`);
// it is built once per request, so its size does not matter.
#![allow(clippy::result_large_err)]

mod admin;
mod auth;
mod batcher;
mod doris;
mod error_log;
pub mod faults;
mod ids;
pub mod load;
mod load_exec;
mod load_report;
mod reply;
pub mod request_log;
mod server;
mod starrocks;
mod state;
pub mod switches;
mod texts;
pub mod tls;
mod version_gate;

pub(crate) use server::serve;
pub(crate) use starrocks::txn_context::reap;
pub(crate) use state::{Cluster, HttpState};
pub(crate) use tls::Acceptor;
