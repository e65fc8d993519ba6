//! Data-driven tests of line validation: each case is a line and the error it must give.

use super::*;

const GOOD: &str = r#"{"ts":"2026-11-02T09:15:04.120Z","model":"claude-sonnet-4-5","usage":{"input_tokens":10,"output_tokens":20,"cache_creation_input_tokens":30,"cache_read_input_tokens":40}}"#;

fn pos() -> Position {
    Position { file: 0, line: 7 }
}

fn record(line: &str) -> Record {
    match parse_line(line, pos(), false) {
        Ok(Line::Record(r)) => *r,
        other => panic!("expected a record, got {other:?}"),
    }
}

/// Replaces `from` in the good line with `to`, parses, and returns the error as `field: message`.
fn err_of(line: &str) -> String {
    match parse_line(line, pos(), false) {
        Ok(l) => panic!("expected an error, got {l:?}"),
        Err(e) => e.to_string(),
    }
}

fn check(from: &str, to: &str, expect: &str) {
    assert!(GOOD.contains(from), "{from}");
    let line = GOOD.replacen(from, to, 1);
    let got = err_of(&line);
    assert!(
        got.starts_with(expect),
        "line {line}\n got: {got}\nwant: {expect}…"
    );
}

#[test]
fn good_line_parses() {
    let r = record(GOOD);
    assert_eq!(r.model, "claude-sonnet-4-5");
    assert_eq!(r.usage.total_input_tokens(), 80);
    assert_eq!(
        r.usage.cache_write_5m_tokens, 30,
        "no split means all 5m writes"
    );
    assert_eq!(r.service_tier, ServiceTier::Standard);
    assert_eq!(r.pos, pos());
}

#[test]
fn absent_empty_null_and_default_workspaces_are_one_scope() {
    let with = |ws: &str| GOOD.replacen(r#""model""#, &format!(r#"{ws}"model""#), 1);
    for ws in [
        "",
        r#""workspace":null,"#,
        r#""workspace":"","#,
        r#""workspace":"default","#,
    ] {
        assert_eq!(record(&with(ws)).workspace, None, "{ws}");
    }
    let prod = record(&with(r#""workspace":"prod","#));
    assert_eq!(prod.workspace.as_deref(), Some("prod"));
}

#[test]
fn token_count_errors_name_the_field() {
    check(
        r#""input_tokens":10"#,
        r#""input_tokens":-1"#,
        "usage.input_tokens: must be a non-negative integer, got -1",
    );
    check(
        r#""output_tokens":20"#,
        r#""output_tokens":2.5"#,
        "usage.output_tokens: must be a whole number, got 2.5",
    );
    check(
        r#""output_tokens":20"#,
        r#""output_tokens":20.0"#,
        "usage.output_tokens: must be a whole number",
    );
    check(
        r#""cache_read_input_tokens":40"#,
        r#""cache_read_input_tokens":null"#,
        "usage.cache_read_input_tokens: must be a non-negative integer, got null",
    );
    check(
        r#""cache_read_input_tokens":40"#,
        r#""cache_read_input_tokens":"40""#,
        "usage.cache_read_input_tokens: must be a number",
    );
    check(
        r#","cache_read_input_tokens":40"#,
        "",
        "usage.cache_read_input_tokens: required field is missing",
    );
}

#[test]
fn token_counts_beyond_the_per_record_maximum_are_errors() {
    let max = MAX_TOKENS;
    // At the maximum, input (all components) and output: a record, on every path.
    let at = GOOD
        .replacen(
            r#""input_tokens":10"#,
            &format!(r#""input_tokens":{}"#, max - 70),
            1,
        )
        .replacen(
            r#""output_tokens":20"#,
            &format!(r#""output_tokens":{max}"#),
            1,
        );
    let r = record(&at);
    assert_eq!(r.usage.total_input_tokens(), max);
    assert_eq!(r.usage.output_tokens, max);
    agrees_with_serde(&at);
    // One input token more, in any component, or one output token more: an error naming the
    // field, the count and the limit.
    let over = max + 1;
    for (from, to) in [
        (
            r#""input_tokens":10"#,
            format!(r#""input_tokens":{}"#, max - 69),
        ),
        (
            r#""cache_creation_input_tokens":30"#,
            format!(r#""cache_creation_input_tokens":{}"#, max - 49),
        ),
        (
            r#""cache_read_input_tokens":40"#,
            format!(r#""cache_read_input_tokens":{}"#, max - 39),
        ),
    ] {
        check(
            from,
            &to,
            &format!("usage: {over} input tokens (input_tokens + cache_creation_input_tokens + cache_read_input_tokens): more than the {max} (2^59 - 1) one record may carry"),
        );
        agrees_with_serde(&GOOD.replacen(from, &to, 1));
    }
    check(
        r#""output_tokens":20"#,
        &format!(r#""output_tokens":{over}"#),
        &format!(
            "usage.output_tokens: {over}: more than the {max} (2^59 - 1) one record may carry"
        ),
    );
    // Beyond 64 bits in the sum: still an error, not a wrapped number.
    check(
        r#""input_tokens":10"#,
        &format!(r#""input_tokens":{}"#, u64::MAX),
        "usage: token counts overflow",
    );
}

#[test]
fn required_fields() {
    check(
        r#""ts":"2026-11-02T09:15:04.120Z","#,
        "",
        "ts: required field is missing",
    );
    check(
        r#""model":"claude-sonnet-4-5","#,
        "",
        "model: required field is missing",
    );
    check(
        r#""model":"claude-sonnet-4-5""#,
        r#""model":"""#,
        "model: must not be empty",
    );
    check(
        r#""model":"claude-sonnet-4-5""#,
        r#""model":7"#,
        "model: invalid type: integer `7`, expected a string",
    );
}

#[test]
fn timestamps() {
    check("09:15:04.120Z", "09:15:04.120", "ts: missing offset");
    check("2026-11-02T", "2026-11-32T", "ts: day out of range");
    let r = record(&GOOD.replace("09:15:04.120Z", "10:15:04.120+01:00"));
    assert_eq!(r.ts, record(GOOD).ts);
    // The supported range is an i64 of nanoseconds; its ends parse, one nanosecond beyond does
    // not, and the error says the range.
    let at = |ts: &str| GOOD.replace("2026-11-02T09:15:04.120Z", ts);
    assert_eq!(record(&at("1677-09-21T00:12:43.145224192Z")).ts.0, i64::MIN);
    assert_eq!(record(&at("2262-04-11T23:47:16.854775807Z")).ts.0, i64::MAX);
    for beyond in [
        "1677-09-21T00:12:43.145224191Z",
        "2262-04-11T23:47:16.854775808Z",
    ] {
        assert_eq!(
            err_of(&at(beyond)),
            format!("ts: timestamp \"{beyond}\" is out of the supported range, 1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z (nanoseconds since 1970 in 64 bits)")
        );
    }
}

#[test]
fn cache_creation_split_must_add_up() {
    let line = GOOD.replace(
        r#""cache_read_input_tokens":40"#,
        r#""cache_read_input_tokens":40,"cache_creation":{"ephemeral_5m_input_tokens":10,"ephemeral_1h_input_tokens":20}"#,
    );
    let r = record(&line);
    assert_eq!(
        (r.usage.cache_write_5m_tokens, r.usage.cache_write_1h_tokens),
        (10, 20)
    );
    let bad = line.replace(
        r#""ephemeral_1h_input_tokens":20"#,
        r#""ephemeral_1h_input_tokens":21"#,
    );
    assert!(err_of(&bad).starts_with("usage.cache_creation: ephemeral_5m_input_tokens (10) + ephemeral_1h_input_tokens (21) must equal cache_creation_input_tokens (30)"));
    let missing = line.replace(r#","ephemeral_1h_input_tokens":20"#, "");
    assert_eq!(
        err_of(&missing),
        "usage.cache_creation.ephemeral_1h_input_tokens: required field is missing"
    );
}

fn with_segments(segs: &str) -> String {
    GOOD.replace(
        r#""usage""#,
        &format!(r#""prompt":{{"segments":[{segs}]}},"usage""#),
    )
}

#[test]
fn segments_parse_and_must_sum_to_total_input() {
    let ok = with_segments(
        r#"{"role":"tools","hash":"00000000000000ff","tokens":50,"cache_control":{"type":"ephemeral","ttl":"1h"}},{"role":"system","hash":"some text hash","tokens":20,"cache_control":"5m"},{"role":"tool_result","hash":"b","tokens":10}"#,
    );
    let r = record(&ok);
    assert_eq!(r.segments.len(), 3);
    assert_eq!(r.segments[0].hash, 0xff);
    assert_eq!(r.segments[0].cache_control, Some(CacheTtl::OneHour));
    assert_eq!(r.segments[1].cache_control, Some(CacheTtl::FiveMinutes));
    assert_eq!(r.segments[2].cache_control, None);
    assert_eq!(r.segments[2].role, Role::ToolResult);
    let short = ok.replace(r#""tokens":10"#, r#""tokens":9"#);
    assert_eq!(
        err_of(&short),
        "prompt.segments: segment tokens add up to 79, but usage says 80 input tokens (input_tokens + cache_creation_input_tokens + cache_read_input_tokens)"
    );
}

/// A line gives the same record or error through `parse_line` (templates, general walk or
/// serde) and through the scanner alone, when it takes the line, as through serde.
fn agrees_with_serde(line: &str) {
    let want = parse_record_serde(line, pos());
    let got = parse_line(line, pos(), false).map(|l| match l {
        Line::Record(r) => *r,
        Line::Header => panic!("not a header"),
    });
    assert_eq!(got, want, "{line}");
    if let Some(raw) = fast::scan(line) {
        assert_eq!(raw.validate(pos()), want, "{line}");
    }
}

/// The scanner's byte-for-byte segment template and its general walk give the same record or
/// error as serde, on the writers' layout and on every near miss of it.
#[test]
fn segment_template_near_misses_agree_with_serde() {
    let canonical =
        r#"{"role":"system","hash":"53b04a0faab054fd","tokens":80,"cache_control":null}"#;
    let mut variants: Vec<String> = vec![canonical.to_string()];
    for (from, to) in [
        (r#""role":"system""#, r#""role":"tools""#),
        (r#""role":"system""#, r#""role":"tool_result""#),
        (r#""role":"system""#, r#""role":"user""#),
        (r#""role":"system""#, r#""role":"assistant""#),
        (r#""role":"system""#, r#""role":"toolz""#),
        (r#""role":"system""#, r#""role":"tool_resultx""#),
        (r#""role":"system""#, r#""role":"Systems""#),
        (r#""role":"system""#, r#""role":"""#),
        (r#""hash":"53b04a0faab054fd""#, r#""hash":"""#),
        (r#""hash":"53b04a0faab054fd""#, r#""hash":"a\u0062""#),
        (r#""hash":"53b04a0faab054fd""#, r#""hash":"not hex at all""#),
        (
            r#""hash":"53b04a0faab054fd""#,
            r#""hash":"53B04A0FAAB054FD""#,
        ),
        (
            r#""hash":"53b04a0faab054fd""#,
            r#""hash":"53b04a0faab054fd0""#,
        ),
        (r#""hash":"53b04a0faab054fd""#, r#""hash":7"#),
        (r#""tokens":80"#, r#""tokens":080"#),
        (r#""tokens":80"#, r#""tokens":80.0"#),
        (r#""tokens":80"#, r#""tokens":8e1"#),
        (r#""tokens":80"#, r#""tokens":-80"#),
        (r#""tokens":80"#, r#""tokens":"80""#),
        (r#""tokens":80"#, r#""tokens":18446744073709551696"#),
        (r#""tokens":80"#, r#""tokens":0"#),
        (r#""cache_control":null"#, r#""cache_control":"5m""#),
        (r#""cache_control":null"#, r#""cache_control":"1h""#),
        (r#""cache_control":null"#, r#""cache_control":"2h""#),
        (r#""cache_control":null"#, r#""cache_control":"5""#),
        (r#""cache_control":null"#, r#""cache_control":nul"#),
        (
            r#""cache_control":null"#,
            r#""cache_control":{"type":"ephemeral"}"#,
        ),
        (r#""cache_control":null"#, r#""cache_control":true"#),
        (r#","cache_control":null"#, ""),
        (r#"null}"#, r#"null,"extra":1}"#),
        (r#"null}"#, r#"null,"role":"user"}"#),
        (r#"{"role""#, r#"{ "role""#),
        (r#""tokens":80,"#, r#""tokens":80 ,"#),
        (r#"null}"#, r#"null }"#),
    ] {
        assert!(canonical.contains(from), "{from}");
        variants.push(canonical.replacen(from, to, 1));
    }
    // Reordered keys.
    variants.push(
        r#"{"hash":"53b04a0faab054fd","role":"system","tokens":80,"cache_control":null}"#.into(),
    );
    for v in &variants {
        // Alone, and after a canonical first segment (the template runs per array element).
        for segs in [v.clone(), format!("{},{v}", canonical.replace("80", "0"))] {
            agrees_with_serde(&with_segments(&segs));
        }
    }
    let line = with_segments(canonical);
    let fast_ok = fast::scan(&line).expect("the template line is scanned");
    assert_eq!(
        fast_ok.validate(pos()).unwrap().segments[0].hash,
        0x53b0_4a0f_aab0_54fd
    );
}

/// The usage template and the general walk give the same record or error as serde, on the
/// writers' two layouts and on near misses of them.
#[test]
fn usage_template_near_misses_agree_with_serde() {
    let plain = r#""usage":{"input_tokens":10,"output_tokens":20,"cache_creation_input_tokens":30,"cache_read_input_tokens":40}"#;
    let split = r#""usage":{"input_tokens":10,"output_tokens":20,"cache_creation_input_tokens":30,"cache_read_input_tokens":40,"cache_creation":{"ephemeral_5m_input_tokens":12,"ephemeral_1h_input_tokens":18}}"#;
    assert!(GOOD.contains(plain));
    let mut usages = vec![plain.to_string(), split.to_string()];
    for (from, to) in [
        (r#""input_tokens":10"#, r#""input_tokens":010"#),
        (r#""input_tokens":10"#, r#""input_tokens":1e1"#),
        (r#""input_tokens":10"#, r#""input_tokens":10.0"#),
        (r#""input_tokens":10"#, r#""input_tokens":-10"#),
        (r#""input_tokens":10"#, r#""input_tokens":null"#),
        (
            r#""input_tokens":10"#,
            r#""input_tokens":18446744073709551616"#,
        ),
        (r#""output_tokens":20"#, r#""output_tokens": 20"#),
        (r#""output_tokens":20"#, r#""output_tokens":0"#),
        (
            r#""ephemeral_5m_input_tokens":12"#,
            r#""ephemeral_5m_input_tokens":13"#,
        ),
        (
            r#""ephemeral_1h_input_tokens":18"#,
            r#""ephemeral_1h_input_tokens":"18""#,
        ),
        (
            r#"18}}"#,
            r#"18},"server_tool_use":{"web_search_requests":2}}"#,
        ),
        (r#"18}}"#, r#"18},"input_tokens":1}"#),
        (r#"18}}"#, r#"18,"x":1}}"#),
        (r#""cache_creation":{"#, r#""cache_creation":null,"x":{"#),
        (
            r#""cache_read_input_tokens":40,"#,
            r#""cache_read_input_tokens":40 ,"#,
        ),
        (r#"{"input_tokens""#, r#"{ "input_tokens""#),
    ] {
        let base = if split.contains(from) { split } else { plain };
        assert!(base.contains(from), "{from}");
        usages.push(base.replacen(from, to, 1));
    }
    usages.push(plain.replace("40}", "40,\"service_tier\":\"batch\"}"));
    usages.push(
        plain
            .replace(r#""output_tokens":20,"#, "")
            .replace("40}", "40,\"output_tokens\":20}"),
    );
    for u in &usages {
        agrees_with_serde(&GOOD.replacen(plain, u, 1));
    }
    let line = GOOD.replacen(plain, split, 1);
    let r = record(&line);
    assert_eq!(
        (r.usage.cache_write_5m_tokens, r.usage.cache_write_1h_tokens),
        (12, 18)
    );
}

#[test]
fn segment_field_errors() {
    let seg = |s: &str| err_of(&with_segments(s));
    assert!(seg(r#"{"role":"bot","hash":"a","tokens":80}"#).starts_with("prompt.segments[0].role: unknown variant `bot`, expected one of `tools`, `system`, `user`, `assistant`, `tool_result`"));
    assert_eq!(
        seg(r#"{"role":"user","tokens":80}"#),
        "prompt.segments[0].hash: required field is missing"
    );
    assert_eq!(
        seg(r#"{"role":"user","hash":"","tokens":80}"#),
        "prompt.segments[0].hash: must not be empty"
    );
    assert!(
        seg(r#"{"role":"user","hash":"a","tokens":80,"cache_control":"2h"}"#)
            .starts_with("prompt.segments[0].cache_control: unknown cache TTL \"2h\"")
    );
    assert!(
        seg(r#"{"role":"user","hash":"a","tokens":80,"cache_control":{"type":"persistent"}}"#)
            .starts_with("prompt.segments[0].cache_control: unknown cache_control type")
    );
}

#[test]
fn breakpoint_rules() {
    let bp = |ttl: &str, n: usize| {
        (0..n)
            .map(|i| {
                format!(
                    r#"{{"role":"user","hash":"h{i}","tokens":{},"cache_control":"{ttl}"}}"#,
                    if i == 0 { 80 } else { 0 }
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    record(&with_segments(&bp("5m", 4)));
    assert_eq!(
        err_of(&with_segments(&bp("1h", 5))),
        "prompt.segments[4].cache_control: more than 4 cache breakpoints (the API rejects such a request)"
    );
    let mixed = r#"{"role":"system","hash":"a","tokens":40,"cache_control":"5m"},{"role":"user","hash":"b","tokens":40,"cache_control":"1h"}"#;
    assert!(err_of(&with_segments(mixed))
        .starts_with("prompt.segments[1].cache_control: a 1h breakpoint after a 5m one"));
}

#[test]
fn optional_fields_and_enums() {
    let line = GOOD.replace(
        r#""model""#,
        r#""id":"r1","workspace":"w","team":"t","app":"a","feature":"f","tags":{"env":"prod"},"service_tier":"batch","stream":false,"latency_ms":1200,"max_tokens":4096,"task":"code","latency_class":"async","conversation_id":"c","evals":[{"model":"claude-haiku-4-5","pass":false,"score":0.5}],"future_field":{"x":[1,2]},"model""#,
    );
    let r = record(&line);
    assert_eq!(r.tags, vec!["env:prod".to_string()]);
    assert_eq!(r.service_tier, ServiceTier::Batch);
    assert_eq!(r.task, Some(Task::Code));
    assert_eq!(r.latency_class, Some(LatencyClass::Async));
    assert_eq!(r.evals[0].model, "claude-haiku-4-5");
    assert!(!r.evals[0].pass);
    let list = record(&GOOD.replace(r#""model""#, r#""tags":["env:prod"],"model""#));
    assert_eq!(list.tags, r.tags, "both tag forms report alike");
    check(
        r#""model""#,
        r#""task":"poetry","model""#,
        "task: unknown variant `poetry`",
    );
    check(
        r#""model""#,
        r#""service_tier":"flex","model""#,
        "service_tier: unknown variant `flex`",
    );
    check(
        r#""model""#,
        r#""tags":[1],"model""#,
        "tags[0]: invalid type: integer `1`, expected a string",
    );
    check(
        r#""model""#,
        r#""latency_ms":-3,"model""#,
        "latency_ms: must be a non-negative integer",
    );
    let empty_team = record(&GOOD.replace(r#""model""#, r#""team":"","model""#));
    assert_eq!(
        empty_team.team, None,
        "an empty attribution reads as unattributed"
    );
}

#[test]
fn usage_level_tier_geo_speed_are_read_and_must_agree() {
    let inner = GOOD.replace(
        r#""cache_read_input_tokens":40"#,
        r#""cache_read_input_tokens":40,"service_tier":"batch","inference_geo":"us","speed":"fast""#,
    );
    let r = record(&inner);
    assert_eq!(r.service_tier, ServiceTier::Batch);
    assert!(r.us_residency());
    assert_eq!(r.speed, Speed::Fast);
    let clash = inner.replace(r#""model""#, r#""service_tier":"standard","model""#);
    assert_eq!(
        err_of(&clash),
        "service_tier: the top-level service_tier and usage.service_tier disagree"
    );
}

/// GOOD with `top` added at the top level and `inner` inside `usage` (each `""` for none).
fn with_new_fields(top: &str, inner: &str) -> String {
    let mut line = GOOD.to_string();
    if !top.is_empty() {
        line = line.replace(r#""model""#, &format!(r#"{top},"model""#));
    }
    if !inner.is_empty() {
        line = line.replace(
            r#""cache_read_input_tokens":40"#,
            &format!(r#""cache_read_input_tokens":40,{inner}"#),
        );
    }
    line
}

#[test]
fn thinking_tokens_top_level_or_in_usage() {
    assert_eq!(record(GOOD).thinking_tokens, None, "absent");
    let top = record(&with_new_fields(r#""thinking_tokens":15"#, ""));
    assert_eq!(top.thinking_tokens, Some(15));
    assert_eq!(
        top.usage.output_tokens, 20,
        "thinking stays inside the output"
    );
    let inner = record(&with_new_fields("", r#""thinking_tokens":15"#));
    assert_eq!(inner.thinking_tokens, Some(15));
    let both = record(&with_new_fields(
        r#""thinking_tokens":15"#,
        r#""thinking_tokens":15"#,
    ));
    assert_eq!(both.thinking_tokens, Some(15));
    let edge = record(&with_new_fields(r#""thinking_tokens":20"#, ""));
    assert_eq!(
        edge.thinking_tokens,
        Some(20),
        "all of the output may be thinking"
    );
    assert_eq!(
        record(&with_new_fields(r#""thinking_tokens":0"#, "")).thinking_tokens,
        Some(0)
    );
    assert_eq!(
        err_of(&with_new_fields(
            r#""thinking_tokens":15"#,
            r#""thinking_tokens":16"#
        )),
        "thinking_tokens: the top-level thinking_tokens and usage.thinking_tokens disagree"
    );
}

#[test]
fn thinking_tokens_cannot_exceed_output() {
    assert_eq!(
        err_of(&with_new_fields(r#""thinking_tokens":21"#, "")),
        "thinking_tokens: 21 exceeds usage.output_tokens 20; thinking is part of the output"
    );
    assert_eq!(
        err_of(&with_new_fields("", r#""thinking_tokens":21"#)),
        "usage.thinking_tokens: 21 exceeds usage.output_tokens 20; thinking is part of the output"
    );
    let big = with_new_fields(r#""thinking_tokens":900"#, "")
        .replace(r#""output_tokens":20"#, r#""output_tokens":500"#);
    assert_eq!(
        err_of(&big),
        "thinking_tokens: 900 exceeds usage.output_tokens 500; thinking is part of the output"
    );
}

#[test]
fn thinking_tokens_type_errors_name_the_field() {
    for (value, want) in [
        ("-1", "must be a non-negative integer, got -1"),
        ("2.5", "must be a whole number, got 2.5"),
        ("15.0", "must be a whole number, got 15"),
        ("null", "must be a non-negative integer, got null"),
        (r#""15""#, r#"must be a number, got the string "15""#),
        ("true", "must be a number, got true"),
    ] {
        let kv = format!(r#""thinking_tokens":{value}"#);
        assert_eq!(
            err_of(&with_new_fields(&kv, "")),
            format!("thinking_tokens: {want}"),
            "{value}"
        );
        assert_eq!(
            err_of(&with_new_fields("", &kv)),
            format!("usage.thinking_tokens: {want}"),
            "{value}"
        );
    }
    assert!(err_of(&with_new_fields(r#""thinking_tokens":[1]"#, ""))
        .starts_with("thinking_tokens: invalid type: sequence"));
}

#[test]
fn difficulty_is_read_exactly_as_parts_per_million() {
    assert_eq!(record(GOOD).difficulty_ppm, None, "absent");
    for (value, ppm) in [
        ("0", 0),
        ("1", 1_000_000),
        ("0.35", 350_000),
        ("1.0", 1_000_000),
        ("0.000001", 1),
        ("3.5e-1", 350_000),
        ("0.0000025", 2),
        ("0.0000035", 4),
        ("0.1234565", 123_456),
        ("0.12345651", 123_457),
        ("0.9999995", 1_000_000),
    ] {
        let r = record(&with_new_fields(&format!(r#""difficulty":{value}"#), ""));
        assert_eq!(r.difficulty_ppm, Some(ppm), "{value}");
    }
}

#[test]
fn difficulty_errors_name_the_field() {
    for (value, got) in [
        ("1.5", "1.5"),
        ("1.0000001", "1.0000001"),
        ("-0.1", "-0.1"),
        ("2e0", "2e0"),
        ("null", "null"),
        (r#""0.5""#, r#"the string "0.5""#),
        ("false", "false"),
        (r#"{"p":0.5}"#, "an object"),
        ("[0.5]", "a list"),
    ] {
        assert_eq!(
            err_of(&with_new_fields(&format!(r#""difficulty":{value}"#), "")),
            format!("difficulty: must be a number from 0 to 1, got {got}"),
            "{value}"
        );
    }
    // JSON has no NaN: the line is not JSON at all, reported at the offending column.
    let nan = with_new_fields(r#""difficulty":NaN"#, "");
    let column = nan.find("NaN").unwrap() + 1;
    assert_eq!(
        err_of(&nan),
        format!("invalid JSON: expected value at column {column}")
    );
    // `difficulty` inside `usage` is not a usage field: ignored like any unknown key.
    let inner = record(&with_new_fields("", r#""difficulty":7"#));
    assert_eq!(inner.difficulty_ppm, None);
}

#[test]
fn headers() {
    assert_eq!(
        parse_line(r#"{"schema":"tokensim.corpus/1"}"#, pos(), true),
        Ok(Line::Header)
    );
    assert!(parse_line(r#"{"schema":"tokensim.corpus/2"}"#, pos(), true)
        .unwrap_err()
        .to_string()
        .starts_with("schema: unsupported corpus schema"));
    assert!(
        err_of(r#"{"schema":"tokensim.corpus/1"}"#).starts_with("ts: required field is missing")
    );
    let late = GOOD.replace(r#""model""#, r#""schema":"tokensim.corpus/1","model""#);
    assert!(err_of(&late).starts_with("schema: a header line"));
}

#[test]
fn not_json_or_not_an_object() {
    assert!(err_of("{\"ts\": ").starts_with("invalid JSON"));
    assert!(err_of("[1,2]").starts_with("not a JSON object"));
    assert!(err_of("hello").starts_with("not a JSON object"));
    check(
        r#""model":"claude-sonnet-4-5","#,
        r#""model":"claude-sonnet-4-5","model":"x","#,
        "model: appears twice",
    );
}

#[test]
fn fingerprints() {
    assert_eq!(fingerprint("ff"), 0xff);
    assert_eq!(fingerprint("FFFFFFFFFFFFFFFF"), u64::MAX);
    assert_ne!(
        fingerprint("system prompt v1"),
        fingerprint("system prompt v2")
    );
    assert_eq!(
        fingerprint("system prompt v1"),
        fingerprint("system prompt v1")
    );
    // 17 digits is no longer a 64-bit number: hashed.
    assert_ne!(fingerprint("0ffffffffffffffff"), u64::MAX);
    assert_ne!(fingerprint("+f"), 0xf);
}

/// Sixteen digits take the eight-at-a-time path: every byte value at every position is read
/// as `from_str_radix` reads it.
#[test]
fn sixteen_digit_fingerprints_agree_with_from_str_radix_at_every_byte() {
    let base = *b"0123456789abcDEF";
    for pos in 0..16 {
        for byte in 0..=255u8 {
            let mut v = base;
            v[pos] = byte;
            let Ok(s) = std::str::from_utf8(&v) else {
                continue;
            };
            if s.bytes().all(|c| c.is_ascii_hexdigit()) {
                assert_eq!(fingerprint(s), u64::from_str_radix(s, 16).unwrap(), "{s}");
            } else {
                assert_ne!(
                    fingerprint(s),
                    u64::from_str_radix(&s.replace(char::from(byte), "0"), 16).unwrap(),
                    "{s:?}"
                );
            }
        }
    }
}

proptest::proptest! {
    #[test]
    fn sixteen_hex_digits_read_like_from_str_radix(s in "[0-9a-fA-F]{16}") {
        proptest::prop_assert_eq!(fingerprint(&s), u64::from_str_radix(&s, 16).unwrap());
    }

    /// The table-driven hex reading agrees with the standard library on any short string: a
    /// string of 1 to 16 hex digits is its number, anything else is not (and is hashed).
    #[test]
    fn fingerprints_read_hex_like_from_str_radix(s in "[0-9a-fA-F+g -]{0,18}") {
        let all_hex = !s.is_empty() && s.len() <= 16 && s.bytes().all(|c| c.is_ascii_hexdigit());
        if all_hex {
            proptest::prop_assert_eq!(fingerprint(&s), u64::from_str_radix(&s, 16).unwrap());
        } else if let Ok(v) = u64::from_str_radix(&s, 16) {
            // Only a string the hex rule does not take ("+f", 17+ digits) gets here.
            proptest::prop_assert_ne!(fingerprint(&s), v);
        }
    }
}

/// The fast scanner and the serde path agree on every line of the committed corpora and on every
/// line of these tests: where the scanner accepts a line, it produces the same record or error.
#[test]
fn the_fast_path_agrees_with_serde() {
    use std::io::Read;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut texts: Vec<String> = Vec::new();
    let mut demo = Vec::new();
    zstd::Decoder::new(std::fs::File::open(root.join("corpora/demo.jsonl.zst")).unwrap())
        .unwrap()
        .read_to_end(&mut demo)
        .unwrap();
    texts.push(String::from_utf8(demo).unwrap());
    for f in [
        "corpora/small/small.jsonl",
        "corpora/small/bad.jsonl",
        "scripts/tricky.jsonl",
    ] {
        texts.push(std::fs::read_to_string(root.join(f)).unwrap());
    }
    let mut accepted = 0;
    let mut total = 0;
    for text in &texts {
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            total += 1;
            if let Some(raw) = fast::scan(line) {
                accepted += 1;
                assert_eq!(
                    raw.validate(pos()),
                    parse_record_serde(line, pos()),
                    "{line}"
                );
            }
        }
    }
    assert!(
        accepted * 10 > total * 9,
        "the fast path takes most lines: {accepted} of {total}"
    );
    // The new optional fields: the scanner reads the well-formed ones itself, and whatever it
    // takes gives the same record or error as serde.
    for (line, fast_takes) in [
        (with_new_fields(r#""thinking_tokens":15"#, ""), true),
        (with_new_fields("", r#""thinking_tokens":15"#), true),
        (
            with_new_fields(r#""thinking_tokens":15"#, r#""thinking_tokens":15"#),
            true,
        ),
        (
            with_new_fields(r#""thinking_tokens":15"#, r#""thinking_tokens":16"#),
            true,
        ),
        (with_new_fields(r#""thinking_tokens":21"#, ""), true),
        (with_new_fields("", r#""thinking_tokens":21"#), true),
        (with_new_fields(r#""thinking_tokens":-1"#, ""), false),
        (with_new_fields(r#""thinking_tokens":2.5"#, ""), false),
        (with_new_fields("", r#""thinking_tokens":null"#), false),
        (with_new_fields(r#""thinking_tokens":"15""#, ""), false),
        (with_new_fields(r#""difficulty":0.35"#, ""), true),
        (with_new_fields(r#""difficulty":1"#, ""), true),
        (with_new_fields(r#""difficulty":0.0000025"#, ""), true),
        (with_new_fields(r#""difficulty":35e-2"#, ""), true),
        (with_new_fields(r#""difficulty":1.5"#, ""), true),
        (with_new_fields(r#""difficulty":-0.1"#, ""), true),
        (with_new_fields(r#""difficulty":null"#, ""), false),
        (with_new_fields(r#""difficulty":"0.5""#, ""), false),
        (with_new_fields(r#""difficulty":true"#, ""), false),
        (
            with_new_fields(
                r#""difficulty":0.5,"thinking_tokens":4"#,
                r#""thinking_tokens":4"#,
            ),
            true,
        ),
    ] {
        let fast = fast::scan(&line);
        assert_eq!(fast.is_some(), fast_takes, "{line}");
        if let Some(raw) = fast {
            assert_eq!(
                raw.validate(pos()),
                parse_record_serde(&line, pos()),
                "{line}"
            );
        }
        assert_eq!(
            parse_line(&line, pos(), false).map_err(|e| e.to_string()),
            parse_record_serde(&line, pos())
                .map(|r| Line::Record(Box::new(r)))
                .map_err(|e| e.to_string()),
            "{line}"
        );
    }
    // Lines the scanner must hand over to serde (they are errors or unusual).
    for odd in [
        GOOD.replace(r#""model""#, r#""mod\u0065l""#),
        GOOD.replace(r#""input_tokens":10"#, r#""input_tokens":1e1"#),
        GOOD.replace(r#""input_tokens":10"#, r#""input_tokens":-10"#),
        GOOD.replace(r#""input_tokens":10"#, r#""input_tokens":010"#),
        GOOD.replace(r#""model""#, r#""schema":"x","model""#),
        GOOD.replace(
            r#""model":"claude-sonnet-4-5","#,
            r#""model":"claude-sonnet-4-5","model":"x","#,
        ),
        format!("{GOOD} trailing"),
        // Numbers Rust's float parser takes but JSON does not.
        GOOD.replace(r#""model""#, r#""future":+1,"model""#),
        GOOD.replace(r#""model""#, r#""future":.5,"model""#),
        GOOD.replace(r#""model""#, r#""future":1.,"model""#),
        GOOD.replace(r#""model""#, r#""future":01,"model""#),
        GOOD.replace(r#""model""#, r#""future":1e,"model""#),
        GOOD.replace(r#""model""#, r#""difficulty":+0.5,"model""#),
        GOOD.replace(r#""model""#, r#""difficulty":.5,"model""#),
        GOOD.replace(
            r#""model""#,
            r#""evals":[{"model":"claude-haiku-4-5","pass":true,"score":+0.5}],"model""#,
        ),
    ] {
        assert!(fast::scan(&odd).is_none(), "{odd}");
    }
}

/// The fuzz target's check, on lines each path takes: the fast one (the writers' layout), the
/// serde one (an escape), errors of both kinds, and what both refuse up front.
#[test]
fn the_fuzz_targets_agreement_check_holds_on_known_lines() {
    for line in [
        GOOD,
        &GOOD.replacen("claude-sonnet-4-5", "claude-sonnet-4\\u002d5", 1),
        &GOOD.replacen(r#""input_tokens":10"#, r#""input_tokens":-1"#, 1),
        &GOOD.replacen(r#""output_tokens":20"#, r#""output_tokens":"20""#, 1),
        r#"{"schema":"tokensim.corpus/1"}"#,
        "[1, 2]",
        "",
        "{",
    ] {
        assert!(fast_and_serde_paths_agree(line), "{line}");
    }
}
