//! `tokensim import FORMAT` end to end: each importer's output replays, and its summary line
//! reconciles.

use crate::util::{fails, ok, pico, run};

/// Runs an import that must succeed; returns stderr (the summary).
fn import(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "tokensim {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr).unwrap()
}

fn replay_json(corpus: &str) -> serde_json::Value {
    serde_json::from_str(&ok(&["replay", "--corpus", corpus, "--format", "json"])).unwrap()
}

#[test]
fn admin_usage_buckets_replay_at_their_billed_price_and_the_report_says_they_are_aggregates() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("usage.json");
    std::fs::write(
        &page,
        r#"{"data": [{"starting_at": "2026-08-01T00:00:00Z", "ending_at": "2026-08-02T00:00:00Z",
            "results": [
              {"model": "claude-sonnet-4-5", "workspace_id": "wrkspc_A", "api_key_id": "k1",
               "context_window": "0-200k", "uncached_input_tokens": 250000,
               "cache_read_input_tokens": 1000000,
               "cache_creation": {"ephemeral_5m_input_tokens": 20000, "ephemeral_1h_input_tokens": 0},
               "output_tokens": 30000},
              {"model": null, "uncached_input_tokens": 5},
              {"model": "claude-opus-4-6", "workspace_id": null, "service_tier": "batch",
               "context_window": "200k-1M", "uncached_input_tokens": 450000, "output_tokens": 1000}
            ]}], "has_more": false, "next_page": null}"#,
    )
    .unwrap();
    let corpus = dir.path().join("usage.jsonl");
    let stderr = import(&[
        "import",
        "admin-usage",
        page.to_str().unwrap(),
        "-o",
        corpus.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains(
            "1 file(s), 1 page(s), 1 bucket(s): 3 results read = 2 written (as 14 records) + 1 \
             skipped; 0 adjusted; no-model: 1"
        ),
        "{stderr}"
    );
    let r = replay_json(corpus.to_str().unwrap());
    assert_eq!(r["corpus"]["aggregated"], 14);
    // Sonnet 4.5 in its base band: 250,000 x $3 + 1M x $0.30 + 20,000 x $3.75 + 30,000 x $15
    // per MTok = $1.575 (as one record, its 1.27M input tokens would be priced in the long-context
    // band). Opus 4.6 has no long-context band after 2026-03-13; batch: (450,000 x $5 + 1,000 x
    // $25) / 2 per MTok = $1.1375.
    assert_eq!(pico(&r["totals"]["recorded"]["total"]), 2_712_500_000_000);
    let text = ok(&["replay", "--corpus", corpus.to_str().unwrap()]);
    assert!(
        text.contains("14 aggregated records (summed requests"),
        "{text}"
    );

    let err = fails(&["import", "admin-usage", "no-such.json", "-o", "-"]);
    assert!(err.contains("cannot open no-such.json"), "{err}");
}

#[test]
fn anthropic_logs_import_with_keyed_fingerprints_and_replay() {
    let dir = tempfile::tempdir().unwrap();
    let log = "crates/tokensim-import/tests/data/anthropic/llm-anthropic-cassettes.jsonl";
    let (salt_a, salt_b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::write(&salt_a, b"first salt").unwrap();
    std::fs::write(&salt_b, b"second salt").unwrap();
    let (out_a, out_b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    for (salt, out) in [(&salt_a, &out_a), (&salt_b, &out_b)] {
        let stderr = import(&[
            "import",
            "anthropic",
            log,
            "--salt-file",
            salt.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(
            stderr.contains("26 lines read = 26 records written + 0 skipped + 0 blank"),
            "{stderr}"
        );
    }
    let r = replay_json(out_a.to_str().unwrap());
    assert_eq!(r["corpus"]["priced"], 26);
    assert_eq!(r["totals"]["tokens"]["output"], 2023);
    // Another salt gives other fingerprints for the same prompts, and the same usage.
    let (a, b) = (
        std::fs::read_to_string(&out_a).unwrap(),
        std::fs::read_to_string(&out_b).unwrap(),
    );
    assert_ne!(a, b);
    assert_eq!(replay_json(out_b.to_str().unwrap())["totals"], r["totals"]);
    // No prompt text reaches the corpus.
    assert!(!a.contains("pelican"), "prompt text leaked");

    let err = fails(&["import", "anthropic", log, "-o", "-"]);
    assert!(err.contains("--salt-file"), "{err}");
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    let err = fails(&[
        "import",
        "anthropic",
        log,
        "--salt-file",
        empty.to_str().unwrap(),
        "-o",
        "-",
    ]);
    assert!(err.contains("salt"), "{err}");
}

#[test]
fn several_trace_files_become_one_corpus_with_one_header() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("azure.jsonl");
    let stderr = import(&[
        "import",
        "azure",
        "crates/tokensim-import/tests/data/azure/AzureLLMInferenceTrace_code_head200.csv",
        "crates/tokensim-import/tests/data/azure/AzureLLMInferenceTrace_conv_head200.csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("2 files: 402 lines read = 400 records written + 2 skipped + 0 blank"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.matches("\"schema\"").count(), 1);
    let r = replay_json(out.to_str().unwrap());
    assert_eq!(r["corpus"]["priced"], 400);
    let apps: Vec<&str> = r["by_workload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["app"].as_str().unwrap())
        .collect();
    assert!(apps.contains(&"code") && apps.contains(&"conv"), "{apps:?}");
}

#[test]
fn burstgpt_maps_models_by_an_overridable_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let csv = "crates/tokensim-import/tests/data/burstgpt/BurstGPT_head42_from_hf_viewer.csv";
    let stderr = import(&[
        "import",
        "burstgpt",
        csv,
        "--map-model",
        "GPT-4=claude-opus-4-5",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("43 lines read = 38 records written + 5 skipped + 0 blank; 0 adjusted; failed-request: 4; header: 1"),
        "{stderr}"
    );
    let r = replay_json(out.to_str().unwrap());
    let models: Vec<&str> = r["by_model"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(models.len(), 2);
    assert!(
        models.contains(&"claude-opus-4-5") && models.contains(&"claude-haiku-4-5"),
        "{models:?}"
    );
    let err = fails(&["import", "burstgpt", csv, "--map-model", "GPT-4", "-o", "-"]);
    assert!(err.contains("map-model"), "{err}");
}

#[test]
fn litellm_skips_other_models_unless_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("l.jsonl");
    let logs = [
        "crates/tokensim-import/tests/data/litellm/spend-logs/spend_logs_payload.json",
        "crates/tokensim-import/tests/data/litellm/standard-logging-payload/captured_kwargs.json",
    ];
    let mut args = vec!["import", "litellm"];
    args.extend(logs);
    args.extend(["-o", out.to_str().unwrap()]);
    let stderr = import(&args);
    assert!(
        stderr.contains("1 rows read = 0 records written + 1 skipped; 0 adjusted; 0 naive timestamps read at Z; not-claude: 1"),
        "{stderr}"
    );
    assert_eq!(replay_json(out.to_str().unwrap())["corpus"]["priced"], 1);
    args.extend(["--map-model", "gpt-4o=claude-haiku-4-5"]);
    import(&args);
    let r = replay_json(out.to_str().unwrap());
    assert_eq!(r["corpus"]["priced"], 2);
    let err = fails(&[
        "import",
        "litellm",
        logs[0],
        "--map-model",
        "gpt-4o=gpt-5",
        "-o",
        "-",
    ]);
    assert!(err.contains("unknown model \"gpt-5\""), "{err}");
    let err = fails(&[
        "import",
        "litellm",
        logs[0],
        "--naive-offset",
        "2h",
        "-o",
        "-",
    ]);
    assert!(err.contains("--naive-offset"), "{err}");
}

#[test]
fn otel_spans_and_claude_code_events_import_and_replay() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o.jsonl");
    let stderr = import(&[
        "import",
        "otel",
        "crates/tokensim-import/tests/data/otel/genai-spans.jsonl",
        "crates/tokensim-import/tests/data/otel/claude-code-logs.jsonl",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("9 spans + 0 log records = 5 records written + 4 skipped"),
        "{stderr}"
    );
    assert!(
        stderr.contains("0 spans + 5 log records = 2 records written + 3 skipped"),
        "{stderr}"
    );
    assert_eq!(replay_json(out.to_str().unwrap())["corpus"]["priced"], 7);
}

#[test]
fn claude_code_prompts_rebuilt_from_transcripts_replay_as_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let salt = dir.path().join("salt");
    std::fs::write(&salt, b"a salt for the test").unwrap();
    let out = dir.path().join("cc.jsonl");
    let stderr = import(&[
        "import",
        "claude-code",
        "crates/tokensim-import/tests/data/claude-code/projects",
        "--salt-file",
        salt.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(stderr.contains("prompt segments: 199 records"), "{stderr}");
    let c = out.to_str().unwrap();
    // The simulator against the log (docs/fidelity.md): these figures may only go up.
    let f: serde_json::Value =
        serde_json::from_str(&ok(&["fidelity", "--corpus", c, "--format", "json"])).unwrap();
    let t = &f["totals"];
    assert_eq!(t["compared"], 199);
    assert!(t["exact"].as_u64().unwrap() >= 195, "{t}");
    assert!(t["tokens_misassigned"].as_u64().unwrap() <= 50_316, "{t}");
    // auto places its history breakpoint before the uncached suffix that ends every turn, so it
    // reads what Claude Code reads: within 10% of the recorded cost, not twice it.
    let r: serde_json::Value = serde_json::from_str(&ok(&[
        "replay",
        "--corpus",
        c,
        "--scenario",
        "scenarios/cache-auto.toml",
        "--format",
        "json",
        "--no-attribution",
    ]))
    .unwrap();
    let recorded = pico(&r["totals"]["recorded"]["total"]);
    let auto = pico(&r["scenarios"][0]["totals"]["cost"]["total"]);
    assert!(
        auto * 10 <= recorded * 11,
        "auto {auto} against recorded {recorded}"
    );
    // Without a salt, usage only.
    let plain = dir.path().join("plain.jsonl");
    let stderr = import(&[
        "import",
        "claude-code",
        "crates/tokensim-import/tests/data/claude-code/projects",
        "-o",
        plain.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("no --salt-file: writing usage only"),
        "{stderr}"
    );
    assert!(!std::fs::read_to_string(&plain)
        .unwrap()
        .contains("segments"));
}

/// An input that starts with a UTF-8 byte order mark (as Windows tools save text) imports
/// exactly as the same input without it: a CSV trace, JSON lines and a JSON document.
#[test]
fn a_byte_order_mark_before_an_import_input_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    for (format, input) in [
        (
            "azure",
            "crates/tokensim-import/tests/data/azure/AzureLLMInferenceTrace_code_head200.csv",
        ),
        (
            "otel",
            "crates/tokensim-import/tests/data/otel/genai-spans.jsonl",
        ),
        (
            "litellm",
            "crates/tokensim-import/tests/data/litellm/spend-logs/spend_logs_payload.json",
        ),
    ] {
        // The same name in another folder: importers name records after their file.
        let text = std::fs::read(crate::util::root().join(input)).unwrap();
        let folder = dir.path().join(format);
        std::fs::create_dir(&folder).unwrap();
        let marked = folder.join(std::path::Path::new(input).file_name().unwrap());
        std::fs::write(&marked, [b"\xef\xbb\xbf".as_slice(), &text].concat()).unwrap();
        let (plain_out, marked_out) = (
            dir.path().join(format!("{format}-plain.jsonl")),
            dir.path().join(format!("{format}-marked.jsonl")),
        );
        import(&["import", format, input, "-o", plain_out.to_str().unwrap()]);
        import(&[
            "import",
            format,
            marked.to_str().unwrap(),
            "-o",
            marked_out.to_str().unwrap(),
        ]);
        assert_eq!(
            std::fs::read_to_string(&plain_out).unwrap(),
            std::fs::read_to_string(&marked_out).unwrap(),
            "{format}"
        );
    }
}
