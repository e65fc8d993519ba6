//! Showback and chargeback: each owner's cost per period, with the cost nobody owns shared out by
//! a stated rule, so that the rows of a period add up exactly (to the pico-dollar) to what the
//! period cost.
//!
//! An owner is the value of one attribution field (team, app, feature, or a tag) on the records;
//! a record without it is *unattributed*. Its cost is shared among the owners of the same period
//! by one of three rules ([`SharingRule`]):
//!
//! - `proportional`: to each owner's own (direct) cost in the period. Shares are exact integers of
//!   pico-dollars: each owner gets `floor(U × d / D)`, and the pico-dollars left over go one each
//!   to the largest remainders (ties to the owner that sorts first). A period where nothing is
//!   attributed keeps its cost on an `unattributed` row: there is nothing to be proportional to.
//! - `even`: the same amount to every owner of the period, the left-over pico-dollars one each to
//!   the owners that sort first.
//! - `owner:NAME`: all of it to NAME (a row is created for NAME if it had no cost).

use std::collections::BTreeMap;

use tokensim_pricing::PicoUsd;

#[cfg(test)]
mod tests;

/// The name of the row that holds cost no rule could share.
pub const UNATTRIBUTED: &str = "unattributed";

/// How unattributed cost is shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharingRule {
    /// In proportion to each owner's direct cost in the period.
    Proportional,
    /// Evenly among the owners of the period.
    Even,
    /// All to one named owner.
    Owner(String),
}

impl SharingRule {
    /// `proportional`, `even` or `owner:NAME`.
    pub fn parse(text: &str) -> Result<SharingRule, String> {
        match text {
            "proportional" => Ok(SharingRule::Proportional),
            "even" => Ok(SharingRule::Even),
            other => match other.strip_prefix("owner:") {
                Some(name) if !name.is_empty() => Ok(SharingRule::Owner(name.to_owned())),
                _ => Err(format!(
                    "{other:?} is not a sharing rule; expected proportional, even or owner:NAME"
                )),
            },
        }
    }
}

/// One owner's cost in one period, before sharing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The owner, `None` for unattributed cost.
    pub owner: Option<String>,
    /// The period, e.g. `2026-10`.
    pub period: String,
    /// What the owner's records cost (never negative).
    pub cost: PicoUsd,
}

/// One owner's row in a period.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    /// The owner ([`UNATTRIBUTED`] for cost that could not be shared).
    pub owner: String,
    /// The owner's own cost.
    pub direct: PicoUsd,
    /// Its share of the unattributed cost.
    pub shared: PicoUsd,
}

impl Row {
    /// Direct plus shared.
    pub fn total(&self) -> PicoUsd {
        self.direct + self.shared
    }
}

/// One period's rows, by owner name, and its totals.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Period {
    /// The period, e.g. `2026-10`.
    pub period: String,
    /// One row per owner, in name order.
    pub rows: Vec<Row>,
    /// The unattributed cost that was shared (or kept on the `unattributed` row).
    pub unattributed: PicoUsd,
    /// What the period cost: the sum of the rows' totals, exactly.
    pub total: PicoUsd,
}

/// Shares each period's unattributed cost among its owners. Entries may repeat an (owner,
/// period): they add up. Periods come out in order.
pub fn allocate(entries: &[Entry], rule: &SharingRule) -> Vec<Period> {
    // period -> (owner -> direct cost), unattributed cost.
    let mut periods: BTreeMap<&str, (BTreeMap<&str, PicoUsd>, PicoUsd)> = BTreeMap::new();
    for e in entries {
        let (owners, unattributed) = periods.entry(&e.period).or_default();
        match &e.owner {
            Some(o) => *owners.entry(o).or_default() += e.cost,
            None => *unattributed += e.cost,
        }
    }
    periods
        .into_iter()
        .map(|(period, (owners, unattributed))| {
            let mut rows: Vec<Row> = owners
                .iter()
                .map(|(o, &d)| Row {
                    owner: (*o).to_owned(),
                    direct: d,
                    shared: PicoUsd(0),
                })
                .collect();
            share(&mut rows, unattributed, rule);
            let total = rows.iter().map(Row::total).sum();
            debug_assert_eq!(
                total,
                owners.values().copied().sum::<PicoUsd>() + unattributed
            );
            Period {
                period: period.to_owned(),
                rows,
                unattributed,
                total,
            }
        })
        .collect()
}

fn share(rows: &mut Vec<Row>, u: PicoUsd, rule: &SharingRule) {
    if u.0 == 0 {
        return;
    }
    match rule {
        SharingRule::Owner(name) => {
            let i = match rows.iter().position(|r| &r.owner == name) {
                Some(i) => i,
                None => {
                    let at = rows.partition_point(|r| r.owner.as_str() < name.as_str());
                    rows.insert(
                        at,
                        Row {
                            owner: name.clone(),
                            direct: PicoUsd(0),
                            shared: PicoUsd(0),
                        },
                    );
                    at
                }
            };
            rows[i].shared += u;
        }
        SharingRule::Even if !rows.is_empty() => {
            let n = rows.len() as i128;
            let (each, left) = (u.0 / n, u.0 % n);
            for (i, r) in rows.iter_mut().enumerate() {
                r.shared = PicoUsd(each + i128::from((i as i128) < left));
            }
        }
        SharingRule::Proportional if rows.iter().any(|r| r.direct.0 > 0) => {
            let d: i128 = rows.iter().map(|r| r.direct.0).sum();
            let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(rows.len());
            let mut given = 0i128;
            for (i, r) in rows.iter_mut().enumerate() {
                // u and d are at most a few 1e20 pico-dollars, so u × d_i fits in i128.
                let exact = u.0 * r.direct.0;
                r.shared = PicoUsd(exact / d);
                given += r.shared.0;
                remainders.push((exact % d, i));
            }
            // Largest remainder first; ties to the earlier (name-sorted) row.
            remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            for &(_, i) in remainders.iter().take((u.0 - given) as usize) {
                rows[i].shared.0 += 1;
            }
        }
        // Nothing to share among: the cost stays unattributed.
        _ => rows.push(Row {
            owner: UNATTRIBUTED.to_owned(),
            direct: PicoUsd(0),
            shared: u,
        }),
    }
}

/// A period label for a day: its month, `YYYY-MM`.
pub fn month_of(day: tokensim_corpus::Day) -> String {
    let (y, m, _) = day.civil();
    format!("{y:04}-{m:02}")
}
