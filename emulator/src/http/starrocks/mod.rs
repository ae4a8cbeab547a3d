//! StarRocks handlers: the FE (redirects, label state, merge commit, transaction calls) and the BE
//! (loads and the V2 transaction API), with the transaction contexts V2 keeps between calls.

pub(super) mod be;
pub(super) mod fe;
mod show_proc;
mod txn;
pub(super) mod txn_context;
