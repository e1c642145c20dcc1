//! Helpers shared by the unit tests.

/// A xorshift64 generator: deterministic pseudo-random numbers for the fuzz-style tests, so a
/// failure reproduces from the seed alone.
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}
