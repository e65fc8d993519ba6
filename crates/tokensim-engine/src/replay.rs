//! The baseline replay: parse, validate, price as recorded, and tally by (workload, model, day).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use rayon::prelude::*;
use tokensim_corpus::{
    parse_bytes, Chunk, ChunkReader, CorpusError, Line, LineError, Record, ServiceTier, Speed,
    Timestamp,
};
use tokensim_pricing::{Catalog, ModelId, PricingError, Terms, Tokens};

use crate::tally::{add_record_tokens, Key, Tally, Workload};

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
    /// Called after each batch of chunks with bytes read so far (on disk) and the total.
    fn progress(&mut self, _done: u64, _total: u64) {}
    /// Called once per quarantined line, in corpus order.
    fn quarantined(&mut self, _q: &Quarantined) {}
}

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
}

/// Per-file counts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileStats {
    /// The path as given.
    pub path: String,
    /// BLAKE3 of the file's decompressed bytes, hex.
    pub blake3: String,
    /// Whether a `tokensim.corpus/1` header line was present.
    pub header: bool,
    /// Records read (non-blank, non-header lines).
    pub records: u64,
    /// Of which priced.
    pub priced: u64,
    /// Of which quarantined.
    pub quarantined: u64,
}

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
}

/// What one chunk produced.
#[derive(Default)]
struct ChunkResult {
    rows: HashMap<Key, Tally>,
    bad: Vec<(u64, LineError, String)>,
    header: bool,
    records: u64,
    priced: u64,
    blank: u64,
    first_ts: Option<Timestamp>,
    last_ts: Option<Timestamp>,
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
    pool.install(|| run(cfg, catalog, sink, reference_flag))
}

fn run(
    cfg: &ReplayConfig,
    catalog: &Catalog,
    sink: &mut (dyn Sink + Send),
    reference_flag: Option<ModelId>,
) -> Result<ReplayOutcome, ReplayError> {
    let thresholds = catalog.band_thresholds();
    let mut reader = ChunkReader::new(&cfg.corpus)?;
    let total_bytes = reader.total_bytes();
    let progress = reader.progress();
    let paths: Vec<String> = reader
        .sources()
        .iter()
        .map(|s| s.path.display().to_string())
        .collect();
    let mut stats = CorpusStats {
        files: paths
            .iter()
            .map(|p| FileStats {
                path: p.clone(),
                ..FileStats::default()
            })
            .collect(),
        ..CorpusStats::default()
    };
    let mut hashers: Vec<blake3::Hasher> = paths.iter().map(|_| blake3::Hasher::new()).collect();
    let mut rows: BTreeMap<Key, Tally> = BTreeMap::new();
    let batch_len = rayon::current_num_threads() * 4;
    loop {
        let mut batch: Vec<Chunk> = Vec::with_capacity(batch_len);
        for chunk in reader.by_ref().take(batch_len) {
            batch.push(chunk?);
        }
        if batch.is_empty() {
            break;
        }
        let results: Vec<ChunkResult> = batch
            .par_iter()
            .map(|c| process_chunk(c, catalog, &thresholds))
            .collect();
        for (chunk, res) in batch.iter().zip(results) {
            let f = chunk.file as usize;
            hashers[f].update(&chunk.data);
            let fs = &mut stats.files[f];
            fs.header |= res.header;
            fs.records += res.records;
            fs.priced += res.priced;
            stats.blank_lines += res.blank;
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
            for (k, t) in res.rows {
                *rows
                    .entry(k)
                    .or_insert_with(|| Tally::new(thresholds.len() + 1)) += &t;
            }
        }
        sink.progress(progress.load(Ordering::Relaxed), total_bytes);
    }
    for (fs, h) in stats.files.iter_mut().zip(hashers) {
        fs.blake3 = h.finalize().to_hex().to_string();
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
    // Pair assertion: the rows hold exactly the priced records.
    assert_eq!(
        rows.values().map(|t| t.requests).sum::<u64>(),
        stats.priced,
        "rows account for every priced record"
    );
    let reference = reference_flag.or_else(|| {
        let seen: BTreeSet<ModelId> = rows.keys().map(|k| k.model).collect();
        catalog.most_expensive(seen, stats.last_ts.unwrap_or_default().day())
    });
    let mut class_floors = vec![None];
    class_floors.extend(thresholds.iter().map(|&t| Some(t)));
    Ok(ReplayOutcome {
        stats,
        rows,
        reference,
        reference_from_flag: reference_flag.is_some(),
        class_floors,
    })
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

fn process_chunk(chunk: &Chunk, catalog: &Catalog, thresholds: &[u64]) -> ChunkResult {
    let mut res = ChunkResult::default();
    let mut models: HashMap<String, Result<ModelId, PricingError>> = HashMap::new();
    for (pos, bytes) in chunk.lines() {
        let line = match parse_bytes(bytes, pos) {
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
        let model = models
            .entry(line.model.clone())
            .or_insert_with(|| catalog.resolve(&line.model))
            .clone();
        match model.and_then(|m| price_record(&line, m, catalog, thresholds).map(|t| (m, t))) {
            Ok((model, tally)) => {
                res.priced += 1;
                res.first_ts = min_opt(res.first_ts, Some(line.ts));
                res.last_ts = max_opt(res.last_ts, Some(line.ts));
                let key = Key {
                    workload: Workload {
                        team: line.team.clone(),
                        app: line.app.clone(),
                        feature: line.feature.clone(),
                    },
                    model,
                    day: line.ts.day(),
                };
                *res.rows
                    .entry(key)
                    .or_insert_with(|| Tally::new(thresholds.len() + 1)) += &tally;
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
    res
}

/// The size class of a total input: index `i` means `(thresholds[i-1], thresholds[i]]`.
fn size_class(total: u64, thresholds: &[u64]) -> usize {
    thresholds.partition_point(|&t| t < total)
}

fn price_record(
    r: &Record,
    model: ModelId,
    catalog: &Catalog,
    thresholds: &[u64],
) -> Result<Tally, PricingError> {
    let u = &r.usage;
    let tokens = Tokens {
        input: u.input_tokens,
        cache_write_5m: u.cache_write_5m_tokens,
        cache_write_1h: u.cache_write_1h_tokens,
        cache_read: u.cache_read_input_tokens,
        output: u.output_tokens,
        web_search_requests: u.web_search_requests,
    };
    let terms = Terms {
        day: r.ts.day(),
        batch: r.service_tier == ServiceTier::Batch,
        us_residency: r.us_residency(),
        fast: r.speed == Speed::Fast,
    };
    let cost = catalog.price(model, &tokens, &terms)?;
    let mut t = Tally::new(thresholds.len() + 1);
    t.requests = 1;
    t.batch_requests = u64::from(terms.batch);
    t.tokens = tokens;
    t.cost = cost;
    let class = size_class(tokens.total_input(), thresholds);
    add_record_tokens(
        &mut t.reference[class],
        &Tokens {
            input: tokens.total_input(),
            output: tokens.output,
            web_search_requests: tokens.web_search_requests,
            ..Tokens::default()
        },
    );
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes_are_left_open_right_closed() {
        let t = [100_000, 200_000];
        assert_eq!(size_class(0, &t), 0);
        assert_eq!(size_class(100_000, &t), 0);
        assert_eq!(size_class(100_001, &t), 1);
        assert_eq!(size_class(200_000, &t), 1);
        assert_eq!(size_class(200_001, &t), 2);
    }

    #[test]
    fn field_kinds_drop_indices() {
        assert_eq!(
            field_kind("prompt.segments[3].tokens"),
            "prompt.segments.tokens"
        );
        assert_eq!(field_kind("usage.input_tokens"), "usage.input_tokens");
    }
}
