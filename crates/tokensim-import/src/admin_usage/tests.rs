//! Hand-written usage report pages in the documented shape (the documentation's own examples are
//! not copied: their licence does not allow it).

use tokensim_corpus::{parse_line, Line, Position, Record as Parsed};
use tokensim_pricing::{Catalog, Terms, TokenSums, Tokens};

use super::*;

fn page(results: &str) -> String {
    format!(
        r#"{{
  "data": [
    {{
      "starting_at": "2026-08-01T00:00:00Z",
      "ending_at": "2026-08-02T00:00:00Z",
      "results": [{results}]
    }}
  ],
  "has_more": false,
  "next_page": null
}}
"#
    )
}

const ROW: &str = r#"{
  "model": "claude-sonnet-4-5-20250929",
  "workspace_id": "wrkspc_A",
  "api_key_id": "apikey_B",
  "account_id": null,
  "service_account_id": null,
  "service_tier": "standard",
  "context_window": "0-200k",
  "inference_geo": "global",
  "uncached_input_tokens": 1500,
  "cache_read_input_tokens": 200,
  "cache_creation": {"ephemeral_5m_input_tokens": 500, "ephemeral_1h_input_tokens": 1000},
  "output_tokens": 500,
  "server_tool_use": {"web_search_requests": 10}
}"#;

fn run(files: &[(&str, &str)]) -> Result<(AdminUsageSummary, Vec<Parsed>, String), ImportError> {
    let mut out = Vec::new();
    let sources = files.iter().map(|(n, t)| (n.to_string(), t.as_bytes()));
    let summary = convert(sources, &AdminUsageOptions::default(), &mut out)?;
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
            other => panic!("output line {}: {other:?}\n{line}", i + 1),
        }
    }
    Ok((summary, records, text))
}

#[test]
fn one_result_becomes_one_record_with_every_field_mapped() {
    let (summary, records, text) = run(&[("usage-2026-08.json", &page(ROW))]).unwrap();
    assert_eq!(
        text.lines().nth(1).unwrap(),
        r#"{"id":"usage-2026-08:data[0].results[0]","ts":"2026-08-01T00:00:00Z","model":"claude-sonnet-4-5-20250929","workspace":"wrkspc_A","team":"wrkspc_A","app":"apikey_B","tags":["source:admin-usage","aggregate:admin-usage","api_key:apikey_B","context_window:0-200k"],"inference_geo":"global","usage":{"input_tokens":1500,"output_tokens":500,"cache_creation_input_tokens":1500,"cache_read_input_tokens":200,"cache_creation":{"ephemeral_5m_input_tokens":500,"ephemeral_1h_input_tokens":1000},"server_tool_use":{"web_search_requests":10}}}"#
    );
    assert_eq!(records.len(), 1);
    assert_eq!((summary.files, summary.pages, summary.buckets), (1, 1, 1));
    assert_eq!(
        (
            summary.results_read,
            summary.results_written,
            summary.records_written
        ),
        (1, 1, 1)
    );
    assert_eq!((summary.tokens_input, summary.tokens_output), (3200, 500));
}

#[test]
fn a_large_0_200k_result_is_split_into_pieces_that_price_exactly_as_the_sum() {
    let row = r#"{"model": "claude-sonnet-4-5", "context_window": "0-200k", "service_tier": "batch",
        "uncached_input_tokens": 120001, "cache_read_input_tokens": 90000,
        "cache_creation": {"ephemeral_5m_input_tokens": 40000, "ephemeral_1h_input_tokens": 7},
        "output_tokens": 10, "server_tool_use": {"web_search_requests": 3}}"#;
    let (summary, records, _) = run(&[("p.json", &page(row))]).unwrap();
    // 250,008 input tokens: three pieces of at most 100,000.
    assert_eq!(records.len(), 3);
    assert_eq!(summary.records_written, 3);
    let totals: Vec<u64> = records
        .iter()
        .map(|r| r.usage.total_input_tokens())
        .collect();
    assert_eq!(totals, [100_000, 100_000, 50_008]);
    assert_eq!(
        records
            .iter()
            .map(|r| r.usage.output_tokens)
            .collect::<Vec<_>>(),
        [4, 3, 3]
    );
    assert_eq!(records[0].usage.web_search_requests, 3);
    assert_eq!(records[1].usage.web_search_requests, 0);
    assert!(records
        .iter()
        .all(|r| r.tags.iter().any(|t| t == AGGREGATE_TAG)));
    assert_eq!(
        records
            .iter()
            .map(|r| r.id.clone().unwrap())
            .collect::<Vec<_>>(),
        [
            "p:data[0].results[0]:1",
            "p:data[0].results[0]:2",
            "p:data[0].results[0]:3"
        ]
    );

    // Priced piece by piece, the pieces cost what the summed tokens cost in the base band, to
    // the pico-dollar; priced as one record, the sum would cross Sonnet 4.5's 200k threshold.
    let catalog = Catalog::builtin();
    let id = catalog.resolve("claude-sonnet-4-5").unwrap();
    let terms = Terms::recorded(&records[0]);
    assert!(terms.batch);
    let tokens = Tokens::recorded;
    let pieces: i128 = records
        .iter()
        .map(|r| catalog.price(id, &tokens(r), &terms).unwrap().total().0)
        .sum();
    let mut whole = TokenSums::default();
    for r in &records {
        whole += tokens(r);
    }
    let rates = catalog.list_rates(id, terms.day);
    let base_band = rates.input.cost_of_sum(whole.input).0
        + rates.cache_write_5m.cost_of_sum(whole.cache_write_5m).0
        + rates.cache_write_1h.cost_of_sum(whole.cache_write_1h).0
        + rates.cache_read.cost_of_sum(whole.cache_read).0
        + rates.output.cost_of_sum(whole.output).0;
    let web = catalog
        .price(
            id,
            &Tokens {
                web_search_requests: 3,
                ..Tokens::default()
            },
            &terms,
        )
        .unwrap()
        .total()
        .0;
    assert_eq!(pieces, base_band / 2 + web);
    let small = |n: u128| u64::try_from(n).unwrap();
    let whole = Tokens {
        input: small(whole.input),
        cache_write_5m: small(whole.cache_write_5m),
        cache_write_1h: small(whole.cache_write_1h),
        cache_read: small(whole.cache_read),
        output: small(whole.output),
        web_search_requests: small(whole.web_search_requests),
    };
    let as_one = catalog.price(id, &whole, &terms).unwrap().total().0;
    assert!(
        as_one > pieces,
        "the sum alone would be priced as long context"
    );
}

#[test]
fn the_piece_size_is_below_every_long_context_threshold_in_the_catalog() {
    let lowest = Catalog::builtin().band_thresholds()[0];
    assert!(PIECE_MAX_INPUT <= lowest, "{PIECE_MAX_INPUT} > {lowest}");
}

#[test]
fn a_200k_1m_result_stays_one_record() {
    let row = r#"{"model": "claude-sonnet-4-5", "context_window": "200k-1M",
        "uncached_input_tokens": 900000, "output_tokens": 5}"#;
    let small = r#"{"model": "claude-sonnet-4-5", "context_window": "200k-1M",
        "uncached_input_tokens": 9, "output_tokens": 5}"#;
    let (summary, records, _) = run(&[("p.json", &page(&format!("{row},{small}")))]).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].usage.input_tokens, 900_000);
    assert_eq!(
        summary.adjusted_by_rule(),
        BTreeMap::from([(RULE_LONG_CONTEXT_SMALL, 1)])
    );
    assert_eq!(summary.results_by_context_window["200k-1M"], 2);
}

#[test]
fn results_that_cannot_be_priced_are_skipped_and_counted() {
    let rows = [
        r#"{"model": null, "uncached_input_tokens": 5}"#,
        r#"{"model": "claude-opus-4-6", "service_tier": "flex", "uncached_input_tokens": 5}"#,
        r#"{"model": "claude-opus-4-6", "uncached_input_tokens": 0, "output_tokens": 0}"#,
        r#"{"model": "claude-opus-4-6", "service_tier": "priority_on_demand", "output_tokens": 1}"#,
        r#"{"model": "claude-opus-4-6", "speed": "fast", "output_tokens": 1}"#,
    ];
    let (summary, records, _) = run(&[("p.json", &page(&rows.join(",")))]).unwrap();
    assert_eq!(summary.results_read, 5);
    assert_eq!(summary.results_written, 2);
    assert_eq!(
        summary.skipped_by_rule(),
        BTreeMap::from([(RULE_NO_MODEL, 1), (RULE_UNPRICED_TIER, 1), (RULE_EMPTY, 1)])
    );
    assert_eq!(
        summary.adjusted_by_rule(),
        BTreeMap::from([(RULE_PRIORITY_ON_DEMAND, 1)])
    );
    assert!(summary.skipped[1]
        .detail
        .contains("p.json: data[0].results[1]"));
    assert_eq!(
        records[0].service_tier,
        tokensim_corpus::ServiceTier::Priority
    );
    assert_eq!(records[1].speed, tokensim_corpus::Speed::Fast);
}

#[test]
fn pages_can_follow_each_other_as_lines_or_in_an_array() {
    let one_line = page(ROW).replace('\n', "");
    let jsonl = format!("{one_line}\n{one_line}\n");
    let array = format!("[{}, {}]", page(ROW), page(ROW));
    let (summary, records, _) = run(&[("a.jsonl", &jsonl), ("b.json", &array)]).unwrap();
    assert_eq!((summary.files, summary.pages), (2, 4));
    assert_eq!(records.len(), 4);
    let ids: Vec<_> = records.iter().map(|r| r.id.clone().unwrap()).collect();
    assert_eq!(ids[2], "b:[0].data[0].results[0]");
}

#[test]
fn errors_name_the_file_the_line_the_page_starts_on_and_the_field() {
    let bad = page(&ROW.replace("\"output_tokens\": 500", "\"output_tokens\": -1"));
    let two = format!("{}\n{bad}", page(ROW));
    let err = run(&[("u.json", &two)]).unwrap_err().to_string();
    // The second page starts after the first page's lines and one blank line.
    let line = page(ROW).lines().count() + 2;
    assert_eq!(
        err,
        format!(
            "u.json:{line}: data[0].results[0].output_tokens: must be a non-negative integer, \
             got -1"
        )
    );
    let err = run(&[(
        "u.json",
        "{\"data\": [{\"ending_at\": \"2026-08-02T00:00:00Z\", \"results\": []}]}",
    )])
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "u.json:1: data[0].starting_at: required field is missing"
    );
    let err = run(&[("u.json", "{\"data\": [}")]).unwrap_err().to_string();
    assert!(err.starts_with("u.json:1: not valid JSON: "), "{err}");
    let err = run(&[("u.json", &page(&ROW.replace("0-200k", "0-100k")))])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("context_window: must be \"0-200k\" or \"200k-1M\""),
        "{err}"
    );
}

#[test]
fn split_keeps_every_token() {
    for total in [0u64, 1, 99_999, 100_000, 100_001, 345_678] {
        let usage = Usage {
            input_tokens: total / 3,
            output_tokens: 7,
            cache_creation_input_tokens: total / 3,
            cache_read_input_tokens: total - 2 * (total / 3),
            cache_creation: Some(CacheCreation {
                ephemeral_5m_input_tokens: total / 6,
                ephemeral_1h_input_tokens: total / 3 - total / 6,
            }),
            server_tool_use: None,
        };
        let pieces = split(&usage, PIECE_MAX_INPUT);
        assert_eq!(pieces.len() as u64, total.div_ceil(PIECE_MAX_INPUT).max(1));
        let sum = |f: fn(&Usage) -> u64| pieces.iter().map(f).sum::<u64>();
        assert_eq!(sum(|u| u.input_tokens), usage.input_tokens);
        assert_eq!(
            sum(|u| u.cache_read_input_tokens),
            usage.cache_read_input_tokens
        );
        assert_eq!(
            sum(|u| u.cache_creation_input_tokens),
            usage.cache_creation_input_tokens
        );
        assert_eq!(
            sum(|u| u.cache_creation.unwrap().ephemeral_1h_input_tokens),
            total / 3 - total / 6
        );
        assert_eq!(sum(|u| u.output_tokens), 7);
        assert!(pieces.iter().all(|p| p.total_input() <= PIECE_MAX_INPUT));
    }
}
