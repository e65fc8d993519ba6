//! The generators: for one (archetype, day) they draw the day's requests and turn them into
//! [`Pending`] records with their prompt segments, timing and output.
//!
//! Every number that shapes a workload is a named constant here, and `docs/demo-corpus.md`
//! documents each one. Token counts are lognormal or Pareto draws, clamped; times are whole
//! milliseconds.
//!
//! Content identity: a segment's hash is a keyed hash of (seed, archetype, content kind, content
//! ids). Shared content (a system prompt version, a tool list, a retrieved document) hashes the
//! same wherever it appears, and its size is derived from the same hash, so equal hashes always
//! carry equal token counts. Per-conversation content is keyed by the session.

use tokensim_strategy::cache::Ttl;

use crate::archetype::{degraded_pct, Kind, Profile, Spec, EVAL_RATE_BP};
use crate::record::{Eval, Pending, Role, Seg};
use crate::rng::{hash_parts, lognormal, pareto, str_id, Clamped, Rng};
use crate::time::{HOUR_MS, MINUTE_MS};

// ---- support-chat ------------------------------------------------------------------------------

/// Tool definitions: tokens uniform in this range per prompt version.
const SUPPORT_TOOLS_TOKENS: (u64, u64) = (900, 1_500);
/// System prompt: tokens uniform in this range per prompt version.
const SUPPORT_SYSTEM_TOKENS: (u64, u64) = (3_000, 6_000);
/// The support prompt (tools and system) is redeployed every 7 days.
const SUPPORT_VERSION_DAYS: i64 = 7;
/// Turns per conversation: weights of 1, 2, ..., 8 turns (mean 3.5).
const SUPPORT_TURN_WEIGHTS: [u32; 8] = [10, 22, 24, 18, 11, 7, 5, 3];
/// The customer's first message (with account context).
const SUPPORT_FIRST_MESSAGE: Clamped = lognormal(120.0, 0.8, 8, 3_000);
/// Later customer messages.
const SUPPORT_LATER_MESSAGE: Clamped = lognormal(60.0, 0.9, 3, 2_000);
/// Reply tokens.
const SUPPORT_OUTPUT: Clamped = lognormal(170.0, 0.6, 15, 1_024);
/// `max_tokens` of a reply.
const SUPPORT_MAX_TOKENS: u64 = 1_024;
/// Customer think time between the end of a reply and the next message (median 40 s).
const SUPPORT_GAP_MS: Clamped = lognormal(40_000.0, 0.9, 5_000, 1_800_000);
/// `channel` tag.
const SUPPORT_CHANNELS: [(&str, u32); 3] = [("web", 60), ("email", 25), ("in-app", 15)];

// ---- rag-answer --------------------------------------------------------------------------------

/// Answering instructions (system): stable, tokens uniform in this range per version.
const RAG_INSTRUCTIONS_TOKENS: (u64, u64) = (2_200, 2_600);
/// The instructions change every 30 days.
const RAG_VERSION_DAYS: i64 = 30;
/// Documents retrieved per question, uniform.
const RAG_DOCS_PER_QUERY: (u64, u64) = (3, 10);
/// Documents in the knowledge base; document `i` is drawn with `i = floor(N * u^3)` (popular
/// documents recur, so their hashes repeat).
const RAG_CORPUS_DOCS: u64 = 20_000;
/// Document sizes (fixed per document): heavy-tailed.
const RAG_DOC_TOKENS: Clamped = lognormal(7_000.0, 1.0, 300, 120_000);
/// Questions per session over the same retrieved documents: weights of 1, 2, 3, 4 (mean 1.73).
const RAG_TURN_WEIGHTS: [u32; 4] = [55, 25, 12, 8];
/// Time to a follow-up question after an answer (median 60 s).
const RAG_GAP_MS: Clamped = lognormal(60_000.0, 0.8, 5_000, 1_800_000);
/// The user's question.
const RAG_QUESTION: Clamped = lognormal(45.0, 0.7, 5, 800);
/// Answer tokens.
const RAG_OUTPUT: Clamped = lognormal(380.0, 0.5, 40, 2_048);
/// `max_tokens` of an answer.
const RAG_MAX_TOKENS: u64 = 2_048;

// ---- ticket-classify ---------------------------------------------------------------------------

/// Few-shot system prompt: tokens uniform in this range per version.
const CLASSIFY_FEWSHOT_TOKENS: (u64, u64) = (1_800, 2_200);
/// The few-shot prompt changes every 14 days.
const CLASSIFY_VERSION_DAYS: i64 = 14;
/// The ticket to classify.
const CLASSIFY_ITEM: Clamped = lognormal(220.0, 0.7, 15, 4_000);
/// Label tokens.
const CLASSIFY_OUTPUT: Clamped = lognormal(10.0, 0.5, 1, 64);
/// `max_tokens`.
const CLASSIFY_MAX_TOKENS: u64 = 64;
/// `queue` tag.
const CLASSIFY_QUEUES: [(&str, u32); 3] = [("billing", 30), ("technical", 50), ("account", 20)];

// ---- nightly-digest ----------------------------------------------------------------------------

/// Summarization instructions: tokens uniform in this range per version.
const NIGHTLY_SYSTEM_TOKENS: (u64, u64) = (850, 1_050);
/// The instructions change every 30 days.
const NIGHTLY_VERSION_DAYS: i64 = 30;
/// One call transcript.
const NIGHTLY_TRANSCRIPT: Clamped = lognormal(6_500.0, 0.7, 400, 90_000);
/// Summary tokens.
const NIGHTLY_OUTPUT: Clamped = lognormal(450.0, 0.4, 80, 1_500);
/// `max_tokens`.
const NIGHTLY_MAX_TOKENS: u64 = 1_500;

// ---- eval-grade-batch --------------------------------------------------------------------------

/// Grading rubric (system, 5m breakpoint): tokens uniform in this range per version.
const GRADE_RUBRIC_TOKENS: (u64, u64) = (2_000, 2_400);
/// The rubric changes every 7 days.
const GRADE_VERSION_DAYS: i64 = 7;
/// The sample to grade.
const GRADE_SAMPLE: Clamped = lognormal(1_400.0, 0.8, 50, 30_000);
/// Verdict tokens.
const GRADE_OUTPUT: Clamped = lognormal(120.0, 0.5, 5, 512);
/// `max_tokens`.
const GRADE_MAX_TOKENS: u64 = 512;
/// Batch turnaround, recorded as `latency_ms` (median 20 min).
const GRADE_LATENCY_MS: Clamped = lognormal(1_200_000.0, 0.8, 30_000, 43_200_000);

// ---- coding-agent ------------------------------------------------------------------------------

/// Repositories: weight, and the `repo` tag. The system prompt is per (repo, day).
const AGENT_REPOS: [(&str, u32); 6] = [
    ("monorepo", 40),
    ("web-app", 20),
    ("billing-service", 15),
    ("infra", 10),
    ("data-pipelines", 10),
    ("mobile", 5),
];
/// `client` tag.
const AGENT_CLIENTS: [(&str, u32); 2] = [("cli", 70), ("ide", 30)];
/// Tool definitions: tokens uniform in this range per client release.
const AGENT_TOOLS_TOKENS: (u64, u64) = (11_000, 13_000);
/// A client release (new tool definitions) every 3 days.
const AGENT_TOOLS_VERSION_DAYS: i64 = 3;
/// System prompt (environment, repo instructions, date): uniform in this range per (repo, day).
const AGENT_SYSTEM_TOKENS: (u64, u64) = (2_500, 4_000);
/// The developer's opening prompt.
const AGENT_FIRST_PROMPT: Clamped = lognormal(900.0, 0.9, 20, 20_000);
/// Requests (steps) per session.
const AGENT_STEPS: Clamped = lognormal(16.0, 0.8, 2, 150);
/// Tokens per assistant turn (tool calls, edits, explanations).
const AGENT_OUTPUT: Clamped = lognormal(260.0, 1.0, 8, 16_000);
/// `max_tokens`.
const AGENT_MAX_TOKENS: u64 = 32_000;
/// One tool result (file reads, command output): Pareto, heavy tail.
const AGENT_TOOL_RESULT: Clamped = pareto(400.0, 1.1, 20, 50_000);
/// Share of steps (basis points) with 2-4 parallel tool calls, whose results form one run.
const AGENT_PARALLEL_BP: u64 = 2_000;
/// Share of steps (basis points) where the developer interjects instead of a tool result.
const AGENT_INTERJECT_BP: u64 = 800;
/// The developer's interjection.
const AGENT_USER_MESSAGE: Clamped = lognormal(80.0, 1.0, 2, 3_000);
/// Tool execution time between a response and the next request (median 2.5 s).
const AGENT_TOOL_GAP_MS: Clamped = lognormal(2_500.0, 1.3, 100, 900_000);
/// Developer think time before an interjection (median 90 s; about 16% exceed 5 minutes).
const AGENT_USER_GAP_MS: Clamped = lognormal(90_000.0, 1.2, 3_000, 7_200_000);
/// Share of steps (basis points) that run web searches (1-3), billed per search.
const AGENT_WEB_SEARCH_BP: u64 = 400;
/// Search results per search, carried into the next request's context.
const AGENT_SEARCH_RESULT: Clamped = lognormal(2_500.0, 0.4, 500, 8_000);
/// When a request's context would exceed this, the history is compacted into a summary.
const AGENT_COMPACT_AT: u64 = 160_000;
/// The compaction summary.
const AGENT_SUMMARY: Clamped = lognormal(4_000.0, 0.4, 1_500, 12_000);

// ---- internal-copilot --------------------------------------------------------------------------

/// Tool definitions: tokens uniform in this range per weekly version.
const COPILOT_TOOLS_TOKENS: (u64, u64) = (1_300, 1_800);
/// System prompt: tokens uniform in this range per weekly version.
const COPILOT_SYSTEM_TOKENS: (u64, u64) = (2_900, 3_700);
/// The copilot prompt is redeployed every 7 days.
const COPILOT_VERSION_DAYS: i64 = 7;
/// Turns per conversation: weights of 1, 2, ..., 6 turns.
const COPILOT_TURN_WEIGHTS: [u32; 6] = [30, 25, 18, 12, 9, 6];
/// An employee's message (pasted text included).
const COPILOT_MESSAGE: Clamped = lognormal(150.0, 1.0, 5, 8_000);
/// Answer tokens.
const COPILOT_OUTPUT: Clamped = lognormal(350.0, 0.7, 20, 4_096);
/// `max_tokens`.
const COPILOT_MAX_TOKENS: u64 = 4_096;
/// Time before the employee comes back (median 12 min; about 80% fall in 5-60 min).
const COPILOT_GAP_MS: Clamped = lognormal(720_000.0, 0.9, 20_000, 10_800_000);
/// `dept` tag.
const COPILOT_DEPTS: [(&str, u32); 5] = [
    ("sales", 30),
    ("engineering", 25),
    ("hr", 15),
    ("finance", 15),
    ("marketing", 15),
];

// ---- contract-review ---------------------------------------------------------------------------

/// Contract plus instructions (no segments recorded).
const CONTRACT_INPUT: Clamped = lognormal(18_000.0, 0.8, 1_000, 150_000);
/// Extracted clauses.
const CONTRACT_OUTPUT: Clamped = lognormal(700.0, 0.6, 50, 4_096);
/// `max_tokens`.
const CONTRACT_MAX_TOKENS: u64 = 4_096;

// ---- unattributed ------------------------------------------------------------------------------

/// Input of an ad-hoc call (no segments recorded).
const ADHOC_INPUT: Clamped = lognormal(1_500.0, 1.2, 10, 100_000);
/// Output of an ad-hoc call.
const ADHOC_OUTPUT: Clamped = lognormal(300.0, 0.9, 1, 4_096);
/// `max_tokens`.
const ADHOC_MAX_TOKENS: u64 = 4_096;

// ---- shared ------------------------------------------------------------------------------------

/// Multiplicative noise on latency (lognormal sigma around 1).
const LATENCY_NOISE_SIGMA: f64 = 0.25;
/// Latency clamp for real-time calls: 50 ms to 30 minutes.
const LATENCY_MS_RANGE: (u64, u64) = (50, 1_800_000);

/// Whole-call latency model per model: (base ms, ms per 1K input tokens, ms per output token).
fn latency_params(model: &str) -> (f64, f64, f64) {
    match model {
        "claude-opus-5-5" => (900.0, 6.0, 22.0),
        "claude-sonnet-5-5" => (600.0, 4.0, 12.0),
        "claude-haiku-5-5" => (300.0, 2.0, 5.0),
        "claude-sonnet-4-5" => (700.0, 5.0, 15.0),
        "claude-haiku-4-5" => (350.0, 2.0, 6.0),
        "claude-opus-4-5" => (1_000.0, 7.0, 28.0),
        "claude-fable-5-1" => (1_500.0, 10.0, 35.0),
        other => unreachable!("no latency model for {other}"),
    }
}

/// The context of one (archetype, day) generation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DayCtx {
    /// The run seed.
    pub(crate) seed: u64,
    /// Day index from the first generated day.
    pub(crate) day: u32,
    /// Days since 1970-01-01 of this day.
    pub(crate) epoch_day: i64,
    /// Midnight UTC of this day, ms since the epoch.
    pub(crate) day_start_ms: i64,
    /// Index of the archetype.
    pub(crate) arch: u16,
    /// The archetype.
    pub(crate) spec: &'static Spec,
}

impl DayCtx {
    /// Keyed hash of a piece of content: same (kind, a, b) gives the same hash corpus-wide.
    fn content(&self, kind: &str, a: u64, b: u64) -> u64 {
        hash_parts(&[self.seed, str_id(self.spec.name), str_id(kind), a, b])
    }

    /// A shared segment (a versioned prompt, a document) whose size is a function of its identity.
    fn shared_seg(&self, role: Role, kind: &str, version: u64, range: (u64, u64)) -> Seg {
        let hash = self.content(kind, version, 0);
        let size_draw = hash_parts(&[hash, 0x5172]);
        Seg::new(role, hash, range.0 + size_draw % (range.1 - range.0 + 1))
    }

    /// The version number of content redeployed every `period_days` days.
    fn version(&self, period_days: i64) -> u64 {
        self.epoch_day.div_euclid(period_days) as u64
    }

    /// Identity of one session (conversation) of this archetype and day.
    fn session_key(&self, session: u32) -> u64 {
        hash_parts(&[
            self.seed,
            str_id(self.spec.name),
            0x5E55_1011,
            u64::from(self.day),
            u64::from(session),
        ])
    }

    /// A start time within this day, from the archetype's profile.
    fn start_ms(&self, rng: &mut Rng) -> i64 {
        match self.spec.profile {
            Profile::Hourly(weights) => {
                let hour = rng.weighted(weights) as i64;
                self.day_start_ms + hour * HOUR_MS + rng.below(HOUR_MS as u64) as i64
            }
            Profile::Window { start_min, len_min } => {
                let len_ms = i64::from(len_min) * MINUTE_MS;
                self.day_start_ms
                    + i64::from(start_min) * MINUTE_MS
                    + rng.below(len_ms as u64) as i64
            }
        }
    }

    /// A record with this archetype's defaults; the generator fills in the rest.
    fn record(&self, session: u32, turn: u32, ts_ms: i64, model: &'static str) -> Pending {
        Pending {
            ts_ms,
            arch: self.arch,
            day: self.day,
            session,
            turn,
            model,
            id: None,
            conversation: None,
            tags: [None; 3],
            stream: false,
            latency_ms: 0,
            max_tokens: 0,
            output_tokens: 0,
            web_search: 0,
            input_tokens_plain: 0,
            segments: Vec::new(),
            evals: Vec::new(),
        }
    }
}

/// Picks one of the archetype's models by weight.
fn pick_model(rng: &mut Rng, spec: &Spec) -> &'static str {
    let weights: Vec<u32> = spec.models.iter().map(|m| m.1).collect();
    spec.models[rng.weighted(&weights)].0
}

/// Picks a labelled value by weight.
fn pick<T: Copy>(rng: &mut Rng, table: &[(T, u32)]) -> T {
    let weights: Vec<u32> = table.iter().map(|t| t.1).collect();
    table[rng.weighted(&weights)].0
}

/// A message id: 96 random bits.
fn message_id(rng: &mut Rng) -> Option<(u64, u32)> {
    Some((rng.next_u64(), rng.next_u64() as u32))
}

/// Whole-call latency in ms; grows with input and (mostly) output tokens.
fn latency_ms(rng: &mut Rng, model: &str, input: u64, output: u64) -> u64 {
    let (base, per_k_in, per_out) = latency_params(model);
    let ideal = base + input as f64 / 1_000.0 * per_k_in + output as f64 * per_out;
    let x = libm::round(ideal * rng.lognormal(1.0, LATENCY_NOISE_SIGMA));
    (x as u64).clamp(LATENCY_MS_RANGE.0, LATENCY_MS_RANGE.1)
}

/// Eval outcomes for a share of routable records: each eval path from `model` passes with
/// probability 1 - P(degraded) of the task class and tier step.
fn evals(rng: &mut Rng, spec: &Spec, model: &str) -> Vec<Eval> {
    let Some(task) = spec.task else {
        return Vec::new();
    };
    if !spec.evals.iter().any(|e| e.from == model) || rng.below(10_000) >= EVAL_RATE_BP {
        return Vec::new();
    }
    spec.evals
        .iter()
        .filter(|e| e.from == model)
        .map(|e| {
            let pass = rng.below(100) >= u64::from(degraded_pct(task, e.step));
            let score_centi = if pass {
                75 + rng.below(26)
            } else {
                20 + rng.below(50)
            } as u32;
            Eval {
                model: e.to,
                pass,
                score_centi,
            }
        })
        .collect()
}

/// Sets a breakpoint on the last segment.
fn mark_last(segs: &mut [Seg], ttl: Ttl) {
    segs.last_mut().expect("a prompt has segments").cache = Some(ttl);
}

/// Sum of segment tokens.
fn total(segs: &[Seg]) -> u64 {
    segs.iter().map(|s| u64::from(s.tokens)).sum()
}

/// Generates `n` requests of `ctx`'s archetype for its day and appends them to `out`.
pub(crate) fn generate_day(ctx: &DayCtx, rng: &mut Rng, n: u64, out: &mut Vec<Pending>) {
    match ctx.spec.kind {
        Kind::SupportChat => support_chat(ctx, rng, n, out),
        Kind::Rag => rag(ctx, rng, n, out),
        Kind::Classify => single_prompt(ctx, rng, n, out, classify),
        Kind::Nightly => single_prompt(ctx, rng, n, out, nightly),
        Kind::BatchGrade => single_prompt(ctx, rng, n, out, batch_grade),
        Kind::CodingAgent => coding_agent(ctx, rng, n, out),
        Kind::Copilot => copilot(ctx, rng, n, out),
        Kind::ContractReview => single_prompt(ctx, rng, n, out, contract_review),
        Kind::Unattributed => single_prompt(ctx, rng, n, out, unattributed),
    }
}

/// Drives a workload of independent single requests: `fill` completes each record.
fn single_prompt(
    ctx: &DayCtx,
    rng: &mut Rng,
    n: u64,
    out: &mut Vec<Pending>,
    fill: fn(&DayCtx, &mut Rng, &mut Pending),
) {
    for i in 0..n {
        let ts = ctx.start_ms(rng);
        let model = pick_model(rng, ctx.spec);
        let session = u32::try_from(i).expect("fewer than 2^32 requests per workload per day");
        let mut p = ctx.record(session, 0, ts, model);
        fill(ctx, rng, &mut p);
        p.evals = evals(rng, ctx.spec, model);
        out.push(p);
    }
}

fn support_chat(ctx: &DayCtx, rng: &mut Rng, n: u64, out: &mut Vec<Pending>) {
    let version = ctx.version(SUPPORT_VERSION_DAYS);
    let tools = ctx.shared_seg(Role::Tools, "tools", version, SUPPORT_TOOLS_TOKENS);
    let mut system = ctx.shared_seg(Role::System, "system", version, SUPPORT_SYSTEM_TOKENS);
    system.cache = Some(Ttl::FiveMinutes);
    let mut remaining = n;
    let mut session = 0u32;
    while remaining > 0 {
        let turns = (rng.weighted(&SUPPORT_TURN_WEIGHTS) as u64 + 1).min(remaining);
        remaining -= turns;
        let key = ctx.session_key(session);
        let model = pick_model(rng, ctx.spec);
        let channel = pick(rng, &SUPPORT_CHANNELS);
        let mut ts = ctx.start_ms(rng);
        let mut history = vec![tools, system];
        for turn in 0..turns as u32 {
            let message = if turn == 0 {
                SUPPORT_FIRST_MESSAGE
            } else {
                SUPPORT_LATER_MESSAGE
            };
            let user_hash = ctx.content("user", key, u64::from(turn));
            history.push(Seg::new(Role::User, user_hash, message.sample(rng)));
            let mut segs = history.clone();
            mark_last(&mut segs, Ttl::FiveMinutes);
            let input = total(&segs);
            let output = SUPPORT_OUTPUT.sample(rng);
            let mut p = ctx.record(session, turn, ts, model);
            p.id = message_id(rng);
            p.conversation = Some(("conv", key >> 16));
            p.tags = [Some(("env", "prod")), Some(("channel", channel)), None];
            p.stream = true;
            p.latency_ms = latency_ms(rng, model, input, output);
            p.max_tokens = SUPPORT_MAX_TOKENS;
            p.output_tokens = output;
            p.segments = segs;
            p.evals = evals(rng, ctx.spec, model);
            let assistant_hash = ctx.content("assistant", key, u64::from(turn));
            history.push(Seg::new(Role::Assistant, assistant_hash, output));
            ts += p.latency_ms as i64 + SUPPORT_GAP_MS.sample(rng) as i64;
            out.push(p);
        }
        session += 1;
    }
}

fn rag(ctx: &DayCtx, rng: &mut Rng, n: u64, out: &mut Vec<Pending>) {
    let version = ctx.version(RAG_VERSION_DAYS);
    let instructions = ctx.shared_seg(
        Role::System,
        "instructions",
        version,
        RAG_INSTRUCTIONS_TOKENS,
    );
    let mut remaining = n;
    let mut session = 0u32;
    while remaining > 0 {
        let turns = (rng.weighted(&RAG_TURN_WEIGHTS) as u64 + 1).min(remaining);
        remaining -= turns;
        let key = ctx.session_key(session);
        let model = pick_model(rng, ctx.spec);
        let mut history = vec![instructions];
        let k = rng.range(RAG_DOCS_PER_QUERY.0, RAG_DOCS_PER_QUERY.1) as usize;
        let mut docs: Vec<u64> = Vec::with_capacity(k);
        while docs.len() < k {
            let u = rng.unit();
            let doc = ((RAG_CORPUS_DOCS as f64) * u * u * u) as u64;
            if !docs.contains(&doc) {
                docs.push(doc);
            }
        }
        for doc in docs {
            // A document's size is drawn from a generator seeded by its identity, so the same
            // document always has the same size.
            let hash = ctx.content("doc", doc, 0);
            let tokens = RAG_DOC_TOKENS.sample(&mut Rng::new(hash));
            history.push(Seg::new(Role::User, hash, tokens));
        }
        let mut ts = ctx.start_ms(rng);
        for turn in 0..turns as u32 {
            let question = ctx.content("question", key, u64::from(turn));
            history.push(Seg::new(Role::User, question, RAG_QUESTION.sample(rng)));
            let segs = history.clone();
            let input = total(&segs);
            let output = RAG_OUTPUT.sample(rng);
            let mut p = ctx.record(session, turn, ts, model);
            p.conversation = Some(("qa", key >> 16));
            p.tags = [Some(("env", "prod")), Some(("index", "kb-v3")), None];
            p.stream = true;
            p.latency_ms = latency_ms(rng, model, input, output);
            p.max_tokens = RAG_MAX_TOKENS;
            p.output_tokens = output;
            p.segments = segs;
            p.evals = evals(rng, ctx.spec, model);
            let answer = ctx.content("answer", key, u64::from(turn));
            history.push(Seg::new(Role::Assistant, answer, output));
            ts += p.latency_ms as i64 + RAG_GAP_MS.sample(rng) as i64;
            out.push(p);
        }
        session += 1;
    }
}

fn classify(ctx: &DayCtx, rng: &mut Rng, p: &mut Pending) {
    let version = ctx.version(CLASSIFY_VERSION_DAYS);
    let fewshot = ctx.shared_seg(Role::System, "fewshot", version, CLASSIFY_FEWSHOT_TOKENS);
    let item = ctx.content("ticket", u64::from(ctx.day), u64::from(p.session));
    p.segments = vec![
        fewshot,
        Seg::new(Role::User, item, CLASSIFY_ITEM.sample(rng)),
    ];
    p.output_tokens = CLASSIFY_OUTPUT.sample(rng);
    p.max_tokens = CLASSIFY_MAX_TOKENS;
    p.tags = [
        Some(("env", "prod")),
        Some(("queue", pick(rng, &CLASSIFY_QUEUES))),
        None,
    ];
    p.latency_ms = latency_ms(rng, p.model, total(&p.segments), p.output_tokens);
}

fn nightly(ctx: &DayCtx, rng: &mut Rng, p: &mut Pending) {
    let version = ctx.version(NIGHTLY_VERSION_DAYS);
    let system = ctx.shared_seg(Role::System, "system", version, NIGHTLY_SYSTEM_TOKENS);
    let transcript = ctx.content("transcript", u64::from(ctx.day), u64::from(p.session));
    p.segments = vec![
        system,
        Seg::new(Role::User, transcript, NIGHTLY_TRANSCRIPT.sample(rng)),
    ];
    p.output_tokens = NIGHTLY_OUTPUT.sample(rng);
    p.max_tokens = NIGHTLY_MAX_TOKENS;
    p.tags = [Some(("env", "prod")), Some(("job", "nightly-digest")), None];
    p.latency_ms = latency_ms(rng, p.model, total(&p.segments), p.output_tokens);
}

fn batch_grade(ctx: &DayCtx, rng: &mut Rng, p: &mut Pending) {
    let version = ctx.version(GRADE_VERSION_DAYS);
    let mut rubric = ctx.shared_seg(Role::System, "rubric", version, GRADE_RUBRIC_TOKENS);
    rubric.cache = Some(Ttl::FiveMinutes);
    let sample = ctx.content("sample", u64::from(ctx.day), u64::from(p.session));
    p.segments = vec![
        rubric,
        Seg::new(Role::User, sample, GRADE_SAMPLE.sample(rng)),
    ];
    p.output_tokens = GRADE_OUTPUT.sample(rng);
    p.max_tokens = GRADE_MAX_TOKENS;
    p.tags = [
        Some(("env", "research")),
        Some(("suite", "regression")),
        None,
    ];
    p.latency_ms = GRADE_LATENCY_MS.sample(rng);
}

fn contract_review(_ctx: &DayCtx, rng: &mut Rng, p: &mut Pending) {
    p.id = message_id(rng);
    p.input_tokens_plain = CONTRACT_INPUT.sample(rng);
    p.output_tokens = CONTRACT_OUTPUT.sample(rng);
    p.max_tokens = CONTRACT_MAX_TOKENS;
    p.stream = true;
    p.tags = [Some(("env", "prod")), Some(("residency", "us")), None];
    p.latency_ms = latency_ms(rng, p.model, p.input_tokens_plain, p.output_tokens);
}

fn unattributed(_ctx: &DayCtx, rng: &mut Rng, p: &mut Pending) {
    p.input_tokens_plain = ADHOC_INPUT.sample(rng);
    p.output_tokens = ADHOC_OUTPUT.sample(rng);
    p.max_tokens = ADHOC_MAX_TOKENS;
    p.stream = rng.bernoulli(0.5);
    p.latency_ms = latency_ms(rng, p.model, p.input_tokens_plain, p.output_tokens);
}

fn coding_agent(ctx: &DayCtx, rng: &mut Rng, n: u64, out: &mut Vec<Pending>) {
    let tools_version = ctx.version(AGENT_TOOLS_VERSION_DAYS);
    let tools = ctx.shared_seg(Role::Tools, "tools", tools_version, AGENT_TOOLS_TOKENS);
    let mut remaining = n;
    let mut session = 0u32;
    while remaining > 0 {
        let steps = AGENT_STEPS.sample(rng).min(remaining);
        remaining -= steps;
        let key = ctx.session_key(session);
        let model = pick_model(rng, ctx.spec);
        let repo = pick(rng, &AGENT_REPOS);
        let client = pick(rng, &AGENT_CLIENTS);
        // The system prompt carries the repo's instructions and today's date: shared by every
        // session on that repo today, new tomorrow.
        let mut system = ctx.shared_seg(
            Role::System,
            "system",
            hash_parts(&[str_id(repo), ctx.epoch_day as u64]),
            AGENT_SYSTEM_TOKENS,
        );
        system.cache = Some(Ttl::OneHour);
        let first = ctx.content("prompt", key, 0);
        let mut history = vec![
            tools,
            system,
            Seg::new(Role::User, first, AGENT_FIRST_PROMPT.sample(rng)),
        ];
        let mut ts = ctx.start_ms(rng);
        for step in 0..steps as u32 {
            if total(&history) > AGENT_COMPACT_AT {
                let summary = ctx.content("summary", key, u64::from(step));
                history.truncate(2);
                history.push(Seg::new(Role::User, summary, AGENT_SUMMARY.sample(rng)));
            }
            let mut segs = history.clone();
            mark_last(&mut segs, Ttl::FiveMinutes);
            let input = total(&segs);
            let output = AGENT_OUTPUT.sample(rng);
            let searches = if rng.below(10_000) < AGENT_WEB_SEARCH_BP {
                rng.range(1, 3) as u32
            } else {
                0
            };
            let mut p = ctx.record(session, step, ts, model);
            p.conversation = Some(("sess", key >> 16));
            p.tags = [Some(("client", client)), Some(("repo", repo)), None];
            p.stream = true;
            p.latency_ms = latency_ms(rng, model, input, output);
            p.max_tokens = AGENT_MAX_TOKENS;
            p.output_tokens = output;
            p.web_search = searches;
            p.segments = segs;
            p.evals = evals(rng, ctx.spec, model);
            let mut carried = output;
            for _ in 0..searches {
                carried += AGENT_SEARCH_RESULT.sample(rng);
            }
            let assistant = ctx.content("assistant", key, u64::from(step));
            history.push(Seg::new(Role::Assistant, assistant, carried));
            let gap = if rng.below(10_000) < AGENT_INTERJECT_BP {
                let msg = ctx.content("user", key, u64::from(step));
                history.push(Seg::new(Role::User, msg, AGENT_USER_MESSAGE.sample(rng)));
                AGENT_USER_GAP_MS.sample(rng)
            } else {
                let calls = if rng.below(10_000) < AGENT_PARALLEL_BP {
                    rng.range(2, 4)
                } else {
                    1
                };
                for call in 0..calls {
                    let result = ctx.content("tool_result", key, u64::from(step) << 8 | call);
                    history.push(Seg::new(
                        Role::ToolResult,
                        result,
                        AGENT_TOOL_RESULT.sample(rng),
                    ));
                }
                AGENT_TOOL_GAP_MS.sample(rng)
            };
            ts += p.latency_ms as i64 + gap as i64;
            out.push(p);
        }
        session += 1;
    }
}

fn copilot(ctx: &DayCtx, rng: &mut Rng, n: u64, out: &mut Vec<Pending>) {
    let version = ctx.version(COPILOT_VERSION_DAYS);
    let tools = ctx.shared_seg(Role::Tools, "tools", version, COPILOT_TOOLS_TOKENS);
    let mut system = ctx.shared_seg(Role::System, "system", version, COPILOT_SYSTEM_TOKENS);
    system.cache = Some(Ttl::FiveMinutes);
    let mut remaining = n;
    let mut session = 0u32;
    while remaining > 0 {
        let turns = (rng.weighted(&COPILOT_TURN_WEIGHTS) as u64 + 1).min(remaining);
        remaining -= turns;
        let key = ctx.session_key(session);
        let model = pick_model(rng, ctx.spec);
        let dept = pick(rng, &COPILOT_DEPTS);
        let mut ts = ctx.start_ms(rng);
        let mut history = vec![tools, system];
        for turn in 0..turns as u32 {
            let user = ctx.content("user", key, u64::from(turn));
            history.push(Seg::new(Role::User, user, COPILOT_MESSAGE.sample(rng)));
            let mut segs = history.clone();
            mark_last(&mut segs, Ttl::FiveMinutes);
            let input = total(&segs);
            let output = COPILOT_OUTPUT.sample(rng);
            let mut p = ctx.record(session, turn, ts, model);
            p.id = message_id(rng);
            p.conversation = Some(("chat", key >> 16));
            p.tags = [Some(("env", "internal")), Some(("dept", dept)), None];
            p.stream = true;
            p.latency_ms = latency_ms(rng, model, input, output);
            p.max_tokens = COPILOT_MAX_TOKENS;
            p.output_tokens = output;
            p.segments = segs;
            p.evals = evals(rng, ctx.spec, model);
            let assistant = ctx.content("assistant", key, u64::from(turn));
            history.push(Seg::new(Role::Assistant, assistant, output));
            ts += p.latency_ms as i64 + COPILOT_GAP_MS.sample(rng) as i64;
            out.push(p);
        }
        session += 1;
    }
}
