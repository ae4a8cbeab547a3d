//! BITMAP and HLL values as the emulator keeps them, and the functions that build them.
//!
//! The servers store a roaring bitmap or a HyperLogLog sketch; the emulator stores the members
//! as text, `"5,13,23"` (empty text is the empty set), so unions and counts are exact and a
//! stored value can be read in a test. The builders follow the servers' definitions, shared by
//! the load expressions (`columns: u = to_bitmap(id)`) and the SQL functions of the MySQL port:
//!
//! * `to_bitmap(x)`: the unsigned 64-bit integer `x` (anything else is refused: NULL here);
//! * `bitmap_hash(x)`: MurmurHash3 x86 32-bit of the text with seed 104729
//!   (`HashUtil::MURMUR3_32_SEED`, both servers);
//! * `bitmap_from_base64(x)`: a serialized bitmap (the empty and single-value forms);
//! * `hll_hash(x)`: MurmurHash64A of the text with seed `0xadc83b19` (`HashUtil::MURMUR_SEED`),
//!   the value the servers add to the sketch.
//!
//! A NULL argument gives the empty set, as the servers' functions return an empty bitmap / HLL.

const MURMUR3_32_SEED: u32 = 104_729;
const MURMUR_SEED: u64 = 0xadc8_3b19;

/// MurmurHash3, x86 32-bit variant.
pub(crate) fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        let mut k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    let mut k = 0u32;
    for (i, &b) in tail.iter().enumerate() {
        k |= u32::from(b) << (8 * i);
    }
    if !tail.is_empty() {
        h ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// MurmurHash64A.
pub(crate) fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut blocks = data.chunks_exact(8);
    for block in &mut blocks {
        let mut k = u64::from_le_bytes(block.try_into().unwrap_or([0; 8]));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^ (h >> R)
}

/// `to_bitmap(x)`: `None` when `x` is not an unsigned 64-bit integer.
pub(crate) fn to_bitmap(arg: Option<&str>) -> Option<String> {
    match arg {
        None => Some(String::new()),
        Some(text) => text.trim().parse::<u64>().ok().map(|v| v.to_string()),
    }
}

/// `bitmap_from_base64(x)`: a bitmap the servers serialized (`BitmapValue::write`: a type byte,
/// then the payload), base64-encoded. The empty and single-value forms are decoded; roaring and
/// set payloads are not emulated and give `None`, as undecodable input does.
pub(crate) fn bitmap_from_base64(arg: Option<&str>) -> Option<String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(arg?.trim())
        .ok()?;
    match bytes.split_first()? {
        (0, []) => Some(String::new()),
        (1, payload) => Some(u32::from_le_bytes(payload.try_into().ok()?).to_string()),
        (3, payload) => Some(u64::from_le_bytes(payload.try_into().ok()?).to_string()),
        _ => None,
    }
}

/// `bitmap_hash(x)`.
pub(crate) fn bitmap_hash(arg: Option<&str>) -> String {
    arg.map_or_else(String::new, |t| {
        murmur3_32(t.as_bytes(), MURMUR3_32_SEED).to_string()
    })
}

/// `hll_hash(x)`.
pub(crate) fn hll_hash(arg: Option<&str>) -> String {
    arg.map_or_else(String::new, |t| {
        murmur64a(t.as_bytes(), MURMUR_SEED).to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_matches_the_reference_vectors() {
        assert_eq!(murmur3_32(b"", 0), 0);
        assert_eq!(murmur3_32(b"", 1), 0x514e_28b7);
        assert_eq!(murmur3_32(b"hello", 0), 0x248b_fa47);
        assert_eq!(murmur3_32(b"Hello, world!", 1234), 0xfaf6_cdb3);
    }

    #[test]
    fn builders() {
        assert_eq!(to_bitmap(Some(" 13 ")).as_deref(), Some("13"));
        assert_eq!(to_bitmap(Some("-1")), None);
        assert_eq!(to_bitmap(Some("x")), None);
        assert_eq!(to_bitmap(None).as_deref(), Some(""));
        let a = bitmap_hash(Some("hello"));
        assert_eq!(a, murmur3_32(b"hello", 104_729).to_string());
        assert_ne!(a, bitmap_hash(Some("hellp")));
        assert_eq!(hll_hash(Some("2")), hll_hash(Some("2")));
        assert_ne!(hll_hash(Some("2")), hll_hash(Some("3")));
        assert_eq!(hll_hash(None), "");
        assert_eq!(bitmap_from_base64(Some("AA==")).as_deref(), Some(""));
        assert_eq!(bitmap_from_base64(Some("AQUAAAA=")).as_deref(), Some("5"));
        assert_eq!(bitmap_from_base64(Some("not base64")), None);
    }
}
