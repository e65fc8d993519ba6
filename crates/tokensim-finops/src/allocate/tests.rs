//! Sharing unattributed cost: hand-computed cases per rule, and a property test that every
//! period's rows add up exactly whatever the rule.

use proptest::prelude::*;

use super::*;

fn e(owner: Option<&str>, period: &str, cost: i128) -> Entry {
    Entry {
        owner: owner.map(str::to_owned),
        period: period.into(),
        cost: PicoUsd(cost),
    }
}

fn shares(p: &Period) -> Vec<(&str, i128, i128)> {
    p.rows
        .iter()
        .map(|r| (r.owner.as_str(), r.direct.0, r.shared.0))
        .collect()
}

#[test]
fn proportional_shares_by_direct_cost_with_largest_remainders() {
    let entries = [
        e(Some("b"), "2026-10", 200),
        e(Some("a"), "2026-10", 100),
        e(None, "2026-10", 10),
        e(Some("a"), "2026-10", 0),
    ];
    let p = &allocate(&entries, &SharingRule::Proportional)[0];
    // 10 x 100/300 = 3.33 and 10 x 200/300 = 6.67: floors 3 and 6, the left-over pico-dollar
    // to the larger remainder (b's 0.67).
    assert_eq!(shares(p), [("a", 100, 3), ("b", 200, 7)]);
    assert_eq!(p.total, PicoUsd(310));
    assert_eq!(p.unattributed, PicoUsd(10));
}

#[test]
fn even_and_named_owner_rules() {
    let entries = [
        e(Some("b"), "p", 5),
        e(Some("a"), "p", 1),
        e(Some("c"), "p", 0),
        e(None, "p", 11),
    ];
    let p = &allocate(&entries, &SharingRule::Even)[0];
    assert_eq!(shares(p), [("a", 1, 4), ("b", 5, 4), ("c", 0, 3)]);
    let p = &allocate(&entries, &SharingRule::Owner("platform".into()))[0];
    assert_eq!(
        shares(p),
        [("a", 1, 0), ("b", 5, 0), ("c", 0, 0), ("platform", 0, 11)]
    );
    let p = &allocate(&entries, &SharingRule::Owner("b".into()))[0];
    assert_eq!(shares(p), [("a", 1, 0), ("b", 5, 11), ("c", 0, 0)]);
}

#[test]
fn a_period_with_nothing_attributed_keeps_an_unattributed_row() {
    let entries = [e(None, "2026-11", 7), e(Some("a"), "2026-10", 3)];
    let periods = allocate(&entries, &SharingRule::Proportional);
    assert_eq!(periods.len(), 2);
    assert_eq!(shares(&periods[0]), [("a", 3, 0)]);
    assert_eq!(shares(&periods[1]), [(UNATTRIBUTED, 0, 7)]);
    let even = allocate(&[e(None, "p", 7)], &SharingRule::Even);
    assert_eq!(shares(&even[0]), [(UNATTRIBUTED, 0, 7)]);
}

#[test]
fn rules_parse() {
    assert_eq!(SharingRule::parse("even"), Ok(SharingRule::Even));
    assert_eq!(
        SharingRule::parse("owner:platform"),
        Ok(SharingRule::Owner("platform".into()))
    );
    assert!(SharingRule::parse("owner:").is_err());
    assert!(SharingRule::parse("fair")
        .unwrap_err()
        .contains("proportional, even or owner:NAME"));
}

proptest! {
    /// Whatever the rule, each period's rows add up exactly to its direct plus unattributed
    /// cost, and no share is negative.
    #[test]
    fn rows_add_up_exactly(
        costs in prop::collection::vec((0u8..5, 0u8..3, 0i128..1_000_000_000_000_000), 0..40),
        rule in 0u8..3,
    ) {
        let entries: Vec<Entry> = costs
            .iter()
            .map(|&(o, p, c)| Entry {
                owner: (o > 0).then(|| format!("o{o}")),
                period: format!("p{p}"),
                cost: PicoUsd(c),
            })
            .collect();
        let rule = match rule {
            0 => SharingRule::Proportional,
            1 => SharingRule::Even,
            _ => SharingRule::Owner("o9".into()),
        };
        for p in allocate(&entries, &rule) {
            let want: i128 = entries.iter().filter(|e| e.period == p.period).map(|e| e.cost.0).sum();
            prop_assert_eq!(p.total.0, want);
            prop_assert_eq!(p.rows.iter().map(|r| r.total().0).sum::<i128>(), want);
            prop_assert!(p.rows.iter().all(|r| r.shared.0 >= 0));
            prop_assert_eq!(p.rows.iter().map(|r| r.shared.0).sum::<i128>(), p.unattributed.0);
        }
    }
}
