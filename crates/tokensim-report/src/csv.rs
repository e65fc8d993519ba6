//! CSV for spreadsheets: one row per (scenario, workload, model), the recorded traffic first as
//! the scenario `recorded`. Money is the report's exact twelve-decimal strings, so a
//! spreadsheet's sums match the JSON to the pico-dollar.

use std::fmt::Write as _;

use crate::model::{Report, RowKey, TokenCounts, Usd};
use crate::UNATTRIBUTED;

/// The header line.
pub const CSV_HEADER: &str = "scenario,team,app,feature,model,requests,batch_requests,input_tokens,cache_write_5m_tokens,cache_write_1h_tokens,cache_read_tokens,output_tokens,web_search_requests,cost_input,cost_cache_write_5m,cost_cache_write_1h,cost_cache_read,cost_output,cost_web_search,cost_total,naive_reference";

/// Quotes a field when it holds a comma, a quote or a line break (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[allow(clippy::too_many_arguments)]
fn line(
    out: &mut String,
    scenario: &str,
    key: &RowKey,
    requests: u64,
    batch: u64,
    t: &TokenCounts,
    c: &crate::model::CostBreakdown,
    reference: Option<Usd>,
) {
    let part = |p: &Option<String>| field(p.as_deref().unwrap_or(UNATTRIBUTED));
    let _ = writeln!(
        out,
        "{},{},{},{},{},{requests},{batch},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
        field(scenario),
        part(&key.team),
        part(&key.app),
        part(&key.feature),
        field(key.model.as_deref().unwrap_or("")),
        t.input,
        t.cache_write_5m,
        t.cache_write_1h,
        t.cache_read,
        t.output,
        t.web_search_requests,
        c.input.0.usd_exact(),
        c.cache_write_5m.0.usd_exact(),
        c.cache_write_1h.0.usd_exact(),
        c.cache_read.0.usd_exact(),
        c.output.0.usd_exact(),
        c.web_search.0.usd_exact(),
        c.total.0.usd_exact(),
        reference.map(|r| r.0.usd_exact()).unwrap_or_default(),
    );
}

/// Renders the report's (scenario, workload, model) rows as CSV.
pub fn render_csv(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(CSV_HEADER);
    out.push('\n');
    for r in &report.by_workload_model {
        line(
            &mut out,
            "recorded",
            &r.key,
            r.requests,
            r.batch_requests,
            &r.tokens,
            &r.recorded,
            Some(r.reference),
        );
    }
    for s in &report.scenarios {
        for r in &s.by_workload_model {
            line(
                &mut out,
                &s.name,
                &r.key,
                r.requests,
                r.batch_requests,
                &r.tokens,
                &r.cost,
                None,
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_or_quotes_are_quoted() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn an_empty_report_is_the_header() {
        assert_eq!(render_csv(&Report::default()), format!("{CSV_HEADER}\n"));
    }
}
