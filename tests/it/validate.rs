//! `tokensim validate`: every bad line named, every line counted, nothing priced.

use serde_json::Value;

use crate::util::{ok, run};

#[test]
fn validate_names_every_bad_line_and_counts_the_rest() {
    let out = run(&[
        "validate",
        "--corpus",
        "corpora/small/small.jsonl",
        "corpora/small/bad.jsonl",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "invalid lines fail the check");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["schema"], "tokensim.validate/1");
    let n = |v: &Value| v.as_u64().unwrap();
    assert_eq!(n(&r["records"]), n(&r["valid"]) + n(&r["invalid"]));
    assert_eq!(n(&r["invalid"]), 5);
    let errors = r["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 5);
    assert_eq!(errors[0]["file"], "corpora/small/bad.jsonl");
    assert_eq!(errors[0]["line"], 3);
    assert_eq!(errors[0]["field"], "usage.input_tokens");
    // The misspelt model is valid corpus syntax but unknown to the catalog: a warning, not an
    // invalid line (replay rejects it when pricing).
    assert_eq!(r["unknown_models"], serde_json::json!(["claude-sonet-4-5"]));
    // The same lines through replay: quarantined = invalid + what only pricing can reject (the
    // unknown model, and fast mode through the Batch API, which has no price).
    let q = tempfile::NamedTempFile::new().unwrap();
    let rep: Value = serde_json::from_str(&ok(&[
        "replay",
        "--corpus",
        "corpora/small/small.jsonl",
        "corpora/small/bad.jsonl",
        "--quarantine",
        q.path().to_str().unwrap(),
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(rep["corpus"]["records_read"], r["records"]);
    assert_eq!(n(&rep["corpus"]["quarantined"]), n(&r["invalid"]) + 2);
}

#[test]
fn a_valid_corpus_passes() {
    let text = ok(&["validate", "--corpus", "corpora/demo.jsonl.zst"]);
    assert!(
        text.starts_with("tokensim validate: 45971 records = 45971 valid + 0 invalid, in 1 file"),
        "{text}"
    );
}
