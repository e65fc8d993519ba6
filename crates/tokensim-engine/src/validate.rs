//! `tokensim validate`: read a corpus, check every line against corpus format v1, and describe
//! what it holds, without pricing anything (docs/corpus-format.md).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Serialize;
use tokensim_corpus::{ChunkReader, CorpusError, Line, ServiceTier, Timestamp};
use tokensim_pricing::Catalog;

/// The validation report's schema id.
pub const VALIDATE_SCHEMA: &str = "tokensim.validate/1";
/// At most this many errors are listed one by one (all are counted).
pub const MAX_LISTED_ERRORS: usize = 100;

/// One bad line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineProblem {
    /// The file, as given.
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// The field at fault (empty for the whole line).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Per-file counts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FileValidation {
    /// The file, as given.
    pub path: String,
    /// Whether its first line is a header.
    pub header: bool,
    /// Records (non-blank, non-header lines).
    pub records: u64,
    /// Of which valid.
    pub valid: u64,
    /// Of which invalid.
    pub invalid: u64,
    /// Blank lines.
    pub blank: u64,
}

/// What `tokensim validate` found.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ValidateReport {
    /// [`VALIDATE_SCHEMA`].
    pub schema: String,
    /// Per file.
    pub files: Vec<FileValidation>,
    /// Records read (`valid + invalid`).
    pub records: u64,
    /// Valid records.
    pub valid: u64,
    /// Invalid records.
    pub invalid: u64,
    /// Invalid records by field.
    pub invalid_by_field: BTreeMap<String, u64>,
    /// The first [`MAX_LISTED_ERRORS`] problems, in corpus order.
    pub errors: Vec<LineProblem>,
    /// Earliest and latest valid timestamp.
    pub first_ts: Option<String>,
    /// See `first_ts`.
    pub last_ts: Option<String>,
    /// Valid records per model, as written.
    pub models: BTreeMap<String, u64>,
    /// Model ids the price catalog does not know (a replay would reject their records).
    pub unknown_models: Vec<String>,
    /// Distinct (team, app, feature).
    pub workloads: u64,
    /// Valid records with prompt segments (the cache can be re-simulated).
    pub with_segments: u64,
    /// With recorded cache reads or writes.
    pub with_cache_usage: u64,
    /// With evals.
    pub with_evals: u64,
    /// With a task class.
    pub with_task: u64,
    /// Through the Batch API.
    pub batch: u64,
}

/// Reads every line of the corpus; never stops at a bad record.
pub fn validate(corpus: &[PathBuf], catalog: &Catalog) -> Result<ValidateReport, CorpusError> {
    let reader = ChunkReader::new(corpus)?;
    let mut r = ValidateReport {
        schema: VALIDATE_SCHEMA.into(),
        files: corpus
            .iter()
            .map(|p| FileValidation {
                path: p.display().to_string(),
                ..FileValidation::default()
            })
            .collect(),
        ..ValidateReport::default()
    };
    let (mut first, mut last): (Option<Timestamp>, Option<Timestamp>) = (None, None);
    let mut workloads = BTreeSet::new();
    for chunk in reader {
        let chunk = chunk?;
        for (pos, _, parsed) in chunk.parsed() {
            let f = &mut r.files[pos.file as usize];
            match parsed {
                Ok(None) => f.blank += 1,
                Ok(Some(Line::Header)) => f.header = true,
                Ok(Some(Line::Record(rec))) => {
                    f.records += 1;
                    f.valid += 1;
                    first = Some(first.map_or(rec.ts, |t| t.min(rec.ts)));
                    last = Some(last.map_or(rec.ts, |t| t.max(rec.ts)));
                    *r.models.entry(rec.model.to_string()).or_default() += 1;
                    workloads.insert((rec.team.clone(), rec.app.clone(), rec.feature.clone()));
                    let u = &rec.usage;
                    r.with_segments += u64::from(!rec.segments.is_empty());
                    r.with_cache_usage +=
                        u64::from(u.cache_read_input_tokens + u.cache_creation_input_tokens() > 0);
                    r.with_evals += u64::from(!rec.evals.is_empty());
                    r.with_task += u64::from(rec.task.is_some());
                    r.batch += u64::from(rec.service_tier == ServiceTier::Batch);
                }
                Err(e) => {
                    f.records += 1;
                    f.invalid += 1;
                    let kind = if e.field.is_empty() {
                        "(line)".to_string()
                    } else {
                        e.field
                            .split('[')
                            .map(|p| p.split_once(']').map_or(p, |(_, rest)| rest))
                            .collect()
                    };
                    *r.invalid_by_field.entry(kind).or_default() += 1;
                    if r.errors.len() < MAX_LISTED_ERRORS {
                        r.errors.push(LineProblem {
                            file: f.path.clone(),
                            line: pos.line,
                            field: e.field,
                            message: e.message,
                        });
                    }
                }
            }
        }
    }
    for f in &r.files {
        r.records += f.records;
        r.valid += f.valid;
        r.invalid += f.invalid;
    }
    r.first_ts = first.map(|t| t.to_string());
    r.last_ts = last.map(|t| t.to_string());
    r.workloads = workloads.len() as u64;
    r.unknown_models = r
        .models
        .keys()
        .filter(|m| catalog.resolve(m).is_err())
        .cloned()
        .collect();
    Ok(r)
}

/// The report as text.
pub fn render_validate(r: &ValidateReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "tokensim validate: {} records = {} valid + {} invalid, in {} file{}\n",
        r.records,
        r.valid,
        r.invalid,
        r.files.len(),
        if r.files.len() == 1 { "" } else { "s" }
    ));
    for f in &r.files {
        out.push_str(&format!(
            "  {}: {} records, {} valid, {} invalid, {} blank lines{}\n",
            f.path,
            f.records,
            f.valid,
            f.invalid,
            f.blank,
            if f.header { ", header" } else { "" }
        ));
    }
    if let (Some(a), Some(b)) = (&r.first_ts, &r.last_ts) {
        out.push_str(&format!("  time span: {a} .. {b}\n"));
    }
    out.push_str(&format!(
        "  {} workloads; {} with prompt segments, {} with cache usage, {} with evals, {} with a task, {} through the Batch API\n",
        r.workloads, r.with_segments, r.with_cache_usage, r.with_evals, r.with_task, r.batch
    ));
    out.push_str("  models (as written):");
    for (m, n) in &r.models {
        out.push_str(&format!(" {m} {n};"));
    }
    out.push('\n');
    if !r.unknown_models.is_empty() {
        out.push_str(&format!(
            "  unknown to the price catalog (a replay rejects their records): {}\n",
            r.unknown_models.join(", ")
        ));
    }
    if r.invalid > 0 {
        out.push_str("  invalid by field:");
        for (f, n) in &r.invalid_by_field {
            out.push_str(&format!(" {f} {n};"));
        }
        out.push('\n');
        for e in &r.errors {
            out.push_str(&format!(
                "  {}:{}: {}{}{}\n",
                e.file,
                e.line,
                e.field,
                if e.field.is_empty() { "" } else { ": " },
                e.message
            ));
        }
        if (r.invalid as usize) > r.errors.len() {
            out.push_str(&format!(
                "  ... and {} more\n",
                r.invalid as usize - r.errors.len()
            ));
        }
    }
    out
}
