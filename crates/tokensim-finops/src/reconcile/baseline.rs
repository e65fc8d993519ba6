//! The recorded baseline: the corpus priced as recorded, summed per (UTC day, workspace, model)
//! and per price component.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use tokensim_corpus::{ChunkReader, CorpusError, Day, Line, LineError, Record, ServiceTier};
use tokensim_pricing::{Catalog, Cost, ModelId, PicoUsd, PricingError, Terms, Tokens};

use super::{Amounts, Component, ReconcileError};

/// The workspace name of records without one.
pub const DEFAULT_WORKSPACE: &str = "default";

/// What the corpus holds for one (day, workspace, model).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cell {
    /// Recorded cost by component (zero for records whose model the catalog does not price).
    pub cost: Amounts,
    /// Records of this cell, priced or not.
    pub records: u64,
    /// Records whose model the catalog does not know (not priced).
    pub unpriced_records: u64,
    /// The part of `cost` from `service_tier: "priority"` calls (the cost report leaves
    /// Priority Tier out).
    pub priority: PicoUsd,
}

/// The corpus, priced as recorded and summed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Baseline {
    /// The corpus files, as given.
    pub files: Vec<String>,
    /// Every record read (header and blank lines not counted).
    pub records: u64,
    /// Records whose model the catalog does not know, by the model as written.
    pub unpriced_models: BTreeMap<String, u64>,
    /// Per (day, workspace, model) cells. The model is the catalog's canonical id, or the id as
    /// written when the catalog does not know it (see [`Baseline::unpriced_models`]).
    pub cells: BTreeMap<(Day, String, String), Cell>,
}

impl Baseline {
    /// Adds one record: priced as recorded when the catalog knows its model (`model`), counted
    /// as unpriced otherwise. A record the catalog refuses to price for another reason (fast
    /// mode where the model has none, fast mode through the Batch API) is an error.
    pub fn add(
        &mut self,
        record: &Record,
        model: Option<ModelId>,
        catalog: &Catalog,
    ) -> Result<(), PricingError> {
        let workspace = match record.workspace.as_deref() {
            None | Some("") => DEFAULT_WORKSPACE.to_owned(),
            Some(w) => w.to_owned(),
        };
        let day = record.ts.day();
        self.records += 1;
        let Some(id) = model else {
            *self
                .unpriced_models
                .entry(record.model.to_string())
                .or_default() += 1;
            let cell = self
                .cells
                .entry((day, workspace, record.model.to_string()))
                .or_default();
            cell.records += 1;
            cell.unpriced_records += 1;
            return Ok(());
        };
        let cost = price_as_recorded(record, id, catalog)?;
        let cell = self
            .cells
            .entry((day, workspace, catalog.model(id).id.clone()))
            .or_default();
        cell.records += 1;
        let amounts = Amounts::from_cost(&cost);
        if record.service_tier == ServiceTier::Priority {
            cell.priority += amounts.total();
        }
        cell.cost += &amounts;
        Ok(())
    }

    /// The first and last day with records.
    pub fn span(&self) -> Option<(Day, Day)> {
        let first = self.cells.keys().next()?.0;
        let last = self.cells.keys().map(|k| k.0).max()?;
        Some((first, last))
    }
}

/// Prices one record as recorded, the way the replay engine does (`price_record` in
/// tokensim-engine): tokens by component, the record's UTC day, batch from `service_tier`,
/// US residency from `inference_geo: "us"` (the catalog applies it only to eligible models),
/// fast mode from `speed`.
pub fn price_as_recorded(
    record: &Record,
    model: ModelId,
    catalog: &Catalog,
) -> Result<Cost, PricingError> {
    catalog.price(model, &Tokens::recorded(record), &Terms::recorded(record))
}

/// Streams corpus files (plain or zstd) and builds the baseline. Strict: the first invalid line
/// stops with `file:line: field: what is wrong`, and so does a record the catalog cannot price
/// for a reason other than an unknown model. Records with a model the catalog does not know are
/// counted, not priced.
pub fn read_baseline(paths: &[PathBuf], catalog: &Catalog) -> Result<Baseline, ReconcileError> {
    let reader = ChunkReader::new(paths)?;
    let names: Vec<PathBuf> = reader.sources().iter().map(|s| s.path.clone()).collect();
    let mut baseline = Baseline {
        files: names.iter().map(|p| p.display().to_string()).collect(),
        ..Baseline::default()
    };
    let mut models: HashMap<String, Option<ModelId>> = HashMap::new();
    for chunk in reader {
        let chunk = chunk?;
        for (pos, _, parsed) in chunk.parsed() {
            let at = |error: LineError| {
                ReconcileError::Corpus(CorpusError::Line {
                    path: names.get(pos.file as usize).cloned().unwrap_or_default(),
                    line: pos.line,
                    error,
                })
            };
            let record = match parsed.map_err(at)? {
                None | Some(Line::Header) => continue,
                Some(Line::Record(r)) => r,
            };
            let model = match models.get(record.model.as_str()) {
                Some(m) => *m,
                None => {
                    let m = catalog.resolve(&record.model).ok();
                    models.insert(record.model.to_string(), m);
                    m
                }
            };
            baseline.add(&record, model, catalog).map_err(|e| {
                at(LineError {
                    field: "speed".into(),
                    message: e.to_string(),
                })
            })?;
        }
    }
    Ok(baseline)
}

impl Amounts {
    /// A cost by component, as amounts.
    pub fn from_cost(c: &Cost) -> Amounts {
        let mut a = Amounts::default();
        a[Component::UncachedInput] = c.input;
        a[Component::CacheWrite5m] = c.cache_write_5m;
        a[Component::CacheWrite1h] = c.cache_write_1h;
        a[Component::CacheRead] = c.cache_read;
        a[Component::Output] = c.output;
        a[Component::WebSearch] = c.web_search;
        a
    }
}
