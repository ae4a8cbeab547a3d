//! Doris handlers: the FE (`/api/{db}/{table}/_stream_load` redirects, 2PC, label state,
//! `/api/backends`) and the BE (loads, group commit, the BE side of 2PC).

pub(super) mod be;
pub(super) mod fe;
mod two_pc;
