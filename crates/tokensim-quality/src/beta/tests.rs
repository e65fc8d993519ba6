//! Tests of the Beta CDF and quantile: SciPy reference values and closed forms.

use super::{cdf, cdf_tails, ln_gamma, quantile};

/// Lines of a generated CSV, without its `#` comment and header lines.
pub(crate) fn csv_rows(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .skip(1)
        .map(|l| l.split(',').collect())
}

fn close(got: f64, want: f64, tol: f64) -> bool {
    let diff = (got - want).abs();
    diff <= tol || diff <= tol * want.abs()
}

#[test]
fn quantiles_match_scipy() {
    let text = include_str!("../../tests/data/beta_quantiles.csv");
    let mut checked = 0;
    let mut bad = Vec::new();
    for row in csv_rows(text) {
        let [a, b, q, want] = [row[0], row[1], row[2], row[3]].map(|s| s.parse::<f64>().unwrap());
        let got = quantile(q, a, b);
        if !close(got, want, 1e-9) {
            bad.push(format!(
                "Beta({a}, {b}) q = {q}: rust {got:e}, scipy {want:e}"
            ));
        }
        checked += 1;
    }
    assert!(
        checked > 250,
        "the CSV should hold the full grid, found {checked} rows"
    );
    assert!(
        bad.is_empty(),
        "{} mismatches:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn uniform_quantile_is_the_level() {
    for q in [0.0, 1e-9, 0.05, 0.25, 0.5, 0.9, 0.95, 1.0] {
        assert!(close(quantile(q, 1.0, 1.0), q, 1e-14), "q = {q}");
    }
}

#[test]
fn beta_1_b_has_a_closed_form() {
    // CDF 1 - (1 - x)^b, so the quantile is 1 - (1 - q)^(1/b).
    for b in [0.3, 1.0, 2.0, 9.6, 400.0, 5000.0] {
        for q in [0.001_f64, 0.05, 0.5, 0.95, 0.999] {
            let want = -((1.0 / b) * (-q).ln_1p()).exp_m1();
            let got = quantile(q, 1.0, b);
            assert!(
                close(got, want, 1e-12),
                "Beta(1, {b}) q = {q}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn beta_a_1_has_a_closed_form() {
    // CDF x^a, so the quantile is q^(1/a); a = 0.04 puts it near 1e-33 at q = 0.05.
    for a in [0.04, 0.5, 3.0, 250.0] {
        for q in [0.001_f64, 0.05, 0.5, 0.95] {
            let want = q.powf(1.0 / a);
            let got = quantile(q, a, 1.0);
            assert!(
                close(got, want, 1e-12),
                "Beta({a}, 1) q = {q}: {got} vs {want}"
            );
        }
    }
}

#[test]
fn ln_gamma_known_values() {
    let factorials = [1.0_f64, 1.0, 2.0, 6.0, 24.0, 120.0, 720.0, 5040.0];
    for (n, f) in factorials.iter().enumerate() {
        let x = n as f64 + 1.0;
        assert!(close(ln_gamma(x), f.ln(), 1e-14), "ln Γ({x})");
    }
    let sqrt_pi = std::f64::consts::PI.sqrt();
    assert!(close(ln_gamma(0.5), sqrt_pi.ln(), 1e-14));
    assert!(close(ln_gamma(1.5), (sqrt_pi / 2.0).ln(), 1e-14));
    // From mpmath at 40 digits: loggamma(0.04) and loggamma(5000).
    assert!(close(ln_gamma(0.04), 3.197_078_173_767_305_9, 1e-14));
    assert!(close(ln_gamma(5000.0), 37_582.626_315_685_35, 1e-14));
}

#[test]
fn cdf_is_symmetric_and_its_tails_add_to_one() {
    for (a, b) in [(0.04, 5000.0), (2.5, 0.4), (9.72, 410.28), (300.0, 300.0)] {
        // Multiples of 2^-20, so that 1 - x is exact and both sides see the same point.
        for k in [
            1.0,
            1024.0,
            20_480.0,
            314_573.0,
            524_288.0,
            943_718.0,
            1_047_552.0,
        ] {
            let x = k / 1_048_576.0;
            let (lower, upper) = cdf_tails(x, a, b);
            assert!((lower + upper - 1.0).abs() < 1e-15, "tails at {x}");
            let mirrored = cdf(1.0 - x, b, a);
            // The log-space prefactor of Beta(300, 300) carries terms near 400, so about 1e-13.
            assert!(
                (lower - (1.0 - mirrored)).abs() < 1e-12,
                "I_x({a}, {b}) = {lower} but 1 - I_(1-x)({b}, {a}) = {}",
                1.0 - mirrored
            );
        }
    }
}

#[test]
fn cdf_of_the_quantile_is_the_level() {
    // Beta(0.04, 0.04) only up to the median: its upper quantiles are within 1e-25 of 1, which
    // rounds to 1.0.
    let cases = [
        ((0.04, 0.04), &[0.01, 0.05, 0.5][..]),
        ((0.4, 9.6), &[0.01, 0.05, 0.5, 0.95, 0.99]),
        ((9.72, 410.28), &[0.01, 0.05, 0.5, 0.95, 0.99]),
        ((4e5, 9.6e6), &[0.01, 0.05, 0.5, 0.95, 0.99]),
    ];
    for ((a, b), levels) in cases {
        for &q in levels {
            let x = quantile(q, a, b);
            let back = cdf(x, a, b);
            assert!(
                close(back, q, 1e-9),
                "Beta({a}, {b}): I(quantile({q})) = {back}"
            );
        }
    }
}

#[test]
fn cdf_is_monotone() {
    let (a, b) = (0.72, 7.28);
    let mut last = 0.0;
    for i in 1..1000 {
        let v = cdf(f64::from(i) / 1000.0, a, b);
        assert!(v >= last, "I_x decreased at x = {}", f64::from(i) / 1000.0);
        last = v;
    }
    assert!(last > 0.999_999);
}
