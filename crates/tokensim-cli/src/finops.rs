//! The FinOps commands (`docs/finops.md`): `allocate`, `budgets` and `forecast`. Each replays the
//! corpus once (strict, no progress bar) and works on the engine's per-(workload, model, day)
//! tallies; the arithmetic lives in `tokensim-finops`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use tokensim_corpus::Day;
use tokensim_engine::{ReplayOutcome, Workload};
use tokensim_finops::allocate::{allocate, month_of, Entry, Period, SharingRule};
use tokensim_finops::budgets::{self, OwnerKey, Status};
use tokensim_finops::forecast::{
    commitment, forecast, CommitmentRule, Estimate, Forecast, ForecastOptions,
};
use tokensim_pricing::money::format_cents;
use tokensim_pricing::PicoUsd;
use tokensim_report::apportion_cents;
use tokensim_report::{Align, Markup, Table};

use crate::args::{AllocateArgs, BudgetsArgs, FinopsFormat, ForecastArgs, ReconcileArgs};
use crate::commands::{load_catalog, load_scenarios, output, quiet_outcome};

/// The owner of a workload's records under `key` (`None`: unattributed). With `tag:KEY` the
/// engine has already keyed workloads by the tag's value, in `team`.
fn owner_of(w: &Workload, key: &OwnerKey) -> Option<String> {
    match key {
        OwnerKey::Team | OwnerKey::Tag(_) => w.team.clone(),
        OwnerKey::App => w.app.clone(),
        OwnerKey::Feature => w.feature.clone(),
    }
}

fn owner_tag(key: &OwnerKey) -> Option<String> {
    match key {
        OwnerKey::Tag(k) => Some(k.clone()),
        _ => None,
    }
}

/// Cost per (owner, day): as recorded (`scenario` None) or under scenario 0.
fn daily_by_owner(
    out: &ReplayOutcome,
    key: &OwnerKey,
    scenario: Option<u32>,
) -> BTreeMap<(Option<String>, Day), PicoUsd> {
    let mut by = BTreeMap::new();
    let mut add = |workload: u32, day: Day, cost: PicoUsd| {
        let owner = owner_of(&out.workloads[workload as usize], key);
        *by.entry((owner, day)).or_insert(PicoUsd(0)) += cost;
    };
    match scenario {
        None => {
            for (k, t) in &out.rows {
                add(k.workload, k.day, t.cost.total());
            }
        }
        Some(s) => {
            for ((i, k), t) in &out.scenario_rows {
                if *i == s {
                    add(k.workload, k.day, t.tally.cost.total());
                }
            }
        }
    }
    by
}

/// Total cost per day, as recorded or under scenario 0.
fn daily_total(out: &ReplayOutcome, scenario: Option<u32>) -> Vec<(Day, PicoUsd)> {
    let mut by: BTreeMap<Day, PicoUsd> = BTreeMap::new();
    for ((_, day), cost) in daily_by_owner(out, &OwnerKey::Team, scenario) {
        *by.entry(day).or_insert(PicoUsd(0)) += cost;
    }
    by.into_iter().collect()
}

fn markup(f: FinopsFormat) -> Markup {
    if f == FinopsFormat::Md {
        Markup::Markdown
    } else {
        Markup::Terminal
    }
}

/// An aligned text table, or a Markdown one ([`Table`]). Columns after the first `left` are
/// right-aligned.
fn table(head: &[&'static str], rows: &[Vec<String>], left: usize, m: Markup) -> String {
    let mut out = String::new();
    Table {
        headers: head.to_vec(),
        align: (0..head.len())
            .map(|i| if i < left { Align::Left } else { Align::Right })
            .collect(),
        rows: rows.to_vec(),
        total: None,
    }
    .render(m, &mut out);
    out
}

fn plain_cents(cents: i128) -> String {
    format!(
        "{}{}.{:02}",
        if cents < 0 { "-" } else { "" },
        cents.abs() / 100,
        cents.abs() % 100
    )
}

// ------------------------------------------------------------------------------------ allocate

pub(crate) fn cmd_allocate(a: AllocateArgs) -> Result<ExitCode> {
    let catalog = load_catalog(&a.price)?;
    let key = OwnerKey::parse(&a.by).map_err(|m| anyhow::anyhow!("--by: {m}"))?;
    let rule =
        SharingRule::parse(&a.unattributed).map_err(|m| anyhow::anyhow!("--unattributed: {m}"))?;
    let scenarios = load_scenarios(a.scenario.as_slice(), &catalog)?;
    let out = quiet_outcome(&a.corpus, &catalog, &scenarios, owner_tag(&key))?;
    let period = |d: Day| -> String {
        match a.period.as_str() {
            "day" => {
                let (y, m, dd) = d.civil();
                format!("{y:04}-{m:02}-{dd:02}")
            }
            _ => month_of(d),
        }
    };
    let entries = |s: Option<u32>| -> Vec<Entry> {
        daily_by_owner(&out, &key, s)
            .into_iter()
            .map(|((owner, day), cost)| Entry {
                owner,
                period: period(day),
                cost,
            })
            .collect()
    };
    let recorded = allocate(&entries(None), &rule);
    let scenario = (!scenarios.is_empty()).then(|| allocate(&entries(Some(0)), &rule));
    let scenario_name = scenarios.first().map(|(s, _)| s.name.clone());

    let text = match a.format {
        FinopsFormat::Json => {
            let v = serde_json::json!({
                "schema": "tokensim.allocation/1",
                "by": key.to_string(),
                "period": a.period,
                "unattributed": a.unattributed,
                "recorded": periods_json(&recorded),
                "scenario": scenario.as_ref().map(|s| serde_json::json!({
                    "name": scenario_name,
                    "periods": periods_json(s),
                })),
            });
            serde_json::to_string_pretty(&v)? + "\n"
        }
        f => render_allocation(&recorded, scenario.as_deref(), &key, &a, scenario_name, f),
    };
    output(a.output.as_deref())?.write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn periods_json(periods: &[Period]) -> serde_json::Value {
    serde_json::Value::Array(
        periods
            .iter()
            .map(|p| {
                serde_json::json!({
                    "period": p.period,
                    "total": p.total.usd_exact(),
                    "unattributed": p.unattributed.usd_exact(),
                    "owners": p.rows.iter().map(|r| serde_json::json!({
                        "owner": r.owner,
                        "direct": r.direct.usd_exact(),
                        "shared": r.shared.usd_exact(),
                        "total": r.total().usd_exact(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

fn render_allocation(
    recorded: &[Period],
    scenario: Option<&[Period]>,
    key: &OwnerKey,
    a: &AllocateArgs,
    scenario_name: Option<String>,
    f: FinopsFormat,
) -> String {
    // Rows of a period: every owner of either side.
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut grand: Vec<i128> = vec![0; 5];
    for p in recorded {
        let other = scenario.and_then(|s| s.iter().find(|q| q.period == p.period));
        let mut owners: Vec<&str> = p.rows.iter().map(|r| r.owner.as_str()).collect();
        if let Some(o) = other {
            owners.extend(o.rows.iter().map(|r| r.owner.as_str()));
        }
        owners.sort_unstable();
        owners.dedup();
        let find = |rows: &[tokensim_finops::allocate::Row], o: &str| {
            rows.iter().find(|r| r.owner == o).cloned()
        };
        // Cents per column, apportioned so the period's rows add up to its exact total.
        let col = |f: &dyn Fn(&str) -> PicoUsd| -> Vec<i128> {
            let amounts: Vec<PicoUsd> = owners.iter().map(|o| f(o)).collect();
            apportion_cents(&amounts).0
        };
        let direct = col(&|o| find(&p.rows, o).map_or(PicoUsd(0), |r| r.direct));
        let shared = col(&|o| find(&p.rows, o).map_or(PicoUsd(0), |r| r.shared));
        let total = col(&|o| find(&p.rows, o).map_or(PicoUsd(0), |r| r.total()));
        let sc = other.map(|q| col(&|o| find(&q.rows, o).map_or(PicoUsd(0), |r| r.total())));
        for (i, o) in owners.iter().enumerate() {
            let mut row = vec![
                p.period.clone(),
                (*o).to_owned(),
                money(direct[i], f),
                money(shared[i], f),
                money(total[i], f),
            ];
            grand[0] += direct[i];
            grand[1] += shared[i];
            grand[2] += total[i];
            if let Some(sc) = &sc {
                row.push(money(sc[i], f));
                row.push(money(total[i] - sc[i], f));
                grand[3] += sc[i];
                grand[4] += total[i] - sc[i];
            }
            rows.push(row);
        }
    }
    let mut head = vec!["period", "owner", "direct", "shared", "recorded"];
    if scenario.is_some() {
        head.extend(["scenario", "saving"]);
    }
    if f == FinopsFormat::Csv {
        let mut csv = head.join(",") + "\n";
        for r in &rows {
            let cells: Vec<String> = r.iter().map(|c| csv_cell(c)).collect();
            csv.push_str(&cells.join(","));
            csv.push('\n');
        }
        return csv;
    }
    let m = markup(f);
    let mut total_row = vec![
        "total".to_owned(),
        String::new(),
        money(grand[0], f),
        money(grand[1], f),
        money(grand[2], f),
    ];
    if scenario.is_some() {
        total_row.push(money(grand[3], f));
        total_row.push(money(grand[4], f));
    }
    rows.push(total_row);
    let title = format!(
        "Cost by {key} per {}{}; unattributed cost shared {}",
        a.period,
        scenario_name
            .map(|n| format!(", recorded and under scenario {n:?}"))
            .unwrap_or_default(),
        match a.unattributed.as_str() {
            "proportional" => "in proportion to each owner's direct cost".to_owned(),
            "even" => "evenly among the period's owners".to_owned(),
            other => format!("to {}", other.trim_start_matches("owner:")),
        }
    );
    let heading = match m {
        Markup::Markdown => format!("## {title}\n\n"),
        _ => format!("{title}\n\n"),
    };
    heading + &table(&head, &rows, 2, m)
}

fn money(cents: i128, f: FinopsFormat) -> String {
    if f == FinopsFormat::Csv {
        plain_cents(cents)
    } else {
        format_cents(cents)
    }
}

fn csv_cell(c: &str) -> String {
    if c.contains([',', '"', '\n']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c.to_owned()
    }
}

// ------------------------------------------------------------------------------------- budgets

pub(crate) fn cmd_budgets(a: BudgetsArgs) -> Result<ExitCode> {
    let catalog = load_catalog(&a.price)?;
    let name = a.budgets.display().to_string();
    let text =
        std::fs::read_to_string(&a.budgets).with_context(|| format!("cannot read {name}"))?;
    let file = budgets::parse(&text, &name)?;
    let out = quiet_outcome(&a.corpus, &catalog, &[], owner_tag(&file.by))?;
    let spend = daily_by_owner(&out, &file.by, None);
    let as_of = match &a.as_of {
        Some(d) => Day::parse(d).map_err(|m| anyhow::anyhow!("--as-of: {m}"))?,
        None => match spend.keys().map(|(_, d)| *d).max() {
            Some(d) => d,
            None => bail!("the corpus has no priced calls, so there is no month to check"),
        },
    };
    let c = budgets::check(&file, &spend, as_of);
    let text = match a.format {
        FinopsFormat::Json => {
            serde_json::to_string_pretty(&serde_json::json!({
                "schema": "tokensim.budgets/1",
                "by": c.by,
                "month": c.month,
                "as_of": c.as_of,
                "days_elapsed": c.days_elapsed,
                "days_in_month": c.days_in_month,
                "hard_breach": c.hard_breach,
                "budgets": c.budgets.iter().map(|b| serde_json::json!({
                    "owner": b.owner,
                    "kind": b.kind,
                    "budget": b.budget.usd_exact(),
                    "month_to_date": b.month_to_date.usd_exact(),
                    "projected": b.projected.usd_exact(),
                    "status": b.status,
                })).collect::<Vec<_>>(),
                "unbudgeted": c.unbudgeted.iter().map(|(o, cost)| serde_json::json!({
                    "owner": o, "month_to_date": cost.usd_exact(),
                })).collect::<Vec<_>>(),
            }))? + "\n"
        }
        f => {
            let m = markup(f);
            let rows: Vec<Vec<String>> = c
                .budgets
                .iter()
                .map(|b| {
                    vec![
                        b.owner.clone(),
                        format!("{:?}", b.kind).to_lowercase(),
                        format_cents(b.budget.round_cents()),
                        format_cents(b.month_to_date.round_cents()),
                        format!(
                            "{:.0}%",
                            b.month_to_date.0 as f64 * 100.0 / b.budget.0 as f64
                        ),
                        format_cents(b.projected.round_cents()),
                        match b.status {
                            Status::Ok => "ok".to_owned(),
                            Status::Warning => "WARNING".to_owned(),
                            Status::Breach => "BREACH".to_owned(),
                        },
                    ]
                })
                .collect();
            let title = format!(
                "Budgets by {} for {}, as of {} (day {} of {}); projection = month to date / {} x {}",
                c.by, c.month, c.as_of, c.days_elapsed, c.days_in_month, c.days_elapsed, c.days_in_month
            );
            let mut s = match m {
                Markup::Markdown => format!("## {title}\n\n"),
                _ => format!("{title}\n\n"),
            };
            s += &table(
                &[
                    "owner",
                    "kind",
                    "budget",
                    "month to date",
                    "used",
                    "projected",
                    "status",
                ],
                &rows,
                2,
                m,
            );
            if !c.unbudgeted.is_empty() {
                let list: Vec<String> = c
                    .unbudgeted
                    .iter()
                    .map(|(o, cost)| {
                        format!(
                            "{} {}",
                            o.as_deref().unwrap_or("unattributed"),
                            format_cents(cost.round_cents())
                        )
                    })
                    .collect();
                s += &format!("\nSpend without a budget this month: {}\n", list.join(", "));
            }
            s += &format!(
                "\n{}\n",
                if c.hard_breach {
                    "A hard budget is in breach: exit status 1."
                } else {
                    "No hard budget is in breach."
                }
            );
            s
        }
    };
    output(a.output.as_deref())?.write_all(text.as_bytes())?;
    Ok(if c.hard_breach {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

// ------------------------------------------------------------------------------------ forecast

pub(crate) fn cmd_forecast(a: ForecastArgs) -> Result<ExitCode> {
    let catalog = load_catalog(&a.price)?;
    let scenarios = load_scenarios(&a.scenario, &catalog)?;
    let out = quiet_outcome(&a.corpus, &catalog, &scenarios, None)?;
    let opts = ForecastOptions::default();
    let recorded = forecast(&daily_total(&out, None), a.months, &opts)
        .context("forecasting the recorded cost")?;
    let rule = CommitmentRule {
        percentile: a.percentile / 100.0,
        discount_bps: a.discount_bps,
    };
    // Each scenario's forecast, and the commitment sized on it against the recorded traffic.
    let mut optimized = Vec::with_capacity(scenarios.len());
    for (i, (sc, _)) in scenarios.iter().enumerate() {
        let f = forecast(&daily_total(&out, Some(i as u32)), a.months, &opts)
            .with_context(|| format!("forecasting scenario {:?}", sc.name))?;
        let c = commitment(&f, &recorded, rule);
        optimized.push((sc.name.clone(), f, c));
    }
    let own = commitment(&recorded, &recorded, rule);
    let text = match a.format {
        FinopsFormat::Json => {
            serde_json::to_string_pretty(&serde_json::json!({
                "schema": "tokensim.forecast/1",
                "recorded": recorded,
                "recorded_commitment": own,
                "scenarios": optimized.iter().map(|(n, f, c)| serde_json::json!({
                    "name": n, "forecast": f, "commitment": c,
                })).collect::<Vec<_>>(),
            }))? + "\n"
        }
        f => {
            let m = markup(f);
            let mut s = String::new();
            let head = |t: &str| match m {
                Markup::Markdown => format!("## {t}\n\n"),
                _ => format!("{t}\n\n"),
            };
            s += &head(&format!(
                "Forecast of the recorded cost ({})",
                recorded.method
            ));
            s += &forecast_table(&recorded, m);
            for (name, f, _) in &optimized {
                s += "\n";
                s += &head(&format!("Forecast under scenario {name:?}"));
                s += &forecast_table(f, m);
            }
            s += "\n";
            s += &head("Commitment for the next 12 months");
            let usd = |x: f64| format_cents((x * 100.0).round() as i128);
            let mut rows = vec![vec![
                "recorded traffic".to_owned(),
                usd(own.optimized_point_usd),
                usd(own.optimized_commitment_usd),
            ]];
            for (name, _, c) in &optimized {
                rows.push(vec![
                    format!("under {name:?}"),
                    usd(c.optimized_point_usd),
                    usd(c.optimized_commitment_usd),
                ]);
            }
            s += &table(&["traffic", "forecast", "commit"], &rows, 1, m);
            s += &format!(
                "\nRule: commit to the {:.0}th percentile of the 12-month forecast, so the risk that \
                 spend falls short of the commitment is {:.0}% under the model{}.\n",
                own.percentile * 100.0,
                own.shortfall_risk * 100.0,
                if own.discount_bps > 0 {
                    format!("; committed spend discounted {} bps", own.discount_bps)
                } else {
                    String::new()
                }
            );
            for (name, _, c) in &optimized {
                s += &if c.commitment_saving_usd >= 0.0 {
                    format!(
                        "{name}: saves twice: {} less consumption + {} smaller commitment = {}.\n",
                        usd(c.consumption_saving_usd),
                        usd(c.commitment_saving_usd),
                        usd(c.saves_twice_usd)
                    )
                } else {
                    format!(
                        "{name}: saves {} less consumption, but the commitment is {} larger (its \
                         forecast is less uncertain, so its low percentile is higher): {} in all.\n",
                        usd(c.consumption_saving_usd),
                        usd(-c.commitment_saving_usd),
                        usd(c.saves_twice_usd)
                    )
                };
            }
            let mut seen = std::collections::BTreeSet::new();
            let labelled = recorded
                .warnings
                .iter()
                .map(|w| ("recorded".to_owned(), w))
                .chain(optimized.iter().flat_map(|(n, f, c)| {
                    f.warnings
                        .iter()
                        .chain(c.warnings.iter())
                        .map(move |w| (n.clone(), w))
                }));
            for (what, w) in labelled {
                if seen.insert(w.clone()) {
                    s += &format!("warning ({what}): {w}\n");
                }
            }
            s
        }
    };
    output(a.output.as_deref())?.write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn forecast_table(f: &Forecast, m: Markup) -> String {
    let usd = |x: f64| format_cents((x * 100.0).round() as i128);
    let row = |label: String, e: &Estimate| {
        vec![
            label,
            usd(e.point_usd),
            format!("{} - {}", usd(e.lo80_usd), usd(e.hi80_usd)),
            format!("{} - {}", usd(e.lo95_usd), usd(e.hi95_usd)),
        ]
    };
    let mut rows: Vec<Vec<String>> = f
        .months
        .iter()
        .map(|mo| row(mo.month.clone(), &mo.estimate))
        .collect();
    rows.push(row(
        format!(
            "next 12 months ({} .. {})",
            f.next_12_months.from_month, f.next_12_months.to_month
        ),
        &f.next_12_months.estimate,
    ));
    let mut s = table(
        &["month", "forecast", "80% interval", "95% interval"],
        &rows,
        1,
        m,
    );
    s += &format!(
        "\nFit on {} days: trend {}{:.2}/day, daily residual sd ${:.2}. Backtest: {}.\n",
        f.fit_days,
        if f.trend_usd_per_day < 0.0 { "-$" } else { "+$" },
        f.trend_usd_per_day.abs(),
        f.sigma_daily_usd,
        match &f.backtest {
            Ok(b) => format!(
                "fit on all but the last {} days and forecast them: MAPE {}, 14-day total off by {}",
                b.test_days,
                b.mape
                    .map_or("n/a (no day with spend)".to_owned(), |x| format!("{:.1}%", x * 100.0)),
                b.total_error
                    .map_or("n/a".to_owned(), |x| format!("{:.1}%", x * 100.0))
            ),
            Err(why) => format!("none ({why})"),
        }
    );
    s
}

// ----------------------------------------------------------------------------------- reconcile

pub(crate) fn cmd_reconcile(a: ReconcileArgs) -> Result<ExitCode> {
    use tokensim_finops::reconcile::{reconcile_files, render, ReconcileOptions};
    let catalog = load_catalog(&a.price)?;
    let mut opts = ReconcileOptions::default();
    for spec in &a.workspace {
        match spec.split_once('=') {
            Some((id, name)) if !id.is_empty() && !name.is_empty() => {
                opts.workspaces.insert(id.to_owned(), name.to_owned());
            }
            _ => bail!("--workspace: {spec:?} is not ID=NAME, like wrkspc_01AB=prod"),
        }
    }
    if a.format == FinopsFormat::Csv {
        bail!("--format csv is for allocate; reconcile writes table, md or json");
    }
    let rec = reconcile_files(&a.corpus, &a.cost_report, &catalog, &opts)?;
    let text = match a.format {
        FinopsFormat::Json => serde_json::to_string_pretty(&rec)? + "\n",
        f => render(&rec, f == FinopsFormat::Md),
    };
    output(a.output.as_deref())?.write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
