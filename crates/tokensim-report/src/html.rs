//! A self-contained HTML page of a [`Report`]: the model the terminal and Markdown renderings
//! print, with inline SVG charts (savings waterfall, cost by workload, daily cost, cost-quality).
//! One file with inline CSS, no scripts and no external resources, so it opens offline and prints.
//!
//! Tables show dollars and cents exactly as the other renderings do: a money column's rows are
//! apportioned to add up to its total row. Every chart bar or point also carries the exact
//! amount in `data-value` (the report's twelve-decimal USD string) and what it is in `data-key`,
//! so `scripts/check_html.py` can recompute each one from the JSON of the same run:
//!
//! ```text
//! waterfall/<scenario>/recorded            the scenario's calls as recorded (first bar)
//! waterfall/<scenario>/lever/<lever>       attribution.waterfall[lever].saving
//! waterfall/<scenario>/scenario            the scenario's cost (last bar)
//! shapley/<scenario>/<lever>               attribution.shapley[lever].saving
//! workload/recorded/<team>/<app>/<feature>              by_workload[..].recorded.total
//! workload/scenario/<scenario>/<team>/<app>/<feature>   scenario by_workload[..].cost.total
//! day/recorded/<YYYY-MM-DD>                by_day[..].recorded.total
//! day/scenario/<scenario>/<YYYY-MM-DD>     scenario by_day[..].cost.total
//! quality/recorded                         totals.recorded.total
//! quality/scenario/<scenario>              scenario totals.cost.total
//! ```
//!
//! Each segment is the model's string with `%` and `/` percent-encoded, so a key splits on `/`
//! (a missing workload part is `unattributed`, as in the row labels). Cost-quality points also
//! carry `data-cost-share` and `data-quality-retained` (six decimals).
//!
//! SVG geometry converts money to `f64`, for display only; the page is a pure function of the
//! report (no clock, no map iteration order), so the same report always gives the same bytes.

use std::collections::BTreeMap;

use tokensim_pricing::money::format_cents;
use tokensim_pricing::PicoUsd;

use crate::model::{
    Attribution, BatchCandidate, CacheHeadroom, QualityRow, Report, Row, RowKey, ScenarioReport,
    ScenarioRow, Usd, UNATTRIBUTED,
};
use crate::render::{apportion_cents, compact, decision_notes, percent};

#[cfg(test)]
mod tests;

/// Renders the report as one self-contained HTML page: inline CSS and SVG, no scripts, no
/// network references. Strings from the data are escaped; the same report gives the same bytes.
pub fn render_html(report: &Report) -> String {
    let mut page = Page::default();
    page.out.push_str(HEAD);
    page.header(report);
    page.summary(report);
    page.charts(report);
    page.baseline(report);
    for (i, s) in report.scenarios.iter().enumerate() {
        page.scenario(i, s);
    }
    page.batch_candidates(&report.batch_candidates);
    page.cache_headroom(&report.cache_headroom);
    page.footer(report);
    page.out
}

const HEAD: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tokensim replay report</title>
<style>
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1a1a1a; line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .6rem; padding-bottom: .2rem; border-bottom: 1px solid #bbb; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .4rem; }
p { margin: .4rem 0; }
a { color: #0a4f8a; }
.meta, figcaption, .note { color: #444; font-size: .9rem; }
nav ul { list-style: none; padding: 0; margin: .6rem 0; display: flex; flex-wrap: wrap; gap: .3rem 1rem; font-size: .9rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: .5rem 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em; word-break: break-all; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #888; font-weight: 600; }
tfoot td { border-top: 2px solid #888; font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.nw { white-space: nowrap; }
th.num { white-space: normal; }
figure { margin: 1rem 0 1.5rem; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg.chart text { font-size: 12px; fill: #1a1a1a; }
svg.chart .tick { fill: #555; font-size: 11px; }
svg.chart .grid { stroke: #ddd; stroke-width: 1; }
svg.chart .axis { stroke: #666; stroke-width: 1; }
svg.chart .link { stroke: #777; stroke-width: 1; stroke-dasharray: 3 3; }
svg.chart .line { fill: none; stroke-width: 2; }
.wf-total { fill: #5a5a5a; }
.wf-drop { fill: #009e73; }
.wf-rise { fill: #d55e00; }
.wf-end { fill: #0072b2; }
.legend { list-style: none; padding: 0; margin: .3rem 0; display: flex; flex-wrap: wrap; gap: .3rem 1.2rem; font-size: .85rem; }
.sw { display: inline-block; width: .8rem; height: .8rem; margin-right: .35rem; vertical-align: -.05rem; border: 1px solid #333; }
.c0 { fill: #5a5a5a; stroke: #5a5a5a; background: #5a5a5a; }
.c1 { fill: #0072b2; stroke: #0072b2; background: #0072b2; }
.c2 { fill: #e69f00; stroke: #e69f00; background: #e69f00; }
.c3 { fill: #009e73; stroke: #009e73; background: #009e73; }
.c4 { fill: #cc79a7; stroke: #cc79a7; background: #cc79a7; }
.c5 { fill: #56b4e9; stroke: #56b4e9; background: #56b4e9; }
.c6 { fill: #d55e00; stroke: #d55e00; background: #d55e00; }
.c7 { fill: #000; stroke: #000; background: #000; }
@media print {
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  nav { display: none; }
  main { max-width: none; padding: 0; }
  .scroll { overflow: visible; }
  h2, h3 { break-after: avoid; }
  figure, tr { break-inside: avoid; }
}
</style>
</head>
<body>
<main>
"#;

/// Series colours after the baseline (class `c0`): the Okabe-Ito palette, which stays distinct
/// for colour-blind readers and in print.
const SCENARIO_COLOURS: usize = 7;

/// Dash patterns of the daily lines, so the series also differ in a grey print.
const DASHES: [&str; 4] = ["", "6 3", "2 3", "9 3 2 3"];

#[derive(Default)]
struct Page {
    out: String,
    /// Charts written so far, for unique `<title>` ids.
    charts: usize,
}

/// Escapes text for HTML content and double- or single-quoted attributes.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A `data-key`: segments joined by `/`, each with `%` and `/` percent-encoded.
fn data_key(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.replace('%', "%25").replace('/', "%2F"))
        .collect::<Vec<_>>()
        .join("/")
}

/// ` data-key=".." data-value=".."`, the value exact.
fn data_attrs(key: &str, value: Usd) -> String {
    format!(
        " data-key=\"{}\" data-value=\"{}\"",
        esc(key),
        value.0.usd_exact()
    )
}

fn pico(u: Usd) -> i128 {
    u.0 .0
}

/// Dollars as `f64`, for geometry only.
fn dollars_f64(p: i128) -> f64 {
    p as f64 / 1e12
}

/// An exact amount rounded on its own to dollars and cents (half to even).
fn dollars(u: Usd) -> String {
    u.to_string()
}

/// An SVG coordinate: one decimal, never `-0.0`.
fn px(x: f64) -> String {
    let s = format!("{x:.1}");
    if s == "-0.0" {
        "0.0".into()
    } else {
        s
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A workload's identity, for matching a scenario's rows with the baseline's.
type WorkloadId = (Option<String>, Option<String>, Option<String>);

fn workload_id(k: &RowKey) -> WorkloadId {
    (k.team.clone(), k.app.clone(), k.feature.clone())
}

/// The three parts of a workload as its label writes them.
fn workload_parts(k: &RowKey) -> [String; 3] {
    let part = |p: &Option<String>| p.as_deref().unwrap_or(UNATTRIBUTED).to_string();
    [part(&k.team), part(&k.app), part(&k.feature)]
}

fn series_class(scenario: Option<usize>) -> String {
    match scenario {
        None => "c0".into(),
        Some(i) => format!("c{}", 1 + i % SCENARIO_COLOURS),
    }
}

/// The step of about `target` ticks over `0..=hi`: 1, 2 or 5 times a power of ten. Computed with
/// multiplications only, so it is the same on every platform.
fn nice_step(hi: f64, target: usize) -> f64 {
    if hi.is_nan() || hi <= 0.0 {
        return 1.0;
    }
    let raw = hi / target as f64;
    let mut mag = 1.0;
    while mag * 10.0 <= raw {
        mag *= 10.0;
    }
    while mag > raw {
        mag /= 10.0;
    }
    let norm = raw / mag;
    let m = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// Axis ticks from 0 to at least `hi`: the tick values (the last is the axis maximum) and the step.
fn ticks(hi: f64, target: usize) -> (Vec<f64>, f64) {
    let step = nice_step(hi, target);
    let n = ((hi / step).ceil() as usize).max(1);
    ((0..=n).map(|k| k as f64 * step).collect(), step)
}

/// A money tick label: whole dollars when the step is, else dollars and cents.
fn money_tick(v: f64, step: f64) -> String {
    let s = format_cents((v * 100.0).round() as i128);
    if step >= 1.0 {
        s.trim_end_matches(".00").to_string()
    } else {
        s
    }
}

/// A percentage tick label with as many decimals as the step needs.
fn percent_tick(v: f64, step: f64) -> String {
    let p = step * 100.0;
    if p >= 1.0 {
        format!("{:.0}%", v * 100.0)
    } else if p >= 0.1 {
        format!("{:.1}%", v * 100.0)
    } else {
        format!("{:.2}%", v * 100.0)
    }
}

/// A table cell: text (escaped when written), numeric or not, with an optional exact value.
struct Cell {
    text: String,
    num: bool,
    /// A label that should not wrap (workloads, scenario names).
    nowrap: bool,
    /// `text` is already HTML (built from escaped parts).
    html: bool,
    data: Option<(String, Usd)>,
}

fn text(s: impl Into<String>) -> Cell {
    Cell {
        text: s.into(),
        num: false,
        nowrap: false,
        html: false,
        data: None,
    }
}

fn nw(s: impl Into<String>) -> Cell {
    Cell {
        nowrap: true,
        ..text(s)
    }
}

fn num(s: impl Into<String>) -> Cell {
    Cell {
        text: s.into(),
        num: true,
        nowrap: false,
        html: false,
        data: None,
    }
}

/// Table headers: name and whether the column is numeric.
fn headers(list: &[(&str, bool)]) -> Vec<(String, bool)> {
    list.iter().map(|&(h, n)| (h.to_string(), n)).collect()
}

fn cents(c: i128) -> Cell {
    num(format_cents(c))
}

struct Table {
    /// Header and whether the column is numeric (right-aligned).
    headers: Vec<(String, bool)>,
    rows: Vec<Vec<Cell>>,
    total: Option<Vec<Cell>>,
}

impl Table {
    fn write(&self, out: &mut String) {
        let cell = |out: &mut String, c: &Cell| {
            out.push_str(match (c.num, c.nowrap) {
                (true, _) => "<td class=\"num\"",
                (false, true) => "<td class=\"nw\"",
                (false, false) => "<td",
            });
            if let Some((k, v)) = &c.data {
                out.push_str(&data_attrs(k, *v));
            }
            out.push('>');
            if c.html {
                out.push_str(&c.text);
            } else {
                out.push_str(&esc(&c.text));
            }
            out.push_str("</td>");
        };
        out.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
        for (h, n) in &self.headers {
            out.push_str(if *n { "<th class=\"num\">" } else { "<th>" });
            out.push_str(&esc(h));
            out.push_str("</th>");
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for r in &self.rows {
            out.push_str("<tr>");
            for c in r {
                cell(out, c);
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n");
        if let Some(t) = &self.total {
            out.push_str("<tfoot><tr>");
            for c in t {
                cell(out, c);
            }
            out.push_str("</tr></tfoot>\n");
        }
        out.push_str("</table></div>\n");
    }
}

/// One series of a chart: the baseline (`scenario: None`) or a scenario.
struct Series<'a> {
    name: &'a str,
    scenario: Option<usize>,
}

impl Series<'_> {
    fn class(&self) -> String {
        series_class(self.scenario)
    }

    /// `<chart>/recorded/..` or `<chart>/scenario/<name>/..`.
    fn key(&self, chart: &str, rest: &[&str]) -> String {
        let mut parts = vec![chart];
        match self.scenario {
            None => parts.push("recorded"),
            Some(_) => parts.extend(["scenario", self.name]),
        }
        parts.extend_from_slice(rest);
        data_key(&parts)
    }
}

fn all_series(report: &Report) -> Vec<Series<'_>> {
    let mut v = vec![Series {
        name: "recorded",
        scenario: None,
    }];
    for (i, s) in report.scenarios.iter().enumerate() {
        v.push(Series {
            name: &s.name,
            scenario: Some(i),
        });
    }
    v
}

fn legend(out: &mut String, series: &[Series<'_>]) {
    out.push_str("<ul class=\"legend\">");
    for s in series {
        let name = match s.scenario {
            None => "recorded (baseline)".to_string(),
            Some(_) => format!("scenario {}", s.name),
        };
        out.push_str(&format!(
            "<li><span class=\"sw {}\"></span>{}</li>",
            s.class(),
            esc(&name)
        ));
    }
    out.push_str("</ul>\n");
}

impl Page {
    /// Opens an `<svg>` with its `<title>`.
    fn svg_open(&mut self, width: f64, height: f64, title: &str) {
        self.charts += 1;
        let id = format!("chart-{}-title", self.charts);
        self.out.push_str(&format!(
            "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"{id}\">\n<title id=\"{id}\">{}</title>\n",
            esc(title),
            w = px(width),
            h = px(height),
        ));
    }

    fn h2(&mut self, id: &str, title: &str) {
        self.out
            .push_str(&format!("<h2 id=\"{}\">{}</h2>\n", esc(id), esc(title)));
    }

    fn h3(&mut self, title: &str) {
        self.out.push_str(&format!("<h3>{}</h3>\n", esc(title)));
    }

    fn p(&mut self, class: Option<&str>, html: &str) {
        match class {
            Some(c) => self.out.push_str(&format!("<p class=\"{c}\">{html}</p>\n")),
            None => self.out.push_str(&format!("<p>{html}</p>\n")),
        }
    }

    fn header(&mut self, r: &Report) {
        self.out
            .push_str("<header>\n<h1>tokensim replay: recorded cost, naive reference");
        if !r.scenarios.is_empty() {
            self.out.push_str(" and scenarios");
        }
        self.out.push_str("</h1>\n");
        self.p(
            Some("meta"),
            &format!(
                "written by {} {}, schema {}",
                esc(&r.tool.name),
                esc(&r.tool.version),
                esc(&r.schema)
            ),
        );
        self.out.push_str("<nav><ul>");
        let mut links = vec![
            ("run".to_string(), "Run".to_string()),
            ("summary".into(), "Summary".into()),
            ("charts".into(), "Charts".into()),
            ("baseline".into(), "Recorded baseline".into()),
        ];
        for (i, s) in r.scenarios.iter().enumerate() {
            links.push((format!("scenario-{i}"), format!("Scenario {}", s.name)));
        }
        if !r.batch_candidates.is_empty() {
            links.push(("batch".into(), "Batch candidates".into()));
        }
        if !r.cache_headroom.is_empty() {
            links.push(("headroom".into(), "Cache headroom".into()));
        }
        for (id, name) in links {
            self.out.push_str(&format!(
                "<li><a href=\"#{}\">{}</a></li>",
                esc(&id),
                esc(&name)
            ));
        }
        self.out.push_str("</ul></nav>\n</header>\n");
        self.run_facts(r);
    }

    fn run_facts(&mut self, r: &Report) {
        let c = &r.corpus;
        self.out.push_str("<section>\n");
        self.h2("run", "Run");
        self.out.push_str("<dl class=\"facts\">\n");
        let mut fact = |dt: &str, dd: String| {
            self.out
                .push_str(&format!("<dt>{}</dt><dd>{dd}</dd>\n", esc(dt)));
        };
        let span = match (&c.first_ts, &c.last_ts) {
            (Some(a), Some(b)) => format!("; calls from {} to {}", esc(a), esc(b)),
            _ => String::new(),
        };
        fact(
            "Corpus",
            format!(
                "{} file{}, {} records read = {} priced + {} quarantined{span}",
                c.files.len(),
                if c.files.len() == 1 { "" } else { "s" },
                c.records_read,
                c.priced,
                c.quarantined,
            ),
        );
        if !c.quarantined_by_field.is_empty() {
            let by: Vec<String> = c
                .quarantined_by_field
                .iter()
                .map(|(f, n)| format!("{}: {n}", esc(f)))
                .collect();
            fact("Quarantined for", by.join(", "));
        }
        if c.blank_lines > 0 {
            fact("Blank lines", format!("{} skipped", c.blank_lines));
        }
        if c.aggregated > 0 {
            fact(
                "Aggregated",
                esc(&crate::render::aggregated_note(c.aggregated)),
            );
        }
        let cat = &r.catalog;
        let mut prices = format!("catalog {}", esc(&cat.version));
        if let Some(o) = &cat.overlay {
            prices.push_str(&format!(", overlay <code>{}</code>", esc(o)));
        }
        for d in &cat.discounts {
            prices.push_str(&format!(
                "; {}% off {}{}",
                esc(&d.percent),
                esc(d.model.as_deref().unwrap_or("every model")),
                d.effective_from
                    .as_ref()
                    .map(|f| format!(" from {}", esc(f)))
                    .unwrap_or_default()
            ));
        }
        if !cat.roundings.is_empty() {
            prices.push_str(&format!(
                "; {} overlay rates rounded half to even (see JSON)",
                cat.roundings.len()
            ));
        }
        fact("Prices", prices);
        let reference = match &r.reference.model {
            Some(m) => format!(
                "every call on <code>{}</code> ({}), real time, no caching",
                esc(m),
                esc(&r.reference.chosen_by.replace('-', " "))
            ),
            None => "none (nothing was priced)".into(),
        };
        fact("Reference", reference);
        if !r.reference.rule.is_empty() {
            fact("Reference rule", esc(&r.reference.rule));
        }
        self.out.push_str("</dl>\n");
        if !c.files.is_empty() {
            Table {
                headers: headers(&[
                    ("file", false),
                    ("header", false),
                    ("records", true),
                    ("priced", true),
                    ("quarantined", true),
                    ("BLAKE3 (as stored)", false),
                ]),
                rows: c
                    .files
                    .iter()
                    .map(|f| {
                        vec![
                            text(f.path.clone()),
                            text(if f.header { "yes" } else { "no" }),
                            num(f.records.to_string()),
                            num(f.priced.to_string()),
                            num(f.quarantined.to_string()),
                            text(f.blake3.clone()),
                        ]
                    })
                    .collect(),
                total: None,
            }
            .write(&mut self.out);
        }
        self.out.push_str("</section>\n");
    }

    /// The same rows as the Markdown scenario summary, with the naive reference first.
    fn summary(&mut self, r: &Report) {
        let t = &r.totals;
        let rec = t.recorded.total.0;
        let mut rows = vec![
            vec![
                nw("naive reference"),
                num(dollars(t.reference)),
                num("-"),
                num("-"),
                num(percent(t.reference.0, t.reference.0)),
            ],
            vec![
                nw("recorded (baseline)"),
                num(dollars(t.recorded.total)),
                num("-"),
                num("-"),
                num(percent(rec, t.reference.0)),
            ],
        ];
        for s in &r.scenarios {
            let c = s.totals.cost.total.0;
            let saving = s.totals.saving_vs_recorded.map(|u| u.0).unwrap_or_default();
            // The displayed saving is the difference of the displayed costs, so the columns agree.
            let shown = rec.round_cents() - c.round_cents();
            rows.push(vec![
                nw(format!("scenario {}", s.name)),
                num(dollars(s.totals.cost.total)),
                cents(shown),
                num(percent(saving, rec)),
                num(percent(c, t.reference.0)),
            ]);
        }
        self.out.push_str("<section>\n");
        self.h2("summary", "Summary");
        Table {
            headers: headers(&[
                ("", false),
                ("cost", true),
                ("saving vs recorded", true),
                ("saving %", true),
                ("share of reference", true),
            ]),
            rows,
            total: None,
        }
        .write(&mut self.out);
        self.p(
            Some("note"),
            &format!(
                "The recorded spending saves {} ({}) against the naive reference; {} calls, {} through the Batch API.",
                esc(&dollars(t.saving_vs_reference)),
                esc(&percent(t.saving_vs_reference.0, t.reference.0)),
                t.requests,
                t.batch_requests
            ),
        );
        self.out.push_str("</section>\n");
    }

    fn charts(&mut self, r: &Report) {
        self.out.push_str("<section>\n");
        self.h2("charts", "Charts");
        for (i, s) in r.scenarios.iter().enumerate() {
            if let Some(a) = &s.attribution {
                self.h3(&format!("Savings waterfall of {}", s.name));
                self.waterfall(r, i, s, a);
            }
        }
        if !r.by_workload.is_empty() {
            self.h3("Cost by workload");
            self.workload_chart(r);
        }
        if !r.by_day.is_empty() {
            self.h3("Daily cost");
            self.daily_chart(r);
        }
        if r.scenarios.iter().any(|s| !s.quality.is_empty()) {
            self.h3("Cost and quality");
            self.quality_chart(r);
        }
        self.out.push_str("</section>\n");
    }

    /// Recorded cost, one floating bar per lever (a drop for a saving, a rise in another colour
    /// for a cost), then the scenario's cost; the Shapley shares below.
    fn waterfall(&mut self, r: &Report, index: usize, s: &ScenarioReport, a: &Attribution) {
        let recorded = s.totals.recorded.unwrap_or(r.totals.recorded.total);
        let cost = s.totals.cost.total;
        let savings: Vec<PicoUsd> = a.waterfall.iter().map(|l| l.saving.0).collect();
        let sum: i128 = savings.iter().map(|p| p.0).sum();
        // Pair assertions: the engine checked these when it built the attribution.
        assert_eq!(
            sum,
            pico(a.total_saving),
            "the waterfall of {} adds up to its saving",
            s.name
        );
        assert_eq!(
            pico(recorded) - sum,
            pico(cost),
            "the waterfall of {} goes from the recorded cost to the scenario's",
            s.name
        );
        // levels[i] is the cost before lever i; the last is the scenario's cost.
        let mut levels = vec![pico(recorded)];
        for p in &savings {
            levels.push(levels[levels.len() - 1] - p.0);
        }
        let hi = dollars_f64(levels.iter().copied().max().unwrap_or(0).max(0));
        let (shown, _) = apportion_cents(&savings);

        let (w, h) = (760.0, 320.0);
        let (left, right, top, bottom) = (78.0, 16.0, 28.0, 44.0);
        let plot_h = h - top - bottom;
        let (tick_values, step) = ticks(hi, 5);
        let axis_max = tick_values[tick_values.len() - 1];
        let y = |p: i128| top + plot_h * (1.0 - dollars_f64(p.max(0)) / axis_max);
        let slots = (savings.len() + 2) as f64;
        let slot = (w - left - right) / slots;
        let bar_w = slot * 0.6;
        let bar_x = |i: usize| left + slot * i as f64 + (slot - bar_w) / 2.0;

        self.out
            .push_str(&format!("<figure id=\"waterfall-{index}\">\n"));
        self.svg_open(
            w,
            h,
            &format!(
                "Savings waterfall of scenario {}: recorded {} to {} in pipeline order",
                s.name,
                dollars(recorded),
                dollars(cost)
            ),
        );
        self.y_grid(&tick_values, step, left, w - right, |v| {
            top + plot_h * (1.0 - v / axis_max)
        });
        let base = y(0);
        // (label under the axis, class, top, bottom, key, exact value, label over the bar)
        let mut bars: Vec<(String, &str, f64, f64, String, Usd, String)> = Vec::new();
        bars.push((
            "recorded".into(),
            "wf-total",
            y(levels[0]),
            base,
            data_key(&["waterfall", &s.name, "recorded"]),
            recorded,
            dollars(recorded),
        ));
        for (i, l) in a.waterfall.iter().enumerate() {
            let (before, after) = (levels[i], levels[i + 1]);
            let saves = l.saving.0 .0 >= 0;
            bars.push((
                l.lever.clone(),
                if saves { "wf-drop" } else { "wf-rise" },
                y(before.max(after)),
                y(before.min(after)),
                data_key(&["waterfall", &s.name, "lever", &l.lever]),
                l.saving,
                if saves {
                    format!("saves {}", format_cents(shown[i]))
                } else {
                    format!("costs {}", format_cents(-shown[i]))
                },
            ));
        }
        bars.push((
            "scenario".into(),
            "wf-end",
            y(levels[levels.len() - 1]),
            base,
            data_key(&["waterfall", &s.name, "scenario"]),
            cost,
            dollars(cost),
        ));
        for (i, (label, class, y0, y1, key, value, over)) in bars.iter().enumerate() {
            let x = bar_x(i);
            // A lever that moves less than a pixel still shows as a one-pixel bar.
            let height = (y1 - y0).max(1.0);
            self.out.push_str(&format!(
                "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{}><title>{}: {} (exact {})</title></rect>\n",
                px(x),
                px(*y0),
                px(bar_w),
                px(height),
                data_attrs(key, *value),
                esc(label),
                esc(over),
                value.0.usd_exact()
            ));
            self.out.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                px(x + bar_w / 2.0),
                px(y0 - 6.0),
                esc(over)
            ));
            self.out.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                px(x + bar_w / 2.0),
                px(base + 18.0),
                esc(label)
            ));
            if i + 1 < bars.len() {
                // The level after this bar (the recorded cost, then after each lever), carried to
                // the next one.
                let level = y(levels[i]);
                self.out.push_str(&format!(
                    "<line class=\"link\" x1=\"{}\" y1=\"{l}\" x2=\"{}\" y2=\"{l}\"/>\n",
                    px(x + bar_w),
                    px(bar_x(i + 1)),
                    l = px(level)
                ));
            }
        }
        self.out.push_str(&format!(
            "<line class=\"axis\" x1=\"{}\" y1=\"{b}\" x2=\"{}\" y2=\"{b}\"/>\n</svg>\n",
            px(left),
            px(w - right),
            b = px(base)
        ));
        self.out.push_str(&format!(
            "<figcaption>Savings waterfall of scenario {}: what each lever saves when the levers are added in pipeline order ({}); a rise is a lever that costs money. Shapley shares (each lever's marginal saving averaged over every order of adding the levers) below.</figcaption>\n",
            esc(&s.name),
            esc(&a.levers.join(" > "))
        ));
        let shapley: Vec<PicoUsd> = a.shapley.iter().map(|l| l.saving.0).collect();
        let (sh, sh_total) = apportion_cents(&shapley);
        Table {
            headers: headers(&[
                ("lever", false),
                ("Shapley share", true),
                ("of saving", true),
            ]),
            rows: a
                .shapley
                .iter()
                .zip(&sh)
                .map(|(l, &c)| {
                    vec![
                        text(l.lever.clone()),
                        Cell {
                            data: Some((data_key(&["shapley", &s.name, &l.lever]), l.saving)),
                            ..cents(c)
                        },
                        num(percent(l.saving.0, a.total_saving.0)),
                    ]
                })
                .collect(),
            total: Some(vec![
                text("total"),
                cents(sh_total),
                num(percent(a.total_saving.0, a.total_saving.0)),
            ]),
        }
        .write(&mut self.out);
        self.out.push_str("</figure>\n");
    }

    /// Horizontal grid lines with money labels at `values`.
    fn y_grid(&mut self, values: &[f64], step: f64, x0: f64, x1: f64, y: impl Fn(f64) -> f64) {
        for &v in values {
            let yy = px(y(v));
            self.out.push_str(&format!(
                "<line class=\"grid\" x1=\"{}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\"/>\n<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                px(x0),
                px(x1),
                px(x0 - 6.0),
                px(y(v) + 4.0),
                esc(&money_tick(v, step))
            ));
        }
    }

    /// For each workload (baseline order), its recorded cost and each scenario's cost.
    fn workload_chart(&mut self, r: &Report) {
        let series = all_series(r);
        // Per series: workload -> (exact cost, displayed cents apportioned as in the tables).
        let mut values: Vec<BTreeMap<WorkloadId, (Usd, i128)>> = Vec::new();
        let recorded: Vec<PicoUsd> = r.by_workload.iter().map(|w| w.recorded.total.0).collect();
        let (c, _) = apportion_cents(&recorded);
        values.push(
            r.by_workload
                .iter()
                .zip(c)
                .map(|(w, c)| (workload_id(&w.key), (w.recorded.total, c)))
                .collect(),
        );
        for s in &r.scenarios {
            let costs: Vec<PicoUsd> = s.by_workload.iter().map(|w| w.cost.total.0).collect();
            let (c, _) = apportion_cents(&costs);
            values.push(
                s.by_workload
                    .iter()
                    .zip(c)
                    .map(|(w, c)| (workload_id(&w.key), (w.cost.total, c)))
                    .collect(),
            );
        }
        let hi = values
            .iter()
            .flat_map(|m| m.values().map(|(u, _)| pico(*u)))
            .max()
            .unwrap_or(0)
            .max(0);
        let (w, left, label_room) = (760.0, 12.0, 110.0);
        let plot_w = w - left - label_room;
        let x = |p: i128| {
            if hi == 0 {
                0.0
            } else {
                plot_w * dollars_f64(p.max(0)) / dollars_f64(hi)
            }
        };
        let (bar_h, bar_gap, label_h, group_gap) = (12.0, 2.0, 18.0, 10.0);
        let group_h = label_h + series.len() as f64 * (bar_h + bar_gap) + group_gap;
        let h = 8.0 + group_h * r.by_workload.len() as f64;

        self.out.push_str("<figure id=\"by-workload\">\n");
        legend(&mut self.out, &series);
        self.svg_open(w, h, "Cost by workload: recorded and under each scenario");
        let mut top = 8.0;
        for row in &r.by_workload {
            let id = workload_id(&row.key);
            let parts = workload_parts(&row.key);
            self.out.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" font-weight=\"600\">{}</text>\n",
                px(left),
                px(top + 12.0),
                esc(&row.key.label())
            ));
            let mut y = top + label_h;
            for (s, m) in series.iter().zip(&values) {
                if let Some((value, c)) = m.get(&id) {
                    let bw = x(pico(*value)).max(1.0);
                    let key = s.key("workload", &[&parts[0], &parts[1], &parts[2]]);
                    self.out.push_str(&format!(
                        "<rect class=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{}><title>{} / {}: {}</title></rect>\n<text x=\"{}\" y=\"{}\">{}</text>\n",
                        s.class(),
                        px(left),
                        px(y),
                        px(bw),
                        px(bar_h),
                        data_attrs(&key, *value),
                        esc(&row.key.label()),
                        esc(s.name),
                        esc(&format_cents(*c)),
                        px(left + bw + 4.0),
                        px(y + bar_h - 2.0),
                        esc(&format_cents(*c))
                    ));
                }
                y += bar_h + bar_gap;
            }
            top += group_h;
        }
        self.out.push_str(&format!(
            "<line class=\"axis\" x1=\"{l}\" y1=\"8.0\" x2=\"{l}\" y2=\"{}\"/>\n</svg>\n",
            px(h - group_gap),
            l = px(left)
        ));
        self.out.push_str("<figcaption>Cost by workload (team/app/feature), most expensive recorded first: the recorded cost and each scenario's cost of the same calls; labels in dollars and cents as in the tables.</figcaption>\n</figure>\n");
    }

    /// One line for the recorded baseline and one per scenario, then the same numbers as a table.
    fn daily_chart(&mut self, r: &Report) {
        let series = all_series(r);
        let days: Vec<&str> = r
            .by_day
            .iter()
            .map(|d| d.key.day.as_deref().unwrap_or(""))
            .collect();
        // Per series, per day: the exact cost and its displayed cents.
        let mut values: Vec<Vec<Option<(Usd, i128)>>> = Vec::new();
        let rec: Vec<PicoUsd> = r.by_day.iter().map(|d| d.recorded.total.0).collect();
        let (c, rec_total) = apportion_cents(&rec);
        values.push(
            r.by_day
                .iter()
                .zip(c)
                .map(|(d, c)| Some((d.recorded.total, c)))
                .collect(),
        );
        let mut totals = vec![rec_total];
        for s in &r.scenarios {
            let costs: Vec<PicoUsd> = s.by_day.iter().map(|d| d.cost.total.0).collect();
            let (c, total) = apportion_cents(&costs);
            totals.push(total);
            let by_day: BTreeMap<&str, (Usd, i128)> = s
                .by_day
                .iter()
                .zip(c)
                .map(|(d, c)| (d.key.day.as_deref().unwrap_or(""), (d.cost.total, c)))
                .collect();
            values.push(days.iter().map(|d| by_day.get(d).copied()).collect());
        }
        let hi = values
            .iter()
            .flatten()
            .flatten()
            .map(|(u, _)| pico(*u))
            .max()
            .unwrap_or(0)
            .max(0);

        let (w, h) = (760.0, 300.0);
        let (left, right, top, bottom) = (78.0, 16.0, 12.0, 36.0);
        let (plot_w, plot_h) = (w - left - right, h - top - bottom);
        let (tick_values, step) = ticks(dollars_f64(hi), 5);
        let axis_max = tick_values[tick_values.len() - 1];
        let yv = |v: f64| top + plot_h * (1.0 - v / axis_max);
        let y = |p: i128| yv(dollars_f64(p.max(0)));
        let n = days.len();
        let x = |i: usize| {
            if n == 1 {
                left + plot_w / 2.0
            } else {
                left + plot_w * i as f64 / (n - 1) as f64
            }
        };

        self.out.push_str("<figure id=\"by-day\">\n");
        legend(&mut self.out, &series);
        self.svg_open(w, h, "Daily cost (UTC): recorded and under each scenario");
        self.y_grid(&tick_values, step, left, w - right, yv);
        let every = n.div_ceil(10).max(1);
        for (i, d) in days.iter().enumerate() {
            if i % every == 0 || i + 1 == n {
                // `YYYY-MM-DD` is shown as `MM-DD`; the year is in the table below.
                let short = if d.len() == 10 { &d[5..] } else { d };
                self.out.push_str(&format!(
                    "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                    px(x(i)),
                    px(top + plot_h + 18.0),
                    esc(short)
                ));
            }
        }
        self.out.push_str(&format!(
            "<line class=\"axis\" x1=\"{}\" y1=\"{b}\" x2=\"{}\" y2=\"{b}\"/>\n",
            px(left),
            px(w - right),
            b = px(top + plot_h)
        ));
        for (k, (s, vals)) in series.iter().zip(&values).enumerate() {
            let points: Vec<String> = vals
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|(u, _)| format!("{},{}", px(x(i)), px(y(pico(u))))))
                .collect();
            let dash = DASHES[k % DASHES.len()];
            self.out.push_str(&format!(
                "<polyline class=\"line {}\"{} points=\"{}\"/>\n",
                s.class(),
                if dash.is_empty() {
                    String::new()
                } else {
                    format!(" stroke-dasharray=\"{dash}\"")
                },
                points.join(" ")
            ));
            for (i, v) in vals.iter().enumerate() {
                if let Some((u, c)) = v {
                    self.out.push_str(&format!(
                        "<circle class=\"{}\" cx=\"{}\" cy=\"{}\" r=\"2.5\"{}><title>{} {}: {}</title></circle>\n",
                        s.class(),
                        px(x(i)),
                        px(y(pico(*u))),
                        data_attrs(&s.key("day", &[days[i]]), *u),
                        esc(days[i]),
                        esc(s.name),
                        esc(&format_cents(*c))
                    ));
                }
            }
        }
        self.out.push_str("</svg>\n<figcaption>Daily cost (UTC days). Each point's value is in the table below, in dollars and cents.</figcaption>\n");
        let mut head = headers(&[("day", false), ("recorded", true)]);
        head.extend(r.scenarios.iter().map(|s| (s.name.clone(), true)));
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        for (i, d) in days.iter().enumerate() {
            let mut row = vec![text(*d)];
            for vals in &values {
                row.push(match vals[i] {
                    Some((_, c)) => cents(c),
                    None => num("-"),
                });
            }
            rows.push(row);
        }
        let mut total = vec![text("total")];
        total.extend(totals.iter().map(|&c| cents(c)));
        Table {
            headers: head,
            rows,
            total: Some(total),
        }
        .write(&mut self.out);
        self.out.push_str("</figure>\n");
    }

    /// Each scenario at (cost share of the recorded cost, quality retained).
    fn quality_chart(&mut self, r: &Report) {
        let rec = pico(r.totals.recorded.total);
        let share = |c: Usd| {
            if rec == 0 {
                0.0
            } else {
                pico(c) as f64 / rec as f64
            }
        };
        let series = all_series(r);
        // (series, exact cost, cost share, quality retained)
        let mut points: Vec<(&Series<'_>, Usd, f64, f64)> = vec![(
            &series[0],
            r.totals.recorded.total,
            share(r.totals.recorded.total),
            1.0,
        )];
        for (s, sc) in series[1..].iter().zip(&r.scenarios) {
            points.push((
                s,
                sc.totals.cost.total,
                share(sc.totals.cost.total),
                retained(sc),
            ));
        }
        let (w, h) = (760.0, 330.0);
        let (left, right, top, bottom) = (70.0, 24.0, 28.0, 44.0);
        let (plot_w, plot_h) = (w - left - right, h - top - bottom);
        let x_hi = points.iter().map(|p| p.2).fold(1.0, f64::max);
        let (x_ticks, x_step) = ticks(x_hi, 5);
        let x_max = x_ticks[x_ticks.len() - 1];
        let x = |v: f64| left + plot_w * v.max(0.0) / x_max;
        let y_lo_value = points.iter().map(|p| p.3).fold(1.0, f64::min);
        let drop = (1.0 - y_lo_value).max(0.0);
        let y_step = nice_step(drop.max(0.0004), 4);
        let y_steps = ((drop / y_step).ceil() as usize).max(1);
        let y_lo = 1.0 - y_steps as f64 * y_step;
        let y = |v: f64| top + plot_h * (1.0 - v) / (1.0 - y_lo);

        self.out.push_str("<figure id=\"cost-quality\">\n");
        self.svg_open(
            w,
            h,
            "Cost and quality: each scenario's cost share of the recorded cost against the quality it keeps",
        );
        for k in 0..=y_steps {
            let v = 1.0 - k as f64 * y_step;
            self.out.push_str(&format!(
                "<line class=\"grid\" x1=\"{}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\"/>\n<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                px(left),
                px(w - right),
                px(left - 6.0),
                px(y(v) + 4.0),
                esc(&percent_tick(v, y_step)),
                yy = px(y(v))
            ));
        }
        for &v in &x_ticks {
            self.out.push_str(&format!(
                "<line class=\"grid\" x1=\"{xx}\" y1=\"{}\" x2=\"{xx}\" y2=\"{}\"/>\n<text class=\"tick\" x=\"{xx}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                px(top),
                px(top + plot_h),
                px(top + plot_h + 16.0),
                esc(&percent_tick(v, x_step)),
                xx = px(x(v))
            ));
        }
        self.out.push_str(&format!(
            "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">cost, share of the recorded cost</text>\n<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"start\">quality retained</text>\n",
            px(left + plot_w / 2.0),
            px(h - 6.0),
            px(left - 60.0),
            px(top - 14.0)
        ));
        // Labels already placed, as boxes (x0, x1, baseline); text is about 6.6 px a character.
        let mut placed: Vec<(f64, f64, f64)> = Vec::new();
        for (s, cost, cs, q) in &points {
            let key = match s.scenario {
                None => data_key(&["quality", "recorded"]),
                Some(_) => s.key("quality", &[]),
            };
            let tooltip = format!(
                "{}: {} ({} of recorded), {:.2}% retained",
                s.name,
                dollars(*cost),
                pct(*cs),
                q * 100.0
            );
            let (cx, cy) = (x(*cs), y(*q));
            // Labels go left of points in the right half, so they stay inside the chart, and
            // move down a line while they would overlap one already placed.
            let width = 6.6 * s.name.chars().count() as f64;
            let (anchor, x0) = if cx > left + plot_w / 2.0 {
                ("end", cx - 8.0 - width)
            } else {
                ("start", cx + 8.0)
            };
            let mut baseline = cy + 4.0;
            while placed
                .iter()
                .any(|&(a, b, y)| x0 < b && a < x0 + width && (baseline - y).abs() < 13.0)
            {
                baseline += 14.0;
            }
            placed.push((x0, x0 + width, baseline));
            self.out.push_str(&format!(
                "<circle class=\"{}\" cx=\"{}\" cy=\"{}\" r=\"5\"{} data-cost-share=\"{cs:.6}\" data-quality-retained=\"{q:.6}\"><title>{}</title></circle>\n<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>\n",
                s.class(),
                px(cx),
                px(cy),
                data_attrs(&key, *cost),
                esc(&tooltip),
                px(if anchor == "end" { cx - 8.0 } else { cx + 8.0 }),
                px(baseline),
                esc(s.name)
            ));
        }
        self.out.push_str("</svg>\n");
        let mut rows = vec![vec![
            nw("recorded (baseline)"),
            num(dollars(r.totals.recorded.total)),
            num(pct(points[0].2)),
            num(r.totals.requests.to_string()),
            num("-"),
            num(format!("{:.2}%", 100.0)),
        ]];
        for (p, sc) in points[1..].iter().zip(&r.scenarios) {
            let degraded = if sc.quality.is_empty() {
                "-".to_string()
            } else {
                format!("{:.0}", expected_degraded(sc))
            };
            rows.push(vec![
                nw(format!("scenario {}", sc.name)),
                num(dollars(p.1)),
                num(pct(p.2)),
                num(sc.totals.requests.to_string()),
                num(degraded),
                num(format!("{:.2}%", p.3 * 100.0)),
            ]);
        }
        Table {
            headers: headers(&[
                ("", false),
                ("cost", true),
                ("share of recorded", true),
                ("calls", true),
                ("expected degraded", true),
                ("quality retained", true),
            ]),
            rows,
            total: None,
        }
        .write(&mut self.out);
        self.out.push_str("<figcaption>Quality retained = 1 - expected degraded answers (the quality rows' posterior means) / calls (docs/quality-risk.md). A scenario without quality rows has no modelled quality risk; output caps' truncation is not in this measure.</figcaption>\n</figure>\n");
    }

    /// The baseline tables of the other renderings: components, workloads, models.
    fn baseline(&mut self, r: &Report) {
        let t = &r.totals;
        self.out.push_str("<section>\n");
        self.h2("baseline", "Recorded baseline");
        self.h3("Recorded cost by component");
        let rc = &t.recorded;
        let components = [
            ("input (uncached)", t.tokens.input, rc.input),
            ("cache write 5m", t.tokens.cache_write_5m, rc.cache_write_5m),
            ("cache write 1h", t.tokens.cache_write_1h, rc.cache_write_1h),
            ("cache read", t.tokens.cache_read, rc.cache_read),
            ("output", t.tokens.output, rc.output),
            (
                "web search (requests)",
                t.tokens.web_search_requests,
                rc.web_search,
            ),
        ];
        Table {
            headers: headers(&[("component", false), ("tokens", true), ("cost", true)]),
            rows: components
                .iter()
                .map(|(name, n, c)| vec![text(*name), num(n.to_string()), num(dollars(*c))])
                .collect(),
            total: None,
        }
        .write(&mut self.out);
        self.p(
            Some("note"),
            "Components are rounded one by one; the total above is the exact sum rounded once.",
        );
        self.h3("By workload (team/app/feature)");
        cost_table("workload", &r.by_workload, t).write(&mut self.out);
        self.h3("By model");
        cost_table("model", &r.by_model, t).write(&mut self.out);
        self.out.push_str("</section>\n");
    }

    fn scenario(&mut self, i: usize, s: &ScenarioReport) {
        self.out.push_str("<section>\n");
        self.h2(&format!("scenario-{i}"), &format!("Scenario {}", s.name));
        self.p(None, &esc(&s.description));
        if let Some(f) = &s.fidelity {
            self.p(Some("note"), &esc(&f.sentence()));
        }
        self.p(
            Some("meta"),
            &format!(
                "file <code>{}</code>, BLAKE3 <code>{}</code>; levers in pipeline order: {}",
                esc(&s.file),
                esc(&s.blake3),
                esc(&if s.levers.is_empty() {
                    "none".to_string()
                } else {
                    s.levers.join(" > ")
                })
            ),
        );
        self.h3("By workload");
        scenario_workloads(s).write(&mut self.out);
        let notes = decision_notes(&s.totals);
        self.p(
            None,
            &if notes.is_empty() {
                "Lever decisions: none.".to_string()
            } else {
                format!("Lever decisions: {}.", esc(&notes))
            },
        );
        if !s.quality.is_empty() {
            self.h3(&format!("Quality risk of {}", s.name));
            quality_table(&s.quality).write(&mut self.out);
            self.p(
                Some("note"),
                &format!(
                    "P(degraded): posterior mean [90% credible interval] that a routed answer is worse than the original (docs/quality-risk.md); shadow evals: how many more would bound it below {} with 95% confidence at the current estimate.",
                    esc(&pct(s.quality[0].risk_target))
                ),
            );
        }
        if let Some(a) = &s.attribution {
            self.h3(&format!("Lever attribution of {}", s.name));
            attribution_table(a).write(&mut self.out);
            self.p(
                Some("note"),
                &format!(
                    "Waterfall: what each lever adds in pipeline order; Shapley: its marginal saving averaged over every order of adding the levers (docs/attribution.md); both add up to the saving. <a href=\"#waterfall-{i}\">Chart</a>.",
                ),
            );
        }
        self.out.push_str("</section>\n");
    }

    fn batch_candidates(&mut self, rows: &[BatchCandidate]) {
        if rows.is_empty() {
            return;
        }
        self.out.push_str("<section>\n");
        self.h2("batch", "Batch candidates");
        Table {
            headers: headers(&[
                ("workload", false),
                ("grade", false),
                ("calls", true),
                ("busiest window", false),
                ("in window", true),
                ("days", true),
                ("movable", true),
                ("batch saving", true),
                ("of workload", true),
            ]),
            rows: rows
                .iter()
                .map(|c| {
                    vec![
                        nw(c.key.label()),
                        text(c.grade.clone()),
                        num(c.calls.to_string()),
                        text(format!("{} UTC", c.window)),
                        num(pct(c.concentration)),
                        num(format!("{}/{}", c.days_in_window, c.days_active)),
                        num(c.movable.to_string()),
                        num(dollars(c.saving)),
                        num(pct(c.saving_share)),
                    ]
                })
                .collect(),
            total: None,
        }
        .write(&mut self.out);
        self.out.push_str("<ul class=\"note\">\n");
        for c in rows {
            self.out.push_str(&format!(
                "<li>{}: {}</li>\n",
                esc(&c.key.label()),
                esc(&c.evidence)
            ));
        }
        self.out.push_str("</ul>\n");
        self.p(
            Some("note"),
            "Batch detection: docs/batch.md. Savings are rounded one by one.",
        );
        self.out.push_str("</section>\n");
    }

    fn cache_headroom(&mut self, all: &[CacheHeadroom]) {
        if all.is_empty() {
            return;
        }
        self.out.push_str("<section>\n");
        self.h2("headroom", "Cache headroom");
        for hr in all {
            self.h3(&format!(
                "{} minus the hindsight bound {}",
                hr.auto, hr.optimal
            ));
            headroom_table(hr).write(&mut self.out);
        }
        self.out.push_str("</section>\n");
    }

    fn footer(&mut self, r: &Report) {
        self.out.push_str("<footer>\n");
        if r.sorted_mode {
            self.p(
                Some("note"),
                "The corpus was out of time order inside a cache scope; the cache stage sorted it (a second read).",
            );
        }
        self.p(
            Some("note"),
            "Money is shown in dollars and cents: each table's money column is apportioned (largest remainder) so its rows add up to its total row, the exact total rounded half to even. The exact amounts (twelve decimals) are in the JSON report and in each chart element's data-value.",
        );
        self.out.push_str("</footer>\n</main>\n</body>\n</html>\n");
    }
}

/// Quality retained by a scenario: 1 - expected degraded answers / calls.
fn retained(s: &ScenarioReport) -> f64 {
    if s.totals.requests == 0 {
        return 1.0;
    }
    1.0 - expected_degraded(s) / s.totals.requests as f64
}

/// The sum of a scenario's expected degraded answers (posterior means), in row order from `0.0`
/// (`Sum` for `f64` starts at `-0.0`, which would print as `-0`).
fn expected_degraded(s: &ScenarioReport) -> f64 {
    s.quality
        .iter()
        .fold(0.0, |sum, q| sum + q.expected_degraded.mean)
}

/// The terminal's cost table: tokens, recorded, reference, saving against the reference.
fn cost_table(first: &str, rows: &[Row], total: &Row) -> Table {
    let (rec, rec_total) =
        apportion_cents(&rows.iter().map(|r| r.recorded.total.0).collect::<Vec<_>>());
    let (refc, ref_total) =
        apportion_cents(&rows.iter().map(|r| r.reference.0).collect::<Vec<_>>());
    let cells = |label: String, r: &Row, rec: i128, refc: i128| {
        vec![
            nw(label),
            num(r.requests.to_string()),
            num(compact(r.tokens.input)),
            num(compact(r.tokens.cache_write_5m + r.tokens.cache_write_1h)),
            num(compact(r.tokens.cache_read)),
            num(compact(r.tokens.output)),
            cents(rec),
            cents(refc),
            cents(refc - rec),
        ]
    };
    Table {
        headers: headers(&[
            (first, false),
            ("requests", true),
            ("input", true),
            ("cache write", true),
            ("cache read", true),
            ("output", true),
            ("recorded", true),
            ("reference", true),
            ("saving vs ref", true),
        ]),
        rows: rows
            .iter()
            .zip(rec.iter().zip(&refc))
            .map(|(r, (&a, &b))| cells(r.key.label(), r, a, b))
            .collect(),
        total: Some(cells("total".into(), total, rec_total, ref_total)),
    }
}

/// A scenario's workloads: the columns of the terminal's scenario table, cents apportioned.
fn scenario_workloads(s: &ScenarioReport) -> Table {
    let rows: Vec<&ScenarioRow> = s.by_workload.iter().collect();
    let (rec, rec_total) = apportion_cents(
        &rows
            .iter()
            .map(|r| r.recorded.unwrap_or_default().0)
            .collect::<Vec<_>>(),
    );
    let (cost, cost_total) =
        apportion_cents(&rows.iter().map(|r| r.cost.total.0).collect::<Vec<_>>());
    let cells = |label: String, r: &ScenarioRow, rec: i128, cost: i128| {
        vec![
            nw(label),
            num(r.requests.to_string()),
            cents(rec),
            cents(cost),
            cents(rec - cost),
            num(percent(PicoUsd(rec - cost), PicoUsd(rec))),
        ]
    };
    Table {
        headers: headers(&[
            ("workload", false),
            ("requests", true),
            ("recorded", true),
            ("scenario", true),
            ("saving", true),
            ("saving %", true),
        ]),
        rows: rows
            .iter()
            .zip(rec.iter().zip(&cost))
            .map(|(r, (&a, &b))| cells(r.key.label(), r, a, b))
            .collect(),
        total: Some(cells("total".into(), &s.totals, rec_total, cost_total)),
    }
}

fn quality_table(rows: &[QualityRow]) -> Table {
    Table {
        headers: headers(&[
            ("workload", false),
            ("change", false),
            ("task", false),
            ("calls", true),
            ("refused", true),
            ("P(degraded) [90% CI]", true),
            ("evidence", false),
            ("expected degraded", true),
            ("shadow evals", true),
        ]),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    nw(r.key.label()),
                    // Model ids do not break at their hyphens; the move breaks at its arrow.
                    Cell {
                        html: true,
                        ..text(if r.lever == "context_trim" {
                            format!("context trim on <span class=\"nw\">{}</span>", esc(&r.from))
                        } else {
                            format!(
                                "<span class=\"nw\">{}</span> &gt; <span class=\"nw\">{}</span>",
                                esc(&r.from),
                                esc(&r.to)
                            )
                        })
                    },
                    text(r.task.clone()),
                    num(r.routed.to_string()),
                    num(r.rejected.to_string()),
                    num(format!(
                        "{} [{}, {}]",
                        pct(r.degradation.mean),
                        pct(r.degradation.lo),
                        pct(r.degradation.hi)
                    )),
                    text(
                        format!("{} ({} failed)", r.evidence, r.eval_failures)
                            .replace("prior only (0 failed)", "prior only"),
                    ),
                    num(format!(
                        "{:.0} [{:.0}, {:.0}]",
                        r.expected_degraded.mean, r.expected_degraded.lo, r.expected_degraded.hi
                    )),
                    num(r.shadow_evals_needed.clone()),
                ]
            })
            .collect(),
        total: None,
    }
}

/// The terminal's attribution table: waterfall and Shapley columns, each apportioned.
fn attribution_table(a: &Attribution) -> Table {
    let (w, w_total) = apportion_cents(&a.waterfall.iter().map(|x| x.saving.0).collect::<Vec<_>>());
    let (sh, _) = apportion_cents(&a.shapley.iter().map(|x| x.saving.0).collect::<Vec<_>>());
    Table {
        headers: headers(&[
            ("lever", false),
            ("waterfall (pipeline order)", true),
            ("Shapley share", true),
            ("of saving", true),
        ]),
        rows: a
            .waterfall
            .iter()
            .zip(&a.shapley)
            .zip(w.iter().zip(&sh))
            .map(|((wl, s), (&wc, &sc))| {
                vec![
                    text(wl.lever.clone()),
                    cents(wc),
                    cents(sc),
                    num(percent(s.saving.0, a.total_saving.0)),
                ]
            })
            .collect(),
        total: Some(vec![
            text("total"),
            cents(w_total),
            cents(w_total),
            num(percent(a.total_saving.0, a.total_saving.0)),
        ]),
    }
}

fn headroom_table(hr: &CacheHeadroom) -> Table {
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
            nw(label),
            cents(a),
            cents(o),
            cents(a - o),
            num(percent(PicoUsd(a - o), PicoUsd(a))),
        ]
    };
    Table {
        headers: headers(&[
            ("workload", false),
            ("auto", true),
            ("optimal", true),
            ("headroom", true),
            ("headroom %", true),
        ]),
        rows: hr
            .by_workload
            .iter()
            .zip(auto.iter().zip(&opt))
            .map(|(r, (&a, &o))| cells(r.key.label(), a, o))
            .collect(),
        total: Some(cells("total".into(), auto_total, opt_total)),
    }
}
