//! streamload-conformance: one behaviour suite run against every mode of both backends.
//!
//! The design card promises that one suite checks Doris and StarRocks alike. It is built the
//! way object_store's `integration.rs` and sqlx's `test_type!` are: every case is a plain
//! `pub async fn case(target: &dyn Target) -> Result` in [`cases`], named after the behaviour it
//! checks, and [`conformance_suite!`] stamps one `#[tokio::test]` per case for a target, so
//! `cargo test` filters and reports them like any other test.
//!
//! # Targets
//!
//! A [`Target`] is one backend in one delivery mode ([`Mode`]: `doris-2pc`, `doris-batch`,
//! `doris-group-commit`, `starrocks-v2`, `starrocks-v2-at-least-once`, `starrocks-v1`,
//! `starrocks-merge-commit`). [`emulated`] starts a fresh emulator per case; [`real`] uses the
//! cluster named by `STREAMLOAD_DORIS_*` / `STREAMLOAD_STARROCKS_*` (`_URL`, `_MYSQL`, `_USER`,
//! `_PASSWORD`) with a fresh database per case, and prints why it skips when they are unset.
//!
//! # Gating
//!
//! Cases read [`streamload_core::Capabilities`] and [`Target::delivery`], never a vendor name;
//! a case that does not apply ends with [`skip!`], which prints why. A case that fails because
//! of a known bug elsewhere ends with [`known_bug!`], which prints the bug.
//!
//! ```no_run
//! mod doris_2pc {
//!     streamload_conformance::conformance_suite!(
//!         streamload_conformance::emulated,
//!         streamload_conformance::Mode::Doris2pc
//!     );
//! }
//! ```
#![warn(missing_docs)]

pub mod cases;
pub mod chaos;
mod cluster;
mod failure;
mod modes;
mod sql;
mod suite;
mod target;

pub use cluster::{ClusterTarget, EMULATOR_PASSWORD, real};
pub use failure::{Failure, Result, ResultExt};
pub use modes::{Endpoints, Mode};
pub use suite::emulated;
pub use target::{DynProtocol, Keys, ProtocolSetup, TableSpec, Target, TargetExt};
