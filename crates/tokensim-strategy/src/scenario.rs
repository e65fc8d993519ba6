//! Scenario files (`scenarios/*.toml`, documented in docs/scenarios.md): a name, a description and
//! an optional set of levers. Parsing checks every name against what exists (levers, fields,
//! models, enum values) and reports the file, line and the valid choices.

use crate::cache::Ttl;
use std::collections::BTreeMap;

use serde::Deserialize;
use tokensim_corpus::{LatencyClass, ServiceTier, Task};
use tokensim_pricing::{Catalog, ModelId, Ratio};

/// Why a scenario file is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ScenarioError {
    /// The file.
    pub file: String,
    /// 1-based line (1 when the whole file is at fault).
    pub line: usize,
    /// What is wrong, with the valid choices where there are some.
    pub message: String,
}

/// Which calls a rule applies to: every given field must match (a list means any of its values);
/// no field means every call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Match {
    /// `team` in this list.
    pub team: Vec<String>,
    /// `app` in this list.
    pub app: Vec<String>,
    /// `feature` in this list.
    pub feature: Vec<String>,
    /// Recorded model in this list.
    pub model: Vec<ModelId>,
    /// `task` in this list.
    pub task: Vec<Task>,
    /// `latency_class` in this list.
    pub latency_class: Vec<LatencyClass>,
    /// Has any of these tags.
    pub tag: Vec<String>,
    /// `stream` equals this.
    pub stream: Option<bool>,
    /// Recorded `service_tier` in this list.
    pub service_tier: Vec<ServiceTier>,
    /// Total input tokens within these bounds (inclusive).
    pub input_tokens: Bounds,
    /// Output tokens within these bounds (inclusive).
    pub output_tokens: Bounds,
    /// Thinking tokens within these bounds (a call that does not record them never matches).
    pub thinking_tokens: Bounds,
    /// Whether the prompt has a `tools` segment (a call without segments never matches).
    pub tools: Option<bool>,
}

/// Inclusive token bounds of a `when` (`min_…` and `max_…` keys); unset means no bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bounds {
    /// At least this many.
    pub min: Option<u64>,
    /// At most this many.
    pub max: Option<u64>,
}

impl Bounds {
    /// Whether a bound is set.
    pub fn is_set(&self) -> bool {
        self.min.is_some() || self.max.is_some()
    }

    /// Whether `n` lies within the bounds.
    pub fn contains(&self, n: u64) -> bool {
        self.min.is_none_or(|m| n >= m) && self.max.is_none_or(|m| n <= m)
    }
}

/// The keys a `when` table may use.
pub const MATCH_KEYS: &[&str] = &[
    "team",
    "app",
    "feature",
    "model",
    "task",
    "latency_class",
    "tag",
    "stream",
    "service_tier",
    "min_input_tokens",
    "max_input_tokens",
    "min_output_tokens",
    "max_output_tokens",
    "min_thinking_tokens",
    "max_thinking_tokens",
    "tools",
];

/// `[[route.rule]]`: send matching calls to another model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRule {
    /// Which calls.
    pub when: Match,
    /// The target model.
    pub to: ModelId,
}

/// How a `[route]` lever picks the model (docs/routing.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoutePolicy {
    /// Ordered rules; the first match sends the call to its model.
    #[default]
    Rules,
    /// Try `to` first; escalate to the recorded model when the cheap answer fails.
    Cascade {
        /// The cheap model tried first.
        to: ModelId,
        /// How failures are decided.
        escalation: Escalation,
    },
    /// The cheapest model whose recorded eval passed (the recorded model when none did).
    Oracle,
    /// Send the call to `to` when its difficulty is below the threshold.
    Threshold {
        /// The target model.
        to: ModelId,
        /// Difficulty threshold, parts per million.
        threshold_ppm: u32,
    },
}

/// How a cascade decides that the cheap answer failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    /// The call's own eval on the cheap model; without one, a draw at the estimated
    /// degradation rate of its (workload, model pair).
    Evals,
    /// A draw at this rate, parts per million.
    Rate(u32),
}

/// `[route]`: model routing, with risk budgets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouteLever {
    /// How the target is chosen.
    pub policy: RoutePolicy,
    /// `rules`: the rules, in file order.
    pub rules: Vec<RouteRule>,
    /// `cascade`, `oracle`, `threshold`: which calls the policy considers.
    pub when: Match,
    /// Token-count ratios per (from, to) model pair; absent pairs are 1.
    pub token_ratios: BTreeMap<(ModelId, ModelId), Ratio>,
    /// `[[route.risk_budget]]`: the first match caps the estimated degradation rate of a route,
    /// parts per million; routes above it are rejected (the call keeps its model).
    pub risk_budgets: Vec<(Match, u32)>,
    /// Seed of the cascade's escalation draws.
    pub seed: u64,
    /// The risk the report's shadow-eval sample sizes aim below, parts per million (default
    /// 2%).
    pub risk_target_ppm: u32,
}

/// The default of `risk_target`: 2%.
pub const DEFAULT_RISK_TARGET_PPM: u32 = 20_000;

/// The largest `token_ratio` a scenario accepts. With it, a routed call's scaled counts stay in
/// 64 bits: a record carries at most `tokensim_corpus::MAX_TOKENS` (2^59 - 1) input and output
/// tokens.
pub const MAX_TOKEN_RATIO: u64 = 16;

impl RouteLever {
    /// The risk budget of a call, parts per million, if one applies.
    pub fn budget_ppm(&self, r: &tokensim_corpus::Record, model: ModelId) -> Option<u32> {
        self.risk_budgets
            .iter()
            .find(|(m, _)| m.matches(r, model))
            .map(|(_, b)| *b)
    }

    /// Whether routing decisions depend on the corpus's eval counts (a pre-pass collects them).
    pub fn needs_evals(&self) -> bool {
        !self.risk_budgets.is_empty()
            || matches!(
                self.policy,
                RoutePolicy::Cascade {
                    escalation: Escalation::Evals,
                    ..
                }
            )
    }
}

/// `[caps]`: output caps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CapsLever {
    /// `[[caps.max_output]]`: the first matching cap applies.
    pub max_output: Vec<(Match, u64)>,
    /// `[[caps.thinking_budget]]`: the first matching budget caps extended-thinking tokens.
    pub thinking_budget: Vec<(Match, u64)>,
    /// `[[caps.context_trim]]`: the first matching budget caps a multi-turn prompt's input by
    /// dropping its oldest turns.
    pub context_trim: Vec<(Match, u64)>,
}

/// `[batch]`: move eligible calls to the Batch API.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchLever {
    /// `[[batch.eligible]]`: a call matching any of these moves.
    pub eligible: Vec<Match>,
    /// Whether moving a call labelled `interactive` is allowed (otherwise it is an error).
    pub allow_interactive: bool,
}

/// The cache policies this version implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CachePolicy {
    /// The recorded usage, untouched (routed calls carry their split over).
    Recorded,
    /// No prompt caching at all.
    Off,
    /// Re-simulate every call that has segments, with its recorded breakpoints.
    Replay,
    /// Re-simulate with breakpoints placed by tokensim's policy (docs/scenarios.md): after the
    /// stable prefix (tools and system) and at the end of the conversation history, with the
    /// TTL chosen per prefix family from the reuse gaps observed so far.
    Auto,
    /// The `auto` breakpoints with hindsight: per prefix family, the cheapest static choice of
    /// breakpoints and TTLs over the whole corpus (a bound for `auto`; costs a survey pass).
    Optimal,
}

impl CachePolicy {
    /// The stable id used in files and reports.
    pub fn id(self) -> &'static str {
        match self {
            CachePolicy::Recorded => "recorded",
            CachePolicy::Off => "off",
            CachePolicy::Replay => "replay",
            CachePolicy::Auto => "auto",
            CachePolicy::Optimal => "optimal",
        }
    }
}

/// `[cache]`: how prompt caching is modelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheLever {
    /// The policy.
    pub policy: CachePolicy,
    /// Delay before a written entry is readable when a call has no `latency_ms`.
    pub readable_delay_ms: u64,
    /// Probability that a batch call may hit the cache, in parts per million.
    pub batch_hit_ppm: u32,
    /// Seed of the deterministic per-call hit draw.
    pub seed: u64,
    /// `ttl` (policy `auto` only): every `auto` breakpoint gets this TTL from the first call,
    /// instead of the one its reuse statistics choose (`None`, the default `"auto"`).
    pub fixed_ttl: Option<Ttl>,
}

/// A resolved scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// Its name (unique among the scenarios of a run).
    pub name: String,
    /// What it asks.
    pub description: String,
    /// The file it came from.
    pub file: String,
    /// The levers, in pipeline order.
    pub route: Option<RouteLever>,
    /// Output caps.
    pub caps: Option<CapsLever>,
    /// Batch.
    pub batch: Option<BatchLever>,
    /// Prompt caching.
    pub cache: Option<CacheLever>,
}

impl Scenario {
    /// Whether its cache lever re-simulates the cache (`replay`, `auto` or `optimal`), so that its
    /// calls go through the engine's stateful cache stage.
    pub fn simulates_cache(&self) -> bool {
        self.cache.as_ref().is_some_and(|c| {
            matches!(
                c.policy,
                CachePolicy::Replay | CachePolicy::Auto | CachePolicy::Optimal
            )
        })
    }

    /// The ids of the levers this scenario sets, in pipeline order.
    pub fn lever_ids(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.route.is_some() {
            v.push("route");
        }
        if self.caps.is_some() {
            v.push("caps");
        }
        if self.batch.is_some() {
            v.push("batch");
        }
        if self.cache.is_some() {
            v.push("cache");
        }
        v
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileScenario {
    name: Option<toml::Spanned<String>>,
    description: Option<String>,
    extends: Option<toml::Spanned<String>>,
    route: Option<FileRoute>,
    caps: Option<FileCaps>,
    batch: Option<FileBatch>,
    cache: Option<FileCache>,
}

type When = toml::Spanned<BTreeMap<String, toml::Spanned<toml::Value>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRoute {
    #[serde(default)]
    policy: Option<toml::Spanned<String>>,
    #[serde(default)]
    rule: Vec<FileRule>,
    #[serde(default)]
    when: Option<When>,
    #[serde(default)]
    to: Option<toml::Spanned<String>>,
    #[serde(default)]
    escalation: Option<toml::Spanned<String>>,
    #[serde(default)]
    threshold: Option<toml::Spanned<String>>,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    token_ratio: Vec<FileRatio>,
    #[serde(default)]
    risk_budget: Vec<FileBudget>,
    #[serde(default)]
    risk_target: Option<toml::Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBudget {
    #[serde(default)]
    when: Option<When>,
    max: toml::Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRule {
    #[serde(default)]
    when: Option<When>,
    to: toml::Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRatio {
    from: toml::Spanned<String>,
    to: toml::Spanned<String>,
    ratio: toml::Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCaps {
    #[serde(default)]
    max_output: Vec<FileCap>,
    #[serde(default)]
    thinking_budget: Vec<FileCap>,
    #[serde(default)]
    context_trim: Vec<FileCap>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCap {
    #[serde(default)]
    when: Option<When>,
    tokens: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBatch {
    #[serde(default)]
    eligible: Vec<FileEligible>,
    #[serde(default)]
    allow_interactive: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEligible {
    #[serde(default)]
    when: Option<When>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCache {
    policy: toml::Spanned<String>,
    #[serde(default)]
    readable_delay_ms: u64,
    #[serde(default)]
    batch_hit_probability: Option<toml::Spanned<String>>,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    ttl: Option<toml::Spanned<String>>,
}

/// Line number (1-based) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
    catalog: &'a Catalog,
}

impl Ctx<'_> {
    fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Result<T, ScenarioError> {
        Err(ScenarioError {
            file: self.file.to_string(),
            line: line_of(self.text, span.start),
            message: message.into(),
        })
    }

    fn model(&self, name: &toml::Spanned<String>) -> Result<ModelId, ScenarioError> {
        self.catalog
            .resolve(name.get_ref())
            .or_else(|e| self.err(name.span(), e.to_string()))
    }

    fn strings(
        &self,
        key: &str,
        v: &toml::Spanned<toml::Value>,
    ) -> Result<Vec<String>, ScenarioError> {
        let bad = || {
            self.err(
                v.span(),
                format!("when.{key}: expected a string or a list of strings"),
            )
        };
        match v.get_ref() {
            toml::Value::String(s) => Ok(vec![s.clone()]),
            toml::Value::Array(a) => a
                .iter()
                .map(|x| x.as_str().map(str::to_string).ok_or(()))
                .collect::<Result<_, _>>()
                .or_else(|_| bad()),
            _ => bad(),
        }
    }

    fn choice<T: Copy>(
        &self,
        key: &str,
        v: &toml::Spanned<toml::Value>,
        choices: &[(&str, T)],
    ) -> Result<Vec<T>, ScenarioError> {
        self.strings(key, v)?
            .iter()
            .map(|s| match choices.iter().find(|(n, _)| n == s) {
                Some((_, t)) => Ok(*t),
                None => self.err(
                    v.span(),
                    format!(
                        "when.{key}: unknown value {s:?}; valid: {}",
                        choices
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
            })
            .collect()
    }

    fn when(&self, w: &Option<When>) -> Result<Match, ScenarioError> {
        let mut m = Match::default();
        let Some(w) = w else { return Ok(m) };
        for (key, v) in w.get_ref() {
            match key.as_str() {
                "team" => m.team = self.strings(key, v)?,
                "app" => m.app = self.strings(key, v)?,
                "feature" => m.feature = self.strings(key, v)?,
                "tag" => m.tag = self.strings(key, v)?,
                "model" => {
                    for s in self.strings(key, v)? {
                        m.model.push(
                            self.catalog
                                .resolve(&s)
                                .or_else(|e| self.err(v.span(), format!("when.model: {e}")))?,
                        );
                    }
                }
                "task" => {
                    use Task::*;
                    m.task = self.choice(
                        key,
                        v,
                        &[
                            ("classification", Classification),
                            ("extraction", Extraction),
                            ("summarization", Summarization),
                            ("chat", Chat),
                            ("code", Code),
                            ("reasoning", Reasoning),
                            ("agent", Agent),
                            ("other", Other),
                        ],
                    )?
                }
                "latency_class" => {
                    m.latency_class = self.choice(
                        key,
                        v,
                        &[
                            ("interactive", LatencyClass::Interactive),
                            ("async", LatencyClass::Async),
                        ],
                    )?
                }
                "service_tier" => {
                    m.service_tier = self.choice(
                        key,
                        v,
                        &[
                            ("standard", ServiceTier::Standard),
                            ("batch", ServiceTier::Batch),
                            ("priority", ServiceTier::Priority),
                        ],
                    )?
                }
                "stream" => match v.get_ref() {
                    toml::Value::Boolean(b) => m.stream = Some(*b),
                    _ => return self.err(v.span(), "when.stream: expected true or false"),
                },
                "tools" => match v.get_ref() {
                    toml::Value::Boolean(b) => m.tools = Some(*b),
                    _ => return self.err(v.span(), "when.tools: expected true or false"),
                },
                "min_input_tokens"
                | "max_input_tokens"
                | "min_output_tokens"
                | "max_output_tokens"
                | "min_thinking_tokens"
                | "max_thinking_tokens" => {
                    let n = match v.get_ref() {
                        toml::Value::Integer(n) if *n >= 0 => *n as u64,
                        _ => {
                            return self.err(
                                v.span(),
                                format!("when.{key}: expected a whole number of tokens, 0 or more"),
                            )
                        }
                    };
                    let b = match &key[4..] {
                        "input_tokens" => &mut m.input_tokens,
                        "output_tokens" => &mut m.output_tokens,
                        _ => &mut m.thinking_tokens,
                    };
                    if key.starts_with("min") {
                        b.min = Some(n);
                    } else {
                        b.max = Some(n);
                    }
                }
                other => {
                    return self.err(
                        v.span(),
                        format!(
                            "when: unknown field {other:?}; valid: {}",
                            MATCH_KEYS.join(", ")
                        ),
                    );
                }
            }
        }
        Ok(m)
    }

    fn probability_ppm(&self, s: &toml::Spanned<String>) -> Result<u32, ScenarioError> {
        self.share_ppm("batch_hit_probability", s)
    }

    /// A decimal string between 0 and 1 with at most six decimals, in parts per million.
    fn share_ppm(&self, key: &str, s: &toml::Spanned<String>) -> Result<u32, ScenarioError> {
        let r = Ratio::parse(s.get_ref()).or_else(|m| self.err(s.span(), format!("{key}: {m}")))?;
        let ppm = u128::from(r.num) * 1_000_000;
        if r.num > r.den || ppm % u128::from(r.den) != 0 {
            return self.err(
                s.span(),
                format!("{key}: must be between 0 and 1 with at most six decimals"),
            );
        }
        Ok((ppm / u128::from(r.den)) as u32)
    }
}

/// One file's contents, before `extends` is resolved.
struct Partial {
    name: Option<String>,
    description: Option<String>,
    extends: Option<(String, usize)>,
    route: Option<RouteLever>,
    caps: Option<CapsLever>,
    batch: Option<BatchLever>,
    cache: Option<CacheLever>,
}

fn parse_partial(file: &str, text: &str, catalog: &Catalog) -> Result<Partial, ScenarioError> {
    let f: FileScenario = toml::from_str(text).map_err(|e| ScenarioError {
        file: file.to_string(),
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        message: e.message().trim_end_matches('\n').replace("expected one of `name`, `description`, `extends`, `route`, `caps`, `batch`, `cache`", "valid: name, description, extends, and the levers route, caps, batch, cache").to_string(),
    })?;
    let ctx = Ctx {
        file,
        text,
        catalog,
    };
    let route = match f.route {
        None => None,
        Some(r) => {
            let mut rules = Vec::new();
            for rule in &r.rule {
                rules.push(RouteRule {
                    when: ctx.when(&rule.when)?,
                    to: ctx.model(&rule.to)?,
                });
            }
            let policy_name = r.policy.as_ref().map_or("rules", |p| p.get_ref().as_str());
            let span = r.policy.as_ref().map_or(0..0, |p| p.span());
            let need_to = |what: &str| match &r.to {
                Some(to) => ctx.model(to),
                None => ctx.err(
                    span.clone(),
                    format!("route: policy {what:?} needs `to`, the target model"),
                ),
            };
            let policy = match policy_name {
                "rules" => RoutePolicy::Rules,
                "cascade" => RoutePolicy::Cascade {
                    to: need_to("cascade")?,
                    escalation: match &r.escalation {
                        None => Escalation::Evals,
                        Some(e) if e.get_ref() == "evals" => Escalation::Evals,
                        Some(e) => Escalation::Rate(ctx.share_ppm("route.escalation", e).or_else(
                            |_| {
                                ctx.err(
                                    e.span(),
                                    "route.escalation: \"evals\" or a rate between 0 and 1 as a string, e.g. \"0.15\"",
                                )
                            },
                        )?),
                    },
                },
                "oracle" => RoutePolicy::Oracle,
                "threshold" => RoutePolicy::Threshold {
                    to: need_to("threshold")?,
                    threshold_ppm: match &r.threshold {
                        Some(t) => ctx.share_ppm("route.threshold", t)?,
                        None => {
                            return ctx.err(
                                span,
                                "route: policy \"threshold\" needs `threshold`, a difficulty between 0 and 1 as a string",
                            )
                        }
                    },
                },
                other => {
                    return ctx.err(
                        span,
                        format!("route.policy: unknown policy {other:?}; valid: rules, cascade, oracle, threshold"),
                    )
                }
            };
            let rules_policy = policy == RoutePolicy::Rules;
            if !rules_policy && !r.rule.is_empty() {
                return ctx.err(
                    span,
                    format!("route: [[route.rule]] belongs to policy \"rules\", not {policy_name:?}; use `when` to choose the calls"),
                );
            }
            if rules_policy
                && (r.to.is_some()
                    || r.when.is_some()
                    || r.escalation.is_some()
                    || r.threshold.is_some())
            {
                return ctx.err(
                    span,
                    "route: `to`, `when`, `escalation` and `threshold` belong to the policies cascade, oracle and threshold; policy \"rules\" uses [[route.rule]]",
                );
            }
            if r.escalation.is_some() && !matches!(policy, RoutePolicy::Cascade { .. }) {
                return ctx.err(span, "route: `escalation` belongs to policy \"cascade\"");
            }
            if r.threshold.is_some() && !matches!(policy, RoutePolicy::Threshold { .. }) {
                return ctx.err(span, "route: `threshold` belongs to policy \"threshold\"");
            }
            if r.to.is_some() && policy == RoutePolicy::Oracle {
                return ctx.err(
                    span,
                    "route: policy \"oracle\" picks the model itself; remove `to`",
                );
            }
            let mut risk_budgets = Vec::new();
            for b in &r.risk_budget {
                risk_budgets.push((
                    ctx.when(&b.when)?,
                    ctx.share_ppm("risk_budget.max", &b.max)?,
                ));
            }
            let mut token_ratios = BTreeMap::new();
            for t in &r.token_ratio {
                let ratio = Ratio::parse(t.ratio.get_ref())
                    .or_else(|m| ctx.err(t.ratio.span(), format!("token_ratio.ratio: {m}")))?;
                if ratio.num == 0 {
                    return ctx.err(t.ratio.span(), "token_ratio.ratio: must be positive");
                }
                if u128::from(ratio.num) > u128::from(MAX_TOKEN_RATIO) * u128::from(ratio.den) {
                    return ctx.err(
                        t.ratio.span(),
                        format!(
                            "token_ratio.ratio: at most {MAX_TOKEN_RATIO} (tokenizers differ by well under 2x; a larger ratio is a typo)"
                        ),
                    );
                }
                token_ratios.insert((ctx.model(&t.from)?, ctx.model(&t.to)?), ratio);
            }
            Some(RouteLever {
                policy,
                rules,
                when: ctx.when(&r.when)?,
                token_ratios,
                risk_budgets,
                seed: r.seed,
                risk_target_ppm: match &r.risk_target {
                    None => DEFAULT_RISK_TARGET_PPM,
                    Some(t) => {
                        let ppm = ctx.share_ppm("route.risk_target", t)?;
                        if ppm == 0 || ppm == 1_000_000 {
                            return ctx.err(
                                t.span(),
                                "route.risk_target: must be strictly between 0 and 1",
                            );
                        }
                        ppm
                    }
                },
            })
        }
    };
    let caps = match f.caps {
        None => None,
        Some(c) => {
            let list = |v: &[FileCap]| {
                v.iter()
                    .map(|m| Ok((ctx.when(&m.when)?, m.tokens)))
                    .collect::<Result<Vec<_>, ScenarioError>>()
            };
            Some(CapsLever {
                max_output: list(&c.max_output)?,
                thinking_budget: list(&c.thinking_budget)?,
                context_trim: list(&c.context_trim)?,
            })
        }
    };
    let batch = match f.batch {
        None => None,
        Some(b) => Some(BatchLever {
            eligible: b
                .eligible
                .iter()
                .map(|e| ctx.when(&e.when))
                .collect::<Result<_, _>>()?,
            allow_interactive: b.allow_interactive,
        }),
    };
    let cache = match f.cache {
        None => None,
        Some(c) => {
            let policy = match c.policy.get_ref().as_str() {
                "recorded" => CachePolicy::Recorded,
                "off" => CachePolicy::Off,
                "replay" => CachePolicy::Replay,
                "auto" => CachePolicy::Auto,
                "optimal" => CachePolicy::Optimal,
                other => {
                    return ctx.err(
                        c.policy.span(),
                        format!(
                            "cache.policy: unknown policy {other:?}; valid: recorded, off, replay, auto, optimal"
                        ),
                    )
                }
            };
            let batch_hit_ppm = match &c.batch_hit_probability {
                None => 1_000_000,
                Some(p) => ctx.probability_ppm(p)?,
            };
            let fixed_ttl = match &c.ttl {
                None => None,
                Some(t) => {
                    if policy != CachePolicy::Auto {
                        return ctx.err(
                            t.span(),
                            format!(
                                "cache.ttl: only the auto policy takes a ttl, this one is {:?}",
                                policy.id()
                            ),
                        );
                    }
                    match t.get_ref().as_str() {
                        "auto" => None,
                        "5m" => Some(Ttl::FiveMinutes),
                        "1h" => Some(Ttl::OneHour),
                        other => {
                            return ctx.err(
                                t.span(),
                                format!("cache.ttl: unknown ttl {other:?}; valid: auto, 5m, 1h"),
                            )
                        }
                    }
                }
            };
            Some(CacheLever {
                policy,
                readable_delay_ms: c.readable_delay_ms,
                batch_hit_ppm,
                seed: c.seed,
                fixed_ttl,
            })
        }
    };
    Ok(Partial {
        name: f.name.map(|n| n.into_inner()),
        description: f.description,
        extends: f
            .extends
            .map(|e| (e.get_ref().clone(), line_of(text, e.span().start))),
        route,
        caps,
        batch,
        cache,
    })
}

/// Reads the file an `extends` names: `(extending file, name)` to `(file, text)`, or a message.
pub type Loader<'a> = dyn FnMut(&str, &str) -> Result<(String, String), String> + 'a;

/// Parses a scenario file. `load(path)` reads the file an `extends` names (relative paths are
/// resolved by the caller against the extending file's folder) and returns `(file, text)`.
/// Levers the file sets replace the parent's levers of the same kind; the rest are inherited.
pub fn parse_scenario(
    file: &str,
    text: &str,
    catalog: &Catalog,
    load: &mut Loader<'_>,
) -> Result<Scenario, ScenarioError> {
    let mut chain = vec![file.to_string()];
    let mut p = parse_partial(file, text, catalog)?;
    let Some(name) = p.name.clone() else {
        return Err(ScenarioError {
            file: file.into(),
            line: 1,
            message: "a scenario needs a `name`".into(),
        });
    };
    let mut current = file.to_string();
    while let Some((parent, line)) = p.extends.take() {
        let (pfile, ptext) = load(&current, &parent).map_err(|m| ScenarioError {
            file: current.clone(),
            line,
            message: format!("extends: {m}"),
        })?;
        if chain.contains(&pfile) {
            return Err(ScenarioError {
                file: current.clone(),
                line,
                message: format!("extends: cycle through {pfile}"),
            });
        }
        chain.push(pfile.clone());
        let q = parse_partial(&pfile, &ptext, catalog)?;
        p.route = p.route.or(q.route);
        p.caps = p.caps.or(q.caps);
        p.batch = p.batch.or(q.batch);
        p.cache = p.cache.or(q.cache);
        p.description = p.description.or(q.description);
        p.extends = q.extends;
        current = pfile;
    }
    Ok(Scenario {
        name,
        description: p.description.unwrap_or_default(),
        file: file.to_string(),
        route: p.route,
        caps: p.caps,
        batch: p.batch,
        cache: p.cache,
    })
}

#[cfg(test)]
mod tests;
