//! Human renderings: a terminal table and Markdown share one table model and differ only in
//! how a table is drawn (hyperfine's `MarkupExporter` idea).
//!
//! Displayed cents are apportioned (largest remainder) so that every money column's rows add up
//! exactly to its total row; the exact pico-dollar values are in the JSON.

use tokensim_pricing::money::{div_round_half_even, format_cents, PICO_PER_CENT};
use tokensim_pricing::PicoUsd;

use crate::model::{Report, Row, ScenarioReport};

/// How a table is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Markup {
    /// Aligned plain text for a terminal.
    Terminal,
    /// GitHub-flavoured Markdown.
    Markdown,
}

/// A column's alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A table drawn for a terminal or as Markdown: every human rendering of tokensim uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Column titles.
    pub headers: Vec<&'static str>,
    /// One alignment per column.
    pub align: Vec<Align>,
    /// The rows, one cell per column.
    pub rows: Vec<Vec<String>>,
    /// A total row, under a rule (bold in Markdown).
    pub total: Option<Vec<String>>,
}

impl Table {
    /// Appends the table to `out`. In Markdown a `|` inside a cell is escaped.
    pub fn render(&self, markup: Markup, out: &mut String) {
        // Markdown shows the total row in bold; the markers count towards column widths.
        let total: Option<Vec<String>> = self.total.as_ref().map(|t| {
            t.iter()
                .map(|s| {
                    if markup == Markup::Markdown && !s.is_empty() {
                        format!("**{s}**")
                    } else {
                        s.clone()
                    }
                })
                .collect()
        });
        let mut all: Vec<&Vec<String>> = self.rows.iter().collect();
        if let Some(t) = &total {
            all.push(t);
        }
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|c| {
                all.iter()
                    .map(|r| r[c].chars().count())
                    .chain([self.headers[c].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let cell = |s: &str, c: usize| {
            let pad = " ".repeat(widths[c] - s.chars().count());
            let s = if markup == Markup::Markdown {
                s.replace('|', "\\|")
            } else {
                s.to_owned()
            };
            match self.align[c] {
                Align::Left => format!("{s}{pad}"),
                Align::Right => format!("{pad}{s}"),
            }
        };
        let line = |cells: Vec<String>| match markup {
            Markup::Terminal => format!("  {}\n", cells.join("  ").trim_end()),
            Markup::Markdown => format!("| {} |\n", cells.join(" | ")),
        };
        out.push_str(&line(
            self.headers
                .iter()
                .enumerate()
                .map(|(c, h)| cell(h, c))
                .collect(),
        ));
        let rule: Vec<String> = widths
            .iter()
            .enumerate()
            .map(|(c, &w)| match (markup, self.align[c]) {
                (Markup::Terminal, _) => "-".repeat(w),
                (Markup::Markdown, Align::Left) => format!(":{}", "-".repeat(w.max(2) - 1)),
                (Markup::Markdown, Align::Right) => format!("{}:", "-".repeat(w.max(2) - 1)),
            })
            .collect();
        out.push_str(&line(rule.clone()));
        for r in &self.rows {
            out.push_str(&line(
                r.iter().enumerate().map(|(c, s)| cell(s, c)).collect(),
            ));
        }
        if let Some(t) = &total {
            if markup == Markup::Terminal {
                out.push_str(&line(rule));
            }
            out.push_str(&line(
                t.iter().enumerate().map(|(c, s)| cell(s, c)).collect(),
            ));
        }
    }
}

/// Splits exact amounts into displayed cents that add up exactly to the displayed total (the
/// total rounded half to even): each row gets its floor, and the remaining cents go to the rows
/// with the largest remainders (ties to the earlier row). Amounts must be non-negative.
pub fn apportion_cents(amounts: &[PicoUsd]) -> (Vec<i128>, i128) {
    let total: i128 = amounts.iter().map(|a| a.0).sum();
    let total_cents = div_round_half_even(total, PICO_PER_CENT);
    if amounts.iter().any(|a| a.0 < 0) {
        // Apportioning signed amounts has no single meaning; round each row on its own.
        return (
            amounts.iter().map(|a| a.round_cents()).collect(),
            total_cents,
        );
    }
    let mut cents: Vec<i128> = amounts.iter().map(|a| a.0 / PICO_PER_CENT).collect();
    // The floors never exceed the rounded total, and fall short of it by at most one cent a row.
    let mut left = total_cents - cents.iter().sum::<i128>();
    assert!(
        (0..=amounts.len() as i128).contains(&left),
        "apportioning {left} cents"
    );
    let mut order: Vec<usize> = (0..amounts.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(amounts[i].0 % PICO_PER_CENT), i));
    let mut k = 0;
    while left > 0 && !order.is_empty() {
        cents[order[k % order.len()]] += 1;
        left -= 1;
        k += 1;
    }
    (cents, total_cents)
}

/// Tokens in a compact form for tables: `950`, `12.3K`, `4.56M`, `7.89B`.
pub fn compact(n: impl Into<u128>) -> String {
    let n: u128 = n.into();
    let f = n as f64;
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{:.1}K", f / 1e3),
        1_000_000..=999_999_999 => format!("{:.2}M", f / 1e6),
        _ => format!("{:.2}B", f / 1e9),
    }
}

/// [`percent`] of token counts.
pub(crate) fn percent_of_tokens(part: u128, whole: u128) -> String {
    // A count as an amount, only to divide: exact below 2^127, far beyond any token sum.
    percent(PicoUsd(1).times(part), PicoUsd(1).times(whole))
}

pub(crate) fn percent(part: PicoUsd, whole: PicoUsd) -> String {
    if whole.0 == 0 {
        return "-".into();
    }
    let v = part.0 as f64 / whole.0 as f64 * 100.0;
    // A share that rounds to zero prints as 0.0%, never -0.0%.
    if v.abs() < 0.05 {
        return "0.0%".into();
    }
    format!("{v:.1}%")
}

fn cost_table(first: &'static str, rows: &[Row], total: &Row) -> Table {
    let (rec, rec_total) =
        apportion_cents(&rows.iter().map(|r| r.recorded.total.0).collect::<Vec<_>>());
    let (refc, ref_total) =
        apportion_cents(&rows.iter().map(|r| r.reference.0).collect::<Vec<_>>());
    assert_eq!(
        rec_total,
        total.recorded.total.0.round_cents(),
        "rows and total agree on the recorded cost"
    );
    assert_eq!(
        ref_total,
        total.reference.0.round_cents(),
        "rows and total agree on the reference cost"
    );
    let cells = |r: &Row, rec: i128, refc: i128| {
        vec![
            r.key.label(),
            r.requests.to_string(),
            compact(r.tokens.input),
            compact(r.tokens.cache_write_5m + r.tokens.cache_write_1h),
            compact(r.tokens.cache_read),
            compact(r.tokens.output),
            format_cents(rec),
            format_cents(refc),
            format_cents(refc - rec),
        ]
    };
    Table {
        headers: vec![
            first,
            "requests",
            "input",
            "cache write",
            "cache read",
            "output",
            "recorded",
            "reference",
            "saving vs ref",
        ],
        align: vec![
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
        rows: rows
            .iter()
            .zip(rec.iter().zip(&refc))
            .map(|(r, (&a, &b))| cells(r, a, b))
            .collect(),
        total: Some({
            let mut t = cells(total, rec_total, ref_total);
            t[0] = "total".into();
            t
        }),
    }
}

/// Renders the baseline report as a terminal table or Markdown.
pub fn render(report: &Report, markup: Markup) -> String {
    let mut out = String::new();
    let h = |out: &mut String, title: &str| match markup {
        Markup::Terminal => out.push_str(&format!("\n{title}\n")),
        Markup::Markdown => out.push_str(&format!("\n### {title}\n\n")),
    };
    let c = &report.corpus;
    match markup {
        Markup::Terminal => out.push_str("tokensim replay: recorded cost and naive reference\n"),
        Markup::Markdown => out.push_str("## tokensim replay: recorded cost and naive reference\n"),
    }
    let bullet = if markup == Markup::Markdown {
        "- "
    } else {
        "  "
    };
    out.push('\n');
    out.push_str(&format!(
        "{bullet}corpus: {} file{}, {} records read = {} priced + {} quarantined{}\n",
        c.files.len(),
        if c.files.len() == 1 { "" } else { "s" },
        c.records_read,
        c.priced,
        c.quarantined,
        match (&c.first_ts, &c.last_ts) {
            (Some(a), Some(b)) => format!(", {a} .. {b}"),
            _ => String::new(),
        }
    ));
    for (field, n) in &c.quarantined_by_field {
        out.push_str(&format!("{bullet}  quarantined for {field}: {n}\n"));
    }
    if c.aggregated > 0 {
        out.push_str(&format!("{bullet}  {}\n", aggregated_note(c.aggregated)));
    }
    // How far to trust the simulated cache figures, at the top (the same figure for every
    // scenario that re-simulates; each scenario's section repeats it).
    if let Some(f) = report.scenarios.iter().find_map(|s| s.fidelity.as_ref()) {
        out.push_str(&format!("{bullet}{}\n", f.sentence()));
    }
    let cat = &report.catalog;
    out.push_str(&format!(
        "{bullet}prices: catalog {}{}{}\n",
        cat.version,
        cat.overlay
            .as_ref()
            .map(|o| format!(", overlay {o:?}"))
            .unwrap_or_default(),
        if cat.roundings.is_empty() {
            String::new()
        } else {
            format!(
                ", {} overlay rates rounded half to even (see JSON)",
                cat.roundings.len()
            )
        }
    ));
    out.push_str(&format!(
        "{bullet}reference: {}\n",
        match &report.reference.model {
            Some(m) => format!(
                "every call on {m} ({}), real time, no caching",
                report.reference.chosen_by.replace('-', " ")
            ),
            None => "none (nothing was priced)".into(),
        }
    ));
    let t = &report.totals;
    h(&mut out, "Summary");
    let summary = Table {
        headers: vec!["", "cost", "share of reference"],
        align: vec![Align::Left, Align::Right, Align::Right],
        rows: vec![
            vec![
                "recorded".into(),
                t.recorded.total.to_string(),
                percent(t.recorded.total.0, t.reference.0),
            ],
            vec![
                "naive reference".into(),
                t.reference.to_string(),
                percent(t.reference.0, t.reference.0),
            ],
            vec![
                "saving vs reference".into(),
                t.saving_vs_reference.to_string(),
                percent(t.saving_vs_reference.0, t.reference.0),
            ],
        ],
        total: None,
    };
    summary.render(markup, &mut out);
    h(&mut out, "Recorded cost by component");
    let r = &t.recorded;
    let components = [
        ("input (uncached)", t.tokens.input, r.input),
        ("cache write 5m", t.tokens.cache_write_5m, r.cache_write_5m),
        ("cache write 1h", t.tokens.cache_write_1h, r.cache_write_1h),
        ("cache read", t.tokens.cache_read, r.cache_read),
        ("output", t.tokens.output, r.output),
        (
            "web search (requests)",
            t.tokens.web_search_requests,
            r.web_search,
        ),
    ];
    let comp = Table {
        headers: vec!["component", "tokens", "cost"],
        align: vec![Align::Left, Align::Right, Align::Right],
        rows: components
            .iter()
            .map(|(name, n, c)| vec![name.to_string(), n.to_string(), c.to_string()])
            .collect(),
        total: None,
    };
    // Components are rounded one by one here; the total above is the exact sum rounded once.
    comp.render(markup, &mut out);
    h(&mut out, "By workload (team/app/feature)");
    cost_table("workload", &report.by_workload, t).render(markup, &mut out);
    h(&mut out, "By model");
    cost_table("model", &report.by_model, t).render(markup, &mut out);
    h(&mut out, "By day (UTC)");
    cost_table("day", &report.by_day, t).render(markup, &mut out);
    if !report.batch_candidates.is_empty() {
        h(&mut out, "Batch candidates (docs/batch.md)");
        batch_table(&report.batch_candidates).render(markup, &mut out);
        for c in &report.batch_candidates {
            out.push_str(&format!("{bullet}{}: {}\n", c.key.label(), c.evidence));
        }
    }
    if !report.scenarios.is_empty() {
        h(&mut out, "Scenarios against the recorded baseline");
        scenario_summary(report).render(markup, &mut out);
        for s in &report.scenarios {
            h(&mut out, &format!("Scenario {}: {}", s.name, s.description));
            if let Some(f) = &s.fidelity {
                // How far to trust the simulated cache figures, before the figures.
                let line = format!("{bullet}{}\n", f.sentence());
                out.push_str(&line);
                if markup == Markup::Markdown {
                    out.push('\n');
                }
            }
            scenario_table(s).render(markup, &mut out);
            let notes = decision_notes(&s.totals);
            if !notes.is_empty() {
                out.push_str(&format!(
                    "{bullet}levers: {}; {notes}\n",
                    s.levers.join(" > ")
                ));
            } else {
                out.push_str(&format!("{bullet}levers: {}\n", s.levers.join(" > ")));
            }
            if let Some(a) = &s.attribution {
                h(&mut out, &format!("Lever attribution of {}", s.name));
                attribution_table(a).render(markup, &mut out);
                out.push_str(&format!(
                    "{bullet}waterfall: what each lever adds in pipeline order; Shapley: its marginal saving averaged over every order of adding the levers (docs/attribution.md); both add up to the saving\n"
                ));
            }
            if !s.quality.is_empty() {
                h(&mut out, &format!("Quality risk of {}", s.name));
                quality_table(&s.quality).render(markup, &mut out);
                out.push_str(&format!(
                    "{bullet}P(degraded): posterior mean [90% credible interval] that a routed answer is worse than the original (docs/quality-risk.md); shadow evals: how many more would bound it below {} with 95% confidence at the current estimate\n",
                    pct(s.quality[0].risk_target)
                ));
            }
        }
    }
    for hr in &report.cache_headroom {
        h(
            &mut out,
            &format!(
                "Cache headroom: {} minus the hindsight bound {}",
                hr.auto, hr.optimal
            ),
        );
        headroom_table(hr).render(markup, &mut out);
    }
    if report.sorted_mode {
        out.push_str("\nnote: the corpus was out of time order inside a cache scope; the cache stage sorted it (a second read).\n");
    }
    out
}

/// What the levers did, in words, leaving out what did not happen.
pub(crate) fn decision_notes(row: &crate::model::ScenarioRow) -> String {
    let d = &row.decisions;
    let share = |n: u64| percent(PicoUsd(i128::from(n)), PicoUsd(i128::from(row.requests)));
    let truncated = format!(
        "answers truncated by an output cap ({} of calls)",
        share(d.truncated)
    );
    let interactive = format!(
        "of them labelled interactive (latency risk: {} of calls)",
        share(d.moved_interactive)
    );
    let items = [
        (d.routed, "calls routed"),
        (
            d.cache_carried_over,
            "with their recorded cache split carried over",
        ),
        (
            d.carried_below_minimum,
            "carried-over prefixes below the target's minimum (now uncached)",
        ),
        (
            d.fast_dropped,
            "fast-mode calls routed to a model without fast mode",
        ),
        (d.thinking_capped, "calls with thinking cut to the budget"),
        (
            d.thinking_unknown,
            "calls under a thinking budget that do not record thinking tokens (unchanged)",
        ),
        (d.context_trimmed, "calls with their oldest turns trimmed"),
        (
            d.trim_no_segments,
            "calls over the context budget without segments to trim (unchanged)",
        ),
        (d.truncated, truncated.as_str()),
        (d.moved_to_batch, "calls moved to the Batch API"),
        (d.moved_interactive, interactive.as_str()),
        (
            d.batch_blocked_fast,
            "batch-eligible calls kept real time (fast mode)",
        ),
        (d.cache_simulated, "calls re-simulated by the cache"),
        (
            d.no_prefix_data,
            "calls without prefix data (recorded usage kept)",
        ),
        (d.lost_hit_draw, "batch calls that lost the cache-hit draw"),
        (d.route_rejected, "routes refused by the risk budget"),
        (
            d.escalated,
            "calls escalated to their recorded model after failing on the cheap one",
        ),
    ];
    let mut notes: Vec<String> = items
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    if d.replay_compared > 0 {
        let right = d.replay_tokens_compared - d.replay_tokens_misassigned;
        notes.push(format!(
            "replay fidelity: {} of {} re-simulated calls split exactly as recorded, {} of their input tokens in the recorded component",
            d.replay_agreed,
            d.replay_compared,
            percent_of_tokens(right, d.replay_tokens_compared)
        ));
    }
    if row.batches > 0 && d.moved_to_batch > 0 {
        notes.push(format!(
            "{} batch calls would form {} batches over {} days, at most {} a day (at most 100,000 requests and 256 MB a batch, one day's calls a batch)",
            row.batch_requests, row.batches, row.batch_days, row.max_batches_per_day
        ));
    }
    notes.join(", ")
}

fn attribution_table(a: &crate::model::Attribution) -> Table {
    // Each column's cents are apportioned so the rows add up to the total as printed.
    let (w, w_total) = apportion_cents(&a.waterfall.iter().map(|x| x.saving.0).collect::<Vec<_>>());
    let (sh, _) = apportion_cents(&a.shapley.iter().map(|x| x.saving.0).collect::<Vec<_>>());
    let rows: Vec<Vec<String>> = a
        .waterfall
        .iter()
        .zip(&a.shapley)
        .zip(w.iter().zip(&sh))
        .map(|((wl, s), (&wc, &sc))| {
            vec![
                wl.lever.clone(),
                format_cents(wc),
                format_cents(sc),
                percent(s.saving.0, a.total_saving.0),
            ]
        })
        .collect();
    Table {
        headers: vec![
            "lever",
            "waterfall (pipeline order)",
            "Shapley share",
            "of saving",
        ],
        align: vec![Align::Left, Align::Right, Align::Right, Align::Right],
        rows,
        total: Some(vec![
            "total".into(),
            format_cents(w_total),
            format_cents(w_total),
            percent(a.total_saving.0, a.total_saving.0),
        ]),
    }
}

fn batch_table(rows: &[crate::model::BatchCandidate]) -> Table {
    Table {
        headers: vec![
            "workload",
            "grade",
            "calls",
            "busiest window",
            "in window",
            "days",
            "movable",
            "batch saving",
            "of workload",
        ],
        align: vec![
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
        rows: rows
            .iter()
            .map(|c| {
                vec![
                    c.key.label(),
                    c.grade.clone(),
                    c.calls.to_string(),
                    format!("{} UTC", c.window),
                    pct(c.concentration),
                    format!("{}/{}", c.days_in_window, c.days_active),
                    c.movable.to_string(),
                    c.saving.to_string(),
                    pct(c.saving_share),
                ]
            })
            .collect(),
        total: None,
    }
}

fn scenario_summary(report: &Report) -> Table {
    let t = &report.totals;
    let mut rows = vec![vec![
        "recorded (baseline)".to_string(),
        t.recorded.total.to_string(),
        "-".into(),
        "-".into(),
        percent(t.recorded.total.0, t.reference.0),
    ]];
    for s in &report.scenarios {
        let c = s.totals.cost.total.0;
        let saving = s.totals.saving_vs_recorded.map(|u| u.0).unwrap_or_default();
        // The displayed saving is the difference of the displayed costs, so the columns agree.
        let shown = t.recorded.total.0.round_cents() - s.totals.cost.total.0.round_cents();
        rows.push(vec![
            s.name.clone(),
            s.totals.cost.total.to_string(),
            format_cents(shown),
            percent(saving, t.recorded.total.0),
            percent(c, t.reference.0),
        ]);
    }
    Table {
        headers: vec![
            "scenario",
            "cost",
            "saving vs recorded",
            "saving %",
            "share of reference",
        ],
        align: vec![
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
        rows,
        total: None,
    }
}

fn scenario_table(s: &ScenarioReport) -> Table {
    let rows: Vec<&crate::model::ScenarioRow> = s.by_workload.iter().collect();
    let (rec, rec_total) = apportion_cents(
        &rows
            .iter()
            .map(|r| r.recorded.unwrap_or_default().0)
            .collect::<Vec<_>>(),
    );
    let (cost, cost_total) =
        apportion_cents(&rows.iter().map(|r| r.cost.total.0).collect::<Vec<_>>());
    // The naive reference of the same calls: cost + saving against it.
    let reference = |r: &crate::model::ScenarioRow| {
        r.saving_vs_reference.map_or(PicoUsd(0), |s| s.0) + r.cost.total.0
    };
    let (refs, refs_total) =
        apportion_cents(&rows.iter().map(|r| reference(r)).collect::<Vec<_>>());
    let cells = |r: &crate::model::ScenarioRow, rec: i128, cost: i128, refc: i128| {
        vec![
            r.key.label(),
            r.requests.to_string(),
            format_cents(rec),
            format_cents(cost),
            format_cents(rec - cost),
            percent(PicoUsd(rec - cost), PicoUsd(rec)),
            format_cents(refc - cost),
            r.cost_per_request
                .map(|p| format!("{:.4}", p.p50_micro_usd as f64 / 1e6))
                .unwrap_or_default(),
        ]
    };
    let mut total = cells(&s.totals, rec_total, cost_total, refs_total);
    total[0] = "total".into();
    let mut table = Table {
        headers: vec![
            "workload",
            "requests",
            "recorded",
            "scenario",
            "saving",
            "saving %",
            "saving vs ref",
            "p50 $/call",
        ],
        align: vec![
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
        rows: rows
            .iter()
            .zip(rec.iter().zip(&cost).zip(&refs))
            .map(|(r, ((&a, &b), &c))| cells(r, a, b, c))
            .collect(),
        total: Some(total),
    };
    if s.totals.batches > 0 && s.levers.iter().any(|l| l == "batch") {
        // How many batches a day each workload would send (docs/batch.md).
        let per_day = |r: &crate::model::ScenarioRow| match r.batch_days {
            0 => String::new(),
            d => format!(
                "{:.1} (max {})",
                r.batches as f64 / d as f64,
                r.max_batches_per_day
            ),
        };
        table.headers.push("batches/day");
        table.align.push(Align::Right);
        for (row, r) in table.rows.iter_mut().zip(&rows) {
            row.push(per_day(r));
        }
        if let Some(t) = &mut table.total {
            t.push(per_day(&s.totals));
        }
    }
    table
}

fn headroom_table(hr: &crate::model::CacheHeadroom) -> Table {
    let (auto, auto_total) = apportion_cents(
        &hr.by_workload
            .iter()
            .map(|r| r.auto_cost.0)
            .collect::<Vec<_>>(),
    );
    let (opt, opt_total) = apportion_cents(
        &hr.by_workload
            .iter()
            .map(|r| r.optimal_cost.0)
            .collect::<Vec<_>>(),
    );
    let cells = |label: String, a: i128, o: i128| {
        vec![
            label,
            format_cents(a),
            format_cents(o),
            format_cents(a - o),
            percent(PicoUsd(a - o), PicoUsd(a)),
        ]
    };
    Table {
        headers: vec!["workload", "auto", "optimal", "headroom", "headroom %"],
        align: vec![
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
        rows: hr
            .by_workload
            .iter()
            .zip(auto.iter().zip(&opt))
            .map(|(r, (&a, &o))| cells(r.key.label(), a, o))
            .collect(),
        total: Some(cells("total".into(), auto_total, opt_total)),
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn quality_table(rows: &[crate::model::QualityRow]) -> Table {
    Table {
        headers: vec![
            "workload",
            "change",
            "task",
            "calls",
            "refused",
            "P(degraded) [90% CI]",
            "evidence",
            "expected degraded",
            "shadow evals",
        ],
        align: vec![
            Align::Left,
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Left,
            Align::Right,
            Align::Right,
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.key.label(),
                    if r.lever == "context_trim" {
                        format!("context trim on {}", r.from)
                    } else {
                        format!("{} > {}", r.from, r.to)
                    },
                    r.task.clone(),
                    r.routed.to_string(),
                    r.rejected.to_string(),
                    format!(
                        "{} [{}, {}]",
                        pct(r.degradation.mean),
                        pct(r.degradation.lo),
                        pct(r.degradation.hi)
                    ),
                    format!("{} ({} failed)", r.evidence, r.eval_failures)
                        .replace("prior only (0 failed)", "prior only"),
                    format!(
                        "{:.0} [{:.0}, {:.0}]",
                        r.expected_degraded.mean, r.expected_degraded.lo, r.expected_degraded.hi
                    ),
                    r.shadow_evals_needed.clone(),
                ]
            })
            .collect(),
        total: None,
    }
}

/// Renders `tokensim frontier` as a terminal table or Markdown.
pub fn render_frontier(f: &crate::model::FrontierReport, markup: Markup) -> String {
    let mut out = String::new();
    let title = format!(
        "tokensim frontier: routing calls below a difficulty threshold to {}",
        f.to
    );
    match markup {
        Markup::Terminal => out.push_str(&format!("{title}\n\n")),
        Markup::Markdown => out.push_str(&format!("## {title}\n\n")),
    }
    out.push_str(&format!(
        "  {} calls, recorded cost {}; quality retained = 1 - expected degraded answers / calls (docs/quality-risk.md)\n\n",
        f.calls, f.recorded
    ));
    let table = Table {
        headers: vec![
            "threshold",
            "routed",
            "cost",
            "saving",
            "cost share",
            "expected degraded",
            "quality retained",
        ],
        align: vec![Align::Right; 7],
        rows: f
            .points
            .iter()
            .map(|p| {
                vec![
                    format!("{:.2}", p.threshold),
                    p.routed.to_string(),
                    p.cost.to_string(),
                    p.saving.to_string(),
                    pct(p.cost_share),
                    format!("{:.0}", p.expected_degraded),
                    format!("{:.2}%", p.quality_retained * 100.0),
                ]
            })
            .collect(),
        total: None,
    };
    table.render(markup, &mut out);
    let bullet = if markup == Markup::Markdown {
        "- "
    } else {
        "  "
    };
    out.push('\n');
    for (target, p) in [("90%", &f.at_90), ("95%", &f.at_95)] {
        out.push_str(&match p {
            Some(p) => format!(
                "{bullet}cheapest point keeping {target} of the quality: threshold {:.2}, {} ({} of recorded), {:.2}% retained\n",
                p.threshold,
                p.cost,
                pct(p.cost_share),
                p.quality_retained * 100.0
            ),
            None => format!("{bullet}no threshold keeps {target} of the quality\n"),
        });
    }
    out
}

/// Renders `tokensim prefixes` as a terminal table or Markdown.
pub fn render_prefixes(p: &crate::model::PrefixReport, markup: Markup) -> String {
    let mut out = String::new();
    match markup {
        Markup::Terminal => out.push_str(
            "tokensim prefixes: recurring prompt prefixes and what a breakpoint would save\n\n",
        ),
        Markup::Markdown => out.push_str(
            "## tokensim prefixes: recurring prompt prefixes and what a breakpoint would save\n\n",
        ),
    }
    out.push_str(&format!(
        "  {} records, {} without segments (not analysed), over {:.1} days; savings scaled to 30 days\n\n",
        p.records, p.records_without_segments, p.span_days
    ));
    let table = Table {
        headers: vec![
            "workload",
            "scope",
            "prefix",
            "tokens",
            "calls/day",
            "mean gap s",
            "cached",
            "5m $/month",
            "1h $/month",
        ],
        align: vec![
            Align::Left,
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Left,
            Align::Right,
            Align::Right,
        ],
        rows: p
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.workload.clone(),
                    r.scope.clone(),
                    r.roles.clone(),
                    r.tokens.to_string(),
                    format!("{:.1}", r.requests_per_day),
                    format!("{:.1}", r.mean_gap_s),
                    if r.cached_today {
                        "yes".into()
                    } else if r.below_minimum {
                        "below min".into()
                    } else {
                        "no".into()
                    },
                    r.saving_5m_per_month.to_string(),
                    r.saving_1h_per_month.to_string(),
                ]
            })
            .collect(),
        total: None,
    };
    table.render(markup, &mut out);
    if !p.findings.is_empty() {
        out.push_str(if markup == Markup::Markdown {
            "\n### Findings\n\n"
        } else {
            "\nFindings\n"
        });
        for f in &p.findings {
            out.push_str(&format!("  - [{}] {}: {}\n", f.kind, f.workload, f.detail));
        }
    }
    out
}

/// What the report says about aggregated records (docs/importers.md, "admin-usage").
pub(crate) fn aggregated_note(n: u64) -> String {
    format!(
        "{n} aggregated record{} (summed requests, tag aggregate:*): routing, batch and cache \
         off price them exactly; cache simulation, thinking caps and context trimming leave them \
         as recorded; call counts and per-call costs count each record as one call",
        if n == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(cents_x100: i128) -> PicoUsd {
        // Hundredths of a cent, to build remainders by hand.
        PicoUsd(cents_x100 * PICO_PER_CENT / 100)
    }

    #[test]
    fn apportioned_cents_add_up_to_the_rounded_total() {
        // 3 x 0.333... cents: each floors to 0, total rounds to 1 cent; one row gets it.
        let (c, t) = apportion_cents(&[p(33), p(33), p(34)]);
        assert_eq!((c.clone(), t), (vec![0, 0, 1], 1));
        // 1.5 + 1.5 + 1.5 = 4.5 -> 4 (half to even); naive rounding would show 2+2+2 = 6.
        let (c, t) = apportion_cents(&[p(150), p(150), p(150)]);
        assert_eq!(t, 4);
        assert_eq!(c.iter().sum::<i128>(), 4);
        let (c, t) = apportion_cents(&[]);
        assert_eq!((c.len(), t), (0, 0));
    }

    #[test]
    fn compact_tokens() {
        assert_eq!(compact(950u64), "950");
        assert_eq!(compact(12_345u64), "12.3K");
        assert_eq!(compact(4_560_000u64), "4.56M");
        assert_eq!(compact(7_890_000_000u64), "7.89B");
    }
}
