//! Counters of a load run, the progress bar drawn from them, and the summary printed at the end.
//!
//! Workers only bump atomics; the bar (indicatif) is redrawn by its own ticker, so drawing never
//! slows loading, and the same counters make the summary and the tests' crash trigger.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Live counters of a run (shared by the workers, the bar and the caller).
#[derive(Debug, Default)]
pub struct Progress {
    /// Input bytes of finished chunks (loaded or skipped).
    pub input_bytes: AtomicU64,
    /// Body bytes sent in successful loads (after compression).
    pub bytes_sent: AtomicU64,
    /// Rows loaded by this run.
    pub rows_loaded: AtomicU64,
    /// Rows filtered by the server.
    pub rows_filtered: AtomicU64,
    /// Rows of chunks found already loaded (by an earlier run) and skipped.
    pub rows_skipped: AtomicU64,
    /// Chunks loaded by this run.
    pub chunks_loaded: AtomicU64,
    /// Chunks found already loaded and skipped.
    pub chunks_skipped: AtomicU64,
}

/// The numbers of a finished (or stopped) run.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Inputs read.
    pub inputs: usize,
    /// Chunks loaded by this run.
    pub chunks_loaded: u64,
    /// Chunks skipped because an earlier run loaded them.
    pub chunks_skipped: u64,
    /// Rows loaded by this run.
    pub rows_loaded: u64,
    /// Rows skipped (already loaded).
    pub rows_skipped: u64,
    /// Rows the server filtered.
    pub rows_filtered: u64,
    /// Input bytes processed.
    pub input_bytes: u64,
    /// Body bytes sent.
    pub bytes_sent: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl Progress {
    /// A snapshot as a summary.
    pub fn summary(&self, inputs: usize, elapsed: Duration) -> Summary {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Summary {
            inputs,
            chunks_loaded: get(&self.chunks_loaded),
            chunks_skipped: get(&self.chunks_skipped),
            rows_loaded: get(&self.rows_loaded),
            rows_skipped: get(&self.rows_skipped),
            rows_filtered: get(&self.rows_filtered),
            input_bytes: get(&self.input_bytes),
            bytes_sent: get(&self.bytes_sent),
            elapsed,
        }
    }

    /// Draws a bar on stderr until the returned guard is dropped; `total` input bytes when
    /// known (a spinner otherwise).
    pub fn show(self: &Arc<Self>, total: Option<u64>) -> BarGuard {
        let bar = match total {
            Some(total) => ProgressBar::new(total),
            None => ProgressBar::new_spinner(),
        };
        let template = if total.is_some() {
            "{elapsed_precise} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}"
        } else {
            "{elapsed_precise} {spinner} {bytes} {binary_bytes_per_sec} {msg}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        let progress = Arc::clone(self);
        let ticker_bar = bar.clone();
        let started = Instant::now();
        let ticker = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            loop {
                tick.tick().await;
                let s = progress.summary(0, started.elapsed());
                ticker_bar.set_position(s.input_bytes);
                let secs = s.elapsed.as_secs_f64().max(1e-3);
                ticker_bar.set_message(format!(
                    "{} rows, {:.0} rows/s",
                    s.rows_loaded + s.rows_skipped,
                    s.rows_loaded as f64 / secs
                ));
            }
        });
        BarGuard { bar, ticker }
    }
}

/// Keeps the bar alive; dropping it stops and clears the bar.
#[derive(Debug)]
pub struct BarGuard {
    bar: ProgressBar,
    ticker: tokio::task::JoinHandle<()>,
}

impl Drop for BarGuard {
    fn drop(&mut self) {
        self.ticker.abort();
        self.bar.finish_and_clear();
    }
}

impl Summary {
    /// The summary as printed at the end of a run.
    pub fn render(&self) -> String {
        let secs = self.elapsed.as_secs_f64().max(1e-3);
        let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
        format!(
            "inputs: {}\nchunks: {} loaded, {} skipped (already loaded)\n\
             rows: {} loaded, {} skipped, {} filtered by the server\n\
             bytes: {:.1} MiB read, {:.1} MiB sent\n\
             time: {:.2} s, {:.0} rows/s, {:.1} MiB/s\n",
            self.inputs,
            self.chunks_loaded,
            self.chunks_skipped,
            self.rows_loaded,
            self.rows_skipped,
            self.rows_filtered,
            mb(self.input_bytes),
            mb(self.bytes_sent),
            secs,
            self.rows_loaded as f64 / secs,
            mb(self.input_bytes) / secs,
        )
    }
}
