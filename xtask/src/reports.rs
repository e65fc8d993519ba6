//! `cargo xtask reports`: the golden reports of the demo corpus under the shipped scenarios, in
//! every format, in `reports/demo/`. `--check` regenerates them into `target/` and fails when
//! any differs from the committed copy (CI runs it), naming the files.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{cargo, root, run};

const DIR: &str = "reports/demo";
pub(crate) const DEMO: &str = "corpora/demo.jsonl.zst";

/// The shipped scenarios, sorted by file name.
pub(crate) fn scenarios(root: &Path) -> Result<Vec<String>> {
    let mut v: Vec<String> = std::fs::read_dir(root.join("scenarios"))
        .context("cannot list scenarios/")?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    v.retain(|n| n.ends_with(".toml"));
    v.sort();
    Ok(v.into_iter().map(|n| format!("scenarios/{n}")).collect())
}

/// (output file, tokensim arguments) for every golden report.
fn outputs(root: &Path) -> Result<Vec<(&'static str, Vec<String>)>> {
    let s = scenarios(root)?;
    let replay = |format: &str| {
        let mut a: Vec<String> = [
            "replay",
            "--corpus",
            DEMO,
            "--no-progress",
            "--format",
            format,
        ]
        .map(String::from)
        .to_vec();
        a.push("--scenario".into());
        a.extend(s.iter().cloned());
        a
    };
    let args = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    Ok(vec![
        ("replay.txt", replay("table")),
        ("replay.md", replay("md")),
        ("replay.json", replay("json")),
        ("replay.csv", replay("csv")),
        ("replay.html", replay("html")),
        (
            "frontier.md",
            args(&[
                "frontier",
                "--corpus",
                DEMO,
                "--to",
                "claude-haiku-5-5",
                "--format",
                "md",
            ]),
        ),
        (
            "frontier.json",
            args(&[
                "frontier",
                "--corpus",
                DEMO,
                "--to",
                "claude-haiku-5-5",
                "--format",
                "json",
            ]),
        ),
        (
            "prefixes.md",
            args(&["prefixes", "--corpus", DEMO, "--format", "md"]),
        ),
        (
            "diff.md",
            args(&[
                "diff",
                "--corpus",
                DEMO,
                "--before",
                "recorded",
                "--after",
                "scenarios/all-levers.toml",
                "--format",
                "md",
            ]),
        ),
    ])
}

fn generate(root: &Path, tokensim: &Path, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (file, args) in outputs(root)? {
        let out = Command::new(tokensim)
            .current_dir(root)
            .args(args.iter().map(OsString::from))
            .output()
            .with_context(|| format!("cannot run tokensim for {file}"))?;
        if !out.status.success() {
            bail!(
                "tokensim {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::fs::write(dir.join(file), &out.stdout)
            .with_context(|| format!("cannot write {file}"))?;
    }
    Ok(())
}

/// Regenerates `reports/demo/`, or with `check` compares a fresh copy with it.
pub fn reports(check: bool) -> Result<()> {
    let root = root();
    run(cargo().current_dir(&root).args([
        "build",
        "--release",
        "--locked",
        "--quiet",
        "-p",
        "tokensim-cli",
    ]))?;
    let tokensim = root.join("target/release/tokensim");
    if !check {
        generate(&root, &tokensim, &root.join(DIR))?;
        println!("wrote {}", root.join(DIR).display());
        return Ok(());
    }
    let fresh: PathBuf = root.join("target/reports-check");
    let _ = std::fs::remove_dir_all(&fresh);
    generate(&root, &tokensim, &fresh)?;
    let mut stale = Vec::new();
    for (file, _) in outputs(&root)? {
        let committed = std::fs::read(root.join(DIR).join(file)).unwrap_or_default();
        let now = std::fs::read(fresh.join(file))?;
        if committed != now {
            stale.push(file);
        }
    }
    if !stale.is_empty() {
        bail!(
            "{DIR} is stale: {} differ from what tokensim writes now (fresh copies in {}). Run `cargo xtask reports` and commit the result if the change is intended.",
            stale.join(", "),
            fresh.display()
        );
    }
    println!("{DIR}: every golden report is up to date");
    Ok(())
}
