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
