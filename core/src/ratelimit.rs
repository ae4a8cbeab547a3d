//! Optional rate limits on bytes per second and loads per second (governor).
//!
//! Loads take one token before `begin`. Chunks take one token per byte before `write`; a chunk
//! larger than the burst waits for its bytes in burst-sized pieces and is then sent whole, so
//! the rate holds and no chunk is cut inside a row (a `Transaction::write` chunk always ends at
//! a row boundary).

use std::num::NonZeroU32;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// The limits of one `Sink`.
#[derive(Debug, Default)]
pub(crate) struct RateLimits {
    bytes: Option<(DefaultDirectRateLimiter, NonZeroU32)>,
    loads: Option<DefaultDirectRateLimiter>,
}

impl RateLimits {
    pub(crate) fn new(
        bytes_per_sec: Option<NonZeroU32>,
        loads_per_sec: Option<NonZeroU32>,
    ) -> Self {
        Self {
            bytes: bytes_per_sec.map(|rate| (RateLimiter::direct(Quota::per_second(rate)), rate)),
            loads: loads_per_sec.map(|rate| RateLimiter::direct(Quota::per_second(rate))),
        }
    }

    /// Waits for a load token.
    pub(crate) async fn before_load(&self) {
        if let Some(loads) = &self.loads {
            loads.until_ready().await;
        }
    }

    /// Waits for `len` byte tokens, in pieces no larger than the burst.
    pub(crate) async fn before_bytes(&self, len: usize) {
        let Some((limiter, burst)) = &self.bytes else {
            return;
        };
        let mut left = len;
        while left > 0 {
            let piece = left.min(burst.get() as usize);
            let n = NonZeroU32::new(u32::try_from(piece).unwrap_or(burst.get())).unwrap_or(*burst);
            // `n` never exceeds the burst, so capacity is always sufficient.
            let _ = limiter.until_n_ready(n).await;
            left -= piece;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[tokio::test]
    async fn bytes_beyond_the_first_burst_are_paced() {
        let limits = RateLimits::new(NonZeroU32::new(10_000), None);
        let start = Instant::now();
        // The first 10 000 bytes are the free burst; 3 000 more take about 0.3 s at 10 kB/s.
        limits.before_bytes(13_000).await;
        let elapsed = start.elapsed();
        assert!(elapsed.as_millis() >= 250, "took {elapsed:?}");
    }

    #[tokio::test]
    async fn no_limits_never_wait() {
        let limits = RateLimits::default();
        let start = Instant::now();
        limits.before_load().await;
        limits.before_bytes(usize::MAX / 2).await;
        assert!(start.elapsed().as_millis() < 100);
    }
}
