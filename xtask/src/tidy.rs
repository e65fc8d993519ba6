//! Tidy checks, run as a test (`cargo test --workspace` runs them): the project's own rules that
//! no compiler or linter checks.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source tree") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n != "target" && n != "snapshots")
            {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<(PathBuf, String)> {
    let root = super::root();
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "tests"] {
        rust_files(&root.join(dir), &mut files);
    }
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("utf-8 source");
            (
                p.strip_prefix(&root).expect("under the root").to_path_buf(),
                text,
            )
        })
        .collect()
}

#[test]
fn every_rust_file_starts_with_a_doc_comment() {
    let bad: Vec<_> = sources()
        .into_iter()
        .filter(|(_, t)| !t.starts_with("//!"))
        .map(|(p, _)| p)
        .collect();
    assert!(
        bad.is_empty(),
        "files that do not start with a `//!` comment saying what they are for: {bad:?}"
    );
}

#[test]
fn pricing_has_no_floating_point() {
    let bad: Vec<_> = sources()
        .into_iter()
        .filter(|(p, t)| {
            p.starts_with("crates/tokensim-pricing/src") && (t.contains("f64") || t.contains("f32"))
        })
        .map(|(p, _)| p)
        .collect();
    assert!(
        bad.is_empty(),
        "money is integer arithmetic; floats found in {bad:?}"
    );
}

#[test]
fn only_the_cli_prints() {
    let bad: Vec<_> = sources()
        .into_iter()
        .filter(|(p, t)| {
            // Tests may print (gated benchmarks report their throughput).
            let test = p.file_name().is_some_and(|n| n == "tests.rs");
            let library = p.starts_with("crates") && !p.starts_with("crates/tokensim-cli") && !test;
            library && (t.contains("println!") || t.contains("eprintln!"))
        })
        .map(|(p, _)| p)
        .collect();
    assert!(
        bad.is_empty(),
        "library crates return data; printing belongs to the CLI: {bad:?}"
    );
}

#[test]
fn only_the_engine_knows_rayon() {
    let bad: Vec<_> = sources()
        .into_iter()
        .filter(|(p, t)| {
            p.starts_with("crates")
                && !p.starts_with("crates/tokensim-engine")
                && t.contains("rayon")
        })
        .map(|(p, _)| p)
        .collect();
    assert!(bad.is_empty(), "parallelism lives in the engine: {bad:?}");
}
