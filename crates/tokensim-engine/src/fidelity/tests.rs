//! `tokensim fidelity` against the replay engine: the same calls, the same comparison.

use std::io::Write;

use tokensim_pricing::BUILTIN_CATALOG;
use tokensim_report::ReplayFidelity;
use tokensim_strategy::scenario::{CacheLever, CachePolicy};

use super::*;
use crate::replay::{replay, ReplayConfig, Sink, PROBE_CACHE};

struct Quiet;
impl Sink for Quiet {}

fn catalog() -> Catalog {
    Catalog::parse(BUILTIN_CATALOG, "built-in catalog", None).unwrap()
}

/// A call in session `s` at minute `m` with a 2,000-token system prompt cached for 5 minutes,
/// recorded as a read (`hit`) or a write.
fn call(m: u32, s: &str, hit: bool) -> String {
    let (write, read) = if hit { (0, 2000) } else { (2000, 0) };
    format!(
        r#"{{"id":"c{m}","ts":"2026-10-05T10:{m:02}:00Z","model":"claude-sonnet-4-5","conversation_id":"{s}","usage":{{"input_tokens":100,"output_tokens":10,"cache_creation_input_tokens":{write},"cache_read_input_tokens":{read}}},"prompt":{{"segments":[{{"role":"system","hash":"sys","tokens":2000,"cache_control":"5m"}},{{"role":"user","hash":"u{m}","tokens":100,"cache_control":null}}]}}}}"#
    )
}

fn corpus(dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("c.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    // Minute 12 is 10 minutes after minute 2: the simulator's 5m entry has expired, the log
    // says it read. One call has no segments.
    for l in [
        call(0, "a", false),
        call(2, "a", true),
        call(12, "a", true),
        call(13, "b", true),
        r#"{"ts":"2026-10-05T10:20:00Z","model":"claude-sonnet-4-5","usage":{"input_tokens":5,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"#.to_string(),
    ] {
        writeln!(f, "{l}").unwrap();
    }
    path
}

fn scenario(name: &str, cache: CacheLever) -> Scenario {
    Scenario {
        name: name.into(),
        description: String::new(),
        file: String::new(),
        route: None,
        caps: None,
        batch: None,
        cache: Some(cache),
    }
}

#[test]
fn fidelity_finds_the_expired_entry_and_prices_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = FidelityConfig {
        corpus: vec![corpus(&dir)],
        top: 5,
        ..FidelityConfig::default()
    };
    let f = fidelity(&cfg, &catalog()).unwrap();
    let t = &f.totals;
    assert_eq!((t.compared, t.exact, t.without_segments), (4, 3, 1));
    assert_eq!((t.tokens, t.tokens_misassigned), (4 * 2100, 2000));
    // 2,000 tokens written at $3.75/MTok instead of read at $0.30/MTok.
    assert_eq!(t.cost_difference, Usd(PicoUsd(6_900_000_000)));
    assert_eq!(t.cost_difference_abs, t.cost_difference);
    assert_eq!(f.top.len(), 1);
    assert_eq!(f.top[0].reason_id, "expired");
    assert_eq!(f.top[0].id.as_deref(), Some("c12"));
    assert_eq!(f.sessions[0].session, "a");
    assert_eq!(
        f.sessions
            .iter()
            .map(|s| (s.session.as_str(), s.compared, s.without_segments))
            .collect::<Vec<_>>(),
        [("a", 3, 0), ("(no session)", 0, 1), ("b", 1, 0)]
    );
    for threads in [1, 3] {
        let again = fidelity(
            &FidelityConfig {
                threads: Some(threads),
                ..cfg.clone()
            },
            &catalog(),
        )
        .unwrap();
        assert_eq!(again, f, "{threads} threads");
    }
}

#[test]
fn replay_reports_the_same_figure_with_or_without_a_replay_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let path = corpus(&dir);
    let f = fidelity(
        &FidelityConfig {
            corpus: vec![path.clone()],
            ..FidelityConfig::default()
        },
        &catalog(),
    )
    .unwrap();
    let expect = ReplayFidelity {
        compared: f.totals.compared,
        agreed: f.totals.exact,
        tokens_compared: f.totals.tokens,
        tokens_misassigned: f.totals.tokens_misassigned,
        not_compared: f.totals.without_segments,
    };
    let auto = CacheLever {
        fixed_ttl: None,
        policy: CachePolicy::Auto,
        ..PROBE_CACHE
    };
    let cases = [
        // The probe runs hidden beside an `auto` scenario.
        vec![scenario("auto", auto.clone())],
        // A scenario that is the probe gives the figure itself.
        vec![scenario("auto", auto), scenario("replay", PROBE_CACHE)],
    ];
    for scenarios in cases {
        let cfg = ReplayConfig {
            corpus: vec![path.clone()],
            scenarios,
            threads: Some(2),
            ..ReplayConfig::default()
        };
        let out = replay(&cfg, &catalog(), &mut Quiet).unwrap();
        assert_eq!(out.fidelity, Some(expect));
    }
    // No scenario re-simulates: no figure, and no probe run.
    let cfg = ReplayConfig {
        corpus: vec![path],
        scenarios: vec![scenario(
            "off",
            CacheLever {
                fixed_ttl: None,
                policy: CachePolicy::Off,
                ..PROBE_CACHE
            },
        )],
        ..ReplayConfig::default()
    };
    assert_eq!(replay(&cfg, &catalog(), &mut Quiet).unwrap().fidelity, None);
}
