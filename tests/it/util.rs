//! Running the binary and reading its reports.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root (tests run from `crates/tokensim-cli`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Runs `tokensim ARGS` from the workspace root.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tokensim"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("tokensim runs")
}

/// Runs and expects success; returns stdout.
pub fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "tokensim {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Runs and expects exit code 2; returns stderr.
pub fn fails(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "tokensim {args:?} should fail; stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).expect("utf-8 output")
}

/// Parses an exact USD string (`"12.345678901234"`) into pico-USD.
pub fn pico(v: &serde_json::Value) -> i128 {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("money is a string: {v}"));
    let (neg, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
    let (int, frac) = s.split_once('.').expect("twelve decimals");
    assert_eq!(frac.len(), 12, "{s}");
    let v = int.parse::<i128>().unwrap() * 1_000_000_000_000 + frac.parse::<i128>().unwrap();
    if neg {
        -v
    } else {
        v
    }
}

/// Replaces what changes between builds (the version) so snapshots stay stable.
pub fn stable(s: &str) -> String {
    s.replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
}
