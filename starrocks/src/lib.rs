//! streamload-starrocks: StarRocks Stream Load client on top of `streamload-core`.
//!
//! Not implemented yet: this crate compiles so the workspace does, and exports nothing.
