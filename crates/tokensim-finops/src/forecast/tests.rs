//! Tests of the forecast: Student's t against SciPy, exact recovery of a noiseless series, a
//! NumPy reference fit, interval coverage by simulation, the backtest, month boundaries,
//! commitment sizing and inputs that must not panic.

use super::*;
use tokensim_corpus::time::days_from_civil;

fn day(y: i32, m: u32, d: u32) -> Day {
    Day(days_from_civil(y, m, d))
}

/// Dollars to exact pico-USD (rounded to the nearest pico-dollar).
fn usd(x: f64) -> PicoUsd {
    PicoUsd((x * 1e12).round() as i128)
}

fn series(first: Day, values: &[f64]) -> Vec<(Day, PicoUsd)> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| (Day(first.0 + i as i32), usd(v)))
        .collect()
}

fn close(got: f64, want: f64, tol: f64) -> bool {
    let diff = (got - want).abs();
    diff <= tol || diff <= tol * want.abs()
}

fn fc(s: &[(Day, PicoUsd)], horizon: u32) -> Forecast {
    forecast(s, horizon, &ForecastOptions::default()).unwrap()
}

/// A tiny deterministic PRNG (xorshift64*), with Box–Muller normals.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

#[test]
fn t_quantiles_match_scipy() {
    // scipy.stats.t.ppf(p, dof), SciPy 1.17.
    let cases = [
        (0.9, 5, 1.4758840488244815),
        (0.975, 5, 2.5705818356363146),
        (0.95, 12, 1.782287555649319),
        (0.9, 30, 1.3104150253913955),
        (0.99, 3, 4.540702858568132),
        (0.1, 10, -1.3721836411103359),
        (0.9, 1, 3.0776835371752544),
        (0.975, 1, 12.706204736174694),
        (0.1, 2, -1.8856180831641267),
        (0.975, 2, 4.302652729749462),
        (0.999, 4, 7.173182219782307),
        (0.5, 7, 0.0),
        (0.9, 1000, 1.2823987214609247),
        (0.975, 36000, 1.9600298831410263),
        (0.001, 3, -10.214531852407385),
        (1e-6, 5, -24.771029720515948),
        (0.9, 62, 1.2953557617605744),
        (0.975, 62, 1.9989715170333788),
    ];
    for (p, dof, want) in cases {
        let got = student_t_quantile(p, dof);
        // The brief asks for 1e-3; the implementation does far better.
        assert!(
            close(got, want, 1e-10),
            "t.ppf({p}, {dof}): {got} vs {want}"
        );
        assert!((got - want).abs() < 1e-3);
        if p != 0.5 {
            assert!(close(student_t_cdf(got, dof), p, 1e-10), "cdf at {got}");
        }
    }
}

#[test]
fn t_quantiles_match_closed_forms() {
    use std::f64::consts::PI;
    for p in [0.001, 0.02, 0.1, 0.3, 0.6, 0.8, 0.95, 0.999] {
        // One degree of freedom is Cauchy; two has t = (2p − 1) / sqrt(2p(1 − p)).
        let cauchy = (PI * (p - 0.5)).tan();
        assert!(close(student_t_quantile(p, 1), cauchy, 1e-10), "{p}");
        let two = (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt();
        assert!(close(student_t_quantile(p, 2), two, 1e-10), "{p}");
        // Symmetry.
        assert!(close(
            student_t_quantile(p, 9),
            -student_t_quantile(1.0 - p, 9),
            1e-13
        ));
    }
    assert_eq!(student_t_quantile(0.0, 4), f64::NEG_INFINITY);
    assert_eq!(student_t_quantile(1.0, 4), f64::INFINITY);
    assert_eq!(student_t_quantile(0.2, 0), f64::NEG_INFINITY);
    assert_eq!(student_t_quantile(0.8, 0), f64::INFINITY);
    assert!(student_t_quantile(f64::NAN, 4).is_nan());
    assert!(student_t_cdf(1.0, 0).is_nan());
}

/// Weekly-average level, trend and weekday effects (Monday first, summing to zero) of the
/// noiseless series.
const A: f64 = 50.0;
const B: f64 = 0.25;
const S: [f64; 7] = [5.0, 3.0, 1.0, 0.0, -1.0, -2.0, -6.0];

fn noiseless(first: Day, n: usize) -> Vec<(Day, PicoUsd)> {
    let v: Vec<f64> = (0..n)
        .map(|i| A + B * i as f64 + S[ols::weekday(first.0 + i as i32)])
        .collect();
    series(first, &v)
}

#[test]
fn a_noiseless_series_is_recovered_exactly() {
    let first = day(2026, 2, 10); // a Tuesday
    let f = fc(&noiseless(first, 60), 12);
    assert!(close(f.level_usd, A, 1e-9), "{}", f.level_usd);
    assert!(
        close(f.trend_usd_per_day, B, 1e-9),
        "{}",
        f.trend_usd_per_day
    );
    for (got, want) in f.weekday_effects_usd.iter().zip(S) {
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }
    assert_eq!(f.sigma_daily_usd, 0.0);
    assert_eq!((f.fit_days, f.dof), (60, 52));
    for m in &f.months {
        let e = &m.estimate;
        assert!(e.point_usd > 0.0);
        assert_eq!(e.se_usd, 0.0);
        for b in [e.lo80_usd, e.hi80_usd, e.lo95_usd, e.hi95_usd] {
            assert_eq!(b, e.point_usd, "{}", m.month);
        }
    }
    // The first full month's point is the sum of the true daily costs.
    let april = f.months.iter().find(|m| m.month == "2026-05").unwrap();
    let start = day(2026, 5, 1).0;
    let truth: f64 = (start..start + 31)
        .map(|d| A + B * f64::from(d - first.0) + S[ols::weekday(d)])
        .sum();
    assert!(close(april.estimate.point_usd, truth, 1e-9));
    // 60 days of data do not support 12 months cleanly, and the forecast says so.
    assert_eq!(f.warnings.len(), 1, "{:?}", f.warnings);
    assert!(f.warnings[0].contains("extrapolated"));
    let bt = f.backtest.as_ref().unwrap();
    assert!(bt.mape.unwrap() < 1e-12 && bt.total_within_95);
}

#[test]
fn matches_a_numpy_reference_fit() {
    // The series and the expected numbers come from NumPy's lstsq and (X'X)⁻¹ with SciPy's
    // t.ppf on the same design (effects coding, t from the first day, Monday = weekday 0).
    let first = day(2026, 1, 1);
    let wk = [300, 250, 200, 150, 100, -400, -600];
    let s: Vec<(Day, PicoUsd)> = (0..75i64)
        .map(|i| {
            let d = first.0 + i as i32;
            let cents = 10_000 + 37 * i + wk[ols::weekday(d)] + ((i * 7919) % 1000 - 500);
            (Day(d), PicoUsd(i128::from(cents) * 10_000_000_000))
        })
        .collect();
    let f = fc(&s, 1);
    let beta = [
        100.38261738261737,
        0.3552047952047959,
        2.0924075924075987,
        2.7972027972028,
        1.0124875124875008,
        1.5354645354645353,
        -4.259740259740263,
        -6.145854145854147,
    ];
    assert!(close(f.level_usd, beta[0], 1e-10));
    assert!(close(f.trend_usd_per_day, beta[1], 1e-10));
    assert!(close(f.weekday_effects_usd[0], 2.968031968031976, 1e-10));
    for k in 1..7 {
        assert!(close(f.weekday_effects_usd[k], beta[1 + k], 1e-10), "{k}");
    }
    assert!(close(f.sigma_daily_usd, 3.0334048071322077, 1e-10));
    assert_eq!(f.dof, 67);
    assert_eq!(f.last_day, day(2026, 3, 16));
    let check = |e: &Estimate, want: [f64; 6]| {
        let got = [
            e.center_usd,
            e.se_usd,
            e.lo80_usd,
            e.hi80_usd,
            e.lo95_usd,
            e.hi95_usd,
        ];
        for (g, w) in got.iter().zip(want) {
            assert!(close(*g, w, 1e-9), "{got:?} vs {want:?}");
        }
    };
    let march = &f.months[0];
    assert_eq!(
        (march.month.as_str(), march.days, march.forecast_days),
        ("2026-03", 31, 15)
    );
    assert_eq!(march.actual_to_date, PicoUsd(197_884 * 10_000_000_000));
    check(
        &march.estimate,
        [
            3923.573566433567,
            16.928004520239387,
            3901.663392931048,
            3945.4837399360867,
            3889.7851279941915,
            3957.3620048729426,
        ],
    );
    assert_eq!(f.months[1].month, "2026-04");
    check(
        &f.months[1].estimate,
        [
            4128.8552447552465,
            38.298828016422085,
            4079.2844896328884,
            4178.425999877605,
            4052.41046408509,
            4205.300025425403,
        ],
    );
    let y = &f.next_12_months;
    assert_eq!(
        (y.from_month.as_str(), y.to_month.as_str(), y.days),
        ("2026-04", "2027-03", 365)
    );
    check(
        &y.estimate,
        [
            71907.18461538467,
            1397.1553023238814,
            70098.825275258,
            73715.54395551134,
            69118.45096007547,
            74695.91827069387,
        ],
    );
    assert!(close(y.estimate.quantile(0.1), 70098.825275258, 1e-9));
}

#[test]
fn intervals_cover_the_truth_at_the_nominal_rate() {
    // 400 simulated histories of 70 days with normal noise; each forecast's intervals are
    // checked against a simulated future. Coverage must be within 5 points of nominal.
    let first = day(2026, 1, 1);
    let n = 70;
    let wk = [40.0, 30.0, 20.0, 10.0, 0.0, -40.0, -60.0];
    let truth_mean = |d: i32| 1000.0 + 2.0 * f64::from(d - first.0) + wk[ols::weekday(d)];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let trials = 400;
    // [current month, April, next 12 months] × [80%, 95%]
    let mut hits = [[0u32; 2]; 3];
    for _ in 0..trials {
        let s: Vec<(Day, PicoUsd)> = (0..n)
            .map(|i| {
                let d = first.0 + i;
                (Day(d), usd(truth_mean(d) + 50.0 * rng.normal()))
            })
            .collect();
        let f = fc(&s, 1);
        let last = f.last_day.0;
        let end = day(2027, 3, 31).0;
        let future: Vec<f64> = (last + 1..=end)
            .map(|d| truth_mean(d) + 50.0 * rng.normal())
            .collect();
        let sum = |from: Day, to: Day| -> f64 {
            future[(from.0 - last - 1) as usize..=(to.0 - last - 1) as usize]
                .iter()
                .sum()
        };
        let recorded = pico_to_usd(f.months[0].actual_to_date);
        let actual = [
            recorded + sum(Day(last + 1), day(2026, 3, 31)),
            sum(day(2026, 4, 1), day(2026, 4, 30)),
            sum(day(2026, 4, 1), day(2027, 3, 31)),
        ];
        let est = [
            &f.months[0].estimate,
            &f.months[1].estimate,
            &f.next_12_months.estimate,
        ];
        for k in 0..3 {
            let e = est[k];
            if e.lo80_usd <= actual[k] && actual[k] <= e.hi80_usd {
                hits[k][0] += 1;
            }
            if e.lo95_usd <= actual[k] && actual[k] <= e.hi95_usd {
                hits[k][1] += 1;
            }
        }
    }
    for (k, h) in hits.iter().enumerate() {
        let c80 = f64::from(h[0]) / f64::from(trials);
        let c95 = f64::from(h[1]) / f64::from(trials);
        assert!((c80 - 0.80).abs() <= 0.05, "total {k}: 80% coverage {c80}");
        assert!((c95 - 0.95).abs() <= 0.05, "total {k}: 95% coverage {c95}");
    }
}

#[test]
fn backtest_of_a_linear_series_is_exact() {
    let first = day(2026, 1, 1);
    let v: Vec<f64> = (0..56).map(|i| 10.0 + 0.5 * f64::from(i)).collect();
    let f = fc(&series(first, &v), 3);
    let bt = f.backtest.as_ref().unwrap();
    assert_eq!((bt.fit_days, bt.test_days, bt.mape_days), (42, 14, 14));
    assert!(bt.mape.unwrap() < 1e-9, "{:?}", bt.mape);
    assert!(bt.total_error.unwrap() < 1e-9);
    assert!(bt.total_within_95);
    assert_eq!(bt.days.len(), 14);
    assert_eq!(bt.days[0].day, day(2026, 2, 12));
    assert!(close(bt.days[0].forecast_usd, 10.0 + 0.5 * 42.0, 1e-9));
}

#[test]
fn backtest_skips_zero_days_and_reports_a_change() {
    let first = day(2026, 1, 1);
    // Steady at $100 a day, then the last 14 days alternate $0 and $300.
    let mut v = vec![100.0; 42];
    v.extend((0..14).map(|i| if i % 2 == 0 { 0.0 } else { 300.0 }));
    let f = fc(&series(first, &v), 1);
    let bt = f.backtest.as_ref().unwrap();
    assert_eq!(bt.mape_days, 7);
    // The steady fit forecasts $100 a day: |300 − 100| / 300 on every nonzero day.
    assert!(close(bt.mape.unwrap(), 2.0 / 3.0, 1e-9));
    // Totals: actual 7 × 300 = 2100, forecast 1400.
    assert!(close(bt.total_error.unwrap(), 700.0 / 2100.0, 1e-9));
    // The steady series has σ = 0, so the interval is the point and excludes 2100.
    assert!(!bt.total_within_95);
    assert!(
        f.warnings.iter().any(|w| w.contains("changed recently")),
        "{:?}",
        f.warnings
    );
}

#[test]
fn too_few_days_are_refused_and_a_short_series_has_no_backtest() {
    let first = day(2026, 1, 1);
    let opts = ForecastOptions::default();
    assert_eq!(
        forecast(&[], 12, &opts),
        Err(ForecastError::TooFewDays { have: 0, need: 28 })
    );
    assert_eq!(
        forecast(&noiseless(first, 27), 12, &opts),
        Err(ForecastError::TooFewDays { have: 27, need: 28 })
    );
    // The span counts, not the number of entries: two entries 27 days apart.
    let sparse = [(first, usd(1.0)), (Day(first.0 + 26), usd(1.0))];
    assert_eq!(
        forecast(&sparse, 12, &opts),
        Err(ForecastError::TooFewDays { have: 27, need: 28 })
    );
    let f = forecast(&noiseless(first, 28), 12, &opts).unwrap();
    let reason = f.backtest.unwrap_err();
    assert!(reason.contains("at least 42 days"), "{reason}");
    assert!(forecast(&noiseless(first, 41), 12, &opts)
        .unwrap()
        .backtest
        .is_err());
    assert!(forecast(&noiseless(first, 42), 12, &opts)
        .unwrap()
        .backtest
        .is_ok());
    // A smaller minimum is raised to p + 2 = 10 days.
    let loose = ForecastOptions {
        backtest_days: 0,
        min_fit_days: 3,
    };
    assert_eq!(
        forecast(&noiseless(first, 9), 1, &loose),
        Err(ForecastError::TooFewDays { have: 9, need: 10 })
    );
    let f = forecast(&noiseless(first, 10), 1, &loose).unwrap();
    assert_eq!(f.dof, 2);
    assert!(f.backtest.unwrap_err().contains("disabled"));
}

#[test]
fn gaps_are_zero_days_and_order_and_repeats_do_not_matter() {
    let first = day(2026, 1, 1);
    let mut v: Vec<f64> = (0..50).map(|i| 20.0 + f64::from(i % 7) * 3.0).collect();
    v[10] = 0.0;
    v[11] = 0.0;
    v[30] = 0.0;
    let dense = series(first, &v);
    let mut sparse: Vec<(Day, PicoUsd)> = dense
        .iter()
        .copied()
        .filter(|&(_, c)| c != PicoUsd::ZERO)
        .collect();
    sparse.reverse();
    // Split one day's amount in two entries.
    let (d, c) = sparse[5];
    sparse[5] = (d, PicoUsd(c.0 - 7));
    sparse.push((d, PicoUsd(7)));
    assert_eq!(fc(&dense, 6), fc(&sparse, 6));
}

#[test]
fn months_are_calendar_months() {
    // Data ending mid-January: the rest of January, then February (28 days in 2027).
    let s = noiseless(day(2026, 11, 20), 57);
    let f = fc(&s, 2);
    assert_eq!(f.last_day, day(2027, 1, 15));
    let got: Vec<(&str, u32, u32)> = f
        .months
        .iter()
        .map(|m| (m.month.as_str(), m.days, m.forecast_days))
        .collect();
    assert_eq!(
        got,
        [
            ("2027-01", 31, 16),
            ("2027-02", 28, 28),
            ("2027-03", 31, 31)
        ]
    );
    let january: PicoUsd = s
        .iter()
        .filter(|(d, _)| *d >= day(2027, 1, 1))
        .map(|&(_, c)| c)
        .sum();
    assert_eq!(f.months[0].actual_to_date, january);
    assert!(f.months[0].estimate.point_usd > pico_to_usd(january));
    assert_eq!(f.months[0].estimate.floor_usd, pico_to_usd(january));
    assert_eq!(f.months[1].actual_to_date, PicoUsd::ZERO);
    assert_eq!(
        (
            f.next_12_months.from_month.as_str(),
            f.next_12_months.to_month.as_str(),
            f.next_12_months.days
        ),
        ("2027-02", "2028-01", 365)
    );

    // Data ending on a month end: no current month; a leap February.
    let f = fc(&noiseless(day(2027, 12, 1), 62), 1);
    assert_eq!(f.last_day, day(2028, 1, 31));
    assert_eq!(f.months.len(), 1);
    assert_eq!(
        (f.months[0].month.as_str(), f.months[0].days),
        ("2028-02", 29)
    );
    assert_eq!(f.next_12_months.days, 366);

    // Year rollover, and the 12-month total equals the sum of the 12 month points.
    let f = fc(&noiseless(day(2026, 11, 1), 61), 12);
    assert_eq!(f.last_day, day(2026, 12, 31));
    assert_eq!(f.months.first().unwrap().month, "2027-01");
    assert_eq!(f.months.last().unwrap().month, "2027-12");
    let sum: f64 = f.months.iter().map(|m| m.estimate.point_usd).sum();
    assert!(close(sum, f.next_12_months.estimate.point_usd, 1e-12));
    // Horizon 0 keeps only the current month (here none), but the 12 months are still there.
    let f0 = fc(&noiseless(day(2026, 11, 1), 61), 0);
    assert!(f0.months.is_empty());
    assert_eq!(f0.next_12_months, f.next_12_months);
}

#[test]
fn the_annual_interval_is_not_a_sum_of_monthly_variances() {
    let first = day(2026, 1, 1);
    let mut rng = Rng(7);
    let v: Vec<f64> = (0..90)
        .map(|i| 100.0 + f64::from(i) + 10.0 * rng.normal())
        .collect();
    let f = fc(&series(first, &v), 12);
    let y = &f.next_12_months.estimate;
    let full: Vec<&MonthForecast> = f
        .months
        .iter()
        .filter(|m| m.forecast_days == m.days)
        .collect();
    assert_eq!(full.len(), 12);
    let var_sum: f64 = full.iter().map(|m| m.estimate.se_usd.powi(2)).sum();
    // Parameter errors are shared by all months, so the annual variance is larger than the
    // sum of the monthly ones.
    assert!(
        y.se_usd.powi(2) > var_sum,
        "{} vs {var_sum}",
        y.se_usd.powi(2)
    );
}

fn estimate_forecast(center: f64, se: f64, dof: u32) -> Forecast {
    let mut f = fc(&noiseless(day(2026, 1, 1), 31), 0);
    f.next_12_months.estimate = Estimate::new(center, se, dof, 0.0);
    f
}

#[test]
fn commitment_by_hand() {
    // t.ppf(0.1, 5) = −1.4758840488244813.
    let t = -1.4758840488244813;
    let opt = estimate_forecast(1200.0, 100.0, 5);
    let unopt = estimate_forecast(2000.0, 150.0, 5);
    let c = commitment(&opt, &unopt, CommitmentRule::default());
    assert_eq!(c.period, "2026-02..2027-01");
    assert_eq!(
        (c.percentile, c.shortfall_risk, c.discount_bps),
        (0.1, 0.1, 0)
    );
    let c_o = 1200.0 + t * 100.0; // 1052.41159511755
    let c_u = 2000.0 + t * 150.0; // 1778.61739267633
    assert!(close(c.optimized_commitment_usd, c_o, 1e-12));
    assert!(close(c.unoptimized_commitment_usd, c_u, 1e-12));
    assert!(close(
        c.optimized_commitment_usd,
        1_052.411_595_117_552,
        1e-12
    ));
    assert!(close(
        c.unoptimized_commitment_usd,
        1_778.617_392_676_328,
        1e-12
    ));
    assert_eq!(c.consumption_saving_usd, 800.0);
    assert!(close(c.commitment_saving_usd, 726.2057975587759, 1e-12));
    assert!(close(c.saves_twice_usd, 1526.2057975587759, 1e-12));
    // No discount: committing below the point costs the point.
    assert!(close(c.optimized_payment_usd, 1200.0, 1e-12));
    assert!(close(c.unoptimized_payment_usd, 2000.0, 1e-12));
    assert!(close(
        c.stranded_if_committed_first_usd,
        578.6173926763278,
        1e-12
    ));
    assert!(c.warnings.is_empty());

    // A 20% discount on committed spend: the obligation shrinks by 0.8 and each payment is
    // S − C·d (C below S).
    let rule = CommitmentRule {
        percentile: 0.1,
        discount_bps: 2_000,
    };
    let c = commitment(&opt, &unopt, rule);
    assert!(close(
        c.commitment_saving_usd,
        726.2057975587759 * 0.8,
        1e-12
    ));
    assert!(close(c.saves_twice_usd, 800.0 + 580.9646380470207, 1e-12));
    assert!(close(c.optimized_payment_usd, 1200.0 - 0.2 * c_o, 1e-12));
    assert!(close(c.unoptimized_payment_usd, 2000.0 - 0.2 * c_u, 1e-12));
}

#[test]
fn commitment_rule_out_of_range_is_corrected_with_a_warning() {
    let opt = estimate_forecast(1200.0, 100.0, 5);
    let unopt = estimate_forecast(2000.0, 150.0, 5);
    for p in [0.0, 1.0, -0.5, f64::NAN] {
        let c = commitment(
            &opt,
            &unopt,
            CommitmentRule {
                percentile: p,
                discount_bps: 0,
            },
        );
        assert_eq!(c.percentile, 0.1);
        assert_eq!(c.warnings.len(), 1, "{p}");
    }
    let c = commitment(
        &opt,
        &unopt,
        CommitmentRule {
            percentile: 0.1,
            discount_bps: 20_000,
        },
    );
    assert_eq!(c.discount_bps, 10_000);
    assert_eq!(c.commitment_saving_usd, 0.0);
    assert_eq!(c.warnings.len(), 1);
    // Different periods are flagged.
    let mut other = unopt.clone();
    other.next_12_months.from_month = "2026-03".to_string();
    let c = commitment(&opt, &other, CommitmentRule::default());
    assert!(c.warnings[0].contains("different 12 months"));
    // σ = 0: the commitment is the point.
    let exact = estimate_forecast(1000.0, 0.0, 5);
    let c = commitment(&exact, &exact, CommitmentRule::default());
    assert_eq!(c.optimized_commitment_usd, 1000.0);
    assert_eq!(c.saves_twice_usd, 0.0);
}

#[test]
fn commitment_on_real_forecasts_uses_the_twelve_month_percentile() {
    let first = day(2026, 1, 1);
    let mut rng = Rng(42);
    let base: Vec<f64> = (0..60)
        .map(|i| 200.0 + f64::from(i) + 20.0 * rng.normal())
        .collect();
    let optimized: Vec<f64> = base.iter().map(|v| v * 0.6).collect();
    let fo = fc(&series(first, &optimized), 12);
    let fu = fc(&series(first, &base), 12);
    let c = commitment(&fo, &fu, CommitmentRule::default());
    assert_eq!(
        c.optimized_commitment_usd,
        fo.next_12_months.estimate.lo80_usd
    );
    assert_eq!(
        c.unoptimized_commitment_usd,
        fu.next_12_months.estimate.lo80_usd
    );
    assert!(c.consumption_saving_usd > 0.0 && c.commitment_saving_usd > 0.0);
}

#[test]
fn a_falling_trend_warns_and_clamps_at_zero() {
    let first = day(2026, 1, 1);
    let v: Vec<f64> = (0..60).map(|i| 100.0 - 1.5 * f64::from(i)).collect();
    let f = fc(&series(first, &v), 24);
    assert!(f.warnings.iter().any(|w| w.contains("negative daily cost")));
    assert!(f.warnings.iter().any(|w| w.contains("extrapolated")));
    let last = f.months.last().unwrap();
    assert_eq!(last.estimate.point_usd, 0.0);
    assert_eq!(last.estimate.lo95_usd, 0.0);
    assert!(last.estimate.center_usd < 0.0);
}

#[test]
fn odd_inputs_do_not_panic() {
    let first = day(2026, 1, 1);
    let opts = ForecastOptions::default();
    // All zero.
    let f = fc(&series(first, &[0.0; 60]), 12);
    assert_eq!(f.sigma_daily_usd, 0.0);
    assert_eq!(f.next_12_months.estimate.point_usd, 0.0);
    let bt = f.backtest.as_ref().unwrap();
    assert_eq!((bt.mape, bt.total_error, bt.mape_days), (None, None, 0));
    // Huge and negative values, alternating.
    let huge: Vec<(Day, PicoUsd)> = (0..60)
        .map(|i| {
            let v = if i % 2 == 0 { i128::MAX } else { i128::MIN };
            (Day(first.0 + i), PicoUsd(v))
        })
        .collect();
    let f = fc(&huge, 12);
    assert!(f.sigma_daily_usd.is_finite());
    // Repeats that would overflow saturate.
    let mut twice = huge.clone();
    twice.extend(huge.iter().copied());
    assert!(forecast(&twice, 12, &opts).is_ok());
    // Out-of-range days, spans and horizons.
    for d in [i32::MIN, i32::MAX, day(1, 1, 1).0 - 1, day(9900, 1, 1).0] {
        assert_eq!(
            forecast(&[(Day(d), usd(1.0))], 12, &opts),
            Err(ForecastError::DayOutOfRange { day: d })
        );
    }
    assert!(forecast(&noiseless(day(1, 1, 1), 30), 12, &opts).is_ok());
    assert!(forecast(&noiseless(day(9899, 12, 2), 30), 120, &opts).is_ok());
    let wide = [(day(1900, 1, 1), usd(1.0)), (day(2026, 1, 1), usd(1.0))];
    assert!(matches!(
        forecast(&wide, 12, &opts),
        Err(ForecastError::SpanTooLong { .. })
    ));
    assert_eq!(
        forecast(&noiseless(first, 60), 121, &opts),
        Err(ForecastError::HorizonTooLong {
            months: 121,
            max: 120
        })
    );
    assert!(forecast(&noiseless(first, 60), 120, &opts).is_ok());
    // The longest span accepted, and one day more.
    let long = noiseless(day(1950, 1, 1), MAX_SPAN_DAYS as usize);
    let f = forecast(&long, 12, &opts).unwrap();
    assert_eq!(f.dof, MAX_SPAN_DAYS - PARAMETERS);
    assert!(close(f.trend_usd_per_day, B, 1e-9));
    let mut longer = long;
    longer.push((Day(longer.last().unwrap().0 .0 + 1), usd(1.0)));
    assert_eq!(
        forecast(&longer, 12, &opts),
        Err(ForecastError::SpanTooLong {
            have: u64::from(MAX_SPAN_DAYS) + 1,
            max: MAX_SPAN_DAYS
        })
    );
}

#[test]
fn the_same_input_gives_bit_identical_output() {
    let first = day(2026, 1, 1);
    let mut rng = Rng(3);
    let v: Vec<f64> = (0..100).map(|_| 50.0 + 5.0 * rng.normal()).collect();
    let s = series(first, &v);
    let a = serde_json::to_string(&fc(&s, 12)).unwrap();
    let b = serde_json::to_string(&fc(&s, 12)).unwrap();
    assert_eq!(a, b);
    assert!(a.contains("\"first_day\":\"2026-01-01\""));
}

#[test]
fn display_rounds_half_to_even_to_cents() {
    assert_eq!(usd_cents(0.125), 12);
    assert_eq!(usd_cents(0.375), 38);
    assert_eq!(usd_cents(-0.125), -12);
    assert_eq!(usd_cents(f64::NAN), 0);
    assert_eq!(format_usd(1234.5), "$1,234.50");
    assert_eq!(format_usd(-0.004), "$0.00");
}
