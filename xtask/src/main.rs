//! `cargo xtask <task>`: project automation that is not part of the product.
//!
//! - `demo`: regenerate `corpora/demo.jsonl.zst` with `tokensim gen`'s defaults. The output is
//!   byte-identical on every run; a test (`the_committed_demo_corpus_is_what_the_generator_writes`)
//!   fails when the committed file is stale.
//! - `bench`: time tokensim (baseline replay, five scenarios in one pass) and DuckDB on a
//!   generated corpus of 2 million records, check that both price it the same, and write
//!   `reports/bench.md` (`bench.rs`); with it, the Claude Code importer against ccusage on 1 million
//!   generated log lines (`bench/claude_code.rs`; `bench claude-code` runs only that part).
//! - `reports [--check]`: write the golden reports of the demo corpus in every format to
//!   `reports/demo/`, or check that the committed ones are up to date (`reports.rs`).
//! - `pgo`: build the release binary with profile-guided optimization, trained on a generated
//!   corpus and the demo corpus, as `target/pgo/tokensim` (`pgo.rs`); the benchmark times it.
//! - `fuzz [--seconds N] [TARGET...]`: run the importers' fuzz targets (`fuzz/`) for a bounded
//!   time each; fails on any panic (`fuzz.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

mod bench;
mod fuzz;
mod pgo;
mod reports;
#[cfg(test)]
mod tidy;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed: {status}");
    }
    Ok(())
}

/// The demo corpus: `tokensim gen` with its defaults (seed 7, 30 days from 2026-10-01, 1,500
/// requests a day), zstd-compressed.
fn demo() -> Result<()> {
    let root = root();
    run(cargo().current_dir(&root).args([
        "run",
        "--release",
        "--quiet",
        "--package",
        "tokensim-cli",
        "--",
        "gen",
        "-o",
        "corpora/demo.jsonl.zst",
    ]))?;
    println!("wrote {}", root.join("corpora/demo.jsonl.zst").display());
    Ok(())
}

fn main() -> Result<()> {
    let task = std::env::args().nth(1);
    match task.as_deref() {
        Some("demo") => demo(),
        Some("bench") if std::env::args().nth(2).as_deref() == Some("claude-code") => {
            bench::bench_claude_code()
        }
        Some("bench") => bench::bench(),
        Some("reports") => reports::reports(std::env::args().nth(2).as_deref() == Some("--check")),
        Some("pgo") => pgo::pgo(),
        Some("fuzz") => fuzz::fuzz(&std::env::args().skip(2).collect::<Vec<_>>()),
        _ => bail!("usage: cargo xtask <task>\n\ntasks:\n  demo    regenerate corpora/demo.jsonl.zst (byte-identical)\n  bench   benchmark tokensim against DuckDB and ccusage, write reports/bench.md\n  bench claude-code  only the Claude Code import against ccusage, printed\n  reports [--check]  write (or check) the golden reports in reports/demo/\n  pgo     build target/pgo/tokensim with profile-guided optimization (the build the bench times)\n  fuzz [--seconds N] [TARGET...]  fuzz every importer for N seconds each (default 60; needs nightly)"),
    }
}
