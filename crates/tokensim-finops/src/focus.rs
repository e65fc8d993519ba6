//! FOCUS export (docs/focus.md): the replay's costs as a CSV of FinOps Open Cost and Usage
//! Specification (FOCUS 1.x) columns, one row per (scenario, workload, model, day, token class),
//! so that a FinOps tool can load simulated Claude API spend next to its cloud bills.
//!
//! Every amount is an exact decimal string computed from [`PicoUsd`] (twelve decimals, no
//! floats), so the `BilledCost` of one scenario's rows adds up to that scenario's total in the
//! report to the pico-dollar. Quantities are exact too: `PricingQuantity` is in millions of
//! tokens with six decimals (thousands of requests with three for web search), and
//! `ListUnitPrice × PricingQuantity = ListCost` and
//! `ContractedUnitPrice × PricingQuantity = ContractedCost` hold exactly on every row.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};

use tokensim_corpus::Day;
use tokensim_engine::{Key, ReplayOutcome, Tally, Workload};
use tokensim_pricing::{Catalog, Cost, Model, ModelId, PicoUsd, Rate, Rates, Ratio, TokenSums};

/// `x_ScenarioId` of the rows of the traffic as recorded.
pub const BASELINE_SCENARIO_ID: &str = "baseline";

/// The columns, in file order: the FOCUS columns in alphabetical order, then the extension
/// columns (prefixed `x_`, as FOCUS requires of custom columns).
pub const FOCUS_COLUMNS: [&str; 33] = [
    "BilledCost",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuPriceId",
    "Tags",
    "x_ScenarioId",
    "x_TokenDirection",
    "x_CacheAction",
    "x_ServiceTier",
    "x_PriceEffectiveFrom",
];

/// The header line, without its line break.
pub fn focus_header() -> String {
    FOCUS_COLUMNS.join(",")
}

/// The company in `ProviderName`, `PublisherName` and `InvoiceIssuerName`.
const ANTHROPIC: &str = "Anthropic";
/// `ServiceName`.
const SERVICE_NAME: &str = "Claude API";
/// Micro-USD per MTok times this is pico-USD per MTok.
const MICRO_TO_PICO: i128 = 1_000_000;
/// Tokens in one `PricingUnit` of a token class.
const TOKENS_PER_PRICING_UNIT: u64 = 1_000_000;
/// Web search requests in one `PricingUnit`.
const REQUESTS_PER_PRICING_UNIT: u64 = 1_000;

/// A priced component of a call: the unit of a FOCUS row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TokenClass {
    /// Uncached input tokens.
    Input,
    /// Tokens written to the 5-minute cache.
    CacheWrite5m,
    /// Tokens written to the 1-hour cache.
    CacheWrite1h,
    /// Tokens read from the cache.
    CacheRead,
    /// Output tokens (thinking included).
    Output,
    /// Web search requests (not tokens; billed per request).
    WebSearch,
}

impl TokenClass {
    /// Every class, in row order.
    pub const ALL: [TokenClass; 6] = [
        TokenClass::Input,
        TokenClass::CacheWrite5m,
        TokenClass::CacheWrite1h,
        TokenClass::CacheRead,
        TokenClass::Output,
        TokenClass::WebSearch,
    ];

    /// The class's id, the second part of `SkuId`: the report's component name.
    pub fn id(self) -> &'static str {
        match self {
            TokenClass::Input => "input",
            TokenClass::CacheWrite5m => "cache_write_5m",
            TokenClass::CacheWrite1h => "cache_write_1h",
            TokenClass::CacheRead => "cache_read",
            TokenClass::Output => "output",
            TokenClass::WebSearch => "web_search",
        }
    }

    /// `x_TokenDirection`: `input` or `output`; `None` (empty) for web search.
    pub fn direction(self) -> Option<&'static str> {
        match self {
            TokenClass::Output => Some("output"),
            TokenClass::WebSearch => None,
            _ => Some("input"),
        }
    }

    /// `x_CacheAction`: `none`, `write_5m`, `write_1h` or `read`; `None` (empty) for web search.
    pub fn cache_action(self) -> Option<&'static str> {
        match self {
            TokenClass::Input | TokenClass::Output => Some("none"),
            TokenClass::CacheWrite5m => Some("write_5m"),
            TokenClass::CacheWrite1h => Some("write_1h"),
            TokenClass::CacheRead => Some("read"),
            TokenClass::WebSearch => None,
        }
    }

    /// What the class is, after the model's name in `ChargeDescription`.
    fn label(self) -> &'static str {
        match self {
            TokenClass::Input => "input tokens",
            TokenClass::CacheWrite5m => "5-minute cache write tokens",
            TokenClass::CacheWrite1h => "1-hour cache write tokens",
            TokenClass::CacheRead => "cache read tokens",
            TokenClass::Output => "output tokens",
            TokenClass::WebSearch => "web search requests",
        }
    }

    /// `ConsumedQuantity`: the class's tokens (requests for web search).
    pub fn quantity(self, t: &TokenSums) -> u128 {
        match self {
            TokenClass::Input => t.input,
            TokenClass::CacheWrite5m => t.cache_write_5m,
            TokenClass::CacheWrite1h => t.cache_write_1h,
            TokenClass::CacheRead => t.cache_read,
            TokenClass::Output => t.output,
            TokenClass::WebSearch => t.web_search_requests,
        }
    }

    /// `BilledCost`: the class's component of a cost.
    pub fn cost(self, c: &Cost) -> PicoUsd {
        match self {
            TokenClass::Input => c.input,
            TokenClass::CacheWrite5m => c.cache_write_5m,
            TokenClass::CacheWrite1h => c.cache_write_1h,
            TokenClass::CacheRead => c.cache_read,
            TokenClass::Output => c.output,
            TokenClass::WebSearch => c.web_search,
        }
    }

    /// The class's price in a rate table; `None` for web search (a flat fee per request).
    fn rate(self, r: &Rates) -> Option<Rate> {
        match self {
            TokenClass::Input => Some(r.input),
            TokenClass::CacheWrite5m => Some(r.cache_write_5m),
            TokenClass::CacheWrite1h => Some(r.cache_write_1h),
            TokenClass::CacheRead => Some(r.cache_read),
            TokenClass::Output => Some(r.output),
            TokenClass::WebSearch => None,
        }
    }
}

/// What [`write_focus`] wrote, for the CLI's summary and for reconciliation checks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FocusSummary {
    /// Data rows written (the header not counted).
    pub rows: u64,
    /// The sum of `BilledCost` per `x_ScenarioId`, in file order: the baseline first, then each
    /// scenario of `scenario_names` (a scenario with no row sums to zero).
    pub billed_total_per_scenario: Vec<(String, PicoUsd)>,
}

/// Checks that scenario names can be `x_ScenarioId`s: none is [`BASELINE_SCENARIO_ID`] and no
/// two are equal. The CLI can call this before the replay; [`write_focus`] calls it too.
pub fn check_scenario_names(names: &[String]) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for n in names {
        if n == BASELINE_SCENARIO_ID {
            return Err(format!(
                "scenario name {n:?} is reserved in the FOCUS export for the traffic as recorded; rename the scenario"
            ));
        }
        if !seen.insert(n.as_str()) {
            return Err(format!(
                "scenario name {n:?} appears twice; the FOCUS export needs unique names"
            ));
        }
    }
    Ok(())
}

/// Writes the FOCUS CSV: the header, then the baseline's rows ([`ReplayOutcome::rows`]) and
/// each scenario's ([`ReplayOutcome::scenario_rows`]), each in key order (workload, model, day)
/// and, within a key, in [`TokenClass::ALL`] order. A class with zero quantity and zero cost is
/// left out.
///
/// `scenario_names[i]` is the `x_ScenarioId` of scenario index `i`; scenario rows with an index
/// past the end of `scenario_names` (the lever subsets of an attribution run, which the report
/// does not show either) are not written. `catalog` must be the one the replay priced with.
///
/// Errors: a bad scenario name ([`check_scenario_names`]), a key naming a workload or model the
/// outcome or catalog does not have (`InvalidInput`), or the writer's error.
pub fn write_focus<W: Write>(
    outcome: &ReplayOutcome,
    catalog: &Catalog,
    scenario_names: &[String],
    out: W,
) -> io::Result<FocusSummary> {
    check_scenario_names(scenario_names).map_err(invalid)?;
    let mut w = BufWriter::new(out);
    w.write_all(focus_header().as_bytes())?;
    w.write_all(b"\n")?;
    let mut summary = FocusSummary::default();
    let mut line = String::new();
    let mut billed = PicoUsd::ZERO;
    for (key, tally) in &outcome.rows {
        summary.rows += write_key(
            &mut w,
            &mut line,
            &mut billed,
            outcome,
            catalog,
            BASELINE_SCENARIO_ID,
            key,
            tally,
        )?;
    }
    summary
        .billed_total_per_scenario
        .push((BASELINE_SCENARIO_ID.to_string(), billed));
    for (index, name) in scenario_names.iter().enumerate() {
        let Ok(index) = u32::try_from(index) else {
            break;
        };
        let mut billed = PicoUsd::ZERO;
        for ((_, key), st) in outcome
            .scenario_rows
            .range((index, Key::MIN)..)
            .take_while(|((i, _), _)| *i == index)
        {
            summary.rows += write_key(
                &mut w,
                &mut line,
                &mut billed,
                outcome,
                catalog,
                name,
                key,
                &st.tally,
            )?;
        }
        summary
            .billed_total_per_scenario
            .push((name.clone(), billed));
    }
    w.flush()?;
    Ok(summary)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// Writes the rows of one (scenario, workload, model, day) and returns how many.
#[allow(clippy::too_many_arguments)]
fn write_key<W: Write>(
    w: &mut W,
    line: &mut String,
    billed_total: &mut PicoUsd,
    outcome: &ReplayOutcome,
    catalog: &Catalog,
    scenario: &str,
    key: &Key,
    tally: &Tally,
) -> io::Result<u64> {
    let model = catalog
        .models
        .get(usize::from(key.model.0))
        .ok_or_else(|| invalid(format!("model index {} is not in the catalog", key.model.0)))?;
    let workload = outcome
        .workloads
        .get(key.workload as usize)
        .ok_or_else(|| {
            invalid(format!(
                "workload index {} is not in the outcome",
                key.workload
            ))
        })?;
    let prices = Prices::of(catalog, key.model, model, key.day);
    let day = Periods::of(key.day);
    let tags = tags(workload);
    let tier = service_tier(tally);
    let mut n = 0;
    for class in TokenClass::ALL {
        let quantity = class.quantity(&tally.tokens);
        let billed = class.cost(&tally.cost);
        if quantity == 0 && billed == PicoUsd::ZERO {
            continue;
        }
        line.clear();
        row(
            line,
            &RowFields {
                scenario,
                model,
                class,
                quantity,
                billed,
                prices: &prices,
                periods: &day,
                tags: &tags,
                tier,
            },
        );
        w.write_all(line.as_bytes())?;
        *billed_total += billed;
        n += 1;
    }
    Ok(n)
}

/// The prices behind a (model, day): list, contracted (the overlay's negotiated discount) and
/// the web search fee.
struct Prices {
    /// The published standard rates in force (no overlay, no tier, no band).
    list: Rates,
    /// The same with the overlay's discount in force, rounded as the catalog rounds it.
    contracted: Rates,
    /// Pico-USD per web search request.
    web_search_fee: PicoUsd,
    /// `effective_from` of the price row in force.
    effective_from: Option<Day>,
}

impl Prices {
    fn of(catalog: &Catalog, id: ModelId, model: &Model, day: Day) -> Prices {
        let list = catalog.list_rates(id, day);
        // A day before the model's first price row is priced at that row (docs/price-catalog.md),
        // discounts included as they stand on the row's first day.
        let first = model.rows.first().map(|r| r.effective_from);
        let priced_day = first.map_or(day, |f| day.max(f));
        let contracted = match discount_on(catalog, id, priced_day) {
            Some(keep) => Rates {
                input: keep.apply(list.input).0,
                cache_write_5m: keep.apply(list.cache_write_5m).0,
                cache_write_1h: keep.apply(list.cache_write_1h).0,
                cache_read: keep.apply(list.cache_read).0,
                output: keep.apply(list.output).0,
            },
            None => list,
        };
        let effective_from = model
            .rows
            .iter()
            .rev()
            .find(|r| r.effective_from <= day)
            .or(model.rows.first())
            .map(|r| r.effective_from);
        Prices {
            list,
            contracted,
            web_search_fee: catalog.web_search_fee,
            effective_from,
        }
    }
}

/// The share of the list price an overlay's discount leaves (`1 - fraction`), by the catalog's
/// own rule ([`Catalog::discount_on`]).
fn discount_on(catalog: &Catalog, model: ModelId, day: Day) -> Option<Ratio> {
    catalog.discount_on(model, day).map(|d| Ratio {
        num: d.fraction.den - d.fraction.num,
        den: d.fraction.den,
    })
}

/// The charge period (the UTC day) and the billing period (its UTC calendar month), formatted.
struct Periods {
    charge_start: String,
    charge_end: String,
    billing_start: String,
    billing_end: String,
}

impl Periods {
    fn of(day: Day) -> Periods {
        let (y, m, _) = day.civil();
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        Periods {
            charge_start: format!("{day}T00:00:00Z"),
            charge_end: format!("{}T00:00:00Z", Day(day.0.saturating_add(1))),
            billing_start: format!("{y:04}-{m:02}-01T00:00:00Z"),
            billing_end: format!("{ny:04}-{nm:02}-01T00:00:00Z"),
        }
    }
}

/// `Tags`: a JSON object of the workload's parts that were set, in the order team, app, feature.
fn tags(w: &Workload) -> String {
    let mut s = String::from("{");
    for (k, v) in [("team", &w.team), ("app", &w.app), ("feature", &w.feature)] {
        if let Some(v) = v {
            if s.len() > 1 {
                s.push(',');
            }
            // A JSON string of a Rust string cannot fail to serialize.
            let v = serde_json::to_string(v).unwrap_or_else(|_| "\"\"".into());
            let _ = write!(s, "\"{k}\":{v}");
        }
    }
    s.push('}');
    s
}

/// `x_ServiceTier`: `batch` when every call of the row went through the Batch API, `standard`
/// when none did, `mixed` otherwise.
fn service_tier(t: &Tally) -> &'static str {
    if t.batch_requests == 0 {
        "standard"
    } else if t.batch_requests == t.requests {
        "batch"
    } else {
        "mixed"
    }
}

/// One row's values.
struct RowFields<'a> {
    scenario: &'a str,
    model: &'a Model,
    class: TokenClass,
    quantity: u128,
    billed: PicoUsd,
    prices: &'a Prices,
    periods: &'a Periods,
    tags: &'a str,
    tier: &'static str,
}

/// A quantity as a signed number, for [`decimal`]: a sum of token counts stays far below 2^127.
fn signed(q: u128) -> i128 {
    i128::try_from(q).expect("a token sum below 2^127")
}

/// Renders one row, with its line break, into `out`.
fn row(out: &mut String, r: &RowFields<'_>) {
    let q = r.quantity;
    // Unit prices are per PricingUnit, in pico-USD; costs are unit price x quantity, exactly.
    let (consumed_unit, pricing_unit, pricing_quantity, list_unit, contracted_unit) =
        match r.class.rate(&r.prices.list) {
            Some(list) => {
                let contracted = r.class.rate(&r.prices.contracted).unwrap_or(list);
                (
                    "Tokens",
                    "1000000 Tokens",
                    decimal(signed(q), 6),
                    PicoUsd(i128::from(list.0) * MICRO_TO_PICO),
                    PicoUsd(i128::from(contracted.0) * MICRO_TO_PICO),
                )
            }
            None => {
                let per_unit =
                    PicoUsd(r.prices.web_search_fee.0 * i128::from(REQUESTS_PER_PRICING_UNIT));
                (
                    "Requests",
                    "1000 Requests",
                    decimal(signed(q), 3),
                    per_unit,
                    per_unit,
                )
            }
        };
    let per = match r.class {
        TokenClass::WebSearch => REQUESTS_PER_PRICING_UNIT,
        _ => TOKENS_PER_PRICING_UNIT,
    };
    // (unit price per `per` items) x q items: exact, since every unit price is a whole multiple
    // of `per` pico-USD (a rate is whole micro-USD per MTok; the fee is whole pico-USD).
    let list_cost = PicoUsd(list_unit.0 / i128::from(per)).times(q);
    let contracted_cost = PicoUsd(contracted_unit.0 / i128::from(per)).times(q);
    let sku = format!("{}/{}", r.model.id, r.class.id());
    let sku_price = format!("{sku}/standard");
    let description = format!("{} {}", r.model.name, r.class.label());
    let effective_from = match r.class {
        TokenClass::WebSearch => String::new(),
        _ => r
            .prices
            .effective_from
            .map(|d| d.to_string())
            .unwrap_or_default(),
    };
    let billed = r.billed.usd_exact();
    let fields: [&str; 33] = [
        &billed,                              // BilledCost
        "USD",                                // BillingCurrency
        &r.periods.billing_end,               // BillingPeriodEnd
        &r.periods.billing_start,             // BillingPeriodStart
        "Usage",                              // ChargeCategory
        "",                                   // ChargeClass
        &description,                         // ChargeDescription
        "Usage-Based",                        // ChargeFrequency
        &r.periods.charge_end,                // ChargePeriodEnd
        &r.periods.charge_start,              // ChargePeriodStart
        &q.to_string(),                       // ConsumedQuantity
        consumed_unit,                        // ConsumedUnit
        &contracted_cost.usd_exact(),         // ContractedCost
        &contracted_unit.usd_exact(),         // ContractedUnitPrice
        &billed,                              // EffectiveCost
        ANTHROPIC,                            // InvoiceIssuerName
        &list_cost.usd_exact(),               // ListCost
        &list_unit.usd_exact(),               // ListUnitPrice
        &pricing_quantity,                    // PricingQuantity
        pricing_unit,                         // PricingUnit
        ANTHROPIC,                            // ProviderName
        ANTHROPIC,                            // PublisherName
        "AI and Machine Learning",            // ServiceCategory
        SERVICE_NAME,                         // ServiceName
        "Generative AI",                      // ServiceSubcategory
        &sku,                                 // SkuId
        &sku_price,                           // SkuPriceId
        r.tags,                               // Tags
        r.scenario,                           // x_ScenarioId
        r.class.direction().unwrap_or(""),    // x_TokenDirection
        r.class.cache_action().unwrap_or(""), // x_CacheAction
        r.tier,                               // x_ServiceTier
        &effective_from,                      // x_PriceEffectiveFrom
    ];
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, f);
    }
    out.push('\n');
}

/// `n / 10^scale` as an exact decimal with `scale` decimals (`n` is non-negative here).
fn decimal(n: i128, scale: u32) -> String {
    let d = 10i128.pow(scale);
    let sign = if n < 0 { "-" } else { "" };
    let a = n.unsigned_abs();
    let d = d.unsigned_abs();
    format!("{sign}{}.{:0width$}", a / d, a % d, width = scale as usize)
}

/// Appends a CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180), as
/// the report's CSV does.
fn push_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

#[cfg(test)]
mod tests;
