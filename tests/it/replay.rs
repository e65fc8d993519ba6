//! `tokensim replay`: the report on a hand-written corpus, reconciliation, determinism, strict
//! and quarantine modes, zstd input.

use std::io::Write;

use serde_json::Value;

use crate::util::{fails, ok, pico, root, run, stable};

const SMALL: &str = "corpora/small/small.jsonl";
const BAD: &str = "corpora/small/bad.jsonl";
const DEMO: &str = "corpora/demo.jsonl.zst";

fn json(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    serde_json::from_str(&ok(&a)).expect("the JSON report parses")
}

#[test]
fn small_corpus_json_report() {
    let out = ok(&["replay", "--corpus", SMALL, "--format", "json"]);
    insta::assert_snapshot!("small_json", stable(&out));
}

#[test]
fn small_corpus_table_report() {
    insta::assert_snapshot!("small_table", stable(&ok(&["replay", "--corpus", SMALL])));
}

#[test]
fn small_corpus_markdown_report() {
    insta::assert_snapshot!(
        "small_md",
        stable(&ok(&["replay", "--corpus", SMALL, "--format", "md"]))
    );
}

/// Every grouping's rows add up exactly to the totals, component by component.
fn assert_reconciles(r: &Value) {
    let t = &r["totals"];
    for group in ["by_workload", "by_model", "by_day"] {
        let rows = r[group].as_array().unwrap();
        assert!(!rows.is_empty(), "{group}");
        for comp in [
            "input",
            "cache_write_5m",
            "cache_write_1h",
            "cache_read",
            "output",
            "web_search",
            "total",
        ] {
            let sum: i128 = rows.iter().map(|row| pico(&row["recorded"][comp])).sum();
            assert_eq!(sum, pico(&t["recorded"][comp]), "{group} recorded.{comp}");
        }
        for field in ["reference", "saving_vs_reference"] {
            let sum: i128 = rows.iter().map(|row| pico(&row[field])).sum();
            assert_eq!(sum, pico(&t[field]), "{group} {field}");
        }
        let n: u64 = rows
            .iter()
            .map(|row| row["requests"].as_u64().unwrap())
            .sum();
        assert_eq!(n, t["requests"].as_u64().unwrap(), "{group} requests");
        for row in rows {
            let parts: i128 = [
                "input",
                "cache_write_5m",
                "cache_write_1h",
                "cache_read",
                "output",
                "web_search",
            ]
            .iter()
            .map(|c| pico(&row["recorded"][c]))
            .sum();
            assert_eq!(
                parts,
                pico(&row["recorded"]["total"]),
                "components add up to the row total"
            );
            assert_eq!(
                pico(&row["reference"]) - pico(&row["recorded"]["total"]),
                pico(&row["saving_vs_reference"])
            );
        }
    }
    let c = &r["corpus"];
    assert_eq!(
        c["records_read"].as_u64(),
        Some(c["priced"].as_u64().unwrap() + c["quarantined"].as_u64().unwrap())
    );
    assert_eq!(c["priced"], t["requests"]);
}

#[test]
fn rows_add_up_exactly_to_the_totals() {
    assert_reconciles(&json(&["replay", "--corpus", SMALL]));
    assert_reconciles(&json(&["replay", "--corpus", DEMO]));
}

#[test]
fn hand_checked_costs_of_the_small_corpus() {
    let r = json(&["replay", "--corpus", SMALL]);
    let row = |group: &str, key: &str, val: &str| -> Value {
        r[group]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x[key] == val)
            .unwrap_or_else(|| panic!("{group} {val}"))
            .clone()
    };
    // Sonnet 5.5 on 2026-10-06 (UTC; the +02:00 record) reads 1M tokens at $0.20, on the 7th at
    // $0.10; each also has 300 input at $2 and 500 output at $10.
    let d6 = pico(&row("by_day", "day", "2026-10-06")["recorded"]["cache_read"]);
    let d7 = pico(&row("by_day", "day", "2026-10-07")["recorded"]["cache_read"]);
    // The 6th also has fast Opus 5.5 reading 60,000 at its fast read price ($0.40).
    assert_eq!(d6, 200_000 * 1_000_000 + 400_000 * 60_000);
    // The 7th: Sonnet 5.5 at the new price; Sonnet 4.5 reading 50,000 at $0.30 (200,000 total
    // input is not above the threshold); Haiku 5.5 reading 100,000 above its band ($0.05) and
    // 100,000 at it ($0.01).
    assert_eq!(
        d7,
        100_000 * 1_000_000 + 300_000 * 50_000 + 50_000 * 100_000 + 10_000 * 100_000
    );
    // Haiku 5.5: 1 + 100,000 total input is above the band (all at $0.50/$0.05/$2.50), exactly
    // 100,000 is not ($0.10/$0.01/$0.50).
    let haiku = row("by_model", "model", "claude-haiku-5-5");
    let above = 500_000 + 50_000 * 100_000 + 2_500_000 * 700;
    let at = 10_000 * 100_000 + 500_000 * 700;
    assert_eq!(pico(&haiku["recorded"]["total"]), above + at);
    assert_eq!(r["reference"]["model"], "claude-opus-4");
    assert_eq!(r["reference"]["chosen_by"], "most-expensive-in-corpus");
    assert_eq!(r["corpus"]["blank_lines"], 1);
}

#[test]
fn thread_count_never_changes_the_report() {
    let one = ok(&[
        "replay",
        "--corpus",
        DEMO,
        "--format",
        "json",
        "--threads",
        "1",
    ]);
    for n in ["2", "3", "8"] {
        assert_eq!(
            one,
            ok(&[
                "replay",
                "--corpus",
                DEMO,
                "--format",
                "json",
                "--threads",
                n
            ]),
            "--threads {n}"
        );
    }
}

#[test]
fn a_corpus_split_into_files_in_any_order_has_the_same_totals() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(SMALL)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (a, b) = lines.split_at(9);
    let pa = dir.path().join("a.jsonl");
    let pb = dir.path().join("b.jsonl");
    std::fs::write(&pa, a.join("\n")).unwrap();
    std::fs::write(&pb, b.join("\n") + "\n").unwrap();
    let whole = json(&["replay", "--corpus", SMALL]);
    for order in [[&pa, &pb], [&pb, &pa]] {
        let split = json(&[
            "replay",
            "--corpus",
            order[0].to_str().unwrap(),
            order[1].to_str().unwrap(),
        ]);
        for key in ["totals", "by_workload", "by_model", "by_day", "reference"] {
            assert_eq!(split[key], whole[key], "{key}");
        }
    }
}

#[test]
fn zstd_input_is_detected_by_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let raw = std::fs::read(root().join(SMALL)).unwrap();
    let compressed = zstd::encode_all(&raw[..], 3).unwrap();
    let disguised = dir.path().join("looks-plain.jsonl");
    std::fs::write(&disguised, &compressed).unwrap();
    let plain = json(&["replay", "--corpus", SMALL]);
    let z = json(&["replay", "--corpus", disguised.to_str().unwrap()]);
    assert_eq!(z["totals"], plain["totals"]);
    assert_eq!(z["by_workload"], plain["by_workload"]);
    // Each file's digest is of its bytes as stored, what `b3sum FILE` prints.
    assert_eq!(
        z["corpus"]["files"][0]["blake3"].as_str().unwrap(),
        blake3::hash(&compressed).to_hex().as_str()
    );
    assert_eq!(
        plain["corpus"]["files"][0]["blake3"].as_str().unwrap(),
        blake3::hash(&raw).to_hex().as_str()
    );
}

/// A run of three passes (the evals a cascade needs, the `optimal` policy's survey, the replay)
/// digests each file once, in the pass that makes the report: the digest is the file's, as in a
/// one-pass run, and every count is there.
#[test]
fn multi_pass_runs_report_each_files_digest() {
    let demo = "corpora/demo.jsonl.zst";
    let bytes = std::fs::read(root().join(demo)).unwrap();
    let one = json(&["replay", "--corpus", demo]);
    let three = run(&[
        "replay",
        "--corpus",
        demo,
        "--scenario",
        "scenarios/route-cascade.toml",
        "scenarios/cache-optimal.toml",
        "--no-attribution",
        "--format",
        "json",
    ]);
    assert!(
        three.status.success(),
        "{}",
        String::from_utf8_lossy(&three.stderr)
    );
    let three: Value = serde_json::from_slice(&three.stdout).unwrap();
    let want = blake3::hash(&bytes).to_hex().to_string();
    for report in [&one, &three] {
        assert_eq!(report["corpus"]["files"][0]["blake3"], want.as_str());
    }
    assert_eq!(three["corpus"]["files"], one["corpus"]["files"]);
    assert_eq!(
        three["corpus"]["records_read"],
        one["corpus"]["records_read"]
    );
}

/// The demo corpus as plain JSONL: many 1 MiB blocks and chunks.
fn demo_plain() -> Vec<u8> {
    let raw = zstd::decode_all(&std::fs::read(root().join(DEMO)).unwrap()[..]).unwrap();
    assert!(raw.len() > 8 << 20, "many 1 MiB blocks");
    raw
}

/// A plain file of many blocks: its chunks hash their blocks wherever they are parsed, and the
/// merged digest is still the file's, what `b3sum FILE` prints, whatever the thread count.
#[test]
fn a_plain_files_digest_hashed_block_by_block_is_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let raw = demo_plain();
    let plain = dir.path().join("demo.jsonl");
    std::fs::write(&plain, &raw).unwrap();
    let want = blake3::hash(&raw).to_hex().to_string();
    for threads in ["1", "3"] {
        let report = json(&[
            "replay",
            "--corpus",
            plain.to_str().unwrap(),
            "--threads",
            threads,
        ]);
        assert_eq!(report["corpus"]["files"][0]["blake3"], want.as_str());
    }
}

#[test]
fn a_truncated_zstd_file_is_an_error_not_a_short_read() {
    let dir = tempfile::tempdir().unwrap();
    let raw = std::fs::read(root().join(DEMO)).unwrap();
    let cut = dir.path().join("cut.jsonl.zst");
    std::fs::write(&cut, &raw[..raw.len() / 2]).unwrap();
    let err = fails(&["replay", "--corpus", cut.to_str().unwrap()]);
    assert!(
        err.contains("cut.jsonl.zst: read failed (truncated or corrupt file?)"),
        "{err}"
    );
}

/// Errors come in corpus order whatever order the pool finishes chunks in: over a file of many
/// chunks, strict mode names the first bad line (not a later one a faster thread reached
/// first), and a bad line before a truncation is reported before the read failure behind it.
#[test]
fn the_first_error_in_corpus_order_is_the_one_reported_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let text = String::from_utf8(demo_plain()).unwrap();
    let original: Vec<&str> = text.lines().collect();
    assert!(original.len() > 5_000, "thousands of lines");
    // The line's first `"input_tokens":N` becomes `-7`.
    let bad = |l: &str| {
        let key = "\"input_tokens\":";
        let at = l.find(key).expect("a usage") + key.len();
        let digits = l[at..].bytes().take_while(u8::is_ascii_digit).count();
        format!("{}-7{}", &l[..at], &l[at + digits..])
    };
    // The corpus with the lines at `at` made bad.
    let with_bad = |at: &[usize]| {
        let mut body = String::with_capacity(text.len() + 16);
        for (i, l) in original.iter().enumerate() {
            body.push_str(&if at.contains(&i) {
                bad(l)
            } else {
                l.to_string()
            });
            body.push('\n');
        }
        body
    };
    let (first, later) = (original.len() / 3, original.len() * 2 / 3);
    for i in [20, first, later] {
        assert_ne!(bad(original[i]), original[i], "line {i} has usage");
    }
    let plain = dir.path().join("two-bad.jsonl");
    std::fs::write(&plain, with_bad(&[first, later])).unwrap();
    // The first bad line, in the first chunk, then a truncation right after that chunk: the
    // shortest prefix of the compressed file that still decompresses to more than one 1 MiB
    // block of text. The reader hands out the first chunk and fails a few zstd blocks later,
    // almost always before the pool has parsed that chunk.
    let zst = zstd::encode_all(with_bad(&[20]).as_bytes(), 3).unwrap();
    let text_before_error = |prefix: &[u8]| {
        let mut d = zstd::stream::read::Decoder::new(prefix).unwrap();
        let (mut n, mut buf) = (0, vec![0; 1 << 16]);
        while let Ok(k @ 1..) = std::io::Read::read(&mut d, &mut buf) {
            n += k;
        }
        n
    };
    let (mut lo, mut hi) = (0, zst.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if text_before_error(&zst[..mid]) > 1 << 20 {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    assert!(
        text_before_error(&zst[..lo]) < 2 << 20,
        "one whole chunk, not two"
    );
    let cut = dir.path().join("cut.jsonl.zst");
    std::fs::write(&cut, &zst[..lo]).unwrap();
    for threads in ["1", "2", "8"] {
        let err = fails(&[
            "replay",
            "--corpus",
            plain.to_str().unwrap(),
            "--threads",
            threads,
        ]);
        let want = format!(
            "two-bad.jsonl:{}: usage.input_tokens: must be a non-negative integer",
            first + 1
        );
        assert!(err.contains(&want), "--threads {threads}: {err}");
        let err = fails(&[
            "replay",
            "--corpus",
            cut.to_str().unwrap(),
            "--threads",
            threads,
        ]);
        assert!(
            err.contains("cut.jsonl.zst:21: usage.input_tokens: must be a non-negative integer"),
            "--threads {threads}: {err}"
        );
    }
}

#[test]
fn strict_mode_stops_at_the_first_bad_record_naming_file_line_and_field() {
    let err = fails(&["replay", "--corpus", BAD]);
    assert_eq!(
        err,
        "error: corpora/small/bad.jsonl:3: usage.input_tokens: must be a non-negative integer, got -10\nhint: --quarantine FILE sets bad records aside with their reasons and goes on\n"
    );
}

/// Each kind of bad line, alone in a file, stops the run with file:line: field: reason.
#[test]
fn every_validation_error_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let good = r#"{"ts":"2026-10-05T09:00:00Z","model":"claude-sonnet-4-5","usage":{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"#;
    let cases = [
        (
            good.replace(r#""input_tokens":10"#, r#""input_tokens":1.5"#),
            "usage.input_tokens: must be a whole number, got 1.5",
        ),
        (
            good.replace("09:00:00Z", "09:00:00"),
            "ts: missing offset (add Z or ±HH:MM) in RFC 3339 timestamp \"2026-10-05T09:00:00\"",
        ),
        (
            good.replace("claude-sonnet-4-5", "claude-sonet-4-5"),
            "model: unknown model \"claude-sonet-4-5\"; closest known ids: claude-sonnet-4-5",
        ),
        (
            good.replace(r#","cache_read_input_tokens":0"#, ""),
            "usage.cache_read_input_tokens: required field is missing",
        ),
        (
            good.replace(r#""model""#, r#""service_tier":"flex","model""#),
            "service_tier: unknown variant `flex`, expected one of `standard`, `batch`, `priority`",
        ),
        (
            good.replace(
                r#""model""#,
                r#""speed":"fast","service_tier":"batch","model""#,
            ),
            "speed: fast mode is not available through the Batch API",
        ),
        (
            good.replace(
                r#""usage""#,
                r#""prompt":{"segments":[{"role":"user","hash":"x","tokens":9}]},"usage""#,
            ),
            "prompt.segments: segment tokens add up to 9, but usage says 10 input tokens",
        ),
        (
            good.replace(
                r#""usage""#,
                r#""prompt":{"segments":[{"role":"user","hash":"x","tokens":"ten"}]},"usage""#,
            ),
            "prompt.segments[0].tokens: must be a number, got the string \"ten\"",
        ),
        ("{\"ts\":".to_string(), "invalid JSON"),
    ];
    for (i, (line, want)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("case{i}.jsonl"));
        let mut f = std::fs::File::create(&path).unwrap();
        writeln!(f, "{good}\n\n{line}").unwrap();
        let err = fails(&["replay", "--corpus", path.to_str().unwrap()]);
        let prefix = format!("error: {}:3: {want}", path.display());
        assert!(
            err.starts_with(&prefix),
            "case {i}:\n got: {err}\nwant: {prefix}"
        );
    }
}

#[test]
fn quarantine_sets_bad_records_aside_and_the_counts_reconcile() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q.jsonl");
    let out = run(&[
        "replay",
        "--corpus",
        BAD,
        "--quarantine",
        q.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &r["corpus"];
    assert_eq!(
        (
            c["records_read"].as_u64(),
            c["priced"].as_u64(),
            c["quarantined"].as_u64()
        ),
        (Some(9), Some(2), Some(7))
    );
    assert_eq!(r["totals"]["requests"], 2);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("note: 7 of 9 records quarantined in"),
        "{stderr}"
    );
    let entries: Vec<Value> = std::fs::read_to_string(&q)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(u64, &str)> = entries
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, "usage.input_tokens"),
            (4, "ts"),
            (5, "model"),
            (6, "usage.cache_read_input_tokens"),
            (7, "prompt.segments"),
            (8, ""),
            (9, "speed")
        ]
    );
    for e in &entries {
        assert_eq!(e["file"], BAD);
        assert!(!e["reason"].as_str().unwrap().is_empty());
        assert!(
            !e["raw"].as_str().unwrap().is_empty(),
            "the raw line is kept"
        );
    }
    let by_field = &c["quarantined_by_field"];
    assert_eq!(
        by_field
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>(),
        7
    );
}

#[test]
fn the_reference_model_can_be_chosen() {
    let r = json(&[
        "replay",
        "--corpus",
        SMALL,
        "--reference-model",
        "claude-haiku-4-5-20251001",
    ]);
    assert_eq!(r["reference"]["model"], "claude-haiku-4-5");
    assert_eq!(r["reference"]["chosen_by"], "flag");
    let err = fails(&[
        "replay",
        "--corpus",
        SMALL,
        "--reference-model",
        "claude-haiku-9",
    ]);
    assert!(
        err.starts_with("error: --reference-model: unknown model \"claude-haiku-9\""),
        "{err}"
    );
}

#[test]
fn an_overlay_discount_applies_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let o = dir.path().join("contract.toml");
    std::fs::write(&o, "name = \"contract\"\n[[discount]]\npercent = \"10\"\n").unwrap();
    let base = json(&["replay", "--corpus", SMALL]);
    let disc = json(&["replay", "--corpus", SMALL, "--prices", o.to_str().unwrap()]);
    assert_eq!(disc["catalog"]["overlay"], "contract");
    for comp in [
        "input",
        "cache_write_5m",
        "cache_write_1h",
        "cache_read",
        "output",
    ] {
        let (b, d) = (
            pico(&base["totals"]["recorded"][comp]),
            pico(&disc["totals"]["recorded"][comp]),
        );
        assert_eq!(d * 10, b * 9, "{comp}: 10% off");
    }
    assert_eq!(
        disc["totals"]["recorded"]["web_search"], base["totals"]["recorded"]["web_search"],
        "fees are not discounted"
    );
}

#[test]
fn missing_and_unreadable_inputs_are_clear_errors() {
    let err = fails(&["replay", "--corpus", "corpora/no-such-file.jsonl"]);
    assert_eq!(
        err,
        "error: corpora/no-such-file.jsonl: cannot open: No such file or directory (os error 2)\n"
    );
    let err = fails(&["replay", "--corpus", "corpora"]);
    assert!(
        err.contains("corpora: cannot open: not a regular file"),
        "{err}"
    );
}

#[test]
fn output_goes_to_a_file_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.json");
    let stdout = ok(&[
        "replay",
        "--corpus",
        SMALL,
        "--format",
        "json",
        "--output",
        f.to_str().unwrap(),
    ]);
    assert!(stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        ok(&["replay", "--corpus", SMALL, "--format", "json"])
    );
}

/// Token sums pass 2^64 without wrapping: 40 calls at the per-record maximum (2^59 - 1 input and
/// output tokens each) total 40 x (2^59 - 1) of each, in every output, and the costs and the naive
/// reference are those sums at the prices. The same calls routed with the largest token ratio
/// (16) still count in 64 bits each, and their sums too.
#[test]
fn token_sums_beyond_64_bits_are_exact() {
    const MAX: u128 = (1 << 59) - 1;
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("big.jsonl");
    let mut f = std::fs::File::create(&corpus).unwrap();
    for i in 0..40 {
        writeln!(
            f,
            r#"{{"ts":"2026-10-01T00:00:{i:02}Z","model":"claude-opus-4-5","team":"big","usage":{{"input_tokens":{MAX},"output_tokens":{MAX},"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}"#
        )
        .unwrap();
    }
    drop(f);
    let scenario = dir.path().join("route.toml");
    std::fs::write(
        &scenario,
        "name = \"up\"\n[[route.rule]]\nto = \"claude-opus-5-5\"\n[[route.token_ratio]]\nfrom = \"claude-opus-4-5\"\nto = \"claude-opus-5-5\"\nratio = \"16\"\n",
    )
    .unwrap();
    let (corpus, scenario) = (corpus.to_str().unwrap(), scenario.to_str().unwrap());
    let sum = 40 * MAX;
    assert!(sum > u128::from(u64::MAX));
    // Opus 4.5: $5 in, $25 out, so 5,000,000 and 25,000,000 pico-USD a token.
    let usd = |pico: u128| {
        format!(
            "{}.{:012}",
            pico / 1_000_000_000_000,
            pico % 1_000_000_000_000
        )
    };
    let cost = usd(sum * 5_000_000 + sum * 25_000_000);
    let csv = ok(&[
        "replay",
        "--corpus",
        corpus,
        "--scenario",
        scenario,
        "--format",
        "csv",
    ]);
    let recorded = csv
        .lines()
        .find(|l| l.starts_with("recorded,"))
        .expect("a recorded row");
    assert_eq!(
        recorded,
        format!("recorded,big,unattributed,unattributed,claude-opus-4-5,40,0,{sum},0,0,0,{sum},0,{},0.000000000000,0.000000000000,0.000000000000,{},0.000000000000,{cost},{}",
            usd(sum * 5_000_000), usd(sum * 25_000_000),
            // The reference is the most expensive model in the corpus, Opus 4.5 itself.
            cost)
    );
    // Routed: every call's counts x 16 on Opus 5.5 ($4 in, $20 out).
    let routed = csv
        .lines()
        .find(|l| l.starts_with("up,"))
        .expect("a scenario row");
    let scaled = 16 * sum;
    assert!(
        routed.starts_with(&format!(
            "up,big,unattributed,unattributed,claude-opus-5-5,40,0,{scaled},0,0,0,{scaled},0,{},",
            usd(scaled * 4_000_000)
        )),
        "{routed}"
    );
    // The JSON report writes the sums as plain integers.
    let json = ok(&["replay", "--corpus", corpus, "--format", "json"]);
    assert!(json.contains(&format!("\"input\": {sum},")), "{json}");
}

/// Two calls of one prompt family at the two ends of the supported time range, 585 years apart:
/// more nanoseconds than an i64 holds. The `auto` policy's reuse gaps, its forgetting horizon and
/// the prefix report's gaps and span saturate instead of overflowing (which panicked in a debug
/// build and gave negative gaps in a release one).
#[test]
fn calls_at_both_ends_of_the_time_range_do_not_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("ends.jsonl");
    let mut f = std::fs::File::create(&corpus).unwrap();
    for ts in ["1677-09-21T00:12:44Z", "2262-04-11T23:47:16Z"] {
        writeln!(
            f,
            r#"{{"ts":"{ts}","model":"claude-sonnet-4-5","conversation_id":"c","usage":{{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":2000,"cache_read_input_tokens":0}},"prompt":{{"segments":[{{"role":"system","hash":"aaaaaaaaaaaaaaaa","tokens":2000,"cache_control":"5m"}},{{"role":"user","hash":"bbbbbbbbbbbbbbbb","tokens":10,"cache_control":null}}]}}}}"#
        )
        .unwrap();
    }
    drop(f);
    let corpus = corpus.to_str().unwrap();
    let auto = root().join("scenarios/cache-auto.toml");
    let csv = ok(&[
        "replay",
        "--corpus",
        corpus,
        "--scenario",
        auto.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert!(csv.contains("\ncache-auto,"), "{csv}");
    let prefixes = ok(&["prefixes", "--corpus", corpus, "--format", "json"]);
    assert!(!prefixes.contains("\"mean_gap_s\": -"), "{prefixes}");
}

/// `--threads` takes 1 to 1024 on every command that has it: 0 and a hundred thousand (whose
/// threads could not be created: a panic) are usage errors that say the range.
#[test]
fn thread_counts_out_of_range_are_usage_errors() {
    for command in [
        &["replay", "--corpus", SMALL][..],
        &["fidelity", "--corpus", SMALL],
        &["frontier", "--corpus", SMALL, "--to", "claude-haiku-5-5"],
        &["import", "claude-code", "corpora", "-o", "-"],
    ] {
        for n in ["0", "100000"] {
            let mut args = command.to_vec();
            args.extend(["--threads", n]);
            let err = fails(&args);
            assert!(
                err.contains(&format!(
                    "invalid value '{n}' for '--threads <N>': must be from 1 to 1024"
                )),
                "{args:?}: {err}"
            );
        }
    }
}
