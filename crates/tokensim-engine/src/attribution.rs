//! Lever attribution (DESIGN 8; docs/attribution.md): for a scenario with several levers, the
//! engine also evaluates every subset of its levers in the same pass, and the report splits the
//! saving between the levers twice: as a waterfall in pipeline order, and as Shapley values
//! (each lever's marginal saving averaged over every order of adding the levers), both adding
//! up exactly to the scenario's saving.

use std::collections::BTreeMap;

use tokensim_pricing::PicoUsd;
use tokensim_report::{
    Attribution, LeverShare, RowKey, ScenarioReport, SubsetCost, Usd, WorkloadAttribution,
};
use tokensim_strategy::scenario::Scenario;

/// The scenario with only the levers whose bit is set in `mask` (bit i = the i-th lever of
/// [`Scenario::lever_ids`]).
fn subset(s: &Scenario, mask: u32) -> Scenario {
    let ids = s.lever_ids();
    let keep = |id: &str| {
        ids.iter()
            .position(|x| *x == id)
            .is_some_and(|i| mask & (1 << i) != 0)
    };
    Scenario {
        name: format!("{} [{}]", s.name, mask_label(&ids, mask)),
        description: String::new(),
        file: s.file.clone(),
        route: s.route.clone().filter(|_| keep("route")),
        caps: s.caps.clone().filter(|_| keep("caps")),
        batch: s.batch.clone().filter(|_| keep("batch")),
        cache: s.cache.clone().filter(|_| keep("cache")),
    }
}

fn mask_label(ids: &[&str], mask: u32) -> String {
    let v: Vec<&str> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, id)| *id)
        .collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join("+")
    }
}

/// The scenarios a run evaluates: the given ones first, then, for each with two levers or more,
/// every proper non-empty subset of its levers (the empty subset is the recorded cost, the full
/// one the scenario itself).
#[derive(Debug, Clone)]
pub struct Expanded {
    /// Every scenario to evaluate, the given ones first.
    pub scenarios: Vec<Scenario>,
    /// How many were given.
    pub visible: usize,
    /// Per given scenario: the index in `scenarios` of each lever subset, by mask (`None` for
    /// the empty subset); empty when the scenario has fewer than two levers.
    pub subsets: Vec<Vec<Option<usize>>>,
}

/// Adds the lever subsets that attribution needs.
pub fn expand(given: &[Scenario]) -> Expanded {
    let mut scenarios = given.to_vec();
    let mut subsets = Vec::with_capacity(given.len());
    for (i, s) in given.iter().enumerate() {
        let k = s.lever_ids().len();
        if k < 2 {
            subsets.push(Vec::new());
            continue;
        }
        let full = (1u32 << k) - 1;
        let mut v = vec![None; 1 << k];
        for mask in 1..full {
            v[mask as usize] = Some(scenarios.len());
            scenarios.push(subset(s, mask));
        }
        v[full as usize] = Some(i);
        subsets.push(v);
    }
    Expanded {
        scenarios,
        visible: given.len(),
        subsets,
    }
}

fn factorial(n: usize) -> i128 {
    (1..=n as i128).product()
}

/// Shapley values of `k` levers from the saving of every subset (indexed by mask), rounded to
/// the pico-dollar so that they add up exactly to the saving of the full set: each value is
/// computed exactly times k!, floored, and the remaining picos go to the largest remainders
/// (ties to the earlier lever).
pub fn shapley(k: usize, saving: &[i128]) -> Vec<i128> {
    let kf = factorial(k);
    let scaled: Vec<i128> = (0..k)
        .map(|j| {
            (0..1u32 << k)
                .filter(|m| m & (1 << j) == 0)
                .map(|m| {
                    let s = m.count_ones() as usize;
                    factorial(s)
                        * factorial(k - s - 1)
                        * (saving[(m | 1 << j) as usize] - saving[m as usize])
                })
                .sum()
        })
        .collect();
    let mut out: Vec<i128> = scaled.iter().map(|v| v.div_euclid(kf)).collect();
    let total = saving[(1usize << k) - 1] - saving[0];
    let missing = total - out.iter().sum::<i128>();
    debug_assert!((0..k as i128).contains(&missing), "{missing}");
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        scaled[b]
            .rem_euclid(kf)
            .cmp(&scaled[a].rem_euclid(kf))
            .then(a.cmp(&b))
    });
    for &j in order.iter().take(missing as usize) {
        out[j] += 1;
    }
    out
}

/// The waterfall: the saving each lever adds when they are added in pipeline order.
pub fn waterfall(k: usize, saving: &[i128]) -> Vec<i128> {
    (0..k)
        .map(|j| {
            let before = (1usize << j) - 1;
            let after = (1usize << (j + 1)) - 1;
            saving[after] - saving[before]
        })
        .collect()
}

fn shares(ids: &[&str], values: &[i128]) -> Vec<LeverShare> {
    ids.iter()
        .zip(values)
        .map(|(id, v)| LeverShare {
            lever: id.to_string(),
            saving: Usd(PicoUsd(*v)),
        })
        .collect()
}

/// Fills each given scenario's attribution from the reports of its subsets, and drops the
/// subsets' reports. `recorded` is the recorded cost, in total and per workload.
pub fn attribute(
    reports: &mut Vec<ScenarioReport>,
    given: &[Scenario],
    expanded: &Expanded,
    recorded: PicoUsd,
    recorded_by_workload: &BTreeMap<RowKey, PicoUsd>,
) {
    for (i, s) in given.iter().enumerate() {
        let subsets = &expanded.subsets[i];
        if subsets.is_empty() {
            continue;
        }
        let ids = s.lever_ids();
        let k = ids.len();
        let cost = |m: usize| -> PicoUsd {
            match subsets[m] {
                None => recorded,
                Some(x) => reports[x].totals.cost.total.0,
            }
        };
        let saving: Vec<i128> = (0..1usize << k).map(|m| (recorded - cost(m)).0).collect();
        let mut by_workload = Vec::new();
        for (key, rec) in recorded_by_workload {
            let wcost = |m: usize| -> PicoUsd {
                match subsets[m] {
                    None => *rec,
                    Some(x) => reports[x]
                        .by_workload
                        .iter()
                        .find(|r| &r.key == key)
                        .map_or(PicoUsd(0), |r| r.cost.total.0),
                }
            };
            let ws: Vec<i128> = (0..1usize << k).map(|m| (*rec - wcost(m)).0).collect();
            by_workload.push(WorkloadAttribution {
                key: key.clone(),
                total_saving: Usd(PicoUsd(ws[(1 << k) - 1])),
                waterfall: shares(&ids, &waterfall(k, &ws)),
                shapley: shares(&ids, &shapley(k, &ws)),
            });
        }
        by_workload.sort_by(|a, b| {
            b.total_saving
                .cmp(&a.total_saving)
                .then_with(|| a.key.cmp(&b.key))
        });
        reports[i].attribution = Some(Attribution {
            levers: ids.iter().map(|x| x.to_string()).collect(),
            total_saving: Usd(PicoUsd(saving[(1 << k) - 1])),
            waterfall: shares(&ids, &waterfall(k, &saving)),
            shapley: shares(&ids, &shapley(k, &saving)),
            subsets: (0..1usize << k)
                .map(|m| SubsetCost {
                    levers: ids
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| m & (1 << j) != 0)
                        .map(|(_, id)| id.to_string())
                        .collect(),
                    cost: Usd(cost(m)),
                })
                .collect(),
            by_workload,
        });
    }
    reports.truncate(expanded.visible);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapley_of_independent_levers_is_their_own_saving() {
        // Two additive levers: 30 and 12; together 42.
        let v = [0, 30, 12, 42];
        assert_eq!(shapley(2, &v), vec![30, 12]);
        assert_eq!(waterfall(2, &v), vec![30, 12]);
    }

    #[test]
    fn interacting_levers_split_the_interaction_evenly() {
        // Route saves 60 alone, cache 40 alone, together 80: the overlap of 20 is shared.
        let v = [0, 60, 40, 80];
        assert_eq!(shapley(2, &v), vec![50, 30]);
        // The waterfall gives the first lever all of its own saving.
        assert_eq!(waterfall(2, &v), vec![60, 20]);
    }

    #[test]
    fn shapley_adds_up_exactly_with_remainders() {
        // Three levers with values that do not divide by 3! = 6.
        let v = [0, 7, 5, 13, 3, 11, 9, 17];
        let s = shapley(3, &v);
        assert_eq!(s.iter().sum::<i128>(), 17);
        // Exact values: lever 0: (7 + (13-5) + (11-3) + (17-9)) weighted 2,1,1,2 over 6.
        // = (2*7 + 1*8 + 1*8 + 2*8)/6 = 46/6 = 7.67; lever 1: (2*5 + 6 + 6 + 2*6)/6 = 34/6 = 5.67;
        // lever 2: (2*3 + 4 + 4 + 2*4)/6 = 22/6 = 3.67: floors 7, 5, 3 and two picos to the
        // largest remainders (all 4/6; ties go to the earlier levers).
        assert_eq!(s, vec![8, 6, 3]);
        // Negative savings work the same way.
        let neg: Vec<i128> = v.iter().map(|x| -x).collect();
        assert_eq!(shapley(3, &neg).iter().sum::<i128>(), -17);
    }

    #[test]
    fn a_single_lever_gets_everything() {
        assert_eq!(shapley(1, &[0, 99]), vec![99]);
        assert_eq!(waterfall(1, &[0, 99]), vec![99]);
    }
}
