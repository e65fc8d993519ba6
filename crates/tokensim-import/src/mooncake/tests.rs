//! Data-driven tests of the Mooncake importer: each case is a tiny trace and what it must become.
//! Every output line is read back with the corpus parser, which checks the sum rule.

use std::io::{self, BufRead, Read, Write};

use serde_json::Value;
use tokensim_corpus::{parse_line, Line, Position, Record};

use super::*;

/// Converts `trace` (named `t.jsonl`) with `opts`, reads every output line back with the corpus
/// parser, and checks that the summary reconciles with what was written.
fn run(trace: &str, opts: &MooncakeOptions) -> Result<(Vec<Value>, ImportSummary), String> {
    let mut out = Vec::new();
    let summary =
        convert(trace.as_bytes(), "t.jsonl", opts, &mut out).map_err(|e| e.to_string())?;
    let text = String::from_utf8(out).expect("utf-8 output");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(r#"{"schema":"tokensim.corpus/1"}"#));
    let mut values = Vec::new();
    let (mut tokens_input, mut tokens_output, mut segments) = (0, 0, 0);
    for (i, line) in lines.enumerate() {
        let pos = Position {
            file: 0,
            line: i as u64 + 2,
        };
        let record: Record = match parse_line(line, pos, false) {
            Ok(Line::Record(r)) => *r,
            other => panic!("output line {line} does not read back: {other:?}"),
        };
        let sum: u64 = record.segments.iter().map(|s| s.tokens).sum();
        assert_eq!(sum, record.usage.total_input_tokens(), "sum rule: {line}");
        tokens_input += record.usage.input_tokens;
        tokens_output += record.usage.output_tokens;
        segments += record.segments.len() as u64;
        values.push(serde_json::from_str(line).expect("json"));
    }
    assert_eq!(summary.records_written, values.len() as u64);
    assert_eq!(summary.tokens_input, tokens_input);
    assert_eq!(summary.tokens_output, tokens_output);
    assert_eq!(summary.segments_written, segments);
    assert_eq!(
        summary.lines_read,
        summary.lines_blank + summary.records_written + summary.skipped.len() as u64
    );
    Ok((values, summary))
}

/// One line per record (`id ts input/output hash:tokens...`), then one per skipped and adjusted
/// trace line.
fn render(values: &[Value], summary: &ImportSummary) -> String {
    let mut out = String::new();
    for v in values {
        let segments: Vec<String> = v["prompt"]["segments"]
            .as_array()
            .expect("segments")
            .iter()
            .map(|s| format!("{}:{}", s["hash"].as_str().expect("hash"), s["tokens"]))
            .collect();
        out += &format!(
            "{} {} {}/{} {}\n",
            v["id"].as_str().expect("id"),
            v["ts"].as_str().expect("ts"),
            v["usage"]["input_tokens"],
            v["usage"]["output_tokens"],
            segments.join(" ")
        );
    }
    for (what, notes) in [
        ("skipped", &summary.skipped),
        ("adjusted", &summary.adjusted),
    ] {
        for n in notes {
            out += &format!("{what} line {} {}: {}\n", n.line, n.rule, n.detail);
        }
    }
    out
}

fn check(trace: &str, expect: &str) {
    check_with(trace, &MooncakeOptions::default(), expect);
}

fn check_with(trace: &str, opts: &MooncakeOptions, expect: &str) {
    let (values, summary) = run(trace, opts).unwrap_or_else(|e| panic!("{e}\ntrace:\n{trace}"));
    let got = render(&values, &summary);
    assert_eq!(got.trim(), expect.trim(), "trace:\n{trace}");
}

fn check_err(trace: &str, expect: &str) {
    match run(trace, &MooncakeOptions::default()) {
        Ok((values, summary)) => panic!("expected an error, got\n{}", render(&values, &summary)),
        Err(got) => assert_eq!(got, expect, "trace:\n{trace}"),
    }
}

#[test]
fn one_line_maps_every_field() {
    let trace =
        r#"{"timestamp": 1500, "input_length": 1030, "output_length": 7, "hash_ids": [5, 9, 12]}"#;
    let mut out = Vec::new();
    convert(
        trace.as_bytes(),
        "t.jsonl",
        &MooncakeOptions::default(),
        &mut out,
    )
    .expect("converts");
    let expect = concat!(
        r#"{"schema":"tokensim.corpus/1"}"#,
        "\n",
        r#"{"id":"t-1","ts":"2026-10-01T00:00:01.500Z","model":"claude-sonnet-4-5","#,
        r#""workspace":"mooncake","tags":["source:mooncake-t"],"#,
        r#""usage":{"input_tokens":1030,"output_tokens":7,"cache_creation_input_tokens":0,"#,
        r#""cache_read_input_tokens":0},"prompt":{"segments":["#,
        r#"{"role":"user","hash":"mc-t-5","tokens":512,"cache_control":null},"#,
        r#"{"role":"user","hash":"mc-t-9","tokens":512,"cache_control":null},"#,
        r#"{"role":"user","hash":"mc-t-12","tokens":6,"cache_control":null}]}}"#,
        "\n",
    );
    assert_eq!(String::from_utf8(out).expect("utf-8"), expect);
}

#[test]
fn last_block_takes_the_remainder() {
    check(
        r#"{"timestamp": 0, "input_length": 1, "output_length": 1, "hash_ids": [0]}
{"timestamp": 0, "input_length": 512, "output_length": 2, "hash_ids": [0]}
{"timestamp": 3000, "input_length": 513, "output_length": 3, "hash_ids": [0, 1]}
{"timestamp": 3001, "input_length": 1024, "output_length": 4, "hash_ids": [0, 1]}"#,
        "
t-1 2026-10-01T00:00:00Z 1/1 mc-t-0:1
t-2 2026-10-01T00:00:00Z 512/2 mc-t-0:512
t-3 2026-10-01T00:00:03Z 513/3 mc-t-0:512 mc-t-1:1
t-4 2026-10-01T00:00:03.001Z 1024/4 mc-t-0:512 mc-t-1:512",
    );
}

#[test]
fn timestamps_are_milliseconds_after_the_base() {
    check(
        r#"{"timestamp": 3536999, "input_length": 10, "output_length": 1, "hash_ids": [7]}
{"timestamp": 86400000, "input_length": 10, "output_length": 1, "hash_ids": [7]}"#,
        "
t-1 2026-10-01T00:58:56.999Z 10/1 mc-t-7:10
t-2 2026-10-02T00:00:00Z 10/1 mc-t-7:10",
    );
}

#[test]
fn options_set_base_model_and_workspace() {
    let opts = MooncakeOptions {
        base: Timestamp::parse_rfc3339("2027-01-01T10:00:00+02:00").expect("valid"),
        model: "claude-haiku-4-5".to_owned(),
        workspace: "kimi".to_owned(),
    };
    let trace = r#"{"timestamp": 250, "input_length": 10, "output_length": 1, "hash_ids": [7]}"#;
    check_with(trace, &opts, "t-1 2027-01-01T08:00:00.250Z 10/1 mc-t-7:10");
    let (values, _) = run(trace, &opts).expect("converts");
    assert_eq!(values[0]["model"], "claude-haiku-4-5");
    assert_eq!(values[0]["workspace"], "kimi");
}

#[test]
fn no_workload_attribution_only_the_source_tag() {
    let (values, _) = run(
        r#"{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [7]}"#,
        &MooncakeOptions::default(),
    )
    .expect("converts");
    let keys: Vec<&str> = values[0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    // serde_json's map is sorted; the written order is pinned by `one_line_maps_every_field`.
    assert_eq!(
        keys,
        ["id", "model", "prompt", "tags", "ts", "usage", "workspace"]
    );
    assert_eq!(values[0]["tags"], serde_json::json!(["source:mooncake-t"]));
}

#[test]
fn ids_count_physical_lines_and_blank_lines_are_counted() {
    let trace = "\n{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [7]}\r\n   \r\n{\"timestamp\": 5, \"input_length\": 20, \"output_length\": 2, \"hash_ids\": [8]}";
    check(
        trace,
        "
t-2 2026-10-01T00:00:00Z 10/1 mc-t-7:10
t-4 2026-10-01T00:00:00.005Z 20/2 mc-t-8:20",
    );
    let (_, summary) = run(trace, &MooncakeOptions::default()).expect("converts");
    assert_eq!((summary.lines_read, summary.lines_blank), (4, 2));
}

#[test]
fn unknown_keys_are_ignored() {
    check(
        r#"{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [7], "session": "s1"}"#,
        "t-1 2026-10-01T00:00:00Z 10/1 mc-t-7:10",
    );
}

#[test]
fn inconsistent_block_counts_are_skipped_or_adjusted_with_reasons() {
    check(
        r#"{"timestamp": 0, "input_length": 512, "output_length": 1, "hash_ids": [0, 1]}
{"timestamp": 0, "input_length": 0, "output_length": 1, "hash_ids": [0]}
{"timestamp": 0, "input_length": 700, "output_length": 1, "hash_ids": []}
{"timestamp": 0, "input_length": 0, "output_length": 1, "hash_ids": []}
{"timestamp": 0, "input_length": 100, "output_length": 1, "hash_ids": [0, 1, 2]}
{"timestamp": 0, "input_length": 1100, "output_length": 1, "hash_ids": [0, 1]}
{"timestamp": 0, "input_length": 600, "output_length": 1, "hash_ids": [0]}
{"timestamp": 0, "input_length": 600, "output_length": 1, "hash_ids": [0, 1]}"#,
        "
t-6 2026-10-01T00:00:00Z 1100/1 mc-t-0:512 mc-t-1:588
t-7 2026-10-01T00:00:00Z 600/1 mc-t-0:600
t-8 2026-10-01T00:00:00Z 600/1 mc-t-0:512 mc-t-1:88
skipped line 1 blocks-exceed-input: input_length 512 fills 1 block of 512 tokens, hash_ids has 2
skipped line 2 blocks-exceed-input: input_length 0 fills 0 blocks of 512 tokens, hash_ids has 1
skipped line 3 no-blocks: hash_ids is empty, so the 700 input tokens have no block
skipped line 4 no-blocks: hash_ids is empty, so the 0 input tokens have no block
skipped line 5 blocks-exceed-input: input_length 100 fills 1 block of 512 tokens, hash_ids has 3
adjusted line 6 input-exceeds-blocks: input_length 1100 needs 3 blocks of 512 tokens, hash_ids has 2; the last block carries 588 tokens
adjusted line 7 input-exceeds-blocks: input_length 600 needs 2 blocks of 512 tokens, hash_ids has 1; the last block carries 600 tokens",
    );
}

#[test]
fn summary_counts_rules() {
    let (_, summary) = run(
        r#"{"timestamp": 0, "input_length": 512, "output_length": 1, "hash_ids": [0, 1]}
{"timestamp": 0, "input_length": 5, "output_length": 1, "hash_ids": []}
{"timestamp": 0, "input_length": 5, "output_length": 1, "hash_ids": [0, 1]}
{"timestamp": 0, "input_length": 600, "output_length": 1, "hash_ids": [0]}
{"timestamp": 0, "input_length": 6, "output_length": 1, "hash_ids": [0]}"#,
        &MooncakeOptions::default(),
    )
    .expect("converts");
    let skipped: Vec<_> = summary.skipped_by_rule().into_iter().collect();
    assert_eq!(
        skipped,
        [(RULE_BLOCKS_EXCEED_INPUT, 2), (RULE_NO_BLOCKS, 1)]
    );
    let adjusted: Vec<_> = summary.adjusted_by_rule().into_iter().collect();
    assert_eq!(adjusted, [(RULE_INPUT_EXCEEDS_BLOCKS, 1)]);
    assert_eq!(summary.records_written, 2);
    assert_eq!((summary.tokens_input, summary.tokens_output), (606, 2));
}

/// Every split of `input_length` over `n` blocks, from a seeded generator: a line is written
/// exactly when its last block would hold at least one token, and then the segments add up to
/// the input (checked by `run` through the corpus validator) with every block but the last at
/// exactly 512.
#[test]
fn sum_rule_holds_for_generated_lines() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |bound: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % bound
    };
    let mut trace = String::new();
    let mut expect_written = Vec::new();
    for line in 1..=500u64 {
        let blocks = next(12);
        let input_length = next(512 * 12 + 1);
        let ids: Vec<String> = (0..blocks).map(|b| (line * 100 + b).to_string()).collect();
        trace += &format!(
            "{{\"timestamp\": {line}, \"input_length\": {input_length}, \"output_length\": 1, \"hash_ids\": [{}]}}\n",
            ids.join(", ")
        );
        if blocks > 0 && input_length > 512 * (blocks - 1) {
            expect_written.push((line, blocks, input_length));
        }
    }
    let (values, summary) = run(&trace, &MooncakeOptions::default()).expect("converts");
    assert_eq!(values.len(), expect_written.len());
    assert_eq!(
        summary.lines_read, 500,
        "every generated line is read and accounted for"
    );
    for (v, &(line, blocks, input_length)) in values.iter().zip(&expect_written) {
        assert_eq!(v["id"], format!("t-{line}"));
        let tokens: Vec<u64> = v["prompt"]["segments"]
            .as_array()
            .expect("segments")
            .iter()
            .map(|s| s["tokens"].as_u64().expect("tokens"))
            .collect();
        assert_eq!(tokens.len() as u64, blocks);
        assert!(tokens[..tokens.len() - 1].iter().all(|&t| t == 512));
        assert_eq!(tokens.iter().sum::<u64>(), input_length);
    }
}

#[test]
fn malformed_lines_stop_with_file_line_and_field() {
    let good = r#"{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [7]}"#;
    let cases = [
        (
            r#"{"timestamp": 0, "output_length": 1, "hash_ids": [7]}"#,
            "t.jsonl:2: input_length: required field is missing",
        ),
        (
            r#"{"timestamp": 0, "input_length": null, "output_length": 1, "hash_ids": [7]}"#,
            "t.jsonl:2: input_length: must be a non-negative integer, got null",
        ),
        (
            r#"{"timestamp": -5, "input_length": 10, "output_length": 1, "hash_ids": [7]}"#,
            "t.jsonl:2: timestamp: must be a non-negative integer, got -5",
        ),
        (
            r#"{"timestamp": 1.5, "input_length": 10, "output_length": 1, "hash_ids": [7]}"#,
            "t.jsonl:2: timestamp: must be a non-negative integer, got 1.5",
        ),
        (
            r#"{"timestamp": 0, "input_length": 10, "output_length": "1", "hash_ids": [7]}"#,
            "t.jsonl:2: output_length: must be a non-negative integer, got \"1\"",
        ),
        (
            r#"{"timestamp": 0, "input_length": 10, "output_length": 1}"#,
            "t.jsonl:2: hash_ids: required field is missing",
        ),
        (
            r#"{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": "7"}"#,
            "t.jsonl:2: hash_ids: must be a list of non-negative integers, got \"7\"",
        ),
        (
            r#"{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [7, -1]}"#,
            "t.jsonl:2: hash_ids[1]: must be a non-negative integer, got -1",
        ),
        (
            r#"{"timestamp": 0, "input_length": 10, "timestamp": 1, "output_length": 1, "hash_ids": [7]}"#,
            "t.jsonl:2: not valid JSON: duplicate field `timestamp` (column 48)",
        ),
        (
            r#"{"timestamp": 0, "input_length": 10"#,
            "t.jsonl:2: not valid JSON: EOF while parsing an object (column 35)",
        ),
        (
            r#"[0, 10, 1, [7]]"#,
            "t.jsonl:2: not a JSON object (line starts with \"[0, 10, 1, [7]]\")",
        ),
        (
            r#"{"timestamp": 18446744073709551615, "input_length": 10, "output_length": 1, "hash_ids": [7]}"#,
            "t.jsonl:2: timestamp: 18446744073709551615 ms after the base instant \
             2026-10-01T00:00:00Z is past the last representable instant (year 2262)",
        ),
    ];
    for (bad, expect) in cases {
        check_err(&format!("{good}\n{bad}\n{good}\n"), expect);
    }
}

#[test]
fn long_values_are_cut_in_messages() {
    check_err(
        r#"{"timestamp": "2026-10-01T00:00:00.000000000Z and more", "input_length": 1, "output_length": 1, "hash_ids": [7]}"#,
        "t.jsonl:1: timestamp: must be a non-negative integer, got \"2026-10-01T00:00:00.000000000Z and more…",
    );
}

#[test]
fn invalid_utf8_names_the_line() {
    let mut trace =
        b"{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [7]}\n"
            .to_vec();
    trace.extend_from_slice(b"{\"timestamp\": 0, \"x\": \"\xff\"}\n");
    let err = convert(
        &trace[..],
        "t.jsonl",
        &MooncakeOptions::default(),
        io::sink(),
    )
    .expect_err("invalid utf-8");
    assert!(
        err.to_string()
            .starts_with("t.jsonl:2: line is not valid UTF-8"),
        "{err}"
    );
}

#[test]
fn stem_drops_directories_and_extensions() {
    for (name, expect) in [
        ("conversation_trace.jsonl", "conversation_trace"),
        ("traces/synthetic_trace.jsonl", "synthetic_trace"),
        (r"C:\traces\tool.json", "tool"),
        ("mooncake_trace.jsonl.zst", "mooncake_trace"),
        ("trace.v2.jsonl", "trace.v2"),
        ("plain", "plain"),
    ] {
        assert_eq!(stem(name), expect, "{name}");
    }
    let mut out = Vec::new();
    convert(
        r#"{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [7]}"#.as_bytes(),
        "traces/conversation_trace.jsonl",
        &MooncakeOptions::default(),
        &mut out,
    )
    .expect("converts");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains(r#""id":"conversation_trace-1""#), "{text}");
    assert!(
        text.contains(r#""tags":["source:mooncake-conversation_trace"]"#),
        "{text}"
    );
    assert!(
        text.contains(r#""hash":"mc-conversation_trace-7""#),
        "{text}"
    );
}

#[test]
fn bad_options_are_refused_before_any_output() {
    let trace = r#"{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [7]}"#;
    let cases = [
        (
            "t.jsonl",
            MooncakeOptions {
                model: String::new(),
                ..MooncakeOptions::default()
            },
            "model: is empty; every record needs a model id, like claude-sonnet-4-5",
        ),
        (
            "t.jsonl",
            MooncakeOptions {
                workspace: String::new(),
                ..MooncakeOptions::default()
            },
            "workspace: is empty; the corpus would read it as \"default\"",
        ),
        (
            "dir/.jsonl",
            MooncakeOptions::default(),
            "source name: is empty; it names the trace in ids and segment hashes",
        ),
    ];
    for (name, opts, expect) in cases {
        let mut out = Vec::new();
        let err = convert(trace.as_bytes(), name, &opts, &mut out).expect_err("refused");
        assert_eq!(err.to_string(), expect);
        assert!(out.is_empty());
    }
}

/// A reader whose second read fails.
struct FailingReader {
    reads: u32,
}

impl Read for FailingReader {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        unreachable!("read through BufRead")
    }
}

impl BufRead for FailingReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.reads += 1;
        if self.reads == 1 {
            Ok(b"{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [7]}\n")
        } else {
            Err(io::Error::other("disk gone"))
        }
    }

    fn consume(&mut self, _: usize) {}
}

#[test]
fn read_errors_name_the_line() {
    let err = convert(
        FailingReader { reads: 0 },
        "t.jsonl",
        &MooncakeOptions::default(),
        io::sink(),
    )
    .expect_err("read fails");
    assert_eq!(err.to_string(), "t.jsonl:2: read failed: disk gone");
}

/// A writer that accepts `room` bytes and then fails.
struct FullWriter {
    room: usize,
}

impl Write for FullWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.room == 0 {
            return Err(io::Error::other("disk full"));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_errors_name_the_source() {
    let trace = r#"{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [7]}"#;
    let err = convert(
        trace.as_bytes(),
        "t.jsonl",
        &MooncakeOptions::default(),
        FullWriter { room: 40 },
    )
    .expect_err("write fails");
    assert_eq!(
        err.to_string(),
        "t.jsonl: writing the corpus failed: disk full"
    );
}

#[test]
fn token_totals_that_overflow_stop_the_import() {
    let max = u64::MAX;
    let line = format!(
        "{{\"timestamp\": 0, \"input_length\": {max}, \"output_length\": 1, \"hash_ids\": [7]}}\n"
    );
    let err = convert(
        line.repeat(2).as_bytes(),
        "t.jsonl",
        &MooncakeOptions::default(),
        io::sink(),
    )
    .expect_err("overflow");
    assert_eq!(
        err.to_string(),
        "t.jsonl:2: the trace's token total overflows 64 bits"
    );
}
