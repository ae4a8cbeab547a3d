//! The CSV hot path for text: copy a value into the body and look for special bytes in the
//! same pass.
//!
//! Nearly every text value in a load contains none of the bytes that start the separator, the
//! delimiter, the enclose or the escape, so the fast path copies the value eight bytes at a
//! time and tests each word it copies with SWAR arithmetic (several bytes per instruction).
//! Only when a word may hold a special byte does the caller undo the copy and apply the exact
//! rules. When every special byte is a control character (tab, newline, `\x01`: the usual
//! Stream Load settings) one "any byte below N" test per word covers them all.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// A word test: non-zero when the eight bytes of `x` may hold a special byte, and always
/// non-zero when they do.
trait WordTest: Copy {
    fn hits(self, x: u64) -> u64;
}

/// Any byte below a limit (at most 128, where the test is exact).
#[derive(Debug, Clone, Copy)]
struct Below(u64);

impl WordTest for Below {
    #[inline]
    fn hits(self, x: u64) -> u64 {
        x.wrapping_sub(self.0) & !x & HI
    }
}

/// Any of `K` bytes, each broadcast to all eight bytes of a word: a byte equal to one becomes
/// zero after XOR, and the classic zero-byte test finds it.
#[derive(Debug, Clone, Copy)]
struct AnyOf<const K: usize>([u64; K]);

impl<const K: usize> WordTest for AnyOf<K> {
    #[inline]
    fn hits(self, x: u64) -> u64 {
        let zero = |y: u64| y.wrapping_sub(LO) & !y & HI;
        self.0.iter().fold(0, |acc, p| acc | zero(x ^ p))
    }
}

#[derive(Debug, Clone, Copy)]
enum Test {
    Below(Below),
    Two(AnyOf<2>),
    Four(AnyOf<4>),
}

/// The special bytes of a CSV layout, ready for the fused copy-and-scan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpecialScan {
    test: Test,
    /// A byte that is not special, to pad values shorter than four bytes.
    filler: u8,
}

impl SpecialScan {
    /// `specials` holds one to four distinct bytes (separator, delimiter, enclose, escape
    /// starts).
    pub(crate) fn new(specials: &[u8]) -> Self {
        let broadcast = |i: usize| {
            LO * u64::from(
                specials
                    .get(i)
                    .or(specials.first())
                    .copied()
                    .unwrap_or(b'\n'),
            )
        };
        let test = match specials.iter().max() {
            Some(&max) if max < 0x20 => Test::Below(Below(LO * u64::from(max + 1))),
            _ if specials.len() <= 2 => Test::Two(AnyOf([broadcast(0), broadcast(1)])),
            _ => Test::Four(AnyOf([
                broadcast(0),
                broadcast(1),
                broadcast(2),
                broadcast(3),
            ])),
        };
        let filler = (b'a'..=b'z')
            .find(|b| !specials.contains(b))
            .unwrap_or(b'a');
        Self { test, filler }
    }

    /// Appends `v` (shorter than [`Self::FUSED_MAX`]) to `out` and returns whether it may
    /// contain a special byte; then the caller truncates `out` and decides exactly.
    #[inline]
    pub(crate) fn append_clean(&self, out: &mut Vec<u8>, v: &[u8]) -> bool {
        match self.test {
            Test::Below(t) => append_scanned(out, v, t, self.filler),
            Test::Two(t) => append_scanned(out, v, t, self.filler),
            Test::Four(t) => append_scanned(out, v, t, self.filler),
        }
    }

    /// Values at least this long are scanned with `memchr` and copied with `memcpy`, whose
    /// setup pays off there.
    pub(crate) const FUSED_MAX: usize = 64;
}

/// Copies `v` (shorter than [`SpecialScan::FUSED_MAX`]) into `out` and tests the words it
/// copies. Up to 32 bytes this is straight-line code: a head and a tail word (8 or 16
/// bytes) that overlap in the middle. The copy goes through a slice of a fixed-size zeroed
/// window rather than through `Vec` pushes, so the buffer's length and capacity are not
/// reloaded after every word.
#[inline]
fn append_scanned<T: WordTest>(out: &mut Vec<u8>, v: &[u8], test: T, filler: u8) -> bool {
    let n = v.len();
    let start = out.len();
    out.extend_from_slice(&[0; SpecialScan::FUSED_MAX]);
    let window = &mut out[start..];
    let word = |bytes: &[u8; 8]| u64::from_le_bytes(*bytes);
    let hits = if n > 32 {
        let mut hits = 0;
        for (slot, chunk) in window.chunks_exact_mut(8).zip(v.chunks_exact(8)) {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(chunk);
            hits |= test.hits(word(&bytes));
            slot.copy_from_slice(&bytes);
        }
        let tail = v.last_chunk::<8>().unwrap_or(&[0; 8]);
        window[n - 8..n].copy_from_slice(tail);
        hits | test.hits(word(tail))
    } else if let (Some(head), Some(tail)) = (v.first_chunk::<16>(), v.last_chunk::<16>()) {
        window[..16].copy_from_slice(head);
        window[n - 16..n].copy_from_slice(tail);
        let halves = |w: &[u8; 16]| {
            let (lo, hi) = w.split_at(8);
            let mut a = [0u8; 8];
            let mut b = [0u8; 8];
            a.copy_from_slice(lo);
            b.copy_from_slice(hi);
            test.hits(word(&a)) | test.hits(word(&b))
        };
        halves(head) | halves(tail)
    } else if let (Some(head), Some(tail)) = (v.first_chunk::<8>(), v.last_chunk::<8>()) {
        window[..8].copy_from_slice(head);
        window[n - 8..n].copy_from_slice(tail);
        test.hits(word(head)) | test.hits(word(tail))
    } else if let (Some(head), Some(tail)) = (v.first_chunk::<4>(), v.last_chunk::<4>()) {
        window[..4].copy_from_slice(head);
        window[n - 4..n].copy_from_slice(tail);
        test.hits(u64::from(u32::from_le_bytes(*head)) | u64::from(u32::from_le_bytes(*tail)) << 32)
    } else {
        let mut bytes = [filler; 8];
        for ((slot, byte), &b) in window.iter_mut().zip(bytes.iter_mut()).zip(v) {
            *slot = b;
            *byte = b;
        }
        test.hits(word(&bytes))
    };
    out.truncate(start + n);
    hits != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_special_at_every_position_is_seen_and_the_copy_is_exact() {
        for specials in [&b"\t\n"[..], b"\x01\n", b",\n", b"\t\n\"", b"|\r\"\\"] {
            let scan = SpecialScan::new(specials);
            for len in 0..SpecialScan::FUSED_MAX {
                let clean: Vec<u8> = (0..len).map(|i| b'b' + (i % 20) as u8).collect();
                let mut out = b"ab".to_vec();
                assert!(!scan.append_clean(&mut out, &clean), "len {len}");
                assert_eq!(&out[2..], &clean[..]);
                for at in 0..len {
                    for &s in specials {
                        let mut dirty = clean.clone();
                        dirty[at] = s;
                        let mut out = Vec::new();
                        assert!(scan.append_clean(&mut out, &dirty), "len {len} at {at}");
                        assert_eq!(out, dirty);
                    }
                }
            }
            let mut out = Vec::new();
            assert!(!scan.append_clean(&mut out, "日本語 ÿ\u{80}xyz".as_bytes()));
        }
    }
}
