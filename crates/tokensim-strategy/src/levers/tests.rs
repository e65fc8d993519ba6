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

/// A risk model that says the same for every move.
struct Fixed(u32);

impl RiskModel for Fixed {
    fn degradation_ppm(&self, _: &Record, _: ModelId, _: ModelId) -> u32 {
        self.0
    }
}

fn check(toml: &str, json: &str) -> Counterfactual {
    check_risk(toml, json, 50_000)
}

fn check_risk(toml: &str, json: &str, risk_ppm: u32) -> Counterfactual {
    let cat = Catalog::builtin();
    let s = scenario(&cat, toml);
    let r = record(json);
    let m = cat.resolve(&r.model).unwrap();
    plan(&s, &r, m, &cat, &Fixed(risk_ppm))
}

/// `SONNET` with extra top-level fields spliced in.
fn sonnet_with(extra: &str) -> String {
    SONNET.replacen('{', &format!("{{{extra},"), 1)
}

#[test]
fn rules_match_on_sizes_thinking_and_tools() {
    let cat = Catalog::builtin();
    let haiku = cat.resolve("claude-haiku-5-5").unwrap();
    let routed = |when: &str, json: &str| {
        let cf = check(
            &format!("[[route.rule]]\nwhen = {{ {when} }}\nto = \"claude-haiku-5-5\"\n"),
            json,
        );
        cf.model == haiku
    };
    // SONNET: 4,000 input tokens in total (1,000 + 3,000 read), 500 output.
    assert!(
        routed("max_input_tokens = 4000", SONNET),
        "bounds are inclusive"
    );
    assert!(!routed("max_input_tokens = 3999", SONNET));
    assert!(routed("min_input_tokens = 4000", SONNET));
    assert!(!routed("min_input_tokens = 4001", SONNET));
    assert!(routed(
        "min_output_tokens = 500, max_output_tokens = 500",
        SONNET
    ));
    assert!(!routed("max_output_tokens = 499", SONNET));
    assert!(
        !routed("max_thinking_tokens = 1000", SONNET),
        "a call without thinking_tokens never matches a thinking bound"
    );
    let thinking = sonnet_with(r#""thinking_tokens":300"#);
    assert!(routed("max_thinking_tokens = 300", &thinking));
    assert!(!routed("min_thinking_tokens = 301", &thinking));
    assert!(
        !routed("tools = false", SONNET),
        "a call without segments says nothing about tools"
    );
    let seg = |role: &str, n: u64| format!(r#"{{"role":"{role}","hash":"h{role}","tokens":{n}}}"#);
    let with_tools = SONNET.replace(
        r#""usage""#,
        &format!(
            r#""prompt":{{"segments":[{},{}]}},"usage""#,
            seg("tools", 3000),
            seg("user", 1000)
        ),
    );
    let without = SONNET.replace(
        r#""usage""#,
        &format!(
            r#""prompt":{{"segments":[{},{}]}},"usage""#,
            seg("system", 3000),
            seg("user", 1000)
        ),
    );
    assert!(routed("tools = true", &with_tools));
    assert!(!routed("tools = false", &with_tools));
    assert!(routed("tools = false", &without));
}

#[test]
fn risk_budget_rejects_routes_above_it_and_keeps_the_model() {
    let toml = "[[route.rule]]\nto = \"claude-haiku-5-5\"\n[[route.risk_budget]]\nwhen = { team = \"t\" }\nmax = \"0.05\"\n";
    let cat = Catalog::builtin();
    let sonnet = cat.resolve("claude-sonnet-4-5").unwrap();
    let haiku = cat.resolve("claude-haiku-5-5").unwrap();
    let at = check_risk(toml, SONNET, 50_000);
    assert_eq!(at.model, haiku, "a risk equal to the budget is within it");
    assert!(!at.decisions.route_rejected);
    let above = check_risk(toml, SONNET, 50_001);
    assert_eq!(above.model, sonnet);
    assert!(above.decisions.route_rejected && !above.decisions.routed);
    assert_eq!(
        above.route,
        Some(RouteOutcome {
            from: sonnet,
            to: haiku,
            rejected: true,
            escalated: false
        })
    );
    assert_eq!((above.tokens.input, above.tokens.cache_read), (1000, 3000));
    let other_team = check_risk(
        toml,
        &SONNET.replace(r#""team":"t""#, r#""team":"u""#),
        999_999,
    );
    assert_eq!(other_team.model, haiku, "no budget matches: no limit");
}

#[test]
fn cascade_costs_the_cheap_call_plus_the_escalated_original() {
    let cat = Catalog::builtin();
    let sonnet = cat.resolve("claude-sonnet-4-5").unwrap();
    let haiku = cat.resolve("claude-haiku-5-5").unwrap();
    let toml = "[route]\npolicy = \"cascade\"\nto = \"claude-haiku-5-5\"\n";
    // The call's own eval decides.
    let failed = sonnet_with(r#""evals":[{"model":"claude-haiku-5-5","pass":false}]"#);
    let cf = check_risk(toml, &failed, 0);
    assert_eq!(cf.model, haiku);
    assert!(cf.decisions.routed && cf.decisions.escalated);
    let (t, cost) = *cf.escalated.expect("escalated");
    assert_eq!((t.input, t.cache_read, t.output), (1000, 3000, 500));
    // Sonnet 4.5 as recorded: 1000 x $3 + 3000 x $0.30 + 500 x $15 per MTok = $0.0114.
    assert_eq!(cost.total().0, 11_400_000_000);
    assert_eq!(cf.route.unwrap().from, sonnet);
    let passed = sonnet_with(r#""evals":[{"model":"claude-haiku-5-5","pass":true}]"#);
    let cf = check_risk(toml, &passed, 1_000_000);
    assert!(
        !cf.decisions.escalated && cf.escalated.is_none(),
        "its eval passed"
    );
    // Without an eval: a draw at the estimated rate; 0 never escalates, 1 always does.
    assert!(check_risk(toml, SONNET, 0).escalated.is_none());
    assert!(check_risk(toml, SONNET, 1_000_000).escalated.is_some());
    // A fixed rate ignores the estimate; the draw is per call id, so about that share escalates.
    let fixed = "[route]\npolicy = \"cascade\"\nto = \"claude-haiku-5-5\"\nescalation = \"0.25\"\n";
    let n = (0..4000)
        .filter(|i| {
            check_risk(fixed, &sonnet_with(&format!(r#""id":"c{i}""#)), 0)
                .escalated
                .is_some()
        })
        .count();
    assert!((900..1100).contains(&n), "{n} of 4000 escalated at 25%");
}

#[test]
fn oracle_picks_the_cheapest_passing_model() {
    let cat = Catalog::builtin();
    let id = |m: &str| cat.resolve(m).unwrap();
    let toml = "[route]\npolicy = \"oracle\"\n";
    let evals = |list: &str| sonnet_with(&format!(r#""evals":[{list}]"#));
    let cf = check(
        toml,
        &evals(
            r#"{"model":"claude-sonnet-5-5","pass":true},{"model":"claude-haiku-5-5","pass":true},{"model":"claude-haiku-4-5","pass":true}"#,
        ),
    );
    assert_eq!(cf.model, id("claude-haiku-5-5"));
    let cf = check(
        toml,
        &evals(
            r#"{"model":"claude-sonnet-5-5","pass":true},{"model":"claude-haiku-5-5","pass":false}"#,
        ),
    );
    assert_eq!(
        cf.model,
        id("claude-sonnet-5-5"),
        "a failed eval is no candidate"
    );
    let cf = check(toml, &evals(r#"{"model":"claude-opus-4-1","pass":true}"#));
    assert_eq!(cf.model, id("claude-sonnet-4-5"), "never a dearer model");
    assert!(cf.route.is_none());
    assert_eq!(
        check(toml, SONNET).model,
        id("claude-sonnet-4-5"),
        "no evals: kept"
    );
}

#[test]
fn threshold_routes_calls_below_the_difficulty() {
    let cat = Catalog::builtin();
    let haiku = cat.resolve("claude-haiku-5-5").unwrap();
    let toml = |t: &str| {
        format!("[route]\npolicy = \"threshold\"\nto = \"claude-haiku-5-5\"\nthreshold = \"{t}\"\n")
    };
    // SONNET is classification (0.1) with 4,000 input tokens (no doubling above 2,000 yet).
    let r = record(SONNET);
    assert_eq!(difficulty_ppm(&r), 100_000);
    assert_ne!(check(&toml("0.1"), SONNET).model, haiku, "strictly below");
    assert_eq!(check(&toml("0.100001"), SONNET).model, haiku);
    let given = sonnet_with(r#""difficulty":0.35"#);
    assert_eq!(difficulty_ppm(&record(&given)), 350_000, "the field wins");
    assert_ne!(check(&toml("0.35"), &given).model, haiku);
    assert_eq!(check(&toml("0.36"), &given).model, haiku);
}

#[test]
fn difficulty_heuristic_adds_size_and_tools() {
    let mut r = record(SONNET);
    r.task = Some(Task::Code);
    r.usage.input_tokens = 1000;
    r.usage.cache_read_input_tokens = 3000;
    assert_eq!(
        difficulty_ppm(&r),
        600_000,
        "4,000 tokens: not above 2 x 2,000"
    );
    r.usage.input_tokens = 1001;
    assert_eq!(difficulty_ppm(&r), 650_000, "one doubling");
    r.usage.input_tokens = 10_000_000;
    assert_eq!(difficulty_ppm(&r), 800_000, "at most four doublings");
    r.task = Some(Task::Agent);
    r.segments.push(tokensim_corpus::Segment {
        role: Role::Tools,
        hash: 1,
        tokens: 10,
        cache_control: None,
    });
    assert_eq!(difficulty_ppm(&r), 1_000_000, "capped at 1");
    r.task = None;
    assert_eq!(difficulty_ppm(&r), 800_000, "no task: 0.5");
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
        r.id = Some(format!("req_{i}").into());
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

#[test]
fn thinking_budget_cuts_thinking_out_of_the_output() {
    let toml = "[[caps.thinking_budget]]\ntokens = 100\n";
    let with = sonnet_with(r#""thinking_tokens":300"#);
    let cf = check(toml, &with);
    assert_eq!(
        cf.tokens.output, 300,
        "500 output, of which 300 thinking, capped at 100"
    );
    assert!(cf.decisions.thinking_capped);
    let under = check(toml, &sonnet_with(r#""thinking_tokens":80"#));
    assert_eq!(under.tokens.output, 500);
    assert!(!under.decisions.thinking_capped);
    let unknown = check(toml, SONNET);
    assert_eq!(unknown.tokens.output, 500);
    assert!(
        unknown.decisions.thinking_unknown,
        "no thinking_tokens: counted, unchanged"
    );
    // Then the output cap applies to what is left.
    let both = check(
        "[[caps.thinking_budget]]\ntokens = 100\n[[caps.max_output]]\ntokens = 250\n",
        &with,
    );
    assert_eq!(both.tokens.output, 250);
    assert!(both.decisions.thinking_capped && both.decisions.truncated);
}

/// A conversation: tools 1,000 (cached 1h), system 500, then four turns of 2,000, and the
/// last question of 300: 9,800 input tokens; recorded as 1,500 read, 8,000 written 5m, 300
/// uncached.
const CONVERSATION: &str = r#"{"ts":"2026-10-05T09:00:00Z","model":"claude-sonnet-4-5","team":"t","task":"chat","conversation_id":"c1","usage":{"input_tokens":300,"output_tokens":50,"cache_creation_input_tokens":8000,"cache_read_input_tokens":1500},"prompt":{"segments":[{"role":"tools","hash":"t","tokens":1000},{"role":"system","hash":"s","tokens":500,"cache_control":"5m"},{"role":"user","hash":"u1","tokens":2000},{"role":"assistant","hash":"a1","tokens":2000},{"role":"user","hash":"u2","tokens":2000},{"role":"assistant","hash":"a2","tokens":2000,"cache_control":"5m"},{"role":"user","hash":"u3","tokens":300}]}}"#;

#[test]
fn context_trim_drops_the_oldest_turns_and_keeps_the_stable_prefix_cached() {
    let cf = check("[[caps.context_trim]]\ntokens = 6000\n", CONVERSATION);
    // 9,800 over 6,000: u1 and a1 go (5,800 left).
    assert_eq!(cf.trimmed, Some((2, 4)));
    assert!(cf.decisions.context_trimmed);
    let t = &cf.tokens;
    assert_eq!(t.total_input(), 5800);
    // Recorded policy: only the stable prefix (1,500 tokens) stays cached, reads first.
    assert_eq!(
        (t.cache_read, t.cache_write_1h, t.cache_write_5m),
        (1500, 0, 0)
    );
    assert_eq!(t.input, 4300);
    assert_eq!(t.output, 50);
    // Under the budget: nothing happens.
    let none = check("[[caps.context_trim]]\ntokens = 9800\n", CONVERSATION);
    assert!(none.trimmed.is_none() && !none.decisions.context_trimmed);
    // The last segment is never dropped: a budget below it trims everything else it can.
    let deep = check("[[caps.context_trim]]\ntokens = 100\n", CONVERSATION);
    assert_eq!(deep.trimmed, Some((2, 6)));
    assert_eq!(deep.tokens.total_input(), 1800);
    // Without segments there is nothing to trim.
    let bare = check("[[caps.context_trim]]\ntokens = 100\n", SONNET);
    assert!(bare.decisions.trim_no_segments && bare.trimmed.is_none());
    assert_eq!(bare.tokens.total_input(), 4000);
}

#[test]
fn context_trim_under_replay_simulates_the_trimmed_blocks() {
    let cf = check(
        "[[caps.context_trim]]\ntokens = 6000\n[cache]\npolicy = \"replay\"\n",
        CONVERSATION,
    );
    let blocks = cf.simulate.expect("simulated");
    assert_eq!(
        blocks.iter().map(|b| b.tokens).collect::<Vec<_>>(),
        vec![1000, 500, 2000, 2000, 300],
        "u1 and a1 are gone"
    );
    assert_eq!(blocks.iter().filter(|b| b.breakpoint.is_some()).count(), 2);
    assert_eq!(cf.tokens.total_input(), 5800);
}

/// `plan_in` appends exactly the blocks `plan` would allocate (after what the buffer held),
/// and plans the same call, for every cache policy, with and without a trim or routing, over
/// whatever its slot held (the previous policy's plan).
#[test]
fn plan_in_appends_what_plan_allocates_over_any_earlier_plan() {
    let cat = Catalog::builtin();
    let r = record(CONVERSATION);
    let m = cat.resolve(&r.model).unwrap();
    // Routing first, so that the plans after it must clear what it set.
    let levers = [
        "[[route.rule]]\nwhen = {}\nto = \"claude-haiku-5-5\"\n",
        "",
        "[[caps.context_trim]]\ntokens = 6000\n",
    ];
    let mut simulated = 0;
    let mut slot = Counterfactual::unplanned(m);
    for lever in levers {
        for policy in ["recorded", "off", "replay", "auto", "optimal"] {
            let s = scenario(&cat, &format!("{lever}[cache]\npolicy = \"{policy}\"\n"));
            let cf = plan(&s, &r, m, &cat, &Fixed(0));
            let prior = Block {
                hash: 7,
                tokens: 1,
                tool_result: false,
                breakpoint: None,
            };
            let mut buf = vec![prior];
            plan_in(&s, &r, m, &cat, &Fixed(0), &mut buf, &mut slot);
            let mut into = slot.clone();
            let sim = into.decisions.cache_simulated;
            assert_eq!(sim, cf.simulate.is_some(), "{lever} {policy}");
            assert_eq!(
                buf[0], prior,
                "{lever} {policy}: the buffer's blocks are kept"
            );
            assert_eq!(
                &buf[1..],
                cf.simulate.as_deref().unwrap_or(&[]),
                "{lever} {policy}"
            );
            into.simulate = cf.simulate.clone();
            assert_eq!(into, cf, "{lever} {policy}");
            simulated += usize::from(sim);
        }
    }
    assert_eq!(
        simulated, 9,
        "replay, auto and optimal simulate under every lever"
    );
}
