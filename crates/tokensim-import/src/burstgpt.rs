//! The BurstGPT trace importer (HPMLL/BurstGPT, `data/BurstGPT_*.csv`, CC-BY-4.0; Wang et al.,
//! "BurstGPT: A Real-World Workload Dataset to Optimize LLM Serving Systems", KDD '25).
//!
//! A BurstGPT trace is a CSV file whose header row is
//! `Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type` and whose every other row
//! is one request to a regional Azure OpenAI service:
//! `118,GPT-4,417,276,693,Conversation log`. `Timestamp` is seconds since the trace start, `Model`
//! is `ChatGPT` (GPT-3.5) or `GPT-4`, and `Log Type` is `Conversation log` or `API log`. The
//! BurstGPT_3 layout (release v2.0), which inserts `Session ID` and `Elapsed time` after
//! `Timestamp`, is read too. Each row becomes one corpus record; the OpenAI model is mapped to a
//! Claude model by a table that the caller can override ([`BurstGptOptions::models`]). The full
//! mapping and its rules are in `docs/importers.md` ("burstgpt").
//!
//! The trace records no prompt content and no cache usage, so every record is written as if
//! nothing were cached and carries no prompt segments.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use tokensim_corpus::Timestamp;

use crate::json::FieldError;
use crate::out::{for_each_line, stem, CorpusWriter, LineError, Record, Usage};
use crate::{ImportError, ImportSummary, LineNote};

pub(crate) mod csv;
#[cfg(test)]
mod tests;

/// The default instant that trace time 0 maps to.
pub const DEFAULT_BASE: &str = "2026-10-01T00:00:00Z";

/// The default workspace (cache isolation scope) written on every record.
pub const DEFAULT_WORKSPACE: &str = "burstgpt";

/// The default model table: BurstGPT's `Model` value and the Claude model it becomes. `ChatGPT`
/// (GPT-3.5 Turbo, OpenAI's fast, cheap tier) goes to Claude's fast, cheap tier, and `GPT-4`
/// (OpenAI's flagship of 2023) to Claude's general-purpose flagship; `docs/importers.md` gives
/// the prices behind this.
pub const DEFAULT_MODELS: [(&str, &str); 2] = [
    ("ChatGPT", "claude-haiku-4-5"),
    ("GPT-4", "claude-sonnet-4-5"),
];

/// The `app` written on every record: the whole trace is one service.
pub const APP: &str = "burstgpt";

/// The tag written on every record.
pub const TAG: &str = "source:burstgpt";

/// The header of BurstGPT_1 and BurstGPT_2 (and of the Hugging Face dataset).
pub const COLUMNS: [&str; 6] = [
    "Timestamp",
    "Model",
    "Request tokens",
    "Response tokens",
    "Total tokens",
    "Log Type",
];

/// The header of BurstGPT_3 (release v2.0): [`COLUMNS`] with `Session ID` and `Elapsed time`
/// after `Timestamp`.
pub const COLUMNS_WITH_SESSIONS: [&str; 8] = [
    "Timestamp",
    "Session ID",
    "Elapsed time",
    "Model",
    "Request tokens",
    "Response tokens",
    "Total tokens",
    "Log Type",
];

/// Rule id: the CSV header row, which holds column names and no request. It is checked, then
/// counted as skipped, so that every line of the file is accounted for.
pub const RULE_HEADER: &str = "header";

/// Rule id: `Response tokens` is 0, which BurstGPT's README defines as a failed request. A failed
/// request is not billed, so the row is skipped, unless [`BurstGptOptions::keep_failed`] is set.
pub const RULE_FAILED_REQUEST: &str = "failed-request";

/// Rule id: the row's `Model` has no entry in [`BurstGptOptions::models`]. The row is skipped;
/// add a mapping to import it.
pub const RULE_UNMAPPED_MODEL: &str = "unmapped-model";

/// What the trace does not say and the corpus needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BurstGptOptions {
    /// The instant that trace time 0 maps to; a record's `ts` is this plus its `Timestamp`
    /// seconds.
    pub base: Timestamp,
    /// The model table: a `Model` value of the trace (exact, case-sensitive) and the Claude model
    /// id its rows are written with. Defaults to [`DEFAULT_MODELS`]; the CLI's
    /// `--map-model FROM=TO` adds or replaces one entry ([`BurstGptOptions::map_model`]). The ids
    /// are not checked against the price catalog here; the replay rejects an unknown id.
    pub models: BTreeMap<String, String>,
    /// The workspace (cache isolation scope) written on every record.
    pub workspace: String,
    /// Write failed requests (`Response tokens` 0) as records with no output, instead of skipping
    /// them under [`RULE_FAILED_REQUEST`]. Off by default.
    pub keep_failed: bool,
}

impl Default for BurstGptOptions {
    /// [`DEFAULT_BASE`], [`DEFAULT_MODELS`], [`DEFAULT_WORKSPACE`], failed requests skipped.
    fn default() -> Self {
        BurstGptOptions {
            base: Timestamp::parse_rfc3339(DEFAULT_BASE).expect("the default base is RFC 3339"),
            models: DEFAULT_MODELS
                .iter()
                .map(|&(from, to)| (from.to_owned(), to.to_owned()))
                .collect(),
            workspace: DEFAULT_WORKSPACE.to_owned(),
            keep_failed: false,
        }
    }
}

impl BurstGptOptions {
    /// Adds or replaces one entry of the model table from a `FROM=TO` argument
    /// (`GPT-4=claude-opus-4-5`), as the CLI's `--map-model` gives it. `FROM` is a `Model` value
    /// of the trace, `TO` a Claude model id; both are trimmed and must not be empty.
    pub fn map_model(&mut self, spec: &str) -> Result<(), ImportError> {
        let (from, to) = parse_model_mapping(spec)?;
        self.models.insert(from, to);
        Ok(())
    }
}

/// Parses a `FROM=TO` model mapping, split at the first `=` (as `crate::models::ModelMap` splits
/// the same flag for the other importers).
pub fn parse_model_mapping(spec: &str) -> Result<(String, String), ImportError> {
    let bad = |what: &str| ImportError::Option {
        name: "map-model",
        message: format!("{what} in {spec:?}; expected FROM=TO, like GPT-4=claude-sonnet-4-5"),
    };
    let (from, to) = spec.split_once('=').ok_or_else(|| bad("no '='"))?;
    let (from, to) = (from.trim(), to.trim());
    if from.is_empty() {
        return Err(bad("the trace's model name is empty"));
    }
    if to.is_empty() {
        return Err(bad("the Claude model id is empty"));
    }
    Ok((from.to_owned(), to.to_owned()))
}

/// Converts one BurstGPT trace to corpus v1 JSON lines: a header line, then one record per data
/// row that is written (see the rule constants for the rows that are not).
///
/// `source_name` is the trace's file name (a path is fine). It names the file in errors, and its
/// stem (the last path component without `.zst`, then without its extension) goes into every
/// record's `id` (`<stem>-<line>`, the 1-based physical line, so the first data row is line 2).
///
/// The first non-blank line must be one of the two headers ([`COLUMNS`],
/// [`COLUMNS_WITH_SESSIONS`]); it is counted as skipped under [`RULE_HEADER`]. A malformed row
/// (wrong column count, a quote, a cell that is not a number, an unknown `Log Type`, or
/// `Total tokens` ≠ `Request tokens` + `Response tokens`) stops the conversion with an error
/// naming the file, line and column; what was written until then is a valid but partial corpus.
pub fn convert<R: BufRead, W: Write>(
    input: R,
    source_name: &str,
    opts: &BurstGptOptions,
    out: W,
) -> Result<ImportSummary, ImportError> {
    let stem = stem(source_name);
    check_options(stem, opts)?;
    let mut writer = CorpusWriter::new(out, source_name)?;
    let mut summary = ImportSummary {
        source_name: source_name.to_owned(),
        ..ImportSummary::default()
    };
    let mut layout: Option<Layout> = None;
    for_each_line(input, source_name, &mut summary, |line, text, summary| {
        let Some(layout) = layout else {
            let found = LAYOUTS[csv::header_layout(text, &LAYOUT_COLUMNS)?];
            layout = Some(found);
            let detail = format!("column names {}", found.columns.join(","));
            summary.skipped.push(LineNote {
                line,
                rule: RULE_HEADER,
                detail,
            });
            return Ok(());
        };
        let row = parse_row(text, layout)?;
        if row.response_tokens == 0 && !opts.keep_failed {
            let detail = format!(
                "{} request with {} request tokens and 0 response tokens",
                row.model, row.request_tokens
            );
            summary.skipped.push(LineNote {
                line,
                rule: RULE_FAILED_REQUEST,
                detail,
            });
            return Ok(());
        }
        let Some(model) = opts.models.get(row.model) else {
            let detail = format!(
                "model {:?} has no mapping to a Claude model (map it with --map-model {}=<model>)",
                row.model, row.model
            );
            summary.skipped.push(LineNote {
                line,
                rule: RULE_UNMAPPED_MODEL,
                detail,
            });
            return Ok(());
        };
        let ts = opts.base.0.checked_add(row.timestamp_ns).ok_or_else(|| {
            let message = format!(
                "{} s after the base instant {} is past the last representable instant (year \
                 2262)",
                row.timestamp_ns / 1_000_000_000,
                opts.base
            );
            LineError::Field(("Timestamp".to_owned(), message))
        })?;
        let usage = Usage {
            input_tokens: row.request_tokens,
            output_tokens: row.response_tokens,
            ..Usage::default()
        };
        let mut record = Record::new(Timestamp(ts), model.clone(), usage);
        record.id = Some(format!("{stem}-{line}"));
        record.workspace = Some(opts.workspace.clone());
        record.app = Some(APP.to_owned());
        record.feature = Some(row.log_type.feature().to_owned());
        record.tags = vec![TAG.to_owned()];
        record.task = row.log_type.task();
        record.conversation_id = row.session_id.map(str::to_owned);
        record.latency_ms = row.elapsed_ms;
        writer.write(&record, summary)?;
        Ok(())
    })?;
    writer.finish()?;
    assert_eq!(
        summary.lines_read,
        summary.lines_blank + summary.records_written + summary.skipped.len() as u64,
        "every line is blank, written or skipped"
    );
    Ok(summary)
}

fn check_options(stem: &str, opts: &BurstGptOptions) -> Result<(), ImportError> {
    let empty = |name: &'static str, what: &str| ImportError::Option {
        name,
        message: format!("is empty; {what}"),
    };
    if stem.is_empty() {
        return Err(empty("source name", "it names the trace in record ids"));
    }
    if opts.workspace.is_empty() {
        return Err(empty(
            "workspace",
            "the corpus would read it as \"default\"",
        ));
    }
    for (from, to) in &opts.models {
        if from.is_empty() || to.is_empty() {
            return Err(ImportError::Option {
                name: "map-model",
                message: format!(
                    "the mapping {from:?} → {to:?} has an empty side; both the trace's model \
                     name and the Claude model id are needed"
                ),
            });
        }
    }
    Ok(())
}

/// Where each column is in one of the two header layouts.
#[derive(Debug, Clone, Copy)]
struct Layout {
    columns: &'static [&'static str],
    session_id: Option<usize>,
    elapsed: Option<usize>,
    model: usize,
    request: usize,
    response: usize,
    total: usize,
    log_type: usize,
}

const LAYOUTS: [Layout; 2] = [
    Layout {
        columns: &COLUMNS,
        session_id: None,
        elapsed: None,
        model: 1,
        request: 2,
        response: 3,
        total: 4,
        log_type: 5,
    },
    Layout {
        columns: &COLUMNS_WITH_SESSIONS,
        session_id: Some(1),
        elapsed: Some(2),
        model: 3,
        request: 4,
        response: 5,
        total: 6,
        log_type: 7,
    },
];

const LAYOUT_COLUMNS: [&[&str]; 2] = [&COLUMNS, &COLUMNS_WITH_SESSIONS];

/// `Log Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogType {
    Conversation,
    Api,
}

impl LogType {
    fn parse(cell: &str) -> Option<LogType> {
        match cell {
            "Conversation log" => Some(LogType::Conversation),
            "API log" => Some(LogType::Api),
            _ => None,
        }
    }

    fn feature(self) -> &'static str {
        match self {
            LogType::Conversation => "conversation",
            LogType::Api => "api",
        }
    }

    /// The task class: a conversation log is chat; an API call could be anything.
    fn task(self) -> Option<&'static str> {
        match self {
            LogType::Conversation => Some("chat"),
            LogType::Api => None,
        }
    }
}

/// One data row, validated.
#[derive(Debug, PartialEq, Eq)]
struct Row<'t> {
    timestamp_ns: i64,
    session_id: Option<&'t str>,
    elapsed_ms: Option<u64>,
    model: &'t str,
    request_tokens: u64,
    response_tokens: u64,
    log_type: LogType,
}

fn parse_row(text: &str, layout: Layout) -> Result<Row<'_>, FieldError> {
    let cells = csv::cells(text, layout.columns)?;
    let column = |i: usize| layout.columns[i];
    // Cells are checked left to right, so the first error is the leftmost.
    let timestamp_ns = csv::seconds_ns(column(0), cells[0])?;
    let session_id = layout
        .session_id
        .map(|i| cells[i])
        .filter(|s| !s.is_empty());
    let elapsed_ms = match layout.elapsed.map(|i| (column(i), cells[i])) {
        Some((name, cell)) if !cell.is_empty() => {
            let ns = csv::seconds_ns(name, cell)?;
            // Rounded to the nearest millisecond, half up; `ns` is non-negative.
            Some(((ns + 500_000) / 1_000_000) as u64)
        }
        _ => None,
    };
    let model = cells[layout.model];
    if model.is_empty() {
        let message = "is empty; expected a model name like ChatGPT or GPT-4".to_owned();
        return Err((column(layout.model).to_owned(), message));
    }
    let request_tokens = csv::count(column(layout.request), cells[layout.request])?;
    let response_tokens = csv::count(column(layout.response), cells[layout.response])?;
    let total_tokens = csv::count(column(layout.total), cells[layout.total])?;
    let log_type = LogType::parse(cells[layout.log_type]).ok_or_else(|| {
        let message = format!(
            "must be \"Conversation log\" or \"API log\", got \"{}\"",
            csv::shown(cells[layout.log_type])
        );
        (column(layout.log_type).to_owned(), message)
    })?;
    if request_tokens.checked_add(response_tokens) != Some(total_tokens) {
        let message = format!(
            "is {total_tokens}, but Request tokens + Response tokens = {request_tokens} + \
             {response_tokens}; the columns disagree, so the billed tokens are unknown"
        );
        return Err((column(layout.total).to_owned(), message));
    }
    Ok(Row {
        timestamp_ns,
        session_id,
        elapsed_ms,
        model,
        request_tokens,
        response_tokens,
        log_type,
    })
}
