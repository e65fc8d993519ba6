//! The Mooncake trace importer (kvcache-ai/Mooncake, `FAST25-release/traces/*.jsonl`, Apache-2.0).
//!
//! A Mooncake trace line is one request:
//! `{"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47, ...]}`,
//! where `timestamp` is milliseconds since the trace start and `hash_ids` are remapped,
//! prefix-chained hashes of the prompt's 512-token blocks (the last block may be partial). It
//! becomes one corpus record whose prompt has one `user` segment per block, so that tokensim's
//! prompt-cache policies can place breakpoints on it and find the shared prefixes. The full
//! mapping and the rules for inconsistent lines are in `docs/importers.md` ("mooncake").
//!
//! The trace records no cache usage, so every record is written as if nothing were cached
//! (`cache_creation_input_tokens` and `cache_read_input_tokens` are 0) and carries no breakpoints.

use std::fmt;
use std::io::{self, BufRead, BufWriter, Write};

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeSeq, Serializer};
use serde_json::Value;
use tokensim_corpus::{Timestamp, SCHEMA_V1};

use crate::json::{count_of, missing, not_a_count, object_line, shown, FieldError};
use crate::{ImportError, ImportSummary, LineNote};

#[cfg(test)]
mod tests;

/// Tokens per hash block in the Mooncake traces (`FAST25-release/README.md`).
pub const BLOCK_TOKENS: u64 = 512;

/// The default instant that trace time 0 maps to.
pub const DEFAULT_BASE: &str = "2026-10-01T00:00:00Z";

/// The default model written on every record (the trace names none).
pub const DEFAULT_MODEL: &str = "claude-sonnet-4-5";

/// The default workspace (cache isolation scope) written on every record.
pub const DEFAULT_WORKSPACE: &str = "mooncake";

/// Rule id: `hash_ids` is empty, so the request's input has no block to go in. The line is
/// skipped.
pub const RULE_NO_BLOCKS: &str = "no-blocks";

/// Rule id: `hash_ids` has more blocks than `input_length` fills, so the last block would hold
/// no tokens (or fewer than none). The line is skipped.
pub const RULE_BLOCKS_EXCEED_INPUT: &str = "blocks-exceed-input";

/// Rule id: `input_length` is more than `hash_ids` blocks of 512 tokens hold. The line is
/// written, with the excess on the last block (which then holds more than 512 tokens).
pub const RULE_INPUT_EXCEEDS_BLOCKS: &str = "input-exceeds-blocks";

/// What the trace does not say and the corpus needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MooncakeOptions {
    /// The instant that trace time 0 maps to; a record's `ts` is this plus its `timestamp`
    /// milliseconds.
    pub base: Timestamp,
    /// The model id written on every record. It is not checked against the price catalog here;
    /// the replay rejects an unknown id.
    pub model: String,
    /// The workspace (cache isolation scope) written on every record.
    pub workspace: String,
}

impl Default for MooncakeOptions {
    /// [`DEFAULT_BASE`], [`DEFAULT_MODEL`] and [`DEFAULT_WORKSPACE`].
    fn default() -> Self {
        MooncakeOptions {
            base: Timestamp::parse_rfc3339(DEFAULT_BASE).expect("the default base is RFC 3339"),
            model: DEFAULT_MODEL.to_owned(),
            workspace: DEFAULT_WORKSPACE.to_owned(),
        }
    }
}

/// Converts one Mooncake trace to corpus v1 JSON lines: a header line, then one record per
/// trace line that can be represented (see the rule constants for the lines that cannot).
///
/// `source_name` is the trace's file name (a path is fine). It names the file in errors, and its
/// stem (the last path component without `.zst`, then `.jsonl` or `.json`) goes into every
/// record's `id` (`<stem>-<line>`), its tag (`source:mooncake-<stem>`) and its segment hashes
/// (`mc-<stem>-<hash id>`). Hash ids are only meaningful within one trace file, so a trace must be
/// converted as one file under one name: two files never share a prefix.
///
/// The output is buffered here; `out` need not be. A malformed line stops the conversion with an
/// error naming the file, line and field; what was written until then is a valid but partial
/// corpus.
pub fn convert<R: BufRead, W: Write>(
    mut input: R,
    source_name: &str,
    opts: &MooncakeOptions,
    out: W,
) -> Result<ImportSummary, ImportError> {
    let stem = stem(source_name);
    check_options(stem, opts)?;
    let hash_prefix = format!("mc-{stem}-");
    let tag = format!("source:mooncake-{stem}");
    let write_error = |cause: io::Error| ImportError::Write {
        file: source_name.to_owned(),
        cause,
    };
    let line_error = |line: u64, (field, message): (String, String)| ImportError::Line {
        file: source_name.to_owned(),
        line,
        field,
        message,
    };

    let mut out = BufWriter::new(out);
    writeln!(out, "{{\"schema\":\"{SCHEMA_V1}\"}}").map_err(write_error)?;
    let mut summary = ImportSummary {
        source_name: source_name.to_owned(),
        ..ImportSummary::default()
    };
    let mut raw = Vec::new();
    loop {
        let line = summary.lines_read + 1;
        raw.clear();
        let read = input
            .read_until(b'\n', &mut raw)
            .map_err(|cause| ImportError::Read {
                file: source_name.to_owned(),
                line,
                cause,
            })?;
        if read == 0 {
            break;
        }
        summary.lines_read = line;
        let text = tokensim_corpus::utf8(&raw).map_err(|e| {
            line_error(
                line,
                (String::new(), format!("line is not valid UTF-8 ({e})")),
            )
        })?;
        if text.trim().is_empty() {
            summary.lines_blank += 1;
            continue;
        }
        // Without its line ending, so that a JSON error's column is on this line.
        let text = text.trim_end_matches(['\n', '\r']);
        let request = parse_request(text).map_err(|e| line_error(line, e))?;
        let ts = instant(opts.base, request.timestamp_ms).ok_or_else(|| {
            let message = format!(
                "{} ms after the base instant {} is past the last representable instant \
                 (year 2262)",
                request.timestamp_ms, opts.base
            );
            line_error(line, ("timestamp".to_owned(), message))
        })?;
        let last_block_tokens = match last_block_tokens(request.input_length, &request.hash_ids) {
            Blocks::Fit { last } => last,
            Blocks::Adjusted { last, rule, detail } => {
                summary.adjusted.push(LineNote { line, rule, detail });
                last
            }
            Blocks::Skip { rule, detail } => {
                summary.skipped.push(LineNote { line, rule, detail });
                continue;
            }
        };
        let blocks = request.hash_ids.len() as u64;
        // Pair assertion with `last_block_tokens`: the segments add up to the input, which the
        // corpus validator checks again on every line that is read back.
        assert_eq!(
            (blocks - 1) * BLOCK_TOKENS + last_block_tokens,
            request.input_length
        );
        let totals = (
            summary.tokens_input.checked_add(request.input_length),
            summary.tokens_output.checked_add(request.output_length),
        );
        let (Some(tokens_input), Some(tokens_output)) = totals else {
            let message = "the trace's token total overflows 64 bits".to_owned();
            return Err(line_error(line, (String::new(), message)));
        };
        let record = OutRecord {
            id: format!("{stem}-{line}"),
            ts: ts.to_string(),
            model: &opts.model,
            workspace: &opts.workspace,
            tags: [&tag],
            usage: OutUsage {
                input_tokens: request.input_length,
                output_tokens: request.output_length,
                cache_creation_input_tokens: 0,
                cache_read_input_tokens: 0,
            },
            prompt: OutPrompt {
                segments: OutSegments {
                    hash_prefix: &hash_prefix,
                    hash_ids: &request.hash_ids,
                    last_block_tokens,
                },
            },
        };
        serde_json::to_writer(&mut out, &record).map_err(|e| write_error(e.into()))?;
        out.write_all(b"\n").map_err(write_error)?;
        summary.records_written += 1;
        summary.tokens_input = tokens_input;
        summary.tokens_output = tokens_output;
        summary.segments_written += blocks;
    }
    out.flush().map_err(write_error)?;
    assert_eq!(
        summary.lines_read,
        summary.lines_blank + summary.records_written + summary.skipped.len() as u64,
        "every line is blank, written or skipped"
    );
    Ok(summary)
}

/// The stem of a source name: its last path component without `.zst`, then without `.jsonl` or
/// `.json` (`traces/conversation_trace.jsonl` gives `conversation_trace`).
fn stem(source_name: &str) -> &str {
    let name = source_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(source_name);
    let name = name.strip_suffix(".zst").unwrap_or(name);
    name.strip_suffix(".jsonl")
        .or_else(|| name.strip_suffix(".json"))
        .unwrap_or(name)
}

fn check_options(stem: &str, opts: &MooncakeOptions) -> Result<(), ImportError> {
    let empty = |name: &'static str, what: &str| ImportError::Option {
        name,
        message: format!("is empty; {what}"),
    };
    if stem.is_empty() {
        return Err(empty(
            "source name",
            "it names the trace in ids and segment hashes",
        ));
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
    Ok(())
}

/// `base` plus `ms` milliseconds, or `None` past the end of [`Timestamp`]'s range.
fn instant(base: Timestamp, ms: u64) -> Option<Timestamp> {
    let ns = i64::try_from(ms).ok()?.checked_mul(1_000_000)?;
    base.0.checked_add(ns).map(Timestamp)
}

/// How a request's `input_length` is spread over its blocks.
#[derive(Debug, PartialEq, Eq)]
enum Blocks {
    /// Every block but the last holds 512 tokens, and the last holds `last` (1..=512).
    Fit { last: u64 },
    /// As `Fit`, but the last block holds more than 512 tokens.
    Adjusted {
        last: u64,
        rule: &'static str,
        detail: String,
    },
    /// The line cannot be written.
    Skip { rule: &'static str, detail: String },
}

fn last_block_tokens(input_length: u64, hash_ids: &[u64]) -> Blocks {
    let blocks = hash_ids.len() as u64;
    if blocks == 0 {
        return Blocks::Skip {
            rule: RULE_NO_BLOCKS,
            detail: format!("hash_ids is empty, so the {input_length} input tokens have no block"),
        };
    }
    let needed = input_length.div_ceil(BLOCK_TOKENS);
    // u128 because a hostile `hash_ids` could be long enough to overflow 512 × blocks in u64.
    let before_last = u128::from(blocks - 1) * u128::from(BLOCK_TOKENS);
    if u128::from(input_length) <= before_last {
        return Blocks::Skip {
            rule: RULE_BLOCKS_EXCEED_INPUT,
            detail: format!(
                "input_length {input_length} fills {} of {BLOCK_TOKENS} tokens, hash_ids has \
                 {blocks}",
                plural(needed, "block")
            ),
        };
    }
    let last = (u128::from(input_length) - before_last) as u64;
    if last <= BLOCK_TOKENS {
        return Blocks::Fit { last };
    }
    Blocks::Adjusted {
        last,
        rule: RULE_INPUT_EXCEEDS_BLOCKS,
        detail: format!(
            "input_length {input_length} needs {} of {BLOCK_TOKENS} tokens, hash_ids has \
             {blocks}; the last block carries {last} tokens",
            plural(needed, "block")
        ),
    }
}

fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// One trace line, validated.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    timestamp_ms: u64,
    input_length: u64,
    output_length: u64,
    hash_ids: Vec<u64>,
}

/// A trace line as JSON. A derived struct (rather than a map) rejects duplicate keys; unknown keys
/// are ignored, so that a trace with extra fields still imports.
#[derive(serde::Deserialize)]
struct RawRequest {
    #[serde(default)]
    timestamp: Field,
    #[serde(default)]
    input_length: Field,
    #[serde(default)]
    output_length: Field,
    #[serde(default)]
    hash_ids: Field,
}

/// A field's JSON value: `None` when the key is absent, `Some(Value::Null)` for `null` (which a
/// plain `Option<Value>` would not tell apart).
#[derive(Default)]
struct Field(Option<Value>);

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Field, D::Error> {
        Value::deserialize(d).map(|v| Field(Some(v)))
    }
}

fn parse_request(text: &str) -> Result<Request, FieldError> {
    let raw: RawRequest = object_line(text)?;
    // Fields are checked in the order the trace writes them, so the first error is the leftmost.
    let timestamp_ms = count("timestamp", raw.timestamp)?;
    let input_length = count("input_length", raw.input_length)?;
    let output_length = count("output_length", raw.output_length)?;
    let hash_ids = match raw.hash_ids.0 {
        None => return Err(missing("hash_ids")),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| count_of(v).ok_or_else(|| not_a_count(&format!("hash_ids[{i}]"), v)))
            .collect::<Result<Vec<u64>, FieldError>>()?,
        Some(other) => {
            let message = format!(
                "must be a list of non-negative integers, got {}",
                shown(&other)
            );
            return Err(("hash_ids".to_owned(), message));
        }
    };
    Ok(Request {
        timestamp_ms,
        input_length,
        output_length,
        hash_ids,
    })
}

fn count(field: &str, value: Field) -> Result<u64, FieldError> {
    let value = value.0.ok_or_else(|| missing(field))?;
    count_of(&value).ok_or_else(|| not_a_count(field, &value))
}

/// One corpus record, in the order its keys are written.
#[derive(serde::Serialize)]
struct OutRecord<'a> {
    id: String,
    ts: String,
    model: &'a str,
    workspace: &'a str,
    tags: [&'a str; 1],
    usage: OutUsage,
    prompt: OutPrompt<'a>,
}

#[derive(serde::Serialize)]
struct OutUsage {
    input_tokens: u64,
    output_tokens: u64,
    cache_creation_input_tokens: u64,
    cache_read_input_tokens: u64,
}

#[derive(serde::Serialize)]
struct OutPrompt<'a> {
    segments: OutSegments<'a>,
}

/// The segments, written straight from the hash ids without building a list.
struct OutSegments<'a> {
    hash_prefix: &'a str,
    hash_ids: &'a [u64],
    last_block_tokens: u64,
}

impl Serialize for OutSegments<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.hash_ids.len()))?;
        let last = self.hash_ids.len() - 1;
        for (i, &id) in self.hash_ids.iter().enumerate() {
            seq.serialize_element(&OutSegment {
                role: "user",
                hash: SegmentHash {
                    prefix: self.hash_prefix,
                    id,
                },
                tokens: if i == last {
                    self.last_block_tokens
                } else {
                    BLOCK_TOKENS
                },
                cache_control: None,
            })?;
        }
        seq.end()
    }
}

#[derive(serde::Serialize)]
struct OutSegment<'a> {
    role: &'static str,
    hash: SegmentHash<'a>,
    tokens: u64,
    /// Always `null`: the trace has no breakpoints; cache policies place them.
    cache_control: Option<&'static str>,
}

/// `mc-<stem>-<hash id>`, written without an intermediate string.
struct SegmentHash<'a> {
    prefix: &'a str,
    id: u64,
}

impl fmt::Display for SegmentHash<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.prefix, self.id)
    }
}

impl Serialize for SegmentHash<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}
