//! `cargo xtask pgo`: the release binary built with profile-guided optimization (PGO).
//!
//! The same source and release profile as `cargo build --release`, compiled twice:
//!
//! 1. instrumented (`-Cprofile-generate`), into `target/pgo/gen`;
//! 2. run on a training workload ([`training`]): corpora `tokensim gen` writes with other seeds
//!    than the benchmark's (`--seed 2`, three days at 70,000 requests a day, plain; `--seed 3`,
//!    one day, zstd), replayed as recorded, with the benchmark's five scenarios ([`FIVE`]) and
//!    with every shipped scenario (lever attribution on); then every other command once on the
//!    bundled demo corpus, and the Claude Code importer on its committed test sessions;
//! 3. the profiles merged with `llvm-profdata` (rustup's `llvm-tools` component, installed here
//!    if missing) and the binary rebuilt with `-Cprofile-use`, into `target/pgo/use`; it is
//!    copied to `target/pgo/tokensim`.
//!
//! The build targets the host triple explicitly, so that `RUSTFLAGS` reach the binary's crates
//! and not the build scripts and proc macros. PGO changes how the code is laid out and inlined,
//! never what it computes: the benchmark checks that its reports are byte-identical to the plain
//! build's.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::bench::FIVE;
use crate::reports::{scenarios, DEMO};
use crate::{cargo, root, run};

/// Everything PGO writes, under the workspace root.
const DIR: &str = "target/pgo";

/// `cargo xtask pgo`: builds `target/pgo/tokensim` and says where it is.
pub fn pgo() -> Result<()> {
    let built = build(&root())?;
    println!(
        "pgo: wrote {} (trained on {} and {} generated records)",
        built.bin.display(),
        built.records.0,
        built.records.1
    );
    Ok(())
}

/// The profile-guided binary.
pub struct Built {
    /// `target/pgo/tokensim`.
    pub bin: PathBuf,
    /// Records in the plain and the zstd training corpus, as their replays read them.
    pub records: (u64, u64),
}

/// Builds the profile-guided binary.
pub fn build(root: &Path) -> Result<Built> {
    let host = host()?;
    let profdata = llvm_profdata(&host)?;
    let dir = root.join(DIR);
    let profiles = dir.join("profiles");
    let train = dir.join("train");
    for d in [&profiles, &train] {
        if d.exists() {
            std::fs::remove_dir_all(d).with_context(|| format!("cannot clear {}", d.display()))?;
        }
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }

    println!("pgo: building the instrumented binary (target/pgo/gen)");
    let instrumented = build_with(
        root,
        &host,
        "gen",
        &format!("-Cprofile-generate={}", profiles.display()),
    )?;

    println!("pgo: training");
    for (what, args) in training(root, &train)? {
        println!("pgo:   {what}");
        let out = Command::new(&instrumented)
            .current_dir(root)
            .args(&args)
            .output()
            .with_context(|| format!("cannot run {}", instrumented.display()))?;
        if !out.status.success() {
            bail!(
                "training run failed ({}): tokensim {}\n{}",
                out.status,
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    let merged = dir.join("tokensim.profdata");
    println!("pgo: merging the profiles into {}", merged.display());
    run(Command::new(&profdata)
        .arg("merge")
        .arg("-o")
        .arg(&merged)
        .arg(&profiles))
    .context("cannot merge the training profiles")?;

    println!("pgo: building the optimized binary (target/pgo/use)");
    let built = build_with(
        root,
        &host,
        "use",
        &format!("-Cprofile-use={}", merged.display()),
    )?;
    let bin = dir.join("tokensim");
    std::fs::copy(&built, &bin)
        .with_context(|| format!("cannot copy {} to {}", built.display(), bin.display()))?;
    let records = |report: &str| -> Result<u64> {
        let path = train.join(report);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str::<serde_json::Value>(&text)?
            .pointer("/corpus/records_read")
            .and_then(serde_json::Value::as_u64)
            .with_context(|| format!("{}: no /corpus/records_read", path.display()))
    };
    Ok(Built {
        bin,
        records: (records(TRAIN_PLAIN_REPORT)?, records(TRAIN_ZST_REPORT)?),
    })
}

/// The training replays of the two generated corpora, as recorded.
const TRAIN_PLAIN_REPORT: &str = "baseline.json";
const TRAIN_ZST_REPORT: &str = "zst.json";

/// The training runs, each the arguments of one `tokensim` command run from the workspace root.
fn training(root: &Path, train: &Path) -> Result<Vec<(&'static str, Vec<String>)>> {
    let t = |name: &str| train.join(name).display().to_string();
    let (plain, zst, cc) = (t("train.jsonl"), t("train.jsonl.zst"), t("cc.jsonl"));
    let demo = DEMO.to_owned();
    let shipped = scenarios(root)?;
    let shipped: Vec<&str> = shipped.iter().map(String::as_str).collect();
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
    let replay = |corpus: &str, out: &str, extra: Vec<String>| {
        let mut a = args(&["replay", "--corpus", corpus, "--no-progress"]);
        a.extend(args(&["--format", "json", "-o", &t(out)]));
        a.extend(extra);
        a
    };
    let with_scenarios = |files: &[&str], no_attribution: bool| -> Vec<String> {
        let mut a = args(&["--scenario"]);
        a.extend(args(files));
        if no_attribution {
            a.push("--no-attribution".to_owned());
        }
        a
    };
    let gen = |seed: &str, days: &str, out: &str| {
        args(&[
            "gen",
            "--seed",
            seed,
            "--days",
            days,
            "--requests-per-day",
            "70000",
            "--start",
            "2026-10-01",
            "-o",
            out,
        ])
    };
    Ok(vec![
        ("gen: 3 days, plain", gen("2", "3", &plain)),
        ("gen: 1 day, zstd", gen("3", "1", &zst)),
        (
            "replay: as recorded",
            replay(&plain, TRAIN_PLAIN_REPORT, Vec::new()),
        ),
        (
            "replay: as recorded, zstd",
            replay(&zst, TRAIN_ZST_REPORT, Vec::new()),
        ),
        (
            "replay: the benchmark's five scenarios",
            replay(&plain, "five.json", with_scenarios(&FIVE, true)),
        ),
        (
            "replay: every shipped scenario, with attribution",
            replay(&plain, "shipped.json", with_scenarios(&shipped, false)),
        ),
        (
            "replay: demo corpus, terminal tables",
            args(&[
                "replay",
                "--corpus",
                &demo,
                "--no-progress",
                "-o",
                &t("demo.txt"),
            ]),
        ),
        (
            "replay: demo corpus, HTML",
            args(&[
                "replay",
                "--corpus",
                &demo,
                "--scenario",
                "scenarios/all-levers.toml",
                "--format",
                "html",
                "--no-progress",
                "-o",
                &t("demo.html"),
            ]),
        ),
        ("prefixes", args(&["prefixes", "--corpus", &demo])),
        ("fidelity", args(&["fidelity", "--corpus", &demo])),
        ("validate", args(&["validate", "--corpus", &demo])),
        (
            "frontier",
            args(&["frontier", "--corpus", &demo, "--to", "claude-haiku-4-5"]),
        ),
        (
            "diff",
            args(&[
                "diff",
                "--corpus",
                &demo,
                "--before",
                "recorded",
                "--after",
                "scenarios/cache-auto.toml",
            ]),
        ),
        (
            "allocate",
            args(&["allocate", "--corpus", &demo, "--by", "team"]),
        ),
        (
            "forecast",
            args(&[
                "forecast",
                "--corpus",
                &demo,
                "--scenario",
                "scenarios/all-levers.toml",
            ]),
        ),
        (
            "import claude-code: the committed test sessions",
            args(&[
                "import",
                "claude-code",
                "crates/tokensim-import/tests/data/claude-code/projects",
                "-o",
                &cc,
            ]),
        ),
        (
            "replay: the imported sessions",
            replay(&cc, "cc.json", Vec::new()),
        ),
    ])
}

/// `cargo build --release -p tokensim-cli` for the host triple into `target/pgo/<name>`, with
/// `flag` added to the caller's `RUSTFLAGS`; the binary's path.
fn build_with(root: &Path, host: &str, name: &str, flag: &str) -> Result<PathBuf> {
    let target_dir = root.join(DIR).join(name);
    let flags = match std::env::var("RUSTFLAGS") {
        Ok(f) if !f.trim().is_empty() => format!("{f} {flag}"),
        _ => flag.to_owned(),
    };
    run(cargo()
        .current_dir(root)
        .env("RUSTFLAGS", flags)
        .args([
            "build",
            "--release",
            "--locked",
            "--package",
            "tokensim-cli",
        ])
        .args(["--target", host])
        .arg("--target-dir")
        .arg(&target_dir))
    .with_context(|| format!("cannot build the {name} binary"))?;
    Ok(target_dir.join(host).join("release/tokensim"))
}

/// The host triple, from `rustc -vV`.
fn host() -> Result<String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("cannot run rustc -vV")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .context("rustc -vV printed no host line")
}

/// `llvm-profdata` from rustup's `llvm-tools` component (it must read the profiles of the
/// toolchain's own LLVM version), installing the component when it is missing.
fn llvm_profdata(host: &str) -> Result<PathBuf> {
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .context("cannot run rustc --print sysroot")?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let path = sysroot
        .join("lib/rustlib")
        .join(host)
        .join("bin/llvm-profdata");
    if !path.exists() {
        println!("pgo: installing rustup's llvm-tools component (for llvm-profdata)");
        let installed = Command::new("rustup")
            .args(["component", "add", "llvm-tools"])
            .status()
            .is_ok_and(|s| s.success());
        if !installed || !path.exists() {
            bail!(
                "PGO needs llvm-profdata from rustup's llvm-tools component, and {} is missing \
                 (`rustup component add llvm-tools` did not provide it)",
                path.display()
            );
        }
    }
    Ok(path)
}
