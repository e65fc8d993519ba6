//! OTLP JSON exports, hand-written: GenAI spans and Claude Code log events, AnyValue forms,
//! inclusive input, skipped spans counted by rule.

use serde_json::json;
use tokensim_corpus::{parse_line, Line, Position, Record as CorpusRecord};

use super::*;

fn run(input: &str, opts: &OtelOptions) -> (OtelSummary, Vec<CorpusRecord>) {
    let mut out = Vec::new();
    let summary = convert(input.as_bytes(), "traces.jsonl", opts, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let pos = Position {
            file: 0,
            line: i as u64 + 1,
        };
        match parse_line(line, pos, i == 0) {
            Ok(Line::Header) if i == 0 => {}
            Ok(Line::Record(r)) if i > 0 => records.push(*r),
            other => panic!("output line {}: {other:?}\n{text}", i + 1),
        }
    }
    assert_eq!(
        summary.items_read(),
        summary.records_written + summary.skipped_total()
    );
    assert_eq!(records.len() as u64, summary.records_written);
    (summary, records)
}

fn err(input: &str) -> String {
    convert(
        input.as_bytes(),
        "traces.jsonl",
        &OtelOptions::default(),
        Vec::new(),
    )
    .unwrap_err()
    .to_string()
}

fn attr(key: &str, value: Value) -> Value {
    json!({"key": key, "value": value})
}
fn s(v: &str) -> Value {
    json!({ "stringValue": v })
}
fn i(v: &str) -> Value {
    json!({ "intValue": v })
}

/// 2026-01-01T00:00:00Z in nanoseconds.
const T0: &str = "1767225600000000000";

fn span(id: &str, attributes: Vec<Value>) -> Value {
    json!({
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": id,
        "name": "chat claude-sonnet-4-5",
        "kind": 3,
        "startTimeUnixNano": T0,
        "endTimeUnixNano": "1767225601500000000",
        "attributes": attributes,
        "status": {}
    })
}

fn export(spans: Vec<Value>) -> Value {
    json!({"resourceSpans": [{
        "resource": {"attributes": [
            attr("service.name", s("helpdesk")),
            attr("service.namespace", s("support")),
            attr("deployment.environment.name", s("prod")),
        ]},
        "scopeSpans": [{"scope": {"name": "opentelemetry.instrumentation.anthropic"}, "spans": spans}]
    }]})
}

/// A semconv v1.40 chat span: inclusive input 5000 with 4000 cache reads and 600 cache writes.
fn chat(id: &str) -> Value {
    span(
        id,
        vec![
            attr("gen_ai.operation.name", s("chat")),
            attr("gen_ai.provider.name", s("anthropic")),
            attr("gen_ai.request.model", s("claude-sonnet-4-5")),
            attr("gen_ai.response.model", s("claude-sonnet-4-5-20250929")),
            attr("gen_ai.response.id", s("msg_01")),
            attr("gen_ai.conversation.id", s("conv-7")),
            attr("gen_ai.request.max_tokens", json!({"intValue": 1024})),
            attr("gen_ai.request.stream", json!({"boolValue": true})),
            attr("gen_ai.usage.input_tokens", i("5000")),
            attr("gen_ai.usage.cache_read.input_tokens", i("4000")),
            attr("gen_ai.usage.cache_creation.input_tokens", i("600")),
            attr("gen_ai.usage.output_tokens", i("200")),
        ],
    )
}

fn line(v: &Value) -> String {
    serde_json::to_string(v).unwrap()
}

#[test]
fn a_semconv_span_becomes_a_record_with_exclusive_input() {
    let (summary, records) = run(&line(&export(vec![chat("a1")])), &OtelOptions::default());
    assert_eq!((summary.spans_read, summary.records_written), (1, 1));
    let r = &records[0];
    assert_eq!(r.model, "claude-sonnet-4-5-20250929");
    assert_eq!(r.usage.input_tokens, 400);
    assert_eq!(r.usage.cache_read_input_tokens, 4000);
    assert_eq!(r.usage.cache_write_5m_tokens, 600);
    assert_eq!(r.usage.output_tokens, 200);
    assert_eq!(r.ts.to_string(), "2026-01-01T00:00:00Z");
    assert_eq!(r.latency_ms, Some(1500));
    assert_eq!(r.id.as_deref(), Some("msg_01"));
    assert_eq!(r.conversation_id.as_deref(), Some("conv-7"));
    assert_eq!(r.max_tokens, Some(1024));
    assert_eq!(r.stream, Some(true));
    assert_eq!(
        (r.team.as_deref(), r.app.as_deref(), r.feature.as_deref()),
        (Some("support"), Some("helpdesk"), None)
    );
    assert_eq!(r.tags, ["source:otel", "env:prod"]);
    assert_eq!(
        (
            summary.tokens_input,
            summary.tokens_cache_read,
            summary.tokens_cache_write_5m
        ),
        (400, 4000, 600)
    );
}

#[test]
fn openllmetry_and_openinference_spellings() {
    let flat = span(
        "b1",
        vec![
            attr("gen_ai.system", s("Anthropic")),
            attr("gen_ai.request.model", s("claude-3-5-haiku-20241022")),
            attr("gen_ai.usage.prompt_tokens", json!({"intValue": 1200})),
            attr("gen_ai.usage.completion_tokens", json!({"intValue": 30})),
            attr(
                "gen_ai.usage.cache_read_input_tokens",
                json!({"intValue": 1000}),
            ),
            attr(
                "gen_ai.usage.cache_creation_input_tokens",
                json!({"intValue": 0}),
            ),
            // Both spellings on one span count once.
            attr(
                "gen_ai.usage.cache_read.input_tokens",
                json!({"intValue": 1000}),
            ),
        ],
    );
    let openinference = span(
        "b2",
        vec![
            attr("llm.provider", s("anthropic")),
            attr("llm.model_name", s("claude-haiku-4-5")),
            attr("llm.token_count.prompt", json!({"doubleValue": 900.0})),
            attr("llm.token_count.completion", s("10")),
            attr("llm.token_count.prompt_details.cache_write", i("800")),
        ],
    );
    let (_, records) = run(
        &line(&export(vec![flat, openinference])),
        &OtelOptions::default(),
    );
    assert_eq!(records[0].model, "claude-3-5-haiku-20241022");
    assert_eq!(
        (
            records[0].usage.input_tokens,
            records[0].usage.cache_read_input_tokens
        ),
        (200, 1000)
    );
    assert_eq!(
        records[0].id.as_deref(),
        Some("b1"),
        "the span id without a response id"
    );
    assert_eq!(
        (
            records[1].usage.input_tokens,
            records[1].usage.cache_write_5m_tokens,
            records[1].usage.output_tokens
        ),
        (100, 800, 10)
    );
}

#[test]
fn an_input_count_below_the_cache_is_read_as_exclusive() {
    let mut old = chat("c1");
    old["attributes"][8] = attr("gen_ai.usage.input_tokens", i("12"));
    let (summary, records) = run(&line(&export(vec![old.clone()])), &OtelOptions::default());
    assert_eq!(records[0].usage.input_tokens, 12);
    assert_eq!(records[0].usage.total_input_tokens(), 12 + 4000 + 600);
    assert_eq!(summary.adjusted_by_rule()[RULE_INPUT_EXCLUDES_CACHE], 1);
    assert_eq!(
        summary.adjusted[0].detail,
        "resourceSpans[0].scopeSpans[0].spans[0] (c1): input tokens 12 < cache reads 4000 + \
         cache writes 600; read as the uncached input"
    );
    // With --input-tokens exclusive nothing is subtracted and nothing noted.
    let opts = OtelOptions {
        input_tokens: InputTokens::Exclusive,
        ..OtelOptions::default()
    };
    let (summary, records) = run(&line(&export(vec![chat("c2")])), &opts);
    assert_eq!(records[0].usage.input_tokens, 5000);
    assert!(summary.adjusted.is_empty());
}

#[test]
fn spans_that_are_not_claude_calls_are_counted_by_rule() {
    let http = span("d0", vec![attr("http.request.method", s("POST"))]);
    let mut gpt = chat("d1");
    gpt["attributes"][1] = attr("gen_ai.provider.name", s("openai"));
    gpt["attributes"][2] = attr("gen_ai.request.model", s("gpt-4o"));
    gpt["attributes"][3] = attr("gen_ai.response.model", s("gpt-4o-2024-08-06"));
    let mut agent = chat("d2");
    agent["attributes"][0] = attr("gen_ai.operation.name", s("invoke_agent"));
    let no_model = span(
        "d3",
        vec![
            attr("gen_ai.usage.input_tokens", i("5")),
            attr("gen_ai.usage.output_tokens", i("5")),
        ],
    );
    let half = span(
        "d4",
        vec![
            attr("gen_ai.request.model", s("claude-haiku-4-5")),
            attr("gen_ai.usage.output_tokens", i("5")),
        ],
    );
    let zero = span(
        "d5",
        vec![
            attr("gen_ai.request.model", s("claude-haiku-4-5")),
            attr("gen_ai.usage.input_tokens", i("0")),
            attr("gen_ai.usage.output_tokens", i("0")),
        ],
    );
    let unknown = span(
        "d6",
        vec![
            attr("gen_ai.provider.name", s("anthropic")),
            attr("gen_ai.request.model", s("sonnet")),
            attr("gen_ai.usage.input_tokens", i("5")),
            attr("gen_ai.usage.output_tokens", i("5")),
        ],
    );
    let spans = vec![
        http.clone(),
        http,
        gpt,
        agent,
        no_model,
        half,
        zero,
        unknown,
        chat("d7"),
    ];
    let (summary, records) = run(&line(&export(spans)), &OtelOptions::default());
    assert_eq!(summary.spans_read, 9);
    assert_eq!(records.len(), 2);
    assert_eq!(
        records[0].model, "sonnet",
        "provider anthropic: written for the replay to name"
    );
    let by_rule: Vec<(&str, u64)> = summary
        .skipped_by_rule
        .iter()
        .map(|(k, v)| (*k, *v))
        .collect();
    assert_eq!(
        by_rule,
        [
            (RULE_AGGREGATE_SPAN, 1),
            (RULE_INCOMPLETE_USAGE, 1),
            (RULE_NO_MODEL, 1),
            (RULE_NO_TOKENS, 1),
            (RULE_NO_USAGE, 2),
            (RULE_NOT_CLAUDE, 1),
        ]
    );
    // The no-usage spans are counted, not listed.
    assert_eq!(summary.skipped.len(), 5);
    assert!(summary
        .skipped
        .iter()
        .all(|n| n.rule != RULE_NO_USAGE && n.line == 1));
    let gpt_note = summary
        .skipped
        .iter()
        .find(|n| n.rule == RULE_NOT_CLAUDE)
        .unwrap();
    assert_eq!(
        gpt_note.detail,
        "resourceSpans[0].scopeSpans[0].spans[2] (d1): model \"gpt-4o-2024-08-06\" / \"gpt-4o\" \
         is not a Claude model (map it with --map-model)"
    );

    // Mapped, the GPT span is written as Claude.
    let mut gpt = chat("e1");
    gpt["attributes"][3] = attr("gen_ai.response.model", s("gpt-4o-2024-08-06"));
    let opts = OtelOptions {
        models: ModelMap::from_pairs(["gpt-4o-2024-08-06=claude-haiku-4-5"]).unwrap(),
        ..OtelOptions::default()
    };
    let (summary, records) = run(&line(&export(vec![gpt])), &opts);
    assert_eq!(records[0].model, "claude-haiku-4-5");
    assert!(summary.skipped_by_rule.is_empty());
}

#[test]
fn attribution_keys_and_defaults() {
    let mut v = export(vec![chat("f1")]);
    v["resourceSpans"][0]["resource"]["attributes"] = json!([
        attr("service.name", s("unknown_service:python")),
        attr("team.id", s("platform")),
    ]);
    v["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"]
        .as_array_mut()
        .unwrap()
        .push(attr("gen_ai.agent.name", s("triage")));
    let (_, records) = run(&line(&v), &OtelOptions::default());
    let r = &records[0];
    assert_eq!(
        (r.team.as_deref(), r.app.as_deref(), r.feature.as_deref()),
        (Some("platform"), None, Some("triage"))
    );
    assert_eq!(r.tags, ["source:otel"]);
    let opts = OtelOptions {
        app_keys: vec!["team.id".into()],
        team_keys: vec![],
        workspace: Some("ws".into()),
        cache_write_ttl: CacheTtl::OneHour,
        ..OtelOptions::default()
    };
    let (summary, records) = run(&line(&v), &opts);
    let r = &records[0];
    assert_eq!(
        (r.team.as_deref(), r.app.as_deref()),
        (None, Some("platform"))
    );
    assert_eq!(r.workspace.as_deref(), Some("ws"));
    assert_eq!(
        (r.usage.cache_write_5m_tokens, r.usage.cache_write_1h_tokens),
        (0, 600)
    );
    assert_eq!(summary.tokens_cache_write_1h, 600);
}

/// A Claude Code `api_request` log event, written from the documented attribute list.
fn cc_event(body: &str, attributes: Vec<Value>) -> Value {
    json!({
        "timeUnixNano": "1767225610000000000",
        "observedTimeUnixNano": "1767225610000000000",
        "body": {"stringValue": body},
        "attributes": attributes
    })
}

fn cc_export(records: Vec<Value>) -> Value {
    json!({"resourceLogs": [{
        "resource": {"attributes": [attr("service.name", s("claude-code"))]},
        "scopeLogs": [{"scope": {"name": "com.anthropic.claude_code.events"}, "logRecords": records}]
    }]})
}

fn api_request() -> Value {
    cc_event(
        "claude_code.api_request",
        vec![
            attr("session.id", s("sess-9")),
            attr("event.name", s("api_request")),
            attr("model", s("claude-opus-4-6")),
            attr("input_tokens", json!({"intValue": 7})),
            attr("output_tokens", json!({"intValue": 320})),
            attr("cache_read_tokens", json!({"intValue": 15000})),
            attr("cache_creation_tokens", json!({"intValue": 900})),
            attr("cost_usd", json!({"doubleValue": 0.05})),
            attr("duration_ms", json!({"intValue": 4200})),
            attr("request_id", s("req_01")),
            attr("speed", s("fast")),
            attr("query_source", s("repl_main_thread")),
            attr("team.id", s("infra")),
        ],
    )
}

#[test]
fn claude_code_api_request_events_are_exclusive() {
    let other = cc_event(
        "claude_code.tool_result",
        vec![
            attr("event.name", s("tool_result")),
            attr("duration_ms", s("1050")),
        ],
    );
    let v = cc_export(vec![other, api_request()]);
    let (summary, records) = run(&line(&v), &OtelOptions::default());
    assert_eq!((summary.log_records_read, summary.records_written), (2, 1));
    assert_eq!(summary.skipped_by_rule[RULE_NOT_API_REQUEST], 1);
    assert!(summary.skipped.is_empty());
    let r = &records[0];
    assert_eq!(r.model, "claude-opus-4-6");
    assert_eq!(
        (
            r.usage.input_tokens,
            r.usage.cache_read_input_tokens,
            r.usage.cache_write_5m_tokens,
            r.usage.output_tokens
        ),
        (7, 15000, 900, 320)
    );
    // Logged at 00:00:10 after a 4.2 s call: sent at 00:00:05.8.
    assert_eq!(r.ts.to_string(), "2026-01-01T00:00:05.800Z");
    assert_eq!(r.latency_ms, Some(4200));
    assert_eq!(r.id.as_deref(), Some("req_01"));
    assert_eq!(r.speed, tokensim_corpus::Speed::Fast);
    assert_eq!(r.conversation_id.as_deref(), Some("sess-9"));
    assert_eq!(
        (r.team.as_deref(), r.app.as_deref(), r.feature.as_deref()),
        (Some("infra"), Some("claude-code"), Some("repl_main_thread"))
    );
}

#[test]
fn arrays_metrics_and_pretty_exports() {
    let metrics = json!({"resourceMetrics": [{"scopeMetrics": []}]});
    let pretty = serde_json::to_string_pretty(&export(vec![chat("g2")])).unwrap();
    let input = format!(
        "{}\n{}\n{pretty}\n",
        line(&json!([
            export(vec![chat("g1")]),
            cc_export(vec![api_request()])
        ])),
        line(&metrics)
    );
    let (summary, records) = run(&input, &OtelOptions::default());
    assert_eq!(summary.exports_read, 4);
    assert_eq!(summary.metric_exports, 1);
    assert_eq!((summary.spans_read, summary.log_records_read), (2, 1));
    assert_eq!(records.len(), 3);
    assert_eq!(summary.lines_read, 2 + pretty.lines().count() as u64);
}

#[test]
fn bad_exports_name_the_line_and_field() {
    let mut v = chat("h1");
    v["attributes"][8] = attr("gen_ai.usage.input_tokens", i("-5"));
    let e = err(&format!(
        "{}\n{}",
        line(&export(vec![chat("h0")])),
        line(&export(vec![v]))
    ));
    assert_eq!(
        e,
        "traces.jsonl:2: resourceSpans[0].scopeSpans[0].spans[0].attributes[\"gen_ai.usage.input_tokens\"]: \
         must be a non-negative integer, got intValue \"-5\""
    );
    let mut v = chat("h2");
    v.as_object_mut().unwrap().remove("startTimeUnixNano");
    assert_eq!(
        err(&line(&export(vec![v]))),
        "traces.jsonl:1: resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: required field is missing"
    );
    let mut v = chat("h3");
    v["startTimeUnixNano"] = json!("soon");
    assert!(
        err(&line(&export(vec![v]))).contains("startTimeUnixNano: must be nanoseconds since 1970")
    );
    let mut v = chat("h4");
    v["attributes"] = json!({"a": 1});
    assert!(err(&line(&export(vec![v]))).contains("spans[0].attributes: must be a list"));
    let mut v = chat("h5");
    v["attributes"][0] = attr("gen_ai.operation.name", json!({"intValue": "1"}));
    assert!(err(&line(&export(vec![v])))
        .contains("attributes[\"gen_ai.operation.name\"]: must be a stringValue, got intValue"));
    assert!(err("{\"spans\": []}").starts_with("traces.jsonl:1: not an OTLP export"));
    assert!(err("[3]").starts_with("traces.jsonl:1: [0]: must be an OTLP export object"));
    assert!(
        err("{\"resourceSpans\": 3}").starts_with("traces.jsonl:1: resourceSpans: must be a list")
    );
    assert!(err("{\"resourceSpans\": [").contains("cut off by the end of the input"));
    let opts = OtelOptions {
        workspace: Some(String::new()),
        ..OtelOptions::default()
    };
    let e = convert(&b""[..], "x", &opts, Vec::new()).unwrap_err();
    assert!(e.to_string().starts_with("workspace: is empty"));
}

#[test]
fn huge_counts_are_an_error_not_a_panic() {
    let big = "18446744073709551615";
    let v = span(
        "z1",
        vec![
            attr("gen_ai.request.model", s("claude-haiku-4-5")),
            attr("gen_ai.usage.input_tokens", i(big)),
            attr("gen_ai.usage.output_tokens", i("1")),
            attr("gen_ai.usage.cache_read.input_tokens", i(big)),
            attr("gen_ai.usage.cache_creation.input_tokens", i(big)),
        ],
    );
    let opts = OtelOptions {
        input_tokens: InputTokens::Exclusive,
        ..OtelOptions::default()
    };
    let e = convert(line(&export(vec![v])).as_bytes(), "t", &opts, Vec::new()).unwrap_err();
    assert_eq!(e.to_string(), "t:1: the token totals overflow 64 bits");
    // Odd shapes are errors or skips, never panics.
    for input in [
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{}]}]}]}",
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"attributes\":[{\"key\":1}]}]}]}]}",
        "{\"resourceSpans\":[{\"resource\":3}]}",
        "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"stringValue\":\"claude_code.api_request\"}}]}]}]}",
        "{\"resourceSpans\":[null,{\"scopeSpans\":null}]}",
        "[]",
        "null",
    ] {
        let _ = convert(input.as_bytes(), "t", &OtelOptions::default(), Vec::new());
    }
}
