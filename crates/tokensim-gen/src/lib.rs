//! tokensim-gen writes a deterministic synthetic organization's Claude API traffic as corpus v1
//! JSON lines (`docs/corpus-format.md`): the demo corpus that tokensim's reports are shown on.
//!
//! The organization is a fixed table of workload archetypes ([`archetypes`]): a support chat that
//! caches well, a RAG service that should cache and does not, a classification pipeline to route
//! to Haiku, a nightly job to move to the Batch API, a coding agent with 1h and 5m breakpoints, a
//! copilot whose 5m breakpoints keep expiring, and a little residency, batch and unattributed
//! traffic. `docs/demo-corpus.md` documents every parameter.
//!
//! Determinism: one seed drives everything. Each (archetype, day) draws from its own generator,
//! seeded from `(seed, archetype name, day index)`, so output is byte-identical for the same
//! [`GenConfig`] on every machine (transcendental math goes through `libm`), and the first days of
//! a longer run equal a shorter run's.
//!
//! Streaming: days are generated one at a time. After day `d` is drawn, every record sent before
//! midnight ending day `d` is known (later sessions start later), so those are sorted by
//! `(ts, archetype, day, session, turn)` and written; the few turns of sessions that run past
//! midnight wait in the buffer for the next day. Memory is bounded by one day of traffic.
//!
//! Recorded usage follows the cache rules: records are replayed, in output order, through
//! `tokensim_strategy::cache::ScopeCache` (one per scope = (workspace or `default`, model)), and
//! the resulting split is written as the record's usage.

mod archetype;
mod record;
mod rng;
mod time;
mod workload;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};

use tokensim_strategy::cache::{Block, Lookup, ScopeCache, Split, Ttl};

pub use archetype::{archetypes, ArchetypeInfo, MODELS};

use archetype::{Spec, ARCHETYPES};
use record::{hex16, write_record, Pending, Role};
use rng::{hash_parts, str_id, Rng};
use time::{days_from_civil, is_valid_date, weekday, DAY_MS, MINUTE_MS};
use workload::{generate_day, DayCtx};

/// The first line of every generated corpus.
pub const HEADER: &str = "{\"schema\":\"tokensim.corpus/1\"}";

/// How often (in simulated time) expired cache entries are dropped.
const EVICT_EVERY_MS: i64 = MINUTE_MS;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenConfig {
    /// The one seed every draw derives from.
    pub seed: u64,
    /// Number of days, starting at `start_date`.
    pub days: u32,
    /// Mean total requests per day across all workloads, averaged over a week (weekdays run
    /// above it, weekends below).
    pub requests_per_day: u64,
    /// The first day (UTC) as (year, month, day).
    pub start_date: (i32, u32, u32),
    /// Canonical model id to its minimum cacheable prompt length, from the price catalog. Every id
    /// in [`MODELS`] must be present.
    pub min_cacheable_tokens: BTreeMap<String, u64>,
}

impl Default for GenConfig {
    /// Seed 42, 7 days from 2026-10-01, 10,000 requests a day, and an empty
    /// `min_cacheable_tokens` that the caller must fill from the price catalog.
    fn default() -> Self {
        GenConfig {
            seed: 42,
            days: 7,
            requests_per_day: 10_000,
            start_date: (2026, 10, 1),
            min_cacheable_tokens: BTreeMap::new(),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenSummary {
    /// Records written (the header not counted).
    pub records: u64,
    /// Records per workload, keyed `team/app/feature` (a missing part reads `unattributed`).
    pub per_workload: BTreeMap<String, u64>,
}

/// Writes the corpus for `cfg` to `out`: the header line, then every record in non-decreasing
/// `ts` order. The output is buffered internally and flushed before returning.
///
/// Errors: `InvalidInput` when `start_date` is not a real date or a model in [`MODELS`] has no
/// `min_cacheable_tokens` entry (nothing is written then); otherwise any error of `out`.
pub fn generate<W: Write>(cfg: &GenConfig, out: W) -> io::Result<GenSummary> {
    let (y, m, d) = cfg.start_date;
    if !is_valid_date(y, m, d) || !(1..=9000).contains(&y) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("start date {y:04}-{m:02}-{d:02} is not a valid date"),
        ));
    }
    for model in MODELS {
        if !cfg.min_cacheable_tokens.contains_key(model) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("min_cacheable_tokens has no entry for model {model}"),
            ));
        }
    }
    let first_day = days_from_civil(y, m, d);
    let mut out = BufWriter::with_capacity(1 << 18, out);
    out.write_all(HEADER.as_bytes())?;
    out.write_all(b"\n")?;

    let mut emitter = Emitter::new(&cfg.min_cacheable_tokens);
    let mut pending: Vec<Pending> = Vec::new();
    for day in 0..cfg.days {
        let epoch_day = first_day + i64::from(day);
        let day_start_ms = epoch_day * DAY_MS;
        for (arch, spec) in ARCHETYPES.iter().enumerate() {
            let ctx = DayCtx {
                seed: cfg.seed,
                day,
                epoch_day,
                day_start_ms,
                arch: arch as u16,
                spec,
            };
            let mut rng = Rng::new(hash_parts(&[cfg.seed, str_id(spec.name), u64::from(day)]));
            let mean = cfg.requests_per_day as f64 * f64::from(spec.share_bp) / 10_000.0
                * weekly_factor(spec, epoch_day);
            let n = rng.poisson(mean);
            generate_day(&ctx, &mut rng, n, &mut pending);
        }
        emitter.emit_before(&mut out, &mut pending, day_start_ms + DAY_MS)?;
    }
    // Turns of the last day's sessions that ran past its midnight.
    emitter.emit_before(&mut out, &mut pending, i64::MAX)?;
    out.flush()?;
    Ok(emitter.summary())
}

/// Volume multiplier of a day: the archetype's weekend factor on Saturday and Sunday, and on
/// weekdays whatever keeps the weekly mean at exactly 1.
fn weekly_factor(spec: &Spec, epoch_day: i64) -> f64 {
    if weekday(epoch_day) >= 5 {
        spec.weekend_factor
    } else {
        (7.0 - 2.0 * spec.weekend_factor) / 5.0
    }
}

/// Replays records through the cache simulator in output order and writes them.
struct Emitter<'a> {
    min_cacheable_tokens: &'a BTreeMap<String, u64>,
    /// One cache per scope = (workspace or `default`, canonical model id).
    scopes: BTreeMap<(&'static str, &'static str), ScopeCache>,
    next_evict_ms: i64,
    last_ts_ms: i64,
    line: Vec<u8>,
    blocks: Vec<Block>,
    per_arch: [u64; ARCHETYPES.len()],
}

impl<'a> Emitter<'a> {
    fn new(min_cacheable_tokens: &'a BTreeMap<String, u64>) -> Self {
        Emitter {
            min_cacheable_tokens,
            scopes: BTreeMap::new(),
            next_evict_ms: i64::MIN,
            last_ts_ms: i64::MIN,
            line: Vec::with_capacity(1 << 14),
            blocks: Vec::new(),
            per_arch: [0; ARCHETYPES.len()],
        }
    }

    /// Writes, in order, every pending record sent before `cutoff_ms` and keeps the rest.
    ///
    /// Sorts (key, index) pairs rather than the records themselves, which are large. Keys are
    /// unique, so the unstable sort is deterministic.
    fn emit_before<W: Write>(
        &mut self,
        out: &mut W,
        pending: &mut Vec<Pending>,
        cutoff_ms: i64,
    ) -> io::Result<()> {
        let mut order: Vec<_> = pending
            .iter()
            .enumerate()
            .map(|(i, p)| (p.key(), i))
            .collect();
        order.sort_unstable();
        for &(key, i) in &order {
            if key.0 >= cutoff_ms {
                break;
            }
            self.emit(out, &pending[i])?;
        }
        pending.retain(|p| p.ts_ms >= cutoff_ms);
        Ok(())
    }

    fn emit<W: Write>(&mut self, out: &mut W, p: &Pending) -> io::Result<()> {
        assert!(p.ts_ms >= self.last_ts_ms, "records out of order");
        self.last_ts_ms = p.ts_ms;
        let spec = &ARCHETYPES[usize::from(p.arch)];
        if p.ts_ms >= self.next_evict_ms {
            for cache in self.scopes.values_mut() {
                cache.evict_expired(p.ts_ms * 1_000_000);
            }
            self.next_evict_ms = p.ts_ms + EVICT_EVERY_MS;
        }
        let split = if p.segments.is_empty() {
            Split::default()
        } else {
            self.simulate(spec, p)
        };
        self.line.clear();
        write_record(&mut self.line, spec, p, split);
        out.write_all(&self.line)?;
        self.per_arch[usize::from(p.arch)] += 1;
        Ok(())
    }

    /// The cache split of a record with segments, from its scope's cache.
    fn simulate(&mut self, spec: &Spec, p: &Pending) -> Split {
        self.blocks.clear();
        let mut breakpoints = 0;
        let mut seen_5m = false;
        for s in &p.segments {
            // The corpus carries the hash as 16 lowercase hex digits; a segment's `Block::hash` is
            // that text read back with `u64::from_str_radix(hex, 16)`, the same mapping a replay
            // of the written file uses, so both simulations see identical prefix chains.
            let hex = hex16(s.hash);
            let hex = std::str::from_utf8(&hex).expect("hex digits are ASCII");
            let hash = u64::from_str_radix(hex, 16).expect("16 hex digits parse");
            match s.cache {
                Some(Ttl::OneHour) => assert!(!seen_5m, "1h breakpoint after a 5m one"),
                Some(Ttl::FiveMinutes) => seen_5m = true,
                None => {}
            }
            breakpoints += usize::from(s.cache.is_some());
            self.blocks.push(Block {
                hash,
                tokens: u64::from(s.tokens),
                tool_result: s.role == Role::ToolResult,
                breakpoint: s.cache,
            });
        }
        assert!(breakpoints <= 4, "more than 4 breakpoints");
        let min_cacheable_tokens = self.min_cacheable_tokens[p.model];
        let scope = (spec.workspace.unwrap_or("default"), p.model);
        let lookup = Lookup {
            ts_ns: p.ts_ms * 1_000_000,
            readable_delay_ns: p.latency_ms as i64 * 1_000_000,
            min_cacheable_tokens,
            may_hit: true,
        };
        let split = self
            .scopes
            .entry(scope)
            .or_default()
            .request(&self.blocks, &lookup);
        // Pair assertion: the split accounts for every input token exactly once.
        assert_eq!(
            split.read + split.write_5m + split.write_1h + split.uncached,
            p.input_total(),
            "cache split does not add up to the prompt"
        );
        split
    }

    fn summary(&self) -> GenSummary {
        let mut per_workload = BTreeMap::new();
        for (spec, &n) in ARCHETYPES.iter().zip(&self.per_arch) {
            let key = workload_key(spec);
            *per_workload.entry(key).or_insert(0) += n;
        }
        GenSummary {
            records: self.per_arch.iter().sum(),
            per_workload,
        }
    }
}

/// `team/app/feature`, with `unattributed` for a missing part.
fn workload_key(spec: &Spec) -> String {
    let part = |p: Option<&str>| p.unwrap_or("unattributed").to_string();
    format!(
        "{}/{}/{}",
        part(spec.team),
        part(spec.app),
        part(spec.feature)
    )
}
