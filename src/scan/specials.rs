//! Where a string's scan must stop: `"`, `\`, control characters and non-ASCII bytes.
//!
//! The bytes are classified 64 at a time into a bit mask, and the mask is kept for the strings
//! that follow in the same 64 bytes. A string then ends with a shift and a count of trailing
//! zeros instead of a loop whose trip count (the string's length) the branch predictor cannot
//! guess: on GitHub's payloads, cachegrind's branch simulation put the largest share of the
//! scan's mispredictions in that loop. Under wasm's `simd128` a mask is four 16-byte compares;
//! elsewhere eight 8-byte SWAR words.

/// The special bytes of one 64-byte window of the body, reused by each string that ends in it.
#[derive(Clone, Copy)]
pub(super) struct Specials<'b> {
    pub b: &'b [u8],
    base: usize,
    /// Bit `i`: byte `base + i` may be special. Never misses one; may flag a plain byte (see
    /// [`mask64`]), which the caller then steps over.
    mask: u64,
}

impl<'b> Specials<'b> {
    pub fn new(b: &'b [u8]) -> Self {
        Specials { b, base: 0, mask: window(b, 0) }
    }

    /// The first byte at or after `pos` that may be special: `b.len()` or beyond when the body
    /// ends first (the window past the end reads as zeros, which are control bytes).
    #[inline(always)]
    pub fn next(&mut self, mut pos: usize) -> usize {
        loop {
            let off = pos.wrapping_sub(self.base);
            if off < 64 {
                let m = self.mask >> off;
                if m != 0 {
                    return pos + m.trailing_zeros() as usize;
                }
                pos = self.base + 64;
            }
            self.base = pos;
            self.mask = window(self.b, pos);
        }
    }
}

#[inline(always)]
fn window(b: &[u8], at: usize) -> u64 {
    match b.get(at..at + 64) {
        Some(w) => mask64(w.try_into().unwrap()),
        None => tail(b, at),
    }
}

/// The last, partial window, byte by byte (a padded copy costs two calls out of wasm, to copy
/// and to zero): the bytes past the end read as zeros, which are control bytes, so flagged.
#[cold]
pub(super) fn tail(b: &[u8], at: usize) -> u64 {
    let rest = b.get(at..).unwrap_or(&[]);
    let mut mask = u64::MAX.checked_shl(rest.len() as u32).unwrap_or(0);
    for (i, &c) in rest.iter().take(64).enumerate() {
        if c == b'"' || c == b'\\' || !(0x20..0x80).contains(&c) {
            mask |= 1 << i;
        }
    }
    mask
}

/// Bit `i` set when `w[i]` is `"`, `\`, below 0x20 or above 0x7f.
#[cfg(all(target_arch = "wasm32", feature = "simd"))]
#[inline(always)]
pub(super) fn mask64(w: &[u8; 64]) -> u64 {
    use core::arch::wasm32::*;
    let mut mask = 0u64;
    for (i, chunk) in w.chunks_exact(16).enumerate() {
        let lo = u64::from_le_bytes(chunk[..8].try_into().unwrap());
        let hi = u64::from_le_bytes(chunk[8..].try_into().unwrap());
        let v = u64x2(lo, hi);
        // Signed: every byte above 0x7f is negative, so one compare finds control and non-ASCII.
        let low_or_high = i8x16_lt(v, i8x16_splat(0x20));
        let quote_or_backslash = v128_or(i8x16_eq(v, i8x16_splat(b'"' as i8)), i8x16_eq(v, i8x16_splat(b'\\' as i8)));
        mask |= (i8x16_bitmask(v128_or(low_or_high, quote_or_backslash)) as u64) << (16 * i);
    }
    mask
}

/// Bit `i` set when `w[i]` is `"`, `\`, below 0x20 or above 0x7f; after the first such byte of
/// each 8, a plain byte's bit may be set too (SWAR borrows).
#[cfg(not(all(target_arch = "wasm32", feature = "simd")))]
#[inline(always)]
pub(super) fn mask64(w: &[u8; 64]) -> u64 {
    let mut mask = 0u64;
    for (i, word) in w.chunks_exact(8).enumerate() {
        let high_bits = special_in_word(u64::from_le_bytes(word.try_into().unwrap()));
        // Gathers each byte's high bit into one byte (every partial product lands on its own bit).
        mask |= ((high_bits >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * i);
    }
    mask
}

/// A mask whose lowest set bit is the high bit of the first of the 8 bytes in `v` (read
/// little-endian) that is `"`, `\`, a control character or non-ASCII; 0 when there is none.
/// (Each test can set bits above its first hit through borrows, never below it.)
#[cfg(not(all(target_arch = "wasm32", feature = "simd")))]
#[inline(always)]
pub(super) fn special_in_word(v: u64) -> u64 {
    const LO: u64 = super::LO;
    const HI: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let control = v.wrapping_sub(LO * 0x20) & !v & HI;
    let quote = has_zero(v ^ (LO * b'"' as u64));
    let backslash = has_zero(v ^ (LO * b'\\' as u64));
    control | quote | backslash | (v & HI)
}
