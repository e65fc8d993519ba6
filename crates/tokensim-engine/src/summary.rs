//! Builds the [`Report`] model from a replay: prices the naive reference from its per-class
//! sums, groups rows by workload, model and day, and checks that every grouping adds up to the
//! same totals (pair assertions).

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use tokensim_pricing::{Catalog, Cost, ModelId, PicoUsd, TokenSums};
use tokensim_quality::{shadow_evals_needed, Priors, SampleSize};
use tokensim_report::{
    BatchCandidate, CacheHeadroom, CatalogSection, CorpusSection, CostBreakdown, CostPercentiles,
    DiscountSection, HeadroomRow, Interval, PriorSection, QualityRow, ReferenceSection, Report,
    RoundingSection, Row, RowKey, ScenarioReport, ScenarioRow, ToolSection, Usd, REPORT_SCHEMA,
    UNATTRIBUTED,
};
use tokensim_strategy::scenario::{CachePolicy, RoutePolicy, Scenario, DEFAULT_RISK_TARGET_PPM};

use crate::replay::ReplayOutcome;
use crate::risk::prior_for;
use crate::tally::{DecisionCounts, Key, ScenarioTally, Tally, Workload};

/// One row's sums, before conversion to the report's row.
#[derive(Default, Clone)]
struct Acc {
    requests: u64,
    batch_requests: u64,
    tokens: TokenSums,
    cost: Cost,
    reference: PicoUsd,
}

impl Acc {
    fn add(&mut self, t: &Tally, reference: PicoUsd) {
        self.requests += t.requests;
        self.batch_requests += t.batch_requests;
        self.tokens += t.tokens;
        self.cost += t.cost;
        self.reference += reference;
    }

    fn row(&self) -> Row {
        let c = &self.cost;
        let total = c.total();
        Row {
            requests: self.requests,
            batch_requests: self.batch_requests,
            tokens: self.tokens,
            recorded: CostBreakdown {
                input: Usd(c.input),
                cache_write_5m: Usd(c.cache_write_5m),
                cache_write_1h: Usd(c.cache_write_1h),
                cache_read: Usd(c.cache_read),
                output: Usd(c.output),
                web_search: Usd(c.web_search),
                total: Usd(total),
            },
            reference: Usd(self.reference),
            saving_vs_reference: Usd(self.reference - total),
            ..Row::default()
        }
    }
}

/// A workload's row key. A missing part reads "unattributed" in every rendering, JSON included.
fn workload_key(w: &Workload) -> RowKey {
    let part = |p: &Option<String>| Some(p.clone().unwrap_or_else(|| UNATTRIBUTED.to_string()));
    RowKey {
        team: part(&w.team),
        app: part(&w.app),
        feature: part(&w.feature),
        ..RowKey::default()
    }
}

/// The reference cost of one (workload, model, day) row.
fn reference_cost(catalog: &Catalog, out: &ReplayOutcome, key: &Key, t: &Tally) -> PicoUsd {
    let Some(reference) = out.reference else {
        return PicoUsd::ZERO;
    };
    t.reference
        .iter()
        .zip(&out.class_floors)
        .map(|(sums, &floor)| {
            catalog
                .price_reference(reference, key.day, floor, sums)
                .total()
        })
        .sum()
}

/// Sorts most expensive first, ties by label, so the order is total and deterministic.
fn by_cost_desc(rows: &mut [Row]) {
    rows.sort_by(|a, b| {
        b.recorded
            .total
            .cmp(&a.recorded.total)
            .then_with(|| a.key.label().cmp(&b.key.label()))
    });
}

fn percentiles(h: &Histogram<u64>) -> CostPercentiles {
    CostPercentiles {
        p50_micro_usd: h.value_at_quantile(0.5),
        p90_micro_usd: h.value_at_quantile(0.9),
        p99_micro_usd: h.value_at_quantile(0.99),
    }
}

fn merged<'a>(hs: impl Iterator<Item = &'a Histogram<u64>>) -> Histogram<u64> {
    let mut all = crate::replay::new_cost_histogram();
    for h in hs {
        all.add(h).expect("histograms share one configuration");
    }
    all
}

/// A scenario row's sums.
#[derive(Default)]
struct SAcc {
    acc: Acc,
    decisions: DecisionCounts,
    /// Batch calls and their input tokens per UTC day (for batch formation).
    batch_days: BTreeMap<tokensim_corpus::Day, (u64, u128)>,
}

/// The Message Batches API's limits per batch (DESIGN 6; docs/batch.md): requests...
pub const BATCH_MAX_REQUESTS: u64 = 100_000;
/// ...and bytes (256 MB, read as 10^6 bytes: the smaller reading, so never too few batches).
pub const BATCH_MAX_BYTES: u64 = 256_000_000;
/// A batch request's estimated size: bytes per input token...
pub const BYTES_PER_TOKEN: u64 = 4;
/// ...plus the JSON envelope of each request (custom_id, params, model, max_tokens).
pub const BYTES_PER_REQUEST: u64 = 1_000;

/// Batches needed for one day's calls: each batch holds at most [`BATCH_MAX_REQUESTS`] calls
/// and [`BATCH_MAX_BYTES`]; results come within 24 hours, so a day's calls are batched that day.
pub fn batches_for(requests: u64, input_tokens: u128) -> u64 {
    let bytes = u128::from(requests) * u128::from(BYTES_PER_REQUEST)
        + input_tokens * u128::from(BYTES_PER_TOKEN);
    // More than 2^64 batches takes more than 10^27 input tokens: no corpus comes near.
    let by_bytes = u64::try_from(bytes.div_ceil(u128::from(BATCH_MAX_BYTES))).unwrap_or(u64::MAX);
    requests.div_ceil(BATCH_MAX_REQUESTS).max(by_bytes)
}

impl SAcc {
    fn add(&mut self, t: &ScenarioTally) {
        self.acc.add(&t.tally, PicoUsd::ZERO);
        self.decisions += &t.decisions;
    }

    fn add_day(&mut self, day: tokensim_corpus::Day, t: &ScenarioTally) {
        self.add(t);
        if t.tally.batch_requests > 0 {
            let e = self.batch_days.entry(day).or_default();
            e.0 += t.tally.batch_requests;
            e.1 += t.batch_input_tokens;
        }
    }

    /// The row, compared with the baseline's recorded and reference cost of the same calls.
    fn row(
        &self,
        baseline: Option<(PicoUsd, PicoUsd)>,
        cost_per_request: Option<CostPercentiles>,
    ) -> ScenarioRow {
        let r = self.acc.row();
        let cost = r.recorded.total.0;
        ScenarioRow {
            requests: r.requests,
            batch_requests: r.batch_requests,
            tokens: r.tokens,
            cost: r.recorded,
            recorded: baseline.map(|(rec, _)| Usd(rec)),
            saving_vs_recorded: baseline.map(|(rec, _)| Usd(rec - cost)),
            saving_vs_reference: baseline.map(|(_, refc)| Usd(refc - cost)),
            decisions: self.decisions,
            cost_per_request,
            batches: self
                .batch_days
                .values()
                .map(|&(n, t)| batches_for(n, t))
                .sum(),
            batch_days: self.batch_days.len() as u64,
            max_batches_per_day: self
                .batch_days
                .values()
                .map(|&(n, t)| batches_for(n, t))
                .max()
                .unwrap_or(0),
            ..ScenarioRow::default()
        }
    }
}

fn by_saving_desc(rows: &mut [ScenarioRow]) {
    rows.sort_by(|a, b| {
        b.saving_vs_recorded
            .cmp(&a.saving_vs_recorded)
            .then_with(|| a.key.label().cmp(&b.key.label()))
    });
}

/// The baseline's sums that every scenario row is compared with.
struct Baseline<'a> {
    workloads: &'a BTreeMap<&'a Workload, Acc>,
    days: &'a BTreeMap<tokensim_corpus::Day, Acc>,
    total: &'a Acc,
}

fn scenario_report(
    out: &ReplayOutcome,
    catalog: &Catalog,
    index: u32,
    scenario: &Scenario,
    digest: &str,
    base: &Baseline<'_>,
) -> ScenarioReport {
    let mut total = SAcc::default();
    let mut workloads: BTreeMap<&Workload, SAcc> = BTreeMap::new();
    let mut models: BTreeMap<String, SAcc> = BTreeMap::new();
    let mut days: BTreeMap<tokensim_corpus::Day, SAcc> = BTreeMap::new();
    let mut wm: BTreeMap<(&Workload, String), SAcc> = BTreeMap::new();
    for ((_, key), t) in out
        .scenario_rows
        .range((index, Key::MIN)..)
        .take_while(|((i, _), _)| *i == index)
    {
        total.add(t);
        workloads
            .entry(&out.workloads[key.workload as usize])
            .or_default()
            .add_day(key.day, t);
        models
            .entry(catalog.model(key.model).id.clone())
            .or_default()
            .add(t);
        days.entry(key.day).or_default().add(t);
        wm.entry((
            &out.workloads[key.workload as usize],
            catalog.model(key.model).id.clone(),
        ))
        .or_default()
        .add(t);
    }
    let by_workload_model: Vec<ScenarioRow> = wm
        .iter()
        .map(|((w, m), a)| ScenarioRow {
            key: RowKey {
                model: Some(m.clone()),
                ..workload_key(w)
            },
            ..a.row(None, None)
        })
        .collect();
    let ids: BTreeMap<&Workload, u32> = out.workloads.iter().zip(0..).collect();
    let hist = |w: &Workload| {
        out.cost_histograms
            .get(&(Some(index), ids[w]))
            .map(percentiles)
    };
    let mut by_workload: Vec<ScenarioRow> = workloads
        .iter()
        .map(|(w, a)| {
            let b = &base.workloads[w];
            ScenarioRow {
                key: workload_key(w),
                ..a.row(Some((b.cost.total(), b.reference)), hist(w))
            }
        })
        .collect();
    by_saving_desc(&mut by_workload);
    let mut by_model: Vec<ScenarioRow> = models
        .iter()
        .map(|(m, a)| ScenarioRow {
            key: RowKey {
                model: Some(m.clone()),
                ..RowKey::default()
            },
            ..a.row(None, None)
        })
        .collect();
    by_model.sort_by(|a, b| {
        b.cost
            .total
            .cmp(&a.cost.total)
            .then_with(|| a.key.label().cmp(&b.key.label()))
    });
    let by_day: Vec<ScenarioRow> = days
        .iter()
        .map(|(d, a)| {
            let b = &base.days[d];
            ScenarioRow {
                key: RowKey {
                    day: Some(d.to_string()),
                    ..RowKey::default()
                },
                ..a.row(Some((b.cost.total(), b.reference)), None)
            }
        })
        .collect();
    let all = merged(
        out.cost_histograms
            .range((Some(index), 0)..)
            .take_while(|((s, _), _)| *s == Some(index))
            .map(|(_, h)| h),
    );
    let mut totals = total.row(
        Some((base.total.cost.total(), base.total.reference)),
        Some(percentiles(&all)),
    );
    // Each workload sends its own batches: the total is their sum, day by day.
    let mut per_day: BTreeMap<tokensim_corpus::Day, u64> = BTreeMap::new();
    for a in workloads.values() {
        for (day, &(n, t)) in &a.batch_days {
            *per_day.entry(*day).or_default() += batches_for(n, t);
        }
    }
    totals.batches = per_day.values().sum();
    totals.batch_days = per_day.len() as u64;
    totals.max_batches_per_day = per_day.values().copied().max().unwrap_or(0);
    // Pair assertions: every grouping adds up to the scenario's totals, and the scenario prices
    // exactly the calls of the baseline.
    for group in [&by_workload, &by_model, &by_day, &by_workload_model] {
        let cost: PicoUsd = group.iter().map(|r| r.cost.total.0).sum();
        let n: u64 = group.iter().map(|r| r.requests).sum();
        assert_eq!(
            (cost, n),
            (totals.cost.total.0, totals.requests),
            "scenario {:?}: a grouping does not add up",
            scenario.name
        );
    }
    assert_eq!(
        totals.requests, base.total.requests,
        "scenario {:?} prices every call of the baseline",
        scenario.name
    );
    ScenarioReport {
        name: scenario.name.clone(),
        description: scenario.description.clone(),
        file: scenario.file.clone(),
        blake3: digest.to_string(),
        levers: scenario.lever_ids().into_iter().map(String::from).collect(),
        totals,
        by_workload,
        by_model,
        by_day,
        quality: quality_rows(out, catalog, index, scenario),
        attribution: None,
        by_workload_model,
        // The figure is the corpus's, the same for every scenario that re-simulates.
        fidelity: scenario
            .cache
            .as_ref()
            .is_some_and(|c| {
                matches!(
                    c.policy,
                    CachePolicy::Replay | CachePolicy::Auto | CachePolicy::Optimal
                )
            })
            .then_some(out.fidelity)
            .flatten(),
    }
}

/// One row per (workload, recorded model, target, task) the scenario's route lever touched.
fn quality_rows(
    out: &ReplayOutcome,
    catalog: &Catalog,
    index: u32,
    scenario: &Scenario,
) -> Vec<QualityRow> {
    // A cascade's failures are escalated, so its answers are the original's or passed; what it
    // risks is its failure detector, which the corpus does not measure (docs/quality-risk.md).
    let cascade = scenario
        .route
        .as_ref()
        .is_some_and(|r| matches!(r.policy, RoutePolicy::Cascade { .. }));
    let target = f64::from(
        scenario
            .route
            .as_ref()
            .map_or(DEFAULT_RISK_TARGET_PPM, |r| r.risk_target_ppm),
    ) / 1e6;
    let priors = Priors::builtin();
    let mut rows: Vec<(f64, QualityRow)> = Vec::new();
    for ((_, w, from, to, task), c) in out
        .routes
        .range((index, 0, ModelId(0), ModelId(0), None)..)
        .take_while(|((s, ..), _)| *s == index)
    {
        let evals = out
            .evals
            .get(&(*w, *from, *to, *task))
            .copied()
            .unwrap_or_default();
        let class = crate::risk::class_of(*task);
        let prior = prior_for(&priors, catalog, *task, *from, *to);
        let post = tokensim_quality::posterior(&prior, evals.failures, evals.n);
        // Calls with their own eval on the target are known: a pass is not degraded, a failure
        // is. The others are degraded with the posterior probability.
        let (known, unknown) = if cascade {
            (0, 0)
        } else {
            (
                c.failed_own_eval,
                c.routed - c.passed_own_eval - c.failed_own_eval,
            )
        };
        let (mean, lo, hi) = post.expected_degraded(unknown);
        let known = known as f64;
        let expected = (known + mean, known + lo, known + hi);
        rows.push(with_posterior(
            QualityRow {
                key: workload_key(&out.workloads[*w as usize]),
                lever: "route".into(),
                from: catalog.model(*from).id.clone(),
                to: catalog.model(*to).id.clone(),
                task: class.as_str().to_string(),
                routed: c.routed,
                rejected: c.rejected,
                escalated: c.escalated,
                passed_own_eval: c.passed_own_eval,
                failed_own_eval: c.failed_own_eval,
                prior: PriorSection {
                    mean: prior.mean,
                    ess: prior.ess,
                    source: prior.source.to_string(),
                },
                evals: evals.n,
                eval_failures: evals.failures,
                ..QualityRow::default()
            },
            &post,
            expected,
            target,
        ));
    }
    // Context trim: the calls keep their model and lose their oldest turns. No eval measures
    // that, so the risk is the prior of one tier step down (opus->sonnet) for the task class.
    for ((_, w, m, task), n) in out
        .trims
        .range((index, 0, ModelId(0), None)..)
        .take_while(|((s, ..), _)| *s == index)
    {
        let class = crate::risk::class_of(*task);
        let prior = priors.step(class, tokensim_quality::Step::OpusSonnet);
        let post = tokensim_quality::posterior(&prior, 0, 0);
        let id = catalog.model(*m).id.clone();
        rows.push(with_posterior(
            QualityRow {
                key: workload_key(&out.workloads[*w as usize]),
                lever: "context_trim".into(),
                from: id.clone(),
                to: id,
                task: class.as_str().to_string(),
                routed: *n,
                prior: PriorSection {
                    mean: prior.mean,
                    ess: prior.ess,
                    source: format!("{} (assumed for context trim)", prior.source),
                },
                ..QualityRow::default()
            },
            &post,
            post.expected_degraded(*n),
            target,
        ));
    }
    // Most expected degraded responses first, then by workload and models: never by interning
    // order, which depends on the order of the corpus files.
    rows.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.1.key.cmp(&b.1.key))
            .then_with(|| {
                (&a.1.lever, &a.1.from, &a.1.to, &a.1.task)
                    .cmp(&(&b.1.lever, &b.1.from, &b.1.to, &b.1.task))
            })
    });
    rows.into_iter().map(|(_, r)| r).collect()
}

/// Completes a quality row with what the posterior says: the evidence, P(degraded) and its
/// interval, the expected degraded answers, and the shadow evals for the risk target. Returns
/// it with its expected degraded mean, the sort key.
fn with_posterior(
    row: QualityRow,
    post: &tokensim_quality::Posterior,
    expected: (f64, f64, f64),
    target: f64,
) -> (f64, QualityRow) {
    let shadow = match shadow_evals_needed(post, target, 0.95) {
        SampleSize::Already => "already".to_string(),
        SampleSize::Need(n) => n.to_string(),
        SampleSize::Unreachable => "unreachable".to_string(),
    };
    let (mean, lo, hi) = expected;
    (
        mean,
        QualityRow {
            evidence: post.evidence.to_string(),
            degradation: Interval {
                mean: post.mean,
                lo: post.lo,
                hi: post.hi,
            },
            expected_degraded: Interval { mean, lo, hi },
            risk_target: target,
            shadow_evals_needed: shadow,
            ..row
        },
    )
}

/// Builds the report. `scenarios` are the scenarios of the run, in order, with the BLAKE3 digest
/// of each file's text; `tool_version` goes into the header.
///
/// With `attribution`, the run evaluated [`crate::expand`]'s scenarios (the given ones, then the
/// lever subsets): each scenario with several levers gets its attribution, and the subsets'
/// own reports are dropped.
pub fn summarize(
    out: &ReplayOutcome,
    catalog: &Catalog,
    scenarios: &[(Scenario, String)],
    attribution: Option<&crate::Expanded>,
    tool_version: &str,
) -> Report {
    let mut total = Acc::default();
    let mut workloads: BTreeMap<&crate::tally::Workload, Acc> = BTreeMap::new();
    let mut models: BTreeMap<String, Acc> = BTreeMap::new();
    let mut days: BTreeMap<tokensim_corpus::Day, Acc> = BTreeMap::new();
    let mut wm: BTreeMap<(&Workload, String), Acc> = BTreeMap::new();
    for (key, t) in &out.rows {
        let r = reference_cost(catalog, out, key, t);
        total.add(t, r);
        workloads
            .entry(&out.workloads[key.workload as usize])
            .or_default()
            .add(t, r);
        models
            .entry(catalog.model(key.model).id.clone())
            .or_default()
            .add(t, r);
        days.entry(key.day).or_default().add(t, r);
        wm.entry((
            &out.workloads[key.workload as usize],
            catalog.model(key.model).id.clone(),
        ))
        .or_default()
        .add(t, r);
    }
    let by_workload_model: Vec<Row> = wm
        .iter()
        .map(|((w, m), a)| Row {
            key: RowKey {
                model: Some(m.clone()),
                ..workload_key(w)
            },
            ..a.row()
        })
        .collect();
    let mut by_workload: Vec<Row> = workloads
        .iter()
        .map(|(w, a)| Row {
            key: workload_key(w),
            ..a.row()
        })
        .collect();
    let mut by_model: Vec<Row> = models
        .iter()
        .map(|(m, a)| Row {
            key: RowKey {
                model: Some(m.clone()),
                ..RowKey::default()
            },
            ..a.row()
        })
        .collect();
    let by_day: Vec<Row> = days
        .iter()
        .map(|(d, a)| Row {
            key: RowKey {
                day: Some(d.to_string()),
                ..RowKey::default()
            },
            ..a.row()
        })
        .collect();
    by_cost_desc(&mut by_workload);
    by_cost_desc(&mut by_model);
    let totals = total.row();
    // Pair assertions: each grouping accounts for exactly the totals.
    for group in [&by_workload, &by_model, &by_day, &by_workload_model] {
        let rec: PicoUsd = group.iter().map(|r| r.recorded.total.0).sum();
        let refc: PicoUsd = group.iter().map(|r| r.reference.0).sum();
        let n: u64 = group.iter().map(|r| r.requests).sum();
        assert_eq!(
            (rec, refc, n),
            (totals.recorded.total.0, totals.reference.0, totals.requests),
            "a grouping does not add up to the totals"
        );
    }
    assert_eq!(totals.requests, out.stats.priced);
    let all: Vec<(Scenario, String)> = match attribution {
        Some(e) => scenarios
            .iter()
            .cloned()
            .chain(
                e.scenarios[e.visible..]
                    .iter()
                    .map(|s| (s.clone(), String::new())),
            )
            .collect(),
        None => scenarios.to_vec(),
    };
    let mut scenario_reports: Vec<ScenarioReport> = all
        .iter()
        .enumerate()
        .map(|(i, (sc, digest))| {
            let base = Baseline {
                workloads: &workloads,
                days: &days,
                total: &total,
            };
            scenario_report(out, catalog, i as u32, sc, digest, &base)
        })
        .collect();
    if let Some(e) = attribution {
        let by_workload: BTreeMap<RowKey, PicoUsd> = workloads
            .iter()
            .map(|(w, a)| (workload_key(w), a.cost.total()))
            .collect();
        let given: Vec<Scenario> = scenarios.iter().map(|(s, _)| s.clone()).collect();
        crate::attribution::attribute(
            &mut scenario_reports,
            &given,
            e,
            total.cost.total(),
            &by_workload,
        );
    }
    let baseline_hist = merged(out.cost_histograms.range(..(Some(0), 0)).map(|(_, h)| h));
    let s = &out.stats;
    Report {
        schema: REPORT_SCHEMA.into(),
        tool: ToolSection { name: "tokensim".into(), version: tool_version.into() },
        corpus: CorpusSection {
            files: s.files.clone(),
            records_read: s.records_read,
            priced: s.priced,
            quarantined: s.quarantined,
            quarantined_by_field: s.quarantine_by_field.clone(),
            blank_lines: s.blank_lines,
            aggregated: s.aggregated,
            first_ts: s.first_ts.map(|t| t.to_string()),
            last_ts: s.last_ts.map(|t| t.to_string()),
        },
        catalog: CatalogSection {
            version: catalog.version.clone(),
            overlay: catalog.overlay.clone(),
            discounts: catalog
                .discounts
                .iter()
                .map(|d| DiscountSection {
                    model: d.model.map(|m| catalog.model(m).id.clone()),
                    percent: d.percent.clone(),
                    effective_from: d.effective_from.map(|d| d.to_string()),
                })
                .collect(),
            roundings: catalog
                .roundings
                .iter()
                .map(|r| RoundingSection {
                    model: r.model.clone(),
                    effective_from: r.effective_from.to_string(),
                    what: r.what.clone(),
                    exact: r.exact.clone(),
                    rounded_micro_usd_per_mtok: r.rounded.0,
                })
                .collect(),
        },
        reference: ReferenceSection {
            model: out.reference.map(|m| catalog.model(m).id.clone()),
            chosen_by: if out.reference_from_flag { "flag" } else { "most-expensive-in-corpus" }.into(),
            rule: "every call on the reference model at its standard real-time prices, all input as uncached input, the same token counts, no residency, web-search fees included; the most expensive model is the one with the highest output price (then input price) on the corpus's last day".into(),
        },
        totals,
        by_workload,
        by_model,
        by_day,
        cost_per_request: percentiles(&baseline_hist),
        sorted_mode: out.sorted_mode,
        cache_headroom: headroom(scenarios, &scenario_reports),
        batch_candidates: batch_candidates(out, &workloads),
        by_workload_model,
        scenarios: scenario_reports,
    }
}

/// The workloads batch detection flags, largest saving first (then by workload).
fn batch_candidates(
    out: &ReplayOutcome,
    workloads: &BTreeMap<&Workload, Acc>,
) -> Vec<BatchCandidate> {
    let mut rows: Vec<BatchCandidate> = out
        .batch
        .iter()
        .filter_map(|(w, s)| {
            let d = crate::batch::detect(s)?;
            let wl = &out.workloads[*w as usize];
            let recorded = workloads[wl].cost.total();
            let saving = s.movable_cost - s.movable_batch_cost;
            Some(BatchCandidate {
                key: workload_key(wl),
                grade: d.grade.to_string(),
                calls: s.calls,
                window: format!(
                    "{:02}:00-{:02}:00",
                    d.window_start,
                    (d.window_start + crate::batch::WINDOW_HOURS) % 24
                ),
                concentration: d.concentration,
                days_active: d.days_active as u64,
                days_in_window: d.days_in_window as u64,
                scheduled: d.scheduled,
                async_labelled: s.async_labelled,
                already_batch: s.already_batch,
                movable: s.movable,
                recorded: Usd(recorded),
                movable_cost: Usd(s.movable_cost),
                batch_cost: Usd(s.movable_batch_cost),
                saving: Usd(saving),
                saving_share: if recorded.0 == 0 {
                    0.0
                } else {
                    saving.0 as f64 / recorded.0 as f64
                },
                evidence: d.evidence,
            })
        })
        .collect();
    rows.sort_by(|a, b| b.saving.cmp(&a.saving).then_with(|| a.key.cmp(&b.key)));
    rows
}

/// Pairs every `optimal` scenario with the `auto` scenarios whose other levers are the same.
fn headroom(scenarios: &[(Scenario, String)], reports: &[ScenarioReport]) -> Vec<CacheHeadroom> {
    let policy = |s: &Scenario| s.cache.as_ref().map(|c| c.policy);
    let same_but_policy = |a: &Scenario, b: &Scenario| {
        a.route == b.route
            && a.caps == b.caps
            && a.batch == b.batch
            && match (&a.cache, &b.cache) {
                (Some(x), Some(y)) => {
                    x.readable_delay_ms == y.readable_delay_ms
                        && x.batch_hit_ppm == y.batch_hit_ppm
                        && x.seed == y.seed
                }
                _ => false,
            }
    };
    let mut out = Vec::new();
    for (o, (os, _)) in scenarios.iter().enumerate() {
        if policy(os) != Some(CachePolicy::Optimal) {
            continue;
        }
        for (a, (as_, _)) in scenarios.iter().enumerate() {
            if policy(as_) != Some(CachePolicy::Auto) || !same_but_policy(os, as_) {
                continue;
            }
            let row = |key: RowKey, auto: Usd, optimal: Usd| HeadroomRow {
                key,
                auto_cost: auto,
                optimal_cost: optimal,
                headroom: Usd(auto.0 - optimal.0),
            };
            let (ar, or) = (&reports[a], &reports[o]);
            let optimal_by: BTreeMap<&RowKey, Usd> = or
                .by_workload
                .iter()
                .map(|r| (&r.key, r.cost.total))
                .collect();
            let mut by_workload: Vec<HeadroomRow> = ar
                .by_workload
                .iter()
                .map(|r| row(r.key.clone(), r.cost.total, optimal_by[&r.key]))
                .collect();
            by_workload.sort_by(|x, y| y.headroom.0.cmp(&x.headroom.0).then(x.key.cmp(&y.key)));
            out.push(CacheHeadroom {
                auto: ar.name.clone(),
                optimal: or.name.clone(),
                totals: row(
                    RowKey::default(),
                    ar.totals.cost.total,
                    or.totals.cost.total,
                ),
                by_workload,
            });
        }
    }
    out
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    #[test]
    fn batches_respect_both_limits() {
        assert_eq!(batches_for(1, 0), 1);
        assert_eq!(
            batches_for(100_000, 0),
            1,
            "100,000 requests of 1 KB fit one batch"
        );
        assert_eq!(batches_for(100_001, 0), 2);
        // 256 MB at 4 bytes a token and 1,000 bytes a request: 1,000 requests of 63,750 tokens
        // are exactly 256,000,000 bytes.
        assert_eq!(batches_for(1_000, 63_750_000), 1);
        assert_eq!(batches_for(1_000, 63_750_001), 2);
        assert_eq!(
            batches_for(10, 1_000_000_000),
            16,
            "4 GB of prompts: 16 batches"
        );
        assert_eq!(batches_for(0, 0), 0);
    }
}
