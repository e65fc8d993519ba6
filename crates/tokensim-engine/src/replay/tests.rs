//! Engine tests: size classes, and the merge invariant (partial results of any split of the
//! corpus add up to one run).

use std::io::Write;

use proptest::prelude::*;

use super::*;

#[test]
fn size_classes_are_left_open_right_closed() {
    let t = [100_000, 200_000];
    assert_eq!(size_class(0, &t), 0);
    assert_eq!(size_class(100_000, &t), 0);
    assert_eq!(size_class(100_001, &t), 1);
    assert_eq!(size_class(200_000, &t), 1);
    assert_eq!(size_class(200_001, &t), 2);
}

#[test]
fn field_kinds_drop_indices() {
    assert_eq!(
        field_kind("prompt.segments[3].tokens"),
        "prompt.segments.tokens"
    );
    assert_eq!(field_kind("usage.input_tokens"), "usage.input_tokens");
}

proptest! {
    /// The counting sort groups equal keys in key order and keeps each key's items in their
    /// order: the same result as a stable sort by key.
    #[test]
    fn group_by_key_is_a_stable_sort_by_key(v in proptest::collection::vec((0usize..7, any::<u32>()), 0..200)) {
        let mut grouped = v.clone();
        group_by_key(&mut grouped, 7, |&(k, _)| k);
        let mut sorted = v;
        sorted.sort_by_key(|&(k, _)| k);
        prop_assert_eq!(grouped, sorted);
    }
}

/// Grouped costs give the same histograms as costs recorded one by one.
#[test]
fn costs_recorded_by_runs_give_the_histograms_of_one_by_one() {
    let costs: Vec<(Option<u32>, u32, PicoUsd)> = (0..500u32)
        .map(|i| {
            let s = (i % 3 != 0).then_some(i % 2);
            (s, i % 5, PicoUsd(i128::from(i) * 7_919_000_000))
        })
        .collect();
    let mut one_by_one = Histograms::default();
    for &(s, w, c) in &costs {
        one_by_one
            .entry((s, w))
            .or_insert_with(new_cost_histogram)
            .saturating_record(micro_usd(c));
    }
    let mut grouped = costs.clone();
    group_by_key(&mut grouped, 3 * 5, |&(s, w, _)| {
        s.map_or(0, |s| s as usize + 1) * 5 + w as usize
    });
    let mut by_runs = Histograms::default();
    record_sorted_costs(&mut by_runs, &grouped, |s, w| (s, w));
    assert_eq!(by_runs.len(), one_by_one.len());
    for (k, h) in &one_by_one {
        assert_eq!(&by_runs[k], h, "{k:?}");
    }
}

struct Quiet;
impl Sink for Quiet {}

fn line(
    i: u64,
    team: &str,
    model: &str,
    input: u64,
    read: u64,
    output: u64,
    batch: bool,
) -> String {
    format!(
        r#"{{"ts":"2026-10-{:02}T{:02}:00:00Z","model":"{model}","team":"{team}","service_tier":"{}","usage":{{"input_tokens":{input},"output_tokens":{output},"cache_creation_input_tokens":0,"cache_read_input_tokens":{read}}}}}"#,
        1 + i % 9,
        i % 24,
        if batch { "batch" } else { "standard" }
    )
}

fn run_files(lines: &[Vec<String>], catalog: &Catalog) -> ReplayOutcome {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (i, part) in lines.iter().enumerate() {
        let p = dir.path().join(format!("part{i}.jsonl"));
        let mut f = std::fs::File::create(&p).unwrap();
        for l in part {
            writeln!(f, "{l}").unwrap();
        }
        paths.push(p);
    }
    let cfg = ReplayConfig {
        owner_tag: None,
        corpus: paths,
        threads: Some(2),
        reference_model: Some("claude-opus-4-1".into()),
        ..ReplayConfig::default()
    };
    replay(&cfg, catalog, &mut Quiet).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any split of a corpus into shards, replayed shard by shard and merged by adding the
    /// accumulators, equals one run over the whole corpus, row by row.
    #[test]
    fn merging_shards_equals_one_run(
        records in prop::collection::vec((0u64..50, 0usize..3, 0usize..4, 0u64..300_000, 0u64..50_000, 0u64..5_000, any::<bool>(), 0usize..3), 1..60)
    ) {
        let catalog = Catalog::builtin();
        let teams = ["a", "b", "c"];
        let models = ["claude-sonnet-4-5", "claude-haiku-5-5", "claude-opus-5-5", "claude-sonnet-5-5"];
        let mut all = Vec::new();
        let mut shards = vec![Vec::new(), Vec::new(), Vec::new()];
        for (i, (t, team, model, input, read, output, batch, shard)) in records.iter().enumerate() {
            let l = line(*t + i as u64, teams[*team], models[*model], *input, *read, *output, *batch);
            all.push(l.clone());
            shards[*shard].push(l);
        }
        // Workload ids are per run: compare rows by the workload itself.
        let named = |o: &ReplayOutcome| -> BTreeMap<(Workload, ModelId, tokensim_corpus::Day), Tally> {
            o.rows.iter().map(|(k, t)| ((o.workloads[k.workload as usize].clone(), k.model, k.day), t.clone())).collect()
        };
        let one = named(&run_files(&[all], &catalog));
        let mut merged: BTreeMap<(Workload, ModelId, tokensim_corpus::Day), Tally> = BTreeMap::new();
        for shard in shards.into_iter().filter(|s| !s.is_empty()) {
            for (k, t) in named(&run_files(&[shard], &catalog)) {
                *merged.entry(k).or_default() += &t;
            }
        }
        prop_assert_eq!(merged, one);
    }

    /// Adding tallies is associative and commutative.
    #[test]
    fn tallies_add_associatively(xs in prop::collection::vec((0u64..1_000_000, 0i128..1_000_000_000_000), 3)) {
        let make = |(n, c): (u64, i128)| {
            let mut t = Tally { requests: n, ..Tally::default() };
            t.tokens.input = u128::from(n) * 7;
            t.cost.input = PicoUsd(c);
            t.reference[1].output = n.into();
            t
        };
        let (a, b, c) = (make(xs[0]), make(xs[1]), make(xs[2]));
        let mut left = a.clone();
        left += &b;
        left += &c;
        let mut bc = b.clone();
        bc += &c;
        let mut right = a.clone();
        right += &bc;
        prop_assert_eq!(&left, &right);
        let mut ba = b.clone();
        ba += &a;
        let mut ab = a.clone();
        ab += &b;
        prop_assert_eq!(ab, ba);
    }
}

/// Which scenarios share a cache replay: equal route, batch and cache levers and context trims;
/// output and thinking caps may differ. The first of a group leads it.
#[test]
fn cache_leaders_are_the_first_scenario_with_the_same_cache_inputs() {
    let catalog = Catalog::builtin();
    let parse = |name: &str, levers: &str| {
        let text = format!("name = \"{name}\"\n{levers}");
        let mut no_parent = |_: &str, _: &str| Err("no parent".to_string());
        tokensim_strategy::scenario::parse_scenario(name, &text, &catalog, &mut no_parent).unwrap()
    };
    let replay = "[cache]\npolicy = \"replay\"\n";
    let caps = "[[caps.max_output]]\nwhen = { task = \"chat\" }\ntokens = 300\n";
    let thinking = "[[caps.thinking_budget]]\nwhen = {}\ntokens = 100\n";
    let trim = "[[caps.context_trim]]\nwhen = {}\ntokens = 3000\n";
    let batch = "[batch]\n[[batch.eligible]]\nwhen = { latency_class = \"async\" }\n";
    let scenarios = [
        parse("caps-only", caps),
        parse("replay", replay),
        parse("replay-caps", &format!("{replay}{caps}")),
        parse("replay-thinking", &format!("{replay}{thinking}")),
        parse("replay-trim", &format!("{replay}{trim}")),
        parse("replay-trim-caps", &format!("{replay}{trim}{caps}")),
        parse("replay-batch", &format!("{replay}{batch}")),
        parse("auto", "[cache]\npolicy = \"auto\"\n"),
        parse("off", "[cache]\npolicy = \"off\"\n"),
    ];
    assert_eq!(
        cache_leaders(&scenarios),
        [
            None,
            None,
            Some(1),
            Some(1),
            None,
            Some(4),
            None,
            None,
            None
        ]
    );
}
