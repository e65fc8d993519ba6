//! The validated, owned form of one corpus line: one Claude API call.

use crate::time::Timestamp;

/// Where a record came from: the index of its file among the inputs and its 1-based line.
/// Ordering by position is "corpus order", the tie-break after the timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    /// Index of the file among the corpus inputs, in argument order.
    pub file: u32,
    /// 1-based line number inside that file.
    pub line: u64,
}

/// The token usage as billed, in the Messages API's own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Input tokens after the last cache breakpoint.
    pub input_tokens: u64,
    /// Output tokens, thinking included.
    pub output_tokens: u64,
    /// Tokens written to the cache with a 5-minute TTL.
    pub cache_write_5m_tokens: u64,
    /// Tokens written to the cache with a 1-hour TTL.
    pub cache_write_1h_tokens: u64,
    /// Tokens read from the cache.
    pub cache_read_input_tokens: u64,
    /// `server_tool_use.web_search_requests`.
    pub web_search_requests: u64,
}

impl Usage {
    /// `cache_creation_input_tokens`: both kinds of cache write.
    pub fn cache_creation_input_tokens(&self) -> u64 {
        self.cache_write_5m_tokens + self.cache_write_1h_tokens
    }

    /// Total input: uncached input, cache writes and cache reads. Long-context and price-band
    /// thresholds compare against this.
    pub fn total_input_tokens(&self) -> u64 {
        self.input_tokens + self.cache_creation_input_tokens() + self.cache_read_input_tokens
    }
}

/// `service_tier`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ServiceTier {
    /// Real-time, standard prices.
    #[default]
    Standard,
    /// The Message Batches API: every token component at half price.
    Batch,
    /// Priority tier: priced as standard (no published priority prices).
    Priority,
}

/// `speed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Speed {
    /// Normal inference.
    #[default]
    Standard,
    /// Fast mode (research preview), priced from the model's fast-mode row.
    Fast,
}

/// `task`: the task class used by quality-risk priors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)]
pub enum Task {
    Classification,
    Extraction,
    Summarization,
    Chat,
    Code,
    Reasoning,
    Agent,
    Other,
}

/// `latency_class`: whether a person waits for the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LatencyClass {
    /// Someone waits for the answer.
    Interactive,
    /// Nobody waits; the work could be deferred.
    Async,
}

/// A segment's role in the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)]
pub enum Role {
    Tools,
    System,
    User,
    Assistant,
    ToolResult,
}

/// A cache breakpoint's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CacheTtl {
    /// 5 minutes (the default `ephemeral`).
    FiveMinutes,
    /// 1 hour (`"ttl": "1h"`).
    OneHour,
}

/// One prompt block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// The block's role.
    pub role: Role,
    /// The content fingerprint, reduced to 64 bits (see [`crate::fingerprint`]).
    pub hash: u64,
    /// Tokens in the block.
    pub tokens: u64,
    /// A cache breakpoint after this block.
    pub cache_control: Option<CacheTtl>,
}

/// One eval outcome: the same request run on another model.
#[derive(Debug, Clone, PartialEq)]
pub struct Eval {
    /// The model the request was re-run on, as written.
    pub model: String,
    /// Whether that answer was as good as the original.
    pub pass: bool,
    /// An optional score.
    pub score: Option<f64>,
}

/// A record's short text fields (model, workspace, team, app, feature, tags, ids): stored inline
/// up to 24 bytes, so the usual record costs no allocation for them. It dereferences to `str`.
pub type Text = compact_str::CompactString;

/// One API call, validated.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    /// Where the line was read.
    pub pos: Position,
    /// `id`.
    pub id: Option<Text>,
    /// `ts`, as a UTC instant.
    pub ts: Timestamp,
    /// `model`, as written (resolution to a catalog id is the pricing crate's job).
    pub model: Text,
    /// `usage`.
    pub usage: Usage,
    /// `thinking_tokens` (top level or inside `usage`): the response's extended-thinking tokens.
    /// The API bills them as output and they are already counted in `usage.output_tokens`, so
    /// they are never more than it. `None` when the log does not say.
    pub thinking_tokens: Option<u64>,
    /// `workspace`: the cache isolation scope. `None` is the default workspace: the field
    /// absent, `null`, empty or `"default"`, which all share one scope.
    pub workspace: Option<Text>,
    /// `team`.
    pub team: Option<Text>,
    /// `app`.
    pub app: Option<Text>,
    /// `feature`.
    pub feature: Option<Text>,
    /// `tags`, an object's entries written as `key:value`.
    pub tags: Vec<Text>,
    /// `service_tier` (top level or inside `usage`).
    pub service_tier: ServiceTier,
    /// `inference_geo` (top level or inside `usage`).
    pub inference_geo: Option<Text>,
    /// `speed` (top level or inside `usage`).
    pub speed: Speed,
    /// `stream`.
    pub stream: Option<bool>,
    /// `latency_ms`.
    pub latency_ms: Option<u64>,
    /// `max_tokens`.
    pub max_tokens: Option<u64>,
    /// `task`.
    pub task: Option<Task>,
    /// `latency_class`.
    pub latency_class: Option<LatencyClass>,
    /// `difficulty`: the user's own per-request difficulty score in [0, 1], in parts per million
    /// (`0.35` is `350_000`, `1` is `1_000_000`). Read exactly from the number's decimal text,
    /// never through a float; digits past the sixth decimal are rounded to it, half to even
    /// (`0.0000025` is `2`, `0.0000035` is `4`). Used by routing's threshold policy.
    pub difficulty_ppm: Option<u32>,
    /// `conversation_id`.
    pub conversation_id: Option<Text>,
    /// `prompt.segments`.
    pub segments: Vec<Segment>,
    /// `evals`.
    pub evals: Vec<Eval>,
}

impl Record {
    /// Whether the call used US-only data residency (`inference_geo: "us"`).
    pub fn us_residency(&self) -> bool {
        self.inference_geo.as_deref() == Some("us")
    }
}
