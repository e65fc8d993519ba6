//! `cargo xtask pgo`: the release binary built with profile-guided optimization (PGO).
//!
//! The same source and release profile as `cargo build --release`, compiled twice:
//!
//! 1. instrumented (`-Cprofile-generate`), into `target/pgo/gen`;
//! 2. run on a training workload ([`training`]): a corpus of about 210,000 records that
//!    `tokensim gen` writes with other seeds than the benchmark's (`--seed 2` plain, `--seed 3`
//!    zstd), replayed as recorded, with the benchmark's five scenarios and with every shipped
//!    scenario (lever attribution on); then every other command once on the bundled demo corpus,
//!    and the Claude Code importer on its committed test sessions;
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

use crate::{cargo, root, run};

/// Everything PGO writes, under the workspace root.
const DIR: &str = "target/pgo";

/// `cargo xtask pgo`: builds `target/pgo/tokensim` and says where it is.
pub fn pgo() -> Result<()> {
    let bin = build(&root())?;
    println!("pgo: wrote {}", bin.display());
    Ok(())
}

/// Builds the profile-guided binary and returns its path (`target/pgo/tokensim`).
pub fn build(root: &Path) -> Result<PathBuf> {
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
    for (what, args) in training(&train) {
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
    Ok(bin)
}

/// The training runs, each the arguments of one `tokensim` command run from the workspace root.
fn training(train: &Path) -> Vec<(&'static str, Vec<String>)> {
    let t = |name: &str| train.join(name).display().to_string();
    let (plain, zst, cc) = (t("train.jsonl"), t("train.jsonl.zst"), t("cc.jsonl"));
    let demo = "corpora/demo.jsonl.zst".to_owned();
    let five = [
        "scenarios/all-levers.toml",
        "scenarios/batch-async.toml",
        "scenarios/cache-auto.toml",
        "scenarios/cache-off.toml",
        "scenarios/cache-replay.toml",
    ];
    let shipped = [
        "scenarios/all-levers.toml",
        "scenarios/batch-async.toml",
        "scenarios/cache-auto-1h.toml",
        "scenarios/cache-auto.toml",
        "scenarios/cache-off.toml",
        "scenarios/cache-optimal.toml",
        "scenarios/cache-replay.toml",
        "scenarios/caps-output.toml",
        "scenarios/route-cascade.toml",
        "scenarios/route-haiku.toml",
        "scenarios/route-oracle.toml",
        "scenarios/route-threshold.toml",
    ];
    let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
    let replay = |corpus: &str, out: &str, extra: &[&str]| {
        let mut a = args(&["replay", "--corpus", corpus, "--no-progress"]);
        a.extend(args(&["--format", "json", "-o", &t(out)]));
        a.extend(args(extra));
        a
    };
    let with_scenarios = |files: &[&'static str], no_attribution: bool| -> Vec<&'static str> {
        let mut a = vec!["--scenario"];
        a.extend_from_slice(files);
        if no_attribution {
            a.push("--no-attribution");
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
    vec![
        ("gen: 3 days, plain", gen("2", "3", &plain)),
        ("gen: 1 day, zstd", gen("3", "1", &zst)),
        ("replay: as recorded", replay(&plain, "baseline.json", &[])),
        ("replay: as recorded, zstd", replay(&zst, "zst.json", &[])),
        (
            "replay: the benchmark's five scenarios",
            replay(&plain, "five.json", &with_scenarios(&five, true)),
        ),
        (
            "replay: every shipped scenario, with attribution",
            replay(&plain, "shipped.json", &with_scenarios(&shipped, false)),
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
        ("replay: the imported sessions", replay(&cc, "cc.json", &[])),
    ]
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
