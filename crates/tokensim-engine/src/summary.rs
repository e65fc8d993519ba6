//! Builds the [`Report`] model from a replay: prices the naive reference from its per-class
//! sums, groups rows by workload, model and day, and checks that every grouping adds up to the
//! same totals (pair assertions).

use std::collections::BTreeMap;

use tokensim_pricing::{Catalog, Cost, PicoUsd, Tokens};
use tokensim_report::{
    CatalogSection, CorpusSection, CostBreakdown, DiscountSection, FileSection, ReferenceSection,
    Report, RoundingSection, Row, TokenCounts, ToolSection, Usd, REPORT_SCHEMA, UNATTRIBUTED,
};

use crate::replay::ReplayOutcome;
use crate::tally::{Key, Tally};

/// One row's sums, before conversion to the report's row.
#[derive(Default, Clone)]
struct Acc {
    requests: u64,
    batch_requests: u64,
    tokens: Tokens,
    cost: Cost,
    reference: PicoUsd,
}

impl Acc {
    fn add(&mut self, t: &Tally, reference: PicoUsd) {
        self.requests += t.requests;
        self.batch_requests += t.batch_requests;
        let (a, b) = (&mut self.tokens, &t.tokens);
        a.input += b.input;
        a.cache_write_5m += b.cache_write_5m;
        a.cache_write_1h += b.cache_write_1h;
        a.cache_read += b.cache_read;
        a.output += b.output;
        a.web_search_requests += b.web_search_requests;
        self.cost += t.cost;
        self.reference += reference;
    }

    fn row(&self) -> Row {
        let c = &self.cost;
        let total = c.total();
        Row {
            requests: self.requests,
            batch_requests: self.batch_requests,
            tokens: TokenCounts {
                input: self.tokens.input,
                cache_write_5m: self.tokens.cache_write_5m,
                cache_write_1h: self.tokens.cache_write_1h,
                cache_read: self.tokens.cache_read,
                output: self.tokens.output,
                web_search_requests: self.tokens.web_search_requests,
            },
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
            .then_with(|| a.label().cmp(&b.label()))
    });
}

/// Builds the report. `tool_version` goes into the header.
pub fn summarize(out: &ReplayOutcome, catalog: &Catalog, tool_version: &str) -> Report {
    let mut total = Acc::default();
    let mut workloads: BTreeMap<&crate::tally::Workload, Acc> = BTreeMap::new();
    let mut models: BTreeMap<String, Acc> = BTreeMap::new();
    let mut days: BTreeMap<tokensim_corpus::Day, Acc> = BTreeMap::new();
    for (key, t) in &out.rows {
        let r = reference_cost(catalog, out, key, t);
        total.add(t, r);
        workloads.entry(&key.workload).or_default().add(t, r);
        models
            .entry(catalog.model(key.model).id.clone())
            .or_default()
            .add(t, r);
        days.entry(key.day).or_default().add(t, r);
    }
    let mut by_workload: Vec<Row> = workloads
        .iter()
        .map(|(w, a)| {
            // A missing part reads "unattributed" in every rendering, JSON included.
            let part =
                |p: &Option<String>| Some(p.clone().unwrap_or_else(|| UNATTRIBUTED.to_string()));
            Row {
                team: part(&w.team),
                app: part(&w.app),
                feature: part(&w.feature),
                ..a.row()
            }
        })
        .collect();
    let mut by_model: Vec<Row> = models
        .iter()
        .map(|(m, a)| Row {
            model: Some(m.clone()),
            ..a.row()
        })
        .collect();
    let by_day: Vec<Row> = days
        .iter()
        .map(|(d, a)| Row {
            day: Some(d.to_string()),
            ..a.row()
        })
        .collect();
    by_cost_desc(&mut by_workload);
    by_cost_desc(&mut by_model);
    let totals = total.row();
    // Pair assertions: each grouping accounts for exactly the totals.
    for group in [&by_workload, &by_model, &by_day] {
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
    let s = &out.stats;
    Report {
        schema: REPORT_SCHEMA.into(),
        tool: ToolSection { name: "tokensim".into(), version: tool_version.into() },
        corpus: CorpusSection {
            files: s
                .files
                .iter()
                .map(|f| FileSection {
                    path: f.path.clone(),
                    blake3: f.blake3.clone(),
                    header: f.header,
                    records: f.records,
                    priced: f.priced,
                    quarantined: f.quarantined,
                })
                .collect(),
            records_read: s.records_read,
            priced: s.priced,
            quarantined: s.quarantined,
            quarantined_by_field: s.quarantine_by_field.clone(),
            blank_lines: s.blank_lines,
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
    }
}
