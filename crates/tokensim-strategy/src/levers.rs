//! The stateless part of the pipeline: route, then caps, then batch, then the cache plan. Each
//! lever sees one record and the counterfactual so far, changes it, and writes down what it did
//! in [`Decisions`], so reports can say which lever moved which dollars. The stateful cache
//! replay itself runs in the engine, one scope at a time, on the blocks planned here.

use tokensim_corpus::{LatencyClass, Record, Role, ServiceTier, Speed, Task};
use tokensim_pricing::{Catalog, Cost, ModelId, PicoUsd, Ratio, Terms, Tokens};

use crate::cache::{Block, Ttl};
use crate::scenario::{CachePolicy, Escalation, Match, RoutePolicy, Scenario};

/// The estimated share of degraded answers when a call moves to another model
/// (docs/quality-risk.md): what risk budgets and cascades decide with.
pub trait RiskModel: Sync {
    /// The posterior mean for this call's (workload, task) moving from `from` to `to`, in parts
    /// per million.
    fn degradation_ppm(&self, r: &Record, from: ModelId, to: ModelId) -> u32;
}

/// What the route lever did to a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteOutcome {
    /// The recorded model.
    pub from: ModelId,
    /// The model the policy chose.
    pub to: ModelId,
    /// The risk budget refused the move: the call kept its model.
    pub rejected: bool,
    /// Cascade: the cheap answer failed and the call ran again on the recorded model.
    pub escalated: bool,
}

/// What the levers did to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decisions {
    /// Sent to another model.
    pub routed: bool,
    /// Its recorded cache split carried over to the target model (`recorded` policy).
    pub cache_carried_over: bool,
    /// A carried-over cached prefix was below the target's minimum and became uncached input.
    pub carried_below_minimum: bool,
    /// Fast mode dropped because the target model has none.
    pub fast_dropped: bool,
    /// Output capped below what was recorded (the answer would have been truncated).
    pub truncated: bool,
    /// Moved to the Batch API.
    pub moved_to_batch: bool,
    /// Moved to the Batch API although labelled interactive.
    pub moved_interactive: bool,
    /// Eligible for batch but in fast mode, which the Batch API does not offer.
    pub batch_blocked_fast: bool,
    /// Re-simulated by the cache replay.
    pub cache_simulated: bool,
    /// The cache policy simulates, but the call has no segments: recorded usage kept.
    pub no_prefix_data: bool,
    /// A batch call that lost its cache-hit draw.
    pub lost_hit_draw: bool,
    /// A route refused by the risk budget.
    pub route_rejected: bool,
    /// Cascade: escalated to the recorded model.
    pub escalated: bool,
    /// Thinking tokens cut to the thinking budget (output shrinks by the difference).
    pub thinking_capped: bool,
    /// A thinking budget applied, but the call does not record its thinking tokens.
    pub thinking_unknown: bool,
    /// Oldest turns dropped to fit the context budget.
    pub context_trimmed: bool,
    /// A context budget applied and was exceeded, but the call has no segments to trim.
    pub trim_no_segments: bool,
}

/// A call as the scenario would have made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counterfactual {
    /// The model that serves it.
    pub model: ModelId,
    /// Its usage (for a simulated call, the engine replaces the input split).
    pub tokens: Tokens,
    /// Through the Batch API.
    pub batch: bool,
    /// US-only residency.
    pub us_residency: bool,
    /// Fast mode.
    pub fast: bool,
    /// Blocks to replay through the scope's cache, when the policy simulates and the call has
    /// segments.
    pub simulate: Option<Vec<Block>>,
    /// When what it writes becomes readable, after its start.
    pub readable_delay_ns: i64,
    /// Whether it may read the cache (false for a batch call that lost its hit draw).
    pub may_hit: bool,
    /// Under the `auto` policy, where its breakpoints are and which statistics pick their TTLs.
    pub auto: Option<AutoPlan>,
    /// What the levers did.
    pub decisions: Decisions,
    /// What routing decided, when a policy picked another model (applied or rejected).
    pub route: Option<RouteOutcome>,
    /// Cascade: the escalated call on the recorded model, billed as recorded.
    pub escalated: Option<Box<(Tokens, Cost)>>,
    /// Context trim: the range of segments dropped (oldest turns).
    pub trimmed: Option<(usize, usize)>,
}

impl Counterfactual {
    /// A call on `model` that no lever has touched, with no tokens: a slot for [`plan_in`],
    /// which starts every plan from it.
    pub fn unplanned(model: ModelId) -> Counterfactual {
        Counterfactual {
            model,
            tokens: Tokens::default(),
            batch: false,
            us_residency: false,
            fast: false,
            simulate: None,
            readable_delay_ns: 0,
            may_hit: true,
            auto: None,
            decisions: Decisions::default(),
            route: None,
            escalated: None,
            trimmed: None,
        }
    }

    /// What a cascade's escalated call (billed as recorded) adds to this call's cost; zero
    /// without one.
    pub fn escalated_cost(&self) -> PicoUsd {
        self.escalated.as_ref().map_or(PicoUsd(0), |e| e.1.total())
    }
}

/// Where the `auto` policy put a call's breakpoints, and the keys of the statistics that choose
/// their TTLs in the engine's cache stage (which sees calls in time order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoPlan {
    /// The prefix family: a chain hash of the blocks through the first breakpoint.
    pub family: u64,
    /// The breakpoint after the stable prefix (the last tools or system block).
    pub stable: Option<usize>,
    /// The breakpoint at the end of the conversation history (the last block).
    pub end: Option<usize>,
    /// The conversation the call continues (its `conversation_id`, else its family).
    pub conversation: u64,
    /// The unit of the `optimal` policy's choice: the family when the call has a stable prefix,
    /// else its first block (calls in different units never share a cache entry).
    pub unit: u64,
    /// Placed for the `optimal` policy: the TTLs come from the survey's choice for the unit, not
    /// from the statistics so far.
    pub hindsight: bool,
    /// The scenario's `cache.ttl`: every breakpoint gets this TTL, statistics aside.
    pub fixed: Option<Ttl>,
}

/// The static breakpoint choices the `optimal` policy compares per unit: the TTL (or none) of
/// the stable-prefix breakpoint and of the end-of-history breakpoint. A 1-hour end after a
/// 5-minute stable prefix is invalid (longer TTLs first) and left out. On a tie the earlier
/// choice wins, so fewer and shorter writes are preferred.
pub const OPTIMAL_CHOICES: [(Option<Ttl>, Option<Ttl>); 8] = {
    const N: Option<Ttl> = None;
    const F: Option<Ttl> = Some(Ttl::FiveMinutes);
    const H: Option<Ttl> = Some(Ttl::OneHour);
    [
        (N, N),
        (N, F),
        (N, H),
        (F, N),
        (F, F),
        (H, N),
        (H, F),
        (H, H),
    ]
};

impl AutoPlan {
    /// Sets the breakpoints of the blocks to a (stable, end) choice.
    pub fn apply(&self, choice: (Option<Ttl>, Option<Ttl>), blocks: &mut [Block]) {
        if let Some(i) = self.stable {
            blocks[i].breakpoint = choice.0;
        }
        if let Some(i) = self.end {
            blocks[i].breakpoint = choice.1;
        }
    }
}

fn chain(blocks: &[Block]) -> u64 {
    let mut h: u64 = 0x243f_6a88_85a3_08d3;
    for b in blocks {
        h = (h ^ b.hash).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^= h >> 29;
    }
    h
}

/// Places `auto` breakpoints: after the stable prefix (the last tools or system block), and at
/// the last block when the prompt carries conversation history (an assistant or tool_result
/// block, or a conversation id) or has no stable prefix at all. The TTLs are left to the engine.
pub fn place_auto_breakpoints(
    blocks: &[Block],
    roles: &[Role],
    conversation_id: Option<&str>,
) -> Option<AutoPlan> {
    let last = blocks.len().checked_sub(1)?;
    let stable = roles
        .iter()
        .rposition(|r| matches!(r, Role::Tools | Role::System));
    let history = conversation_id.is_some()
        || roles
            .iter()
            .any(|r| matches!(r, Role::Assistant | Role::ToolResult));
    let end = (history || stable.is_none())
        .then_some(last)
        .filter(|&e| Some(e) != stable);
    let first = stable.or(end)?;
    let family = chain(&blocks[..=first]);
    let conversation = match conversation_id {
        Some(id) => {
            let mut h: u64 = 0x1319_8a2e_0370_7344;
            for b in id.bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
            h
        }
        None => family,
    };
    let unit = match stable {
        Some(_) => family,
        None => chain(&blocks[..1]) ^ 0x5be0_cd19_137e_2179,
    };
    Some(AutoPlan {
        family,
        stable,
        end,
        conversation,
        unit,
        hindsight: false,
        fixed: None,
    })
}

/// Reuse statistics of a prefix family (or of its conversations' turns), and the `auto`
/// policy's choice from them.
///
/// Per cached token, relative to the input price: a read costs 0.1, a 5-minute write 1.25, a
/// 1-hour write 2 and no caching 1. Of `calls` calls, `short` came within 5 minutes of the
/// previous one and `mid` within the hour; the others (the first, and those after longer gaps)
/// would have written. The choice is the cheapest of none, 5m and 1h on that history:
/// `none = calls`, `5m = 0.1 short + 1.25 (calls - short)`, `1h = 0.1 (short + mid) + 2 (calls -
/// short - mid)`, compared in integers (x20).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReuseStats {
    /// Calls seen.
    pub calls: u64,
    /// Of which within 5 minutes of the previous one.
    pub short: u64,
    /// Of which after more than 5 minutes, within the hour.
    pub mid: u64,
}

impl ReuseStats {
    /// Counts a call; `gap_ns` is the time since the previous call it follows, if any.
    pub fn observe(&mut self, gap_ns: Option<i64>) {
        self.calls += 1;
        match gap_ns {
            Some(g) if g <= Ttl::FiveMinutes.duration_ns() => self.short += 1,
            Some(g) if g <= Ttl::OneHour.duration_ns() => self.mid += 1,
            _ => {}
        }
    }

    /// The cheapest choice on the history so far (`None`: do not cache).
    pub fn choose(&self) -> Option<Ttl> {
        let (c, s, m) = (self.calls, self.short, self.mid);
        let none = 20 * c;
        let five = 2 * s + 25 * (c - s);
        let hour = 2 * (s + m) + 40 * (c - s - m);
        if five < none && five <= hour {
            Some(Ttl::FiveMinutes)
        } else if hour < none {
            Some(Ttl::OneHour)
        } else {
            None
        }
    }
}

/// A call's difficulty in parts per million: its `difficulty` field, or the documented heuristic
/// (docs/routing.md): a base by task class, plus 0.05 per doubling of the total input above 2,000
/// tokens (at most 0.2), plus 0.1 when the prompt carries tools, at most 1.
pub fn difficulty_ppm(r: &Record) -> u32 {
    if let Some(d) = r.difficulty_ppm {
        return d;
    }
    let base: u32 = match r.task {
        Some(Task::Classification) => 100_000,
        Some(Task::Extraction) => 200_000,
        Some(Task::Summarization) => 300_000,
        Some(Task::Chat) => 400_000,
        Some(Task::Code) => 600_000,
        Some(Task::Reasoning) => 700_000,
        Some(Task::Agent) => 800_000,
        Some(Task::Other) | None => 500_000,
    };
    let total = r.usage.total_input_tokens();
    let mut doublings = 0u32;
    while doublings < 4 && total > 2_000u64 << (doublings + 1) {
        doublings += 1;
    }
    let tools = if has_tools(r) { 100_000 } else { 0 };
    (base + 50_000 * doublings + tools).min(1_000_000)
}

fn has_tools(r: &Record) -> bool {
    r.segments.iter().any(|s| s.role == Role::Tools)
}

/// A seeded draw for a call (its `id`, else its content; never its position) against a rate in
/// parts per million: the cascade's escalation when the call has no eval of its own.
pub fn draw(seed: u64, r: &Record, ppm: u32) -> bool {
    ppm > 0 && wins_hit_draw(seed ^ 0x6a09_e667_f3bc_c908, r, ppm)
}

impl Match {
    /// Whether a record (served by `model` as recorded) matches.
    pub fn matches(&self, r: &Record, model: ModelId) -> bool {
        fn any(list: &[String], v: Option<&str>) -> bool {
            list.is_empty() || v.is_some_and(|v| list.iter().any(|x| x == v))
        }
        any(&self.team, r.team.as_deref())
            && any(&self.app, r.app.as_deref())
            && any(&self.feature, r.feature.as_deref())
            && (self.model.is_empty() || self.model.contains(&model))
            && (self.task.is_empty() || r.task.is_some_and(|t| self.task.contains(&t)))
            && (self.latency_class.is_empty()
                || r.latency_class
                    .is_some_and(|c| self.latency_class.contains(&c)))
            && (self.tag.is_empty() || self.tag.iter().any(|t| r.tags.iter().any(|x| x == t)))
            && self.stream.is_none_or(|s| r.stream == Some(s))
            && (self.service_tier.is_empty() || self.service_tier.contains(&r.service_tier))
            && self.input_tokens.contains(r.usage.total_input_tokens())
            && self.output_tokens.contains(r.usage.output_tokens)
            && (!self.thinking_tokens.is_set()
                || r.thinking_tokens
                    .is_some_and(|t| self.thinking_tokens.contains(t)))
            && self
                .tools
                .is_none_or(|t| !r.segments.is_empty() && has_tools(r) == t)
    }
}

/// Scales a token count by a ratio, rounding half up (DESIGN 5a).
pub fn scale(tokens: u64, ratio: Ratio) -> u64 {
    if ratio == Ratio::ONE {
        return tokens;
    }
    let n = u128::from(tokens) * u128::from(ratio.num);
    let d = u128::from(ratio.den);
    u64::try_from((2 * n + d) / (2 * d)).expect("scaled token count fits")
}

/// The deterministic hit draw of a batch call: a seeded hash of its `id`, or, when it has none,
/// of its content (time, model, attribution, conversation and usage), compared with the
/// probability in parts per million. Never of its position: splitting a corpus into files, or
/// reordering them, must not change any draw.
pub fn wins_hit_draw(seed: u64, r: &Record, ppm: u32) -> bool {
    if ppm >= 1_000_000 {
        return true;
    }
    let mut h = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut mix = |x: u64| {
        h = (h ^ x).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        h ^= h >> 31;
    };
    let mut text = |s: &str| {
        s.bytes().for_each(|b| mix(u64::from(b)));
        mix(0xff);
    };
    match &r.id {
        Some(id) => text(id),
        None => {
            text(&r.model);
            for part in [
                &r.workspace,
                &r.team,
                &r.app,
                &r.feature,
                &r.conversation_id,
            ] {
                text(part.as_deref().unwrap_or(""));
            }
            let u = &r.usage;
            for x in [
                r.ts.0 as u64,
                u.input_tokens,
                u.output_tokens,
                u.cache_write_5m_tokens,
                u.cache_write_1h_tokens,
                u.cache_read_input_tokens,
                r.segments.first().map_or(0, |s| s.hash),
            ] {
                mix(x);
            }
        }
    }
    h % 1_000_000 < u64::from(ppm)
}

/// The oracle's choice: the cheapest model whose recorded eval passed, priced on the call's
/// recorded usage (scaled by the pair's token ratio) and terms; the recorded model when no
/// passing model is cheaper. Ties keep the recorded model, then the first eval listed.
fn oracle(
    r: &Record,
    model: ModelId,
    catalog: &Catalog,
    ratios: &std::collections::BTreeMap<(ModelId, ModelId), Ratio>,
) -> Option<ModelId> {
    let terms = |m: ModelId| Terms {
        day: r.ts.day(),
        batch: r.service_tier == ServiceTier::Batch,
        us_residency: r.us_residency(),
        fast: r.speed == Speed::Fast && catalog.has_fast(m, r.ts.day()),
    };
    let cost = |m: ModelId| {
        let ratio = ratios.get(&(model, m)).copied().unwrap_or(Ratio::ONE);
        let t = Tokens::recorded(r).scaled(ratio);
        catalog.price(m, &t, &terms(m)).ok().map(|c| c.total())
    };
    let mut best = (cost(model)?, model);
    for e in r.evals.iter().filter(|e| e.pass) {
        let Ok(m) = catalog.resolve(&e.model) else {
            continue;
        };
        if let Some(c) = cost(m) {
            if c < best.0 {
                best = (c, m);
            }
        }
    }
    Some(best.1)
}

trait Scaled {
    fn scaled(self, ratio: Ratio) -> Self;
}

impl Scaled for Tokens {
    /// Every token component scaled by the ratio, each rounded half up (DESIGN 5a).
    fn scaled(self, ratio: Ratio) -> Tokens {
        Tokens {
            input: scale(self.input, ratio),
            cache_write_5m: scale(self.cache_write_5m, ratio),
            cache_write_1h: scale(self.cache_write_1h, ratio),
            cache_read: scale(self.cache_read, ratio),
            output: scale(self.output, ratio),
            web_search_requests: self.web_search_requests,
        }
    }
}

/// Context trim (docs/scenarios.md): when a prompt's total input is above the budget, drop its
/// oldest conversation segments (after the tools and system blocks, never the last segment) until
/// it fits or nothing more can go. Under the `recorded` cache policy the trimmed prompt keeps at
/// most its stable prefix (tools and system) cached: the history it read or wrote shifts on every
/// trimmed turn. Reads are kept first, then 1-hour writes, then 5-minute writes, up to the stable
/// prefix's tokens; the rest of the input is uncached. Simulating policies replay the trimmed
/// blocks instead.
fn trim_context(
    r: &Record,
    ratio: Ratio,
    budget: u64,
    policy: CachePolicy,
    cf: &mut Counterfactual,
) {
    let total = cf.tokens.total_input();
    if total <= budget {
        return;
    }
    if r.segments.is_empty() {
        cf.decisions.trim_no_segments = true;
        return;
    }
    let tokens: Vec<u64> = r.segments.iter().map(|s| scale(s.tokens, ratio)).collect();
    let first = r
        .segments
        .iter()
        .position(|s| !matches!(s.role, Role::Tools | Role::System))
        .unwrap_or(r.segments.len());
    let last = r.segments.len().saturating_sub(1);
    let mut end = first;
    let mut dropped = 0u64;
    while end < last && total - dropped > budget {
        dropped += tokens[end];
        end += 1;
    }
    if end == first {
        return;
    }
    cf.trimmed = Some((first, end));
    cf.decisions.context_trimmed = true;
    let new_total = total - dropped;
    let t = &mut cf.tokens;
    if policy == CachePolicy::Recorded {
        let stable: u64 = tokens[..first].iter().sum();
        let read = t.cache_read.min(stable);
        let w1h = t.cache_write_1h.min(stable - read);
        let w5m = t.cache_write_5m.min(stable - read - w1h);
        t.cache_read = read;
        t.cache_write_1h = w1h;
        t.cache_write_5m = w5m;
        t.input = new_total - read - w1h - w5m;
    } else {
        // `off` bills every token as input; simulating policies replace the split with the
        // replay of the trimmed blocks.
        t.input = new_total;
        t.cache_read = 0;
        t.cache_write_1h = 0;
        t.cache_write_5m = 0;
    }
}

/// Applies the scenario's stateless levers to one record whose recorded model is `model`.
pub fn plan(
    s: &Scenario,
    r: &Record,
    model: ModelId,
    catalog: &Catalog,
    risk: &dyn RiskModel,
) -> Counterfactual {
    let mut blocks = Vec::new();
    let mut cf = Counterfactual::unplanned(model);
    plan_in(s, r, model, catalog, risk, &mut blocks, &mut cf);
    if cf.decisions.cache_simulated {
        cf.simulate = Some(blocks);
    }
    cf
}

/// [`plan`], for the replay engine, which plans every call of every scenario: the
/// counterfactual is written over `cf`, whatever it held (returning each one and moving it into
/// a list was most of a five-scenario run's memory copying in perf), and a re-simulated call's
/// blocks are appended to `blocks` instead of a vector of their own (the engine keeps a chunk's
/// side by side). `simulate` stays `None`; when `decisions.cache_simulated` is set, the call's
/// blocks are the ones appended (nothing is appended otherwise).
pub fn plan_in(
    s: &Scenario,
    r: &Record,
    model: ModelId,
    catalog: &Catalog,
    risk: &dyn RiskModel,
    blocks: &mut Vec<Block>,
    cf: &mut Counterfactual,
) {
    *cf = Counterfactual {
        tokens: Tokens::recorded(r),
        batch: r.service_tier == ServiceTier::Batch,
        us_residency: r.us_residency(),
        fast: r.speed == Speed::Fast,
        ..Counterfactual::unplanned(model)
    };
    let policy = s.cache.as_ref().map_or(CachePolicy::Recorded, |c| c.policy);
    let day = r.ts.day();
    let mut ratio = Ratio::ONE;

    if let Some(route) = &s.route {
        let target = match route.policy {
            RoutePolicy::Rules => route
                .rules
                .iter()
                .find(|rule| rule.when.matches(r, model))
                .map(|rule| rule.to),
            RoutePolicy::Cascade { to, .. } => route.when.matches(r, model).then_some(to),
            RoutePolicy::Threshold { to, threshold_ppm } => {
                (route.when.matches(r, model) && difficulty_ppm(r) < threshold_ppm).then_some(to)
            }
            RoutePolicy::Oracle => route
                .when
                .matches(r, model)
                .then(|| oracle(r, model, catalog, &route.token_ratios))
                .flatten(),
        };
        let mut target = target.filter(|&to| to != model);
        if let Some(to) = target {
            let rejected = route
                .budget_ppm(r, model)
                .is_some_and(|b| risk.degradation_ppm(r, model, to) > b);
            let escalated = !rejected
                && match route.policy {
                    RoutePolicy::Cascade { escalation, .. } => {
                        let own = r
                            .evals
                            .iter()
                            .find(|e| catalog.resolve(&e.model).is_ok_and(|m| m == to));
                        match (escalation, own) {
                            (Escalation::Evals, Some(e)) => !e.pass,
                            (Escalation::Evals, None) => {
                                draw(route.seed, r, risk.degradation_ppm(r, model, to))
                            }
                            (Escalation::Rate(p), _) => draw(route.seed, r, p),
                        }
                    }
                    _ => false,
                };
            cf.route = Some(RouteOutcome {
                from: model,
                to,
                rejected,
                escalated,
            });
            cf.decisions.route_rejected = rejected;
            cf.decisions.escalated = escalated;
            if escalated {
                // The cheap answer failed: the call runs again on the recorded model, billed as
                // it was recorded (its own tier and cache split).
                let t = Tokens::recorded(r);
                let terms = Terms {
                    day,
                    batch: r.service_tier == ServiceTier::Batch,
                    us_residency: r.us_residency(),
                    fast: r.speed == Speed::Fast,
                };
                let cost = catalog
                    .price(model, &t, &terms)
                    .expect("a recorded call that priced prices again");
                cf.escalated = Some(Box::new((t, cost)));
            }
            if rejected {
                target = None;
            }
        }
        if let Some(to) = target {
            {
                ratio = route
                    .token_ratios
                    .get(&(model, to))
                    .copied()
                    .unwrap_or(Ratio::ONE);
                cf.tokens = cf.tokens.scaled(ratio);
                let t = &mut cf.tokens;
                cf.model = to;
                cf.decisions.routed = true;
                if cf.fast && !catalog.has_fast(to, day) {
                    cf.fast = false;
                    cf.decisions.fast_dropped = true;
                }
                if policy == CachePolicy::Recorded {
                    // Caches are per model: the steady-state assumption is that the same traffic
                    // warms the target the same way, except below the target's minimum.
                    let cached = t.cache_read + t.cache_write_5m + t.cache_write_1h;
                    if cached > 0 {
                        cf.decisions.cache_carried_over = true;
                        if cached < catalog.model(to).min_cacheable_tokens {
                            t.input += cached;
                            t.cache_read = 0;
                            t.cache_write_5m = 0;
                            t.cache_write_1h = 0;
                            cf.decisions.carried_below_minimum = true;
                        }
                    }
                }
            }
        }
    }

    if let Some(caps) = &s.caps {
        if let Some((_, budget)) = caps
            .thinking_budget
            .iter()
            .find(|(m, _)| m.matches(r, model))
        {
            match r.thinking_tokens {
                None => cf.decisions.thinking_unknown = true,
                Some(t) => {
                    // Thinking is part of the output; on a routed call it scales like it.
                    let t = scale(t, ratio);
                    if t > *budget {
                        cf.tokens.output -= (t - budget).min(cf.tokens.output);
                        cf.decisions.thinking_capped = true;
                    }
                }
            }
        }
        if let Some((_, budget)) = caps.context_trim.iter().find(|(m, _)| m.matches(r, model)) {
            trim_context(r, ratio, *budget, policy, cf);
        }
        if let Some((_, cap)) = caps.max_output.iter().find(|(m, _)| m.matches(r, model)) {
            if cf.tokens.output > *cap {
                cf.tokens.output = *cap;
                cf.decisions.truncated = true;
            }
        }
    }

    if let Some(batch) = &s.batch {
        if !cf.batch && batch.eligible.iter().any(|m| m.matches(r, model)) {
            if cf.fast {
                cf.decisions.batch_blocked_fast = true;
            } else {
                cf.batch = true;
                cf.decisions.moved_to_batch = true;
                cf.decisions.moved_interactive = r.latency_class == Some(LatencyClass::Interactive);
            }
        }
    }

    match (policy, &s.cache) {
        (CachePolicy::Recorded, _) | (_, None) => {}
        (CachePolicy::Off, _) => {
            let t = &mut cf.tokens;
            t.input += t.cache_read + t.cache_write_5m + t.cache_write_1h;
            t.cache_read = 0;
            t.cache_write_5m = 0;
            t.cache_write_1h = 0;
        }
        (CachePolicy::Replay | CachePolicy::Auto | CachePolicy::Optimal, Some(c)) => {
            if r.segments.is_empty() {
                cf.decisions.no_prefix_data = true;
            } else {
                let dropped = cf.trimmed.unwrap_or((0, 0));
                let block = |seg: &tokensim_corpus::Segment| Block {
                    hash: seg.hash,
                    tokens: scale(seg.tokens, ratio),
                    tool_result: seg.role == Role::ToolResult,
                    breakpoint: seg.cache_control.map(|t| match t {
                        tokensim_corpus::CacheTtl::FiveMinutes => Ttl::FiveMinutes,
                        tokensim_corpus::CacheTtl::OneHour => Ttl::OneHour,
                    }),
                };
                // Untrimmed (the common case), the blocks are a plain map of the segments, which
                // extends in one tight loop; a trim filters.
                let start = blocks.len();
                blocks.reserve(r.segments.len());
                if dropped.0 == dropped.1 {
                    blocks.extend(r.segments.iter().map(block));
                } else {
                    blocks.extend(
                        r.segments
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| !(dropped.0..dropped.1).contains(i))
                            .map(|(_, seg)| block(seg)),
                    );
                }
                let blocks = &mut blocks[start..];
                if matches!(policy, CachePolicy::Auto | CachePolicy::Optimal) {
                    for b in blocks.iter_mut() {
                        b.breakpoint = None;
                    }
                    let mut roles: Vec<Role> = Vec::with_capacity(r.segments.len());
                    roles.extend(
                        r.segments
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| !(dropped.0..dropped.1).contains(i))
                            .map(|(_, s)| s.role),
                    );
                    cf.auto = place_auto_breakpoints(blocks, &roles, r.conversation_id.as_deref())
                        .map(|p| AutoPlan {
                            hindsight: policy == CachePolicy::Optimal,
                            fixed: c.fixed_ttl,
                            ..p
                        });
                }
                cf.decisions.cache_simulated = true;
                let delay_ms = r.latency_ms.unwrap_or(c.readable_delay_ms);
                cf.readable_delay_ns = i64::try_from(delay_ms)
                    .unwrap_or(i64::MAX / 4)
                    .saturating_mul(1_000_000);
                if cf.batch && !wins_hit_draw(c.seed, r, c.batch_hit_ppm) {
                    cf.may_hit = false;
                    cf.decisions.lost_hit_draw = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
