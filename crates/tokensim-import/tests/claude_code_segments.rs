//! Prompt segments rebuilt from the real Claude Code sessions in `tests/data/claude-code/`
//! (`projects/`: four sessions, Claude Code 1.0 and 2.1; `tracelab/`: one Claude Code 2.1
//! session on Opus 4.8). Checks, on every record: the corpus reads it back, the segment tokens
//! add up to the recorded total input, at most 4 breakpoints and no 1h after 5m; that usage is
//! byte-for-byte the import without segments; that the consecutive calls of a chain repeat the
//! previous call's prefix (hashes and tokens) through its last breakpoint, and read exactly that
//! prefix from the cache; that sub-agents form their own chains; and that no text leaks.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use serde_json::Value;
use tokensim_corpus::{parse_line, Line, Position};
use tokensim_import::anthropic::key_from_salt;
use tokensim_import::claude_code::{
    find_session_files, project_of, ClaudeCodeImporter, ClaudeCodeOptions, ClaudeCodeSummary,
    SessionFile, RULE_PARENT_MISSING, RULE_SYSTEM_SIZE_ESTIMATED,
};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/claude-code")
}

fn files() -> Vec<PathBuf> {
    let d = data_dir();
    // The TraceLab session is named `.jsonl.txt` so that walking `claude-code/` (the ccusage
    // comparison, `claude_code_real.rs`) does not pick it up; a named file is read whatever its name.
    find_session_files(&[
        d.join("projects"),
        d.join("tracelab/claude-session-01.jsonl.txt"),
    ])
    .expect("session files")
}

fn import(opts: &ClaudeCodeOptions) -> (ClaudeCodeSummary, String) {
    let mut importer = ClaudeCodeImporter::with_options(opts);
    for path in files() {
        let input = BufReader::new(File::open(&path).unwrap_or_else(|e| panic!("{path:?}: {e}")));
        let name = path.display().to_string();
        let project = project_of(&path);
        let source = SessionFile {
            name: &name,
            project: project.as_deref(),
        };
        importer
            .read(input, &source)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut out = Vec::new();
    let summary = importer.finish(&mut out).unwrap_or_else(|e| panic!("{e}"));
    (summary, String::from_utf8(out).expect("utf-8"))
}

fn opts() -> ClaudeCodeOptions {
    ClaudeCodeOptions::with_key(key_from_salt(b"claude-code segments test salt").expect("key"))
}

fn total_input(v: &Value) -> u64 {
    let u = &v["usage"];
    [
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    ]
    .iter()
    .map(|k| u[k].as_u64().expect("count"))
    .sum()
}

fn segments(v: &Value) -> &Vec<Value> {
    v["prompt"]["segments"].as_array().expect("segments")
}

fn records(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let pos = Position {
            file: 0,
            line: i as u64 + 1,
        };
        match parse_line(line, pos, i == 0) {
            Ok(Line::Header) if i == 0 => {}
            Ok(Line::Record(_)) if i > 0 => out.push(serde_json::from_str(line).expect("json")),
            other => panic!("output line {}: {other:?}", i + 1),
        }
    }
    out
}

#[test]
fn every_record_has_valid_segments_that_add_up() {
    let (summary, text) = import(&opts());
    let recs = records(&text);
    assert_eq!(recs.len(), 209);
    assert_eq!(summary.records_with_segments, 209);
    let mut n_segments = 0;
    for v in &recs {
        let segs = segments(v);
        n_segments += segs.len() as u64;
        let sum: u64 = segs
            .iter()
            .map(|s| s["tokens"].as_u64().expect("tokens"))
            .sum();
        assert_eq!(sum, total_input(v), "sum rule: {}", v["id"]);
        assert_eq!(segs[0]["role"], "system");
        let ttls: Vec<&str> = segs
            .iter()
            .filter_map(|s| s["cache_control"].as_str())
            .collect();
        assert!(ttls.len() <= 4);
        assert!(!ttls.windows(2).any(|w| w == ["5m", "1h"]));
        // Claude Code's breakpoints: the system and the last message, and only the uncached
        // input after them.
        assert_eq!(ttls.len(), 2, "{}", v["id"]);
        let last_bp = segs.iter().rposition(|s| !s["cache_control"].is_null());
        let after: u64 = segs[last_bp.expect("bp") + 1..]
            .iter()
            .map(|s| s["tokens"].as_u64().expect("tokens"))
            .sum();
        assert_eq!(after, v["usage"]["input_tokens"].as_u64().expect("input"));
        for s in segs {
            let h = s["hash"].as_str().expect("hash");
            assert!(h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        // 1h where the writes are 1h (the Claude Code 2.1.233 session), else 5m.
        let h1 = v["usage"]["cache_creation"]["ephemeral_1h_input_tokens"].as_u64();
        let want = if h1.unwrap_or(0) > 0 { "1h" } else { "5m" };
        assert!(ttls.iter().all(|t| *t == want), "{}", v["id"]);
    }
    assert_eq!(summary.segments_written, n_segments);
    let rules = summary.adjusted_by_rule();
    // margin's reduced file lost the lines between its messages; 5c0375b4's main thread (Claude
    // Code 1.0.108) never starts with a cache read.
    assert_eq!(rules.get(RULE_PARENT_MISSING), Some(&2));
    assert_eq!(rules.get(RULE_SYSTEM_SIZE_ESTIMATED), Some(&1));
    assert_eq!(rules.len(), 2, "{rules:?}");
}

#[test]
fn usage_is_unchanged_and_no_key_means_no_segments() {
    let (plain_summary, plain) = import(&ClaudeCodeOptions::default());
    let (off_summary, off) = import(&ClaudeCodeOptions {
        segments: false,
        ..opts()
    });
    let (_, on) = import(&opts());
    let mut old = Vec::new();
    let mut importer = ClaudeCodeImporter::new();
    for path in files() {
        let input = BufReader::new(File::open(&path).expect("open"));
        let name = path.display().to_string();
        let project = project_of(&path);
        let source = SessionFile {
            name: &name,
            project: project.as_deref(),
        };
        importer.read(input, &source).expect("read");
    }
    importer.finish(&mut old).expect("finish");
    assert_eq!(plain, String::from_utf8(old).expect("utf-8"));
    assert_eq!(plain, off);
    assert_eq!(plain_summary, off_summary);
    assert!(!plain.contains("\"prompt\""));
    // With segments, each line is the same line with `"prompt"` appended.
    for (a, b) in plain.lines().zip(on.lines()).skip(1) {
        let head = &a[..a.len() - 1];
        assert!(b.starts_with(head), "{a}\n{b}");
        assert!(b[head.len()..].starts_with(",\"prompt\":{\"segments\":["));
    }
    assert_eq!(plain.lines().count(), on.lines().count());
}

/// The chain a record belongs to: its session, and the hash of its first message segment (the
/// sub-agent's task prompt, or the session's first prompt).
fn chain_of(v: &Value) -> (String, String, String) {
    let segs = segments(v);
    let first = segs
        .get(1)
        .map_or("", |s| s["hash"].as_str().expect("hash"));
    (
        v["conversation_id"].as_str().unwrap_or("").to_owned(),
        v["feature"].as_str().expect("feature").to_owned(),
        first.to_owned(),
    )
}

#[test]
fn consecutive_calls_of_a_chain_repeat_and_read_the_previous_prefix() {
    let (_, text) = import(&opts());
    let recs = records(&text);
    let mut chains: BTreeMap<(String, String, String), Vec<&Value>> = BTreeMap::new();
    for v in &recs {
        chains.entry(chain_of(v)).or_default().push(v);
    }
    let mut checked = 0;
    for (key, calls) in &chains {
        let mut calls = calls.clone();
        calls.sort_by(|a, b| a["ts"].as_str().cmp(&b["ts"].as_str()));
        for pair in calls.windows(2) {
            let (prev, next) = (segments(pair[0]), segments(pair[1]));
            let last_bp = prev
                .iter()
                .rposition(|s| !s["cache_control"].is_null())
                .expect("breakpoint");
            let prefix = |segs: &[Value]| -> Vec<(String, u64)> {
                segs.iter()
                    .map(|s| {
                        (
                            s["hash"].as_str().expect("hash").to_owned(),
                            s["tokens"].as_u64().expect("tokens"),
                        )
                    })
                    .collect()
            };
            assert_eq!(
                prefix(&prev[..=last_bp]),
                prefix(&next[..=last_bp]),
                "chain {key:?}: {} does not extend {}",
                pair[1]["id"],
                pair[0]["id"]
            );
            assert!(next.len() > last_bp + 1);
            // Claude Code's pattern, on every consecutive pair of these sessions: the call reads
            // exactly what the previous one cached.
            let cached: u64 = prefix(&prev[..=last_bp]).iter().map(|p| p.1).sum();
            assert_eq!(
                pair[1]["usage"]["cache_read_input_tokens"].as_u64(),
                Some(cached)
            );
            checked += 1;
        }
    }
    // Every call but the first of each chain was checked.
    // 12 chains: 5 main threads (one per session) and 7 sub-agents.
    assert_eq!(chains.len(), 12);
    assert_eq!(checked, 197);
}

#[test]
fn sidechains_form_their_own_chains() {
    let (_, text) = import(&opts());
    let recs = records(&text);
    let mut main_systems = BTreeSet::new();
    let mut side_systems = BTreeSet::new();
    let mut main_firsts = BTreeSet::new();
    let mut side_chains = BTreeSet::new();
    for v in &recs {
        let segs = segments(v);
        let system = segs[0]["hash"].as_str().expect("hash").to_owned();
        let (session, feature, first) = chain_of(v);
        if feature == "sidechain" {
            side_systems.insert(system);
            side_chains.insert((session, first));
        } else {
            main_systems.insert(system);
            main_firsts.insert(first);
        }
    }
    assert!(main_systems.is_disjoint(&side_systems));
    assert!(side_chains.iter().all(|(_, f)| !main_firsts.contains(f)));
    // 5c0375b4 runs 2 sub-agents, fe5e1c67 more: each its own chain.
    assert!(side_chains.len() >= 3, "{side_chains:?}");
}

#[test]
fn no_text_reaches_the_corpus() {
    let (_, text) = import(&opts());
    let mut probes = Vec::new();
    for path in files() {
        for line in std::fs::read_to_string(&path).expect("read").lines() {
            let v: Value = serde_json::from_str(line).expect("json");
            let content = &v["message"]["content"];
            let texts: Vec<&str> = match content {
                Value::String(s) => vec![s.as_str()],
                Value::Array(items) => items
                    .iter()
                    .filter_map(|b| b["text"].as_str().or(b["content"].as_str()))
                    .collect(),
                _ => vec![],
            };
            for t in texts {
                let t = t.trim();
                if t.chars().count() >= 12 {
                    probes.push(t.chars().take(12).collect::<String>());
                }
            }
        }
    }
    assert!(probes.len() > 100, "{}", probes.len());
    let json_text = text.replace("\\\"", "\"");
    for p in &probes {
        assert!(!json_text.contains(p.as_str()), "{p:?} leaked");
    }
}
