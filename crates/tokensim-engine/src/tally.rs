//! Accumulators. Every field is an integer sum, so merging is associative and commutative and
//! exact: per-row totals add up to the grand total to the pico-dollar.

use std::ops::AddAssign;

use tokensim_corpus::Day;
use tokensim_pricing::{Cost, ModelId, Tokens};

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

impl Workload {
    /// `team/app/feature` with "unattributed" for missing parts.
    pub fn label(&self) -> String {
        let part = |p: &Option<String>| p.clone().unwrap_or_else(|| "unattributed".to_string());
        format!(
            "{}/{}/{}",
            part(&self.team),
            part(&self.app),
            part(&self.feature)
        )
    }
}

/// The aggregation key: one row per (workload, model, day).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// The workload.
    pub workload: Workload,
    /// The canonical model.
    pub model: ModelId,
    /// The UTC day.
    pub day: Day,
}

impl Key {
    /// The smallest key, for range scans.
    pub const MIN: Key = Key {
        workload: Workload {
            team: None,
            app: None,
            feature: None,
        },
        model: ModelId(0),
        day: tokensim_corpus::Day(i32::MIN),
    };
}

/// Token sums of one size class, from which the naive reference is priced once the reference
/// model is known (it is the most expensive model seen, so only known after the pass).
pub type RefSums = Tokens;

/// What a row accumulates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally {
    /// Calls.
    pub requests: u64,
    /// Calls through the Batch API.
    pub batch_requests: u64,
    /// Tokens by component, as recorded.
    pub tokens: Tokens,
    /// Cost by component, as recorded.
    pub cost: Cost,
    /// Reference sums by size class (index `i`: total input in `(threshold[i-1], threshold[i]]`).
    pub reference: Vec<RefSums>,
}

impl Tally {
    pub(crate) fn new(classes: usize) -> Tally {
        Tally {
            reference: vec![Tokens::default(); classes],
            ..Tally::default()
        }
    }
}

fn add_tokens(a: &mut Tokens, b: &Tokens) {
    a.input += b.input;
    a.cache_write_5m += b.cache_write_5m;
    a.cache_write_1h += b.cache_write_1h;
    a.cache_read += b.cache_read;
    a.output += b.output;
    a.web_search_requests += b.web_search_requests;
}

impl AddAssign<&Tally> for Tally {
    fn add_assign(&mut self, o: &Tally) {
        self.requests += o.requests;
        self.batch_requests += o.batch_requests;
        add_tokens(&mut self.tokens, &o.tokens);
        self.cost += o.cost;
        if self.reference.len() < o.reference.len() {
            self.reference.resize(o.reference.len(), Tokens::default());
        }
        for (a, b) in self.reference.iter_mut().zip(&o.reference) {
            add_tokens(a, b);
        }
    }
}

pub(crate) fn add_record_tokens(t: &mut Tokens, b: &Tokens) {
    add_tokens(t, b);
}

/// How many calls each lever decision touched, per (scenario, workload, model, day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecisionCounts {
    /// Sent to another model.
    pub routed: u64,
    /// Recorded cache split carried over to the target model.
    pub cache_carried_over: u64,
    /// Carried-over cached prefix below the target's minimum: became uncached.
    pub carried_below_minimum: u64,
    /// Fast mode dropped by routing.
    pub fast_dropped: u64,
    /// Output capped below what was recorded.
    pub truncated: u64,
    /// Moved to the Batch API.
    pub moved_to_batch: u64,
    /// Of which labelled interactive.
    pub moved_interactive: u64,
    /// Eligible for batch but in fast mode.
    pub batch_blocked_fast: u64,
    /// Re-simulated by the cache replay.
    pub cache_simulated: u64,
    /// Simulating policy but no segments: recorded usage kept.
    pub no_prefix_data: u64,
    /// Batch calls that lost the cache-hit draw.
    pub lost_hit_draw: u64,
}

impl DecisionCounts {
    pub(crate) fn add(&mut self, d: &tokensim_strategy::levers::Decisions) {
        self.routed += u64::from(d.routed);
        self.cache_carried_over += u64::from(d.cache_carried_over);
        self.carried_below_minimum += u64::from(d.carried_below_minimum);
        self.fast_dropped += u64::from(d.fast_dropped);
        self.truncated += u64::from(d.truncated);
        self.moved_to_batch += u64::from(d.moved_to_batch);
        self.moved_interactive += u64::from(d.moved_interactive);
        self.batch_blocked_fast += u64::from(d.batch_blocked_fast);
        self.cache_simulated += u64::from(d.cache_simulated);
        self.no_prefix_data += u64::from(d.no_prefix_data);
        self.lost_hit_draw += u64::from(d.lost_hit_draw);
    }
}

impl AddAssign<&DecisionCounts> for DecisionCounts {
    fn add_assign(&mut self, o: &DecisionCounts) {
        self.routed += o.routed;
        self.cache_carried_over += o.cache_carried_over;
        self.carried_below_minimum += o.carried_below_minimum;
        self.fast_dropped += o.fast_dropped;
        self.truncated += o.truncated;
        self.moved_to_batch += o.moved_to_batch;
        self.moved_interactive += o.moved_interactive;
        self.batch_blocked_fast += o.batch_blocked_fast;
        self.cache_simulated += o.cache_simulated;
        self.no_prefix_data += o.no_prefix_data;
        self.lost_hit_draw += o.lost_hit_draw;
    }
}

/// What a scenario row accumulates: its cost and tokens, and what the levers did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScenarioTally {
    /// Cost and tokens as the scenario would have had them.
    pub tally: Tally,
    /// Lever decisions.
    pub decisions: DecisionCounts,
}

impl AddAssign<&ScenarioTally> for ScenarioTally {
    fn add_assign(&mut self, o: &ScenarioTally) {
        self.tally += &o.tally;
        self.decisions += &o.decisions;
    }
}
