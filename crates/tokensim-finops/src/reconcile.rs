//! Reconciliation with the invoice (docs/reconcile.md): Admin API cost report pages
//! (`GET /v1/organizations/cost_report`) against the corpus's recorded baseline, per UTC day,
//! workspace and model, with the difference, its share, and the likely cause where one can be
//! named.
//!
//! # Amounts
//!
//! A cost report `amount` is a decimal string of US **cents** (`"123.78912"` is $1.2378912). It is
//! read exactly into [`PicoUsd`] (one cent is 10^10 pico-dollars). Digits finer than a
//! pico-dollar (past the tenth decimal of a cent) are rounded half to even and counted
//! ([`InvoiceSide::amounts_rounded`]): an invoice is never refused for precision the comparison
//! cannot use. The currency must be `USD`. Every sum is exact; floats appear only in shares and
//! ratios.
//!
//! # Keys
//!
//! - **Day**: the bucket's `starting_at` (buckets must be whole UTC days); a record's UTC day.
//! - **Workspace**: `workspace_id` `null` is the default workspace, which the corpus writes as
//!   `workspace` absent, empty or `"default"`. Other ids are compared as written, or through
//!   [`ReconcileOptions::workspaces`] (`wrkspc_…` → the corpus's name).
//! - **Model**: the invoice's `model` resolved through the catalog (aliases and dated snapshots
//!   become the canonical id); an id the catalog does not know stays as written. A corpus
//!   record's model is resolved the same way.
//!
//! When the report was not grouped by `description`, `model`, `cost_type` and `token_type` are
//! `null`: a (day, workspace) where any token cost has no model is compared as **one row for all
//! models** ([`RowModel::AllModels`]). Where token costs carry a model, a model-less line (a
//! web-search or code-execution cost, say) goes to a [`RowModel::NoModel`] row, and the corpus's
//! cost of that component for the (day, workspace) moves there with it.
//!
//! # Cause rules
//!
//! A row with a zero difference names no cause. Otherwise, in this order (a row can have
//! several; the first is its primary cause, used by [`Reconciliation::by_cause`]):
//!
//! 1. [`Cause::UnpricedModel`]: the row's model is not in the catalog (invoice or corpus side),
//!    or the row holds corpus records whose model the catalog does not price.
//! 2. [`Cause::MissingFromCorpus`]: the invoice bills the row and the corpus has no record for
//!    it; `whole_day` when the corpus has no record at all that day (also listed once as
//!    [`Finding::MissingDay`] with the day's invoice total).
//! 3. [`Cause::NotRecordable`]: the invoice bills code execution or session usage, which a
//!    corpus record cannot carry.
//! 4. [`Cause::Discount`] / [`Cause::Markup`]: the row belongs to the uniform ratio (below).
//! 5. [`Cause::PriorityTier`]: the corpus has Priority Tier calls in the row, which the cost
//!    report leaves out, and the invoice matches the rest (within the ratio tolerance).
//! 6. [`Cause::DayNotInReport`] (no page covers the day) or [`Cause::MissingFromInvoice`] (the
//!    day is covered, but nothing is billed for the row) when the corpus has cost and the
//!    invoice has none.
//!
//! **Uniform ratio** (a negotiated discount): the candidate rows are those billed on both sides,
//! with a known model, no unpriced records and no Priority Tier calls. Each has the ratio
//! invoice / corpus (code execution and session usage left out of the invoice side). The rows
//! within [`RATIO_TOLERANCE`] (0.1 percentage point) of the median ratio are the consistent set;
//! a ratio is named when that set has at least two rows and more than half of the candidates,
//! and its ratio, estimated from its totals (Σ invoice / Σ corpus), is more than the tolerance
//! away from 1. Below 1 it is a discount of `(1 − ratio) × 100` percent, above 1 a markup.
//!
//! Each row also lists the components that differ ([`Row::differs_in`]): exact comparison, or,
//! with a uniform ratio, the components off `corpus × ratio` by more than the tolerance (and half
//! a cent). Only when the invoice is split by token type.

mod baseline;
mod invoice;
mod render;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::{AddAssign, Index, IndexMut};
use std::path::PathBuf;

use serde::Serialize;
use tokensim_corpus::{CorpusError, Day};
use tokensim_pricing::money::PICO_PER_CENT;
use tokensim_pricing::{Catalog, PicoUsd};
use tokensim_report::Usd;

pub use baseline::{price_as_recorded, read_baseline, Baseline, Cell, DEFAULT_WORKSPACE};
pub use invoice::{parse_cents, read_cost_report, CostReport, InvoiceLine};
pub use render::render;

/// The schema name and version of the JSON form.
pub const RECONCILE_SCHEMA: &str = "tokensim.reconcile/1";

/// How far a row's invoice / corpus ratio may be from the others' and still count as the same
/// ratio, and how far from 1 a ratio must be to be named: 0.1 percentage point.
pub const RATIO_TOLERANCE: f64 = 0.001;

/// Why a reconciliation could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// A cost report page is malformed.
    #[error("{file}:{line}: {}", field_message(.field, .message))]
    Page {
        /// The file, as named by the caller.
        file: String,
        /// The line the page starts on (for a JSON syntax error, the error's line).
        line: u64,
        /// The field's path, like `data[0].results[2].amount`; empty for the page as a whole.
        field: String,
        /// What is wrong, lowercase, no trailing period.
        message: String,
    },
    /// A cost report file could not be read.
    #[error("{file}: read failed: {cause}")]
    Read {
        /// The file.
        file: String,
        /// The cause.
        cause: std::io::Error,
    },
    /// The corpus could not be read, or a line is invalid (`file:line: field: what is wrong`).
    #[error(transparent)]
    Corpus(#[from] CorpusError),
}

fn field_message(field: &str, message: &str) -> String {
    if field.is_empty() {
        message.to_owned()
    } else {
        format!("{field}: {message}")
    }
}

/// What an amount is for: a cost report's `cost_type` and `token_type`, or a corpus price
/// component. Serialized with the cost report's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Component {
    /// `uncached_input_tokens`.
    #[serde(rename = "uncached_input_tokens")]
    UncachedInput,
    /// `cache_creation.ephemeral_5m_input_tokens`.
    #[serde(rename = "cache_creation.ephemeral_5m_input_tokens")]
    CacheWrite5m,
    /// `cache_creation.ephemeral_1h_input_tokens`.
    #[serde(rename = "cache_creation.ephemeral_1h_input_tokens")]
    CacheWrite1h,
    /// `cache_read_input_tokens`.
    #[serde(rename = "cache_read_input_tokens")]
    CacheRead,
    /// `output_tokens`.
    #[serde(rename = "output_tokens")]
    Output,
    /// `cost_type: "web_search"`.
    #[serde(rename = "web_search")]
    WebSearch,
    /// `cost_type: "code_execution"` (no corpus equivalent).
    #[serde(rename = "code_execution")]
    CodeExecution,
    /// `cost_type: "session_usage"` (no corpus equivalent).
    #[serde(rename = "session_usage")]
    SessionUsage,
    /// Token cost not split by token type (the report was not grouped by description).
    #[serde(rename = "unsplit")]
    Unsplit,
}

impl Component {
    /// Every component, in order.
    pub const ALL: [Component; 9] = [
        Component::UncachedInput,
        Component::CacheWrite5m,
        Component::CacheWrite1h,
        Component::CacheRead,
        Component::Output,
        Component::WebSearch,
        Component::CodeExecution,
        Component::SessionUsage,
        Component::Unsplit,
    ];

    /// The cost report's name.
    pub fn name(self) -> &'static str {
        match self {
            Component::UncachedInput => "uncached_input_tokens",
            Component::CacheWrite5m => "cache_creation.ephemeral_5m_input_tokens",
            Component::CacheWrite1h => "cache_creation.ephemeral_1h_input_tokens",
            Component::CacheRead => "cache_read_input_tokens",
            Component::Output => "output_tokens",
            Component::WebSearch => "web_search",
            Component::CodeExecution => "code_execution",
            Component::SessionUsage => "session_usage",
            Component::Unsplit => "unsplit",
        }
    }

    /// The component of a `token_type`, if it is one of the five the API documents.
    pub fn from_token_type(t: &str) -> Option<Component> {
        Component::ALL[..5].iter().copied().find(|c| c.name() == t)
    }

    /// Whether a corpus record can carry this cost (code execution and session usage it
    /// cannot).
    pub fn recordable(self) -> bool {
        !matches!(self, Component::CodeExecution | Component::SessionUsage)
    }

    /// A token cost (the five token types, or unsplit token cost).
    pub fn is_tokens(self) -> bool {
        matches!(
            self,
            Component::UncachedInput
                | Component::CacheWrite5m
                | Component::CacheWrite1h
                | Component::CacheRead
                | Component::Output
                | Component::Unsplit
        )
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Exact amounts by [`Component`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Amounts(pub [PicoUsd; 9]);

impl Amounts {
    /// The sum over every component.
    pub fn total(&self) -> PicoUsd {
        self.0.iter().copied().sum()
    }

    /// The sum over the components a corpus can record (code execution and session usage left
    /// out).
    pub fn recordable(&self) -> PicoUsd {
        Component::ALL
            .iter()
            .filter(|c| c.recordable())
            .map(|&c| self[c])
            .sum()
    }
}

impl Index<Component> for Amounts {
    type Output = PicoUsd;
    fn index(&self, c: Component) -> &PicoUsd {
        &self.0[c.index()]
    }
}

impl IndexMut<Component> for Amounts {
    fn index_mut(&mut self, c: Component) -> &mut PicoUsd {
        &mut self.0[c.index()]
    }
}

impl AddAssign<&Amounts> for Amounts {
    fn add_assign(&mut self, o: &Amounts) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a += b;
        }
    }
}

/// What the caller knows that the files do not say.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReconcileOptions {
    /// Cost report `workspace_id` → the corpus's workspace name (`wrkspc_01…` → `prod`). An id
    /// not listed is compared as written.
    pub workspaces: BTreeMap<String, String>,
}

/// The model of a row.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RowModel {
    /// One model: the catalog's canonical id, or the id as written when the catalog does not
    /// know it.
    Model {
        /// The id.
        id: String,
        /// Whether the catalog prices it.
        in_catalog: bool,
    },
    /// Every model of the (day, workspace): the report was not grouped by description.
    AllModels,
    /// Costs the report gives without a model (with the corpus's cost of the same components).
    NoModel,
}

impl fmt::Display for RowModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowModel::Model { id, .. } => f.write_str(id),
            RowModel::AllModels => f.write_str("(all models)"),
            RowModel::NoModel => f.write_str("(no model)"),
        }
    }
}

/// A likely cause of a row's difference (see the module docs for the rules).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cause {
    /// A model the catalog does not price, on the invoice or in the corpus.
    UnpricedModel {
        /// The ids, as written.
        models: Vec<String>,
    },
    /// The invoice bills the row; the corpus has no record for it.
    MissingFromCorpus {
        /// The corpus has no record at all that day.
        whole_day: bool,
    },
    /// Code execution or session usage, which a corpus record cannot carry.
    NotRecordable {
        /// Their amount on the invoice.
        amount: Usd,
    },
    /// The row's invoice / corpus ratio is the uniform ratio, below 1.
    Discount {
        /// The discount, percent, rounded to 0.001.
        percent: f64,
    },
    /// The row's invoice / corpus ratio is the uniform ratio, above 1.
    Markup {
        /// The markup, percent, rounded to 0.001.
        percent: f64,
    },
    /// Priority Tier calls in the corpus, which the cost report leaves out.
    PriorityTier {
        /// Their recorded cost.
        amount: Usd,
    },
    /// Corpus cost on a day no cost report page covers.
    DayNotInReport,
    /// Corpus cost with no invoice amount on a day the report covers.
    MissingFromInvoice,
}

impl Cause {
    /// A short stable name (`missing_from_corpus`, ...), as in the JSON's `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Cause::UnpricedModel { .. } => "unpriced_model",
            Cause::MissingFromCorpus { .. } => "missing_from_corpus",
            Cause::NotRecordable { .. } => "not_recordable",
            Cause::Discount { .. } => "discount",
            Cause::Markup { .. } => "markup",
            Cause::PriorityTier { .. } => "priority_tier",
            Cause::DayNotInReport => "day_not_in_report",
            Cause::MissingFromInvoice => "missing_from_invoice",
        }
    }

    /// The cause in words, as the table prints it.
    pub fn describe(&self) -> String {
        match self {
            Cause::UnpricedModel { models } => {
                format!("a model the catalog does not price ({})", models.join(", "))
            }
            Cause::MissingFromCorpus { whole_day: true } => {
                "records missing from the corpus (the whole day)".into()
            }
            Cause::MissingFromCorpus { whole_day: false } => {
                "records missing from the corpus".into()
            }
            Cause::NotRecordable { amount } => {
                format!("code execution / session usage ({amount}), which the corpus cannot record")
            }
            Cause::Discount { percent } => format!("a discount on the invoice of {percent:.1}%"),
            Cause::Markup { percent } => {
                format!("the invoice is {percent:.1}% above list prices on most rows")
            }
            Cause::PriorityTier { amount } => {
                format!("Priority Tier calls ({amount}), which the cost report leaves out")
            }
            Cause::DayNotInReport => "no cost report page covers this day".into(),
            Cause::MissingFromInvoice => {
                "calls in the corpus missing from the invoice (another org? a test key?)".into()
            }
        }
    }

    fn order(kind: &str) -> usize {
        [
            "unpriced_model",
            "missing_from_corpus",
            "not_recordable",
            "discount",
            "markup",
            "priority_tier",
            "day_not_in_report",
            "missing_from_invoice",
            "none",
        ]
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(usize::MAX)
    }
}

/// One component of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentRow {
    /// The component.
    pub component: Component,
    /// Invoice amount.
    pub invoice: Usd,
    /// Corpus amount.
    pub corpus: Usd,
    /// Invoice − corpus.
    pub difference: Usd,
}

/// One (day, workspace, model) compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// The workspace (corpus name; `default` for the default workspace).
    pub workspace: String,
    /// The model.
    pub model: RowModel,
    /// The invoice amount.
    pub invoice: Usd,
    /// The recorded baseline.
    pub corpus: Usd,
    /// Invoice − corpus.
    pub difference: Usd,
    /// Difference / invoice; `None` when the invoice amount is zero.
    pub share: Option<f64>,
    /// Invoice lines in the row.
    pub invoice_lines: u64,
    /// Corpus records in the row, priced or not.
    pub records: u64,
    /// Corpus records whose model the catalog does not price.
    pub unpriced_records: u64,
    /// The amounts by component, where either side is not zero.
    pub components: Vec<ComponentRow>,
    /// The components that differ (see the module docs); empty when the invoice is not split
    /// by token type or the row matches.
    pub differs_in: Vec<Component>,
    /// The likely causes, primary first; empty when none can be named.
    pub causes: Vec<Cause>,
}

/// A finding about the inputs as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// The invoice bills a day on which the corpus has no record.
    MissingDay {
        /// The day.
        day: String,
        /// The invoice's total that day.
        invoice: Usd,
        /// The day is before the corpus's first day or after its last.
        outside_corpus_span: bool,
    },
    /// The corpus has cost on a day no cost report page covers.
    DayNotInReport {
        /// The day.
        day: String,
        /// The corpus's cost that day.
        corpus: Usd,
    },
    /// Models the catalog does not price.
    UnpricedModels {
        /// On the invoice: id as written, and its amount.
        invoice: Vec<(String, Usd)>,
        /// In the corpus: id as written, and the number of records.
        corpus: Vec<(String, u64)>,
    },
    /// Workspaces found on one side only.
    UnmatchedWorkspaces {
        /// On the invoice only (after [`ReconcileOptions::workspaces`]).
        invoice_only: Vec<String>,
        /// In the corpus only.
        corpus_only: Vec<String>,
    },
    /// Invoice amounts finer than a pico-dollar, rounded half to even.
    AmountsRounded {
        /// How many.
        count: u64,
    },
}

/// A ratio invoice / corpus shared by most rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UniformRatio {
    /// Σ invoice / Σ corpus over the consistent rows.
    pub ratio: f64,
    /// `|1 − ratio| × 100`, rounded to 0.001.
    pub percent: f64,
    /// Below 1 (a discount) or above (a markup).
    pub discount: bool,
    /// Rows in the consistent set.
    pub rows: u64,
    /// Candidate rows (billed on both sides, known model, no Priority Tier).
    pub candidates: u64,
}

/// Totals of one cause (rows by their primary cause, `none` for rows without one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CauseTotal {
    /// [`Cause::kind`], or `none`.
    pub cause: &'static str,
    /// Rows.
    pub rows: u64,
    /// Their invoice amount.
    pub invoice: Usd,
    /// Their corpus amount.
    pub corpus: Usd,
    /// Their difference.
    pub difference: Usd,
}

/// The invoice side, summarized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceSide {
    /// Files read.
    pub files: Vec<String>,
    /// Pages read.
    pub pages: u64,
    /// Daily buckets read.
    pub buckets: u64,
    /// Results read.
    pub lines: u64,
    /// First day covered.
    pub first_day: Option<String>,
    /// Last day covered.
    pub last_day: Option<String>,
    /// Amounts finer than a pico-dollar, rounded half to even.
    pub amounts_rounded: u64,
}

/// The corpus side, summarized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CorpusSide {
    /// Files read.
    pub files: Vec<String>,
    /// Records read.
    pub records: u64,
    /// Records whose model the catalog does not price.
    pub unpriced_records: u64,
    /// First day with records.
    pub first_day: Option<String>,
    /// Last day with records.
    pub last_day: Option<String>,
}

/// Totals over every row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    /// Invoice total.
    pub invoice: Usd,
    /// Corpus total.
    pub corpus: Usd,
    /// Invoice − corpus.
    pub difference: Usd,
    /// Difference / invoice; `None` when the invoice total is zero.
    pub share: Option<f64>,
}

/// The comparison. Rows add up exactly to the totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reconciliation {
    /// [`RECONCILE_SCHEMA`].
    pub schema: &'static str,
    /// The price catalog's version.
    pub catalog: String,
    /// The invoice side.
    pub invoice: InvoiceSide,
    /// The corpus side.
    pub corpus: CorpusSide,
    /// The totals.
    pub totals: Totals,
    /// The uniform ratio (a negotiated discount), when one was found.
    pub uniform_ratio: Option<UniformRatio>,
    /// Findings about the inputs as a whole.
    pub findings: Vec<Finding>,
    /// Totals by primary cause.
    pub by_cause: Vec<CauseTotal>,
    /// Every (day, workspace, model), ascending.
    pub rows: Vec<Row>,
}

/// Reads the corpus and the cost report pages from files and compares them.
pub fn reconcile_files(
    corpus: &[PathBuf],
    pages: &[PathBuf],
    catalog: &Catalog,
    opts: &ReconcileOptions,
) -> Result<Reconciliation, ReconcileError> {
    let mut sources = Vec::with_capacity(pages.len());
    for p in pages {
        let name = p.display().to_string();
        let file = std::fs::File::open(p).map_err(|cause| ReconcileError::Read {
            file: name.clone(),
            cause,
        })?;
        sources.push((name, file));
    }
    let report = read_cost_report(sources)?;
    let baseline = read_baseline(corpus, catalog)?;
    Ok(reconcile(&report, &baseline, catalog, opts))
}

#[derive(Default)]
struct Acc {
    invoice: Amounts,
    corpus: Amounts,
    invoice_lines: u64,
    records: u64,
    unpriced_records: u64,
    priority: PicoUsd,
    unpriced_models: BTreeSet<String>,
}

fn share(part: PicoUsd, whole: PicoUsd) -> Option<f64> {
    (whole.0 != 0).then(|| part.0 as f64 / whole.0 as f64)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Compares the cost report with the baseline. Pure and deterministic.
pub fn reconcile(
    report: &CostReport,
    baseline: &Baseline,
    catalog: &Catalog,
    opts: &ReconcileOptions,
) -> Reconciliation {
    // Invoice lines by (day, workspace), models resolved.
    struct Billed {
        model: Option<RowModel>,
        component: Component,
        amount: PicoUsd,
    }
    let mut billed: BTreeMap<(Day, String), Vec<Billed>> = BTreeMap::new();
    let mut unknown_invoice: BTreeMap<String, PicoUsd> = BTreeMap::new();
    for l in &report.lines {
        let workspace = match &l.workspace_id {
            None => DEFAULT_WORKSPACE.to_owned(),
            Some(id) => opts.workspaces.get(id).unwrap_or(id).clone(),
        };
        let model = l.model.as_ref().map(|m| match catalog.resolve(m) {
            Ok(id) => RowModel::Model {
                id: catalog.model(id).id.clone(),
                in_catalog: true,
            },
            Err(_) => {
                *unknown_invoice.entry(m.clone()).or_default() += l.amount;
                RowModel::Model {
                    id: m.clone(),
                    in_catalog: false,
                }
            }
        });
        billed.entry((l.day, workspace)).or_default().push(Billed {
            model,
            component: l.component,
            amount: l.amount,
        });
    }
    // Corpus cells by (day, workspace).
    let mut recorded: BTreeMap<(Day, String), Vec<(&String, &Cell)>> = BTreeMap::new();
    for ((day, ws, model), cell) in &baseline.cells {
        recorded
            .entry((*day, ws.clone()))
            .or_default()
            .push((model, cell));
    }
    let corpus_days: BTreeSet<Day> = baseline.cells.keys().map(|k| k.0).collect();
    let keys: BTreeSet<(Day, String)> = billed.keys().chain(recorded.keys()).cloned().collect();

    let mut accs: Vec<((Day, String, RowModel), Acc)> = Vec::new();
    for key in keys {
        let lines = billed.get(&key).map_or(&[][..], Vec::as_slice);
        let cells = recorded.get(&key).map_or(&[][..], Vec::as_slice);
        let all_models = lines
            .iter()
            .any(|l| l.model.is_none() && l.component.is_tokens());
        let mut rows: BTreeMap<RowModel, Acc> = BTreeMap::new();
        // Components billed without a model, where token costs carry one.
        let mut modelless: BTreeSet<Component> = BTreeSet::new();
        for l in lines {
            let m = match (&l.model, all_models) {
                (_, true) => RowModel::AllModels,
                (Some(m), false) => m.clone(),
                (None, false) => {
                    modelless.insert(l.component);
                    RowModel::NoModel
                }
            };
            let acc = rows.entry(m.clone()).or_default();
            acc.invoice[l.component] += l.amount;
            acc.invoice_lines += 1;
            if let RowModel::Model {
                id,
                in_catalog: false,
            } = m
            {
                acc.unpriced_models.insert(id);
            }
        }
        for (model, cell) in cells {
            let known = cell.unpriced_records == 0;
            let m = if all_models {
                RowModel::AllModels
            } else {
                RowModel::Model {
                    id: (*model).clone(),
                    in_catalog: known,
                }
            };
            let mut cost = cell.cost;
            if !modelless.is_empty() {
                let no_model = rows.entry(RowModel::NoModel).or_default();
                for &c in &modelless {
                    no_model.corpus[c] += cost[c];
                    cost[c] = PicoUsd::ZERO;
                }
            }
            let acc = rows.entry(m).or_default();
            acc.corpus += &cost;
            acc.records += cell.records;
            acc.unpriced_records += cell.unpriced_records;
            acc.priority += cell.priority;
            if !known {
                acc.unpriced_models.insert((*model).clone());
            }
        }
        for (m, acc) in rows {
            accs.push(((key.0, key.1.clone(), m), acc));
        }
    }

    // The uniform ratio.
    let candidates: Vec<(usize, f64)> = accs
        .iter()
        .enumerate()
        .filter(|(_, (k, a))| {
            a.invoice_lines > 0
                && a.invoice.recordable().0 > 0
                && a.corpus.total().0 > 0
                && a.unpriced_records == 0
                && a.priority == PicoUsd::ZERO
                && !matches!(
                    k.2,
                    RowModel::Model {
                        in_catalog: false,
                        ..
                    }
                )
        })
        .map(|(i, (_, a))| {
            (
                i,
                a.invoice.recordable().0 as f64 / a.corpus.total().0 as f64,
            )
        })
        .collect();
    let mut uniform: Option<(UniformRatio, BTreeSet<usize>)> = None;
    if candidates.len() >= 2 {
        let mut ratios: Vec<f64> = candidates.iter().map(|c| c.1).collect();
        ratios.sort_by(f64::total_cmp);
        let median = ratios[(ratios.len() - 1) / 2];
        let consistent: BTreeSet<usize> = candidates
            .iter()
            .filter(|(_, r)| (r - median).abs() <= RATIO_TOLERANCE)
            .map(|c| c.0)
            .collect();
        if consistent.len() >= 2 && consistent.len() * 2 > candidates.len() {
            let inv: PicoUsd = consistent
                .iter()
                .map(|&i| accs[i].1.invoice.recordable())
                .sum();
            let cor: PicoUsd = consistent.iter().map(|&i| accs[i].1.corpus.total()).sum();
            let ratio = inv.0 as f64 / cor.0 as f64;
            if (ratio - 1.0).abs() > RATIO_TOLERANCE {
                uniform = Some((
                    UniformRatio {
                        ratio,
                        percent: round3((1.0 - ratio).abs() * 100.0),
                        discount: ratio < 1.0,
                        rows: consistent.len() as u64,
                        candidates: candidates.len() as u64,
                    },
                    consistent,
                ));
            }
        }
    }
    let ratio = uniform.as_ref().map_or(1.0, |u| u.0.ratio);
    let half_cent = PICO_PER_CENT as f64 / 2.0;

    // Rows and causes.
    let mut rows = Vec::with_capacity(accs.len());
    let (mut inv_total, mut cor_total) = (PicoUsd::ZERO, PicoUsd::ZERO);
    for (i, ((day, workspace, model), a)) in accs.into_iter().enumerate() {
        let invoice = a.invoice.total();
        let corpus = a.corpus.total();
        let difference = invoice - corpus;
        inv_total += invoice;
        cor_total += corpus;
        let mut causes = Vec::new();
        if difference != PicoUsd::ZERO {
            if !a.unpriced_models.is_empty() {
                causes.push(Cause::UnpricedModel {
                    models: a.unpriced_models.iter().cloned().collect(),
                });
            } else if a.records == 0 && invoice != PicoUsd::ZERO {
                causes.push(Cause::MissingFromCorpus {
                    whole_day: !corpus_days.contains(&day),
                });
            }
            let other = a.invoice.total() - a.invoice.recordable();
            if other != PicoUsd::ZERO {
                causes.push(Cause::NotRecordable { amount: Usd(other) });
            }
            if let Some((u, set)) = &uniform {
                if set.contains(&i) {
                    causes.push(if u.discount {
                        Cause::Discount { percent: u.percent }
                    } else {
                        Cause::Markup { percent: u.percent }
                    });
                }
            }
            if a.priority != PicoUsd::ZERO && a.invoice_lines > 0 {
                let expected = (corpus - a.priority).0 as f64 * ratio;
                let off = (a.invoice.recordable().0 as f64 - expected).abs();
                if off <= (corpus.0 as f64 * RATIO_TOLERANCE).max(half_cent) {
                    causes.push(Cause::PriorityTier {
                        amount: Usd(a.priority),
                    });
                }
            }
            if invoice == PicoUsd::ZERO && corpus != PicoUsd::ZERO {
                causes.push(if report.days.contains(&day) {
                    Cause::MissingFromInvoice
                } else {
                    Cause::DayNotInReport
                });
            }
        }
        let split = a.invoice_lines > 0 && a.invoice[Component::Unsplit] == PicoUsd::ZERO;
        let differs_in = if split && difference != PicoUsd::ZERO {
            Component::ALL
                .iter()
                .copied()
                .filter(|&c| {
                    let (inv, cor) = (a.invoice[c], a.corpus[c]);
                    if uniform.is_none() || !c.recordable() {
                        inv != cor
                    } else {
                        let expected = cor.0 as f64 * ratio;
                        (inv.0 as f64 - expected).abs()
                            > (cor.0 as f64 * RATIO_TOLERANCE).max(half_cent)
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let components = Component::ALL
            .iter()
            .filter(|&&c| a.invoice[c] != PicoUsd::ZERO || a.corpus[c] != PicoUsd::ZERO)
            .map(|&c| ComponentRow {
                component: c,
                invoice: Usd(a.invoice[c]),
                corpus: Usd(a.corpus[c]),
                difference: Usd(a.invoice[c] - a.corpus[c]),
            })
            .collect();
        rows.push(Row {
            day: day.to_string(),
            workspace,
            model,
            invoice: Usd(invoice),
            corpus: Usd(corpus),
            difference: Usd(difference),
            share: share(difference, invoice),
            invoice_lines: a.invoice_lines,
            records: a.records,
            unpriced_records: a.unpriced_records,
            components,
            differs_in,
            causes,
        });
    }

    // Findings.
    let mut findings = Vec::new();
    let span = baseline.span();
    let mut invoice_by_day: BTreeMap<Day, PicoUsd> = BTreeMap::new();
    for l in &report.lines {
        *invoice_by_day.entry(l.day).or_default() += l.amount;
    }
    for (&day, &amount) in &invoice_by_day {
        if amount != PicoUsd::ZERO && !corpus_days.contains(&day) {
            findings.push(Finding::MissingDay {
                day: day.to_string(),
                invoice: Usd(amount),
                outside_corpus_span: span.is_none_or(|(a, b)| day < a || day > b),
            });
        }
    }
    let mut corpus_by_day: BTreeMap<Day, PicoUsd> = BTreeMap::new();
    for ((day, _, _), cell) in &baseline.cells {
        *corpus_by_day.entry(*day).or_default() += cell.cost.total();
    }
    for (&day, &amount) in &corpus_by_day {
        if amount != PicoUsd::ZERO && !report.days.contains(&day) {
            findings.push(Finding::DayNotInReport {
                day: day.to_string(),
                corpus: Usd(amount),
            });
        }
    }
    if !unknown_invoice.is_empty() || !baseline.unpriced_models.is_empty() {
        findings.push(Finding::UnpricedModels {
            invoice: unknown_invoice
                .into_iter()
                .map(|(m, a)| (m, Usd(a)))
                .collect(),
            corpus: baseline
                .unpriced_models
                .iter()
                .map(|(m, n)| (m.clone(), *n))
                .collect(),
        });
    }
    let invoice_ws: BTreeSet<&String> = billed.keys().map(|k| &k.1).collect();
    let corpus_ws: BTreeSet<&String> = recorded.keys().map(|k| &k.1).collect();
    if !invoice_ws.is_empty() && !corpus_ws.is_empty() {
        let invoice_only: Vec<String> = invoice_ws
            .difference(&corpus_ws)
            .map(|s| (*s).clone())
            .collect();
        let corpus_only: Vec<String> = corpus_ws
            .difference(&invoice_ws)
            .map(|s| (*s).clone())
            .collect();
        if !invoice_only.is_empty() || !corpus_only.is_empty() {
            findings.push(Finding::UnmatchedWorkspaces {
                invoice_only,
                corpus_only,
            });
        }
    }
    if report.amounts_rounded > 0 {
        findings.push(Finding::AmountsRounded {
            count: report.amounts_rounded,
        });
    }

    // Totals by primary cause.
    let mut by: BTreeMap<(usize, &'static str), (u64, PicoUsd, PicoUsd)> = BTreeMap::new();
    for r in &rows {
        let kind = r.causes.first().map_or("none", Cause::kind);
        let e = by.entry((Cause::order(kind), kind)).or_default();
        e.0 += 1;
        e.1 += r.invoice.0;
        e.2 += r.corpus.0;
    }
    let by_cause = by
        .into_iter()
        .map(|((_, cause), (n, inv, cor))| CauseTotal {
            cause,
            rows: n,
            invoice: Usd(inv),
            corpus: Usd(cor),
            difference: Usd(inv - cor),
        })
        .collect();

    let day = |d: Option<&Day>| d.map(Day::to_string);
    Reconciliation {
        schema: RECONCILE_SCHEMA,
        catalog: catalog.version.clone(),
        invoice: InvoiceSide {
            files: report.files.clone(),
            pages: report.pages,
            buckets: report.buckets,
            lines: report.lines.len() as u64,
            first_day: day(report.days.first()),
            last_day: day(report.days.last()),
            amounts_rounded: report.amounts_rounded,
        },
        corpus: CorpusSide {
            files: baseline.files.clone(),
            records: baseline.records,
            unpriced_records: baseline.unpriced_models.values().sum(),
            first_day: span.map(|s| s.0.to_string()),
            last_day: span.map(|s| s.1.to_string()),
        },
        totals: Totals {
            invoice: Usd(inv_total),
            corpus: Usd(cor_total),
            difference: Usd(inv_total - cor_total),
            share: share(inv_total - cor_total, inv_total),
        },
        uniform_ratio: uniform.map(|u| u.0),
        findings,
        by_cause,
        rows,
    }
}
