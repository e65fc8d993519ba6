//! The posterior P(degraded) after a workload's evals, and how many more evals would bring its
//! upper bound under a risk budget.

use std::fmt;

use crate::beta;
use crate::priors::Prior;

/// The lower end of the reported credible interval (the 5% quantile).
const INTERVAL_LO: f64 = 0.05;
/// The upper end of the reported credible interval (the 95% quantile): a 90% interval.
const INTERVAL_HI: f64 = 0.95;

/// The largest shadow-eval count [`shadow_evals_needed`] considers; a budget that needs more is
/// [`SampleSize::Unreachable`].
pub const SHADOW_EVALS_MAX: u64 = 10_000_000;

/// What a posterior rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// No evals: the posterior is the prior.
    PriorOnly,
    /// `failures` degraded answers in `n` evals.
    Measured {
        /// Number of evals.
        n: u64,
        /// How many of them failed (the routed answer was worse).
        failures: u64,
    },
}

impl fmt::Display for Evidence {
    /// `prior only`, or `measured, n = 412`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Evidence::PriorOnly => f.write_str("prior only"),
            Evidence::Measured { n, .. } => write!(f, "measured, n = {n}"),
        }
    }
}

/// P(degraded) after the evidence: Beta(a, b), its mean and 90% credible interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Posterior {
    /// First Beta parameter: prior failures plus observed failures.
    pub a: f64,
    /// Second Beta parameter: prior passes plus observed passes.
    pub b: f64,
    /// Posterior mean, `a / (a + b)`.
    pub mean: f64,
    /// 5% quantile: the lower end of the 90% credible interval.
    pub lo: f64,
    /// 95% quantile: the upper end of the 90% credible interval.
    pub hi: f64,
    /// What the posterior rests on.
    pub evidence: Evidence,
}

impl Posterior {
    fn from_beta(a: f64, b: f64, evidence: Evidence) -> Posterior {
        Posterior {
            a,
            b,
            mean: a / (a + b),
            lo: beta::quantile(INTERVAL_LO, a, b),
            hi: beta::quantile(INTERVAL_HI, a, b),
            evidence,
        }
    }

    /// The `q` quantile of the posterior (`0 <= q <= 1`).
    ///
    /// # Panics
    ///
    /// If `q` is outside [0, 1].
    pub fn quantile(&self, q: f64) -> f64 {
        beta::quantile(q, self.a, self.b)
    }

    /// Expected degraded responses among `requests` routed ones: `requests × (mean, lo, hi)`.
    pub fn expected_degraded(&self, requests: u64) -> (f64, f64, f64) {
        let r = requests as f64;
        (r * self.mean, r * self.lo, r * self.hi)
    }
}

/// Updates `prior` with `failures` degraded answers in `n` evals:
/// Beta(a0 + failures, b0 + n − failures).
///
/// # Panics
///
/// If `failures > n`.
pub fn posterior(prior: &Prior, failures: u64, n: u64) -> Posterior {
    assert!(
        failures <= n,
        "{failures} failures in {n} evals: more failures than evals"
    );
    let evidence = if n == 0 {
        Evidence::PriorOnly
    } else {
        Evidence::Measured { n, failures }
    };
    Posterior::from_beta(
        prior.a0() + failures as f64,
        prior.b0() + (n - failures) as f64,
        evidence,
    )
}

/// How many more shadow evals a workload needs before its risk bound is under budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleSize {
    /// The bound is already at or under the budget.
    Already,
    /// This many more evals, if the failure rate stays at the current estimate.
    Need(u64),
    /// The estimate is at or above the budget, or the budget needs more than
    /// [`SHADOW_EVALS_MAX`] evals.
    Unreachable,
}

impl fmt::Display for SampleSize {
    /// `already within budget`, `1126 more evals` or `unreachable`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SampleSize::Already => f.write_str("already within budget"),
            SampleSize::Need(n) => write!(f, "{n} more evals"),
            SampleSize::Unreachable => f.write_str("unreachable"),
        }
    }
}

/// The number of shadow evals after which the `confidence` upper bound of P(degraded) falls to
/// `budget`, if the observed failure rate stays at the current estimate (DESIGN section 7).
///
/// With `m = post.mean`:
/// - [`SampleSize::Already`] if the `confidence` quantile of `post` is `<= budget`;
/// - else [`SampleSize::Unreachable`] if `m >= budget` (adding evidence at rate `m` moves the
///   bound towards `m`, never below it);
/// - else [`SampleSize::Need`]`(n)` for the smallest integer `n >= 1` such that
///   Beta(a + n·m, b + n·(1 − m)) has its `confidence` quantile `<= budget` (fractional
///   pseudo-counts: the mean stays exactly `m`), found by doubling `n` and then bisecting;
/// - [`SampleSize::Unreachable`] if that `n` exceeds [`SHADOW_EVALS_MAX`].
///
/// # Panics
///
/// If `budget` or `confidence` is not strictly between 0 and 1.
pub fn shadow_evals_needed(post: &Posterior, budget: f64, confidence: f64) -> SampleSize {
    assert!(
        budget > 0.0 && budget < 1.0,
        "risk budget {budget} is not strictly between 0 and 1"
    );
    assert!(
        confidence > 0.0 && confidence < 1.0,
        "confidence {confidence} is not strictly between 0 and 1"
    );
    let m = post.mean;
    let bound = |n: u64| {
        let n = n as f64;
        beta::quantile(confidence, post.a + n * m, post.b + n * (1.0 - m))
    };
    if bound(0) <= budget {
        return SampleSize::Already;
    }
    if m >= budget {
        return SampleSize::Unreachable;
    }
    // Invariant: bound(lo) > budget; the search ends with bound(hi) <= budget.
    let (mut lo, mut hi) = (0, 1);
    while bound(hi) > budget {
        if hi == SHADOW_EVALS_MAX {
            return SampleSize::Unreachable;
        }
        lo = hi;
        hi = (hi * 2).min(SHADOW_EVALS_MAX);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if bound(mid) <= budget {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    SampleSize::Need(hi)
}

#[cfg(test)]
mod tests;
