//! Cost forecast with prediction intervals, a backtest on the corpus itself, and commitment
//! sizing (docs/forecast.md).
//!
//! # Input
//!
//! A daily cost series `&[(Day, PicoUsd)]`. Any order is accepted; a day listed twice counts
//! once with the sum of its amounts; a day absent between the first and the last listed day is
//! a **zero-cost day** (no traffic). The fit window is every day from the first to the last.
//!
//! # Method (no black box)
//!
//! Ordinary least squares on the daily cost in f64 dollars,
//!
//! ```text
//! y_t = a + b·t + s_dow(t) + ε_t,     t = days since the first day,   s_Mon + … + s_Sun = 0
//! ```
//!
//! with additive day-of-week effects in **effects coding** (sum-zero constraint, not dummies
//! against a baseline day): `a + b·t` is the weekly-average daily cost on day `t` and `s_d` is
//! how far weekday `d` sits above or below it. That is `p = 8` parameters (level, trend, six free
//! weekday effects). The residual standard deviation is `σ = sqrt(RSS / (n − p))`.
//!
//! For a set `F` of `m` future days (a month, or the next 12 months) with design vectors `x_f`
//! and `g = Σ_f x_f`, the point forecast is `Ŝ = g'β̂` and the prediction variance of the total is
//!
//! ```text
//! Var(S − Ŝ) = σ² · (m + g'(X'X)⁻¹g)
//! ```
//!
//! — `m·σ²` for the residual noise of `m` days, **assuming independent residuals**, plus
//! `1'X_F(X'X)⁻¹X_F'1 · σ²` for the uncertainty of the fitted parameters. The interval at level
//! `L` is `Ŝ ± t_{(1+L)/2, n−p} · σ · sqrt(m + g'(X'X)⁻¹g)`, with Student's t quantile
//! ([`student_t_quantile`]). Every reported bound and point is clamped below at zero dollars
//! (costs are not negative) — or, for the current month, at the spend already recorded. The
//! 12-month total uses its own `g` over all its days, not a sum of monthly variances.
//!
//! # Months
//!
//! Months are calendar months. When the last day of data is not a month end, the first entry is
//! the **current month**: its total is the recorded spend to date plus the forecast of the rest
//! of the month, and its interval comes from the forecast days only. Then come `horizon_months`
//! full calendar months. The **next 12 months** ([`Forecast::next_12_months`]), on which a
//! commitment is sized, are the 12 full calendar months after the month of the last day, always
//! computed whatever the horizon.
//!
//! # Backtest
//!
//! The last [`ForecastOptions::backtest_days`] (14) days are held out, the same model is fitted
//! on the rest (which must itself have at least `min_fit_days`), and the held-out days are
//! forecast day by day. MAPE averages `|actual − forecast| / actual` over held-out days with
//! `actual > 0` (zero days have no percentage error and are skipped, and counted); the total
//! error is `|Σ actual − Σ forecast| / Σ actual`. When the series is too short the backtest is
//! `Err(reason)` and the forecast still runs.
//!
//! # Display
//!
//! Forecast dollars are statistical estimates and stay `f64`; only recorded spend is exact
//! [`PicoUsd`]. To display one, round it with [`usd_cents`] (half to even, from the f64 value),
//! and round each figure on its own: a total is not the sum of its rounded parts.
//!
//! # Determinism
//!
//! Single-threaded, fixed-order sums and no hash maps: the same input gives bit-identical
//! output.

mod ols;
mod student_t;

use serde::{Serialize, Serializer};
use tokensim_corpus::time::{civil_from_days, days_from_civil};
use tokensim_corpus::Day;
use tokensim_pricing::money::{format_cents, PICO_PER_USD};
use tokensim_pricing::PicoUsd;

use ols::{Fit, P};

pub use student_t::{cdf as student_t_cdf, quantile as student_t_quantile};

/// The method, as recorded in every [`Forecast`].
pub const METHOD: &str = "OLS on daily cost: level + linear trend + day-of-week effects \
    (sum-zero), Student-t prediction intervals on totals (docs/forecast.md)";

/// Days in a fit window below which no forecast is made (four full weeks).
pub const MIN_FIT_DAYS: u32 = 28;
/// Days held out at the end of the series for the backtest.
pub const BACKTEST_DAYS: u32 = 14;
/// The longest horizon accepted, in months (ten years).
pub const MAX_HORIZON_MONTHS: u32 = 120;
/// The longest series accepted from first to last day (about 100 years).
pub const MAX_SPAN_DAYS: u32 = 36_600;
/// Parameters of the model: level, trend and six free weekday effects.
pub const PARAMETERS: u32 = P as u32;

/// Why no forecast was made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForecastError {
    /// The series spans fewer days than a fit needs (the empty series has `have = 0`).
    #[error("too few days to forecast: the series spans {have} days, the forecast needs at least {need}")]
    TooFewDays {
        /// Days from the first to the last day of the series.
        have: u32,
        /// Days needed.
        need: u32,
    },
    /// The series spans more days than [`MAX_SPAN_DAYS`].
    #[error("the series spans {have} days, more than the {max} a forecast accepts")]
    SpanTooLong {
        /// Days from the first to the last day of the series.
        have: u64,
        /// [`MAX_SPAN_DAYS`].
        max: u32,
    },
    /// A day outside the years 0001 to 9899 (so every forecast month stays before 9999).
    #[error("day {day} (days since 1970-01-01) is outside the years 0001 to 9899")]
    DayOutOfRange {
        /// The day number.
        day: i32,
    },
    /// The horizon is longer than [`MAX_HORIZON_MONTHS`].
    #[error("a horizon of {months} months is longer than the {max} accepted")]
    HorizonTooLong {
        /// The horizon asked for.
        months: u32,
        /// [`MAX_HORIZON_MONTHS`].
        max: u32,
    },
    /// The least-squares problem could not be solved (cannot happen for a series of at least
    /// `PARAMETERS + 2` consecutive days; kept so that no input panics).
    #[error("the regression is degenerate: {0}")]
    Degenerate(String),
}

/// Options of [`forecast`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ForecastOptions {
    /// Days held out at the end for the backtest ([`BACKTEST_DAYS`]); 0 skips the backtest.
    pub backtest_days: u32,
    /// The fewest days a fit window may have ([`MIN_FIT_DAYS`]); values below
    /// `PARAMETERS + 2` (10) are raised to it.
    pub min_fit_days: u32,
}

impl Default for ForecastOptions {
    fn default() -> Self {
        ForecastOptions {
            backtest_days: BACKTEST_DAYS,
            min_fit_days: MIN_FIT_DAYS,
        }
    }
}

/// A forecast total with its prediction intervals, in dollars.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The point forecast, `max(floor, g'β̂)`.
    pub point_usd: f64,
    /// Lower bound of the 80% prediction interval (10th percentile).
    pub lo80_usd: f64,
    /// Upper bound of the 80% prediction interval (90th percentile).
    pub hi80_usd: f64,
    /// Lower bound of the 95% prediction interval (2.5th percentile).
    pub lo95_usd: f64,
    /// Upper bound of the 95% prediction interval (97.5th percentile).
    pub hi95_usd: f64,
    /// The unclamped point `g'β̂` (plus recorded spend for the current month); the percentiles
    /// are `center + t·se`.
    pub center_usd: f64,
    /// The prediction standard error of the total, `σ·sqrt(m + g'(X'X)⁻¹g)`.
    pub se_usd: f64,
    /// Degrees of freedom of the t distribution, `n − p`.
    pub dof: u32,
    /// The lowest possible total: 0, or the spend already recorded for the current month.
    pub floor_usd: f64,
}

impl Estimate {
    /// The estimate of a total whose t distribution (with `dof` degrees of freedom) is centred at
    /// `center` with scale `se`, every figure floored at `floor`.
    pub fn new(center: f64, se: f64, dof: u32, floor: f64) -> Estimate {
        Estimate::with_t(center, se, dof, floor, interval_t(dof))
    }

    /// As [`Estimate::new`] with the t quantiles at [`INTERVAL_LEVELS`] already computed (once
    /// per fit). The bounds equal [`Estimate::quantile`] at those levels bit for bit.
    fn with_t(center: f64, se: f64, dof: u32, floor: f64, t: [f64; 4]) -> Estimate {
        let mut e = Estimate {
            point_usd: 0.0,
            lo80_usd: 0.0,
            hi80_usd: 0.0,
            lo95_usd: 0.0,
            hi95_usd: 0.0,
            center_usd: center,
            se_usd: se,
            dof,
            floor_usd: floor,
        };
        let at = |t: f64| {
            if se == 0.0 {
                e.clamp(center)
            } else {
                e.clamp(center + t * se)
            }
        };
        let (point, lo80, hi80, lo95, hi95) = (at(0.0), at(t[0]), at(t[1]), at(t[2]), at(t[3]));
        e.point_usd = point;
        e.lo80_usd = lo80;
        e.hi80_usd = hi80;
        e.lo95_usd = lo95;
        e.hi95_usd = hi95;
        e
    }

    fn clamp(&self, v: f64) -> f64 {
        if v.is_nan() {
            self.floor_usd
        } else {
            v.max(self.floor_usd)
        }
    }

    /// The `p` percentile of the total under the model: `max(floor, center + t_{p, dof}·se)`.
    /// With `se = 0` every percentile is the point.
    pub fn quantile(&self, p: f64) -> f64 {
        if self.se_usd == 0.0 {
            return self.clamp(self.center_usd);
        }
        self.clamp(self.center_usd + student_t_quantile(p, self.dof) * self.se_usd)
    }
}

/// The levels of the reported bounds: lo80, hi80, lo95, hi95.
const INTERVAL_LEVELS: [f64; 4] = [0.10, 0.90, 0.025, 0.975];

/// Student's t quantiles at [`INTERVAL_LEVELS`].
fn interval_t(dof: u32) -> [f64; 4] {
    INTERVAL_LEVELS.map(|p| student_t_quantile(p, dof))
}

/// One calendar month of a forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthForecast {
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Days in the calendar month.
    pub days: u32,
    /// Days of the month that are forecast (fewer than `days` only in the current month).
    pub forecast_days: u32,
    /// Spend already recorded in the month (nonzero only in the current month).
    pub actual_to_date: PicoUsd,
    /// The whole month's total: recorded spend plus the forecast of the remaining days.
    pub estimate: Estimate,
}

/// The next 12 full calendar months, on which a commitment is sized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodForecast {
    /// First month, `YYYY-MM`.
    pub from_month: String,
    /// Last month, `YYYY-MM`.
    pub to_month: String,
    /// Days in the period.
    pub days: u32,
    /// The period's total (its own `g`, not a sum of monthly variances).
    pub estimate: Estimate,
}

/// One held-out day of the backtest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BacktestDay {
    /// The day.
    #[serde(serialize_with = "ser_day")]
    pub day: Day,
    /// Recorded cost.
    pub actual: PicoUsd,
    /// Forecast cost from the earlier days, clamped at zero.
    pub forecast_usd: f64,
}

/// The backtest: the model fitted without the last days, scored on them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    /// Days in the fit window.
    pub fit_days: u32,
    /// Days held out and forecast.
    pub test_days: u32,
    /// Mean absolute percentage error over held-out days with actual > 0, as a fraction
    /// (0.05 = 5%); `None` when every held-out day is zero.
    pub mape: Option<f64>,
    /// Held-out days with actual > 0 (the days the MAPE averages).
    pub mape_days: u32,
    /// Recorded spend over the held-out days.
    pub actual_total: PicoUsd,
    /// The forecast of the held-out total with its intervals.
    pub forecast_total: Estimate,
    /// `|Σ actual − Σ forecast| / Σ actual` as a fraction; `None` when `Σ actual ≤ 0`.
    pub total_error: Option<f64>,
    /// Whether the held-out total fell inside the 95% interval forecast for it (allowing a
    /// relative 1e-9 for rounding, so an exact fit with σ = 0 counts as inside).
    pub total_within_95: bool,
    /// The held-out days.
    pub days: Vec<BacktestDay>,
}

/// A forecast of a daily cost series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// The method ([`METHOD`]).
    pub method: &'static str,
    /// First day of the fit window (the first day of the series).
    #[serde(serialize_with = "ser_day")]
    pub first_day: Day,
    /// Last day of the fit window (the last day of the series).
    #[serde(serialize_with = "ser_day")]
    pub last_day: Day,
    /// Days in the fit window, `n`.
    pub fit_days: u32,
    /// Residual degrees of freedom, `n − p`.
    pub dof: u32,
    /// `a`: the weekly-average daily cost on the first day.
    pub level_usd: f64,
    /// `b`: the change of the weekly-average daily cost per day.
    pub trend_usd_per_day: f64,
    /// `s_Mon … s_Sun`: each weekday's cost above (below) the weekly average; they sum to zero.
    pub weekday_effects_usd: [f64; 7],
    /// `σ`: the residual standard deviation of one day's cost.
    pub sigma_daily_usd: f64,
    /// The current month (when the data ends mid-month) then `horizon_months` full months.
    pub months: Vec<MonthForecast>,
    /// The 12 full calendar months after the month of the last day.
    pub next_12_months: PeriodForecast,
    /// The backtest, or why there is none.
    pub backtest: Result<Backtest, String>,
    /// Reasons to trust the forecast less than its intervals suggest.
    pub warnings: Vec<String>,
}

fn ser_day<S: Serializer>(d: &Day, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

/// A forecast amount in whole cents, rounded half to even from the f64 value (the display
/// rule for forecast dollars). Saturates for values beyond `i128`; NaN gives 0.
pub fn usd_cents(usd: f64) -> i128 {
    (usd * 100.0).round_ties_even() as i128
}

/// A forecast amount formatted like exact money, `$1,234.56`, via [`usd_cents`].
pub fn format_usd(usd: f64) -> String {
    format_cents(usd_cents(usd))
}

fn pico_to_usd(p: PicoUsd) -> f64 {
    // Split so that whole dollars and the fraction are each converted exactly when they fit.
    let whole = p.0 / PICO_PER_USD;
    let frac = p.0 % PICO_PER_USD;
    whole as f64 + frac as f64 / PICO_PER_USD as f64
}

const MIN_DAY: i32 = -719_162; // 0001-01-01, days_from_civil(1, 1, 1)
const MAX_DAY: i32 = 2_896_372; // 9899-12-31, days_from_civil(9899, 12, 31)

fn days_in_month(y: i32, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)) as u32
}

/// `(year, month)` plus `k` months.
fn add_months(y: i32, m: u32, k: u32) -> (i32, u32) {
    let idx = i64::from(y) * 12 + i64::from(m - 1) + i64::from(k);
    (idx.div_euclid(12) as i32, idx.rem_euclid(12) as u32 + 1)
}

fn month_label(y: i32, m: u32) -> String {
    format!("{y:04}-{m:02}")
}

/// The dense series: `(first day, daily costs)` with absent days as zero and repeated days
/// summed (saturating, so no input overflows).
fn densify(series: &[(Day, PicoUsd)]) -> Result<(i32, Vec<PicoUsd>), ForecastError> {
    let Some(first) = series.iter().map(|(d, _)| d.0).min() else {
        return Ok((0, Vec::new()));
    };
    let last = series.iter().map(|(d, _)| d.0).max().unwrap_or(first);
    for &day in [first, last].iter() {
        if !(MIN_DAY..=MAX_DAY).contains(&day) {
            return Err(ForecastError::DayOutOfRange { day });
        }
    }
    let span = (i64::from(last) - i64::from(first) + 1) as u64;
    if span > u64::from(MAX_SPAN_DAYS) {
        return Err(ForecastError::SpanTooLong {
            have: span,
            max: MAX_SPAN_DAYS,
        });
    }
    let mut dense = vec![PicoUsd::ZERO; span as usize];
    for &(d, c) in series {
        let slot = &mut dense[(d.0 - first) as usize];
        *slot = PicoUsd(slot.0.saturating_add(c.0));
    }
    Ok((first, dense))
}

/// The fitted model plus the day numbering it was fitted with.
struct Model {
    fit: Fit,
    first_day: i32,
    /// t quantiles at [`INTERVAL_LEVELS`] for this fit's degrees of freedom.
    t: [f64; 4],
}

impl Model {
    fn new(first_day: i32, y: &[f64]) -> Result<Model, ForecastError> {
        let fit = ols::fit(first_day, y).ok_or_else(|| {
            ForecastError::Degenerate(format!(
                "{} days from day {first_day} give a rank-deficient or non-finite fit",
                y.len()
            ))
        })?;
        Ok(Model {
            t: interval_t(fit.dof),
            fit,
            first_day,
        })
    }

    fn row(&self, day: i32) -> [f64; P] {
        ols::design(
            f64::from(day) - f64::from(self.first_day),
            ols::weekday(day),
        )
    }

    /// The estimate of the total over days `from..=to` (empty when `to < from`), plus `offset`
    /// dollars already recorded.
    fn total(&self, from: i32, to: i32, offset: f64) -> Estimate {
        let mut g = [0.0; P];
        let mut m = 0u32;
        let mut day = from;
        while day <= to {
            let x = self.row(day);
            for (gi, xi) in g.iter_mut().zip(x) {
                *gi += xi;
            }
            m += 1;
            day += 1;
        }
        let center = offset + self.fit.predict(&g);
        let sigma = self.fit.sigma;
        let se = if m == 0 || sigma == 0.0 {
            0.0
        } else {
            sigma * (f64::from(m) + self.fit.param_factor(&g)).sqrt()
        };
        Estimate::with_t(center, se, self.fit.dof, offset.max(0.0), self.t)
    }
}

/// Forecasts a daily cost series: the current month (if the data ends mid-month), then
/// `horizon_months` full calendar months, the next 12 full months, and the backtest. See the
/// module documentation for the method.
pub fn forecast(
    series: &[(Day, PicoUsd)],
    horizon_months: u32,
    opts: &ForecastOptions,
) -> Result<Forecast, ForecastError> {
    if horizon_months > MAX_HORIZON_MONTHS {
        return Err(ForecastError::HorizonTooLong {
            months: horizon_months,
            max: MAX_HORIZON_MONTHS,
        });
    }
    let need = opts.min_fit_days.max(PARAMETERS + 2);
    let (first, dense) = densify(series)?;
    let n = dense.len() as u32;
    if n < need {
        return Err(ForecastError::TooFewDays { have: n, need });
    }
    let y: Vec<f64> = dense.iter().map(|&c| pico_to_usd(c)).collect();
    let model = Model::new(first, &y)?;
    let last = first + n as i32 - 1;
    let mut warnings = Vec::new();

    // Months.
    let (ly, lm, ld) = civil_from_days(last);
    let mut months = Vec::new();
    let dim = days_in_month(ly, lm);
    if ld < dim {
        let month_start = days_from_civil(ly, lm, 1);
        let recorded: PicoUsd = dense[(month_start.max(first) - first) as usize..]
            .iter()
            .copied()
            .fold(PicoUsd::ZERO, |a, c| PicoUsd(a.0.saturating_add(c.0)));
        let month_end = month_start + dim as i32 - 1;
        months.push(MonthForecast {
            month: month_label(ly, lm),
            days: dim,
            forecast_days: dim - ld,
            actual_to_date: recorded,
            estimate: model.total(last + 1, month_end, pico_to_usd(recorded)),
        });
    }
    let month_range = |k: u32| {
        let (y, m) = add_months(ly, lm, k);
        let start = days_from_civil(y, m, 1);
        let d = days_in_month(y, m);
        (y, m, start, start + d as i32 - 1, d)
    };
    for k in 1..=horizon_months {
        let (y, m, start, end, d) = month_range(k);
        months.push(MonthForecast {
            month: month_label(y, m),
            days: d,
            forecast_days: d,
            actual_to_date: PicoUsd::ZERO,
            estimate: model.total(start, end, 0.0),
        });
    }
    let (fy, fm, p_start, _, _) = month_range(1);
    let (ty, tm, _, p_end, _) = month_range(12);
    let next_12_months = PeriodForecast {
        from_month: month_label(fy, fm),
        to_month: month_label(ty, tm),
        days: (p_end - p_start + 1) as u32,
        estimate: model.total(p_start, p_end, 0.0),
    };

    // Warnings about extrapolation.
    let horizon_end = if horizon_months > 12 {
        month_range(horizon_months).3
    } else {
        p_end
    };
    let mut day = last + 1;
    while day <= horizon_end {
        if model.fit.predict(&model.row(day)) < 0.0 {
            warnings.push(format!(
                "the fitted trend forecasts a negative daily cost from {}: forecast totals are \
                 clamped at $0 and the straight-line trend is not credible that far out",
                Day(day)
            ));
            break;
        }
        day += 1;
    }
    let ahead = horizon_end - last;
    if ahead > n as i32 {
        warnings.push(format!(
            "the forecast reaches {ahead} days past the data but is fitted on {n} days: the trend \
             is extrapolated further than it was observed"
        ));
    }

    let backtest = backtest(first, &dense, &y, opts, need);
    if let Ok(bt) = &backtest {
        if !bt.total_within_95 {
            warnings.push(format!(
                "the last {} days' spend ({}) fell outside the 95% interval the earlier days \
                 forecast for it ({} to {}): the series changed recently",
                bt.test_days,
                bt.actual_total,
                format_usd(bt.forecast_total.lo95_usd),
                format_usd(bt.forecast_total.hi95_usd)
            ));
        }
    }

    Ok(Forecast {
        method: METHOD,
        first_day: Day(first),
        last_day: Day(last),
        fit_days: n,
        dof: model.fit.dof,
        level_usd: model.fit.beta[0],
        trend_usd_per_day: model.fit.beta[1],
        weekday_effects_usd: model.fit.weekday_effects(),
        sigma_daily_usd: model.fit.sigma,
        months,
        next_12_months,
        backtest,
        warnings,
    })
}

fn backtest(
    first: i32,
    dense: &[PicoUsd],
    y: &[f64],
    opts: &ForecastOptions,
    need: u32,
) -> Result<Backtest, String> {
    let h = opts.backtest_days;
    if h == 0 {
        return Err("backtest disabled (backtest_days = 0)".to_string());
    }
    let n = dense.len() as u32;
    if n < need.saturating_add(h) {
        return Err(format!(
            "too few days to backtest: holding out the last {h} days needs at least {} days \
             ({need} to fit + {h}), the series has {n}",
            need.saturating_add(h)
        ));
    }
    let fit_n = (n - h) as usize;
    let model = Model::new(first, &y[..fit_n]).map_err(|e| e.to_string())?;
    let mut days = Vec::with_capacity(h as usize);
    let mut ape_sum = 0.0;
    let mut mape_days = 0u32;
    let mut actual_total = PicoUsd::ZERO;
    for (i, &actual) in dense.iter().enumerate().skip(fit_n) {
        let day = first + i as i32;
        let f = model.fit.predict(&model.row(day)).max(0.0);
        let a = y[i];
        if a > 0.0 {
            ape_sum += (a - f).abs() / a;
            mape_days += 1;
        }
        actual_total = PicoUsd(actual_total.0.saturating_add(actual.0));
        days.push(BacktestDay {
            day: Day(day),
            actual,
            forecast_usd: f,
        });
    }
    let forecast_total = model.total(first + fit_n as i32, first + n as i32 - 1, 0.0);
    let at = pico_to_usd(actual_total);
    Ok(Backtest {
        fit_days: fit_n as u32,
        test_days: h,
        mape: (mape_days > 0).then(|| ape_sum / f64::from(mape_days)),
        mape_days,
        actual_total,
        total_error: (at > 0.0).then(|| (at - forecast_total.point_usd).abs() / at),
        total_within_95: {
            // Floating-point rounding of an exact fit must not read as "outside".
            let slack = 1e-9 * at.abs().max(forecast_total.point_usd.abs());
            forecast_total.lo95_usd - slack <= at && at <= forecast_total.hi95_usd + slack
        },
        forecast_total,
        days,
    })
}

/// The rule that sizes an annual commitment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CommitmentRule {
    /// Commit to this percentile of the next-12-months total (default 0.10). It is the stated
    /// shortfall risk: the probability, under the model, that spend ends below the commitment.
    pub percentile: f64,
    /// Discount on committed spend in basis points (0 = not modelled). A commitment `C` (at list
    /// prices) then costs `C·(1 − d)`, and spend above `C` is paid at list price.
    pub discount_bps: u32,
}

impl Default for CommitmentRule {
    fn default() -> Self {
        CommitmentRule {
            percentile: 0.10,
            discount_bps: 0,
        }
    }
}

/// A sized commitment and the "saves twice" figure (docs/forecast.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Commitment {
    /// The 12 months committed, `YYYY-MM..YYYY-MM` (from the optimized forecast).
    pub period: String,
    /// The percentile the rule committed to.
    pub percentile: f64,
    /// The probability, under each forecast's model, that the year's spend falls below its
    /// commitment (equal to `percentile`).
    pub shortfall_risk: f64,
    /// The discount on committed spend, basis points.
    pub discount_bps: u32,
    /// Point forecast of the optimized 12-month total (list prices).
    pub optimized_point_usd: f64,
    /// Point forecast of the unoptimized 12-month total (list prices).
    pub unoptimized_point_usd: f64,
    /// The recommended commitment: the percentile of the optimized total.
    pub optimized_commitment_usd: f64,
    /// The commitment the same rule gives on the unoptimized forecast.
    pub unoptimized_commitment_usd: f64,
    /// `unoptimized_point − optimized_point`: the saving from lower consumption.
    pub consumption_saving_usd: f64,
    /// `(unoptimized_commitment − optimized_commitment)·(1 − d)`: the smaller amount promised.
    pub commitment_saving_usd: f64,
    /// `consumption_saving + commitment_saving`.
    pub saves_twice_usd: f64,
    /// Expected payment at the optimized point: `C_o·(1 − d) + max(0, S_o − C_o)`.
    pub optimized_payment_usd: f64,
    /// Expected payment at the unoptimized point: `C_u·(1 − d) + max(0, S_u − C_u)`.
    pub unoptimized_payment_usd: f64,
    /// `max(0, C_u − S_o)`: committed spend left unused if the commitment were sized on the
    /// unoptimized forecast and the optimization shipped afterwards.
    pub stranded_if_committed_first_usd: f64,
    /// Caveats (mismatched periods, a rule out of range).
    pub warnings: Vec<String>,
}

/// Sizes the annual commitment on the optimized forecast's next 12 months under `rule`, next to
/// the commitment the unoptimized forecast would have led to, and the "saves twice" figure.
pub fn commitment(
    optimized: &Forecast,
    unoptimized: &Forecast,
    rule: CommitmentRule,
) -> Commitment {
    let mut warnings = Vec::new();
    let mut p = rule.percentile;
    if !(p > 0.0 && p < 1.0) {
        warnings.push(format!(
            "percentile {p} is not strictly between 0 and 1; the default 0.10 was used"
        ));
        p = CommitmentRule::default().percentile;
    } else if p > 0.5 {
        warnings.push(format!(
            "percentile {p} is above the median: spend is more likely than not to fall short of \
             this commitment"
        ));
    }
    let mut bps = rule.discount_bps;
    if bps > 10_000 {
        warnings.push(format!(
            "a discount of {bps} bps is more than 100%; 10,000 bps was used"
        ));
        bps = 10_000;
    }
    let (o, u) = (&optimized.next_12_months, &unoptimized.next_12_months);
    if o.from_month != u.from_month || o.to_month != u.to_month {
        warnings.push(format!(
            "the forecasts cover different 12 months ({}..{} optimized, {}..{} unoptimized)",
            o.from_month, o.to_month, u.from_month, u.to_month
        ));
    }
    let d = f64::from(bps) / 10_000.0;
    let (s_o, s_u) = (o.estimate.point_usd, u.estimate.point_usd);
    let c_o = o.estimate.quantile(p);
    let c_u = u.estimate.quantile(p);
    let consumption = s_u - s_o;
    let commitment_saving = (c_u - c_o) * (1.0 - d);
    let pay = |c: f64, s: f64| c * (1.0 - d) + (s - c).max(0.0);
    Commitment {
        period: format!("{}..{}", o.from_month, o.to_month),
        percentile: p,
        shortfall_risk: p,
        discount_bps: bps,
        optimized_point_usd: s_o,
        unoptimized_point_usd: s_u,
        optimized_commitment_usd: c_o,
        unoptimized_commitment_usd: c_u,
        consumption_saving_usd: consumption,
        commitment_saving_usd: commitment_saving,
        saves_twice_usd: consumption + commitment_saving,
        optimized_payment_usd: pay(c_o, s_o),
        unoptimized_payment_usd: pay(c_u, s_u),
        stranded_if_committed_first_usd: (c_u - s_o).max(0.0),
        warnings,
    }
}

#[cfg(test)]
mod tests;
