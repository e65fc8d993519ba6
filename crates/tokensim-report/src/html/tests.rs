//! Tests of the HTML page: self-contained, exact chart values, escaping, determinism.
//!
//! The page of a real run is checked end to end by `scripts/check_html.py` (every keyed chart
//! value against the JSON of the same run, and a headless Chromium render when one is
//! installed): see `tests/it/html.rs` and `cargo xtask reports`.

use super::render_html;
use crate::model::{
    Attribution, BatchCandidate, CacheHeadroom, CorpusSection, CostBreakdown, FileSection,
    HeadroomRow, Interval, LeverShare, QualityRow, ReferenceSection, Report, Row, RowKey,
    ScenarioReport, ScenarioRow, Usd,
};

/// The workload whose name needs escaping.
const EVIL: &str = "<b>&\"x'";

fn usd(s: &str) -> Usd {
    serde_json::from_value(serde_json::Value::String(s.into())).expect("an exact USD amount")
}

fn workload(team: &str, app: &str, feature: &str) -> RowKey {
    RowKey {
        team: Some(team.into()),
        app: Some(app.into()),
        feature: Some(feature.into()),
        ..RowKey::default()
    }
}

fn day(d: &str) -> RowKey {
    RowKey {
        day: Some(d.into()),
        ..RowKey::default()
    }
}

fn row(key: RowKey, requests: u64, recorded: &str, reference: &str) -> Row {
    let (rec, refc) = (usd(recorded), usd(reference));
    Row {
        key,
        requests,
        recorded: CostBreakdown {
            input: rec,
            total: rec,
            ..CostBreakdown::default()
        },
        reference: refc,
        saving_vs_reference: Usd(refc.0 - rec.0),
        ..Row::default()
    }
}

fn scenario_row(key: RowKey, requests: u64, recorded: &str, cost: &str) -> ScenarioRow {
    let (rec, c) = (usd(recorded), usd(cost));
    ScenarioRow {
        key,
        requests,
        cost: CostBreakdown {
            input: c,
            total: c,
            ..CostBreakdown::default()
        },
        recorded: Some(rec),
        saving_vs_recorded: Some(Usd(rec.0 - c.0)),
        ..ScenarioRow::default()
    }
}

fn share(lever: &str, saving: &str) -> LeverShare {
    LeverShare {
        lever: lever.into(),
        saving: usd(saving),
    }
}

/// Two workloads (one to escape, one with `/` and `%` in its parts), two days, a scenario with
/// two levers (one saves, one costs), a plain scenario, quality, batch and headroom rows.
fn fixture() -> Report {
    let w1 = workload(EVIL, "app", "feat");
    let w2 = workload("search", "web/api", "answer%");
    let mut r = Report {
        schema: crate::model::REPORT_SCHEMA.into(),
        corpus: CorpusSection {
            files: vec![FileSection {
                path: "corpora/<x>&y.jsonl".into(),
                records: 300,
                priced: 300,
                ..FileSection::default()
            }],
            records_read: 300,
            priced: 300,
            first_ts: Some("2026-03-01T00:00:00Z".into()),
            last_ts: Some("2026-03-02T23:59:59Z".into()),
            ..CorpusSection::default()
        },
        reference: ReferenceSection {
            model: Some("claude-opus-4-6".into()),
            chosen_by: "most-expensive-in-corpus".into(),
            rule: "the corpus model with the highest output price".into(),
        },
        totals: row(RowKey::default(), 300, "100.623456789012", "140"),
        by_workload: vec![
            row(w1.clone(), 200, "60.123456789012", "90"),
            row(w2.clone(), 100, "40.5", "50"),
        ],
        by_day: vec![
            row(day("2026-03-01"), 150, "50.3", "70"),
            row(day("2026-03-02"), 150, "50.323456789012", "70"),
        ],
        ..Report::default()
    };
    r.by_model = vec![Row {
        key: RowKey {
            model: Some("claude-opus-4-6".into()),
            ..RowKey::default()
        },
        ..r.totals.clone()
    }];
    let mix = ScenarioReport {
        name: "mix".into(),
        description: "Route & re-cache".into(),
        file: "scenarios/mix.toml".into(),
        levers: vec!["route".into(), "cache".into()],
        totals: scenario_row(
            RowKey::default(),
            300,
            "100.623456789012",
            "40.773456789013",
        ),
        by_workload: vec![
            scenario_row(w1.clone(), 200, "60.123456789012", "20"),
            scenario_row(w2.clone(), 100, "40.5", "20.773456789013"),
        ],
        by_day: vec![
            scenario_row(day("2026-03-01"), 150, "50.3", "20.4"),
            scenario_row(day("2026-03-02"), 150, "50.323456789012", "20.373456789013"),
        ],
        quality: vec![QualityRow {
            key: w1.clone(),
            lever: "route".into(),
            from: "claude-opus-4-6".into(),
            to: "claude-haiku-5-5".into(),
            task: "chat".into(),
            routed: 120,
            evidence: "prior only".into(),
            degradation: Interval {
                mean: 0.025,
                lo: 0.01,
                hi: 0.05,
            },
            expected_degraded: Interval {
                mean: 3.0,
                lo: 1.2,
                hi: 6.0,
            },
            risk_target: 0.05,
            shadow_evals_needed: "40".into(),
            ..QualityRow::default()
        }],
        attribution: Some(Attribution {
            levers: vec!["route".into(), "cache".into()],
            total_saving: usd("59.849999999999"),
            waterfall: vec![
                share("route", "60.100000000001"),
                share("cache", "-0.250000000002"),
            ],
            shapley: vec![share("route", "60.05"), share("cache", "-0.200000000001")],
            ..Attribution::default()
        }),
        ..ScenarioReport::default()
    };
    let mut plain = mix.clone();
    plain.name = "plain".into();
    plain.attribution = None;
    plain.quality.clear();
    r.scenarios = vec![mix, plain];
    r.batch_candidates = vec![BatchCandidate {
        key: w1.clone(),
        grade: "high".into(),
        calls: 200,
        window: "02:00-04:00".into(),
        saving: usd("12.5"),
        evidence: "nightly <cron> & async".into(),
        ..BatchCandidate::default()
    }];
    r.cache_headroom = vec![CacheHeadroom {
        auto: "mix".into(),
        optimal: "opt".into(),
        totals: HeadroomRow::default(),
        by_workload: vec![HeadroomRow {
            key: w1,
            auto_cost: usd("20"),
            optimal_cost: usd("19.5"),
            headroom: usd("0.5"),
        }],
    }];
    r
}

/// Undoes [`super::esc`] for an attribute value.
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every `(data-key, data-value)` pair of the page, in document order, unescaped.
fn data_values(html: &str) -> Vec<(String, String)> {
    let attr = |tag: &str, name: &str| {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let len = tag[start..].find('"')?;
        Some(unescape(&tag[start..start + len]))
    };
    html.split('<')
        .filter_map(|tag| {
            let tag = &tag[..tag.find('>')?];
            let value = attr(tag, "data-value")?;
            let key = attr(tag, "data-key").expect("every data-value has a data-key");
            Some((key, value))
        })
        .collect()
}

#[test]
fn the_page_is_self_contained() {
    let html = render_html(&fixture());
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.ends_with("</html>\n"));
    for banned in [
        "http://", "https://", "<script", " src=", "url(", "@import", "<link",
    ] {
        assert!(!html.contains(banned), "the page contains {banned:?}");
    }
    let hrefs: Vec<&str> = html.split(" href=\"").skip(1).collect();
    assert!(!hrefs.is_empty(), "the page has its navigation");
    for h in hrefs {
        assert!(h.starts_with('#'), "a link leaves the page: {}", &h[..20]);
    }
    // One chart of each kind: a waterfall (only `mix` has an attribution), workloads, days,
    // cost-quality; each with a title.
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 4);
    assert_eq!(html.matches("<title id=\"chart-").count(), 4);
}

#[test]
fn waterfall_values_are_the_models_and_add_up() {
    let report = fixture();
    let html = render_html(&report);
    let waterfall: Vec<(String, String)> = data_values(&html)
        .into_iter()
        .filter(|(k, _)| k.starts_with("waterfall/"))
        .collect();
    let s = &report.scenarios[0];
    let a = s.attribution.as_ref().unwrap();
    let mut expected = vec![(
        "waterfall/mix/recorded".to_string(),
        s.totals.recorded.unwrap().0.usd_exact(),
    )];
    for l in &a.waterfall {
        expected.push((
            format!("waterfall/mix/lever/{}", l.lever),
            l.saving.0.usd_exact(),
        ));
    }
    expected.push((
        "waterfall/mix/scenario".to_string(),
        s.totals.cost.total.0.usd_exact(),
    ));
    assert_eq!(waterfall, expected);
    assert_eq!(expected[1].1, "60.100000000001");
    assert_eq!(expected[2].1, "-0.250000000002");

    // The bars, read back from the page, go from the recorded cost to the scenario's exactly.
    let values: Vec<i128> = waterfall.iter().map(|(_, v)| usd(v).0 .0).collect();
    let levers: i128 = values[1..values.len() - 1].iter().sum();
    assert_eq!(values[0] - levers, values[values.len() - 1]);

    // Visible labels in dollars and cents; a lever that costs money is a rise.
    for label in [">$100.62<", ">saves $60.10<", ">costs $0.25<", ">$40.77<"] {
        assert!(html.contains(label), "missing label {label}");
    }
    assert_eq!(html.matches("<rect class=\"wf-drop\"").count(), 1);
    assert_eq!(html.matches("<rect class=\"wf-rise\"").count(), 1);

    let shapley: Vec<(String, String)> = data_values(&html)
        .into_iter()
        .filter(|(k, _)| k.starts_with("shapley/"))
        .collect();
    assert_eq!(
        shapley,
        [
            (
                "shapley/mix/route".to_string(),
                "60.050000000000".to_string()
            ),
            (
                "shapley/mix/cache".to_string(),
                "-0.200000000001".to_string()
            ),
        ]
    );
}

#[test]
fn every_chart_value_is_exact_and_keyed() {
    let report = fixture();
    let values = data_values(&render_html(&report));
    let find = |key: &str| {
        let hits: Vec<&String> = values
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v)
            .collect();
        assert_eq!(hits.len(), 1, "{key}: {hits:?}");
        hits[0].clone()
    };
    // `/` and `%` inside a workload part are percent-encoded, so keys split on `/`.
    assert_eq!(
        find("workload/recorded/search/web%2Fapi/answer%25"),
        "40.500000000000"
    );
    assert_eq!(
        find("workload/scenario/plain/search/web%2Fapi/answer%25"),
        "20.773456789013"
    );
    assert_eq!(
        find(&format!("workload/scenario/mix/{EVIL}/app/feat")),
        "20.000000000000"
    );
    assert_eq!(find("day/recorded/2026-03-02"), "50.323456789012");
    assert_eq!(find("day/scenario/mix/2026-03-02"), "20.373456789013");
    assert_eq!(find("quality/recorded"), "100.623456789012");
    assert_eq!(find("quality/scenario/mix"), "40.773456789013");
    // 2 workloads x 3 series, 2 days x 3 series, 3 points, 4 waterfall bars, 2 Shapley cells.
    assert_eq!(values.len(), 6 + 6 + 3 + 4 + 2);
    // 1 - 3 expected degraded / 300 calls.
    let html = render_html(&report);
    assert!(html.contains("data-quality-retained=\"0.990000\""));
    assert!(html.contains("data-cost-share=\"0.405208\""));
}

#[test]
fn data_strings_are_escaped() {
    let mut report = fixture();
    // Model ids are written inside markup of their own in the quality table.
    report.scenarios[0].quality[0].to = "haiku<i>".into();
    let html = render_html(&report);
    assert!(!html.contains(EVIL));
    assert!(!html.contains("<b>"), "a workload name became markup");
    assert!(!html.contains("<x>") && !html.contains("<cron>") && !html.contains("<i>"));
    assert!(html.contains("<span class=\"nw\">haiku&lt;i&gt;</span>"));
    assert!(html.contains("&lt;b&gt;&amp;&quot;x&#39;/app/feat"));
    assert!(html.contains("corpora/&lt;x&gt;&amp;y.jsonl"));
    assert!(html.contains("nightly &lt;cron&gt; &amp; async"));
    assert!(html.contains("Route &amp; re-cache"));
}

#[test]
fn the_page_is_deterministic() {
    let report = fixture();
    let html = render_html(&report);
    assert_eq!(html, render_html(&report));
    // The JSON form renders to the same bytes: every number the page shows is in it.
    let back: Report = serde_json::from_str(&crate::to_json(&report)).unwrap();
    assert_eq!(html, render_html(&back));
}

#[test]
fn an_empty_report_renders() {
    let html = render_html(&Report::default());
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.ends_with("</html>\n"));
    assert!(!html.contains("<svg"), "no data, no charts");
    assert!(html.contains("none (nothing was priced)"));
}

#[test]
fn tables_match_the_terminal_rendering() {
    let report = fixture();
    let html = render_html(&report);
    let md = crate::render(&report, crate::Markup::Markdown);
    // The same decisions and summary numbers as the Markdown rendering.
    for s in ["$100.62", "$140.00", "$40.77", "$59.85", "59.5%", "29.1%"] {
        assert!(md.contains(s), "{s} not in the Markdown");
        assert!(html.contains(&format!(">{s}<")), "{s} not in the page");
    }
    assert!(
        html.contains("<td class=\"num\">$60.12</td>"),
        "numbers are right-aligned"
    );
}
