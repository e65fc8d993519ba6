//! `tokensim fidelity`: how closely the prompt-cache simulator reproduces the recorded usage
//! (docs/fidelity.md).
//!
//! Every call with prompt segments is re-simulated with its recorded breakpoints on its recorded
//! model, exactly as the `replay` cache policy does in `tokensim replay` (the same planning, the
//! same scopes (workspace, canonical model) and order (timestamp, corpus order), the same
//! simulator), and its simulated split of input tokens is compared with the recorded one. The
//! simulator's diagnosing replay says why a call read less than it could.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;
use tokensim_corpus::{Chunk, ChunkReader, CorpusError, Line, LineError, Position};
use tokensim_corpus::{Record, Timestamp};
use tokensim_pricing::{Catalog, ModelId, PicoUsd, PricingError, Tokens};
use tokensim_report::{
    FidelityCall, FidelityReport, FidelityRow, InputSplit, ReasonRow, Usd, FIDELITY_SCHEMA,
};
use tokensim_strategy::cache::{Lookup, Outcome, PrefixHistory, ScopeCache, Shortfall, Split};
use tokensim_strategy::levers::{plan, Counterfactual, RiskModel};
use tokensim_strategy::scenario::Scenario;

use crate::replay::{
    compare_split, price_counterfactual, price_record, probe_scenario, with_split, ReplayError,
};

/// The session of calls without a `conversation_id`.
pub const NO_SESSION: &str = "(no session)";

/// What `tokensim fidelity` needs; built by the CLI from its flags.
#[derive(Debug, Clone, Default)]
pub struct FidelityConfig {
    /// Corpus files, in argument order (the file index is part of corpus order).
    pub corpus: Vec<PathBuf>,
    /// Worker threads; `None` uses rayon's default. The report is the same for any value.
    pub threads: Option<usize>,
    /// How many disagreeing calls to list.
    pub top: usize,
    /// When what a call without `latency_ms` writes becomes readable, after its start
    /// (`readable_delay_ms` of the `replay` policy; `scenarios/cache-replay.toml` uses 0).
    pub readable_delay_ms: u64,
}

/// The probe never routes, so it never asks for a risk.
struct NoRisk;

impl RiskModel for NoRisk {
    fn degradation_ppm(&self, _: &Record, _: ModelId, _: ModelId) -> u32 {
        0
    }
}

/// A call waiting for its scope's replay.
struct Call {
    pos: Position,
    id: Option<String>,
    ts: Timestamp,
    session: Option<String>,
    min_cacheable_tokens: u64,
    recorded_cost: PicoUsd,
    cf: Counterfactual,
}

/// What one compared call came to.
struct Compared {
    pos: Position,
    id: Option<String>,
    ts: Timestamp,
    session: Option<String>,
    recorded: Tokens,
    simulated: Split,
    /// `sum |simulated - recorded|` over the four components.
    diff: u64,
    recorded_cost: PicoUsd,
    simulated_cost: PicoUsd,
    reason: Option<(&'static str, String)>,
}

/// What one chunk produced.
#[derive(Default)]
struct ChunkOut {
    records: u64,
    calls: Vec<(Option<String>, ModelId, Call)>,
    /// Sessions of the priced records without segments.
    without_segments: Vec<Option<String>>,
}

#[derive(Default)]
struct Acc {
    compared: u64,
    exact: u64,
    tokens: u128,
    misassigned: u128,
    recorded: PicoUsd,
    simulated: PicoUsd,
    abs: PicoUsd,
    without_segments: u64,
}

impl Acc {
    fn add(&mut self, c: &Compared) {
        self.compared += 1;
        self.exact += u64::from(c.diff == 0);
        self.tokens += u128::from(c.simulated.total());
        self.misassigned += u128::from(c.diff / 2);
        self.recorded += c.recorded_cost;
        self.simulated += c.simulated_cost;
        self.abs += PicoUsd((c.simulated_cost - c.recorded_cost).0.abs());
    }

    fn row(&self, session: &str) -> FidelityRow {
        let share = |part: u128, whole: u128| {
            if whole == 0 {
                1.0
            } else {
                part as f64 / whole as f64
            }
        };
        FidelityRow {
            session: session.to_string(),
            compared: self.compared,
            exact: self.exact,
            exact_share: share(self.exact.into(), self.compared.into()),
            tokens: self.tokens,
            tokens_misassigned: self.misassigned,
            token_agreement: share(self.tokens - self.misassigned, self.tokens),
            recorded_cost: Usd(self.recorded),
            simulated_cost: Usd(self.simulated),
            cost_difference: Usd(self.simulated - self.recorded),
            cost_difference_abs: Usd(self.abs),
            without_segments: self.without_segments,
        }
    }
}

/// Re-simulates the corpus with the recorded breakpoints and compares every call with its
/// recorded usage. A bad line or an unknown model stops the run (`tokensim validate` lists them).
pub fn fidelity(cfg: &FidelityConfig, catalog: &Catalog) -> Result<FidelityReport, ReplayError> {
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
    pool.install(|| run(cfg, catalog))
}

fn run(cfg: &FidelityConfig, catalog: &Catalog) -> Result<FidelityReport, ReplayError> {
    let probe = probe_scenario(cfg.readable_delay_ms);
    let thresholds = catalog.band_thresholds();
    let reader = ChunkReader::new(&cfg.corpus)?;
    let files: Vec<String> = reader
        .sources()
        .iter()
        .map(|s| s.path.display().to_string())
        .collect();
    let mut records = 0u64;
    let mut scopes: BTreeMap<(Option<String>, ModelId), Vec<Call>> = BTreeMap::new();
    let mut sessions: BTreeMap<String, Acc> = BTreeMap::new();
    let batch_len = rayon::current_num_threads() * 4;
    let mut reader = reader.peekable();
    while reader.peek().is_some() {
        let batch: Vec<Chunk> = reader
            .by_ref()
            .take(batch_len)
            .collect::<Result<_, CorpusError>>()?;
        let outs: Vec<Result<ChunkOut, CorpusError>> = batch
            .par_iter()
            .map(|c| read_chunk(c, cfg, catalog, &thresholds, &probe))
            .collect();
        // Chunks in corpus order: the first bad line stops the run, as in `tokensim replay`.
        for out in outs {
            let out = out?;
            records += out.records;
            for s in out.without_segments {
                sessions
                    .entry(session_name(&s))
                    .or_default()
                    .without_segments += 1;
            }
            for (workspace, model, call) in out.calls {
                scopes.entry((workspace, model)).or_default().push(call);
            }
        }
    }
    let mut scopes: Vec<Vec<Call>> = scopes.into_values().collect();
    let results: Vec<Vec<Compared>> = scopes
        .par_iter_mut()
        .map(|calls| replay_scope(calls, catalog))
        .collect();

    let mut total = Acc::default();
    let mut reasons: BTreeMap<&'static str, (u64, u128, PicoUsd)> = BTreeMap::new();
    let mut disagreeing: Vec<&Compared> = Vec::new();
    for c in results.iter().flatten() {
        total.add(c);
        sessions.entry(session_name(&c.session)).or_default().add(c);
        if c.diff > 0 {
            let (id, _) = c.reason.as_ref().expect("a disagreement has a reason");
            let r = reasons.entry(id).or_default();
            r.0 += 1;
            r.1 += u128::from(c.diff / 2);
            r.2 += c.simulated_cost - c.recorded_cost;
            disagreeing.push(c);
        }
    }
    total.without_segments = sessions.values().map(|a| a.without_segments).sum();
    disagreeing.sort_by_key(|c| (std::cmp::Reverse(c.diff), c.pos));
    let top = disagreeing
        .iter()
        .take(cfg.top)
        .map(|c| FidelityCall {
            id: c.id.clone(),
            file: files[c.pos.file as usize].clone(),
            line: c.pos.line,
            ts: c.ts.to_string(),
            session: session_name(&c.session),
            recorded: InputSplit {
                uncached: c.recorded.input,
                write_5m: c.recorded.cache_write_5m,
                write_1h: c.recorded.cache_write_1h,
                read: c.recorded.cache_read,
            },
            simulated: InputSplit {
                uncached: c.simulated.uncached,
                write_5m: c.simulated.write_5m,
                write_1h: c.simulated.write_1h,
                read: c.simulated.read,
            },
            tokens_misassigned: c.diff / 2,
            cost_difference: Usd(c.simulated_cost - c.recorded_cost),
            reason_id: c
                .reason
                .as_ref()
                .map(|r| r.0.to_string())
                .unwrap_or_default(),
            reason: c.reason.as_ref().map(|r| r.1.clone()).unwrap_or_default(),
        })
        .collect();
    let mut session_rows: Vec<FidelityRow> = sessions.iter().map(|(s, a)| a.row(s)).collect();
    // Stable sort: equal sessions stay in name order.
    session_rows.sort_by_key(|r| std::cmp::Reverse(r.tokens_misassigned));
    let mut reason_rows: Vec<ReasonRow> = reasons
        .into_iter()
        .map(|(reason, (calls, tokens, cost))| ReasonRow {
            reason: reason.to_string(),
            calls,
            tokens_misassigned: tokens,
            cost_difference: Usd(cost),
        })
        .collect();
    reason_rows.sort_by_key(|r| std::cmp::Reverse(r.tokens_misassigned));
    Ok(FidelityReport {
        schema: FIDELITY_SCHEMA.to_string(),
        files,
        records,
        readable_delay_ms: cfg.readable_delay_ms,
        totals: total.row("total"),
        sessions: session_rows,
        reasons: reason_rows,
        top,
    })
}

fn session_name(s: &Option<String>) -> String {
    s.clone().unwrap_or_else(|| NO_SESSION.to_string())
}

/// Parses, prices and plans one chunk's records.
fn read_chunk(
    chunk: &Chunk,
    cfg: &FidelityConfig,
    catalog: &Catalog,
    thresholds: &[u64],
    probe: &Scenario,
) -> Result<ChunkOut, CorpusError> {
    let mut out = ChunkOut::default();
    for (pos, _, parsed) in chunk.parsed() {
        let bad = |error: LineError| CorpusError::Line {
            path: cfg.corpus[pos.file as usize].clone(),
            line: pos.line,
            error,
        };
        let r = match parsed {
            Ok(Some(Line::Record(r))) => r,
            Ok(_) => continue,
            Err(e) => return Err(bad(e)),
        };
        out.records += 1;
        let priced = catalog.resolve(&r.model).and_then(|m| {
            let tally = price_record(&r, m, catalog, thresholds)?;
            Ok::<_, PricingError>((m, tally))
        });
        let (model, tally) = priced.map_err(|e| {
            bad(LineError {
                field: match e {
                    PricingError::FastBatch | PricingError::NoFastMode { .. } => "speed",
                    _ => "model",
                }
                .into(),
                message: e.to_string(),
            })
        })?;
        let cf = plan(probe, &r, model, catalog, &NoRisk);
        if cf.simulate.is_none() {
            out.without_segments
                .push(r.conversation_id.clone().map(String::from));
            continue;
        }
        out.calls.push((
            r.workspace.clone().map(String::from),
            model,
            Call {
                pos,
                id: r.id.clone().map(String::from),
                ts: r.ts,
                session: r.conversation_id.clone().map(String::from),
                min_cacheable_tokens: catalog.model(model).min_cacheable_tokens,
                recorded_cost: tally.cost.total(),
                cf,
            },
        ));
    }
    Ok(out)
}

/// Replays one scope in (timestamp, corpus order) through the diagnosing simulator. Nothing is
/// evicted, so an expired entry is still told apart from one never written.
fn replay_scope(calls: &mut [Call], catalog: &Catalog) -> Vec<Compared> {
    calls.sort_by_key(|c| (c.ts, c.pos));
    let mut cache = ScopeCache::new();
    let mut history = PrefixHistory::new();
    calls
        .iter_mut()
        .map(|call| {
            let blocks = call.cf.simulate.take().expect("planned calls simulate");
            let lookup = Lookup {
                ts_ns: call.ts.0,
                readable_delay_ns: call.cf.readable_delay_ns,
                min_cacheable_tokens: call.min_cacheable_tokens,
                may_hit: call.cf.may_hit,
            };
            let (outcome, shortfall) = cache.replay_diagnosed(&blocks, &lookup, &mut history);
            let split = outcome.split;
            let recorded = call.cf.tokens;
            let (_, diff) = compare_split(&split, &recorded);
            let tokens = with_split(&recorded, &split);
            let simulated_cost = price_counterfactual(&call.cf, &tokens, call.ts.day(), catalog)
                .expect("a call that priced as recorded prices as simulated")
                .total();
            Compared {
                pos: call.pos,
                id: call.id.take(),
                ts: call.ts,
                session: call.session.take(),
                recorded,
                simulated: split,
                diff,
                recorded_cost: call.recorded_cost,
                simulated_cost,
                reason: (diff > 0).then(|| reason(&split, &recorded, &outcome, shortfall)),
            }
        })
        .collect()
}

/// Why a call's simulated split differs from the recorded one, as the simulator sees it.
fn reason(
    sim: &Split,
    rec: &Tokens,
    outcome: &Outcome,
    shortfall: Option<Shortfall>,
) -> (&'static str, String) {
    if sim.read < rec.cache_read {
        return match shortfall {
            Some(s) => (s.id(), s.to_string()),
            None => (
                "read-beyond-breakpoints",
                format!(
                    "the log read {} tokens, more than the prefix through the last breakpoint ({})",
                    rec.cache_read, sim.read
                ),
            ),
        };
    }
    if sim.read > rec.cache_read {
        let through = outcome
            .hit_block
            .map_or_else(String::new, |h| format!(" through segment {h}"));
        return (
            "simulated-hit",
            format!(
                "the simulator read {} tokens{through} from a live, readable entry; the log read {}",
                sim.read, rec.cache_read
            ),
        );
    }
    (
        "write-split",
        format!(
            "same read; the log wrote {} (5m) + {} (1h), the simulator {} (5m) + {} (1h)",
            rec.cache_write_5m, rec.cache_write_1h, sim.write_5m, sim.write_1h
        ),
    )
}

#[cfg(test)]
mod tests;
