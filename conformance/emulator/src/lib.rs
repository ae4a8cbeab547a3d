//! streamload-emulator: a local Doris / StarRocks FE+BE emulator.
//!
//! Not implemented yet: this crate compiles so the workspace does, and exports nothing.
