//! Quality risk of routing a request to another model: P(degraded), with its evidence.
//!
//! "Degraded" means the routed response is judged worse than the original; ties count as not
//! degraded, and one run of each is compared, so even equal models have a non-zero rate (the
//! run-to-run noise floor). `docs/quality-risk.md` explains it for users.
//!
//! # Priors
//!
//! [`Priors::builtin`] parses `data/priors.toml`, the source of truth for every number: per
//! [`TaskClass`], an equivalent sample size (ESS), the noise floor and five step cells, each with
//! its benchmarks, source ids and date; then pair overrides and generation rules.
//! [`Priors::prior`] takes the first rule that applies:
//!
//! 1. a pair override for (class, from id, to id);
//! 2. the same model (same canonical id): the class's noise floor;
//! 3. a higher tier, or the same tier and a newer-or-equal version: the floor (routing up is
//!    never rated below run-to-run flips, and no cell is zero);
//! 4. the same tier and an older version: a generation rule if one matches (same family; code
//!    5.x -> 4.x is 25%), else the "newer->older" cell;
//! 5. one tier down: the top->opus, opus->sonnet or sonnet->haiku cell; opus->haiku has its
//!    own cell;
//! 6. longer steps compose: top->sonnet = 1 − (1 − top->opus)(1 − opus->sonnet) and
//!    top->haiku = 1 − (1 − top->opus)(1 − opus->haiku).
//!
//! Tiers: fable = mythos = 4 (top), opus 3, sonnet 2, haiku 1. Versions compare numerically by
//! component ("4.5" < "4.6" < "5" < "5.5"). The prior is Beta(mean × ESS, (1 − mean) × ESS),
//! with the class's ESS whichever rule gave the mean.
//!
//! # Posterior and sample size
//!
//! [`posterior()`] adds `k` failures in `n` evals: Beta(a0 + k, b0 + n − k), reported as its mean
//! and 90% credible interval (5% and 95% quantiles) with its [`Evidence`].
//! [`shadow_evals_needed`] says how many more evals would bring the upper bound under a risk
//! budget if the failure rate stayed at the current estimate.
//!
//! The Beta quantiles are computed here (regularized incomplete beta by continued fraction,
//! inverted by safeguarded Halley steps) and tested against SciPy.
//!
//! # Example
//!
//! ```
//! use tokensim_quality::{posterior, shadow_evals_needed, ModelRef, Priors, SampleSize, TaskClass};
//!
//! let priors = Priors::builtin();
//! let opus = ModelRef::new("claude-opus-4-5", "opus", "4.5")?;
//! let sonnet = ModelRef::new("claude-sonnet-4-5", "sonnet", "4.5")?;
//! let prior = priors.prior(TaskClass::Chat, &opus, &sonnet);
//! assert_eq!(prior.source.to_string(), "prior: opus->sonnet step, chat");
//! assert_eq!((prior.mean, prior.ess), (0.05, 8.0));
//!
//! let post = posterior(&prior, 3, 200);
//! assert_eq!(post.evidence.to_string(), "measured, n = 200");
//! assert!(post.lo < post.mean && post.mean < post.hi);
//! assert!(matches!(shadow_evals_needed(&post, 0.05, 0.95), SampleSize::Already | SampleSize::Need(_)));
//! # Ok::<(), tokensim_quality::QualityError>(())
//! ```

mod beta;
mod error;
mod posterior;
mod priors;
#[cfg(test)]
mod test_support;

pub use beta::beta_tails;
pub use error::QualityError;
pub use posterior::{
    posterior, shadow_evals_needed, Evidence, Posterior, SampleSize, SHADOW_EVALS_MAX,
};
pub use priors::{FloorReason, ModelRef, Prior, PriorSource, Priors, Step, TaskClass};
