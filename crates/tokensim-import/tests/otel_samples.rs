//! Converts the hand-written OpenTelemetry fixtures in `tests/data/otel/` (see the README there:
//! GenAI spans following the semantic conventions, and Claude Code log events following its
//! documented names) end to end, and reads every output line back with the corpus parser. The
//! expected numbers were worked out by hand from the fixtures.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use tokensim_corpus::{parse_line, Line, Position, Record};
use tokensim_import::otel::{
    convert, CacheTtl, OtelOptions, OtelSummary, RULE_AGGREGATE_SPAN, RULE_INPUT_EXCLUDES_CACHE,
    RULE_NOT_API_REQUEST, RULE_NOT_CLAUDE, RULE_NO_USAGE,
};

fn convert_file(file: &str, opts: &OtelOptions) -> (OtelSummary, Vec<Record>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/otel")
        .join(file);
    let input = BufReader::new(File::open(&path).unwrap_or_else(|e| panic!("{path:?}: {e}")));
    let mut out = Vec::new();
    let summary = convert(input, file, opts, &mut out).unwrap_or_else(|e| panic!("{e}"));
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
            other => panic!("{file} output line {}: {other:?}", i + 1),
        }
    }
    assert_eq!(
        summary.items_read(),
        summary.records_written + summary.skipped_total(),
        "{file}"
    );
    assert_eq!(records.len() as u64, summary.records_written, "{file}");
    (summary, records)
}

/// (model, input, cache read, cache write, output, latency)
type Row<'a> = (&'a str, u64, u64, u64, u64, Option<u64>);

fn rows(records: &[Record]) -> Vec<Row<'_>> {
    records
        .iter()
        .map(|r| {
            (
                r.model.as_str(),
                r.usage.input_tokens,
                r.usage.cache_read_input_tokens,
                r.usage.cache_creation_input_tokens(),
                r.usage.output_tokens,
                r.latency_ms,
            )
        })
        .collect()
}

#[test]
fn genai_spans_in_json_lines() {
    let (summary, records) = convert_file("genai-spans.jsonl", &OtelOptions::default());
    assert_eq!((summary.lines_read, summary.exports_read), (3, 3));
    assert_eq!((summary.spans_read, summary.log_records_read), (9, 0));
    assert_eq!(summary.records_written, 5);
    let skipped: Vec<(&str, u64)> = summary
        .skipped_by_rule
        .iter()
        .map(|(k, v)| (*k, *v))
        .collect();
    assert_eq!(
        skipped,
        [
            (RULE_AGGREGATE_SPAN, 1),
            (RULE_NO_USAGE, 2),
            (RULE_NOT_CLAUDE, 1)
        ]
    );
    assert_eq!(
        summary.skipped.len(),
        2,
        "the no-usage spans are only counted"
    );
    assert_eq!(summary.adjusted.len(), 1);
    assert_eq!(
        (summary.adjusted[0].line, summary.adjusted[0].rule),
        (3, RULE_INPUT_EXCLUDES_CACHE)
    );

    let want: Vec<Row> = vec![
        ("claude-sonnet-4-5-20250929", 200, 0, 6000, 350, Some(610)),
        (
            "claude-sonnet-4-5-20250929",
            330,
            6000,
            120,
            280,
            Some(5300),
        ),
        ("claude-3-5-haiku-20241022", 476, 1024, 0, 90, Some(1250)),
        ("claude-3-7-sonnet-20250219", 2100, 0, 0, 150, Some(3005)),
        ("claude-3-7-sonnet-20250219", 25, 3000, 0, 60, Some(1900)),
    ];
    assert_eq!(rows(&records), want);
    let ts: Vec<String> = records.iter().map(|r| r.ts.to_string()).collect();
    assert_eq!(
        ts,
        [
            "2026-03-02T10:00:00.200Z",
            "2026-03-02T10:00:03.500Z",
            "2026-03-02T10:00:20Z",
            "2026-03-02T10:00:24Z",
            "2026-03-02T10:00:40Z",
        ]
    );
    let first = &records[0];
    assert_eq!(first.id.as_deref(), Some("msg_hand_01"));
    assert_eq!(first.conversation_id.as_deref(), Some("conv-42"));
    assert_eq!(
        (
            first.team.as_deref(),
            first.app.as_deref(),
            first.feature.as_deref()
        ),
        (Some("support"), Some("support-bot"), Some("triage"))
    );
    assert_eq!(first.tags, ["source:otel", "env:prod"]);
    assert_eq!((first.stream, first.max_tokens), (Some(true), Some(1024)));
    let haiku = &records[2];
    assert_eq!(haiku.id.as_deref(), Some("5e6f708192031425"), "the span id");
    assert_eq!(
        (haiku.team.as_deref(), haiku.app.as_deref()),
        (Some("finance"), Some("reports"))
    );
    assert_eq!(records[4].team, None);

    assert_eq!(summary.tokens_input, 200 + 330 + 476 + 2100 + 25);
    assert_eq!(summary.tokens_output, 350 + 280 + 90 + 150 + 60);
    assert_eq!(summary.tokens_cache_read, 6000 + 1024 + 3000);
    assert_eq!(summary.tokens_cache_write_5m, 6000 + 120);
    assert_eq!(summary.tokens_cache_write_1h, 0);
    let input: u64 = records.iter().map(|r| r.usage.input_tokens).sum();
    assert_eq!(input, summary.tokens_input);
}

#[test]
fn a_pretty_printed_export() {
    let (summary, records) = convert_file("genai-spans.pretty.json", &OtelOptions::default());
    assert_eq!(
        (summary.lines_read, summary.exports_read, summary.spans_read),
        (67, 1, 1)
    );
    assert_eq!(
        rows(&records),
        [("claude-opus-4-1-20250805", 1200, 0, 0, 80, Some(5500))]
    );
    assert_eq!(records[0].ts.to_string(), "2026-03-02T10:01:00Z");
    assert_eq!(records[0].app.as_deref(), Some("notebook"));
}

#[test]
fn claude_code_log_events() {
    let opts = OtelOptions {
        cache_write_ttl: CacheTtl::OneHour,
        ..OtelOptions::default()
    };
    let (summary, records) = convert_file("claude-code-logs.jsonl", &opts);
    assert_eq!((summary.exports_read, summary.metric_exports), (2, 1));
    assert_eq!((summary.log_records_read, summary.records_written), (5, 2));
    assert_eq!(summary.skipped_by_rule[RULE_NOT_API_REQUEST], 3);
    assert!(summary.skipped.is_empty() && summary.adjusted.is_empty());
    assert_eq!(
        rows(&records),
        [
            ("claude-sonnet-4-6", 12, 48000, 1800, 410, Some(900)),
            ("claude-haiku-4-5-20251001", 300, 0, 0, 25, Some(700)),
        ]
    );
    let r = &records[0];
    // Logged at 15:30:07.1 after a 5.1 s call.
    assert_eq!(r.ts.to_string(), "2026-03-03T15:30:02Z");
    assert_eq!(records[1].ts.to_string(), "2026-03-03T15:30:09Z");
    assert_eq!(
        (r.usage.cache_write_5m_tokens, r.usage.cache_write_1h_tokens),
        (0, 1800)
    );
    assert_eq!(r.id.as_deref(), Some("req_hand_01"));
    assert_eq!(r.conversation_id.as_deref(), Some("s-hand-1"));
    assert_eq!(
        (r.team.as_deref(), r.app.as_deref(), r.feature.as_deref()),
        (Some("devex"), Some("claude-code"), Some("repl_main_thread"))
    );
    assert_eq!(records[1].feature.as_deref(), Some("compact"));
    assert_eq!(summary.tokens_cache_write_1h, 1800);
}
