//! Budgets: a file of monthly amounts per owner, checked against the recorded spend of a corpus.
//!
//! ```toml
//! by = "team"              # team, app, feature or tag:KEY (default team)
//!
//! [[budget]]
//! owner = "search"
//! monthly_usd = "1500.00"  # a decimal string or an integer, exact to the cent
//! kind = "hard"            # hard or soft (default soft)
//! warn_at_percent = 80     # default 80
//! ```
//!
//! For the month that holds the "as of" day (by default the corpus's last day), each budget gets:
//! the month-to-date spend (calls from the 1st through the as-of day, inclusive), the run-rate
//! projection to the month's end (month-to-date / days elapsed × days in the month, in exact
//! integer pico-dollars rounded half to even), and a status:
//!
//! - `breach`: month-to-date spend is above the budget;
//! - `warning`: the projection is above the budget, or month-to-date spend has reached
//!   `warn_at_percent` of it;
//! - `ok` otherwise.
//!
//! Soft and hard budgets are judged alike; `tokensim budgets` exits 1 when any **hard** budget is
//! in breach, so that a cron job or a CI step can stop on it.

use std::collections::BTreeMap;

use serde::Deserialize;
use tokensim_corpus::Day;
use tokensim_pricing::money::div_round_half_even;
use tokensim_pricing::PicoUsd;

#[cfg(test)]
mod tests;

/// Pico-dollars in a cent.
const PICO_PER_CENT: i128 = 10_000_000_000;

/// What owners are keyed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerKey {
    /// The record's team.
    Team,
    /// The record's app.
    App,
    /// The record's feature.
    Feature,
    /// The value of a tag `KEY:VALUE`.
    Tag(String),
}

impl OwnerKey {
    /// `team`, `app`, `feature` or `tag:KEY`.
    pub fn parse(text: &str) -> Result<OwnerKey, String> {
        match text {
            "team" => Ok(OwnerKey::Team),
            "app" => Ok(OwnerKey::App),
            "feature" => Ok(OwnerKey::Feature),
            other => match other.strip_prefix("tag:") {
                Some(k) if !k.is_empty() => Ok(OwnerKey::Tag(k.to_owned())),
                _ => Err(format!(
                    "{other:?} is not an owner key; expected team, app, feature or tag:KEY"
                )),
            },
        }
    }
}

impl std::fmt::Display for OwnerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OwnerKey::Team => f.write_str("team"),
            OwnerKey::App => f.write_str("app"),
            OwnerKey::Feature => f.write_str("feature"),
            OwnerKey::Tag(k) => write!(f, "tag:{k}"),
        }
    }
}

/// Whether crossing a budget stops the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A warning only.
    Soft,
    /// A breach makes `tokensim budgets` exit 1.
    Hard,
}

/// One owner's monthly budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// The owner's name (a value of the owner key).
    pub owner: String,
    /// The amount per calendar month.
    pub monthly: PicoUsd,
    /// Soft or hard.
    pub kind: Kind,
    /// Month-to-date spend at this share of the budget is a warning.
    pub warn_at_percent: u32,
}

/// A parsed budgets file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budgets {
    /// What owners are.
    pub by: OwnerKey,
    /// The budgets, in file order.
    pub budgets: Vec<Budget>,
}

/// Why a budgets file was refused: `file:line: field: what`.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct BudgetError {
    /// The file name.
    pub file: String,
    /// 1-based line (1 when the error has no position).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    by: Option<String>,
    #[serde(default)]
    budget: Vec<toml::Spanned<RawBudget>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    owner: String,
    monthly_usd: toml::Value,
    #[serde(default)]
    kind: Option<Kind>,
    #[serde(default)]
    warn_at_percent: Option<u32>,
}

/// Parses a budgets file; errors name the file, the line and the field.
pub fn parse(text: &str, file: &str) -> Result<Budgets, BudgetError> {
    let line_of = |offset: usize| 1 + text[..offset.min(text.len())].matches('\n').count();
    let err = |line: usize, message: String| BudgetError {
        file: file.to_owned(),
        line,
        message,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(s.start));
        err(line, e.message().to_owned())
    })?;
    let by = match raw.by.as_deref() {
        None => OwnerKey::Team,
        Some(b) => OwnerKey::parse(b).map_err(|m| err(1, format!("by: {m}")))?,
    };
    let mut budgets: Vec<Budget> = Vec::with_capacity(raw.budget.len());
    for spanned in raw.budget {
        let line = line_of(spanned.span().start);
        let b = spanned.into_inner();
        if b.owner.is_empty() {
            return Err(err(line, "owner: must not be empty".into()));
        }
        if budgets.iter().any(|o| o.owner == b.owner) {
            return Err(err(
                line,
                format!("owner: {:?} has two budgets; keep one", b.owner),
            ));
        }
        let monthly = usd(&b.monthly_usd).map_err(|m| err(line, format!("monthly_usd: {m}")))?;
        let warn_at_percent = b.warn_at_percent.unwrap_or(80);
        if warn_at_percent == 0 || warn_at_percent > 100 {
            return Err(err(
                line,
                format!("warn_at_percent: must be 1 to 100, got {warn_at_percent}"),
            ));
        }
        budgets.push(Budget {
            owner: b.owner,
            monthly,
            kind: b.kind.unwrap_or(Kind::Soft),
            warn_at_percent,
        });
    }
    if budgets.is_empty() {
        return Err(err(
            1,
            "no [[budget]] entries (each needs owner and monthly_usd)".into(),
        ));
    }
    Ok(Budgets { by, budgets })
}

/// A dollar amount, exact to the cent: an integer, or a decimal string with at most two
/// decimals. A TOML float is refused (it may not be exact).
fn usd(v: &toml::Value) -> Result<PicoUsd, String> {
    match v {
        toml::Value::Integer(i) if *i > 0 => Ok(PicoUsd(i128::from(*i) * 100 * PICO_PER_CENT)),
        toml::Value::String(s) => {
            let (int, frac) = s.split_once('.').unwrap_or((s, ""));
            let ok = !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.len() <= 2
                && frac.bytes().all(|b| b.is_ascii_digit());
            if !ok {
                return Err(format!(
                    "{s:?} is not an amount like \"1500\" or \"1500.50\""
                ));
            }
            let cents = int
                .parse::<i128>()
                .map_err(|_| format!("{s:?} is too large"))?
                * 100
                + format!("{frac:0<2}").parse::<i128>().unwrap_or(0);
            if cents == 0 {
                return Err("must be more than zero".into());
            }
            Ok(PicoUsd(cents * PICO_PER_CENT))
        }
        toml::Value::Float(f) => Err(format!(
            "write {f} as a string (\"{f}\") so that it is exact to the cent"
        )),
        other => Err(format!("must be a positive amount in dollars, got {other}")),
    }
}

/// A budget's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Within budget and below the warning share.
    Ok,
    /// Projected above budget, or month-to-date at the warning share.
    Warning,
    /// Month-to-date above budget.
    Breach,
}

/// One budget, checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Checked {
    /// The owner.
    pub owner: String,
    /// Soft or hard.
    pub kind: Kind,
    /// The monthly amount.
    pub budget: PicoUsd,
    /// Spend from the month's first day through the as-of day.
    pub month_to_date: PicoUsd,
    /// The run-rate projection to the month's end.
    pub projected: PicoUsd,
    /// The status.
    pub status: Status,
}

/// The check of a budgets file against daily spend.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    /// The owner key.
    pub by: String,
    /// `YYYY-MM`.
    pub month: String,
    /// The last day counted, `YYYY-MM-DD`.
    pub as_of: String,
    /// Days of the month counted (1 through the as-of day).
    pub days_elapsed: u32,
    /// Days in the month.
    pub days_in_month: u32,
    /// One per budget, in file order.
    pub budgets: Vec<Checked>,
    /// Owners that spent this month without a budget, by name (`None` is unattributed spend).
    pub unbudgeted: Vec<(Option<String>, PicoUsd)>,
    /// Whether a hard budget is in breach.
    pub hard_breach: bool,
}

/// Checks the budgets on `as_of` against daily spend per owner (`None`: unattributed).
pub fn check(
    budgets: &Budgets,
    spend: &BTreeMap<(Option<String>, Day), PicoUsd>,
    as_of: Day,
) -> Check {
    let (y, m, d) = as_of.civil();
    let first = Day(as_of.0 - (d as i32 - 1));
    let days_in_month = days_in_month(y, m);
    let mut mtd: BTreeMap<Option<&str>, PicoUsd> = BTreeMap::new();
    for ((owner, day), &cost) in spend {
        if *day >= first && *day <= as_of {
            *mtd.entry(owner.as_deref()).or_default() += cost;
        }
    }
    let checked: Vec<Checked> = budgets
        .budgets
        .iter()
        .map(|b| {
            let month_to_date = mtd
                .get(&Some(b.owner.as_str()))
                .copied()
                .unwrap_or_default();
            let projected = PicoUsd(div_round_half_even(
                month_to_date.0 * i128::from(days_in_month),
                i128::from(d),
            ));
            let status = if month_to_date > b.monthly {
                Status::Breach
            } else if projected > b.monthly
                || month_to_date.0 * 100 >= b.monthly.0 * i128::from(b.warn_at_percent)
            {
                Status::Warning
            } else {
                Status::Ok
            };
            Checked {
                owner: b.owner.clone(),
                kind: b.kind,
                budget: b.monthly,
                month_to_date,
                projected,
                status,
            }
        })
        .collect();
    let unbudgeted = mtd
        .iter()
        .filter(|(o, _)| o.is_none_or(|o| !budgets.budgets.iter().any(|b| b.owner == o)))
        .map(|(o, &c)| (o.map(str::to_owned), c))
        .collect();
    Check {
        by: budgets.by.to_string(),
        month: format!("{y:04}-{m:02}"),
        as_of: format!("{y:04}-{m:02}-{d:02}"),
        days_elapsed: d,
        days_in_month,
        hard_breach: checked
            .iter()
            .any(|c| c.kind == Kind::Hard && c.status == Status::Breach),
        budgets: checked,
        unbudgeted,
    }
}

fn days_in_month(y: i32, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (tokensim_corpus::time::days_from_civil(ny, nm, 1)
        - tokensim_corpus::time::days_from_civil(y, m, 1)) as u32
}
