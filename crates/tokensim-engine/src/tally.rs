//! Accumulators. Every field is an integer sum, so merging is associative and commutative and
//! exact: per-row totals add up to the grand total to the pico-dollar.

use std::ops::AddAssign;

use tokensim_corpus::Day;
use tokensim_pricing::{Cost, ModelId, TokenSums, Tokens};

/// A workload: (team, app, feature). A missing part is `None` and reads "unattributed".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Workload {
    /// `team`.
    pub team: Option<String>,
    /// `app`.
    pub app: Option<String>,
    /// `feature`.
    pub feature: Option<String>,
}

/// The aggregation key: one row per (workload, model, day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// The workload, as an index into [`crate::ReplayOutcome::workloads`] (interned so that
    /// keys are cheap to hash, compare and copy on the hot path).
    pub workload: u32,
    /// The canonical model.
    pub model: ModelId,
    /// The UTC day.
    pub day: Day,
}

impl Key {
    /// The smallest key, for range scans.
    pub const MIN: Key = Key {
        workload: 0,
        model: ModelId(0),
        day: tokensim_corpus::Day(i32::MIN),
    };
}

/// Token sums of one size class, from which the naive reference is priced once the reference
/// model is known (it is the most expensive model seen, so only known after the pass).
pub type RefSums = TokenSums;

/// What a row accumulates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally {
    /// Calls.
    pub requests: u64,
    /// Calls through the Batch API.
    pub batch_requests: u64,
    /// Tokens by component, as recorded.
    pub tokens: TokenSums,
    /// Cost by component, as recorded.
    pub cost: Cost,
    /// Reference sums by size class (index `i`: total input in `(threshold[i-1], threshold[i]]`);
    /// classes beyond the catalog's stay zero. A fixed array, so a tally never allocates and
    /// every tally adds to every other whatever it was created from.
    pub reference: [RefSums; MAX_SIZE_CLASSES],
}

/// The most size classes the reference keeps (the catalog has two band thresholds, so three).
pub const MAX_SIZE_CLASSES: usize = 4;

/// One call priced as recorded: what it adds to its row ([`Tally::add_priced`]), without the
/// row's size-class array (a `Tally` is about 600 bytes, which moving per record showed in
/// profiles).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Priced {
    /// Tokens by component.
    pub tokens: Tokens,
    /// Cost by component.
    pub cost: Cost,
    /// Through the Batch API.
    pub batch: bool,
    /// Its size class (see [`Tally::reference`]).
    pub class: usize,
}

impl Tally {
    /// Adds one call priced as recorded.
    pub(crate) fn add_priced(&mut self, p: &Priced) {
        self.requests += 1;
        self.batch_requests += u64::from(p.batch);
        self.tokens += p.tokens;
        self.cost += p.cost;
        self.reference[p.class] += Tokens {
            input: p.tokens.total_input(),
            output: p.tokens.output,
            web_search_requests: p.tokens.web_search_requests,
            ..Tokens::default()
        };
    }
}

impl AddAssign<&Tally> for Tally {
    fn add_assign(&mut self, o: &Tally) {
        self.requests += o.requests;
        self.batch_requests += o.batch_requests;
        self.tokens += o.tokens;
        self.cost += o.cost;
        for (a, b) in self.reference.iter_mut().zip(&o.reference) {
            *a += *b;
        }
    }
}

/// How many calls each lever decision touched, per (scenario, workload, model, day): the
/// report's own counter type, so the engine's sums are what the report prints.
pub type DecisionCounts = tokensim_report::Decisions;

/// Counts one call's decisions.
pub(crate) fn count_decisions(c: &mut DecisionCounts, d: &tokensim_strategy::levers::Decisions) {
    c.routed += u64::from(d.routed);
    c.cache_carried_over += u64::from(d.cache_carried_over);
    c.carried_below_minimum += u64::from(d.carried_below_minimum);
    c.fast_dropped += u64::from(d.fast_dropped);
    c.truncated += u64::from(d.truncated);
    c.moved_to_batch += u64::from(d.moved_to_batch);
    c.moved_interactive += u64::from(d.moved_interactive);
    c.batch_blocked_fast += u64::from(d.batch_blocked_fast);
    c.cache_simulated += u64::from(d.cache_simulated);
    c.no_prefix_data += u64::from(d.no_prefix_data);
    c.lost_hit_draw += u64::from(d.lost_hit_draw);
    c.route_rejected += u64::from(d.route_rejected);
    c.escalated += u64::from(d.escalated);
    c.thinking_capped += u64::from(d.thinking_capped);
    c.thinking_unknown += u64::from(d.thinking_unknown);
    c.context_trimmed += u64::from(d.context_trimmed);
    c.trim_no_segments += u64::from(d.trim_no_segments);
}

/// What a scenario row accumulates: its cost and tokens, and what the levers did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScenarioTally {
    /// Cost and tokens as the scenario would have had them.
    pub tally: Tally,
    /// Lever decisions.
    pub decisions: DecisionCounts,
    /// Total input tokens of the calls sent through the Batch API (sizes the batches).
    pub batch_input_tokens: u128,
}

impl AddAssign<&ScenarioTally> for ScenarioTally {
    fn add_assign(&mut self, o: &ScenarioTally) {
        self.tally += &o.tally;
        self.decisions += &o.decisions;
        self.batch_input_tokens += o.batch_input_tokens;
    }
}
