//! Batch detection: which workloads look like scheduled, non-interactive work that the Batch API
//! would take at half price, with a confidence grade and the evidence (docs/batch.md). Reported
//! with every replay, whether or not a scenario moves anything.

use std::collections::BTreeMap;
use std::ops::AddAssign;

use tokensim_corpus::Day;
use tokensim_pricing::PicoUsd;

/// What batch detection needs to know about one workload's calls.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchStats {
    /// Calls.
    pub calls: u64,
    /// Of which streamed (`stream: true`).
    pub streaming: u64,
    /// Labelled `latency_class: "interactive"`.
    pub interactive: u64,
    /// Labelled `latency_class: "async"`.
    pub async_labelled: u64,
    /// Already through the Batch API.
    pub already_batch: u64,
    /// Real time and not in fast mode: the calls batch could take.
    pub movable: u64,
    /// Their recorded cost.
    pub movable_cost: PicoUsd,
    /// What they would cost through the Batch API.
    pub movable_batch_cost: PicoUsd,
    /// Calls per UTC day and hour of the day.
    pub hours: BTreeMap<Day, [u32; 24]>,
}

impl AddAssign<&BatchStats> for BatchStats {
    fn add_assign(&mut self, o: &BatchStats) {
        self.calls += o.calls;
        self.streaming += o.streaming;
        self.interactive += o.interactive;
        self.async_labelled += o.async_labelled;
        self.already_batch += o.already_batch;
        self.movable += o.movable;
        self.movable_cost += o.movable_cost;
        self.movable_batch_cost += o.movable_batch_cost;
        for (d, h) in &o.hours {
            let e = self.hours.entry(*d).or_insert([0; 24]);
            for (a, b) in e.iter_mut().zip(h) {
                *a += b;
            }
        }
    }
}

/// The window of [`WINDOW_HOURS`] consecutive UTC hours (wrapping at midnight) that holds most
/// calls: its first hour and its share of the calls.
pub const WINDOW_HOURS: usize = 2;
/// Scheduled: at least this share of the calls in the window...
pub const SCHEDULED_SHARE: f64 = 0.8;
/// ...on at least this share of the days with calls...
pub const SCHEDULED_DAYS: f64 = 0.8;
/// ...over at least this many days, with at least this many calls.
pub const MIN_DAYS: usize = 3;
/// See [`MIN_DAYS`].
pub const MIN_CALLS: u64 = 20;
/// A `high` grade needs this many days of evidence.
pub const HIGH_DAYS: usize = 7;

/// The detection's verdict on one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// `high`, `medium`, `low` or `already` (every call is on the Batch API).
    pub grade: &'static str,
    /// First hour of the busiest window.
    pub window_start: usize,
    /// Share of the calls in it.
    pub concentration: f64,
    /// Days with calls.
    pub days_active: usize,
    /// Days with a call in the window.
    pub days_in_window: usize,
    /// Whether the arrivals look scheduled.
    pub scheduled: bool,
    /// In words.
    pub evidence: String,
}

/// Grades a workload, or `None` when batch would not suit it (some calls stream or are labelled
/// interactive: somebody waits), or nothing suggests it could wait (neither scheduled nor
/// labelled async).
pub fn detect(s: &BatchStats) -> Option<Detection> {
    if s.calls == 0 || s.streaming > 0 || s.interactive > 0 {
        return None;
    }
    let mut by_hour = [0u64; 24];
    for h in s.hours.values() {
        for (a, b) in by_hour.iter_mut().zip(h) {
            *a += u64::from(*b);
        }
    }
    let in_window = |start: usize, h: usize| (h + 24 - start) % 24 < WINDOW_HOURS;
    let (window_start, count) = (0..24)
        .map(|start| {
            let n: u64 = (0..24)
                .filter(|&h| in_window(start, h))
                .map(|h| by_hour[h])
                .sum();
            (start, n)
        })
        // The busiest window; on a tie, the one whose first hour has most calls (a job that
        // runs 02:00-03:00 reads 02:00-04:00, not 01:00-03:00), then the earliest.
        .max_by(|a, b| {
            a.1.cmp(&b.1)
                .then(by_hour[a.0].cmp(&by_hour[b.0]))
                .then(b.0.cmp(&a.0))
        })
        .expect("24 windows");
    let concentration = count as f64 / s.calls as f64;
    let days_active = s
        .hours
        .values()
        .filter(|h| h.iter().any(|&n| n > 0))
        .count();
    let days_in_window = s
        .hours
        .values()
        .filter(|h| (0..24).any(|i| in_window(window_start, i) && h[i] > 0))
        .count();
    let scheduled = s.calls >= MIN_CALLS
        && days_active >= MIN_DAYS
        && concentration >= SCHEDULED_SHARE
        && days_in_window as f64 >= SCHEDULED_DAYS * days_active as f64;
    let all_async = s.async_labelled == s.calls;
    let grade = if s.movable == 0 {
        "already"
    } else if scheduled && all_async && days_active >= HIGH_DAYS {
        "high"
    } else if scheduled {
        "medium"
    } else if all_async {
        "low"
    } else {
        return None;
    };
    let evidence = format!(
        "{:.0}% of calls {:02}:00-{:02}:00 UTC, on {} of {} days; 0 streaming, 0 interactive, {} of {} labelled async{}",
        concentration * 100.0,
        window_start,
        (window_start + WINDOW_HOURS) % 24,
        days_in_window,
        days_active,
        s.async_labelled,
        s.calls,
        if s.already_batch > 0 {
            format!("; {} already on the Batch API", s.already_batch)
        } else {
            String::new()
        }
    );
    Some(Detection {
        grade,
        window_start,
        concentration,
        days_active,
        days_in_window,
        scheduled,
        evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workload with `per_day` calls at `hour` on each of `days` days.
    fn stats(days: i32, hours: &[(usize, u32)], f: impl Fn(&mut BatchStats)) -> BatchStats {
        let mut s = BatchStats::default();
        for d in 0..days {
            let mut h = [0u32; 24];
            for &(hour, n) in hours {
                h[hour] += n;
                s.calls += u64::from(n);
            }
            s.hours.insert(Day(20_000 + d), h);
        }
        s.movable = s.calls;
        s.async_labelled = s.calls;
        f(&mut s);
        s
    }

    #[test]
    fn a_nightly_async_job_is_high() {
        let d = detect(&stats(30, &[(2, 100)], |_| {})).unwrap();
        assert_eq!(d.grade, "high");
        assert_eq!(d.window_start, 2, "02:00-04:00, not 01:00-03:00");
        assert_eq!((d.days_active, d.days_in_window), (30, 30));
        assert!(d.scheduled && d.concentration == 1.0);
        assert!(
            d.evidence
                .starts_with("100% of calls 02:00-04:00 UTC, on 30 of 30 days"),
            "{}",
            d.evidence
        );
    }

    #[test]
    fn a_window_across_midnight_counts() {
        let d = detect(&stats(10, &[(23, 50), (0, 50)], |_| {})).unwrap();
        assert_eq!((d.grade, d.window_start), ("high", 23));
        assert!(d.evidence.contains("23:00-01:00"), "{}", d.evidence);
    }

    #[test]
    fn chat_and_streaming_are_never_candidates() {
        assert!(detect(&stats(30, &[(2, 100)], |s| s.interactive = 1)).is_none());
        assert!(detect(&stats(30, &[(2, 100)], |s| s.streaming = 1)).is_none());
    }

    #[test]
    fn grades_follow_the_evidence() {
        // Scheduled but not every call labelled async: medium.
        let d = detect(&stats(30, &[(2, 100)], |s| s.async_labelled -= 1)).unwrap();
        assert_eq!(d.grade, "medium");
        // Scheduled and async, but fewer than 7 days of evidence: medium.
        assert_eq!(
            detect(&stats(5, &[(2, 100)], |_| {})).unwrap().grade,
            "medium"
        );
        // Fewer than 3 days: not scheduled; async labels alone give low.
        let d = detect(&stats(2, &[(2, 100)], |_| {})).unwrap();
        assert_eq!((d.grade, d.scheduled), ("low", false));
        // Spread over the day: async but not scheduled, low; without the label, nothing.
        let spread: Vec<(usize, u32)> = (0..24).map(|h| (h, 10)).collect();
        assert_eq!(detect(&stats(30, &spread, |_| {})).unwrap().grade, "low");
        assert!(detect(&stats(30, &spread, |s| s.async_labelled = 0)).is_none());
        // 80% in the window on 80% of the days is the boundary.
        let d = detect(&stats(30, &[(2, 80), (12, 20)], |_| {})).unwrap();
        assert_eq!(d.grade, "high");
        let d = detect(&stats(30, &[(2, 79), (12, 21)], |_| {})).unwrap();
        assert_eq!(d.grade, "low");
        // Everything already on the Batch API.
        let d = detect(&stats(30, &[(1, 10)], |s| {
            s.already_batch = s.calls;
            s.movable = 0;
        }))
        .unwrap();
        assert_eq!(d.grade, "already");
        assert!(
            d.evidence.ends_with("300 already on the Batch API"),
            "{}",
            d.evidence
        );
    }

    #[test]
    fn stats_merge_by_adding() {
        let a = stats(3, &[(2, 10)], |_| {});
        let b = stats(5, &[(4, 7)], |_| {});
        let mut m = a.clone();
        m += &b;
        assert_eq!(m.calls, a.calls + b.calls);
        assert_eq!(m.hours[&Day(20_000)][2], 10);
        assert_eq!(m.hours[&Day(20_000)][4], 7);
        assert_eq!(m.hours[&Day(20_004)][2], 0);
    }
}
