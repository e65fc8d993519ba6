//! Command-line arguments (clap derive). `--help` is the user's manual: each flag says what it
//! does, its default, and where the rules are documented.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// What would our Claude API traffic have cost if...? tokensim replays recorded API usage and
/// prices it exactly, as recorded and against a naive reference.
#[derive(Debug, Parser)]
#[command(name = "tokensim", version, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Start with:\n  tokensim replay --corpus corpora/demo.jsonl.zst\n\nCorpus format: docs/corpus-format.md. Prices: tokensim prices, docs/price-catalog.md."
)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Price a corpus as recorded and against the naive reference, by workload, model and day.
    ///
    /// Every record is priced from its recorded usage (cache reads and writes, batch, residency,
    /// fast mode, web search) with the price row in force at its timestamp. The naive reference
    /// prices the same calls on the most expensive model in the corpus, real time, no caching.
    /// Each `--scenario` is evaluated on every record in the same pass and compared with both.
    #[command(
        after_help = "Examples:\n  tokensim replay --corpus corpora/demo.jsonl.zst\n  tokensim replay --corpus corpora/demo.jsonl.zst --scenario scenarios/*.toml\n  tokensim replay --corpus a.jsonl b.jsonl.zst --format json --output report.json\n  tokensim replay --corpus logs.jsonl --quarantine rejected.jsonl --prices our-contract.toml"
    )]
    Replay(ReplayArgs),
    /// Print the price catalog (with an overlay applied, if given).
    Prices(PricesArgs),
    /// Write a deterministic synthetic organization's traffic (the demo corpus).
    ///
    /// Six workload archetypes (support chat, RAG, classification pipeline, nightly summaries,
    /// coding agent, internal copilot), daily and weekly cycles, heavy-tailed sizes, prompt
    /// segments with cache breakpoints, and eval outcomes on a sample. See docs/demo-corpus.md.
    #[command(
        after_help = "Example:\n  tokensim gen --seed 7 --days 30 --requests-per-day 1500 -o corpora/demo.jsonl.zst"
    )]
    Gen(GenArgs),
    /// Convert another log or trace format into a tokensim corpus (docs/importers.md).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Find the prompt prefixes that recur, what a cache breakpoint on each would save at a 5m
    /// or 1h TTL, and the caching mistakes the corpus shows (docs/prefixes.md).
    #[command(
        after_help = "Example:\n  tokensim prefixes --corpus corpora/demo.jsonl.zst --top 15"
    )]
    Prefixes(PrefixesArgs),
    /// Showback and chargeback: each owner's cost per month (or day), recorded and under a
    /// scenario, with unattributed cost shared by a stated rule; rows add up exactly to the
    /// total (docs/finops.md).
    #[command(
        after_help = "Example:\n  tokensim allocate --corpus corpora/demo.jsonl.zst --by team --format csv -o showback.csv\n  tokensim allocate --corpus calls.jsonl --by tag:cost-center --unattributed owner:platform --scenario scenarios/all-levers.toml"
    )]
    Allocate(AllocateArgs),
    /// Check monthly budgets per owner (a TOML file) against the corpus: month-to-date spend,
    /// the run-rate projection to month end, and a warning or breach per owner. Exits 1 when a
    /// hard budget is in breach, for cron and CI (docs/finops.md).
    #[command(
        after_help = "Example:\n  tokensim budgets --corpus calls.jsonl.zst --budgets budgets.toml --as-of 2026-10-15\n\nbudgets.toml:\n  by = \"team\"\n  [[budget]]\n  owner = \"search\"\n  monthly_usd = \"1500.00\"\n  kind = \"hard\""
    )]
    Budgets(BudgetsArgs),
    /// Forecast the next months' cost, recorded and under a scenario (trend plus weekly
    /// seasonality, 80% and 95% intervals, a 14-day backtest), and size an annual commitment
    /// on the optimized forecast (docs/forecast.md).
    #[command(
        after_help = "Example:\n  tokensim forecast --corpus corpora/demo.jsonl.zst --scenario scenarios/all-levers.toml --months 3"
    )]
    Forecast(ForecastArgs),
    /// Compare the invoice (Admin API cost report pages) with the corpus's recorded cost per
    /// day, workspace and model: the difference, its share, and the likely cause where one can
    /// be named (days missing from the corpus, unpriced models, a discount) (docs/reconcile.md).
    #[command(
        after_help = "Example:\n  tokensim reconcile --corpus calls.jsonl.zst --cost-report cost-2026-10-*.json --workspace wrkspc_01AB=prod"
    )]
    Reconcile(ReconcileArgs),
    /// Sweep a difficulty threshold for routing to a cheaper model and print the cost-quality
    /// curve: at each threshold, calls whose difficulty is below it move to --to; the cost is
    /// priced as `replay` prices it and the quality retained is 1 - expected degraded answers /
    /// calls, from the priors and the corpus's evals (docs/routing.md, docs/quality-risk.md).
    /// Difficulty is the corpus's `difficulty` field, else a documented heuristic.
    #[command(
        after_help = "Example:\n  tokensim frontier --corpus corpora/demo.jsonl.zst --to claude-haiku-5-5 --steps 20"
    )]
    Frontier(FrontierArgs),
    /// Compare two runs before shipping a change: two scenarios on one corpus (--before,
    /// --after), or the same scenario on two corpora (--corpus, --after-corpus; e.g. a prompt
    /// change recorded in staging). Prints the cost delta per workload and in total, the risk
    /// delta and, for two corpora, the prompt prefixes whose caching changes. Exit status 1
    /// when --fail-above is given and the cost rises by more (docs/diff.md).
    #[command(
        after_help = "Examples:\n  tokensim diff --corpus corpora/demo.jsonl.zst --before recorded --after scenarios/cache-auto.toml\n  tokensim diff --corpus prod.jsonl --after-corpus staging.jsonl --format md --fail-above 5"
    )]
    Diff(DiffArgs),
    /// Check a corpus against corpus format v1 without pricing it: every bad line with its
    /// file, line and field (the first 100 listed, all counted), and what the corpus holds
    /// (time span, models, workloads, segments, cache usage, evals). Exit status 1 when any
    /// line is invalid.
    #[command(after_help = "Example:\n  tokensim validate --corpus calls.jsonl.zst --format json")]
    Validate(ValidateArgs),
    /// Measure the prompt-cache simulator against the recorded usage: re-simulate every call
    /// that has prompt segments with its recorded breakpoints (the `replay` cache policy) and
    /// compare the simulated split (uncached, 5m write, 1h write, read) with the recorded one,
    /// per session and in total, with the cost of the disagreement and the calls that disagree
    /// most, each with the reason the simulator sees (docs/fidelity.md).
    #[command(
        after_help = "Example:\n  tokensim fidelity --corpus claude-code.jsonl.zst --top 20 --format md"
    )]
    Fidelity(FidelityArgs),
}

/// `tokensim import FORMAT`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// The Mooncake traces (one JSON object a line: timestamp, input_length, output_length,
    /// hash_ids of 512-token blocks): each block becomes a prompt segment.
    #[command(
        after_help = "Example:\n  tokensim import mooncake corpora/mooncake/conversation_trace.jsonl -o mooncake.jsonl"
    )]
    Mooncake(MooncakeArgs),
    /// Claude Code session logs (`~/.claude/projects/<project>/<session>.jsonl`): one record per
    /// API call, the last of the lines that share its message id and request id; lines that are
    /// not API calls are counted by kind.
    #[command(
        after_help = "Example:\n  tokensim import claude-code ~/.claude/projects -o claude-code.jsonl.zst"
    )]
    ClaudeCode(ClaudeCodeArgs),
    /// Admin API usage report pages (`/v1/organizations/usage_report/messages`): each bucket's
    /// result becomes records tagged `aggregate:admin-usage`, split into pieces of at most
    /// 100,000 input tokens where the report says `0-200k`, so that prices come out as billed.
    /// Group the report by model (a result without one cannot be priced).
    #[command(
        after_help = "Example:\n  tokensim import admin-usage usage-2026-10-*.json -o usage.jsonl\n\n\
                      Aggregated records price exactly under routing, batch and cache off; cache \
                      simulation, thinking caps and context trimming leave them as recorded, and \
                      the report says how many records are aggregates (docs/importers.md)."
    )]
    AdminUsage(AdminUsageArgs),
    /// Your own logs of Messages API exchanges, one JSON object a line: `ts`, `request` (the
    /// body sent), `response` (the message, a list of SSE events, or the raw SSE text), optional
    /// `latency_ms` and `metadata` (team, app, feature, workspace, conversation_id, tags). Batch
    /// result lines (`custom_id`, `result`) are read too. The prompt text is never copied: each
    /// tool, system block and message block becomes a segment fingerprinted with a keyed BLAKE3
    /// hash, its cache breakpoints kept, its tokens apportioned from the billed usage.
    #[command(
        after_help = "Example:\n  head -c 32 /dev/urandom > salt && chmod 600 salt\n  tokensim import anthropic logs/*.jsonl --salt-file salt -o calls.jsonl.zst\n\n\
                      Keep the salt file: the same salt gives the same fingerprints, so corpora \
                      imported on different days share prefixes. Rules and the apportionment are \
                      in docs/importers.md (\"anthropic\")."
    )]
    Anthropic(AnthropicArgs),
    /// The BurstGPT trace (CSV: Timestamp, Model, Request tokens, Response tokens, Total
    /// tokens, Log Type): one record per row, ChatGPT and GPT-4 mapped to Claude models by a
    /// table you can override; failed requests (no response tokens) are skipped and counted.
    #[command(
        after_help = "Example:\n  tokensim import burstgpt BurstGPT_1.csv -o burstgpt.jsonl.zst --map-model GPT-4=claude-opus-4-5\n\n\
                      Default table: ChatGPT -> claude-haiku-4-5, GPT-4 -> claude-sonnet-4-5 \
                      (docs/importers.md, \"burstgpt\")."
    )]
    Burstgpt(BurstGptArgs),
    /// The Azure LLM inference traces (CSV: TIMESTAMP, ContextTokens, GeneratedTokens): one
    /// record per row on one model; `app` is `code` or `conv` from the file name.
    #[command(
        after_help = "Example:\n  tokensim import azure AzureLLMInferenceTrace_code.csv AzureLLMInferenceTrace_conv.csv -o azure.jsonl"
    )]
    Azure(AzureArgs),
    /// LiteLLM proxy spend logs (`LiteLLM_SpendLogs` rows, `/spend/logs` pages, or callback
    /// payloads), one JSON value a line or pretty-printed. `prompt_tokens` includes cached
    /// tokens, so cache reads and writes are subtracted; team, key alias and tags are mapped.
    /// Non-Claude models are skipped (and counted) unless mapped.
    #[command(
        after_help = "Example:\n  tokensim import litellm spend_logs.jsonl -o litellm.jsonl --map-model my-alias=claude-sonnet-4-5"
    )]
    Litellm(LiteLlmArgs),
    /// OpenTelemetry GenAI spans as OTLP JSON (`resourceSpans`, the `gen_ai.*` conventions), and
    /// Claude Code's own OTel log events (`resourceLogs`, `claude_code.api_request`): one record
    /// per model call. One export a line (the collector's file exporter) or pretty-printed.
    #[command(
        after_help = "Example:\n  tokensim import otel traces.jsonl -o otel.jsonl --team-attr team.id"
    )]
    Otel(OtelArgs),
}

/// `tokensim import litellm`.
#[derive(Debug, clap::Args)]
pub struct LiteLlmArgs {
    /// Spend-log files; `-` is stdin.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Output corpus; zstd-compressed when it ends in `.zst`; `-` is stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// Map a model name (an alias, a non-Claude model) to a Claude model, `FROM=TO`; repeat for
    /// several. Provider prefixes (`bedrock/`, `vertex_ai/`, regions, `-v1:0`) are removed
    /// without a mapping.
    #[arg(long = "map-model", value_name = "FROM=TO")]
    pub map_model: Vec<String>,
    /// The workspace (cache scope) of every record. Default: none (`default`).
    #[arg(long)]
    pub workspace: Option<String>,
    /// The UTC offset of timestamps written without one (older LiteLLM versions).
    #[arg(long, default_value = "Z", value_name = "+HH:MM")]
    pub naive_offset: String,
    /// The TTL of cache writes when the log does not split them: `5m` or `1h`.
    #[arg(long, default_value = "5m", value_name = "TTL")]
    pub cache_write_ttl: String,
}

/// `tokensim import otel`.
#[derive(Debug, clap::Args)]
pub struct OtelArgs {
    /// OTLP JSON files; `-` is stdin.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Output corpus; zstd-compressed when it ends in `.zst`; `-` is stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// Map a model name to a Claude model, `FROM=TO`; repeat for several.
    #[arg(long = "map-model", value_name = "FROM=TO")]
    pub map_model: Vec<String>,
    /// The workspace (cache scope) of every record. Default: none (`default`).
    #[arg(long)]
    pub workspace: Option<String>,
    /// The TTL of cache writes (OTel does not split them): `5m` or `1h`.
    #[arg(long, default_value = "5m", value_name = "TTL")]
    pub cache_write_ttl: String,
    /// Whether `gen_ai.usage.input_tokens` includes cache reads and writes (`inclusive`, the
    /// semantic conventions since v1.40) or is Anthropic's uncached count (`exclusive`).
    #[arg(long, default_value = "inclusive", value_name = "HOW")]
    pub input_tokens: String,
    /// Resource or span attributes that give the team, first found wins; repeat for several.
    /// Default: team.id, service.namespace.
    #[arg(long, value_name = "KEY")]
    pub team_attr: Vec<String>,
    /// Attributes that give the app. Default: service.name.
    #[arg(long, value_name = "KEY")]
    pub app_attr: Vec<String>,
    /// Attributes that give the feature. Default: gen_ai.agent.name, agent.name, query_source.
    #[arg(long, value_name = "KEY")]
    pub feature_attr: Vec<String>,
}

/// `tokensim import burstgpt`.
#[derive(Debug, clap::Args)]
pub struct BurstGptArgs {
    /// The trace files (CSV with a header row); `-` is stdin.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Output corpus; zstd-compressed when it ends in `.zst`; `-` is stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// The instant the trace's time 0 maps to (RFC 3339).
    #[arg(long, default_value = "2026-10-01T00:00:00Z")]
    pub base: String,
    /// The workspace (cache scope) of the records.
    #[arg(long, default_value = "burstgpt")]
    pub workspace: String,
    /// Map a trace model to a Claude model, `FROM=TO`; repeat for several. Replaces the default
    /// entry for FROM.
    #[arg(long = "map-model", value_name = "FROM=TO")]
    pub map_model: Vec<String>,
    /// Write failed requests (0 response tokens) as records instead of skipping them.
    #[arg(long)]
    pub keep_failed: bool,
}

/// `tokensim import azure`.
#[derive(Debug, clap::Args)]
pub struct AzureArgs {
    /// The trace files (CSV with a header row); `-` is stdin.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Output corpus; zstd-compressed when it ends in `.zst`; `-` is stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// The model every request is mapped to.
    #[arg(long, default_value = "claude-sonnet-4-5")]
    pub model: String,
    /// The workspace (cache scope) of the records.
    #[arg(long, default_value = "azure")]
    pub workspace: String,
    /// Move each trace so that its first row is at this instant (RFC 3339), keeping every gap.
    /// Default: the trace's own 2023 times.
    #[arg(long)]
    pub base: Option<String>,
    /// The app of every record. Default: `code` or `conv` from the file name.
    #[arg(long)]
    pub app: Option<String>,
}

/// `tokensim import anthropic`.
#[derive(Debug, clap::Args)]
pub struct AnthropicArgs {
    /// Log files, one exchange a line; `-` is stdin. Converted in the order given.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Output corpus; zstd-compressed when it ends in `.zst`; `-` is stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// A file of secret bytes (any length but zero) that keys the fingerprints, so that the
    /// hash of a common text cannot be looked up. Required.
    #[arg(long, value_name = "FILE")]
    pub salt_file: PathBuf,
    /// The time of a line without `ts` (RFC 3339), e.g. a batch's `created_at` for its
    /// results. Without it such a line is an error.
    #[arg(long, value_name = "RFC3339")]
    pub default_ts: Option<String>,
    /// The workspace (cache scope) of a line without `metadata.workspace`.
    #[arg(long)]
    pub workspace: Option<String>,
}

/// `tokensim import admin-usage`.
#[derive(Debug, clap::Args)]
pub struct AdminUsageArgs {
    /// Report pages: JSON files of one page each (as the API returns them), pages one per line,
    /// or a JSON array of pages. Read in the order given.
    #[arg(required = true, value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Output corpus; zstd-compressed when it ends in `.zst`; `-` is stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// The team of every record. Default: the workspace id (`default` for the default
    /// workspace).
    #[arg(long)]
    pub team: Option<String>,
}

/// `tokensim import mooncake`.
#[derive(Debug, clap::Args)]
pub struct MooncakeArgs {
    /// The trace file.
    pub input: PathBuf,
    /// Output corpus; zstd-compressed when it ends in `.zst`; `-` is stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// The model every request is mapped to.
    #[arg(long, default_value = "claude-sonnet-4-5")]
    pub model: String,
    /// The workspace (cache scope) of the records.
    #[arg(long, default_value = "mooncake")]
    pub workspace: String,
    /// The instant the trace's timestamp 0 maps to (RFC 3339).
    #[arg(long, default_value = "2026-10-01T00:00:00Z")]
    pub base: String,
}

/// `tokensim import claude-code`.
#[derive(Debug, clap::Args)]
pub struct ClaudeCodeArgs {
    /// Session files, or directories to search recursively for `*.jsonl` files (in sorted path
    /// order). The folder after `projects/` (else the file's folder) is each record's `app`.
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub inputs: Vec<PathBuf>,
    /// Output corpus; zstd-compressed when it ends in `.zst`; `-` is stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// A file of secret bytes (any length but zero) that keys the fingerprints of the prompt
    /// segments rebuilt from the transcripts (`head -c 32 /dev/urandom > salt`). Without it the
    /// records carry usage only.
    #[arg(long, value_name = "FILE")]
    pub salt_file: Option<PathBuf>,
    /// Write usage only, no prompt segments, even with --salt-file.
    #[arg(long)]
    pub no_segments: bool,
    /// Threads that parse session files, 1 to 1024 (default: one per core). The corpus and the
    /// summary are identical for any value.
    #[arg(long, short = 'j', value_name = "N", value_parser = threads)]
    pub threads: Option<usize>,
}

/// Output formats of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned text tables (the default).
    Table,
    /// Markdown, for pull requests and docs.
    Md,
    /// The versioned JSON report (docs/report-format.md), exact to the pico-dollar.
    Json,
}

/// Output formats of `replay`: those of [`Format`], plus CSV and HTML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Aligned text tables (the default).
    Table,
    /// Markdown, for pull requests and docs.
    Md,
    /// The versioned JSON report (docs/report-format.md), exact to the pico-dollar.
    Json,
    /// CSV for spreadsheets: one row per (scenario, workload, model), money exact.
    Csv,
    /// A self-contained HTML page with inline SVG charts that opens offline.
    Html,
    /// FinOps FOCUS 1.2 CSV: one row per (scenario, day, workload, model, token class), with
    /// BilledCost, ListCost, quantities, SKUs and x_ScenarioId / x_TokenDirection /
    /// x_CacheAction (docs/focus.md). Rows add up to the report's totals.
    Focus,
}

/// Output formats of the FinOps commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FinopsFormat {
    /// Aligned text tables (the default).
    Table,
    /// Markdown, for a monthly note.
    Md,
    /// CSV for finance (`allocate` only): amounts in dollars and cents, apportioned so that each
    /// period's rows add up to its total.
    Csv,
    /// JSON with exact 12-decimal amounts.
    Json,
}

/// `tokensim allocate`.
#[derive(Debug, clap::Args)]
pub struct AllocateArgs {
    /// Corpus files.
    #[arg(long, short = 'c', required = true, num_args = 1.., value_name = "FILE")]
    pub corpus: Vec<PathBuf>,
    /// A scenario whose cost is allocated next to the recorded cost.
    #[arg(long, short = 's', value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Who owns a call: team, app, feature, or tag:KEY (the value of the record's KEY tag).
    #[arg(long, default_value = "team", value_name = "OWNER")]
    pub by: String,
    /// The period: month or day (UTC).
    #[arg(long, default_value = "month", value_parser = ["month", "day"])]
    pub period: String,
    /// How cost without an owner is shared: proportional (to each owner's direct cost in the
    /// period), even, or owner:NAME (all of it to NAME).
    #[arg(long, default_value = "proportional", value_name = "RULE")]
    pub unattributed: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: FinopsFormat,
    /// Write here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub price: PriceFlags,
}

/// `tokensim budgets`.
#[derive(Debug, clap::Args)]
pub struct BudgetsArgs {
    /// Corpus files.
    #[arg(long, short = 'c', required = true, num_args = 1.., value_name = "FILE")]
    pub corpus: Vec<PathBuf>,
    /// The budgets file (TOML; see docs/finops.md).
    #[arg(long, value_name = "FILE")]
    pub budgets: PathBuf,
    /// The last day counted (YYYY-MM-DD); its month is checked. Default: the corpus's last day.
    #[arg(long, value_name = "DAY")]
    pub as_of: Option<String>,
    /// Output format (table, md or json).
    #[arg(long, value_enum, default_value = "table")]
    pub format: FinopsFormat,
    /// Write here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub price: PriceFlags,
}

/// `tokensim forecast`.
#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    /// Corpus files: at least 28 days of traffic (42 for a backtest).
    #[arg(long, short = 'c', required = true, num_args = 1.., value_name = "FILE")]
    pub corpus: Vec<PathBuf>,
    /// The optimized traffic: scenarios whose cost is forecast next to the recorded cost, each
    /// with the commitment sized on it.
    #[arg(long, short = 's', num_args = 1.., value_name = "FILE")]
    pub scenario: Vec<PathBuf>,
    /// Calendar months to forecast after the corpus's last month.
    #[arg(long, default_value_t = 3)]
    pub months: u32,
    /// The commitment is this percentile of the 12-month forecast (the shortfall risk).
    #[arg(long, default_value_t = 10.0, value_name = "PERCENT")]
    pub percentile: f64,
    /// Discount on committed spend, in basis points (0: not modelled).
    #[arg(long, default_value_t = 0, value_name = "BPS")]
    pub discount_bps: u32,
    /// Output format (table, md or json).
    #[arg(long, value_enum, default_value = "table")]
    pub format: FinopsFormat,
    /// Write here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub price: PriceFlags,
}

/// `tokensim reconcile`.
#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    /// Corpus files.
    #[arg(long, short = 'c', required = true, num_args = 1.., value_name = "FILE")]
    pub corpus: Vec<PathBuf>,
    /// Cost report pages (`/v1/organizations/cost_report`, grouped by workspace_id and
    /// description): files of one page, pages one per line, or a JSON array of pages.
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub cost_report: Vec<PathBuf>,
    /// Map an invoice workspace id to the corpus's workspace name, `ID=NAME`; repeat for
    /// several.
    #[arg(long, value_name = "ID=NAME")]
    pub workspace: Vec<String>,
    /// Output format (table, md or json).
    #[arg(long, value_enum, default_value = "table")]
    pub format: FinopsFormat,
    /// Write here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub price: PriceFlags,
}

/// Flags shared by commands that read prices.
#[derive(Debug, clap::Args)]
pub struct PriceFlags {
    /// Overlay negotiated terms on the catalog: a TOML file of discounts (global or per model,
    /// effective from a date) and extra models. See docs/price-catalog.md.
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
}

/// `tokensim replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Corpus files (JSONL, plain or zstd, detected by content). Several files are one corpus.
    #[arg(long, short = 'c', required = true, num_args = 1.., value_name = "FILE")]
    pub corpus: Vec<PathBuf>,
    /// Scenario files (TOML, see docs/scenarios.md and scenarios/): each is evaluated on every
    /// record in the same pass and compared with the recorded baseline.
    #[arg(long, short = 's', num_args = 1.., value_name = "FILE")]
    pub scenario: Vec<PathBuf>,
    /// The naive reference's model (default: the most expensive model in the corpus).
    #[arg(long, value_name = "MODEL")]
    pub reference_model: Option<String>,
    /// Set bad records aside in FILE (one JSON object per line: file, line, field, reason, raw)
    /// and go on. Without it the first bad record stops the run.
    #[arg(long, value_name = "FILE")]
    pub quarantine: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write the report to FILE instead of stdout (`-` is stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Worker threads, 1 to 1024 (default: one per core). The report is identical for any value.
    #[arg(long, short = 'j', value_name = "N", value_parser = threads)]
    pub threads: Option<usize>,
    /// Never show a progress bar (it shows only on a terminal, for large corpora).
    #[arg(long)]
    pub no_progress: bool,
    /// Skip lever attribution. By default a scenario with two levers or more is also evaluated
    /// with every subset of its levers (in the same pass), so the report can split its saving
    /// between the levers: a waterfall in pipeline order and Shapley shares (docs/attribution.md).
    #[arg(long)]
    pub no_attribution: bool,
    #[command(flatten)]
    pub price: PriceFlags,
    /// Print the resolved settings as JSON and exit.
    #[arg(long, hide = true)]
    pub show_settings: bool,
}

/// `tokensim prices`.
#[derive(Debug, clap::Args)]
pub struct PricesArgs {
    /// Output format (`table` or `json`).
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub price: PriceFlags,
}

/// `tokensim gen`.
#[derive(Debug, clap::Args)]
pub struct GenArgs {
    /// Seed of the generator: the same seed and sizes give byte-identical output.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Days of traffic.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Mean requests per day across all workloads.
    #[arg(long, default_value_t = 1500)]
    pub requests_per_day: u64,
    /// First day (UTC), YYYY-MM-DD.
    #[arg(long, default_value = "2026-10-01")]
    pub start: String,
    /// Output file; zstd-compressed when it ends in `.zst`; `-` is stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
}

/// `tokensim prefixes`.
#[derive(Debug, clap::Args)]
pub struct PrefixesArgs {
    /// Corpus files (JSONL, plain or zstd).
    #[arg(long, short = 'c', required = true, num_args = 1.., value_name = "FILE")]
    pub corpus: Vec<PathBuf>,
    /// How many prefixes to list, best first.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub price: PriceFlags,
}

/// `tokensim frontier`.
#[derive(Debug, clap::Args)]
pub struct FrontierArgs {
    /// Corpus files (JSONL, plain or zstd).
    #[arg(long, short = 'c', required = true, num_args = 1.., value_name = "FILE")]
    pub corpus: Vec<PathBuf>,
    /// The cheaper model calls are routed to.
    #[arg(long, value_name = "MODEL")]
    pub to: String,
    /// Steps of the sweep: thresholds 0, 1/STEPS, ..., 1 (all evaluated in one pass).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub steps: u32,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of stdout (`-` is stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Worker threads, 1 to 1024 (default: one per core). The report is identical for any value.
    #[arg(long, short = 'j', value_name = "N", value_parser = threads)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub price: PriceFlags,
}

/// `tokensim diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// Corpus files (the "before" corpus when --after-corpus is given).
    #[arg(long, short = 'c', required = true, num_args = 1.., value_name = "FILE")]
    pub corpus: Vec<PathBuf>,
    /// The "after" corpus: compare the same scenario (or the recorded traffic) on two corpora.
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with_all = ["before", "after"])]
    pub after_corpus: Vec<PathBuf>,
    /// Before: a scenario file, or `recorded` for the traffic as it ran.
    #[arg(long, value_name = "SCENARIO", requires = "after")]
    pub before: Option<String>,
    /// After: a scenario file, or `recorded`.
    #[arg(long, value_name = "SCENARIO", requires = "before")]
    pub after: Option<String>,
    /// With --after-corpus: the scenario applied to both corpora (default: as recorded).
    #[arg(long, value_name = "SCENARIO", requires = "after_corpus")]
    pub scenario: Option<PathBuf>,
    /// Exit with status 1 when the total cost rises by more than PCT percent (for CI).
    #[arg(long, value_name = "PCT")]
    pub fail_above: Option<f64>,
    /// Output format (`md` is a pull-request comment).
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the diff to FILE instead of stdout (`-` is stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub price: PriceFlags,
}

/// `tokensim validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Corpus files (JSONL, plain or zstd).
    #[arg(long, short = 'c', required = true, num_args = 1.., value_name = "FILE")]
    pub corpus: Vec<PathBuf>,
    /// Output format (`table` is plain text).
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub price: PriceFlags,
}

/// `tokensim fidelity`.
#[derive(Debug, clap::Args)]
pub struct FidelityArgs {
    /// Corpus files (JSONL, plain or zstd).
    #[arg(long, short = 'c', required = true, num_args = 1.., value_name = "FILE")]
    pub corpus: Vec<PathBuf>,
    /// How many disagreeing calls to list, most misplaced tokens first (tables also list at
    /// most this many sessions, at least 20; the JSON lists every session).
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of stdout (`-` is stdout).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// When what a call without `latency_ms` writes becomes readable, after its start
    /// (the `replay` policy's `readable_delay_ms`; scenarios/cache-replay.toml uses 0).
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub readable_delay_ms: u64,
    /// Worker threads, 1 to 1024 (default: one per core). The report is identical for any value.
    #[arg(long, short = 'j', value_name = "N", value_parser = threads)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub price: PriceFlags,
}

/// The most worker threads `--threads` accepts: far above any machine's cores, and below where
/// creating them fails (a hundred thousand did, with a panic rather than an error).
pub const MAX_THREADS: usize = 1024;

/// `--threads N`: from 1 to [`MAX_THREADS`].
fn threads(s: &str) -> Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number of threads"))?;
    if n == 0 || n > MAX_THREADS {
        return Err(format!("must be from 1 to {MAX_THREADS}"));
    }
    Ok(n)
}
