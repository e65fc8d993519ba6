//! Imports the four real Claude Code session files in `tests/data/claude-code/` end to end and
//! reads every output line back with the corpus parser. The expected numbers are checked three
//! ways: against the counts in `tests/data/claude-code/SOURCE.md` (measured with Python when the
//! files were collected), against an independent pass over the source lines in this test, and
//! against the importer's own summary.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tokensim_corpus::{parse_line, Line, Position, Record, Timestamp};
use tokensim_import::claude_code::{
    find_session_files, project_of, ClaudeCodeImporter, ClaudeCodeSummary, SessionFile,
};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/claude-code")
}

/// Imports `paths` in order (each under its project) and parses the corpus back.
fn import(paths: &[PathBuf]) -> (ClaudeCodeSummary, Vec<Record>) {
    let mut importer = ClaudeCodeImporter::new();
    for path in paths {
        let input = BufReader::new(File::open(path).unwrap_or_else(|e| panic!("{path:?}: {e}")));
        let name = path.display().to_string();
        let project = project_of(path);
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
    let text = String::from_utf8(out).expect("utf-8 output");
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let pos = Position {
            file: 0,
            line: i as u64 + 1,
        };
        match parse_line(line, pos, i == 0) {
            Ok(Line::Header) if i == 0 => {}
            Ok(Line::Record(r)) if i > 0 => records.push(*r),
            other => panic!("output line {}: {other:?}", i + 1),
        }
    }
    (summary, records)
}

/// Token totals: input, output, 5m writes, 1h writes, cache reads.
type Tokens = [u64; 5];

fn record_tokens(records: &[&Record]) -> Tokens {
    let mut t = [0; 5];
    for r in records {
        let u = r.usage;
        t[0] += u.input_tokens;
        t[1] += u.output_tokens;
        t[2] += u.cache_write_5m_tokens;
        t[3] += u.cache_write_1h_tokens;
        t[4] += u.cache_read_input_tokens;
    }
    t
}

/// What an independent pass over the source lines finds for one file: the last usage line of each
/// (message id, request id), and the earliest timestamp of each.
struct Independent {
    lines: u64,
    usage_lines: u64,
    /// (message id, request id) -> (earliest ts, last usage, sidechain, session).
    calls: BTreeMap<(String, String), (Timestamp, Value, bool, String)>,
}

fn independent(path: &Path) -> Independent {
    let text = std::fs::read_to_string(path).expect("read");
    let mut out = Independent {
        lines: 0,
        usage_lines: 0,
        calls: BTreeMap::new(),
    };
    for line in text.lines() {
        out.lines += 1;
        let v: Value = serde_json::from_str(line).expect("json");
        let usage = &v["message"]["usage"];
        if !usage.is_object() {
            continue;
        }
        out.usage_lines += 1;
        let key = (
            v["message"]["id"].as_str().expect("id").to_owned(),
            v["requestId"].as_str().expect("requestId").to_owned(),
        );
        let ts = Timestamp::parse_rfc3339(v["timestamp"].as_str().expect("ts")).expect("ts");
        let earliest = out.calls.get(&key).map_or(ts, |c| c.0.min(ts));
        let sidechain = v["isSidechain"].as_bool().expect("isSidechain");
        let session = v["sessionId"].as_str().expect("sessionId").to_owned();
        out.calls
            .insert(key, (earliest, usage.clone(), sidechain, session));
    }
    out
}

fn independent_tokens(ind: &Independent) -> Tokens {
    let mut t = [0; 5];
    for (_, u, _, _) in ind.calls.values() {
        let n = |v: &Value| v.as_u64().unwrap_or(0);
        t[0] += n(&u["input_tokens"]);
        t[1] += n(&u["output_tokens"]);
        t[2] += n(&u["cache_creation"]["ephemeral_5m_input_tokens"]);
        t[3] += n(&u["cache_creation"]["ephemeral_1h_input_tokens"]);
        t[4] += n(&u["cache_read_input_tokens"]);
        assert_eq!(
            n(&u["cache_creation_input_tokens"]),
            n(&u["cache_creation"]["ephemeral_5m_input_tokens"])
                + n(&u["cache_creation"]["ephemeral_1h_input_tokens"])
        );
    }
    t
}

/// One file's expected numbers, from `tests/data/claude-code/SOURCE.md`.
struct Expect {
    file: &'static str,
    lines: u64,
    usage_lines: u64,
    calls: u64,
    sidechain_calls: u64,
    tokens: Tokens,
}

const EXPECT: [Expect; 4] = [
    Expect {
        file: "projects/margin/session-basic.jsonl",
        lines: 11,
        usage_lines: 5,
        calls: 2,
        sidechain_calls: 0,
        tokens: [18, 312, 0, 11_821, 55_547],
    },
    Expect {
        file: "projects/sample-project/1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl",
        lines: 29,
        usage_lines: 15,
        calls: 7,
        sidechain_calls: 0,
        tokens: [93, 953, 12_698, 0, 103_219],
    },
    Expect {
        file: "projects/sample-project/5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl",
        lines: 53,
        usage_lines: 28,
        calls: 20,
        sidechain_calls: 10,
        tokens: [129, 3_629, 47_747, 0, 324_259],
    },
    Expect {
        file: "projects/sample-project/fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl",
        lines: 438,
        usage_lines: 262,
        calls: 170,
        sidechain_calls: 161,
        tokens: [818, 51_933, 137_976, 0, 3_647_854],
    },
];

#[test]
fn real_sessions_import_and_read_back() {
    let data = data_dir();
    let paths = find_session_files(std::slice::from_ref(&data)).expect("walks");
    let relative: Vec<PathBuf> = paths
        .iter()
        .map(|p| p.strip_prefix(&data).expect("below").to_path_buf())
        .collect();
    let expected: Vec<PathBuf> = EXPECT.iter().map(|e| PathBuf::from(e.file)).collect();
    assert_eq!(relative, expected, "sorted path order");

    let (summary, records) = import(&paths);

    // Counts reconcile, and match the numbers measured when the files were collected.
    assert_eq!(summary.lines_read, 531);
    assert_eq!(summary.lines_blank, 0);
    assert_eq!(summary.records_written, 199);
    assert_eq!(records.len(), 199);
    let kinds: Vec<(&str, u64)> = summary
        .not_api_calls
        .iter()
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    assert_eq!(
        kinds,
        [
            ("last-prompt", 2),
            ("queue-operation", 2),
            ("summary", 1),
            ("user", 216)
        ]
    );
    assert_eq!(summary.synthetic, 0);
    assert_eq!(summary.superseded_in_file, 111);
    assert_eq!(summary.duplicates_across_files, 0);
    assert_eq!(summary.written_without_ids, 0);
    assert_eq!(
        summary.lines_read,
        summary.lines_blank
            + summary.records_written
            + summary.not_api_calls_total()
            + summary.synthetic
            + summary.superseded_in_file
            + summary.duplicates_across_files
    );
    let models: Vec<(&str, u64)> = summary
        .records_by_model
        .iter()
        .map(|(m, n)| (m.as_str(), *n))
        .collect();
    assert_eq!(
        models,
        [
            ("claude-haiku-4-5-20251001", 2),
            ("claude-sonnet-4-20250514", 197)
        ]
    );

    let mut all_independent: Tokens = [0; 5];
    let mut seen = 0;
    for (i, (e, path)) in EXPECT.iter().zip(&paths).enumerate() {
        let f = &summary.files[i];
        assert_eq!(f.name, path.display().to_string());
        assert_eq!(
            (f.lines_read, f.usage_lines, f.records_written),
            (e.lines, e.usage_lines, e.calls),
            "{}",
            e.file
        );
        let ind = independent(path);
        assert_eq!(
            (ind.lines, ind.usage_lines, ind.calls.len() as u64),
            (e.lines, e.usage_lines, e.calls)
        );
        assert_eq!(independent_tokens(&ind), e.tokens, "{}", e.file);

        // Records come in file order, so this file's records are the next `calls` ones.
        let mine: Vec<&Record> = records[seen..seen + e.calls as usize].iter().collect();
        seen += e.calls as usize;
        assert_eq!(record_tokens(&mine), e.tokens, "{}", e.file);
        let sidechain = mine
            .iter()
            .filter(|r| r.feature.as_deref() == Some("sidechain"))
            .count() as u64;
        assert_eq!(sidechain, e.sidechain_calls, "{}", e.file);
        let project = project_of(path).expect("project");
        for r in &mine {
            let id = r.id.as_deref().expect("id");
            let (key, (ts, usage, side, session)) = ind
                .calls
                .iter()
                .find(|(k, _)| k.0 == id)
                .expect("every record is a call of its file");
            assert!(key.1.starts_with("req_011C"), "{key:?}");
            assert_eq!(r.ts, *ts, "{id}: the earliest line's timestamp");
            assert_eq!(
                r.usage.output_tokens,
                usage["output_tokens"].as_u64().expect("output"),
                "{id}: the last line's output"
            );
            assert_eq!(r.team.as_deref(), Some("claude-code"));
            assert_eq!(r.app.as_deref(), Some(project.as_str()));
            let feature = if *side { "sidechain" } else { "main" };
            assert_eq!(r.feature.as_deref(), Some(feature));
            assert_eq!(r.conversation_id.as_deref(), Some(session.as_str()));
            assert_eq!(r.tags[0], format!("session:{session}"));
            assert!(r.tags[1].starts_with("version:"), "{:?}", r.tags);
            assert_eq!(r.tags.len(), if *side { 3 } else { 2 });
            assert!(r.segments.is_empty());
        }
        for (total, n) in all_independent.iter_mut().zip(e.tokens) {
            *total += n;
        }
    }
    assert_eq!(seen, records.len());

    // The totals three ways: the summary, the records read back, the independent pass.
    let all: Vec<&Record> = records.iter().collect();
    assert_eq!(record_tokens(&all), all_independent);
    assert_eq!(
        [
            summary.tokens_input,
            summary.tokens_output,
            summary.tokens_cache_write_5m,
            summary.tokens_cache_write_1h,
            summary.tokens_cache_read
        ],
        all_independent
    );
    assert_eq!(all_independent, [1_058, 56_827, 198_421, 11_821, 4_130_879]);

    // The Claude Code 2 session's newer usage fields survive.
    let haiku: Vec<&Record> = records
        .iter()
        .filter(|r| r.model == "claude-haiku-4-5-20251001")
        .collect();
    assert_eq!(
        haiku.iter().map(|r| r.thinking_tokens).collect::<Vec<_>>(),
        [Some(49), Some(107)]
    );
    assert!(haiku
        .iter()
        .all(|r| r.inference_geo.as_deref() == Some("not_available")));

    // Calls per UTC day, as the replay's by_day groups them.
    let mut days = BTreeMap::new();
    for r in &records {
        *days.entry(r.ts.day().to_string()).or_insert(0) += 1;
    }
    let days: Vec<(&str, u64)> = days.iter().map(|(d, n)| (d.as_str(), *n)).collect();
    assert_eq!(
        days,
        [("2025-09-03", 177), ("2025-09-07", 20), ("2026-08-20", 2)]
    );
}

#[test]
fn a_session_read_twice_counts_every_copy_as_a_duplicate() {
    // What a resumed session looks like when Claude Code copies the history into a new file: the
    // same calls in two files. The corpus is the same as from one copy.
    let path = data_dir().join(EXPECT[2].file);
    let (once, records_once) = import(std::slice::from_ref(&path));
    let (twice, records_twice) = import(&[path.clone(), path]);
    assert_eq!(twice.records_written, once.records_written);
    assert_eq!(twice.duplicates_across_files, 20);
    assert_eq!(twice.superseded_in_file, 2 * once.superseded_in_file);
    assert_eq!(twice.lines_read, 2 * once.lines_read);
    assert_eq!(twice.files[0].records_written, 0);
    assert_eq!(twice.files[1].records_written, 20);
    assert_eq!(records_twice, records_once);
}

#[test]
fn the_ccusage_probes_import_with_every_line_accounted_for() {
    // The hand-written probes of tests/data/claude-code-probes: one streamed call (3 lines), one
    // call copied into a second file, one call across midnight (2 lines), one synthetic line and
    // one call without a requestId (2 lines), among 35 calls.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/claude-code-probes");
    let paths = find_session_files(&[dir]).expect("walks");
    assert_eq!(paths.len(), 2);
    let (summary, records) = import(&paths);
    assert_eq!(summary.lines_read, 41);
    assert_eq!(summary.records_written, 35);
    assert_eq!(records.len(), 35);
    assert_eq!(summary.synthetic, 1);
    assert_eq!(summary.superseded_in_file, 4);
    assert_eq!(summary.duplicates_across_files, 1);
    assert_eq!(summary.not_api_calls_total(), 0);
    assert_eq!(summary.written_without_ids, 0);
    let by_id = |id: &str| {
        records
            .iter()
            .find(|r| r.id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("{id}"))
    };
    assert_eq!(by_id("msg_d01").usage.output_tokens, 200, "the last line");
    let midnight = by_id("msg_d03");
    assert_eq!(midnight.usage.output_tokens, 800);
    assert_eq!(
        midnight.ts.to_string(),
        "2026-11-03T23:59:58Z",
        "the earliest line"
    );
    assert_eq!(by_id("msg_d13").usage.output_tokens, 500);
    let copied = by_id("msg_d02");
    assert_eq!(
        copied.conversation_id.as_deref(),
        Some("probe-b"),
        "the last copy"
    );
    assert!(records.iter().all(|r| r.app.as_deref() == Some("probes")));
}
