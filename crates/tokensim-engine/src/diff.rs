//! `tokensim diff`: one side against another, per workload (docs/diff.md).

use std::collections::BTreeMap;

use tokensim_report::{
    DiffReport, DiffRow, DiffSide, PrefixChange, PrefixReport, Report, RowKey, Usd, DIFF_SCHEMA,
};

/// One side of a diff: a report's recorded cost, or one of its scenarios.
#[derive(Debug, Clone, Copy)]
pub enum Side<'a> {
    /// The recorded traffic as it ran.
    Recorded(&'a Report),
    /// The scenario at this index of the report.
    Scenario(&'a Report, usize),
}

fn sides(side: Side<'_>) -> (DiffSide, BTreeMap<RowKey, DiffSide>) {
    match side {
        Side::Recorded(r) => {
            let one = |row: &tokensim_report::Row| DiffSide {
                requests: row.requests,
                cost: row.recorded.total,
                cache_read: row.tokens.cache_read,
                cache_write: row.tokens.cache_write_5m + row.tokens.cache_write_1h,
                ..DiffSide::default()
            };
            (
                one(&r.totals),
                r.by_workload
                    .iter()
                    .map(|w| (w.key.clone(), one(w)))
                    .collect(),
            )
        }
        Side::Scenario(r, i) => {
            let s = &r.scenarios[i];
            let degraded = |key: Option<&RowKey>| {
                s.quality
                    .iter()
                    .filter(|q| key.is_none_or(|k| &q.key == k))
                    .fold(0.0, |acc, q| acc + q.expected_degraded.mean)
            };
            let one = |row: &tokensim_report::ScenarioRow, key: Option<&RowKey>| DiffSide {
                requests: row.requests,
                cost: row.cost.total,
                cache_read: row.tokens.cache_read,
                cache_write: row.tokens.cache_write_5m + row.tokens.cache_write_1h,
                expected_degraded: degraded(key),
                truncated: row.decisions.truncated,
                moved_interactive: row.decisions.moved_interactive,
            };
            (
                one(&s.totals, None),
                s.by_workload
                    .iter()
                    .map(|w| (w.key.clone(), one(w, Some(&w.key))))
                    .collect(),
            )
        }
    }
}

/// Compares two sides. A workload present on one side only counts as zero on the other.
/// `fail_above` (percent): the diff fails when the total cost rises by more than that share of
/// the before cost.
pub fn diff(
    before: Side<'_>,
    after: Side<'_>,
    labels: (&str, &str),
    fail_above: Option<f64>,
    prefix_changes: Vec<PrefixChange>,
) -> DiffReport {
    let (bt, bw) = sides(before);
    let (at, aw) = sides(after);
    let row = |key: RowKey, b: DiffSide, a: DiffSide| DiffRow {
        delta: Usd(a.cost.0 - b.cost.0),
        key,
        before: b,
        after: a,
    };
    let keys: std::collections::BTreeSet<&RowKey> = bw.keys().chain(aw.keys()).collect();
    let mut by_workload: Vec<DiffRow> = keys
        .into_iter()
        .map(|k| {
            row(
                k.clone(),
                bw.get(k).cloned().unwrap_or_default(),
                aw.get(k).cloned().unwrap_or_default(),
            )
        })
        .collect();
    by_workload.sort_by(|x, y| y.delta.cmp(&x.delta).then_with(|| x.key.cmp(&y.key)));
    let totals = row(RowKey::default(), bt, at);
    let failed = fail_above.is_some_and(|limit| {
        let (d, b) = (totals.delta.0 .0, totals.before.cost.0 .0);
        // delta / before > limit / 100, without dividing: exact for integer money.
        if b <= 0 {
            d > 0
        } else {
            d as f64 * 100.0 > limit * b as f64
        }
    });
    DiffReport {
        schema: DIFF_SCHEMA.into(),
        before: labels.0.into(),
        after: labels.1.into(),
        totals,
        by_workload,
        prefix_changes,
        fail_above_percent: fail_above,
        failed,
    }
}

/// Prefixes (by workload, scope and roles) that recur in one corpus and not the other, or
/// whose size or cached state differs.
pub fn prefix_changes(before: &PrefixReport, after: &PrefixReport) -> Vec<PrefixChange> {
    type Key = (String, String, String);
    let index = |p: &PrefixReport| -> BTreeMap<Key, (u64, bool)> {
        p.rows
            .iter()
            .map(|r| {
                (
                    (r.workload.clone(), r.scope.clone(), r.roles.clone()),
                    (r.tokens, r.cached_today),
                )
            })
            .collect()
    };
    let (b, a) = (index(before), index(after));
    let keys: std::collections::BTreeSet<&Key> = b.keys().chain(a.keys()).collect();
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| PrefixChange {
            workload: k.0.clone(),
            scope: k.1.clone(),
            roles: k.2.clone(),
            tokens_before: b.get(k).map(|x| x.0),
            tokens_after: a.get(k).map(|x| x.0),
            cached_before: b.get(k).map(|x| x.1),
            cached_after: a.get(k).map(|x| x.1),
        })
        .collect()
}
