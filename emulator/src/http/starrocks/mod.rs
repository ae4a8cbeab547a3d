//! StarRocks handlers: the FE (redirects, label state, merge commit, transaction calls) and the BE
//! (loads and the V2 transaction API), with the transaction contexts V2 keeps between calls, and
//! StarRocks 4.0's multi-table transactions (kept on the FE, loads on a BE).

pub(super) mod be;
pub(super) mod fe;
mod multi_load;
pub(super) mod multi_txn;
mod show_proc;
mod txn;
pub(super) mod txn_context;
