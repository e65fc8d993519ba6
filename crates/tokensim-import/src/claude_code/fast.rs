//! The fast path for one log line: a single pass over the bytes that checks the line is JSON that
//! serde_json would accept and picks out the few fields the importer reads, building nothing for
//! the rest (message content, tool results: most of the bytes).
//!
//! It answers only when it is sure that the slow path ([`super::parse_line`]) gives the same
//! answer, and returns `None` on anything unusual (a control character, an escape in a key or in
//! a field it reads, a number that is not a plain integer, deep nesting, a duplicate field, any
//! field error): the caller then runs the slow path, which also words every error. So the fast
//! path never decides an error, and accepts a subset of what serde_json accepts:
//!
//! - the grammar of RFC 8259, with `' '` the only whitespace (a line with any byte below 0x20 goes
//!   the slow way), strings checked as serde_json checks the strings it skips (escapes are one of
//!   `\" \\ \/ \b \f \n \r \t \uXXXX`), numbers as serde_json's `ignore_integer`;
//! - the fields the slow path builds as values (`type`, `timestamp`, `sessionId`, `version`,
//!   `isSidechain`, `requestId`, `message.id`, `message.model`, a `message` that is not an
//!   object) only as a string without escapes, `null`, `true`, `false` or a short integer, which
//!   are valid values whatever serde_json checks on them; `message.usage` is handed to serde_json
//!   itself, as the slow path does;
//! - a duplicate of a field the slow path reads (serde's derive refuses it) is left to the slow
//!   path; the keys of the line and of `message` must have no escapes (serde_json unescapes keys
//!   before matching field names);
//! - nesting at most [`MAX_DEPTH`] deep, far below serde_json's recursion limit.

use std::borrow::Cow;

use tokensim_corpus::Timestamp;

use super::{CallUsage, Interner, Kept, Parsed, KIND_UNTYPED, SYNTHETIC_MODEL};

/// Deeper nesting goes the slow way (serde_json stops at 128).
const MAX_DEPTH: u32 = 64;

/// Classifies `text` (one line without its end of line, valid UTF-8) as the slow path would, or
/// `None` to leave it to the slow path.
/// `masks` is scratch space, kept between lines to save allocations.
pub(super) fn parse_line<'a>(
    text: &'a str,
    strings: &mut Interner,
    masks: &mut Vec<u64>,
) -> Option<Parsed<'a>> {
    let bytes = text.as_bytes();
    if special_bytes(bytes, masks) {
        return None;
    }
    let mut s = Scanner {
        text,
        bytes,
        masks,
        at: 0,
        depth: 0,
    };
    let mut f = Fields::default();
    s.ws();
    if s.peek()? != b'{' {
        return None;
    }
    s.object(|s, key| {
        let slot = match key? {
            b"type" => &mut f.kind,
            b"timestamp" => &mut f.timestamp,
            b"sessionId" => &mut f.session_id,
            b"version" => &mut f.version,
            b"isSidechain" => &mut f.is_sidechain,
            b"requestId" => &mut f.request_id,
            b"message" => {
                if f.message.is_some() {
                    return None;
                }
                f.message = Some(s.message()?);
                return Some(());
            }
            _ => return s.value(),
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(s.scalar()?);
        Some(())
    })?;
    s.ws();
    if s.at != bytes.len() {
        return None;
    }

    let (message, usage) = match f.message {
        Some(Msg::Object(Message {
            id,
            model,
            usage: Some(Some(usage)),
        })) => ((id, model), usage),
        _ => {
            let kind = match f.kind {
                Some(Raw::Str(s)) if !s.is_empty() => s,
                _ => KIND_UNTYPED,
            };
            return Some(Parsed::NotApiCall(Cow::Borrowed(kind)));
        }
    };
    let (message_id, model) = message;
    let model = match model {
        Some(Raw::Str(s)) if !s.is_empty() => s,
        _ => return None,
    };
    if model == SYNTHETIC_MODEL {
        return Some(Parsed::Synthetic);
    }
    let usage = call_usage(&usage, strings)?;
    let ts = match f.timestamp? {
        Raw::Str(s) => Timestamp::parse_rfc3339(s).ok()?,
        _ => return None,
    };
    let message_id = opt_string(message_id)?;
    let request_id = opt_string(f.request_id)?;
    let session = opt_string(f.session_id)?;
    let version = opt_string(f.version)?;
    let sidechain = match f.is_sidechain {
        None | Some(Raw::Null) => false,
        Some(Raw::Bool(b)) => b,
        Some(_) => return None,
    };
    let id = message_id.clone().or_else(|| request_id.clone());
    Some(Parsed::Call {
        key: (message_id, request_id),
        ts,
        kept: Kept {
            id,
            model: strings.get(model),
            app: None,
            session: session.map(|s| strings.get(&s)),
            version: version.map(|v| strings.get(&v)),
            sidechain,
            usage,
        },
    })
}

/// `Some(None)` when absent, null or empty, `Some(Some(s))` for a string, `None` otherwise (the
/// slow path's error).
#[allow(clippy::option_option)]
fn opt_string(value: Option<Raw<'_>>) -> Option<Option<Box<str>>> {
    match value {
        None | Some(Raw::Null) => Some(None),
        Some(Raw::Str("")) => Some(None),
        Some(Raw::Str(s)) => Some(Some(s.into())),
        Some(_) => None,
    }
}

/// `usage` as [`parse_usage`](super::parse_usage) reads it, or `None` for its errors.
fn call_usage(u: &Usage<'_>, strings: &mut Interner) -> Option<CallUsage> {
    let input_tokens = count(u.input_tokens)?;
    let output_tokens = count(u.output_tokens)?;
    // The API schema makes the cache counts nullable; null and absent both mean none.
    let cache_creation_input_tokens = nullable(u.cache_creation_input_tokens)?.unwrap_or(0);
    let cache_read_input_tokens = nullable(u.cache_read_input_tokens)?.unwrap_or(0);
    let cache_creation = match u.cache_creation.flatten() {
        None => None,
        Some([m5, h1]) => {
            let m5 = nullable(m5)?.unwrap_or(0);
            let h1 = nullable(h1)?.unwrap_or(0);
            if u128::from(m5) + u128::from(h1) != u128::from(cache_creation_input_tokens) {
                return None;
            }
            Some((m5, h1))
        }
    };
    let web_search_requests = match u.server_tool_use.flatten() {
        None => None,
        Some([n, _]) => nullable(n)?,
    };
    let thinking_tokens = match u.output_tokens_details.flatten() {
        None => None,
        Some([t, _]) => match nullable(t)? {
            Some(t) if t > output_tokens => return None,
            t => t,
        },
    };
    let service_tier = choice(u.service_tier, &["standard", "batch", "priority"])?;
    let speed = choice(u.speed, &["standard", "fast"])?;
    let inference_geo = match u.inference_geo {
        None | Some(Raw::Null) => None,
        Some(Raw::Str(s)) if !s.is_empty() => Some(strings.get(s)),
        Some(_) => return None,
    };
    Some(CallUsage {
        input_tokens,
        output_tokens,
        cache_creation_input_tokens,
        cache_read_input_tokens,
        cache_creation,
        web_search_requests,
        service_tier,
        speed,
        inference_geo,
        thinking_tokens,
    })
}

/// A required count.
fn count(value: Option<Raw<'_>>) -> Option<u64> {
    match value? {
        Raw::Count(n) => Some(n),
        _ => None,
    }
}

/// A nullable count: `Some(None)` when absent or null.
#[allow(clippy::option_option)]
fn nullable(value: Option<Raw<'_>>) -> Option<Option<u64>> {
    match value {
        None | Some(Raw::Null) => Some(None),
        Some(Raw::Count(n)) => Some(Some(n)),
        Some(_) => None,
    }
}

/// One of `allowed`, `Some(None)` when absent or null.
#[allow(clippy::option_option)]
fn choice(value: Option<Raw<'_>>, allowed: &[&'static str]) -> Option<Option<&'static str>> {
    match value {
        None | Some(Raw::Null) => Some(None),
        Some(Raw::Str(s)) => allowed.iter().find(|a| **a == s).map(|a| Some(*a)),
        Some(_) => None,
    }
}

const ONES: u64 = u64::from_le_bytes([1; 8]);
const HIGH: u64 = u64::from_le_bytes([0x80; 8]);

/// Fills `masks` with one bit per byte of `bytes`, set for `"` and `\` (bit `i % 64` of word
/// `i / 64`, with a last word for the rest, so there is always one more word than full blocks);
/// returns whether any byte is below 0x20: a control character in a string (an error) or
/// whitespace other than a space (allowed between tokens, but rare enough to leave to the slow
/// path). Eight bytes at a time in a `u64`, which is several times faster than looking for the
/// next quote or backslash from each position (strings of code and prose have one every few
/// bytes).
fn special_bytes(bytes: &[u8], masks: &mut Vec<u64>) -> bool {
    masks.clear();
    let mut control = 0;
    let mut blocks = bytes.chunks_exact(64);
    for block in &mut blocks {
        let (mask, c) = block_mask(block);
        masks.push(mask);
        control |= c;
    }
    let rest = blocks.remainder();
    let mut last = [b' '; 64];
    last[..rest.len()].copy_from_slice(rest);
    let (mask, c) = block_mask(&last);
    masks.push(mask);
    control |= c;
    control != 0
}

/// The quote-or-backslash mask of 64 bytes, and a word that is not zero if any is below 0x20.
#[inline(always)]
fn block_mask(block: &[u8]) -> (u64, u64) {
    let mut mask = 0;
    let mut control = 0;
    for (i, word) in block.chunks_exact(8).enumerate() {
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        mask |= word_mask(x) << (i * 8);
        // Some byte is below 0x20 exactly when this has a high bit set (Mycroft's `hasless`).
        control |= x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    }
    (mask, control)
}

/// Eight bits, bit `i` set when byte `i` of `x` (little-endian) is `"` or `\`.
#[inline(always)]
fn word_mask(x: u64) -> u64 {
    let quotes = zero_bytes(x ^ (ONES * u64::from(b'"')));
    let backslashes = zero_bytes(x ^ (ONES * u64::from(b'\\')));
    // The high bits, one per byte, gathered into the top byte by one multiplication.
    (((quotes | backslashes) >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// The high bit of each byte of `x` that is zero, exactly (no borrow between bytes).
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    let low = !HIGH;
    !(((x & low).wrapping_add(low)) | x) & HIGH
}

/// A value of a field the slow path builds as a `serde_json::Value`, when it is one whose building
/// cannot fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Raw<'a> {
    /// A string without escapes: its content.
    Str(&'a str),
    Null,
    Bool(bool),
    /// A non-negative integer of at most 18 digits (so a `u64`, never a float).
    Count(u64),
    /// A negative integer of at most 18 digits.
    Negative,
    /// An object or array whose values are all of these kinds (only inside `usage`).
    Nested,
}

/// The fields of a line the slow path reads, each `None` when absent.
#[derive(Default)]
struct Fields<'a> {
    kind: Option<Raw<'a>>,
    timestamp: Option<Raw<'a>>,
    session_id: Option<Raw<'a>>,
    version: Option<Raw<'a>>,
    is_sidechain: Option<Raw<'a>>,
    request_id: Option<Raw<'a>>,
    message: Option<Msg<'a>>,
}

/// `message`: an object, or anything else (which the slow path ignores). Built once a line, on
/// the stack: boxing the large variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Msg<'a> {
    Object(Message<'a>),
    Other,
}

#[derive(Default)]
struct Message<'a> {
    id: Option<Raw<'a>>,
    model: Option<Raw<'a>>,
    /// `usage`: `Some(None)` for `null`, `Some(Some(_))` for an object.
    #[allow(clippy::option_option)]
    usage: Option<Option<Usage<'a>>>,
}

/// The fields of `message.usage` that the slow path reads, each `None` when absent.
#[derive(Default)]
struct Usage<'a> {
    input_tokens: Option<Raw<'a>>,
    output_tokens: Option<Raw<'a>>,
    cache_creation_input_tokens: Option<Raw<'a>>,
    cache_read_input_tokens: Option<Raw<'a>>,
    /// `ephemeral_5m_input_tokens` and `ephemeral_1h_input_tokens`.
    cache_creation: Option<Split<'a>>,
    /// `web_search_requests`.
    server_tool_use: Option<Split<'a>>,
    /// `thinking_tokens`.
    output_tokens_details: Option<Split<'a>>,
    service_tier: Option<Raw<'a>>,
    speed: Option<Raw<'a>>,
    inference_geo: Option<Raw<'a>>,
}

/// An object inside `usage` (`None` for `null`) with the values of up to two of its keys.
type Split<'a> = Option<[Option<Raw<'a>>; 2]>;

/// The keys of one object so far, to refuse a duplicate as the slow path's `StrictValue` does.
struct Keys<'a> {
    keys: [&'a [u8]; 32],
    len: usize,
}

impl<'a> Keys<'a> {
    fn new() -> Self {
        Keys {
            keys: [&[]; 32],
            len: 0,
        }
    }

    /// `None` for a duplicate (or more than 32 keys: the slow path decides).
    fn insert(&mut self, key: &'a [u8]) -> Option<()> {
        if self.len == self.keys.len() || self.keys[..self.len].contains(&key) {
            return None;
        }
        self.keys[self.len] = key;
        self.len += 1;
        Some(())
    }
}

struct Scanner<'a, 'm> {
    text: &'a str,
    bytes: &'a [u8],
    /// From [`special_bytes`].
    masks: &'m [u64],
    at: usize,
    depth: u32,
}

impl<'a> Scanner<'a, '_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Skips spaces (the only whitespace left once control bytes are ruled out).
    fn ws(&mut self) {
        while self.bytes.get(self.at) == Some(&b' ') {
            self.at += 1;
        }
    }

    /// A string, at its opening quote: returns its content and whether it has escapes.
    fn string(&mut self) -> Option<(&'a str, bool)> {
        let start = self.at + 1;
        let mut from = start;
        let mut escaped = false;
        loop {
            let end = self.next_special(from)?;
            if self.bytes[end] == b'"' {
                self.at = end + 1;
                // Both ends are ASCII bytes of a valid UTF-8 text, so they are char boundaries.
                return Some((self.text.get(start..end)?, escaped));
            }
            escaped = true;
            from = match *self.bytes.get(end + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => end + 2,
                b'u' => {
                    let hex = self.bytes.get(end + 2..end + 6)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    end + 6
                }
                _ => return None,
            };
        }
    }

    /// The position of the first `"` or `\` at or after `from`.
    fn next_special(&self, from: usize) -> Option<usize> {
        let mut word = from / 64;
        let mut mask = self.masks.get(word)? & (u64::MAX << (from % 64));
        while mask == 0 {
            word += 1;
            mask = *self.masks.get(word)?;
        }
        Some(word * 64 + mask.trailing_zeros() as usize)
    }

    /// `lit` (`true`, `false`, `null`) at the current position.
    fn literal(&mut self, lit: &[u8]) -> Option<()> {
        if self.bytes.get(self.at..self.at + lit.len())? != lit {
            return None;
        }
        self.at += lit.len();
        Some(())
    }

    /// Runs of digits: how many.
    fn digits(&mut self) -> usize {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        self.at - start
    }

    /// A number, with serde_json's grammar; returns whether it is a plain integer.
    fn number(&mut self) -> Option<bool> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            integer = false;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            integer = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(integer)
    }

    /// Any value, checked and skipped.
    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => {
                self.string()?;
            }
            b'{' => self.object(|s, _| s.value())?,
            b'[' => self.array(|s| s.value())?,
            b't' => self.literal(b"true")?,
            b'f' => self.literal(b"false")?,
            b'n' => self.literal(b"null")?,
            b'-' | b'0'..=b'9' => {
                self.number()?;
            }
            _ => return None,
        }
        Some(())
    }

    /// A value the slow path builds, when building it cannot fail (see [`Raw`]).
    fn scalar(&mut self) -> Option<Raw<'a>> {
        let start = self.at;
        match self.peek()? {
            b'"' => match self.string()? {
                (s, false) => Some(Raw::Str(s)),
                (_, true) => None,
            },
            b't' => self.literal(b"true").map(|()| Raw::Bool(true)),
            b'f' => self.literal(b"false").map(|()| Raw::Bool(false)),
            b'n' => self.literal(b"null").map(|()| Raw::Null),
            // At most 18 digits: an i64 or u64 either way, never a float.
            b'-' | b'0'..=b'9' => match self.number()? {
                true if self.bytes[start] == b'-' && self.at - start <= 19 => Some(Raw::Negative),
                true if self.at - start <= 18 => {
                    let n = self.bytes[start..self.at]
                        .iter()
                        .fold(0, |n, d| n * 10 + u64::from(d - b'0'));
                    Some(Raw::Count(n))
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// `message`: an object's `id`, `model` and `usage`, or any other value the slow path ignores.
    fn message(&mut self) -> Option<Msg<'a>> {
        if self.peek()? != b'{' {
            self.scalar()?;
            return Some(Msg::Other);
        }
        let mut m = Message::default();
        self.object(|s, key| {
            let slot = match key? {
                b"id" => &mut m.id,
                b"model" => &mut m.model,
                b"usage" => {
                    if m.usage.is_some() {
                        return None;
                    }
                    m.usage = Some(match s.peek()? {
                        b'{' => Some(s.usage()?),
                        // `null`; anything else is the slow path's error.
                        _ => match s.scalar()? {
                            Raw::Null => None,
                            _ => return None,
                        },
                    });
                    return Some(());
                }
                _ => return s.value(),
            };
            if slot.is_some() {
                return None;
            }
            *slot = Some(s.scalar()?);
            Some(())
        })?;
        Some(Msg::Object(m))
    }

    /// `message.usage`, at its `{`, checked as the slow path's `StrictValue` checks it: no
    /// duplicate key at any depth, and every value one whose building cannot fail.
    fn usage(&mut self) -> Option<Usage<'a>> {
        let mut u = Usage::default();
        let mut keys = Keys::new();
        self.object(|s, key| {
            let key = key?;
            keys.insert(key)?;
            let slot = match key {
                b"input_tokens" => &mut u.input_tokens,
                b"output_tokens" => &mut u.output_tokens,
                b"cache_creation_input_tokens" => &mut u.cache_creation_input_tokens,
                b"cache_read_input_tokens" => &mut u.cache_read_input_tokens,
                b"service_tier" => &mut u.service_tier,
                b"speed" => &mut u.speed,
                b"inference_geo" => &mut u.inference_geo,
                b"cache_creation" => {
                    let names = [
                        &b"ephemeral_5m_input_tokens"[..],
                        b"ephemeral_1h_input_tokens",
                    ];
                    u.cache_creation = Some(s.split(names)?);
                    return Some(());
                }
                b"server_tool_use" => {
                    u.server_tool_use = Some(s.split([b"web_search_requests", b""])?);
                    return Some(());
                }
                b"output_tokens_details" => {
                    u.output_tokens_details = Some(s.split([b"thinking_tokens", b""])?);
                    return Some(());
                }
                _ => return s.strict().map(drop),
            };
            *slot = Some(s.strict()?);
            Some(())
        })?;
        Some(u)
    }

    /// An object inside `usage` that the slow path reads (`None` within for `null`), with the
    /// values of the keys `names` (an empty name matches no key).
    fn split(&mut self, names: [&[u8]; 2]) -> Option<Split<'a>> {
        if self.peek()? != b'{' {
            // `null`; anything else is the slow path's error.
            return match self.scalar()? {
                Raw::Null => Some(None),
                _ => None,
            };
        }
        let mut found = [None, None];
        let mut keys = Keys::new();
        self.object(|s, key| {
            let key = key?;
            keys.insert(key)?;
            let value = s.strict()?;
            if let Some(i) = names.iter().position(|n| !n.is_empty() && *n == key) {
                found[i] = Some(value);
            }
            Some(())
        })?;
        Some(Some(found))
    }

    /// Any value inside `usage`, checked as `StrictValue` builds it (see [`Scanner::usage`]).
    fn strict(&mut self) -> Option<Raw<'a>> {
        match self.peek()? {
            b'{' => {
                let mut keys = Keys::new();
                self.object(|s, key| {
                    keys.insert(key?)?;
                    s.strict().map(drop)
                })?;
                Some(Raw::Nested)
            }
            b'[' => {
                self.array(|s| s.strict().map(drop))?;
                Some(Raw::Nested)
            }
            _ => self.scalar(),
        }
    }

    /// An object, at its `{`: calls `member(self, key)` at each member's value, which must consume
    /// it. The key is `None` when it has escapes: a reader of keys then leaves the line to the
    /// slow path (serde_json unescapes the keys of a struct, but skips the keys of skipped
    /// objects without unescaping them).
    fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, Option<&'a [u8]>) -> Option<()>,
    ) -> Option<()> {
        self.enter()?;
        self.ws();
        if self.peek()? == b'}' {
            self.at += 1;
            self.depth -= 1;
            return Some(());
        }
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            let (key, escaped) = self.string()?;
            self.ws();
            if self.peek()? != b':' {
                return None;
            }
            self.at += 1;
            self.ws();
            member(self, (!escaped).then_some(key.as_bytes()))?;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.at += 1;
                    self.ws();
                }
                b'}' => {
                    self.at += 1;
                    break;
                }
                _ => return None,
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// An array, at its `[`: calls `item(self)` at each item, which must consume it.
    fn array(&mut self, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.enter()?;
        self.ws();
        if self.peek()? == b']' {
            self.at += 1;
            self.depth -= 1;
            return Some(());
        }
        loop {
            item(self)?;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.at += 1;
                    self.ws();
                }
                b']' => {
                    self.at += 1;
                    break;
                }
                _ => return None,
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// Steps into an object or array, at its opening byte.
    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.at += 1;
        Some(())
    }
}

#[cfg(test)]
mod tests;
