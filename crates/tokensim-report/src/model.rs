//! The Report model: everything a rendering prints, already computed. JSON is its canonical
//! form (`schema: "tokensim.report/1"`, documented in docs/report-format.md).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tokensim_pricing::money::PICO_PER_USD;
use tokensim_pricing::PicoUsd;

/// The schema name and version of the JSON form.
pub const REPORT_SCHEMA: &str = "tokensim.report/1";

/// An exact amount of money, serialized as a decimal USD string with twelve decimals
/// (`"1234.567890123456"`), so no consumer loses a pico-dollar to floating point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Usd(pub PicoUsd);

impl Serialize for Usd {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.usd_exact())
    }
}

impl<'de> Deserialize<'de> for Usd {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Usd, D::Error> {
        let s = String::deserialize(d)?;
        parse_usd(&s)
            .map(Usd)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not an exact USD amount")))
    }
}

fn parse_usd(s: &str) -> Option<PicoUsd> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty()
        || frac.len() > 12
        || !int.bytes().chain(frac.bytes()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i128 = int.parse().ok()?;
    let frac_v: i128 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<12}").parse().ok()?
    };
    let v = whole * PICO_PER_USD + frac_v;
    Some(PicoUsd(if neg { -v } else { v }))
}

impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Token counts by price component: the pricing crate's own type, serialized as is.
pub type TokenCounts = tokensim_pricing::TokenSums;

/// Cost by component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CostBreakdown {
    /// Uncached input.
    pub input: Usd,
    /// 5-minute cache writes.
    pub cache_write_5m: Usd,
    /// 1-hour cache writes.
    pub cache_write_1h: Usd,
    /// Cache reads.
    pub cache_read: Usd,
    /// Output.
    pub output: Usd,
    /// Web search fees.
    pub web_search: Usd,
    /// The sum of the above.
    pub total: Usd,
}

/// What a row groups by: a workload (team, app, feature), a model, a day, or nothing (totals).
/// Flattened into its row, so the JSON fields stand beside the row's numbers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct RowKey {
    /// `team` (workload rows).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub team: Option<String>,
    /// `app` (workload rows).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub app: Option<String>,
    /// `feature` (workload rows).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub feature: Option<String>,
    /// Canonical model id (model rows; in a scenario, the model that would serve the calls).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub model: Option<String>,
    /// UTC day, `YYYY-MM-DD` (day rows).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub day: Option<String>,
}

impl RowKey {
    /// The row's label: `team/app/feature`, the model or the day, or `total`.
    pub fn label(&self) -> String {
        if let Some(m) = &self.model {
            return m.clone();
        }
        if let Some(d) = &self.day {
            return d.clone();
        }
        if self.team.is_none() && self.app.is_none() && self.feature.is_none() {
            // Only the totals row has no key at all: workload rows always carry their three parts.
            return "total".into();
        }
        let part = |p: &Option<String>| p.as_deref().unwrap_or(UNATTRIBUTED).to_string();
        format!(
            "{}/{}/{}",
            part(&self.team),
            part(&self.app),
            part(&self.feature)
        )
    }
}

/// One row: a group of calls with what they cost as recorded and on the naive reference.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Row {
    /// What the row groups by.
    #[serde(flatten)]
    pub key: RowKey,
    /// Calls.
    pub requests: u64,
    /// Of which through the Batch API.
    pub batch_requests: u64,
    /// Tokens as recorded.
    pub tokens: TokenCounts,
    /// Cost as recorded.
    pub recorded: CostBreakdown,
    /// Cost of the same calls on the naive reference.
    pub reference: Usd,
    /// `reference - recorded`: what the organization saves against the naive reference.
    pub saving_vs_reference: Usd,
}

/// The label of a missing workload part.
pub const UNATTRIBUTED: &str = "unattributed";

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FileSection {
    /// The path as given.
    pub path: String,
    /// BLAKE3 of the file as stored (compressed, for a zstd file), as `b3sum FILE` prints it.
    pub blake3: String,
    /// Whether the file had a `tokensim.corpus/1` header.
    pub header: bool,
    /// Records read.
    pub records: u64,
    /// Records priced.
    pub priced: u64,
    /// Records quarantined.
    pub quarantined: u64,
}

/// What was read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CorpusSection {
    /// The files.
    pub files: Vec<FileSection>,
    /// Records read (= priced + quarantined).
    pub records_read: u64,
    /// Records priced.
    pub priced: u64,
    /// Records quarantined (only with `--quarantine`).
    pub quarantined: u64,
    /// Quarantined records by field at fault.
    pub quarantined_by_field: BTreeMap<String, u64>,
    /// Blank lines skipped.
    pub blank_lines: u64,
    /// Priced records tagged `aggregate:<source>`: each stands for summed requests (an Admin API
    /// usage bucket), so request counts count them once, and levers that need per-request data
    /// (cache simulation, thinking caps, context trimming) leave them as recorded.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub aggregated: u64,
    /// Earliest priced call.
    pub first_ts: Option<String>,
    /// Latest priced call.
    pub last_ts: Option<String>,
}

/// A discount applied from an overlay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscountSection {
    /// The model, or `null` for every model.
    pub model: Option<String>,
    /// Percent off, as written.
    pub percent: String,
    /// In force from (inclusive), or `null` for always.
    pub effective_from: Option<String>,
}

/// A price the overlay made inexact and that was rounded once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundingSection {
    /// The model.
    pub model: String,
    /// From this day.
    pub effective_from: String,
    /// Which rate.
    pub what: String,
    /// The exact rate in micro-USD per MTok, as a fraction.
    pub exact: String,
    /// The rate used, micro-USD per MTok.
    pub rounded_micro_usd_per_mtok: u64,
}

/// Which prices were used.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CatalogSection {
    /// The catalog's version (its verification date).
    pub version: String,
    /// The overlay's name, if one was applied.
    pub overlay: Option<String>,
    /// The overlay's discounts.
    pub discounts: Vec<DiscountSection>,
    /// Rates rounded because of the overlay (empty when all is exact).
    pub roundings: Vec<RoundingSection>,
}

/// The naive reference.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReferenceSection {
    /// Its model (`null` when nothing was priced).
    pub model: Option<String>,
    /// How it was chosen: `most-expensive-in-corpus` or `flag`.
    pub chosen_by: String,
    /// The rule, in words.
    pub rule: String,
}

/// The tool that wrote the report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ToolSection {
    /// `tokensim`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// Cost per call, micro-USD percentiles (from an HDR histogram, 3 significant digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CostPercentiles {
    /// Median.
    pub p50_micro_usd: u64,
    /// 90th percentile.
    pub p90_micro_usd: u64,
    /// 99th percentile.
    pub p99_micro_usd: u64,
}

/// How many calls each lever decision touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Decisions {
    /// Sent to another model.
    pub routed: u64,
    /// Recorded cache split carried over to the target model ("cache carried over").
    pub cache_carried_over: u64,
    /// Carried-over cached prefix below the target's minimum: became uncached input.
    pub carried_below_minimum: u64,
    /// Fast mode dropped because the target model has none.
    pub fast_dropped: u64,
    /// Output capped below what was recorded: the answer would have been truncated.
    pub truncated: u64,
    /// Moved to the Batch API.
    pub moved_to_batch: u64,
    /// Of which labelled interactive (latency risk).
    pub moved_interactive: u64,
    /// Eligible for batch but in fast mode (not batchable).
    pub batch_blocked_fast: u64,
    /// Re-simulated by the cache replay.
    pub cache_simulated: u64,
    /// The cache policy simulates but the call has no segments: recorded usage kept.
    pub no_prefix_data: u64,
    /// Batch calls that lost their cache-hit draw.
    pub lost_hit_draw: u64,
    /// Routes the risk budget refused (the calls kept their model).
    #[serde(default)]
    pub route_rejected: u64,
    /// Cascade: calls that failed on the cheap model and ran again on the recorded one.
    #[serde(default)]
    pub escalated: u64,
    /// Calls whose thinking tokens were cut to the thinking budget.
    #[serde(default)]
    pub thinking_capped: u64,
    /// Calls a thinking budget applied to that do not record their thinking tokens (unchanged).
    #[serde(default)]
    pub thinking_unknown: u64,
    /// Calls whose oldest turns were dropped to fit the context budget.
    #[serde(default)]
    pub context_trimmed: u64,
    /// Calls over a context budget without segments to trim (unchanged).
    #[serde(default)]
    pub trim_no_segments: u64,
    /// Fidelity of the `replay` policy: calls re-simulated with their recorded breakpoints on
    /// their recorded model, whose simulated split was compared with the recorded usage.
    #[serde(default)]
    pub replay_compared: u64,
    /// Of which the simulated read / 5m write / 1h write / uncached split equals the recorded one.
    #[serde(default)]
    pub replay_agreed: u64,
    /// Input tokens of the compared calls.
    #[serde(default)]
    pub replay_tokens_compared: u128,
    /// Of which the simulation put in another component than the log did.
    #[serde(default)]
    pub replay_tokens_misassigned: u128,
}

impl std::ops::AddAssign<&Decisions> for Decisions {
    fn add_assign(&mut self, o: &Decisions) {
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
        self.route_rejected += o.route_rejected;
        self.escalated += o.escalated;
        self.thinking_capped += o.thinking_capped;
        self.thinking_unknown += o.thinking_unknown;
        self.context_trimmed += o.context_trimmed;
        self.trim_no_segments += o.trim_no_segments;
        self.replay_compared += o.replay_compared;
        self.replay_agreed += o.replay_agreed;
        self.replay_tokens_compared += o.replay_tokens_compared;
        self.replay_tokens_misassigned += o.replay_tokens_misassigned;
    }
}

/// One row of a scenario: the same calls as recorded and as the scenario would have had them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScenarioRow {
    /// What the row groups by.
    #[serde(flatten)]
    pub key: RowKey,
    /// Calls.
    pub requests: u64,
    /// Of which through the Batch API in the scenario.
    pub batch_requests: u64,
    /// Tokens in the scenario.
    pub tokens: TokenCounts,
    /// Cost in the scenario.
    pub cost: CostBreakdown,
    /// What the same calls cost as recorded (absent on model rows, whose calls moved).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub recorded: Option<Usd>,
    /// `recorded - cost` (positive: the scenario saves).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub saving_vs_recorded: Option<Usd>,
    /// `naive reference - cost`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub saving_vs_reference: Option<Usd>,
    /// What the levers did.
    pub decisions: Decisions,
    /// Cost per call (workload and total rows).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cost_per_request: Option<CostPercentiles>,
    /// Batches the calls through the Batch API would form, within the API's limits and one
    /// UTC day each (workload and total rows; docs/batch.md).
    #[serde(skip_serializing_if = "is_zero", default)]
    pub batches: u64,
    /// Days with batch calls.
    #[serde(skip_serializing_if = "is_zero", default)]
    pub batch_days: u64,
    /// The most batches on one day.
    #[serde(skip_serializing_if = "is_zero", default)]
    pub max_batches_per_day: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One scenario's results.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScenarioReport {
    /// Its name.
    pub name: String,
    /// What it asks.
    pub description: String,
    /// Its file.
    pub file: String,
    /// BLAKE3 of the file's text.
    pub blake3: String,
    /// The levers it sets, in pipeline order.
    pub levers: Vec<String>,
    /// All calls.
    pub totals: ScenarioRow,
    /// By workload, largest saving first.
    pub by_workload: Vec<ScenarioRow>,
    /// By the model that would serve the calls, most expensive first.
    pub by_model: Vec<ScenarioRow>,
    /// By UTC day, in date order.
    pub by_day: Vec<ScenarioRow>,
    /// Quality risk of every move the route lever made or refused, per (workload, recorded
    /// model, target, task), most expected degraded responses first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quality: Vec<QualityRow>,
    /// Which lever saved what, for a scenario with two levers or more (docs/attribution.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
    /// By (workload, served model), in key order: the CSV's rows.
    #[serde(default)]
    pub by_workload_model: Vec<ScenarioRow>,
    /// For a scenario whose cache policy re-simulates (`replay`, `auto`, `optimal`): how
    /// closely the simulator reproduces this corpus's recorded usage (docs/fidelity.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fidelity: Option<crate::fidelity::ReplayFidelity>,
}

/// Lever attribution of one scenario: the waterfall in pipeline order and the Shapley shares,
/// each adding up exactly to the scenario's saving against the recorded cost.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Attribution {
    /// The scenario's levers, in pipeline order.
    pub levers: Vec<String>,
    /// Recorded cost minus the scenario's cost.
    pub total_saving: Usd,
    /// The saving each lever adds when the levers are added in pipeline order.
    pub waterfall: Vec<LeverShare>,
    /// Each lever's Shapley value: its marginal saving averaged over every order of adding the
    /// levers (rounded to the pico-dollar by largest remainder, so they add up exactly).
    pub shapley: Vec<LeverShare>,
    /// The cost of every subset of the levers (the empty subset is the recorded cost).
    pub subsets: Vec<SubsetCost>,
    /// The same, per workload, largest saving first.
    pub by_workload: Vec<WorkloadAttribution>,
}

/// One lever's part of a saving.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LeverShare {
    /// `route`, `caps`, `batch` or `cache`.
    pub lever: String,
    /// Its part of the saving (negative: the lever costs money here).
    pub saving: Usd,
}

/// The cost of a subset of a scenario's levers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SubsetCost {
    /// The levers applied, in pipeline order.
    pub levers: Vec<String>,
    /// Cost of all calls with only those levers.
    pub cost: Usd,
}

/// Attribution of one workload's saving.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WorkloadAttribution {
    /// The workload.
    #[serde(flatten)]
    pub key: RowKey,
    /// Its saving under the full scenario.
    pub total_saving: Usd,
    /// Waterfall in pipeline order.
    pub waterfall: Vec<LeverShare>,
    /// Shapley shares.
    pub shapley: Vec<LeverShare>,
}

/// The quality risk of one route (docs/quality-risk.md). Probabilities are statistics, not
/// money: they are floats.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QualityRow {
    /// The workload.
    #[serde(flatten)]
    pub key: RowKey,
    /// The lever that takes the risk: `route`, or `context_trim` (the calls keep their model
    /// and lose their oldest turns; prior only).
    pub lever: String,
    /// The recorded model.
    pub from: String,
    /// The model the route sends the calls to.
    pub to: String,
    /// The task class the prior is taken for.
    pub task: String,
    /// Calls routed.
    pub routed: u64,
    /// Calls the risk budget kept on their model.
    pub rejected: u64,
    /// Cascade: routed calls escalated to the recorded model.
    pub escalated: u64,
    /// Routed calls whose own eval on the target passed (not degraded).
    pub passed_own_eval: u64,
    /// Routed calls whose own eval on the target failed (degraded).
    pub failed_own_eval: u64,
    /// The prior: its mean, equivalent sample size and where it comes from.
    pub prior: PriorSection,
    /// Evals of this workload's calls on the target: count and failures.
    pub evals: u64,
    /// Failed evals.
    pub eval_failures: u64,
    /// "measured, n = 412" or "prior only".
    pub evidence: String,
    /// Posterior probability that a routed answer is worse: mean and 90% credible interval.
    pub degradation: Interval,
    /// Expected degraded responses among the routed calls at risk: mean and interval.
    pub expected_degraded: Interval,
    /// The risk target the sample size is computed for.
    pub risk_target: f64,
    /// Shadow evals that would bound the risk below the target with 95% confidence, if the
    /// failure rate stays at its estimate: a count, "already" or "unreachable".
    pub shadow_evals_needed: String,
}

/// A prior's summary.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PriorSection {
    /// Prior mean.
    pub mean: f64,
    /// Equivalent sample size.
    pub ess: f64,
    /// Which cell of the table, e.g. "prior: opus->sonnet step, chat".
    pub source: String,
}

/// A mean and a 90% interval.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Interval {
    /// Mean.
    pub mean: f64,
    /// 5% quantile.
    pub lo: f64,
    /// 95% quantile.
    pub hi: f64,
}

/// A baseline replay report.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Report {
    /// [`REPORT_SCHEMA`].
    pub schema: String,
    /// Who wrote it.
    pub tool: ToolSection,
    /// What was read.
    pub corpus: CorpusSection,
    /// Which prices.
    pub catalog: CatalogSection,
    /// The naive reference.
    pub reference: ReferenceSection,
    /// All priced calls.
    pub totals: Row,
    /// By workload (team/app/feature), most expensive first.
    pub by_workload: Vec<Row>,
    /// By model, most expensive first.
    pub by_model: Vec<Row>,
    /// By UTC day, in date order.
    pub by_day: Vec<Row>,
    /// Cost per call as recorded.
    pub cost_per_request: CostPercentiles,
    /// Whether the corpus was out of time order inside a cache scope, so the cache stage sorted
    /// it (a second read of the corpus).
    #[serde(default)]
    pub sorted_mode: bool,
    /// The scenarios, in the order given.
    #[serde(default)]
    pub scenarios: Vec<ScenarioReport>,
    /// For each `optimal` scenario run next to an `auto` scenario with the same other levers:
    /// how much `auto` leaves on the table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_headroom: Vec<CacheHeadroom>,
    /// Workloads that look like they could wait for the Batch API, largest saving first
    /// (docs/batch.md); reported with or without scenarios.
    #[serde(default)]
    pub batch_candidates: Vec<BatchCandidate>,
    /// By (workload, model), in key order: the CSV's rows.
    #[serde(default)]
    pub by_workload_model: Vec<Row>,
}

/// A workload batch detection flags, with the saving batch would bring and the evidence.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BatchCandidate {
    /// The workload.
    #[serde(flatten)]
    pub key: RowKey,
    /// `high`, `medium`, `low`, or `already` (every call already on the Batch API).
    pub grade: String,
    /// Calls.
    pub calls: u64,
    /// The busiest two-hour UTC window, e.g. `02:00-04:00`.
    pub window: String,
    /// Share of the calls in it.
    pub concentration: f64,
    /// Days with calls.
    pub days_active: u64,
    /// Days with a call in the window.
    pub days_in_window: u64,
    /// Whether arrivals look scheduled (docs/batch.md).
    pub scheduled: bool,
    /// Calls labelled `latency_class: "async"`.
    pub async_labelled: u64,
    /// Calls already through the Batch API.
    pub already_batch: u64,
    /// Real-time calls outside fast mode: what batch could take.
    pub movable: u64,
    /// The workload's recorded cost.
    pub recorded: Usd,
    /// The movable calls' recorded cost.
    pub movable_cost: Usd,
    /// What they would cost through the Batch API.
    pub batch_cost: Usd,
    /// `movable_cost - batch_cost`.
    pub saving: Usd,
    /// `saving / recorded`.
    pub saving_share: f64,
    /// The evidence, in words.
    pub evidence: String,
}

/// The frontier report's schema id.
pub const FRONTIER_SCHEMA: &str = "tokensim.frontier/1";

/// `tokensim frontier`: the cost-quality curve of threshold routing to one model.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FrontierReport {
    /// [`FRONTIER_SCHEMA`].
    pub schema: String,
    /// The model calls are routed to.
    pub to: String,
    /// Calls in the corpus.
    pub calls: u64,
    /// Their recorded cost.
    pub recorded: Usd,
    /// One point per threshold, ascending.
    pub points: Vec<FrontierPoint>,
    /// The cheapest point keeping at least 90% of the quality (none if no point does).
    pub at_90: Option<FrontierPoint>,
    /// The cheapest point keeping at least 95% of the quality.
    pub at_95: Option<FrontierPoint>,
}

/// One threshold of the sweep.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FrontierPoint {
    /// Calls with a difficulty below this move.
    pub threshold: f64,
    /// Calls routed.
    pub routed: u64,
    /// Cost of all calls at this threshold.
    pub cost: Usd,
    /// Recorded cost minus cost.
    pub saving: Usd,
    /// Cost / recorded cost.
    pub cost_share: f64,
    /// Expected degraded answers (docs/quality-risk.md).
    pub expected_degraded: f64,
    /// 1 - expected degraded / calls: the share of answers as good as the original.
    pub quality_retained: f64,
}

/// Headroom of the `auto` cache policy: its cost minus the hindsight bound's (`optimal`), for
/// two scenarios that differ only in the cache policy.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CacheHeadroom {
    /// The `auto` scenario's name.
    pub auto: String,
    /// The `optimal` scenario's name.
    pub optimal: String,
    /// All calls.
    pub totals: HeadroomRow,
    /// By workload, largest headroom first.
    pub by_workload: Vec<HeadroomRow>,
}

/// One row of a [`CacheHeadroom`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HeadroomRow {
    /// What the row groups by (empty for the totals).
    #[serde(flatten)]
    pub key: RowKey,
    /// Cost under `auto`.
    pub auto_cost: Usd,
    /// Cost under `optimal`.
    pub optimal_cost: Usd,
    /// `auto_cost - optimal_cost`.
    pub headroom: Usd,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usd_round_trips_exactly() {
        for v in [0i128, 1, -1, 123_456_789_012_345_678, -5 * PICO_PER_USD] {
            let s = serde_json::to_string(&Usd(PicoUsd(v))).unwrap();
            let back: Usd = serde_json::from_str(&s).unwrap();
            assert_eq!(back.0 .0, v, "{s}");
        }
        assert_eq!(
            serde_json::to_string(&Usd(PicoUsd(1_500_000_000_000))).unwrap(),
            "\"1.500000000000\""
        );
        assert!(serde_json::from_str::<Usd>("\"1.0000000000001\"").is_err());
        assert!(serde_json::from_str::<Usd>("1.5").is_err());
    }
}

/// One recurring prompt prefix and what a breakpoint on it would save (`tokensim prefixes`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PrefixRow {
    /// The workload of its first call.
    pub workload: String,
    /// Its cache scope: `workspace/model`.
    pub scope: String,
    /// The roles of its blocks, runs folded (`tools+system+user x3`).
    pub roles: String,
    /// Its tokens.
    pub tokens: u64,
    /// Calls that start with it.
    pub requests: u64,
    /// Calls per day over the corpus's span.
    pub requests_per_day: f64,
    /// Mean time between consecutive calls that start with it, seconds.
    pub mean_gap_s: f64,
    /// Whether any recorded call has a breakpoint at its end.
    pub cached_today: bool,
    /// Shorter than the model's minimum cacheable length (a breakpoint there does nothing).
    pub below_minimum: bool,
    /// Estimated saving per 30 days of a 5-minute breakpoint at its end (negative: it costs).
    pub saving_5m_per_month: Usd,
    /// The same with a 1-hour TTL.
    pub saving_1h_per_month: Usd,
}

/// A caching mistake the corpus shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PrefixFinding {
    /// `varying-block-before-stable`, `breakpoint-below-minimum` or `5m-ttl-with-longer-gaps`.
    pub kind: String,
    /// The workload it concerns.
    pub workload: String,
    /// What was seen, in words.
    pub detail: String,
}

/// The result of `tokensim prefixes`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PrefixReport {
    /// Records read.
    pub records: u64,
    /// Of which without prompt segments (not analysed).
    pub records_without_segments: u64,
    /// The corpus's span in days (at least 1), the base of the per-month figures.
    pub span_days: f64,
    /// The hottest prefixes, by the better of the two savings.
    pub rows: Vec<PrefixRow>,
    /// Mistakes found.
    pub findings: Vec<PrefixFinding>,
}
