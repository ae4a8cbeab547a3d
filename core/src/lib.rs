//! streamload-core: the vendor-neutral half of streamload.
//!
//! This crate is being built; its contents arrive with the core issue.
