//! The replay engine. It streams the corpus once: the reader yields chunks of whole lines, rayon
//! parses and prices chunks in parallel, and per-chunk tallies merge in chunk order into
//! `BTreeMap`s, so the result is byte-identical whatever the thread count.
//!
//! Only this crate knows about rayon.

mod attribution;
mod batch;
mod diff;
mod fidelity;
mod frontier;
mod prefixes;
mod replay;
mod risk;
mod summary;
mod tally;
mod validate;

pub use attribution::{attribute, expand, shapley, waterfall, Expanded};
pub use batch::{detect, BatchStats, Detection};
pub use diff::{diff, prefix_changes, Side};
pub use fidelity::{fidelity, FidelityConfig, NO_SESSION};
pub use frontier::{frontier, frontier_scenarios};
pub use prefixes::analyze_prefixes;
pub use replay::{
    replay, CorpusStats, FileStats, Quarantined, ReplayConfig, ReplayError, ReplayOutcome, Sink,
};
pub use risk::{estimate, EvalCount, RouteCount};
pub use summary::summarize;
pub use tally::{DecisionCounts, Key, RefSums, ScenarioTally, Tally, Workload};
pub use validate::{render_validate, validate, ValidateReport, MAX_LISTED_ERRORS, VALIDATE_SCHEMA};
