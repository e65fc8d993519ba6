//! The fast path against the slow path: whenever the fast path answers, the slow path must give
//! the same answer; and it must answer for the lines that real logs are made of.

use serde_json::json;

use super::super::tests::line;
use super::super::{parse_line as slow_parse, Interner};
use super::parse_line as fast_parse;

/// Runs both paths on `text`; panics if the fast path answers differently from the slow path.
/// Returns whether the fast path answered.
fn agree(text: &str) -> bool {
    let fast = fast_parse(text, &mut Interner::default(), &mut Vec::new());
    let slow = slow_parse(text, &mut Interner::default());
    match (fast, slow) {
        (None, _) => false,
        (Some(fast), Ok(slow)) => {
            assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{text}");
            true
        }
        (Some(fast), Err(e)) => {
            panic!("the fast path answers {fast:?} where the slow path fails ({e:?}): {text}")
        }
    }
}

fn user(content: &str) -> String {
    format!(
        r#"{{"parentUuid":null,"isSidechain":false,"type":"user","message":{{"role":"user","content":{content}}},"uuid":"u","timestamp":"2025-09-03T00:47:21.540Z","sessionId":"s1","version":"1.0.98"}}"#
    )
}

/// Lines that real logs are made of: the fast path answers them.
fn common() -> Vec<String> {
    vec![
        line(json!({})),
        line(json!({"isSidechain": true, "requestId": null, "sessionId": ""})),
        line(json!({"message": {"model": "<synthetic>"}})),
        line(json!({"message": {"usage": null}})),
        line(
            json!({"message": {"usage": {"cache_creation": null, "inference_geo": "us",
            "speed": "fast", "service_tier": "batch", "iterations": [], "extra": {"a": [1, -2, true]},
            "server_tool_use": {"web_search_requests": 2, "web_fetch_requests": 0},
            "output_tokens_details": {"thinking_tokens": 5}}}}),
        ),
        line(
            json!({"message": {"usage": {"cache_creation": {"ephemeral_1h_input_tokens": 40,
            "ephemeral_5m_input_tokens": 60}, "cache_read_input_tokens": null}}}),
        ),
        line(json!({"message": {"id": null}, "requestId": "r"})),
        line(
            json!({"message": {"content": [{"type": "tool_use", "input": {"x": [1.5e3, -0.25, {}]}}]}}),
        ),
        line(json!({"type": null, "message": null})),
        user(r#""plain""#),
        user(r#""a \"quoted\" \\ back\/slash\n\t\r\b\f \u00e9\ud83d\ude00 é 日本語""#),
        user(
            r#"[{"type":"tool_result","content":"\ud800 lone surrogates are skipped, not read"}]"#,
        ),
        user(r#"{"dup":1,"dup":2}"#),
        r#"{"type":"summary","summary":"x","leafUuid":"l"}"#.to_owned(),
        r#"{"type":"ユーザー","message":"text"}"#.to_owned(),
        r#"{"type":"","message":7}"#.to_owned(),
        r#"{"message":{"usage":null},"unknown":{"usage":{"input_tokens":"x"}},"x":1,"x":2}"#
            .to_owned(),
        r#"  {"type" : "user" , "message" : { } }   "#.to_owned(),
        "{}".to_owned(),
    ]
}

#[test]
fn the_fast_path_answers_the_common_lines_as_the_slow_path_does() {
    for text in common() {
        assert!(agree(&text), "left to the slow path: {text}");
    }
}

#[test]
fn unusual_lines_are_left_to_the_slow_path_or_answered_alike() {
    let base = line(json!({}));
    let cases = [
        // Not objects, truncated, trailing text.
        "[1, 2]".to_owned(),
        "\"user\"".to_owned(),
        "null".to_owned(),
        "{".to_owned(),
        r#"{"type":"user"} x"#.to_owned(),
        r#"{"type":"user"}{}"#.to_owned(),
        // Whitespace other than spaces, control characters in strings.
        "{\t\"type\":\"user\"}".to_owned(),
        "{\"type\":\"us\ter\"}".to_owned(),
        "{\"type\":\"user\"}\r".to_owned(),
        // Escapes in keys and in read values.
        r#"{"typ\u0065":"user"}"#.to_owned(),
        r#"{"type":"\ud800"}"#.to_owned(),
        r#"{"type":"us\u0065r"}"#.to_owned(),
        r#"{"message":{"mod\u0065l":"m","usage":{"input_tokens":1,"output_tokens":1}},"timestamp":"2025-09-03T00:47:21Z"}"#.to_owned(),
        base.replace(r#""sessionId":"s1""#, r#""sessionId":"s\"1""#),
        base.replace(r#""service_tier":"standard""#, r#""service_tier":"stand\u0061rd""#),
        // Duplicates of read fields, at every level.
        r#"{"type":"user","type":"assistant"}"#.to_owned(),
        r#"{"message":{},"message":{}}"#.to_owned(),
        base.replace(r#""message":{"#, r#""message":{"id":"x","#),
        base.replace(r#""input_tokens":3"#, r#""input_tokens":3,"input_tokens":3"#),
        base.replace(
            r#""ephemeral_5m_input_tokens":100"#,
            r#""ephemeral_5m_input_tokens":100,"ephemeral_5m_input_tokens":100"#,
        ),
        base.replace(r#""service_tier""#, r#""x":{"a":1,"a":1},"service_tier""#),
        // Numbers.
        r#"{"x":01}"#.to_owned(),
        r#"{"x":-}"#.to_owned(),
        r#"{"x":1.}"#.to_owned(),
        r#"{"x":1e}"#.to_owned(),
        r#"{"x":1e+5,"y":-0,"z":123456789012345678901234567890}"#.to_owned(),
        r#"{"type":1e400}"#.to_owned(),
        r#"{"type":123456789012345678901234567890}"#.to_owned(),
        base.replace(r#""input_tokens":3"#, r#""input_tokens":3.0"#),
        base.replace(r#""input_tokens":3"#, r#""input_tokens":-3"#),
        base.replace(r#""input_tokens":3"#, r#""input_tokens":-0"#),
        base.replace(r#""input_tokens":3"#, r#""input_tokens":99999999999999999999"#),
        base.replace(r#""input_tokens":3"#, r#""input_tokens":18446744073709551615"#),
        base.replace(r#""service_tier""#, r#""x":1e999,"service_tier""#),
        // Field errors.
        base.replace(r#""input_tokens":3"#, r#""input_tokens":"3""#),
        base.replace(r#""output_tokens":7"#, r#""output_tokens":null"#),
        base.replace(r#""service_tier":"standard""#, r#""service_tier":"flex""#),
        base.replace(r#""service_tier":"standard""#, r#""inference_geo":"""#),
        base.replace(r#""cache_creation_input_tokens":100"#, r#""cache_creation_input_tokens":99"#),
        base.replace(r#""2025-09-03T00:47:21.540Z""#, r#""yesterday""#),
        base.replace(r#""isSidechain":false"#, r#""isSidechain":"no""#),
        base.replace(r#""model":"claude-sonnet-4-20250514""#, r#""model":"""#),
        line(json!({"message": {"usage": "lots"}})),
        line(json!({"message": {"usage": []}})),
        line(json!({"message": {"usage": {"output_tokens_details": {"thinking_tokens": 8}}}})),
        line(json!({"message": {"usage": {"cache_creation": 5}}})),
        line(json!({"requestId": ["r"]})),
        line(json!({"message": ["a"]})),
        // Nesting deeper than the fast path goes, in skipped and in read values.
        user(&format!("{}{}", "[".repeat(100), "]".repeat(100))),
        user(&format!("{}{}", "[".repeat(200), "]".repeat(200))),
        base.replace(
            r#""service_tier""#,
            &format!(r#""x":{}{},"service_tier""#, "[".repeat(100), "]".repeat(100)),
        ),
    ];
    for text in cases {
        agree(&text);
    }
}

/// Every prefix and many one-byte edits of a few lines: wherever the fast path answers, it agrees.
#[test]
fn truncated_and_mangled_lines_agree() {
    let lines = [
        line(json!({"message": {"usage": {"server_tool_use": {"web_search_requests": 1}}}})),
        user(
            r#"[{"type":"text","text":"é \"x\" \\ \u00e9 \ud83d\ude00 [1, -2.5e-3, true, null]"}]"#,
        ),
    ];
    let edits = [
        "", "\"", "\\", "{", "}", "[", "]", ",", ":", " ", "0", "-", ".", "e", "n", "u", "é", "\t",
    ];
    let mut answered = 0;
    for text in &lines {
        for cut in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            agree(&text[..cut]);
            let next = text[cut..].chars().next().map_or(0, char::len_utf8);
            for edit in edits {
                // Replace the character at `cut` with `edit`, and insert `edit` before it.
                let replaced = format!("{}{edit}{}", &text[..cut], &text[cut + next..]);
                let inserted = format!("{}{edit}{}", &text[..cut], &text[cut..]);
                answered += usize::from(agree(&replaced)) + usize::from(agree(&inserted));
            }
        }
    }
    // Most edits still parse (inside strings), so the comparison is not vacuous.
    assert!(answered > 1000, "{answered}");
}

#[test]
fn the_masks_find_every_quote_and_backslash_and_control_byte() {
    let mut text: Vec<u8> = (0..200u8)
        .map(|i| b"ab\"c\\d e"[usize::from(i) % 8])
        .collect();
    for len in [0, 1, 7, 8, 63, 64, 65, 127, 128, 129, 200] {
        let bytes = &text[..len];
        let mut masks = Vec::new();
        assert!(!super::special_bytes(bytes, &mut masks));
        assert_eq!(masks.len(), len / 64 + 1);
        for (i, &b) in bytes.iter().enumerate() {
            let bit = masks[i / 64] >> (i % 64) & 1 == 1;
            assert_eq!(bit, b == b'"' || b == b'\\', "byte {i} of {len}");
        }
        assert!(masks.iter().skip(len / 64).all(|m| m >> (len % 64) == 0));
    }
    for at in [0, 5, 63, 64, 199] {
        for control in [0u8, 0x09, 0x1f] {
            let saved = text[at];
            text[at] = control;
            assert!(
                super::special_bytes(&text, &mut Vec::new()),
                "{at} {control}"
            );
            text[at] = saved;
        }
    }
    let mut high = vec![0x20u8, 0x7f, 0x80, 0xff, b'!', b'#', b'[', b']'];
    high.extend("é日".bytes());
    assert!(!super::special_bytes(&high, &mut Vec::new()));
}
