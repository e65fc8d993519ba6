//! Data-driven tests of the Claude Code importer: each case is a few hand-written session files
//! and what they must become. Every output line is read back with the corpus parser, and the
//! summary is checked against what was written.

use std::io::{self, BufRead};

use serde_json::{json, Value};
use tokensim_corpus::{parse_line, Line, Position, Record};

use super::*;

/// A session file for a test: name, project and lines.
struct File<'a> {
    name: &'a str,
    project: Option<&'a str>,
    text: String,
}

fn file<'a>(name: &'a str, lines: &[String]) -> File<'a> {
    File {
        name,
        project: Some("proj"),
        text: lines.join("\n") + "\n",
    }
}

/// An assistant line of one API call, with `patch` merged in (objects merge key by key; `null`
/// removes a key). The base is a Claude Code 1.0 line with a Sonnet 4 reply.
pub(super) fn line(patch: Value) -> String {
    let mut base = json!({
        "parentUuid": "p", "isSidechain": false, "userType": "external", "cwd": "/path/to/Demo",
        "sessionId": "s1", "version": "1.0.98", "gitBranch": "",
        "message": {
            "id": "msg_1", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-20250514",
            "content": [{"type": "text", "text": "Hello"}],
            "stop_reason": null, "stop_sequence": null,
            "usage": {
                "input_tokens": 3, "cache_creation_input_tokens": 100,
                "cache_read_input_tokens": 2000,
                "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 0},
                "output_tokens": 7, "service_tier": "standard"
            }
        },
        "requestId": "req_1", "type": "assistant", "uuid": "u",
        "timestamp": "2025-09-03T00:47:21.540Z"
    });
    merge(&mut base, patch);
    base.to_string()
}

fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    b.remove(&k);
                } else {
                    merge(b.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        (b, p) => *b = p,
    }
}

/// A call's line: message id, request id, timestamp and output tokens.
fn call(msg: &str, req: &str, ts: &str, output: u64) -> String {
    line(
        json!({"message": {"id": msg, "usage": {"output_tokens": output}}, "requestId": req,
                "timestamp": ts}),
    )
}

/// Reads `files` in order, writes the corpus, reads every output line back with the corpus
/// parser and checks that the summary reconciles with what was written.
fn run(files: &[File<'_>]) -> Result<(Vec<Value>, ClaudeCodeSummary), String> {
    let mut importer = ClaudeCodeImporter::new();
    for f in files {
        let source = SessionFile {
            name: f.name,
            project: f.project,
        };
        importer
            .read(f.text.as_bytes(), &source)
            .map_err(|e| e.to_string())?;
    }
    let mut out = Vec::new();
    let summary = importer.finish(&mut out).map_err(|e| e.to_string())?;
    let text = String::from_utf8(out).expect("utf-8 output");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(r#"{"schema":"tokensim.corpus/1"}"#));
    let mut values = Vec::new();
    let mut totals = [0u64; 6];
    for (i, line) in lines.enumerate() {
        let pos = Position {
            file: 0,
            line: i as u64 + 2,
        };
        let r: Record = match parse_line(line, pos, false) {
            Ok(Line::Record(r)) => *r,
            other => panic!("output line {line} does not read back: {other:?}"),
        };
        let u = r.usage;
        for (t, n) in totals.iter_mut().zip([
            u.input_tokens,
            u.output_tokens,
            u.cache_write_5m_tokens,
            u.cache_write_1h_tokens,
            u.cache_read_input_tokens,
            u.web_search_requests,
        ]) {
            *t += n;
        }
        values.push(serde_json::from_str(line).expect("json"));
    }
    let s = &summary;
    assert_eq!(s.records_written, values.len() as u64);
    assert_eq!(
        totals,
        [
            s.tokens_input,
            s.tokens_output,
            s.tokens_cache_write_5m,
            s.tokens_cache_write_1h,
            s.tokens_cache_read,
            s.web_search_requests
        ]
    );
    assert_eq!(
        s.lines_read,
        s.lines_blank
            + s.records_written
            + s.not_api_calls_total()
            + s.synthetic
            + s.superseded_in_file
            + s.duplicates_across_files
    );
    Ok((values, summary))
}

/// One line per record: `id ts model app/feature input/output/5m/1h/read [tags] conversation`,
/// then the summary's counts.
fn render(values: &[Value], s: &ClaudeCodeSummary) -> String {
    let mut out = String::new();
    for v in values {
        let u = &v["usage"];
        let cc = &u["cache_creation"];
        let (m5, h1) = if cc.is_null() {
            ("-".to_owned(), "-".to_owned())
        } else {
            (
                cc["ephemeral_5m_input_tokens"].to_string(),
                cc["ephemeral_1h_input_tokens"].to_string(),
            )
        };
        let tags: Vec<&str> = v["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .map(|t| t.as_str().expect("tag"))
            .collect();
        out += &format!(
            "{} {} {} {}/{} {}/{}/{}/{}/{} [{}] {}\n",
            v["id"].as_str().unwrap_or("-"),
            v["ts"].as_str().expect("ts"),
            v["model"].as_str().expect("model"),
            v["app"].as_str().unwrap_or("-"),
            v["feature"].as_str().expect("feature"),
            u["input_tokens"],
            u["output_tokens"],
            m5,
            h1,
            u["cache_read_input_tokens"],
            tags.join(" "),
            v["conversation_id"].as_str().unwrap_or("-"),
        );
    }
    let kinds: Vec<String> = s
        .not_api_calls
        .iter()
        .map(|(k, n)| format!("{k}:{n}"))
        .collect();
    out += &format!(
        "read {} blank {} written {} not-api [{}] synthetic {} superseded {} duplicates {} \
         without-ids {}\n",
        s.lines_read,
        s.lines_blank,
        s.records_written,
        kinds.join(" "),
        s.synthetic,
        s.superseded_in_file,
        s.duplicates_across_files,
        s.written_without_ids,
    );
    out
}

fn check(files: &[File<'_>], expect: &str) {
    let (values, summary) = run(files).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(render(&values, &summary).trim(), expect.trim());
}

fn check_err(text: &str, expect: &str) {
    let files = [File {
        name: "s.jsonl",
        project: None,
        text: text.to_owned(),
    }];
    match run(&files) {
        Ok((values, summary)) => panic!("expected an error, got\n{}", render(&values, &summary)),
        Err(got) => assert_eq!(got, expect),
    }
}

#[test]
fn one_line_maps_every_field() {
    let text = line(json!({}));
    let mut out = Vec::new();
    let source = SessionFile {
        name: "s1.jsonl",
        project: Some("-path-to-Demo"),
    };
    convert(text.as_bytes(), &source, &mut out).expect("converts");
    let expect = concat!(
        r#"{"schema":"tokensim.corpus/1"}"#,
        "\n",
        r#"{"id":"msg_1","ts":"2025-09-03T00:47:21.540Z","model":"claude-sonnet-4-20250514","#,
        r#""team":"claude-code","app":"-path-to-Demo","feature":"main","#,
        r#""tags":["session:s1","version:1.0.98"],"task":"code","latency_class":"interactive","#,
        r#""conversation_id":"s1","usage":{"input_tokens":3,"output_tokens":7,"#,
        r#""cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"#,
        r#""cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":0},"#,
        r#""service_tier":"standard"}}"#,
        "\n",
    );
    assert_eq!(String::from_utf8(out).expect("utf-8"), expect);
}

#[test]
fn streaming_partials_keep_the_last_line() {
    // Three content blocks of one call, as Claude Code logs them: the early lines carry a partial
    // output count. The record takes its usage from the last line and its ts from the first.
    check(
        &[file(
            "s.jsonl",
            &[
                call("msg_1", "req_1", "2025-09-03T00:47:21.540Z", 1),
                call("msg_1", "req_1", "2025-09-03T00:47:22.000Z", 1),
                call("msg_1", "req_1", "2025-09-03T00:47:24.652Z", 598),
                call("msg_2", "req_2", "2025-09-03T00:47:28.532Z", 30),
            ],
        )],
        "
msg_1 2025-09-03T00:47:21.540Z claude-sonnet-4-20250514 proj/main 3/598/100/0/2000 [session:s1 version:1.0.98] s1
msg_2 2025-09-03T00:47:28.532Z claude-sonnet-4-20250514 proj/main 3/30/100/0/2000 [session:s1 version:1.0.98] s1
read 4 blank 0 written 2 not-api [] synthetic 0 superseded 2 duplicates 0 without-ids 0",
    );
}

#[test]
fn last_means_file_order_not_the_largest_count() {
    // A later line wins even with a smaller count, and the earliest timestamp is kept even when
    // the lines are out of time order.
    check(
        &[file(
            "s.jsonl",
            &[
                call("msg_1", "req_1", "2025-09-03T00:47:25Z", 40),
                call("msg_1", "req_1", "2025-09-03T00:47:21Z", 25),
            ],
        )],
        "
msg_1 2025-09-03T00:47:21Z claude-sonnet-4-20250514 proj/main 3/25/100/0/2000 [session:s1 version:1.0.98] s1
read 2 blank 0 written 1 not-api [] synthetic 0 superseded 1 duplicates 0 without-ids 0",
    );
}

#[test]
fn the_pair_is_the_key_not_either_id_alone() {
    check(
        &[file(
            "s.jsonl",
            &[
                call("msg_1", "req_1", "2025-09-03T00:00:01Z", 1),
                call("msg_1", "req_2", "2025-09-03T00:00:02Z", 2),
                call("msg_2", "req_1", "2025-09-03T00:00:03Z", 3),
            ],
        )],
        "
msg_1 2025-09-03T00:00:01Z claude-sonnet-4-20250514 proj/main 3/1/100/0/2000 [session:s1 version:1.0.98] s1
msg_1 2025-09-03T00:00:02Z claude-sonnet-4-20250514 proj/main 3/2/100/0/2000 [session:s1 version:1.0.98] s1
msg_2 2025-09-03T00:00:03Z claude-sonnet-4-20250514 proj/main 3/3/100/0/2000 [session:s1 version:1.0.98] s1
read 3 blank 0 written 3 not-api [] synthetic 0 superseded 0 duplicates 0 without-ids 0",
    );
}

#[test]
fn duplicates_across_files_keep_the_last_seen_and_are_counted() {
    // A resumed session copies earlier lines into a new session file. The call is written once,
    // where it first appeared, with the attribution of the last copy read.
    let copied = |session: &str, output: u64| {
        line(
            json!({"sessionId": session, "timestamp": "2025-09-03T10:00:00Z",
                    "message": {"id": "msg_1", "usage": {"output_tokens": output}}}),
        )
    };
    let mut second = file(
        "b.jsonl",
        &[
            copied("s2", 9),
            copied("s2", 12),
            call("msg_2", "req_2", "2025-09-03T10:05:00Z", 5),
        ],
    );
    second.project = Some("other");
    check(
        &[
            file("a.jsonl", &[copied("s1", 3), copied("s1", 12)]),
            second,
        ],
        "
msg_1 2025-09-03T10:00:00Z claude-sonnet-4-20250514 other/main 3/12/100/0/2000 [session:s2 version:1.0.98] s2
msg_2 2025-09-03T10:05:00Z claude-sonnet-4-20250514 other/main 3/5/100/0/2000 [session:s1 version:1.0.98] s1
read 5 blank 0 written 2 not-api [] synthetic 0 superseded 2 duplicates 1 without-ids 0",
    );
    let (_, summary) = run(&[
        file("a.jsonl", &[copied("s1", 3), copied("s1", 12)]),
        file("b.jsonl", &[copied("s2", 12)]),
    ])
    .expect("converts");
    let per_file: Vec<_> = summary
        .files
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                f.lines_read,
                f.usage_lines,
                f.records_written,
            )
        })
        .collect();
    assert_eq!(per_file, [("a.jsonl", 2, 2, 0), ("b.jsonl", 1, 1, 1)]);
}

#[test]
fn sidechain_calls_are_their_own_feature_and_tagged() {
    check(
        &[file(
            "s.jsonl",
            &[
                line(json!({"isSidechain": true})),
                line(json!({"isSidechain": null, "requestId": "req_2",
                            "message": {"id": "msg_2"}})),
            ],
        )],
        "
msg_1 2025-09-03T00:47:21.540Z claude-sonnet-4-20250514 proj/sidechain 3/7/100/0/2000 [session:s1 version:1.0.98 sidechain] s1
msg_2 2025-09-03T00:47:21.540Z claude-sonnet-4-20250514 proj/main 3/7/100/0/2000 [session:s1 version:1.0.98] s1
read 2 blank 0 written 2 not-api [] synthetic 0 superseded 0 duplicates 0 without-ids 0",
    );
}

#[test]
fn synthetic_messages_are_skipped_and_counted() {
    let synthetic = line(
        json!({"requestId": null, "isApiErrorMessage": true, "message": {
        "id": "a1b2", "model": "<synthetic>",
        "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0, "cache_creation": null}}}),
    );
    check(
        &[file("s.jsonl", &[synthetic.clone(), line(json!({})), synthetic])],
        "
msg_1 2025-09-03T00:47:21.540Z claude-sonnet-4-20250514 proj/main 3/7/100/0/2000 [session:s1 version:1.0.98] s1
read 3 blank 0 written 1 not-api [] synthetic 2 superseded 0 duplicates 0 without-ids 0",
    );
}

#[test]
fn lines_without_usage_are_counted_by_kind() {
    let lines = [
        json!({"type": "user", "message": {"role": "user", "content": "hi"},
               "timestamp": "2025-09-03T00:47:19.293Z"})
        .to_string(),
        json!({"type": "summary", "summary": "Todo app", "leafUuid": "x"}).to_string(),
        json!({"type": "system", "content": "Running hook", "level": "info"}).to_string(),
        json!({"type": "user", "message": {"role": "user",
               "content": [{"type": "tool_result", "content": "ok"}]}})
        .to_string(),
        // An assistant line whose usage was not logged, and odd shapes, are no API call either.
        line(json!({"message": {"usage": null}})),
        json!({"type": "queue-operation", "operation": "enqueue", "message": "a string"})
            .to_string(),
        json!({"display": "/clear", "project": "/path"}).to_string(),
        json!({"type": "", "message": [1, 2]}).to_string(),
        line(json!({})),
    ];
    check(
        &[file("s.jsonl", &lines)],
        "
msg_1 2025-09-03T00:47:21.540Z claude-sonnet-4-20250514 proj/main 3/7/100/0/2000 [session:s1 version:1.0.98] s1
read 9 blank 0 written 1 not-api [(no type):2 assistant:1 queue-operation:1 summary:1 system:1 user:2] synthetic 0 superseded 0 duplicates 0 without-ids 0",
    );
}

#[test]
fn cache_creation_split_is_kept_and_its_absence_means_5m() {
    let lines = [
        // 1-hour writes, as Claude Code 2 makes them.
        line(
            json!({"message": {"id": "m1", "usage": {"cache_creation_input_tokens": 9907,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 9907}}}}),
        ),
        // Both TTLs in one call.
        line(
            json!({"message": {"id": "m2", "usage": {"cache_creation_input_tokens": 300,
            "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 200}}}}),
        ),
        // No split (older logs): the corpus reads every write as a 5-minute write.
        line(json!({"message": {"id": "m3", "usage": {"cache_creation": null}}})),
        // The API's nullable counts: null and absent mean none.
        line(
            json!({"message": {"id": "m4", "usage": {"cache_creation_input_tokens": null,
            "cache_read_input_tokens": null, "cache_creation": null}}}),
        ),
    ];
    check(
        &[file("s.jsonl", &lines)],
        "
m1 2025-09-03T00:47:21.540Z claude-sonnet-4-20250514 proj/main 3/7/0/9907/2000 [session:s1 version:1.0.98] s1
m2 2025-09-03T00:47:21.540Z claude-sonnet-4-20250514 proj/main 3/7/100/200/2000 [session:s1 version:1.0.98] s1
m3 2025-09-03T00:47:21.540Z claude-sonnet-4-20250514 proj/main 3/7/-/-/2000 [session:s1 version:1.0.98] s1
m4 2025-09-03T00:47:21.540Z claude-sonnet-4-20250514 proj/main 3/7/-/-/0 [session:s1 version:1.0.98] s1
read 4 blank 0 written 4 not-api [] synthetic 0 superseded 0 duplicates 0 without-ids 0",
    );
    let (values, summary) = run(&[file("s.jsonl", &lines)]).expect("converts");
    assert_eq!(values[2]["usage"]["cache_creation_input_tokens"], 100);
    assert_eq!(values[3]["usage"]["cache_creation_input_tokens"], 0);
    assert_eq!(
        (summary.tokens_cache_write_5m, summary.tokens_cache_write_1h),
        (200, 10_107)
    );
}

#[test]
fn newer_usage_fields_are_carried_over() {
    // Claude Code 2's usage: tier, speed, geo, thinking, server tools and per-iteration usage.
    let text = line(
        json!({"message": {"model": "claude-haiku-4-5-20251001", "usage": {
        "output_tokens": 135, "output_tokens_details": {"thinking_tokens": 49},
        "server_tool_use": {"web_search_requests": 2, "web_fetch_requests": 1},
        "service_tier": "standard", "inference_geo": "not_available", "speed": "standard",
        "iterations": [{"input_tokens": 3, "output_tokens": 135, "type": "message"}]}}}),
    );
    let (values, summary) = run(&[file("s.jsonl", &[text])]).expect("converts");
    assert_eq!(
        values[0]["usage"],
        json!({"input_tokens": 3, "output_tokens": 135, "cache_creation_input_tokens": 100,
               "cache_read_input_tokens": 2000,
               "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 0},
               "server_tool_use": {"web_search_requests": 2}, "service_tier": "standard",
               "speed": "standard", "inference_geo": "not_available", "thinking_tokens": 49})
    );
    assert_eq!(summary.web_search_requests, 2);
    let models: Vec<_> = summary.records_by_model.into_iter().collect();
    assert_eq!(models, [("claude-haiku-4-5-20251001".to_owned(), 1)]);
}

#[test]
fn batch_and_fast_are_kept_for_pricing() {
    let lines = [
        line(json!({"message": {"id": "m1", "usage": {"service_tier": "batch"}}})),
        line(
            json!({"message": {"id": "m2", "model": "claude-opus-4-6", "usage": {"speed": "fast"}}}),
        ),
    ];
    let (values, _) = run(&[file("s.jsonl", &lines)]).expect("converts");
    assert_eq!(values[0]["usage"]["service_tier"], "batch");
    assert_eq!(values[1]["usage"]["speed"], "fast");
}

#[test]
fn unknown_models_are_written_as_they_are() {
    // The replay, not the import, rejects a model the catalog does not know.
    let text = line(json!({"message": {"model": "claude-nova-9-20300101"}}));
    let (values, summary) = run(&[file("s.jsonl", &[text])]).expect("converts");
    assert_eq!(values[0]["model"], "claude-nova-9-20300101");
    assert_eq!(summary.records_by_model["claude-nova-9-20300101"], 1);
}

#[test]
fn ids_fall_back_to_the_request_id_and_lines_without_either_are_each_a_call() {
    let lines = [
        line(json!({"message": {"id": null}, "requestId": "req_9"})),
        line(json!({"message": {"id": null}, "requestId": "req_9"})),
        line(json!({"message": {"id": null}, "requestId": null})),
        line(json!({"message": {"id": ""}, "requestId": null})),
    ];
    check(
        &[file("s.jsonl", &lines)],
        "
req_9 2025-09-03T00:47:21.540Z claude-sonnet-4-20250514 proj/main 3/7/100/0/2000 [session:s1 version:1.0.98] s1
- 2025-09-03T00:47:21.540Z claude-sonnet-4-20250514 proj/main 3/7/100/0/2000 [session:s1 version:1.0.98] s1
- 2025-09-03T00:47:21.540Z claude-sonnet-4-20250514 proj/main 3/7/100/0/2000 [session:s1 version:1.0.98] s1
read 4 blank 0 written 3 not-api [] synthetic 0 superseded 1 duplicates 0 without-ids 2",
    );
}

#[test]
fn missing_attribution_is_left_out() {
    let text = line(json!({"sessionId": null, "version": null, "isSidechain": null}));
    let files = [File {
        name: "s.jsonl",
        project: None,
        text,
    }];
    check(
        &files,
        "
msg_1 2025-09-03T00:47:21.540Z claude-sonnet-4-20250514 -/main 3/7/100/0/2000 [] -
read 1 blank 0 written 1 not-api [] synthetic 0 superseded 0 duplicates 0 without-ids 0",
    );
}

#[test]
fn blank_lines_and_crlf_are_counted() {
    let text = format!("\n{}\r\n   \r\n{}", line(json!({})), line(json!({})));
    let files = [File {
        name: "s.jsonl",
        project: Some("proj"),
        text,
    }];
    check(
        &files,
        "
msg_1 2025-09-03T00:47:21.540Z claude-sonnet-4-20250514 proj/main 3/7/100/0/2000 [session:s1 version:1.0.98] s1
read 4 blank 2 written 1 not-api [] synthetic 0 superseded 1 duplicates 0 without-ids 0",
    );
}

#[test]
fn timestamps_keep_their_instant() {
    let text = line(json!({"timestamp": "2025-09-03T09:47:21.5+09:00"}));
    let (values, _) = run(&[file("s.jsonl", &[text])]).expect("converts");
    assert_eq!(values[0]["ts"], "2025-09-03T00:47:21.500Z");
}

#[test]
fn malformed_lines_stop_with_file_line_and_field() {
    let good = line(json!({}));
    let cases = [
        (
            r#"{"type": "assistant", "message": {"id": "m""#.to_owned(),
            "s.jsonl:2: not valid JSON: EOF while parsing an object (column 43)",
        ),
        (
            "[1, 2]".to_owned(),
            "s.jsonl:2: not a JSON object (line starts with \"[1, 2]\")",
        ),
        (
            r#"{"type": "user", "type": "assistant"}"#.to_owned(),
            "s.jsonl:2: not valid JSON: duplicate field `type` (column 23)",
        ),
        (
            line(json!({})).replace(
                r#""input_tokens":3"#,
                r#""input_tokens":3,"input_tokens":4"#,
            ),
            "s.jsonl:2: not valid JSON: duplicate field `input_tokens` (column 422)",
        ),
        (
            line(json!({})).replace(r#""message":{"#, r#""message":{"model":"claude-x","#),
            "s.jsonl:2: not valid JSON: duplicate field `model` (column 151)",
        ),
        (
            line(json!({"timestamp": null})).replace(r#""timestamp":null"#, r#""x":0"#),
            "s.jsonl:2: timestamp: required field is missing",
        ),
        (
            line(json!({"timestamp": "yesterday"})),
            "s.jsonl:2: timestamp: too short (expected YYYY-MM-DDTHH:MM:SS with an offset) in \
             RFC 3339 timestamp \"yesterday\"",
        ),
        (
            line(json!({"timestamp": 1_756_860_441})),
            "s.jsonl:2: timestamp: must be an RFC 3339 string, got 1756860441",
        ),
        (
            line(json!({"message": {"model": null}})).replace(r#""model":null"#, r#""x":0"#),
            "s.jsonl:2: message.model: required field is missing",
        ),
        (
            line(json!({"message": {"model": ""}})),
            "s.jsonl:2: message.model: must be a non-empty string, got \"\"",
        ),
        (
            line(json!({"message": {"usage": "lots"}})),
            "s.jsonl:2: message.usage: must be an object, got \"lots\"",
        ),
        (
            line(json!({"message": {"usage": {"input_tokens": -3}}})),
            "s.jsonl:2: message.usage.input_tokens: must be a non-negative integer, got -3",
        ),
        (
            line(json!({"message": {"usage": {"output_tokens": 1.5}}})),
            "s.jsonl:2: message.usage.output_tokens: must be a non-negative integer, got 1.5",
        ),
        (
            line(json!({"message": {"usage": {"output_tokens": null}}}))
                .replace(r#""output_tokens":null"#, r#""x":0"#),
            "s.jsonl:2: message.usage.output_tokens: required field is missing",
        ),
        (
            line(json!({"message": {"usage": {"cache_read_input_tokens": "2000"}}})),
            "s.jsonl:2: message.usage.cache_read_input_tokens: must be a non-negative integer, \
             got \"2000\"",
        ),
        (
            line(
                json!({"message": {"usage": {"cache_creation": {"ephemeral_1h_input_tokens": 5}}}}),
            ),
            "s.jsonl:2: message.usage.cache_creation: ephemeral_5m_input_tokens 100 + \
             ephemeral_1h_input_tokens 5 must add up to cache_creation_input_tokens 100",
        ),
        (
            line(
                json!({"message": {"usage": {"cache_creation": {"ephemeral_5m_input_tokens": -1}}}}),
            ),
            "s.jsonl:2: message.usage.cache_creation.ephemeral_5m_input_tokens: must be a \
             non-negative integer, got -1",
        ),
        (
            line(json!({"message": {"usage": {"server_tool_use": {"web_search_requests": true}}}})),
            "s.jsonl:2: message.usage.server_tool_use.web_search_requests: must be a \
             non-negative integer, got true",
        ),
        (
            line(json!({"message": {"usage": {"output_tokens_details": {"thinking_tokens": 8}}}})),
            "s.jsonl:2: message.usage.output_tokens_details.thinking_tokens: 8 thinking tokens is \
             more than output_tokens 7 (thinking is part of the output)",
        ),
        (
            line(json!({"message": {"usage": {"service_tier": "flex"}}})),
            "s.jsonl:2: message.usage.service_tier: must be standard or batch or priority, got \
             \"flex\"",
        ),
        (
            line(json!({"message": {"usage": {"speed": "turbo"}}})),
            "s.jsonl:2: message.usage.speed: must be standard or fast, got \"turbo\"",
        ),
        (
            line(json!({"message": {"usage": {"inference_geo": 1}}})),
            "s.jsonl:2: message.usage.inference_geo: must be a non-empty string, got 1",
        ),
        (
            line(json!({"isSidechain": "yes"})),
            "s.jsonl:2: isSidechain: must be true or false, got \"yes\"",
        ),
        (
            line(json!({"sessionId": 7})),
            "s.jsonl:2: sessionId: must be a string, got 7",
        ),
        (
            line(json!({"requestId": ["req_1"]})),
            "s.jsonl:2: requestId: must be a string, got [\"req_1\"]",
        ),
        (
            line(json!({"message": {"id": {"x": 1}}})),
            "s.jsonl:2: message.id: must be a string, got {\"x\":1}",
        ),
    ];
    for (bad, expect) in cases {
        check_err(&format!("{good}\n{bad}\n{good}\n"), expect);
    }
}

#[test]
fn long_values_are_cut_in_messages() {
    check_err(
        &line(
            json!({"message": {"usage": {"input_tokens": "a very long string that goes on and on and on"}}}),
        ),
        "s.jsonl:1: message.usage.input_tokens: must be a non-negative integer, got \"a very \
         long string that goes on and on …",
    );
}

#[test]
fn errors_name_the_file_they_are_in() {
    let files = [
        file("a.jsonl", &[line(json!({}))]),
        file("projects/p/b.jsonl", &[line(json!({})), "{".to_owned()]),
    ];
    let err = run(&files).expect_err("malformed");
    assert_eq!(
        err,
        "projects/p/b.jsonl:2: not valid JSON: EOF while parsing an object (column 1)"
    );
}

#[test]
fn an_import_that_failed_still_reconciles() {
    let mut importer = ClaudeCodeImporter::new();
    let text = format!("{}\n{{\n{}\n", line(json!({})), line(json!({})));
    let source = SessionFile {
        name: "s.jsonl",
        project: None,
    };
    let err = importer
        .read(text.as_bytes(), &source)
        .expect_err("malformed");
    assert!(
        err.to_string().starts_with("s.jsonl:2: not valid JSON"),
        "{err}"
    );
    let summary = importer.finish(io::sink()).expect("writes what was read");
    assert_eq!((summary.lines_read, summary.records_written), (1, 1));
}

#[test]
fn invalid_utf8_names_the_line() {
    let mut text = line(json!({})).into_bytes();
    text.extend_from_slice(b"\n{\"type\": \"user\", \"x\": \"\xff\"}\n");
    let source = SessionFile {
        name: "s.jsonl",
        project: None,
    };
    let err = convert(&text[..], &source, io::sink()).expect_err("invalid utf-8");
    assert!(
        err.to_string()
            .starts_with("s.jsonl:2: line is not valid UTF-8"),
        "{err}"
    );
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
fn write_errors_name_the_sources() {
    let text = line(json!({}));
    let mut importer = ClaudeCodeImporter::new();
    for name in ["a.jsonl", "b.jsonl"] {
        let source = SessionFile {
            name,
            project: None,
        };
        importer.read(text.as_bytes(), &source).expect("reads");
    }
    let err = importer
        .finish(FullWriter { room: 40 })
        .expect_err("write fails");
    assert_eq!(
        err.to_string(),
        "2 session files: writing the corpus failed: disk full"
    );
}

#[test]
fn token_totals_that_overflow_stop_the_import() {
    let big = |id: &str| line(json!({"message": {"id": id, "usage": {"input_tokens": u64::MAX}}}));
    let source = SessionFile {
        name: "s.jsonl",
        project: None,
    };
    let text = format!("{}\n{}\n", big("m1"), big("m2"));
    let err = convert(text.as_bytes(), &source, io::sink()).expect_err("overflow");
    assert_eq!(
        err.to_string(),
        "s.jsonl:2: the sessions' token total overflows 64 bits"
    );
}

#[test]
fn project_is_the_folder_after_projects_else_the_parent() {
    for (path, expect) in [
        (
            "/home/me/.claude/projects/-home-me-src-app/0f3c.jsonl",
            Some("-home-me-src-app"),
        ),
        (
            "/home/me/.claude/projects/-home-me-src-app/0f3c/subagents/agent-a1.jsonl",
            Some("-home-me-src-app"),
        ),
        (
            "/home/me/projects/backup/.claude/projects/p1/s.jsonl",
            Some("p1"),
        ),
        ("logs/session.jsonl", Some("logs")),
        ("./session.jsonl", None),
        ("session.jsonl", None),
        ("/projects/s.jsonl", Some("projects")),
    ] {
        assert_eq!(project_of(Path::new(path)).as_deref(), expect, "{path}");
    }
}

#[test]
fn directories_are_walked_for_jsonl_files_in_sorted_order() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/claude-code");
    let found = find_session_files(std::slice::from_ref(&data)).expect("walks");
    let relative: Vec<String> = found
        .iter()
        .map(|p| {
            p.strip_prefix(&data)
                .expect("below")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        relative,
        [
            "projects/margin/session-basic.jsonl",
            "projects/sample-project/1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl",
            "projects/sample-project/5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl",
            "projects/sample-project/fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl",
        ]
    );
    // A file is taken as it is, whatever its name, and arguments keep their order.
    let source_md = data.join("SOURCE.md");
    let found =
        find_session_files(&[source_md.clone(), data.join("projects/margin")]).expect("walks");
    assert_eq!(found.len(), 2);
    assert_eq!(found[0], source_md);

    let err = find_session_files(&[data.join("nowhere")]).expect_err("missing");
    assert!(err.to_string().contains("nowhere: "), "{err}");
    let empty = std::env::temp_dir().join(format!("tokensim-cc-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).expect("temp dir");
    let err = find_session_files(std::slice::from_ref(&empty)).expect_err("empty");
    std::fs::remove_dir(&empty).expect("removed");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: no session files (*.jsonl) in this directory or below it",
            empty.display()
        )
    );
}

// ---- Prompt segments (docs/importers.md, "claude-code", "Prompt segments") ----

const KEY: [u8; 32] = [7; 32];

/// A transcript line: `uuid`, `parentUuid` ("" for none), `type` and `message.content`.
fn tline(uuid: &str, parent: &str, kind: &str, content: Value) -> String {
    json!({
        "parentUuid": if parent.is_empty() { Value::Null } else { json!(parent) },
        "isSidechain": false, "sessionId": "s1", "version": "1.0.98", "type": kind,
        "message": {"role": kind, "content": content},
        "uuid": uuid, "timestamp": "2025-09-03T00:47:00.000Z"
    })
    .to_string()
}

/// An assistant API-call line of message `id` with usage `(input, write, read)`, 5m writes.
fn aline(
    uuid: &str,
    parent: &str,
    id: &str,
    text: &str,
    usage: (u64, u64, u64),
    at: &str,
) -> String {
    line(json!({
        "uuid": uuid, "parentUuid": if parent.is_empty() { Value::Null } else { json!(parent) },
        "requestId": format!("req_{id}"), "timestamp": at,
        "message": {"id": id, "content": [{"type": "text", "text": text}],
            "usage": {"input_tokens": usage.0, "cache_creation_input_tokens": usage.1,
                "cache_read_input_tokens": usage.2,
                "cache_creation": {"ephemeral_5m_input_tokens": usage.1,
                    "ephemeral_1h_input_tokens": 0}}}
    }))
}

/// Imports with segments; per record `role:tokens[:ttl]` joined by spaces, and the records.
fn seg_run(files: &[File<'_>]) -> Result<(Vec<String>, Vec<Value>, ClaudeCodeSummary), String> {
    let mut importer = ClaudeCodeImporter::with_options(&ClaudeCodeOptions::with_key(KEY));
    for f in files {
        let source = SessionFile {
            name: f.name,
            project: f.project,
        };
        importer
            .read(f.text.as_bytes(), &source)
            .map_err(|e| e.to_string())?;
    }
    let mut out = Vec::new();
    let summary = importer.finish(&mut out).map_err(|e| e.to_string())?;
    let text = String::from_utf8(out).expect("utf-8");
    let mut shapes = Vec::new();
    let mut values = Vec::new();
    for (i, l) in text.lines().enumerate().skip(1) {
        let pos = Position {
            file: 0,
            line: i as u64 + 1,
        };
        assert!(
            matches!(parse_line(l, pos, false), Ok(Line::Record(_))),
            "{l}"
        );
        let v: Value = serde_json::from_str(l).expect("json");
        let u = &v["usage"];
        let total: u64 = [
            "input_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
        ]
        .iter()
        .map(|k| u[k].as_u64().expect("count"))
        .sum();
        let segs = v["prompt"]["segments"].as_array().expect("segments");
        let sum: u64 = segs.iter().map(|s| s["tokens"].as_u64().expect("n")).sum();
        assert_eq!(sum, total, "the sum rule: {l}");
        let shape: Vec<String> = segs
            .iter()
            .map(|s| {
                let mut t = format!("{}:{}", s["role"].as_str().expect("role"), s["tokens"]);
                if let Some(ttl) = s["cache_control"].as_str() {
                    t += ":";
                    t += ttl;
                }
                t
            })
            .collect();
        shapes.push(shape.join(" "));
        values.push(v);
    }
    Ok((shapes, values, summary))
}

fn hashes(v: &Value) -> Vec<String> {
    v["prompt"]["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|s| s["hash"].as_str().expect("hash").to_owned())
        .collect()
}

fn rules(s: &ClaudeCodeSummary) -> Vec<(&'static str, u64)> {
    s.adjusted
        .iter()
        .map(|n| (n.note.rule, n.note.line))
        .collect()
}

/// A session: prompt, call 1 (read 2000 = the system, write 100, input 3), a tool result, call 2
/// (reads call 1's 2100, writes 50), call 3 (reads 2150, writes 30).
fn session() -> Vec<String> {
    vec![
        tline(
            "u1",
            "",
            "user",
            json!("Please fix the failing test in parser.rs"),
        ),
        aline(
            "a1",
            "u1",
            "m1",
            "Looking",
            (3, 100, 2000),
            "2025-09-03T00:47:01Z",
        ),
        tline(
            "t1",
            "a1",
            "user",
            json!([{"type": "tool_result", "tool_use_id": "x", "content": "ok"}]),
        ),
        aline(
            "a2",
            "t1",
            "m2",
            "Fixed it, the test passes now",
            (5, 50, 2100),
            "2025-09-03T00:47:05Z",
        ),
        tline("u2", "a2", "user", json!("thanks")),
        aline(
            "a3",
            "u2",
            "m3",
            "Welcome",
            (4, 30, 2150),
            "2025-09-03T00:47:09Z",
        ),
    ]
}

#[test]
fn segments_follow_the_chain_and_its_growth() {
    let (shapes, values, summary) = seg_run(&[file("s.jsonl", &session())]).expect("import");
    // Call 1: the system holds its cache read, the prompt its write, the tail its input. Later
    // calls keep every earlier count; the new blocks share the growth by bytes: call 2's 50 over
    // `{"text":"Looking","type":"text"}` (30 bytes) and the tool result (53 bytes), 18 and 32.
    assert_eq!(
        shapes,
        [
            "system:2000:5m user:100:5m user:3",
            "system:2000:5m user:100 assistant:18 tool_result:32:5m user:5",
            "system:2000:5m user:100 assistant:18 tool_result:32 assistant:19 user:11:5m user:4",
        ]
    );
    // Prefix identity: each call repeats the previous call's hashes through its last breakpoint.
    let (h1, h2, h3) = (hashes(&values[0]), hashes(&values[1]), hashes(&values[2]));
    assert_eq!(h1[..2], h2[..2]);
    assert_eq!(h2[..4], h3[..4]);
    // The tail is the same (turn-end) segment everywhere; it is never cached.
    assert_eq!(h1[2], h2[4]);
    assert_eq!(summary.records_with_segments, 3);
    assert_eq!(summary.segments_written, 3 + 5 + 7);
    assert!(summary.adjusted.is_empty());
}

#[test]
fn fingerprints_are_the_anthropic_importers() {
    let (_, values, _) = seg_run(&[file("s.jsonl", &session())]).expect("import");
    let h = hashes(&values[0]);
    // A string content is fingerprinted as the text block it stands for.
    let block = r#"{"text":"Please fix the failing test in parser.rs","type":"text"}"#;
    assert_eq!(h[1], segments::fingerprint_hex(&KEY, "user", block));
    assert_eq!(h[1], crate::anthropic::fingerprint(&KEY, "user", block));
    // Another key, other hashes; no text in the output.
    let text = values[0].to_string();
    assert!(!text.contains("parser.rs") && !text.contains("Looking"));
}

#[test]
fn a_shrinking_total_restarts_the_chain() {
    let mut lines = session();
    // Call 3 caches less than the system and blocks counted so far (e.g. the client trimmed the
    // context): every block is apportioned afresh.
    lines[5] = aline(
        "a3",
        "u2",
        "m3",
        "Welcome",
        (4, 30, 1000),
        "2025-09-03T00:47:09Z",
    );
    let (shapes, _, summary) = seg_run(&[file("s.jsonl", &lines)]).expect("import");
    assert_eq!(
        shapes[2],
        "system:1030:5m user:0 assistant:0 tool_result:0 assistant:0 user:0:5m user:4"
    );
    assert_eq!(rules(&summary), [(RULE_CHAIN_RESTART, 6)]);
    // A total that grows with no new block also restarts.
    let mut lines = session();
    lines.push(aline(
        "a4",
        "u2",
        "m4",
        "Again",
        (4, 80, 2150),
        "2025-09-03T00:47:20Z",
    ));
    let (shapes, _, summary) = seg_run(&[file("s.jsonl", &lines)]).expect("import");
    assert_eq!(rules(&summary), [(RULE_CHAIN_RESTART, 7)]);
    assert_eq!(
        shapes[3],
        "system:2000:5m user:63 assistant:31 tool_result:53 assistant:53 user:30:5m user:4"
    );
}

#[test]
fn the_system_size_comes_from_a_read_else_another_chain_else_an_estimate() {
    // Two sub-agents (sidechain roots) on the same system prompt: the first starts cold (read 0),
    // the second reads the system the first wrote (1500): the first takes that size too.
    let side = |l: String| {
        let mut v: Value = serde_json::from_str(&l).expect("json");
        v["isSidechain"] = json!(true);
        v.to_string()
    };
    let lines = vec![
        side(tline("s1", "", "user", json!("Task one"))),
        side(aline(
            "b1",
            "s1",
            "n1",
            "ok",
            (3, 1520, 0),
            "2025-09-03T00:47:01Z",
        )),
        side(tline("s2", "", "user", json!("Task two"))),
        side(aline(
            "b2",
            "s2",
            "n2",
            "ok",
            (3, 25, 1500),
            "2025-09-03T00:47:02Z",
        )),
    ];
    let (shapes, values, summary) = seg_run(&[file("s.jsonl", &lines)]).expect("import");
    assert_eq!(
        shapes,
        [
            "system:1500:5m user:20:5m user:3",
            "system:1500:5m user:25:5m user:3"
        ]
    );
    assert_eq!(hashes(&values[0])[0], hashes(&values[1])[0]);
    assert_ne!(hashes(&values[0])[1], hashes(&values[1])[1]);
    assert!(summary.adjusted.is_empty());

    // No chain of this system prompt ever starts with a read: the blocks get a quarter of their
    // bytes, the system the rest.
    let lines = vec![
        tline("u1", "", "user", json!("Hi")),
        aline("a1", "u1", "m1", "ok", (3, 1000, 0), "2025-09-03T00:47:01Z"),
    ];
    let (shapes, _, summary) = seg_run(&[file("s.jsonl", &lines)]).expect("import");
    // `{"text":"Hi","type":"text"}` is 28 bytes: 7 tokens.
    assert_eq!(shapes, ["system:993:5m user:7:5m user:3"]);
    assert_eq!(rules(&summary), [(RULE_SYSTEM_SIZE_ESTIMATED, 2)]);
}

#[test]
fn main_thread_and_sidechains_have_different_system_segments() {
    let mut sub = aline("b1", "", "n1", "ok", (3, 100, 0), "2025-09-03T00:47:02Z");
    let mut v: Value = serde_json::from_str(&sub).expect("json");
    v["isSidechain"] = json!(true);
    sub = v.to_string();
    let lines = vec![
        aline("a1", "", "m1", "ok", (3, 100, 0), "2025-09-03T00:47:01Z"),
        sub,
    ];
    let (_, values, _) = seg_run(&[file("s.jsonl", &lines)]).expect("import");
    assert_ne!(hashes(&values[0])[0], hashes(&values[1])[0]);
    // Another project or version: another system segment.
    let other = File {
        name: "o.jsonl",
        project: Some("other"),
        text: aline("c1", "", "m9", "ok", (3, 100, 0), "2025-09-03T00:47:03Z") + "\n",
    };
    let (_, values2, _) = seg_run(&[file("s.jsonl", &lines[..1]), other]).expect("import");
    assert_ne!(hashes(&values2[0])[0], hashes(&values2[1])[0]);
}

#[test]
fn ttls_follow_the_recorded_writes() {
    let with_split = |l: String, m5: u64, h1: u64| {
        let mut v: Value = serde_json::from_str(&l).expect("json");
        v["message"]["usage"]["cache_creation"] =
            json!({"ephemeral_5m_input_tokens": m5, "ephemeral_1h_input_tokens": h1});
        v["message"]["usage"]["cache_creation_input_tokens"] = json!(m5 + h1);
        v.to_string()
    };
    let mut lines = session();
    lines[1] = with_split(lines[1].clone(), 0, 100); // 1h writes only: both breakpoints 1h
    lines[3] = with_split(lines[3].clone(), 0, 0); // no writes: as the chain's last call
    lines[5] = with_split(lines[5].clone(), 10, 20); // mixed: 1h on the system, 5m on the last
    let mut v: Value = serde_json::from_str(&lines[5]).expect("json");
    v["message"]["usage"]["cache_read_input_tokens"] = json!(2100);
    lines[5] = v.to_string();
    let (shapes, _, summary) = seg_run(&[file("s.jsonl", &lines)]).expect("import");
    assert_eq!(
        shapes,
        [
            "system:2000:1h user:100:1h user:3",
            "system:2000:1h user:100 assistant:0 tool_result:0:1h user:5",
            "system:2000:1h user:100 assistant:0 tool_result:0 assistant:19 user:11:5m user:4",
        ]
    );
    assert!(summary.adjusted.is_empty());
}

#[test]
fn calls_without_cache_tokens_get_no_breakpoint_and_no_tail() {
    let lines = vec![
        tline("u1", "", "user", json!("Hi")),
        aline("a1", "u1", "m1", "ok", (900, 0, 0), "2025-09-03T00:47:01Z"),
    ];
    let (shapes, _, _) = seg_run(&[file("s.jsonl", &lines)]).expect("import");
    assert_eq!(shapes, ["system:893 user:7"]);
}

#[test]
fn a_missing_parent_goes_on_from_the_previous_line_of_the_file() {
    // As in the reduced real file: the lines between the messages were dropped.
    let lines = vec![
        tline("u1", "gone0", "user", json!("Run echo hello")),
        aline(
            "a1",
            "gone1",
            "m1",
            "Running",
            (3, 100, 2000),
            "2025-09-03T00:47:01Z",
        ),
        tline(
            "t1",
            "a1",
            "user",
            json!([{"type": "tool_result", "tool_use_id": "x", "content": "hello"}]),
        ),
        aline(
            "a2",
            "gone2",
            "m2",
            "Done",
            (3, 40, 2100),
            "2025-09-03T00:47:05Z",
        ),
    ];
    let (shapes, values, summary) = seg_run(&[file("s.jsonl", &lines)]).expect("import");
    assert_eq!(
        shapes,
        [
            "system:2000:5m user:100:5m user:3",
            "system:2000:5m user:100 assistant:14 tool_result:26:5m user:3",
        ]
    );
    assert_eq!(hashes(&values[0])[..2], hashes(&values[1])[..2]);
    assert_eq!(
        rules(&summary),
        [(RULE_PARENT_MISSING, 2), (RULE_PARENT_MISSING, 4)]
    );
}

#[test]
fn streaming_partials_are_blocks_of_the_next_prompt_and_usage_is_unchanged() {
    // Call 1 is two lines (two blocks, one message id); call 2's prompt holds both.
    let lines = vec![
        tline("u1", "", "user", json!("Hi")),
        aline(
            "a1",
            "u1",
            "m1",
            "part one",
            (3, 100, 2000),
            "2025-09-03T00:47:01Z",
        ),
        aline(
            "a1b",
            "a1",
            "m1",
            "part two",
            (3, 100, 2000),
            "2025-09-03T00:47:02Z",
        ),
        tline("u2", "a1b", "user", json!("more")),
        aline(
            "a2",
            "u2",
            "m2",
            "ok",
            (3, 60, 2100),
            "2025-09-03T00:47:05Z",
        ),
    ];
    let (shapes, values, summary) = seg_run(&[file("s.jsonl", &lines)]).expect("import");
    assert_eq!(
        shapes,
        [
            "system:2000:5m user:100:5m user:3",
            "system:2000:5m user:100 assistant:21 assistant:21 user:18:5m user:3",
        ]
    );
    assert_eq!(summary.superseded_in_file, 1);
    // Usage is what the import without segments writes.
    let (plain, _) = run(&[file("s.jsonl", &lines)]).expect("plain");
    for (a, b) in plain.iter().zip(&values) {
        let mut b = b.clone();
        b.as_object_mut().expect("object").remove("prompt");
        assert_eq!(*a, b);
    }
}

#[test]
fn segment_fields_of_the_wrong_type_name_file_line_and_field() {
    let files = [file(
        "s.jsonl",
        &[
            tline("u1", "", "user", json!("Hi")),
            line(json!({"uuid": 7})),
        ],
    )];
    assert_eq!(
        seg_run(&files).err().as_deref(),
        Some("s.jsonl:2: uuid: must be a string, got 7")
    );
    let files = [file("s.jsonl", &[line(json!({"parentUuid": ["x"]}))])];
    assert_eq!(
        seg_run(&files).err().as_deref(),
        Some("s.jsonl:1: parentUuid: must be a string, got [\"x\"]")
    );
    // Without segments these fields are not read.
    assert!(run(&[file("s.jsonl", &[line(json!({"uuid": 7}))])]).is_ok());
}

#[test]
fn odd_transcripts_never_panic() {
    let lines = vec![
        // A cycle of parents, content of every shape, a copied uuid, no uuid at all.
        tline("x1", "x2", "user", json!(null)),
        tline(
            "x2",
            "x1",
            "assistant",
            json!([1, "two", null, {"type": "tool_result"}]),
        ),
        aline("x3", "x2", "m1", "a", (0, 0, 0), "2025-09-03T00:47:01Z"),
        aline("x3", "x3", "m2", "b", (1, 2, 3), "2025-09-03T00:47:02Z"),
        line(json!({"uuid": null, "message": {"id": "m3"}})),
        json!({"type": "attachment", "uuid": "at", "parentUuid": "x3", "attachment": {"k": 1}})
            .to_string(),
        aline("x4", "at", "m4", "c", (1, 0, 0), "2025-09-03T00:47:03Z"),
    ];
    let (shapes, _, _) = seg_run(&[file("s.jsonl", &lines)]).expect("import");
    assert_eq!(shapes.len(), 4);
}

/// A reader that hands out at most `step` bytes a read.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn lines_across_reads_and_buffers_are_read_whole() {
    // A line longer than the read buffer, CRLF, blank lines and no end of line at the end.
    let long = line(
        json!({"message": {"content": [{"type": "text", "text": "x".repeat(READ_BUFFER + 10)}]}}),
    );
    let text = [
        call("m1", "r1", "2025-09-03T00:47:21Z", 1),
        long,
        String::new(),
        call("m1", "r1", "2025-09-03T00:47:22Z", 2) + "\r",
        line(json!({"type": "user", "message": {"usage": null}})),
        call("m2", "r2", "2025-09-03T00:47:23Z", 3),
    ]
    .join("\n");
    let import = |input: &mut dyn BufRead| {
        let mut importer = ClaudeCodeImporter::new();
        let source = SessionFile {
            name: "s.jsonl",
            project: None,
        };
        importer.read(input, &source).expect("reads");
        let mut out = Vec::new();
        let summary = importer.finish(&mut out).expect("writes");
        (out, summary)
    };
    let (whole, summary) = import(&mut text.as_bytes());
    assert_eq!(
        (
            summary.lines_read,
            summary.lines_blank,
            summary.records_written,
            summary.superseded_in_file,
            summary.not_api_calls_total(),
        ),
        (6, 1, 3, 1, 1)
    );
    for step in [1, 7, 4096, READ_BUFFER - 1] {
        let trickle = Trickle {
            data: text.as_bytes(),
            step,
        };
        let (out, s) = import(&mut io::BufReader::with_capacity(step, trickle));
        assert_eq!((&out, &s), (&whole, &summary), "{step}");
    }
}

#[test]
fn an_error_in_a_line_after_a_long_one_names_its_line() {
    let long = line(json!({"message": {"content": "y".repeat(2 * READ_BUFFER)}}));
    check_err(
        &format!("{long}\n{long}\n{{\"type\": \"user\", \"type\": \"user\"}}\n{long}\n"),
        "s.jsonl:3: not valid JSON: duplicate field `type` (column 23)",
    );
}

// ---- Threads (ClaudeCodeImporter::read_files, ClaudeCodeImporter::finish) ----

/// Session files for the thread tests: `n` files of `calls` calls each, with streaming partials,
/// transcript lines, a call copied from the previous file (a history Claude Code copied), lines
/// without ids, synthetic and blank lines; `bad` puts a malformed third line in that file.
fn many_files(n: usize, calls: usize, bad: Option<usize>) -> Vec<(String, Option<String>, String)> {
    let at = |i: usize, k: usize| {
        format!(
            "2025-09-{:02}T{:02}:{:02}:00.000Z",
            1 + i % 28,
            k / 60 % 24,
            k % 60
        )
    };
    (0..n)
        .map(|i| {
            let mut lines = vec![tline(&format!("t{i}"), "", "user", json!("hello"))];
            if bad == Some(i) {
                lines.push("{".to_owned());
            }
            if i > 0 {
                let prev = i - 1;
                lines.push(aline(
                    &format!("u{prev}-0"),
                    &format!("t{prev}"),
                    &format!("m{prev}-0"),
                    "copied",
                    (1, 2, 3),
                    &at(prev, 0),
                ));
            }
            let mut parent = format!("t{i}");
            for k in 0..calls {
                let id = format!("m{i}-{k}");
                let uuid = format!("u{i}-{k}");
                let usage = (k as u64 % 7, 100 + k as u64, 1000 * (k as u64 % 3));
                let partial = aline(&uuid, &parent, &id, "", usage, &at(i, k));
                lines.push(partial);
                lines.push(aline(&uuid, &parent, &id, "done", usage, &at(i, k)));
                if k % 17 == 0 {
                    let user = format!("v{i}-{k}");
                    lines.push(tline(&user, &uuid, "user", json!("go on")));
                    parent = user;
                } else {
                    parent = uuid;
                }
                if k % 29 == 0 {
                    lines.push(line(json!({"message": {"id": null}, "requestId": null})));
                    lines.push(line(json!({"message": {"model": "<synthetic>"}})));
                    lines.push(String::new());
                }
            }
            let name = format!("projects/p{}/f{i}.jsonl", i % 3);
            (name, Some(format!("p{}", i % 3)), lines.join("\n") + "\n")
        })
        .collect()
}

/// The importer's view of `many_files`' output: each file's name and project.
fn session_files(files: &[(String, Option<String>, String)]) -> Vec<SessionFile<'_>> {
    files
        .iter()
        .map(|(name, project, _)| SessionFile {
            name,
            project: project.as_deref(),
        })
        .collect()
}

/// Imports `files` with `threads` threads; `cannot_open` fails opening that file. The read's
/// error, then what `finish` writes and counts all the same (an import that failed still
/// writes what it read).
fn import_threaded(
    files: &[(String, Option<String>, String)],
    opts: &ClaudeCodeOptions,
    threads: usize,
    cannot_open: Option<usize>,
) -> (Option<String>, Vec<u8>, ClaudeCodeSummary) {
    let sources = session_files(files);
    let mut importer = ClaudeCodeImporter::with_options(opts).with_threads(threads);
    let read = importer.read_files(&sources, |i| {
        if cannot_open == Some(i) {
            return Err(ImportError::Walk {
                path: files[i].0.clone(),
                message: "cannot open".to_owned(),
            });
        }
        Ok(files[i].2.as_bytes())
    });
    let mut out = Vec::new();
    let summary = importer.finish(&mut out).expect("writes");
    (read.err().map(|e| e.to_string()), out, summary)
}

/// What reading the files one by one with [`ClaudeCodeImporter::read`] gives.
fn import_one_by_one(
    files: &[(String, Option<String>, String)],
    opts: &ClaudeCodeOptions,
) -> (Option<String>, Vec<u8>, ClaudeCodeSummary) {
    let mut importer = ClaudeCodeImporter::with_options(opts);
    let mut error = None;
    for (name, project, text) in files {
        let source = SessionFile {
            name,
            project: project.as_deref(),
        };
        if let Err(e) = importer.read(text.as_bytes(), &source) {
            error = Some(e.to_string());
            break;
        }
    }
    let mut out = Vec::new();
    let summary = importer.finish(&mut out).expect("writes");
    (error, out, summary)
}

#[test]
fn the_output_is_the_same_for_any_number_of_threads() {
    // More records than three chunks of the parallel writing.
    let files = many_files(30, 20, None);
    for opts in [
        ClaudeCodeOptions::default(),
        ClaudeCodeOptions::with_key(KEY),
    ] {
        let expect = import_one_by_one(&files, &opts);
        let s = &expect.2;
        assert!(s.records_written > 8 * RECORDS_PER_CHUNK as u64);
        assert_eq!(s.duplicates_across_files, 29);
        assert!(s.superseded_in_file > 0 && s.synthetic > 0 && s.lines_blank > 0);
        assert!(s.written_without_ids > 0);
        assert_eq!(expect.0, None);
        for threads in [0, 1, 2, 3, 8, 40] {
            let got = import_threaded(&files, &opts, threads, None);
            assert!(got == expect, "{threads} threads, {opts:?}");
        }
    }
}

#[test]
fn an_error_in_a_middle_file_is_the_first_error_whatever_the_threads() {
    let files = many_files(12, 40, Some(7));
    let expect = import_one_by_one(&files, &ClaudeCodeOptions::default());
    assert_eq!(
        expect.0.as_deref(),
        Some("projects/p1/f7.jsonl:2: not valid JSON: EOF while parsing an object (column 1)")
    );
    assert_eq!(expect.2.files.len(), 8);
    for threads in [1, 2, 3, 5] {
        for opts in [
            ClaudeCodeOptions::default(),
            ClaudeCodeOptions::with_key(KEY),
        ] {
            let got = import_threaded(&files, &opts, threads, None);
            assert!(got == import_one_by_one(&files, &opts), "{threads} threads");
        }
        let got = import_threaded(&files, &ClaudeCodeOptions::default(), threads, Some(4));
        assert_eq!(got.0.as_deref(), Some("projects/p1/f4.jsonl: cannot open"));
        assert_eq!(got.2.files.len(), 4, "{threads} threads");
        let before = import_one_by_one(&files[..4], &ClaudeCodeOptions::default());
        assert!((got.1, got.2) == (before.1, before.2), "{threads} threads");
    }
}

#[test]
fn overflowing_totals_stop_at_the_same_call_with_threads() {
    let big = |id: &str| line(json!({"message": {"id": id, "usage": {"input_tokens": u64::MAX}}}));
    let mut text = String::new();
    for k in 0..2 * RECORDS_PER_CHUNK {
        text += &call(
            &format!("m{k}"),
            &format!("r{k}"),
            "2025-09-03T00:00:00Z",
            1,
        );
        text += "\n";
    }
    text += &format!("{}\n{}\n", big("big1"), big("big2"));
    let source = SessionFile {
        name: "s.jsonl",
        project: None,
    };
    for threads in [1, 4] {
        let mut importer = ClaudeCodeImporter::new().with_threads(threads);
        importer.read(text.as_bytes(), &source).expect("reads");
        let err = importer.finish(io::sink()).expect_err("overflow");
        assert_eq!(
            err.to_string(),
            format!(
                "s.jsonl:{}: the sessions' token total overflows 64 bits",
                2 * RECORDS_PER_CHUNK + 1
            )
        );
    }
}

#[test]
fn write_errors_are_the_same_with_threads() {
    let files = many_files(3, RECORDS_PER_CHUNK, None);
    for threads in [1, 3] {
        let sources = session_files(&files);
        let mut importer = ClaudeCodeImporter::new().with_threads(threads);
        importer
            .read_files(&sources, |i| Ok::<_, ImportError>(files[i].2.as_bytes()))
            .expect("reads");
        let err = importer
            .finish(FullWriter { room: 5_000 })
            .expect_err("write fails");
        assert_eq!(
            err.to_string(),
            "3 session files: writing the corpus failed: disk full"
        );
    }
}
