//! Unit tests of the Anthropic importer: hand-written log lines, each converted and read back with
//! the corpus parser (which checks the sum rule and the breakpoint rules again), and the
//! apportionment rule on its own.

use serde_json::{json, Value};
use tokensim_corpus::{parse_line, Line, Position, Record as CorpusRecord};

use super::*;

fn key(salt: &str) -> [u8; 32] {
    key_from_salt(salt.as_bytes()).expect("non-empty salt")
}

fn opts() -> AnthropicOptions {
    AnthropicOptions::new(key("test salt"))
}

/// Converts `log` (named `log.jsonl`), reads every output line back with the corpus parser, and
/// checks that the summary reconciles with what was written.
fn run_with(log: &str, opts: &AnthropicOptions) -> Result<(Vec<Value>, ImportSummary), String> {
    let mut out = Vec::new();
    let summary =
        convert(log.as_bytes(), "log.jsonl", opts, &mut out).map_err(|e| e.to_string())?;
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
        let record: CorpusRecord = match parse_line(line, pos, false) {
            Ok(Line::Record(r)) => *r,
            other => panic!("output line {line} does not read back: {other:?}"),
        };
        if !record.segments.is_empty() {
            let sum: u64 = record.segments.iter().map(|s| s.tokens).sum();
            assert_eq!(sum, record.usage.total_input_tokens(), "sum rule: {line}");
        }
        tokens_input += record.usage.total_input_tokens();
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

fn run(log: &str) -> (Vec<Value>, ImportSummary) {
    run_with(log, &opts()).unwrap_or_else(|e| panic!("{e}"))
}

fn one(line: &Value) -> Value {
    let (values, summary) = run(&line.to_string());
    assert_eq!(values.len(), 1, "{summary:?}");
    values.into_iter().next().expect("one record")
}

fn err(log: &str) -> String {
    run_with(log, &opts()).expect_err("must fail")
}

fn usage(input: u64, output: u64) -> Value {
    json!({"input_tokens": input, "output_tokens": output,
           "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0})
}

fn response(usage: Value) -> Value {
    json!({"id": "msg_01", "type": "message", "role": "assistant",
           "model": "claude-sonnet-4-5-20250929", "content": [{"type": "text", "text": "Hi"}],
           "stop_reason": "end_turn", "usage": usage})
}

fn simple_request() -> Value {
    json!({"model": "claude-sonnet-4-5", "max_tokens": 1024,
           "messages": [{"role": "user", "content": "Hello there"}]})
}

fn line(request: Value, response: Value) -> Value {
    json!({"ts": "2026-03-01T10:00:00Z", "request": request, "response": response})
}

fn segments(record: &Value) -> Vec<(String, u64, Value)> {
    record["prompt"]["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|s| {
            (
                s["role"].as_str().expect("role").to_owned(),
                s["tokens"].as_u64().expect("tokens"),
                s.get("cache_control").cloned().unwrap_or(Value::Null),
            )
        })
        .collect()
}

fn hashes(record: &Value) -> Vec<String> {
    record["prompt"]["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|s| s["hash"].as_str().expect("hash").to_owned())
        .collect()
}

fn rules(notes: &[LineNote]) -> Vec<&'static str> {
    notes.iter().map(|n| n.rule).collect()
}

#[test]
fn a_plain_exchange_maps_every_field() {
    let request = json!({
        "model": "claude-sonnet-4-5", "max_tokens": 512,
        "tools": [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"}}],
        "system": "You are terse.",
        "messages": [{"role": "user", "content": "Weather in Paris?"},
                     {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "get_weather", "input": {}}]},
                     {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "Sunny"},
                                                  {"type": "text", "text": "Thanks"}]}]});
    let mut l = line(request, response(usage(120, 30)));
    l["latency_ms"] = json!(850);
    l["metadata"] = json!({"team": "support", "app": "helpdesk", "feature": "reply",
                            "workspace": "prod", "conversation_id": "c-1", "tags": {"env": "prod"}});
    let r = one(&l);
    assert_eq!(r["id"], "msg_01");
    assert_eq!(r["ts"], "2026-03-01T10:00:00Z");
    assert_eq!(r["model"], "claude-sonnet-4-5-20250929");
    assert_eq!(
        (&r["workspace"], &r["team"], &r["app"], &r["feature"]),
        (
            &json!("prod"),
            &json!("support"),
            &json!("helpdesk"),
            &json!("reply")
        )
    );
    assert_eq!(r["conversation_id"], "c-1");
    assert_eq!(r["tags"], json!(["env:prod"]));
    assert_eq!(
        (&r["stream"], &r["latency_ms"], &r["max_tokens"]),
        (&json!(false), &json!(850), &json!(512))
    );
    assert_eq!(r["usage"], usage(120, 30));
    assert!(r.get("thinking_tokens").is_none());
    let roles: Vec<String> = segments(&r).into_iter().map(|s| s.0).collect();
    assert_eq!(
        roles,
        [
            "tools",
            "system",
            "user",
            "assistant",
            "tool_result",
            "user"
        ]
    );
    assert!(segments(&r).iter().all(|s| s.2.is_null()));
    // The prompt text never reaches the corpus.
    let text = r.to_string();
    for word in ["Paris", "terse", "Sunny", "get_weather", "Thanks"] {
        assert!(!text.contains(word), "{word} leaked: {text}");
    }
    assert!(hashes(&r).iter().all(|h| h.len() == HASH_HEX_CHARS));
}

#[test]
fn the_model_falls_back_to_the_request_and_then_is_an_error() {
    let mut resp = response(usage(5, 1));
    resp.as_object_mut().expect("object").remove("model");
    assert_eq!(
        one(&line(simple_request(), resp.clone()))["model"],
        "claude-sonnet-4-5"
    );
    let e = err(&line(json!({"messages": []}), resp).to_string());
    assert_eq!(e, "log.jsonl:1: response.model: required field is missing");
}

#[test]
fn the_anchors_hold_and_ttls_are_kept() {
    // Four blocks of equal weight; breakpoints after the system block (1h) and after the last
    // message but one (5m); 30 tokens read, 20 written, 7 uncached.
    let block = |t: &str| json!({"type": "text", "text": t});
    let mut sys = block("system prompt aaaa");
    sys["cache_control"] = json!({"type": "ephemeral", "ttl": "1h"});
    let mut m2 = block("message two bbbbbb");
    m2["cache_control"] = json!({"type": "ephemeral"});
    let request = json!({"model": "claude-sonnet-4-5", "max_tokens": 10,
        "system": [sys],
        "messages": [{"role": "user", "content": [block("message one cccccc"), m2]},
                     {"role": "assistant", "content": [block("message three dddd")]}]});
    let mut u = usage(7, 3);
    u["cache_read_input_tokens"] = json!(30);
    u["cache_creation_input_tokens"] = json!(20);
    u["cache_creation"] = json!({"ephemeral_5m_input_tokens": 20, "ephemeral_1h_input_tokens": 0});
    let r = one(&line(request, response(u)));
    let s = segments(&r);
    assert_eq!(s[0].2, "1h");
    assert_eq!(s[2].2, "5m");
    assert_eq!((s[1].2.clone(), s[3].2.clone()), (Value::Null, Value::Null));
    let tokens: Vec<u64> = s.iter().map(|s| s.1).collect();
    // The prefix through the last breakpoint (3 blocks) holds read + write = 50; the read ends
    // after the block whose proportional position (50/3 × k) is closest to 30: k = 2 (33.3).
    assert_eq!(tokens[..3].iter().sum::<u64>(), 50);
    assert_eq!(tokens[..2].iter().sum::<u64>(), 30);
    assert_eq!(tokens[3], 7);
    assert_eq!(tokens, [15, 15, 20, 7]);
}

#[test]
fn apportionment_rules() {
    // No cache: largest remainder, ties to the earlier segment.
    assert_eq!(apportion(&[1, 1, 1], &[], 10, 0, 0).tokens, [4, 3, 3]);
    assert_eq!(apportion(&[1, 1, 1], &[1], 10, 0, 0).tokens, [4, 3, 3]);
    assert_eq!(apportion(&[0, 0], &[], 3, 0, 0).tokens, [2, 1]);
    assert_eq!(apportion(&[5, 0, 5], &[], 3, 0, 0).tokens, [2, 0, 1]);

    // Read ends at the nearest block boundary (ties: earlier); prefix through the last
    // breakpoint holds read + write; the tail holds the input.
    let split = apportion(&[100, 100, 100, 100, 100], &[2], 7, 150, 150);
    assert_eq!(split.tokens, [150, 75, 75, 4, 3]);
    assert!(split.notes.is_empty());
    let split = apportion(&[100, 100, 100, 100], &[3], 0, 350, 50);
    assert_eq!(split.tokens, [50, 117, 117, 116]);
    assert!(split.notes.is_empty());

    // Only reads (or only writes): one anchor at the last breakpoint.
    assert_eq!(apportion(&[1, 3, 2], &[1], 6, 0, 40).tokens, [10, 30, 6]);
    assert_eq!(apportion(&[1, 3, 2], &[0, 1], 6, 40, 0).tokens, [10, 30, 6]);

    // Cache tokens without a breakpoint: plain proportional, noted.
    let split = apportion(&[1, 1], &[], 2, 4, 4);
    assert_eq!(split.tokens, [5, 5]);
    assert_eq!(rules_of(&split), [RULE_CACHE_WITHOUT_BREAKPOINT]);

    // Uncached input but the last breakpoint on the last block: inside the prefix, noted; the
    // read anchor still holds.
    let split = apportion(&[10, 10, 10], &[2], 3, 10, 20);
    assert_eq!(split.tokens.iter().sum::<u64>(), 33);
    assert_eq!(split.tokens[..2].iter().sum::<u64>(), 20);
    assert_eq!(rules_of(&split), [RULE_INPUT_AFTER_LAST_BLOCK]);

    // Read and write on a one-block prefix.
    let split = apportion(&[10, 10], &[0], 5, 3, 4);
    assert_eq!(split.tokens, [7, 5]);
    assert_eq!(rules_of(&split), [RULE_READ_WRITE_ONE_BLOCK]);
}

fn rules_of(split: &Split) -> Vec<&'static str> {
    split.notes.iter().map(|n| n.0).collect()
}

#[test]
fn apportionment_always_adds_up_and_keeps_its_anchors() {
    // A small deterministic generator over many shapes.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |m: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % m
    };
    for _ in 0..2000 {
        let n = 1 + next(8) as usize;
        let weights: Vec<u64> = (0..n).map(|_| next(50)).collect();
        let mut breakpoints: Vec<usize> = (0..n).filter(|_| next(3) == 0).collect();
        breakpoints.truncate(4);
        let (input, write, read) = (next(1000), next(3) * next(1000), next(2) * next(5000));
        let split = apportion(&weights, &breakpoints, input, write, read);
        assert_eq!(split.tokens.len(), n);
        assert_eq!(split.tokens.iter().sum::<u64>(), input + write + read);
        if let (Some(&last), true) = (breakpoints.last(), write + read > 0) {
            if last + 1 < n {
                let prefix: u64 = split.tokens[..=last].iter().sum();
                assert_eq!(
                    prefix,
                    write + read,
                    "{weights:?} {breakpoints:?} {split:?}"
                );
            }
            if read > 0 && write > 0 && last > 0 {
                let mut cum = 0;
                let holds = split.tokens[..last].iter().any(|&t| {
                    cum += t;
                    cum == read
                });
                assert!(
                    holds,
                    "{weights:?} {breakpoints:?} {input} {write} {read} {split:?}"
                );
            }
        }
    }
}

#[test]
fn top_level_cache_control_marks_the_last_block() {
    let mut request = simple_request();
    request["system"] = json!("Be brief.");
    request["cache_control"] = json!({"type": "ephemeral"});
    let mut u = usage(0, 5);
    u["cache_creation_input_tokens"] = json!(40);
    let r = one(&line(request.clone(), response(u.clone())));
    let s = segments(&r);
    assert_eq!((s[0].2.clone(), s[1].2.clone()), (Value::Null, json!("5m")));

    request["cache_control"] = json!({"type": "ephemeral", "ttl": "1h"});
    u["cache_creation"] = json!({"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 40});
    let r = one(&line(request, response(u)));
    assert_eq!(segments(&r)[1].2, "1h");
    assert_eq!(
        r["usage"]["cache_creation"]["ephemeral_1h_input_tokens"],
        40
    );
}

#[test]
fn breakpoints_the_api_would_refuse_are_skipped() {
    let cc = json!({"type": "ephemeral"});
    let block = |t: &str, cc: &Value| json!({"type": "text", "text": t, "cache_control": cc});
    let request = json!({"model": "m", "messages": [{"role": "user", "content": [
        block("a", &cc), block("b", &cc), block("c", &cc), block("d", &cc), block("e", &cc)]}]});
    let too_many = line(request, response(usage(5, 1)));
    let h1 = json!({"type": "ephemeral", "ttl": "1h"});
    let request = json!({"model": "m", "messages": [{"role": "user", "content": [
        block("a", &cc), block("b", &h1)]}]});
    let late_1h = line(request, response(usage(5, 1)));
    // The top-level breakpoint takes a fifth slot.
    let mut request = json!({"model": "m", "messages": [{"role": "user", "content": [
        block("a", &cc), block("b", &cc), block("c", &cc), block("d", &cc), {"type": "text", "text": "e"}]}]});
    request["cache_control"] = cc.clone();
    let auto_fifth = line(request, response(usage(5, 1)));
    let request = json!({"model": "m", "messages": [{"role": "user", "content": [
        block("a", &json!({"type": "ephemeral", "ttl": "24h"}))]}]});
    let unknown = line(request, response(usage(5, 1)));
    let log = format!("{too_many}\n{late_1h}\n{auto_fifth}\n{unknown}\n");
    let (values, summary) = run(&log);
    assert!(values.is_empty());
    assert_eq!(
        rules(&summary.skipped),
        [
            RULE_TOO_MANY_BREAKPOINTS,
            RULE_TTL_ORDER,
            RULE_TOO_MANY_BREAKPOINTS,
            RULE_UNKNOWN_CACHE_CONTROL
        ]
    );
    assert_eq!(summary.skipped[0].line, 1);
    assert_eq!(
        summary.skipped[3].detail,
        "request.messages[0].content[0].cache_control is {\"ttl\":\"24h\",\"type\":\"ephemeral\"}; \
         only {\"type\": \"ephemeral\"} with an optional ttl of \"5m\" or \"1h\" is known"
    );
}

const SSE_TEXT: &str = "event: message_start\n\
data: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-haiku-4-5-20251001\",\"id\":\"msg_s\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"usage\":{\"input_tokens\":2039,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1,\"service_tier\":\"standard\"}}   }\n\
\n\
event: content_block_start\n\
data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\
\n\
event: ping\n\
data: {\"type\": \"ping\"}\n\
\n\
event: message_delta\n\
data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"input_tokens\":10423,\"cache_creation_input_tokens\":null,\"output_tokens\":341,\"server_tool_use\":{\"web_search_requests\":1}}}\n\
\n\
event: message_stop\n\
data: {\"type\":\"message_stop\"}\n\
\n";

#[test]
fn streams_as_text_and_as_event_lists_take_the_last_usage() {
    let events: Vec<Value> = SSE_TEXT
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).expect("json"))
        .collect();
    // The event list, as SSE frames with string data.
    let frames: Vec<Value> = events
        .iter()
        .map(|e| json!({"event": e["type"], "data": e.to_string()}))
        .collect();
    let log = [
        line(simple_request(), json!(SSE_TEXT)),
        line(simple_request(), json!(events)),
        line(simple_request(), json!(frames)),
        line(simple_request(), json!(SSE_TEXT.replace('\n', "\r\n"))),
    ]
    .map(|l| l.to_string())
    .join("\n");
    let (values, summary) = run(&log);
    assert!(
        summary.skipped.is_empty() && summary.adjusted.is_empty(),
        "{summary:?}"
    );
    assert_eq!(values.len(), 4);
    for r in &values {
        assert_eq!(r["id"], "msg_s");
        assert_eq!(r["model"], "claude-haiku-4-5-20251001");
        assert_eq!(r["stream"], true);
        assert_eq!(r["service_tier"], "standard");
        assert_eq!(r["usage"]["input_tokens"], 10423);
        assert_eq!(r["usage"]["output_tokens"], 341);
        assert_eq!(r["usage"]["cache_creation_input_tokens"], 0);
        assert_eq!(r["usage"]["server_tool_use"]["web_search_requests"], 1);
        assert_eq!(segments(r)[0].1, 10423);
    }
}

#[test]
fn a_cut_off_stream_keeps_its_partial_usage_and_is_noted() {
    let start = SSE_TEXT
        .split("event: content_block_start")
        .next()
        .expect("start");
    let (values, summary) = run(&line(simple_request(), json!(start)).to_string());
    assert_eq!(values[0]["usage"]["output_tokens"], 1);
    assert_eq!(rules(&summary.adjusted), [RULE_STREAM_WITHOUT_FINAL_USAGE]);
}

#[test]
fn a_json_body_logged_as_a_string_is_not_a_stream() {
    let body = response(usage(9, 2)).to_string();
    let r = one(&line(simple_request(), json!(body)));
    assert_eq!(
        (&r["stream"], &r["usage"]["input_tokens"]),
        (&json!(false), &json!(9))
    );
    // A final message assembled from a stream still says stream: the request asked for one.
    let mut request = simple_request();
    request["stream"] = json!(true);
    assert_eq!(one(&line(request, response(usage(9, 2))))["stream"], true);
}

#[test]
fn errors_and_missing_usage_are_skipped_and_counted() {
    let error =
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
    let mut no_usage = response(usage(1, 1));
    no_usage.as_object_mut().expect("object").remove("usage");
    let stream_error = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"x\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"boom\"}}\n\n";
    let log = format!(
        "{}\n\n{}\n{}\n{}\n",
        line(simple_request(), error),
        line(simple_request(), no_usage),
        line(simple_request(), json!(stream_error)),
        line(simple_request(), response(usage(4, 4))),
    );
    let (values, summary) = run(&log);
    assert_eq!(values.len(), 1);
    assert_eq!((summary.lines_read, summary.lines_blank), (5, 1));
    assert_eq!(
        rules(&summary.skipped),
        [RULE_ERROR_RESPONSE, RULE_NO_USAGE, RULE_ERROR_RESPONSE]
    );
    assert_eq!(
        summary.skipped.iter().map(|n| n.line).collect::<Vec<_>>(),
        [1, 3, 4]
    );
    assert_eq!(
        summary.skipped[0].detail,
        "the API answered an error (overloaded_error)"
    );
}

#[test]
fn batch_results_are_batch_tier_and_skip_what_was_not_billed() {
    // The shape of the documented results lines (custom ids out of order, usage with only
    // input and output), with made-up ids and content.
    let result = |custom_id: &str, id: &str, input: u64| {
        json!({"custom_id": custom_id, "result": {"type": "succeeded", "message": {
            "id": id, "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
            "content": [{"type": "text", "text": "Hello!"}], "stop_reason": "end_turn",
            "stop_sequence": null, "usage": {"input_tokens": input, "output_tokens": 12}}}})
    };
    let text = format!(
        "{}\n{}\n",
        result("second", "msg_014VwiXbi91y3JMjcpyGBHX5", 11),
        result("first", "msg_01FqfsLoHwgeFbguDgpz48m7", 10)
    );
    let mut o = opts();
    o.default_ts = Some(Timestamp::parse_rfc3339("2026-01-05T00:00:00Z").expect("ts"));
    o.workspace = Some("batch-ws".to_owned());
    let errored = json!({"custom_id": "c3", "result": {"type": "errored",
        "error": {"type": "error", "error": {"type": "invalid_request_error", "message": "x"}}}});
    let log = format!("{text}{errored}\n");
    let (values, summary) = run_with(&log, &o).expect("converts");
    assert_eq!(values.len(), 2);
    assert_eq!(values[0]["id"], "msg_014VwiXbi91y3JMjcpyGBHX5");
    assert_eq!(values[0]["service_tier"], "batch");
    assert_eq!(values[0]["stream"], false);
    assert_eq!(values[0]["workspace"], "batch-ws");
    assert_eq!(values[0]["ts"], "2026-01-05T00:00:00Z");
    assert_eq!(values[1]["usage"]["input_tokens"], 10);
    assert!(values[1].get("prompt").is_none());
    assert_eq!(rules(&summary.skipped), [RULE_BATCH_NOT_SUCCEEDED]);
    assert_eq!(
        summary.skipped[0].detail,
        "batch result type \"errored\" (invalid_request_error)"
    );
    // Without a default timestamp a batch line has no time.
    let e = run_with(&text, &opts()).expect_err("no ts");
    assert!(
        e.starts_with("log.jsonl:1: ts: required field is missing"),
        "{e}"
    );
}

#[test]
fn malformed_lines_name_line_and_field() {
    let good = line(simple_request(), response(usage(1, 1))).to_string();
    assert_eq!(
        err(&format!("{good}\n{{\"ts\": ")),
        "log.jsonl:2: not valid JSON: EOF while parsing a value (column 7)"
    );
    let mut l = line(simple_request(), response(usage(1, 1)));
    l["response"]["usage"]
        .as_object_mut()
        .expect("usage")
        .remove("output_tokens");
    assert_eq!(
        err(&l.to_string()),
        "log.jsonl:1: response.usage.output_tokens: required field is missing"
    );
    let mut l = line(simple_request(), response(usage(1, 1)));
    l["response"]["usage"]["cache_read_input_tokens"] = json!(-3);
    assert_eq!(
        err(&l.to_string()),
        "log.jsonl:1: response.usage.cache_read_input_tokens: must be a non-negative integer, got -3"
    );
    let mut l = line(simple_request(), response(usage(1, 1)));
    l["request"]["messages"][0]["role"] = json!("system");
    assert_eq!(
        err(&l.to_string()),
        "log.jsonl:1: request.messages[0].role: must be \"user\" or \"assistant\", got \"system\""
    );
    let mut l = line(simple_request(), response(usage(1, 1)));
    l["ts"] = json!("yesterday");
    assert!(err(&l.to_string()).starts_with("log.jsonl:1: ts: "));
    let mut l = line(simple_request(), response(usage(1, 1)));
    l["metadata"] = json!({"team": 7});
    assert_eq!(
        err(&l.to_string()),
        "log.jsonl:1: metadata.team: must be a string, got 7"
    );
    let l = json!({"ts": "2026-03-01T10:00:00Z", "request": simple_request()});
    assert_eq!(
        err(&l.to_string()),
        "log.jsonl:1: response: required field is missing (or `result`, for a batch results line)"
    );
    let l = line(
        simple_request(),
        json!("event: message_start\ndata: {oops}\n\n"),
    );
    assert!(
        err(&l.to_string())
            .starts_with("log.jsonl:1: response: SSE event 0: data is not valid JSON"),
        "{}",
        err(&l.to_string())
    );
    let l = line(simple_request(), json!([{"type": "message_start"}]));
    assert_eq!(
        err(&l.to_string()),
        "log.jsonl:1: response[0].message: required field is missing"
    );
}

#[test]
fn fingerprints_are_keyed_stable_and_ignore_cache_control() {
    let system = "A long shared system prompt.";
    let request = |question: &str, cc: Option<Value>| {
        let mut block = json!({"type": "text", "text": system});
        if let Some(cc) = cc {
            block["cache_control"] = cc;
        }
        json!({"model": "m", "system": [block], "messages": [{"role": "user", "content": question}]})
    };
    let a = one(&line(request("one?", None), response(usage(10, 1))));
    let b = one(&line(
        request("two?", Some(json!({"type": "ephemeral"}))),
        response(usage(10, 1)),
    ));
    let (ha, hb) = (hashes(&a), hashes(&b));
    assert_eq!(
        ha[0], hb[0],
        "same block, same hash; cache_control left out"
    );
    assert_ne!(ha[1], hb[1]);
    // A string system prompt is the one text block it stands for.
    let c = one(&line(
        json!({"model": "m", "system": system, "messages": [{"role": "user", "content": [{"text": "one?", "type": "text"}]}]}),
        response(usage(10, 1)),
    ));
    assert_eq!(hashes(&c), ha);
    // Another salt, other hashes.
    let mut other = opts();
    other.key = key("another salt");
    let (values, _) = run_with(
        &line(request("one?", None), response(usage(10, 1))).to_string(),
        &other,
    )
    .expect("converts");
    let hd = hashes(&values[0]);
    assert_ne!(hd[0], ha[0]);
    assert_ne!(hd[1], ha[1]);
    // The same text said by the user and by the assistant are different blocks.
    let d = one(&line(
        json!({"model": "m", "messages": [{"role": "user", "content": "ok"}, {"role": "assistant", "content": "ok"}]}),
        response(usage(10, 1)),
    ));
    let hd = hashes(&d);
    assert_ne!(hd[0], hd[1]);
}

#[test]
fn canonical_json_sorts_keys_at_every_depth_and_drops_only_the_top_cache_control() {
    let block = json!({"type": "text", "b": [3, {"z": 1, "a": null}], "a": {"d": 1.5, "c": "é\n"},
                       "cache_control": {"type": "ephemeral"}});
    let block = block.as_object().expect("object");
    assert_eq!(
        canonical_block(block),
        r#"{"a":{"c":"é\n","d":1.5},"b":[3,{"a":null,"z":1}],"type":"text"}"#
    );
    let nested = json!({"input_schema": {"cache_control": 1}});
    assert_eq!(
        canonical_block(nested.as_object().expect("object")),
        r#"{"input_schema":{"cache_control":1}}"#
    );
}

#[test]
fn an_empty_salt_is_refused() {
    assert_eq!(
        key_from_salt(b"").expect_err("empty").to_string(),
        "salt: is empty; use a file of random bytes (e.g. 32 bytes from /dev/urandom) and keep \
         it for every import whose hashes must match"
    );
    assert_eq!(
        key_from_salt(b"x").expect("key"),
        blake3::derive_key(SALT_CONTEXT, b"x")
    );
}

#[test]
fn usage_extras_and_their_rules() {
    let mut u = usage(10, 100);
    u["service_tier"] = json!("priority");
    u["inference_geo"] = json!("us");
    u["speed"] = json!("fast");
    u["output_tokens_details"] = json!({"thinking_tokens": 60});
    let r = one(&line(simple_request(), response(u.clone())));
    assert_eq!(
        (
            &r["service_tier"],
            &r["inference_geo"],
            &r["speed"],
            &r["thinking_tokens"]
        ),
        (&json!("priority"), &json!("us"), &json!("fast"), &json!(60))
    );

    let mut thinking = u.clone();
    thinking["output_tokens_details"]["thinking_tokens"] = json!(101);
    let mut tier = u.clone();
    tier["service_tier"] = json!("flex");
    let mut speed = u.clone();
    speed["speed"] = json!("turbo");
    let mut split = u.clone();
    split["cache_creation_input_tokens"] = json!(5);
    split["cache_creation"] =
        json!({"ephemeral_5m_input_tokens": 1, "ephemeral_1h_input_tokens": 1});
    let mut no_bp = u;
    no_bp["cache_read_input_tokens"] = json!(50);
    let log = [thinking, tier, speed, split, no_bp]
        .map(|u| line(simple_request(), response(u)).to_string())
        .join("\n");
    let (values, summary) = run(&log);
    assert_eq!(values.len(), 2);
    assert!(values[0].get("thinking_tokens").is_none());
    assert_eq!(
        rules(&summary.skipped),
        [
            RULE_UNKNOWN_SERVICE_TIER,
            RULE_UNKNOWN_SPEED,
            RULE_CACHE_SPLIT_MISMATCH
        ]
    );
    assert_eq!(
        rules(&summary.adjusted),
        [RULE_THINKING_EXCEEDS_OUTPUT, RULE_CACHE_WITHOUT_BREAKPOINT]
    );
    assert_eq!(
        summary.adjusted.iter().map(|n| n.line).collect::<Vec<_>>(),
        [1, 5]
    );
}

#[test]
fn a_line_without_request_has_no_prompt_and_an_empty_workspace_option_is_refused() {
    let l = json!({"ts": "2026-03-01T10:00:00Z", "response": response(usage(3, 4))});
    let r = one(&l);
    assert!(r.get("prompt").is_none());
    assert!(r.get("max_tokens").is_none());
    let mut o = opts();
    o.workspace = Some(String::new());
    let e = run_with("", &o).expect_err("empty workspace");
    assert_eq!(
        e,
        "workspace: is empty; the corpus would read it as \"default\""
    );
}

#[test]
fn odd_inputs_are_errors_or_skips_never_panics() {
    let ts = r#""ts":"2026-03-01T10:00:00Z""#;
    let max = u64::MAX;
    let overflow = format!(
        r#"{{{ts},"response":{{"model":"m","usage":{{"input_tokens":{max},"output_tokens":0,"cache_read_input_tokens":1}}}}}}"#
    );
    assert_eq!(
        err(&overflow),
        "log.jsonl:1: response.usage: the total input tokens overflow 64 bits"
    );
    for (text, expect) in [
        (
            format!(r#"{{{ts},"response":7}}"#),
            Err("log.jsonl:1: response: must be the response body"),
        ),
        (
            format!(r#"{{{ts},"response":[1]}}"#),
            Err("log.jsonl:1: response[0]: must be an SSE event object, got 1"),
        ),
        (
            format!(r#"{{{ts},"response":": just a comment\n\n"}}"#),
            Ok(RULE_NO_USAGE),
        ),
        (
            format!(r#"{{{ts},"response":[{{"type":"message_delta"}}]}}"#),
            Ok(RULE_NO_USAGE),
        ),
        (
            format!(r#"{{{ts},"response":{{"usage":null}}}}"#),
            Ok(RULE_NO_USAGE),
        ),
        (
            format!(r#"{{{ts},"result":{{"type":"expired"}}}}"#),
            Ok(RULE_BATCH_NOT_SUCCEEDED),
        ),
        (
            format!(r#"{{{ts},"result":[]}}"#),
            Err("log.jsonl:1: result: must be an object, got []"),
        ),
        (
            format!(
                r#"{{{ts},"response":{{"model":"m","usage":{{"input_tokens":1.5,"output_tokens":0}}}}}}"#
            ),
            Err(
                "log.jsonl:1: response.usage.input_tokens: must be a non-negative integer, got 1.5",
            ),
        ),
        (
            format!(
                r#"{{{ts},"request":{{"messages":[1]}},"response":{{"model":"m","usage":{{"input_tokens":1,"output_tokens":0}}}}}}"#
            ),
            Err("log.jsonl:1: request.messages[0]: must be an object, got 1"),
        ),
        (
            format!(
                r#"{{{ts},"request":{{"system":{{}}}},"response":{{"model":"m","usage":{{"input_tokens":1,"output_tokens":0}}}}}}"#
            ),
            Err(
                "log.jsonl:1: request.system: must be a string or a list of content blocks, got {}",
            ),
        ),
        ("[1,2]".to_owned(), Err("log.jsonl:1: not a JSON object")),
    ] {
        match (run_with(&text, &opts()), expect) {
            (Ok((_, summary)), Ok(rule)) => assert_eq!(rules(&summary.skipped), [rule], "{text}"),
            (Err(e), Err(prefix)) => assert!(e.starts_with(prefix), "{text}: {e}"),
            (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
        }
    }
}
