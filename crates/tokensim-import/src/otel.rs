//! The OpenTelemetry importer: OTLP/JSON exports of GenAI spans (the `gen_ai.*` semantic
//! conventions, and the OpenLLMetry and OpenInference spellings), and Claude Code's own log
//! events (`claude_code.api_request`), one corpus record per model call.
//!
//! The input is a sequence of OTLP/JSON export objects, `{"resourceSpans": [...]}` or
//! `{"resourceLogs": [...]}`: JSON lines as the collector's file exporter writes them (one export
//! a line, streamed), or pretty-printed exports (read into memory). One export holds many spans,
//! so this importer counts spans and log records, not lines, in its [`OtelSummary`].
//!
//! A span is a model call when it carries `gen_ai.usage.*` token counts. The semantic
//! conventions (v1.40 on) make `gen_ai.usage.input_tokens` **inclusive** of the cache reads and
//! writes; the corpus's `input_tokens` is not, so the importer subtracts them. Claude Code's
//! `api_request` events count input exclusively already. The mapping, the arithmetic and the
//! rules are in `docs/importers.md` ("otel").

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use serde_json::{Map, Value};
use tokensim_corpus::Timestamp;

use crate::json::{missing, shown, FieldError};
use crate::litellm::values::{for_each_value, ValueCounts};
use crate::litellm::{
    cache_split, count_by_rule, inclusive_input, nanos_to_ms, overflow, pick_model, Input, Totals,
};
use crate::models::ModelMap;
use crate::out::{CorpusWriter, LineError, Record, Usage};
use crate::{ImportError, ImportSummary, LineNote};

#[cfg(test)]
mod tests;

pub use crate::litellm::CacheTtl;
pub use crate::models::RULE_NOT_CLAUDE;

/// Rule id: a span without token usage attributes (an HTTP call, a tool, a database query...),
/// which is not a model call. Counted in [`OtelSummary::skipped_by_rule`], not listed one by one.
pub const RULE_NO_USAGE: &str = "no-usage";

/// Rule id: a log record other than Claude Code's `claude_code.api_request` event (tool results,
/// prompts, connection events...). Counted, not listed.
pub const RULE_NOT_API_REQUEST: &str = "not-api-request";

/// Rule id: a span whose `gen_ai.operation.name` is one of [`AGGREGATE_OPERATIONS`]. Its usage,
/// when it has any, adds up the model calls made under it, which are spans of their own, so
/// writing it would count them twice. Skipped.
pub const RULE_AGGREGATE_SPAN: &str = "aggregate-span";

/// Rule id: the span or event names no model. Skipped.
pub const RULE_NO_MODEL: &str = "no-model";

/// Rule id: the input or the output token count is missing (the other one is there). Skipped:
/// a zero would understate the call.
pub const RULE_INCOMPLETE_USAGE: &str = "incomplete-usage";

/// Rule id: every token count is 0. Skipped.
pub const RULE_NO_TOKENS: &str = "no-tokens";

/// Rule id: with [`InputTokens::Inclusive`], a span's input count is less than its cache reads
/// plus writes, so it cannot include them: the producer counted input the Anthropic way
/// (instrumentations written before semconv v1.40). Written with the input count as the uncached
/// input.
pub const RULE_INPUT_EXCLUDES_CACHE: &str = "input-excludes-cache";

/// The tag every record carries.
pub const SOURCE_TAG: &str = "source:otel";

/// `gen_ai.operation.name` values of spans that wrap model calls rather than being one.
pub const AGGREGATE_OPERATIONS: [&str; 4] = [
    "invoke_agent",
    "create_agent",
    "execute_tool",
    "invoke_workflow",
];

/// Span attributes holding the input token count, first found wins.
pub const INPUT_KEYS: [&str; 3] = [
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
];

/// Span attributes holding the output token count.
pub const OUTPUT_KEYS: [&str; 3] = [
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
];

/// Span attributes holding the cache reads.
pub const CACHE_READ_KEYS: [&str; 4] = [
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read",
    "llm.usage.cache_read_input_tokens",
];

/// Span attributes holding the cache writes.
pub const CACHE_WRITE_KEYS: [&str; 3] = [
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
];

/// Span attributes naming the model, first found wins (the answering model before the
/// requested one).
pub const MODEL_KEYS: [&str; 3] = [
    "gen_ai.response.model",
    "gen_ai.request.model",
    "llm.model_name",
];

/// Span attributes naming the provider; `anthropic` lets a model name that is not recognisably
/// Claude through (the replay then names the closest catalog ids).
pub const PROVIDER_KEYS: [&str; 4] = [
    "gen_ai.provider.name",
    "gen_ai.system",
    "llm.provider",
    "llm.system",
];

/// How a span's input token count relates to its cache reads and writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InputTokens {
    /// The input count includes cache reads and writes (semconv v1.40 on, OpenLLMetry,
    /// OpenInference, LiteLLM's OTel logger): they are subtracted.
    #[default]
    Inclusive,
    /// The input count is Anthropic's uncached `input_tokens` (older instrumentations): written
    /// as it is.
    Exclusive,
}

/// What the telemetry does not say, and the user's choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtelOptions {
    /// Model mappings applied before normalization (`--map-model FROM=TO`).
    pub models: ModelMap,
    /// The workspace (cache isolation scope) written on every record; `None` leaves it out.
    pub workspace: Option<String>,
    /// The TTL of cache writes (neither semconv nor Claude Code split them): default 5 minutes.
    /// Claude Code writes mostly 1-hour entries, so `OneHour` suits its logs.
    pub cache_write_ttl: CacheTtl,
    /// How to read GenAI spans' input counts (Claude Code events are always exclusive).
    pub input_tokens: InputTokens,
    /// Attributes naming the team, first found wins; each is looked up on the span or log
    /// record, then on its resource. Default `team.id`, `service.namespace`.
    pub team_keys: Vec<String>,
    /// Attributes naming the app. Default `service.name` (a value starting with
    /// `unknown_service`, the SDK's placeholder, reads as absent).
    pub app_keys: Vec<String>,
    /// Attributes naming the feature. Default `gen_ai.agent.name`, `agent.name`,
    /// `query_source`.
    pub feature_keys: Vec<String>,
}

impl Default for OtelOptions {
    fn default() -> Self {
        let strings = |keys: &[&str]| keys.iter().map(|k| (*k).to_owned()).collect();
        OtelOptions {
            models: ModelMap::default(),
            workspace: None,
            cache_write_ttl: CacheTtl::default(),
            input_tokens: InputTokens::default(),
            team_keys: strings(&["team.id", "service.namespace"]),
            app_keys: strings(&["service.name"]),
            feature_keys: strings(&["gen_ai.agent.name", "agent.name", "query_source"]),
        }
    }
}

/// What an OpenTelemetry import did. Counts reconcile:
/// `spans_read + log_records_read = records_written + Σ skipped_by_rule`, and every adjusted
/// item is also counted in `records_written`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OtelSummary {
    /// The source name the caller passed.
    pub source_name: String,
    /// Every line of the input, blank ones included.
    pub lines_read: u64,
    /// Blank lines.
    pub lines_blank: u64,
    /// OTLP export objects read (for JSON lines, one per non-blank line).
    pub exports_read: u64,
    /// Exports holding only metrics (`resourceMetrics`), which are aggregates, not calls: read
    /// and ignored.
    pub metric_exports: u64,
    /// Spans read.
    pub spans_read: u64,
    /// Log records read.
    pub log_records_read: u64,
    /// Corpus records written (the header line not counted).
    pub records_written: u64,
    /// Spans and log records not written, by rule id: every one counted here.
    pub skipped_by_rule: BTreeMap<&'static str, u64>,
    /// The skipped items, each with its line and reason, except the [`RULE_NO_USAGE`] and
    /// [`RULE_NOT_API_REQUEST`] ones (most of a trace; they are only counted).
    pub skipped: Vec<LineNote>,
    /// Items written after a documented adjustment.
    pub adjusted: Vec<LineNote>,
    /// Written records per model id, as written.
    pub records_by_model: BTreeMap<String, u64>,
    /// Total `usage.input_tokens` (uncached input) over the written records.
    pub tokens_input: u64,
    /// Total `usage.output_tokens` over the written records.
    pub tokens_output: u64,
    /// Total cache reads over the written records.
    pub tokens_cache_read: u64,
    /// Total 5-minute cache writes over the written records.
    pub tokens_cache_write_5m: u64,
    /// Total 1-hour cache writes over the written records.
    pub tokens_cache_write_1h: u64,
}

impl OtelSummary {
    /// Spans and log records read.
    pub fn items_read(&self) -> u64 {
        self.spans_read + self.log_records_read
    }

    /// Spans and log records skipped, all rules together.
    pub fn skipped_total(&self) -> u64 {
        self.skipped_by_rule.values().sum()
    }

    /// How many items each rule adjusted, by rule id.
    pub fn adjusted_by_rule(&self) -> BTreeMap<&'static str, u64> {
        count_by_rule(&self.adjusted)
    }
}

/// Converts OTLP/JSON trace and log exports to corpus v1 JSON lines: a header line, then one
/// record per model call, in input order.
///
/// `source_name` names the input in errors. A malformed export stops the conversion with an
/// error naming the file, the line the export starts on and the field
/// (`resourceSpans[0].scopeSpans[0].spans[2].attributes["gen_ai.usage.input_tokens"]`); what
/// was written until then is a valid but partial corpus.
pub fn convert<R: BufRead, W: Write>(
    input: R,
    source_name: &str,
    opts: &OtelOptions,
    out: W,
) -> Result<OtelSummary, ImportError> {
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
    let mut writer = CorpusWriter::new(out, source_name)?;
    let mut summary = OtelSummary {
        source_name: source_name.to_owned(),
        ..OtelSummary::default()
    };
    let mut totals = Totals::default();
    let mut scratch = ImportSummary::default();
    let mut counts = ValueCounts::default();
    let (mut exports_read, mut metric_exports) = (0, 0);
    for_each_value(input, source_name, &mut counts, |line, value| {
        let mut each = |item: Item| -> Result<(), LineError> {
            let outcome = match item.kind {
                Kind::Span => {
                    summary.spans_read += 1;
                    span(&item, opts)?
                }
                Kind::Log => {
                    summary.log_records_read += 1;
                    log_record(&item, opts)?
                }
            };
            match outcome {
                Outcome::Skip { rule, detail } => {
                    *summary.skipped_by_rule.entry(rule).or_insert(0) += 1;
                    if let Some(detail) = detail {
                        summary.skipped.push(LineNote {
                            line,
                            rule,
                            detail: format!("{}: {detail}", item.named()),
                        });
                    }
                }
                Outcome::Write(record, notes) => {
                    totals.add(&record.usage).ok_or_else(overflow)?;
                    writer.write(&record, &mut scratch)?;
                    summary.records_written += 1;
                    *summary
                        .records_by_model
                        .entry(record.model.clone())
                        .or_insert(0) += 1;
                    for (rule, detail) in notes {
                        summary.adjusted.push(LineNote {
                            line,
                            rule,
                            detail: format!("{}: {detail}", item.named()),
                        });
                    }
                }
            }
            Ok(())
        };
        let exports = match value {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (format!("[{i}]."), v))
                .collect(),
            other => vec![(String::new(), other)],
        };
        for (path, export) in exports {
            exports_read += 1;
            if walk_export(&path, &export, &mut each)? {
                metric_exports += 1;
            }
        }
        Ok(())
    })?;
    writer.finish()?;
    summary.lines_read = counts.lines_read;
    summary.lines_blank = counts.lines_blank;
    summary.exports_read = exports_read;
    summary.metric_exports = metric_exports;
    summary.tokens_input = totals.input;
    summary.tokens_output = totals.output;
    summary.tokens_cache_read = totals.cache_read;
    summary.tokens_cache_write_5m = totals.cache_write_5m;
    summary.tokens_cache_write_1h = totals.cache_write_1h;
    assert_eq!(
        summary.items_read(),
        summary.records_written + summary.skipped_total(),
        "every span and log record is written or skipped"
    );
    Ok(summary)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Span,
    Log,
}

/// One span or log record, with its resource's attributes.
struct Item<'a> {
    kind: Kind,
    /// `resourceSpans[0].scopeSpans[1].spans[2]`.
    path: String,
    object: &'a Map<String, Value>,
    attrs: Attrs<'a>,
    resource: &'a Attrs<'a>,
}

impl Item<'_> {
    /// The path, with the span id or the request id when there is one, for notes.
    fn named(&self) -> String {
        let id = match self.kind {
            Kind::Span => self.object.get("spanId").and_then(Value::as_str),
            Kind::Log => self.attrs.text("request_id").ok().flatten(),
        };
        match id {
            Some(id) if !id.is_empty() => format!("{} ({id})", self.path),
            _ => self.path.clone(),
        }
    }

    fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    /// An attribute's text on the item, else on its resource.
    fn text_either(&self, key: &str) -> Result<Option<String>, FieldError> {
        match self.attrs.text(key)? {
            Some(t) => Ok(Some(t.to_owned())),
            None => Ok(self.resource.text(key)?.map(str::to_owned)),
        }
    }

    fn first_text(&self, keys: &[String]) -> Result<Option<String>, FieldError> {
        for key in keys {
            if let Some(t) = self.text_either(key)? {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }
}

/// Walks one export object, calling `each` on every span and log record. Returns whether the
/// export held only metrics.
fn walk_export(
    path: &str,
    export: &Value,
    each: &mut impl FnMut(Item) -> Result<(), LineError>,
) -> Result<bool, LineError> {
    let Value::Object(export) = export else {
        let message = format!("must be an OTLP export object, got {}", shown(export));
        return Err(LineError::Field((
            path.trim_end_matches('.').to_owned(),
            message,
        )));
    };
    let spans = export.get("resourceSpans");
    let logs = export.get("resourceLogs");
    if spans.is_none() && logs.is_none() {
        if export.contains_key("resourceMetrics") {
            return Ok(true);
        }
        let message = "not an OTLP export: expected resourceSpans, resourceLogs or \
                       resourceMetrics"
            .to_owned();
        return Err(LineError::Field((
            path.trim_end_matches('.').to_owned(),
            message,
        )));
    }
    let shapes = [
        (
            spans,
            "resourceSpans",
            ["scopeSpans", "instrumentationLibrarySpans"],
            "spans",
            Kind::Span,
        ),
        (
            logs,
            "resourceLogs",
            ["scopeLogs", "instrumentationLibraryLogs"],
            "logRecords",
            Kind::Log,
        ),
    ];
    for (resources, name, scope_keys, items_key, kind) in shapes {
        let Some(resources) = resources else { continue };
        let resources_path = format!("{path}{name}");
        for (r, resource) in list(resources, &resources_path)?.iter().enumerate() {
            let r_path = format!("{resources_path}[{r}]");
            let resource = object(resource, &r_path)?;
            let resource_attrs = match resource.get("resource") {
                Some(Value::Object(res)) => Attrs::parse(res, &format!("{r_path}.resource"))?,
                Some(Value::Null) | None => Attrs::default(),
                Some(other) => {
                    let message = format!("must be an object, got {}", shown(other));
                    return Err(LineError::Field((format!("{r_path}.resource"), message)));
                }
            };
            for scope_key in scope_keys {
                let Some(scopes) = resource.get(scope_key) else {
                    continue;
                };
                let scopes_path = format!("{r_path}.{scope_key}");
                for (s, scope) in list(scopes, &scopes_path)?.iter().enumerate() {
                    let s_path = format!("{scopes_path}[{s}]");
                    let scope = object(scope, &s_path)?;
                    let Some(items) = scope.get(items_key) else {
                        continue;
                    };
                    let items_path = format!("{s_path}.{items_key}");
                    for (i, item) in list(items, &items_path)?.iter().enumerate() {
                        let item_path = format!("{items_path}[{i}]");
                        let object = object(item, &item_path)?;
                        let attrs = Attrs::parse(object, &item_path)?;
                        each(Item {
                            kind,
                            path: item_path,
                            object,
                            attrs,
                            resource: &resource_attrs,
                        })?;
                    }
                }
            }
        }
    }
    Ok(false)
}

fn list<'a>(value: &'a Value, path: &str) -> Result<&'a [Value], FieldError> {
    match value {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(&[]),
        other => Err((
            path.to_owned(),
            format!("must be a list, got {}", shown(other)),
        )),
    }
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, FieldError> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err((
            path.to_owned(),
            format!("must be an object, got {}", shown(other)),
        )),
    }
}

/// What became of one span or log record.
enum Outcome {
    Write(Box<Record>, Vec<(&'static str, String)>),
    /// `detail` is `None` for the rules that are only counted.
    Skip {
        rule: &'static str,
        detail: Option<String>,
    },
}

fn skip(rule: &'static str, detail: String) -> Result<Outcome, LineError> {
    Ok(Outcome::Skip {
        rule,
        detail: Some(detail),
    })
}

fn span(item: &Item, opts: &OtelOptions) -> Result<Outcome, LineError> {
    let a = &item.attrs;
    let total = a.first_count(&INPUT_KEYS)?;
    let output = a.first_count(&OUTPUT_KEYS)?;
    let read = a.first_count(&CACHE_READ_KEYS)?;
    let write = a.first_count(&CACHE_WRITE_KEYS)?;
    if total.is_none() && output.is_none() && read.is_none() && write.is_none() {
        return Ok(Outcome::Skip {
            rule: RULE_NO_USAGE,
            detail: None,
        });
    }
    if let Some(op) = a.text("gen_ai.operation.name")? {
        if AGGREGATE_OPERATIONS.contains(&op) {
            return skip(
                RULE_AGGREGATE_SPAN,
                format!(
                    "gen_ai.operation.name is {op}: its usage adds up the model calls under it"
                ),
            );
        }
    }
    let mut anthropic = false;
    for key in PROVIDER_KEYS {
        if let Some(p) = item.text_either(key)? {
            anthropic = p.eq_ignore_ascii_case("anthropic");
            break;
        }
    }
    let names = [
        a.text(MODEL_KEYS[0])?,
        a.text(MODEL_KEYS[1])?,
        a.text(MODEL_KEYS[2])?,
    ];
    let model = match pick_model(&names, &opts.models, anthropic) {
        Ok(model) => model,
        Err(None) => {
            return skip(
                RULE_NO_MODEL,
                "no gen_ai.response.model or gen_ai.request.model".into(),
            )
        }
        Err(Some(names)) => {
            return skip(
                RULE_NOT_CLAUDE,
                format!("{names} is not a Claude model (map it with --map-model)"),
            )
        }
    };
    let (Some(total), Some(output)) = (total, output) else {
        let what = if total.is_none() { "input" } else { "output" };
        return skip(
            RULE_INCOMPLETE_USAGE,
            format!("the {what} token count is missing"),
        );
    };
    let (read, write) = (read.unwrap_or(0), write.unwrap_or(0));
    if total == 0 && output == 0 && read == 0 && write == 0 {
        return skip(RULE_NO_TOKENS, "every token count is 0".into());
    }
    let mut notes = Vec::new();
    let input = match opts.input_tokens {
        InputTokens::Exclusive => total,
        InputTokens::Inclusive => match inclusive_input(total, read, write) {
            Input::Exclusive(input) => input,
            Input::ReadsOnly(_) | Input::Impossible => {
                notes.push((
                    RULE_INPUT_EXCLUDES_CACHE,
                    format!(
                        "input tokens {total} < cache reads {read} + cache writes {write}; read \
                         as the uncached input"
                    ),
                ));
                total
            }
        },
    };
    let usage = Usage {
        input_tokens: input,
        output_tokens: output,
        cache_creation_input_tokens: write,
        cache_read_input_tokens: read,
        cache_creation: cache_split(write, None, opts.cache_write_ttl),
        server_tool_use: None,
    };
    let start = unix_nanos(item, "startTimeUnixNano")?
        .ok_or_else(|| missing(&item.field("startTimeUnixNano")))?;
    let mut record = Record::new(start, model, usage);
    record.latency_ms = match a.seconds("gen_ai.response.time_to_first_chunk")? {
        Some(secs) => Some((secs * 1000.0).round() as u64),
        None => match unix_nanos(item, "endTimeUnixNano")? {
            Some(end) => end
                .0
                .checked_sub(start.0)
                .filter(|ns| *ns >= 0)
                .map(|ns| nanos_to_ms(ns as u64)),
            None => None,
        },
    };
    record.id = match a.text("gen_ai.response.id")? {
        Some(id) => Some(id.to_owned()),
        None => item
            .object
            .get("spanId")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    };
    record.stream = a.boolean("gen_ai.request.stream")?;
    record.max_tokens = a.count("gen_ai.request.max_tokens")?;
    record.conversation_id = match item.text_either("gen_ai.conversation.id")? {
        Some(c) => Some(c),
        None => item.text_either("session.id")?,
    };
    attribute(&mut record, item, opts)?;
    Ok(Outcome::Write(Box::new(record), notes))
}

fn log_record(item: &Item, opts: &OtelOptions) -> Result<Outcome, LineError> {
    let a = &item.attrs;
    let body = item
        .object
        .get("body")
        .and_then(|b| b.get("stringValue"))
        .and_then(Value::as_str);
    let event = a.text("event.name")?;
    let is_request = body == Some("claude_code.api_request")
        || matches!(event, Some("api_request" | "claude_code.api_request"));
    if !is_request {
        return Ok(Outcome::Skip {
            rule: RULE_NOT_API_REQUEST,
            detail: None,
        });
    }
    let model = match pick_model(&[a.text("model")?], &opts.models, false) {
        Ok(model) => model,
        Err(None) => return skip(RULE_NO_MODEL, "the api_request event has no model".into()),
        Err(Some(names)) => {
            return skip(
                RULE_NOT_CLAUDE,
                format!("{names} is not a Claude model (map it with --map-model)"),
            )
        }
    };
    let (Some(input), Some(output)) = (a.count("input_tokens")?, a.count("output_tokens")?) else {
        return skip(
            RULE_INCOMPLETE_USAGE,
            "input_tokens or output_tokens is missing".into(),
        );
    };
    let read = a.count("cache_read_tokens")?.unwrap_or(0);
    let write = a.count("cache_creation_tokens")?.unwrap_or(0);
    if input == 0 && output == 0 && read == 0 && write == 0 {
        return skip(RULE_NO_TOKENS, "every token count is 0".into());
    }
    let usage = Usage {
        input_tokens: input,
        output_tokens: output,
        cache_creation_input_tokens: write,
        cache_read_input_tokens: read,
        cache_creation: cache_split(write, None, opts.cache_write_ttl),
        server_tool_use: None,
    };
    let logged = match unix_nanos(item, "timeUnixNano")? {
        Some(t) => t,
        None => unix_nanos(item, "observedTimeUnixNano")?
            .ok_or_else(|| missing(&item.field("timeUnixNano")))?,
    };
    // The event is logged when the response is complete; the request was sent `duration_ms`
    // earlier.
    let duration = a.count("duration_ms")?;
    let sent = duration
        .and_then(|ms| i64::try_from(ms).ok()?.checked_mul(1_000_000))
        .and_then(|ns| logged.0.checked_sub(ns))
        .map_or(logged, Timestamp);
    let mut record = Record::new(sent, model, usage);
    record.latency_ms = match a.count("ttft_ms")? {
        Some(ms) => Some(ms),
        None => duration,
    };
    record.id = a.text("request_id")?.map(str::to_owned);
    if a.text("speed")? == Some("fast") {
        record.speed = Some("fast");
    }
    record.conversation_id = item.text_either("session.id")?;
    attribute(&mut record, item, opts)?;
    Ok(Outcome::Write(Box::new(record), Vec::new()))
}

/// Workspace, team, app, feature and tags.
fn attribute(record: &mut Record, item: &Item, opts: &OtelOptions) -> Result<(), FieldError> {
    record.workspace = opts.workspace.clone();
    record.team = item.first_text(&opts.team_keys)?;
    record.app = item
        .first_text(&opts.app_keys)?
        .filter(|app| !app.starts_with("unknown_service"));
    record.feature = item.first_text(&opts.feature_keys)?;
    record.tags = vec![SOURCE_TAG.to_owned()];
    for key in ["deployment.environment.name", "deployment.environment"] {
        if let Some(env) = item.text_either(key)? {
            record.tags.push(format!("env:{env}"));
            break;
        }
    }
    Ok(())
}

/// An OTLP time field (`startTimeUnixNano`...): nanoseconds as a decimal string or a number.
/// `0` means unset.
fn unix_nanos(item: &Item, key: &str) -> Result<Option<Timestamp>, FieldError> {
    let bad = |v: &Value| {
        (
            item.field(key),
            format!(
                "must be nanoseconds since 1970 (a decimal string), got {}",
                shown(v)
            ),
        )
    };
    let ns = match item.object.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(v @ Value::String(s)) => s.trim().parse::<i64>().map_err(|_| bad(v))?,
        Some(v @ Value::Number(n)) => n.as_i64().ok_or_else(|| bad(v))?,
        Some(v) => return Err(bad(v)),
    };
    if ns < 0 {
        return Err(bad(&item.object[key]));
    }
    Ok((ns != 0).then_some(Timestamp(ns)))
}

/// A list of OTLP attributes, `[{"key": k, "value": AnyValue}]`, in order.
#[derive(Default)]
struct Attrs<'a> {
    items: Vec<(&'a str, &'a Map<String, Value>)>,
    /// `<owner path>.attributes`.
    path: String,
}

impl<'a> Attrs<'a> {
    /// The `attributes` of `owner` (absent or `null`: none).
    fn parse(owner: &'a Map<String, Value>, owner_path: &str) -> Result<Attrs<'a>, FieldError> {
        let path = format!("{owner_path}.attributes");
        let mut items = Vec::new();
        let list = match owner.get("attributes") {
            None | Some(Value::Null) => return Ok(Attrs { items, path }),
            Some(Value::Array(list)) => list,
            Some(other) => return Err((path, format!("must be a list, got {}", shown(other)))),
        };
        for (i, entry) in list.iter().enumerate() {
            let at = format!("{path}[{i}]");
            let entry = object(entry, &at)?;
            let Some(Value::String(key)) = entry.get("key") else {
                return Err((format!("{at}.key"), "must be a string".to_owned()));
            };
            match entry.get("value") {
                Some(Value::Object(value)) => items.push((key.as_str(), value)),
                // An unset value.
                None | Some(Value::Null) => {}
                Some(other) => {
                    let message = format!("must be an AnyValue object, got {}", shown(other));
                    return Err((format!("{at}.value"), message));
                }
            }
        }
        Ok(Attrs { items, path })
    }

    fn name(&self, key: &str) -> String {
        format!("{}[{key:?}]", self.path)
    }

    /// The AnyValue's single `…Value` entry, unless the attribute is absent or unset.
    fn get(&self, key: &str) -> Option<(&'a str, &'a Value)> {
        let (_, value) = self.items.iter().find(|(k, _)| *k == key)?;
        value
            .iter()
            .find(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.as_str(), v))
    }

    /// A text attribute: a `stringValue` (any other kind is an error). Empty reads as absent.
    fn text(&self, key: &str) -> Result<Option<&'a str>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(("stringValue", Value::String(s))) => {
                Ok(Some(s.as_str()).filter(|s| !s.trim().is_empty()))
            }
            Some((kind, v)) => Err((
                self.name(key),
                format!("must be a stringValue, got {kind} {}", shown(v)),
            )),
        }
    }

    /// A token count: `intValue` as a decimal string or a number, an integral `doubleValue`, or
    /// a `stringValue` of digits.
    fn count(&self, key: &str) -> Result<Option<u64>, FieldError> {
        let Some((kind, v)) = self.get(key) else {
            return Ok(None);
        };
        let n = match (kind, v) {
            ("intValue" | "stringValue", Value::String(s)) => s.trim().parse::<u64>().ok(),
            ("intValue", Value::Number(n)) => n.as_u64(),
            ("doubleValue", Value::Number(n)) => n
                .as_f64()
                .filter(|x| x.fract() == 0.0 && *x >= 0.0 && *x < 9.0e18)
                .map(|x| x as u64),
            _ => None,
        };
        n.map(Some).ok_or_else(|| {
            (
                self.name(key),
                format!("must be a non-negative integer, got {kind} {}", shown(v)),
            )
        })
    }

    fn first_count(&self, keys: &[&str]) -> Result<Option<u64>, FieldError> {
        for key in keys {
            if let Some(n) = self.count(key)? {
                return Ok(Some(n));
            }
        }
        Ok(None)
    }

    /// Seconds as a `doubleValue`, `intValue` or numeric `stringValue`, non-negative.
    fn seconds(&self, key: &str) -> Result<Option<f64>, FieldError> {
        let Some((kind, v)) = self.get(key) else {
            return Ok(None);
        };
        let x = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        x.filter(|x| x.is_finite() && *x >= 0.0 && *x < 1.0e9)
            .map(Some)
            .ok_or_else(|| {
                (
                    self.name(key),
                    format!(
                        "must be a non-negative number of seconds, got {kind} {}",
                        shown(v)
                    ),
                )
            })
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(("boolValue", Value::Bool(b))) => Ok(Some(*b)),
            Some((kind, v)) => Err((
                self.name(key),
                format!("must be a boolValue, got {kind} {}", shown(v)),
            )),
        }
    }
}
