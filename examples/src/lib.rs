//! streamload-examples: what a user runs first, and pipelines that prove the library.
//!
//! The binaries are thin; their logic lives here as library functions so tests run exactly
//! what the binaries run:
//!
//! * `quickstart` → [`quickstart::run`]: the Doris connector's quick start on both vendors,
//!   exactly-once, on an in-process emulator unless `DORIS_FE_URL` / `STARROCKS_FE_URL` name a
//!   cluster ([`endpoint::Endpoint::from_env_or_emulator`]).
//! * `exactly-once-demo` → [`exactly_once`]: a source with offsets, crashed at random points and
//!   resumed from the stored checkpoint; the table ends equal to the input.
//! * `streamload-load` → [`loader`]: a bulk CSV / NDJSON loader with deterministic labels and
//!   resume.
//! * `mysql-sync` → [`sync`]: MySQL / MariaDB whole-database sync (snapshot, then binlog),
//!   exactly-once through the binlog position stored with the sink checkpoint.
//! * `bench` → [`mod@bench`]: client throughput and memory on an emulator in discard mode
//!   (BENCHMARKS.md).
#![warn(missing_docs)]

pub mod bench;
pub mod endpoint;
pub mod exactly_once;
pub mod loader;
pub mod quickstart;
pub mod sinks;
pub mod sql;
pub mod sync;
