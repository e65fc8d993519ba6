//! Converts the real BurstGPT excerpt in `tests/data/burstgpt/` (the first 42 rows of the Hugging
//! Face dataset `lzzmm/BurstGPT`, CC-BY-4.0; see `SOURCE.md` there) end to end and reads every
//! output line back with the corpus parser. The token totals are checked against the CSV's own
//! column sums, computed here independently of the importer, and against numbers measured with
//! Python over the file.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use tokensim_corpus::{parse_line, Line, Position, Record, Timestamp};
use tokensim_import::burstgpt::{convert, BurstGptOptions, RULE_FAILED_REQUEST, RULE_HEADER, TAG};
use tokensim_import::ImportSummary;

const FILE: &str = "BurstGPT_head42_from_hf_viewer.csv";

fn read_trace() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/burstgpt")
        .join(FILE);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// Converts the excerpt with `opts` and parses the output back.
fn convert_file(opts: &BurstGptOptions) -> (ImportSummary, Vec<Record>) {
    let mut out = Vec::new();
    let summary =
        convert(read_trace().as_bytes(), FILE, opts, &mut out).unwrap_or_else(|e| panic!("{e}"));
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

/// The CSV's rows as (model, request, response, total) by the importer-independent reading.
fn rows() -> Vec<(String, u64, u64, u64)> {
    read_trace()
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            let n = |i: usize| c[i].parse::<u64>().expect("integer");
            (c[1].to_owned(), n(2), n(3), n(4))
        })
        .collect()
}

#[test]
fn the_excerpt_converts_and_reads_back() {
    let (summary, records) = convert_file(&BurstGptOptions::default());
    let rows = rows();
    assert_eq!(rows.len(), 42);
    assert!(
        rows.iter().all(|r| r.1 + r.2 == r.3),
        "Total = Request + Response"
    );

    // 43 lines: the header, 42 rows; the 4 rows with 0 response tokens are failed requests.
    assert_eq!(summary.lines_read, 43);
    assert_eq!(summary.lines_blank, 0);
    assert_eq!(summary.records_written, 38);
    assert_eq!(records.len(), 38);
    assert_eq!(
        summary.skipped_by_rule(),
        BTreeMap::from([(RULE_HEADER, 1), (RULE_FAILED_REQUEST, 4)])
    );
    let failed: Vec<u64> = summary.skipped.iter().skip(1).map(|n| n.line).collect();
    assert_eq!(failed, [22, 40, 42, 43]);
    assert!(summary.adjusted.is_empty());

    // The failed rows carry 0 request tokens too, so the written totals are the column sums.
    let request: u64 = rows.iter().map(|r| r.1).sum();
    let response: u64 = rows.iter().map(|r| r.2).sum();
    assert_eq!((request, response), (28_681, 13_469));
    assert_eq!(summary.tokens_input, request);
    assert_eq!(summary.tokens_output, response);
    let read_in: u64 = records.iter().map(|r| r.usage.input_tokens).sum();
    let read_out: u64 = records.iter().map(|r| r.usage.output_tokens).sum();
    assert_eq!((read_in, read_out), (request, response));

    // Per Claude model: ChatGPT → Haiku 4.5 (29 written of 30), GPT-4 → Sonnet 4.5 (9 of 12).
    let mut by_model: BTreeMap<&str, (u64, u64, u64)> = BTreeMap::new();
    for r in &records {
        let e = by_model.entry(r.model.as_str()).or_default();
        *e = (
            e.0 + 1,
            e.1 + r.usage.input_tokens,
            e.2 + r.usage.output_tokens,
        );
    }
    assert_eq!(
        by_model,
        BTreeMap::from([
            ("claude-haiku-4-5", (29, 19_586, 10_691)),
            ("claude-sonnet-4-5", (9, 9_095, 2_778)),
        ])
    );

    let base = BurstGptOptions::default().base;
    for r in &records {
        assert!(r
            .id
            .as_deref()
            .is_some_and(|id| id.starts_with("BurstGPT_head42_from_hf_viewer-")));
        assert_eq!(r.workspace.as_deref(), Some("burstgpt"));
        assert_eq!(r.app.as_deref(), Some("burstgpt"));
        assert_eq!(r.feature.as_deref(), Some("conversation"));
        assert_eq!(r.tags, [TAG]);
        assert_eq!(r.usage.cache_creation_input_tokens(), 0);
        assert_eq!(r.usage.cache_read_input_tokens, 0);
        assert!(r.segments.is_empty());
        assert!(r.ts >= base);
    }
    assert_eq!(
        records[0].id.as_deref(),
        Some("BurstGPT_head42_from_hf_viewer-2")
    );
    assert_eq!(
        records[0].ts,
        Timestamp::parse_rfc3339("2026-10-01T00:00:05Z").expect("valid")
    );
    // The last written row is line 41, at 4,574 s.
    assert_eq!(
        records.last().map(|r| r.ts),
        Some(Timestamp::parse_rfc3339("2026-10-01T01:16:14Z").expect("valid"))
    );
    assert!(records.windows(2).all(|w| w[0].ts <= w[1].ts), "sorted");
}

#[test]
fn keeping_failed_requests_writes_every_row() {
    let opts = BurstGptOptions {
        keep_failed: true,
        ..BurstGptOptions::default()
    };
    let (summary, records) = convert_file(&opts);
    assert_eq!(records.len(), 42);
    assert_eq!(
        summary.skipped_by_rule(),
        BTreeMap::from([(RULE_HEADER, 1)])
    );
    assert_eq!(
        (summary.tokens_input, summary.tokens_output),
        (28_681, 13_469)
    );
    let failed = records
        .iter()
        .filter(|r| r.usage.output_tokens == 0)
        .count();
    assert_eq!(failed, 4);
}
