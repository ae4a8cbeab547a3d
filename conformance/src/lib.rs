//! streamload-conformance: one behaviour suite run against every backend and mode.
//!
//! Not implemented yet: this crate compiles so the workspace does, and exports nothing.
