//! Civil-date arithmetic and RFC 3339 formatting, without a date crate.
//!
//! Times are whole milliseconds since the Unix epoch (UTC). The generator keeps every instant at
//! millisecond resolution because that is what it writes: a replay that parses the written `ts`
//! must see exactly the instant the generator fed to its own cache simulation.

/// Milliseconds in one day.
pub(crate) const DAY_MS: i64 = 86_400_000;
/// Milliseconds in one hour.
pub(crate) const HOUR_MS: i64 = 3_600_000;
/// Milliseconds in one minute.
pub(crate) const MINUTE_MS: i64 = 60_000;
/// Milliseconds in one second.
pub(crate) const SECOND_MS: i64 = 1_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Whether `(y, m, d)` names a real Gregorian date.
pub(crate) fn is_valid_date(y: i32, m: u32, d: u32) -> bool {
    if !(1..=12).contains(&m) || d == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let len = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= len
}

/// Day of the week of a day number: 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday).
pub(crate) fn weekday(days: i64) -> u32 {
    (days + 3).rem_euclid(7) as u32
}

/// Appends `ts_ms` as RFC 3339 UTC with milliseconds, e.g. `2026-10-01T09:15:04.120Z`.
pub(crate) fn write_rfc3339_ms(buf: &mut Vec<u8>, ts_ms: i64) {
    let days = ts_ms.div_euclid(DAY_MS);
    let ms_of_day = ts_ms.rem_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(days);
    // Years outside 0..=9999 cannot be written in RFC 3339; the generator never gets near them.
    assert!((0..=9999).contains(&y), "year {y} outside RFC 3339");
    let h = ms_of_day / HOUR_MS;
    let mi = ms_of_day % HOUR_MS / MINUTE_MS;
    let s = ms_of_day % MINUTE_MS / SECOND_MS;
    let ms = ms_of_day % SECOND_MS;
    push_digits(buf, y as u64, 4);
    buf.push(b'-');
    push_digits(buf, u64::from(m), 2);
    buf.push(b'-');
    push_digits(buf, u64::from(d), 2);
    buf.push(b'T');
    push_digits(buf, h as u64, 2);
    buf.push(b':');
    push_digits(buf, mi as u64, 2);
    buf.push(b':');
    push_digits(buf, s as u64, 2);
    buf.push(b'.');
    push_digits(buf, ms as u64, 3);
    buf.push(b'Z');
}

/// Appends `v` zero-padded to exactly `width` decimal digits (`v` must fit).
fn push_digits(buf: &mut Vec<u8>, v: u64, width: u32) {
    let mut div = 10u64.pow(width - 1);
    assert!(v < div * 10);
    while div > 0 {
        buf.push(b'0' + (v / div % 10) as u8);
        div /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(ts_ms: i64) -> String {
        let mut b = Vec::new();
        write_rfc3339_ms(&mut b, ts_ms);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 10, 1), 20_727);
        assert_eq!(civil_from_days(20_727), (2026, 10, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        // 2026-10-01 is a Thursday, 2026-10-03 a Saturday.
        assert_eq!(weekday(20_727), 3);
        assert_eq!(weekday(20_729), 5);
    }

    #[test]
    fn round_trip_over_centuries() {
        for z in (-800_000..800_000).step_by(37) {
            let (y, m, d) = civil_from_days(z);
            assert!(is_valid_date(y as i32, m, d));
            assert_eq!(days_from_civil(y as i32, m, d), z);
        }
    }

    #[test]
    fn validity() {
        assert!(is_valid_date(2024, 2, 29));
        assert!(!is_valid_date(2026, 2, 29));
        assert!(!is_valid_date(1900, 2, 29));
        assert!(is_valid_date(2000, 2, 29));
        assert!(!is_valid_date(2026, 13, 1));
        assert!(!is_valid_date(2026, 4, 31));
        assert!(!is_valid_date(2026, 4, 0));
    }

    #[test]
    fn formatting() {
        let base = days_from_civil(2026, 10, 1) * DAY_MS;
        assert_eq!(fmt(base), "2026-10-01T00:00:00.000Z");
        assert_eq!(
            fmt(base + 9 * HOUR_MS + 15 * MINUTE_MS + 4 * SECOND_MS + 120),
            "2026-10-01T09:15:04.120Z"
        );
        assert_eq!(fmt(base + DAY_MS - 1), "2026-10-01T23:59:59.999Z");
        assert_eq!(fmt(0), "1970-01-01T00:00:00.000Z");
    }
}
