//! The Report model and its renderings. This crate only formats: every number it prints already
//! exists in the [`Report`] model, which the engine builds.

mod csv;
mod diff;
mod fidelity;
mod html;
mod model;
mod render;

pub use csv::{render_csv, CSV_HEADER};
pub use diff::{render_diff, DiffReport, DiffRow, DiffSide, PrefixChange, DIFF_SCHEMA};
pub use fidelity::{
    render_fidelity, FidelityCall, FidelityReport, FidelityRow, InputSplit, ReasonRow,
    ReplayFidelity, FIDELITY_SCHEMA,
};
pub use html::render_html;
pub use model::{
    Attribution, BatchCandidate, CacheHeadroom, CatalogSection, CorpusSection, CostBreakdown,
    CostPercentiles, Decisions, DiscountSection, FileSection, FrontierPoint, FrontierReport,
    HeadroomRow, Interval, LeverShare, PrefixFinding, PrefixReport, PrefixRow, PriorSection,
    QualityRow, ReferenceSection, Report, RoundingSection, Row, RowKey, ScenarioReport,
    ScenarioRow, SubsetCost, TokenCounts, ToolSection, Usd, WorkloadAttribution, FRONTIER_SCHEMA,
    REPORT_SCHEMA, UNATTRIBUTED,
};
pub use render::{
    apportion_cents, compact, render, render_frontier, render_prefixes, Align, Markup, Table,
};

/// The canonical JSON form, pretty-printed, with a final newline.
pub fn to_json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("a report always serializes");
    s.push('\n');
    s
}
