//! `tokensim fidelity`, and the fidelity figure at the top of replay reports.

use crate::util::{ok, pico};

const HAND: &str = "tests/it/data/fidelity.jsonl";

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(args)).expect("valid JSON")
}

#[test]
fn demo_corpus_agrees_exactly_for_any_thread_count() {
    let args = [
        "fidelity",
        "--corpus",
        "corpora/demo.jsonl.zst",
        "--format",
        "json",
    ];
    let one = ok(&[&args[..], &["-j", "1"]].concat());
    let four = ok(&[&args[..], &["-j", "4"]].concat());
    assert_eq!(one, four, "byte-identical for any thread count");
    let f: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(f["schema"], "tokensim.fidelity/1");
    let t = &f["totals"];
    // The generator follows the simulator's rules: every split agrees, to the token and cent.
    assert!(t["compared"].as_u64().unwrap() > 40_000, "{t}");
    assert_eq!(t["exact"], t["compared"]);
    assert_eq!(t["tokens_misassigned"], 0);
    assert_eq!(t["exact_share"], 1.0);
    assert_eq!(t["token_agreement"], 1.0);
    assert_eq!(pico(&t["cost_difference"]), 0);
    assert_eq!(pico(&t["cost_difference_abs"]), 0);
    assert_eq!(t["recorded_cost"], t["simulated_cost"]);
    assert_eq!(
        t["compared"].as_u64().unwrap() + t["without_segments"].as_u64().unwrap(),
        f["records"].as_u64().unwrap()
    );
    assert!(f["top"].as_array().unwrap().is_empty());
    assert!(f["reasons"].as_array().unwrap().is_empty());
    // Every session agrees, and the sessions account for every record.
    let sessions = f["sessions"].as_array().unwrap();
    assert!(sessions.iter().all(|s| s["exact"] == s["compared"]));
    let n: u64 = sessions
        .iter()
        .map(|s| s["compared"].as_u64().unwrap() + s["without_segments"].as_u64().unwrap())
        .sum();
    assert_eq!(n, f["records"].as_u64().unwrap());
}

#[test]
fn a_hand_written_disagreement_is_explained_and_priced() {
    let f = json(&["fidelity", "--corpus", HAND, "--format", "json"]);
    let t = &f["totals"];
    assert_eq!(t["compared"], 4);
    assert_eq!(t["exact"], 3);
    assert_eq!(t["without_segments"], 1);
    assert_eq!(t["tokens"], 8400);
    assert_eq!(t["tokens_misassigned"], 2000);
    // 1 - 2000 / 8400.
    assert_eq!(t["token_agreement"], 1.0 - 2000.0 / 8400.0);
    // call-3 came 10 minutes after the last use of a 5-minute entry: the simulator writes the
    // 2,000 system tokens at $3.75/MTok that the log read at $0.30/MTok.
    assert_eq!(pico(&t["cost_difference"]), 6_900_000_000);
    assert_eq!(pico(&t["cost_difference_abs"]), 6_900_000_000);
    let top = f["top"].as_array().unwrap();
    assert_eq!(top.len(), 1);
    let c = &top[0];
    assert_eq!(c["id"], "call-3");
    assert_eq!(c["file"], HAND);
    assert_eq!(c["line"], 4);
    assert_eq!(c["ts"], "2026-10-05T10:12:00Z");
    assert_eq!(c["session"], "s1");
    assert_eq!(c["reason_id"], "expired");
    assert_eq!(
        c["reason"],
        "expired TTL: the 5m entry at segment 0 was last used 10:00 earlier"
    );
    assert_eq!(c["recorded"]["read"], 2000);
    assert_eq!(c["simulated"]["write_5m"], 2000);
    assert_eq!(c["simulated"]["read"], 0);
    assert_eq!(pico(&c["cost_difference"]), 6_900_000_000);
    assert_eq!(f["reasons"][0]["reason"], "expired");
    assert_eq!(f["sessions"][0]["session"], "s1");
    assert_eq!(f["sessions"][0]["exact"], 2);

    let table = ok(&["fidelity", "--corpus", HAND]);
    insta::assert_snapshot!("fidelity_hand_table", table);
    let md = ok(&["fidelity", "--corpus", HAND, "--format", "md", "--top", "1"]);
    assert!(md.starts_with("## tokensim fidelity"), "{md}");
    assert!(
        md.contains("| call-3 (tests/it/data/fidelity.jsonl:4) |"),
        "{md}"
    );
}

#[test]
fn output_file_and_top_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.json");
    let out_s = out.to_str().unwrap();
    let stdout = ok(&[
        "fidelity", "--corpus", HAND, "--format", "json", "--top", "0", "-o", out_s,
    ]);
    assert!(stdout.is_empty());
    let f: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(f["top"].as_array().unwrap().is_empty());
    assert_eq!(f["totals"]["exact"], 3);
}

#[test]
fn replay_reports_put_the_figure_on_simulating_scenarios() {
    let r = json(&[
        "replay",
        "--corpus",
        HAND,
        "--scenario",
        "scenarios/cache-auto.toml",
        "scenarios/cache-off.toml",
        "--format",
        "json",
    ]);
    let auto = &r["scenarios"][0];
    assert_eq!(auto["name"], "cache-auto");
    assert_eq!(
        auto["fidelity"],
        serde_json::json!({
            "compared": 4, "agreed": 3, "tokens_compared": 8400,
            "tokens_misassigned": 2000, "not_compared": 1
        })
    );
    // `off` does not simulate: no figure.
    assert!(r["scenarios"][1].get("fidelity").is_none());
    let table = ok(&[
        "replay",
        "--corpus",
        HAND,
        "--scenario",
        "scenarios/cache-replay.toml",
    ]);
    let head = table
        .split("Scenario cache-replay:")
        .nth(1)
        .expect("a scenario section");
    let second = head.lines().nth(1).unwrap();
    assert_eq!(
        second,
        "  simulator fidelity on this corpus: 3 of 4 calls split exactly as recorded, 76.2% of tokens in the recorded component (1 call without prompt segments not compared); details: tokensim fidelity"
    );
}
