//! Tests of the stateless levers: each builds a scenario from TOML text, plans one record, and
//! checks the counterfactual.

use super::*;
use crate::scenario::parse_scenario;
use tokensim_corpus::{parse_line, Line, Position};
use tokensim_pricing::Catalog;

fn record(json: &str) -> Record {
    match parse_line(json, Position { file: 0, line: 1 }, false).unwrap() {
        Line::Record(r) => *r,
        Line::Header => panic!("header"),
    }
}

fn scenario(cat: &Catalog, toml: &str) -> Scenario {
    let text = format!("name = \"t\"\n{toml}");
    parse_scenario("t.toml", &text, cat, &mut |_, _| {
        Err("no extends in tests".into())
    })
    .unwrap()
}

fn check(toml: &str, json: &str) -> Counterfactual {
    let cat = Catalog::builtin();
    let s = scenario(&cat, toml);
    let r = record(json);
    let m = cat.resolve(&r.model).unwrap();
    plan(&s, &r, m, &cat)
}

const SONNET: &str = r#"{"ts":"2026-10-05T09:00:00Z","model":"claude-sonnet-4-5","team":"t","task":"classification","latency_class":"async","stream":false,"usage":{"input_tokens":1000,"output_tokens":500,"cache_creation_input_tokens":0,"cache_read_input_tokens":3000}}"#;

#[test]
fn no_levers_is_the_record_as_is() {
    let cf = check("", SONNET);
    assert_eq!(
        (cf.tokens.input, cf.tokens.cache_read, cf.tokens.output),
        (1000, 3000, 500)
    );
    assert_eq!(cf.decisions, Decisions::default());
    assert!(!cf.batch && cf.simulate.is_none());
}

#[test]
fn scaling_rounds_half_up() {
    assert_eq!(scale(10, Ratio { num: 13, den: 10 }), 13);
    assert_eq!(scale(5, Ratio { num: 1, den: 2 }), 3, "2.5 rounds up");
    assert_eq!(scale(3, Ratio { num: 1, den: 2 }), 2, "1.5 rounds up");
    assert_eq!(scale(7, Ratio::ONE), 7);
}

#[test]
fn routing_carries_the_recorded_split_over_and_scales_tokens() {
    let toml = "[[route.rule]]\nwhen = { task = \"classification\" }\nto = \"claude-haiku-5-5\"\n[[route.token_ratio]]\nfrom = \"claude-sonnet-4-5\"\nto = \"claude-haiku-5-5\"\nratio = \"1.3\"\n";
    let cf = check(toml, SONNET);
    let cat = Catalog::builtin();
    assert_eq!(cf.model, cat.resolve("claude-haiku-5-5").unwrap());
    assert_eq!(
        (cf.tokens.input, cf.tokens.cache_read, cf.tokens.output),
        (1300, 3900, 650)
    );
    assert!(
        cf.decisions.routed
            && cf.decisions.cache_carried_over
            && !cf.decisions.carried_below_minimum
    );
}

#[test]
fn a_carried_prefix_below_the_targets_minimum_becomes_uncached() {
    // Haiku 4.5's minimum is 4,096 tokens: a 3,000-token cached prefix cannot be cached there.
    let cf = check("[[route.rule]]\nto = \"claude-haiku-4-5\"\n", SONNET);
    assert_eq!((cf.tokens.input, cf.tokens.cache_read), (4000, 0));
    assert!(cf.decisions.carried_below_minimum);
}

#[test]
fn the_first_matching_rule_wins_and_unmatched_calls_stay() {
    let toml = "[[route.rule]]\nwhen = { team = \"other\" }\nto = \"claude-opus-5-5\"\n[[route.rule]]\nwhen = { team = [\"x\", \"t\"] }\nto = \"claude-haiku-5-5\"\n[[route.rule]]\nto = \"claude-opus-4-5\"\n";
    let cat = Catalog::builtin();
    assert_eq!(
        check(toml, SONNET).model,
        cat.resolve("claude-haiku-5-5").unwrap()
    );
    let none = check(
        "[[route.rule]]\nwhen = { app = \"nope\" }\nto = \"claude-opus-5-5\"\n",
        SONNET,
    );
    assert_eq!(none.model, cat.resolve("claude-sonnet-4-5").unwrap());
    assert!(!none.decisions.routed);
}

#[test]
fn match_fields() {
    let m = |when: &str| {
        !check(
            &format!("[[route.rule]]\nwhen = {when}\nto = \"claude-opus-5-5\"\n"),
            SONNET,
        )
        .decisions
        .routed
    };
    // `m` is true when the rule did NOT match.
    assert!(!m("{ model = \"claude-sonnet-4-5-20250929\" }"));
    assert!(m("{ model = \"claude-haiku-4-5\" }"));
    assert!(!m("{ latency_class = \"async\", stream = false }"));
    assert!(m("{ stream = true }"));
    assert!(m("{ tag = \"env:prod\" }"));
    assert!(!m("{ service_tier = \"standard\" }"));
    assert!(
        m("{ feature = \"f\" }"),
        "a missing field never matches a value"
    );
}

#[test]
fn caps_truncate_only_above_the_cap() {
    let cf = check("[[caps.max_output]]\ntokens = 200\n", SONNET);
    assert_eq!(cf.tokens.output, 200);
    assert!(cf.decisions.truncated);
    let cf = check("[[caps.max_output]]\ntokens = 500\n", SONNET);
    assert_eq!(cf.tokens.output, 500);
    assert!(!cf.decisions.truncated);
}

#[test]
fn batch_moves_eligible_calls_and_flags_interactive_and_fast() {
    let cf = check(
        "[[batch.eligible]]\nwhen = { latency_class = \"async\" }\n",
        SONNET,
    );
    assert!(cf.batch && cf.decisions.moved_to_batch && !cf.decisions.moved_interactive);
    let interactive = SONNET.replace("async", "interactive");
    let cf = check("[[batch.eligible]]\n", &interactive);
    assert!(cf.decisions.moved_interactive);
    let fast = SONNET
        .replace("claude-sonnet-4-5", "claude-opus-5-5")
        .replace(r#""model""#, r#""speed":"fast","model""#);
    let cf = check("[[batch.eligible]]\n", &fast);
    assert!(!cf.batch && cf.decisions.batch_blocked_fast);
}

#[test]
fn routing_a_fast_call_to_a_model_without_fast_mode_drops_it() {
    let fast = SONNET
        .replace("claude-sonnet-4-5", "claude-opus-5-5")
        .replace(r#""model""#, r#""speed":"fast","model""#);
    let cf = check("[[route.rule]]\nto = \"claude-sonnet-5-5\"\n", &fast);
    assert!(!cf.fast && cf.decisions.fast_dropped);
}

#[test]
fn cache_off_bills_every_cached_token_as_input() {
    let cf = check("[cache]\npolicy = \"off\"\n", SONNET);
    assert_eq!(
        (
            cf.tokens.input,
            cf.tokens.cache_read,
            cf.tokens.cache_write_5m
        ),
        (4000, 0, 0)
    );
}

#[test]
fn cache_replay_plans_blocks_or_counts_missing_prefix_data() {
    let cf = check("[cache]\npolicy = \"replay\"\n", SONNET);
    assert!(cf.simulate.is_none() && cf.decisions.no_prefix_data);
    let with = SONNET.replace(
        r#""usage""#,
        r#""latency_ms":250,"prompt":{"segments":[{"role":"system","hash":"a","tokens":3000,"cache_control":"1h"},{"role":"tool_result","hash":"b","tokens":1000}]},"usage""#,
    );
    let cf = check("[cache]\npolicy = \"replay\"\n", &with);
    let blocks = cf.simulate.unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].breakpoint, Some(Ttl::OneHour));
    assert!(blocks[1].tool_result);
    assert_eq!(
        cf.readable_delay_ns, 250_000_000,
        "the recorded latency delays readability"
    );
}

#[test]
fn the_batch_hit_draw_is_deterministic_and_follows_the_probability() {
    let base = record(SONNET);
    let mut wins = 0;
    for i in 0..10_000u64 {
        let mut r = base.clone();
        r.id = Some(format!("req_{i}"));
        let a = wins_hit_draw(7, &r, 300_000);
        assert_eq!(a, wins_hit_draw(7, &r, 300_000));
        wins += u64::from(a);
    }
    assert!(
        (2_700..3_300).contains(&wins),
        "{wins} of 10,000 at p = 0.3"
    );
    assert!(wins_hit_draw(7, &base, 1_000_000));
    assert!(!wins_hit_draw(7, &base, 0));
}

fn blocks(n: usize) -> Vec<Block> {
    (0..n)
        .map(|i| Block {
            hash: i as u64 + 1,
            tokens: 100,
            tool_result: false,
            breakpoint: None,
        })
        .collect()
}

#[test]
fn auto_breakpoints_follow_the_stable_prefix_and_the_history() {
    use Role::*;
    let bps = |roles: &[Role], conv: Option<&str>| {
        place_auto_breakpoints(&blocks(roles.len()), roles, conv).map(|p| (p.stable, p.end))
    };
    assert_eq!(
        bps(&[Tools, System, User], None),
        Some((Some(1), None)),
        "single turn: the stable prefix only"
    );
    assert_eq!(
        bps(&[Tools, System, User, Assistant, User], None),
        Some((Some(1), Some(4))),
        "history: also the end"
    );
    assert_eq!(
        bps(&[System, User], Some("c1")),
        Some((Some(0), Some(1))),
        "a conversation id means multi-turn"
    );
    assert_eq!(
        bps(&[User, User], None),
        Some((None, Some(1))),
        "no stable prefix: the whole prompt"
    );
    assert_eq!(
        bps(&[System], Some("c1")),
        Some((Some(0), None)),
        "one breakpoint when both fall on one block"
    );
    assert_eq!(bps(&[], None), None);
    let (a, mut b) = (blocks(3), blocks(3));
    b[2].hash = 99;
    let fam = |x: &[Block]| {
        place_auto_breakpoints(x, &[System, User, User], None)
            .unwrap()
            .family
    };
    assert_eq!(
        fam(&a),
        fam(&b),
        "the family is the prefix through the first breakpoint"
    );
    let conv = |id| {
        place_auto_breakpoints(&a, &[System, User, User], id)
            .unwrap()
            .conversation
    };
    assert_ne!(conv(Some("c1")), conv(Some("c2")));
    assert_eq!(
        conv(None),
        fam(&a),
        "without an id, the family stands for the conversation"
    );
}

/// The `optimal` policy decides per unit: the family when there is a stable prefix; else the
/// first block, so turns of one history (whose end breakpoints can read each other) share it.
#[test]
fn optimal_units_group_what_can_share_a_cache_entry() {
    use Role::*;
    let unit = |x: &[Block], roles: &[Role]| place_auto_breakpoints(x, roles, None).unwrap();
    let (a, mut b) = (blocks(3), blocks(3));
    b[2].hash = 99;
    let with_system = [System, User, User];
    assert_eq!(unit(&a, &with_system).unit, unit(&a, &with_system).family);
    assert_eq!(unit(&a, &with_system).unit, unit(&b, &with_system).unit);
    let users = [User, Assistant, User];
    let (pa, pb) = (unit(&a, &users), unit(&b, &users));
    assert_ne!(
        pa.family, pb.family,
        "no stable prefix: the family is the whole prompt"
    );
    assert_eq!(pa.unit, pb.unit, "but the unit is the first block");
    b[0].hash = 98;
    assert_ne!(unit(&b, &users).unit, pa.unit);
    let mut x = blocks(3);
    pa.apply((Some(Ttl::OneHour), Some(Ttl::FiveMinutes)), &mut x);
    assert_eq!(
        x.iter().map(|b| b.breakpoint).collect::<Vec<_>>(),
        vec![None, None, Some(Ttl::FiveMinutes)],
        "without a stable prefix only the end breakpoint is set"
    );
    assert!(
        !pa.hindsight,
        "placed for auto unless the plan says optimal"
    );
}

#[test]
fn auto_ttl_is_the_cheapest_on_the_observed_history() {
    let min = 60_000_000_000i64;
    let mut f = ReuseStats::default();
    f.observe(None);
    assert_eq!(
        f.choose(),
        None,
        "one call and no reuse yet: writing would only cost"
    );
    f.observe(Some(2 * min));
    assert_eq!(
        f.choose(),
        Some(Ttl::FiveMinutes),
        "2 calls, one 2-minute reuse: 1.35 < 2"
    );
    let mut g = ReuseStats::default();
    for gap in [None, Some(20 * min), Some(30 * min), Some(40 * min)] {
        g.observe(gap);
    }
    assert_eq!(
        g.choose(),
        Some(Ttl::OneHour),
        "gaps of 20-40 minutes: only the hour reads"
    );
    let mut h = ReuseStats::default();
    for gap in [None, Some(3 * 60 * min), Some(5 * 60 * min)] {
        h.observe(gap);
    }
    assert_eq!(h.choose(), None, "gaps of hours: caching never pays");
    let mut e = ReuseStats::default();
    e.observe(None);
    e.observe(Some(5 * min));
    assert_eq!(e.short, 1, "exactly 5:00 counts as short");
}
