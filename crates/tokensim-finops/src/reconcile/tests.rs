//! Tests: a corpus written by hand, priced with the catalog into cost report pages built in the
//! test (so the expected amounts are computed, never pasted), then altered.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Value};
use tokensim_corpus::{parse_line, Day, Line, Position, Record, ServiceTier};
use tokensim_pricing::money::{div_round_half_even, PICO_PER_CENT};
use tokensim_pricing::{Catalog, PicoUsd};

use super::*;

/// A directory under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("tokensim-reconcile-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One corpus line.
#[allow(clippy::too_many_arguments)]
fn rec(
    ts: &str,
    model: &str,
    workspace: Option<&str>,
    input: u64,
    output: u64,
    w5: u64,
    w1: u64,
    read: u64,
    searches: u64,
    extra: &str,
) -> String {
    let ws = workspace.map_or(String::new(), |w| format!(r#""workspace":"{w}","#));
    format!(
        r#"{{"ts":"{ts}","model":"{model}",{ws}{extra}"usage":{{"input_tokens":{input},"output_tokens":{output},"cache_creation_input_tokens":{},"cache_read_input_tokens":{read},"cache_creation":{{"ephemeral_5m_input_tokens":{w5},"ephemeral_1h_input_tokens":{w1}}},"server_tool_use":{{"web_search_requests":{searches}}}}}}}"#,
        w5 + w1
    )
}

const SONNET: &str = "claude-sonnet-4-5-20250929";
const HAIKU: &str = "claude-haiku-4-5";
const OPUS: &str = "claude-opus-4-6";

/// Three days, two workspaces (`prod` and the default), three models, batch, US residency, cache
/// writes of both TTLs, cache reads and web searches.
fn corpus_lines() -> Vec<String> {
    let mut v = vec![r#"{"schema":"tokensim.corpus/1"}"#.to_owned()];
    for (d, day) in ["2026-11-02", "2026-11-03", "2026-11-04"]
        .iter()
        .enumerate()
    {
        let k = d as u64 + 1;
        v.push(rec(
            &format!("{day}T09:15:04.120Z"),
            SONNET,
            Some("prod"),
            310 * k,
            220,
            2_000,
            0,
            4_096,
            0,
            "",
        ));
        v.push(rec(
            &format!("{day}T10:00:00Z"),
            SONNET,
            Some("prod"),
            1_000,
            800 * k,
            0,
            5_000,
            12_000,
            2,
            r#""service_tier":"batch","#,
        ));
        v.push(rec(
            &format!("{day}T11:30:00+02:00"),
            HAIKU,
            Some("prod"),
            5_000,
            300,
            0,
            0,
            0,
            0,
            "",
        ));
        v.push(rec(
            &format!("{day}T18:00:00Z"),
            HAIKU,
            None,
            700 * k,
            90,
            1_024,
            0,
            0,
            0,
            "",
        ));
        v.push(rec(
            &format!("{day}T23:59:59.999Z"),
            OPUS,
            None,
            2_500,
            1_500 * k,
            0,
            0,
            30_000,
            1,
            r#""inference_geo":"us","#,
        ));
    }
    v
}

fn corpus_text(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

/// The records of corpus lines, parsed as the reader would.
fn records(lines: &[String]) -> Vec<Record> {
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let pos = Position {
                file: 0,
                line: i as u64 + 1,
            };
            match parse_line(l, pos, i == 0).unwrap() {
                Line::Header => None,
                Line::Record(r) => Some(*r),
            }
        })
        .collect()
}

/// Exact cents text of an amount: `PicoUsd(1_237_891_200_000)` is `"123.78912"`.
fn cents_text(a: PicoUsd) -> String {
    let sign = if a.0 < 0 { "-" } else { "" };
    let v = a.0.unsigned_abs();
    let (int, frac) = (v / PICO_PER_CENT as u128, v % PICO_PER_CENT as u128);
    let frac = format!("{frac:010}");
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

/// One invoice result before it is written.
#[derive(Clone)]
struct Billed {
    day: Day,
    workspace_id: Option<String>,
    model: Option<String>,
    cost_type: Option<&'static str>,
    token_type: Option<&'static str>,
    tier: Option<&'static str>,
    amount: PicoUsd,
}

/// Prices the records with the catalog and sums them the way the cost report does, grouped by
/// workspace and description: per day, workspace, model, service tier, cost type and token type.
/// `prod` is billed as `wrkspc_prod`, the default workspace as `null`, Sonnet under its dated id.
fn bill(records: &[Record], catalog: &Catalog) -> Vec<Billed> {
    type Key = (
        Day,
        Option<String>,
        String,
        &'static str,
        &'static str,
        Option<&'static str>,
    );
    let mut sums: BTreeMap<Key, PicoUsd> = BTreeMap::new();
    for r in records {
        let id = catalog.resolve(&r.model).unwrap();
        let cost = price_as_recorded(r, id, catalog).unwrap();
        let ws = r.workspace.as_ref().map(|w| format!("wrkspc_{w}"));
        let model = if catalog.model(id).id == "claude-sonnet-4-5" {
            SONNET.to_owned()
        } else {
            catalog.model(id).id.clone()
        };
        let tier = if r.service_tier == ServiceTier::Batch {
            "batch"
        } else {
            "standard"
        };
        for (cost_type, token_type, amount) in [
            ("tokens", Some("uncached_input_tokens"), cost.input),
            (
                "tokens",
                Some("cache_creation.ephemeral_5m_input_tokens"),
                cost.cache_write_5m,
            ),
            (
                "tokens",
                Some("cache_creation.ephemeral_1h_input_tokens"),
                cost.cache_write_1h,
            ),
            ("tokens", Some("cache_read_input_tokens"), cost.cache_read),
            ("tokens", Some("output_tokens"), cost.output),
            ("web_search", None, cost.web_search),
        ] {
            if amount != PicoUsd::ZERO {
                *sums
                    .entry((
                        r.ts.day(),
                        ws.clone(),
                        model.clone(),
                        tier,
                        cost_type,
                        token_type,
                    ))
                    .or_default() += amount;
            }
        }
    }
    sums.into_iter()
        .map(
            |((day, workspace_id, model, tier, cost_type, token_type), amount)| Billed {
                day,
                workspace_id,
                model: Some(model),
                cost_type: Some(cost_type),
                token_type,
                tier: Some(tier),
                amount,
            },
        )
        .collect()
}

/// One page per day in `days` (a day with nothing billed is an empty bucket), pretty-printed as
/// the API returns them, concatenated.
fn pages(billed: &[Billed], days: &[Day]) -> String {
    let mut out = String::new();
    for (i, &day) in days.iter().enumerate() {
        let results: Vec<Value> = billed
            .iter()
            .filter(|b| b.day == day)
            .map(|b| {
                json!({
                    "amount": cents_text(b.amount),
                    "context_window": b.model.as_ref().map(|_| "0-200k"),
                    "cost_type": b.cost_type,
                    "currency": "USD",
                    "description": b.model.as_ref().map(|m| format!("{m} usage - {}", b.token_type.or(b.cost_type).unwrap_or(""))),
                    "inference_geo": b.model.as_ref().map(|_| "global"),
                    "model": b.model,
                    "service_tier": b.tier,
                    "token_type": b.token_type,
                    "workspace_id": b.workspace_id,
                })
            })
            .collect();
        let page = json!({
            "data": [{
                "starting_at": format!("{day}T00:00:00Z"),
                "ending_at": format!("{}T00:00:00Z", Day(day.0 + 1)),
                "results": results,
            }],
            "has_more": i + 1 < days.len(),
            "next_page": if i + 1 < days.len() { Value::String(format!("page_{}", i + 1)) } else { Value::Null },
        });
        out.push_str(&serde_json::to_string_pretty(&page).unwrap());
        out.push('\n');
    }
    out
}

fn days() -> Vec<Day> {
    ["2026-11-02", "2026-11-03", "2026-11-04"]
        .iter()
        .map(|d| Day::parse(d).unwrap())
        .collect()
}

fn opts() -> ReconcileOptions {
    ReconcileOptions {
        workspaces: [("wrkspc_prod".to_owned(), "prod".to_owned())].into(),
    }
}

fn report_of(text: &str) -> CostReport {
    read_cost_report([("pages.json".to_owned(), text.as_bytes())]).unwrap()
}

/// Reads `lines` as a corpus file and compares it with the pages.
fn run(name: &str, lines: &[String], pages_text: &str) -> Reconciliation {
    let dir = Scratch::new(name);
    let corpus = dir.write("corpus.jsonl", &corpus_text(lines));
    let catalog = Catalog::builtin();
    let baseline = read_baseline(&[corpus], &catalog).unwrap();
    reconcile(&report_of(pages_text), &baseline, &catalog, &opts())
}

fn assert_rows_add_up(rec: &Reconciliation) {
    let inv: PicoUsd = rec.rows.iter().map(|r| r.invoice.0).sum();
    let cor: PicoUsd = rec.rows.iter().map(|r| r.corpus.0).sum();
    let diff: PicoUsd = rec.rows.iter().map(|r| r.difference.0).sum();
    assert_eq!(inv, rec.totals.invoice.0);
    assert_eq!(cor, rec.totals.corpus.0);
    assert_eq!(diff, rec.totals.difference.0);
    let by_cause: PicoUsd = rec.by_cause.iter().map(|c| c.difference.0).sum();
    assert_eq!(by_cause, rec.totals.difference.0);
    for r in &rec.rows {
        let parts: PicoUsd = r.components.iter().map(|c| c.difference.0).sum();
        assert_eq!(parts, r.difference.0, "{r:?}");
    }
}

#[test]
fn amounts_parse_exactly_from_cents() {
    assert_eq!(parse_cents("0.00001"), Ok((PicoUsd(100_000), false)));
    assert_eq!(
        parse_cents("123.78912"),
        Ok((PicoUsd(1_237_891_200_000), false))
    );
    assert_eq!(parse_cents("-5"), Ok((PicoUsd(-50_000_000_000), false)));
    assert_eq!(parse_cents("0"), Ok((PicoUsd(0), false)));
    assert_eq!(parse_cents("007.50"), Ok((PicoUsd(75_000_000_000), false)));
    // Ten decimals of a cent is one pico-dollar.
    assert_eq!(parse_cents("0.0000000001"), Ok((PicoUsd(1), false)));
    assert_eq!(
        parse_cents("1.00000000000000"),
        Ok((PicoUsd(PICO_PER_CENT), false))
    );
    // Finer digits round half to even, and say so.
    assert_eq!(parse_cents("0.00000000005"), Ok((PicoUsd(0), true)));
    assert_eq!(parse_cents("0.00000000015"), Ok((PicoUsd(2), true)));
    assert_eq!(parse_cents("0.000000000051"), Ok((PicoUsd(1), true)));
    assert_eq!(parse_cents("0.00000000014999"), Ok((PicoUsd(1), true)));
    assert_eq!(parse_cents("-0.00000000015"), Ok((PicoUsd(-2), true)));
    assert_eq!(
        parse_cents("0.30000000000000004"),
        Ok((PicoUsd(3_000_000_000), true))
    );
    for bad in [
        "", "12,5", "1e3", "+1", ".5", "5.", " 1", "1 ", "0x10", "1.2.3", "-", "--1", "NaN",
        "1_000",
    ] {
        assert!(parse_cents(bad).is_err(), "{bad:?}");
    }
    assert!(parse_cents("1234567890123456").is_err());
    assert!(parse_cents("000000000000000000123456789012345").is_ok());
}

#[test]
fn an_exact_report_reconciles_to_zero() {
    let lines = corpus_lines();
    let catalog = Catalog::builtin();
    let billed = bill(&records(&lines), &catalog);
    let rec = run("exact", &lines, &pages(&billed, &days()));
    assert_rows_add_up(&rec);
    assert!(rec.totals.invoice.0 > PicoUsd::ZERO);
    assert_eq!(rec.totals.difference.0, PicoUsd::ZERO);
    assert_eq!(rec.totals.share, Some(0.0));
    assert!(rec.findings.is_empty(), "{:?}", rec.findings);
    assert!(rec.uniform_ratio.is_none());
    // 3 days x (prod: sonnet, haiku; default: haiku, opus).
    assert_eq!(rec.rows.len(), 12);
    for r in &rec.rows {
        assert_eq!(r.difference.0, PicoUsd::ZERO, "{r:?}");
        assert!(r.causes.is_empty() && r.differs_in.is_empty(), "{r:?}");
        assert!(r.records > 0 && r.invoice_lines > 0);
        assert!(matches!(
            r.model,
            RowModel::Model {
                in_catalog: true,
                ..
            }
        ));
    }
    // The dated id on the invoice resolved to the canonical one.
    assert!(rec.rows.iter().any(|r| r.model
        == RowModel::Model {
            id: "claude-sonnet-4-5".into(),
            in_catalog: true
        }));
    assert_eq!(rec.by_cause.len(), 1);
    assert_eq!(rec.by_cause[0].cause, "none");
    assert_eq!(rec.invoice.pages, 3);
    assert_eq!(rec.corpus.records, 15);
}

#[test]
fn a_day_missing_from_the_corpus_is_flagged_with_its_exact_amount() {
    let lines = corpus_lines();
    let catalog = Catalog::builtin();
    let billed = bill(&records(&lines), &catalog);
    let missing = Day::parse("2026-11-03").unwrap();
    let day_total: PicoUsd = billed
        .iter()
        .filter(|b| b.day == missing)
        .map(|b| b.amount)
        .sum();
    // The corpus without the day's records (one of them is written at 11:30+02:00, which is
    // still 2026-11-03 in UTC).
    let kept: Vec<String> = lines
        .iter()
        .filter(|l| !l.contains(r#""ts":"2026-11-03"#))
        .cloned()
        .collect();
    assert_eq!(kept.len(), lines.len() - 5);
    let rec = run("missing-day", &kept, &pages(&billed, &days()));
    assert_rows_add_up(&rec);
    assert_eq!(rec.totals.difference.0, day_total);
    assert_eq!(
        rec.findings,
        vec![Finding::MissingDay {
            day: "2026-11-03".into(),
            invoice: Usd(day_total),
            outside_corpus_span: false,
        }]
    );
    assert!(rec.uniform_ratio.is_none());
    for r in &rec.rows {
        if r.day == "2026-11-03" {
            assert_eq!(r.corpus.0, PicoUsd::ZERO);
            assert_eq!(r.difference, r.invoice);
            assert_eq!(r.share, Some(1.0));
            assert_eq!(r.causes, vec![Cause::MissingFromCorpus { whole_day: true }]);
        } else {
            assert_eq!(r.difference.0, PicoUsd::ZERO);
            assert!(r.causes.is_empty());
        }
    }
    let by: Vec<(&str, u64)> = rec.by_cause.iter().map(|c| (c.cause, c.rows)).collect();
    assert_eq!(by, [("missing_from_corpus", 4), ("none", 8)]);
    assert_eq!(rec.by_cause[0].difference.0, day_total);
    let text = render(&rec, false);
    assert!(
        text.contains(
            "2026-11-03: records missing from the corpus (the whole day): the invoice bills"
        ),
        "{text}"
    );
}

#[test]
fn a_negotiated_discount_is_detected() {
    let lines = corpus_lines();
    let catalog = Catalog::builtin();
    let billed: Vec<Billed> = bill(&records(&lines), &catalog)
        .into_iter()
        .map(|b| Billed {
            amount: PicoUsd(div_round_half_even(b.amount.0 * 85, 100)),
            ..b
        })
        .collect();
    let rec = run("discount", &lines, &pages(&billed, &days()));
    assert_rows_add_up(&rec);
    let u = rec.uniform_ratio.clone().expect("a uniform ratio");
    assert!(u.discount);
    assert_eq!(u.percent, 15.0);
    assert_eq!((u.rows, u.candidates), (12, 12));
    for r in &rec.rows {
        assert_eq!(r.causes, vec![Cause::Discount { percent: 15.0 }], "{r:?}");
        assert!(r.differs_in.is_empty(), "{r:?}");
        let share = r.share.unwrap();
        assert!((share + 0.15 / 0.85).abs() < 1e-6, "{share}");
    }
    assert_eq!(rec.by_cause.len(), 1);
    assert_eq!(rec.by_cause[0].cause, "discount");
    let text = render(&rec, false);
    assert!(
        text.contains("a discount on the invoice of 15.0%"),
        "{text}"
    );
}

#[test]
fn a_discount_is_not_named_when_rows_disagree() {
    let lines = corpus_lines();
    let catalog = Catalog::builtin();
    // Half the rows at 85%, half at 70%: no ratio holds for most rows.
    let mut n = 0;
    let billed: Vec<Billed> = bill(&records(&lines), &catalog)
        .into_iter()
        .map(|b| {
            let pct = if b.workspace_id.is_some() { 85 } else { 70 };
            n += 1;
            Billed {
                amount: PicoUsd(div_round_half_even(b.amount.0 * pct, 100)),
                ..b
            }
        })
        .collect();
    assert!(n > 0);
    let rec = run("no-discount", &lines, &pages(&billed, &days()));
    assert_rows_add_up(&rec);
    assert!(rec.uniform_ratio.is_none(), "{:?}", rec.uniform_ratio);
    assert!(rec.rows.iter().all(|r| r.causes.is_empty()));
    // Every component is off, so every one is listed.
    assert!(rec.rows.iter().all(|r| !r.differs_in.is_empty()));
}

#[test]
fn a_model_the_catalog_does_not_know_is_named() {
    let mut lines = corpus_lines();
    lines.push(rec(
        "2026-11-04T12:00:00Z",
        "claude-imaginary-9",
        Some("prod"),
        10,
        10,
        0,
        0,
        0,
        0,
        "",
    ));
    let catalog = Catalog::builtin();
    let mut billed = bill(&records(&lines[..lines.len() - 1]), &catalog);
    let extra = PicoUsd(123_456_789);
    billed.push(Billed {
        day: Day::parse("2026-11-04").unwrap(),
        workspace_id: Some("wrkspc_prod".into()),
        model: Some("claude-imaginary-9".into()),
        cost_type: Some("tokens"),
        token_type: Some("output_tokens"),
        tier: Some("standard"),
        amount: extra,
    });
    let rec = run("unknown-model", &lines, &pages(&billed, &days()));
    assert_rows_add_up(&rec);
    assert_eq!(rec.totals.difference.0, extra);
    assert_eq!(rec.corpus.unpriced_records, 1);
    let row = rec
        .rows
        .iter()
        .find(|r| r.difference.0 != PicoUsd::ZERO)
        .unwrap();
    assert_eq!(
        row.model,
        RowModel::Model {
            id: "claude-imaginary-9".into(),
            in_catalog: false
        }
    );
    assert_eq!((row.records, row.unpriced_records), (1, 1));
    assert_eq!(
        row.causes,
        vec![Cause::UnpricedModel {
            models: vec!["claude-imaginary-9".into()]
        }]
    );
    assert_eq!(
        rec.findings,
        vec![Finding::UnpricedModels {
            invoice: vec![("claude-imaginary-9".into(), Usd(extra))],
            corpus: vec![("claude-imaginary-9".into(), 1)],
        }]
    );
    let text = render(&rec, true);
    assert!(
        text.contains("a model the catalog does not price (claude-imaginary-9)"),
        "{text}"
    );
}

#[test]
fn corpus_calls_without_an_invoice_line_and_uncovered_days_are_named() {
    let lines = corpus_lines();
    let catalog = Catalog::builtin();
    let all = bill(&records(&lines), &catalog);
    // The default workspace's Opus calls are not billed on 2026-11-02; 2026-11-04's page is
    // not given at all.
    let d2 = Day::parse("2026-11-02").unwrap();
    let billed: Vec<Billed> = all
        .iter()
        .filter(|b| !(b.day == d2 && b.model.as_deref() == Some(OPUS)))
        .cloned()
        .collect();
    let rec = run("missing-invoice", &lines, &pages(&billed, &days()[..2]));
    assert_rows_add_up(&rec);
    let causes: BTreeMap<(String, String, String), Vec<Cause>> = rec
        .rows
        .iter()
        .filter(|r| !r.causes.is_empty())
        .map(|r| {
            (
                (r.day.clone(), r.workspace.clone(), r.model.to_string()),
                r.causes.clone(),
            )
        })
        .collect();
    assert_eq!(
        causes[&(
            "2026-11-02".to_owned(),
            "default".to_owned(),
            OPUS.to_owned()
        )],
        vec![Cause::MissingFromInvoice]
    );
    assert_eq!(causes.len(), 5, "{causes:?}");
    assert!(causes
        .iter()
        .filter(|(k, _)| k.0 == "2026-11-04")
        .all(|(_, c)| c == &vec![Cause::DayNotInReport]));
    assert!(matches!(
        rec.findings.as_slice(),
        [Finding::DayNotInReport { day, .. }] if day == "2026-11-04"
    ));
}

#[test]
fn a_report_not_grouped_by_description_compares_per_day_and_workspace() {
    let lines = corpus_lines();
    let catalog = Catalog::builtin();
    let mut sums: BTreeMap<(Day, Option<String>), PicoUsd> = BTreeMap::new();
    for b in bill(&records(&lines), &catalog) {
        *sums.entry((b.day, b.workspace_id)).or_default() += b.amount;
    }
    let billed: Vec<Billed> = sums
        .into_iter()
        .map(|((day, workspace_id), amount)| Billed {
            day,
            workspace_id,
            model: None,
            cost_type: None,
            token_type: None,
            tier: None,
            amount,
        })
        .collect();
    let rec = run("ungrouped", &lines, &pages(&billed, &days()));
    assert_rows_add_up(&rec);
    assert_eq!(rec.rows.len(), 6);
    for r in &rec.rows {
        assert_eq!(r.model, RowModel::AllModels);
        assert_eq!(r.difference.0, PicoUsd::ZERO);
        assert!(r
            .components
            .iter()
            .any(|c| c.component == Component::Unsplit));
    }
}

#[test]
fn workspaces_on_one_side_only_are_listed() {
    let lines = corpus_lines();
    let catalog = Catalog::builtin();
    let billed = bill(&records(&lines), &catalog);
    let dir = Scratch::new("workspaces");
    let corpus = dir.write("corpus.jsonl", &corpus_text(&lines));
    let baseline = read_baseline(&[corpus], &catalog).unwrap();
    let rec = reconcile(
        &report_of(&pages(&billed, &days())),
        &baseline,
        &catalog,
        &ReconcileOptions::default(),
    );
    assert_rows_add_up(&rec);
    assert!(rec.findings.contains(&Finding::UnmatchedWorkspaces {
        invoice_only: vec!["wrkspc_prod".into()],
        corpus_only: vec!["prod".into()],
    }));
    let prod: Vec<&Row> = rec.rows.iter().filter(|r| r.workspace == "prod").collect();
    assert!(prod
        .iter()
        .all(|r| r.causes == vec![Cause::MissingFromInvoice]));
}

#[test]
fn priority_tier_and_code_execution_are_named() {
    let mut lines = corpus_lines();
    lines.push(rec(
        "2026-11-02T08:00:00Z",
        HAIKU,
        None,
        40_000,
        2_000,
        0,
        0,
        0,
        0,
        r#""service_tier":"priority","#,
    ));
    let catalog = Catalog::builtin();
    // The cost report leaves the priority call out and bills code execution.
    let mut billed = bill(&records(&lines[..lines.len() - 1]), &catalog);
    billed.push(Billed {
        day: Day::parse("2026-11-03").unwrap(),
        workspace_id: Some("wrkspc_prod".into()),
        model: Some(HAIKU.into()),
        cost_type: Some("code_execution"),
        token_type: None,
        tier: None,
        amount: PicoUsd(5 * PICO_PER_CENT),
    });
    let rec = run("priority", &lines, &pages(&billed, &days()));
    assert_rows_add_up(&rec);
    let named: Vec<(&str, &str, Vec<&str>)> = rec
        .rows
        .iter()
        .filter(|r| !r.causes.is_empty())
        .map(|r| {
            (
                r.day.as_str(),
                r.workspace.as_str(),
                r.causes.iter().map(Cause::kind).collect(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("2026-11-02", "default", vec!["priority_tier"]),
            ("2026-11-03", "prod", vec!["not_recordable"]),
        ]
    );
}

#[test]
fn pages_may_be_one_per_line_or_an_array() {
    let lines = corpus_lines();
    let catalog = Catalog::builtin();
    let billed = bill(&records(&lines), &catalog);
    let pretty = pages(&billed, &days());
    let values: Vec<Value> = serde_json::Deserializer::from_str(&pretty)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect();
    let per_line: String = values
        .iter()
        .map(|v| format!("{}\n", serde_json::to_string(v).unwrap()))
        .collect();
    let array = serde_json::to_string_pretty(&Value::Array(values)).unwrap();
    let a = report_of(&pretty);
    assert_eq!(a.pages, 3);
    for other in [report_of(&per_line), report_of(&array)] {
        assert_eq!(other.lines.len(), a.lines.len());
        assert_eq!(other.pages, 3);
        let amounts = |r: &CostReport| r.lines.iter().map(|l| l.amount).collect::<Vec<_>>();
        assert_eq!(amounts(&other), amounts(&a));
    }
}

fn page_error(text: &str) -> String {
    read_cost_report([("pages.json".to_owned(), text.as_bytes())])
        .unwrap_err()
        .to_string()
}

fn one_result(result: Value) -> Value {
    json!({"data": [{"starting_at": "2026-11-02T00:00:00Z", "ending_at": "2026-11-03T00:00:00Z",
                     "results": [result]}], "has_more": false, "next_page": null})
}

#[test]
fn page_errors_name_file_line_and_field() {
    let ok = json!({"amount": "1.5", "currency": "USD", "cost_type": "tokens",
                    "token_type": "output_tokens", "model": HAIKU, "workspace_id": null});
    let with = |key: &str, v: Value| {
        let mut r = ok.clone();
        r[key] = v;
        one_result(r)
    };
    let good = serde_json::to_string(&one_result(ok.clone())).unwrap();
    // Line numbers: the second page, one per line, starts on line 2.
    let bad = serde_json::to_string(&with("amount", json!("12,5"))).unwrap();
    assert_eq!(
        page_error(&format!("{good}\n{bad}\n")),
        "pages.json:2: data[0].results[0].amount: \"12,5\" is not a decimal amount of cents like \"123.78912\""
    );
    assert_eq!(
        page_error(&serde_json::to_string_pretty(&with("amount", json!(12.5))).unwrap()),
        "pages.json:1: data[0].results[0].amount: must be a decimal string of cents like \"123.78912\", got 12.5"
    );
    assert_eq!(
        page_error(&with("currency", json!("EUR")).to_string()),
        "pages.json:1: data[0].results[0].currency: only USD amounts can be compared with list prices, got \"EUR\""
    );
    let mut r = ok.clone();
    r.as_object_mut().unwrap().remove("currency");
    assert_eq!(
        page_error(&one_result(r).to_string()),
        "pages.json:1: data[0].results[0].currency: required field is missing"
    );
    assert_eq!(
        page_error(&with("token_type", json!("thinking_tokens")).to_string()),
        "pages.json:1: data[0].results[0].token_type: unknown token type \"thinking_tokens\" (expected uncached_input_tokens, output_tokens, cache_read_input_tokens, cache_creation.ephemeral_5m_input_tokens or cache_creation.ephemeral_1h_input_tokens)"
    );
    let mut page = one_result(ok.clone());
    page["data"][0]
        .as_object_mut()
        .unwrap()
        .remove("starting_at");
    assert_eq!(
        page_error(&format!(
            "\n\n{}",
            serde_json::to_string_pretty(&page).unwrap()
        )),
        "pages.json:3: data[0].starting_at: required field is missing"
    );
    // Inside an array of pages, the path starts with the page's index.
    let arr = json!([one_result(ok.clone()), with("currency", json!("GBP"))]);
    assert!(
        page_error(&arr.to_string()).starts_with("pages.json:1: [1].data[0].results[0].currency: ")
    );
    let mut hourly = one_result(ok.clone());
    hourly["data"][0]["ending_at"] = json!("2026-11-02T01:00:00Z");
    assert!(page_error(&hourly.to_string())
        .starts_with("pages.json:1: data[0].ending_at: a cost report bucket must end 24 hours"));
    assert_eq!(
        page_error("{\"data\": [}"),
        "pages.json:1: not valid JSON: expected value"
    );
    assert_eq!(
        page_error("[1]"),
        "pages.json:1: [0].: a cost report page must be a JSON object, got 1"
    );
    assert_eq!(
        page_error(&format!("{good}\n{good}\n")),
        "pages.json:2: data[0]: the bucket for 2026-11-02 was already read, with the same results, at pages.json:1: data[0] (the same page given twice?)"
    );
}

#[test]
fn corpus_errors_name_file_line_and_field() {
    let dir = Scratch::new("corpus-errors");
    let lines = corpus_lines();
    let mut bad = lines[..3].to_vec();
    bad.push(lines[3].replace(r#""input_tokens":5000"#, r#""input_tokens":-1"#));
    let path = dir.write("bad.jsonl", &corpus_text(&bad));
    let err = read_baseline(std::slice::from_ref(&path), &Catalog::builtin())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!("{}:4: usage.input_tokens: ", path.display())),
        "{err}"
    );
    // A fast-mode call through the Batch API cannot be priced: an error on `speed`.
    let fast_batch = rec(
        "2026-11-02T00:00:00Z",
        OPUS,
        None,
        1,
        1,
        0,
        0,
        0,
        0,
        r#""service_tier":"batch","speed":"fast","#,
    );
    let path = dir.write("fast.jsonl", &corpus_text(&[fast_batch]));
    let err = read_baseline(std::slice::from_ref(&path), &Catalog::builtin())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!("{}:1: speed: fast mode", path.display())),
        "{err}"
    );
    let err = read_baseline(&[dir.0.join("none.jsonl")], &Catalog::builtin())
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot open"), "{err}");
}

#[test]
fn zstd_corpora_and_files_on_disk_reconcile() {
    let lines = corpus_lines();
    let catalog = Catalog::builtin();
    let billed = bill(&records(&lines), &catalog);
    let dir = Scratch::new("files");
    let z = zstd_bytes(corpus_text(&lines).as_bytes());
    let corpus = dir.0.join("corpus.jsonl.zst");
    std::fs::write(&corpus, z).unwrap();
    let page = dir.write("pages.json", &pages(&billed, &days()));
    let rec = reconcile_files(&[corpus], &[page], &catalog, &opts());
    match rec {
        Ok(rec) => {
            assert_eq!(rec.totals.difference.0, PicoUsd::ZERO);
            assert_eq!(rec.corpus.records, 15);
        }
        Err(e) => panic!("{e}"),
    }
}

/// A zstd frame holding `bytes` uncompressed (raw blocks), written by hand: this crate does not
/// depend on zstd, and the corpus reader must take any valid frame.
fn zstd_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd];
    // Frame header descriptor: single segment, 8-byte content size.
    out.push(0b1110_0000);
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    let chunks: Vec<&[u8]> = if bytes.is_empty() {
        vec![&[][..]]
    } else {
        bytes.chunks(100_000).collect()
    };
    for (i, c) in chunks.iter().enumerate() {
        let last = u32::from(i + 1 == chunks.len());
        // Raw block: type 0.
        let header = last | ((c.len() as u32) << 3);
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.extend_from_slice(c);
    }
    out
}

#[test]
fn render_is_a_table_whose_rows_add_up() {
    let lines = corpus_lines();
    let catalog = Catalog::builtin();
    let billed: Vec<Billed> = bill(&records(&lines), &catalog)
        .into_iter()
        .map(|b| Billed {
            amount: PicoUsd(div_round_half_even(b.amount.0 * 85, 100)),
            ..b
        })
        .collect();
    let rec = run("render", &lines, &pages(&billed, &days()));
    for markdown in [false, true] {
        let text = render(&rec, markdown);
        // The rows' displayed cents add up to the displayed total, in every money column.
        let rows: Vec<Vec<String>> = text
            .split("Rows")
            .nth(1)
            .unwrap()
            .lines()
            .filter(|l| l.contains("2026-11-") || l.contains("total"))
            .map(|l| {
                l.split(if markdown { "|" } else { "  " })
                    .map(|c| c.trim().trim_matches('*').to_owned())
                    .filter(|c| c.starts_with('$') || c.starts_with("-$"))
                    .collect()
            })
            .collect();
        let (body, total) = rows.split_at(rows.len() - 1);
        assert_eq!(body.len(), rec.rows.len(), "{text}");
        for col in 0..3 {
            let cents = |s: &str| -> i128 {
                let neg = s.starts_with('-');
                let v: i128 = s
                    .trim_start_matches('-')
                    .trim_start_matches('$')
                    .replace([',', '.'], "")
                    .parse()
                    .unwrap();
                if neg {
                    -v
                } else {
                    v
                }
            };
            let sum: i128 = body.iter().map(|r| cents(&r[col])).sum();
            assert_eq!(sum, cents(&total[0][col]), "column {col}:\n{text}");
        }
    }
    let json = serde_json::to_value(&rec).unwrap();
    assert_eq!(json["schema"], "tokensim.reconcile/1");
    assert_eq!(json["rows"][0]["causes"][0]["kind"], "discount");
    assert_eq!(json["uniform_ratio"]["percent"], 15.0);
}

/// Not a test: prints the example output used in docs/reconcile.md
/// (`cargo test -p tokensim-finops print_doc_example -- --ignored --nocapture`).
#[test]
#[ignore]
fn print_doc_example() {
    // Each call 250 times, so that the amounts read in dollars.
    let base = corpus_lines();
    let mut lines = vec![base[0].clone()];
    for l in &base[1..] {
        lines.extend(std::iter::repeat_n(l.clone(), 250));
    }
    let catalog = Catalog::builtin();
    let billed: Vec<Billed> = bill(&records(&lines), &catalog)
        .into_iter()
        .map(|b| Billed {
            amount: PicoUsd(div_round_half_even(b.amount.0 * 85, 100)),
            ..b
        })
        .collect();
    let kept: Vec<String> = lines
        .iter()
        .filter(|l| !l.contains(r#""ts":"2026-11-03"#))
        .cloned()
        .collect();
    let rec = run("doc", &kept, &pages(&billed, &days()));
    println!("{}", render(&rec, false));
    println!("{}", render(&rec, true));
    println!("{}", pages(&billed, &days()[..1]));
}
