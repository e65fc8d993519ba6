//! `tokensim diff`: the pre-ship comparison (docs/diff.md).

use std::io::Write;

use serde_json::Value;

use crate::util::{ok, pico, run};

const DEMO: &str = "corpora/demo.jsonl.zst";

#[test]
fn two_scenarios_on_one_corpus_reconcile_with_replay() {
    let d: Value = serde_json::from_str(&ok(&[
        "diff",
        "--corpus",
        DEMO,
        "--before",
        "recorded",
        "--after",
        "scenarios/cache-auto.toml",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(d["schema"], "tokensim.diff/1");
    let r: Value = serde_json::from_str(&ok(&[
        "replay",
        "--corpus",
        DEMO,
        "--scenario",
        "scenarios/cache-auto.toml",
        "--format",
        "json",
    ]))
    .unwrap();
    let t = &d["totals"];
    assert_eq!(t["before"]["cost"], r["totals"]["recorded"]["total"]);
    assert_eq!(
        t["after"]["cost"],
        r["scenarios"][0]["totals"]["cost"]["total"]
    );
    assert_eq!(
        pico(&t["delta"]),
        pico(&t["after"]["cost"]) - pico(&t["before"]["cost"])
    );
    let rows = d["by_workload"].as_array().unwrap();
    assert_eq!(rows.len(), 9);
    let sum: i128 = rows.iter().map(|x| pico(&x["delta"])).sum();
    assert_eq!(
        sum,
        pico(&t["delta"]),
        "workload deltas add up to the total"
    );
    for w in rows.windows(2) {
        assert!(
            pico(&w[0]["delta"]) >= pico(&w[1]["delta"]),
            "largest increase first"
        );
    }
    assert_eq!(d["failed"], false);
}

#[test]
fn fail_above_gates_ci_on_a_cost_increase() {
    let args = |limit: &str| {
        run(&[
            "diff",
            "--corpus",
            DEMO,
            "--before",
            "scenarios/cache-auto.toml",
            "--after",
            "scenarios/cache-off.toml",
            "--fail-above",
            limit,
        ])
    };
    // cache-off costs 116.8% more than cache-auto on the demo.
    let out = args("5");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rises by more than 5%"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL: cost change +116.8%"));
    assert_eq!(args("200").status.code(), Some(0));
    // A saving never fails.
    let out = run(&[
        "diff",
        "--corpus",
        DEMO,
        "--before",
        "scenarios/cache-off.toml",
        "--after",
        "scenarios/cache-auto.toml",
        "--fail-above",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(0));
}

/// A prompt change recorded in staging: a timestamp at the top of the system prompt makes
/// every call's prefix unique, so nothing is read from the cache any more.
#[test]
fn two_corpora_show_the_prefix_whose_caching_broke() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = |name: &str, varying: bool| {
        let p = dir.path().join(name);
        let mut f = std::fs::File::create(&p).unwrap();
        for i in 0..10 {
            let hash = if varying {
                format!("s{i}")
            } else {
                "s".to_string()
            };
            let (write, read) = if varying || i == 0 {
                (2000, 0)
            } else {
                (0, 2000)
            };
            writeln!(
                f,
                r#"{{"ts":"2026-10-01T10:{i:02}:00Z","model":"claude-sonnet-4-5","team":"t","app":"a","usage":{{"input_tokens":100,"output_tokens":10,"cache_creation_input_tokens":{write},"cache_read_input_tokens":{read}}},"prompt":{{"segments":[{{"role":"system","hash":"{hash}","tokens":2000,"cache_control":"5m"}},{{"role":"user","hash":"u{i}","tokens":100}}]}}}}"#
            )
            .unwrap();
        }
        p.to_str().unwrap().to_string()
    };
    let (prod, staging) = (corpus("prod.jsonl", false), corpus("staging.jsonl", true));
    let out = run(&[
        "diff",
        "--corpus",
        &prod,
        "--after-corpus",
        &staging,
        "--fail-above",
        "10",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "the cost rises");
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Before: one 2000-token 5m write ($3.75/MTok) and nine reads ($0.30); after: ten writes.
    assert_eq!(
        pico(&d["totals"]["after"]["cost"]) - pico(&d["totals"]["before"]["cost"]),
        9 * 2000 * (3_750_000 - 300_000)
    );
    let changes = d["prefix_changes"].as_array().unwrap();
    assert!(!changes.is_empty(), "{d}");
    assert!(
        changes
            .iter()
            .any(|c| c["tokens_before"] == 2000 && c["tokens_after"].is_null()),
        "the recurring system prompt is gone in staging: {changes:?}"
    );
    let md = String::from_utf8(
        run(&[
            "diff",
            "--corpus",
            &prod,
            "--after-corpus",
            &staging,
            "--format",
            "md",
        ])
        .stdout,
    )
    .unwrap();
    assert!(md.contains("prefixes whose caching changes"), "{md}");
}

#[test]
fn diff_markdown_is_a_pr_comment() {
    let md = ok(&[
        "diff",
        "--corpus",
        DEMO,
        "--before",
        "scenarios/cache-replay.toml",
        "--after",
        "scenarios/all-levers.toml",
        "--format",
        "md",
    ]);
    insta::assert_snapshot!("demo_diff_md", md);
}

#[test]
fn diff_needs_two_sides() {
    let out = run(&["diff", "--corpus", DEMO]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give --before and --after"));
}
