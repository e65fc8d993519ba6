//! Scenario file validation: every mistake names the file, the line and the valid choices.

use super::*;

fn err(text: &str) -> String {
    let cat = Catalog::builtin();
    parse_scenario("s.toml", text, &cat, &mut |_, name| match name {
        "parent.toml" => Ok((
            "parent.toml".into(),
            "name = \"p\"\n[cache]\npolicy = \"off\"\n[batch]\n".into(),
        )),
        "loop.toml" => Ok((
            "loop.toml".into(),
            "name = \"l\"\nextends = \"s.toml\"\n".into(),
        )),
        "s.toml" => Ok((
            "s.toml".into(),
            "name = \"s\"\nextends = \"loop.toml\"\n".into(),
        )),
        _ => Err(format!("cannot read {name}")),
    })
    .unwrap_err()
    .to_string()
}

fn ok(text: &str) -> Scenario {
    let cat = Catalog::builtin();
    parse_scenario("s.toml", text, &cat, &mut |_, _| {
        Ok((
            "parent.toml".into(),
            "name = \"p\"\n[cache]\npolicy = \"off\"\n[batch]\n".into(),
        ))
    })
    .unwrap()
}

#[test]
fn unknown_lever() {
    let e = err("name = \"x\"\n\n[routing]\n");
    assert!(e.starts_with("s.toml:3: unknown field `routing`, valid: name, description, extends, and the levers route, caps, batch, cache"), "{e}");
}

#[test]
fn unknown_model_names_the_closest() {
    let e = err("name = \"x\"\n[[route.rule]]\nto = \"claude-haiku-55\"\n");
    assert!(
        e.starts_with(
            "s.toml:3: unknown model \"claude-haiku-55\"; closest known ids: claude-haiku-5-5"
        ),
        "{e}"
    );
}

#[test]
fn unknown_match_field_and_value() {
    let e = err("name = \"x\"\n[[batch.eligible]]\nwhen = { colour = \"red\" }\n");
    assert!(e.starts_with("s.toml:3: when: unknown field \"colour\"; valid: team, app, feature, model, task, latency_class, tag, stream, service_tier"), "{e}");
    let e = err("name = \"x\"\n[[batch.eligible]]\nwhen = { task = \"poetry\" }\n");
    assert!(
        e.starts_with(
            "s.toml:3: when.task: unknown value \"poetry\"; valid: classification, extraction"
        ),
        "{e}"
    );
}

#[test]
fn a_fixed_ttl_is_for_the_auto_policy_only() {
    let s = ok("name = \"x\"\n[cache]\npolicy = \"auto\"\nttl = \"1h\"\n");
    assert_eq!(s.cache.unwrap().fixed_ttl, Some(Ttl::OneHour));
    let s = ok("name = \"x\"\n[cache]\npolicy = \"auto\"\nttl = \"auto\"\n");
    assert_eq!(s.cache.unwrap().fixed_ttl, None);
    assert_eq!(
        err("name = \"x\"\n[cache]\npolicy = \"auto\"\nttl = \"2h\"\n"),
        "s.toml:4: cache.ttl: unknown ttl \"2h\"; valid: auto, 5m, 1h"
    );
    assert_eq!(
        err("name = \"x\"\n[cache]\npolicy = \"replay\"\nttl = \"1h\"\n"),
        "s.toml:4: cache.ttl: only the auto policy takes a ttl, this one is \"replay\""
    );
}

#[test]
fn unknown_cache_policy_lists_the_implemented_ones() {
    let e = err("name = \"x\"\n[cache]\npolicy = \"belady\"\n");
    assert_eq!(
        e,
        "s.toml:3: cache.policy: unknown policy \"belady\"; valid: recorded, off, replay, auto, optimal"
    );
    let e = err("name = \"x\"\n[cache]\npolicy = \"replay\"\nbatch_hit_probability = \"1.5\"\n");
    assert!(
        e.starts_with("s.toml:4: batch_hit_probability: must be between 0 and 1"),
        "{e}"
    );
}

#[test]
fn name_is_required_and_extends_resolves() {
    assert!(err("[cache]\npolicy = \"off\"\n").starts_with("s.toml:1: a scenario needs a `name`"));
    let s = ok("name = \"child\"\nextends = \"parent.toml\"\n[cache]\npolicy = \"replay\"\n");
    assert_eq!(s.name, "child");
    assert_eq!(
        s.cache.unwrap().policy,
        CachePolicy::Replay,
        "the child's lever replaces the parent's"
    );
    assert!(
        s.batch.is_some(),
        "levers the child does not set are inherited"
    );
    assert!(err("name = \"x\"\nextends = \"missing.toml\"\n")
        .starts_with("s.toml:2: extends: cannot read missing.toml"));
    assert!(err("name = \"x\"\nextends = \"loop.toml\"\n").contains("extends: cycle"));
}

#[test]
fn lever_ids_in_pipeline_order() {
    let s = ok("name = \"x\"\n[cache]\npolicy = \"off\"\n[[route.rule]]\nto = \"claude-haiku-5-5\"\n[batch]\n[caps]\n");
    assert_eq!(s.lever_ids(), ["route", "caps", "batch", "cache"]);
}

#[test]
fn route_policies_parse_and_their_mistakes_say_what_is_missing() {
    let cat = Catalog::builtin();
    let haiku = cat.resolve("claude-haiku-5-5").unwrap();
    let s = ok("name = \"x\"\n[route]\npolicy = \"cascade\"\nto = \"claude-haiku-5-5\"\nescalation = \"0.2\"\nwhen = { team = \"t\" }\n");
    let r = s.route.unwrap();
    assert_eq!(
        r.policy,
        RoutePolicy::Cascade {
            to: haiku,
            escalation: Escalation::Rate(200_000)
        }
    );
    assert_eq!(r.when.team, vec!["t".to_string()]);
    assert!(!r.needs_evals(), "a fixed rate needs no evals");
    let s = ok("name = \"x\"\n[route]\npolicy = \"cascade\"\nto = \"claude-haiku-5-5\"\n");
    assert!(
        s.route.unwrap().needs_evals(),
        "escalation defaults to evals"
    );
    let s = ok("name = \"x\"\n[route]\npolicy = \"threshold\"\nto = \"claude-haiku-5-5\"\nthreshold = \"0.35\"\n[[route.risk_budget]]\nwhen = { app = \"a\" }\nmax = \"0.02\"\n");
    let r = s.route.unwrap();
    assert_eq!(
        r.policy,
        RoutePolicy::Threshold {
            to: haiku,
            threshold_ppm: 350_000
        }
    );
    assert_eq!(r.risk_budgets.len(), 1);
    assert_eq!(r.risk_budgets[0].1, 20_000);
    assert!(r.needs_evals(), "a risk budget decides with the evals");
    assert_eq!(
        ok("name = \"x\"\n[route]\npolicy = \"oracle\"\n")
            .route
            .unwrap()
            .policy,
        RoutePolicy::Oracle
    );

    let e = err("name = \"x\"\n[route]\npolicy = \"frugal\"\n");
    assert_eq!(
        e,
        "s.toml:3: route.policy: unknown policy \"frugal\"; valid: rules, cascade, oracle, threshold"
    );
    let e = err("name = \"x\"\n[route]\npolicy = \"cascade\"\n");
    assert_eq!(
        e,
        "s.toml:3: route: policy \"cascade\" needs `to`, the target model"
    );
    let e = err("name = \"x\"\n[route]\npolicy = \"threshold\"\nto = \"claude-haiku-5-5\"\n");
    assert!(
        e.starts_with("s.toml:3: route: policy \"threshold\" needs `threshold`"),
        "{e}"
    );
    let e = err(
        "name = \"x\"\n[route]\npolicy = \"oracle\"\n[[route.rule]]\nto = \"claude-haiku-5-5\"\n",
    );
    assert!(
        e.contains("[[route.rule]] belongs to policy \"rules\""),
        "{e}"
    );
    let e = err("name = \"x\"\n[route]\nto = \"claude-haiku-5-5\"\n");
    assert!(e.contains("policy \"rules\" uses [[route.rule]]"), "{e}");
    let e = err("name = \"x\"\n[route]\npolicy = \"oracle\"\nto = \"claude-haiku-5-5\"\n");
    assert!(e.contains("picks the model itself"), "{e}");
    let e = err("name = \"x\"\n[route]\npolicy = \"cascade\"\nto = \"claude-haiku-5-5\"\nescalation = \"often\"\n");
    assert!(
        e.starts_with("s.toml:5: route.escalation: \"evals\" or a rate"),
        "{e}"
    );
    let e = err("name = \"x\"\n[[route.risk_budget]]\nmax = \"2%\"\n");
    assert!(e.starts_with("s.toml:3: risk_budget.max:"), "{e}");
}

#[test]
fn size_and_tools_conditions_parse() {
    let s = ok("name = \"x\"\n[[route.rule]]\nwhen = { min_input_tokens = 10, max_input_tokens = 20, max_output_tokens = 5, min_thinking_tokens = 1, tools = true }\nto = \"claude-haiku-5-5\"\n");
    let m = &s.route.unwrap().rules[0].when;
    assert_eq!(
        (m.input_tokens.min, m.input_tokens.max),
        (Some(10), Some(20))
    );
    assert_eq!((m.output_tokens.min, m.output_tokens.max), (None, Some(5)));
    assert_eq!(m.thinking_tokens.min, Some(1));
    assert_eq!(m.tools, Some(true));
    let e = err("name = \"x\"\n[[route.rule]]\nwhen = { max_input_tokens = -1 }\nto = \"claude-haiku-5-5\"\n");
    assert_eq!(
        e,
        "s.toml:3: when.max_input_tokens: expected a whole number of tokens, 0 or more"
    );
    let e = err(
        "name = \"x\"\n[[route.rule]]\nwhen = { tools = \"yes\" }\nto = \"claude-haiku-5-5\"\n",
    );
    assert_eq!(e, "s.toml:3: when.tools: expected true or false");
    let e = err("name = \"x\"\n[[route.rule]]\nwhen = { size = 3 }\nto = \"claude-haiku-5-5\"\n");
    assert!(
        e.contains("min_input_tokens") && e.contains("tools"),
        "lists the new keys: {e}"
    );
}

#[test]
fn token_ratios_are_positive_and_at_most_sixteen() {
    let with = |ratio: &str| {
        format!(
            "name = \"x\"\n[[route.rule]]\nto = \"claude-opus-5-5\"\n[[route.token_ratio]]\nfrom = \"claude-opus-4-5\"\nto = \"claude-opus-5-5\"\nratio = \"{ratio}\"\n"
        )
    };
    let s = ok(&with("16"));
    let route = s.route.expect("a route lever");
    let (opus45, opus55) = {
        let cat = Catalog::builtin();
        (
            cat.resolve("claude-opus-4-5").unwrap(),
            cat.resolve("claude-opus-5-5").unwrap(),
        )
    };
    assert_eq!(
        route.token_ratios.get(&(opus45, opus55)),
        Some(&Ratio { num: 16, den: 1 })
    );
    let e = err(&with("16.000001"));
    assert!(
        e.starts_with("s.toml:7: token_ratio.ratio: at most 16"),
        "{e}"
    );
    let e = err(&with("0"));
    assert!(
        e.starts_with("s.toml:7: token_ratio.ratio: must be positive"),
        "{e}"
    );
}
