//! Converts slices of the two real Azure LLM inference traces (2023) in `tests/data/azure/` (the
//! header and first 200 rows of each published file, CC-BY-4.0; see `SOURCE.md` there) end to
//! end and reads every output line back with the corpus parser. The token totals are checked
//! against the CSV's own column sums, computed here independently of the importer, and against
//! numbers measured with Python over the slices.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use tokensim_corpus::{parse_line, Line, Position, Record, Task, Timestamp};
use tokensim_import::azure::{convert, AzureOptions, RULE_HEADER};
use tokensim_import::ImportSummary;

/// What one slice must convert to.
struct Expect {
    file: &'static str,
    app: &'static str,
    task: Task,
    context_tokens: u64,
    generated_tokens: u64,
    first_ts: &'static str,
    last_ts: &'static str,
}

const CODE: Expect = Expect {
    file: "AzureLLMInferenceTrace_code_head200.csv",
    app: "code",
    task: Task::Code,
    context_tokens: 414_215,
    generated_tokens: 4_907,
    first_ts: "2023-11-16T18:17:03.97996Z",
    last_ts: "2023-11-16T18:20:23.069545Z",
};

const CONV: Expect = Expect {
    file: "AzureLLMInferenceTrace_conv_head200.csv",
    app: "conv",
    task: Task::Chat,
    context_tokens: 180_695,
    generated_tokens: 47_050,
    first_ts: "2023-11-16T18:15:46.68059Z",
    last_ts: "2023-11-16T18:16:47.944127Z",
};

fn read_trace(file: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/azure")
        .join(file);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// Converts one slice with `opts` and parses the output back.
fn convert_file(file: &str, opts: &AzureOptions) -> (ImportSummary, Vec<Record>) {
    let mut out = Vec::new();
    let summary = convert(read_trace(file).as_bytes(), file, opts, &mut out)
        .unwrap_or_else(|e| panic!("{e}"));
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
    (summary, records)
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).expect("valid")
}

fn check(expect: &Expect) {
    let file = expect.file;
    let (summary, records) = convert_file(file, &AzureOptions::default());

    // The column sums, by a reading independent of the importer.
    let text = read_trace(file);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let sum = |i: usize| -> u64 {
        rows.iter()
            .map(|c| c[i].parse::<u64>().expect("int"))
            .sum::<u64>()
    };
    assert_eq!(rows.len(), 200, "{file}");
    assert_eq!(
        (sum(1), sum(2)),
        (expect.context_tokens, expect.generated_tokens),
        "{file}"
    );

    assert_eq!(summary.lines_read, 201, "{file}");
    assert_eq!(summary.lines_blank, 0, "{file}");
    assert_eq!(summary.records_written, 200, "{file}");
    assert_eq!(
        summary.skipped_by_rule(),
        BTreeMap::from([(RULE_HEADER, 1)]),
        "{file}"
    );
    assert!(summary.adjusted.is_empty(), "{file}");
    assert_eq!(records.len(), 200, "{file}");
    assert_eq!(summary.tokens_input, expect.context_tokens, "{file}");
    assert_eq!(summary.tokens_output, expect.generated_tokens, "{file}");
    let read_in: u64 = records.iter().map(|r| r.usage.input_tokens).sum();
    let read_out: u64 = records.iter().map(|r| r.usage.output_tokens).sum();
    assert_eq!(
        (read_in, read_out),
        (expect.context_tokens, expect.generated_tokens),
        "{file}"
    );

    let stem = file.trim_end_matches(".csv");
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.id.as_deref(), Some(format!("{stem}-{}", i + 2).as_str()));
        assert_eq!(r.model, "claude-sonnet-4-5");
        assert_eq!(r.workspace.as_deref(), Some("azure"));
        assert_eq!(r.app.as_deref(), Some(expect.app));
        assert_eq!(r.feature, None);
        assert_eq!(r.task, Some(expect.task));
        assert_eq!(r.tags, [format!("source:azure-{stem}")]);
        assert_eq!(r.usage.cache_creation_input_tokens(), 0);
        assert_eq!(r.usage.cache_read_input_tokens, 0);
        assert!(r.segments.is_empty());
        // The row's own instant, to the 100 ns of its seven fraction digits.
        assert_eq!(
            r.ts,
            ts(&format!("{}Z", rows[i][0])),
            "{file} row {}",
            i + 1
        );
    }
    assert_eq!(
        records.first().map(|r| r.ts),
        Some(ts(expect.first_ts)),
        "{file}"
    );
    assert_eq!(
        records.last().map(|r| r.ts),
        Some(ts(expect.last_ts)),
        "{file}"
    );
    assert!(
        records.windows(2).all(|w| w[0].ts <= w[1].ts),
        "{file}: sorted"
    );

    // Shifted to a base: the first row lands on it and the span is unchanged.
    let base = ts("2026-10-01T00:00:00Z");
    let opts = AzureOptions {
        base: Some(base),
        ..AzureOptions::default()
    };
    let (_, shifted) = convert_file(file, &opts);
    assert_eq!(shifted[0].ts, base);
    for (a, b) in records.iter().zip(&shifted) {
        assert_eq!(b.ts.0 - base.0, a.ts.0 - records[0].ts.0);
    }
}

#[test]
fn code_slice_converts_and_reads_back() {
    check(&CODE);
}

#[test]
fn conv_slice_converts_and_reads_back() {
    check(&CONV);
}
