//! The LiteLLM proxy spend-log importer: `LiteLLM_SpendLogs` rows (as the database, the
//! `/spend/logs` API or the GCS Pub/Sub logger write them) and `StandardLoggingPayload` objects
//! (what LiteLLM's logging callbacks receive), one corpus record per row that is a Claude call.
//!
//! The input is a sequence of JSON values: JSON lines (one value a line, streamed), or a
//! pretty-printed document (read into memory). Each value is a row, an array of rows, a page
//! `{"data": [rows], ...}`, or a callback's keyword arguments wrapping the payload in
//! `standard_logging_object`. LiteLLM's `prompt_tokens` is **inclusive** of the cache reads and
//! writes; the corpus's `input_tokens` is not, so the importer subtracts them. The mapping, the
//! arithmetic and the rules for rows that do not fit are in `docs/importers.md` ("litellm").
//!
//! Rows that are not Claude calls (another provider's model, a failure, LiteLLM's own response
//! cache answering) are skipped and counted; a row that needed a documented adjustment is
//! written and counted. Counts reconcile: `rows_read = records_written + skipped.len()`.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use serde_json::{Map, Value};
use tokensim_corpus::Timestamp;

use crate::json::{not_a_count, shown, FieldError};
use crate::models::{resolve, ModelMap, Resolution};
use crate::out::{CacheCreation, CorpusWriter, LineError, Record, ServerToolUse, Usage};
use crate::{ImportError, ImportSummary, LineNote};

pub(crate) mod values;

#[cfg(test)]
mod tests;

use values::{for_each_value, ValueCounts};

pub use crate::models::RULE_NOT_CLAUDE;

/// Rule id: the row's `status` is `failure` (an error from the provider or the proxy). Such a row
/// records no billed call; it is skipped.
pub const RULE_FAILED: &str = "failed";

/// Rule id: LiteLLM's own response cache answered (`cache_hit` is `True`), so no API call was
/// made. (This is LiteLLM's cache, not Anthropic prompt caching.) The row is skipped.
pub const RULE_RESPONSE_CACHE_HIT: &str = "response-cache-hit";

/// Rule id: neither `model` nor `model_group` names a model (both empty). The row is skipped.
pub const RULE_NO_MODEL: &str = "no-model";

/// Rule id: every token count is 0 (typically a rejected request logged as success). The row is
/// skipped.
pub const RULE_NO_TOKENS: &str = "no-tokens";

/// Rule id: `prompt_tokens` is less than the cache reads plus writes, but not less than the cache
/// reads alone: the count of LiteLLM versions that added only cache reads to Anthropic's
/// `input_tokens`. Written with `input_tokens = prompt_tokens - cache reads`.
pub const RULE_PROMPT_EXCLUDES_CACHE_WRITES: &str = "prompt-excludes-cache-writes";

/// Rule id: `prompt_tokens` is less than the cache reads alone, which no LiteLLM version writes.
/// The row is skipped (any input count would be a guess).
pub const RULE_CACHE_EXCEEDS_PROMPT: &str = "cache-exceeds-prompt";

/// Rule id: the 5m / 1h split of the cache writes does not add up to the total cache writes.
/// Written with the total, every write taking [`LiteLlmOptions::cache_write_ttl`].
pub const RULE_CACHE_SPLIT_MISMATCH: &str = "cache-split-mismatch";

/// The tag every record carries, so that a mixed corpus tells where each call came from.
pub const SOURCE_TAG: &str = "source:litellm";

/// The TTL of cache writes that the source does not split into 5-minute and 1-hour writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CacheTtl {
    /// Every unsplit cache write is a 5-minute write (the corpus's own default: the record
    /// carries no `cache_creation` split).
    #[default]
    FiveMinutes,
    /// Every unsplit cache write is a 1-hour write (written as an explicit `cache_creation`
    /// split with all writes in `ephemeral_1h_input_tokens`).
    OneHour,
}

impl CacheTtl {
    /// Parses `5m` or `1h` (the CLI flag's values).
    pub fn parse(text: &str) -> Result<CacheTtl, ImportError> {
        match text.trim() {
            "5m" => Ok(CacheTtl::FiveMinutes),
            "1h" => Ok(CacheTtl::OneHour),
            other => Err(ImportError::Option {
                name: "cache-write-ttl",
                message: format!("{other:?} is not 5m or 1h"),
            }),
        }
    }
}

/// What the spend log does not say, and the user's choices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiteLlmOptions {
    /// Model mappings applied before normalization (`--map-model FROM=TO`); a row whose model is
    /// not Claude and not mapped is skipped ([`RULE_NOT_CLAUDE`]).
    pub models: ModelMap,
    /// The workspace (cache isolation scope) written on every record; `None` leaves it out (the
    /// corpus reads `default`). LiteLLM does not log the Anthropic workspace of its API key.
    pub workspace: Option<String>,
    /// The UTC offset, in minutes, of timestamps written without one (`2025-01-24 09:20:46.84`):
    /// 0 (the default) reads them as UTC, which is what LiteLLM writes to its database. Between
    /// -1439 and 1439.
    pub naive_offset_minutes: i32,
    /// The TTL of cache writes the row does not split (default 5 minutes).
    pub cache_write_ttl: CacheTtl,
}

/// What a LiteLLM import did. Counts reconcile: `rows_read = records_written + skipped.len()`,
/// and every adjusted row is also counted in `records_written` (a row can be adjusted by more
/// than one rule).
///
/// Notes name the line on which the row's JSON value starts; a row inside an array or a page
/// starts its detail with its index, like `[3]: ` or `data[3]: `.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LiteLlmSummary {
    /// The source name the caller passed.
    pub source_name: String,
    /// Every line of the input, blank ones included.
    pub lines_read: u64,
    /// Blank lines.
    pub lines_blank: u64,
    /// JSON values read (for JSON lines, one per non-blank line).
    pub values_read: u64,
    /// Spend-log rows read (a value holds one row, or many when it is an array or a page).
    pub rows_read: u64,
    /// Corpus records written (the header line not counted).
    pub records_written: u64,
    /// Rows not written, with the rule that excluded each.
    pub skipped: Vec<LineNote>,
    /// Rows written after a documented adjustment, with the rule that changed each.
    pub adjusted: Vec<LineNote>,
    /// Written rows whose `startTime` had no UTC offset and was read with
    /// [`LiteLlmOptions::naive_offset_minutes`].
    pub naive_timestamps: u64,
    /// Written records per model id, as written.
    pub records_by_model: BTreeMap<String, u64>,
    /// Total `usage.input_tokens` (uncached input, after the subtraction) over written records.
    pub tokens_input: u64,
    /// Total `usage.output_tokens` over the written records.
    pub tokens_output: u64,
    /// Total cache reads over the written records.
    pub tokens_cache_read: u64,
    /// Total 5-minute cache writes over the written records.
    pub tokens_cache_write_5m: u64,
    /// Total 1-hour cache writes over the written records.
    pub tokens_cache_write_1h: u64,
    /// Total `server_tool_use.web_search_requests` over the written records.
    pub web_search_requests: u64,
}

impl LiteLlmSummary {
    /// How many rows each rule skipped, by rule id.
    pub fn skipped_by_rule(&self) -> BTreeMap<&'static str, u64> {
        count_by_rule(&self.skipped)
    }

    /// How many rows each rule adjusted, by rule id.
    pub fn adjusted_by_rule(&self) -> BTreeMap<&'static str, u64> {
        count_by_rule(&self.adjusted)
    }
}

pub(crate) fn count_by_rule(notes: &[LineNote]) -> BTreeMap<&'static str, u64> {
    let mut counts = BTreeMap::new();
    for note in notes {
        *counts.entry(note.rule).or_insert(0) += 1;
    }
    counts
}

/// Token totals shared by the summaries of this module and the OpenTelemetry importer.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Totals {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
    pub web_search: u64,
}

impl Totals {
    /// Adds a written record's usage; `None` when a total would overflow 64 bits.
    pub fn add(&mut self, usage: &Usage) -> Option<()> {
        // The record's total input must fit too (the writer adds it up unchecked).
        usage
            .input_tokens
            .checked_add(usage.cache_creation_input_tokens)?
            .checked_add(usage.cache_read_input_tokens)?;
        let (w5, w1) = match usage.cache_creation {
            Some(split) => (
                split.ephemeral_5m_input_tokens,
                split.ephemeral_1h_input_tokens,
            ),
            None => (usage.cache_creation_input_tokens, 0),
        };
        *self = Totals {
            input: self.input.checked_add(usage.input_tokens)?,
            output: self.output.checked_add(usage.output_tokens)?,
            cache_read: self.cache_read.checked_add(usage.cache_read_input_tokens)?,
            cache_write_5m: self.cache_write_5m.checked_add(w5)?,
            cache_write_1h: self.cache_write_1h.checked_add(w1)?,
            web_search: self
                .web_search
                .checked_add(usage.server_tool_use.map_or(0, |s| s.web_search_requests))?,
        };
        Some(())
    }
}

pub(crate) fn overflow() -> FieldError {
    (
        String::new(),
        "the token totals overflow 64 bits".to_owned(),
    )
}

/// Converts LiteLLM spend-log rows to corpus v1 JSON lines: a header line, then one record per
/// row that is a Claude call, in input order (see the rule constants for the rows that are not
/// written).
///
/// `source_name` names the input in errors. The output is buffered here; `out` need not be. A
/// malformed row stops the conversion with an error naming the file, the line its JSON value
/// starts on and the field (`[3].metadata.usage_object.cache_read_input_tokens` inside an
/// array); what was written until then is a valid but partial corpus.
pub fn convert<R: BufRead, W: Write>(
    input: R,
    source_name: &str,
    opts: &LiteLlmOptions,
    out: W,
) -> Result<LiteLlmSummary, ImportError> {
    check_options(opts)?;
    let mut writer = CorpusWriter::new(out, source_name)?;
    let mut summary = LiteLlmSummary {
        source_name: source_name.to_owned(),
        ..LiteLlmSummary::default()
    };
    let mut totals = Totals::default();
    let mut scratch = ImportSummary::default();
    let mut counts = ValueCounts::default();
    for_each_value(input, source_name, &mut counts, |line, value| {
        for (path, row) in rows_of(value)? {
            summary.rows_read += 1;
            let at = |detail: String| {
                if path.is_empty() {
                    detail
                } else {
                    format!("{}: {detail}", path.trim_end_matches('.'))
                }
            };
            match convert_row(row, &path, opts)? {
                Outcome::Skip(rule, detail) => summary.skipped.push(LineNote {
                    line,
                    rule,
                    detail: at(detail),
                }),
                Outcome::Write(converted) => {
                    let Converted {
                        record,
                        notes,
                        naive,
                    } = *converted;
                    totals.add(&record.usage).ok_or_else(overflow)?;
                    writer.write(&record, &mut scratch)?;
                    summary.records_written += 1;
                    summary.naive_timestamps += u64::from(naive);
                    *summary
                        .records_by_model
                        .entry(record.model.clone())
                        .or_insert(0) += 1;
                    for (rule, detail) in notes {
                        summary.adjusted.push(LineNote {
                            line,
                            rule,
                            detail: at(detail),
                        });
                    }
                }
            }
        }
        Ok(())
    })?;
    writer.finish()?;
    summary.lines_read = counts.lines_read;
    summary.lines_blank = counts.lines_blank;
    summary.values_read = counts.values_read;
    summary.tokens_input = totals.input;
    summary.tokens_output = totals.output;
    summary.tokens_cache_read = totals.cache_read;
    summary.tokens_cache_write_5m = totals.cache_write_5m;
    summary.tokens_cache_write_1h = totals.cache_write_1h;
    summary.web_search_requests = totals.web_search;
    assert_eq!(
        summary.rows_read,
        summary.records_written + summary.skipped.len() as u64,
        "every row is written or skipped"
    );
    Ok(summary)
}

fn check_options(opts: &LiteLlmOptions) -> Result<(), ImportError> {
    if opts
        .workspace
        .as_deref()
        .is_some_and(|w| w.trim().is_empty())
    {
        return Err(ImportError::Option {
            name: "workspace",
            message: "is empty; the corpus would read it as \"default\" (leave it out instead)"
                .to_owned(),
        });
    }
    check_offset(opts.naive_offset_minutes)
}

pub(crate) fn check_offset(minutes: i32) -> Result<(), ImportError> {
    if minutes.abs() >= 24 * 60 {
        return Err(ImportError::Option {
            name: "naive-offset",
            message: format!("{minutes} minutes is not a UTC offset (between -23:59 and +23:59)"),
        });
    }
    Ok(())
}

/// A row and the path prefix of its fields.
type PathRow = (String, Map<String, Value>);

/// The rows a JSON value holds, each with the path prefix of its fields (`""`, `"[3]."`,
/// `"data[3]."`, `"standard_logging_object."`).
fn rows_of(value: Value) -> Result<Vec<PathRow>, FieldError> {
    let row = |path: String, v: Value| match v {
        Value::Object(mut map) => match map.remove("standard_logging_object") {
            Some(Value::Object(inner)) => Ok((format!("{path}standard_logging_object."), inner)),
            Some(other) => Err((
                format!("{path}standard_logging_object"),
                format!("must be an object, got {}", shown(&other)),
            )),
            None => Ok((path, map)),
        },
        other => Err((
            path.trim_end_matches('.').to_owned(),
            format!(
                "must be a spend-log row (a JSON object), got {}",
                shown(&other)
            ),
        )),
    };
    let list = |prefix: &str, items: Vec<Value>| {
        items
            .into_iter()
            .enumerate()
            .map(|(i, v)| row(format!("{prefix}[{i}]."), v))
            .collect::<Result<Vec<_>, _>>()
    };
    match value {
        Value::Array(items) => list("", items),
        Value::Object(mut map)
            if matches!(map.get("data"), Some(Value::Array(_)))
                && !map.contains_key("model")
                && !map.contains_key("request_id") =>
        {
            match map.remove("data") {
                Some(Value::Array(items)) => list("data", items),
                _ => Ok(Vec::new()),
            }
        }
        object @ Value::Object(_) => Ok(vec![row(String::new(), object)?]),
        other => Err((
            String::new(),
            format!(
                "must be a spend-log row, a list of rows or {{\"data\": [rows]}}, got {}",
                shown(&other)
            ),
        )),
    }
}

/// What became of one row.
enum Outcome {
    Write(Box<Converted>),
    Skip(&'static str, String),
}

struct Converted {
    record: Record,
    /// Adjustments, as (rule, detail).
    notes: Vec<(&'static str, String)>,
    /// Whether `startTime` had no UTC offset.
    naive: bool,
}

fn convert_row(
    mut row: Map<String, Value>,
    path: &str,
    opts: &LiteLlmOptions,
) -> Result<Outcome, LineError> {
    // The Pub/Sub logger writes these as JSON-encoded strings; the database and the API as JSON.
    decode_embedded(&mut row, "metadata", path)?;
    decode_embedded(&mut row, "request_tags", path)?;
    if let Some(Value::Object(metadata)) = row.get_mut("metadata") {
        decode_embedded(metadata, "spend_logs_metadata", &format!("{path}metadata."))?;
    }
    let row = Obj {
        map: &row,
        path: path.to_owned(),
    };
    let metadata = row.object("metadata")?;
    let id = match row.string("request_id")? {
        Some(id) => Some(id),
        None => row.string("id")?,
    };
    let named = |detail: String| match id {
        Some(id) => format!("{id}: {detail}"),
        None => detail,
    };

    if let Some(status) = row.string("status")? {
        if status.eq_ignore_ascii_case("failure") {
            return Ok(Outcome::Skip(
                RULE_FAILED,
                named("status is failure".into()),
            ));
        }
    }
    let cache_hit = match row.get("cache_hit") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    if cache_hit {
        return Ok(Outcome::Skip(
            RULE_RESPONSE_CACHE_HIT,
            named("cache_hit is True: LiteLLM's response cache answered".into()),
        ));
    }

    let model = row.string("model")?;
    let group = row.string("model_group")?;
    let anthropic = row
        .string("custom_llm_provider")?
        .is_some_and(|p| p.eq_ignore_ascii_case("anthropic"));
    let model = match pick_model(&[model, group], &opts.models, anthropic) {
        Ok(model) => model,
        Err(None) => {
            let detail = named("model and model_group are empty".into());
            return Ok(Outcome::Skip(RULE_NO_MODEL, detail));
        }
        Err(Some(shown_names)) => {
            let detail = named(format!(
                "{shown_names} is not a Claude model (map it with --map-model)"
            ));
            return Ok(Outcome::Skip(RULE_NOT_CLAUDE, detail));
        }
    };

    let usage_object = match &metadata {
        Some(m) => m.object("usage_object")?,
        None => None,
    };
    let additional = match &metadata {
        Some(m) => m.object("additional_usage_values")?,
        None => None,
    };
    let prompt = first_count(&row, &usage_object, "prompt_tokens")?;
    let completion = first_count(&row, &usage_object, "completion_tokens")?;
    let sources = [additional.as_ref(), usage_object.as_ref()];
    let cache_read = count_in(
        &sources,
        &[
            &["cache_read_input_tokens"],
            &["prompt_tokens_details", "cached_tokens"],
        ],
    )?;
    let cache_write = count_in(
        &sources,
        &[
            &["cache_creation_input_tokens"],
            &["prompt_tokens_details", "cache_creation_tokens"],
        ],
    )?;
    let split = split_in(&sources)?;
    let web_search = count_in(&sources, &[&["server_tool_use", "web_search_requests"]])?;

    let read = cache_read.unwrap_or(0);
    let mut notes = Vec::new();
    let (write, split) = match (cache_write, split) {
        (None, Some((w5, w1))) => (w5.checked_add(w1).ok_or_else(overflow)?, Some((w5, w1))),
        (Some(write), Some((w5, w1))) if w5.checked_add(w1) == Some(write) => {
            (write, Some((w5, w1)))
        }
        (Some(write), Some((w5, w1))) => {
            notes.push((
                RULE_CACHE_SPLIT_MISMATCH,
                named(format!(
                    "cache writes {write} but the split is {w5} (5m) + {w1} (1h); every write \
                     taken as {}",
                    ttl_name(opts.cache_write_ttl)
                )),
            ));
            (write, None)
        }
        (write, None) => (write.unwrap_or(0), None),
    };
    if prompt == 0 && completion == 0 && read == 0 && write == 0 {
        return Ok(Outcome::Skip(
            RULE_NO_TOKENS,
            named("every token count is 0".into()),
        ));
    }
    let input = match inclusive_input(prompt, read, write) {
        Input::Exclusive(input) => input,
        Input::ReadsOnly(input) => {
            notes.push((
                RULE_PROMPT_EXCLUDES_CACHE_WRITES,
                named(format!(
                    "prompt_tokens {prompt} < cache reads {read} + cache writes {write}; read as \
                     including only the cache reads: input_tokens {input}"
                )),
            ));
            input
        }
        Input::Impossible => {
            let detail = named(format!(
                "prompt_tokens {prompt} < cache reads {read}, which prompt_tokens includes"
            ));
            return Ok(Outcome::Skip(RULE_CACHE_EXCEEDS_PROMPT, detail));
        }
    };
    let usage = Usage {
        input_tokens: input,
        output_tokens: completion,
        cache_creation_input_tokens: write,
        cache_read_input_tokens: read,
        cache_creation: cache_split(write, split, opts.cache_write_ttl),
        server_tool_use: web_search.map(|n| ServerToolUse {
            web_search_requests: n,
        }),
    };

    let (ts, naive) = match row.get("startTime") {
        Some(v) => parse_time(v, &row.name("startTime"), opts.naive_offset_minutes)?,
        None => return Err(crate::json::missing(&row.name("startTime")).into()),
    };
    let mut record = Record::new(ts, model, usage);
    record.latency_ms = latency(&row, ts, opts.naive_offset_minutes)?;
    record.id = id.map(str::to_owned);
    record.workspace = opts.workspace.clone();
    let spend_meta = match &metadata {
        Some(m) => m.object("spend_logs_metadata")?,
        None => None,
    };
    let meta_str = |key: &str| -> Result<Option<&str>, FieldError> {
        match &metadata {
            Some(m) => m.string(key),
            None => Ok(None),
        }
    };
    let spend_str = |key: &str| -> Result<Option<&str>, FieldError> {
        match &spend_meta {
            Some(m) => m.string(key),
            None => Ok(None),
        }
    };
    record.team = first_some([
        spend_str("team")?,
        meta_str("user_api_key_team_alias")?,
        row.string("team_id")?,
        meta_str("user_api_key_team_id")?,
    ]);
    record.app = first_some([spend_str("app")?, meta_str("user_api_key_alias")?]);
    record.feature = spend_str("feature")?.map(str::to_owned);
    record.conversation_id = row.string("session_id")?.map(str::to_owned);
    record.tags = tags(&row, spend_meta.as_ref())?;
    Ok(Outcome::Write(Box::new(Converted {
        record,
        notes,
        naive,
    })))
}

fn first_some<const N: usize>(candidates: [Option<&str>; N]) -> Option<String> {
    candidates.into_iter().flatten().next().map(str::to_owned)
}

fn ttl_name(ttl: CacheTtl) -> &'static str {
    match ttl {
        CacheTtl::FiveMinutes => "5m",
        CacheTtl::OneHour => "1h",
    }
}

/// Picks the model from raw candidates in order: the first that the map maps, else the first
/// that is a Claude model, else (when the provider is Anthropic) the first non-empty one
/// normalized. `Err(None)` when every candidate is empty, `Err(Some(names))` when none is Claude.
pub(crate) fn pick_model(
    candidates: &[Option<&str>],
    map: &ModelMap,
    anthropic_provider: bool,
) -> Result<String, Option<String>> {
    let resolved: Vec<(&str, Resolution)> = candidates
        .iter()
        .flatten()
        .map(|raw| (*raw, resolve(raw, map)))
        .collect();
    if let Some((_, Resolution::Mapped(m))) = resolved
        .iter()
        .find(|(_, r)| matches!(r, Resolution::Mapped(_)))
    {
        return Ok(m.clone());
    }
    if let Some((_, Resolution::Claude(m))) = resolved
        .iter()
        .find(|(_, r)| matches!(r, Resolution::Claude(_)))
    {
        return Ok(m.clone());
    }
    match resolved.first() {
        None => Err(None),
        Some((_, Resolution::Other(m))) if anthropic_provider && !m.is_empty() => Ok(m.clone()),
        Some(_) => {
            let names: Vec<String> = resolved.iter().map(|(raw, _)| format!("{raw:?}")).collect();
            Err(Some(format!("model {}", names.join(" / "))))
        }
    }
}

/// How an inclusive input count splits.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Input {
    /// `total - reads - writes`.
    Exclusive(u64),
    /// `total - reads`: the total cannot include the writes.
    ReadsOnly(u64),
    /// The total is less than the reads alone.
    Impossible,
}

/// The uncached input of an inclusive count `total` with `read` cache reads and `write` cache
/// writes.
pub(crate) fn inclusive_input(total: u64, read: u64, write: u64) -> Input {
    match read
        .checked_add(write)
        .and_then(|cached| total.checked_sub(cached))
    {
        Some(input) => Input::Exclusive(input),
        None => match total.checked_sub(read) {
            Some(input) => Input::ReadsOnly(input),
            None => Input::Impossible,
        },
    }
}

/// The `cache_creation` split to write: the source's, or the default TTL's when that is 1 hour.
pub(crate) fn cache_split(
    write: u64,
    split: Option<(u64, u64)>,
    ttl: CacheTtl,
) -> Option<CacheCreation> {
    match (split, ttl) {
        (Some((w5, w1)), _) => Some(CacheCreation {
            ephemeral_5m_input_tokens: w5,
            ephemeral_1h_input_tokens: w1,
        }),
        (None, CacheTtl::OneHour) if write > 0 => Some(CacheCreation {
            ephemeral_5m_input_tokens: 0,
            ephemeral_1h_input_tokens: write,
        }),
        (None, _) => None,
    }
}

/// A row-level count, else the same key in `metadata.usage_object`; missing in both is an error
/// naming the row-level field.
fn first_count(row: &Obj, usage_object: &Option<Obj>, key: &str) -> Result<u64, FieldError> {
    if let Some(n) = row.count(key)? {
        return Ok(n);
    }
    if let Some(n) = usage_object
        .as_ref()
        .map(|u| u.count(key))
        .transpose()?
        .flatten()
    {
        return Ok(n);
    }
    Err(crate::json::missing(&row.name(key)))
}

/// The first count found at one of `paths` in one of `sources`, sources outermost.
fn count_in(sources: &[Option<&Obj>], paths: &[&[&str]]) -> Result<Option<u64>, FieldError> {
    for source in sources.iter().flatten() {
        for path in paths {
            if let Some(n) = source.count_at(path)? {
                return Ok(Some(n));
            }
        }
    }
    Ok(None)
}

/// The 5m / 1h split from `cache_creation_token_details` (LiteLLM) or `cache_creation`
/// (Anthropic's own shape), when either count is present.
fn split_in(sources: &[Option<&Obj>]) -> Result<Option<(u64, u64)>, FieldError> {
    for source in sources.iter().flatten() {
        for key in ["cache_creation_token_details", "cache_creation"] {
            let w5 = source.count_at(&[key, "ephemeral_5m_input_tokens"])?;
            let w1 = source.count_at(&[key, "ephemeral_1h_input_tokens"])?;
            if w5.is_some() || w1.is_some() {
                return Ok(Some((w5.unwrap_or(0), w1.unwrap_or(0))));
            }
        }
    }
    Ok(None)
}

/// Time to the first token (`completionStartTime`), else the whole call (`endTime`), after
/// `startTime`, in whole milliseconds (rounded); `None` when neither is logged or the difference
/// is negative.
fn latency(row: &Obj, start: Timestamp, offset: i32) -> Result<Option<u64>, FieldError> {
    for key in ["completionStartTime", "endTime"] {
        if let Some(v) = row.get(key) {
            let (end, _) = parse_time(v, &row.name(key), offset)?;
            if let Some(ns) = end.0.checked_sub(start.0).filter(|ns| *ns >= 0) {
                return Ok(Some(nanos_to_ms(ns as u64)));
            }
        }
    }
    Ok(None)
}

/// Nanoseconds to whole milliseconds, rounded half up.
pub(crate) fn nanos_to_ms(ns: u64) -> u64 {
    ns / 1_000_000 + u64::from(ns % 1_000_000 >= 500_000)
}

/// Parses a LiteLLM time: an RFC 3339 string, a string without offset (read at `offset`
/// minutes east of UTC; the `bool` says so), or epoch seconds as a number.
pub(crate) fn parse_time(
    value: &Value,
    field: &str,
    offset: i32,
) -> Result<(Timestamp, bool), FieldError> {
    let bad = |what: String| (field.to_owned(), what);
    match value {
        Value::String(s) => {
            let s = s.trim();
            match Timestamp::parse_rfc3339(s) {
                Ok(ts) => Ok((ts, false)),
                Err(e) => {
                    let sign = if offset < 0 { '-' } else { '+' };
                    let (h, m) = (offset.abs() / 60, offset.abs() % 60);
                    match Timestamp::parse_rfc3339(&format!("{s}{sign}{h:02}:{m:02}")) {
                        Ok(ts) => Ok((ts, true)),
                        Err(_) => Err(bad(format!("not a timestamp: {e}"))),
                    }
                }
            }
        }
        Value::Number(n) => {
            let secs = n
                .as_f64()
                .filter(|x| x.is_finite() && *x >= 0.0 && *x < 9.0e9);
            let Some(secs) = secs else {
                return Err(bad(format!("must be epoch seconds, got {n}")));
            };
            // Microseconds, as LiteLLM writes them; the float carries no more.
            let micros = (secs * 1e6).round() as i64;
            Ok((Timestamp(micros * 1_000), false))
        }
        other => Err(bad(format!(
            "must be a timestamp string or epoch seconds, got {}",
            shown(other)
        ))),
    }
}

/// `request_tags` (strings) and `metadata.spend_logs_metadata` entries as `key:value`, after
/// [`SOURCE_TAG`], without repeats.
fn tags(row: &Obj, spend_meta: Option<&Obj>) -> Result<Vec<String>, FieldError> {
    let mut tags = vec![SOURCE_TAG.to_owned()];
    let mut push = |tag: String| {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    };
    match row.get("request_tags") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) if s.trim().is_empty() => {}
                    Value::String(s) => push(s.clone()),
                    Value::Null => {}
                    other => {
                        let field = format!("{}[{i}]", row.name("request_tags"));
                        return Err((field, format!("must be a string, got {}", shown(other))));
                    }
                }
            }
        }
        Some(other) => {
            return Err((
                row.name("request_tags"),
                format!("must be a list of strings, got {}", shown(other)),
            ))
        }
    }
    if let Some(meta) = spend_meta {
        for (key, value) in meta.map {
            match value {
                Value::String(s) if !s.is_empty() => push(format!("{key}:{s}")),
                Value::Number(_) | Value::Bool(_) => push(format!("{key}:{value}")),
                // Nested values and nulls are not labels.
                _ => {}
            }
        }
    }
    Ok(tags)
}

/// Replaces `map[key]`, when it is a string, with the JSON it encodes (an empty string with
/// `null`).
fn decode_embedded(map: &mut Map<String, Value>, key: &str, path: &str) -> Result<(), FieldError> {
    let Some(Value::String(text)) = map.get(key) else {
        return Ok(());
    };
    let decoded = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(text).map_err(|e| {
            (
                format!("{path}{key}"),
                format!("is a string but not valid JSON inside: {e}"),
            )
        })?
    };
    map.insert(key.to_owned(), decoded);
    Ok(())
}

/// A JSON object and the path of its fields, for error messages. `null` reads as absent, and so
/// does an empty or blank string.
pub(crate) struct Obj<'a> {
    pub map: &'a Map<String, Value>,
    /// The prefix of the object's field names, ending with `.` unless empty.
    pub path: String,
}

impl<'a> Obj<'a> {
    pub fn name(&self, key: &str) -> String {
        format!("{}{key}", self.path)
    }

    /// The value of `key`, unless absent or `null`.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A string field; empty or blank reads as absent.
    pub fn string(&self, key: &str) -> Result<Option<&'a str>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err((
                self.name(key),
                format!("must be a string, got {}", shown(other)),
            )),
        }
    }

    pub fn count(&self, key: &str) -> Result<Option<u64>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => crate::json::count_of(v)
                .map(Some)
                .ok_or_else(|| not_a_count(&self.name(key), v)),
        }
    }

    pub fn object(&self, key: &str) -> Result<Option<Obj<'a>>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj {
                map,
                path: format!("{}.", self.name(key)),
            })),
            Some(other) => Err((
                self.name(key),
                format!("must be an object, got {}", shown(other)),
            )),
        }
    }

    /// The count at a path of nested objects; `None` when any step is absent or `null`.
    pub fn count_at(&self, path: &[&str]) -> Result<Option<u64>, FieldError> {
        match path {
            [] => Ok(None),
            [key] => self.count(key),
            [key, rest @ ..] => match self.object(key)? {
                Some(inner) => inner.count_at(rest),
                None => Ok(None),
            },
        }
    }
}
