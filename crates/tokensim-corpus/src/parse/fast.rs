//! A fast path for well-formed lines: a byte scanner that fills the same `RawRecord` the serde
//! path fills, then shares its validation. It gives up (returns `None`) on anything unusual:
//! escapes, duplicate keys, a `schema` key, a value of an unexpected type or form. The serde path
//! then parses the line and produces the record or the exact error, so the two paths can only
//! differ in speed (tested on every line of the committed corpora).

use std::borrow::Cow;

use super::{
    fingerprint, hex16, tag, CacheControl, Count, RawCacheCreation, RawEval, RawLatencyClass,
    RawPrompt, RawRecord, RawRole, RawSegment, RawSegments, RawServerToolUse, RawSpeed, RawTask,
    RawTier, RawUsage, Str, Tags,
};
use crate::record::{CacheTtl, Role, Segment, Text};

struct Cursor<'a> {
    b: &'a [u8],
    s: &'a str,
    i: usize,
}

type R<T> = Option<T>;

impl<'a> Cursor<'a> {
    fn ws(&mut self) {
        // The writers put no whitespace between tokens, so the usual byte is above a space: one
        // comparison decides (this loop was 4% of a baseline's instructions in callgrind).
        while let Some(&c) = self.b.get(self.i) {
            if c > b' ' || !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                break;
            }
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> R<()> {
        self.ws();
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    fn peek(&mut self) -> R<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    /// A string without escapes, borrowed.
    fn str(&mut self) -> R<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        let end = start + string_end(&self.b[start..])?;
        if self.b[end] != b'"' {
            // A backslash or a raw control character: the serde path decides.
            return None;
        }
        self.i = end + 1;
        Some(&self.s[start..end])
    }

    fn null(&mut self) -> bool {
        self.ws();
        if self.b[self.i..].starts_with(b"null") {
            self.i += 4;
            true
        } else {
            false
        }
    }

    fn bool(&mut self) -> R<bool> {
        self.ws();
        if self.b[self.i..].starts_with(b"true") {
            self.i += 4;
            Some(true)
        } else if self.b[self.i..].starts_with(b"false") {
            self.i += 5;
            Some(false)
        } else {
            None
        }
    }

    /// A plain non-negative integer (no sign, fraction or exponent).
    fn count(&mut self) -> R<u64> {
        self.ws();
        let v = template_count(self.b, &mut self.i)?;
        // A fraction or an exponent makes it another number: the serde path words that.
        if matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        Some(v)
    }

    fn opt_count(&mut self) -> R<Option<u64>> {
        if self.null() {
            Some(None)
        } else {
            self.count().map(Some)
        }
    }

    fn opt_str(&mut self) -> R<Option<&'a str>> {
        if self.null() {
            Some(None)
        } else {
            self.str().map(Some)
        }
    }

    /// A number's text, by the JSON grammar `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    /// (Rust's float parser alone would also take `+1`, `.5`, `1.` and `01`, which serde rejects).
    fn number_text(&mut self) -> R<&'a str> {
        self.ws();
        let start = self.i;
        let digits = |c: &mut Self| {
            let from = c.i;
            while c.b.get(c.i).is_some_and(u8::is_ascii_digit) {
                c.i += 1;
            }
            c.i - from
        };
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        let n = digits(self);
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return None;
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return None;
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'-' | b'+')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return None;
            }
        }
        Some(&self.s[start..self.i])
    }

    fn number_f64(&mut self) -> R<f64> {
        let v: f64 = self.number_text()?.parse().ok()?;
        v.is_finite().then_some(v)
    }

    /// Skips any JSON value without escapes in its strings.
    fn skip(&mut self, depth: u32) -> R<()> {
        if depth > 64 {
            return None;
        }
        match self.peek()? {
            b'"' => self.str().map(|_| ()),
            b'{' => self.object(|c, _| c.skip(depth + 1)),
            b'[' => self.array(|c| c.skip(depth + 1)),
            b't' | b'f' => self.bool().map(|_| ()),
            b'n' => self.null().then_some(()),
            _ => self.number_f64().map(|_| ()),
        }
    }

    /// Walks an object, calling `f` with each key (keys must be escape-free and unique).
    fn object(&mut self, mut f: impl FnMut(&mut Self, &'a str) -> R<()>) -> R<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        // Repeated keys make serde fail (known fields) or are ignored (unknown ones); either way
        // the scanner gives up on them. A 64-bit filter on (length, first and last byte) keeps
        // the exact comparison for the rare near-collisions.
        let mut seen: [&str; 32] = [""; 32];
        let mut n = 0;
        let mut filter: u64 = 0;
        loop {
            let key = self.str()?;
            let kb = key.as_bytes();
            let bit = 1u64
                << ((kb.len() as u64 * 7
                    + u64::from(*kb.first().unwrap_or(&0)) * 3
                    + u64::from(*kb.last().unwrap_or(&0)))
                    % 64);
            if filter & bit != 0 && seen[..n].contains(&key) {
                return None;
            }
            filter |= bit;
            *seen.get_mut(n)? = key;
            n += 1;
            self.eat(b':')?;
            f(self, key)?;
            if !self.next_member()? {
                return Some(());
            }
        }
    }

    /// After an object's member: a comma (another member follows: `true`) or the closing brace
    /// (`false`), moved past; anything else is not for the scanner.
    fn next_member(&mut self) -> R<bool> {
        let more = match self.peek()? {
            b',' => true,
            b'}' => false,
            _ => return None,
        };
        self.i += 1;
        Some(more)
    }

    fn array(&mut self, mut f: impl FnMut(&mut Self) -> R<()>) -> R<()> {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            f(self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// The index of the first byte that ends a plain string: `"`, `\\` or a control character below
/// 0x20, eight bytes at a time (short keys and values are the common case, where a SIMD search
/// costs more to set up than it saves).
fn string_end(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut i = 0;
    while i + 8 <= b.len() {
        let x = u64::from_le_bytes(b[i..i + 8].try_into().expect("eight bytes"));
        let hit = zero_byte(x ^ (ONES * u64::from(b'"')))
            | zero_byte(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x & HIGH);
        if hit != 0 {
            // The lowest flagged byte is exact; flags above it may be spurious, but only the
            // first matters.
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b[i..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|p| i + p)
}

fn s(v: &str) -> Str<'_> {
    Str(Cow::Borrowed(v))
}

fn tier(c: &mut Cursor<'_>) -> R<Option<RawTier>> {
    Some(match c.opt_str()? {
        None => None,
        Some("standard") => Some(RawTier::Standard),
        Some("batch") => Some(RawTier::Batch),
        Some("priority") => Some(RawTier::Priority),
        Some(_) => return None,
    })
}

fn speed(c: &mut Cursor<'_>) -> R<Option<RawSpeed>> {
    Some(match c.opt_str()? {
        None => None,
        Some("standard") => Some(RawSpeed::Standard),
        Some("fast") => Some(RawSpeed::Fast),
        Some(_) => return None,
    })
}

/// A usage with every count zero: the starting point that the scanner fills in.
fn empty_usage<'a>() -> RawUsage<'a> {
    RawUsage {
        input_tokens: Count(0),
        output_tokens: Count(0),
        cache_creation_input_tokens: Count(0),
        cache_read_input_tokens: Count(0),
        cache_creation: None,
        server_tool_use: None,
        service_tier: None,
        inference_geo: None,
        speed: None,
        thinking_tokens: None,
    }
}

/// `"5m"` or `"1h"`; anything else is for the serde path to report.
fn ttl(v: &str) -> R<CacheTtl> {
    match v {
        "5m" => Some(CacheTtl::FiveMinutes),
        "1h" => Some(CacheTtl::OneHour),
        _ => None,
    }
}

/// A plain count at `b[*i..]` in a template: digits without a leading zero (unless it is the
/// only one) that fit in a u64. The template's next literal rules out a fraction or exponent.
fn template_count(b: &[u8], i: &mut usize) -> R<u64> {
    // Up to seven digits followed by a non-digit, read eight bytes at once (SWAR); longer
    // numbers, and counts too near the end of the line to load eight bytes, take the loop.
    if let Some(w) = b.get(*i..*i + 8) {
        let x = u64::from_le_bytes(w.try_into().expect("eight bytes"));
        // Each byte less '0': a digit is 0..=9 there; any other byte is 10 or more, or has
        // its high bit set. Adding 0x76 sets the high bit of every byte of 10 or more; a carry
        // out of a byte only comes from one already flagged, and only moves up (later bytes),
        // so the lowest flagged byte is exact.
        let t = x ^ 0x3030_3030_3030_3030;
        let flags = (t.wrapping_add(0x7676_7676_7676_7676) | t) & 0x8080_8080_8080_8080;
        if flags != 0 {
            let n = (flags.trailing_zeros() / 8) as usize;
            if n == 0 || (n > 1 && w[0] == b'0') {
                return None;
            }
            // The digits moved to the top bytes, zeros (leading zeros of the number) below,
            // then summed pairwise: 2 digits a byte, 4 a half-word, 8 a word.
            let mut v = (t << (8 * (8 - n))) & 0x0f0f_0f0f_0f0f_0f0f;
            v = (v.wrapping_mul(10) + (v >> 8)) & 0x00ff_00ff_00ff_00ff;
            v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_ffff_0000_ffff;
            v = (v.wrapping_mul(10_000) + (v >> 32)) & 0xffff_ffff;
            *i += n;
            return Some(v);
        }
    }
    let d = *i;
    let mut v: u64 = 0;
    while let Some(&x) = b.get(*i).filter(|x| x.is_ascii_digit()) {
        // Nineteen digits always fit in a u64; only longer numbers need the overflow checks.
        v = if *i - d < 19 {
            v * 10 + u64::from(x - b'0')
        } else {
            v.checked_mul(10)?.checked_add(u64::from(x - b'0'))?
        };
        *i += 1;
    }
    if *i == d || (b[d] == b'0' && *i - d > 1) {
        return None;
    }
    Some(v)
}

/// Matches the literal `l` at `b[*i..]` and moves past it. Inlined, so that each literal's
/// length is a constant and the comparison a few loads rather than a `memcmp` call.
#[inline(always)]
fn template_lit(b: &[u8], i: &mut usize, l: &[u8]) -> R<()> {
    b.get(*i..*i + l.len()).filter(|w| *w == l)?;
    *i += l.len();
    Some(())
}

/// The writers' usage layout, matched byte for byte: the four counts, then optionally the
/// `cache_creation` split, and nothing else. Anything else returns `None` without moving the
/// cursor, and the general walk reads it.
fn usage_template<'a>(c: &mut Cursor<'a>) -> R<RawUsage<'a>> {
    c.ws();
    let b = c.b;
    let mut i = c.i;
    let mut u = empty_usage();
    template_lit(b, &mut i, b"{\"input_tokens\":")?;
    u.input_tokens = Count(template_count(b, &mut i)?);
    template_lit(b, &mut i, b",\"output_tokens\":")?;
    u.output_tokens = Count(template_count(b, &mut i)?);
    template_lit(b, &mut i, b",\"cache_creation_input_tokens\":")?;
    u.cache_creation_input_tokens = Count(template_count(b, &mut i)?);
    template_lit(b, &mut i, b",\"cache_read_input_tokens\":")?;
    u.cache_read_input_tokens = Count(template_count(b, &mut i)?);
    if b.get(i) == Some(&b',') {
        template_lit(
            b,
            &mut i,
            b",\"cache_creation\":{\"ephemeral_5m_input_tokens\":",
        )?;
        let five = template_count(b, &mut i)?;
        template_lit(b, &mut i, b",\"ephemeral_1h_input_tokens\":")?;
        let hour = template_count(b, &mut i)?;
        template_lit(b, &mut i, b"}")?;
        u.cache_creation = Some(RawCacheCreation {
            ephemeral_5m_input_tokens: Count(five),
            ephemeral_1h_input_tokens: Count(hour),
        });
    }
    template_lit(b, &mut i, b"}")?;
    c.i = i;
    Some(u)
}

fn usage<'a>(c: &mut Cursor<'a>) -> R<RawUsage<'a>> {
    if let Some(u) = usage_template(c) {
        return Some(u);
    }
    let (mut input, mut output, mut creation, mut read) = (None, None, None, None);
    let mut u = empty_usage();
    c.object(|c, k| {
        match k {
            "input_tokens" => input = Some(c.count()?),
            "output_tokens" => output = Some(c.count()?),
            "cache_creation_input_tokens" => creation = Some(c.count()?),
            "cache_read_input_tokens" => read = Some(c.count()?),
            "cache_creation" => {
                if c.null() {
                    return Some(());
                }
                let (mut a, mut b) = (None, None);
                c.object(|c, k| {
                    match k {
                        "ephemeral_5m_input_tokens" => a = Some(c.count()?),
                        "ephemeral_1h_input_tokens" => b = Some(c.count()?),
                        _ => c.skip(0)?,
                    }
                    Some(())
                })?;
                u.cache_creation = Some(RawCacheCreation {
                    ephemeral_5m_input_tokens: Count(a?),
                    ephemeral_1h_input_tokens: Count(b?),
                });
            }
            "server_tool_use" => {
                if c.null() {
                    return Some(());
                }
                let mut w = None;
                c.object(|c, k| {
                    if k == "web_search_requests" {
                        w = c.opt_count()?;
                    } else {
                        c.skip(0)?;
                    }
                    Some(())
                })?;
                u.server_tool_use = Some(RawServerToolUse {
                    web_search_requests: w,
                });
            }
            "service_tier" => u.service_tier = tier(c)?,
            "inference_geo" => u.inference_geo = c.opt_str()?.map(s),
            "speed" => u.speed = speed(c)?,
            // `null` is an error that the serde path words.
            "thinking_tokens" => u.thinking_tokens = Some(c.count()?),
            _ => c.skip(0)?,
        }
        Some(())
    })?;
    u.input_tokens = Count(input?);
    u.output_tokens = Count(output?);
    u.cache_creation_input_tokens = Count(creation?);
    u.cache_read_input_tokens = Count(read?);
    Some(u)
}

/// The layout writers use (`tokensim gen`, the importers): `{"role":"…","hash":"…","tokens":N,
/// "cache_control":null|"5m"|"1h"}`, with no whitespace, matched byte for byte. Anything else
/// (another key order, whitespace, an object breakpoint, an escape) returns `None` without
/// moving the cursor, and the general walk below reads it.
fn segment_template(c: &mut Cursor<'_>) -> R<Segment> {
    c.ws();
    let start = c.i;
    let b = c.b;
    let mut i = start;
    let lit = |i: &mut usize, l: &[u8]| template_lit(b, i, l);
    lit(&mut i, b"{\"role\":\"")?;
    // Each branch compares a literal of its own, constant length: a few loads, not a `memcmp`.
    let role = match b.get(i)? {
        b's' => lit(&mut i, b"system\"").map(|()| Role::System)?,
        b'u' => lit(&mut i, b"user\"").map(|()| Role::User)?,
        b'a' => lit(&mut i, b"assistant\"").map(|()| Role::Assistant)?,
        b't' if b.get(i + 1) == Some(&b'o') && b.get(i + 4) == Some(&b'_') => {
            lit(&mut i, b"tool_result\"").map(|()| Role::ToolResult)?
        }
        b't' => lit(&mut i, b"tools\"").map(|()| Role::Tools)?,
        _ => return None,
    };
    lit(&mut i, b",\"hash\":\"")?;
    let h = i;
    // The writers' hash, 16 hex digits then the closing quote, is read as its fingerprint at
    // once (hex digits need no escape check); any other goes through `string_end`.
    let sixteen = b
        .get(h..h + 17)
        .filter(|w| w[16] == b'"')
        .and_then(|w| hex16(w[..16].try_into().expect("sixteen")));
    match sixteen {
        Some(_) => i += 16,
        None => {
            i += string_end(b.get(i..)?)?;
            if b[i] != b'"' || i == h {
                // An escape, a control byte or an empty hash: the general walk (and validation)
                // decide.
                return None;
            }
        }
    }
    let hash = &c.s[h..i];
    i += 1;
    lit(&mut i, b",\"tokens\":")?;
    let tokens = template_count(b, &mut i)?;
    lit(&mut i, b",\"cache_control\":")?;
    let cc = match b.get(i)? {
        b'n' => {
            lit(&mut i, b"null")?;
            None
        }
        b'"' => {
            let t = match b.get(i..i + 4)? {
                b"\"5m\"" => CacheTtl::FiveMinutes,
                b"\"1h\"" => CacheTtl::OneHour,
                _ => return None,
            };
            i += 4;
            Some(t)
        }
        _ => return None,
    };
    lit(&mut i, b"}")?;
    c.i = i;
    Some(Segment {
        role,
        hash: sixteen.unwrap_or_else(|| fingerprint(hash)),
        tokens,
        cache_control: cc,
    })
}

/// Reads one segment into `out`: the writers' layout at once, any other through the general walk.
fn segment(c: &mut Cursor<'_>, out: &mut RawSegments) -> R<()> {
    if let Some(seg) = segment_template(c) {
        out.segments.push(seg);
        return Some(());
    }
    let (mut role, mut hash, mut tokens, mut cc) = (None, None, None, CacheControl(None));
    c.object(|c, k| {
        match k {
            "role" => {
                role = Some(match c.str()? {
                    "tools" => RawRole::Tools,
                    "system" => RawRole::System,
                    "user" => RawRole::User,
                    "assistant" => RawRole::Assistant,
                    "tool_result" => RawRole::ToolResult,
                    _ => return None,
                })
            }
            "hash" => hash = Some(c.str()?),
            "tokens" => tokens = Some(c.count()?),
            "cache_control" => {
                cc = CacheControl(match c.peek()? {
                    b'n' => c.null().then_some(None)?,
                    b'"' => Some(ttl(c.str()?)?),
                    b'{' => {
                        let (mut kind, mut t) = (None, CacheTtl::FiveMinutes);
                        c.object(|c, k| {
                            match k {
                                "type" => kind = Some(c.str()?),
                                "ttl" => t = ttl(c.str()?)?,
                                _ => c.skip(0)?,
                            }
                            Some(())
                        })?;
                        (kind? == "ephemeral").then_some(Some(t))?
                    }
                    _ => return None,
                })
            }
            _ => c.skip(0)?,
        }
        Some(())
    })?;
    out.push(RawSegment {
        role: role?,
        hash: s(hash?),
        tokens: Count(tokens?),
        cache_control: cc,
    });
    Some(())
}

/// The record's keys that the scanner reads, and any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Ts,
    Model,
    Usage,
    Id,
    Workspace,
    Team,
    App,
    Feature,
    ConversationId,
    InferenceGeo,
    ServiceTier,
    Speed,
    Stream,
    LatencyMs,
    MaxTokens,
    ThinkingTokens,
    Difficulty,
    Task,
    LatencyClass,
    Tags,
    Prompt,
    Evals,
    Schema,
    Other,
}

impl Key {
    /// Every key but `Other`, with its name.
    const NAMED: [(Key, &'static str); 23] = [
        (Key::Ts, "ts"),
        (Key::Model, "model"),
        (Key::Usage, "usage"),
        (Key::Id, "id"),
        (Key::Workspace, "workspace"),
        (Key::Team, "team"),
        (Key::App, "app"),
        (Key::Feature, "feature"),
        (Key::ConversationId, "conversation_id"),
        (Key::InferenceGeo, "inference_geo"),
        (Key::ServiceTier, "service_tier"),
        (Key::Speed, "speed"),
        (Key::Stream, "stream"),
        (Key::LatencyMs, "latency_ms"),
        (Key::MaxTokens, "max_tokens"),
        (Key::ThinkingTokens, "thinking_tokens"),
        (Key::Difficulty, "difficulty"),
        (Key::Task, "task"),
        (Key::LatencyClass, "latency_class"),
        (Key::Tags, "tags"),
        (Key::Prompt, "prompt"),
        (Key::Evals, "evals"),
        (Key::Schema, "schema"),
    ];

    fn of(name: &str) -> Key {
        Key::NAMED
            .iter()
            .find(|(_, n)| *n == name)
            .map_or(Key::Other, |(k, _)| *k)
    }

    /// The key whose quoted name and colon, `"name":`, start `b`, and that prefix's length:
    /// picked by the name's first byte, then compared whole. A key written otherwise
    /// (whitespace before the colon, an escape) or unknown is `None`, for the general walk.
    fn quoted(b: &[u8]) -> Option<(Key, usize)> {
        #[inline(always)]
        fn is(b: &[u8], k: Key, l: &'static [u8]) -> Option<(Key, usize)> {
            b.starts_with(l).then_some((k, l.len()))
        }
        let lit = |k: Key, l: &'static [u8]| is(b, k, l);
        match *b.get(1)? {
            b't' => lit(Key::Ts, b"\"ts\":")
                .or_else(|| lit(Key::Team, b"\"team\":"))
                .or_else(|| lit(Key::Tags, b"\"tags\":"))
                .or_else(|| lit(Key::Task, b"\"task\":"))
                .or_else(|| lit(Key::ThinkingTokens, b"\"thinking_tokens\":")),
            b'm' => {
                lit(Key::Model, b"\"model\":").or_else(|| lit(Key::MaxTokens, b"\"max_tokens\":"))
            }
            b'u' => lit(Key::Usage, b"\"usage\":"),
            b'i' => {
                lit(Key::Id, b"\"id\":").or_else(|| lit(Key::InferenceGeo, b"\"inference_geo\":"))
            }
            b'w' => lit(Key::Workspace, b"\"workspace\":"),
            b'a' => lit(Key::App, b"\"app\":"),
            b'f' => lit(Key::Feature, b"\"feature\":"),
            b'c' => lit(Key::ConversationId, b"\"conversation_id\":"),
            b's' => lit(Key::ServiceTier, b"\"service_tier\":")
                .or_else(|| lit(Key::Stream, b"\"stream\":"))
                .or_else(|| lit(Key::Speed, b"\"speed\":")),
            b'l' => lit(Key::LatencyMs, b"\"latency_ms\":")
                .or_else(|| lit(Key::LatencyClass, b"\"latency_class\":")),
            b'd' => lit(Key::Difficulty, b"\"difficulty\":"),
            b'p' => lit(Key::Prompt, b"\"prompt\":"),
            b'e' => lit(Key::Evals, b"\"evals\":"),
            _ => None,
        }
    }
}

/// Walks the record's object like [`Cursor::object`], calling `f` with each key, but reads the
/// keys the scanner knows as literals (`"usage":`) rather than as strings, and checks them for
/// repeats with a bit each. Any other key goes the general way.
fn top_level<'a>(c: &mut Cursor<'a>, mut f: impl FnMut(&mut Cursor<'a>, Key) -> R<()>) -> R<()> {
    c.eat(b'{')?;
    if c.peek()? == b'}' {
        c.i += 1;
        return Some(());
    }
    let mut known: u32 = 0;
    let mut others: [&str; 32] = [""; 32];
    let mut n = 0;
    loop {
        c.ws();
        let key = match Key::quoted(&c.b[c.i..]) {
            Some((key, len)) => {
                c.i += len;
                key
            }
            None => {
                let name = c.str()?;
                c.eat(b':')?;
                let key = Key::of(name);
                if key == Key::Other {
                    // Unknown keys are rare: a list, as in `Cursor::object`.
                    if others[..n].contains(&name) {
                        return None;
                    }
                    *others.get_mut(n)? = name;
                    n += 1;
                }
                key
            }
        };
        if key != Key::Other {
            let bit = 1u32 << key as u32;
            if known & bit != 0 {
                return None;
            }
            known |= bit;
        }
        f(c, key)?;
        if !c.next_member()? {
            return Some(());
        }
    }
}

/// Fills a `RawRecord` from a well-formed line, or gives up.
pub(super) fn scan(text: &str) -> Option<RawRecord<'_>> {
    let mut c = Cursor {
        b: text.as_bytes(),
        s: text,
        i: 0,
    };
    let (mut ts, mut model, mut usage_v) = (None, None, None);
    let mut r = RawRecord {
        ts: s(""),
        model: s(""),
        usage: empty_usage(),
        id: None,
        workspace: None,
        team: None,
        app: None,
        feature: None,
        tags: None,
        service_tier: None,
        inference_geo: None,
        speed: None,
        stream: None,
        latency_ms: None,
        max_tokens: None,
        task: None,
        latency_class: None,
        thinking_tokens: None,
        difficulty: None,
        conversation_id: None,
        prompt: None,
        evals: None,
        schema: None,
    };
    top_level(&mut c, |c, key| {
        match key {
            Key::Ts => ts = Some(c.str()?),
            Key::Model => model = Some(c.str()?),
            Key::Usage => usage_v = Some(usage(c)?),
            Key::Id => r.id = c.opt_str()?.map(s),
            Key::Workspace => r.workspace = c.opt_str()?.map(s),
            Key::Team => r.team = c.opt_str()?.map(s),
            Key::App => r.app = c.opt_str()?.map(s),
            Key::Feature => r.feature = c.opt_str()?.map(s),
            Key::ConversationId => r.conversation_id = c.opt_str()?.map(s),
            Key::InferenceGeo => r.inference_geo = c.opt_str()?.map(s),
            Key::ServiceTier => r.service_tier = tier(c)?,
            Key::Speed => r.speed = speed(c)?,
            Key::Stream => r.stream = if c.null() { None } else { Some(c.bool()?) },
            Key::LatencyMs => r.latency_ms = c.opt_count()?,
            Key::MaxTokens => r.max_tokens = c.opt_count()?,
            // A present `null` is an error for both; the serde path words it.
            Key::ThinkingTokens => r.thinking_tokens = Some(c.count()?),
            // Any number, in range or not: validation reads its text exactly, as on the serde
            // path. A non-number is for the serde path.
            Key::Difficulty => r.difficulty = Some(c.number_text()?),
            Key::Task => {
                r.task = match c.opt_str()? {
                    None => None,
                    Some("classification") => Some(RawTask::Classification),
                    Some("extraction") => Some(RawTask::Extraction),
                    Some("summarization") => Some(RawTask::Summarization),
                    Some("chat") => Some(RawTask::Chat),
                    Some("code") => Some(RawTask::Code),
                    Some("reasoning") => Some(RawTask::Reasoning),
                    Some("agent") => Some(RawTask::Agent),
                    Some("other") => Some(RawTask::Other),
                    Some(_) => return None,
                }
            }
            Key::LatencyClass => {
                r.latency_class = match c.opt_str()? {
                    None => None,
                    Some("interactive") => Some(RawLatencyClass::Interactive),
                    Some("async") => Some(RawLatencyClass::Async),
                    Some(_) => return None,
                }
            }
            Key::Tags => {
                let mut out = Vec::new();
                match c.peek()? {
                    b'n' => {
                        c.null();
                        return Some(());
                    }
                    b'[' => c.array(|c| {
                        out.push(Text::from(c.str()?));
                        Some(())
                    })?,
                    b'{' => c.object(|c, k| {
                        out.push(tag(k, c.str()?));
                        Some(())
                    })?,
                    _ => return None,
                }
                r.tags = Some(Tags(out));
            }
            Key::Prompt => {
                if c.null() {
                    return Some(());
                }
                let mut segments = None;
                c.object(|c, k| {
                    if k == "segments" {
                        if c.null() {
                            return Some(());
                        }
                        let mut v = RawSegments::new();
                        c.array(|c| segment(c, &mut v))?;
                        segments = Some(v);
                    } else {
                        c.skip(0)?;
                    }
                    Some(())
                })?;
                r.prompt = Some(RawPrompt { segments });
            }
            Key::Evals => {
                if c.null() {
                    return Some(());
                }
                let mut v = Vec::new();
                c.array(|c| {
                    let (mut m, mut pass, mut score) = (None, None, None);
                    c.object(|c, k| {
                        match k {
                            "model" => m = Some(c.str()?),
                            "pass" => pass = Some(c.bool()?),
                            "score" => {
                                score = if c.null() {
                                    None
                                } else {
                                    Some(c.number_f64()?)
                                }
                            }
                            _ => c.skip(0)?,
                        }
                        Some(())
                    })?;
                    v.push(RawEval {
                        model: s(m?),
                        pass: pass?,
                        score,
                    });
                    Some(())
                })?;
                r.evals = Some(v);
            }
            // A header anywhere but the first line, or anything else odd: let serde say what.
            Key::Schema => return None,
            Key::Other => c.skip(0)?,
        }
        Some(())
    })?;
    c.ws();
    if c.i != c.b.len() {
        return None;
    }
    r.ts = s(ts?);
    r.model = s(model?);
    r.usage = usage_v?;
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::{segment_template, string_end, template_count, Cursor, Key};
    use crate::record::CacheTtl;

    fn template(text: &str) -> (Option<(u64, Option<CacheTtl>)>, usize) {
        let mut c = Cursor {
            b: text.as_bytes(),
            s: text,
            i: 0,
        };
        let got = segment_template(&mut c).map(|s| (s.tokens, s.cache_control));
        (got, c.i)
    }

    #[test]
    fn the_usage_template_takes_the_writers_layouts_and_nothing_else() {
        let usage = |text: &str| {
            let mut c = Cursor {
                b: text.as_bytes(),
                s: text,
                i: 0,
            };
            let got = super::usage_template(&mut c).map(|u| {
                (
                    u.input_tokens.0,
                    u.cache_creation.map(|c| c.ephemeral_1h_input_tokens.0),
                )
            });
            (got, c.i)
        };
        let t = r#"{"input_tokens":1,"output_tokens":2,"cache_creation_input_tokens":3,"cache_read_input_tokens":4},"#;
        assert_eq!(usage(t), (Some((1, None)), t.len() - 1));
        let t = r#"{"input_tokens":1,"output_tokens":2,"cache_creation_input_tokens":3,"cache_read_input_tokens":4,"cache_creation":{"ephemeral_5m_input_tokens":1,"ephemeral_1h_input_tokens":2}}"#;
        assert_eq!(usage(t), (Some((1, Some(2))), t.len()));
        for t in [
            r#"{"output_tokens":2,"input_tokens":1,"cache_creation_input_tokens":3,"cache_read_input_tokens":4}"#,
            r#"{"input_tokens":1,"output_tokens":2,"cache_creation_input_tokens":3,"cache_read_input_tokens":4,"speed":"fast"}"#,
            r#"{"input_tokens":01,"output_tokens":2,"cache_creation_input_tokens":3,"cache_read_input_tokens":4}"#,
        ] {
            assert_eq!(usage(t), (None, 0), "{t}");
        }
    }

    #[test]
    fn the_segment_template_takes_the_writers_layout_and_nothing_else() {
        let t = r#"{"role":"tool_result","hash":"ab","tokens":12,"cache_control":"1h"},"#;
        assert_eq!(
            template(t),
            (Some((12, Some(CacheTtl::OneHour))), t.len() - 1)
        );
        let t = r#" {"role":"tools","hash":"x y","tokens":0,"cache_control":null}"#;
        assert_eq!(template(t), (Some((0, None)), t.len()));
        // Declined without moving: the general walk reads these.
        for t in [
            r#"{ "role":"tools","hash":"ab","tokens":1,"cache_control":null}"#,
            r#"{"role":"tools","hash":"a\u0062","tokens":1,"cache_control":null}"#,
            r#"{"role":"tools","hash":"ab","tokens":01,"cache_control":null}"#,
            r#"{"role":"tools","hash":"ab","tokens":1.0,"cache_control":null}"#,
            r#"{"role":"tools","hash":"ab","tokens":1,"cache_control":{"type":"ephemeral"}}"#,
            r#"{"role":"tools","hash":"ab","tokens":1}"#,
            r#"{"role":"tools","hash":"","tokens":1,"cache_control":null}"#,
        ] {
            let (got, at) = template(t);
            assert_eq!(got, None, "{t}");
            assert!(at <= 1, "{t}");
        }
    }

    /// The literals `Key::quoted` matches are the names in `Key::NAMED` (all but `schema`,
    /// which only a misplaced header has), so the two lists cannot drift apart.
    #[test]
    fn quoted_keys_are_the_named_keys_and_nothing_else() {
        for (key, name) in Key::NAMED {
            assert_eq!(Key::of(name), key);
            let text = format!("\"{name}\":1");
            let want = (key != Key::Schema).then_some((key, name.len() + 3));
            assert_eq!(Key::quoted(text.as_bytes()), want, "{name}");
            // Another key with the same start, whitespace before the colon, an escape.
            for odd in [
                format!("\"{name}x\":1"),
                format!("\"{name}\" :1"),
                format!("\"\\u0{name}\":1"),
            ] {
                assert_eq!(Key::quoted(odd.as_bytes()), None, "{odd}");
            }
        }
        assert_eq!(Key::of("nope"), Key::Other);
        assert_eq!(Key::quoted(b"\""), None);
    }

    #[test]
    fn template_counts_are_exact_up_to_u64_max_and_refuse_more() {
        let count = |t: &str| {
            let mut i = 0;
            template_count(t.as_bytes(), &mut i).map(|v| (v, i))
        };
        assert_eq!(count("0,"), Some((0, 1)));
        assert_eq!(count("7"), Some((7, 1)));
        assert_eq!(count("01"), None);
        assert_eq!(count(","), None);
        assert_eq!(
            count("9999999999999999999}"),
            Some((9_999_999_999_999_999_999, 19))
        );
        assert_eq!(count("18446744073709551615"), Some((u64::MAX, 20)));
        assert_eq!(count("18446744073709551616"), None);
        assert_eq!(count("99999999999999999999"), None);
        assert_eq!(count("100000000000000000000"), None);
        for n in [
            1u64,
            12,
            123_456_789,
            10_000_000_000_000_000_000,
            u64::MAX - 1,
        ] {
            assert_eq!(count(&n.to_string()), Some((n, n.to_string().len())));
        }
    }

    /// The eight-byte path agrees with a plain reading of the digits for every count length,
    /// leading zeros and next byte, wherever the line ends.
    #[test]
    fn template_counts_read_eight_bytes_at_once_agree_with_the_digits() {
        let reference = |t: &[u8]| -> Option<(u64, usize)> {
            let n = t.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 || (n > 1 && t[0] == b'0') {
                return None;
            }
            std::str::from_utf8(&t[..n])
                .ok()?
                .parse()
                .ok()
                .map(|v| (v, n))
        };
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in 1..=21 {
            for round in 0..300 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let mut t: Vec<u8> = (0..len)
                    .map(|k| b'0' + ((x >> (k % 16 * 4)) % 10) as u8)
                    .collect();
                if round % 3 == 0 {
                    t[0] = b'0';
                }
                let next = [b',', b'}', b'.', b'/', b':', b' ', 0x80, 0xff, b'a'][round % 9];
                t.push(next);
                t.extend_from_slice(&b"\"tokens\":1}"[..round % 12]);
                let mut i = 0;
                let got = template_count(&t, &mut i).map(|v| (v, i));
                assert_eq!(got, reference(&t), "{:?}", String::from_utf8_lossy(&t));
            }
        }
        assert_eq!(reference(b"18446744073709551616,"), None);
    }

    #[test]
    fn string_end_finds_the_first_quote_backslash_or_control_byte() {
        for len in 0..40 {
            for stop in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                let mut v: Vec<u8> = (0..len).map(|i| b"abcdefgh \x7f\xc3\xa9"[i % 11]).collect();
                assert_eq!(string_end(&v), None, "{len}");
                v.push(stop);
                v.extend_from_slice(b"x\"y\\");
                assert_eq!(string_end(&v), Some(len), "{len} {stop}");
            }
            let v: Vec<u8> = (0..len).map(|_| 0x20).collect();
            assert_eq!(string_end(&v), None, "0x20 is allowed");
        }
    }
}
