//! Converts the LiteLLM samples in `tests/data/litellm/` (MIT, BerriAI/litellm test fixtures and
//! one real callback capture; provenance in each folder's `SOURCE.md`) end to end and reads every
//! output line back with the corpus parser. The expected numbers were read off the sample files
//! by hand: no sample has cache tokens (none with them was found), so the cache arithmetic is
//! covered by the unit tests; these prove the real shapes (pretty-printed documents,
//! JSON-encoded `metadata`, naive timestamps, epoch-second floats, the callback wrapper, a
//! Bedrock inference-profile ARN as the model) convert.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use tokensim_corpus::{parse_line, Line, Position, Record};
use tokensim_import::litellm::{convert, LiteLlmOptions, LiteLlmSummary, RULE_NOT_CLAUDE};
use tokensim_import::models::ModelMap;

fn sample(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/litellm")
        .join(file)
}

fn convert_file(file: &str, opts: &LiteLlmOptions) -> (LiteLlmSummary, Vec<Record>) {
    let path = sample(file);
    let input = BufReader::new(File::open(&path).unwrap_or_else(|e| panic!("{path:?}: {e}")));
    let mut out = Vec::new();
    let summary = convert(input, file, opts, &mut out).unwrap_or_else(|e| panic!("{e}"));
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
    assert_eq!(
        summary.rows_read,
        summary.records_written + summary.skipped.len() as u64,
        "{file}"
    );
    assert_eq!(records.len() as u64, summary.records_written, "{file}");
    (summary, records)
}

fn lines_in(file: &str) -> u64 {
    let text = std::fs::read_to_string(sample(file)).expect("sample");
    text.lines().count() as u64
}

#[test]
fn the_real_bedrock_callback_capture_converts() {
    let file = "standard-logging-payload/captured_kwargs.json";
    let (summary, records) = convert_file(file, &LiteLlmOptions::default());
    assert_eq!(
        (summary.lines_read, summary.values_read, summary.rows_read),
        (1, 1, 1)
    );
    assert!(summary.skipped.is_empty() && summary.adjusted.is_empty());
    assert_eq!(
        summary.naive_timestamps, 0,
        "epoch seconds carry their zone"
    );
    let r = &records[0];
    assert_eq!(
        r.id.as_deref(),
        Some("chatcmpl-fa9be5b7-9487-46ab-86de-6462d578fea1")
    );
    // `arn:aws:bedrock:us-west-2:…:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0`
    assert_eq!(r.model, "claude-3-7-sonnet-20250219");
    assert_eq!(r.ts.to_string(), "2025-06-22T17:59:08.162725000Z");
    assert_eq!(
        r.latency_ms,
        Some(237),
        "completionStartTime - startTime = 236.798 ms"
    );
    assert_eq!(r.usage.input_tokens, 14);
    assert_eq!(r.usage.output_tokens, 67);
    assert_eq!(r.usage.cache_read_input_tokens, 0);
    assert_eq!(r.usage.cache_creation_input_tokens(), 0);
    assert_eq!((&r.team, &r.app, &r.feature), (&None, &None, &None));
    assert_eq!(r.tags, ["source:litellm"]);
    assert_eq!(r.conversation_id, None);
    assert_eq!(summary.records_by_model["claude-3-7-sonnet-20250219"], 1);
}

#[test]
fn the_openai_fixtures_are_skipped_unless_mapped() {
    for (file, id) in [
        (
            "spend-logs/spend_logs_payload.json",
            "chatcmpl-2283081b-dc89-41f6-93e6-d4f914774027",
        ),
        (
            "standard-logging-payload/standard_logging_payload.json",
            "chatcmpl-2299b6a2-82a3-465a-b47c-04e685a2227f",
        ),
    ] {
        let (summary, records) = convert_file(file, &LiteLlmOptions::default());
        assert!(records.is_empty(), "{file}");
        assert_eq!(summary.lines_read, lines_in(file), "{file}");
        assert_eq!((summary.values_read, summary.rows_read), (1, 1), "{file}");
        assert_eq!(summary.skipped.len(), 1, "{file}");
        let note = &summary.skipped[0];
        assert_eq!((note.line, note.rule), (1, RULE_NOT_CLAUDE), "{file}");
        assert!(note.detail.starts_with(id), "{file}: {}", note.detail);
        assert!(
            note.detail.contains("\"gpt-4o\""),
            "{file}: {}",
            note.detail
        );

        let opts = LiteLlmOptions {
            models: ModelMap::from_pairs(["gpt-4o=claude-sonnet-4-5"]).expect("pair"),
            ..LiteLlmOptions::default()
        };
        let (summary, records) = convert_file(file, &opts);
        assert!(summary.skipped.is_empty(), "{file}");
        assert_eq!(
            summary.naive_timestamps, 1,
            "{file}: \"2025-01-24 09:20:46.847371\""
        );
        let r = &records[0];
        assert_eq!(r.id.as_deref(), Some(id));
        assert_eq!(r.model, "claude-sonnet-4-5");
        assert_eq!(r.ts.to_string(), "2025-01-24T09:20:46.847371000Z");
        // completionStartTime 09:20:46.851954: 4.583 ms.
        assert_eq!(r.latency_ms, Some(5));
        assert_eq!((r.usage.input_tokens, r.usage.output_tokens), (10, 20));
        assert_eq!(r.usage.total_input_tokens(), 10);
        assert_eq!(r.tags, ["source:litellm"]);
        assert_eq!((summary.tokens_input, summary.tokens_output), (10, 20));
    }
    // Only the spend-log row has a session.
    let opts = LiteLlmOptions {
        models: ModelMap::from_pairs(["gpt-4o=claude-sonnet-4-5"]).expect("pair"),
        ..LiteLlmOptions::default()
    };
    let (_, records) = convert_file("spend-logs/spend_logs_payload.json", &opts);
    assert_eq!(records[0].conversation_id.as_deref(), Some("1234567890"));
}
