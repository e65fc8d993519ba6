//! Cache-prefix detection (`tokensim prefixes`): which prompt prefixes recur, what a breakpoint
//! on each would save at a 5-minute or 1-hour TTL, and the classic caching mistakes the corpus
//! shows. See docs/prefixes.md for the estimate and its limits.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use tokensim_corpus::{CacheTtl, ChunkReader, CorpusError, Line, Role};
use tokensim_pricing::money::div_round_half_even;
use tokensim_pricing::{Catalog, ModelId, PicoUsd};
use tokensim_report::{PrefixFinding, PrefixReport, PrefixRow, Usd};

use crate::replay::ReplayError;

const FIVE_MIN_NS: i64 = 300_000_000_000;
const HOUR_NS: i64 = 3_600_000_000_000;
const DAY_NS: i64 = 86_400_000_000_000;

/// One call's prompt, reduced to what prefix analysis needs.
struct Call {
    ts: i64,
    line: (u32, u64),
    workload: String,
    model: ModelId,
    day: tokensim_corpus::Day,
    blocks: Vec<(u64, u64, Role, Option<CacheTtl>)>,
}

/// A tools or system block seen at a position: (calls, distinct preceding prefixes up to 64,
/// its tokens, the workload of its first call).
type LateBlock = (u64, BTreeSet<u64>, u64, String);

/// What one prefix accumulates.
#[derive(Default)]
struct Acc {
    workload: String,
    roles: Vec<Role>,
    tokens: u64,
    requests: u64,
    last_ts: Option<i64>,
    gap_sum_ns: i128,
    gaps: u64,
    gaps_mid: u64,
    saving_5m: PicoUsd,
    saving_1h: PicoUsd,
    recorded_5m: u64,
    recorded_1h: u64,
    below_minimum: bool,
}

fn chain(h: u64, x: u64) -> u64 {
    let mut v = (h ^ x).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    v ^= v >> 29;
    v
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Tools => "tools",
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::ToolResult => "tool_result",
    }
}

/// `tools+system+user x3`: the roles a prefix covers, runs folded.
fn roles_label(roles: &[Role]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < roles.len() {
        let mut j = i;
        while j < roles.len() && roles[j] == roles[i] {
            j += 1;
        }
        let n = j - i;
        out.push(if n == 1 {
            role_name(roles[i]).to_string()
        } else {
            format!("{} x{n}", role_name(roles[i]))
        });
        i = j;
    }
    out.join("+")
}

/// Reads the corpus and analyses its prefixes. `top` limits the rows.
pub fn analyze_prefixes(
    corpus: &[PathBuf],
    catalog: &Catalog,
    top: usize,
) -> Result<PrefixReport, ReplayError> {
    let reader = ChunkReader::new(corpus)?;
    let mut scopes: BTreeMap<(String, ModelId), Vec<Call>> = BTreeMap::new();
    let (mut records, mut without_segments) = (0u64, 0u64);
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for chunk in reader {
        let chunk = chunk?;
        for (pos, _, parsed) in chunk.parsed() {
            let rec = match parsed {
                Ok(Some(Line::Record(r))) => r,
                Ok(_) => continue,
                Err(error) => {
                    return Err(CorpusError::Line {
                        path: corpus[pos.file as usize].clone(),
                        line: pos.line,
                        error,
                    }
                    .into())
                }
            };
            let model = catalog.resolve(&rec.model).map_err(|e| {
                ReplayError::from(CorpusError::Line {
                    path: corpus[pos.file as usize].clone(),
                    line: pos.line,
                    error: tokensim_corpus::LineError {
                        field: "model".into(),
                        message: e.to_string(),
                    },
                })
            })?;
            records += 1;
            first = first.min(rec.ts.0);
            last = last.max(rec.ts.0);
            if rec.segments.is_empty() {
                without_segments += 1;
                continue;
            }
            fn part(p: &Option<tokensim_corpus::Text>) -> &str {
                p.as_deref().unwrap_or("unattributed")
            }
            scopes
                .entry((
                    rec.workspace.as_deref().unwrap_or("default").to_string(),
                    model,
                ))
                .or_default()
                .push(Call {
                    ts: rec.ts.0,
                    line: (pos.file, pos.line),
                    workload: format!(
                        "{}/{}/{}",
                        part(&rec.team),
                        part(&rec.app),
                        part(&rec.feature)
                    ),
                    model,
                    day: rec.ts.day(),
                    blocks: rec
                        .segments
                        .iter()
                        .map(|s| (s.hash, s.tokens, s.role, s.cache_control))
                        .collect(),
                });
        }
    }
    // The corpus's span, at least a day: savings are scaled to 30 days of the same traffic.
    let span_ns = if records == 0 {
        DAY_NS
    } else {
        last.saturating_sub(first).max(DAY_NS)
    };
    let span_days = span_ns as f64 / DAY_NS as f64;
    let mut rows: Vec<(PrefixRow, PicoUsd)> = Vec::new();
    let mut findings: Vec<PrefixFinding> = Vec::new();
    let mut below_min: BTreeMap<String, u64> = BTreeMap::new();
    // Per workload: (prefixes cached with 5m whose gaps are mostly 5-60 minutes, their gaps in
    // that range, all their gaps).
    let mut five_min: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for ((workspace, model), mut calls) in scopes {
        // Time order inside the scope, ties by corpus order (files may come in any order).
        calls.sort_by_key(|c| (c.ts, c.line));
        let min = catalog.model(model).min_cacheable_tokens;
        let mut prefixes: HashMap<u64, Acc> = HashMap::new();
        // (position, block hash) -> (calls, distinct preceding prefixes seen, up to a bound).
        let mut late_blocks: HashMap<(usize, u64), LateBlock> = HashMap::new();
        for c in &calls {
            let list = catalog.list_rates(c.model, c.day);
            let mut key = 0x243f_6a88_85a3_08d3u64;
            let mut tokens = 0u64;
            for (i, &(hash, t, role, cc)) in c.blocks.iter().enumerate() {
                let before = key;
                key = chain(key, hash);
                tokens += t;
                // The classic mistake: a stable block (tools, system) behind one that varies.
                if i > 0 && t >= min / 2 && matches!(role, Role::Tools | Role::System) {
                    let e = late_blocks
                        .entry((i, hash))
                        .or_insert_with(|| (0, BTreeSet::new(), t, c.workload.clone()));
                    e.0 += 1;
                    if e.1.len() < 64 {
                        e.1.insert(before);
                    }
                }
                let a = prefixes.entry(key).or_insert_with(|| Acc {
                    workload: c.workload.clone(),
                    ..Acc::default()
                });
                if a.requests == 0 {
                    a.roles = c.blocks[..=i].iter().map(|b| b.2).collect();
                    a.tokens = tokens;
                }
                match cc {
                    Some(CacheTtl::FiveMinutes) => a.recorded_5m += 1,
                    Some(CacheTtl::OneHour) => a.recorded_1h += 1,
                    None => {}
                }
                if cc.is_some() && tokens < min {
                    a.below_minimum = true;
                    *below_min.entry(c.workload.clone()).or_default() += 1;
                }
                // A breakpoint here: a call within the TTL of the previous one reads the prefix
                // (input price minus read price saved); otherwise it writes it (write price
                // minus input price paid on top). Each call refreshes the entry.
                let gap = a.last_ts.map(|l| c.ts.saturating_sub(l));
                let cost = |r: tokensim_pricing::Rate| r.cost(tokens);
                let read_saving = cost(list.input) - cost(list.cache_read);
                if tokens >= min {
                    a.saving_5m += match gap {
                        Some(g) if g < FIVE_MIN_NS => read_saving,
                        _ => -(cost(list.cache_write_5m) - cost(list.input)),
                    };
                    a.saving_1h += match gap {
                        Some(g) if g < HOUR_NS => read_saving,
                        _ => -(cost(list.cache_write_1h) - cost(list.input)),
                    };
                }
                if let Some(g) = gap {
                    a.gap_sum_ns += i128::from(g);
                    a.gaps += 1;
                    a.gaps_mid += u64::from((FIVE_MIN_NS..HOUR_NS).contains(&g));
                }
                a.last_ts = Some(c.ts);
                a.requests += 1;
            }
        }
        let mut varying: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
        for (n, preceding, t, workload) in late_blocks.values() {
            if *n >= 10 && preceding.len() as u64 * 2 >= *n {
                let e = varying.entry(workload.clone()).or_default();
                e.0 += 1;
                e.1 += n;
                e.2 = e.2.max(*t);
            }
        }
        for (workload, (blocks, calls, largest)) in varying {
            findings.push(PrefixFinding {
                kind: "varying-block-before-stable".into(),
                workload,
                detail: format!(
                    "{blocks} tools or system blocks (up to {largest} tokens) recur in {calls} calls of scope {workspace}/{} but behind earlier blocks that vary (a timestamp or id at the top of the prompt?): they can never be read from the cache",
                    catalog.model(model).id
                ),
            });
        }
        for a in prefixes.values() {
            if a.recorded_5m > 0 && a.gaps >= 5 && a.gaps_mid * 2 > a.gaps {
                let e = five_min.entry(a.workload.clone()).or_default();
                e.0 += 1;
                e.1 += a.gaps_mid;
                e.2 += a.gaps;
            }
            if a.requests < 2 {
                continue;
            }
            let best = a.saving_5m.max(a.saving_1h);
            let per_month = |p: PicoUsd| {
                Usd(PicoUsd(div_round_half_even(
                    p.0 * 30 * i128::from(DAY_NS),
                    i128::from(span_ns),
                )))
            };
            rows.push((
                PrefixRow {
                    workload: a.workload.clone(),
                    scope: format!("{workspace}/{}", catalog.model(model).id),
                    roles: roles_label(&a.roles),
                    tokens: a.tokens,
                    requests: a.requests,
                    requests_per_day: (a.requests as f64 / span_days * 10.0).round() / 10.0,
                    mean_gap_s: if a.gaps == 0 {
                        0.0
                    } else {
                        (a.gap_sum_ns as f64 / a.gaps as f64 / 1e9 * 10.0).round() / 10.0
                    },
                    cached_today: a.recorded_5m + a.recorded_1h > 0,
                    below_minimum: a.tokens < min,
                    saving_5m_per_month: per_month(a.saving_5m),
                    saving_1h_per_month: per_month(a.saving_1h),
                },
                best,
            ));
        }
    }
    for (workload, (prefixes, mid, all)) in five_min {
        findings.push(PrefixFinding {
            kind: "5m-ttl-with-longer-gaps".into(),
            workload,
            detail: format!(
                "{prefixes} prefixes cached with a 5m TTL are mostly reused after 5 to 60 minutes ({mid} of their {all} reuse gaps): they expire between calls, and a 1h TTL would keep them"
            ),
        });
    }
    for (w, n) in below_min {
        findings.push(PrefixFinding {
            kind: "breakpoint-below-minimum".into(),
            workload: w.clone(),
            detail: format!("{n} breakpoints sit on prefixes shorter than the model's minimum cacheable length: they are neither written nor read"),
        });
    }
    rows.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| a.0.workload.cmp(&b.0.workload))
            .then_with(|| a.0.tokens.cmp(&b.0.tokens))
    });
    findings
        .sort_by(|a, b| (&a.kind, &a.workload, &a.detail).cmp(&(&b.kind, &b.workload, &b.detail)));
    Ok(PrefixReport {
        records,
        records_without_segments: without_segments,
        span_days: (span_days * 10.0).round() / 10.0,
        rows: rows.into_iter().take(top).map(|(r, _)| r).collect(),
        findings,
    })
}
