//! Converts 26 real Messages API exchanges (simonw/llm-anthropic's VCR cassettes, Apache-2.0,
//! rebuilt as log lines by `tests/data/anthropic/build_fixture.py`; see the SOURCE.md beside it)
//! and reads every output line back with the corpus parser. The expected usage of each call was
//! taken from the cassettes by that script (message_start's usage with every non-null key of the
//! final message_delta written over it), independently of the importer.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use tokensim_corpus::{parse_line, Line, Position, Record, Role};
use tokensim_import::anthropic::{convert, key_from_salt, AnthropicOptions};
use tokensim_import::ImportSummary;

const FILE: &str = "llm-anthropic-cassettes.jsonl";

/// One call's expected values: message id, model, input tokens, output tokens, web searches,
/// thinking tokens (`usage.output_tokens_details.thinking_tokens`, only in the two newest
/// cassettes).
type Expected = (&'static str, &'static str, u64, u64, u64, Option<u64>);

/// Per call, in file order.
const EXPECTED: [Expected; 26] = [
    (
        "msg_01KHTDfhXSbjLyGST1qLVLV3",
        "claude-sonnet-4-5-20250929",
        17,
        10,
        0,
        None,
    ),
    (
        "msg_016sMi4YLMSjiUeyi1JQoSJZ",
        "claude-sonnet-4-5-20250929",
        32,
        16,
        0,
        None,
    ),
    (
        "msg_01JkKGRKoYijkdjA9GZkPyBG",
        "claude-haiku-4-5-20251001",
        563,
        37,
        0,
        None,
    ),
    (
        "msg_01YCYWvfbPCQ6d3brBEd45iz",
        "claude-haiku-4-5-20251001",
        617,
        41,
        0,
        None,
    ),
    (
        "msg_01JdU4xqNHXL9QCFWkwCDKGr",
        "claude-haiku-4-5-20251001",
        598,
        92,
        0,
        Some(53),
    ),
    (
        "msg_01Qb3MMmP6RUjBckfsEVddrQ",
        "claude-haiku-4-5-20251001",
        707,
        89,
        0,
        Some(0),
    ),
    (
        "msg_015uV9WrrY9nhNRUqWuTcEtm",
        "claude-sonnet-4-5-20250929",
        83,
        9,
        0,
        None,
    ),
    (
        "msg_01LZsMRm65UoTT7w7in5Eqg4",
        "claude-sonnet-4-5-20250929",
        76,
        104,
        0,
        None,
    ),
    (
        "msg_016xaB3rMXQHTBuAJvtvxaQx",
        "claude-opus-4-6",
        34,
        44,
        0,
        None,
    ),
    (
        "msg_01RtVNwYH2vM9SnBWNptSdTu",
        "claude-opus-4-6",
        17,
        20,
        0,
        None,
    ),
    (
        "msg_01RiZf5w2bQ3qPCnAETmsdqt",
        "claude-opus-4-6",
        231,
        118,
        0,
        None,
    ),
    (
        "msg_01HXtenSNQ66snZkt2iQ96iN",
        "claude-haiku-4-5-20251001",
        46,
        234,
        0,
        None,
    ),
    (
        "msg_017A4s3HAsrqf5d2WvBmrpLr",
        "claude-sonnet-4-5-20250929",
        17,
        10,
        0,
        None,
    ),
    (
        "msg_01KozUDYHvRtgs3NLgG7jzN9",
        "claude-haiku-4-5-20251001",
        16,
        28,
        0,
        None,
    ),
    (
        "msg_01HGSyDK4y9Spcd6ySQumMNC",
        "claude-sonnet-4-5-20250929",
        230,
        94,
        0,
        None,
    ),
    (
        "msg_012zjP4Dd7xzw4UfBisJsdCk",
        "claude-sonnet-4-5-20250929",
        231,
        101,
        0,
        None,
    ),
    (
        "msg_019Fb5TaLtGaCW5u5ApWj7YX",
        "claude-sonnet-4-6",
        17,
        12,
        0,
        None,
    ),
    (
        "msg_01BCgDjb5HqsydH2BtaUkzpX",
        "claude-sonnet-4-6",
        17,
        12,
        0,
        None,
    ),
    (
        "msg_01T8kTq7cYyYJeQ5DxcVUc6D",
        "claude-haiku-4-5-20251001",
        10,
        4,
        0,
        None,
    ),
    (
        "msg_01Eg56TYRnKCEgWtZu2yjR1t",
        "claude-haiku-4-5-20251001",
        46,
        133,
        0,
        None,
    ),
    (
        "msg_01BnVamfF7ccY9Qt3nZHAyaG",
        "claude-haiku-4-5-20251001",
        543,
        40,
        0,
        None,
    ),
    (
        "msg_01RTjjePNDCQNgHXg3KeDPfv",
        "claude-sonnet-4-5-20250929",
        46,
        84,
        0,
        None,
    ),
    (
        "msg_01V2noLbAb2NgKnjaNw6Cn3w",
        "claude-haiku-4-5-20251001",
        542,
        62,
        0,
        None,
    ),
    (
        "msg_01XMATm4UFnjP841TckVuNF4",
        "claude-haiku-4-5-20251001",
        678,
        82,
        0,
        None,
    ),
    (
        "msg_01Cd8ghABAXLrX6J5WTxTSbv",
        "claude-sonnet-4-5-20250929",
        273,
        206,
        0,
        None,
    ),
    (
        "msg_01TRpkkgb2QsnyjsGSVdRtGr",
        "claude-opus-4-1-20250805",
        10423,
        341,
        1,
        None,
    ),
];

fn convert_fixture() -> (ImportSummary, Vec<Record>, String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/anthropic")
        .join(FILE);
    let input = BufReader::new(File::open(&path).unwrap_or_else(|e| panic!("{path:?}: {e}")));
    let key = key_from_salt(b"anthropic_real test salt").expect("salt");
    let mut out = Vec::new();
    let summary = convert(input, FILE, &AnthropicOptions::new(key), &mut out)
        .unwrap_or_else(|e| panic!("{e}"));
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
            other => panic!("output line {}: {other:?}", i + 1),
        }
    }
    (summary, records, text)
}

#[test]
fn real_exchanges_convert_and_read_back() {
    let (summary, records, text) = convert_fixture();
    assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
    assert!(summary.adjusted.is_empty(), "{:?}", summary.adjusted);
    assert_eq!(summary.lines_read, 26);
    assert_eq!(summary.lines_blank, 0);
    assert_eq!(summary.records_written, 26);
    assert_eq!(records.len(), 26);

    let input: u64 = EXPECTED.iter().map(|e| e.2).sum();
    let output: u64 = EXPECTED.iter().map(|e| e.3).sum();
    assert_eq!((input, output), (16_110, 2_023));
    assert_eq!(summary.tokens_input, input);
    assert_eq!(summary.tokens_output, output);
    assert_eq!(
        summary.segments_written,
        records.iter().map(|r| r.segments.len() as u64).sum::<u64>()
    );

    for (r, &(id, model, input, output, searches, thinking)) in records.iter().zip(&EXPECTED) {
        assert_eq!(r.id.as_deref(), Some(id));
        assert_eq!(r.model, model, "{id}");
        assert_eq!(r.usage.input_tokens, input, "{id}");
        assert_eq!(r.usage.output_tokens, output, "{id}");
        assert_eq!(r.usage.cache_creation_input_tokens(), 0, "{id}");
        assert_eq!(r.usage.cache_read_input_tokens, 0, "{id}");
        assert_eq!(r.usage.web_search_requests, searches, "{id}");
        assert_eq!(r.thinking_tokens, thinking, "{id}");
        // The sum rule (the parser checked it too) and no breakpoint: none of the tests cached.
        assert_eq!(
            r.segments.iter().map(|s| s.tokens).sum::<u64>(),
            input,
            "{id}"
        );
        assert!(r.segments.iter().all(|s| s.cache_control.is_none()), "{id}");
        assert_eq!(r.stream, Some(true), "{id}: every cassette call streamed");
        assert_eq!(r.team.as_deref(), Some("llm-anthropic"));
        assert_eq!(r.app.as_deref(), Some("pytest"));
        assert!(r.feature.as_deref().is_some_and(|f| f.starts_with("test_")));
        assert!(r.max_tokens.is_some(), "{id}");
    }
    // Responses from before the inference_geo field have none.
    let geos: Vec<Option<&str>> = records.iter().map(|r| r.inference_geo.as_deref()).collect();
    assert_eq!(geos.iter().filter(|g| g.is_none()).count(), 3);
    assert_eq!(geos.iter().filter(|g| **g == Some("global")).count(), 5);
    // The upstream service time where the cassette recorded it.
    assert_eq!(
        records.iter().filter(|r| r.latency_ms.is_some()).count(),
        22
    );

    // Roles in prefix order: test_tools' second call is tools, user, the assistant's text and two
    // tool uses, then two tool results.
    let roles: Vec<Role> = records[23].segments.iter().map(|s| s.role).collect();
    use Role::*;
    assert_eq!(
        roles,
        [Tools, User, Assistant, Assistant, Assistant, ToolResult, ToolResult]
    );
    // The same blocks fingerprint alike across calls: test_tools' two calls share the tool and
    // the first user turn; test_prompt and test_async_prompt ask the same question.
    let (a, b) = (&records[22].segments, &records[23].segments);
    assert_eq!((a[0].hash, a[1].hash), (b[0].hash, b[1].hash));
    assert_eq!(records[0].segments[0].hash, records[12].segments[0].hash);
    assert_ne!(records[0].segments[0].hash, records[1].segments[2].hash);

    // No prompt or answer text reaches the corpus.
    for word in ["pelican", "Pelican", "Charles", "Sammy", "simonwillison"] {
        assert!(!text.contains(word), "{word} leaked");
    }

    // Distinct hashes: 26 calls, every block counted once.
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for s in records.iter().flat_map(|r| &r.segments) {
        *seen.entry(s.hash).or_default() += 1;
    }
    assert!(seen.values().any(|&n| n > 1));
}
