//! The CSV and HTML renderings of a replay: the same numbers as the JSON, exactly.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::util::{ok, pico, root};

const DEMO: &str = "corpora/demo.jsonl.zst";
const SCENARIOS: [&str; 4] = [
    "scenarios/all-levers.toml",
    "scenarios/route-threshold.toml",
    "scenarios/cache-auto.toml",
    "scenarios/cache-optimal.toml",
];

fn replay(format: &str) -> String {
    let mut args = vec!["replay", "--corpus", DEMO, "--format", format, "--scenario"];
    args.extend(SCENARIOS);
    ok(&args)
}

fn usd(s: &str) -> i128 {
    pico(&Value::String(s.to_string()))
}

/// One row per (scenario, workload, model); each scenario's rows add up to its total, and the
/// recorded rows to the recorded total and the naive reference, to the pico-dollar.
#[test]
fn csv_rows_add_up_to_the_json_totals() {
    let json: Value = serde_json::from_str(&replay("json")).unwrap();
    let csv = replay("csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut cost: BTreeMap<String, i128> = BTreeMap::new();
    let mut requests: BTreeMap<String, u64> = BTreeMap::new();
    let mut reference = 0;
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), header.len(), "{l}");
        *cost.entry(f[0].to_string()).or_default() += usd(f[col("cost_total")]);
        *requests.entry(f[0].to_string()).or_default() +=
            f[col("requests")].parse::<u64>().unwrap();
        if f[0] == "recorded" {
            reference += usd(f[col("naive_reference")]);
        }
    }
    assert_eq!(cost["recorded"], pico(&json["totals"]["recorded"]["total"]));
    assert_eq!(reference, pico(&json["totals"]["reference"]));
    for s in json["scenarios"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        assert_eq!(cost[name], pico(&s["totals"]["cost"]["total"]), "{name}");
        assert_eq!(requests[name], s["totals"]["requests"].as_u64().unwrap());
    }
    assert_eq!(
        cost.len(),
        1 + SCENARIOS.len(),
        "the lever subsets are not rows"
    );
}

/// The page opens offline and every chart value equals the JSON of the same run
/// (`scripts/check_html.py`, without the browser step, which needs Chromium).
#[test]
fn html_charts_carry_the_json_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (h, j) = (dir.path().join("r.html"), dir.path().join("r.json"));
    std::fs::write(&h, replay("html")).unwrap();
    std::fs::write(&j, replay("json")).unwrap();
    let html = std::fs::read_to_string(&h).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts/check_html.py"))
        .args([h.to_str().unwrap(), j.to_str().unwrap(), "--no-browser"])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("PASS"));
}

#[test]
fn small_corpus_csv() {
    let csv = ok(&[
        "replay",
        "--corpus",
        "corpora/small/small.jsonl",
        "--format",
        "csv",
        "--scenario",
        "scenarios/all-levers.toml",
    ]);
    insta::assert_snapshot!("small_csv", csv);
}

#[test]
fn small_corpus_html() {
    let html = ok(&[
        "replay",
        "--corpus",
        "corpora/small/small.jsonl",
        "--format",
        "html",
        "--scenario",
        "scenarios/all-levers.toml",
    ]);
    insta::assert_snapshot!("small_html", crate::util::stable(&html));
}
