//! `cargo xtask bench`: tokensim and DuckDB side by side on one generated corpus.
//!
//! This is a benchmark, not a test. The steps, one function each:
//!
//! 1. build the release binary (and copy it, so that a rebuild meanwhile changes nothing);
//! 2. generate the benchmark corpus under `corpora/bench/` (git-ignored), or reuse it when its
//!    sidecar file says it was written with the same generator parameters;
//! 3. time tokensim's baseline replay, the five-scenario replay ([`FIVE`]), the cache lever's
//!    pair (five stateless scenarios, then the same five re-simulating the cache:
//!    `xtask/bench/`), DuckDB's SQL peer (`scripts/bench_duckdb.py`) and, for context, zstd
//!    decompression alone;
//! 4. check that DuckDB's recorded cost agrees with tokensim's, in total and per model;
//! 5. write `reports/bench.md` and a copy in `reports/bench/<date>-<host>/README.md`.
//!
//! Every command is timed by the same mechanism, `/usr/bin/time -f '%e %M %U %S'` (or, without it, a
//! python3 wrapper reading `getrusage(RUSAGE_CHILDREN)`), which gives the wall time and the
//! child's peak RSS. Each command runs [`RUNS`] times, interleaved with the others so that a
//! slow spell of the machine does not fall on one tool only; the report gives the median wall
//! time with min and max, and the largest peak RSS.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, ensure, Context, Result};
use serde_json::{json, Value};

use crate::{cargo, root, run};

/// Timed runs of each command.
const RUNS: usize = 3;
/// The generator's arguments after `gen`; a change here regenerates the corpus.
const GEN_ARGS: [&str; 8] = [
    "--seed",
    "1",
    "--days",
    "30",
    "--requests-per-day",
    "70000",
    "--start",
    "2026-10-01",
];
/// The corpus must be at least this large to be worth timing.
const MIN_RECORDS: u64 = 2_000_000;
const CORPUS: &str = "corpora/bench/bench.jsonl.zst";
/// Written while generating, renamed to [`CORPUS`] when complete (`.zst` makes gen compress).
const CORPUS_PARTIAL: &str = "corpora/bench/bench.partial.jsonl.zst";
/// Records how [`CORPUS`] was generated, and its sizes.
const SIDECAR: &str = "corpora/bench/bench.params.json";
/// The five-scenario run: one per lever and all of them (kept fixed so runs compare over time).
const FIVE: [&str; 5] = [
    "scenarios/all-levers.toml",
    "scenarios/batch-async.toml",
    "scenarios/cache-auto.toml",
    "scenarios/cache-off.toml",
    "scenarios/cache-replay.toml",
];
/// The cache lever's pair: the same five scenarios without and with cache re-simulation.
const STATELESS: [&str; 5] = [
    "xtask/bench/stateless/batch.toml",
    "xtask/bench/stateless/caps.toml",
    "xtask/bench/stateless/off.toml",
    "xtask/bench/stateless/route-caps-batch.toml",
    "xtask/bench/stateless/route.toml",
];
const CACHED: [&str; 5] = [
    "xtask/bench/cached/batch.toml",
    "xtask/bench/cached/caps.toml",
    "xtask/bench/cached/replay.toml",
    "xtask/bench/cached/route-caps-batch.toml",
    "xtask/bench/cached/route.toml",
];
/// Outputs of the timed commands (reports, summaries, timings).
const OUT_DIR: &str = "target/bench";
const REPORT: &str = "reports/bench.md";

/// The targets of the benchmark issue.
const TARGET_BASELINE_RPS: f64 = 1_000_000.0;
const TARGET_SCENARIOS_RPS: f64 = 500_000.0;
const TARGET_PEAK_RSS_MB: f64 = 300.0;
/// The cache lever may add at most this share to a five-scenario replay's wall time.
const TARGET_CACHE_OVERHEAD: f64 = 0.5;

/// At most this long waiting for a quiet machine before timing.
const SETTLE_SECONDS: u64 = 180;

/// Pico-USD in a cent.
const PICO_PER_CENT: i128 = 10_000_000_000;
const PICO_PER_USD: i128 = 1_000_000_000_000;

/// Runs the benchmark and writes the report; fails when DuckDB and tokensim disagree.
pub fn bench() -> Result<()> {
    let root = root();
    std::fs::create_dir_all(root.join(OUT_DIR)).context("cannot create target/bench")?;

    let tokensim = build_release(&root)?;
    let corpus = ensure_corpus(&root, &tokensim)?;
    let timer = Timer::detect(&root)?;
    ensure_duckdb(&root)?;
    let scenarios = five_scenarios(&root, &tokensim)?;
    let setup = Setup::collect(&root, &tokensim, &timer)?;
    let mut jobs = jobs(&tokensim, &scenarios);
    let logs = claude_code::ensure_logs(&root)?;
    let ccusage = claude_code::ensure_ccusage(&root);
    match &ccusage {
        Ok(bin) => jobs.extend(claude_code::jobs(&tokensim, bin)),
        Err(e) => println!("bench: ccusage comparison skipped: {e:#}"),
    }

    warm_page_cache(&root)?;
    let load = time_jobs(&root, &timer, &mut jobs)?;

    let baseline = read_json(&root.join(OUT_DIR).join("baseline.json"))?;
    let duckdb = read_json(&root.join(OUT_DIR).join("duckdb.json"))?;
    for job in &mut jobs {
        job.records = if job.name.starts_with("cc-") {
            logs.lines
        } else {
            records_of(job, &root, &corpus)?
        };
    }
    let agreement = compare(&baseline, &duckdb)?;
    print_agreement(&agreement);
    let claude_code = ClaudeCodeOutcome {
        logs,
        skipped: ccusage.err().map(|e| format!("{e:#}")),
        agreement: claude_code::agreement(&root),
    };

    let text = render(&Outcome {
        setup: &setup,
        corpus: &corpus,
        jobs: &jobs,
        scenarios: &scenarios,
        agreement: &agreement,
        load,
        claude_code: &claude_code,
    });
    write_report(&root, &setup, &text)?;

    if !agreement.ok {
        bail!(
            "DuckDB and tokensim DISAGREE on the recorded cost (tokensim {} USD, DuckDB {} USD); \
             see {REPORT}",
            usd(agreement.tokensim_total),
            usd(agreement.duckdb_total)
        );
    }
    Ok(())
}

/// `cargo xtask bench claude-code`: only the Claude Code comparison, printed, for quick work on
/// the importer; `reports/bench.md` is left alone.
pub fn bench_claude_code() -> Result<()> {
    let root = root();
    std::fs::create_dir_all(root.join(OUT_DIR)).context("cannot create target/bench")?;
    let tokensim = build_release(&root)?;
    let timer = Timer::detect(&root)?;
    let logs = claude_code::ensure_logs(&root)?;
    let ccusage = claude_code::ensure_ccusage(&root)?;
    let mut jobs = claude_code::jobs(&tokensim, &ccusage);
    time_jobs(&root, &timer, &mut jobs)?;
    let stats: Vec<(Stats, &Job)> = jobs.iter().map(|j| (stats(&j.samples), j)).collect();
    let mut text = String::new();
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    claude_code::render(
        &mut text,
        &logs,
        cpus,
        &stats,
        &claude_code::agreement(&root),
    );
    println!("{text}");
    Ok(())
}

// ------------------------------------------------------------------------------------- steps

/// Step 1: `cargo build --release -p tokensim-cli`, and a copy of the binary in `target/bench`
/// that every run uses, so that a rebuild during the benchmark does not mix two versions.
fn build_release(root: &Path) -> Result<PathBuf> {
    println!("bench: building the release binary");
    run(cargo()
        .current_dir(root)
        .args(["build", "--release", "--package", "tokensim-cli"]))
    .context("cannot build the release binary (if another change is in progress, retry)")?;
    let built = root.join("target/release/tokensim");
    let snapshot = root.join(OUT_DIR).join("tokensim");
    std::fs::copy(&built, &snapshot)
        .with_context(|| format!("cannot copy {} to {}", built.display(), snapshot.display()))?;
    Ok(snapshot)
}

/// The benchmark corpus and its sizes.
struct Corpus {
    /// Relative to the workspace root, as given to the tools.
    path: &'static str,
    records: u64,
    bytes: u64,
    uncompressed_bytes: u64,
    /// Whether it was reused from an earlier run rather than generated now.
    reused: bool,
}

/// Step 2: the corpus, reused when the sidecar matches the generator parameters and the file's
/// size, generated otherwise (several minutes).
fn ensure_corpus(root: &Path, tokensim: &Path) -> Result<Corpus> {
    let version = tokensim_version(tokensim)?;
    let path = root.join(CORPUS);
    let sidecar = root.join(SIDECAR);
    let wanted = json!({ "generator": GEN_ARGS, "tokensim": version });

    if let (Ok(meta), Ok(text)) = (std::fs::metadata(&path), std::fs::read_to_string(&sidecar)) {
        let recorded: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let same_params = recorded["generator"] == wanted["generator"]
            && recorded["tokensim"] == wanted["tokensim"];
        let same_size = recorded["bytes"].as_u64() == Some(meta.len());
        if let (true, true, Some(records), Some(uncompressed)) = (
            same_params,
            same_size,
            recorded["records"].as_u64(),
            recorded["uncompressed_bytes"].as_u64(),
        ) {
            println!("bench: reusing {CORPUS} ({records} records; {SIDECAR} matches)");
            return Ok(Corpus {
                path: CORPUS,
                records,
                bytes: meta.len(),
                uncompressed_bytes: uncompressed,
                reused: true,
            });
        }
        println!("bench: {SIDECAR} does not match the generator parameters; regenerating");
    }

    let _ = std::fs::remove_file(&sidecar);
    std::fs::create_dir_all(path.parent().expect("the corpus is in a directory"))
        .context("cannot create corpora/bench")?;
    println!(
        "bench: generating {CORPUS}: tokensim gen {} (several minutes)",
        GEN_ARGS.join(" ")
    );
    let output = Command::new(tokensim)
        .current_dir(root)
        .arg("gen")
        .args(GEN_ARGS)
        .args(["-o", CORPUS_PARTIAL])
        .stdin(Stdio::null())
        .output()
        .context("cannot run tokensim gen")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(output.status.success(), "tokensim gen failed: {stderr}");
    let records = stderr
        .lines()
        .find_map(|l| {
            l.strip_prefix("wrote ")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .with_context(|| {
            format!("no record count (`wrote N records`) in gen's output: {stderr}")
        })?;
    ensure!(
        records >= MIN_RECORDS,
        "the generator wrote {records} records, fewer than {MIN_RECORDS}: raise --requests-per-day"
    );
    std::fs::rename(root.join(CORPUS_PARTIAL), &path)
        .with_context(|| format!("cannot rename {CORPUS_PARTIAL} to {CORPUS}"))?;

    let bytes = std::fs::metadata(&path)
        .with_context(|| format!("cannot stat {CORPUS}"))?
        .len();
    let uncompressed_bytes = uncompressed_size(root)?;
    let mut params = wanted;
    params["records"] = json!(records);
    params["bytes"] = json!(bytes);
    params["uncompressed_bytes"] = json!(uncompressed_bytes);
    std::fs::write(&sidecar, format!("{params:#}\n"))
        .with_context(|| format!("cannot write {SIDECAR}"))?;
    println!("bench: wrote {CORPUS}: {records} records, {bytes} bytes");
    Ok(Corpus {
        path: CORPUS,
        records,
        bytes,
        uncompressed_bytes,
        reused: false,
    })
}

/// The decompressed size of the corpus, counted through the `zstd` CLI (also timed later).
fn uncompressed_size(root: &Path) -> Result<u64> {
    let mut child = Command::new("zstd")
        .current_dir(root)
        .args(["-d", "-c", CORPUS])
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run the zstd CLI (install zstd)")?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let bytes = std::io::copy(&mut stdout, &mut std::io::sink()).context("cannot read zstd -d")?;
    let status = child.wait().context("cannot wait for zstd -d")?;
    ensure!(status.success(), "zstd -d {CORPUS} failed: {status}");
    Ok(bytes)
}

/// Reads the corpus once so that every timed run finds it in the page cache.
fn warm_page_cache(root: &Path) -> Result<()> {
    let mut file =
        std::fs::File::open(root.join(CORPUS)).with_context(|| format!("cannot open {CORPUS}"))?;
    let mut buf = vec![0; 1 << 20];
    while file.read(&mut buf).context("cannot read the corpus")? > 0 {}
    Ok(())
}

/// Step 3's prerequisite: the `duckdb` Python package, installed with pip when missing.
fn ensure_duckdb(root: &Path) -> Result<()> {
    let import = || {
        Command::new("python3")
            .current_dir(root)
            .args(["-c", "import duckdb"])
            .stderr(Stdio::null())
            .status()
            .context("cannot run python3")
    };
    if import()?.success() {
        return Ok(());
    }
    println!("bench: installing the duckdb Python package (python3 -m pip install duckdb)");
    run(Command::new("python3").args(["-m", "pip", "install", "duckdb"]))
        .context("cannot install duckdb with pip")?;
    ensure!(
        import()?.success(),
        "python3 cannot import duckdb after installing it"
    );
    Ok(())
}

/// The five-scenario run: its scenario files, or why it is skipped.
enum Scenarios {
    Run(Vec<PathBuf>),
    Skipped(String),
}

/// Step 3's probe: `replay --help` mentions `--scenario` and the scenario files exist.
fn five_scenarios(root: &Path, tokensim: &Path) -> Result<Scenarios> {
    let help = Command::new(tokensim)
        .args(["replay", "--help"])
        .output()
        .context("cannot run tokensim replay --help")?;
    let supported = String::from_utf8_lossy(&help.stdout).contains("--scenario");
    let missing: Vec<&str> = FIVE
        .iter()
        .chain(&STATELESS)
        .chain(&CACHED)
        .filter(|f| !root.join(f).is_file())
        .copied()
        .collect();
    let scenarios = if !missing.is_empty() {
        Scenarios::Skipped(format!("missing scenario files {missing:?}"))
    } else if !supported {
        Scenarios::Skipped("`tokensim replay` has no --scenario flag yet".into())
    } else {
        Scenarios::Run(FIVE.iter().map(PathBuf::from).collect())
    };
    match &scenarios {
        Scenarios::Run(files) => println!("bench: five-scenario run with {files:?}"),
        Scenarios::Skipped(why) => println!("bench: five-scenario run: skipped ({why})"),
    }
    Ok(scenarios)
}

/// One benchmarked command and its measurements.
struct Job {
    /// Names its output and timing files in `target/bench`.
    name: &'static str,
    tool: &'static str,
    task: &'static str,
    argv: Vec<OsString>,
    samples: Vec<Sample>,
    records: u64,
}

impl Job {
    /// A command to time, not run yet.
    fn new(name: &'static str, tool: &'static str, task: &'static str, argv: Vec<OsString>) -> Job {
        Job {
            name,
            tool,
            task,
            argv,
            samples: Vec::new(),
            records: 0,
        }
    }
}

/// Step 3: the commands to time, run from the workspace root.
fn jobs(tokensim: &Path, scenarios: &Scenarios) -> Vec<Job> {
    let job = Job::new;
    let replay = |output: &str| -> Vec<OsString> {
        let mut argv: Vec<OsString> = vec![tokensim.into(), "replay".into(), "--corpus".into()];
        argv.extend([CORPUS, "--format", "json", "-o", output, "--no-progress"].map(Into::into));
        argv
    };

    let mut jobs = vec![job(
        "baseline",
        "tokensim",
        "baseline replay (recorded + reference)",
        replay("target/bench/baseline.json"),
    )];
    if let Scenarios::Run(files) = scenarios {
        // The targets are about evaluating scenarios: lever attribution, which replays every
        // subset of a scenario's levers as extra scenarios, is timed on its own below.
        let mut argv = replay("target/bench/scenarios.json");
        argv.push("--scenario".into());
        argv.extend(files.iter().map(Into::into));
        let mut attributed = argv.clone();
        argv.push("--no-attribution".into());
        jobs.push(job(
            "scenarios",
            "tokensim",
            "baseline + five scenarios, one pass",
            argv,
        ));
        let out = argv_output_index(&attributed);
        attributed[out] = "target/bench/attributed.json".into();
        jobs.push(job(
            "attributed",
            "tokensim",
            "the same five scenarios with lever attribution (every lever subset too: the default)",
            attributed,
        ));
        for (name, task, files) in [
            (
                "stateless",
                "five stateless scenarios (route, caps, batch, cache off, all three)",
                &STATELESS,
            ),
            (
                "cached",
                "the same five, each re-simulating the cache (replay)",
                &CACHED,
            ),
        ] {
            let mut argv = replay(&format!("target/bench/{name}.json"));
            argv.push("--scenario".into());
            argv.extend(files.iter().map(Into::into));
            argv.push("--no-attribution".into());
            jobs.push(job(name, "tokensim", task, argv));
        }
    }
    jobs.push(job(
        "duckdb",
        "DuckDB",
        "recorded cost by (team, app, model), one SQL query",
        [
            "python3",
            "scripts/bench_duckdb.py",
            CORPUS,
            "-o",
            "target/bench/duckdb.json",
        ]
        .map(Into::into)
        .to_vec(),
    ));
    jobs.push(job(
        "zstd",
        "zstd",
        "decompression alone (zstd -d -c > /dev/null)",
        ["zstd", "-d", "-c", CORPUS].map(Into::into).to_vec(),
    ));
    jobs
}

/// The index of the value after `-o` in a replay command line.
fn argv_output_index(argv: &[OsString]) -> usize {
    argv.iter()
        .position(|a| a == "-o")
        .expect("every replay job writes its report with -o")
        + 1
}

/// Step 3: runs every job [`RUNS`] times, interleaved, once the machine has settled. Returns
/// the 1-minute load average when the runs started and when they ended.
fn time_jobs(root: &Path, timer: &Timer, jobs: &mut [Job]) -> Result<(Option<f64>, Option<f64>)> {
    let before = settle();
    for round in 1..=RUNS {
        for job in jobs.iter_mut() {
            println!("bench: run {round}/{RUNS}: {} {}", job.tool, job.task);
            let sample = timer.measure(root, &job.argv, job.name)?;
            println!(
                "bench:   {:.2} s wall, {:.2} s CPU, peak RSS {:.1} MB",
                sample.wall_s,
                sample.cpu_s,
                mb(sample.rss_kib)
            );
            job.samples.push(sample);
        }
    }
    Ok((before, load1()))
}

/// Records processed by a job: from its own output where it says, else the corpus's count.
fn records_of(job: &Job, root: &Path, corpus: &Corpus) -> Result<u64> {
    let from = |file: &str, pointer: &str| -> Result<u64> {
        let value = read_json(&root.join(OUT_DIR).join(file))?;
        value
            .pointer(pointer)
            .and_then(Value::as_u64)
            .with_context(|| format!("{OUT_DIR}/{file}: no {pointer}"))
    };
    match job.name {
        "baseline" => from("baseline.json", "/corpus/records_read"),
        // The scenario report may change shape while scenarios are built; the corpus is the same.
        "scenarios" | "stateless" | "cached" | "attributed" => {
            Ok(from(&format!("{}.json", job.name), "/corpus/records_read")
                .unwrap_or(corpus.records))
        }
        "duckdb" => from("duckdb.json", "/records"),
        _ => Ok(corpus.records),
    }
}

// ------------------------------------------------------------------------------------ timing

/// One timed run.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall_s: f64,
    /// Peak resident set of the child, in KiB (what `time %M` and `ru_maxrss` report).
    rss_kib: u64,
    /// User + system CPU time of the child: above `wall_s` when it used several cores.
    cpu_s: f64,
}

/// How wall time and peak RSS are measured, the same way for every tool.
enum Timer {
    /// GNU time: `/usr/bin/time -f '%e %M %U %S' -o FILE cmd...`.
    GnuTime,
    /// `python3 -c WRAPPER FILE cmd...`, for machines without GNU time.
    Python,
}

/// GNU time's format: wall seconds, peak RSS KiB, user and system CPU seconds.
const TIME_FORMAT: &str = "%e %M %U %S";

/// Runs its arguments as a child and writes what [`TIME_FORMAT`] would to the file named first.
const PYTHON_TIMER: &str = "\
import resource, subprocess, sys, time
out, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
code = subprocess.call(argv, stdout=subprocess.DEVNULL)
wall = time.perf_counter() - start
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, 'w') as f:
    f.write(f'{wall:.2f} {ru.ru_maxrss} {ru.ru_utime:.2f} {ru.ru_stime:.2f}\\n')
sys.exit(code)
";

impl Timer {
    /// GNU time when `/usr/bin/time` works, else the python3 wrapper.
    fn detect(root: &Path) -> Result<Timer> {
        let probe = root.join(OUT_DIR).join("time-probe.txt");
        let gnu = Command::new("/usr/bin/time")
            .args(["-f", TIME_FORMAT, "-o"])
            .arg(&probe)
            .arg("true")
            .output()
            .is_ok_and(|o| o.status.success());
        let timer = if gnu { Timer::GnuTime } else { Timer::Python };
        println!("bench: timing with {}", timer.describe());
        Ok(timer)
    }

    fn describe(&self) -> &'static str {
        match self {
            Timer::GnuTime => "`/usr/bin/time -f '%e %M %U %S'` (GNU time)",
            Timer::Python => {
                "a python3 wrapper (`time.perf_counter`, `getrusage(RUSAGE_CHILDREN)`)"
            }
        }
    }

    /// Runs `argv` once from `root`, stdout discarded, and returns its wall time and peak RSS.
    fn measure(&self, root: &Path, argv: &[OsString], name: &str) -> Result<Sample> {
        let times = root.join(OUT_DIR).join(format!("{name}.time"));
        let mut cmd = match self {
            Timer::GnuTime => {
                let mut cmd = Command::new("/usr/bin/time");
                cmd.args(["-f", TIME_FORMAT, "-o"]).arg(&times);
                cmd
            }
            Timer::Python => {
                let mut cmd = Command::new("python3");
                cmd.args(["-c", PYTHON_TIMER]).arg(&times);
                cmd
            }
        };
        cmd.args(argv)
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        let output = cmd
            .output()
            .with_context(|| format!("cannot run {argv:?}"))?;
        if !output.status.success() {
            bail!(
                "{argv:?} failed ({}):\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let text = std::fs::read_to_string(&times)
            .with_context(|| format!("cannot read {}", times.display()))?;
        parse_time(&text)
            .with_context(|| format!("{}: not `{TIME_FORMAT}`: {text:?}", times.display()))
    }
}

/// The last line of a timing file, in [`TIME_FORMAT`].
fn parse_time(text: &str) -> Option<Sample> {
    let mut fields = text.lines().last()?.split_whitespace();
    let wall_s = fields.next()?.parse().ok()?;
    let rss_kib = fields.next()?.parse().ok()?;
    let user_s: f64 = fields.next()?.parse().ok()?;
    let system_s: f64 = fields.next()?.parse().ok()?;
    Some(Sample {
        wall_s,
        rss_kib,
        cpu_s: user_s + system_s,
    })
}

/// Median, min and max wall time, median CPU time and the largest peak RSS of a job's samples.
struct Stats {
    median_s: f64,
    min_s: f64,
    max_s: f64,
    median_cpu_s: f64,
    peak_rss_kib: u64,
}

fn stats(samples: &[Sample]) -> Stats {
    let sorted = |f: fn(&Sample) -> f64| {
        let mut v: Vec<f64> = samples.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let walls = sorted(|s| s.wall_s);
    Stats {
        median_s: walls[walls.len() / 2],
        min_s: walls[0],
        max_s: walls[walls.len() - 1],
        median_cpu_s: sorted(|s| s.cpu_s)[samples.len() / 2],
        peak_rss_kib: samples.iter().map(|s| s.rss_kib).max().unwrap_or(0),
    }
}

/// The 1-minute load average.
fn load1() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Waits (up to [`SETTLE_SECONDS`]) until the 1-minute load average is below half the CPUs,
/// so that the runs do not start while a build or a test suite is using the machine. Returns
/// the load when the runs start.
fn settle() -> Option<f64> {
    let quiet = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64 / 2.0;
    let mut waited = 0;
    loop {
        let load = load1()?;
        if load < quiet || waited >= SETTLE_SECONDS {
            return Some(load);
        }
        if waited % 30 == 0 {
            println!("bench: waiting for the machine to settle (load {load:.2}, want < {quiet})");
        }
        std::thread::sleep(std::time::Duration::from_secs(5));
        waited += 5;
    }
}

// -------------------------------------------------------------------------------- agreement

/// DuckDB's recorded cost against tokensim's, in total and per model.
struct Agreement {
    tokensim_total: i128,
    duckdb_total: i128,
    tokensim_records: u64,
    duckdb_records: u64,
    /// model -> (tokensim, DuckDB) pico-USD; a side without the model has 0.
    by_model: BTreeMap<String, (i128, i128)>,
    /// Totals and every model agree to the cent (rounded half to even), records are equal.
    ok: bool,
    /// ... and to the pico-dollar.
    exact: bool,
}

/// Step 4: compares tokensim's baseline report with DuckDB's summary.
fn compare(report: &Value, duckdb: &Value) -> Result<Agreement> {
    let tokensim_total = pico_of_usd(str_at(report, "/totals/recorded/total")?)?;
    let duckdb_total = str_at(duckdb, "/total_pico")?
        .parse()
        .context("DuckDB total_pico is not an integer")?;
    let tokensim_records = u64_at(report, "/corpus/records_read")?;
    let duckdb_records = u64_at(duckdb, "/records")?;

    let mut by_model: BTreeMap<String, (i128, i128)> = BTreeMap::new();
    for row in array_at(report, "/by_model")? {
        let model = str_at(row, "/model")?.to_owned();
        by_model.entry(model).or_default().0 = pico_of_usd(str_at(row, "/recorded/total")?)?;
    }
    for row in array_at(duckdb, "/by_model")? {
        let model = str_at(row, "/model")?.to_owned();
        by_model.entry(model).or_default().1 = str_at(row, "/total_pico")?
            .parse()
            .context("DuckDB by_model total_pico is not an integer")?;
    }

    let pairs =
        || std::iter::once((tokensim_total, duckdb_total)).chain(by_model.values().copied());
    let same_records = tokensim_records == duckdb_records;
    Ok(Agreement {
        ok: same_records && pairs().all(|(t, d)| cents(t) == cents(d)),
        exact: same_records && pairs().all(|(t, d)| t == d),
        tokensim_total,
        duckdb_total,
        tokensim_records,
        duckdb_records,
        by_model,
    })
}

fn print_agreement(a: &Agreement) {
    println!(
        "bench: recorded cost, tokensim: {} USD",
        usd(a.tokensim_total)
    );
    println!(
        "bench: recorded cost, DuckDB:   {} USD",
        usd(a.duckdb_total)
    );
    println!("bench: agreement: {}", verdict(a));
}

fn verdict(a: &Agreement) -> String {
    if a.exact {
        "AGREE to the pico-dollar (totals, every model, record counts)".into()
    } else if a.ok {
        format!(
            "agree to the cent, not to the pico-dollar (total differs by {} pico-USD)",
            a.duckdb_total - a.tokensim_total
        )
    } else {
        format!(
            "DISAGREE: total differs by {} USD; records {} vs {}",
            usd(a.duckdb_total - a.tokensim_total),
            a.tokensim_records,
            a.duckdb_records
        )
    }
}

/// A report's exact 12-decimal USD string as pico-USD.
fn pico_of_usd(s: &str) -> Result<i128> {
    let (negative, digits) = s.strip_prefix('-').map_or((false, s), |d| (true, d));
    let (whole, frac) = digits
        .split_once('.')
        .with_context(|| format!("{s:?} is not a decimal"))?;
    ensure!(
        frac.len() == 12 && frac.bytes().all(|b| b.is_ascii_digit()),
        "{s:?} does not have 12 decimals"
    );
    let whole: i128 = whole.parse().with_context(|| format!("{s:?}"))?;
    let pico = whole * PICO_PER_USD + frac.parse::<i128>().with_context(|| format!("{s:?}"))?;
    Ok(if negative { -pico } else { pico })
}

/// Pico-USD rounded to cents, half to even (as tokensim's reports round).
fn cents(pico: i128) -> i128 {
    let (q, r) = (
        pico.div_euclid(PICO_PER_CENT),
        pico.rem_euclid(PICO_PER_CENT),
    );
    match (2 * r).cmp(&PICO_PER_CENT) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

/// Pico-USD as an exact 12-decimal USD string.
fn usd(pico: i128) -> String {
    let sign = if pico < 0 { "-" } else { "" };
    let p = pico.unsigned_abs();
    let per = PICO_PER_USD.unsigned_abs();
    format!("{sign}{}.{:012}", p / per, p % per)
}

fn read_json(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Result<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .with_context(|| format!("no string at {pointer}"))
}

fn u64_at(v: &Value, pointer: &str) -> Result<u64> {
    v.pointer(pointer)
        .and_then(Value::as_u64)
        .with_context(|| format!("no count at {pointer}"))
}

fn array_at<'a>(v: &'a Value, pointer: &str) -> Result<&'a Vec<Value>> {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .with_context(|| format!("no array at {pointer}"))
}

// ----------------------------------------------------------------------------------- report

/// What the report says about the machine and the tools.
struct Setup {
    /// UTC, `YYYY-MM-DD`, and the full instant.
    date: String,
    instant: String,
    host: String,
    cpus: usize,
    cpu_model: String,
    memory: String,
    kernel: String,
    tokensim: String,
    commit: String,
    duckdb: String,
    python: String,
    zstd: String,
    timer: &'static str,
}

impl Setup {
    /// Read before the runs, so that the commit is the one the binary was built from.
    fn collect(root: &Path, tokensim: &Path, timer: &Timer) -> Result<Setup> {
        let proc = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpu_model = proc("/proc/cpuinfo")
            .lines()
            .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
            .map_or("unknown".into(), |(_, m)| m.trim().to_owned());
        let mem_kib: u64 = proc("/proc/meminfo")
            .lines()
            .find_map(|l| {
                l.strip_prefix("MemTotal:")?
                    .strip_suffix("kB")?
                    .trim()
                    .parse()
                    .ok()
            })
            .unwrap_or(0);
        let changed = output_of(
            root,
            "git",
            &["status", "--porcelain", "--untracked-files=no"],
        )?
        .lines()
        .count();
        let head = output_of(root, "git", &["rev-parse", "--short=12", "HEAD"])?;
        Ok(Setup {
            date: output_of(root, "date", &["-u", "+%Y-%m-%d"])?,
            instant: output_of(root, "date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"])?,
            host: proc("/proc/sys/kernel/hostname").trim().to_owned(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            memory: format!("{:.1} GiB", mem_kib as f64 / (1024.0 * 1024.0)),
            kernel: proc("/proc/sys/kernel/osrelease").trim().to_owned(),
            tokensim: tokensim_version(tokensim)?,
            commit: match changed {
                0 => head,
                1 => format!("{head} with uncommitted changes to 1 tracked file"),
                n => format!("{head} with uncommitted changes to {n} tracked files"),
            },
            duckdb: output_of(
                root,
                "python3",
                &["-c", "import duckdb; print(duckdb.__version__)"],
            )?,
            python: output_of(root, "python3", &["--version"])?,
            zstd: zstd_version(root)?,
            timer: timer.describe(),
        })
    }
}

/// `zstd v1.5.4`, from `*** Zstandard CLI (64-bit) v1.5.4, by Yann Collet ***`.
fn zstd_version(root: &Path) -> Result<String> {
    let banner = output_of(root, "zstd", &["--version"])?;
    let version = banner
        .split(|c: char| c.is_whitespace() || c == ',')
        .find(|w| w.starts_with('v') && w[1..].starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(&banner);
    Ok(format!("zstd {version}"))
}

fn tokensim_version(tokensim: &Path) -> Result<String> {
    let out = Command::new(tokensim)
        .arg("--version")
        .output()
        .with_context(|| format!("cannot run {} --version", tokensim.display()))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A command's trimmed stdout.
fn output_of(root: &Path, program: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(program)
        .current_dir(root)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {program}"))?;
    ensure!(out.status.success(), "{program} {args:?} failed");
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).expect("ASCII digits"))
        .collect();
    groups.join(",")
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**not met**"
    }
}

/// `writeln!` to the report's `String`, which cannot fail.
macro_rules! md {
    ($w:expr, $($arg:tt)*) => {
        writeln!($w, $($arg)*).expect("writing to a String cannot fail")
    };
}

// After `md!`, so that the module sees the macro.
mod claude_code;

/// Everything the report shows.
struct Outcome<'a> {
    setup: &'a Setup,
    corpus: &'a Corpus,
    jobs: &'a [Job],
    scenarios: &'a Scenarios,
    agreement: &'a Agreement,
    /// The 1-minute load average when the runs started and when they ended.
    load: (Option<f64>, Option<f64>),
    claude_code: &'a ClaudeCodeOutcome,
}

/// The Claude Code comparison's inputs and verdicts (its timings are jobs `cc-*`).
struct ClaudeCodeOutcome {
    logs: claude_code::Logs,
    /// Why ccusage did not run, if it did not.
    skipped: Option<String>,
    /// `scripts/compare_ccusage.py`'s verdict.
    agreement: Result<(bool, String)>,
}

impl Outcome<'_> {
    /// A job's statistics and records/s (by its median wall time).
    fn job(&self, name: &str) -> Option<(Stats, f64)> {
        let job = self.jobs.iter().find(|j| j.name == name)?;
        let stats = stats(&job.samples);
        let rps = job.records as f64 / stats.median_s;
        Some((stats, rps))
    }
}

/// The Markdown report.
fn render(o: &Outcome) -> String {
    let mut md = String::new();
    md!(md, "# Benchmark: tokensim and DuckDB\n");
    md!(
        md,
        "Written by `cargo xtask bench`, started {}; rerun it rather than editing this file.\n",
        o.setup.instant
    );
    render_setup(&mut md, o);
    render_results(&mut md, o);
    render_agreement(&mut md, o.agreement);
    render_claude_code(&mut md, o);
    render_targets(&mut md, o);
    md
}

fn render_setup(w: &mut String, o: &Outcome) {
    let (s, c) = (o.setup, o.corpus);
    let load = |l: Option<f64>| l.map_or("unknown".into(), |l| format!("{l:.2}"));
    md!(w, "## Setup\n");
    md!(
        w,
        "- Machine: host `{}`, {} CPUs (nproc), {}, {} memory, Linux {}.",
        s.host,
        s.cpus,
        s.cpu_model,
        s.memory,
        s.kernel
    );
    md!(
        w,
        "- tokensim: {} (release profile), commit {}; worker threads: one per core (default).",
        s.tokensim,
        s.commit
    );
    md!(
        w,
        "- DuckDB {} through {} (`scripts/bench_duckdb.py`); threads: DuckDB's default (one per \
         core). It reads the same `.zst` file with `read_json(..., compression = 'zstd')` and \
         prices it with one SQL query joined on a price table built from \
         `crates/tokensim-pricing/data/catalog.toml`, in exact integer pico-USD. {}.",
        s.duckdb,
        s.python,
        s.zstd
    );
    md!(
        w,
        "- Corpus: `{}`, {} records, {:.1} MB zstd, {:.1} MB JSONL; `tokensim gen {}` ({}).",
        c.path,
        thousands(c.records),
        c.bytes as f64 / 1e6,
        c.uncompressed_bytes as f64 / 1e6,
        GEN_ARGS.join(" "),
        if c.reused {
            "reused from an earlier run, see `corpora/bench/bench.params.json`"
        } else {
            "generated by this run"
        }
    );
    md!(
        w,
        "- Timing: {}, every command {RUNS} times, interleaved; the corpus is read once \
         beforehand so every run finds it in the page cache. Wall time is the median, with min \
         and max; CPU is user + system time (median), above wall time when several cores \
         worked; peak RSS is the largest of the runs (MB = 10^6 bytes). Records/s = records \
         read / median wall time, the whole process included (start-up, reading, \
         decompressing, parsing, pricing, writing the output).",
        s.timer
    );
    md!(
        w,
        "- Load average (1 min): {} when the runs started, {} when they ended (the runs \
         themselves add up to {}). The machine may be shared: more than that means something \
         else was running.",
        load(o.load.0),
        load(o.load.1),
        s.cpus
    );
    if o.load.0.is_some_and(|l| l >= s.cpus as f64 / 2.0) {
        md!(
            w,
            "- **Warning: the machine was still busy after waiting {SETTLE_SECONDS} s for it \
             to settle; these numbers are pessimistic. Rerun on a quiet machine.**"
        );
    } else if o.load.1.is_some_and(|l| l > s.cpus as f64 + 0.5) {
        md!(
            w,
            "- **Warning: something else ran during the runs (load above what they add up \
             to); the medians are pessimistic, the minimums less so. Rerun on a quiet \
             machine.**"
        );
    }
}

fn render_results(w: &mut String, o: &Outcome) {
    md!(w, "\n## Results\n");
    md!(
        w,
        "| tool | task | wall s (median of {RUNS}) | min–max s | CPU s | records/s | peak RSS MB |"
    );
    md!(w, "|---|---|---:|---:|---:|---:|---:|");
    for job in o.jobs.iter().filter(|j| !j.name.starts_with("cc-")) {
        let (s, rps) = o.job(job.name).expect("a job of the list");
        md!(
            w,
            "| {} | {} | {:.2} | {:.2}–{:.2} | {:.2} | {} | {:.1} |",
            job.tool,
            job.task,
            s.median_s,
            s.min_s,
            s.max_s,
            s.median_cpu_s,
            thousands(rps as u64),
            mb(s.peak_rss_kib)
        );
    }
    match o.scenarios {
        Scenarios::Skipped(why) => md!(w, "\nfive-scenario run: skipped ({why})"),
        Scenarios::Run(files) => {
            let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            md!(
                w,
                "\nFive-scenario run: `tokensim replay --corpus {} --scenario {} --no-attribution` \
                 (one per lever and all of them). The scenario runs pass `--no-attribution`; the \
                 attributed run is the same command without it, the default, which also replays \
                 every subset of each scenario's levers (docs/attribution.md).",
                o.corpus.path,
                files.join(" ")
            );
            md!(
                w,
                "\nCache lever pair (`xtask/bench/README.md`): `--scenario {}` against `--scenario {}`.",
                STATELESS.join(" "),
                CACHED.join(" ")
            );
        }
    }
    render_budget(w, o);
}

/// What the baseline target leaves on this machine: its wall time on every core, less the
/// decompression, for everything else (reading the lines, parsing, checking, pricing).
fn render_budget(w: &mut String, o: &Outcome) {
    let (Some((base, _)), Some((zstd, _))) = (o.job("baseline"), o.job("zstd")) else {
        return;
    };
    let records = o.corpus.records as f64;
    let wall = records / TARGET_BASELINE_RPS;
    let cpu = wall * o.setup.cpus as f64;
    let left = cpu - zstd.median_cpu_s;
    md!(
        w,
        "\nThe machine's budget at {} records/s: {wall:.2} s of wall time for the corpus, at most \
         {cpu:.2} CPU-s on its {} cores. Decompressing alone used {:.2} CPU-s, which leaves \
         {left:.2} CPU-s for reading, parsing, checking and pricing {:.1} MB of JSON lines; the \
         baseline replay used {:.2} CPU-s in all, its own decompression included ({:.2} less \
         the zstd command's).",
        thousands(TARGET_BASELINE_RPS as u64),
        o.setup.cpus,
        zstd.median_cpu_s,
        o.corpus.uncompressed_bytes as f64 / 1e6,
        base.median_cpu_s,
        base.median_cpu_s - zstd.median_cpu_s,
    );
}

fn render_agreement(w: &mut String, a: &Agreement) {
    md!(w, "\n## Agreement\n");
    md!(
        w,
        "Recorded cost of the whole corpus: tokensim `{}` USD, DuckDB `{}` USD; records {} and \
         {}. Result: **{}**.\n",
        usd(a.tokensim_total),
        usd(a.duckdb_total),
        thousands(a.tokensim_records),
        thousands(a.duckdb_records),
        verdict(a)
    );
    md!(
        w,
        "tokensim's report groups by (team, app, feature) and DuckDB's query by (team, app, \
         model), so the grand total and the per-model totals are compared:\n"
    );
    md!(
        w,
        "| model | tokensim USD | DuckDB USD | difference pico-USD |"
    );
    md!(w, "|---|---:|---:|---:|");
    for (model, (t, d)) in &a.by_model {
        md!(w, "| {model} | {} | {} | {} |", usd(*t), usd(*d), d - t);
    }
}

fn render_claude_code(w: &mut String, o: &Outcome) {
    let cc = o.claude_code;
    let jobs: Vec<(Stats, &Job)> = o
        .jobs
        .iter()
        .filter(|j| j.name.starts_with("cc-"))
        .map(|j| (stats(&j.samples), j))
        .collect();
    match &cc.skipped {
        Some(why) => md!(
            w,
            "\n## Claude Code logs: tokensim against ccusage\n\nSkipped: {why}.\n"
        ),
        None => claude_code::render(w, &cc.logs, o.setup.cpus, &jobs, &cc.agreement),
    }
}

fn render_targets(w: &mut String, o: &Outcome) {
    let (base, base_rps) = o.job("baseline").expect("the baseline always runs");
    let (duck, _) = o.job("duckdb").expect("DuckDB always runs");
    let peak = o
        .jobs
        .iter()
        .filter(|j| j.tool == "tokensim")
        .map(|j| stats(&j.samples).peak_rss_kib)
        .max()
        .unwrap_or(0);

    md!(w, "\n## Targets\n");
    md!(w, "| target | measured | result |");
    md!(w, "|---|---|---|");
    md!(
        w,
        "| baseline replay >= 1,000,000 records/s | {} records/s | {} |",
        thousands(base_rps as u64),
        met(base_rps >= TARGET_BASELINE_RPS)
    );
    match o.job("scenarios") {
        Some((_, rps)) => md!(
            w,
            "| five scenarios >= 500,000 records/s | {} records/s | {} |",
            thousands(rps as u64),
            met(rps >= TARGET_SCENARIOS_RPS)
        ),
        None => md!(
            w,
            "| five scenarios >= 500,000 records/s | skipped | not measured |"
        ),
    }
    match (o.job("cc-tokensim"), o.job("cc-ccusage")) {
        (Some((t, _)), Some((c, _))) => {
            let speedup = c.median_s / t.median_s;
            md!(
                w,
                "| Claude Code logs: import + replay >= 10x as fast as ccusage daily | {:.2} s against {:.2} s: {speedup:.1}x | {} |",
                t.median_s,
                c.median_s,
                met(speedup >= claude_code::TARGET_SPEEDUP)
            );
        }
        _ => md!(
            w,
            "| Claude Code logs: import + replay >= 10x as fast as ccusage daily | skipped | not measured |"
        ),
    }
    match (o.job("stateless"), o.job("cached")) {
        (Some((a, _)), Some((b, _))) => {
            let overhead = b.median_s / a.median_s - 1.0;
            md!(
                w,
                "| cache lever adds <= 50% to a five-scenario replay | {:.2} s against {:.2} s: +{:.0}% wall time; peak RSS {:.1} MB against {:.1} MB | {} |",
                b.median_s,
                a.median_s,
                overhead * 100.0,
                mb(b.peak_rss_kib),
                mb(a.peak_rss_kib),
                met(overhead <= TARGET_CACHE_OVERHEAD)
            );
        }
        _ => md!(
            w,
            "| cache lever adds <= 50% to a five-scenario replay | skipped | not measured |"
        ),
    }
    md!(
        w,
        "| peak RSS < 300 MB (tokensim, every run) | {:.1} MB | {} |",
        mb(peak),
        met(mb(peak) < TARGET_PEAK_RSS_MB)
    );
    md!(
        w,
        "| baseline faster than DuckDB | tokensim {:.2} s, DuckDB {:.2} s: tokensim {} | {} |",
        base.median_s,
        duck.median_s,
        if base.median_s < duck.median_s {
            format!("{:.2}x faster", duck.median_s / base.median_s)
        } else {
            format!("{:.2}x slower", base.median_s / duck.median_s)
        },
        met(base.median_s < duck.median_s)
    );
}

/// Writes `reports/bench.md` and its dated copy `reports/bench/<date>-<host>/README.md`.
fn write_report(root: &Path, setup: &Setup, text: &str) -> Result<()> {
    let main = root.join(REPORT);
    std::fs::create_dir_all(main.parent().expect("reports/")).context("cannot create reports/")?;
    std::fs::write(&main, text).with_context(|| format!("cannot write {}", main.display()))?;
    let dated = root
        .join("reports/bench")
        .join(format!("{}-{}", setup.date, setup.host));
    std::fs::create_dir_all(&dated)
        .with_context(|| format!("cannot create {}", dated.display()))?;
    std::fs::write(dated.join("README.md"), text)
        .with_context(|| format!("cannot write {}", dated.join("README.md").display()))?;
    println!(
        "bench: wrote {REPORT} and {}",
        dated.join("README.md").display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_strings_round_trip_and_round_to_cents_half_to_even() {
        assert_eq!(
            pico_of_usd("83791.296760720000").unwrap(),
            83_791_296_760_720_000
        );
        assert_eq!(pico_of_usd("-0.000000000001").unwrap(), -1);
        assert!(pico_of_usd("1.5").is_err());
        assert_eq!(usd(83_791_296_760_720_000), "83791.296760720000");
        assert_eq!(usd(-1), "-0.000000000001");
        assert_eq!(cents(pico_of_usd("0.005000000000").unwrap()), 0);
        assert_eq!(cents(pico_of_usd("0.015000000000").unwrap()), 2);
        assert_eq!(cents(pico_of_usd("0.005000000001").unwrap()), 1);
        assert_eq!(thousands(2_125_245), "2,125,245");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn timing_files_are_parsed_from_their_last_line() {
        let s =
            parse_time("Command exited with non-zero status 1\n15.67 23308 28.25 1.25\n").unwrap();
        assert_eq!((s.wall_s, s.rss_kib, s.cpu_s), (15.67, 23308, 29.5));
        assert!(parse_time("").is_none());
    }
}
