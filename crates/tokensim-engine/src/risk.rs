//! Quality risk: the eval outcomes the corpus records, the risk model the route lever decides
//! with (docs/quality-risk.md), and the counts of what each scenario routed.

use std::collections::HashMap;
use std::ops::AddAssign;

use tokensim_corpus::{Record, Task};
use tokensim_pricing::{Catalog, ModelId};
use tokensim_quality::{posterior, ModelRef, Posterior, Prior, Priors, TaskClass};
use tokensim_strategy::levers::RiskModel;

/// Evals of one (workload, recorded model, eval model, task): the same request run on the eval
/// model, judged against the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EvalCount {
    /// Evals.
    pub n: u64,
    /// Of which the eval model's answer was worse (`pass: false`).
    pub failures: u64,
}

impl AddAssign<&EvalCount> for EvalCount {
    fn add_assign(&mut self, o: &EvalCount) {
        self.n += o.n;
        self.failures += o.failures;
    }
}

/// What a scenario's route lever did for one (workload, recorded model, target, task).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RouteCount {
    /// Calls sent to the target.
    pub routed: u64,
    /// Calls the risk budget kept on their model.
    pub rejected: u64,
    /// Cascade: routed calls that failed on the target and ran again on the recorded model.
    pub escalated: u64,
    /// Routed calls whose own eval on the target passed: not at risk.
    pub passed_own_eval: u64,
    /// Routed calls whose own eval on the target failed: degraded.
    pub failed_own_eval: u64,
}

impl AddAssign<&RouteCount> for RouteCount {
    fn add_assign(&mut self, o: &RouteCount) {
        self.routed += o.routed;
        self.rejected += o.rejected;
        self.escalated += o.escalated;
        self.passed_own_eval += o.passed_own_eval;
        self.failed_own_eval += o.failed_own_eval;
    }
}

/// The task class of a corpus task.
pub fn class_of(task: Option<Task>) -> TaskClass {
    match task {
        Some(Task::Classification) => TaskClass::Classification,
        Some(Task::Extraction) => TaskClass::Extraction,
        Some(Task::Summarization) => TaskClass::Summarization,
        Some(Task::Chat) => TaskClass::Chat,
        Some(Task::Code) => TaskClass::Code,
        Some(Task::Reasoning) => TaskClass::Reasoning,
        Some(Task::Agent) => TaskClass::Agent,
        Some(Task::Other) | None => TaskClass::Other,
    }
}

/// The prior of a move from `from` to `to` for a task (docs/quality-risk.md).
pub fn prior_for(
    priors: &Priors,
    catalog: &Catalog,
    task: Option<Task>,
    from: ModelId,
    to: ModelId,
) -> Prior {
    let model = |m: ModelId| {
        let m = catalog.model(m);
        ModelRef::new(&m.id, &m.family, &m.version)
            .expect("every catalog model has a known family and a numeric version")
    };
    priors.prior(class_of(task), &model(from), &model(to))
}

/// The posterior of a move from `from` to `to` for a task, given its evals.
pub fn estimate(
    priors: &Priors,
    catalog: &Catalog,
    task: Option<Task>,
    from: ModelId,
    to: ModelId,
    evals: EvalCount,
) -> Posterior {
    let prior = prior_for(priors, catalog, task, from, to);
    posterior(&prior, evals.failures, evals.n)
}

/// The workload hash the risk model keys eval counts by, and the replay's workload interner
/// looks workloads up by (team, app, feature as written): Fx over each part's bytes, eight at a
/// time (FNV-1a's byte-at-a-time chain was 2% of a baseline), with a part's end and an absent
/// part told apart.
pub(crate) fn workload_hash(team: Option<&str>, app: Option<&str>, feature: Option<&str>) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    for part in [team, app, feature] {
        match part {
            Some(s) => {
                h.write(s.as_bytes());
                h.write_u8(0xff);
            }
            None => h.write_u8(0),
        }
    }
    h.finish()
}

/// Eval counts by (workload hash, recorded model, eval model, task).
pub(crate) type EvalsByHash = HashMap<(u64, ModelId, ModelId, Option<Task>), EvalCount>;

/// The risk model of a run: priors, updated with the corpus's evals when a scenario's decisions
/// depend on them (a pre-pass collects them); prior only otherwise.
pub(crate) struct Risk<'a> {
    pub priors: &'a Priors,
    pub catalog: &'a Catalog,
    pub evals: EvalsByHash,
}

impl RiskModel for Risk<'_> {
    fn degradation_ppm(&self, r: &Record, from: ModelId, to: ModelId) -> u32 {
        let w = workload_hash(r.team.as_deref(), r.app.as_deref(), r.feature.as_deref());
        let evals = self
            .evals
            .get(&(w, from, to, r.task))
            .copied()
            .unwrap_or_default();
        let p = estimate(self.priors, self.catalog, r.task, from, to, evals);
        (p.mean * 1e6).round() as u32
    }
}
