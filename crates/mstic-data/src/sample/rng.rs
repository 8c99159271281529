//! A small, fast, seedable random generator (SplitMix64) so sample data is reproducible without
//! an extra dependency.

/// Deterministic pseudo-random numbers for sample data (not for cryptography).
#[derive(Debug, Clone)]
pub struct SampleRng {
    state: u64,
}

impl SampleRng {
    /// A generator for `seed` (and a stream number, so independent tables differ).
    pub fn new(seed: u64, stream: u64) -> Self {
        SampleRng { state: seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03 }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 { 0 } else { ((self.next_u64() as u128 * bound as u128) >> 64) as u64 }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// One item of `items` (which must not be empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An item chosen by weight from `(item, weight)` pairs.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| *w as u64).sum();
        let mut roll = self.below(total);
        for (item, weight) in items {
            if roll < *weight as u64 {
                return item;
            }
            roll -= *weight as u64;
        }
        &items[items.len() - 1].0
    }
}
