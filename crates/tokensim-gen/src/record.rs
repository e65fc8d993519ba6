//! A generated request before its cache usage is known ([`Pending`]), and the writer that turns it
//! plus its cache [`Split`] into one corpus v1 JSON line.
//!
//! JSON is written by hand: every string the generator emits is one of its own ASCII identifiers,
//! but [`push_json_str`] still escapes fully, so a future name with a quote cannot break a line.

use std::io::Write as _;

use tokensim_strategy::cache::{Split, Ttl};

use crate::archetype::{Spec, TagForm};
use crate::time::write_rfc3339_ms;

/// The role of a prompt segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Tool definitions.
    Tools,
    /// The system prompt.
    System,
    /// A user message (or retrieved content sent as one).
    User,
    /// A previous assistant turn.
    Assistant,
    /// A tool result.
    ToolResult,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Tools => "tools",
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::ToolResult => "tool_result",
        }
    }
}

/// One prompt segment: a content fingerprint, its size and an optional breakpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seg {
    /// Keyed content hash; written as 16 lowercase hex digits.
    pub(crate) hash: u64,
    /// Tokens in the segment.
    pub(crate) tokens: u32,
    /// Role.
    pub(crate) role: Role,
    /// A breakpoint after this segment.
    pub(crate) cache: Option<Ttl>,
}

impl Seg {
    /// A segment without a breakpoint.
    pub(crate) fn new(role: Role, hash: u64, tokens: u64) -> Self {
        Seg {
            hash,
            tokens: u32::try_from(tokens).expect("segment tokens fit in u32"),
            role,
            cache: None,
        }
    }
}

/// One eval outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Eval {
    /// The model the request was re-run on.
    pub(crate) model: &'static str,
    /// Whether its answer was judged acceptable against the original.
    pub(crate) pass: bool,
    /// Judge score in hundredths (0..=100), written as a two-decimal number.
    pub(crate) score_centi: u32,
}

/// A request whose prompt, timing and output are decided, but whose cache usage is computed only
/// when it is emitted in (ts, order) sequence.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// Send time, ms since the epoch.
    pub(crate) ts_ms: i64,
    /// Index of the archetype in `ARCHETYPES`.
    pub(crate) arch: u16,
    /// Day index (from the first generated day) on which its session started.
    pub(crate) day: u32,
    /// Session (or single request) index within (archetype, day).
    pub(crate) session: u32,
    /// Turn within the session.
    pub(crate) turn: u32,
    /// Canonical model id.
    pub(crate) model: &'static str,
    /// `id`, written as `msg_` plus 24 hex digits, when the logger records one.
    pub(crate) id: Option<(u64, u32)>,
    /// `conversation_id` suffix (48 bits), written after the archetype's prefix.
    pub(crate) conversation: Option<(&'static str, u64)>,
    /// Tags as (key, value) pairs; the archetype decides list or object form.
    pub(crate) tags: [Option<(&'static str, &'static str)>; 3],
    /// `stream`.
    pub(crate) stream: bool,
    /// `latency_ms`.
    pub(crate) latency_ms: u64,
    /// `max_tokens`.
    pub(crate) max_tokens: u64,
    /// `usage.output_tokens`.
    pub(crate) output_tokens: u64,
    /// `usage.server_tool_use.web_search_requests` (written when non-zero).
    pub(crate) web_search: u32,
    /// Total input for a record without segments (all `input_tokens`); 0 when segments exist.
    pub(crate) input_tokens_plain: u64,
    /// Prompt segments, in prefix order; empty means the record has no `prompt`.
    pub(crate) segments: Vec<Seg>,
    /// Eval outcomes.
    pub(crate) evals: Vec<Eval>,
}

impl Pending {
    /// The total ordering of emitted records: time first, then a deterministic tie-break.
    pub(crate) fn key(&self) -> (i64, u16, u32, u32, u32) {
        (self.ts_ms, self.arch, self.day, self.session, self.turn)
    }

    /// Total input tokens (the sum of the segments, or the plain count).
    pub(crate) fn input_total(&self) -> u64 {
        if self.segments.is_empty() {
            self.input_tokens_plain
        } else {
            self.segments.iter().map(|s| u64::from(s.tokens)).sum()
        }
    }
}

/// Appends a JSON string literal.
pub(crate) fn push_json_str(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    push_escaped(buf, s);
    buf.push(b'"');
}

/// Appends the escaped body of a JSON string (no quotes).
fn push_escaped(buf: &mut Vec<u8>, s: &str) {
    // Fast path: the generator's own identifiers never need escaping.
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        buf.extend_from_slice(s.as_bytes());
        return;
    }
    for c in s.chars() {
        match c {
            '"' => buf.extend_from_slice(b"\\\""),
            '\\' => buf.extend_from_slice(b"\\\\"),
            '\n' => buf.extend_from_slice(b"\\n"),
            '\r' => buf.extend_from_slice(b"\\r"),
            '\t' => buf.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => {
                write!(buf, "\\u{:04x}", c as u32).expect("write to Vec");
            }
            c => {
                let mut tmp = [0u8; 4];
                buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
        }
    }
}

/// Appends `"key":"value",` (the value escaped).
fn push_str_field(buf: &mut Vec<u8>, key: &str, value: &str) {
    buf.push(b'"');
    buf.extend_from_slice(key.as_bytes());
    buf.extend_from_slice(b"\":");
    push_json_str(buf, value);
    buf.push(b',');
}

/// Appends `"key":n,`.
fn push_u64_field(buf: &mut Vec<u8>, key: &str, n: u64) {
    buf.push(b'"');
    buf.extend_from_slice(key.as_bytes());
    buf.extend_from_slice(b"\":");
    push_u64(buf, n);
    buf.push(b',');
}

/// Appends `n` in decimal (the `fmt` machinery is the slowest part of writing a line).
pub(crate) fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

/// A segment hash as its 16 lowercase hex digits (zero-padded).
pub(crate) fn hex16(h: u64) -> [u8; 16] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 16];
    for (i, digit) in out.iter_mut().enumerate() {
        *digit = HEX[((h >> ((15 - i) * 4)) & 0xF) as usize];
    }
    out
}

/// Appends a segment hash as 16 lowercase hex digits.
fn push_hex16(buf: &mut Vec<u8>, h: u64) {
    buf.extend_from_slice(&hex16(h));
}

/// Appends one record as a JSON line (with the trailing newline). `split` is the cache usage of a
/// record with segments; it is ignored for one without.
pub(crate) fn write_record(buf: &mut Vec<u8>, spec: &Spec, p: &Pending, split: Split) {
    buf.push(b'{');
    if let Some((hi, lo)) = p.id {
        write!(buf, "\"id\":\"msg_{hi:016x}{lo:08x}\",").expect("write to Vec");
    }
    buf.extend_from_slice(b"\"ts\":\"");
    write_rfc3339_ms(buf, p.ts_ms);
    buf.extend_from_slice(b"\",");
    push_str_field(buf, "model", p.model);
    if let Some(ws) = spec.workspace {
        push_str_field(buf, "workspace", ws);
    }
    for (key, value) in [
        ("team", spec.team),
        ("app", spec.app),
        ("feature", spec.feature),
    ] {
        if let Some(v) = value {
            push_str_field(buf, key, v);
        }
    }
    write_tags(buf, spec.tag_form, &p.tags);
    push_str_field(buf, "service_tier", spec.service_tier);
    if let Some(geo) = spec.inference_geo {
        push_str_field(buf, "inference_geo", geo);
    }
    buf.extend_from_slice(if p.stream {
        b"\"stream\":true,"
    } else {
        b"\"stream\":false,"
    });
    push_u64_field(buf, "latency_ms", p.latency_ms);
    push_u64_field(buf, "max_tokens", p.max_tokens);
    if let Some(task) = spec.task {
        push_str_field(buf, "task", task);
    }
    if let Some(class) = spec.latency_class {
        push_str_field(buf, "latency_class", class);
    }
    if let Some((prefix, n)) = p.conversation {
        write!(buf, "\"conversation_id\":\"{prefix}-{n:012x}\",").expect("write to Vec");
    }

    // Usage, in the Messages API's own shape.
    let (uncached, read, w5, w1) = if p.segments.is_empty() {
        (p.input_tokens_plain, 0, 0, 0)
    } else {
        (split.uncached, split.read, split.write_5m, split.write_1h)
    };
    buf.extend_from_slice(b"\"usage\":{");
    push_u64_field(buf, "input_tokens", uncached);
    push_u64_field(buf, "output_tokens", p.output_tokens);
    push_u64_field(buf, "cache_creation_input_tokens", w5 + w1);
    buf.extend_from_slice(b"\"cache_read_input_tokens\":");
    push_u64(buf, read);
    if !p.segments.is_empty() {
        buf.extend_from_slice(b",\"cache_creation\":{\"ephemeral_5m_input_tokens\":");
        push_u64(buf, w5);
        buf.extend_from_slice(b",\"ephemeral_1h_input_tokens\":");
        push_u64(buf, w1);
        buf.push(b'}');
    }
    if p.web_search > 0 {
        buf.extend_from_slice(b",\"server_tool_use\":{\"web_search_requests\":");
        push_u64(buf, u64::from(p.web_search));
        buf.push(b'}');
    }
    buf.push(b'}');

    if !p.segments.is_empty() {
        buf.extend_from_slice(b",\"prompt\":{\"segments\":[");
        for (i, s) in p.segments.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(b"{\"role\":\"");
            buf.extend_from_slice(s.role.as_str().as_bytes());
            buf.extend_from_slice(b"\",\"hash\":\"");
            push_hex16(buf, s.hash);
            buf.extend_from_slice(b"\",\"tokens\":");
            push_u64(buf, u64::from(s.tokens));
            buf.extend_from_slice(b",\"cache_control\":");
            buf.extend_from_slice(match s.cache {
                None => b"null}",
                Some(Ttl::FiveMinutes) => b"\"5m\"}",
                Some(Ttl::OneHour) => b"\"1h\"}",
            });
        }
        buf.extend_from_slice(b"]}");
    }

    if !p.evals.is_empty() {
        buf.extend_from_slice(b",\"evals\":[");
        for (i, e) in p.evals.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(b"{\"model\":");
            push_json_str(buf, e.model);
            write!(
                buf,
                ",\"pass\":{},\"score\":{}.{:02}}}",
                e.pass,
                e.score_centi / 100,
                e.score_centi % 100
            )
            .expect("write to Vec");
        }
        buf.push(b']');
    }
    buf.extend_from_slice(b"}\n");
}

/// Appends `"tags":...,` in the archetype's form, or nothing when the record has no tags.
fn write_tags(buf: &mut Vec<u8>, form: TagForm, tags: &[Option<(&'static str, &'static str)>; 3]) {
    if tags.iter().all(Option::is_none) {
        return;
    }
    let (open, close) = match form {
        TagForm::List => (b'[', b']'),
        TagForm::Object => (b'{', b'}'),
    };
    buf.extend_from_slice(b"\"tags\":");
    buf.push(open);
    for (i, (k, v)) in tags.iter().flatten().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        match form {
            TagForm::List => {
                buf.push(b'"');
                push_escaped(buf, k);
                buf.push(b':');
                push_escaped(buf, v);
                buf.push(b'"');
            }
            TagForm::Object => {
                push_json_str(buf, k);
                buf.push(b':');
                push_json_str(buf, v);
            }
        }
    }
    buf.push(close);
    buf.push(b',');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_json_strings() {
        let mut b = Vec::new();
        push_json_str(&mut b, "a\"b\\c\nd\u{1}é");
        assert_eq!(String::from_utf8(b).unwrap(), "\"a\\\"b\\\\c\\nd\\u0001é\"");
    }

    #[test]
    fn hex_is_sixteen_lowercase_digits() {
        let mut b = Vec::new();
        push_hex16(&mut b, 0xAB);
        assert_eq!(b, b"00000000000000ab");
        let s = String::from_utf8(b).unwrap();
        assert_eq!(u64::from_str_radix(&s, 16).unwrap(), 0xAB);
    }
}
