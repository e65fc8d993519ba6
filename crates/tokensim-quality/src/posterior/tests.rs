//! Tests of the posterior and the shadow-eval sample size, and the worked example of the docs.

use std::fmt::Write as _;

use super::{posterior, shadow_evals_needed, Evidence, Posterior, SampleSize, SHADOW_EVALS_MAX};
use crate::beta::tests::csv_rows;
use crate::test_support::{catalog, catalog_model, ensure_blocks};
use crate::{beta, Prior, PriorSource, Priors, Step, TaskClass};

fn prior(mean: f64, ess: f64) -> Prior {
    Prior {
        mean,
        ess,
        source: PriorSource::Step {
            class: TaskClass::Chat,
            step: Step::OpusSonnet,
        },
    }
}

fn beta_posterior(a: f64, b: f64) -> Posterior {
    Posterior::from_beta(a, b, Evidence::PriorOnly)
}

#[test]
fn evidence_wording() {
    let p = prior(0.04, 10.0);
    assert_eq!(posterior(&p, 0, 0).evidence.to_string(), "prior only");
    assert_eq!(
        posterior(&p, 3, 412).evidence,
        Evidence::Measured {
            n: 412,
            failures: 3
        }
    );
    assert_eq!(
        posterior(&p, 3, 412).evidence.to_string(),
        "measured, n = 412"
    );
}

#[test]
fn posterior_adds_failures_and_passes() {
    let post = posterior(&prior(0.04, 10.0), 3, 412);
    assert!((post.a - 3.4).abs() < 1e-12 && (post.b - 418.6).abs() < 1e-12);
    assert!((post.mean - 3.4 / 422.0).abs() < 1e-15);
    // The interval ends are the 5% and 95% quantiles (SciPy, beta_quantiles.csv).
    let text = include_str!("../../tests/data/beta_quantiles.csv");
    let scipy = |q: f64| {
        csv_rows(text)
            .map(|r| {
                r.iter()
                    .map(|s| s.parse::<f64>().unwrap())
                    .collect::<Vec<_>>()
            })
            .find(|r| r[0] == post.a && r[1] == post.b && r[2] == q)
            .map(|r| r[3])
            .expect("row in the CSV")
    };
    assert!((post.lo - scipy(0.05)).abs() < 1e-12);
    assert!((post.hi - scipy(0.95)).abs() < 1e-12);
    assert!(post.lo < post.mean && post.mean < post.hi);
    assert_eq!(post.quantile(0.95), post.hi);
}

#[test]
fn prior_only_posterior_is_the_prior() {
    let p = prior(0.09, 8.0);
    let post = posterior(&p, 0, 0);
    assert_eq!((post.a, post.b), (p.a0(), p.b0()));
    assert!((post.mean - 0.09).abs() < 1e-15);
}

#[test]
fn more_evals_narrow_the_interval() {
    let p = prior(0.05, 8.0);
    let mut width = f64::INFINITY;
    for n in [0, 20, 100, 1_000, 10_000] {
        let post = posterior(&p, n / 20, n);
        let w = post.hi - post.lo;
        assert!(w < width, "n = {n}: width {w} did not shrink from {width}");
        width = w;
    }
}

#[test]
fn expected_degraded_scales_mean_and_interval() {
    let post = posterior(&prior(0.05, 8.0), 10, 400);
    let (mean, lo, hi) = post.expected_degraded(50_000);
    assert_eq!(mean, 50_000.0 * post.mean);
    assert_eq!((lo, hi), (50_000.0 * post.lo, 50_000.0 * post.hi));
    assert_eq!(post.expected_degraded(0), (0.0, 0.0, 0.0));
}

#[test]
fn sample_sizes_match_scipy() {
    let text = include_str!("../../tests/data/shadow_evals.csv");
    let mut checked = 0;
    for row in csv_rows(text) {
        let [a, b, budget, confidence] =
            [row[0], row[1], row[2], row[3]].map(|s| s.parse().unwrap());
        let want = match row[4] {
            "already" => SampleSize::Already,
            "unreachable" => SampleSize::Unreachable,
            n => SampleSize::Need(n.parse().unwrap()),
        };
        let got = shadow_evals_needed(&beta_posterior(a, b), budget, confidence);
        assert_eq!(
            got, want,
            "Beta({a}, {b}), budget {budget}, confidence {confidence}"
        );
        checked += 1;
    }
    assert_eq!(checked, 18);
}

/// The definition, checked directly: Need(n) means the bound is under the budget at n and not
/// at n - 1 (nor at 0).
#[test]
fn need_is_the_smallest_n() {
    for (a, b, budget) in [
        (0.4, 9.6, 0.1),
        (1.5, 13.5, 0.15),
        (0.72, 7.28, 0.12),
        (3.4, 418.6, 0.012),
    ] {
        let post = beta_posterior(a, b);
        let SampleSize::Need(n) = shadow_evals_needed(&post, budget, 0.95) else {
            panic!("Beta({a}, {b}) budget {budget}: expected Need");
        };
        let m = post.mean;
        let bound = |n: u64| beta::quantile(0.95, a + n as f64 * m, b + n as f64 * (1.0 - m));
        assert!(bound(n) <= budget);
        assert!(bound(n - 1) > budget);
        assert!(post.hi > budget, "otherwise Already");
    }
}

/// A deterministic stream of numbers in [0, 1) (xorshift64*), for property loops.
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Orders sample sizes: Already < Need(1) < Need(2) < ... < Unreachable.
fn rank(s: SampleSize) -> u64 {
    match s {
        SampleSize::Already => 0,
        SampleSize::Need(n) => n,
        SampleSize::Unreachable => u64::MAX,
    }
}

#[test]
fn a_higher_budget_never_needs_more() {
    let mut draws = Draws(0x5eed_2026);
    for _ in 0..60 {
        let mean = 0.01 + 0.3 * draws.next();
        let ess = 2.0 + 20.0 * draws.next();
        let n = (2_000.0 * draws.next()) as u64;
        let failures = (n as f64 * mean * 2.0 * draws.next()) as u64;
        let post = posterior(&prior(mean, ess), failures.min(n), n);
        let mut last = u64::MAX;
        for budget in [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8] {
            let r = rank(shadow_evals_needed(&post, budget, 0.95));
            assert!(
                r <= last,
                "Beta({}, {}): budget {budget} needs {r}, a lower budget needed {last}",
                post.a,
                post.b
            );
            last = r;
        }
    }
}

#[test]
fn a_higher_confidence_never_needs_fewer() {
    let mut draws = Draws(42);
    for _ in 0..40 {
        let post = posterior(&prior(0.02 + 0.2 * draws.next(), 8.0), 0, 0);
        let budget = post.mean * (1.1 + 2.0 * draws.next());
        let mut last = 0;
        for confidence in [0.8, 0.9, 0.95, 0.99] {
            let r = rank(shadow_evals_needed(&post, budget.min(0.99), confidence));
            assert!(r >= last, "confidence {confidence}: {r} < {last}");
            last = r;
        }
    }
}

#[test]
fn unreachable_when_the_estimate_is_not_below_the_budget_or_past_the_cap() {
    let post = beta_posterior(0.4, 9.6);
    assert_eq!(
        shadow_evals_needed(&post, 0.04, 0.95),
        SampleSize::Unreachable
    );
    assert_eq!(
        shadow_evals_needed(&post, 0.039, 0.95),
        SampleSize::Unreachable
    );
    // Needs about 1.0e7 at 0.0401 (over the cap), about 4.5e6 at 0.04015.
    assert_eq!(
        shadow_evals_needed(&post, 0.0401, 0.95),
        SampleSize::Unreachable
    );
    let SampleSize::Need(n) = shadow_evals_needed(&post, 0.04015, 0.95) else {
        panic!("0.04015 is reachable under the cap");
    };
    assert!(n > 1_000_000 && n < SHADOW_EVALS_MAX, "{n}");
}

#[test]
fn sample_size_wording() {
    assert_eq!(SampleSize::Already.to_string(), "already within budget");
    assert_eq!(SampleSize::Need(1126).to_string(), "1126 more evals");
    assert_eq!(SampleSize::Unreachable.to_string(), "unreachable");
}

fn pct(p: f64) -> String {
    format!("{:.2}%", p * 100.0)
}

/// The worked example of `docs/quality-risk.md`, produced by the code it documents.
fn worked_example() -> String {
    let catalog = catalog();
    let find = |id: &str| catalog_model(&catalog, id);
    let priors = Priors::builtin();
    let (from, to) = (find("claude-opus-4-6"), find("claude-sonnet-4-6"));
    let prior = priors.prior(TaskClass::Chat, &from, &to);
    let routed = 50_000;

    let mut out = String::new();
    let w = &mut out;
    writeln!(
        w,
        "route: chat, {} -> {}, {routed} routed requests",
        from.id(),
        to.id()
    )
    .unwrap();
    writeln!(
        w,
        "{}: mean {}, ESS {} -> Beta({:.2}, {:.2})",
        prior.source,
        pct(prior.mean),
        prior.ess,
        prior.a0(),
        prior.b0()
    )
    .unwrap();
    for (failures, n) in [(0, 0), (9, 412)] {
        let post = posterior(&prior, failures, n);
        let (d, dlo, dhi) = post.expected_degraded(routed);
        writeln!(w).unwrap();
        match post.evidence {
            Evidence::PriorOnly => writeln!(w, "evidence: {}", post.evidence),
            Evidence::Measured { .. } => {
                writeln!(w, "evidence: {}, {failures} failures", post.evidence)
            }
        }
        .unwrap();
        writeln!(
            w,
            "  posterior Beta({:.2}, {:.2}): P(degraded) {}, 90% interval [{}, {}]",
            post.a,
            post.b,
            pct(post.mean),
            pct(post.lo),
            pct(post.hi)
        )
        .unwrap();
        writeln!(
            w,
            "  expected degraded responses: {d:.0} [{dlo:.0}, {dhi:.0}]"
        )
        .unwrap();
        for budget in [0.02, 0.025, 0.03, 0.10] {
            writeln!(
                w,
                "  shadow evals for a 95% bound under {}: {}",
                pct(budget),
                shadow_evals_needed(&post, budget, 0.95)
            )
            .unwrap();
        }
    }
    out
}

#[test]
fn worked_example_matches_the_docs() {
    let text = worked_example();
    ensure_blocks(&[("worked example", &format!("```text\n{text}```\n"))]);
}

/// A few lookups, one per rule, for the rules section of the docs.
#[test]
fn lookup_examples_match_the_docs() {
    let catalog = catalog();
    let find = |id: &str| catalog_model(&catalog, id);
    let priors = Priors::builtin();
    let cases = [
        ("chat", "claude-opus-4-6", "claude-sonnet-4-6"),
        ("code", "claude-sonnet-4-5", "claude-sonnet-4-5"),
        ("code", "claude-haiku-4-5", "claude-sonnet-4-5"),
        ("code", "claude-opus-5-5", "claude-opus-4-8"),
        ("agent", "claude-opus-4-8", "claude-opus-4-5"),
        ("agent", "claude-opus-5-5", "claude-sonnet-5-5"),
        ("agent", "claude-fable-5-1", "claude-sonnet-5-5"),
        ("agent", "claude-fable-5-1", "claude-haiku-5-5"),
    ];
    let mut out =
        String::from("| class | from | to | mean | ESS | source |\n|---|---|---|---|---|---|\n");
    for (class, from, to) in cases {
        let p = priors.prior(class.parse().unwrap(), &find(from), &find(to));
        writeln!(
            out,
            "| {class} | `{from}` | `{to}` | {} | {} | {} |",
            pct(p.mean),
            p.ess,
            p.source
        )
        .unwrap();
    }
    ensure_blocks(&[("lookup examples", &out)]);
}
