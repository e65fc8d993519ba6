//! The Claude Code importer against ccusage on the same session logs: `tokensim import
//! claude-code` followed by `tokensim replay` (the baseline, with the day-by-day cost), against
//! `ccusage claude daily --offline --json` (ccusage 20.0.24, its native Linux build), timed side by
//! side with the rest of the benchmark.
//!
//! The logs are generated from the real sessions committed as test data
//! (`crates/tokensim-import/tests/data/claude-code/projects/sample-project/`, MIT): each copy of
//! the sessions gets its own message, request, session and line ids (so that neither tool
//! deduplicates one copy against another) and moves by whole days (so that the 30 days have work),
//! keeping every token count and model. Copies are spread over 40 project folders, 4 session
//! files each, until [`LINES`] lines are written. The logs are written once under
//! [`LOG_DIR`] and reused while their sidecar says they were built the same way.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::{mb, read_json, Job, Stats, OUT_DIR};

/// Lines to generate.
pub(super) const LINES: u64 = 1_000_000;
/// Where the logs go (`projects/` under it, as in `~/.claude`); git-ignored with `corpora/bench`.
pub(super) const LOG_DIR: &str = "corpora/bench/claude-code";
const SIDECAR: &str = "corpora/bench/claude-code/params.json";
const TEMPLATES: &str = "crates/tokensim-import/tests/data/claude-code/projects/sample-project";
const PROJECTS: u64 = 40;
/// Bump when the generation changes, so that old logs are rebuilt.
const GENERATION: u64 = 1;
const CCUSAGE: &str = "ccusage@20.0.24";
const CCUSAGE_NATIVE: &str = "@ccusage/ccusage-linux-x64@20.0.24";
const CCUSAGE_DIR: &str = "target/bench/ccusage";
/// The target: tokensim at least this many times faster than ccusage.
pub(super) const TARGET_SPEEDUP: f64 = 10.0;

/// The generated logs.
pub(super) struct Logs {
    pub lines: u64,
    pub bytes: u64,
    pub files: u64,
}

/// Generates the logs unless the sidecar says they are there.
pub(super) fn ensure_logs(root: &Path) -> Result<Logs> {
    let want = json!({"generation": GENERATION, "lines": LINES, "projects": PROJECTS});
    if let Ok(side) = read_json(&root.join(SIDECAR)) {
        if side.get("params") == Some(&want) {
            println!("bench: reusing the Claude Code logs in {LOG_DIR}");
            return Ok(Logs {
                lines: side["lines"].as_u64().unwrap_or(0),
                bytes: side["bytes"].as_u64().unwrap_or(0),
                files: side["files"].as_u64().unwrap_or(0),
            });
        }
    }
    println!("bench: generating {LINES} Claude Code log lines in {LOG_DIR} (once)");
    let dir = root.join(LOG_DIR);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    let mut templates = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(root.join(TEMPLATES))
        .with_context(|| format!("cannot list {TEMPLATES}"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    names.sort();
    for path in names
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
    {
        let text = std::fs::read_to_string(path)?;
        let lines: Vec<Value> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()
            .with_context(|| format!("{}: not JSON lines", path.display()))?;
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        templates.push((stem, lines));
    }
    if templates.is_empty() {
        bail!("no session files in {TEMPLATES}");
    }
    let (mut lines, mut bytes, mut files) = (0u64, 0u64, 0u64);
    let mut copy = 0u64;
    while lines < LINES {
        let project = dir
            .join("projects")
            .join(format!("p{:02}", copy % PROJECTS));
        std::fs::create_dir_all(&project)?;
        for (stem, template) in &templates {
            let path = project.join(format!("{stem}-{copy:05}.jsonl"));
            let mut out = BufWriter::new(std::fs::File::create(&path)?);
            for line in template {
                let text = serde_json::to_string(&rewrite(line, copy))?;
                out.write_all(text.as_bytes())?;
                out.write_all(b"\n")?;
                lines += 1;
                bytes += text.len() as u64 + 1;
            }
            out.flush()?;
            files += 1;
        }
        copy += 1;
    }
    let side = json!({"params": want, "lines": lines, "bytes": bytes, "files": files});
    std::fs::write(root.join(SIDECAR), serde_json::to_string_pretty(&side)?)?;
    Ok(Logs {
        lines,
        bytes,
        files,
    })
}

/// One line of copy `k`: its ids made unique to the copy, its time moved by `k mod 30` days.
fn rewrite(line: &Value, k: u64) -> Value {
    let mut line = line.clone();
    let suffix = |v: &mut Value| {
        if let Some(s) = v.as_str() {
            *v = Value::String(format!("{s}-{k:05}"));
        }
    };
    for key in ["uuid", "parentUuid", "sessionId", "requestId", "leafUuid"] {
        if let Some(v) = line.get_mut(key) {
            suffix(v);
        }
    }
    if let Some(v) = line.pointer_mut("/message/id") {
        suffix(v);
    }
    if let Some(Value::String(ts)) = line.get_mut("timestamp") {
        if let Some(moved) = shift_days(ts, (k % 30) as i64) {
            *ts = moved;
        }
    }
    line
}

/// `YYYY-MM-DD...` moved by `days` days; the rest of the text is kept.
fn shift_days(ts: &str, days: i64) -> Option<String> {
    let (y, m, d) = (
        ts.get(0..4)?.parse::<i64>().ok()?,
        ts.get(5..7)?.parse::<i64>().ok()?,
        ts.get(8..10)?.parse::<i64>().ok()?,
    );
    let (y, m, d) = civil_from_days(days_from_civil(y, m, d) + days);
    Some(format!("{y:04}-{m:02}-{d:02}{}", ts.get(10..)?))
}

/// Howard Hinnant's algorithms (as in `tokensim_corpus::time`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Installs ccusage and its native build under [`CCUSAGE_DIR`] with npm, once. `Err` with the
/// reason when npm is missing or the install fails: the comparison is then skipped, not faked.
pub(super) fn ensure_ccusage(root: &Path) -> Result<PathBuf> {
    let bin = root.join(CCUSAGE_DIR).join("node_modules/.bin/ccusage");
    if bin.is_file() {
        return Ok(bin);
    }
    println!("bench: installing {CCUSAGE} and {CCUSAGE_NATIVE} with npm");
    std::fs::create_dir_all(root.join(CCUSAGE_DIR))?;
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(root.join(CCUSAGE_DIR))
        .args([CCUSAGE, CCUSAGE_NATIVE])
        .status()
        .context("cannot run npm (Node.js is needed for the ccusage comparison)")?;
    if !status.success() || !bin.is_file() {
        bail!("npm install {CCUSAGE} {CCUSAGE_NATIVE} failed ({status})");
    }
    Ok(bin)
}

/// The timed commands, each through `sh -c` so that one measurement covers the whole job (GNU
/// time reports the largest peak RSS among the shell's children): tokensim's import and replay,
/// ccusage, and two parts of the machine's budget for the comparison: the replay step alone (on
/// the corpus the import job wrote just before it, in the same round) and reading the log files
/// alone.
pub(super) fn jobs(tokensim: &Path, ccusage: &Path) -> Vec<Job> {
    let sh = |script: String| -> Vec<OsString> { vec!["sh".into(), "-c".into(), script.into()] };
    let t = tokensim.display();
    let job = Job::new;
    vec![
        job(
            "cc-tokensim",
            "tokensim",
            "import claude-code, then replay (baseline, by day)",
            sh(format!(
                "{t} import claude-code {LOG_DIR}/projects -o {OUT_DIR}/cc.jsonl 2> \
                 {OUT_DIR}/cc-import.txt && {t} replay --corpus {OUT_DIR}/cc.jsonl --format json \
                 -o {OUT_DIR}/cc-replay.json --no-progress"
            )),
        ),
        job(
            "cc-replay",
            "tokensim",
            "the replay step alone (part of the line above)",
            sh(format!(
                "{t} replay --corpus {OUT_DIR}/cc.jsonl --format json \
                 -o {OUT_DIR}/cc-replay-alone.json --no-progress"
            )),
        ),
        job(
            "cc-ccusage",
            "ccusage",
            "`ccusage claude daily --offline --json`",
            sh(format!(
                "CLAUDE_CONFIG_DIR={LOG_DIR} TZ=UTC {} claude daily --offline --json > \
                 {OUT_DIR}/ccusage.json",
                ccusage.display()
            )),
        ),
        job(
            "cc-read",
            "cat",
            "reading the log files alone (`cat` to /dev/null)",
            sh(format!(
                "find {LOG_DIR}/projects -name '*.jsonl' -exec cat {{}} + > /dev/null"
            )),
        ),
    ]
}

/// `scripts/compare_ccusage.py` on the two outputs: its verdict line and whether it passed.
pub(super) fn agreement(root: &Path) -> Result<(bool, String)> {
    let out = Command::new("python3")
        .current_dir(root)
        .args(["scripts/compare_ccusage.py"])
        .arg(format!("{OUT_DIR}/ccusage.json"))
        .arg(format!("{OUT_DIR}/cc-replay.json"))
        .output()
        .context("cannot run python3 scripts/compare_ccusage.py")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let last = text.lines().last().unwrap_or("(no output)").to_owned();
    Ok((out.status.success(), last))
}

/// The report's section.
pub(super) fn render(
    w: &mut String,
    logs: &Logs,
    cpus: usize,
    jobs: &[(Stats, &Job)],
    agreement: &Result<(bool, String)>,
) {
    md!(w, "\n## Claude Code logs: tokensim against ccusage\n");
    md!(
        w,
        "- Logs: {} lines ({:.2} GB) in {} session files over {PROJECTS} projects, generated from \
         the real sessions in `{TEMPLATES}` (ids made unique per copy, days moved; \
         `xtask/src/bench/claude_code.rs`).",
        logs.lines,
        logs.bytes as f64 / 1e9,
        logs.files
    );
    md!(
        w,
        "- ccusage: `{CCUSAGE}` with `{CCUSAGE_NATIVE}`, `CLAUDE_CONFIG_DIR={LOG_DIR} TZ=UTC \
         ccusage claude daily --offline --json`.\n"
    );
    md!(
        w,
        "| tool | task | wall (median, min-max) | lines/s | peak RSS |"
    );
    md!(w, "|---|---|---|---|---|");
    for (s, job) in jobs {
        md!(
            w,
            "| {} | {} | {:.2} s ({:.2}-{:.2}) | {:.0} | {:.0} MB |",
            job.tool,
            job.task,
            s.median_s,
            s.min_s,
            s.max_s,
            logs.lines as f64 / s.median_s,
            mb(s.peak_rss_kib)
        );
    }
    let find = |name: &str| jobs.iter().find(|(_, j)| j.name == name).map(|(s, _)| s);
    if let (Some(t), Some(c)) = (find("cc-tokensim"), find("cc-ccusage")) {
        let speedup = c.median_s / t.median_s;
        md!(
            w,
            "\ntokensim is **{speedup:.1}x** as fast as ccusage (median wall times); the target is \
             {TARGET_SPEEDUP:.0}x: **{}**.",
            if speedup >= TARGET_SPEEDUP { "met" } else { "not met" }
        );
        if let (Some(r), Some(read)) = (find("cc-replay"), find("cc-read")) {
            budget(w, logs, cpus, c, r, read, t);
        }
    }
    match agreement {
        Ok((ok, line)) => md!(
            w,
            "\nDay-by-day agreement (`scripts/compare_ccusage.py`): {} ({line}).\n",
            if *ok { "agree" } else { "DISAGREE" }
        ),
        Err(e) => md!(w, "\nDay-by-day agreement: not checked ({e:#}).\n"),
    }
}

/// What the target leaves on this machine: at 10x, the whole job has a tenth of ccusage's wall
/// time on every core; reading the files and the replay step take their share, and the rest is
/// what parsing the JSON could use.
fn budget(
    w: &mut String,
    logs: &Logs,
    cpus: usize,
    ccusage: &Stats,
    replay: &Stats,
    read: &Stats,
    tokensim: &Stats,
) {
    let wall = ccusage.median_s / TARGET_SPEEDUP;
    let cpu = wall * cpus as f64;
    let left = cpu - read.median_cpu_s - replay.median_cpu_s;
    let gb = logs.bytes as f64 / 1e9;
    md!(
        w,
        "\nThe machine's budget at {TARGET_SPEEDUP:.0}x: {wall:.2} s of wall time, at most \
         {cpu:.2} CPU-s on its {cpus} cores. Reading the log files alone used {:.2} CPU-s and \
         the replay step alone {:.2} CPU-s (medians), which leaves {left:.2} CPU-s to parse \
         {gb:.2} GB of JSON{}. tokensim's import used {:.2} CPU-s (the whole job's {:.2} less \
         the replay's).",
        read.median_cpu_s,
        replay.median_cpu_s,
        if left > 0.0 {
            format!(", {:.1} GB per CPU-second", gb / left)
        } else {
            String::new()
        },
        tokensim.median_cpu_s - replay.median_cpu_s,
        tokensim.median_cpu_s,
    );
}
