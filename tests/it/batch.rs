//! Batch: detection on the demo corpus, batch arithmetic with and without cache hits, and batch
//! formation (docs/batch.md).

use std::io::Write;

use serde_json::Value;

use crate::util::{ok, pico};

const DEMO: &str = "corpora/demo.jsonl.zst";

fn report(corpus: &str, scenarios: &[&str]) -> Value {
    let mut args = vec!["replay", "--corpus", corpus, "--format", "json"];
    if !scenarios.is_empty() {
        args.push("--scenario");
        args.extend(scenarios);
    }
    serde_json::from_str(&ok(&args)).unwrap()
}

/// The demo's nightly digest (02:00-03:00 UTC, async, non-streaming, real time) is found with a
/// high grade; the support chat (interactive, streaming) is not; the eval grader already uses
/// the Batch API. No scenario is needed.
#[test]
fn detection_finds_the_nightly_job_and_not_the_chat() {
    let r = report(DEMO, &[]);
    let c = r["batch_candidates"].as_array().unwrap();
    let find = |app: &str| c.iter().find(|x| x["app"] == app);
    let nightly = find("call-digest").expect("the nightly digest is a candidate");
    assert_eq!(nightly["grade"], "high");
    assert_eq!(nightly["window"], "02:00-04:00");
    assert_eq!(nightly["concentration"], 1.0);
    assert_eq!(nightly["movable"], nightly["calls"]);
    // Batch halves every token component: the saving is half the movable cost, to the
    // pico-dollar (the digest has no web searches).
    assert_eq!(pico(&nightly["saving"]) * 2, pico(&nightly["movable_cost"]));
    assert!(
        find("helpdesk").is_none(),
        "the chat is interactive and streams"
    );
    assert!(find("code-agent").is_none());
    assert_eq!(find("eval-harness").unwrap()["grade"], "already");
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::File::create(&p)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    p.to_str().unwrap().to_string()
}

/// Two Sonnet 4.5 calls a minute apart, a 2,000-token system prompt with a 5-minute breakpoint
/// and a 100-token question, 10 output tokens, moved to the Batch API. Batch rates per MTok:
/// input $1.50, 5m write $1.875, read $0.15, output $7.50.
#[test]
fn batch_arithmetic_with_and_without_cache_hits() {
    let dir = tempfile::tempdir().unwrap();
    let line = |i: u32, min: u32| {
        format!(
            r#"{{"id":"c{i}","ts":"2026-10-01T10:{min:02}:00Z","model":"claude-sonnet-4-5","team":"t","stream":false,"usage":{{"input_tokens":2100,"output_tokens":10,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}},"prompt":{{"segments":[{{"role":"system","hash":"s","tokens":2000,"cache_control":"5m"}},{{"role":"user","hash":"u{i}","tokens":100}}]}}}}"#
        )
    };
    let corpus = write(
        dir.path(),
        "c.jsonl",
        &format!("{}\n{}\n", line(1, 0), line(2, 1)),
    );
    let scenario = |name: &str, p: &str| {
        write(
            dir.path(),
            &format!("{name}.toml"),
            &format!("name = \"{name}\"\n[[batch.eligible]]\n[cache]\npolicy = \"replay\"\nbatch_hit_probability = \"{p}\"\n"),
        )
    };
    let plain = write(
        dir.path(),
        "plain.toml",
        "name = \"plain\"\n[[batch.eligible]]\n",
    );
    let (hit, miss) = (scenario("hit", "1"), scenario("miss", "0"));
    let r = report(&corpus, &[&plain, &hit, &miss]);
    // As recorded: 2 x (2100 x $3 + 10 x $15) = $0.0129; plain batch halves it.
    assert_eq!(r["totals"]["recorded"]["total"], "0.012900000000");
    let cost = |i: usize| r["scenarios"][i]["totals"]["cost"]["total"].clone();
    assert_eq!(cost(0), "0.006450000000");
    // Hit: the first writes 2000 x $1.875 and the second reads 2000 x $0.15; both pay
    // 100 x $1.50 input and 10 x $7.50 output.
    assert_eq!(cost(1), "0.004500000000");
    // Miss: the second call loses its draw, reads nothing and writes again.
    assert_eq!(cost(2), "0.007950000000");
    assert_eq!(r["scenarios"][2]["totals"]["decisions"]["lost_hit_draw"], 2);
    let t = &r["scenarios"][1]["totals"];
    assert_eq!(t["batch_requests"], 2);
    assert_eq!(
        (t["batches"].as_u64(), t["batch_days"].as_u64()),
        (Some(1), Some(1))
    );
}

/// The demo's batch section, as a FinOps lead reads it.
#[test]
fn demo_batch_section_markdown() {
    let md = ok(&[
        "replay",
        "--corpus",
        DEMO,
        "--format",
        "md",
        "--scenario",
        "scenarios/batch-async.toml",
    ]);
    let from = md.find("## Batch candidates").expect("a batch section");
    let to = md.find("## Scenarios against").unwrap();
    let scenario = md.find("### Scenario batch-async").unwrap();
    insta::assert_snapshot!(
        "demo_batch_md",
        format!("{}{}", &md[from..to], &md[scenario..])
    );
}

/// The output cap's quality risk is the share of calls it truncates, printed next to the saving.
#[test]
fn truncation_share_is_reported_with_the_cap() {
    let r = report(DEMO, &["scenarios/caps-output.toml"]);
    let t = &r["scenarios"][0]["totals"];
    let (n, calls) = (
        t["decisions"]["truncated"].as_u64().unwrap(),
        t["requests"].as_u64().unwrap(),
    );
    assert!(n > 0);
    let md = ok(&[
        "replay",
        "--corpus",
        DEMO,
        "--scenario",
        "scenarios/caps-output.toml",
    ]);
    let share = format!("{:.1}%", n as f64 * 100.0 / calls as f64);
    assert!(
        md.contains(&format!(
            "{n} answers truncated by an output cap ({share} of calls)"
        )),
        "{share}"
    );
}

/// Trimming a history that was read from the cache makes it uncached input: on the demo's
/// coding agent a 60,000-token context budget costs more than the recorded traffic
/// (docs/scenarios.md quotes the figures of this run).
#[test]
fn context_trim_of_a_cached_history_costs_more() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("trim.toml");
    std::fs::write(
        &s,
        "name = \"trim\"\n[[caps.context_trim]]\nwhen = { app = \"code-agent\" }\ntokens = 60000\n",
    )
    .unwrap();
    let r = report(DEMO, &[s.to_str().unwrap()]);
    let agent = r["scenarios"][0]["by_workload"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["app"] == "code-agent")
        .unwrap()
        .clone();
    assert!(agent["decisions"]["context_trimmed"].as_u64().unwrap() > 0);
    let (rec, cost) = (pico(&agent["recorded"]), pico(&agent["cost"]["total"]));
    assert!(
        cost > rec,
        "trimming a cached history costs more: {rec} -> {cost}"
    );
    // The documented figures, rounded to the cent.
    assert_eq!((rec + 5_000_000_000) / 10_000_000_000, 30_548);
    assert_eq!((cost + 5_000_000_000) / 10_000_000_000, 58_447);
}
