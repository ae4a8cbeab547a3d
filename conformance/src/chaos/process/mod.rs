//! The suite's child processes: the emulator and the writer.
//!
//! Both are spawned with `kill_on_drop`, so a failing test never leaves one running, and every
//! wait on them has a deadline, so a wedged child fails the test loudly instead of hanging CI.
//! Their output is drained by background tasks (a child writing into a full pipe would stall)
//! and the tail of stderr is kept for failure reports.

mod emulator;
mod writer;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

pub use emulator::{EmulatorPorts, EmulatorProcess};
pub use writer::{RunExit, WaitStep, WriterProcess};

/// Lines kept from a child's stderr.
const TAIL_LINES: usize = 20;

/// The last lines a child wrote, shared with the task that reads them.
#[derive(Debug, Clone, Default)]
struct Tail(Arc<Mutex<VecDeque<String>>>);

impl Tail {
    fn push(&self, line: String) {
        let mut lines = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if lines.len() == TAIL_LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    fn text(&self) -> String {
        let lines = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        lines.iter().cloned().collect::<Vec<_>>().join(" | ")
    }
}

/// Reads `stream` line by line into `tail` until it ends.
fn drain_into(stream: impl AsyncRead + Unpin + Send + 'static, tail: Tail) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            tail.push(line);
        }
    });
}
