//! Identifiers the servers generate: UUID labels, load ids in error-log names, and the
//! server-assigned labels of group commit and merge commit.
//!
//! Uniqueness is all that matters, so a process-wide counter is mixed with a per-process random
//! seed (std's `RandomState`) instead of pulling in a UUID or RNG crate.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(1);

fn seed() -> &'static RandomState {
    static SEED: OnceLock<RandomState> = OnceLock::new();
    SEED.get_or_init(RandomState::new)
}

/// A fresh 128-bit id as two halves.
pub(crate) fn unique_pair() -> (u64, u64) {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut a = seed().build_hasher();
    a.write_u64(n);
    let mut b = seed().build_hasher();
    b.write_u64(n ^ 0x9e37_79b9_7f4a_7c15);
    (a.finish(), b.finish())
}

/// A UUID-shaped label (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`), as the BEs generate.
pub(crate) fn uuid_label() -> String {
    let (hi, lo) = unique_pair();
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_uuid_shaped_and_distinct() {
        let (a, b) = (uuid_label(), uuid_label());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
    }
}
