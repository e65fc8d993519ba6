//! `difficulty`: a JSON number in [0, 1] read exactly, as parts per million, from its decimal text.
//!
//! Going through `f64` would make `0.0000025` (a tie at the sixth decimal) land on either side
//! depending on the binary approximation; reading the digits keeps the rounding exact and the
//! result the same on every machine.

/// What `difficulty` must be, the start of every error message about it.
const WANT: &str = "must be a number from 0 to 1";

/// Parses one JSON value's text (a number, or whatever else the line held there) into parts per
/// million. The value must be a number in [0, 1], checked on the exact value before rounding (so
/// `1.0000001` is out of range); digits past the sixth decimal round half to even. Errors are
/// messages for the `difficulty` field.
pub(super) fn parse_ppm(text: &str) -> Result<u32, String> {
    let text = text.trim();
    let not_a_number = |what: &str| Err(format!("{WANT}, got {what}"));
    match text.as_bytes().first() {
        Some(b'"') => return not_a_number(&format!("the string {text}")),
        Some(b'{') => return not_a_number("an object"),
        Some(b'[') => return not_a_number("a list"),
        Some(b'-' | b'0'..=b'9') => {}
        _ => return not_a_number(text),
    }
    let Some(d) = Decimal::parse(text) else {
        return not_a_number(text);
    };
    let out_of_range = || Err(format!("{WANT}, got {text}"));
    // `d.digits` has no leading or trailing zeros; empty means the value is zero (`-0` included).
    let Some(&first) = d.digits.first() else {
        return Ok(0);
    };
    if d.negative {
        return out_of_range();
    }
    let n = d.digits.len() as i64;
    // The power of ten of the leading digit: the value is in [10^top, 10^(top+1)).
    let top = (n - 1).saturating_add(d.exp);
    if top > 0 || (top == 0 && !(n == 1 && first == 1)) {
        return out_of_range();
    }
    if top == 0 {
        return Ok(1_000_000);
    }
    // value * 10^6 = digits * 10^k, below 10^6 from here on, so every number below fits a u32.
    let k = d.exp.saturating_add(6);
    let whole = |ds: &[u8]| ds.iter().fold(0u32, |v, &c| v * 10 + u32::from(c));
    if k >= 0 {
        return Ok(whole(&d.digits) * 10u32.pow(k as u32));
    }
    // `keep` digits are whole parts per million; the rest is the fraction to round.
    let keep = n + k;
    if keep < 0 {
        // Below 0.1 ppm: rounds to zero.
        return Ok(0);
    }
    let (head, rest) = d.digits.split_at(keep as usize);
    let q = whole(head);
    // `rest` is non-empty and ends in a non-zero digit: it is exactly one half only when it is
    // the single digit 5.
    let up = match rest[0] {
        0..=4 => false,
        5 if rest.len() == 1 => q % 2 == 1,
        _ => true,
    };
    Ok(q + u32::from(up))
}

/// A decimal number as `(-1)^negative * digits * 10^exp`, with the digit string trimmed of
/// leading and trailing zeros.
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exp: i64,
}

impl Decimal {
    /// Parses a number by the JSON grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn parse(text: &str) -> Option<Decimal> {
        let b = text.as_bytes();
        let mut i = 0;
        let negative = b.first() == Some(&b'-');
        if negative {
            i += 1;
        }
        let digits_from = |i: &mut usize| {
            let start = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            &b[start..*i]
        };
        let int = digits_from(&mut i);
        if int.is_empty() || (int.len() > 1 && int[0] == b'0') {
            return None;
        }
        let mut frac: &[u8] = &[];
        if b.get(i) == Some(&b'.') {
            i += 1;
            frac = digits_from(&mut i);
            if frac.is_empty() {
                return None;
            }
        }
        let mut exp: i64 = 0;
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            let minus = b.get(i) == Some(&b'-');
            if matches!(b.get(i), Some(b'-' | b'+')) {
                i += 1;
            }
            let e = digits_from(&mut i);
            if e.is_empty() {
                return None;
            }
            // Saturates: an exponent this large is far out of range (or rounds to zero) anyway.
            exp = e.iter().fold(0i64, |v, &c| {
                v.saturating_mul(10).saturating_add(i64::from(c - b'0'))
            });
            if minus {
                exp = -exp;
            }
        }
        if i != b.len() {
            return None;
        }
        let mut digits: Vec<u8> = int.iter().chain(frac).map(|c| c - b'0').collect();
        exp = exp.saturating_sub(frac.len() as i64);
        let lead = digits.iter().take_while(|&&c| c == 0).count();
        digits.drain(..lead);
        while digits.last() == Some(&0) {
            digits.pop();
            exp = exp.saturating_add(1);
        }
        Some(Decimal {
            negative,
            digits,
            exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_ppm;
    use proptest::prelude::*;

    #[test]
    fn exact_values() {
        for (text, ppm) in [
            ("0", 0),
            ("1", 1_000_000),
            ("0.35", 350_000),
            ("0.350000", 350_000),
            ("1.0", 1_000_000),
            ("1.000000000000", 1_000_000),
            ("0.000001", 1),
            ("0.999999", 999_999),
            ("3.5e-1", 350_000),
            ("35E-2", 350_000),
            ("0.0035e2", 350_000),
            ("1e0", 1_000_000),
            ("10e-1", 1_000_000),
            ("0e5", 0),
            ("0e99999999999999999999999", 0),
            ("-0", 0),
            ("-0.0", 0),
            ("1e-99999999999999999999999", 0),
            ("0.1234564", 123_456),
            ("0.1234566", 123_457),
            ("0.12345650000000000000000001", 123_457),
            // Ties round half to even.
            ("0.0000005", 0),
            ("0.0000015", 2),
            ("0.0000025", 2),
            ("0.0000035", 4),
            ("0.1234565", 123_456),
            ("0.1234575", 123_458),
            ("0.9999995", 1_000_000),
            ("0.99999949999", 999_999),
            ("0.00000005", 0),
            ("5e-7", 0),
            ("15e-7", 2),
        ] {
            assert_eq!(parse_ppm(text), Ok(ppm), "{text}");
        }
    }

    #[test]
    fn out_of_range_and_wrong_types() {
        for (text, got) in [
            ("1.0000001", "1.0000001"),
            ("1.5", "1.5"),
            ("2", "2"),
            ("10", "10"),
            ("1e1", "1e1"),
            ("1e99999999999999999999", "1e99999999999999999999"),
            ("-0.1", "-0.1"),
            ("-0.0000001", "-0.0000001"),
            ("-1", "-1"),
            ("null", "null"),
            ("true", "true"),
            ("\"0.5\"", "the string \"0.5\""),
            ("{\"v\":0.5}", "an object"),
            ("[0.5]", "a list"),
            ("NaN", "NaN"),
            ("01", "01"),
            ("1.", "1."),
            (".5", ".5"),
            ("+1", "+1"),
            ("1e", "1e"),
        ] {
            assert_eq!(
                parse_ppm(text),
                Err(format!("must be a number from 0 to 1, got {got}")),
                "{text}"
            );
        }
    }

    /// The exact reference: `num / 10^scale` in ppm, rounded half to even, in integers.
    fn reference(num: u64, scale: u32) -> u64 {
        if scale <= 6 {
            return num * 10u64.pow(6 - scale);
        }
        let div = 10u64.pow(scale - 6);
        let (q, r) = (num / div, num % div);
        match (2 * r).cmp(&div) {
            std::cmp::Ordering::Less => q,
            std::cmp::Ordering::Greater => q + 1,
            std::cmp::Ordering::Equal => q + (q % 2),
        }
    }

    proptest! {
        #[test]
        fn decimals_match_integer_rounding(scale in 0u32..13, frac in 0u64..1_000_000_000_000u64, one in any::<bool>()) {
            let num = if one { 10u64.pow(scale) } else { frac % 10u64.pow(scale) };
            let text = if scale == 0 {
                format!("{num}")
            } else {
                let s = format!("{num:0width$}", width = scale as usize + 1);
                let (int, dec) = s.split_at(s.len() - scale as usize);
                format!("{int}.{dec}")
            };
            prop_assert_eq!(parse_ppm(&text), Ok(reference(num, scale) as u32), "{}", text);
            // The same value with an exponent.
            let exp = format!("{num}e-{scale}");
            prop_assert_eq!(parse_ppm(&exp), Ok(reference(num, scale) as u32), "{}", exp);
        }

        #[test]
        fn short_decimals_match_f64(v in 0u32..=1_000_000u32) {
            let text = format!("{}", f64::from(v) / 1e6);
            prop_assert_eq!(parse_ppm(&text), Ok(v), "{}", text);
        }
    }
}
