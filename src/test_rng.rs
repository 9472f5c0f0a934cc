//! A small deterministic generator for the unit tests that compare a fast
//! path with its plain definition over many generated cases: the same
//! cases on every run.

/// Xorshift64 (Marsaglia's 13, 7, 17).
pub(crate) struct Xorshift(u64);

impl Xorshift {
    /// A generator from a non-zero seed.
    pub(crate) fn new(seed: u64) -> Xorshift {
        Xorshift(seed)
    }

    /// The next number below `n` (`n` above zero).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}
