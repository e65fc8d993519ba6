//! Routing policies and their quality risk, end to end on the demo corpus (docs/routing.md,
//! docs/quality-risk.md).

use serde_json::Value;

use crate::util::{ok, pico, stable};

const DEMO: &str = "corpora/demo.jsonl.zst";
const ROUTES: [&str; 4] = [
    "scenarios/route-haiku.toml",
    "scenarios/route-cascade.toml",
    "scenarios/route-oracle.toml",
    "scenarios/route-threshold.toml",
];

fn json(scenarios: &[&str]) -> Value {
    let mut args = vec!["replay", "--corpus", DEMO, "--format", "json", "--scenario"];
    args.extend(scenarios);
    serde_json::from_str(&ok(&args)).unwrap()
}

fn scenario<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap()
}

/// The ticket router's route to Haiku 5.5, checked by hand: prior Sonnet -> Haiku,
/// classification, mean 5% with ESS 10, so Beta(0.5, 9.5); 16 failures in 411 evals give
/// Beta(16.5, 404.5). Its 90% interval from scipy.stats.beta.ppf. Of 13,764 routed calls, 395
/// passed their own eval and 16 failed theirs; the other 13,353 are degraded with p.
#[test]
fn posterior_and_expected_degraded_match_hand_computation() {
    let r = json(&["scenarios/route-haiku.toml"]);
    let q = scenario(&r, "route-haiku")["quality"].as_array().unwrap();
    let row = q
        .iter()
        .find(|x| x["app"] == "ticket-router")
        .expect("the ticket router is routed");
    assert_eq!(row["from"], "claude-sonnet-4-5");
    assert_eq!(row["to"], "claude-haiku-5-5");
    assert_eq!(row["task"], "classification");
    assert_eq!(row["prior"]["mean"], 0.05);
    assert_eq!(row["prior"]["ess"], 10.0);
    assert_eq!(
        row["prior"]["source"],
        "prior: sonnet->haiku step, classification"
    );
    assert_eq!(
        (row["evals"].as_u64(), row["eval_failures"].as_u64()),
        (Some(411), Some(16))
    );
    assert_eq!(row["evidence"], "measured, n = 411");
    let f = |v: &Value| v.as_f64().unwrap();
    let d = &row["degradation"];
    assert!((f(&d["mean"]) - 16.5 / 421.0).abs() < 1e-15);
    assert!((f(&d["lo"]) - 0.024993161069639693).abs() < 1e-9);
    assert!((f(&d["hi"]) - 0.05587645733553064).abs() < 1e-9);
    assert_eq!(row["routed"], 13764);
    assert_eq!(
        (
            row["passed_own_eval"].as_u64(),
            row["failed_own_eval"].as_u64()
        ),
        (Some(395), Some(16))
    );
    let e = f(&row["expected_degraded"]["mean"]);
    assert!((e - (16.0 + 13353.0 * 16.5 / 421.0)).abs() < 1e-9, "{e}");
    assert_eq!(
        row["shadow_evals_needed"], "unreachable",
        "an estimate of 3.9% can never be bounded below 2%"
    );
}

/// Every routing policy on the demo corpus: costs reconcile, a cascade never costs less than
/// its cheap calls alone nor more than cheap calls plus every call as recorded, the oracle's
/// routed calls all passed their own eval, and the risk budget refuses what exceeds it.
#[test]
fn routing_policies_reconcile_and_keep_their_promises() {
    let r = json(&ROUTES);
    let recorded = pico(&r["totals"]["recorded"]["total"]);
    for s in r["scenarios"].as_array().unwrap() {
        let t = &s["totals"];
        assert_eq!(
            pico(&t["saving_vs_recorded"]),
            recorded - pico(&t["cost"]["total"])
        );
        let sum: i128 = s["by_model"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| pico(&x["cost"]["total"]))
            .sum();
        assert_eq!(sum, pico(&t["cost"]["total"]), "{}", s["name"]);
    }
    let cascade = scenario(&r, "route-cascade");
    let d = &cascade["totals"]["decisions"];
    let (routed, escalated) = (
        d["routed"].as_u64().unwrap(),
        d["escalated"].as_u64().unwrap(),
    );
    assert_eq!(routed, 10129, "every helpdesk call tries Haiku first");
    assert!(escalated > 0 && escalated < routed, "{escalated}");
    let q = &cascade["quality"][0];
    assert_eq!(
        q["expected_degraded"]["mean"], 0.0,
        "failures are escalated"
    );
    // The escalated calls are billed on the recorded model's row, as recorded.
    let sonnet_row = cascade["by_model"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == "claude-sonnet-5-5")
        .unwrap();
    assert!(pico(&sonnet_row["cost"]["total"]) > 0);

    let oracle = scenario(&r, "route-oracle");
    for q in oracle["quality"].as_array().unwrap() {
        assert_eq!(q["routed"], q["passed_own_eval"], "{q}");
        assert_eq!(q["expected_degraded"]["mean"], 0.0);
    }
    assert!(pico(&oracle["totals"]["cost"]["total"]) < recorded);

    let threshold = scenario(&r, "route-threshold");
    for q in threshold["quality"].as_array().unwrap() {
        let p = q["degradation"]["mean"].as_f64().unwrap();
        if q["rejected"].as_u64().unwrap() > 0 {
            assert!(p > 0.05, "refused only above the 5% budget: {q}");
            assert_eq!(q["routed"], 0);
        } else {
            assert!(p <= 0.05, "{q}");
        }
    }
    assert!(
        threshold["totals"]["decisions"]["route_rejected"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn routing_report_on_the_demo_markdown() {
    let mut args = vec!["replay", "--corpus", DEMO, "--format", "md", "--scenario"];
    args.extend(ROUTES);
    let md = ok(&args);
    let from = md.find("## Scenarios against").expect("a scenario section");
    insta::assert_snapshot!("demo_routing_md", stable(&md[from..]));
}

/// More routing never costs more on a fixed corpus (the target is the cheapest model), never
/// routes fewer calls, and never retains more quality; the 90% and 95% points are the cheapest
/// points at or above those levels.
#[test]
fn frontier_is_monotone_and_its_quoted_points_are_the_cheapest() {
    let f: Value = serde_json::from_str(&ok(&[
        "frontier",
        "--corpus",
        DEMO,
        "--to",
        "claude-haiku-5-5",
        "--steps",
        "10",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(f["schema"], "tokensim.frontier/1");
    let points = f["points"].as_array().unwrap();
    assert_eq!(points.len(), 11);
    assert_eq!(points[0]["threshold"], 0.0);
    assert_eq!(points[0]["routed"], 0);
    assert_eq!(
        points[0]["cost"], f["recorded"],
        "threshold 0 routes nothing"
    );
    assert_eq!(points[0]["quality_retained"], 1.0);
    for w in points.windows(2) {
        assert!(
            pico(&w[1]["cost"]) <= pico(&w[0]["cost"]),
            "{} then {}",
            w[0],
            w[1]
        );
        assert!(w[1]["routed"].as_u64() >= w[0]["routed"].as_u64());
        assert!(w[1]["quality_retained"].as_f64() <= w[0]["quality_retained"].as_f64());
    }
    for (key, target) in [("at_90", 0.90), ("at_95", 0.95)] {
        let at = &f[key];
        assert!(at["quality_retained"].as_f64().unwrap() >= target);
        let cheapest = points
            .iter()
            .filter(|p| p["quality_retained"].as_f64().unwrap() >= target)
            .map(|p| pico(&p["cost"]))
            .min()
            .unwrap();
        assert_eq!(pico(&at["cost"]), cheapest, "{key}");
    }
    // Each point is the replay of a threshold scenario: the same threshold through `replay`
    // costs the same.
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("t.toml");
    std::fs::write(
        &s,
        "name = \"t\"\n[route]\npolicy = \"threshold\"\nto = \"claude-haiku-5-5\"\nthreshold = \"0.5\"\n",
    )
    .unwrap();
    let r = json(&[s.to_str().unwrap()]);
    let p5 = points.iter().find(|p| p["threshold"] == 0.5).unwrap();
    assert_eq!(r["scenarios"][0]["totals"]["cost"]["total"], p5["cost"]);
}

#[test]
fn frontier_markdown_on_the_demo() {
    let md = ok(&[
        "frontier",
        "--corpus",
        DEMO,
        "--to",
        "claude-haiku-5-5",
        "--steps",
        "10",
        "--format",
        "md",
    ]);
    insta::assert_snapshot!("demo_frontier_md", md);
}

#[test]
fn frontier_names_an_unknown_target() {
    let err = crate::util::fails(&["frontier", "--corpus", DEMO, "--to", "claude-haiku-9"]);
    assert!(err.starts_with("error: --to: "), "{err}");
    assert!(err.contains("claude-haiku"), "names the closest ids: {err}");
}

/// `risk_target` sets what the shadow-eval sample size aims below: the ticket router's 95%
/// bound (5.6%) is already below 10%; below 5% it needs more evals (the estimate is 3.9%).
#[test]
fn risk_target_changes_the_shadow_eval_sample_size() {
    let dir = tempfile::tempdir().unwrap();
    let row = |target: &str| {
        let s = dir.path().join(format!("t{target}.toml"));
        std::fs::write(
            &s,
            format!("name = \"t\"\nextends = \"{}/scenarios/route-haiku.toml\"\n", crate::util::root().display())
                + &format!("[route]\nrisk_target = \"{target}\"\n[[route.rule]]\nwhen = {{ app = \"ticket-router\" }}\nto = \"claude-haiku-5-5\"\n"),
        )
        .unwrap();
        let r = json(&[s.to_str().unwrap()]);
        r["scenarios"][0]["quality"][0].clone()
    };
    let at10 = row("0.1");
    assert_eq!(at10["risk_target"], 0.1);
    assert_eq!(at10["shadow_evals_needed"], "already");
    let at5 = row("0.05");
    let n: u64 = at5["shadow_evals_needed"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(n > 0, "{at5}");
}
