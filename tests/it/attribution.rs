//! Lever attribution (docs/attribution.md): waterfall and Shapley shares add up exactly, and
//! every lever subset is priced as its own scenario would be.

use serde_json::Value;

use crate::util::{ok, pico};

const DEMO: &str = "corpora/demo.jsonl.zst";

fn report(scenarios: &[&str], extra: &[&str]) -> Value {
    let mut args = vec!["replay", "--corpus", DEMO, "--format", "json", "--scenario"];
    args.extend(scenarios);
    args.extend(extra);
    serde_json::from_str(&ok(&args)).unwrap()
}

#[test]
fn shares_add_up_and_subsets_equal_their_own_scenarios() {
    let r = report(
        &[
            "scenarios/all-levers.toml",
            "scenarios/route-haiku.toml",
            "scenarios/batch-async.toml",
        ],
        &[],
    );
    let scenarios = r["scenarios"].as_array().unwrap();
    assert_eq!(
        scenarios.len(),
        3,
        "the lever subsets are not reported as scenarios"
    );
    let all = &scenarios[0];
    let a = &all["attribution"];
    assert_eq!(
        a["levers"],
        serde_json::json!(["route", "caps", "batch", "cache"])
    );
    let total = pico(&a["total_saving"]);
    assert_eq!(total, pico(&all["totals"]["saving_vs_recorded"]));
    for list in ["waterfall", "shapley"] {
        let sum: i128 = a[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| pico(&x["saving"]))
            .sum();
        assert_eq!(
            sum, total,
            "{list} adds up to the saving, to the pico-dollar"
        );
    }
    let subsets = a["subsets"].as_array().unwrap();
    assert_eq!(subsets.len(), 16);
    assert_eq!(subsets[0]["levers"], serde_json::json!([]));
    assert_eq!(subsets[0]["cost"], r["totals"]["recorded"]["total"]);
    assert_eq!(subsets[15]["cost"], all["totals"]["cost"]["total"]);
    let cost_of =
        |levers: Value| subsets.iter().find(|s| s["levers"] == levers).unwrap()["cost"].clone();
    // all-levers routes like route-haiku and batches like batch-async: alone, each lever costs
    // what that scenario costs.
    assert_eq!(
        cost_of(serde_json::json!(["route"])),
        scenarios[1]["totals"]["cost"]["total"]
    );
    assert_eq!(
        cost_of(serde_json::json!(["batch"])),
        scenarios[2]["totals"]["cost"]["total"]
    );
    // The waterfall's first step is route alone.
    assert_eq!(
        pico(&a["waterfall"][0]["saving"]),
        pico(&r["totals"]["recorded"]["total"]) - pico(&scenarios[1]["totals"]["cost"]["total"])
    );
    // Per workload, each list adds up to the workload's saving.
    for w in a["by_workload"].as_array().unwrap() {
        let t = pico(&w["total_saving"]);
        for list in ["waterfall", "shapley"] {
            let sum: i128 = w[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| pico(&x["saving"]))
                .sum();
            assert_eq!(sum, t, "{} {list}", w["app"]);
        }
    }
    // A single-lever scenario has nothing to attribute.
    assert!(scenarios[1].get("attribution").is_none());
}

#[test]
fn no_attribution_skips_it_and_changes_nothing_else() {
    let with = report(&["scenarios/all-levers.toml"], &[]);
    let mut without = report(&["scenarios/all-levers.toml"], &["--no-attribution"]);
    assert!(without["scenarios"][0].get("attribution").is_none());
    without["scenarios"][0]["attribution"] = with["scenarios"][0]["attribution"].clone();
    assert_eq!(with, without);
}
