//! Seeded randomness without the `rand` crate: a xoshiro256** generator seeded through splitmix64,
//! the few distributions the generator needs, and keyed 64-bit content hashes.
//!
//! Every transcendental function goes through `libm` (a portable software implementation), never the
//! platform's math library, so the same seed gives byte-identical output on every machine. Basic
//! IEEE-754 arithmetic (`+ - * /`, `sqrt`, `floor`) is exact and portable already.

/// One step of splitmix64: advances `state` and returns a well-mixed output.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hashes a sequence of words into one well-mixed word (order-sensitive).
///
/// Used both to derive child seeds (from the run seed, a day and a workload) and as the content
/// fingerprint of a prompt segment: the same parts always give the same hash.
pub(crate) fn hash_parts(parts: &[u64]) -> u64 {
    let mut state = 0x243F_6A88_85A3_08D3_u64;
    let mut out = 0;
    for &part in parts {
        state ^= part;
        out = splitmix64(&mut state);
        state = out;
    }
    // One more round so that a single part is also fully mixed with the constant.
    out ^ splitmix64(&mut state)
}

/// FNV-1a of a string: a stable 64-bit id for names (workload names, content kinds).
pub(crate) fn str_id(s: &str) -> u64 {
    let mut h = 0xCBF2_9CE4_8422_2325_u64;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// xoshiro256** (Blackman and Vigna), seeded by expanding one word with splitmix64.
#[derive(Debug, Clone)]
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole stream is a function of `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        // splitmix64 is a bijection of its counter, so four consecutive outputs cannot all be zero;
        // an all-zero state would make xoshiro output zeros forever.
        assert!(s.iter().any(|&w| w != 0));
        Rng { s }
    }

    /// The next 64 uniformly distributed bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1), with 53 random bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    fn unit_open_low(&mut self) -> f64 {
        1.0 - self.unit()
    }

    /// Uniform integer in [0, n), by widening multiplication (bias below 2^-64 * n, negligible).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform integer in [lo, hi], both ends included.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(lo <= hi);
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `p`.
    pub(crate) fn bernoulli(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal, by the Box-Muller transform (one of the pair is used, one is dropped, so
    /// the stream position does not depend on earlier calls).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = self.unit_open_low();
        let u2 = self.unit();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2)
    }

    /// Lognormal with the given median (`exp(mu)`) and log-space standard deviation.
    pub(crate) fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * libm::exp(sigma * self.normal())
    }

    /// Pareto (type I) with scale `xm` (the minimum) and tail index `alpha`: heavy-tailed.
    pub(crate) fn pareto(&mut self, xm: f64, alpha: f64) -> f64 {
        xm * libm::pow(self.unit_open_low(), -1.0 / alpha)
    }

    /// Exponential with the given mean.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn exponential(&mut self, mean: f64) -> f64 {
        -mean * libm::log(self.unit_open_low())
    }

    /// Index drawn with probability proportional to its weight. Panics if every weight is zero.
    pub(crate) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        unreachable!("weighted choice past the end")
    }

    /// Poisson-distributed count with the given mean: Knuth's product method for small means, the
    /// normal approximation (rounded, floored at 0) above 30, where it is accurate to well under
    /// a percent and costs one draw.
    pub(crate) fn poisson(&mut self, mean: f64) -> u64 {
        if mean <= 0.0 {
            return 0;
        }
        if mean < 30.0 {
            let limit = libm::exp(-mean);
            let mut k = 0;
            let mut p = self.unit_open_low();
            while p > limit {
                k += 1;
                p *= self.unit_open_low();
            }
            return k;
        }
        let x = libm::round(mean + libm::sqrt(mean) * self.normal());
        if x <= 0.0 {
            0
        } else {
            x as u64
        }
    }
}

/// A token-count distribution, clamped to `[min, max]` and rounded to a whole token.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Dist {
    /// Lognormal with this median and log-space sigma.
    LogNormal {
        /// exp(mu).
        median: f64,
        /// Log-space standard deviation.
        sigma: f64,
    },
    /// Pareto type I with this scale (minimum) and tail index.
    Pareto {
        /// The scale (smallest value before clamping).
        xm: f64,
        /// Tail index: smaller is heavier.
        alpha: f64,
    },
}

/// A distribution plus its clamp.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clamped {
    pub(crate) dist: Dist,
    pub(crate) min: u64,
    pub(crate) max: u64,
}

/// Shorthand for a clamped lognormal.
pub(crate) const fn lognormal(median: f64, sigma: f64, min: u64, max: u64) -> Clamped {
    Clamped {
        dist: Dist::LogNormal { median, sigma },
        min,
        max,
    }
}

/// Shorthand for a clamped Pareto.
pub(crate) const fn pareto(xm: f64, alpha: f64, min: u64, max: u64) -> Clamped {
    Clamped {
        dist: Dist::Pareto { xm, alpha },
        min,
        max,
    }
}

impl Clamped {
    /// One draw, rounded half away from zero and clamped.
    pub(crate) fn sample(&self, rng: &mut Rng) -> u64 {
        let x = match self.dist {
            Dist::LogNormal { median, sigma } => rng.lognormal(median, sigma),
            Dist::Pareto { xm, alpha } => rng.pareto(xm, alpha),
        };
        let x = libm::round(x);
        if x <= self.min as f64 {
            self.min
        } else if x >= self.max as f64 {
            self.max
        } else {
            x as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro_matches_reference_stream_shape() {
        // Same seed, same stream; different seeds, different streams.
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let mut c = Rng::new(8);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn splitmix_known_value() {
        // First output of splitmix64 seeded with 0 (reference value from Vigna's C code).
        let mut s = 0;
        assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn distributions_have_plausible_moments() {
        let mut rng = Rng::new(1);
        let n = 200_000;
        let mean_unit: f64 = (0..n).map(|_| rng.unit()).sum::<f64>() / n as f64;
        assert!((mean_unit - 0.5).abs() < 0.01, "{mean_unit}");
        let mean_exp: f64 = (0..n).map(|_| rng.exponential(3.0)).sum::<f64>() / n as f64;
        assert!((mean_exp - 3.0).abs() < 0.05, "{mean_exp}");
        let mean_norm: f64 = (0..n).map(|_| rng.normal()).sum::<f64>() / n as f64;
        assert!(mean_norm.abs() < 0.02, "{mean_norm}");
        let mut logs: Vec<f64> = (0..n).map(|_| rng.lognormal(100.0, 0.5)).collect();
        logs.sort_by(f64::total_cmp);
        let median = logs[n / 2];
        assert!((median - 100.0).abs() < 2.0, "{median}");
        let pois: u64 = (0..20_000).map(|_| rng.poisson(4.0)).sum();
        assert!((pois as f64 / 20_000.0 - 4.0).abs() < 0.1);
        let pois: u64 = (0..20_000).map(|_| rng.poisson(400.0)).sum();
        assert!((pois as f64 / 20_000.0 - 400.0).abs() < 1.0);
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[rng.weighted(&[1, 0, 2])] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!((counts[2] as f64 / counts[0] as f64 - 2.0).abs() < 0.1);
        for _ in 0..10_000 {
            let x = pareto(100.0, 1.1, 20, 5000).sample(&mut rng);
            assert!((100..=5000).contains(&x));
            let y = rng.range(3, 5);
            assert!((3..=5).contains(&y));
        }
    }

    #[test]
    fn hashes_are_stable_and_order_sensitive() {
        assert_eq!(hash_parts(&[1, 2]), hash_parts(&[1, 2]));
        assert_ne!(hash_parts(&[1, 2]), hash_parts(&[2, 1]));
        assert_ne!(hash_parts(&[0]), hash_parts(&[0, 0]));
        assert_eq!(str_id(""), 0xCBF2_9CE4_8422_2325);
        assert_ne!(str_id("a"), str_id("b"));
    }
}
