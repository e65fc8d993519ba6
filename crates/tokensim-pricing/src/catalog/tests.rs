//! Catalog tests: the hand-computed price table, id resolution, overlays and rounding.

use super::*;
use tokensim_corpus::Timestamp;

fn cat() -> Catalog {
    Catalog::builtin()
}

fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

/// Every row of `tests/data/expected_costs.csv` was computed by `expected_costs.py` with Python's
/// `Decimal` from the published USD/MTok figures, independently of the catalog file and of this
/// crate's arithmetic. The catalog must reproduce each to the pico-dollar.
#[test]
fn every_model_prices_as_computed_by_hand() {
    let cat = cat();
    let csv = include_str!("../../tests/data/expected_costs.csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "model");
    let mut checked = 0;
    let mut models_seen = BTreeSet::new();
    for (n, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 12, "row {n}: {line}");
        let num = |i: usize| f[i].parse::<u64>().unwrap();
        let id = cat.resolve(f[0]).unwrap_or_else(|e| panic!("row {n}: {e}"));
        models_seen.insert(cat.model(id).id.clone());
        let ts = Timestamp::parse_rfc3339(f[1]).unwrap();
        let terms = Terms {
            day: ts.day(),
            batch: f[2] == "batch",
            us_residency: f[3] == "us",
            fast: f[4] == "fast",
        };
        let tokens = Tokens {
            input: num(5),
            cache_write_5m: num(6),
            cache_write_1h: num(7),
            cache_read: num(8),
            output: num(9),
            web_search_requests: num(10),
        };
        let expected: i128 = f[11].parse().unwrap();
        let got = cat
            .price(id, &tokens, &terms)
            .unwrap_or_else(|e| panic!("row {n}: {e}"));
        assert_eq!(got.total().0, expected, "row {n}: {line}");
        checked += 1;
    }
    assert!(checked > 400, "{checked}");
    let all: BTreeSet<String> = cat.models.iter().map(|m| m.id.clone()).collect();
    assert_eq!(
        models_seen, all,
        "every catalog model has hand-computed rows"
    );
}

#[test]
fn component_arithmetic_by_hand() {
    let cat = cat();
    let sonnet = cat.resolve("claude-sonnet-4-5-20250929").unwrap();
    let t = Tokens {
        input: 1_000,
        cache_write_5m: 2_000,
        cache_write_1h: 3_000,
        cache_read: 4_000,
        output: 5_000,
        web_search_requests: 2,
    };
    let terms = Terms {
        day: day("2026-11-01"),
        batch: false,
        us_residency: false,
        fast: false,
    };
    let c = cat.price(sonnet, &t, &terms).unwrap();
    // $3/MTok x 1,000 = $0.003 = 3e9 pico; 3.75 x 2,000 = 7.5e9; 6 x 3,000 = 18e9; 0.30 x 4,000 =
    // 1.2e9; 15 x 5,000 = 75e9; two searches at $0.01 = 2e10.
    assert_eq!(c.input, PicoUsd(3_000_000_000));
    assert_eq!(c.cache_write_5m, PicoUsd(7_500_000_000));
    assert_eq!(c.cache_write_1h, PicoUsd(18_000_000_000));
    assert_eq!(c.cache_read, PicoUsd(1_200_000_000));
    assert_eq!(c.output, PicoUsd(75_000_000_000));
    assert_eq!(c.web_search, PicoUsd(20_000_000_000));
    let b = cat
        .price(
            sonnet,
            &t,
            &Terms {
                batch: true,
                ..terms
            },
        )
        .unwrap();
    assert_eq!(
        b.total() - b.web_search,
        PicoUsd((c.total() - c.web_search).0 / 2),
        "batch halves tokens"
    );
    assert_eq!(
        b.web_search, c.web_search,
        "batch does not halve the search fee"
    );
    let r = cat
        .price(
            sonnet,
            &t,
            &Terms {
                us_residency: true,
                ..terms
            },
        )
        .unwrap();
    assert_eq!(r, c, "Sonnet 4.5 predates residency pricing");
}

#[test]
fn long_context_band_is_strictly_above_the_threshold_and_prices_everything() {
    let cat = cat();
    let sonnet = cat.resolve("claude-sonnet-4-5").unwrap();
    let terms = Terms {
        day: day("2026-11-01"),
        batch: false,
        us_residency: false,
        fast: false,
    };
    let at = Tokens {
        input: 100_000,
        cache_read: 100_000,
        output: 1_000,
        ..Tokens::default()
    };
    let above = Tokens {
        input: 100_001,
        ..at
    };
    let c_at = cat.price(sonnet, &at, &terms).unwrap();
    let c_above = cat.price(sonnet, &above, &terms).unwrap();
    assert_eq!(c_at.output, PicoUsd(15_000_000 * 1_000));
    assert_eq!(
        c_above.output,
        PicoUsd(22_500_000 * 1_000),
        "output x1.5 above 200K"
    );
    assert_eq!(c_above.input, PicoUsd(6_000_000 * 100_001));
    assert_eq!(c_above.cache_read, PicoUsd(600_000 * 100_000));
    let haiku = cat.resolve("claude-haiku-5-5").unwrap();
    let small = cat
        .price(
            haiku,
            &Tokens {
                input: 100_000,
                output: 10,
                ..Tokens::default()
            },
            &terms,
        )
        .unwrap();
    let big = cat
        .price(
            haiku,
            &Tokens {
                input: 100_001,
                output: 10,
                ..Tokens::default()
            },
            &terms,
        )
        .unwrap();
    assert_eq!(small.output, PicoUsd(500_000 * 10));
    assert_eq!(
        big.output,
        PicoUsd(2_500_000 * 10),
        "Haiku 5.5's upper band prices output too"
    );
}

#[test]
fn price_rows_change_at_midnight_utc() {
    let cat = cat();
    let s55 = cat.resolve("claude-sonnet-5-5").unwrap();
    let t = Tokens {
        cache_read: 1_000_000,
        ..Tokens::default()
    };
    let on = |ts: &str| {
        let terms = Terms {
            day: Timestamp::parse_rfc3339(ts).unwrap().day(),
            batch: false,
            us_residency: false,
            fast: false,
        };
        cat.price(s55, &t, &terms).unwrap().total()
    };
    assert_eq!(
        on("2026-10-06T23:59:59.999999999Z"),
        PicoUsd(200_000 * 1_000_000)
    );
    assert_eq!(on("2026-10-07T00:00:00Z"), PicoUsd(100_000 * 1_000_000));
    assert_eq!(
        on("2026-10-07T01:00:00+02:00"),
        PicoUsd(200_000 * 1_000_000),
        "23:00 UTC on the 6th"
    );
    assert_eq!(
        on("2025-01-01T00:00:00Z"),
        PicoUsd(200_000 * 1_000_000),
        "before the first row: first row"
    );
}

#[test]
fn fast_mode_and_batch_do_not_mix() {
    let cat = cat();
    let opus = cat.resolve("claude-opus-5-5").unwrap();
    let terms = Terms {
        day: day("2026-11-01"),
        batch: true,
        us_residency: false,
        fast: true,
    };
    assert_eq!(
        cat.price(opus, &Tokens::default(), &terms),
        Err(PricingError::FastBatch)
    );
}

#[test]
fn fast_mode_only_where_the_catalog_has_it() {
    let cat = cat();
    let fast = |m: &str, d: &str| {
        let id = cat.resolve(m).unwrap();
        cat.price(
            id,
            &Tokens {
                output: 1_000_000,
                ..Tokens::default()
            },
            &Terms {
                day: day(d),
                batch: false,
                us_residency: false,
                fast: true,
            },
        )
    };
    assert_eq!(
        fast("claude-opus-5-5", "2026-11-01").unwrap().output,
        PicoUsd(40 * 1_000_000_000_000)
    );
    assert_eq!(
        fast("claude-opus-4-6", "2026-06-28").unwrap().output,
        PicoUsd(150 * 1_000_000_000_000)
    );
    assert_eq!(
        fast("claude-opus-4-6", "2026-06-29").unwrap().output,
        PicoUsd(25 * 1_000_000_000_000),
        "billed as standard after fast mode ended"
    );
    assert_eq!(
        fast("claude-sonnet-4-5", "2026-11-01").unwrap_err().to_string(),
        "model \"claude-sonnet-4-5\" has no fast mode on 2026-11-01 (speed \"fast\" would have been rejected by the API)"
    );
    assert!(
        fast("claude-opus-4-7", "2026-08-01").is_err(),
        "fast mode was removed from Opus 4.7 on 2026-07-24"
    );
}

/// `check` is `price` without the arithmetic: the replay checks re-simulated calls with it and
/// prices them after their cache replay, so the two must fail alike whatever the tokens.
#[test]
fn check_fails_exactly_where_price_fails() {
    let cat = cat();
    let days = [
        "2025-01-01",
        "2026-06-28",
        "2026-06-29",
        "2026-07-24",
        "2026-11-01",
    ];
    let tokens = [
        Tokens::default(),
        Tokens {
            input: 300_000,
            output: 1_000,
            cache_read: 5_000,
            ..Tokens::default()
        },
    ];
    let mut failures = 0;
    for m in 0..cat.models.len() {
        let id = ModelId(m as _);
        for d in days {
            for bits in 0..8u8 {
                let terms = Terms {
                    day: day(d),
                    batch: bits & 1 != 0,
                    us_residency: bits & 2 != 0,
                    fast: bits & 4 != 0,
                };
                for t in &tokens {
                    let priced = cat.price(id, t, &terms);
                    assert_eq!(
                        cat.check(id, &terms),
                        priced.as_ref().map(|_| ()).map_err(Clone::clone)
                    );
                    failures += usize::from(priced.is_err());
                }
            }
        }
    }
    assert!(failures > 0, "the grid has calls that cannot be priced");
}

#[test]
fn ids_resolve_in_every_form_a_log_carries() {
    let cat = cat();
    let canon = |s: &str| {
        cat.model(cat.resolve(s).unwrap_or_else(|e| panic!("{s}: {e}")))
            .id
            .clone()
    };
    assert_eq!(canon("claude-sonnet-4-5"), "claude-sonnet-4-5");
    assert_eq!(canon("claude-sonnet-4-5-20250929"), "claude-sonnet-4-5");
    assert_eq!(canon("claude-haiku-4-5-20251001"), "claude-haiku-4-5");
    assert_eq!(canon("claude-opus-4-5-20251101"), "claude-opus-4-5");
    assert_eq!(canon("claude-opus-4-1-20250805"), "claude-opus-4-1");
    assert_eq!(canon("claude-opus-4-20250514"), "claude-opus-4");
    assert_eq!(canon("claude-sonnet-4-20250514"), "claude-sonnet-4");
    assert_eq!(canon("claude-opus-4-0"), "claude-opus-4");
    assert_eq!(canon("claude-sonnet-4-0"), "claude-sonnet-4");
    assert_eq!(canon("claude-3-5-haiku-20241022"), "claude-haiku-3-5");
    assert_eq!(canon("anthropic/claude-sonnet-4-5"), "claude-sonnet-4-5");
    assert_eq!(
        canon("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        "claude-sonnet-4-5"
    );
    assert_eq!(canon("claude-sonnet-4-5@20250929"), "claude-sonnet-4-5");
    assert_eq!(canon("claude-opus-5-5[1m]"), "claude-opus-5-5");
    assert_eq!(canon("CLAUDE-HAIKU-5-5"), "claude-haiku-5-5");
    assert_eq!(canon("claude-mythos-5"), "claude-mythos-5");
    assert_eq!(canon("claude-fable-5-1"), "claude-fable-5-1");
}

#[test]
fn unknown_ids_name_the_closest_known_ones() {
    let cat = cat();
    let e = cat.resolve("claude-sonet-4-5").unwrap_err();
    let PricingError::UnknownModel { closest, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(closest[0], "claude-sonnet-4-5");
    assert!(
        e.to_string().starts_with(
            "unknown model \"claude-sonet-4-5\"; closest known ids: claude-sonnet-4-5"
        ),
        "{e}"
    );
    assert!(cat.resolve("gpt-4o").is_err());
    assert!(
        cat.resolve("claude-sonnet-4-5-20251399").is_err(),
        "not a date"
    );
    assert!(
        cat.resolve("claude-opus-4-0-20250514").is_err(),
        "an alias takes no date"
    );
    assert!(cat.resolve("").is_err());
}

#[test]
fn the_catalog_is_consistent() {
    let cat = cat();
    assert_eq!(cat.batch_multiplier, Ratio { num: 1, den: 2 });
    assert_eq!(cat.residency_multiplier, Ratio { num: 11, den: 10 });
    assert_eq!(
        cat.web_search_fee,
        PicoUsd(10_000_000_000),
        "$10 per 1,000 = 1 cent each"
    );
    assert!(
        cat.roundings.is_empty(),
        "published prices never round: {:?}",
        cat.roundings
    );
    for m in &cat.models {
        assert!(m.min_cacheable_tokens >= 512, "{}", m.id);
        for r in &m.rows {
            assert!(r.base.output >= r.base.input, "{}", m.id);
        }
    }
    assert_eq!(cat.band_thresholds(), vec![100_000, 200_000]);
    let all: Vec<ModelId> = (0..cat.models.len() as u16).map(ModelId).collect();
    let top = cat.most_expensive(all, day("2026-11-01")).unwrap();
    assert_eq!(
        cat.model(top).id,
        "claude-opus-3",
        "highest output price, ties by input then the smallest id"
    );
}

const OVERLAY: &str = r#"
schema = "tokensim.overlay/1"
name = "acme 2026 contract"
[[discount]]
percent = "10"
effective_from = "2026-07-01"
[[discount]]
model = "claude-sonnet-4-5-20250929"
percent = "12.5"
effective_from = "2026-09-01"
[[model]]
id = "claude-private-1"
name = "Private"
family = "sonnet"
version = "1"
min_cacheable_tokens = 1024
source = "contract"
verified = "2026-11-01"
[[model.price]]
effective_from = "2026-01-01"
input = "1"
cache_write_5m = "1.25"
cache_write_1h = "2"
cache_read = "0.1"
output = "5"
"#;

#[test]
fn overlays_discount_from_their_date_and_add_models() {
    let cat = Catalog::parse(BUILTIN_CATALOG, "builtin", Some(("acme.toml", OVERLAY))).unwrap();
    assert_eq!(cat.overlay.as_deref(), Some("acme 2026 contract"));
    let sonnet = cat.resolve("claude-sonnet-4-5").unwrap();
    let haiku = cat.resolve("claude-haiku-4-5").unwrap();
    let t = Tokens {
        input: 100_000,
        ..Tokens::default()
    };
    let on = |id, d: &str| {
        cat.price(
            id,
            &t,
            &Terms {
                day: day(d),
                batch: false,
                us_residency: false,
                fast: false,
            },
        )
        .unwrap()
        .total()
    };
    assert_eq!(on(sonnet, "2026-06-30"), PicoUsd(300_000_000_000));
    assert_eq!(
        on(sonnet, "2026-07-01"),
        PicoUsd(270_000_000_000),
        "global 10%"
    );
    assert_eq!(
        on(sonnet, "2026-09-01"),
        PicoUsd(262_500_000_000),
        "per-model 12.5% wins"
    );
    assert_eq!(on(haiku, "2026-09-01"), PicoUsd(90_000_000_000));
    let private = cat.resolve("claude-private-1").unwrap();
    assert_eq!(on(private, "2026-09-01"), PicoUsd(90_000_000_000));
}

#[test]
fn an_inexact_overlay_rounds_once_half_to_even_and_says_so() {
    let overlay = "[[discount]]\nmodel = \"claude-haiku-5-5\"\npercent = \"33.333\"\n";
    let cat = Catalog::parse(BUILTIN_CATALOG, "builtin", Some(("o.toml", overlay))).unwrap();
    assert!(!cat.roundings.is_empty());
    let r = &cat.roundings[0];
    assert_eq!(r.model, "claude-haiku-5-5");
    // $0.10 x (1 - 0.33333) = 66,667 micro-USD per MTok exactly: exact; the batch half is not.
    assert!(
        cat.roundings.iter().all(|r| r.model == "claude-haiku-5-5"),
        "{:?}",
        cat.roundings
    );
}

#[test]
fn bad_overlays_are_errors_that_say_where() {
    let parse = |o: &str| {
        Catalog::parse(BUILTIN_CATALOG, "builtin", Some(("o.toml", o)))
            .unwrap_err()
            .to_string()
    };
    assert!(parse("[[discount]]\npercent = \"120\"\n")
        .contains("o.toml: discount[0].percent: must be above 0 and below 100"));
    assert!(
        parse("[[discount]]\nmodel = \"claude-nope\"\npercent = \"5\"\n")
            .contains("o.toml: discount[0].model: unknown model")
    );
    assert!(parse("[[discount]]\npercent = 5\n").starts_with("o.toml: "));
    assert!(parse("[[discount]]\npercent = \"5\"\nfoo = 1\n").contains("unknown field `foo`"));
}
