//! `cargo xtask fuzz [--seconds N] [TARGET...]`: runs every importer's fuzz target and the corpus
//! line parser's (`fuzz/`, the cargo-fuzz layout) for a bounded time each, and fails if any input
//! made one panic.
//!
//! It needs the nightly toolchain (`rustup toolchain install nightly`) and cargo-fuzz, which it
//! installs with `cargo install cargo-fuzz --locked` when missing. Each target starts from the
//! committed seeds in `fuzz/corpus/<target>/seed-*` (real samples and hand-written edge cases)
//! and keeps what it finds there between runs (git ignores everything but the seeds). A crash
//! leaves its input in `fuzz/artifacts/<target>/`; reproduce it with
//! `cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>` from the workspace root.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{root, run};

/// The fuzz targets in `fuzz/Cargo.toml`: one per importer, and `corpus` (one corpus line through
/// the reader's parser, its fast path checked against serde's).
pub const TARGETS: &[&str] = &[
    "admin_usage",
    "anthropic",
    "azure",
    "burstgpt",
    "claude_code",
    "corpus",
    "litellm",
    "mooncake",
    "otel",
];

/// Seconds per target when `--seconds` is not given.
const DEFAULT_SECONDS: u64 = 60;

pub fn fuzz(args: &[String]) -> Result<()> {
    let mut seconds = DEFAULT_SECONDS;
    let mut targets: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                let v = it.next().context("--seconds needs a number")?;
                seconds = v
                    .parse()
                    .with_context(|| format!("--seconds: {v:?} is not a whole number"))?;
            }
            t if TARGETS.contains(&t) => targets.push(t.to_owned()),
            other => bail!(
                "unknown fuzz target or option {other:?}; targets: {}; option: --seconds N",
                TARGETS.join(", ")
            ),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.iter().map(|t| (*t).to_owned()).collect();
    }
    let has_fuzz = Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_fuzz {
        eprintln!("cargo-fuzz is missing: installing it (cargo install cargo-fuzz --locked)");
        run(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    }
    let root = root();
    let mut failed = Vec::new();
    for target in &targets {
        eprintln!("fuzzing {target} for {seconds} s");
        let corpus = root.join("fuzz/corpus").join(target);
        std::fs::create_dir_all(&corpus)?;
        let status = Command::new("cargo")
            .current_dir(&root)
            .args(["+nightly", "fuzz", "run", target])
            .arg(&corpus)
            .args([
                "--",
                &format!("-max_total_time={seconds}"),
                "-max_len=65536",
                "-print_final_stats=1",
            ])
            .status()
            .with_context(|| format!("cannot run cargo +nightly fuzz run {target}"))?;
        if !status.success() {
            failed.push(target.clone());
        }
    }
    if !failed.is_empty() {
        bail!(
            "fuzz targets found a crash: {} (inputs in fuzz/artifacts/<target>/)",
            failed.join(", ")
        );
    }
    eprintln!("no crash in {} target(s), {seconds} s each", targets.len());
    Ok(())
}
