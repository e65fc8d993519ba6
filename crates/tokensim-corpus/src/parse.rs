//! Parsing one line into a [`Record`], with errors that name the field.
//!
//! The fast path deserializes straight into borrowed structs. Only when that fails is the line
//! parsed again through `serde_path_to_error`, so that the message names the exact field
//! (`usage.cache_creation.ephemeral_1h_input_tokens`) without slowing down good lines.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::record::{
    CacheTtl, Eval, LatencyClass, Position, Record, Role, Segment, ServiceTier, Speed, Task, Text,
    Usage,
};
use crate::time::Timestamp;

/// The schema name of a v1 header line.
pub const SCHEMA_V1: &str = "tokensim.corpus/1";

/// The most input tokens (all components together), and the most output tokens, one record may
/// carry: 2^59 - 1, about 5.8 x 10^17. So that a call routed to another model, its counts (and
/// its prompt segments', each rounded) scaled by a token ratio of at most 16 (the most a
/// scenario accepts), still count in 64 bits. No real call comes near (nor does an aggregated
/// record of a whole organization's month); a record beyond it is an error, not a wrapped number.
pub const MAX_TOKENS: u64 = (1 << 59) - 1;

/// What is wrong with one line, and where inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The field path, like `usage.input_tokens` or `prompt.segments[2].tokens`; empty when the
    /// line as a whole is wrong (not JSON, not an object).
    pub field: String,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
}

impl LineError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        LineError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// What one non-blank line holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A `{"schema": ...}` header (only valid as the first line).
    Header,
    /// A record.
    Record(Box<Record>),
}

/// Eight hex digits (either case), the first in the most significant byte, as their 32-bit value;
/// `None` when any byte is not a hex digit. SWAR: every step works on the eight bytes at once.
fn hex8(x: u64) -> Option<u64> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    if x & HIGH != 0 {
        return None;
    }
    // With every byte below 0x80, adding 0x80 - n sets a byte's high bit exactly when the byte
    // is at least n, and no carry crosses into the next byte.
    let at_least = |v: u64, n: u8| v.wrapping_add(ONES * u64::from(0x80 - n)) & HIGH;
    let digit = at_least(x, b'0') & !at_least(x, b'9' + 1);
    let folded = x | (ONES * 0x20);
    let letter = at_least(folded, b'a') & !at_least(folded, b'f' + 1);
    if digit | letter != HIGH {
        return None;
    }
    // A digit's value is its low nibble; a letter's is its low nibble + 9.
    let mut n = (x & (ONES * 0x0f)) + (letter >> 7) * 9;
    n = (n | (n >> 4)) & 0x00ff_00ff_00ff_00ff;
    n = (n | (n >> 8)) & 0x0000_ffff_0000_ffff;
    n = (n | (n >> 16)) & 0x0000_0000_ffff_ffff;
    Some(n)
}

/// Sixteen hex digits (the writers' form of a segment hash) as their value, eight at a time;
/// `None` when any byte is not a hex digit.
fn hex16(b: &[u8; 16]) -> Option<u64> {
    let half = |h: &[u8]| hex8(u64::from_be_bytes(h.try_into().expect("eight")));
    Some((half(&b[..8])? << 32) | half(&b[8..])?)
}

/// Each byte's value as a hex digit (either case), or 0xff.
const HEX_DIGIT: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Reduces a segment `hash` string to 64 bits. Up to 16 hex digits are read as the number they
/// spell (so generated 64-bit fingerprints keep their value); any other string is hashed with
/// FNV-1a and a final avalanche. Two segments are the same content exactly when their strings are
/// equal; distinct strings collide with probability about 2^-64.
pub fn fingerprint(s: &str) -> u64 {
    let b = s.as_bytes();
    if let Ok(sixteen) = <[u8; 16]>::try_from(b) {
        if let Some(v) = hex16(&sixteen) {
            return v;
        }
    } else if !b.is_empty() && b.len() <= 16 {
        // One table lookup a digit: a non-digit sets the high bit of `bad`.
        let (mut v, mut bad) = (0u64, 0u8);
        for &c in b {
            let d = HEX_DIGIT[usize::from(c)];
            bad |= d;
            v = (v << 4) | u64::from(d & 0x0f);
        }
        if bad & 0x80 == 0 {
            // "ff" and a string that happens to FNV-hash to 0xff are in different domains only
            // through the avalanche below; collisions stay 2^-64.
            return v;
        }
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in s.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Parses one non-blank line. `first` says whether this is the file's first non-blank line, the
/// only place a header may stand.
pub fn parse_line(text: &str, pos: Position, first: bool) -> Result<Line, LineError> {
    if !text.trim_start().starts_with('{') {
        // Checked up front because serde would also accept a JSON array as a struct.
        let start: String = text.trim_start().chars().take(20).collect();
        return Err(LineError::new(
            "",
            format!("not a JSON object (line starts with {start:?})"),
        ));
    }
    if first && looks_like_header(text) {
        let header: Header<'_> = serde_json::from_str(text).map_err(|e| json_error(text, &e))?;
        if let Some(schema) = header.schema {
            if schema.0 != SCHEMA_V1 {
                return Err(LineError::new(
                    "schema",
                    format!(
                        "unsupported corpus schema {:?} (this tokensim reads {SCHEMA_V1:?})",
                        schema.0
                    ),
                ));
            }
            return Ok(Line::Header);
        }
    }
    if let Some(raw) = fast::scan(text) {
        return raw.validate(pos).map(|r| Line::Record(Box::new(r)));
    }
    parse_record_serde(text, pos).map(|r| Line::Record(Box::new(r)))
}

/// For the `corpus` fuzz target, not the API: whether [`parse_line`] (the fast scanner with its
/// fallback) gives exactly the record or error that the serde path alone gives for a line, as
/// the unit tests check on every committed corpus line. Lines that are not a JSON object, or
/// that are a header, are outside the comparison (both paths refuse the first up front).
#[doc(hidden)]
pub fn fast_and_serde_paths_agree(text: &str) -> bool {
    let pos = Position { file: 0, line: 1 };
    if !text.trim_start().starts_with('{') {
        return true;
    }
    let got = parse_line(text, pos, false).map(|l| match l {
        Line::Record(r) => Some(*r),
        Line::Header => None,
    });
    let want = parse_record_serde(text, pos);
    match (got, want) {
        (Ok(Some(a)), Ok(b)) => a == b,
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

/// The reference path: serde, with field paths on error. Every line the fast path accepts must
/// give the same record here (tested).
fn parse_record_serde(text: &str, pos: Position) -> Result<Record, LineError> {
    let raw: RawRecord<'_> = match serde_json::from_str(text) {
        Ok(raw) => raw,
        Err(_) => return Err(explain(text)),
    };
    raw.validate(pos)
}

/// A cheap pre-check so that only a line with a top-level `schema` key pays for a header parse.
fn looks_like_header(text: &str) -> bool {
    text.contains("\"schema\"")
}

/// Re-parses a line that failed the fast path, to name the failing field.
fn explain(text: &str) -> LineError {
    let de = &mut serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, RawRecord<'_>>(de) {
        Ok(_) => LineError::new("", "line could not be parsed"),
        Err(e) => {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            let inner = e.into_inner();
            let mut err = json_error(text, &inner);
            if matches!(
                inner.classify(),
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof
            ) {
                // The path of a syntax error is wherever the parser gave up: not a field to blame.
            } else if err.field.is_empty() {
                err.field = path;
            } else if !path.is_empty() {
                err.field = format!("{path}.{}", err.field);
            }
            err
        }
    }
}

/// Turns a serde_json error into a message a user can act on.
fn json_error(text: &str, e: &serde_json::Error) -> LineError {
    use serde_json::error::Category;
    let msg = e.to_string();
    // serde_json appends " at line 1 column N"; the column helps with syntax errors only.
    let bare = match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => &msg,
    };
    match e.classify() {
        Category::Syntax | Category::Eof => {
            let what = if text.trim_start().starts_with('{') {
                "invalid JSON"
            } else {
                "not a JSON object"
            };
            LineError::new("", format!("{what}: {bare} at column {}", e.column()))
        }
        Category::Io => LineError::new("", bare.to_string()),
        Category::Data => {
            if let Some(rest) = bare.strip_prefix("missing field `") {
                let name = rest.trim_end_matches('`');
                LineError::new(name, "required field is missing")
            } else if let Some(rest) = bare.strip_prefix("duplicate field `") {
                let name = rest.trim_end_matches('`');
                LineError::new(name, "appears twice in the same object")
            } else if bare.starts_with("invalid type: map")
                || bare.starts_with("invalid type:") && text.trim_start().starts_with('[')
            {
                LineError::new("", format!("not a JSON object: {bare}"))
            } else {
                LineError::new("", bare.to_string())
            }
        }
    }
}

/// A string that borrows from the line when it has no escapes.
struct Str<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

fn owned(s: Option<Str<'_>>) -> Option<Text> {
    s.map(|s| Text::from(s.0.as_ref()))
}

/// A token count: a non-negative whole number. Negative, fractional, null and non-numbers are
/// errors with a message that says which.
struct Count(u64);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative integer")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
                Ok(Count(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Count, E> {
                u64::try_from(v)
                    .map(Count)
                    .map_err(|_| E::custom(format!("must be a non-negative integer, got {v}")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Count, E> {
                Err(E::custom(format!("must be a whole number, got {v}")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Count, E> {
                Err(E::custom("must be a non-negative integer, got null"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Count, E> {
                Err(E::custom(format!("must be a number, got the string {v:?}")))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Count, E> {
                Err(E::custom(format!("must be a number, got {v}")))
            }
        }
        d.deserialize_any(V)
    }
}

/// An optional count: absent or null is `None`, anything else must be a valid count.
fn opt_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Option::<Count>::deserialize(d).map(|c| c.map(|c| c.0))
}

/// A count that may be absent (`#[serde(default)]` gives `None`) but, when present, must be a
/// valid count: `null` is an error.
fn present_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Count::deserialize(d).map(|c| Some(c.0))
}

/// Any JSON value, kept as its exact text (absent gives `None`, `null` gives `Some("null")`), for
/// validation to read digit by digit.
fn raw_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de str>, D::Error> {
    <&'de serde_json::value::RawValue>::deserialize(d).map(|v| Some(v.get()))
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    schema: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct RawRecord<'a> {
    #[serde(borrow)]
    ts: Str<'a>,
    #[serde(borrow)]
    model: Str<'a>,
    #[serde(borrow)]
    usage: RawUsage<'a>,
    #[serde(default, borrow)]
    id: Option<Str<'a>>,
    #[serde(default, borrow)]
    workspace: Option<Str<'a>>,
    #[serde(default, borrow)]
    team: Option<Str<'a>>,
    #[serde(default, borrow)]
    app: Option<Str<'a>>,
    #[serde(default, borrow)]
    feature: Option<Str<'a>>,
    #[serde(default)]
    tags: Option<Tags>,
    #[serde(default)]
    service_tier: Option<RawTier>,
    #[serde(default, borrow)]
    inference_geo: Option<Str<'a>>,
    #[serde(default)]
    speed: Option<RawSpeed>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default, deserialize_with = "opt_count")]
    latency_ms: Option<u64>,
    #[serde(default, deserialize_with = "opt_count")]
    max_tokens: Option<u64>,
    #[serde(default)]
    task: Option<RawTask>,
    #[serde(default)]
    latency_class: Option<RawLatencyClass>,
    #[serde(default, deserialize_with = "present_count")]
    thinking_tokens: Option<u64>,
    /// The value's JSON text, checked and converted in `validate`.
    #[serde(default, deserialize_with = "raw_text")]
    difficulty: Option<&'a str>,
    #[serde(default, borrow)]
    conversation_id: Option<Str<'a>>,
    #[serde(default)]
    prompt: Option<RawPrompt>,
    #[serde(default, borrow)]
    evals: Option<Vec<RawEval<'a>>>,
    #[serde(default)]
    schema: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct RawUsage<'a> {
    input_tokens: Count,
    output_tokens: Count,
    cache_creation_input_tokens: Count,
    cache_read_input_tokens: Count,
    #[serde(default)]
    cache_creation: Option<RawCacheCreation>,
    #[serde(default)]
    server_tool_use: Option<RawServerToolUse>,
    #[serde(default)]
    service_tier: Option<RawTier>,
    #[serde(default, borrow)]
    inference_geo: Option<Str<'a>>,
    #[serde(default)]
    speed: Option<RawSpeed>,
    #[serde(default, deserialize_with = "present_count")]
    thinking_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct RawCacheCreation {
    ephemeral_5m_input_tokens: Count,
    ephemeral_1h_input_tokens: Count,
}

#[derive(Deserialize)]
struct RawServerToolUse {
    #[serde(default, deserialize_with = "opt_count")]
    web_search_requests: Option<u64>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum RawTier {
    Standard,
    Batch,
    Priority,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum RawSpeed {
    Standard,
    Fast,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum RawTask {
    Classification,
    Extraction,
    Summarization,
    Chat,
    Code,
    Reasoning,
    Agent,
    Other,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum RawLatencyClass {
    Interactive,
    Async,
}

#[derive(Deserialize)]
struct RawPrompt {
    #[serde(default)]
    segments: Option<RawSegments>,
}

/// `prompt.segments`, converted as they are read: the record's own segments (each hash already
/// reduced to its fingerprint), and the index of the first empty hash, which `validate` refuses
/// in its turn among the segments' checks. Both parse paths build it, so the record takes the
/// vector as it is.
struct RawSegments {
    segments: Vec<Segment>,
    empty_hash: Option<usize>,
}

impl RawSegments {
    /// Most prompts have a few to a dozen blocks: one allocation, no regrowth.
    fn new() -> RawSegments {
        RawSegments {
            segments: Vec::with_capacity(16),
            empty_hash: None,
        }
    }

    fn push(&mut self, s: RawSegment<'_>) {
        if s.hash.0.is_empty() && self.empty_hash.is_none() {
            self.empty_hash = Some(self.segments.len());
        }
        self.segments.push(Segment {
            role: s.role.into(),
            hash: fingerprint(&s.hash.0),
            tokens: s.tokens.0,
            cache_control: s.cache_control.0,
        });
    }
}

impl<'de> Deserialize<'de> for RawSegments {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSegments;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawSegments, A::Error> {
                let mut out = RawSegments::new();
                while let Some(s) = seq.next_element::<RawSegment<'de>>()? {
                    out.push(s);
                }
                Ok(out)
            }
        }
        d.deserialize_seq(V)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum RawRole {
    Tools,
    System,
    User,
    Assistant,
    ToolResult,
}

impl From<RawRole> for Role {
    fn from(r: RawRole) -> Role {
        match r {
            RawRole::Tools => Role::Tools,
            RawRole::System => Role::System,
            RawRole::User => Role::User,
            RawRole::Assistant => Role::Assistant,
            RawRole::ToolResult => Role::ToolResult,
        }
    }
}

#[derive(Deserialize)]
struct RawSegment<'a> {
    role: RawRole,
    #[serde(borrow)]
    hash: Str<'a>,
    tokens: Count,
    #[serde(default)]
    cache_control: CacheControl,
}

#[derive(Deserialize)]
struct RawEval<'a> {
    #[serde(borrow)]
    model: Str<'a>,
    pass: bool,
    #[serde(default)]
    score: Option<f64>,
}

/// An object tag's entry as the record keeps it, `key:value` (concatenated: `format!` machinery
/// cost more than the rest of a tag's parse).
fn tag(key: &str, value: &str) -> Text {
    let mut t = Text::with_capacity(key.len() + 1 + value.len());
    t.push_str(key);
    t.push(':');
    t.push_str(value);
    t
}

/// `tags`: a list of strings or an object of string values.
struct Tags(Vec<Text>);

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tags;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of strings or an object of string values")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tags, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<Str<'de>>()? {
                    out.push(Text::from(s.0.as_ref()));
                }
                Ok(Tags(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tags, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<Str<'de>, Str<'de>>()? {
                    out.push(tag(&k.0, &v.0));
                }
                Ok(Tags(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `cache_control`: null, "5m", "1h", or `{"type": "ephemeral", "ttl"?: "5m" | "1h"}`.
#[derive(Default)]
struct CacheControl(Option<CacheTtl>);

impl<'de> Deserialize<'de> for CacheControl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        fn ttl<E: de::Error>(v: &str) -> Result<CacheTtl, E> {
            match v {
                "5m" => Ok(CacheTtl::FiveMinutes),
                "1h" => Ok(CacheTtl::OneHour),
                _ => Err(E::custom(format!(
                    "unknown cache TTL {v:?}, expected \"5m\" or \"1h\""
                ))),
            }
        }
        impl<'de> Visitor<'de> for V {
            type Value = CacheControl;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("null, \"5m\", \"1h\" or {\"type\": \"ephemeral\", \"ttl\": ...}")
            }
            fn visit_unit<E: de::Error>(self) -> Result<CacheControl, E> {
                Ok(CacheControl(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<CacheControl, E> {
                Ok(CacheControl(None))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CacheControl, E> {
                ttl(v).map(|t| CacheControl(Some(t)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CacheControl, A::Error> {
                let mut kind: Option<Str<'de>> = None;
                let mut t = CacheTtl::FiveMinutes;
                while let Some(k) = map.next_key::<Str<'de>>()? {
                    match &*k.0 {
                        "type" => kind = Some(map.next_value()?),
                        "ttl" => t = ttl(&map.next_value::<Str<'de>>()?.0)?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                match kind {
                    Some(k) if k.0 == "ephemeral" => Ok(CacheControl(Some(t))),
                    Some(k) => Err(de::Error::custom(format!(
                        "unknown cache_control type {:?}, expected \"ephemeral\"",
                        k.0
                    ))),
                    None => Err(de::Error::custom(
                        "cache_control object needs \"type\": \"ephemeral\"",
                    )),
                }
            }
        }
        d.deserialize_any(V)
    }
}

fn tier(t: RawTier) -> ServiceTier {
    match t {
        RawTier::Standard => ServiceTier::Standard,
        RawTier::Batch => ServiceTier::Batch,
        RawTier::Priority => ServiceTier::Priority,
    }
}

/// A value that may be written at the top level and inside `usage`: both must agree.
fn either<T: PartialEq>(
    field: &str,
    top: Option<T>,
    inner: Option<T>,
) -> Result<Option<T>, LineError> {
    match (top, inner) {
        (Some(a), Some(b)) if a != b => Err(LineError::new(
            field,
            format!("the top-level {field} and usage.{field} disagree"),
        )),
        (Some(a), _) => Ok(Some(a)),
        (None, b) => Ok(b),
    }
}

/// An attribution field: an empty string means the same as an absent one (documented in
/// docs/corpus-format.md), so that loggers that write `""` for "none" load as unattributed.
fn attribution(s: Option<Str<'_>>) -> Option<Text> {
    s.filter(|s| !s.0.is_empty())
        .map(|s| Text::from(s.0.as_ref()))
}

/// The cache scope's workspace: absent, empty and `"default"` are all the default workspace
/// (DESIGN 5a), kept as `None` so that they share one scope.
fn workspace(s: Option<Str<'_>>) -> Option<Text> {
    attribution(s).filter(|w| w != "default")
}

impl RawRecord<'_> {
    fn validate(self, pos: Position) -> Result<Record, LineError> {
        if self.schema.is_some() {
            return Err(LineError::new(
                "schema",
                "a header line ({\"schema\": ...}) is only allowed as the first line of a file",
            ));
        }
        let ts = Timestamp::parse_rfc3339(&self.ts.0).map_err(|m| LineError::new("ts", m))?;
        if self.model.0.is_empty() {
            return Err(LineError::new("model", "must not be empty"));
        }
        let u = &self.usage;
        let creation = u.cache_creation_input_tokens.0;
        let (w5, w1) = match &u.cache_creation {
            None => (creation, 0),
            Some(c) => {
                let (a, b) = (c.ephemeral_5m_input_tokens.0, c.ephemeral_1h_input_tokens.0);
                if a.checked_add(b) != Some(creation) {
                    return Err(LineError::new(
                        "usage.cache_creation",
                        format!(
                            "ephemeral_5m_input_tokens ({a}) + ephemeral_1h_input_tokens ({b}) must equal cache_creation_input_tokens ({creation})"
                        ),
                    ));
                }
                (a, b)
            }
        };
        let usage = Usage {
            input_tokens: u.input_tokens.0,
            output_tokens: u.output_tokens.0,
            cache_write_5m_tokens: w5,
            cache_write_1h_tokens: w1,
            cache_read_input_tokens: u.cache_read_input_tokens.0,
            web_search_requests: u
                .server_tool_use
                .as_ref()
                .and_then(|s| s.web_search_requests)
                .unwrap_or(0),
        };
        let total_input = usage
            .input_tokens
            .checked_add(creation)
            .and_then(|v| v.checked_add(usage.cache_read_input_tokens))
            .ok_or_else(|| LineError::new("usage", "token counts overflow"))?;
        if total_input > MAX_TOKENS {
            return Err(LineError::new(
                "usage",
                format!(
                    "{total_input} input tokens (input_tokens + cache_creation_input_tokens + cache_read_input_tokens): more than the {MAX_TOKENS} (2^59 - 1) one record may carry"
                ),
            ));
        }
        if usage.output_tokens > MAX_TOKENS {
            return Err(LineError::new(
                "usage.output_tokens",
                format!(
                    "{}: more than the {MAX_TOKENS} (2^59 - 1) one record may carry",
                    usage.output_tokens
                ),
            ));
        }
        let service_tier = either("service_tier", self.service_tier, self.usage.service_tier)?
            .map(tier)
            .unwrap_or_default();
        let speed = match either("speed", self.speed, self.usage.speed)? {
            Some(RawSpeed::Fast) => Speed::Fast,
            _ => Speed::Standard,
        };
        let inference_geo = either(
            "inference_geo",
            self.inference_geo.map(|s| s.0),
            self.usage.inference_geo.map(|s| s.0),
        )?
        .map(|g| Text::from(g.as_ref()));
        let thinking_tokens = either(
            "thinking_tokens",
            self.thinking_tokens,
            self.usage.thinking_tokens,
        )?;
        if let Some(t) = thinking_tokens {
            if t > usage.output_tokens {
                let field = if self.thinking_tokens.is_some() {
                    "thinking_tokens"
                } else {
                    "usage.thinking_tokens"
                };
                return Err(LineError::new(
                    field,
                    format!(
                        "{t} exceeds usage.output_tokens {}; thinking is part of the output",
                        usage.output_tokens
                    ),
                ));
            }
        }
        let difficulty_ppm = self
            .difficulty
            .map(ppm::parse_ppm)
            .transpose()
            .map_err(|m| LineError::new("difficulty", m))?;

        let mut segments = Vec::new();
        if let Some(raw) = self.prompt.and_then(|p| p.segments) {
            let mut sum: u64 = 0;
            let mut breakpoints = 0;
            let mut seen_5m = false;
            for (i, s) in raw.segments.iter().enumerate() {
                if raw.empty_hash == Some(i) {
                    return Err(LineError::new(
                        format!("prompt.segments[{i}].hash"),
                        "must not be empty",
                    ));
                }
                sum = sum.saturating_add(s.tokens);
                if let Some(t) = s.cache_control {
                    breakpoints += 1;
                    if breakpoints > 4 {
                        return Err(LineError::new(
                            format!("prompt.segments[{i}].cache_control"),
                            "more than 4 cache breakpoints (the API rejects such a request)",
                        ));
                    }
                    if t == CacheTtl::OneHour && seen_5m {
                        return Err(LineError::new(
                            format!("prompt.segments[{i}].cache_control"),
                            "a 1h breakpoint after a 5m one (longer TTLs must come first; the API rejects this)",
                        ));
                    }
                    seen_5m |= t == CacheTtl::FiveMinutes;
                }
            }
            if sum != total_input {
                return Err(LineError::new(
                    "prompt.segments",
                    format!(
                        "segment tokens add up to {sum}, but usage says {total_input} input tokens (input_tokens + cache_creation_input_tokens + cache_read_input_tokens)"
                    ),
                ));
            }
            segments = raw.segments;
        }
        let mut evals = Vec::new();
        for (i, e) in self.evals.unwrap_or_default().into_iter().enumerate() {
            if e.model.0.is_empty() {
                return Err(LineError::new(
                    format!("evals[{i}].model"),
                    "must not be empty",
                ));
            }
            evals.push(Eval {
                model: e.model.0.into_owned(),
                pass: e.pass,
                score: e.score,
            });
        }
        Ok(Record {
            pos,
            id: owned(self.id),
            ts,
            model: Text::from(self.model.0.as_ref()),
            usage,
            thinking_tokens,
            workspace: workspace(self.workspace),
            team: attribution(self.team),
            app: attribution(self.app),
            feature: attribution(self.feature),
            tags: self.tags.map(|t| t.0).unwrap_or_default(),
            service_tier,
            inference_geo,
            speed,
            stream: self.stream,
            latency_ms: self.latency_ms,
            max_tokens: self.max_tokens,
            task: self.task.map(|t| match t {
                RawTask::Classification => Task::Classification,
                RawTask::Extraction => Task::Extraction,
                RawTask::Summarization => Task::Summarization,
                RawTask::Chat => Task::Chat,
                RawTask::Code => Task::Code,
                RawTask::Reasoning => Task::Reasoning,
                RawTask::Agent => Task::Agent,
                RawTask::Other => Task::Other,
            }),
            latency_class: self.latency_class.map(|c| match c {
                RawLatencyClass::Interactive => LatencyClass::Interactive,
                RawLatencyClass::Async => LatencyClass::Async,
            }),
            difficulty_ppm,
            conversation_id: owned(self.conversation_id),
            segments,
            evals,
        })
    }
}

mod fast;
mod ppm;

#[cfg(test)]
mod tests;
