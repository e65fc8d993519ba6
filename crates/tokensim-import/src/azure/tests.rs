//! Hand-written Azure traces and what they must become. Every output line is read back with the
//! corpus parser, and the summary is checked to reconcile with what was written.

use serde_json::Value;
use tokensim_corpus::{parse_line, Line, Position};

use super::*;

const HEADER: &str = "TIMESTAMP,ContextTokens,GeneratedTokens";

/// Converts `trace` under `name` with `opts` and reads every output line back.
fn run_named(
    trace: &str,
    name: &str,
    opts: &AzureOptions,
) -> Result<(Vec<Value>, ImportSummary), String> {
    let mut out = Vec::new();
    let summary = convert(trace.as_bytes(), name, opts, &mut out).map_err(|e| e.to_string())?;
    let text = String::from_utf8(out).expect("utf-8 output");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(r#"{"schema":"tokensim.corpus/1"}"#));
    let mut values = Vec::new();
    let (mut tokens_input, mut tokens_output) = (0, 0);
    for (i, line) in lines.enumerate() {
        let pos = Position {
            file: 0,
            line: i as u64 + 2,
        };
        match parse_line(line, pos, false) {
            Ok(Line::Record(r)) => {
                tokens_input += r.usage.input_tokens;
                tokens_output += r.usage.output_tokens;
                assert!(r.segments.is_empty());
            }
            other => panic!("output line {line} does not read back: {other:?}"),
        }
        values.push(serde_json::from_str(line).expect("json"));
    }
    assert_eq!(summary.records_written, values.len() as u64);
    assert_eq!(summary.tokens_input, tokens_input);
    assert_eq!(summary.tokens_output, tokens_output);
    assert!(summary.adjusted.is_empty());
    assert_eq!(
        summary.lines_read,
        summary.lines_blank + summary.records_written + summary.skipped.len() as u64
    );
    Ok((values, summary))
}

fn run(trace: &str, opts: &AzureOptions) -> Result<(Vec<Value>, ImportSummary), String> {
    run_named(trace, "AzureLLMInferenceTrace_code.csv", opts)
}

/// One line per record: `id ts in/out`.
fn render(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| {
            format!(
                "{} {} {}/{}\n",
                v["id"].as_str().expect("id"),
                v["ts"].as_str().expect("ts"),
                v["usage"]["input_tokens"],
                v["usage"]["output_tokens"],
            )
        })
        .collect()
}

fn check_with(trace: &str, opts: &AzureOptions, expect: &str) {
    let (values, _) = run(trace, opts).unwrap_or_else(|e| panic!("{e}\ntrace:\n{trace}"));
    assert_eq!(render(&values).trim(), expect.trim(), "trace:\n{trace}");
}

fn check_err(trace: &str, expect: &str) {
    match run(trace, &AzureOptions::default()) {
        Ok((values, _)) => panic!("expected an error, got\n{}", render(&values)),
        Err(got) => assert_eq!(got, expect, "trace:\n{trace}"),
    }
}

#[test]
fn one_row_maps_every_field() {
    let trace = format!("{HEADER}\n2023-11-16 18:17:03.9799600,4808,10");
    let mut out = Vec::new();
    let summary = convert(
        trace.as_bytes(),
        "data/AzureLLMInferenceTrace_code.csv",
        &AzureOptions::default(),
        &mut out,
    )
    .expect("converts");
    let expect = concat!(
        r#"{"schema":"tokensim.corpus/1"}"#,
        "\n",
        r#"{"id":"AzureLLMInferenceTrace_code-2","ts":"2023-11-16T18:17:03.979960000Z","#,
        r#""model":"claude-sonnet-4-5","workspace":"azure","app":"code","#,
        r#""tags":["source:azure-AzureLLMInferenceTrace_code"],"task":"code","#,
        r#""usage":{"input_tokens":4808,"output_tokens":10,"cache_creation_input_tokens":0,"#,
        r#""cache_read_input_tokens":0}}"#,
        "\n",
    );
    assert_eq!(String::from_utf8(out).expect("utf-8"), expect);
    assert_eq!(summary.skipped_by_rule(), [(RULE_HEADER, 1)].into());
    assert_eq!(
        summary.skipped[0].detail,
        "column names TIMESTAMP,ContextTokens,GeneratedTokens"
    );
}

#[test]
fn seven_fraction_digits_are_kept_exactly() {
    check_with(
        &format!(
            "{HEADER}\n2023-11-16 18:17:03.9799600,1,1\n2023-11-16 18:17:04.0319601,2,2\n\
             2023-11-16 18:17:05,3,3\n2023-11-16 18:17:05.5,4,4\n2023-11-16T18:17:06.123456789,5,5"
        ),
        &AzureOptions::default(),
        "
AzureLLMInferenceTrace_code-2 2023-11-16T18:17:03.979960000Z 1/1
AzureLLMInferenceTrace_code-3 2023-11-16T18:17:04.031960100Z 2/2
AzureLLMInferenceTrace_code-4 2023-11-16T18:17:05Z 3/3
AzureLLMInferenceTrace_code-5 2023-11-16T18:17:05.500Z 4/4
AzureLLMInferenceTrace_code-6 2023-11-16T18:17:06.123456789Z 5/5",
    );
}

#[test]
fn timestamps_with_an_offset_are_read_with_it() {
    // The 2024 week-long traces write `+00:00`.
    check_with(
        &format!(
            "{HEADER}\n2024-05-10 00:00:00.009930+00:00,1,1\n2024-05-10 02:00:00+02:00,2,2\n\
             2024-05-10 00:00:01Z,3,3"
        ),
        &AzureOptions::default(),
        "
AzureLLMInferenceTrace_code-2 2024-05-10T00:00:00.009930000Z 1/1
AzureLLMInferenceTrace_code-3 2024-05-10T00:00:00Z 2/2
AzureLLMInferenceTrace_code-4 2024-05-10T00:00:01Z 3/3",
    );
}

#[test]
fn a_base_shifts_the_first_row_there_and_keeps_the_gaps() {
    let opts = AzureOptions {
        base: Some(Timestamp::parse_rfc3339("2026-10-01T00:00:00Z").expect("valid")),
        ..AzureOptions::default()
    };
    check_with(
        &format!(
            "{HEADER}\n\n2023-11-16 18:17:03.9799600,1,1\n2023-11-16 18:17:04.0319600,2,2\n\
             2023-11-16 18:17:03.0000000,3,3\n2023-11-17 18:17:03.9799600,4,4"
        ),
        &opts,
        "
AzureLLMInferenceTrace_code-3 2026-10-01T00:00:00Z 1/1
AzureLLMInferenceTrace_code-4 2026-10-01T00:00:00.052Z 2/2
AzureLLMInferenceTrace_code-5 2026-09-30T23:59:59.020040000Z 3/3
AzureLLMInferenceTrace_code-6 2026-10-02T00:00:00Z 4/4",
    );
}

#[test]
fn app_and_task_come_from_the_file_name() {
    let trace = format!("{HEADER}\n2023-11-16 18:15:46.6805900,374,44");
    let opts = AzureOptions::default();
    for (name, app, task) in [
        ("AzureLLMInferenceTrace_code.csv", "code", Some("code")),
        ("x/AzureLLMInferenceTrace_conv.csv", "conv", Some("chat")),
        (
            "AzureLLMInferenceTrace_conv_1week.csv.zst",
            "conv",
            Some("chat"),
        ),
        (
            "AzureLLMInferenceTrace_CODE_head200.csv",
            "code",
            Some("code"),
        ),
        ("trace.csv", "trace", None),
        ("code_vs_conv.csv", "code_vs_conv", None),
    ] {
        let (values, _) = run_named(&trace, name, &opts).expect("converts");
        assert_eq!(values[0]["app"], app, "{name}");
        assert_eq!(values[0]["task"].as_str(), task, "{name}");
    }
    let (values, _) = run_named(&trace, "trace.csv", &opts).expect("converts");
    assert_eq!(values[0]["tags"], serde_json::json!(["source:azure-trace"]));
    assert_eq!(values[0]["id"], "trace-2");

    let opts = AzureOptions {
        model: "claude-haiku-4-5".to_owned(),
        workspace: "splitwise".to_owned(),
        app: Some("copilot".to_owned()),
        ..AzureOptions::default()
    };
    let (values, _) = run(&trace, &opts).expect("converts");
    assert_eq!(values[0]["model"], "claude-haiku-4-5");
    assert_eq!(values[0]["workspace"], "splitwise");
    assert_eq!(values[0]["app"], "copilot");
    assert_eq!(values[0]["task"], "code");
}

#[test]
fn zero_tokens_are_written_as_they_are() {
    check_with(
        &format!("{HEADER}\n2023-11-16 18:17:03,0,0\n2023-11-16 18:17:04,5,0"),
        &AzureOptions::default(),
        "
AzureLLMInferenceTrace_code-2 2023-11-16T18:17:03Z 0/0
AzureLLMInferenceTrace_code-3 2023-11-16T18:17:04Z 5/0",
    );
}

#[test]
fn an_unexpected_header_names_the_expected_columns() {
    check_err(
        "Timestamp,ContextTokens,GeneratedTokens\n",
        "AzureLLMInferenceTrace_code.csv:1: the header row is \
         `Timestamp,ContextTokens,GeneratedTokens`, expected \
         `TIMESTAMP,ContextTokens,GeneratedTokens`",
    );
    check_err(
        "2023-11-16 18:17:03.9799600,4808,10\n",
        "AzureLLMInferenceTrace_code.csv:1: the header row is \
         `2023-11-16 18:17:03.9799600,4808,10`, expected \
         `TIMESTAMP,ContextTokens,GeneratedTokens`",
    );
}

#[test]
fn malformed_rows_name_the_column() {
    let row = |r: &str| format!("{HEADER}\n{r}\n");
    let at = "AzureLLMInferenceTrace_code.csv:2";
    check_err(
        &row("2023-11-16 18:17:03.9799600,4808"),
        &format!("{at}: expected 3 columns (TIMESTAMP,ContextTokens,GeneratedTokens), got 2"),
    );
    check_err(
        &row("2023-11-16 18:17:03.9799600,48o8,10"),
        &format!("{at}: ContextTokens: must be a non-negative integer below 2^64, got \"48o8\""),
    );
    check_err(
        &row("2023-11-16 18:17:03.9799600,4808,-1"),
        &format!("{at}: GeneratedTokens: must be a non-negative integer below 2^64, got \"-1\""),
    );
    let bad_ts = |cell: &str, reason: &str| {
        format!(
            "{at}: TIMESTAMP: must be a date and time like 2023-11-16 18:17:03.9799600 (UTC \
             unless an offset is given), got \"{cell}\": {reason}"
        )
    };
    check_err(
        &row("2023-11-31 18:17:03.9799600,1,1"),
        &bad_ts("2023-11-31 18:17:03.9799600", "day out of range"),
    );
    check_err(
        &row("2023-11-16 18:17:03.1234567891,1,1"),
        &bad_ts(
            "2023-11-16 18:17:03.1234567891",
            "more than nine fraction digits",
        ),
    );
    check_err(
        &row("2023-11-16 18:17,1,1"),
        &bad_ts(
            "2023-11-16 18:17",
            "too short (expected YYYY-MM-DDTHH:MM:SS with an offset)",
        ),
    );
    check_err(
        &row("16/11/2023 18:17:03,1,1"),
        &bad_ts("16/11/2023 18:17:03", "bad date digits"),
    );
    check_err(
        &row("2023-11-16 18:17:03 PST,1,1"),
        &bad_ts(
            "2023-11-16 18:17:03 PST",
            "bad offset (expected Z or ±HH:MM at the end)",
        ),
    );
    check_err(
        &row("\"2023-11-16 18:17:03\",1,1"),
        &format!(
            "{at}: TIMESTAMP: quoted fields are not supported (these traces have none); is this \
             the right file?"
        ),
    );
    // A multi-byte character where the offset would start must not panic.
    check_err(
        &row("2023-11-16 18:17:0é,1,1"),
        &bad_ts("2023-11-16 18:17:0é", "bad time digits"),
    );
}

#[test]
fn options_are_checked_before_anything_is_written() {
    let mut out = Vec::new();
    for (opts, message) in [
        (
            AzureOptions {
                model: String::new(),
                ..AzureOptions::default()
            },
            "model: is empty; every record needs a model id, like claude-sonnet-4-5",
        ),
        (
            AzureOptions {
                workspace: String::new(),
                ..AzureOptions::default()
            },
            "workspace: is empty; the corpus would read it as \"default\"",
        ),
        (
            AzureOptions {
                app: Some(String::new()),
                ..AzureOptions::default()
            },
            "app: is empty; leave it unset to take code or conv from the file name",
        ),
    ] {
        let err = convert(HEADER.as_bytes(), "a.csv", &opts, &mut out).unwrap_err();
        assert_eq!(err.to_string(), message);
    }
    let err = convert(HEADER.as_bytes(), "", &AzureOptions::default(), &mut out).unwrap_err();
    assert_eq!(
        err.to_string(),
        "source name: is empty; it names the trace in record ids"
    );
    assert!(out.is_empty());
}
