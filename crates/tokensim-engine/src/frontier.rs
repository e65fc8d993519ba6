//! `tokensim frontier`: the cost-quality curve of threshold routing. One replay evaluates the
//! threshold policy at every step of a sweep; each point is a scenario of that run, so its cost
//! and risk are exactly what `replay` reports for the same threshold.

use tokensim_pricing::ModelId;
use tokensim_report::{FrontierPoint, FrontierReport, Report, Usd};
use tokensim_strategy::scenario::{RouteLever, RoutePolicy, Scenario};

/// The scenarios of a sweep: thresholds 0, 1/steps, ..., 1, each routing to `to` every call
/// whose difficulty is below the threshold.
pub fn frontier_scenarios(to: ModelId, steps: u32) -> Vec<Scenario> {
    thresholds(steps)
        .map(|ppm| Scenario {
            name: format!("threshold-{:.4}", f64::from(ppm) / 1e6),
            description: format!(
                "calls with difficulty below {:.4} to the target",
                f64::from(ppm) / 1e6
            ),
            file: "(frontier sweep)".into(),
            route: Some(RouteLever {
                policy: RoutePolicy::Threshold {
                    to,
                    threshold_ppm: ppm,
                },
                risk_target_ppm: tokensim_strategy::scenario::DEFAULT_RISK_TARGET_PPM,
                ..RouteLever::default()
            }),
            caps: None,
            batch: None,
            cache: None,
        })
        .collect()
}

/// The sweep's thresholds in parts per million: 0, 1/steps, ..., 1.
fn thresholds(steps: u32) -> impl Iterator<Item = u32> {
    (0..=steps).map(move |i| (u64::from(i) * 1_000_000 / u64::from(steps)) as u32)
}

/// The curve from the report of a sweep's replay (the scenarios of [`frontier_scenarios`] with
/// the same `steps`): per threshold, the cost against the recorded cost and the share of answers
/// expected to be as good as the original (1 - expected degraded / calls), with the cheapest
/// points that keep 90% and 95% of the quality.
pub fn frontier(report: &Report, to: &str, steps: u32) -> FrontierReport {
    let recorded = report.totals.recorded.total;
    let calls = report.totals.requests;
    let points: Vec<FrontierPoint> = report
        .scenarios
        .iter()
        .zip(thresholds(steps))
        .map(|(s, ppm)| {
            // A fold from +0.0: an empty float sum is -0.0.
            let degraded = s
                .quality
                .iter()
                .fold(0.0, |acc, q| acc + q.expected_degraded.mean);
            let cost = s.totals.cost.total;
            FrontierPoint {
                threshold: f64::from(ppm) / 1e6,
                routed: s.totals.decisions.routed,
                cost,
                saving: Usd(recorded.0 - cost.0),
                cost_share: share(cost, recorded),
                expected_degraded: degraded,
                quality_retained: if calls == 0 {
                    1.0
                } else {
                    1.0 - degraded / calls as f64
                },
            }
        })
        .collect();
    let cheapest_at = |target: f64| {
        points
            .iter()
            .filter(|p| p.quality_retained >= target)
            .min_by(|a, b| {
                a.cost
                    .0
                    .cmp(&b.cost.0)
                    .then(a.threshold.total_cmp(&b.threshold))
            })
            .cloned()
    };
    FrontierReport {
        schema: tokensim_report::FRONTIER_SCHEMA.into(),
        to: to.into(),
        calls,
        recorded,
        at_90: cheapest_at(0.90),
        at_95: cheapest_at(0.95),
        points,
    }
}

fn share(part: Usd, whole: Usd) -> f64 {
    if whole.0 .0 == 0 {
        0.0
    } else {
        part.0 .0 as f64 / whole.0 .0 as f64
    }
}
