//! A small, seeded, reproducible generator (SplitMix64): the same seed gives the same
//! permutations on every machine and with any number of threads.

pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 11) as f64 / (1u64 << 53) as f64) * n as f64) as usize
    }

    /// An independent stream for block `b` of a parallel computation seeded with `seed`.
    pub(crate) fn for_block(seed: u64, b: usize) -> SplitMix {
        SplitMix(seed ^ (b as u64).wrapping_mul(0xD1B5_4A32_D192_ED03))
    }
}
