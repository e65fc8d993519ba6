//! Hand-written BurstGPT traces and what they must become. Every output line is read back with
//! the corpus parser, and the summary is checked to reconcile with what was written.

use serde_json::Value;
use tokensim_corpus::{parse_line, Line, Position};

use super::*;

const HEADER: &str = "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type";
const HEADER_V2: &str =
    "Timestamp,Session ID,Elapsed time,Model,Request tokens,Response tokens,Total tokens,Log Type";

/// Converts `trace` (named `b.csv`) with `opts` and reads every output line back.
fn run(trace: &str, opts: &BurstGptOptions) -> Result<(Vec<Value>, ImportSummary), String> {
    let mut out = Vec::new();
    let summary = convert(trace.as_bytes(), "b.csv", opts, &mut out).map_err(|e| e.to_string())?;
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
    assert_eq!(summary.segments_written, 0);
    assert!(summary.adjusted.is_empty());
    assert_eq!(
        summary.lines_read,
        summary.lines_blank + summary.records_written + summary.skipped.len() as u64
    );
    Ok((values, summary))
}

/// One line per record (`id ts model in/out feature`), then one per skipped line.
fn render(values: &[Value], summary: &ImportSummary) -> String {
    let mut out = String::new();
    for v in values {
        out += &format!(
            "{} {} {} {}/{} {}\n",
            v["id"].as_str().expect("id"),
            v["ts"].as_str().expect("ts"),
            v["model"].as_str().expect("model"),
            v["usage"]["input_tokens"],
            v["usage"]["output_tokens"],
            v["feature"].as_str().expect("feature"),
        );
    }
    for n in &summary.skipped {
        out += &format!("skipped line {} {}: {}\n", n.line, n.rule, n.detail);
    }
    out
}

fn check_with(trace: &str, opts: &BurstGptOptions, expect: &str) {
    let (values, summary) = run(trace, opts).unwrap_or_else(|e| panic!("{e}\ntrace:\n{trace}"));
    assert_eq!(
        render(&values, &summary).trim(),
        expect.trim(),
        "trace:\n{trace}"
    );
}

fn check(trace: &str, expect: &str) {
    check_with(trace, &BurstGptOptions::default(), expect);
}

fn check_err(trace: &str, expect: &str) {
    match run(trace, &BurstGptOptions::default()) {
        Ok((values, summary)) => panic!("expected an error, got\n{}", render(&values, &summary)),
        Err(got) => assert_eq!(got, expect, "trace:\n{trace}"),
    }
}

#[test]
fn one_row_maps_every_field() {
    let trace = format!("{HEADER}\n118,GPT-4,417,276,693,Conversation log\n");
    let mut out = Vec::new();
    convert(
        trace.as_bytes(),
        "data/BurstGPT_1.csv",
        &BurstGptOptions::default(),
        &mut out,
    )
    .expect("converts");
    let expect = concat!(
        r#"{"schema":"tokensim.corpus/1"}"#,
        "\n",
        r#"{"id":"BurstGPT_1-2","ts":"2026-10-01T00:01:58Z","model":"claude-sonnet-4-5","#,
        r#""workspace":"burstgpt","app":"burstgpt","feature":"conversation","#,
        r#""tags":["source:burstgpt"],"task":"chat","#,
        r#""usage":{"input_tokens":417,"output_tokens":276,"cache_creation_input_tokens":0,"#,
        r#""cache_read_input_tokens":0}}"#,
        "\n",
    );
    assert_eq!(String::from_utf8(out).expect("utf-8"), expect);
}

#[test]
fn header_is_counted_as_a_skipped_line() {
    check(
        &format!(
            "{HEADER}\n5,ChatGPT,472,18,490,Conversation log\n45,ChatGPT,1087,230,1317,API log"
        ),
        "
b-2 2026-10-01T00:00:05Z claude-haiku-4-5 472/18 conversation
b-3 2026-10-01T00:00:45Z claude-haiku-4-5 1087/230 api
skipped line 1 header: column names Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type",
    );
}

#[test]
fn an_unexpected_header_names_the_expected_columns() {
    let expected = "expected `Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type` \
                    or `Timestamp,Session ID,Elapsed time,Model,Request tokens,Response tokens,Total \
                    tokens,Log Type`";
    check_err(
        "timestamp,model,request,response,total,log\n",
        &format!(
            "b.csv:1: the header row is `timestamp,model,request,response,total,log`, {expected}"
        ),
    );
    // A file without a header: the first row is taken for one and refused.
    check_err(
        "\n5,ChatGPT,472,18,490,Conversation log\n",
        &format!("b.csv:2: the header row is `5,ChatGPT,472,18,490,Conversation log`, {expected}"),
    );
}

#[test]
fn a_bom_blank_lines_and_crlf_are_accepted() {
    let trace = format!("\u{feff}{HEADER}\r\n\r\n5,ChatGPT,1,2,3,API log\r\n   \n");
    let (values, summary) = run(&trace, &BurstGptOptions::default()).expect("converts");
    assert_eq!(values.len(), 1);
    assert_eq!(values[0]["id"], "b-3");
    assert_eq!((summary.lines_read, summary.lines_blank), (4, 2));
}

#[test]
fn the_model_table_can_be_overridden_and_extended() {
    let trace = format!(
        "{HEADER}\n1,ChatGPT,10,1,11,API log\n2,GPT-4,20,2,22,API log\n3,GPT-4o,30,3,33,API log"
    );
    let mut opts = BurstGptOptions::default();
    opts.map_model("GPT-4=claude-opus-4-5").expect("valid");
    opts.map_model(" GPT-4o = claude-sonnet-4-5 ")
        .expect("valid");
    check_with(
        &trace,
        &opts,
        "
b-2 2026-10-01T00:00:01Z claude-haiku-4-5 10/1 api
b-3 2026-10-01T00:00:02Z claude-opus-4-5 20/2 api
b-4 2026-10-01T00:00:03Z claude-sonnet-4-5 30/3 api
skipped line 1 header: column names Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type",
    );
}

#[test]
fn an_unmapped_model_is_skipped_and_counted() {
    let trace = format!(
        "{HEADER}\n1,GPT-4o,10,1,11,API log\n2,chatgpt,20,2,22,API log\n3,ChatGPT,30,3,33,API log"
    );
    let (values, summary) = run(&trace, &BurstGptOptions::default()).expect("converts");
    assert_eq!(values.len(), 1);
    assert_eq!(
        summary.skipped_by_rule(),
        [(RULE_HEADER, 1), (RULE_UNMAPPED_MODEL, 2)].into()
    );
    assert_eq!(
        summary.skipped[1].detail,
        "model \"GPT-4o\" has no mapping to a Claude model (map it with --map-model \
         GPT-4o=<model>)"
    );
    // Matching is exact: `chatgpt` is not `ChatGPT`.
    assert_eq!(summary.skipped[2].line, 3);
}

#[test]
fn failed_requests_are_skipped_unless_kept() {
    let trace = format!(
        "{HEADER}\n1106,ChatGPT,0,0,0,Conversation log\n1200,GPT-4,50,0,50,API log\n\
         1300,GPT-4o,9,0,9,API log\n1400,ChatGPT,0,7,7,API log"
    );
    check(
        &trace,
        "
b-5 2026-10-01T00:23:20Z claude-haiku-4-5 0/7 api
skipped line 1 header: column names Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type
skipped line 2 failed-request: ChatGPT request with 0 request tokens and 0 response tokens
skipped line 3 failed-request: GPT-4 request with 50 request tokens and 0 response tokens
skipped line 4 failed-request: GPT-4o request with 9 request tokens and 0 response tokens",
    );
    let opts = BurstGptOptions {
        keep_failed: true,
        ..BurstGptOptions::default()
    };
    check_with(
        &trace,
        &opts,
        "
b-2 2026-10-01T00:18:26Z claude-haiku-4-5 0/0 conversation
b-3 2026-10-01T00:20:00Z claude-sonnet-4-5 50/0 api
b-5 2026-10-01T00:23:20Z claude-haiku-4-5 0/7 api
skipped line 1 header: column names Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type
skipped line 4 unmapped-model: model \"GPT-4o\" has no mapping to a Claude model (map it with --map-model GPT-4o=<model>)",
    );
}

#[test]
fn fractional_seconds_and_the_base() {
    let opts = BurstGptOptions {
        base: Timestamp::parse_rfc3339("2027-01-01T10:00:00+02:00").expect("valid"),
        workspace: "azure-openai".to_owned(),
        ..BurstGptOptions::default()
    };
    let trace = format!(
        "{HEADER}\n19440110.0,ChatGPT,1,1,2,API log\n0.000000001,ChatGPT,1,1,2,API log\n\
         86400.25,ChatGPT,1,1,2,API log"
    );
    check_with(
        &trace,
        &opts,
        "
b-2 2027-08-14T08:01:50Z claude-haiku-4-5 1/1 api
b-3 2027-01-01T08:00:00.000000001Z claude-haiku-4-5 1/1 api
b-4 2027-01-02T08:00:00.250Z claude-haiku-4-5 1/1 api
skipped line 1 header: column names Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type",
    );
    let (values, _) = run(&trace, &opts).expect("converts");
    assert_eq!(values[0]["workspace"], "azure-openai");
}

#[test]
fn the_session_layout_fills_conversation_id_and_latency() {
    let trace = format!(
        "{HEADER_V2}\n10,s-1,2.3456,ChatGPT,5,6,11,Conversation log\n11,,0.0005,GPT-4,5,6,11,API log\n\
         12,,,GPT-4,5,6,11,API log"
    );
    let (values, summary) = run(&trace, &BurstGptOptions::default()).expect("converts");
    assert_eq!(values.len(), 3);
    assert_eq!(values[0]["conversation_id"], "s-1");
    assert_eq!(values[0]["latency_ms"], 2346);
    assert_eq!(values[0]["task"], "chat");
    assert!(values[1].get("conversation_id").is_none());
    assert_eq!(values[1]["latency_ms"], 1);
    assert!(values[1].get("task").is_none());
    assert!(values[2].get("latency_ms").is_none());
    assert!(summary.skipped[0]
        .detail
        .contains("Session ID,Elapsed time"));
}

#[test]
fn malformed_rows_name_the_column() {
    let row = |r: &str| format!("{HEADER}\n{r}\n");
    check_err(
        &row("5,ChatGPT,472,18,490"),
        "b.csv:2: expected 6 columns (Timestamp,Model,Request tokens,Response tokens,Total \
         tokens,Log Type), got 5",
    );
    check_err(
        &row("5,ChatGPT,472,18,490,Conversation log,x"),
        "b.csv:2: expected 6 columns (Timestamp,Model,Request tokens,Response tokens,Total \
         tokens,Log Type), got 7",
    );
    check_err(
        &row("-5,ChatGPT,472,18,490,Conversation log"),
        "b.csv:2: Timestamp: must be a non-negative number of seconds (digits, optionally a \
         point and up to nine digits), got \"-5\"",
    );
    check_err(
        &row("5,ChatGPT,47x,18,490,Conversation log"),
        "b.csv:2: Request tokens: must be a non-negative integer below 2^64, got \"47x\"",
    );
    check_err(
        &row("5,ChatGPT,472,18.0,490,Conversation log"),
        "b.csv:2: Response tokens: must be a non-negative integer below 2^64, got \"18.0\"",
    );
    check_err(
        &row("5,ChatGPT,472,18,,Conversation log"),
        "b.csv:2: Total tokens: is empty; expected a non-negative integer",
    );
    check_err(
        &row("5,ChatGPT,472,18,491,Conversation log"),
        "b.csv:2: Total tokens: is 491, but Request tokens + Response tokens = 472 + 18; the \
         columns disagree, so the billed tokens are unknown",
    );
    check_err(
        &row("5,ChatGPT,472,18,490,Chat log"),
        "b.csv:2: Log Type: must be \"Conversation log\" or \"API log\", got \"Chat log\"",
    );
    check_err(
        &row("5,,472,18,490,API log"),
        "b.csv:2: Model: is empty; expected a model name like ChatGPT or GPT-4",
    );
    check_err(
        &row("5,\"GPT-4\",472,18,490,API log"),
        "b.csv:2: Model: quoted fields are not supported (these traces have none); is this the \
         right file?",
    );
    check_err(
        &row("5,ChatGPT,18446744073709551615,1,0,API log"),
        "b.csv:2: Total tokens: is 0, but Request tokens + Response tokens = \
         18446744073709551615 + 1; the columns disagree, so the billed tokens are unknown",
    );
    check_err(
        &row("9999999999,ChatGPT,1,1,2,API log"),
        "b.csv:2: Timestamp: 9999999999 seconds is out of range",
    );
    check_err(
        &row("9000000000,ChatGPT,1,1,2,API log"),
        "b.csv:2: Timestamp: 9000000000 s after the base instant 2026-10-01T00:00:00Z is past \
         the last representable instant (year 2262)",
    );
}

#[test]
fn invalid_utf8_is_an_error_not_a_panic() {
    let mut trace = format!("{HEADER}\n").into_bytes();
    trace.extend_from_slice(b"5,Chat\xffGPT,1,1,2,API log\n");
    let err = convert(
        trace.as_slice(),
        "b.csv",
        &BurstGptOptions::default(),
        Vec::new(),
    )
    .unwrap_err();
    assert!(err
        .to_string()
        .starts_with("b.csv:2: line is not valid UTF-8"));
}

#[test]
fn empty_input_writes_only_the_corpus_header() {
    let (values, summary) = run("", &BurstGptOptions::default()).expect("converts");
    assert!(values.is_empty());
    assert_eq!(summary.lines_read, 0);
}

#[test]
fn options_are_checked_before_anything_is_written() {
    let mut opts = BurstGptOptions::default();
    for (spec, message) in [
        (
            "GPT-4",
            "map-model: no '=' in \"GPT-4\"; expected FROM=TO, like GPT-4=claude-sonnet-4-5",
        ),
        (
            "=claude-haiku-4-5",
            "map-model: the trace's model name is empty in \"=claude-haiku-4-5\"; expected \
             FROM=TO, like GPT-4=claude-sonnet-4-5",
        ),
        (
            "GPT-4= ",
            "map-model: the Claude model id is empty in \"GPT-4= \"; expected FROM=TO, like \
             GPT-4=claude-sonnet-4-5",
        ),
    ] {
        assert_eq!(opts.map_model(spec).unwrap_err().to_string(), message);
    }
    assert_eq!(
        parse_model_mapping("a=b=c").expect("valid"),
        ("a".to_owned(), "b=c".to_owned())
    );
    opts.models.insert("GPT-4".to_owned(), String::new());
    let mut out = Vec::new();
    let err = convert(HEADER.as_bytes(), "b.csv", &opts, &mut out).unwrap_err();
    assert!(
        err.to_string().starts_with("map-model: the mapping"),
        "{err}"
    );
    let opts = BurstGptOptions {
        workspace: String::new(),
        ..BurstGptOptions::default()
    };
    let err = convert(HEADER.as_bytes(), "b.csv", &opts, &mut out).unwrap_err();
    assert_eq!(
        err.to_string(),
        "workspace: is empty; the corpus would read it as \"default\""
    );
    assert!(out.is_empty());
}
