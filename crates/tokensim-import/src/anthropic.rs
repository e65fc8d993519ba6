//! The Anthropic Messages API log importer: logged request/response pairs, streamed or not, and
//! Message Batches result lines.
//!
//! A log line is one JSON object holding one API exchange:
//!
//! ```json
//! {"ts": "2026-02-17T23:44:12Z", "latency_ms": 943,
//!  "metadata": {"team": "support", "app": "helpdesk", "feature": "reply", "workspace": "prod"},
//!  "request": {"model": "claude-sonnet-4-5", "max_tokens": 1024, "system": "...", "messages": [...]},
//!  "response": {"id": "msg_01...", "model": "claude-sonnet-4-5-20250929", "usage": {...}, ...}}
//! ```
//!
//! `response` is the response body as the API sent it: the message object, or a stream given
//! either as the list of its SSE event objects or as the raw SSE text (`event: ...` / `data: ...`
//! lines). A Message Batches results line (`{"custom_id", "result": {"type": "succeeded",
//! "message": {...}}}`) is accepted too, with the batch request's `params` under `request` when the
//! logger joined them. Each line becomes one corpus record. The prompt text never reaches the
//! corpus: every tool definition, system block and message content block becomes a prompt segment
//! whose `hash` is a keyed BLAKE3 fingerprint of the block (the key comes from a salt file, see
//! [`key_from_salt`]), and the recorded input tokens are apportioned over the segments by a
//! documented rule ([`RULE_CACHE_WITHOUT_BREAKPOINT`] and its siblings name the cases that rule
//! cannot anchor). The full mapping is in `docs/importers.md` ("anthropic").

use std::io::{BufRead, Write};

use serde_json::{Map, Value};
use tokensim_corpus::Timestamp;

use crate::json::{count_of, missing, not_a_count, object_line, shown, FieldError};
use crate::out::{
    for_each_line, CacheCreation, CorpusWriter, LineError, Prompt, Record, Segment, ServerToolUse,
    Usage,
};
use crate::{ImportError, ImportSummary, LineNote};

#[cfg(test)]
mod tests;

/// The BLAKE3 key-derivation context that turns a salt file's bytes into the fingerprint key.
pub const SALT_CONTEXT: &str = "tokensim anthropic import v1 salt";

/// Hex characters kept of each segment fingerprint (128 of BLAKE3's 256 bits).
pub const HASH_HEX_CHARS: usize = 32;

/// The most cache breakpoints the Messages API accepts in one request.
pub const MAX_BREAKPOINTS: usize = 4;

/// Rule id: the response is an API error (`{"type": "error", ...}`, or an `error` event in the
/// stream). No usage was billed; the line is skipped.
pub const RULE_ERROR_RESPONSE: &str = "error-response";

/// Rule id: the response (or the stream, once merged) has no `usage` object. The line is skipped.
pub const RULE_NO_USAGE: &str = "no-usage";

/// Rule id: a batch result whose `result.type` is not `succeeded` (`errored`, `canceled`,
/// `expired`): not billed. The line is skipped.
pub const RULE_BATCH_NOT_SUCCEEDED: &str = "batch-not-succeeded";

/// Rule id: the request carries more than [`MAX_BREAKPOINTS`] cache breakpoints (the top-level
/// `cache_control` counted as one); the API would have rejected it. The line is skipped.
pub const RULE_TOO_MANY_BREAKPOINTS: &str = "too-many-breakpoints";

/// Rule id: a `1h` breakpoint comes after a `5m` one; the API would have rejected it. The line is
/// skipped.
pub const RULE_TTL_ORDER: &str = "ttl-1h-after-5m";

/// Rule id: a `cache_control` value that is not `{"type": "ephemeral"}` with an optional `ttl` of
/// `"5m"` or `"1h"`: a newer API feature the corpus cannot represent. The line is skipped.
pub const RULE_UNKNOWN_CACHE_CONTROL: &str = "unknown-cache-control";

/// Rule id: `usage.service_tier` is not `standard`, `batch` or `priority`. The line is skipped.
pub const RULE_UNKNOWN_SERVICE_TIER: &str = "unknown-service-tier";

/// Rule id: `usage.speed` is not `standard` or `fast`. The line is skipped.
pub const RULE_UNKNOWN_SPEED: &str = "unknown-speed";

/// Rule id: `usage.cache_creation`'s 5m and 1h writes do not add up to
/// `cache_creation_input_tokens`, so the writes cannot be priced. The line is skipped.
pub const RULE_CACHE_SPLIT_MISMATCH: &str = "cache-split-mismatch";

/// Rule id (adjusted): the usage reports cache reads or writes but the request has no breakpoint,
/// so nothing anchors the cached prefix; the input tokens are apportioned over all segments by
/// weight alone.
pub const RULE_CACHE_WITHOUT_BREAKPOINT: &str = "cache-without-breakpoint";

/// Rule id (adjusted): `input_tokens` > 0 and cache tokens > 0, but the last breakpoint is on the
/// last block, so no segment follows it to hold the uncached input (usually a few tokens of turn
/// framing). Those tokens are apportioned inside the cached prefix.
pub const RULE_INPUT_AFTER_LAST_BLOCK: &str = "input-after-last-block";

/// Rule id (adjusted): both cache reads and cache writes are > 0, but the cached prefix is a
/// single block, so the read cannot end before the write; the prefix holds both.
pub const RULE_READ_WRITE_ONE_BLOCK: &str = "read-write-one-block";

/// Rule id (adjusted): a stream with a `message_start` but no `message_delta` carrying usage (a
/// cut-off stream): the record keeps the partial usage of `message_start` (whose
/// `output_tokens` is usually 1).
pub const RULE_STREAM_WITHOUT_FINAL_USAGE: &str = "stream-without-final-usage";

/// Rule id (adjusted): `usage.output_tokens_details.thinking_tokens` is more than
/// `output_tokens`; the record is written without `thinking_tokens`.
pub const RULE_THINKING_EXCEEDS_OUTPUT: &str = "thinking-exceeds-output";

/// What the log does not say and the corpus needs, and the fingerprint key.
#[derive(Clone, PartialEq, Eq)]
pub struct AnthropicOptions {
    /// The BLAKE3 key of the segment fingerprints, from [`key_from_salt`]. Keep the salt file
    /// secret and reuse it: the same block gives the same hash only under the same key.
    pub key: [u8; 32],
    /// The `ts` of a line that has none (a batch results file has no per-line time: pass the
    /// batch's `created_at`). `None`: such a line is an error.
    pub default_ts: Option<Timestamp>,
    /// The workspace (cache isolation scope) of a line whose `metadata.workspace` is absent.
    /// `None` leaves `workspace` out (the corpus reads it as `default`).
    pub workspace: Option<String>,
}

impl AnthropicOptions {
    /// Options with `key` and no default timestamp or workspace.
    pub fn new(key: [u8; 32]) -> Self {
        AnthropicOptions {
            key,
            default_ts: None,
            workspace: None,
        }
    }
}

impl std::fmt::Debug for AnthropicOptions {
    /// Leaves the key out, so that it does not end up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicOptions")
            .field("key", &"<redacted>")
            .field("default_ts", &self.default_ts)
            .field("workspace", &self.workspace)
            .finish()
    }
}

/// The fingerprint key for a salt file's bytes: `blake3::derive_key(SALT_CONTEXT, salt)`. An empty
/// salt is an error: it would make every fingerprint of common text computable by anyone.
pub fn key_from_salt(salt: &[u8]) -> Result<[u8; 32], ImportError> {
    if salt.is_empty() {
        return Err(ImportError::Option {
            name: "salt",
            message: "is empty; use a file of random bytes (e.g. 32 bytes from /dev/urandom) \
                      and keep it for every import whose hashes must match"
                .to_owned(),
        });
    }
    Ok(blake3::derive_key(SALT_CONTEXT, salt))
}

/// Converts one log of Messages API exchanges to corpus v1 JSON lines: a header line, then one
/// record per line that can be represented (the rule constants list the lines that cannot).
///
/// `source_name` names the log in errors. A malformed line (not JSON, a required field missing or
/// of the wrong type) stops the conversion with an error naming the file, line and field; what was
/// written until then is a valid but partial corpus. The output is buffered here.
pub fn convert<R: BufRead, W: Write>(
    input: R,
    source_name: &str,
    opts: &AnthropicOptions,
    out: W,
) -> Result<ImportSummary, ImportError> {
    if opts.workspace.as_deref() == Some("") {
        return Err(ImportError::Option {
            name: "workspace",
            message: "is empty; the corpus would read it as \"default\"".to_owned(),
        });
    }
    let mut writer = CorpusWriter::new(out, source_name)?;
    let mut summary = ImportSummary {
        source_name: source_name.to_owned(),
        ..ImportSummary::default()
    };
    for_each_line(input, source_name, &mut summary, |line, text, summary| {
        match convert_line(text, opts)? {
            Outcome::Skip { rule, detail } => {
                summary.skipped.push(LineNote { line, rule, detail });
            }
            Outcome::Write { record, notes } => {
                writer.write(&record, summary).map_err(LineError::from)?;
                summary
                    .adjusted
                    .extend(notes.into_iter().map(|(rule, detail)| LineNote {
                        line,
                        rule,
                        detail,
                    }));
            }
        }
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

/// What one log line becomes.
#[derive(Debug)]
enum Outcome {
    /// A record, with the adjustments it needed (a line may need more than one).
    Write {
        record: Box<Record>,
        notes: Vec<(&'static str, String)>,
    },
    /// Nothing, for this reason.
    Skip { rule: &'static str, detail: String },
}

fn skip(rule: &'static str, detail: String) -> Outcome {
    Outcome::Skip { rule, detail }
}

/// Returns early from a function returning `Result<Outcome, _>` when `$e` is a skip.
macro_rules! or_skip {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(Skipped(rule, detail)) => return Ok(skip(rule, detail)),
        }
    };
}

/// A line that is well-formed but cannot be written, and why.
struct Skipped(&'static str, String);

/// Either a malformed-line error or a skip.
enum Fail {
    Field(FieldError),
    Skip(Skipped),
}

impl From<FieldError> for Fail {
    fn from(e: FieldError) -> Self {
        Fail::Field(e)
    }
}

fn convert_line(text: &str, opts: &AnthropicOptions) -> Result<Outcome, FieldError> {
    let line: Map<String, Value> = object_line(text)?;

    // The logger's own fields first: they are the log format, whatever the API answered.
    let ts = match line.get("ts") {
        None | Some(Value::Null) => opts.default_ts.ok_or_else(|| {
            let message = "required field is missing (give each line an RFC 3339 `ts`, or a \
                           default timestamp for the whole file)";
            ("ts".to_owned(), message.to_owned())
        })?,
        Some(Value::String(s)) => Timestamp::parse_rfc3339(s).map_err(|e| ("ts".to_owned(), e))?,
        Some(other) => {
            let message = format!("must be an RFC 3339 string, got {}", shown(other));
            return Err(("ts".to_owned(), message));
        }
    };
    let latency_ms = optional_count(&line, "latency_ms", "latency_ms")?;
    let meta = Metadata::parse(line.get("metadata"))?;

    // Then the response: an error or a response without usage is skipped before the request is
    // read (a request the API refused may be anything).
    let (reply, batch) = match (line.get("result"), line.get("response")) {
        (Some(result), _) => match batch_reply(result)? {
            Ok(reply) => (reply, true),
            Err(Skipped(rule, detail)) => return Ok(skip(rule, detail)),
        },
        (None, Some(response)) => match response_reply(response)? {
            Ok(reply) => (reply, false),
            Err(Skipped(rule, detail)) => return Ok(skip(rule, detail)),
        },
        (None, None) => {
            let message = "required field is missing (or `result`, for a batch results line)";
            return Err(("response".to_owned(), message.to_owned()));
        }
    };
    let mut notes = Vec::new();
    if reply.partial_stream {
        let detail = "the stream has a message_start but no message_delta with usage; the \
                      partial usage of message_start is kept"
            .to_owned();
        notes.push((RULE_STREAM_WITHOUT_FINAL_USAGE, detail));
    }
    let usage_field = if batch {
        "result.message.usage"
    } else {
        "response.usage"
    };
    let read = match read_usage(&reply.usage, usage_field) {
        Ok(read) => read,
        Err(Fail::Field(e)) => return Err(e),
        Err(Fail::Skip(Skipped(rule, detail))) => return Ok(skip(rule, detail)),
    };

    let request = match line.get("request") {
        None | Some(Value::Null) => None,
        Some(Value::Object(request)) => Some(request),
        Some(other) => {
            let message = format!("must be the request body object, got {}", shown(other));
            return Err(("request".to_owned(), message));
        }
    };
    let blocks = match request {
        Some(request) => or_skip!(request_blocks(request, &opts.key)?),
        None => Vec::new(),
    };
    let model = match reply.model {
        Some(model) => model,
        None => match request.and_then(|r| r.get("model")) {
            Some(Value::String(model)) if !model.is_empty() => model.clone(),
            _ if batch => return Err(missing("result.message.model")),
            _ => return Err(missing("response.model")),
        },
    };
    let max_tokens = match request {
        Some(request) => optional_count(request, "max_tokens", "request.max_tokens")?,
        None => None,
    };
    let requested_stream = match request.and_then(|r| r.get("stream")) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            let message = format!("must be a boolean, got {}", shown(other));
            return Err(("request.stream".to_owned(), message));
        }
    };

    let usage = read.usage;
    let total = usage
        .input_tokens
        .checked_add(usage.cache_creation_input_tokens)
        .and_then(|t| t.checked_add(usage.cache_read_input_tokens));
    if total.is_none() {
        let message = "the total input tokens overflow 64 bits".to_owned();
        return Err((usage_field.to_owned(), message));
    }
    let prompt = if blocks.is_empty() {
        None
    } else {
        let weights: Vec<u64> = blocks.iter().map(|b| b.weight).collect();
        let breakpoints: Vec<usize> = blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| b.ttl.is_some())
            .map(|(i, _)| i)
            .collect();
        let split = apportion(
            &weights,
            &breakpoints,
            usage.input_tokens,
            usage.cache_creation_input_tokens,
            usage.cache_read_input_tokens,
        );
        notes.extend(split.notes);
        let segments = blocks
            .into_iter()
            .zip(split.tokens)
            .map(|(b, tokens)| Segment {
                role: b.role,
                hash: b.hash,
                tokens,
                cache_control: b.ttl,
            })
            .collect();
        Some(Prompt { segments })
    };

    let mut thinking_tokens = read.thinking_tokens;
    if let Some(thinking) = thinking_tokens {
        if thinking > usage.output_tokens {
            let detail = format!(
                "output_tokens_details.thinking_tokens {thinking} > output_tokens {}; \
                 thinking_tokens left out",
                usage.output_tokens
            );
            notes.push((RULE_THINKING_EXCEEDS_OUTPUT, detail));
            thinking_tokens = None;
        }
    }

    let mut record = Record::new(ts, model, usage);
    record.id = reply.id;
    record.workspace = meta.workspace.or_else(|| opts.workspace.clone());
    record.team = meta.team;
    record.app = meta.app;
    record.feature = meta.feature;
    record.tags = meta.tags;
    record.conversation_id = meta.conversation_id;
    record.service_tier = if batch {
        Some("batch")
    } else {
        read.service_tier
    };
    record.speed = read.speed;
    record.inference_geo = read.inference_geo;
    record.stream = Some(!batch && (reply.sse || requested_stream));
    record.latency_ms = latency_ms;
    record.max_tokens = max_tokens;
    record.thinking_tokens = thinking_tokens;
    record.prompt = prompt;
    Ok(Outcome::Write {
        record: Box::new(record),
        notes,
    })
}

/// What the response says about the call.
#[derive(Debug, Default)]
struct Reply {
    id: Option<String>,
    model: Option<String>,
    /// The usage object; a stream's is `message_start`'s with every non-null key of each
    /// `message_delta` usage written over it, so the last value of each key wins.
    usage: Map<String, Value>,
    /// The response was a stream (SSE events or text).
    sse: bool,
    /// A stream with no `message_delta` usage.
    partial_stream: bool,
}

fn batch_reply(result: &Value) -> Result<Result<Reply, Skipped>, FieldError> {
    let Value::Object(result) = result else {
        let message = format!("must be an object, got {}", shown(result));
        return Err(("result".to_owned(), message));
    };
    let kind = match result.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        None | Some(Value::Null) => return Err(missing("result.type")),
        Some(other) => {
            let message = format!("must be a string, got {}", shown(other));
            return Err(("result.type".to_owned(), message));
        }
    };
    if kind != "succeeded" {
        let mut detail = format!("batch result type {kind:?}");
        if let Some(Value::String(error)) = result
            .get("error")
            .and_then(|e| e.get("error"))
            .and_then(|e| e.get("type"))
        {
            detail += &format!(" ({error})");
        }
        return Ok(Err(Skipped(RULE_BATCH_NOT_SUCCEEDED, detail)));
    }
    match result.get("message") {
        Some(Value::Object(message)) => message_reply(message, "result.message"),
        None | Some(Value::Null) => Err(missing("result.message")),
        Some(other) => {
            let message = format!("must be the message object, got {}", shown(other));
            Err(("result.message".to_owned(), message))
        }
    }
}

fn response_reply(response: &Value) -> Result<Result<Reply, Skipped>, FieldError> {
    match response {
        Value::Object(message) => message_reply(message, "response"),
        Value::Array(events) => {
            let events = events
                .iter()
                .enumerate()
                .map(|(i, e)| (format!("response[{i}]"), e.clone()));
            stream_reply(events)
        }
        Value::String(text) if text.trim_start().starts_with('{') => {
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(message)) => message_reply(&message, "response"),
                Ok(other) => {
                    let message = format!("must hold a JSON object, got {}", shown(&other));
                    Err(("response".to_owned(), message))
                }
                Err(e) => {
                    let message = format!("is a string but not a valid JSON body: {e}");
                    Err(("response".to_owned(), message))
                }
            }
        }
        Value::String(text) => stream_reply(sse_events(text)?.into_iter()),
        other => {
            let message = format!(
                "must be the response body (an object), its SSE events (a list) or its SSE text, \
                 got {}",
                shown(other)
            );
            Err(("response".to_owned(), message))
        }
    }
}

/// A non-streamed response body (or a batch result's message).
fn message_reply(
    message: &Map<String, Value>,
    field: &str,
) -> Result<Result<Reply, Skipped>, FieldError> {
    if message.get("type").and_then(Value::as_str) == Some("error") {
        return Ok(Err(error_skip(message)));
    }
    let mut reply = Reply {
        id: optional_string(message, "id", &format!("{field}.id"))?,
        model: optional_string(message, "model", &format!("{field}.model"))?,
        ..Reply::default()
    };
    match message.get("usage") {
        Some(Value::Object(usage)) => reply.usage = usage.clone(),
        None | Some(Value::Null) => {
            let detail = format!("the response has no usage ({field}.usage)");
            return Ok(Err(Skipped(RULE_NO_USAGE, detail)));
        }
        Some(other) => {
            let message = format!("must be an object, got {}", shown(other));
            return Err((format!("{field}.usage"), message));
        }
    }
    Ok(Ok(reply))
}

fn error_skip(body: &Map<String, Value>) -> Skipped {
    let kind = body
        .get("error")
        .and_then(|e| e.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    Skipped(
        RULE_ERROR_RESPONSE,
        format!("the API answered an error ({kind})"),
    )
}

/// Merges a stream's events, each named by its field for errors.
fn stream_reply(
    events: impl Iterator<Item = (String, Value)>,
) -> Result<Result<Reply, Skipped>, FieldError> {
    let mut reply = Reply {
        sse: true,
        ..Reply::default()
    };
    let mut started = false;
    let mut final_usage = false;
    let mut any_usage = false;
    for (field, event) in events {
        let mut event = match event {
            Value::Object(event) => event,
            other => {
                let message = format!("must be an SSE event object, got {}", shown(&other));
                return Err((field, message));
            }
        };
        // A logger may keep the SSE frame: `{"event": name, "data": {...} or "{...}"}`.
        if !event.contains_key("type") {
            match event.remove("data") {
                Some(Value::Object(data)) => event = data,
                Some(Value::String(data)) => match serde_json::from_str(&data) {
                    Ok(Value::Object(data)) => event = data,
                    _ => {
                        let message = "data is not a JSON object".to_owned();
                        return Err((format!("{field}.data"), message));
                    }
                },
                _ => return Err(missing(&format!("{field}.type"))),
            }
        }
        let kind = match event.get("type") {
            Some(Value::String(kind)) => kind.as_str(),
            _ => return Err(missing(&format!("{field}.type"))),
        };
        match kind {
            "error" => return Ok(Err(error_skip(&event))),
            "message_start" => {
                let Some(Value::Object(message)) = event.get("message") else {
                    return Err(missing(&format!("{field}.message")));
                };
                started = true;
                reply.id = optional_string(message, "id", &format!("{field}.message.id"))?;
                reply.model = optional_string(message, "model", &format!("{field}.message.model"))?;
                match message.get("usage") {
                    Some(Value::Object(usage)) => {
                        merge_usage(&mut reply.usage, usage);
                        any_usage = true;
                    }
                    None | Some(Value::Null) => {}
                    Some(other) => {
                        let message = format!("must be an object, got {}", shown(other));
                        return Err((format!("{field}.message.usage"), message));
                    }
                }
            }
            "message_delta" => match event.get("usage") {
                Some(Value::Object(usage)) => {
                    merge_usage(&mut reply.usage, usage);
                    any_usage = true;
                    final_usage = true;
                }
                None | Some(Value::Null) => {}
                Some(other) => {
                    let message = format!("must be an object, got {}", shown(other));
                    return Err((format!("{field}.usage"), message));
                }
            },
            _ => {}
        }
    }
    if !any_usage {
        let detail = "the stream has no usage (no message_start or message_delta usage)".to_owned();
        return Ok(Err(Skipped(RULE_NO_USAGE, detail)));
    }
    reply.partial_stream = started && !final_usage;
    Ok(Ok(reply))
}

/// Writes every non-null key of `delta` over `usage`.
fn merge_usage(usage: &mut Map<String, Value>, delta: &Map<String, Value>) {
    for (key, value) in delta {
        if !value.is_null() {
            usage.insert(key.clone(), value.clone());
        }
    }
}

/// The events of a raw SSE text: each event's `data:` lines joined, parsed as JSON. An event's
/// name (`event:`) is used as its `type` when the data has none. Comments (`:`) and the `id:` and
/// `retry:` fields are ignored.
fn sse_events(text: &str) -> Result<Vec<(String, Value)>, FieldError> {
    let mut events = Vec::new();
    let mut name: Option<&str> = None;
    let mut data: Vec<&str> = Vec::new();
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.is_empty() {
            dispatch(&mut events, name.take(), &mut data)?;
            continue;
        }
        if raw.starts_with(':') {
            continue;
        }
        let (key, value) = match raw.split_once(':') {
            Some((key, value)) => (key, value.strip_prefix(' ').unwrap_or(value)),
            None => (raw, ""),
        };
        match key {
            "event" => name = Some(value),
            "data" => data.push(value),
            _ => {}
        }
    }
    dispatch(&mut events, name, &mut data)?;
    Ok(events)
}

/// Ends one SSE event: parses its joined `data` lines (none: no event) and appends it.
fn dispatch(
    events: &mut Vec<(String, Value)>,
    name: Option<&str>,
    data: &mut Vec<&str>,
) -> Result<(), FieldError> {
    if data.is_empty() {
        return Ok(());
    }
    let n = events.len();
    let joined = data.join("\n");
    data.clear();
    match serde_json::from_str::<Value>(&joined) {
        Ok(Value::Object(mut event)) => {
            if let (false, Some(name)) = (event.contains_key("type"), name) {
                event.insert("type".to_owned(), Value::String(name.to_owned()));
            }
            events.push((format!("response (SSE event {n})"), Value::Object(event)));
            Ok(())
        }
        Ok(other) => Err((
            "response".to_owned(),
            format!(
                "SSE event {n}: data is not a JSON object: {}",
                shown(&other)
            ),
        )),
        Err(e) => Err((
            "response".to_owned(),
            format!("SSE event {n}: data is not valid JSON: {e}"),
        )),
    }
}

/// A usage object read into the corpus's terms.
#[derive(Debug)]
struct ReadUsage {
    usage: Usage,
    service_tier: Option<&'static str>,
    speed: Option<&'static str>,
    inference_geo: Option<String>,
    thinking_tokens: Option<u64>,
}

fn read_usage(usage: &Map<String, Value>, field: &str) -> Result<ReadUsage, Fail> {
    let at = |key: &str| format!("{field}.{key}");
    let required = |key: &str| -> Result<u64, FieldError> {
        match usage.get(key) {
            None => Err(missing(&at(key))),
            Some(v) => count_of(v).ok_or_else(|| not_a_count(&at(key), v)),
        }
    };
    let input_tokens = required("input_tokens")?;
    let output_tokens = required("output_tokens")?;
    let cache_creation_input_tokens = optional_count(
        usage,
        "cache_creation_input_tokens",
        &at("cache_creation_input_tokens"),
    )?
    .unwrap_or(0);
    let cache_read_input_tokens = optional_count(
        usage,
        "cache_read_input_tokens",
        &at("cache_read_input_tokens"),
    )?
    .unwrap_or(0);
    let cache_creation = match usage.get("cache_creation") {
        None | Some(Value::Null) => None,
        Some(Value::Object(split)) => {
            let field = at("cache_creation");
            let count = |key: &str| {
                optional_count(split, key, &format!("{field}.{key}")).map(|c| c.unwrap_or(0))
            };
            let split = CacheCreation {
                ephemeral_5m_input_tokens: count("ephemeral_5m_input_tokens")?,
                ephemeral_1h_input_tokens: count("ephemeral_1h_input_tokens")?,
            };
            let sum = u128::from(split.ephemeral_5m_input_tokens)
                + u128::from(split.ephemeral_1h_input_tokens);
            if sum != u128::from(cache_creation_input_tokens) {
                let detail = format!(
                    "cache_creation splits into {} (5m) + {} (1h) = {sum}, but \
                     cache_creation_input_tokens is {cache_creation_input_tokens}",
                    split.ephemeral_5m_input_tokens, split.ephemeral_1h_input_tokens
                );
                return Err(Fail::Skip(Skipped(RULE_CACHE_SPLIT_MISMATCH, detail)));
            }
            Some(split)
        }
        Some(other) => {
            let message = format!("must be an object, got {}", shown(other));
            return Err(Fail::Field((at("cache_creation"), message)));
        }
    };
    let server_tool_use = match usage.get("server_tool_use") {
        None | Some(Value::Null) => None,
        Some(Value::Object(tools)) => {
            let key = "web_search_requests";
            optional_count(tools, key, &format!("{}.{key}", at("server_tool_use")))?.map(
                |web_search_requests| ServerToolUse {
                    web_search_requests,
                },
            )
        }
        Some(other) => {
            let message = format!("must be an object, got {}", shown(other));
            return Err(Fail::Field((at("server_tool_use"), message)));
        }
    };
    let service_tier = match optional_string(usage, "service_tier", &at("service_tier"))?.as_deref()
    {
        None => None,
        Some("standard") => Some("standard"),
        Some("batch") => Some("batch"),
        Some("priority") => Some("priority"),
        Some(other) => {
            let detail = format!("usage.service_tier {other:?} is not standard, batch or priority");
            return Err(Fail::Skip(Skipped(RULE_UNKNOWN_SERVICE_TIER, detail)));
        }
    };
    let speed = match optional_string(usage, "speed", &at("speed"))?.as_deref() {
        None => None,
        Some("standard") => Some("standard"),
        Some("fast") => Some("fast"),
        Some(other) => {
            let detail = format!("usage.speed {other:?} is not standard or fast");
            return Err(Fail::Skip(Skipped(RULE_UNKNOWN_SPEED, detail)));
        }
    };
    let inference_geo = optional_string(usage, "inference_geo", &at("inference_geo"))?;
    let thinking_tokens = match usage.get("output_tokens_details") {
        None | Some(Value::Null) => None,
        Some(Value::Object(details)) => optional_count(
            details,
            "thinking_tokens",
            &at("output_tokens_details.thinking_tokens"),
        )?,
        Some(other) => {
            let message = format!("must be an object, got {}", shown(other));
            return Err(Fail::Field((at("output_tokens_details"), message)));
        }
    };
    Ok(ReadUsage {
        usage: Usage {
            input_tokens,
            output_tokens,
            cache_creation_input_tokens,
            cache_read_input_tokens,
            cache_creation,
            server_tool_use,
        },
        service_tier,
        speed,
        inference_geo,
        thinking_tokens,
    })
}

/// The line's `metadata`, each part optional.
#[derive(Debug, Default)]
struct Metadata {
    team: Option<String>,
    app: Option<String>,
    feature: Option<String>,
    workspace: Option<String>,
    conversation_id: Option<String>,
    tags: Vec<String>,
}

impl Metadata {
    fn parse(value: Option<&Value>) -> Result<Metadata, FieldError> {
        let meta = match value {
            None | Some(Value::Null) => return Ok(Metadata::default()),
            Some(Value::Object(meta)) => meta,
            Some(other) => {
                let message = format!("must be an object, got {}", shown(other));
                return Err(("metadata".to_owned(), message));
            }
        };
        // An empty string is as good as absent (the corpus reads both as unattributed/default).
        let part = |key: &str| -> Result<Option<String>, FieldError> {
            let value = optional_string(meta, key, &format!("metadata.{key}"))?;
            Ok(value.filter(|s| !s.is_empty()))
        };
        let tags = match meta.get("tags") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err((
                        format!("metadata.tags[{i}]"),
                        format!("must be a string, got {}", shown(other)),
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(Value::Object(items)) => items
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok(format!("{k}:{s}")),
                    other => Err((
                        format!("metadata.tags.{k}"),
                        format!("must be a string, got {}", shown(other)),
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                let message = format!(
                    "must be a list of strings or an object of strings, got {}",
                    shown(other)
                );
                return Err(("metadata.tags".to_owned(), message));
            }
        };
        Ok(Metadata {
            team: part("team")?,
            app: part("app")?,
            feature: part("feature")?,
            workspace: part("workspace")?,
            conversation_id: part("conversation_id")?,
            tags,
        })
    }
}

/// One prompt block, fingerprinted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Block {
    role: &'static str,
    hash: String,
    /// Byte length of the block's canonical JSON (without `cache_control`).
    weight: u64,
    ttl: Option<&'static str>,
}

/// The request's blocks in prefix order (tools, system, messages), with their breakpoints; a
/// request the API would have refused for its breakpoints is a skip.
fn request_blocks(
    request: &Map<String, Value>,
    key: &[u8; 32],
) -> Result<Result<Vec<Block>, Skipped>, FieldError> {
    let mut blocks = Vec::new();
    let mut push = |role: &'static str, block: &Map<String, Value>, field: &str| {
        let ttl = match block.get("cache_control") {
            None => None,
            Some(cc) => ttl_of(cc, &format!("{field}.cache_control"))?,
        };
        let json = canonical_block(block);
        blocks.push(Block {
            role,
            hash: fingerprint(key, role, &json),
            weight: json.len() as u64,
            ttl,
        });
        Ok(())
    };

    match request.get("tools") {
        None | Some(Value::Null) => {}
        Some(Value::Array(tools)) => {
            for (i, tool) in tools.iter().enumerate() {
                let field = format!("request.tools[{i}]");
                let tool = object_at(tool, &field)?;
                if let Err(s) = push("tools", tool, &field) {
                    return Ok(Err(s));
                }
            }
        }
        Some(other) => return Err(not_a_list("request.tools", other)),
    }
    match request.get("system") {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) => {
            if let Err(s) = push("system", &text_block(text), "request.system") {
                return Ok(Err(s));
            }
        }
        Some(Value::Array(system)) => {
            for (i, block) in system.iter().enumerate() {
                let field = format!("request.system[{i}]");
                let block = object_at(block, &field)?;
                if let Err(s) = push("system", block, &field) {
                    return Ok(Err(s));
                }
            }
        }
        Some(other) => {
            let message = format!(
                "must be a string or a list of content blocks, got {}",
                shown(other)
            );
            return Err(("request.system".to_owned(), message));
        }
    }
    match request.get("messages") {
        None | Some(Value::Null) => {}
        Some(Value::Array(messages)) => {
            for (m, message) in messages.iter().enumerate() {
                let field = format!("request.messages[{m}]");
                let message = object_at(message, &field)?;
                let role = match message.get("role") {
                    Some(Value::String(r)) if r == "user" => "user",
                    Some(Value::String(r)) if r == "assistant" => "assistant",
                    None => return Err(missing(&format!("{field}.role"))),
                    Some(other) => {
                        let message =
                            format!("must be \"user\" or \"assistant\", got {}", shown(other));
                        return Err((format!("{field}.role"), message));
                    }
                };
                match message.get("content") {
                    Some(Value::String(text)) => {
                        let field = format!("{field}.content");
                        if let Err(s) = push(role, &text_block(text), &field) {
                            return Ok(Err(s));
                        }
                    }
                    Some(Value::Array(content)) => {
                        for (i, block) in content.iter().enumerate() {
                            let field = format!("{field}.content[{i}]");
                            let block = object_at(block, &field)?;
                            let role = if block.get("type").and_then(Value::as_str)
                                == Some("tool_result")
                            {
                                "tool_result"
                            } else {
                                role
                            };
                            if let Err(s) = push(role, block, &field) {
                                return Ok(Err(s));
                            }
                        }
                    }
                    None => return Err(missing(&format!("{field}.content"))),
                    Some(other) => {
                        let message = format!(
                            "must be a string or a list of content blocks, got {}",
                            shown(other)
                        );
                        return Err((format!("{field}.content"), message));
                    }
                }
            }
        }
        Some(other) => return Err(not_a_list("request.messages", other)),
    }

    // Automatic caching: a top-level `cache_control` puts a breakpoint on the last block, unless
    // that block has its own.
    if let Some(cc) = request.get("cache_control") {
        let ttl = match ttl_of(cc, "request.cache_control") {
            Ok(ttl) => ttl,
            Err(s) => return Ok(Err(s)),
        };
        if let (Some(ttl), Some(last)) = (ttl, blocks.last_mut()) {
            if last.ttl.is_none() {
                last.ttl = Some(ttl);
            }
        }
    }

    let ttls: Vec<&str> = blocks.iter().filter_map(|b| b.ttl).collect();
    if ttls.len() > MAX_BREAKPOINTS {
        let detail = format!(
            "{} cache breakpoints; the API accepts at most {MAX_BREAKPOINTS}",
            ttls.len()
        );
        return Ok(Err(Skipped(RULE_TOO_MANY_BREAKPOINTS, detail)));
    }
    if let Some(first_5m) = ttls.iter().position(|t| *t == "5m") {
        if let Some(late) = ttls[first_5m..].iter().position(|t| *t == "1h") {
            let detail = format!(
                "breakpoint {} is 1h but breakpoint {} before it is 5m; longer TTLs must come \
                 first",
                first_5m + late + 1,
                first_5m + 1
            );
            return Ok(Err(Skipped(RULE_TTL_ORDER, detail)));
        }
    }
    Ok(Ok(blocks))
}

/// `{"type": "text", "text": s}`: the block a string `system` or `content` stands for, so that
/// both spellings fingerprint alike.
pub(crate) fn text_block(text: &str) -> Map<String, Value> {
    let mut block = Map::new();
    block.insert("type".to_owned(), Value::String("text".to_owned()));
    block.insert("text".to_owned(), Value::String(text.to_owned()));
    block
}

/// A breakpoint's TTL: `None` for `null`, `"5m"` for `{"type": "ephemeral"}` (or `"ttl": "5m"`),
/// `"1h"` for `"ttl": "1h"`; anything else is a skip.
fn ttl_of(cc: &Value, field: &str) -> Result<Option<&'static str>, Skipped> {
    let unknown = || {
        let detail = format!(
            "{field} is {}; only {{\"type\": \"ephemeral\"}} with an optional ttl of \"5m\" or \
             \"1h\" is known",
            shown(cc)
        );
        Skipped(RULE_UNKNOWN_CACHE_CONTROL, detail)
    };
    let cc = match cc {
        Value::Null => return Ok(None),
        Value::Object(cc) => cc,
        _ => return Err(unknown()),
    };
    if cc.get("type").and_then(Value::as_str) != Some("ephemeral") {
        return Err(unknown());
    }
    match cc.get("ttl") {
        None | Some(Value::Null) => Ok(Some("5m")),
        Some(Value::String(t)) if t == "5m" => Ok(Some("5m")),
        Some(Value::String(t)) if t == "1h" => Ok(Some("1h")),
        Some(_) => Err(unknown()),
    }
}

/// The canonical JSON of a block without its top-level `cache_control`: object keys sorted by
/// their bytes at every depth, no whitespace, strings escaped as serde_json escapes them, numbers
/// as serde_json writes them.
pub(crate) fn canonical_block(block: &Map<String, Value>) -> String {
    let mut out = String::new();
    write_object(block, true, &mut out);
    out
}

fn write_object(map: &Map<String, Value>, drop_cache_control: bool, out: &mut String) {
    // Sorted here rather than trusting the map's order: serde_json's `preserve_order` feature,
    // if another crate ever enabled it, would keep the log's key order instead.
    let mut keys: Vec<&String> = map
        .keys()
        .filter(|k| !(drop_cache_control && k.as_str() == "cache_control"))
        .collect();
    keys.sort();
    out.push('{');
    for (i, key) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::String(key.clone()).to_string());
        out.push(':');
        if let Some(value) = map.get(key) {
            write_canonical(value, out);
        }
    }
    out.push('}');
}

pub(crate) fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => write_object(map, false, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The keyed fingerprint of a block: BLAKE3 keyed by `key` over the segment role, a newline and
/// the block's canonical JSON, hex, cut to [`HASH_HEX_CHARS`]. The role is in it so that the same
/// text said by the user and by the assistant are different blocks.
pub(crate) fn fingerprint(key: &[u8; 32], role: &str, canonical_json: &str) -> String {
    let mut hasher = blake3::Hasher::new_keyed(key);
    hasher.update(role.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical_json.as_bytes());
    let mut hex = hasher.finalize().to_hex().to_string();
    hex.truncate(HASH_HEX_CHARS);
    hex
}

fn object_at<'a>(value: &'a Value, field: &str) -> Result<&'a Map<String, Value>, FieldError> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err((
            field.to_owned(),
            format!("must be an object, got {}", shown(other)),
        )),
    }
}

fn not_a_list(field: &str, value: &Value) -> FieldError {
    (
        field.to_owned(),
        format!("must be a list, got {}", shown(value)),
    )
}

/// `map[key]` as a count; absent or `null` is `None`.
fn optional_count(
    map: &Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<u64>, FieldError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => count_of(v).map(Some).ok_or_else(|| not_a_count(field, v)),
    }
}

/// `map[key]` as a string; absent or `null` is `None`.
fn optional_string(
    map: &Map<String, Value>,
    key: &str,
    field: &str,
) -> Result<Option<String>, FieldError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err((
            field.to_owned(),
            format!("must be a string, got {}", shown(other)),
        )),
    }
}

/// Segment tokens, and the adjustments the apportionment needed.
#[derive(Debug, PartialEq, Eq)]
struct Split {
    tokens: Vec<u64>,
    notes: Vec<(&'static str, String)>,
}

/// Apportions the total input `input + write + read` over segments of the given `weights`
/// (`breakpoints`: the indices of the segments with a breakpoint, ascending), so that the counts
/// are whole and add up exactly:
///
/// - No cache tokens: every token by weight over all segments.
/// - Cache tokens: the segments through the last breakpoint hold exactly `write + read`, the
///   segments after it `input`. When both `read` and `write` are > 0, the read ends after the
///   segment `j` (before the last breakpoint) whose weight-proportional cumulative position in the
///   cached prefix is closest to `read` (ties: the earlier), and the segments through `j` hold
///   exactly `read`.
/// - Within each interval, largest-remainder apportionment by weight (ties: the earlier segment).
///
/// When an anchor cannot hold, it is dropped and noted ([`RULE_CACHE_WITHOUT_BREAKPOINT`],
/// [`RULE_INPUT_AFTER_LAST_BLOCK`], [`RULE_READ_WRITE_ONE_BLOCK`]).
fn apportion(weights: &[u64], breakpoints: &[usize], input: u64, write: u64, read: u64) -> Split {
    let n = weights.len();
    let cached = u128::from(write) + u128::from(read);
    let total = cached + u128::from(input);
    let mut notes = Vec::new();
    // Cumulative targets: (end of the interval, exclusive; tokens through it).
    let mut cuts: Vec<(usize, u128)> = Vec::new();
    match breakpoints.iter().copied().rfind(|&b| b < n) {
        _ if cached == 0 || n == 0 => {}
        None => {
            let detail = format!(
                "{write} cache-write and {read} cache-read tokens but no breakpoint; all \
                 {total} input tokens apportioned by weight"
            );
            notes.push((RULE_CACHE_WITHOUT_BREAKPOINT, detail));
        }
        Some(last) => {
            let prefix = if last + 1 == n && input > 0 {
                let detail = format!(
                    "{input} uncached input tokens but the last breakpoint is on the last block; \
                     they are apportioned inside the cached prefix"
                );
                notes.push((RULE_INPUT_AFTER_LAST_BLOCK, detail));
                total
            } else {
                cached
            };
            if read > 0 && write > 0 {
                if last == 0 {
                    let detail = format!(
                        "{read} cache-read and {write} cache-write tokens, but the cached prefix \
                         is one block"
                    );
                    notes.push((RULE_READ_WRITE_ONE_BLOCK, detail));
                } else {
                    let j = read_end(&weights[..=last], prefix, u128::from(read));
                    cuts.push((j + 1, u128::from(read)));
                }
            }
            cuts.push((last + 1, prefix));
        }
    }
    if cuts.last().map(|c| c.0) != Some(n) {
        cuts.push((n, total));
    }
    let mut tokens = Vec::with_capacity(n);
    let (mut start, mut before) = (0, 0u128);
    for (end, through) in cuts {
        largest_remainder(&weights[start..end], through - before, &mut tokens);
        (start, before) = (end, through);
    }
    Split { tokens, notes }
}

/// The index `j < prefix.len() - 1` whose cumulative weight, scaled to `prefix_tokens`, is
/// closest to `read` (ties: the smaller `j`). Compares `|prefix_tokens × cum(j) − read × W|`.
fn read_end(prefix: &[u64], prefix_tokens: u128, read: u128) -> usize {
    let whole: u128 = prefix.iter().map(|&w| u128::from(w)).sum();
    let target = read.saturating_mul(whole);
    let mut cum = 0u128;
    let mut best = (0, u128::MAX);
    for (j, &w) in prefix[..prefix.len() - 1].iter().enumerate() {
        cum += u128::from(w);
        let at = prefix_tokens.saturating_mul(cum);
        let distance = at.abs_diff(target);
        if distance < best.1 {
            best = (j, distance);
        }
    }
    best.0
}

/// Appends `tokens` apportioned over `weights` to `out`: each gets `⌊tokens × w / W⌋`, and the
/// tokens left go one each to the largest remainders (ties: the earlier). All-zero weights count
/// as equal weights. `tokens` fits in u64: it is part of a u64 usage total.
pub(crate) fn largest_remainder(weights: &[u64], tokens: u128, out: &mut Vec<u64>) {
    if weights.is_empty() {
        return;
    }
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    let equal = sum == 0;
    let whole = if equal { weights.len() as u128 } else { sum };
    let weight = |w: u64| if equal { 1 } else { u128::from(w) };
    let start = out.len();
    let mut given = 0u128;
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        // Both factors are below 2^64 when called from `convert`, so the product fits.
        let share = tokens.saturating_mul(weight(w));
        let base = share / whole;
        given += base;
        out.push(base as u64);
        remainders.push((share % whole, i));
    }
    let left = usize::try_from(tokens.saturating_sub(given)).unwrap_or(usize::MAX);
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(left) {
        out[start + i] += 1;
    }
}
