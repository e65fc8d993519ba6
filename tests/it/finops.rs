//! The FinOps commands end to end: `allocate`, `budgets`, `forecast` and `replay --format focus`.
//! Every amount checked here is recomputed from the JSON report of the same corpus, so the
//! commands must agree with `replay` to the pico-dollar.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::util::{ok, pico, run};

const DEMO: &str = "corpora/demo.jsonl.zst";

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).unwrap()
}

#[test]
fn allocation_rows_add_up_to_the_report_total_under_every_sharing_rule() {
    let report = json(&[
        "replay",
        "--corpus",
        DEMO,
        "--format",
        "json",
        "--no-attribution",
    ]);
    let total = pico(&report["totals"]["recorded"]["total"]);
    // Direct cost per team, from the report's workload rows.
    let mut direct: BTreeMap<String, i128> = BTreeMap::new();
    for w in report["by_workload"].as_array().unwrap() {
        let team = w["team"].as_str().unwrap_or("unattributed").to_owned();
        *direct.entry(team).or_default() += pico(&w["recorded"]["total"]);
    }
    let unattributed = direct.remove("unattributed").unwrap_or(0);
    assert!(unattributed > 0, "the demo corpus has unattributed calls");
    for rule in ["proportional", "even", "owner:platform"] {
        let a = json(&[
            "allocate",
            "--corpus",
            DEMO,
            "--by",
            "team",
            "--unattributed",
            rule,
            "--format",
            "json",
        ]);
        let periods = a["recorded"].as_array().unwrap();
        assert_eq!(periods.len(), 1, "the demo corpus is one month");
        let p = &periods[0];
        assert_eq!(pico(&p["total"]), total, "{rule}");
        assert_eq!(pico(&p["unattributed"]), unattributed, "{rule}");
        let mut sum = 0;
        for o in p["owners"].as_array().unwrap() {
            let name = o["owner"].as_str().unwrap();
            assert_eq!(
                pico(&o["direct"]),
                direct.get(name).copied().unwrap_or(0),
                "{rule}: {name}"
            );
            assert_eq!(pico(&o["total"]), pico(&o["direct"]) + pico(&o["shared"]));
            sum += pico(&o["total"]);
        }
        assert_eq!(sum, total, "{rule}: rows add up to the total");
        if rule == "owner:platform" {
            let platform = p["owners"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["owner"] == "platform")
                .unwrap();
            assert_eq!(pico(&platform["shared"]), unattributed);
        }
    }
    // The CSV's cents add up to the total's cents.
    let csv = ok(&[
        "allocate", "--corpus", DEMO, "--by", "app", "--format", "csv",
    ]);
    let cents: i128 = csv
        .lines()
        .skip(1)
        .map(|l| {
            let v = l.split(',').nth(4).unwrap().replace('.', "");
            v.parse::<i128>().unwrap()
        })
        .sum();
    assert_eq!(cents, (total + 5_000_000_000) / 10_000_000_000);
}

#[test]
fn allocation_by_tag_and_under_a_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    std::fs::write(
        &corpus,
        r#"{"ts":"2026-10-01T00:00:00Z","model":"claude-haiku-4-5","tags":{"cc":"a"},"usage":{"input_tokens":1000000,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}
{"ts":"2026-10-02T00:00:00Z","model":"claude-haiku-4-5","tags":["cc:b","env:x"],"usage":{"input_tokens":3000000,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}
{"ts":"2026-11-01T00:00:00Z","model":"claude-haiku-4-5","usage":{"input_tokens":1000000,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}
{"ts":"2026-10-03T00:00:00Z","model":"claude-haiku-4-5","usage":{"input_tokens":4000000,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}
"#,
    )
    .unwrap();
    let c = corpus.to_str().unwrap();
    let a = json(&[
        "allocate",
        "--corpus",
        c,
        "--by",
        "tag:cc",
        "--format",
        "json",
        "--scenario",
        "scenarios/batch-async.toml",
    ]);
    // October: a $1, b $3 direct; $4 unattributed shared 1:3. November: $1 with no owner.
    let oct = &a["recorded"][0];
    let owners: Vec<(String, String, String)> = oct["owners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["owner"].as_str().unwrap().into(),
                o["direct"].as_str().unwrap().into(),
                o["shared"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        owners,
        [
            ("a".into(), "1.000000000000".into(), "1.000000000000".into()),
            ("b".into(), "3.000000000000".into(), "3.000000000000".into())
        ]
    );
    assert_eq!(a["recorded"][1]["owners"][0]["owner"], "unattributed");
    assert_eq!(a["recorded"][1]["period"], "2026-11");
    assert_eq!(a["scenario"]["name"], "batch-async");
    let text = ok(&[
        "allocate", "--corpus", c, "--by", "tag:cc", "--period", "day",
    ]);
    assert!(text.contains("2026-10-02"), "{text}");
    let bad = run(&["allocate", "--corpus", c, "--by", "org"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--by: \"org\" is not an owner key"));
}

#[test]
fn budgets_exit_1_on_a_hard_breach_only() {
    let dir = tempfile::tempdir().unwrap();
    let report = json(&[
        "replay",
        "--corpus",
        DEMO,
        "--format",
        "json",
        "--no-attribution",
    ]);
    let knowledge: i128 = report["by_workload"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["team"] == "knowledge")
        .map(|w| pico(&w["recorded"]["total"]))
        .sum();
    let dollars = knowledge / 1_000_000_000_000;
    let file = dir.path().join("b.toml");
    let write = |kind: &str, amount: i128| {
        std::fs::write(
            &file,
            format!("by = \"team\"\n[[budget]]\nowner = \"knowledge\"\nmonthly_usd = {amount}\nkind = \"{kind}\"\n"),
        )
        .unwrap();
    };
    let check = || {
        run(&[
            "budgets",
            "--corpus",
            DEMO,
            "--budgets",
            file.to_str().unwrap(),
            "--format",
            "json",
        ])
    };
    // Just under the month's spend: a breach.
    write("hard", dollars);
    let out = check();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["budgets"][0]["status"], "breach");
    assert_eq!(pico(&v["budgets"][0]["month_to_date"]), knowledge);
    assert_eq!(v["as_of"], "2026-10-31");
    write("soft", dollars);
    assert_eq!(check().status.code(), Some(0));
    // Well above: ok.
    write("hard", dollars * 3);
    let out = check();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["budgets"][0]["status"], "ok");
    // Half way through the month, the run rate projects the spend so far to 31 days.
    let out = run(&[
        "budgets",
        "--corpus",
        DEMO,
        "--budgets",
        file.to_str().unwrap(),
        "--as-of",
        "2026-10-15",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mtd = pico(&v["budgets"][0]["month_to_date"]);
    assert!(mtd < knowledge);
    let projected = pico(&v["budgets"][0]["projected"]);
    assert!((projected - mtd * 31 / 15).abs() <= 1);
}

#[test]
fn forecast_backtests_on_sixty_days_and_sizes_a_commitment() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl.zst");
    ok(&[
        "gen",
        "--days",
        "60",
        "--requests-per-day",
        "200",
        "-o",
        corpus.to_str().unwrap(),
    ]);
    let c = corpus.to_str().unwrap();
    let f = json(&[
        "forecast",
        "--corpus",
        c,
        "--scenario",
        "scenarios/all-levers.toml",
        "--months",
        "2",
        "--format",
        "json",
    ]);
    let backtest = &f["recorded"]["backtest"]["Ok"];
    assert_eq!(backtest["test_days"], 14, "{f}");
    assert!(backtest["mape"].as_f64().unwrap() < 0.5);
    // The data end on 2026-11-29: the rest of November, then the two months asked for.
    let months: Vec<&str> = f["recorded"]["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2026-11", "2026-12", "2027-01"]);
    assert_eq!(f["scenarios"][0]["name"], "all-levers");
    let c = &f["scenarios"][0]["commitment"];
    let (saves, consumption, commit) = (
        c["saves_twice_usd"].as_f64().unwrap(),
        c["consumption_saving_usd"].as_f64().unwrap(),
        c["commitment_saving_usd"].as_f64().unwrap(),
    );
    assert!((saves - consumption - commit).abs() < 1e-6);
    let text = ok(&["forecast", "--corpus", corpus.to_str().unwrap()]);
    assert!(
        text.contains("Backtest: fit on all but the last 14 days"),
        "{text}"
    );
    assert!(text.contains("Commitment for the next 12 months"), "{text}");
}

#[test]
fn focus_rows_add_up_to_the_report() {
    let report = json(&[
        "replay",
        "--corpus",
        DEMO,
        "--scenario",
        "scenarios/all-levers.toml",
        "--format",
        "json",
        "--no-attribution",
    ]);
    let csv = ok(&[
        "replay",
        "--corpus",
        DEMO,
        "--scenario",
        "scenarios/all-levers.toml",
        "--format",
        "focus",
    ]);
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
    let (billed, scenario) = (col("BilledCost"), col("x_ScenarioId"));
    let mut sums: BTreeMap<String, i128> = BTreeMap::new();
    for line in lines {
        // Tags is the only quoted field, and it comes before x_ScenarioId: split around it.
        let (before, after) = line.split_once(",\"{").unwrap_or((line, ""));
        let fields: Vec<&str> = before.split(',').collect();
        let rest: Vec<&str> = after
            .rsplit_once("}\",")
            .map_or(vec![], |(_, r)| r.split(',').collect());
        let cost = fields[billed];
        let sc = rest
            .first()
            .copied()
            .unwrap_or(fields.get(scenario).copied().unwrap_or(""));
        *sums.entry(sc.to_owned()).or_default() += pico(&Value::String(cost.to_owned()));
    }
    assert_eq!(
        sums["baseline"],
        pico(&report["totals"]["recorded"]["total"])
    );
    assert_eq!(
        sums["all-levers"],
        pico(&report["scenarios"][0]["totals"]["cost"]["total"])
    );
}

#[test]
fn reconcile_names_a_missing_day_and_a_discount() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("c.jsonl");
    std::fs::write(
        &corpus,
        r#"{"ts":"2026-10-01T10:00:00Z","model":"claude-haiku-4-5","workspace":"prod","usage":{"input_tokens":1000000,"output_tokens":100000,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}
{"ts":"2026-10-02T10:00:00Z","model":"claude-haiku-4-5","workspace":"prod","usage":{"input_tokens":2000000,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}
"#,
    )
    .unwrap();
    // The invoice at 90% of list price ($1.50 and $2.00 recorded), plus a day the corpus lacks.
    let line = |amount: &str, token: &str| {
        format!(
            r#"{{"amount":"{amount}","currency":"USD","cost_type":"tokens","token_type":"{token}","model":"claude-haiku-4-5","workspace_id":"wrkspc_P","service_tier":"standard","context_window":"0-200k","description":"d"}}"#
        )
    };
    let bucket = |day: u32, lines: Vec<String>| {
        format!(
            r#"{{"starting_at":"2026-10-{day:02}T00:00:00Z","ending_at":"2026-10-{:02}T00:00:00Z","results":[{}]}}"#,
            day + 1,
            lines.join(",")
        )
    };
    let page = format!(
        r#"{{"data":[{},{},{}],"has_more":false,"next_page":null}}"#,
        bucket(
            1,
            vec![
                line("90", "uncached_input_tokens"),
                line("45", "output_tokens")
            ]
        ),
        bucket(2, vec![line("180", "uncached_input_tokens")]),
        bucket(3, vec![line("50", "uncached_input_tokens")]),
    );
    let pages = dir.path().join("cost.json");
    std::fs::write(&pages, page).unwrap();
    let r = json(&[
        "reconcile",
        "--corpus",
        corpus.to_str().unwrap(),
        "--cost-report",
        pages.to_str().unwrap(),
        "--workspace",
        "wrkspc_P=prod",
        "--format",
        "json",
    ]);
    assert_eq!(r["totals"]["invoice"], "3.650000000000");
    assert_eq!(r["totals"]["corpus"], "3.500000000000");
    assert_eq!(r["uniform_ratio"]["percent"], 10.0);
    assert_eq!(r["findings"][0]["kind"], "missing_day");
    assert_eq!(r["findings"][0]["day"], "2026-10-03");
    let text = ok(&[
        "reconcile",
        "--corpus",
        corpus.to_str().unwrap(),
        "--cost-report",
        pages.to_str().unwrap(),
        "--workspace",
        "wrkspc_P=prod",
    ]);
    assert!(
        text.contains("a discount on the invoice of 10.0%"),
        "{text}"
    );
    assert!(
        text.contains("records missing from the corpus (the whole day)"),
        "{text}"
    );
    let bad = run(&[
        "reconcile",
        "--corpus",
        corpus.to_str().unwrap(),
        "--cost-report",
        pages.to_str().unwrap(),
        "--workspace",
        "prod",
    ]);
    assert_eq!(bad.status.code(), Some(2));
}
