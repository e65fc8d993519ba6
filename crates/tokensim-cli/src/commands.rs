//! What each command does: resolve arguments into the engine's configuration, run, write.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use tokensim_engine::{replay, summarize, Quarantined, ReplayConfig, Sink};
use tokensim_pricing::{Catalog, BUILTIN_CATALOG};
use tokensim_report::{render, to_json, Markup};
use tokensim_strategy::scenario::{parse_scenario, Scenario};

use crate::args::{
    AdminUsageArgs, ClaudeCodeArgs, Cli, Command, DiffArgs, Format, FrontierArgs, GenArgs,
    ImportCommand, MooncakeArgs, PrefixesArgs, PriceFlags, PricesArgs, ReplayArgs, ReportFormat,
    ValidateArgs,
};

/// Corpora smaller than this finish before a progress bar is worth drawing.
const PROGRESS_MIN_BYTES: u64 = 16 << 20;

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Replay(a) => cmd_replay(a),
        Command::Prices(a) => cmd_prices(a),
        Command::Gen(a) => cmd_gen(a),
        Command::Import(ImportCommand::Mooncake(a)) => cmd_import_mooncake(a),
        Command::Import(ImportCommand::ClaudeCode(a)) => cmd_import_claude_code(a),
        Command::Import(ImportCommand::AdminUsage(a)) => cmd_import_admin_usage(a),
        Command::Import(ImportCommand::Anthropic(a)) => crate::import::cmd_import_anthropic(a),
        Command::Import(ImportCommand::Burstgpt(a)) => crate::import::cmd_import_burstgpt(a),
        Command::Import(ImportCommand::Azure(a)) => crate::import::cmd_import_azure(a),
        Command::Import(ImportCommand::Litellm(a)) => crate::import::cmd_import_litellm(a),
        Command::Import(ImportCommand::Otel(a)) => crate::import::cmd_import_otel(a),
        Command::Prefixes(a) => cmd_prefixes(a),
        Command::Allocate(a) => crate::finops::cmd_allocate(a),
        Command::Budgets(a) => crate::finops::cmd_budgets(a),
        Command::Forecast(a) => crate::finops::cmd_forecast(a),
        Command::Reconcile(a) => crate::finops::cmd_reconcile(a),
        Command::Frontier(a) => cmd_frontier(a),
        Command::Diff(a) => cmd_diff(a),
        Command::Validate(a) => cmd_validate(a),
        Command::Fidelity(a) => cmd_fidelity(a),
    }
}

pub(crate) fn load_catalog(flags: &PriceFlags) -> Result<Catalog> {
    let overlay = match &flags.prices {
        None => None,
        Some(p) => Some((
            p.display().to_string(),
            std::fs::read_to_string(p)
                .with_context(|| format!("cannot read --prices {}", p.display()))?,
        )),
    };
    Ok(Catalog::parse(
        BUILTIN_CATALOG,
        "built-in catalog",
        overlay.as_ref().map(|(o, t)| (o.as_str(), t.as_str())),
    )?)
}

/// Opens the output: a file, or stdout for `None` and `-`.
pub(crate) fn output(path: Option<&Path>) -> Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) if p != Path::new("-") => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        _ => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

/// Receives the engine's progress and quarantined lines.
struct CliSink {
    bar: Option<ProgressBar>,
    quarantine: Option<(PathBuf, BufWriter<File>)>,
    error: Option<io::Error>,
}

impl Sink for CliSink {
    fn progress(&mut self, done: u64, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    fn pass_started(&mut self, what: &'static str) {
        if let Some(bar) = &self.bar {
            bar.set_position(0);
            bar.set_prefix(what);
        }
    }

    fn restart(&mut self) {
        // The engine replays the corpus again in sorted mode: start the quarantine file over.
        if let Some((_, w)) = &mut self.quarantine {
            let reset = w
                .flush()
                .and_then(|_| w.get_mut().set_len(0))
                .and_then(|_| std::io::Seek::rewind(w.get_mut()));
            if let Err(e) = reset {
                self.error.get_or_insert(e);
            }
        }
        eprintln!("note: the corpus is out of time order inside a cache scope; replaying it again in sorted mode");
    }

    fn quarantined(&mut self, q: &Quarantined) {
        if let Some((_, w)) = &mut self.quarantine {
            #[derive(serde::Serialize)]
            struct Entry<'a> {
                file: &'a str,
                line: u64,
                field: &'a str,
                reason: &'a str,
                raw: &'a str,
            }
            let entry = Entry {
                file: &q.file,
                line: q.line,
                field: &q.field,
                reason: &q.reason,
                raw: &q.raw,
            };
            let line = serde_json::to_string(&entry).expect("serializes");
            if let Err(e) = writeln!(w, "{line}") {
                self.error.get_or_insert(e);
            }
        }
    }
}

/// Reads and validates the scenario files; `extends` paths are relative to the extending file.
pub(crate) fn load_scenarios(
    paths: &[PathBuf],
    catalog: &Catalog,
) -> Result<Vec<(Scenario, String)>> {
    let mut out: Vec<(Scenario, String)> = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("cannot read --scenario {}", p.display()))?;
        let mut load = |from: &str, name: &str| -> Result<(String, String), String> {
            let base = Path::new(from).parent().unwrap_or(Path::new("."));
            let path = base.join(name);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Ok((path.display().to_string(), text))
        };
        let scenario = parse_scenario(&p.display().to_string(), &text, catalog, &mut load)?;
        if let Some((other, _)) = out.iter().find(|(s, _)| s.name == scenario.name) {
            bail!(
                "{}: scenario name {:?} is already used by {}; names must be unique in a run",
                p.display(),
                scenario.name,
                other.file
            );
        }
        out.push((scenario, blake3::hash(text.as_bytes()).to_hex().to_string()));
    }
    Ok(out)
}

fn cmd_replay(a: ReplayArgs) -> Result<ExitCode> {
    let catalog = load_catalog(&a.price)?;
    let scenarios = load_scenarios(&a.scenario, &catalog)?;
    let given: Vec<Scenario> = scenarios.iter().map(|(s, _)| s.clone()).collect();
    let names: Vec<String> = given.iter().map(|s| s.name.clone()).collect();
    if a.format == ReportFormat::Focus {
        tokensim_finops::focus::check_scenario_names(&names)
            .map_err(|m| anyhow::anyhow!("--format focus: {m}"))?;
    }
    // Lever attribution evaluates every subset of each scenario's levers in the same pass.
    let expanded = (!a.no_attribution).then(|| tokensim_engine::expand(&given));
    let cfg = ReplayConfig {
        owner_tag: None,
        corpus: a.corpus.clone(),
        reference_model: a.reference_model.clone(),
        quarantine: a.quarantine.is_some(),
        threads: a.threads,
        scenarios: expanded
            .as_ref()
            .map_or_else(|| given.clone(), |e| e.scenarios.clone()),
    };
    if a.show_settings {
        let settings = serde_json::json!({
            "corpus": cfg.corpus, "reference_model": cfg.reference_model, "quarantine": a.quarantine,
            "threads": cfg.threads, "format": format!("{:?}", a.format).to_lowercase(), "output": a.output,
            "catalog_version": catalog.version, "overlay": catalog.overlay,
            "scenarios": scenarios.iter().map(|(s, d)| serde_json::json!({"name": s.name, "file": s.file, "blake3": d, "levers": s.lever_ids()})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&settings)?);
        return Ok(ExitCode::SUCCESS);
    }
    let total: u64 = a
        .corpus
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let show_bar = !a.no_progress && io::stderr().is_terminal() && total >= PROGRESS_MIN_BYTES;
    let bar = show_bar.then(|| {
        let bar = ProgressBar::new(total).with_prefix("replaying");
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    });
    let quarantine = match &a.quarantine {
        None => None,
        Some(p) => Some((
            p.clone(),
            BufWriter::new(
                File::create(p)
                    .with_context(|| format!("cannot create --quarantine {}", p.display()))?,
            ),
        )),
    };
    let mut sink = CliSink {
        bar,
        quarantine,
        error: None,
    };
    let outcome = replay(&cfg, &catalog, &mut sink);
    if let Some(bar) = &sink.bar {
        bar.finish_and_clear();
    }
    let outcome = outcome.map_err(|e| {
        let hint = matches!(e, tokensim_engine::ReplayError::Corpus(tokensim_corpus::CorpusError::Line { .. }));
        if hint {
            anyhow::anyhow!("{e}\nhint: --quarantine FILE sets bad records aside with their reasons and goes on")
        } else {
            anyhow::Error::new(e)
        }
    })?;
    if let Some((path, mut w)) = sink.quarantine.take() {
        if let Some(e) = sink.error.take() {
            return Err(e).with_context(|| format!("cannot write --quarantine {}", path.display()));
        }
        w.flush()
            .with_context(|| format!("cannot write --quarantine {}", path.display()))?;
        if outcome.stats.quarantined > 0 {
            eprintln!(
                "note: {} of {} records quarantined in {} (by field: {})",
                outcome.stats.quarantined,
                outcome.stats.records_read,
                path.display(),
                outcome
                    .stats
                    .quarantine_by_field
                    .iter()
                    .map(|(f, n)| format!("{f} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let report = summarize(
        &outcome,
        &catalog,
        &scenarios,
        expanded.as_ref(),
        env!("CARGO_PKG_VERSION"),
    );
    let to_terminal = a.output.as_deref().is_none_or(|p| p == Path::new("-"))
        && io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    if a.format == ReportFormat::Focus {
        let mut out = output(a.output.as_deref())?;
        tokensim_finops::focus::write_focus(&outcome, &catalog, &names, &mut out)
            .context("cannot write the FOCUS export")?;
        out.flush().context("cannot write the FOCUS export")?;
        return Ok(ExitCode::SUCCESS);
    }
    let text = match a.format {
        ReportFormat::Focus => unreachable!("written above"),
        ReportFormat::Table if to_terminal => colour(&render(&report, Markup::Terminal)),
        ReportFormat::Table => render(&report, Markup::Terminal),
        ReportFormat::Md => render(&report, Markup::Markdown),
        ReportFormat::Json => to_json(&report),
        ReportFormat::Csv => tokensim_report::render_csv(&report),
        ReportFormat::Html => tokensim_report::render_html(&report),
    };
    let mut out = output(a.output.as_deref())?;
    out.write_all(text.as_bytes())
        .context("cannot write the report")?;
    out.flush().context("cannot write the report")?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_frontier(a: FrontierArgs) -> Result<ExitCode> {
    let catalog = load_catalog(&a.price)?;
    let to = catalog
        .resolve(&a.to)
        .map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    let scenarios = tokensim_engine::frontier_scenarios(to, a.steps);
    let cfg = ReplayConfig {
        owner_tag: None,
        corpus: a.corpus.clone(),
        reference_model: None,
        quarantine: false,
        threads: a.threads,
        scenarios: scenarios.clone(),
    };
    let mut sink = CliSink {
        bar: None,
        quarantine: None,
        error: None,
    };
    let outcome = replay(&cfg, &catalog, &mut sink)?;
    let named: Vec<(Scenario, String)> =
        scenarios.into_iter().map(|s| (s, String::new())).collect();
    let report = summarize(&outcome, &catalog, &named, None, env!("CARGO_PKG_VERSION"));
    let f = tokensim_engine::frontier(&report, &catalog.model(to).id, a.steps);
    let text = match a.format {
        Format::Table => tokensim_report::render_frontier(&f, Markup::Terminal),
        Format::Md => tokensim_report::render_frontier(&f, Markup::Markdown),
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&f)?),
    };
    let mut out = output(a.output.as_deref())?;
    out.write_all(text.as_bytes())
        .context("cannot write the report")?;
    out.flush().context("cannot write the report")?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_prices(a: PricesArgs) -> Result<ExitCode> {
    let catalog = load_catalog(&a.price)?;
    let mut out = output(None)?;
    let text = match a.format {
        Format::Json => prices_json(&catalog),
        Format::Table | Format::Md => prices_table(&catalog, a.format == Format::Md),
    };
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn prices_json(catalog: &Catalog) -> String {
    let rates = |r: &tokensim_pricing::Rates| {
        serde_json::json!({
            "input": r.input.usd_per_mtok(), "cache_write_5m": r.cache_write_5m.usd_per_mtok(),
            "cache_write_1h": r.cache_write_1h.usd_per_mtok(), "cache_read": r.cache_read.usd_per_mtok(),
            "output": r.output.usd_per_mtok(),
        })
    };
    let models: Vec<_> = catalog
        .models
        .iter()
        .map(|m| {
            serde_json::json!({
                "id": m.id, "name": m.name, "aliases": m.aliases, "min_cacheable_tokens": m.min_cacheable_tokens,
                "residency": m.residency, "source": m.source, "verified": m.verified,
                "prices": m.rows.iter().map(|r| serde_json::json!({
                    "effective_from": r.effective_from.to_string(),
                    "standard": rates(&r.base),
                    "long_context": r.long_context.map(|b| serde_json::json!({"above_input_tokens": b.above_input_tokens, "rates": rates(&b.rates)})),
                    "fast": r.fast.as_ref().map(rates),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "catalog_version": catalog.version, "overlay": catalog.overlay,
        "batch_multiplier": catalog.batch_multiplier.to_string(), "residency_multiplier": catalog.residency_multiplier.to_string(),
        "web_search_usd_per_request": catalog.web_search_fee.usd_exact(), "unit": "USD per million tokens",
        "models": models,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("serializes");
    s.push('\n');
    s
}

fn prices_table(catalog: &Catalog, markdown: bool) -> String {
    let mut rows: Vec<[String; 10]> = Vec::new();
    for m in &catalog.models {
        for (i, r) in m.rows.iter().enumerate() {
            let b = &r.base;
            rows.push([
                if i == 0 { m.id.clone() } else { String::new() },
                r.effective_from.to_string(),
                b.input.usd_per_mtok(),
                b.cache_write_5m.usd_per_mtok(),
                b.cache_write_1h.usd_per_mtok(),
                b.cache_read.usd_per_mtok(),
                b.output.usd_per_mtok(),
                r.long_context
                    .map(|l| {
                        format!(
                            ">{}K: {}/{}",
                            l.above_input_tokens / 1000,
                            l.rates.input.usd_per_mtok(),
                            l.rates.output.usd_per_mtok()
                        )
                    })
                    .unwrap_or_default(),
                r.fast
                    .map(|f| format!("{}/{}", f.input.usd_per_mtok(), f.output.usd_per_mtok()))
                    .unwrap_or_default(),
                if i == 0 {
                    format!(
                        "{}{}",
                        m.min_cacheable_tokens,
                        if m.residency { "" } else { " (no residency)" }
                    )
                } else {
                    String::new()
                },
            ]);
        }
    }
    let headers = [
        "model",
        "from",
        "input",
        "write 5m",
        "write 1h",
        "read",
        "output",
        "long context in/out",
        "fast in/out",
        "min cache",
    ];
    let widths: Vec<usize> = (0..headers.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].len())
                .chain([headers[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let fmt = |cells: Vec<&str>| -> String {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(c, s)| {
                if c < 2 {
                    format!("{s:<w$}", w = widths[c])
                } else {
                    format!("{s:>w$}", w = widths[c])
                }
            })
            .collect();
        if markdown {
            format!("| {} |\n", padded.join(" | "))
        } else {
            format!("  {}\n", padded.join("  ").trim_end())
        }
    };
    let mut out = format!(
        "Claude prices, USD per million tokens (catalog {}{}). Batch: x{} on every token price. US residency (inference_geo \"us\"): x{} on Claude 4.6 and later. Web search: ${} per search.\n\n",
        catalog.version,
        catalog.overlay.as_ref().map(|o| format!(", overlay {o:?}")).unwrap_or_default(),
        catalog.batch_multiplier,
        catalog.residency_multiplier,
        catalog.web_search_fee.usd_exact().trim_end_matches('0'),
    );
    out.push_str(&fmt(headers.to_vec()));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&fmt(rule.iter().map(String::as_str).collect()));
    for r in &rows {
        out.push_str(&fmt(r.iter().map(String::as_str).collect()));
    }
    out.push_str("\nAliases and dated snapshots resolve to these ids: `tokensim prices --format json` lists them.\n");
    out
}

fn cmd_gen(a: GenArgs) -> Result<ExitCode> {
    let catalog = Catalog::builtin();
    let start =
        tokensim_corpus::Day::parse(&a.start).map_err(|m| anyhow::anyhow!("--start: {m}"))?;
    let mut min = std::collections::BTreeMap::new();
    for id in tokensim_gen::MODELS {
        let m = catalog
            .resolve(id)
            .with_context(|| format!("generator model {id}"))?;
        min.insert(id.to_string(), catalog.model(m).min_cacheable_tokens);
    }
    let cfg = tokensim_gen::GenConfig {
        seed: a.seed,
        days: a.days,
        requests_per_day: a.requests_per_day,
        start_date: start.civil(),
        min_cacheable_tokens: min,
    };
    let summary = write_corpus(&a.output, |w| Ok(tokensim_gen::generate(&cfg, w)?))?;
    eprintln!(
        "wrote {} records to {}",
        summary.records,
        a.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes a corpus to `path` (zstd with a checksum when it ends in `.zst`, `-` for stdout).
pub(crate) fn write_corpus<T>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    if path != Path::new("-") && path.extension().is_some_and(|e| e == "zst") {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut enc = zstd::Encoder::new(BufWriter::new(file), 15)?;
        // A checksum lets readers tell a corrupt file from a good one.
        enc.include_checksum(true)?;
        let t = write(&mut enc)?;
        enc.finish()?.flush()?;
        Ok(t)
    } else {
        let mut out = output(Some(path))?;
        let t = write(&mut out)?;
        out.flush()?;
        Ok(t)
    }
}

fn cmd_import_mooncake(a: MooncakeArgs) -> Result<ExitCode> {
    use tokensim_import::mooncake::{convert, MooncakeOptions};
    let base = tokensim_corpus::Timestamp::parse_rfc3339(&a.base)
        .map_err(|m| anyhow::anyhow!("--base: {m}"))?;
    Catalog::builtin().resolve(&a.model).context("--model")?;
    let opts = MooncakeOptions {
        base,
        model: a.model.clone(),
        workspace: a.workspace.clone(),
    };
    let input = crate::import::open_input(&a.input)?;
    let name = a.input.display().to_string();
    let summary = write_corpus(&a.output, |w| Ok(convert(input, &name, &opts, w)?))?;
    let rules = rule_counts(&summary.skipped_by_rule(), &summary.adjusted_by_rule());
    eprintln!(
        "{name}: {} lines read = {} records written + {} skipped + {} blank; {} adjusted{rules}",
        summary.lines_read,
        summary.records_written,
        summary.skipped.len(),
        summary.lines_blank,
        summary.adjusted.len(),
    );
    for note in summary.skipped.iter().take(10) {
        eprintln!(
            "  skipped line {}: {}: {}",
            note.line, note.rule, note.detail
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_import_claude_code(a: ClaudeCodeArgs) -> Result<ExitCode> {
    use tokensim_import::anthropic::key_from_salt;
    use tokensim_import::claude_code::{
        find_session_files, project_of, ClaudeCodeImporter, ClaudeCodeOptions, SessionFile,
    };
    let mut opts = ClaudeCodeOptions {
        key: None,
        segments: !a.no_segments,
    };
    if let Some(salt_file) = &a.salt_file {
        let salt = std::fs::read(salt_file)
            .with_context(|| format!("--salt-file: cannot read {}", salt_file.display()))?;
        opts.key = Some(
            key_from_salt(&salt).with_context(|| format!("--salt-file {}", salt_file.display()))?,
        );
    } else if !a.no_segments {
        eprintln!(
            "no --salt-file: writing usage only; pass --salt-file FILE (secret bytes, e.g. \
             `head -c 32 /dev/urandom > salt`) to also write prompt segments for cache replays"
        );
    }
    let threads = a.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let paths = find_session_files(&a.inputs)?;
    let names: Vec<(String, Option<String>)> = paths
        .iter()
        .map(|p| (p.display().to_string(), project_of(p)))
        .collect();
    let sources: Vec<SessionFile<'_>> = names
        .iter()
        .map(|(name, project)| SessionFile {
            name,
            project: project.as_deref(),
        })
        .collect();
    let mut importer = ClaudeCodeImporter::with_options(&opts).with_threads(threads);
    importer.read_files(&sources, |i| {
        let path = &paths[i];
        File::open(path).with_context(|| format!("cannot open {}", path.display()))
    })?;
    let s = write_corpus(&a.output, |w| Ok(importer.finish(w)?))?;
    let kinds: String = s
        .not_api_calls
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    eprintln!(
        "{} lines read from {} session file(s) = {} records written + {} not API calls{} + {} \
         synthetic + {} streaming partials + {} duplicates across files + {} blank",
        s.lines_read,
        s.files.len(),
        s.records_written,
        s.not_api_calls_total(),
        if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({kinds})")
        },
        s.synthetic,
        s.superseded_in_file,
        s.duplicates_across_files,
        s.lines_blank,
    );
    let models: Vec<String> = s
        .records_by_model
        .iter()
        .map(|(m, n)| format!("{m} {n}"))
        .collect();
    eprintln!("records by model: {}", models.join(", "));
    if s.written_without_ids > 0 {
        eprintln!(
            "{} records had neither a message id nor a request id and could not be deduplicated",
            s.written_without_ids
        );
    }
    if opts.segments_on() {
        let by_rule: String = s
            .adjusted_by_rule()
            .iter()
            .map(|(r, n)| format!("; {r}: {n}"))
            .collect();
        eprintln!(
            "prompt segments: {} records, {} segments; {} adjusted{by_rule}",
            s.records_with_segments,
            s.segments_written,
            s.adjusted.len(),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_import_admin_usage(a: AdminUsageArgs) -> Result<ExitCode> {
    use tokensim_import::admin_usage::{convert, AdminUsageOptions};
    let mut files = Vec::with_capacity(a.inputs.len());
    for path in &a.inputs {
        files.push((path.display().to_string(), crate::import::open_input(path)?));
    }
    let opts = AdminUsageOptions { team: a.team };
    let s = write_corpus(&a.output, |w| Ok(convert(files, &opts, w)?))?;
    eprintln!(
        "{} file(s), {} page(s), {} bucket(s): {} results read = {} written (as {} records) + {} \
         skipped; {} adjusted{}",
        s.files,
        s.pages,
        s.buckets,
        s.results_read,
        s.results_written,
        s.records_written,
        s.skipped.len(),
        s.adjusted.len(),
        rule_counts(&s.skipped_by_rule(), &s.adjusted_by_rule()),
    );
    for note in s.skipped.iter().take(10) {
        eprintln!("  skipped: {}: {}", note.rule, note.detail);
    }
    Ok(ExitCode::SUCCESS)
}

/// `; rule: n` for each rule, skipped then adjusted.
pub(crate) fn rule_counts(
    skipped: &std::collections::BTreeMap<&'static str, u64>,
    adjusted: &std::collections::BTreeMap<&'static str, u64>,
) -> String {
    skipped
        .iter()
        .chain(adjusted.iter())
        .map(|(r, n)| format!("; {r}: {n}"))
        .collect()
}

/// Colours a terminal report for a TTY (never in files or pipes; `NO_COLOR` turns it off):
/// section titles bold, money that a scenario loses red. The text is otherwise unchanged.
fn colour(text: &str) -> String {
    const BOLD: &str = "\x1b[1m";
    const RED: &str = "\x1b[31m";
    const RESET: &str = "\x1b[0m";
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.lines() {
        if !line.is_empty() && !line.starts_with(' ') {
            out.push_str(BOLD);
            out.push_str(line);
            out.push_str(RESET);
        } else {
            // A negative amount (a cost increase) is a word starting with "-$".
            let mut first = true;
            for word in line.split(' ') {
                if !first {
                    out.push(' ');
                }
                first = false;
                if word.starts_with("-$") {
                    out.push_str(RED);
                    out.push_str(word);
                    out.push_str(RESET);
                } else {
                    out.push_str(word);
                }
            }
        }
        out.push('\n');
    }
    out
}

/// Replays a corpus with the given scenarios (no attribution, no progress bar, strict).
fn quiet_replay(
    corpus: &[PathBuf],
    catalog: &Catalog,
    scenarios: &[(Scenario, String)],
) -> Result<tokensim_report::Report> {
    let outcome = quiet_outcome(corpus, catalog, scenarios, None)?;
    Ok(summarize(
        &outcome,
        catalog,
        scenarios,
        None,
        env!("CARGO_PKG_VERSION"),
    ))
}

/// The engine's outcome of a strict replay without a progress bar; `owner_tag` keys workloads
/// by a tag's value (`ReplayConfig::owner_tag`).
pub(crate) fn quiet_outcome(
    corpus: &[PathBuf],
    catalog: &Catalog,
    scenarios: &[(Scenario, String)],
    owner_tag: Option<String>,
) -> Result<tokensim_engine::ReplayOutcome> {
    let cfg = ReplayConfig {
        owner_tag,
        corpus: corpus.to_vec(),
        reference_model: None,
        quarantine: false,
        threads: None,
        scenarios: scenarios.iter().map(|(s, _)| s.clone()).collect(),
    };
    let mut sink = CliSink {
        bar: None,
        quarantine: None,
        error: None,
    };
    Ok(replay(&cfg, catalog, &mut sink)?)
}

fn cmd_diff(a: DiffArgs) -> Result<ExitCode> {
    use tokensim_engine::Side;
    let catalog = load_catalog(&a.price)?;
    if let Some(p) = a.fail_above {
        if !p.is_finite() || p < 0.0 {
            bail!("--fail-above: expected a percentage, 0 or more; got {p}");
        }
    }
    let names = |p: &Path| {
        p.iter()
            .map(|c| c.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    let corpus_label = |c: &[PathBuf]| c.iter().map(|p| names(p)).collect::<Vec<_>>().join(" ");
    let d = if !a.after_corpus.is_empty() {
        let scenarios = match &a.scenario {
            Some(s) => load_scenarios(std::slice::from_ref(s), &catalog)?,
            None => Vec::new(),
        };
        let before = quiet_replay(&a.corpus, &catalog, &scenarios)?;
        let after = quiet_replay(&a.after_corpus, &catalog, &scenarios)?;
        let side = |r| {
            if scenarios.is_empty() {
                Side::Recorded(r)
            } else {
                Side::Scenario(r, 0)
            }
        };
        let changes = tokensim_engine::prefix_changes(
            &tokensim_engine::analyze_prefixes(&a.corpus, &catalog, 50)?,
            &tokensim_engine::analyze_prefixes(&a.after_corpus, &catalog, 50)?,
        );
        let what = scenarios
            .first()
            .map_or("recorded".to_string(), |(s, _)| s.name.clone());
        tokensim_engine::diff(
            side(&before),
            side(&after),
            (
                &format!("{} ({what})", corpus_label(&a.corpus)),
                &format!("{} ({what})", corpus_label(&a.after_corpus)),
            ),
            a.fail_above,
            changes,
        )
    } else {
        let (Some(b), Some(af)) = (&a.before, &a.after) else {
            bail!("give --before and --after (scenario files or `recorded`), or --after-corpus");
        };
        let mut files = Vec::new();
        for s in [b, af] {
            if s != "recorded" {
                files.push(PathBuf::from(s));
            }
        }
        let mut scenarios = load_scenarios(&files, &catalog)?;
        if scenarios.len() == 2 && scenarios[0].0.name == scenarios[1].0.name {
            // The same file twice, or two files with one name: tell them apart.
            scenarios[1].0.name.push_str(" (after)");
        }
        let report = quiet_replay(&a.corpus, &catalog, &scenarios)?;
        let mut next = 0;
        let mut side = |s: &str| {
            if s == "recorded" {
                (Side::Recorded(&report), "recorded".to_string())
            } else {
                next += 1;
                (
                    Side::Scenario(&report, next - 1),
                    report.scenarios[next - 1].name.clone(),
                )
            }
        };
        let (bs, bl) = side(b);
        let (as_, al) = side(af);
        tokensim_engine::diff(bs, as_, (&bl, &al), a.fail_above, Vec::new())
    };
    let text = match a.format {
        Format::Table => tokensim_report::render_diff(&d, Markup::Terminal),
        Format::Md => tokensim_report::render_diff(&d, Markup::Markdown),
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&d)?),
    };
    let mut out = output(a.output.as_deref())?;
    out.write_all(text.as_bytes())
        .context("cannot write the diff")?;
    out.flush().context("cannot write the diff")?;
    if d.failed {
        eprintln!(
            "tokensim diff: the cost rises by more than {}% ({} -> {})",
            a.fail_above.unwrap_or_default(),
            d.totals.before.cost,
            d.totals.after.cost
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_validate(a: ValidateArgs) -> Result<ExitCode> {
    let catalog = load_catalog(&a.price)?;
    let r = tokensim_engine::validate(&a.corpus, &catalog)?;
    let text = match a.format {
        Format::Table | Format::Md => tokensim_engine::render_validate(&r),
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&r)?),
    };
    let mut out = output(None)?;
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(if r.invalid > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn cmd_prefixes(a: PrefixesArgs) -> Result<ExitCode> {
    let catalog = load_catalog(&a.price)?;
    let report = tokensim_engine::analyze_prefixes(&a.corpus, &catalog, a.top)?;
    let text = match a.format {
        Format::Table => tokensim_report::render_prefixes(&report, Markup::Terminal),
        Format::Md => tokensim_report::render_prefixes(&report, Markup::Markdown),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&report)?;
            s.push('\n');
            s
        }
    };
    let mut out = output(None)?;
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_fidelity(a: crate::args::FidelityArgs) -> Result<ExitCode> {
    let catalog = load_catalog(&a.price)?;
    let cfg = tokensim_engine::FidelityConfig {
        corpus: a.corpus.clone(),
        threads: a.threads,
        top: a.top,
        readable_delay_ms: a.readable_delay_ms,
    };
    let report = tokensim_engine::fidelity(&cfg, &catalog)?;
    let sessions = a.top.max(20);
    let text = match a.format {
        Format::Table => tokensim_report::render_fidelity(&report, Markup::Terminal, sessions),
        Format::Md => tokensim_report::render_fidelity(&report, Markup::Markdown, sessions),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&report)?;
            s.push('\n');
            s
        }
    };
    let mut out = output(a.output.as_deref())?;
    out.write_all(text.as_bytes())
        .context("cannot write the fidelity report")?;
    out.flush().context("cannot write the fidelity report")?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::colour;

    #[test]
    fn colour_marks_titles_and_losses_and_keeps_the_text() {
        let text = "Summary\n  a  $1.00  -$2.50\n\n";
        let c = colour(text);
        assert_eq!(
            c,
            "\x1b[1mSummary\x1b[0m\n  a  $1.00  \x1b[31m-$2.50\x1b[0m\n\n"
        );
        let plain = c
            .replace("\x1b[1m", "")
            .replace("\x1b[31m", "")
            .replace("\x1b[0m", "");
        assert_eq!(plain, text);
    }
}
