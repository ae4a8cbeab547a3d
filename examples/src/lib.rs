//! streamload-examples: example pipelines built on streamload.
//!
//! Not implemented yet: this crate compiles so the workspace does, and exports nothing.
