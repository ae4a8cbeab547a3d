//! Appending short byte strings to the body without a `memcpy` call.
//!
//! Most values of a row are a few bytes to a few dozen (digits, dates, names). For those,
//! `Vec::extend_from_slice` calls the C library's `memmove`, whose call and size dispatch cost
//! more than the copy itself. Here a short value is written as one or two fixed-size words,
//! the second overlapping the first when the length is not a multiple of the word: every
//! copy has a size known at compile time, so it is a plain load and store.

/// Appends `v` to `out`; values up to 32 bytes take no `memcpy` call.
#[inline(always)]
pub(crate) fn append(out: &mut Vec<u8>, v: &[u8]) {
    let n = v.len();
    if n > 32 {
        out.extend_from_slice(v);
    } else if let (Some(head), Some(tail)) = (v.first_chunk::<16>(), v.last_chunk::<16>()) {
        append_overlapping(out, head, tail, n);
    } else if let (Some(head), Some(tail)) = (v.first_chunk::<8>(), v.last_chunk::<8>()) {
        append_overlapping(out, head, tail, n);
    } else if let (Some(head), Some(tail)) = (v.first_chunk::<4>(), v.last_chunk::<4>()) {
        append_overlapping(out, head, tail, n);
    } else {
        for &b in v {
            out.push(b);
        }
    }
}

/// Appends `head` and then `tail` so that together they cover `n` bytes
/// (`N <= n <= 2 * N`): `tail` overwrites the bytes it shares with `head`.
#[inline(always)]
fn append_overlapping<const N: usize>(out: &mut Vec<u8>, head: &[u8; N], tail: &[u8; N], n: usize) {
    let start = out.len();
    out.extend_from_slice(head);
    out.truncate(start + n - N);
    out.extend_from_slice(tail);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_short_length_is_copied_exactly() {
        let source: Vec<u8> = (0..70u8).map(|i| b'a' + i % 26).collect();
        for len in 0..=source.len() {
            let mut out = b"prefix".to_vec();
            append(&mut out, &source[..len]);
            assert_eq!(&out[..6], b"prefix");
            assert_eq!(&out[6..], &source[..len], "length {len}");
        }
    }
}
