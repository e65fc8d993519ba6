//! Tests of the priors file and the lookup rules.

use std::fmt::Write as _;

use super::{Basis, ModelRef, Priors, Step, TaskClass, Version, BUILTIN_PRIORS, STEP_KEYS};
use crate::test_support::{catalog, catalog_model as model, ensure_blocks};
use crate::QualityError;

/// Looks up a prior and renders it as `mean ess source`.
fn lookup(class: &str, from: &str, to: &str) -> String {
    let catalog = catalog();
    let priors = Priors::builtin();
    let p = priors.prior(
        class.parse().unwrap(),
        &model(&catalog, from),
        &model(&catalog, to),
    );
    format!("{:.4} ess {} {}", p.mean, p.ess, p.source)
}

fn check(class: &str, from: &str, to: &str, expect: &str) {
    assert_eq!(lookup(class, from, to), expect, "{class}: {from} -> {to}");
}

#[test]
fn builtin_priors_parse() {
    let priors = Priors::builtin();
    assert_eq!(priors.classes.len(), 8);
    assert_eq!(priors.pairs.len(), 9);
    assert_eq!(priors.generations.len(), 1);
    assert_eq!(priors.file.gathered, "2026-11");
}

#[test]
fn pair_override_wins() {
    check(
        "chat",
        "claude-opus-4-6",
        "claude-sonnet-4-6",
        "0.0900 ess 8 prior: pair override claude-opus-4-6 -> claude-sonnet-4-6, chat",
    );
    check(
        "reasoning",
        "claude-opus-4-5",
        "claude-haiku-4-5",
        "0.3000 ess 6 prior: pair override claude-opus-4-5 -> claude-haiku-4-5, reasoning",
    );
    check(
        "agent",
        "claude-mythos-5",
        "claude-opus-4-8",
        "0.1700 ess 15 prior: pair override claude-mythos-5 -> claude-opus-4-8, agent",
    );
    // It wins over the generation rule (code 5.x -> 4.x is same-tier only; this one is not) and
    // over the same-tier cell.
    check(
        "reasoning",
        "claude-haiku-5-5",
        "claude-haiku-4-5",
        "0.4500 ess 6 prior: pair override claude-haiku-5-5 -> claude-haiku-4-5, reasoning",
    );
}

#[test]
fn pair_override_is_specific_to_class_and_direction() {
    check(
        "chat",
        "claude-opus-4-5",
        "claude-sonnet-4-5",
        "0.0500 ess 8 prior: opus->sonnet step, chat",
    );
    check(
        "extraction",
        "claude-sonnet-4-5",
        "claude-opus-4-5",
        "0.0200 ess 10 prior: noise floor (not a step down), extraction",
    );
    check(
        "code",
        "claude-fable-5-1",
        "claude-opus-4-8",
        "0.0400 ess 14 prior: top->opus step, code",
    );
}

#[test]
fn same_model_is_the_floor() {
    check(
        "agent",
        "claude-sonnet-4-5",
        "claude-sonnet-4-5",
        "0.0940 ess 15 prior: noise floor (same model), agent",
    );
    check(
        "other",
        "claude-haiku-3",
        "claude-haiku-3",
        "0.0480 ess 4 prior: noise floor (same model), other",
    );
}

#[test]
fn routing_up_is_the_floor() {
    check(
        "code",
        "claude-haiku-4-5",
        "claude-opus-3",
        "0.0400 ess 14 prior: noise floor (not a step down), code",
    );
    check(
        "classification",
        "claude-sonnet-5-5",
        "claude-fable-5",
        "0.0140 ess 10 prior: noise floor (not a step down), classification",
    );
}

#[test]
fn same_tier_newer_or_equal_version_is_the_floor() {
    check(
        "reasoning",
        "claude-opus-4-5",
        "claude-opus-5-5",
        "0.0560 ess 6 prior: noise floor (not a step down), reasoning",
    );
    // Fable and Mythos share the top tier; 5 and 5 are equal versions.
    check(
        "summarization",
        "claude-fable-5",
        "claude-mythos-5",
        "0.0260 ess 8 prior: noise floor (not a step down), summarization",
    );
}

#[test]
fn same_tier_older_version_is_the_newer_older_cell() {
    check(
        "agent",
        "claude-opus-4-8",
        "claude-opus-4-5",
        "0.1300 ess 15 prior: same tier newer->older step, agent",
    );
    check(
        "chat",
        "claude-mythos-5-1",
        "claude-fable-5",
        "0.0400 ess 8 prior: same tier newer->older step, chat",
    );
    check(
        "code",
        "claude-sonnet-4-6",
        "claude-sonnet-3-7",
        "0.0600 ess 14 prior: same tier newer->older step, code",
    );
}

#[test]
fn code_5x_to_4x_generation_rule() {
    check(
        "code",
        "claude-opus-5-5",
        "claude-opus-4-8",
        "0.2500 ess 14 prior: same tier 5.x->4.x rule, code",
    );
    check(
        "code",
        "claude-haiku-5-5",
        "claude-haiku-4-5",
        "0.2500 ess 14 prior: same tier 5.x->4.x rule, code",
    );
    // Only code, only 5 -> 4 (not 5.5 -> 5, not 5 -> 3), only within a family.
    check(
        "chat",
        "claude-opus-5-5",
        "claude-opus-4-8",
        "0.0400 ess 8 prior: same tier newer->older step, chat",
    );
    check(
        "code",
        "claude-opus-5-5",
        "claude-opus-5",
        "0.0600 ess 14 prior: same tier newer->older step, code",
    );
    check(
        "code",
        "claude-opus-5",
        "claude-opus-3",
        "0.0600 ess 14 prior: same tier newer->older step, code",
    );
}

#[test]
fn one_tier_down_is_a_step_cell() {
    check(
        "agent",
        "claude-fable-5-1",
        "claude-opus-5-5",
        "0.1000 ess 15 prior: top->opus step, agent",
    );
    check(
        "chat",
        "claude-opus-5-5",
        "claude-sonnet-5-5",
        "0.0500 ess 8 prior: opus->sonnet step, chat",
    );
    check(
        "agent",
        "claude-sonnet-5-5",
        "claude-haiku-5-5",
        "0.2500 ess 15 prior: sonnet->haiku step, agent",
    );
    check(
        "chat",
        "claude-opus-4-7",
        "claude-haiku-4-5",
        "0.1700 ess 8 prior: opus->haiku step, chat",
    );
    // Across generations the tier step applies whatever the versions.
    check(
        "code",
        "claude-opus-4-1",
        "claude-sonnet-5-5",
        "0.0700 ess 14 prior: opus->sonnet step, code",
    );
}

#[test]
fn longer_steps_compose() {
    // 1 - (1 - 0.10)(1 - 0.10) = 0.19; 1 - (1 - 0.10)(1 - 0.33) = 0.397.
    check(
        "agent",
        "claude-fable-5-1",
        "claude-sonnet-5-5",
        "0.1900 ess 15 prior: top->opus then opus->sonnet steps, agent",
    );
    check(
        "agent",
        "claude-mythos-5",
        "claude-haiku-4-5",
        "0.3970 ess 15 prior: top->opus then opus->haiku steps, agent",
    );
}

#[test]
fn beta_parameters_come_from_mean_and_ess() {
    let catalog = catalog();
    let p = Priors::builtin().prior(
        TaskClass::Extraction,
        &model(&catalog, "claude-opus-4-5"),
        &model(&catalog, "claude-sonnet-4-5"),
    );
    assert!((p.a0() - 0.6).abs() < 1e-12 && (p.b0() - 9.4).abs() < 1e-12);
}

/// Every ordered pair of catalog models, every class: a probability, at least the class floor
/// (one documented exception), and composition never below its parts.
#[test]
fn every_catalog_pair_has_a_sane_prior() {
    let catalog = catalog();
    let priors = Priors::builtin();
    let models: Vec<_> = catalog.iter().map(|m| m.model_ref()).collect();
    let mut below_floor = Vec::new();
    let mut count = 0;
    for class in TaskClass::ALL {
        let row = &priors.classes[class.index()];
        for from in &models {
            for to in &models {
                let p = priors.prior(class, from, to);
                count += 1;
                assert!(p.mean > 0.0 && p.mean < 1.0);
                assert_eq!(p.source.class(), class);
                if p.mean < row.floor {
                    below_floor.push(p.source.to_string());
                }
            }
        }
    }
    assert_eq!(count, 8 * models.len() * models.len());
    below_floor.sort();
    below_floor.dedup();
    assert!(below_floor.is_empty(), "{below_floor:?}");
}

#[test]
fn floors_follow_from_kappa_and_p_b() {
    let file = &Priors::builtin().file;
    for class in TaskClass::ALL {
        let f = &file.class[class.as_str()].floor;
        let derived = (f.kappa * f.p_b * (1.0 - f.p_b) * 1000.0).round() / 1000.0;
        assert!(
            (f.mean - derived).abs() < 1e-12,
            "{class}: floor {} but kappa × p_b × (1 − p_b) = {derived}",
            f.mean
        );
    }
}

#[test]
fn override_ids_are_canonical_catalog_ids_and_steps_down() {
    let catalog = catalog();
    let priors = Priors::builtin();
    for (_, p) in &priors.pairs {
        let (from, to) = (model(&catalog, &p.from), model(&catalog, &p.to));
        assert!(
            from.family.tier() > to.family.tier()
                || (from.family.tier() == to.family.tier() && from.version > to.version),
            "{} -> {} is not a step down",
            p.from,
            p.to
        );
    }
}

#[test]
fn task_class_parses_the_corpus_spellings() {
    for class in TaskClass::ALL {
        assert_eq!(class.as_str().parse::<TaskClass>(), Ok(class));
        assert_eq!(class.to_string(), class.as_str());
    }
    assert_eq!(TaskClass::from_task(None), Ok(TaskClass::Other));
    assert_eq!(TaskClass::from_task(Some("code")), Ok(TaskClass::Code));
    assert_eq!(
        TaskClass::from_task(Some("Code")),
        Err(QualityError::UnknownTaskClass("Code".into()))
    );
}

#[test]
fn model_ref_rejects_unknown_families_and_bad_versions() {
    let err = ModelRef::new("claude-nova-6", "nova", "6").unwrap_err();
    assert_eq!(
        err.to_string(),
        "model \"claude-nova-6\": unknown family \"nova\"; quality priors know fable, mythos, opus, sonnet and haiku"
    );
    for bad in ["", "4..5", "v4", "4.5.1.2", "4.", "-1", "4.x"] {
        assert!(
            matches!(
                ModelRef::new("claude-opus-4-5", "opus", bad),
                Err(QualityError::BadVersion { .. })
            ),
            "{bad:?} should be rejected"
        );
    }
    assert!(ModelRef::new("claude-opus-4-5", "opus", "4.5.1").is_ok());
}

#[test]
fn versions_compare_numerically() {
    let v = |s| Version::parse(s).unwrap();
    assert!(v("3.7") < v("4") && v("4") < v("4.5") && v("4.5") < v("4.6"));
    assert!(v("4.6") < v("4.10") && v("4.10") < v("5") && v("5") < v("5.5"));
    assert_eq!(v("5"), v("5.0"));
    assert_eq!(v("5.5").major(), 5);
}

/// Replaces `from` (which must occur) in the built-in file and returns the parse error.
fn broken(from: &str, to: &str) -> String {
    assert!(BUILTIN_PRIORS.contains(from), "{from:?} not in the file");
    Priors::parse(&BUILTIN_PRIORS.replacen(from, to, 1), "test.toml")
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_files_are_rejected_with_where() {
    let cases = [
        (
            "mean = 0.014\n",
            "mean = 0.0\n",
            "test.toml: [class.classification.floor] mean: 0 is not strictly between 0 and 1",
        ),
        (
            "class = \"chat\"\nfrom = \"claude-opus-4-6\"",
            "class = \"chatter\"\nfrom = \"claude-opus-4-6\"",
            "test.toml: [[pair]] #1 (chatter claude-opus-4-6 -> claude-sonnet-4-6): unknown task class \"chatter\"; expected one of classification, extraction, summarization, chat, code, reasoning, agent, other",
        ),
        (
            "sources = [\"S18\"]\ndate = \"2026-11\"\nnote = \"the note does not",
            "sources = [\"S99\"]\ndate = \"2026-11\"\nnote = \"the note does not",
            "test.toml: [[pair]] #1 (chat claude-opus-4-6 -> claude-sonnet-4-6) sources: \"S99\" is not in [sources]",
        ),
        (
            "to = \"claude-sonnet-4-6\"",
            "to = \"claude-opus-4-6\"",
            "test.toml: [[pair]] #1 (chat claude-opus-4-6 -> claude-opus-4-6): from and to are the same model",
        ),
        (
            "from_major = 5\nto_major = 4",
            "from_major = 4\nto_major = 5",
            "test.toml: [[generation]] #1 (code): from_major must be above to_major",
        ),
        (
            "schema = \"tokensim.quality-priors/1\"",
            "schema = \"tokensim.quality-priors/2\"",
            "test.toml: schema \"tokensim.quality-priors/2\" is not \"tokensim.quality-priors/1\"",
        ),
    ];
    for (from, to, expect) in cases {
        assert_eq!(broken(from, to), expect);
    }
    let unknown_key = broken("ess = 14\n", "ess = 14\nweight = 2\n");
    assert!(
        unknown_key.starts_with("test.toml: ") && unknown_key.contains("unknown field `weight`"),
        "{unknown_key}"
    );
}

#[test]
fn duplicate_pairs_are_rejected() {
    let first = "[[pair]]\nclass = \"chat\"";
    let text = format!(
        "{BUILTIN_PRIORS}\n[[pair]]\nclass = \"chat\"\nfrom = \"claude-opus-4-6\"\nto = \"claude-sonnet-4-6\"\nmean = 0.1\nbasis = \"derived\"\nbenchmarks = []\nsources = []\ndate = \"2026-11\"\n"
    );
    assert!(BUILTIN_PRIORS.contains(first));
    let err = Priors::parse(&text, "test.toml").unwrap_err().to_string();
    assert_eq!(
        err,
        "test.toml: [[pair]] #10 (chat claude-opus-4-6 -> claude-sonnet-4-6): repeats [[pair]] #1"
    );
}

fn pct(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

fn basis(b: Basis) -> &'static str {
    match b {
        Basis::Derived => "derived",
        Basis::Measured => "measured",
        Basis::Assumption => "assumption",
    }
}

/// The tables of `docs/quality-risk.md`, rendered from the parsed file.
#[test]
fn doc_tables_match_priors_toml() {
    let priors = Priors::builtin();
    let file = &priors.file;

    let mut steps = String::from(
        "| class | floor | top->opus | opus->sonnet | sonnet->haiku | opus->haiku | newer->older | top->sonnet | top->haiku | ESS |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for class in TaskClass::ALL {
        let row = &priors.classes[class.index()];
        let s = |step: Step| row.steps[step.index()];
        let compose = |p: f64, q: f64| 1.0 - (1.0 - p) * (1.0 - q);
        let mut line = format!("| {class} | {} |", pct(row.floor));
        for step in [
            Step::TopOpus,
            Step::OpusSonnet,
            Step::SonnetHaiku,
            Step::OpusHaiku,
            Step::NewerOlder,
        ] {
            write!(line, " {} |", pct(s(step))).unwrap();
        }
        write!(
            line,
            " {} | {} | {} |",
            pct(compose(s(Step::TopOpus), s(Step::OpusSonnet))),
            pct(compose(s(Step::TopOpus), s(Step::OpusHaiku))),
            row.ess
        )
        .unwrap();
        steps.push_str(&line);
        steps.push('\n');
    }

    let mut cells = String::from(
        "| class | cell | mean | basis | benchmarks | sources | date |\n|---|---|---|---|---|---|---|\n",
    );
    for class in TaskClass::ALL {
        let entry = &file.class[class.as_str()];
        let f = &entry.floor;
        writeln!(
            cells,
            "| {class} | floor | {} | {} | {} | {} | {} |",
            pct(f.mean),
            basis(f.basis),
            f.benchmarks.join("; "),
            f.sources.join(", "),
            f.date
        )
        .unwrap();
        for (step, key) in Step::ALL.iter().zip(STEP_KEYS) {
            let c = entry.cell(*step);
            writeln!(
                cells,
                "| {class} | {key} | {} | {} | {} | {} | {} |",
                pct(c.mean),
                basis(c.basis),
                c.benchmarks.join("; "),
                c.sources.join(", "),
                c.date
            )
            .unwrap();
        }
    }

    let mut pairs = String::from(
        "| class | from | to | mean | ESS | basis | benchmarks | sources |\n|---|---|---|---|---|---|---|---|\n",
    );
    for (class, p) in &priors.pairs {
        writeln!(
            pairs,
            "| {class} | `{}` | `{}` | {} | {} | {} | {} | {} |",
            p.from,
            p.to,
            pct(p.mean),
            priors.classes[class.index()].ess,
            basis(p.basis),
            p.benchmarks.join("; "),
            p.sources.join(", ")
        )
        .unwrap();
    }

    let mut rules = String::from(
        "| class | from version | to version | mean | ESS | basis | benchmarks | sources |\n|---|---|---|---|---|---|---|---|\n",
    );
    for (class, g) in &priors.generations {
        writeln!(
            rules,
            "| {class} | {}.x | {}.x | {} | {} | {} | {} | {} |",
            g.from_major,
            g.to_major,
            pct(g.mean),
            priors.classes[class.index()].ess,
            basis(g.basis),
            g.benchmarks.join("; "),
            g.sources.join(", ")
        )
        .unwrap();
    }

    // S1, S2, ..., S10: by number, not as strings.
    let mut ids: Vec<_> = file.sources.iter().collect();
    ids.sort_by_key(|(id, _)| (id.len(), id.as_str()));
    let mut sources = String::new();
    for (id, text) in ids {
        // `<model>` would read as an HTML tag.
        let text = text.replace('<', "&lt;").replace('>', "&gt;");
        writeln!(sources, "- [{id}] {text}").unwrap();
    }
    ensure_blocks(&[
        ("step table", &steps),
        ("pair overrides", &pairs),
        ("generation rules", &rules),
        ("cell sources", &cells),
        ("sources", &sources),
    ]);
}
