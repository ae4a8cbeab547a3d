//! The writer as a child process: its step lines as they come, SIGKILL on demand, and its exit.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Tail, drain_into};
use crate::chaos::args::step_name;

/// How a writer run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunExit {
    /// Exited with status 0.
    Finished,
    /// Killed by us.
    Killed,
    /// Aborted itself (`--abort-after`).
    Aborted,
    /// Exited with an error; the text is the tail of its stderr.
    Failed(String),
    /// Still running at its deadline (then killed).
    Wedged,
}

/// What waiting for a step found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStep {
    /// The step was printed.
    Seen,
    /// The writer's stdout ended first (it exited).
    Ended,
    /// The deadline passed.
    TimedOut,
}

/// A running writer.
#[derive(Debug)]
pub struct WriterProcess {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    stderr: Tail,
    last_step: String,
    killed: bool,
}

impl WriterProcess {
    /// Spawns `program` (the `chaos_writer` binary) with `args`.
    pub fn spawn(program: &Path, args: &[String]) -> Result<WriterProcess, String> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot spawn the writer: {e}"))?;
        let stdout = child.stdout.take().ok_or("no writer stdout")?;
        let stderr = Tail::default();
        drain_into(
            child.stderr.take().ok_or("no writer stderr")?,
            stderr.clone(),
        );
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Ok(WriterProcess {
            child,
            lines,
            stderr,
            last_step: "start".to_owned(),
            killed: false,
        })
    }

    /// The last step the writer printed.
    pub fn last_step(&self) -> &str {
        &self.last_step
    }

    /// Waits until the `nth` (from 1) `step` line of this run, or its end, or `deadline`.
    pub async fn wait_step(&mut self, step: &str, nth: u32, deadline: Instant) -> WaitStep {
        let mut seen = 0;
        loop {
            match tokio::time::timeout_at(deadline, self.lines.recv()).await {
                Err(_) => return WaitStep::TimedOut,
                Ok(None) => return WaitStep::Ended,
                Ok(Some(line)) => {
                    if step_name(&line).is_some() {
                        self.last_step = line.trim_start_matches("step ").to_owned();
                    }
                    if step_name(&line) == Some(step) {
                        seen += 1;
                        if seen >= nth {
                            return WaitStep::Seen;
                        }
                    }
                }
            }
        }
    }

    /// SIGKILL now.
    pub fn kill(&mut self) {
        self.killed = true;
        let _ = self.child.start_kill();
    }

    /// Waits for the exit until `deadline` (killing it then) and says how the run ended.
    pub async fn finish(mut self, deadline: Instant) -> (RunExit, String) {
        // Keep reading steps, so the last one is known.
        while let Ok(Some(line)) = tokio::time::timeout_at(deadline, self.lines.recv()).await {
            if step_name(&line).is_some() {
                self.last_step = line.trim_start_matches("step ").to_owned();
            }
        }
        let status = match tokio::time::timeout_at(deadline, self.child.wait()).await {
            Ok(Ok(status)) => status,
            _ => {
                let _ = self.child.start_kill();
                let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
                return (RunExit::Wedged, self.last_step);
            }
        };
        // The stderr task may lag the exit by a moment.
        tokio::time::sleep(Duration::from_millis(20)).await;
        use std::os::unix::process::ExitStatusExt;
        let exit = if self.killed {
            RunExit::Killed
        } else if status.success() {
            RunExit::Finished
        } else if status.signal() == Some(6) {
            RunExit::Aborted
        } else {
            RunExit::Failed(self.stderr.text())
        };
        (exit, self.last_step)
    }
}
