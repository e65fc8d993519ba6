//! `tokensim diff`: the pre-ship comparison of two runs (two scenarios on one corpus, or one
//! scenario on two corpora), as a terminal table or a Markdown pull-request comment.

use serde::{Deserialize, Serialize};
use tokensim_pricing::money::format_cents;
use tokensim_pricing::PicoUsd;

use crate::model::{RowKey, Usd};
use crate::render::{apportion_cents, percent, Align, Table};
use crate::Markup;

/// The diff report's schema id.
pub const DIFF_SCHEMA: &str = "tokensim.diff/1";

/// Before against after, per workload and in total.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DiffReport {
    /// [`DIFF_SCHEMA`].
    pub schema: String,
    /// What "before" is (a scenario name or a corpus).
    pub before: String,
    /// What "after" is.
    pub after: String,
    /// All calls.
    pub totals: DiffRow,
    /// By workload, largest cost increase first.
    pub by_workload: Vec<DiffRow>,
    /// Prompt prefixes whose caching differs between the two corpora (two-corpora mode).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix_changes: Vec<PrefixChange>,
    /// `--fail-above`, in percent, when given.
    pub fail_above_percent: Option<f64>,
    /// Whether the cost rose by more than that.
    pub failed: bool,
}

/// One side of a row.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DiffSide {
    /// Calls.
    pub requests: u64,
    /// Cost.
    pub cost: Usd,
    /// Cache read tokens.
    pub cache_read: u128,
    /// Cache write tokens (5m and 1h).
    pub cache_write: u128,
    /// Expected degraded answers (routes and trims, docs/quality-risk.md).
    pub expected_degraded: f64,
    /// Answers cut by an output cap.
    pub truncated: u64,
    /// Calls moved from interactive to the Batch API.
    pub moved_interactive: u64,
}

/// One workload (or the total) before and after.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DiffRow {
    /// The workload (empty for the totals).
    #[serde(flatten)]
    pub key: RowKey,
    /// Before.
    pub before: DiffSide,
    /// After.
    pub after: DiffSide,
    /// `after.cost - before.cost`.
    pub delta: Usd,
}

/// A prefix present in one corpus only, or cached in one and not the other.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PrefixChange {
    /// Workload.
    pub workload: String,
    /// Cache scope.
    pub scope: String,
    /// The segment roles the prefix covers.
    pub roles: String,
    /// Tokens before (absent: the prefix does not recur before).
    pub tokens_before: Option<u64>,
    /// Tokens after.
    pub tokens_after: Option<u64>,
    /// Cached before.
    pub cached_before: Option<bool>,
    /// Cached after.
    pub cached_after: Option<bool>,
}

/// Renders a diff as a terminal table or Markdown.
pub fn render_diff(d: &DiffReport, markup: Markup) -> String {
    let mut out = String::new();
    let title = format!("tokensim diff: {} -> {}", d.before, d.after);
    match markup {
        Markup::Terminal => out.push_str(&format!("{title}\n\n")),
        Markup::Markdown => out.push_str(&format!("## {title}\n\n")),
    }
    let bullet = if markup == Markup::Markdown {
        "- "
    } else {
        "  "
    };
    let t = &d.totals;
    // The printed delta is the difference of the printed costs, as in the table.
    let shown = t.after.cost.0.round_cents() - t.before.cost.0.round_cents();
    out.push_str(&format!(
        "{bullet}cost: {} -> {} ({}{}, {})\n",
        t.before.cost,
        t.after.cost,
        if shown > 0 { "+" } else { "" },
        format_cents(shown),
        signed_percent(t.delta.0, t.before.cost.0)
    ));
    out.push_str(&format!(
        "{bullet}risk: expected degraded answers {:.0} -> {:.0}; truncated answers {} -> {}; interactive calls moved to batch {} -> {}\n",
        t.before.expected_degraded,
        t.after.expected_degraded,
        t.before.truncated,
        t.after.truncated,
        t.before.moved_interactive,
        t.after.moved_interactive
    ));
    out.push_str(&format!(
        "{bullet}cache: reads {} -> {} tokens, writes {} -> {} tokens\n\n",
        t.before.cache_read, t.after.cache_read, t.before.cache_write, t.after.cache_write
    ));
    let rows = &d.by_workload;
    let (b, b_total) = apportion_cents(&rows.iter().map(|r| r.before.cost.0).collect::<Vec<_>>());
    let (a, a_total) = apportion_cents(&rows.iter().map(|r| r.after.cost.0).collect::<Vec<_>>());
    let cells = |label: String, r: &DiffRow, b: i128, a: i128| {
        vec![
            label,
            format_cents(b),
            format_cents(a),
            format!("{}{}", if a > b { "+" } else { "" }, format_cents(a - b)),
            signed_percent(PicoUsd(a - b), PicoUsd(b)),
            format!(
                "{:+.0}",
                r.after.expected_degraded - r.before.expected_degraded
            ),
            format!(
                "{:+}",
                r.after.cache_read as i128 - r.before.cache_read as i128
            ),
        ]
    };
    Table {
        headers: vec![
            "workload",
            "before",
            "after",
            "delta",
            "delta %",
            "degraded",
            "cache reads",
        ],
        align: vec![
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
        rows: rows
            .iter()
            .zip(b.iter().zip(&a))
            .map(|(r, (&b, &a))| cells(r.key.label(), r, b, a))
            .collect(),
        total: Some(cells("total".into(), t, b_total, a_total)),
    }
    .render(markup, &mut out);
    if !d.prefix_changes.is_empty() {
        out.push_str(&format!("\n{bullet}prefixes whose caching changes:\n"));
        for p in &d.prefix_changes {
            let side = |t: Option<u64>, c: Option<bool>| match (t, c) {
                (Some(t), Some(c)) => {
                    format!("{t} tokens, {}", if c { "cached" } else { "not cached" })
                }
                _ => "absent".to_string(),
            };
            out.push_str(&format!(
                "{bullet}  {} {} [{}]: {} -> {}\n",
                p.workload,
                p.scope,
                p.roles,
                side(p.tokens_before, p.cached_before),
                side(p.tokens_after, p.cached_after)
            ));
        }
    }
    if let Some(limit) = d.fail_above_percent {
        out.push_str(&format!(
            "\n{bullet}{}: cost change {} against the limit +{limit}%\n",
            if d.failed { "FAIL" } else { "ok" },
            signed_percent(t.delta.0, t.before.cost.0)
        ));
    }
    out
}

fn signed_percent(part: PicoUsd, whole: PicoUsd) -> String {
    let p = percent(part, whole);
    if part.0 > 0 && !p.starts_with('-') && p != "0.0%" {
        format!("+{p}")
    } else {
        p
    }
}
