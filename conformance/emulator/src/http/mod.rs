//! The FE and BE HTTP listeners of both flavors, the load parser, and the request log.
//!
//! Layout: `server` owns the sockets and the one dispatch point; `doris_*` and `sr_*` are the
//! per-flavor handlers; `load` turns bodies into rows; `load_exec`, `batcher` and `sr_txn` run
//! loads, group/merge-commit windows and V2 transactions on top of the engine.

// Handlers return a ready response as the error of their checks (`Result<_, Response<Body>>`);
// it is built once per request, so its size does not matter.
#![allow(clippy::result_large_err)]

mod admin;
mod auth;
mod batcher;
mod doris_2pc;
mod doris_be;
mod doris_fe;
mod error_log;
pub mod faults;
mod ids;
pub mod load;
mod load_exec;
mod load_report;
mod reply;
pub mod request_log;
mod server;
mod sr_be;
mod sr_context;
mod sr_fe;
mod sr_txn;
mod state;
pub mod switches;
mod texts;

pub(crate) use server::serve;
pub(crate) use sr_context::reap;
pub(crate) use state::HttpState;
