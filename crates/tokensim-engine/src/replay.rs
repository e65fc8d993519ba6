//! The baseline replay: parse, validate, price as recorded, and tally by (workload, model, day).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rustc_hash::{FxHashMap as HashMap, FxHashSet};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use hdrhistogram::Histogram;
use rayon::prelude::*;
use tokensim_corpus::Position;
use tokensim_corpus::Task;
use tokensim_corpus::{
    Chunk, ChunkReader, CorpusError, DigestPart, Line, LineError, Record, ServiceTier, Speed,
    Timestamp,
};
use tokensim_pricing::{Catalog, Cost, ModelId, PicoUsd, PricingError, Terms, Tokens};
use tokensim_quality::Priors;
use tokensim_strategy::cache::Ttl;
use tokensim_strategy::cache::{Block, Lookup, ScopeCache, Split};
use tokensim_strategy::levers::{
    plan_in, AutoPlan, Counterfactual, Decisions, ReuseStats, RiskModel, OPTIMAL_CHOICES,
};

use crate::batch::BatchStats;
use crate::risk::{workload_hash, EvalCount, EvalsByHash, Risk, RouteCount};
use tokensim_report::ReplayFidelity;
use tokensim_strategy::scenario::{CacheLever, CachePolicy, Match, Scenario};

use crate::tally::{Key, Priced, ScenarioTally, Tally, Workload, MAX_SIZE_CLASSES};

/// The histogram of cost per call: micro-USD from 1 to $100,000, 3 significant digits.
pub(crate) fn new_cost_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 100_000_000_000, 3).expect("valid histogram bounds")
}

/// What the engine needs to run; built by the CLI from its flags.
#[derive(Debug, Clone, Default)]
pub struct ReplayConfig {
    /// Corpus files, in argument order (the file index is part of corpus order).
    pub corpus: Vec<PathBuf>,
    /// The reference model (`--reference-model`); `None` picks the most expensive model seen.
    pub reference_model: Option<String>,
    /// Set bad lines aside and go on, instead of stopping at the first.
    pub quarantine: bool,
    /// Worker threads; `None` uses rayon's default (one per core).
    pub threads: Option<usize>,
    /// Scenarios evaluated on every record in the same pass.
    pub scenarios: Vec<Scenario>,
    /// Key workloads by this tag's value instead of (team, app, feature): a record tagged
    /// `KEY:VALUE` (or `{"KEY": "VALUE"}`) is the workload whose team is `VALUE`, a record
    /// without the tag is unattributed (`tokensim allocate --by tag:KEY`).
    pub owner_tag: Option<String>,
}

/// A line set aside, with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    /// The file, as given.
    pub file: String,
    /// 1-based line number.
    pub line: u64,
    /// The field at fault (empty for the whole line).
    pub field: String,
    /// What is wrong.
    pub reason: String,
    /// The line as read (invalid UTF-8 replaced).
    pub raw: String,
}

/// Receives progress and quarantined lines while the replay runs, in corpus order.
pub trait Sink {
    /// Called as chunks are merged, with bytes read so far (on disk) and the total.
    fn progress(&mut self, _done: u64, _total: u64) {}
    /// Called once per quarantined line, in corpus order.
    fn quarantined(&mut self, _q: &Quarantined) {}
    /// The corpus is out of time order inside a cache scope: the pass starts again in sorted
    /// mode, so everything reported so far (progress, quarantined lines) will be reported again.
    fn restart(&mut self) {}
    /// A pass over the corpus starts, described in a few words. Passes before the last one
    /// (collecting evals for risk budgets and cascades, surveying for the `optimal` cache policy)
    /// report progress only.
    fn pass_started(&mut self, _what: &'static str) {}
}

/// Forwards progress only: the survey pass quarantines nothing, the pass after it does.
struct ProgressOnly<'a>(&'a mut (dyn Sink + Send));

impl Sink for ProgressOnly<'_> {
    fn progress(&mut self, done: u64, total: u64) {
        self.0.progress(done, total);
    }

    fn restart(&mut self) {
        self.0.restart();
    }
}

/// The `optimal` policy's choice per (scope, unit): an index into [`OPTIMAL_CHOICES`], or one
/// past its end for `auto`'s adaptive choice.
type Choices = HashMap<(Scope, u64), u8>;

/// Why a replay stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The corpus could not be read, or a line was bad in strict mode.
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    /// The reference model given does not resolve.
    #[error("--reference-model: {0}")]
    Reference(PricingError),
    /// The thread pool could not start.
    #[error("cannot start {threads} worker threads: {message}")]
    Threads {
        /// Requested threads.
        threads: usize,
        /// The cause.
        message: String,
    },
    /// The quarantine sink failed (e.g. its file could not be written).
    #[error("{0}")]
    Sink(String),
    /// A scenario did something it did not allow.
    #[error("scenario {scenario:?}: {message}")]
    Scenario {
        /// The scenario's name.
        scenario: String,
        /// What happened and how to allow it.
        message: String,
    },
}

/// Per-file counts: the report's own type, filled in by the pass.
pub type FileStats = tokensim_report::FileSection;

/// Corpus-wide counts. `records_read == priced + quarantined` always holds (asserted).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CorpusStats {
    /// One entry per file, in argument order.
    pub files: Vec<FileStats>,
    /// Records read.
    pub records_read: u64,
    /// Records priced.
    pub priced: u64,
    /// Records quarantined.
    pub quarantined: u64,
    /// Blank lines skipped.
    pub blank_lines: u64,
    /// Priced records that stand for summed requests (a tag `aggregate:<source>`, as the
    /// `admin-usage` importer writes): levers that need per-request data cannot act on them.
    pub aggregated: u64,
    /// Earliest priced timestamp.
    pub first_ts: Option<Timestamp>,
    /// Latest priced timestamp.
    pub last_ts: Option<Timestamp>,
    /// Quarantined lines by reason kind (field), for the summary.
    pub quarantine_by_field: BTreeMap<String, u64>,
}

/// The result of a replay.
#[derive(Debug, Clone)]
pub struct ReplayOutcome {
    /// Counts.
    pub stats: CorpusStats,
    /// One tally per (workload, model, day).
    pub rows: BTreeMap<Key, Tally>,
    /// The reference model, if any record was priced (or one was given).
    pub reference: Option<ModelId>,
    /// Whether the reference was given by flag (`true`) or picked as the most expensive seen.
    pub reference_from_flag: bool,
    /// Size-class floors matching `Tally::reference` (None for the first class).
    pub class_floors: Vec<Option<u64>>,
    /// One tally per (scenario index, workload, served model, day).
    pub scenario_rows: BTreeMap<(u32, Key), ScenarioTally>,
    /// Cost per call in micro-USD, per (scenario index or `None` for as recorded, workload).
    pub cost_histograms: BTreeMap<(Option<u32>, u32), Histogram<u64>>,
    /// The workloads, indexed by `Key::workload`, in order of first appearance.
    pub workloads: Vec<Workload>,
    /// Whether the cache stage had to sort the whole corpus (it was out of time order).
    pub sorted_mode: bool,
    /// Eval outcomes recorded in the corpus.
    pub evals: BTreeMap<EvalKey, EvalCount>,
    /// What each scenario's route lever did.
    pub routes: BTreeMap<RouteKey, RouteCount>,
    /// Per workload, what batch detection needs (docs/batch.md).
    pub batch: BTreeMap<u32, BatchStats>,
    /// Calls each scenario's context trim shortened.
    pub trims: BTreeMap<TrimKey, u64>,
    /// The corpus's replay fidelity (docs/fidelity.md), when a scenario's cache policy
    /// re-simulates: from a scenario that is the fidelity probe itself, else from the probe run
    /// alongside the scenarios.
    pub fidelity: Option<ReplayFidelity>,
}

/// The scenario index of the fidelity probe's cache jobs when it runs hidden beside the
/// scenarios: its calls are compared with the log, never priced or tallied.
const PROBE: u32 = u32::MAX;

/// The cache settings of the fidelity probe: the `replay` policy as `scenarios/cache-replay.toml`
/// sets it (every batch call may hit, entries of calls without `latency_ms` readable at once).
pub(crate) const PROBE_CACHE: CacheLever = CacheLever {
    fixed_ttl: None,
    policy: CachePolicy::Replay,
    readable_delay_ms: 0,
    batch_hit_ppm: 1_000_000,
    seed: 0,
};

/// The fidelity probe with `readable_delay_ms` for calls without `latency_ms`: a scenario
/// with only the `replay` cache policy, so every call with segments is re-simulated with its
/// recorded breakpoints on its recorded model.
pub(crate) fn probe_scenario(readable_delay_ms: u64) -> Scenario {
    Scenario {
        name: "fidelity".into(),
        description: "the replay cache policy against the recorded usage".into(),
        file: String::new(),
        route: None,
        caps: None,
        batch: None,
        cache: Some(CacheLever {
            readable_delay_ms,
            ..PROBE_CACHE
        }),
    }
}

/// Whether a scenario simulates exactly what the probe does, so that its comparison with the
/// log is the corpus's fidelity (the seed does not matter when every batch call may hit).
fn is_probe(s: &Scenario) -> bool {
    s.route.is_none()
        && s.caps.is_none()
        && s.batch.is_none()
        && s.cache.as_ref().is_some_and(|c| {
            c.policy == CachePolicy::Replay
                && c.readable_delay_ms == PROBE_CACHE.readable_delay_ms
                && c.batch_hit_ppm >= PROBE_CACHE.batch_hit_ppm
        })
}

/// For each scenario, the first earlier one whose cache replay it shares, if any. Both re-simulate
/// the cache with equal route, batch and cache levers and equal context trims, so each of their
/// calls goes to the same scope (workspace, model) with the same blocks, readable delay and hit
/// draw, and gets the same split; output and thinking caps only change what a call is billed
/// once its split is known. The follower's calls are queued in the leader's scopes, right after
/// the leader's call for the same record, and priced with its split (docs/scenarios.md).
fn cache_leaders(scenarios: &[Scenario]) -> Vec<Option<u32>> {
    fn trims(s: &Scenario) -> &[(Match, u64)] {
        s.caps.as_ref().map_or(&[], |c| &c.context_trim[..])
    }
    let equivalent = |a: &Scenario, b: &Scenario| {
        a.simulates_cache()
            && b.simulates_cache()
            && a.route == b.route
            && a.batch == b.batch
            && a.cache == b.cache
            && trims(a) == trims(b)
    };
    (0..scenarios.len())
        .map(|i| {
            (0..i)
                .find(|&j| equivalent(&scenarios[j], &scenarios[i]))
                .map(|j| j as u32)
        })
        .collect()
}

/// The scenarios a pass evaluates, and the leader whose cache replay each shares
/// ([`cache_leaders`], worked out once a pass).
struct Evaluated<'a> {
    list: &'a [Scenario],
    leaders: Vec<Option<u32>>,
}

/// Where a pass takes the corpus's replay fidelity from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// No scenario re-simulates: no figure.
    None,
    /// This scenario is the probe: its own comparison.
    Scenario(u32),
    /// The probe runs beside the scenarios, its jobs under [`PROBE`].
    Hidden,
}

/// Compares a simulated split with the recorded usage: whether they are equal, and
/// `sum |simulated - recorded|` over the four input components (both add up to the same total,
/// so every misplaced token counts twice in it).
pub(crate) fn compare_split(split: &Split, recorded: &Tokens) -> (bool, u64) {
    let pairs = [
        (split.uncached, recorded.input),
        (split.write_5m, recorded.cache_write_5m),
        (split.write_1h, recorded.cache_write_1h),
        (split.read, recorded.cache_read),
    ];
    let diff: u64 = pairs.iter().map(|(a, b)| a.abs_diff(*b)).sum();
    (diff == 0, diff)
}

fn add_fidelity(to: &mut ReplayFidelity, o: &ReplayFidelity) {
    to.compared += o.compared;
    to.agreed += o.agreed;
    to.tokens_compared += o.tokens_compared;
    to.tokens_misassigned += o.tokens_misassigned;
    to.not_compared += o.not_compared;
}

/// (scenario, workload, served model, task).
pub type TrimKey = (u32, u32, ModelId, Option<Task>);

/// (workload, recorded model, eval or target model, task).
pub type EvalKey = (u32, ModelId, ModelId, Option<Task>);
/// (scenario, workload, recorded model, target model, task).
pub type RouteKey = (u32, u32, ModelId, ModelId, Option<Task>);

/// A call whose cache usage the scenario re-simulates: it waits for its scope's replay. It
/// holds what the cache stage needs of the call's counterfactual and nothing on the heap, so
/// a queue of them is dropped in one step.
#[derive(Clone, Copy)]
struct Job {
    scenario: u32,
    ts: Timestamp,
    pos: Position,
    /// Its row (the served model, the day), with the chunk-local workload id (its chunk's
    /// `remap` gives the run's).
    key: Key,
    /// Its usage: the cache replay replaces the input split.
    tokens: Tokens,
    terms: Terms,
    readable_delay_ns: i64,
    may_hit: bool,
    auto: Option<AutoPlan>,
    decisions: Decisions,
    /// A cascade's escalated call on the recorded model (billed as recorded).
    escalated: PicoUsd,
    /// Its blocks: `blocks[start..end]` of its scope's calls.
    blocks: (usize, usize),
}

/// One chunk's re-simulated calls in one scope, in corpus order, and all their blocks in one
/// vector. Filled by the chunk's worker and never moved after: the merge hands the vectors to
/// the scope's queue, and the cache stage reads calls and blocks in the order they were
/// written. (Moving each call into its scope's queue in the merge, and a block vector per call
/// freed on another thread, were a large part of the cache lever's cost.)
#[derive(Default)]
struct ScopeCalls {
    jobs: Vec<Job>,
    blocks: Vec<Block>,
    /// The chunk's workload ids to the run's, set by the merge.
    remap: Arc<[u32]>,
    /// The smallest and largest (timestamp, position) of the calls, and whether they are in
    /// that order already: taken while the calls are in the worker's cache, so that the cache
    /// stage knows its order without reading every call an extra time.
    min: (Timestamp, Position),
    max: (Timestamp, Position),
    sorted: bool,
}

impl Job {
    /// The call's tokens with the input split its cache replay gave, and their cost.
    fn priced(&self, split: &Split, catalog: &Catalog) -> (Tokens, Cost) {
        let tokens = with_split(&self.tokens, split);
        let cost = catalog
            .price(self.key.model, &tokens, &self.terms)
            .expect("a counterfactual that priced before simulation prices after");
        (tokens, cost)
    }
}

/// A call's place in its scope's replay order.
fn replay_key(j: &Job) -> (Timestamp, Position) {
    (j.ts, j.pos)
}

/// A chunk's queued calls before they are sorted by scope.
#[derive(Default)]
struct Pending {
    jobs: Vec<Job>,
    blocks: Vec<Block>,
    scopes: Vec<Scope>,
}

/// A scope of the cache stage: one scenario's cache for one (workspace id, served model).
type Scope = (u32, u32, ModelId);

/// What one chunk produced.
#[derive(Default)]
struct ChunkResult {
    rows: HashMap<Key, Tally>,
    scenario_rows: HashMap<(u32, Key), ScenarioTally>,
    costs: Vec<(Option<u32>, u32, PicoUsd)>,
    /// Chunk-local workload table: keys in this result index it until the merge maps them to
    /// the run's table.
    workloads: Interner,
    /// Chunk-local workspace table (the team slot of each entry) of every priced call, for the
    /// jobs' scopes.
    workspaces: Interner,
    /// The calls queued for each chunk-local scope (scenario, workspace id, model).
    scopes: HashMap<Scope, ScopeCalls>,
    /// The calls queued while the chunk is read, in corpus order, and their scopes.
    pending: Pending,
    interactive: Vec<(u32, Position)>,
    evals: HashMap<EvalKey, EvalCount>,
    routes: HashMap<RouteKey, RouteCount>,
    batch: HashMap<u32, BatchStats>,
    trims: HashMap<TrimKey, u64>,
    /// Priced calls the hidden fidelity probe could not re-simulate (no segments).
    probe_not_compared: u64,
    bad: Vec<(u64, LineError, String)>,
    /// The chaining values of the file blocks the chunk read, when the pass hashes the corpus.
    digest: Option<DigestPart>,
    header: bool,
    records: u64,
    priced: u64,
    blank: u64,
    aggregated: u64,
    first_ts: Option<Timestamp>,
    last_ts: Option<Timestamp>,
}

impl ChunkResult {
    /// Queues a call of `scenario` for the cache replay of `scope` (the scenario itself, or the
    /// leader whose replay it shares), in `pending` until the chunk is done; its blocks are
    /// `pending.blocks[blocks.0..blocks.1]`.
    #[allow(clippy::too_many_arguments)]
    fn queue(
        &mut self,
        (scope, scenario): (u32, u32),
        workspace: u32,
        ts: Timestamp,
        pos: Position,
        key: Key,
        cf: &Counterfactual,
        blocks: (usize, usize),
    ) {
        let p = &mut self.pending;
        p.scopes.push((scope, workspace, cf.model));
        p.jobs.push(Job {
            scenario,
            ts,
            pos,
            key,
            tokens: cf.tokens,
            terms: terms(cf, key.day),
            readable_delay_ns: cf.readable_delay_ns,
            may_hit: cf.may_hit,
            auto: cf.auto,
            decisions: cf.decisions,
            escalated: cf.escalated_cost(),
            blocks,
        });
    }

    /// Sorts the chunk's queued calls into one vector per scope, each sized exactly: the
    /// chunk's calls are still in the core's cache here, and calls are large.
    fn split_scopes(&mut self) {
        let Pending {
            jobs,
            blocks,
            scopes,
        } = std::mem::take(&mut self.pending);
        let mut sizes: HashMap<Scope, (usize, usize)> = HashMap::default();
        for (scope, job) in scopes.iter().zip(&jobs) {
            let n = sizes.entry(*scope).or_default();
            n.0 += 1;
            n.1 += job.blocks.1 - job.blocks.0;
        }
        self.scopes.reserve(sizes.len());
        for (scope, (n, b)) in sizes {
            self.scopes.insert(
                scope,
                ScopeCalls {
                    jobs: Vec::with_capacity(n),
                    blocks: Vec::with_capacity(b),
                    ..ScopeCalls::default()
                },
            );
        }
        for (scope, mut job) in scopes.into_iter().zip(jobs) {
            let c = self.scopes.get_mut(&scope).expect("sized above");
            let start = c.blocks.len();
            c.blocks
                .extend_from_slice(&blocks[job.blocks.0..job.blocks.1]);
            job.blocks = (start, c.blocks.len());
            let k = replay_key(&job);
            if c.jobs.is_empty() {
                (c.min, c.max, c.sorted) = (k, k, true);
            } else {
                c.sorted &= c.max <= k;
                c.min = c.min.min(k);
                c.max = c.max.max(k);
            }
            c.jobs.push(job);
        }
    }
}

/// Runs the baseline replay over the corpus.
pub fn replay(
    cfg: &ReplayConfig,
    catalog: &Catalog,
    sink: &mut (dyn Sink + Send),
) -> Result<ReplayOutcome, ReplayError> {
    let reference_flag = match &cfg.reference_model {
        Some(m) => Some(catalog.resolve(m).map_err(ReplayError::Reference)?),
        None => None,
    };
    let pool = {
        let mut b = rayon::ThreadPoolBuilder::new();
        if let Some(n) = cfg.threads {
            b = b.num_threads(n);
        }
        b.build().map_err(|e| ReplayError::Threads {
            threads: cfg.threads.unwrap_or(0),
            message: e.to_string(),
        })?
    };
    // This thread merges; the pool parses, prices and replays caches.
    run(&pool, cfg, catalog, sink, reference_flag)
}

fn run(
    pool: &rayon::ThreadPool,
    cfg: &ReplayConfig,
    catalog: &Catalog,
    sink: &mut (dyn Sink + Send),
    reference_flag: Option<ModelId>,
) -> Result<ReplayOutcome, ReplayError> {
    let priors = Priors::builtin();
    let mut risk = Risk {
        priors: &priors,
        catalog,
        evals: EvalsByHash::new(),
    };
    let needs_evals = cfg
        .scenarios
        .iter()
        .any(|s| s.route.as_ref().is_some_and(|r| r.needs_evals()));
    // The scenarios with the `optimal` cache policy, by index: the survey pass evaluates them.
    let optimal: Vec<u32> = (0..cfg.scenarios.len() as u32)
        .filter(|&i| {
            cfg.scenarios[i as usize]
                .cache
                .as_ref()
                .is_some_and(|c| c.policy == CachePolicy::Optimal)
        })
        .collect();
    let survey = !optimal.is_empty();
    let passes = 1 + usize::from(needs_evals) + usize::from(survey);
    let mut sorted_mode = false;
    let mut n = 0;
    let mut label = |what: &'static str, sink: &mut (dyn Sink + Send)| {
        n += 1;
        sink.pass_started(match (what, passes, n) {
            (_, 1, _) => "replaying",
            ("evals", _, 1) => "collecting evals (pass 1 of 2)",
            ("evals", _, _) => "collecting evals (pass 1 of 3)",
            ("survey", 2, _) => "surveying for the optimal cache policy (pass 1 of 2)",
            ("survey", _, _) => "surveying for the optimal cache policy (pass 2 of 3)",
            _ => "replaying (last pass)",
        });
    };
    if needs_evals {
        // Risk budgets and cascades decide with the corpus's eval counts: collect them first.
        // Evals are counted per record whatever the scenarios, so this pass evaluates none.
        label("evals", sink);
        let mut quiet = ProgressOnly(sink);
        let bare = ReplayConfig {
            scenarios: Vec::new(),
            ..cfg.clone()
        };
        let (out, _) = pass_in_order(
            pool,
            &bare,
            catalog,
            &mut quiet,
            reference_flag,
            &mut sorted_mode,
            // Its outcome only gives the eval counts: no digests.
            Mode::Replay(&Choices::default(), Probe::None, Digests::Skip),
            &risk,
        )?;
        for ((w, from, to, task), c) in &out.evals {
            let wl = &out.workloads[*w as usize];
            let h = workload_hash(wl.team.as_deref(), wl.app.as_deref(), wl.feature.as_deref());
            *risk.evals.entry((h, *from, *to, *task)).or_default() += c;
        }
    }
    let mut choices = Choices::default();
    if survey {
        // The `optimal` policy needs the future: a pass evaluates every candidate per unit, the
        // last one replays each unit with its cheapest (docs/scenarios.md).
        // Only the `optimal` scenarios are surveyed; their choices are keyed back to their
        // index in the full list.
        label("survey", sink);
        let mut quiet = ProgressOnly(sink);
        let only = ReplayConfig {
            scenarios: optimal
                .iter()
                .map(|&i| cfg.scenarios[i as usize].clone())
                .collect(),
            ..cfg.clone()
        };
        choices = pass_in_order(
            pool,
            &only,
            catalog,
            &mut quiet,
            reference_flag,
            &mut sorted_mode,
            Mode::Survey,
            &risk,
        )?
        .1
        .into_iter()
        .map(|((scope, unit), c)| (((optimal[scope.0 as usize], scope.1, scope.2), unit), c))
        .collect();
    }
    label("replay", sink);
    // The corpus's replay fidelity goes with every scenario that re-simulates; a scenario that
    // is the probe gives it for free, otherwise the probe runs beside the scenarios.
    let simulating = cfg.scenarios.iter().any(Scenario::simulates_cache);
    let probe = match cfg.scenarios.iter().position(is_probe) {
        _ if !simulating => Probe::None,
        Some(i) => Probe::Scenario(i as u32),
        None => Probe::Hidden,
    };
    Ok(pass_in_order(
        pool,
        cfg,
        catalog,
        sink,
        reference_flag,
        &mut sorted_mode,
        Mode::Replay(&choices, probe, Digests::Compute),
        &risk,
    )?
    .0)
}

/// One pass, started again in sorted mode when a cache scope goes back in time (then every later
/// pass starts sorted).
#[allow(clippy::too_many_arguments)]
fn pass_in_order(
    pool: &rayon::ThreadPool,
    cfg: &ReplayConfig,
    catalog: &Catalog,
    sink: &mut (dyn Sink + Send),
    reference_flag: Option<ModelId>,
    sorted_mode: &mut bool,
    mode: Mode,
    risk: &dyn RiskModel,
) -> Result<(ReplayOutcome, Choices), ReplayError> {
    let once = |sink: &mut (dyn Sink + Send), sorted| {
        pass(pool, cfg, catalog, sink, reference_flag, sorted, mode, risk)
    };
    if let Some(done) = once(sink, *sorted_mode)? {
        return Ok(done);
    }
    // A scope went back in time: replay the whole corpus again, this time holding every
    // re-simulated call until the end and sorting each scope (documented in docs/scenarios.md:
    // costs a second read and memory for those calls).
    *sorted_mode = true;
    sink.restart();
    Ok(once(sink, true)?.expect("sorted mode never restarts"))
}

/// Whether a pass computes each input file's BLAKE3 digest for the report: only the pass whose
/// outcome is the report does (the survey never does), since hashing a plain corpus costs a
/// tenth of a baseline replay.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Digests {
    Compute,
    Skip,
}

/// What a pass is for.
#[derive(Clone, Copy)]
enum Mode<'a> {
    /// The `optimal` policy's survey: every static choice per unit is simulated and costed.
    Survey,
    /// The replay, with the survey's choices (empty when no scenario is `optimal`), where
    /// the corpus's replay fidelity comes from, and whether it computes the files' digests.
    Replay(&'a Choices, Probe, Digests),
}

/// The `auto` policy's reuse statistics in one scope: per prefix family (for the stable-prefix
/// breakpoint), per family of conversations (for the end-of-history breakpoint), and the last
/// call of each live conversation.
#[derive(Default)]
struct AutoStats {
    families: HashMap<u64, (i64, ReuseStats)>,
    histories: HashMap<u64, ReuseStats>,
    conversations: HashMap<u64, i64>,
}

impl AutoStats {
    /// Sets the TTLs of an `auto` call's breakpoints from the statistics so far, then counts it.
    fn choose(&mut self, plan: &AutoPlan, ts: i64, blocks: &mut [tokensim_strategy::cache::Block]) {
        if let Some(ttl) = plan.fixed {
            plan.apply((Some(ttl), Some(ttl)), blocks);
            return;
        }
        let fam = self
            .families
            .entry(plan.family)
            .or_insert((ts, ReuseStats::default()));
        let gap = (fam.1.calls > 0).then(|| ts.saturating_sub(fam.0));
        fam.1.observe(gap);
        fam.0 = ts;
        let mut stable = fam.1.choose();
        let mut end = None;
        if plan.end.is_some() {
            let gap = self
                .conversations
                .insert(plan.conversation, ts)
                .map(|last| ts.saturating_sub(last));
            let h = self.histories.entry(plan.family).or_default();
            h.observe(gap);
            end = h.choose();
        }
        // Longer TTLs must come first: a 1h end after a 5m stable prefix upgrades the prefix.
        if end == Some(Ttl::OneHour) && stable == Some(Ttl::FiveMinutes) {
            stable = Some(Ttl::OneHour);
        }
        plan.apply((stable, end), blocks);
    }

    /// Forgets what can no longer change a choice: conversations idle for an hour (their next
    /// turn would count as a new one anyway) and families seen once, an hour ago.
    fn forget(&mut self, now: i64) {
        let horizon = now.saturating_sub(Ttl::OneHour.duration_ns());
        self.conversations.retain(|_, last| *last > horizon);
        self.families
            .retain(|_, (last, stats)| stats.calls > 1 || *last > horizon);
    }
}

/// The last block of each live conversation's previous call, for the `auto` policy's
/// end-of-history breakpoint: a last block that ends two turns of a conversation identically is a
/// fixed suffix after the history, not history (the uncached framing after Claude Code's last
/// breakpoint, as the claude-code importer writes it), so the breakpoint goes on the block before
/// it. Otherwise every turn would write an entry that ends in the suffix, which the next turn,
/// whose new messages come before its own suffix, can never read. A block once seen as a suffix
/// is one in every conversation of the scope, their first calls included.
#[derive(Default)]
struct Suffixes {
    last: HashMap<u64, (i64, u64)>,
    /// Blocks seen repeated at the end of a conversation's turns (few: they are fixed texts).
    known: FxHashSet<u64>,
}

impl Suffixes {
    /// The plan with its end breakpoint moved before a repeated suffix; counts the call.
    fn adjust(
        &mut self,
        plan: AutoPlan,
        ts: i64,
        blocks: &[tokensim_strategy::cache::Block],
    ) -> AutoPlan {
        let Some(end) = plan.end else { return plan };
        let hash = blocks[end].hash;
        let previous = self.last.insert(plan.conversation, (ts, hash));
        if previous.is_some_and(|(_, h)| h == hash) {
            self.known.insert(hash);
        }
        if !self.known.contains(&hash) || end == 0 {
            return plan;
        }
        let before = end - 1;
        AutoPlan {
            end: (Some(before) != plan.stable).then_some(before),
            ..plan
        }
    }

    /// Forgets conversations idle for an hour, as the statistics do.
    fn forget(&mut self, now: i64) {
        let horizon = now.saturating_sub(Ttl::OneHour.duration_ns());
        self.last.retain(|_, (last, _)| *last > horizon);
    }
}

/// The `optimal` policy's candidates per unit: the static choices of [`OPTIMAL_CHOICES`], then
/// `auto`'s own adaptive choice (so that `optimal` never costs more than `auto` on a unit).
const CANDIDATES: usize = OPTIMAL_CHOICES.len() + 1;

/// One scope's cache, the `auto` policy's statistics, and the `optimal` policy's survey.
#[derive(Default)]
struct ScopeState {
    cache: ScopeCache,
    auto: AutoStats,
    suffixes: Suffixes,
    /// Survey pass: one cache per candidate, the adaptive candidate's statistics, and each
    /// unit's cost under every candidate. Units never share an entry, so a unit's cost under a
    /// candidate does not depend on the other units' choices.
    survey: Vec<ScopeCache>,
    survey_auto: AutoStats,
    unit_costs: HashMap<u64, [PicoUsd; CANDIDATES]>,
}

/// What one scope's replay produced: its rows, and the cost of each call (for the histograms).
#[derive(Default)]
struct Drained {
    rows: HashMap<(u32, Key), ScenarioTally>,
    costs: Vec<(u32, u32, PicoUsd)>,
    /// The hidden fidelity probe's comparisons.
    fidelity: ReplayFidelity,
}

/// Calls waiting for their scope's replay, chunk by chunk in corpus order.
type Queued = HashMap<Scope, Vec<ScopeCalls>>;

/// One scope's queued calls in (timestamp, corpus order).
struct ScopeQueue {
    lists: Vec<ScopeCalls>,
    /// Whether the lists, one after the other, are in replay order already (usual: a
    /// time-sorted corpus, merged in chunk order).
    in_order: bool,
    /// The first and last call's (timestamp, position) in replay order.
    first: Option<(Timestamp, Position)>,
    last: Option<(Timestamp, Position)>,
}

impl ScopeQueue {
    fn new(lists: Vec<ScopeCalls>) -> Self {
        // No list is empty (`split_scopes` makes one only for a scope with calls), so every
        // list's bounds are real.
        debug_assert!(lists.iter().all(|l| !l.jobs.is_empty()));
        let in_order = lists.iter().all(|l| l.sorted) && lists.is_sorted_by(|a, b| a.max <= b.min);
        Self {
            in_order,
            first: lists.iter().map(|l| l.min).min(),
            last: lists.iter().map(|l| l.max).max(),
            lists,
        }
    }

    /// Calls `f` with each call, its blocks and its chunk's workload remap, in replay order,
    /// then drops the calls.
    fn drain(&mut self, mut f: impl FnMut(&Job, &[Block], &[u32])) {
        let lists = std::mem::take(&mut self.lists);
        if self.in_order {
            for l in &lists {
                for job in &l.jobs {
                    f(job, &l.blocks[job.blocks.0..job.blocks.1], &l.remap);
                }
            }
        } else {
            let mut all: Vec<(u32, &Job)> = Vec::new();
            for (n, l) in lists.iter().enumerate() {
                all.extend(l.jobs.iter().map(|j| (n as u32, j)));
            }
            all.sort_by_key(|(_, j)| replay_key(j));
            for (n, job) in all {
                let l = &lists[n as usize];
                f(job, &l.blocks[job.blocks.0..job.blocks.1], &l.remap);
            }
        }
    }
}

/// The state of the cache stage across rounds.
#[derive(Default)]
struct CacheStage {
    states: HashMap<Scope, ScopeState>,
    /// The latest timestamp each scope has replayed (streaming mode checks order against it).
    watermark: HashMap<Scope, Timestamp>,
}

impl ScopeState {
    /// Survey pass: simulates an `optimal` call under every static choice and adds its cost to
    /// its unit's.
    fn survey(
        &mut self,
        plan: &AutoPlan,
        job: &Job,
        blocks: &[tokensim_strategy::cache::Block],
        lookup: &Lookup,
        catalog: &Catalog,
    ) {
        if self.survey.is_empty() {
            self.survey = (0..CANDIDATES).map(|_| ScopeCache::default()).collect();
        }
        let costs = self
            .unit_costs
            .entry(plan.unit)
            .or_insert([PicoUsd(0); CANDIDATES]);
        for (i, (cost_i, cache)) in costs.iter_mut().zip(&mut self.survey).enumerate() {
            let mut b = blocks.to_vec();
            match OPTIMAL_CHOICES.get(i) {
                Some(choice) => plan.apply(*choice, &mut b),
                None => self.survey_auto.choose(plan, job.ts.0, &mut b),
            }
            let split = cache.request(&b, lookup);
            *cost_i += job.priced(&split, catalog).1.total();
        }
    }

    /// The cheapest choice per unit (the first on a tie).
    fn choices(&self) -> impl Iterator<Item = (u64, u8)> + '_ {
        self.unit_costs.iter().map(|(unit, costs)| {
            let best = (0..costs.len())
                .min_by_key(|&i| (costs[i], i))
                .expect("there are choices");
            (*unit, best as u8)
        })
    }
}

impl CacheStage {
    /// Replays every queued call, scopes in parallel, each scope in (timestamp, corpus order).
    /// In streaming mode, returns `None` when a scope would go back in time.
    fn drain(
        &mut self,
        queued: Queued,
        catalog: &Catalog,
        streaming: bool,
        mode: Mode,
    ) -> Option<Vec<Drained>> {
        let mut work: Vec<(Scope, ScopeQueue, ScopeState)> = Vec::with_capacity(queued.len());
        let mut queued: Vec<(Scope, Vec<ScopeCalls>)> = queued.into_iter().collect();
        queued.sort_by_key(|q| q.0);
        for (scope, lists) in queued {
            let calls = ScopeQueue::new(lists);
            if streaming {
                if let (Some(&w), Some(first)) = (self.watermark.get(&scope), calls.first) {
                    if first.0 < w {
                        return None;
                    }
                }
            }
            let state = self.states.remove(&scope).unwrap_or_default();
            work.push((scope, calls, state));
        }
        let results: Vec<Drained> = work
            .par_iter_mut()
            .map(|(scope, calls, state)| {
                // Rows are summed per scope here: far fewer than calls, so little is moved.
                let mut out = Drained::default();
                out.costs
                    .reserve(calls.lists.iter().map(|l| l.jobs.len()).sum());
                // The `auto` and `optimal` policies set breakpoints on a copy of the blocks.
                let mut placed: Vec<Block> = Vec::new();
                // The last call replayed here and its split, for the calls that share it.
                let mut last: Option<((Timestamp, Position), Split)> = None;
                calls.drain(|job, blocks, remap| {
                    let split = if job.scenario == scope.0 {
                        let lookup = Lookup {
                            ts_ns: job.ts.0,
                            readable_delay_ns: job.readable_delay_ns,
                            min_cacheable_tokens: catalog.model(job.key.model).min_cacheable_tokens,
                            may_hit: job.may_hit,
                        };
                        let blocks = match job.auto {
                            None => blocks,
                            Some(plan) => {
                                placed.clear();
                                placed.extend_from_slice(blocks);
                                let plan = state.suffixes.adjust(plan, job.ts.0, &placed);
                                match (plan.hindsight, mode) {
                                    (false, _) => state.auto.choose(&plan, job.ts.0, &mut placed),
                                    // The survey's own tallies are thrown away: no breakpoints.
                                    (true, Mode::Survey) => {
                                        state.survey(&plan, job, &placed, &lookup, catalog)
                                    }
                                    (true, Mode::Replay(choices, _, _)) => {
                                        let i = choices
                                            .get(&(*scope, plan.unit))
                                            .expect("the survey saw every unit the replay sees");
                                        match OPTIMAL_CHOICES.get(usize::from(*i)) {
                                            Some(choice) => plan.apply(*choice, &mut placed),
                                            None => state.auto.choose(&plan, job.ts.0, &mut placed),
                                        }
                                    }
                                }
                                &placed
                            }
                        };
                        let split = state.cache.request(blocks, &lookup);
                        last = Some((replay_key(job), split));
                        split
                    } else {
                        // A scenario sharing this scope's replay (`cache_leaders`): its call
                        // comes right after the leader's for the same record, and the survey's
                        // choices are the leader's (output costs the same under every choice).
                        match last {
                            Some((key, split)) if key == replay_key(job) => split,
                            _ => panic!(
                                "a shared call follows its leader's call for the same record"
                            ),
                        }
                    };
                    if job.scenario == PROBE {
                        let (agreed, diff) = compare_split(&split, &job.tokens);
                        let f = &mut out.fidelity;
                        f.compared += 1;
                        f.agreed += u64::from(agreed);
                        f.tokens_compared += u128::from(split.total());
                        f.tokens_misassigned += u128::from(diff / 2);
                        return;
                    }
                    // With the recorded breakpoints on the recorded model, the simulation can be
                    // checked against the log: the replay policy's fidelity.
                    let comparable = job.auto.is_none() && !job.decisions.routed;
                    let recorded = job.tokens;
                    let (tokens, cost) = job.priced(&split, catalog);
                    let key = Key {
                        workload: remap[job.key.workload as usize],
                        ..job.key
                    };
                    let row = out.rows.entry((job.scenario, key)).or_default();
                    add_call(row, job.terms.batch, &job.decisions, &tokens, &cost);
                    if comparable {
                        // Both splits add up to the same total, so every misplaced token is
                        // counted twice in the sum of differences.
                        let (agreed, diff) = compare_split(&split, &recorded);
                        let d = &mut row.decisions;
                        d.replay_compared += 1;
                        d.replay_agreed += u64::from(agreed);
                        d.replay_tokens_compared += u128::from(split.total());
                        d.replay_tokens_misassigned += u128::from(diff / 2);
                    }
                    out.costs
                        .push((job.scenario, key.workload, cost.total() + job.escalated));
                });
                if let Some(last) = calls.last {
                    let now = last.0 .0;
                    state.cache.evict_expired(now);
                    for c in &mut state.survey {
                        c.evict_expired(now);
                    }
                    state.auto.forget(now);
                    state.survey_auto.forget(now);
                    state.suffixes.forget(now);
                }
                // Grouped for `record_sorted_costs`; a scope's calls are few enough for a
                // comparison sort.
                out.costs.sort_unstable_by_key(|&(s, w, _)| (s, w));
                out
            })
            .collect();
        for (scope, calls, state) in work {
            if let Some(last) = calls.last {
                self.watermark.insert(scope, last.0);
            }
            self.states.insert(scope, state);
        }
        Some(results)
    }
}

/// A call's tokens with the input split its cache replay gave.
pub(crate) fn with_split(t: &Tokens, split: &Split) -> Tokens {
    Tokens {
        input: split.uncached,
        cache_write_5m: split.write_5m,
        cache_write_1h: split.write_1h,
        cache_read: split.read,
        ..*t
    }
}

/// Prices a counterfactual call with `tokens` (its own, or the split its cache replay gave).
pub(crate) fn price_counterfactual(
    cf: &Counterfactual,
    tokens: &Tokens,
    day: tokensim_corpus::Day,
    catalog: &Catalog,
) -> Result<Cost, PricingError> {
    catalog.price(cf.model, tokens, &terms(cf, day))
}

/// The terms a counterfactual call is billed on.
fn terms(cf: &Counterfactual, day: tokensim_corpus::Day) -> Terms {
    Terms {
        day,
        batch: cf.batch,
        us_residency: cf.us_residency,
        fast: cf.fast,
    }
}

/// Adds a priced call (one request) to a scenario row, in place: a row is large, and building
/// one per call to add it cost more than the pricing.
pub(crate) fn add_call(
    st: &mut ScenarioTally,
    batch: bool,
    decisions: &Decisions,
    tokens: &Tokens,
    cost: &Cost,
) {
    st.tally.requests += 1;
    st.tally.batch_requests += u64::from(batch);
    if batch {
        st.batch_input_tokens += u128::from(tokens.total_input());
    }
    st.tally.tokens += *tokens;
    st.tally.cost += *cost;
    crate::tally::count_decisions(&mut st.decisions, decisions);
}

type Histograms = BTreeMap<(Option<u32>, u32), Histogram<u64>>;

/// Interns workloads to dense ids, looking them up by borrowed strings so that a known workload
/// costs no allocation.
#[derive(Default)]
struct Interner {
    list: Vec<Workload>,
    by_hash: HashMap<u64, Vec<u32>>,
}

impl Interner {
    /// Collisions only cost a comparison: ids come from the exact strings.
    fn hash(team: Option<&str>, app: Option<&str>, feature: Option<&str>) -> u64 {
        workload_hash(team, app, feature)
    }

    fn id(&mut self, team: Option<&str>, app: Option<&str>, feature: Option<&str>) -> u32 {
        let h = Self::hash(team, app, feature);
        let candidates = self.by_hash.entry(h).or_default();
        for &i in candidates.iter() {
            let w = &self.list[i as usize];
            if w.team.as_deref() == team
                && w.app.as_deref() == app
                && w.feature.as_deref() == feature
            {
                return i;
            }
        }
        let i = u32::try_from(self.list.len()).expect("fewer than 4 billion workloads");
        self.list.push(Workload {
            team: team.map(str::to_string),
            app: app.map(str::to_string),
            feature: feature.map(str::to_string),
        });
        candidates.push(i);
        i
    }
}

/// Reorders `v` so that items with equal keys (below `keys`) are adjacent, in key order and, for
/// equal keys, in their order before: a counting sort, linear where a comparison sort of a
/// chunk's costs took as long as recording them.
fn group_by_key<T: Copy>(v: &mut Vec<T>, keys: usize, key: impl Fn(&T) -> usize) {
    if v.len() < 2 {
        return;
    }
    let mut start = vec![0usize; keys + 1];
    for x in v.iter() {
        start[key(x) + 1] += 1;
    }
    for i in 1..=keys {
        start[i] += start[i - 1];
    }
    let mut out = vec![v[0]; v.len()];
    for x in v.iter() {
        let k = key(x);
        out[start[k]] = *x;
        start[k] += 1;
    }
    *v = out;
}

/// Records costs grouped by (scenario, workload), one histogram lookup a run of equal keys
/// (`key` gives a run's histogram key, mapping a chunk-local workload to the run's). A
/// histogram spans hundreds of kilobytes: recording a run of calls into one at a time keeps it
/// in cache, where interleaving every workload's calls missed on nearly every call.
fn record_sorted_costs<S: Copy + Eq>(
    histograms: &mut Histograms,
    costs: &[(S, u32, PicoUsd)],
    key: impl Fn(S, u32) -> (Option<u32>, u32),
) {
    for run in costs.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        let (s, w, _) = run[0];
        let h = histograms
            .entry(key(s, w))
            .or_insert_with(new_cost_histogram);
        for &(_, _, c) in run {
            h.saturating_record(micro_usd(c));
        }
    }
}

fn micro_usd(c: PicoUsd) -> u64 {
    u64::try_from(c.0.max(0) / 1_000_000).unwrap_or(u64::MAX)
}

/// What a pool task hands back to the merging thread.
enum Done {
    /// Chunk `n` (in reading order) and what it produced (boxed: a result is large).
    Chunk(usize, Box<(Chunk, ChunkResult)>),
    /// The cache stage after it replayed a round's calls, and what they produced (`None` when a
    /// scope went back in time).
    Drain(Box<CacheStage>, Option<Vec<Drained>>),
}

/// What the merging thread waits for: the reader's next chunk (`None` after the last), or a
/// task's result.
enum Event {
    Read(Option<Result<Chunk, CorpusError>>),
    Done(Done),
}

/// One pass over the corpus. In streaming mode, returns `Ok(None)` when the cache stage finds the
/// corpus out of time order (the caller starts again in sorted mode).
#[allow(clippy::too_many_arguments)]
fn pass(
    pool: &rayon::ThreadPool,
    cfg: &ReplayConfig,
    catalog: &Catalog,
    sink: &mut (dyn Sink + Send),
    reference_flag: Option<ModelId>,
    sorted_mode: bool,
    mode: Mode,
    risk: &dyn RiskModel,
) -> Result<Option<(ReplayOutcome, Choices)>, ReplayError> {
    let (probe, digests) = match mode {
        Mode::Replay(_, probe, digests) => (probe, digests),
        Mode::Survey => (Probe::None, Digests::Skip),
    };
    let probe_scenario = (probe == Probe::Hidden).then(|| probe_scenario(0));
    let evaluated = Evaluated {
        list: &cfg.scenarios,
        leaders: cache_leaders(&cfg.scenarios),
    };
    let thresholds = catalog.band_thresholds();
    assert!(
        thresholds.len() < MAX_SIZE_CLASSES,
        "{} band thresholds: raise MAX_SIZE_CLASSES",
        thresholds.len()
    );
    let reader = ChunkReader::new(&cfg.corpus)?;
    let total_bytes = reader.total_bytes();
    let progress = reader.progress();
    let recycler = reader.recycler();
    let paths: Vec<String> = reader
        .sources()
        .iter()
        .map(|s| s.path.display().to_string())
        .collect();
    let stats = CorpusStats {
        files: paths
            .iter()
            .map(|p| FileStats {
                path: p.clone(),
                ..FileStats::default()
            })
            .collect(),
        ..CorpusStats::default()
    };
    let mut m = Merged {
        stats,
        ..Merged::default()
    };
    let mut cache = CacheStage::default();
    // A round is four chunks a thread (the pool holds at most a round of chunks, and the reader
    // reads a round ahead): with no barrier between rounds, eight gained nothing on the bench
    // corpus's baseline (median 2.42 s against 2.35) and peaked at 78 MB of RSS instead of 48
    // (four interleaved runs each).
    // Fewer when many scenarios re-simulate the cache (attribution adds every lever subset),
    // since each queues a call per line and about three rounds' calls are in memory at once:
    // memory stays about that of eight re-simulating scenarios.
    let resimulating = cfg.scenarios.iter().filter(|s| s.simulates_cache()).count();
    let queued_per_line = resimulating + usize::from(probe_scenario.is_some());
    let per_thread = 4;
    let round_len = (pool.current_num_threads() * per_thread * 8 / queued_per_line.max(8))
        .max(pool.current_num_threads());
    // A reader thread reads (and for zstd decompresses and hashes), splits and finds the newlines
    // of the next chunks while the pool works (a plain file's chunks hash its blocks in the
    // pool); its bounded channel holds a round of chunks read ahead.
    let (tx, rx) = crossbeam_channel::bounded::<Result<Chunk, CorpusError>>(round_len);
    let mut reader = match digests {
        Digests::Compute => reader.hashing(),
        Digests::Skip => reader,
    };
    let reader_thread = std::thread::spawn(move || {
        for chunk in reader.by_ref() {
            let failed = chunk.is_err();
            if tx.send(chunk).is_err() || failed {
                break;
            }
        }
        reader.digests()
    });
    // This thread hands each chunk to the pool as it arrives and merges the results in chunk
    // order (so ids and quarantine order stay deterministic), queueing each chunk's
    // re-simulated calls by scope; the pool parses and prices chunks without waiting for one
    // another (a pool that waited for a whole batch idled for its slowest chunk). Every
    // `round_len` chunks merged make a round, whose calls the cache stage replays as one task
    // while the pool goes on parsing (a scope's replay is sequential; the stage replays scopes
    // in parallel). Rounds are drained in order, one at a time; the stage's results are sums,
    // merged when they come back. In sorted mode, every round's calls wait for the end.
    let (done_tx, done_rx) = crossbeam_channel::unbounded::<Done>();
    let process = |chunk: &Chunk| {
        process_chunk(
            chunk,
            catalog,
            &thresholds,
            &evaluated,
            risk,
            cfg.owner_tag.as_deref(),
            probe_scenario.as_ref(),
        )
    };
    let process = &process;
    // In sorted mode: every round's calls, by scope.
    let mut to_drain = Queued::default();
    let streamed = pool.in_place_scope(|s| -> Result<bool, ReplayError> {
        let mut reading = true;
        // Chunks handed to the pool, and merged, so far.
        let (mut dispatched, mut merged) = (0usize, 0usize);
        // Results that came back before an earlier chunk's: `waiting[i]` is chunk `merged + i`.
        let mut waiting: VecDeque<Option<Box<(Chunk, ChunkResult)>>> = VecDeque::new();
        // The calls queued by the round being merged; complete rounds waiting for the stage.
        let mut queued = Queued::default();
        let mut rounds: VecDeque<Queued> = VecDeque::new();
        // The cache stage, `None` while it drains a round on the pool.
        let mut stage = Some(std::mem::take(&mut cache));
        // A read error ends the reading, and the run once every chunk before it is merged
        // (whose bad lines come first, in corpus order).
        let mut read_error: Option<CorpusError> = None;
        loop {
            if merged == dispatched {
                if let Some(e) = read_error.take() {
                    return Err(ReplayError::from(e));
                }
            }
            // The pool holds at most a round of chunks, and none while a complete round waits
            // for the stage: the calls in memory stay about three rounds'.
            let room = reading && dispatched - merged < round_len && rounds.is_empty();
            let busy = dispatched > merged || stage.is_none();
            let event = match (room, busy) {
                (false, false) => break,
                (true, false) => Event::Read(rx.recv().ok()),
                (false, true) => Event::Done(done_rx.recv().expect("a task is running")),
                (true, true) => crossbeam_channel::select! {
                    recv(rx) -> chunk => Event::Read(chunk.ok()),
                    recv(done_rx) -> done => Event::Done(done.expect("a task is running")),
                },
            };
            match event {
                Event::Read(None) => reading = false,
                Event::Read(Some(Err(e))) => {
                    reading = false;
                    read_error = Some(e);
                }
                Event::Read(Some(Ok(chunk))) => {
                    let (n, done_tx) = (dispatched, done_tx.clone());
                    s.spawn(move |_| {
                        let res = process(&chunk);
                        // The receiver outlives the scope: a send only fails after an error
                        // ended the run.
                        let _ = done_tx.send(Done::Chunk(n, Box::new((chunk, res))));
                    });
                    dispatched += 1;
                }
                Event::Done(Done::Chunk(n, done)) => {
                    let at = n - merged;
                    if waiting.len() <= at {
                        waiting.resize_with(at + 1, || None);
                    }
                    waiting[at] = Some(done);
                    while let Some(done) = waiting.front_mut().and_then(Option::take) {
                        waiting.pop_front();
                        let (chunk, res) = *done;
                        m.add_chunk(chunk.file, res, &mut queued, cfg, &paths, &mut *sink)?;
                        recycler.give(chunk.into_buffer());
                        merged += 1;
                        if merged % round_len == 0 {
                            rounds.push_back(std::mem::take(&mut queued));
                        }
                    }
                    // `waiting` keeps its empty front slot when the next chunk is not back.
                    sink.progress(progress.load(Ordering::Relaxed), total_bytes);
                }
                Event::Done(Done::Drain(back, replayed)) => {
                    // `None`: a scope went back in time.
                    let Some(replayed) = replayed else {
                        return Ok(false);
                    };
                    m.add_drained(replayed);
                    stage = Some(*back);
                }
            }
            // The last round is whatever the last chunks queued.
            if !reading && merged == dispatched && !queued.is_empty() {
                rounds.push_back(std::mem::take(&mut queued));
            }
            if sorted_mode {
                for round in rounds.drain(..) {
                    for (scope, jobs) in round {
                        to_drain.entry(scope).or_default().extend(jobs);
                    }
                }
            } else if stage.is_some() && !rounds.is_empty() {
                let round = rounds.pop_front().expect("a round waits");
                let mut st = stage.take().expect("the stage is idle");
                let done_tx = done_tx.clone();
                s.spawn(move |_| {
                    let replayed = st.drain(round, catalog, true, mode);
                    let _ = done_tx.send(Done::Drain(Box::new(st), replayed));
                });
            }
        }
        cache = stage.take().expect("no drain is running at the end");
        Ok(true)
    });
    // An error, or a scope that went back in time (`false`): dropping the receiver stops the
    // reader thread at its next send.
    if !matches!(streamed, Ok(true)) {
        drop(rx);
        let _ = reader_thread.join();
        return streamed.map(|_| None);
    }
    if sorted_mode {
        // Every re-simulated call, each scope sorted.
        let done = pool
            .install(|| cache.drain(std::mem::take(&mut to_drain), catalog, false, mode))
            .expect("a drain that does not stream does not check order");
        m.add_drained(done);
    }
    let Merged {
        mut stats,
        rows,
        scenario_rows,
        histograms,
        interner,
        workspaces: _,
        interactive,
        evals,
        batch_stats,
        trims,
        routes,
        fidelity,
        digest_parts,
    } = m;
    drop(rx);
    let mut digests = reader_thread
        .join()
        .expect("the reader thread does not panic");
    for part in digest_parts {
        digests.add(part);
    }
    let digests = digests.finish();
    for (s, (n, first)) in &interactive {
        let sc = &cfg.scenarios[*s as usize];
        if !sc.batch.as_ref().is_some_and(|b| b.allow_interactive) {
            return Err(ReplayError::Scenario {
                scenario: sc.name.clone(),
                message: format!(
                    "moves {n} calls labelled latency_class \"interactive\" to the Batch API (first: {}:{}); people wait for those answers. Narrow [[batch.eligible]] or set allow_interactive = true in [batch] to accept the latency risk",
                    paths[first.file as usize], first.line
                ),
            });
        }
    }
    // Empty when this pass skips them.
    let mut digests = digests.into_iter();
    for fs in &mut stats.files {
        if let Some(digest) = digests.next() {
            fs.blake3 = digest;
        }
        stats.records_read += fs.records;
        stats.priced += fs.priced;
        stats.quarantined += fs.quarantined;
        assert_eq!(
            fs.records,
            fs.priced + fs.quarantined,
            "{}: records read = priced + quarantined",
            fs.path
        );
    }
    // Pair assertions: the rows hold exactly the priced records, in the baseline and in every
    // scenario.
    assert_eq!(
        rows.values().map(|t| t.requests).sum::<u64>(),
        stats.priced,
        "rows account for every priced record"
    );
    for s in 0..cfg.scenarios.len() as u32 {
        let n: u64 = scenario_rows
            .range((s, Key::MIN)..)
            .take_while(|((i, _), _)| *i == s)
            .map(|(_, t)| t.tally.requests)
            .sum();
        assert_eq!(
            n, stats.priced,
            "scenario {s} accounts for every priced record"
        );
    }
    let reference = reference_flag.or_else(|| {
        let seen: BTreeSet<ModelId> = rows.keys().map(|k| k.model).collect();
        catalog.most_expensive(seen, stats.last_ts.unwrap_or_default().day())
    });
    let mut class_floors = vec![None];
    class_floors.extend(thresholds.iter().map(|&t| Some(t)));
    let choices: Choices = cache
        .states
        .iter()
        .flat_map(|(scope, state)| state.choices().map(|(u, c)| ((*scope, u), c)))
        .collect();
    let fidelity = match probe {
        Probe::None => None,
        Probe::Hidden => Some(fidelity),
        Probe::Scenario(s) => Some(
            scenario_rows
                .range((s, Key::MIN)..)
                .take_while(|((i, _), _)| *i == s)
                .fold(ReplayFidelity::default(), |mut f, (_, t)| {
                    let d = &t.decisions;
                    f.compared += d.replay_compared;
                    f.agreed += d.replay_agreed;
                    f.tokens_compared += d.replay_tokens_compared;
                    f.tokens_misassigned += d.replay_tokens_misassigned;
                    f.not_compared += d.no_prefix_data;
                    f
                }),
        ),
    };
    let outcome = ReplayOutcome {
        fidelity,
        stats,
        rows,
        reference,
        reference_from_flag: reference_flag.is_some(),
        class_floors,
        scenario_rows,
        cost_histograms: histograms,
        workloads: interner.list,
        sorted_mode,
        evals,
        routes,
        batch: batch_stats,
        trims,
    };
    Ok(Some((outcome, choices)))
}

/// The run's accumulators: what the merge stage adds every chunk's results to.
#[derive(Default)]
struct Merged {
    stats: CorpusStats,
    rows: BTreeMap<Key, Tally>,
    scenario_rows: BTreeMap<(u32, Key), ScenarioTally>,
    histograms: Histograms,
    interner: Interner,
    workspaces: Interner,
    interactive: BTreeMap<u32, (u64, Position)>,
    evals: BTreeMap<EvalKey, EvalCount>,
    batch_stats: BTreeMap<u32, BatchStats>,
    trims: BTreeMap<TrimKey, u64>,
    routes: BTreeMap<RouteKey, RouteCount>,
    fidelity: ReplayFidelity,
    digest_parts: Vec<DigestPart>,
}

impl Merged {
    /// Adds the cache stage's results to the run's rows and histograms (sums: order-free).
    fn add_drained(&mut self, done: Vec<Drained>) {
        for d in done {
            add_fidelity(&mut self.fidelity, &d.fidelity);
            for (k, t) in d.rows {
                *self.scenario_rows.entry(k).or_default() += &t;
            }
            record_sorted_costs(&mut self.histograms, &d.costs, |s, w| (Some(s), w));
        }
    }

    /// Adds one chunk's results (chunks in corpus order), and queues its re-simulated calls by
    /// scope. A bad line stops the run here unless it is quarantined.
    fn add_chunk(
        &mut self,
        file: u32,
        res: ChunkResult,
        queued: &mut Queued,
        cfg: &ReplayConfig,
        paths: &[String],
        sink: &mut (dyn Sink + Send),
    ) -> Result<(), ReplayError> {
        let f = file as usize;
        let stats = &mut self.stats;
        let fs = &mut stats.files[f];
        fs.header |= res.header;
        fs.records += res.records;
        fs.priced += res.priced;
        stats.blank_lines += res.blank;
        stats.aggregated += res.aggregated;
        self.fidelity.not_compared += res.probe_not_compared;
        self.digest_parts.extend(res.digest);
        for (line, err, raw) in res.bad {
            if !cfg.quarantine {
                return Err(CorpusError::Line {
                    path: cfg.corpus[f].clone(),
                    line,
                    error: err,
                }
                .into());
            }
            fs.quarantined += 1;
            let key = if err.field.is_empty() {
                "(line)".to_string()
            } else {
                field_kind(&err.field)
            };
            *stats.quarantine_by_field.entry(key).or_default() += 1;
            sink.quarantined(&Quarantined {
                file: paths[f].clone(),
                line,
                field: err.field,
                reason: err.message,
                raw,
            });
        }
        stats.first_ts = min_opt(stats.first_ts, res.first_ts);
        stats.last_ts = max_opt(stats.last_ts, res.last_ts);
        // Chunk-local workload ids become the run's, in order of first appearance.
        let interner = &mut self.interner;
        let remap: Vec<u32> = res
            .workloads
            .list
            .iter()
            .map(|w| interner.id(w.team.as_deref(), w.app.as_deref(), w.feature.as_deref()))
            .collect();
        let global = |k: Key| Key {
            workload: remap[k.workload as usize],
            ..k
        };
        for (k, t) in res.rows {
            *self.rows.entry(global(k)).or_default() += &t;
        }
        for ((s, k), t) in res.scenario_rows {
            *self.scenario_rows.entry((s, global(k))).or_default() += &t;
        }
        record_sorted_costs(&mut self.histograms, &res.costs, |s, w| {
            (s, remap[w as usize])
        });
        for ((s, w, m, task), n) in res.trims {
            *self
                .trims
                .entry((s, remap[w as usize], m, task))
                .or_default() += n;
        }
        for (w, b) in res.batch {
            *self.batch_stats.entry(remap[w as usize]).or_default() += &b;
        }
        for ((w, from, to, task), c) in res.evals {
            *self
                .evals
                .entry((remap[w as usize], from, to, task))
                .or_default() += &c;
        }
        for ((s, w, from, to, task), c) in res.routes {
            *self
                .routes
                .entry((s, remap[w as usize], from, to, task))
                .or_default() += &c;
        }
        for (s, pos) in res.interactive {
            let e = self.interactive.entry(s).or_insert((0, pos));
            e.0 += 1;
            e.1 = e.1.min(pos);
        }
        let workspaces = &mut self.workspaces;
        let ws_remap: Vec<u32> = res
            .workspaces
            .list
            .iter()
            .map(|w| workspaces.id(w.team.as_deref(), None, None))
            .collect();
        // The calls stay in the vectors the chunk's worker wrote them to.
        let remap: Arc<[u32]> = remap.into();
        for ((s, w, model), mut calls) in res.scopes {
            calls.remap = Arc::clone(&remap);
            queued
                .entry((s, ws_remap[w as usize], model))
                .or_default()
                .push(calls);
        }
        Ok(())
    }
}

/// `prompt.segments[3].tokens` -> `prompt.segments.tokens`, so the summary groups by field.
fn field_kind(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut depth = 0;
    for c in field.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn min_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// A record's counterfactual in one scenario, and its cost, or for a call the cache stage
/// re-simulates, its blocks' range in the chunk's queue.
type Planned = (Counterfactual, Result<Cost, (usize, usize)>);

fn process_chunk(
    chunk: &Chunk,
    catalog: &Catalog,
    thresholds: &[u64],
    evaluated: &Evaluated<'_>,
    risk: &dyn RiskModel,
    owner_tag: Option<&str>,
    probe: Option<&Scenario>,
) -> ChunkResult {
    let mut res = ChunkResult {
        digest: chunk.digest_part(),
        ..ChunkResult::default()
    };
    let Evaluated {
        list: scenarios,
        leaders,
    } = evaluated;
    // Every re-simulating scenario (and the probe) may queue each line, and the baseline and
    // every other scenario record a cost: reserved up front, as growing vectors would copy them
    // over and over. Blocks too, for each scenario that replays its own cache (followers keep
    // none): their reallocations were 1.3% of a five-scenario run in perf. A segment takes at
    // least about 40 bytes of a line (`{"role":"user","hash":"…","tokens":N}`), so the chunk's
    // length bounds its blocks; untouched capacity costs address space, not memory. (Eight a
    // line fell short of the bench corpus's 9.4 and copied the vector once a chunk.)
    let resimulating = scenarios.iter().filter(|s| s.simulates_cache()).count();
    let replaying = scenarios
        .iter()
        .zip(leaders.iter())
        .filter(|(s, l)| s.simulates_cache() && l.is_none())
        .count();
    let lines = usize::try_from(chunk.lines).unwrap_or(0);
    let queued = (resimulating + usize::from(probe.is_some())) * lines;
    res.pending.jobs.reserve(queued);
    res.pending.scopes.reserve(queued);
    res.pending
        .blocks
        .reserve((replaying + usize::from(probe.is_some())) * (chunk.text().len() / 40));
    res.costs
        .reserve((1 + scenarios.len() - resimulating) * lines);
    let mut models: HashMap<String, Result<ModelId, PricingError>> = HashMap::default();
    // Each record's counterfactuals, one slot a scenario for the whole chunk, written and read
    // in place (`plan_in`): returning and pushing each one was most of a five-scenario run's
    // memory copying in perf. A record that fails leaves its slots to the next one.
    let mut planned: Vec<Planned> = (0..scenarios.len())
        .map(|_| (Counterfactual::unplanned(ModelId(0)), Ok(Cost::default())))
        .collect();
    for (pos, bytes, parsed) in chunk.parsed() {
        let line = match parsed {
            Ok(None) => {
                res.blank += 1;
                continue;
            }
            Ok(Some(Line::Header)) => {
                res.header = true;
                continue;
            }
            Ok(Some(Line::Record(r))) => r,
            Err(e) => {
                res.records += 1;
                res.bad
                    .push((pos.line, e, String::from_utf8_lossy(bytes).into_owned()));
                continue;
            }
        };
        res.records += 1;
        // Look up before inserting: a known model costs no allocation.
        let model = match models.get(line.model.as_str()) {
            Some(m) => m.clone(),
            None => {
                let m = catalog.resolve(&line.model);
                models.insert(line.model.to_string(), m.clone());
                m
            }
        };
        let priced = model.and_then(|m| {
            let tally = price_record(&line, m, catalog, thresholds)?;
            // Every scenario must price too, before anything is counted, so that a record is
            // either in the baseline and every scenario or quarantined.
            // A call the cache stage re-simulates is priced there, once its split is known; here
            // it only has to be priceable (which the tokens never decide).
            // Its blocks go straight to the chunk's queue, taken back if the record fails.
            let blocks = &mut res.pending.blocks;
            let before = blocks.len();
            for ((s, leader), (cf, cost)) in scenarios.iter().zip(leaders).zip(&mut planned) {
                let start = blocks.len();
                plan_in(s, &line, m, catalog, risk, blocks, cf);
                let priced = if cf.decisions.cache_simulated {
                    if leader.is_some() {
                        // The leader's call carries the same blocks.
                        blocks.truncate(start);
                    }
                    catalog
                        .check(cf.model, &terms(cf, line.ts.day()))
                        .map(|()| Err((start, blocks.len())))
                } else {
                    price_counterfactual(cf, &cf.tokens, line.ts.day(), catalog).map(Ok)
                };
                match priced {
                    Ok(c) => *cost = c,
                    Err(e) => {
                        blocks.truncate(before);
                        return Err(e);
                    }
                }
            }
            Ok((m, tally))
        });
        match priced {
            Ok((model, tally)) => {
                res.priced += 1;
                res.aggregated += u64::from(line.tags.iter().any(|t| t.starts_with("aggregate:")));
                res.first_ts = min_opt(res.first_ts, Some(line.ts));
                res.last_ts = max_opt(res.last_ts, Some(line.ts));
                let workload = match owner_tag {
                    None => res.workloads.id(
                        line.team.as_deref(),
                        line.app.as_deref(),
                        line.feature.as_deref(),
                    ),
                    Some(key) => {
                        let value = line.tags.iter().find_map(|t| {
                            t.strip_prefix(key)
                                .and_then(|rest| rest.strip_prefix(':'))
                                .filter(|v| !v.is_empty())
                        });
                        res.workloads.id(value, None, None)
                    }
                };
                let day = line.ts.day();
                // Every priced call's workspace is interned, so that ids follow first appearance
                // in the corpus whatever the scenarios: the survey pass and the replay pass
                // (which queue different calls) agree on every scope.
                let workspace = res.workspaces.id(line.workspace.as_deref(), None, None);
                res.costs.push((None, workload, tally.cost.total()));
                batch_observe(
                    res.batch.entry(workload).or_default(),
                    &line,
                    model,
                    &tally,
                    catalog,
                );
                for e in &line.evals {
                    // An eval naming a model the catalog does not know is evidence for nothing
                    // tokensim can route to; it is not counted.
                    if let Ok(to) = catalog.resolve(&e.model) {
                        let c = res
                            .evals
                            .entry((workload, model, to, line.task))
                            .or_default();
                        c.n += 1;
                        c.failures += u64::from(!e.pass);
                    }
                }
                for (i, (cf, cost)) in planned.iter().enumerate() {
                    let s = i as u32;
                    if cf.decisions.context_trimmed {
                        *res.trims
                            .entry((s, workload, cf.model, line.task))
                            .or_default() += 1;
                    }
                    if let Some(ro) = cf.route {
                        let c = res
                            .routes
                            .entry((s, workload, ro.from, ro.to, line.task))
                            .or_default();
                        c.routed += u64::from(!ro.rejected);
                        c.rejected += u64::from(ro.rejected);
                        c.escalated += u64::from(ro.escalated);
                        // The call's own eval on the target, if any (the first listed).
                        let own = line
                            .evals
                            .iter()
                            .find(|e| catalog.resolve(&e.model).is_ok_and(|m| m == ro.to));
                        if let (false, Some(e)) = (ro.rejected, own) {
                            c.passed_own_eval += u64::from(e.pass);
                            c.failed_own_eval += u64::from(!e.pass);
                        }
                    }
                    let escalated_cost = cf.escalated_cost();
                    if let Some((tokens, cost)) = cf.escalated.as_deref().copied() {
                        // The escalated call is billed on the recorded model's row; it is the
                        // same corpus call, so it adds cost and tokens but no request.
                        let mut e = ScenarioTally::default();
                        e.tally.tokens = tokens.into();
                        e.tally.cost = cost;
                        e.tally.batch_requests = 0;
                        let key = Key {
                            workload,
                            model,
                            day,
                        };
                        *res.scenario_rows.entry((s, key)).or_default() += &e;
                    }
                    if cf.decisions.moved_interactive {
                        res.interactive.push((s, pos));
                    }
                    let key = Key {
                        workload,
                        model: cf.model,
                        day,
                    };
                    match cost {
                        Ok(cost) => {
                            res.costs
                                .push((Some(s), workload, cost.total() + escalated_cost));
                            add_call(
                                res.scenario_rows.entry((s, key)).or_default(),
                                cf.batch,
                                &cf.decisions,
                                &cf.tokens,
                                cost,
                            );
                        }
                        Err(blocks) => {
                            let scope = leaders[i].unwrap_or(s);
                            res.queue((scope, s), workspace, line.ts, pos, key, cf, *blocks);
                        }
                    }
                }
                let key = Key {
                    workload,
                    model,
                    day,
                };
                if let Some(p) = probe {
                    // The fidelity probe: re-simulated beside the scenarios, compared with the
                    // log, never priced.
                    let start = res.pending.blocks.len();
                    let mut cf = Counterfactual::unplanned(model);
                    plan_in(
                        p,
                        &line,
                        model,
                        catalog,
                        risk,
                        &mut res.pending.blocks,
                        &mut cf,
                    );
                    if cf.decisions.cache_simulated {
                        let blocks = (start, res.pending.blocks.len());
                        res.queue((PROBE, PROBE), workspace, line.ts, pos, key, &cf, blocks);
                    } else {
                        res.probe_not_compared += 1;
                    }
                }
                res.rows.entry(key).or_default().add_priced(&tally);
            }
            Err(e) => {
                let field = match e {
                    PricingError::FastBatch | PricingError::NoFastMode { .. } => "speed",
                    _ => "model",
                };
                res.bad.push((
                    pos.line,
                    LineError {
                        field: field.into(),
                        message: e.to_string(),
                    },
                    String::from_utf8_lossy(bytes).into_owned(),
                ));
            }
        }
    }
    let workloads = res.workloads.list.len();
    group_by_key(
        &mut res.costs,
        (scenarios.len() + 1) * workloads,
        |&(s, w, _)| s.map_or(0, |s| s as usize + 1) * workloads + w as usize,
    );
    res.split_scopes();
    res
}

/// Counts a priced record for batch detection: its shape, its hour, and, when it ran real time
/// and not in fast mode (fast mode cannot be batched), what it cost and would cost as batch.
fn batch_observe(b: &mut BatchStats, r: &Record, model: ModelId, t: &Priced, catalog: &Catalog) {
    b.calls += 1;
    b.streaming += u64::from(r.stream == Some(true));
    b.interactive += u64::from(r.latency_class == Some(tokensim_corpus::LatencyClass::Interactive));
    b.async_labelled += u64::from(r.latency_class == Some(tokensim_corpus::LatencyClass::Async));
    let hour = r.ts.0.div_euclid(3_600_000_000_000).rem_euclid(24) as usize;
    b.hours.entry(r.ts.day()).or_insert([0; 24])[hour] += 1;
    if r.service_tier == ServiceTier::Batch {
        b.already_batch += 1;
    } else if r.speed != Speed::Fast {
        let terms = Terms {
            day: r.ts.day(),
            batch: true,
            us_residency: r.us_residency(),
            fast: false,
        };
        let as_batch = catalog
            .price(model, &Tokens::recorded(r), &terms)
            .expect("a call that priced real time prices as batch");
        b.movable += 1;
        b.movable_cost += t.cost.total();
        b.movable_batch_cost += as_batch.total();
    }
}

/// The size class of a total input: index `i` means `(thresholds[i-1], thresholds[i]]`.
fn size_class(total: u64, thresholds: &[u64]) -> usize {
    thresholds.partition_point(|&t| t < total)
}

pub(crate) fn price_record(
    r: &Record,
    model: ModelId,
    catalog: &Catalog,
    thresholds: &[u64],
) -> Result<Priced, PricingError> {
    let tokens = Tokens::recorded(r);
    let terms = Terms::recorded(r);
    let cost = catalog.price(model, &tokens, &terms)?;
    Ok(Priced {
        tokens,
        cost,
        batch: terms.batch,
        class: size_class(tokens.total_input(), thresholds),
    })
}

#[cfg(test)]
mod tests;
