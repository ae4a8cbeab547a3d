//! Process-level chaos: a real writer process, a real emulator process, a fault proxy between
//! them, and `kill -9` on both, with a check of the table after every scenario.
//!
//! In-process crash tests (the exactly-once example) cut sockets by dropping a runtime, which
//! cannot show what a dead process leaves behind: half-sent bodies, answers that reached nobody,
//! a server that died between writing its commit and answering it. Here every party is its own
//! process or socket, as in production:
//!
//! * [`source`]: the deterministic source the writer reads (offsets `0..N`, one id each) and the
//!   state file it stores atomically with its checkpoint;
//! * the `chaos_writer` binary: a production-shaped job over the public `Sink` API that prints
//!   a `step …` line per protocol step and can abort itself right after one;
//! * [`proxy`]: a TCP proxy in front of the emulator's FE and BE that drops answers, delays them
//!   and resets requests mid-body on a seeded schedule, and counts what it did;
//! * [`process`]: the emulator and writer children, killed with SIGKILL at chosen moments and
//!   always killed on drop;
//! * [`check`]: what the table must hold afterwards, per delivery guarantee;
//! * [`scenario`]: the seeded plan of one mode's runs and the counters of a whole suite.
//!
//! Everything listens on 127.0.0.1; every loop is bounded by counts, every child by a timeout.

pub mod args;
pub mod check;
pub mod plan;
pub mod process;
pub mod proxy;
pub mod scenario;
pub mod source;
