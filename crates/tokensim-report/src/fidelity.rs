//! The fidelity of the prompt-cache simulator against recorded usage: the `tokensim fidelity`
//! report, and the one-line figure replay reports print for scenarios whose cache policy
//! re-simulates (docs/fidelity.md).
//!
//! Counts and money are exact; only the shares are floats.

use serde::{Deserialize, Serialize};
use tokensim_pricing::money::{div_round_half_even, format_cents, PICO_PER_CENT};

use crate::model::Usd;
use crate::render::{compact, percent_of_tokens, Align, Markup, Table};

/// The schema name and version of the `tokensim fidelity` JSON form.
pub const FIDELITY_SCHEMA: &str = "tokensim.fidelity/1";

/// The corpus's replay fidelity as a replay report carries it: the `replay` cache policy (the
/// recorded breakpoints on the recorded model, `scenarios/cache-replay.toml`'s settings) against
/// the recorded usage, over every call with prompt segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReplayFidelity {
    /// Calls re-simulated and compared.
    pub compared: u64,
    /// Of which the simulated read / 5m write / 1h write / uncached split equals the recorded one.
    pub agreed: u64,
    /// Input tokens of the compared calls.
    pub tokens_compared: u128,
    /// Of which the simulation put in another component than the log (each misplaced token
    /// counted once).
    pub tokens_misassigned: u128,
    /// Calls without prompt segments: not re-simulated, not compared.
    pub not_compared: u64,
}

impl ReplayFidelity {
    /// The figure in words, for the header of a scenario whose cache policy re-simulates.
    pub fn sentence(&self) -> String {
        let right = self.tokens_compared - self.tokens_misassigned;
        let mut s = format!(
            "simulator fidelity on this corpus: {} of {} calls split exactly as recorded, {} of tokens in the recorded component",
            self.agreed,
            self.compared,
            percent_of_tokens(right, self.tokens_compared)
        );
        if self.not_compared > 0 {
            s.push_str(&format!(
                " ({} call{} without prompt segments not compared)",
                self.not_compared,
                if self.not_compared == 1 { "" } else { "s" }
            ));
        }
        s.push_str("; details: tokensim fidelity");
        s
    }
}

/// A request's input tokens by billing component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InputSplit {
    /// Uncached input (`input_tokens`).
    pub uncached: u64,
    /// 5-minute cache writes.
    pub write_5m: u64,
    /// 1-hour cache writes.
    pub write_1h: u64,
    /// Cache reads.
    pub read: u64,
}

impl InputSplit {
    /// `uncached/5m/1h/read`, compact.
    pub fn label(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            compact(self.uncached),
            compact(self.write_5m),
            compact(self.write_1h),
            compact(self.read)
        )
    }
}

/// Agreement over a group of calls: one session, or all of them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FidelityRow {
    /// The `conversation_id`, `(no session)` for calls without one, or `total`.
    pub session: String,
    /// Calls with prompt segments, re-simulated and compared.
    pub compared: u64,
    /// Of which the simulated split equals the recorded one exactly.
    pub exact: u64,
    /// `exact / compared` (1 when nothing was compared).
    pub exact_share: f64,
    /// Input tokens of the compared calls.
    pub tokens: u128,
    /// `sum |simulated - recorded|` over the four components of every compared call, halved:
    /// each token in the wrong component counted once.
    pub tokens_misassigned: u128,
    /// `1 - tokens_misassigned / tokens` (1 when nothing was compared).
    pub token_agreement: f64,
    /// What the compared calls cost as recorded.
    pub recorded_cost: Usd,
    /// What they cost as simulated.
    pub simulated_cost: Usd,
    /// `simulated_cost - recorded_cost`.
    pub cost_difference: Usd,
    /// The sum of `|simulated - recorded|` per call.
    pub cost_difference_abs: Usd,
    /// Calls without prompt segments: not compared, counted.
    pub without_segments: u64,
}

/// The disagreeing calls that share a reason.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReasonRow {
    /// The reason's id (docs/fidelity.md).
    pub reason: String,
    /// Disagreeing calls.
    pub calls: u64,
    /// Their misassigned tokens.
    pub tokens_misassigned: u128,
    /// Their `simulated - recorded` cost.
    pub cost_difference: Usd,
}

/// One call whose simulated split differs from the recorded one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FidelityCall {
    /// The record's `id`, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its file, as given.
    pub file: String,
    /// Its 1-based line.
    pub line: u64,
    /// Its timestamp.
    pub ts: String,
    /// Its session (`conversation_id`, or `(no session)`).
    pub session: String,
    /// The recorded split.
    pub recorded: InputSplit,
    /// The simulated split.
    pub simulated: InputSplit,
    /// Tokens in another component than recorded (`sum |simulated - recorded| / 2`).
    pub tokens_misassigned: u64,
    /// `simulated - recorded` cost of the call.
    pub cost_difference: Usd,
    /// The reason's id.
    pub reason_id: String,
    /// The reason, as the simulator sees it.
    pub reason: String,
}

/// `tokensim fidelity`: the `replay` cache policy against the recorded usage.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FidelityReport {
    /// [`FIDELITY_SCHEMA`].
    pub schema: String,
    /// The corpus files, as given.
    pub files: Vec<String>,
    /// Records read.
    pub records: u64,
    /// The readable delay used for calls without `latency_ms`, milliseconds.
    pub readable_delay_ms: u64,
    /// All calls.
    pub totals: FidelityRow,
    /// Per session: those with the most misassigned tokens first, then by name.
    pub sessions: Vec<FidelityRow>,
    /// Disagreeing calls by reason, most misassigned tokens first.
    pub reasons: Vec<ReasonRow>,
    /// The calls that disagree most (by misassigned tokens, then corpus order), at most `--top`.
    pub top: Vec<FidelityCall>,
}

/// Money to a hundredth of a cent (rounded half to even), `$1,787.5341`: the differences a
/// fidelity report shows are often below a cent per call. The JSON has them exactly.
fn money(u: Usd) -> String {
    let v = div_round_half_even(u.0 .0, PICO_PER_CENT / 100);
    let cents = format_cents(v.abs() / 100);
    format!(
        "{}{cents}{:02}",
        if v < 0 { "-" } else { "" },
        v.abs() % 100
    )
}

fn share(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// Renders `tokensim fidelity` as a terminal table or Markdown. Tables list at most as many
/// sessions as calls (`top.len()`, at least 20) among those that disagree; the JSON has all.
pub fn render_fidelity(f: &FidelityReport, markup: Markup, max_sessions: usize) -> String {
    let mut out = String::new();
    let h = |out: &mut String, title: &str| match markup {
        Markup::Terminal => out.push_str(&format!("\n{title}\n")),
        Markup::Markdown => out.push_str(&format!("\n### {title}\n\n")),
    };
    let title = "tokensim fidelity: the cache simulator against the recorded usage";
    match markup {
        Markup::Terminal => out.push_str(&format!("{title}\n\n")),
        Markup::Markdown => out.push_str(&format!("## {title}\n\n")),
    }
    let bullet = if markup == Markup::Markdown {
        "- "
    } else {
        "  "
    };
    let t = &f.totals;
    out.push_str(&format!(
        "{bullet}{} records in {} file{}; {} calls re-simulated with their recorded breakpoints, {} without prompt segments (not compared)\n",
        f.records,
        f.files.len(),
        if f.files.len() == 1 { "" } else { "s" },
        t.compared,
        t.without_segments
    ));
    out.push_str(&format!(
        "{bullet}calls split exactly as recorded: {} of {} ({})\n",
        t.exact,
        t.compared,
        share(t.exact_share)
    ));
    out.push_str(&format!(
        "{bullet}token-weighted agreement: {} (1 - {} misassigned / {} input tokens)\n",
        share(t.token_agreement),
        t.tokens_misassigned,
        t.tokens
    ));
    out.push_str(&format!(
        "{bullet}cost of the disagreement: simulated {} - recorded {} = {} (sum of per-call differences in absolute value: {})\n",
        money(t.simulated_cost),
        money(t.recorded_cost),
        money(t.cost_difference),
        money(t.cost_difference_abs)
    ));
    out.push_str(&format!(
        "{bullet}calls without latency_ms: written entries readable {} ms after the call starts\n",
        f.readable_delay_ms
    ));
    let disagreeing: Vec<&FidelityRow> =
        f.sessions.iter().filter(|s| s.exact < s.compared).collect();
    h(&mut out, "Sessions");
    out.push_str(&format!(
        "{bullet}{} sessions, {} with a disagreement{}\n",
        f.sessions.len(),
        disagreeing.len(),
        if disagreeing.len() > max_sessions {
            format!(" ({max_sessions} listed; all in the JSON)")
        } else {
            String::new()
        }
    ));
    if !disagreeing.is_empty() {
        out.push('\n');
        Table {
            headers: vec![
                "session",
                "calls",
                "exact",
                "exact %",
                "tokens",
                "misassigned",
                "token agreement",
                "cost difference",
                "no segments",
            ],
            align: vec![
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
            ],
            rows: disagreeing
                .iter()
                .take(max_sessions)
                .map(|s| {
                    vec![
                        s.session.clone(),
                        s.compared.to_string(),
                        s.exact.to_string(),
                        share(s.exact_share),
                        compact(s.tokens),
                        s.tokens_misassigned.to_string(),
                        share(s.token_agreement),
                        money(s.cost_difference),
                        s.without_segments.to_string(),
                    ]
                })
                .collect(),
            total: None,
        }
        .render(markup, &mut out);
    }
    if !f.reasons.is_empty() {
        h(&mut out, "Disagreements by reason");
        Table {
            headers: vec!["reason", "calls", "misassigned", "cost difference"],
            align: vec![Align::Left, Align::Right, Align::Right, Align::Right],
            rows: f
                .reasons
                .iter()
                .map(|r| {
                    vec![
                        r.reason.clone(),
                        r.calls.to_string(),
                        r.tokens_misassigned.to_string(),
                        money(r.cost_difference),
                    ]
                })
                .collect(),
            total: None,
        }
        .render(markup, &mut out);
    }
    if !f.top.is_empty() {
        h(
            &mut out,
            "Calls that disagree most (splits: uncached/5m write/1h write/read)",
        );
        Table {
            headers: vec![
                "call",
                "ts",
                "recorded",
                "simulated",
                "misassigned",
                "cost difference",
                "reason",
            ],
            align: vec![
                Align::Left,
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Left,
            ],
            rows: f
                .top
                .iter()
                .map(|c| {
                    let at = format!("{}:{}", c.file, c.line);
                    vec![
                        match &c.id {
                            Some(id) => format!("{id} ({at})"),
                            None => at,
                        },
                        c.ts.clone(),
                        c.recorded.label(),
                        c.simulated.label(),
                        c.tokens_misassigned.to_string(),
                        money(c.cost_difference),
                        c.reason.clone(),
                    ]
                })
                .collect(),
            total: None,
        }
        .render(markup, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokensim_pricing::PicoUsd;

    #[test]
    fn money_shows_hundredths_of_a_cent() {
        let m = |p: i128| money(Usd(PicoUsd(p)));
        assert_eq!(m(6_900_000_000), "$0.0069");
        assert_eq!(m(-6_900_000_000), "-$0.0069");
        assert_eq!(m(1_787_534_059_065_000), "$1,787.5341");
        assert_eq!(m(0), "$0.0000");
    }

    #[test]
    fn the_sentence_gives_counts_and_the_token_share() {
        let f = ReplayFidelity {
            compared: 200,
            agreed: 190,
            tokens_compared: 1000,
            tokens_misassigned: 25,
            not_compared: 3,
        };
        assert_eq!(
            f.sentence(),
            "simulator fidelity on this corpus: 190 of 200 calls split exactly as recorded, 97.5% of tokens in the recorded component (3 calls without prompt segments not compared); details: tokensim fidelity"
        );
    }
}
