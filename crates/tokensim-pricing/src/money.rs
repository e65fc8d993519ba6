//! Exact money. A price is integer micro-USD per million tokens ([`Rate`]), which is the same
//! number as pico-USD per token, so `tokens × rate` is an exact [`PicoUsd`] amount with no
//! division. Amounts add in a signed 128-bit integer, because savings can be negative.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use serde::{Deserialize, Serialize};

/// An amount of money in pico-USD (1e-12 USD).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct PicoUsd(pub i128);

/// Pico-USD in one US cent.
pub const PICO_PER_CENT: i128 = 10_000_000_000;
/// Pico-USD in one US dollar.
pub const PICO_PER_USD: i128 = 1_000_000_000_000;

impl PicoUsd {
    /// Zero dollars.
    pub const ZERO: PicoUsd = PicoUsd(0);

    /// This amount `n` times (a per-unit fee over a sum of units), exactly.
    ///
    /// # Panics
    ///
    /// Beyond 2^127 pico-USD (see [`Rate::cost_of_sum`]).
    pub fn times(self, n: u128) -> PicoUsd {
        PicoUsd(times(self.0, n))
    }

    /// Rounds to whole cents, half to even (the one place money is rounded: display).
    pub fn round_cents(self) -> i128 {
        div_round_half_even(self.0, PICO_PER_CENT)
    }

    /// The exact amount in USD with all twelve decimals, e.g. `-12.500000000000`.
    pub fn usd_exact(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        format!(
            "{sign}{}.{:012}",
            a / PICO_PER_USD as u128,
            a % PICO_PER_USD as u128
        )
    }
}

/// Integer division of `n` by a positive `d`, rounding half to even.
pub fn div_round_half_even(n: i128, d: i128) -> i128 {
    assert!(d > 0, "division by a non-positive number");
    let q = n.div_euclid(d);
    let r = n.rem_euclid(d);
    match (2 * r).cmp(&d) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

/// Formats whole cents as `$1,234.56` (or `-$1,234.56`).
pub fn format_cents(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let a = cents.unsigned_abs();
    let dollars = (a / 100).to_string();
    let mut grouped = String::with_capacity(dollars.len() + dollars.len() / 3);
    for (i, c) in dollars.chars().enumerate() {
        if i > 0 && (dollars.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{:02}", a % 100)
}

impl fmt::Display for PicoUsd {
    /// Dollars and cents, rounded half to even.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format_cents(self.round_cents()))
    }
}

impl Add for PicoUsd {
    type Output = PicoUsd;
    fn add(self, o: PicoUsd) -> PicoUsd {
        PicoUsd(self.0 + o.0)
    }
}
impl AddAssign for PicoUsd {
    fn add_assign(&mut self, o: PicoUsd) {
        self.0 += o.0;
    }
}
impl Sub for PicoUsd {
    type Output = PicoUsd;
    fn sub(self, o: PicoUsd) -> PicoUsd {
        PicoUsd(self.0 - o.0)
    }
}
impl SubAssign for PicoUsd {
    fn sub_assign(&mut self, o: PicoUsd) {
        self.0 -= o.0;
    }
}
impl Neg for PicoUsd {
    type Output = PicoUsd;
    fn neg(self) -> PicoUsd {
        PicoUsd(-self.0)
    }
}
impl Sum for PicoUsd {
    fn sum<I: Iterator<Item = PicoUsd>>(iter: I) -> PicoUsd {
        iter.fold(PicoUsd::ZERO, Add::add)
    }
}

/// A price: micro-USD per million tokens, which equals pico-USD per token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Rate(pub u64);

impl Rate {
    /// The cost of `tokens` tokens at this rate, exactly.
    pub fn cost(self, tokens: u64) -> PicoUsd {
        PicoUsd(i128::from(self.0) * i128::from(tokens))
    }

    /// The cost of a sum of token counts at this rate, exactly.
    ///
    /// # Panics
    ///
    /// Beyond 2^127 pico-USD (1.7 x 10^26 USD): at the highest published price ($150 per MTok),
    /// more than 2^40 calls at the per-record maximum of 2^59 tokens each.
    pub fn cost_of_sum(self, tokens: u128) -> PicoUsd {
        PicoUsd(times(i128::from(self.0), tokens))
    }

    /// Parses a USD-per-MTok decimal string (`"3"`, `"0.30"`, `"22.50"`) exactly. More than six
    /// decimals would be finer than the unit and is an error.
    pub fn parse_usd_per_mtok(s: &str) -> Result<Rate, String> {
        let r = Ratio::parse(s)?;
        // r = num/den with den a power of ten; micro = num * 1e6 / den must be whole.
        let micro = r.num as u128 * 1_000_000;
        if !micro.is_multiple_of(r.den as u128) {
            return Err(format!(
                "price {s:?} has more than six decimals (finer than 1 micro-USD per MTok)"
            ));
        }
        u64::try_from(micro / r.den as u128)
            .map(Rate)
            .map_err(|_| format!("price {s:?} is too large"))
    }

    /// The rate in USD per MTok, as an exact decimal string without trailing zeros.
    pub fn usd_per_mtok(self) -> String {
        let whole = self.0 / 1_000_000;
        let frac = self.0 % 1_000_000;
        if frac == 0 {
            return whole.to_string();
        }
        let f = format!("{frac:06}");
        format!("{whole}.{}", f.trim_end_matches('0'))
    }
}

/// A non-negative exact multiplier `num / den`, parsed from a decimal string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ratio {
    /// Numerator.
    pub num: u64,
    /// Denominator (positive).
    pub den: u64,
}

impl Ratio {
    /// Exactly one.
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };

    /// Parses a plain decimal such as `"0.5"`, `"1.1"` or `"12.5"` (no exponent, no sign).
    pub fn parse(s: &str) -> Result<Ratio, String> {
        let bad = || format!("{s:?} is not a plain decimal number like \"3\" or \"0.25\"");
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty()
            || !int.bytes().all(|c| c.is_ascii_digit())
            || !frac.bytes().all(|c| c.is_ascii_digit())
        {
            return Err(bad());
        }
        if s.ends_with('.') || frac.len() > 12 {
            return Err(bad());
        }
        let den = 10u64.pow(frac.len() as u32);
        let num = format!("{int}{frac}").parse::<u64>().map_err(|_| bad())?;
        Ok(Ratio { num, den }.reduced())
    }

    fn reduced(self) -> Ratio {
        let g = gcd(self.num, self.den).max(1);
        Ratio {
            num: self.num / g,
            den: self.den / g,
        }
    }

    /// The product of two ratios.
    pub fn times(self, o: Ratio) -> Ratio {
        let num = u128::from(self.num) * u128::from(o.num);
        let den = u128::from(self.den) * u128::from(o.den);
        let g = gcd128(num, den).max(1);
        Ratio {
            num: u64::try_from(num / g).expect("multiplier overflow"),
            den: u64::try_from(den / g).expect("multiplier overflow"),
        }
    }

    /// Applies the multiplier to a rate. Returns the rate and whether it was exact; an inexact
    /// result is rounded half to even (the caller records the rounding).
    pub fn apply(self, rate: Rate) -> (Rate, bool) {
        let n = i128::from(rate.0) * i128::from(self.num);
        let d = i128::from(self.den);
        let exact = n % d == 0;
        (
            Rate(u64::try_from(div_round_half_even(n, d)).expect("rate overflow")),
            exact,
        )
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn gcd128(a: u128, b: u128) -> u128 {
    if b == 0 {
        a
    } else {
        gcd128(b, a % b)
    }
}

/// `a * n` in pico-USD, for sums over calls: exact, and a panic rather than a wrong total beyond
/// 2^127 pico-USD (see [`Rate::cost_of_sum`]).
fn times(a: i128, n: u128) -> i128 {
    i128::try_from(n)
        .ok()
        .and_then(|n| a.checked_mul(n))
        .expect("a cost below 2^127 pico-USD (1.7 x 10^26 USD)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_exactly() {
        assert_eq!(Rate::parse_usd_per_mtok("3"), Ok(Rate(3_000_000)));
        assert_eq!(Rate::parse_usd_per_mtok("0.30"), Ok(Rate(300_000)));
        assert_eq!(Rate::parse_usd_per_mtok("22.50"), Ok(Rate(22_500_000)));
        assert_eq!(Rate::parse_usd_per_mtok("0.000001"), Ok(Rate(1)));
        assert!(Rate::parse_usd_per_mtok("0.0000001").is_err());
        for bad in ["", ".5", "5.", "-1", "1e3", "0x10", "1.2.3", " 1"] {
            assert!(Rate::parse_usd_per_mtok(bad).is_err(), "{bad}");
        }
        assert_eq!(Rate(300_000).usd_per_mtok(), "0.3");
        assert_eq!(Rate(22_500_000).usd_per_mtok(), "22.5");
        assert_eq!(Rate(4_000_000).usd_per_mtok(), "4");
    }

    #[test]
    fn a_token_at_a_rate_is_pico_usd() {
        // $3 per MTok: one token costs $0.000003 = 3,000,000 pico-USD.
        assert_eq!(Rate(3_000_000).cost(1), PicoUsd(3_000_000));
        assert_eq!(Rate(3_000_000).cost(1_000_000), PicoUsd(3 * PICO_PER_USD));
    }

    #[test]
    fn every_published_multiplier_is_exact_on_every_published_price() {
        // The smallest published price is $0.01/MTok (Haiku 5.5 cache read): 10,000 micro-USD.
        let prices = [
            "0.01", "0.025", "0.05", "0.08", "0.1", "0.125", "0.2", "0.25", "0.3", "0.5", "0.625",
            "1.25", "3.75", "22.5",
        ];
        let mults = [
            "0.5", "1.1", "1.25", "2", "0.1", "0.05", "0.025", "1.5", "0.55",
        ];
        for p in prices {
            for m in mults {
                let (_, exact) = Ratio::parse(m)
                    .unwrap()
                    .apply(Rate::parse_usd_per_mtok(p).unwrap());
                assert!(exact, "{p} x {m}");
            }
        }
        let batch_residency = Ratio::parse("0.5")
            .unwrap()
            .times(Ratio::parse("1.1").unwrap());
        assert_eq!(batch_residency, Ratio { num: 11, den: 20 });
        assert_eq!(batch_residency.apply(Rate(10_000)), (Rate(5_500), true));
    }

    #[test]
    fn inexact_multipliers_round_half_to_even() {
        let third = Ratio { num: 1, den: 3 };
        assert_eq!(third.apply(Rate(10)), (Rate(3), false));
        assert_eq!(Ratio { num: 1, den: 2 }.apply(Rate(5)), (Rate(2), false));
        assert_eq!(Ratio { num: 1, den: 2 }.apply(Rate(7)), (Rate(4), false));
    }

    #[test]
    fn display_rounds_half_to_even_and_groups() {
        assert_eq!(PicoUsd(5 * PICO_PER_CENT / 10).to_string(), "$0.00");
        assert_eq!(PicoUsd(15 * PICO_PER_CENT / 10).to_string(), "$0.02");
        assert_eq!(PicoUsd(1_234_567 * PICO_PER_CENT).to_string(), "$12,345.67");
        assert_eq!(PicoUsd(-150 * PICO_PER_CENT).to_string(), "-$1.50");
        assert_eq!(PicoUsd(-1).usd_exact(), "-0.000000000001");
        assert_eq!(PicoUsd(3 * PICO_PER_USD + 7).usd_exact(), "3.000000000007");
    }
}
