//! Budget files (parsing, errors with file:line:field) and the month-to-date, run-rate and
//! status arithmetic on hand-computed spend.

use super::*;

const CENT: i128 = PICO_PER_CENT;

fn day(y: i32, m: u32, d: u32) -> Day {
    Day(tokensim_corpus::time::days_from_civil(y, m, d))
}

const FILE: &str = r#"by = "team"

[[budget]]
owner = "search"
monthly_usd = "100.00"
kind = "hard"

[[budget]]
owner = "ads"
monthly_usd = 300
warn_at_percent = 50

[[budget]]
owner = "idle"
monthly_usd = "10.5"
"#;

#[test]
fn the_file_parses_exactly() {
    let b = parse(FILE, "budgets.toml").unwrap();
    assert_eq!(b.by, OwnerKey::Team);
    let got: Vec<(&str, i128, Kind, u32)> = b
        .budgets
        .iter()
        .map(|b| {
            (
                b.owner.as_str(),
                b.monthly.0 / CENT,
                b.kind,
                b.warn_at_percent,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("search", 10_000, Kind::Hard, 80),
            ("ads", 30_000, Kind::Soft, 50),
            ("idle", 1_050, Kind::Soft, 80)
        ]
    );
}

#[test]
fn errors_name_the_file_line_and_field() {
    let e = |text: &str| parse(text, "b.toml").unwrap_err().to_string();
    assert_eq!(
        e("[[budget]]\nowner = \"a\"\nmonthly_usd = 1.5\n"),
        "b.toml:1: monthly_usd: write 1.5 as a string (\"1.5\") so that it is exact to the cent"
    );
    assert_eq!(
        e("\n[[budget]]\nowner = \"a\"\nmonthly_usd = \"1.555\"\n"),
        "b.toml:2: monthly_usd: \"1.555\" is not an amount like \"1500\" or \"1500.50\""
    );
    assert!(
        e("by = \"org\"\n[[budget]]\nowner = \"a\"\nmonthly_usd = 1\n")
            .contains("by: \"org\" is not an owner key")
    );
    assert!(
        e("[[budget]]\nowner = \"a\"\nmonthly_usd = 1\nkind = \"firm\"\n").starts_with("b.toml:4:")
    );
    assert!(e("[[budget]]\nowner = \"a\"\nmonthly = 1\n").contains("unknown field `monthly`"));
    assert!(e(
        "[[budget]]\nowner = \"a\"\nmonthly_usd = 1\n[[budget]]\nowner = \"a\"\nmonthly_usd = 2\n"
    )
    .starts_with("b.toml:4: owner: \"a\" has two budgets"));
    assert!(e("by = \"team\"\n").contains("no [[budget]] entries"));
}

#[test]
fn month_to_date_run_rate_and_status() {
    let b = parse(FILE, "budgets.toml").unwrap();
    let mut spend = BTreeMap::new();
    let search = Some("search".to_owned());
    let ads = Some("ads".to_owned());
    // Last month does not count.
    spend.insert(
        (search.clone(), day(2026, 9, 30)),
        PicoUsd(500 * 100 * CENT),
    );
    // Search: $30 a day on the 1st to the 3rd of November: $90 to date, on course for $900.
    for d in 1..=3 {
        spend.insert((search.clone(), day(2026, 11, d)), PicoUsd(30 * 100 * CENT));
    }
    // Ads: $160 to date, above 50% of $300; run rate $1,600 (above budget).
    spend.insert((ads.clone(), day(2026, 11, 2)), PicoUsd(160 * 100 * CENT));
    spend.insert((None, day(2026, 11, 1)), PicoUsd(7 * CENT));
    spend.insert((Some("ml".into()), day(2026, 11, 3)), PicoUsd(9 * CENT));
    // After the as-of day: not counted.
    spend.insert((ads.clone(), day(2026, 11, 4)), PicoUsd(1_000 * 100 * CENT));

    let c = check(&b, &spend, day(2026, 11, 3));
    assert_eq!(
        (c.month.as_str(), c.as_of.as_str()),
        ("2026-11", "2026-11-03")
    );
    assert_eq!((c.days_elapsed, c.days_in_month), (3, 30));
    let rows: Vec<(&str, i128, i128, Status)> = c
        .budgets
        .iter()
        .map(|r| {
            (
                r.owner.as_str(),
                r.month_to_date.0 / CENT,
                r.projected.0 / CENT,
                r.status,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("search", 9_000, 90_000, Status::Warning),
            ("ads", 16_000, 160_000, Status::Warning),
            ("idle", 0, 0, Status::Ok)
        ]
    );
    assert!(!c.hard_breach);
    assert_eq!(
        c.unbudgeted,
        [
            (None, PicoUsd(7 * CENT)),
            (Some("ml".into()), PicoUsd(9 * CENT))
        ]
    );

    // One more day of search spend: $120 > $100, a hard breach.
    spend.insert((search, day(2026, 11, 4)), PicoUsd(30 * 100 * CENT));
    let c = check(&b, &spend, day(2026, 11, 4));
    assert_eq!(c.budgets[0].status, Status::Breach);
    assert_eq!(
        c.budgets[1].status,
        Status::Breach,
        "ads' $1,160 is over $300 too"
    );
    assert!(c.hard_breach, "search is hard");
}

#[test]
fn the_projection_rounds_half_to_even_in_pico_dollars() {
    let b = parse("[[budget]]\nowner = \"a\"\nmonthly_usd = 1\n", "b").unwrap();
    let mut spend = BTreeMap::new();
    // 1 pico-dollar over 2 of 28 days of February 2027: 14 exactly; 3 pico over 2 days: 42.
    spend.insert((Some("a".to_owned()), day(2027, 2, 2)), PicoUsd(1));
    assert_eq!(
        check(&b, &spend, day(2027, 2, 2)).budgets[0].projected,
        PicoUsd(14)
    );
    // 1 pico over 3 of 28 days: 28/3 = 9.33 -> 9.
    assert_eq!(
        check(&b, &spend, day(2027, 2, 3)).budgets[0].projected,
        PicoUsd(9)
    );
    assert_eq!(check(&b, &spend, day(2028, 2, 3)).days_in_month, 29);
}
