//! LiteLLM spend rows, hand-written: inclusive prompt tokens made exclusive, the older-version
//! rule, naive timestamps, model mapping, and errors that name the line and field.

use serde_json::json;
use tokensim_corpus::{parse_line, Line, Position, Record as CorpusRecord};

use super::*;

/// Converts `input` and reads the output back with the corpus parser.
fn run(input: &str, opts: &LiteLlmOptions) -> (LiteLlmSummary, Vec<CorpusRecord>, String) {
    let mut out = Vec::new();
    let summary = convert(input.as_bytes(), "spend.jsonl", opts, &mut out).unwrap();
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
        summary.rows_read,
        summary.records_written + summary.skipped.len() as u64
    );
    assert_eq!(records.len() as u64, summary.records_written);
    (summary, records, text)
}

fn err(input: &str) -> String {
    convert(
        input.as_bytes(),
        "spend.jsonl",
        &LiteLlmOptions::default(),
        Vec::new(),
    )
    .unwrap_err()
    .to_string()
}

/// A spend-log row for an Anthropic call with cache reads and writes in
/// `metadata.additional_usage_values`.
fn row() -> Value {
    json!({
        "request_id": "chatcmpl-1",
        "startTime": "2025-01-24 09:20:46.847371",
        "endTime": "2025-01-24 09:20:48.100000",
        "completionStartTime": "2025-01-24 09:20:47.000000",
        "model": "claude-sonnet-4-5-20250929",
        "model_group": "claude-sonnet",
        "custom_llm_provider": "anthropic",
        "team_id": "team-uuid",
        "status": "success",
        "cache_hit": "None",
        "prompt_tokens": 5000,
        "completion_tokens": 200,
        "total_tokens": 5200,
        "session_id": "sess-1",
        "request_tags": ["prod", "User-Agent: claude-cli"],
        "metadata": {
            "user_api_key_alias": "helpdesk-key",
            "user_api_key_team_alias": "support",
            "additional_usage_values": {
                "cache_read_input_tokens": 4000,
                "cache_creation_input_tokens": 600,
                "prompt_tokens_details": {"cached_tokens": 4000}
            },
            "spend_logs_metadata": {"feature": "reply", "env": "prod", "retries": 2, "nested": {"a": 1}}
        }
    })
}

fn line(v: &Value) -> String {
    serde_json::to_string(v).unwrap()
}

#[test]
fn inclusive_prompt_tokens_become_exclusive_input() {
    let (summary, records, _) = run(&line(&row()), &LiteLlmOptions::default());
    assert_eq!(summary.records_written, 1);
    assert!(summary.skipped.is_empty() && summary.adjusted.is_empty());
    let r = &records[0];
    assert_eq!(r.id.as_deref(), Some("chatcmpl-1"));
    assert_eq!(r.model, "claude-sonnet-4-5-20250929");
    assert_eq!(r.usage.input_tokens, 400, "5000 - 4000 read - 600 written");
    assert_eq!(r.usage.cache_read_input_tokens, 4000);
    assert_eq!(r.usage.cache_write_5m_tokens, 600);
    assert_eq!(r.usage.cache_write_1h_tokens, 0);
    assert_eq!(r.usage.output_tokens, 200);
    assert_eq!(r.usage.total_input_tokens(), 5000);
    // Naive timestamps read as UTC; latency to the first token.
    assert_eq!(r.ts.to_string(), "2025-01-24T09:20:46.847371000Z");
    assert_eq!(summary.naive_timestamps, 1);
    assert_eq!(r.latency_ms, Some(153));
    assert_eq!(r.team.as_deref(), Some("support"));
    assert_eq!(r.app.as_deref(), Some("helpdesk-key"));
    assert_eq!(r.feature.as_deref(), Some("reply"));
    assert_eq!(r.conversation_id.as_deref(), Some("sess-1"));
    assert_eq!(
        r.tags,
        [
            "source:litellm",
            "prod",
            "User-Agent: claude-cli",
            "env:prod",
            "feature:reply",
            "retries:2"
        ]
    );
    assert_eq!(r.workspace, None);
    assert_eq!(
        (
            summary.tokens_input,
            summary.tokens_cache_read,
            summary.tokens_cache_write_5m
        ),
        (400, 4000, 600)
    );
    assert_eq!(summary.records_by_model["claude-sonnet-4-5-20250929"], 1);
}

#[test]
fn cache_counts_come_from_the_usage_object_too_with_the_ttl_split() {
    let mut v = row();
    v["metadata"]["additional_usage_values"] = json!({"prompt_tokens_details": null});
    v["metadata"]["usage_object"] = json!({
        "prompt_tokens": 5000, "completion_tokens": 200,
        "prompt_tokens_details": {"cached_tokens": 4000, "cache_creation_tokens": 600},
        "cache_creation_token_details": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 500}
    });
    let (summary, records, text) = run(&line(&v), &LiteLlmOptions::default());
    let u = records[0].usage;
    assert_eq!((u.input_tokens, u.cache_read_input_tokens), (400, 4000));
    assert_eq!(
        (u.cache_write_5m_tokens, u.cache_write_1h_tokens),
        (100, 500)
    );
    assert!(text.contains("\"ephemeral_1h_input_tokens\":500"), "{text}");
    assert_eq!(summary.tokens_cache_write_1h, 500);
}

#[test]
fn the_default_ttl_applies_to_unsplit_writes() {
    let opts = LiteLlmOptions {
        cache_write_ttl: CacheTtl::OneHour,
        ..LiteLlmOptions::default()
    };
    let (summary, records, _) = run(&line(&row()), &opts);
    assert_eq!(
        (
            records[0].usage.cache_write_5m_tokens,
            records[0].usage.cache_write_1h_tokens
        ),
        (0, 600)
    );
    assert_eq!(
        (summary.tokens_cache_write_5m, summary.tokens_cache_write_1h),
        (0, 600)
    );
    assert_eq!(CacheTtl::parse("1h").unwrap(), CacheTtl::OneHour);
    assert_eq!(CacheTtl::parse(" 5m").unwrap(), CacheTtl::FiveMinutes);
    assert!(CacheTtl::parse("1d")
        .unwrap_err()
        .to_string()
        .starts_with("cache-write-ttl:"));
}

#[test]
fn a_split_that_does_not_add_up_is_dropped_and_noted() {
    let mut v = row();
    v["metadata"]["additional_usage_values"]["cache_creation_token_details"] =
        json!({"ephemeral_5m_input_tokens": 1, "ephemeral_1h_input_tokens": 1});
    let (summary, records, _) = run(&line(&v), &LiteLlmOptions::default());
    assert_eq!(records[0].usage.cache_write_5m_tokens, 600);
    assert_eq!(summary.adjusted_by_rule()[RULE_CACHE_SPLIT_MISMATCH], 1);
    assert_eq!(summary.adjusted[0].line, 1);
    assert!(summary.adjusted[0]
        .detail
        .starts_with("chatcmpl-1: cache writes 600"));
}

#[test]
fn a_prompt_count_without_the_writes_is_an_older_litellm() {
    let mut v = row();
    v["prompt_tokens"] = json!(4100);
    let (summary, records, _) = run(&line(&v), &LiteLlmOptions::default());
    assert_eq!(records[0].usage.input_tokens, 100);
    assert_eq!(records[0].usage.cache_write_5m_tokens, 600);
    assert_eq!(summary.adjusted.len(), 1);
    assert_eq!(summary.adjusted[0].rule, RULE_PROMPT_EXCLUDES_CACHE_WRITES);
    assert_eq!(
        summary.adjusted[0].detail,
        "chatcmpl-1: prompt_tokens 4100 < cache reads 4000 + cache writes 600; read as including \
         only the cache reads: input_tokens 100"
    );

    v["prompt_tokens"] = json!(3999);
    let (summary, records, _) = run(&line(&v), &LiteLlmOptions::default());
    assert!(records.is_empty());
    assert_eq!(summary.skipped[0].rule, RULE_CACHE_EXCEEDS_PROMPT);
}

#[test]
fn inclusive_arithmetic() {
    assert_eq!(inclusive_input(10, 3, 4), Input::Exclusive(3));
    assert_eq!(inclusive_input(7, 3, 4), Input::Exclusive(0));
    assert_eq!(inclusive_input(6, 3, 4), Input::ReadsOnly(3));
    assert_eq!(inclusive_input(2, 3, 4), Input::Impossible);
    assert_eq!(inclusive_input(u64::MAX, u64::MAX, 1), Input::ReadsOnly(0));
    assert_eq!(nanos_to_ms(1_499_999), 1);
    assert_eq!(nanos_to_ms(1_500_000), 2);
}

#[test]
fn timestamps_with_offsets_epoch_seconds_and_the_naive_offset_option() {
    let mut v = row();
    v["startTime"] = json!("2025-01-24T09:20:46.5+01:00");
    v["completionStartTime"] = json!(null);
    v["endTime"] = json!("2025-01-24T08:20:47Z");
    let (summary, records, _) = run(&line(&v), &LiteLlmOptions::default());
    assert_eq!(records[0].ts.to_string(), "2025-01-24T08:20:46.500Z");
    assert_eq!(records[0].latency_ms, Some(500));
    assert_eq!(summary.naive_timestamps, 0);

    let mut v = row();
    v["startTime"] = json!(1750615148.162725);
    v["completionStartTime"] = json!(1750615148.399523);
    v["endTime"] = json!(1750615148.399523);
    let (_, records, _) = run(&line(&v), &LiteLlmOptions::default());
    assert_eq!(records[0].ts.to_string(), "2025-06-22T17:59:08.162725000Z");
    assert_eq!(records[0].latency_ms, Some(237));

    let opts = LiteLlmOptions {
        naive_offset_minutes: 150,
        ..LiteLlmOptions::default()
    };
    let (summary, records, _) = run(&line(&row()), &opts);
    assert_eq!(records[0].ts.to_string(), "2025-01-24T06:50:46.847371000Z");
    assert_eq!(summary.naive_timestamps, 1);
    let opts = LiteLlmOptions {
        naive_offset_minutes: -60,
        ..LiteLlmOptions::default()
    };
    let (_, records, _) = run(&line(&row()), &opts);
    assert_eq!(records[0].ts.to_string(), "2025-01-24T10:20:46.847371000Z");

    // A completion before the start leaves latency out rather than inventing one.
    let mut v = row();
    v["completionStartTime"] = json!("2025-01-24 09:20:40");
    v["endTime"] = json!("2025-01-24 09:20:41");
    let (_, records, _) = run(&line(&v), &LiteLlmOptions::default());
    assert_eq!(records[0].latency_ms, None);
}

#[test]
fn rows_that_are_not_claude_calls_are_skipped_and_counted() {
    let mut gpt = row();
    gpt["model"] = json!("gpt-4o");
    gpt["model_group"] = json!("gpt-4o");
    gpt["custom_llm_provider"] = json!("openai");
    let mut failed = row();
    failed["status"] = json!("failure");
    let mut hit = row();
    hit["cache_hit"] = json!("True");
    let mut zero = row();
    zero["prompt_tokens"] = json!(0);
    zero["completion_tokens"] = json!(0);
    zero["metadata"] = json!({});
    let mut nomodel = row();
    nomodel["model"] = json!("");
    nomodel["model_group"] = json!(null);
    let input = [&gpt, &failed, &hit, &zero, &nomodel, &row()]
        .map(line)
        .join("\n");
    let (summary, records, _) = run(&input, &LiteLlmOptions::default());
    assert_eq!(records.len(), 1);
    let rules: Vec<(u64, &str)> = summary.skipped.iter().map(|n| (n.line, n.rule)).collect();
    assert_eq!(
        rules,
        [
            (1, RULE_NOT_CLAUDE),
            (2, RULE_FAILED),
            (3, RULE_RESPONSE_CACHE_HIT),
            (4, RULE_NO_TOKENS),
            (5, RULE_NO_MODEL),
        ]
    );
    assert_eq!(
        summary.skipped[0].detail,
        "chatcmpl-1: model \"gpt-4o\" / \"gpt-4o\" is not a Claude model (map it with --map-model)"
    );
    assert_eq!(
        (summary.rows_read, summary.values_read, summary.lines_read),
        (6, 6, 6)
    );
}

#[test]
fn a_model_map_turns_other_models_into_claude() {
    let mut gpt = row();
    gpt["model"] = json!("openai/gpt-4o");
    let opts = LiteLlmOptions {
        models: ModelMap::from_pairs(["gpt-4o=claude-haiku-4-5"]).unwrap(),
        ..LiteLlmOptions::default()
    };
    let (summary, records, _) = run(&line(&gpt), &opts);
    assert_eq!(records[0].model, "claude-haiku-4-5");
    assert!(summary.skipped.is_empty());
}

#[test]
fn provider_model_names_and_the_model_group_fallback() {
    let mut v = row();
    v["model"] = json!("bedrock/us.anthropic.claude-3-7-sonnet-20250219-v1:0");
    let (_, records, _) = run(&line(&v), &LiteLlmOptions::default());
    assert_eq!(records[0].model, "claude-3-7-sonnet-20250219");

    // An application inference profile hides the model; the group names it.
    v["model"] = json!("arn:aws:bedrock:us-east-1:1:application-inference-profile/abc123");
    v["model_group"] = json!("anthropic/claude-haiku-4-5");
    v["custom_llm_provider"] = json!("bedrock");
    let (_, records, _) = run(&line(&v), &LiteLlmOptions::default());
    assert_eq!(records[0].model, "claude-haiku-4-5");

    // Provider anthropic with a name we cannot place: written, for the replay to reject by name.
    v["model"] = json!("sonnet-next");
    v["model_group"] = json!(null);
    v["custom_llm_provider"] = json!("anthropic");
    let (_, records, _) = run(&line(&v), &LiteLlmOptions::default());
    assert_eq!(records[0].model, "sonnet-next");
}

#[test]
fn attribution_falls_back_in_order() {
    let mut v = row();
    v["metadata"]["spend_logs_metadata"] = json!({"team": "t-meta", "app": "a-meta"});
    let (_, records, _) = run(&line(&v), &LiteLlmOptions::default());
    assert_eq!(
        (
            records[0].team.as_deref(),
            records[0].app.as_deref(),
            records[0].feature.as_deref()
        ),
        (Some("t-meta"), Some("a-meta"), None)
    );
    let mut v = row();
    v["metadata"] = json!({"user_api_key_team_id": "tid"});
    v["team_id"] = json!("");
    v["request_tags"] = json!(null);
    v["prompt_tokens"] = json!(12);
    let opts = LiteLlmOptions {
        workspace: Some("prod".into()),
        ..LiteLlmOptions::default()
    };
    let (_, records, _) = run(&line(&v), &opts);
    let r = &records[0];
    assert_eq!((r.team.as_deref(), r.app.as_deref()), (Some("tid"), None));
    assert_eq!(r.tags, ["source:litellm"]);
    assert_eq!(r.workspace.as_deref(), Some("prod"));
    assert_eq!(r.usage.input_tokens, 12);
}

#[test]
fn pub_sub_bodies_carry_json_encoded_strings() {
    let mut v = row();
    let metadata = line(&v["metadata"]);
    v["metadata"] = json!(metadata);
    v["request_tags"] = json!("[\"prod\"]");
    let (_, records, _) = run(&line(&v), &LiteLlmOptions::default());
    assert_eq!(records[0].usage.input_tokens, 400);
    assert_eq!(records[0].tags[1], "prod");

    v["metadata"] = json!("{not json");
    let e = err(&line(&v));
    assert!(
        e.starts_with("spend.jsonl:1: metadata: is a string but not valid JSON inside"),
        "{e}"
    );
}

#[test]
fn arrays_pages_wrappers_and_pretty_documents() {
    let mut other = row();
    other["model"] = json!("gpt-4o");
    other["model_group"] = json!(null);
    other["custom_llm_provider"] = json!(null);
    let array = Value::Array(vec![row(), other.clone()]);
    let page = json!({"data": [row()], "total": 1, "page": 1});
    let wrapped = json!({"litellm_call_id": "x", "standard_logging_object": row()});
    let pretty = serde_json::to_string_pretty(&row()).unwrap();
    let input = format!(
        "{}\n\n{}\n{}\n{pretty}\n",
        line(&array),
        line(&page),
        line(&wrapped)
    );
    let (summary, records, _) = run(&input, &LiteLlmOptions::default());
    assert_eq!(summary.values_read, 4);
    assert_eq!(summary.rows_read, 5);
    assert_eq!(records.len(), 4);
    assert_eq!(summary.skipped.len(), 1);
    assert_eq!(summary.skipped[0].line, 1);
    assert!(
        summary.skipped[0]
            .detail
            .starts_with("[1]: chatcmpl-1: model"),
        "{:?}",
        summary.skipped
    );
    assert_eq!(summary.lines_blank, 1);
    assert_eq!(summary.lines_read, 4 + pretty.lines().count() as u64);
}

#[test]
fn bad_rows_name_the_line_and_field() {
    let mut v = row();
    v["completion_tokens"] = json!(-1);
    let e = err(&format!("{}\n{}", line(&row()), line(&v)));
    assert_eq!(
        e,
        "spend.jsonl:2: completion_tokens: must be a non-negative integer, got -1"
    );

    let mut v = row();
    v["metadata"]["additional_usage_values"]["cache_read_input_tokens"] = json!(1.5);
    let e = err(&line(&Value::Array(vec![row(), v])));
    assert_eq!(
        e,
        "spend.jsonl:1: [1].metadata.additional_usage_values.cache_read_input_tokens: must be a \
         non-negative integer, got 1.5"
    );

    let mut v = row();
    v.as_object_mut().unwrap().remove("startTime");
    assert_eq!(
        err(&line(&v)),
        "spend.jsonl:1: startTime: required field is missing"
    );
    v["startTime"] = json!("yesterday");
    assert!(err(&line(&v)).starts_with("spend.jsonl:1: startTime: not a timestamp"));
    v["startTime"] = json!(true);
    assert!(err(&line(&v)).contains("must be a timestamp string or epoch seconds"));

    let mut v = row();
    v.as_object_mut().unwrap().remove("prompt_tokens");
    assert_eq!(
        err(&line(&v)),
        "spend.jsonl:1: prompt_tokens: required field is missing"
    );

    let mut v = row();
    v["request_tags"] = json!(["a", 3]);
    assert_eq!(
        err(&line(&v)),
        "spend.jsonl:1: request_tags[1]: must be a string, got 3"
    );
    let mut v = row();
    v["team_id"] = json!(7);
    assert_eq!(
        err(&line(&v)),
        "spend.jsonl:1: team_id: must be a string, got 7"
    );

    assert!(err("{\"a\" 1}").starts_with("spend.jsonl:1: not valid JSON"));
    assert!(err("42").starts_with("spend.jsonl:1: must be a spend-log row"));
    assert!(err("[1]").starts_with("spend.jsonl:1: [0]: must be a spend-log row (a JSON object)"));
    assert!(err("{\"standard_logging_object\": 3}")
        .starts_with("spend.jsonl:1: standard_logging_object: must be an object"));
}

#[test]
fn bad_options_are_refused() {
    let run = |opts: LiteLlmOptions| {
        convert(&b""[..], "x", &opts, Vec::new())
            .unwrap_err()
            .to_string()
    };
    assert!(run(LiteLlmOptions {
        workspace: Some(" ".into()),
        ..LiteLlmOptions::default()
    })
    .starts_with("workspace: is empty"));
    assert!(run(LiteLlmOptions {
        naive_offset_minutes: 24 * 60,
        ..LiteLlmOptions::default()
    })
    .starts_with("naive-offset:"));
}

#[test]
fn empty_input_writes_only_the_header() {
    let (summary, records, text) = run("", &LiteLlmOptions::default());
    assert!(records.is_empty());
    assert_eq!(text, "{\"schema\":\"tokensim.corpus/1\"}\n");
    assert_eq!(summary.rows_read, 0);
}
