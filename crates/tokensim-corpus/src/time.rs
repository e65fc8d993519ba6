//! Timestamps: RFC 3339 parsing into an exact UTC instant, and civil-date arithmetic.
//!
//! Written by hand rather than pulled from a date crate because the corpus hot path parses one
//! timestamp per record, and the format is narrow: `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)`.

use std::fmt;

/// An instant, as nanoseconds since 1970-01-01T00:00:00Z. Covers the years 1678 to 2261.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

/// A UTC calendar day, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Day(pub i32);

const NANOS_PER_SEC: i64 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;

impl Timestamp {
    /// Parses an RFC 3339 timestamp with a required offset (`Z`, `z` or `±HH:MM`) and an optional
    /// fraction of up to nine digits. Lowercase `t` and a space separator are accepted, as RFC 3339
    /// allows.
    pub fn parse_rfc3339(s: &str) -> Result<Timestamp, String> {
        let b = s.as_bytes();
        let err = |what: &str| Err(format!("{what} in RFC 3339 timestamp {s:?}"));
        if b.len() < 19 {
            return err("too short (expected YYYY-MM-DDTHH:MM:SS with an offset)");
        }
        let num = |range: std::ops::Range<usize>| -> Option<i64> {
            let mut v = 0i64;
            for &c in &b[range] {
                if !c.is_ascii_digit() {
                    return None;
                }
                v = v * 10 + i64::from(c - b'0');
            }
            Some(v)
        };
        let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
            return err("bad date digits");
        };
        if b[4] != b'-' || b[7] != b'-' {
            return err("bad date separators");
        }
        if !matches!(b[10], b'T' | b't' | b' ') {
            return err("missing 'T' between date and time");
        }
        let (Some(hour), Some(minute), Some(second)) = (num(11..13), num(14..16), num(17..19))
        else {
            return err("bad time digits");
        };
        if b[13] != b':' || b[16] != b':' {
            return err("bad time separators");
        }
        if !(1..=12).contains(&month) {
            return err("month out of range");
        }
        if day < 1 || day > i64::from(days_in_month(year as i32, month as u32)) {
            return err("day out of range");
        }
        // A leap second (60) is folded into the next second's start, as most systems do.
        if hour > 23 || minute > 59 || second > 60 {
            return err("time out of range");
        }
        let mut i = 19;
        let mut nanos = 0i64;
        if matches!(b.get(i), Some(b'.' | b',')) {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start >= 9 {
                    return err("more than nine fraction digits");
                }
                nanos = nanos * 10 + i64::from(b[i] - b'0');
                i += 1;
            }
            if i == start {
                return err("empty fraction");
            }
            for _ in (i - start)..9 {
                nanos *= 10;
            }
        }
        let offset_secs = match b.get(i) {
            Some(b'Z' | b'z') if i + 1 == b.len() => 0,
            Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
                let (Some(oh), Some(om)) = (num(i + 1..i + 3), num(i + 4..i + 6)) else {
                    return err("bad offset digits");
                };
                if oh > 23 || om > 59 {
                    return err("offset out of range");
                }
                let v = oh * 3600 + om * 60;
                if sign == b'+' {
                    v
                } else {
                    -v
                }
            }
            None => return err("missing offset (add Z or ±HH:MM)"),
            _ => return err("bad offset (expected Z or ±HH:MM at the end)"),
        };
        let days = days_from_civil(year as i32, month as u32, day as u32);
        let secs =
            i64::from(days) * SECS_PER_DAY + hour * 3600 + minute * 60 + second - offset_secs;
        // In 128 bits, so that the range's first second, whose whole seconds alone are below
        // i64::MIN nanoseconds, is reached through its fraction.
        let ns = i128::from(secs) * i128::from(NANOS_PER_SEC) + i128::from(nanos);
        i64::try_from(ns).map(Timestamp).map_err(|_| {
            format!(
                "timestamp {s:?} is out of the supported range, 1677-09-21T00:12:43.145224192Z \
                     to 2262-04-11T23:47:16.854775807Z (nanoseconds since 1970 in 64 bits)"
            )
        })
    }

    /// The UTC day this instant falls on.
    pub fn day(self) -> Day {
        Day(self.0.div_euclid(NANOS_PER_SEC * SECS_PER_DAY) as i32)
    }

    /// The instant at 00:00:00 UTC of `day`.
    pub fn start_of(day: Day) -> Timestamp {
        Timestamp(i64::from(day.0) * SECS_PER_DAY * NANOS_PER_SEC)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with milliseconds when they are not zero, nanoseconds when needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(NANOS_PER_SEC);
        let nanos = self.0.rem_euclid(NANOS_PER_SEC);
        let day = Day(secs.div_euclid(SECS_PER_DAY) as i32);
        let sod = secs.rem_euclid(SECS_PER_DAY);
        write!(
            f,
            "{}T{:02}:{:02}:{:02}",
            day,
            sod / 3600,
            sod / 60 % 60,
            sod % 60
        )?;
        if nanos % 1_000_000 == 0 {
            if nanos != 0 {
                write!(f, ".{:03}", nanos / 1_000_000)?;
            }
        } else {
            write!(f, ".{nanos:09}")?;
        }
        f.write_str("Z")
    }
}

impl Day {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Day, String> {
        let t = Timestamp::parse_rfc3339(&format!("{s}T00:00:00Z"))
            .map_err(|_| format!("{s:?} is not a date of the form YYYY-MM-DD"))?;
        if s.len() != 10 {
            return Err(format!("{s:?} is not a date of the form YYYY-MM-DD"));
        }
        Ok(t.day())
    }

    /// The civil (year, month, day) of this day.
    pub fn civil(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.civil();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400) as u32;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

/// The inverse of [`days_from_civil`].
pub fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        Timestamp::parse_rfc3339(s).unwrap().0
    }

    #[test]
    fn parses_offsets_and_fractions_to_the_same_instant() {
        let z = ts("2026-10-07T00:00:00Z");
        assert_eq!(z, 1_791_331_200 * NANOS_PER_SEC);
        assert_eq!(ts("2026-10-07T02:00:00+02:00"), z);
        assert_eq!(ts("2026-10-06T19:30:00-04:30"), z);
        assert_eq!(ts("2026-10-07t00:00:00z"), z);
        assert_eq!(ts("2026-10-07T00:00:00.5Z"), z + 500_000_000);
        assert_eq!(ts("2026-10-07T00:00:00.000000001Z"), z + 1);
        assert_eq!(ts("1969-12-31T23:59:59.999999999Z"), -1);
    }

    #[test]
    fn rejects_what_rfc3339_does_not_allow() {
        for bad in [
            "2026-10-07T00:00:00",
            "2026-10-07",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-10-07T24:00:00Z",
            "2026-10-07T00:00:00.Z",
            "2026-10-07T00:00:00.1234567891Z",
            "2026-10-07T00:00:00+0200",
            "2026-10-07T00:00:00Zjunk",
            "1776-07-04T00:00:00Z junk",
        ] {
            assert!(Timestamp::parse_rfc3339(bad).is_err(), "{bad}");
        }
        assert!(Timestamp::parse_rfc3339("2024-02-29T00:00:00Z").is_ok());
    }

    #[test]
    fn days_round_trip_and_display() {
        for z in [-800_000, -1, 0, 1, 19_000, 20_733, 100_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        let t = Timestamp::parse_rfc3339("2026-10-06T23:59:59.999+00:00").unwrap();
        assert_eq!(t.day().to_string(), "2026-10-06");
        assert_eq!(t.to_string(), "2026-10-06T23:59:59.999Z");
        assert_eq!(
            Day::parse("2026-10-07").unwrap(),
            Timestamp(ts("2026-10-07T00:00:00Z")).day()
        );
        assert!(Day::parse("2026-10-7").is_err());
    }
}
