//! `tokensim gen` and the committed demo corpus.

use std::io::Read;

use crate::util::{ok, root, run};

#[test]
fn same_seed_same_bytes_and_the_output_replays() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.jsonl");
    let b = dir.path().join("b.jsonl.zst");
    let args = |p: &std::path::Path| {
        vec![
            "gen".to_string(),
            "--seed".into(),
            "3".into(),
            "--days".into(),
            "2".into(),
            "--requests-per-day".into(),
            "300".into(),
            "-o".into(),
            p.display().to_string(),
        ]
    };
    let run_args = |p| {
        let v = args(p);
        let out = run(&v.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run_args(&a);
    run_args(&b);
    let plain = std::fs::read(&a).unwrap();
    let mut unz = Vec::new();
    zstd::Decoder::new(std::fs::File::open(&b).unwrap())
        .unwrap()
        .read_to_end(&mut unz)
        .unwrap();
    assert_eq!(plain, unz, "same seed, same bytes, compressed or not");
    let report = ok(&[
        "replay",
        "--corpus",
        a.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let r: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(r["corpus"]["quarantined"], 0);
    assert!(r["corpus"]["priced"].as_u64().unwrap() > 400);
}

/// `cargo xtask demo` writes `corpora/demo.jsonl.zst` with `tokensim gen`'s defaults: the
/// committed file must be exactly what the generator produces today.
#[test]
fn the_committed_demo_corpus_is_what_the_generator_writes() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("demo.jsonl");
    let out = run(&["gen", "-o", fresh.to_str().unwrap()]);
    assert!(out.status.success());
    let mut committed = Vec::new();
    zstd::Decoder::new(std::fs::File::open(root().join("corpora/demo.jsonl.zst")).unwrap())
        .unwrap()
        .read_to_end(&mut committed)
        .unwrap();
    let fresh = std::fs::read(&fresh).unwrap();
    assert!(
        fresh == committed,
        "corpora/demo.jsonl.zst is stale: run `cargo xtask demo` and commit it"
    );
}

#[test]
fn mooncake_traces_import_into_a_corpus_that_replays() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mc.jsonl.zst");
    let run_out = run(&[
        "import",
        "mooncake",
        "corpora/mooncake/synthetic_trace.jsonl",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        run_out.status.success(),
        "{}",
        String::from_utf8_lossy(&run_out.stderr)
    );
    let stderr = String::from_utf8_lossy(&run_out.stderr);
    assert!(
        stderr.contains("3993 lines read = 3993 records written + 0 skipped + 0 blank"),
        "{stderr}"
    );
    let r: serde_json::Value = serde_json::from_str(&ok(&[
        "replay",
        "--corpus",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(r["corpus"]["priced"], 3993);
    assert_eq!(
        r["totals"]["tokens"]["input"], 61_194_628u64,
        "every input token of the trace"
    );
    let bad = run(&[
        "import",
        "mooncake",
        "corpora/mooncake/synthetic_trace.jsonl",
        "-o",
        "-",
        "--model",
        "gpt-4",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--model: unknown model \"gpt-4\""));
}
