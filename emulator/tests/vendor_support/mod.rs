//! Support for the vendor-suite runner (`tests/vendor_suites.rs`): the script format, the curl
//! lines, and running a script against an emulator.

#![allow(dead_code, unreachable_pub)]

pub mod curl;
pub mod exec;
pub mod script;
