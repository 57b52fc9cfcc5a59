//! Seeded randomness: one `u64` seed, one named algorithm, one independent stream per component.
//!
//! The algorithm is PCG-XSL-RR 128/64 (`rand_pcg::Pcg64`, O'Neill 2014). Each component (an
//! endpoint's service times, a service's balancer, the workload's arrivals, …) draws from its own
//! stream, derived from the run seed and a stable text key such as `"endpoint/payment.charge/work"`.
//! Keys are names, not positions, so adding a service to a scenario leaves every other component's
//! sequence of draws unchanged.
//!
//! Every transcendental function goes through `libm` (pure Rust), never the platform's maths
//! library, so native and wasm32 runs produce the same bits.

use rand::Rng;
use rand_pcg::Pcg64;

/// The name of the generator, printed in reports so a run can be reproduced elsewhere.
pub const ALGORITHM: &str = "PCG-XSL-RR 128/64 (rand_pcg::Pcg64), streams derived by SplitMix64";

/// One independent random stream.
#[derive(Clone, Debug)]
pub struct SimRng {
    pcg: Pcg64,
}

/// SplitMix64's output function (Steele, Lea, Flood 2014): a fast, well-mixing bijection on u64.
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a over bytes: a stable hash of a stream key (independent of Rust's `Hash`, which may change).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash = 0xCBF2_9CE4_8422_2325_u64;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
    }
    hash
}

impl SimRng {
    /// The stream for component `key` in a run seeded with `seed`.
    pub fn derive(seed: u64, key: &str) -> SimRng {
        let key_hash = fnv1a64(key.as_bytes());
        let a = splitmix64(seed ^ key_hash);
        let b = splitmix64(a ^ 0x6A09_E667_F3BC_C908);
        let c = splitmix64(b ^ 0xBB67_AE85_84CA_A73B);
        let d = splitmix64(c ^ 0x3C6E_F372_FE94_F82B);
        let state = (u128::from(a) << 64) | u128::from(b);
        let stream = (u128::from(c) << 64) | u128::from(d);
        SimRng {
            pcg: Pcg64::new(state, stream),
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.pcg.next_u64()
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    pub fn next_f64_open_zero(&mut self) -> f64 {
        1.0 - self.next_f64()
    }

    /// Uniform integer in `0..bound` (Lemire's multiply-shift with rejection, unbiased).
    /// `bound` must be at least 1.
    pub fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0);
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let product = u128::from(self.next_u64()) * u128::from(bound);
            if (product as u64) >= threshold {
                return (product >> 64) as u64;
            }
        }
    }

    /// True with probability `p` (clamped to [0, 1]).
    pub fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// A standard normal variate (Box–Muller, one of the pair; libm for bit-identical results).
    pub fn standard_normal(&mut self) -> f64 {
        let u1 = self.next_f64_open_zero();
        let u2 = self.next_f64();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2)
    }

    /// Index into `cumulative` (ascending cumulative weights, last = total) chosen by weight.
    pub fn weighted_index(&mut self, cumulative: &[f64]) -> usize {
        let total = cumulative.last().copied().unwrap_or(0.0);
        let target = self.next_f64() * total;
        cumulative
            .iter()
            .position(|&c| target < c)
            .unwrap_or(cumulative.len().saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_sequence_different_key_different_sequence() {
        let mut a = SimRng::derive(7, "endpoint/payment.charge/work");
        let mut b = SimRng::derive(7, "endpoint/payment.charge/work");
        let mut c = SimRng::derive(7, "endpoint/cart.get/work");
        let mut d = SimRng::derive(8, "endpoint/payment.charge/work");
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        let ws: Vec<u64> = (0..8).map(|_| d.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
        assert_ne!(xs, ws);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = SimRng::derive(1, "t");
        let mut seen = [0u32; 7];
        for _ in 0..7_000 {
            seen[rng.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (850..1150).contains(&n)), "{seen:?}");
    }

    #[test]
    fn unit_interval_bounds_hold() {
        let mut rng = SimRng::derive(2, "t");
        for _ in 0..10_000 {
            let x = rng.next_f64();
            assert!((0.0..1.0).contains(&x));
            let y = rng.next_f64_open_zero();
            assert!(y > 0.0 && y <= 1.0);
        }
    }

    #[test]
    fn normal_has_zero_mean_unit_variance() {
        let mut rng = SimRng::derive(3, "t");
        let n = 200_000;
        let samples: Vec<f64> = (0..n).map(|_| rng.standard_normal()).collect();
        let mean = samples.iter().sum::<f64>() / n as f64;
        let var = samples.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
    }
}
