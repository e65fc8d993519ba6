//! Model-name normalization shared by the importers of gateway and telemetry logs (LiteLLM,
//! OpenTelemetry): turns the names that providers and proxies write for Claude models into the
//! Anthropic ids that the price catalog resolves, and lets the user map other names onto Claude
//! models with a [`ModelMap`].
//!
//! [`normalize`] never consults the catalog (this crate does not depend on it): a name it cannot
//! recognise is returned as cleaned up as it gets, and the replay rejects an unknown id with an
//! error naming the closest known ones. The rules are in `docs/importers.md` ("model names").
//!
//! | written by | example | normalized |
//! |---|---|---|
//! | LiteLLM | `anthropic/claude-sonnet-4-5` | `claude-sonnet-4-5` |
//! | Bedrock | `us.anthropic.claude-3-7-sonnet-20250219-v1:0` | `claude-3-7-sonnet-20250219` |
//! | Bedrock ARN | `arn:aws:bedrock:us-west-2:1:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0` | `claude-3-7-sonnet-20250219` |
//! | Vertex AI | `vertex_ai/claude-3-5-sonnet-v2@20241022` | `claude-3-5-sonnet-20241022` |

use std::collections::BTreeMap;

use crate::ImportError;

#[cfg(test)]
mod tests;

/// Rule id: the model is not a Claude model (after the [`ModelMap`] and normalization), so the
/// call cannot be priced by tokensim. The importers skip such a call and count it.
pub const RULE_NOT_CLAUDE: &str = "not-claude";

/// The option name used in [`ImportError::Option`] for a bad mapping (the CLI flag is
/// `--map-model FROM=TO`).
pub const MAP_OPTION: &str = "map-model";

/// Normalizes a provider-specific model name into an Anthropic model id, in this order:
///
/// 1. Surrounding whitespace is trimmed and ASCII letters are lowercased.
/// 2. Everything up to the last `/` is dropped: provider prefixes (`anthropic/`, `bedrock/`,
///    `vertex_ai/`, `bedrock/converse/`), Bedrock ARNs (`arn:…:inference-profile/<id>`) and
///    Vertex resource names (`…/publishers/anthropic/models/<id>`).
/// 3. Everything up to and including `anthropic.` is dropped (Bedrock: `anthropic.claude-…`,
///    with a region prefix `us.`, `eu.`, `apac.`, `global.`, …); otherwise a region prefix
///    directly before `claude` (`us.claude-…`) is dropped.
/// 4. A Bedrock version suffix `-v<N>`, `-v<N>:<M>` or `-v<N>:<M>:<context>` is dropped
///    (`-v1:0`, `-v2:0`, `-v1:0:200k`, `-v1`).
/// 5. A Vertex version `@<date>` becomes `-<date>` (`claude-opus-4-1@20250805` →
///    `claude-opus-4-1-20250805`), dropping a `-v<N>` before the `@`
///    (`claude-3-5-sonnet-v2@20241022` → `claude-3-5-sonnet-20241022`); `@latest` is dropped.
///
/// A name that is already an Anthropic id comes back unchanged, so normalizing twice is the same
/// as normalizing once. Non-Claude names pass through steps 1 and 2 only (`openai/gpt-4o` gives
/// `gpt-4o`); [`is_claude`] tells them apart.
pub fn normalize(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    let mut s: &str = lower.rsplit('/').next().unwrap_or(&lower);
    if let Some(at) = s.find("anthropic.") {
        s = &s[at + "anthropic.".len()..];
    } else if let Some(dot) = s.find('.') {
        let region = &s[..dot];
        if s[dot + 1..].starts_with("claude")
            && !region.is_empty()
            && region.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        {
            s = &s[dot + 1..];
        }
    }
    if !s.starts_with("claude") {
        return s.to_owned();
    }
    let (base, vertex) = match s.split_once('@') {
        Some((base, version)) => (base, Some(version)),
        None => (s, None),
    };
    let base = strip_version_suffix(base);
    match vertex {
        Some(date) if !date.is_empty() && date.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{base}-{date}")
        }
        Some("latest") => base.to_owned(),
        Some(other) => format!("{base}@{other}"),
        None => base.to_owned(),
    }
}

/// `name` without a trailing `-v<digits>[:<digits>[:<alphanumeric>]]`.
fn strip_version_suffix(name: &str) -> &str {
    let Some(at) = name.rfind("-v") else {
        return name;
    };
    let mut parts = name[at + 2..].split(':');
    let digits =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !digits(parts.next()) {
        return name;
    }
    let ok = match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => true,
        (Some(minor), None, _) => digits(Some(minor)),
        (Some(minor), Some(ctx), None) => {
            digits(Some(minor)) && !ctx.is_empty() && ctx.bytes().all(|b| b.is_ascii_alphanumeric())
        }
        _ => false,
    };
    if ok {
        &name[..at]
    } else {
        name
    }
}

/// Whether a normalized name is a Claude model id (it starts with `claude`). Only the name is
/// looked at; whether the catalog prices it is the replay's question.
pub fn is_claude(normalized: &str) -> bool {
    normalized.starts_with("claude")
}

/// What a raw model name resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The [`ModelMap`] maps the name: the mapped name, normalized. Written whatever it is (the
    /// user asked for it).
    Mapped(String),
    /// Not mapped, and the normalized name is a Claude model id.
    Claude(String),
    /// Not mapped, and not a Claude model: the normalized name, for messages.
    Other(String),
}

impl Resolution {
    /// The model id to write, unless the name is [`Resolution::Other`].
    pub fn model(&self) -> Option<&str> {
        match self {
            Resolution::Mapped(m) | Resolution::Claude(m) => Some(m),
            Resolution::Other(_) => None,
        }
    }
}

/// Resolves a raw model name: the [`ModelMap`] first (see [`ModelMap::get`]), then
/// [`normalize`] and [`is_claude`].
pub fn resolve(raw: &str, map: &ModelMap) -> Resolution {
    if let Some(to) = map.get(raw) {
        return Resolution::Mapped(normalize(to));
    }
    let normalized = normalize(raw);
    if is_claude(&normalized) {
        Resolution::Claude(normalized)
    } else {
        Resolution::Other(normalized)
    }
}

/// User-supplied model mappings, `FROM=TO`, applied before normalization: a call logged with
/// model `FROM` is written with model `normalize(TO)`. This is how a non-Claude call (say
/// `gpt-4o`) is replayed as a Claude model, or how a gateway alias that does not name a model
/// (`my-fast-model`) is resolved.
///
/// A name matches `FROM` when it is exactly `FROM`, or when both normalize to the same name (so
/// `gpt-4o=claude-haiku-4-5` also maps `openai/gpt-4o`, and a `FROM` written as a Bedrock id maps
/// the plain Anthropic id too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelMap {
    /// `FROM` exactly as given → `TO`.
    exact: BTreeMap<String, String>,
    /// `normalize(FROM)` → `TO`.
    normalized: BTreeMap<String, String>,
}

impl ModelMap {
    /// An empty map: every name resolves by normalization alone.
    pub fn new() -> Self {
        ModelMap::default()
    }

    /// Builds a map from `FROM=TO` pairs (the CLI's repeated `--map-model` values).
    pub fn from_pairs<I, S>(pairs: I) -> Result<Self, ImportError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut map = ModelMap::new();
        for pair in pairs {
            map.add_pair(pair.as_ref())?;
        }
        Ok(map)
    }

    /// Adds one `FROM=TO` pair. The split is at the first `=`; both sides are trimmed and must not
    /// be empty.
    pub fn add_pair(&mut self, pair: &str) -> Result<(), ImportError> {
        let Some((from, to)) = pair.split_once('=') else {
            return Err(option_error(format!(
                "{pair:?} is not FROM=TO (e.g. gpt-4o=claude-sonnet-4-5)"
            )));
        };
        self.insert(from, to)
    }

    /// Maps `from` to `to`. Both are trimmed and must not be empty. Mapping the same name (or
    /// two names that normalize alike) to two different targets is an error.
    pub fn insert(&mut self, from: &str, to: &str) -> Result<(), ImportError> {
        let (from, to) = (from.trim(), to.trim());
        if from.is_empty() || to.is_empty() {
            return Err(option_error(format!(
                "{from:?}={to:?}: both sides must be non-empty model names"
            )));
        }
        for (key, map) in [
            (from.to_owned(), &mut self.exact),
            (normalize(from), &mut self.normalized),
        ] {
            match map.get(&key) {
                Some(old) if old != to => {
                    return Err(option_error(format!(
                        "{from:?} is mapped twice, to {old:?} and to {to:?}"
                    )));
                }
                _ => {
                    map.insert(key, to.to_owned());
                }
            }
        }
        Ok(())
    }

    /// The `TO` for a raw name: an exact `FROM` first, then a `FROM` that normalizes alike.
    pub fn get(&self, raw: &str) -> Option<&str> {
        if let Some(to) = self.exact.get(raw.trim()) {
            return Some(to);
        }
        if self.normalized.is_empty() {
            return None;
        }
        self.normalized.get(&normalize(raw)).map(String::as_str)
    }

    /// How many `FROM` names were given.
    pub fn len(&self) -> usize {
        self.exact.len()
    }

    /// Whether no mapping was given.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
    }
}

fn option_error(message: String) -> ImportError {
    ImportError::Option {
        name: MAP_OPTION,
        message,
    }
}
