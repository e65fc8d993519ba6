//! Tests of the whole generator: determinism, the record format, usage arithmetic, ordering, and
//! that each archetype shows the traits the demo corpus promises.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde_json::Value;

use super::*;

/// Minimum cacheable prompt lengths of DESIGN.md section 4.
fn min_cacheable() -> BTreeMap<String, u64> {
    [
        ("claude-opus-5-5", 512),
        ("claude-sonnet-5-5", 512),
        ("claude-haiku-5-5", 512),
        ("claude-sonnet-4-5", 1024),
        ("claude-haiku-4-5", 4096),
        ("claude-opus-4-5", 4096),
        ("claude-fable-5-1", 512),
    ]
    .into_iter()
    .map(|(m, n)| (m.to_string(), n))
    .collect()
}

fn config(seed: u64, days: u32, requests_per_day: u64) -> GenConfig {
    GenConfig {
        seed,
        days,
        requests_per_day,
        start_date: (2026, 10, 1),
        min_cacheable_tokens: min_cacheable(),
    }
}

fn run(cfg: &GenConfig) -> (Vec<u8>, GenSummary) {
    let mut out = Vec::new();
    let summary = generate(cfg, &mut out).expect("generate");
    (out, summary)
}

/// One week at 3,000 requests a day, generated once and shared by the tests that inspect it.
fn week() -> &'static (Vec<u8>, GenSummary, Vec<Value>) {
    static WEEK: OnceLock<(Vec<u8>, GenSummary, Vec<Value>)> = OnceLock::new();
    WEEK.get_or_init(|| {
        let (bytes, summary) = run(&config(7, 7, 3_000));
        let text = std::str::from_utf8(&bytes).expect("utf-8");
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(HEADER));
        let records = lines
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        (bytes, summary, records)
    })
}

fn records() -> &'static [Value] {
    &week().2
}

fn str_of<'v>(r: &'v Value, key: &str) -> Option<&'v str> {
    r.get(key).and_then(Value::as_str)
}

fn u64_of(v: &Value, key: &str) -> u64 {
    v.get(key)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

fn of_feature<'a>(feature: &'a str) -> impl Iterator<Item = &'static Value> + 'a {
    records()
        .iter()
        .filter(move |r| str_of(r, "feature") == Some(feature))
}

fn input_total(r: &Value) -> u64 {
    let u = &r["usage"];
    u64_of(u, "input_tokens")
        + u64_of(u, "cache_creation_input_tokens")
        + u64_of(u, "cache_read_input_tokens")
}

fn segments(r: &Value) -> &[Value] {
    r.get("prompt")
        .and_then(|p| p["segments"].as_array())
        .map_or(&[], Vec::as_slice)
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    let cfg = config(11, 2, 800);
    let (a, sa) = run(&cfg);
    let (b, sb) = run(&cfg);
    assert_eq!(a, b);
    assert_eq!(sa, sb);
    let (c, _) = run(&config(12, 2, 800));
    assert_ne!(a, c);
}

#[test]
fn a_longer_run_starts_with_the_shorter_run() {
    // Seeds are per (archetype, day) and the cache replays in output order, so every record
    // before the end of day 2 is the same in a 2-day and a 3-day run.
    let (two, _) = run(&config(5, 2, 600));
    let (three, _) = run(&config(5, 3, 600));
    let cutoff = "2026-10-03T00:00:00.000Z";
    let before = |bytes: &[u8]| -> Vec<String> {
        std::str::from_utf8(bytes)
            .unwrap()
            .lines()
            .skip(1)
            .filter(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                v["ts"].as_str().unwrap() < cutoff
            })
            .map(str::to_string)
            .collect()
    };
    let a = before(&two);
    assert!(a.len() > 1_000);
    assert_eq!(a, before(&three));
}

#[test]
fn every_record_has_the_required_fields() {
    let models: BTreeSet<&str> = MODELS.iter().copied().collect();
    for r in records() {
        assert!(str_of(r, "ts").is_some(), "{r}");
        assert!(models.contains(str_of(r, "model").unwrap()), "{r}");
        let u = &r["usage"];
        for key in [
            "input_tokens",
            "output_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
        ] {
            u64_of(u, key);
        }
        assert!(u64_of(u, "output_tokens") <= u64_of(r, "max_tokens"), "{r}");
        assert!(u64_of(r, "latency_ms") > 0, "{r}");
        assert!(r.get("schema").is_none());
    }
}

#[test]
fn usage_adds_up_and_segments_are_well_formed() {
    let mut with_segments = 0;
    for r in records() {
        let u = &r["usage"];
        if let Some(cc) = u.get("cache_creation") {
            assert_eq!(
                u64_of(cc, "ephemeral_5m_input_tokens") + u64_of(cc, "ephemeral_1h_input_tokens"),
                u64_of(u, "cache_creation_input_tokens"),
                "{r}"
            );
        }
        let segs = segments(r);
        if segs.is_empty() {
            continue;
        }
        with_segments += 1;
        let sum: u64 = segs.iter().map(|s| u64_of(s, "tokens")).sum();
        assert_eq!(sum, input_total(r), "{r}");
        let mut breakpoints = 0;
        let mut seen_5m = false;
        for s in segs {
            let hash = str_of(s, "hash").unwrap();
            assert_eq!(hash.len(), 16);
            assert!(hash
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            assert!(matches!(
                str_of(s, "role").unwrap(),
                "tools" | "system" | "user" | "assistant" | "tool_result"
            ));
            match &s["cache_control"] {
                Value::Null => {}
                Value::String(t) if t == "5m" => {
                    seen_5m = true;
                    breakpoints += 1;
                }
                Value::String(t) if t == "1h" => {
                    assert!(!seen_5m, "1h after 5m: {r}");
                    breakpoints += 1;
                }
                other => panic!("bad cache_control {other}"),
            }
        }
        assert!(breakpoints <= 4);
    }
    assert!(with_segments > records().len() / 2);
}

#[test]
fn equal_hashes_carry_equal_token_counts() {
    let mut sizes: BTreeMap<&str, u64> = BTreeMap::new();
    for r in records() {
        for s in segments(r) {
            let tokens = u64_of(s, "tokens");
            let prev = *sizes.entry(str_of(s, "hash").unwrap()).or_insert(tokens);
            assert_eq!(prev, tokens, "{s}");
        }
    }
}

#[test]
fn timestamps_are_rfc3339_millis_and_non_decreasing() {
    let mut last = "";
    for r in records() {
        let ts = str_of(r, "ts").unwrap();
        // Fixed width, so string order is time order.
        assert_eq!(ts.len(), 24, "{ts}");
        assert!(ts.ends_with('Z') && &ts[10..11] == "T" && &ts[19..20] == ".");
        assert!(ts >= last, "{ts} after {last}");
        last = ts;
    }
    assert!(str_of(&records()[0], "ts").unwrap() >= "2026-10-01T00:00:00.000Z");
}

#[test]
fn every_archetype_is_present() {
    let (_, summary, _) = week();
    assert_eq!(summary.records, records().len() as u64);
    assert_eq!(summary.per_workload.len(), ARCHETYPES.len());
    assert_eq!(summary.per_workload.values().sum::<u64>(), summary.records);
    for info in archetypes() {
        let key = format!(
            "{}/{}/{}",
            info.team.unwrap_or("unattributed"),
            info.app.unwrap_or("unattributed"),
            info.feature.unwrap_or("unattributed")
        );
        let n = summary.per_workload[&key];
        assert!(n > 0, "{key}");
        let in_file = records()
            .iter()
            .filter(|r| str_of(r, "feature") == info.feature)
            .count() as u64;
        assert_eq!(in_file, n, "{key}");
        // Each archetype's share is roughly what the table says (over a whole week).
        let share = n as f64 / summary.records as f64;
        assert!(
            (share - info.share).abs() < 0.3 * info.share + 0.004,
            "{key}: {share}"
        );
    }
}

#[test]
fn record_count_is_near_requests_per_day_times_days() {
    let (_, summary, _) = week();
    let expected = 7.0 * 3_000.0;
    let got = summary.records as f64;
    assert!((got - expected).abs() < 0.03 * expected, "{got}");
    let (_, two_weeks) = run(&config(3, 14, 1_000));
    let got = two_weeks.records as f64;
    assert!((got - 14_000.0).abs() < 0.04 * 14_000.0, "{got}");
}

#[test]
fn weekends_are_quieter_and_business_hours_busier() {
    let mut per_day: BTreeMap<&str, u64> = BTreeMap::new();
    let mut per_hour = [0u64; 24];
    for r in of_feature("reply") {
        let ts = str_of(r, "ts").unwrap();
        *per_day.entry(&ts[..10]).or_default() += 1;
        per_hour[ts[11..13].parse::<usize>().unwrap()] += 1;
    }
    // 2026-10-03 and -04 are Saturday and Sunday.
    assert!(per_day["2026-10-03"] * 3 < per_day["2026-10-01"] * 2);
    assert!(per_day["2026-10-04"] * 3 < per_day["2026-10-05"] * 2);
    assert!(per_hour[3] * 4 < per_hour[11]);
}

#[test]
fn nightly_job_runs_in_its_window_and_is_a_batch_candidate() {
    let mut n = 0;
    for r in of_feature("summarize") {
        let ts = str_of(r, "ts").unwrap();
        assert_eq!(&ts[11..13], "02", "{ts}");
        assert_eq!(str_of(r, "latency_class"), Some("async"));
        assert_eq!(str_of(r, "service_tier"), Some("standard"));
        assert_eq!(r["stream"], Value::Bool(false));
        n += 1;
    }
    assert!(n > 100);
    for r in of_feature("grade") {
        assert_eq!(str_of(r, "service_tier"), Some("batch"));
        assert_eq!(&str_of(r, "ts").unwrap()[11..15], "01:0");
    }
}

#[test]
fn rag_is_large_and_never_marks_a_breakpoint() {
    let totals: Vec<u64> = of_feature("answer").map(input_total).collect();
    assert!(totals.len() > 1_000);
    let over_100k = totals.iter().filter(|&&t| t > 100_000).count();
    let over_200k = totals.iter().filter(|&&t| t > 200_000).count();
    assert!(
        over_100k * 20 > totals.len(),
        "{over_100k} of {}",
        totals.len()
    );
    assert!(
        over_200k > 0 && over_200k * 10 < totals.len(),
        "{over_200k}"
    );
    for r in of_feature("answer") {
        assert!(segments(r).iter().all(|s| s["cache_control"].is_null()));
        assert_eq!(u64_of(&r["usage"], "cache_read_input_tokens"), 0);
        assert_eq!(u64_of(&r["usage"], "cache_creation_input_tokens"), 0);
    }
}

#[test]
fn conversations_grow_by_appending_turns() {
    // Within a support or copilot conversation, each turn's prompt extends the previous one.
    let mut last: BTreeMap<&str, Vec<(&str, u64)>> = BTreeMap::new();
    let mut checked = 0;
    for r in records() {
        let Some(conv) = str_of(r, "conversation_id") else {
            continue;
        };
        let shape: Vec<(&str, u64)> = segments(r)
            .iter()
            .map(|s| (str_of(s, "hash").unwrap(), u64_of(s, "tokens")))
            .collect();
        if let Some(prev) = last.get(conv) {
            let agent = conv.starts_with("sess-");
            let compacted = agent && shape.len() <= 3;
            if !compacted {
                assert!(shape.len() > prev.len(), "{conv}");
                assert_eq!(&shape[..prev.len()], &prev[..], "{conv}");
                checked += 1;
            }
        }
        last.insert(conv, shape);
    }
    assert!(checked > 1_000);
}

#[test]
fn coding_agent_uses_1h_then_5m_and_searches_the_web() {
    let mut searches = 0;
    let mut tool_results = 0;
    let mut longest = 0;
    for r in of_feature("agent-loop") {
        let segs = segments(r);
        let ttls: Vec<&str> = segs
            .iter()
            .filter_map(|s| s["cache_control"].as_str())
            .collect();
        assert_eq!(ttls, ["1h", "5m"], "{r}");
        assert_eq!(segs[1]["cache_control"], "1h");
        assert!(segs.last().unwrap()["cache_control"] == "5m");
        assert!(str_of(r, "conversation_id").unwrap().starts_with("sess-"));
        tool_results += segs.iter().filter(|s| s["role"] == "tool_result").count();
        longest = longest.max(input_total(r));
        if let Some(st) = r["usage"].get("server_tool_use") {
            searches += u64_of(st, "web_search_requests");
        }
    }
    assert!(searches > 0);
    assert!(tool_results > 1_000);
    assert!(longest > 100_000, "{longest}");
}

#[test]
fn labels_tags_workspaces_ids_and_residency() {
    let mut workspaces = BTreeSet::new();
    let (mut list_tags, mut object_tags, mut ids, mut us, mut no_segments) = (0, 0, 0, 0, 0);
    for r in records() {
        if let Some(ws) = str_of(r, "workspace") {
            workspaces.insert(ws);
        }
        match r.get("tags") {
            Some(Value::Array(_)) => list_tags += 1,
            Some(Value::Object(_)) => object_tags += 1,
            None => {}
            Some(other) => panic!("tags {other}"),
        }
        ids += usize::from(r.get("id").is_some());
        if r.get("inference_geo").is_some() {
            assert_eq!(str_of(r, "inference_geo"), Some("us"));
            assert!(matches!(
                str_of(r, "model"),
                Some("claude-opus-5-5" | "claude-fable-5-1")
            ));
            us += 1;
        }
        no_segments += usize::from(r.get("prompt").is_none());
        if r.get("team").is_some() {
            assert!(matches!(
                str_of(r, "task"),
                Some("chat" | "extraction" | "classification" | "summarization" | "agent")
            ));
            assert!(matches!(
                str_of(r, "latency_class"),
                Some("interactive" | "async")
            ));
        } else {
            assert!(r.get("app").is_none() && r.get("workspace").is_none());
            assert!(r.get("task").is_none() && r.get("tags").is_none());
        }
    }
    assert_eq!(
        workspaces,
        BTreeSet::from(["eng", "internal", "prod"]),
        "{workspaces:?}"
    );
    assert!(list_tags > 0 && object_tags > 0 && ids > 0 && us > 0 && no_segments > 0);
    let ids: BTreeSet<&str> = records().iter().filter_map(|r| str_of(r, "id")).collect();
    assert_eq!(
        ids.len(),
        records().iter().filter(|r| r.get("id").is_some()).count(),
        "ids are unique"
    );
}

#[test]
fn evals_are_rare_cheaper_and_harder_for_agents() {
    let routable: BTreeSet<&str> = ARCHETYPES
        .iter()
        .filter(|s| !s.evals.is_empty())
        .filter_map(|s| s.feature)
        .collect();
    let mut n_routable = 0;
    let mut with_evals = 0;
    let mut pass: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for r in records() {
        let feature = str_of(r, "feature");
        if feature.is_some_and(|f| routable.contains(f)) {
            n_routable += 1;
        }
        let Some(evals) = r.get("evals").and_then(Value::as_array) else {
            continue;
        };
        assert!(feature.is_some_and(|f| routable.contains(f)), "{r}");
        with_evals += 1;
        for e in evals {
            assert_ne!(e["model"], r["model"]);
            assert!(MODELS.contains(&e["model"].as_str().unwrap()));
            let score = e["score"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&score));
            let entry = pass.entry(str_of(r, "task").unwrap()).or_default();
            entry.0 += u32::from(e["pass"] == Value::Bool(true));
            entry.1 += 1;
        }
    }
    let rate = f64::from(with_evals) / f64::from(n_routable);
    assert!((0.02..0.04).contains(&rate), "{rate}");
    let ratio = |t: &str| f64::from(pass[t].0) / f64::from(pass[t].1);
    assert!(ratio("classification") > ratio("agent"));
    assert!(ratio("classification") > 0.85);
}

#[test]
fn latency_grows_with_output() {
    let mut small = (0u64, 0u64);
    let mut large = (0u64, 0u64);
    for r in of_feature("agent-loop") {
        let out = u64_of(&r["usage"], "output_tokens");
        let bucket = if out < 100 {
            &mut small
        } else if out > 1_000 {
            &mut large
        } else {
            continue;
        };
        bucket.0 += u64_of(r, "latency_ms");
        bucket.1 += 1;
    }
    assert!(large.0 / large.1 > 3 * (small.0 / small.1));
}

#[test]
fn bad_configs_are_rejected_before_writing() {
    let mut cfg = config(1, 1, 10);
    cfg.min_cacheable_tokens.remove("claude-fable-5-1");
    let mut out = Vec::new();
    let err = generate(&cfg, &mut out).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("claude-fable-5-1"), "{err}");
    assert!(out.is_empty());

    let mut cfg = config(1, 1, 10);
    cfg.start_date = (2026, 2, 30);
    let err = generate(&cfg, &mut out).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn empty_runs_write_only_the_header() {
    for cfg in [config(1, 0, 1_000), config(1, 3, 0)] {
        let (bytes, summary) = run(&cfg);
        assert_eq!(bytes, format!("{HEADER}\n").into_bytes());
        assert_eq!(summary.records, 0);
    }
}

#[test]
fn archetype_table_is_exposed() {
    let infos = archetypes();
    assert!(infos.len() >= 6);
    let total: f64 = infos.iter().map(|a| a.share).sum();
    assert!((total - 1.0).abs() < 1e-9);
    assert!(infos.iter().any(|a| a.service_tier == "batch"));
    assert!(infos.iter().any(|a| a.team.is_none()));
}

/// Release-mode throughput: `RUN_SLOW_TESTS=1 cargo test -p tokensim-gen --release
/// benchmark_generate -- --nocapture`. Returns nothing but prints records/s.
#[test]
fn benchmark_generate() {
    if std::env::var_os("RUN_SLOW_TESTS").is_none() {
        return;
    }
    let cfg = config(1, 7, 200_000 / 7);
    let start = std::time::Instant::now();
    let mut sink = io::sink();
    let summary = generate(&cfg, &mut sink).unwrap();
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{} records in {secs:.2} s: {:.0} records/s",
        summary.records,
        summary.records as f64 / secs
    );
    assert!(summary.records > 190_000);
}
