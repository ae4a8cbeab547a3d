//! Test doubles for code built on the [`Sink`](crate::Sink) (feature `testing`).
//!
//! [`Recording`] is an in-memory [`LoadProtocol`](crate::LoadProtocol) that keeps label states
//! like a server would, records every call and fails on cue (an error before or after the step
//! took effect), so a test can drive the `Sink` through lost answers and crashes without a
//! server. [`Discard`] accepts every byte and keeps none, for benchmarks of the `Sink` itself.
//! Core's own driver tests use the same doubles. For tests against a real wire, use the
//! `streamload-emulator` crate instead.

mod discard;
mod recording;
mod recording_txn;

pub use discard::Discard;
pub use recording::{Call, Fault, Recording, Server, Step, caps};
