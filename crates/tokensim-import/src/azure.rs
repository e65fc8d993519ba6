//! The Azure LLM inference trace importer (Azure/AzurePublicDataset,
//! `data/AzureLLMInferenceTrace_{code,conv}.csv`, CC-BY-4.0; Patel et al., "Splitwise: Efficient
//! generative LLM inference using phase splitting", ISCA 2024).
//!
//! An Azure trace is a CSV file whose header row is `TIMESTAMP,ContextTokens,GeneratedTokens` and
//! whose every other row is one request to an LLM inference service in Azure:
//! `2023-11-16 18:17:03.9799600,4808,10`. The timestamp has no offset and is read as UTC; one with
//! an offset (as the 2024 week-long traces write it) is read with its offset. The two 2023 files
//! are the coding and the conversation service. Each row becomes one corpus record, written at the
//! trace's own instant unless [`AzureOptions::base`] shifts the trace. The full mapping is in
//! `docs/importers.md` ("azure").
//!
//! The trace names no model and records no prompt content and no cache usage, so every record
//! gets the one model of [`AzureOptions::model`], is written as if nothing were cached and carries
//! no prompt segments.

use std::io::{BufRead, Write};

use tokensim_corpus::Timestamp;

use crate::burstgpt::csv;
use crate::json::FieldError;
use crate::out::{for_each_line, stem, CorpusWriter, LineError, Record, Usage};
use crate::{ImportError, ImportSummary, LineNote};

#[cfg(test)]
mod tests;

/// The default model written on every record (the trace names none).
pub const DEFAULT_MODEL: &str = "claude-sonnet-4-5";

/// The default workspace (cache isolation scope) written on every record.
pub const DEFAULT_WORKSPACE: &str = "azure";

/// The header row of the traces.
pub const COLUMNS: [&str; 3] = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"];

/// Rule id: the CSV header row, which holds column names and no request. It is checked, then
/// counted as skipped, so that every line of the file is accounted for.
pub const RULE_HEADER: &str = "header";

/// What the trace does not say and the corpus needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureOptions {
    /// `None` (the default) keeps the trace's own instants. `Some(base)` shifts the whole trace
    /// so that its first data row is at `base`; every other row keeps its distance from the
    /// first (a row earlier than the first lands before `base`).
    pub base: Option<Timestamp>,
    /// The model id written on every record. It is not checked against the price catalog here;
    /// the replay rejects an unknown id.
    pub model: String,
    /// The workspace (cache isolation scope) written on every record.
    pub workspace: String,
    /// The `app` written on every record. `None` (the default) takes it from the file name
    /// ([`trace_kind`]): `code` or `conv`, else the file's stem.
    pub app: Option<String>,
}

impl Default for AzureOptions {
    /// The trace's own instants, [`DEFAULT_MODEL`], [`DEFAULT_WORKSPACE`], the app from the file
    /// name.
    fn default() -> Self {
        AzureOptions {
            base: None,
            model: DEFAULT_MODEL.to_owned(),
            workspace: DEFAULT_WORKSPACE.to_owned(),
            app: None,
        }
    }
}

/// The service a trace file records, from its name: `code` when the stem (lowercase) contains
/// `code` and not `conv`, `conv` when it contains `conv` and not `code`, else `None`.
/// `AzureLLMInferenceTrace_code.csv` gives `code`; `AzureLLMInferenceTrace_conv_1week.csv` gives
/// `conv`.
pub fn trace_kind(source_name: &str) -> Option<&'static str> {
    let stem = stem(source_name).to_ascii_lowercase();
    match (stem.contains("code"), stem.contains("conv")) {
        (true, false) => Some("code"),
        (false, true) => Some("conv"),
        _ => None,
    }
}

/// Converts one Azure LLM inference trace to corpus v1 JSON lines: a header line, then one record
/// per data row.
///
/// `source_name` is the trace's file name (a path is fine). It names the file in errors, and its
/// stem (the last path component without `.zst`, then without its extension) goes into every
/// record's `id` (`<stem>-<line>`, the 1-based physical line, so the first data row is line 2)
/// and its tag (`source:azure-<stem>`); [`trace_kind`] of it gives the default `app`.
///
/// The first non-blank line must be the header ([`COLUMNS`]); it is counted as skipped under
/// [`RULE_HEADER`]. A malformed row (wrong column count, a quote, a bad timestamp, a token count
/// that is not a non-negative integer) stops the conversion with an error naming the file, line
/// and column; what was written until then is a valid but partial corpus.
pub fn convert<R: BufRead, W: Write>(
    input: R,
    source_name: &str,
    opts: &AzureOptions,
    out: W,
) -> Result<ImportSummary, ImportError> {
    let stem = stem(source_name);
    check_options(stem, opts)?;
    let kind = trace_kind(source_name);
    let app = match &opts.app {
        Some(app) => app.clone(),
        None => kind.unwrap_or(stem).to_owned(),
    };
    let task = match kind {
        Some("code") => Some("code"),
        Some(_) => Some("chat"),
        None => None,
    };
    let tag = format!("source:azure-{stem}");

    let mut writer = CorpusWriter::new(out, source_name)?;
    let mut summary = ImportSummary {
        source_name: source_name.to_owned(),
        ..ImportSummary::default()
    };
    let mut header_seen = false;
    // The first data row's instant, when the trace is shifted to `base`.
    let mut first: Option<i64> = None;
    for_each_line(input, source_name, &mut summary, |line, text, summary| {
        if !header_seen {
            csv::header_layout(text, &[&COLUMNS])?;
            header_seen = true;
            let detail = format!("column names {}", COLUMNS.join(","));
            summary.skipped.push(LineNote {
                line,
                rule: RULE_HEADER,
                detail,
            });
            return Ok(());
        }
        let row = parse_row(text)?;
        let ts = match opts.base {
            None => row.ts,
            Some(base) => {
                let first = *first.get_or_insert(row.ts.0);
                let shifted = row
                    .ts
                    .0
                    .checked_sub(first)
                    .and_then(|delta| base.0.checked_add(delta));
                let shifted = shifted.ok_or_else(|| {
                    let message = format!(
                        "{} shifted to the base instant {base} is outside the representable \
                         years 1678 to 2261",
                        row.ts
                    );
                    LineError::Field((COLUMNS[0].to_owned(), message))
                })?;
                Timestamp(shifted)
            }
        };
        let usage = Usage {
            input_tokens: row.context_tokens,
            output_tokens: row.generated_tokens,
            ..Usage::default()
        };
        let mut record = Record::new(ts, opts.model.clone(), usage);
        record.id = Some(format!("{stem}-{line}"));
        record.workspace = Some(opts.workspace.clone());
        record.app = Some(app.clone());
        record.tags = vec![tag.clone()];
        record.task = task;
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

fn check_options(stem: &str, opts: &AzureOptions) -> Result<(), ImportError> {
    let empty = |name: &'static str, what: &str| ImportError::Option {
        name,
        message: format!("is empty; {what}"),
    };
    if stem.is_empty() {
        return Err(empty("source name", "it names the trace in record ids"));
    }
    if opts.model.is_empty() {
        return Err(empty(
            "model",
            "every record needs a model id, like claude-sonnet-4-5",
        ));
    }
    if opts.workspace.is_empty() {
        return Err(empty(
            "workspace",
            "the corpus would read it as \"default\"",
        ));
    }
    if opts.app.as_ref().is_some_and(String::is_empty) {
        return Err(empty(
            "app",
            "leave it unset to take code or conv from the file name",
        ));
    }
    Ok(())
}

/// One data row, validated.
#[derive(Debug, PartialEq, Eq)]
struct Row {
    ts: Timestamp,
    context_tokens: u64,
    generated_tokens: u64,
}

fn parse_row(text: &str) -> Result<Row, FieldError> {
    let cells = csv::cells(text, &COLUMNS)?;
    let ts = timestamp(cells[0]).map_err(|message| (COLUMNS[0].to_owned(), message))?;
    let context_tokens = csv::count(COLUMNS[1], cells[1])?;
    let generated_tokens = csv::count(COLUMNS[2], cells[2])?;
    Ok(Row {
        ts,
        context_tokens,
        generated_tokens,
    })
}

/// `YYYY-MM-DD HH:MM:SS[.f…]` (up to nine fraction digits; a `T` separator is accepted too),
/// read as UTC, or the same with an offset (`Z` or `±HH:MM`), read with it.
fn timestamp(cell: &str) -> Result<Timestamp, String> {
    let has_offset = cell
        .get(19..)
        .is_some_and(|rest| rest.contains(['Z', 'z', '+', '-']));
    let parsed = if has_offset {
        Timestamp::parse_rfc3339(cell)
    } else {
        Timestamp::parse_rfc3339(&format!("{cell}Z"))
    };
    parsed.map_err(|e| {
        // The parser quotes the text it was given, which may carry the `Z` added above.
        let reason = e.split(" in RFC 3339").next().unwrap_or(&e);
        format!(
            "must be a date and time like 2023-11-16 18:17:03.9799600 (UTC unless an offset is \
             given), got \"{}\": {reason}",
            csv::shown(cell)
        )
    })
}
