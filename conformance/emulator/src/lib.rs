//! streamload-emulator: a local Doris / StarRocks FE+BE emulator.
//!
//! It parses requests with its own code and shares no types with the client crates, so a bug
//! shared with a client cannot cancel itself out.

pub mod engine;
pub mod http;
pub mod mysql;
