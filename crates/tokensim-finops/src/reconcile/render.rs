//! The reconciliation as a terminal table or Markdown, in the house style of
//! `tokensim-report`'s renderings.
//!
//! Money is shown as `$X.XX`. The invoice and corpus columns are apportioned to the cent
//! (largest remainder, [`tokensim_report::apportion_cents`]) so that their rows add up exactly to
//! their total row; the difference column is the displayed invoice minus the displayed corpus, so
//! it adds up too (it can differ by a cent from the exact difference rounded on its own; the
//! exact amounts are in the JSON). Columns holding a negative amount (a credit) are rounded row
//! by row instead.

use tokensim_pricing::money::format_cents;
use tokensim_pricing::PicoUsd;
use tokensim_report::{apportion_cents, Align, Markup, Table};

use super::{Finding, Reconciliation};

fn percent(share: Option<f64>) -> String {
    match share {
        None => "-".into(),
        Some(v) if (v * 100.0).abs() < 0.05 => "0.0%".into(),
        Some(v) => format!("{:.1}%", v * 100.0),
    }
}

/// Cents that add up: apportioned by largest remainder.
fn cents(amounts: &[PicoUsd]) -> (Vec<i128>, i128) {
    apportion_cents(amounts)
}

/// Renders a reconciliation as an aligned text table (`markdown: false`) or GitHub Markdown.
pub fn render(rec: &Reconciliation, markdown: bool) -> String {
    let markup = if markdown {
        Markup::Markdown
    } else {
        Markup::Terminal
    };
    let mut out = String::new();
    let bullet = if markdown { "- " } else { "  " };
    let heading = |out: &mut String, title: &str| {
        if markdown {
            out.push_str(&format!("\n### {title}\n\n"));
        } else {
            out.push_str(&format!("\n{title}\n"));
        }
    };
    out.push_str(if markdown {
        "## tokensim reconcile: cost report vs recorded baseline\n"
    } else {
        "tokensim reconcile: cost report vs recorded baseline\n"
    });
    out.push('\n');
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let span = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => format!(", {a} .. {b}"),
        _ => String::new(),
    };
    let i = &rec.invoice;
    out.push_str(&format!(
        "{bullet}invoice: {}, {}, {} daily buckets, {} lines{}\n",
        plural(i.files.len(), "file", "files"),
        plural(i.pages as usize, "page", "pages"),
        i.buckets,
        i.lines,
        span(&i.first_day, &i.last_day)
    ));
    let c = &rec.corpus;
    out.push_str(&format!(
        "{bullet}corpus: {}, {} records{}{}\n",
        plural(c.files.len(), "file", "files"),
        c.records,
        if c.unpriced_records > 0 {
            format!(
                " ({} with a model the catalog does not price)",
                c.unpriced_records
            )
        } else {
            String::new()
        },
        span(&c.first_day, &c.last_day)
    ));
    out.push_str(&format!("{bullet}prices: catalog {}\n", rec.catalog));

    heading(&mut out, "Summary");
    let t = &rec.totals;
    let (inv_c, cor_c) = (t.invoice.0.round_cents(), t.corpus.0.round_cents());
    Table {
        headers: vec!["", "amount", "share of invoice"],
        align: vec![Align::Left, Align::Right, Align::Right],
        rows: vec![
            vec!["invoice".into(), format_cents(inv_c), String::new()],
            vec![
                "corpus (recorded)".into(),
                format_cents(cor_c),
                String::new(),
            ],
            vec![
                "difference".into(),
                format_cents(inv_c - cor_c),
                percent(t.share),
            ],
        ],
        total: None,
    }
    .render(markup, &mut out);
    if let Some(u) = &rec.uniform_ratio {
        out.push_str(&format!(
            "\n{bullet}{} of {:.1}% on {} of {} rows billed on both sides (invoice / corpus = {:.5})\n",
            if u.discount {
                "a discount on the invoice"
            } else {
                "a markup on the invoice"
            },
            u.percent,
            u.rows,
            u.candidates,
            u.ratio
        ));
    }

    if !rec.findings.is_empty() {
        heading(&mut out, "Findings");
        for f in &rec.findings {
            let text = match f {
                Finding::MissingDay {
                    day,
                    invoice,
                    outside_corpus_span,
                } => format!(
                    "{day}: records missing from the corpus (the whole day{}): the invoice bills {invoice}",
                    if *outside_corpus_span {
                        ", outside the corpus's span"
                    } else {
                        ""
                    }
                ),
                Finding::DayNotInReport { day, corpus } => format!(
                    "{day}: no cost report page covers this day; the corpus records {corpus}"
                ),
                Finding::UnpricedModels { invoice, corpus } => {
                    let mut parts = Vec::new();
                    if !invoice.is_empty() {
                        parts.push(format!(
                            "on the invoice: {}",
                            invoice
                                .iter()
                                .map(|(m, a)| format!("{m} ({a})"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                    if !corpus.is_empty() {
                        parts.push(format!(
                            "in the corpus: {}",
                            corpus
                                .iter()
                                .map(|(m, n)| format!("{m} ({n} records)"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                    format!(
                        "models the catalog does not price: {} (add them with --prices)",
                        parts.join("; ")
                    )
                }
                Finding::UnmatchedWorkspaces {
                    invoice_only,
                    corpus_only,
                } => format!(
                    "workspaces on one side only: invoice [{}], corpus [{}] (group the report by \
                     workspace_id, or map invoice ids to corpus names)",
                    invoice_only.join(", "),
                    corpus_only.join(", ")
                ),
                Finding::AmountsRounded { count } => format!(
                    "{count} invoice amounts finer than a pico-dollar were rounded half to even"
                ),
            };
            out.push_str(&format!("{bullet}{text}\n"));
        }
    }

    heading(&mut out, "By cause");
    let inv: Vec<PicoUsd> = rec.by_cause.iter().map(|b| b.invoice.0).collect();
    let cor: Vec<PicoUsd> = rec.by_cause.iter().map(|b| b.corpus.0).collect();
    let ((ic, it), (cc, ct)) = (cents(&inv), cents(&cor));
    let rows: Vec<Vec<String>> = rec
        .by_cause
        .iter()
        .enumerate()
        .map(|(k, b)| {
            vec![
                b.cause.replace('_', " "),
                b.rows.to_string(),
                format_cents(ic[k]),
                format_cents(cc[k]),
                format_cents(ic[k] - cc[k]),
            ]
        })
        .collect();
    Table {
        headers: vec!["cause", "rows", "invoice", "corpus", "difference"],
        align: vec![
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
        ],
        rows,
        total: Some(vec![
            "total".into(),
            rec.rows.len().to_string(),
            format_cents(it),
            format_cents(ct),
            format_cents(it - ct),
        ]),
    }
    .render(markup, &mut out);

    heading(&mut out, "Rows");
    let inv: Vec<PicoUsd> = rec.rows.iter().map(|r| r.invoice.0).collect();
    let cor: Vec<PicoUsd> = rec.rows.iter().map(|r| r.corpus.0).collect();
    let ((ic, it), (cc, ct)) = (cents(&inv), cents(&cor));
    let rows: Vec<Vec<String>> = rec
        .rows
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let cause = if !r.causes.is_empty() {
                r.causes
                    .iter()
                    .map(|c| c.describe())
                    .collect::<Vec<_>>()
                    .join("; ")
            } else if !r.differs_in.is_empty() {
                format!(
                    "differs in {}",
                    r.differs_in
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                String::new()
            };
            vec![
                r.day.clone(),
                r.workspace.clone(),
                r.model.to_string(),
                format_cents(ic[k]),
                format_cents(cc[k]),
                format_cents(ic[k] - cc[k]),
                percent(r.share),
                cause,
            ]
        })
        .collect();
    Table {
        headers: vec![
            "day",
            "workspace",
            "model",
            "invoice",
            "corpus",
            "difference",
            "share",
            "likely cause",
        ],
        align: vec![
            Align::Left,
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Left,
        ],
        rows,
        total: Some(vec![
            "total".into(),
            String::new(),
            String::new(),
            format_cents(it),
            format_cents(ct),
            format_cents(it - ct),
            percent(rec.totals.share),
            String::new(),
        ]),
    }
    .render(markup, &mut out);
    out
}
