//! FOCUS export tests: the real engine replays small corpora, then the CSV is checked against
//! the report built from the same outcome (exact pico-dollar sums), against a hand-computed
//! file, and against docs/focus.md.

use std::collections::BTreeMap;
use std::io::Write as _;

use tokensim_engine::{replay, summarize, ReplayConfig, ReplayOutcome, Sink};
use tokensim_pricing::{Catalog, PicoUsd, BUILTIN_CATALOG};
use tokensim_report::{Report, RowKey, UNATTRIBUTED};
use tokensim_strategy::scenario::{parse_scenario, Scenario};

use super::*;

struct Quiet;
impl Sink for Quiet {}

const BATCH_ASYNC: &str = r#"
name = "batch-async"
description = "Send non-streaming calls labelled async to the Batch API."
[batch]
allow_interactive = false
[[batch.eligible]]
when = { latency_class = "async", stream = false }
"#;

const ROUTE_HAIKU: &str = r#"
name = "route-haiku"
description = "Route classification and extraction calls to Haiku 5.5."
[[route.rule]]
when = { task = ["classification", "extraction"] }
to = "claude-haiku-5-5"
"#;

fn scenario(text: &str, catalog: &Catalog) -> Scenario {
    parse_scenario("test.toml", text, catalog, &mut |_, _| {
        Err("no extends in tests".to_string())
    })
    .unwrap()
}

fn run(
    lines: &[String],
    scenarios: &[Scenario],
    catalog: &Catalog,
    threads: usize,
) -> ReplayOutcome {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corpus.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
    drop(f);
    let cfg = ReplayConfig {
        corpus: vec![path],
        threads: Some(threads),
        scenarios: scenarios.to_vec(),
        ..ReplayConfig::default()
    };
    replay(&cfg, catalog, &mut Quiet).unwrap()
}

fn focus(out: &ReplayOutcome, catalog: &Catalog, names: &[String]) -> (String, FocusSummary) {
    let mut buf = Vec::new();
    let summary = write_focus(out, catalog, names, &mut buf).unwrap();
    (String::from_utf8(buf).unwrap(), summary)
}

fn names(scenarios: &[Scenario]) -> Vec<String> {
    scenarios.iter().map(|s| s.name.clone()).collect()
}

fn report(out: &ReplayOutcome, catalog: &Catalog, scenarios: &[Scenario]) -> Report {
    let with_digest: Vec<(Scenario, String)> = scenarios
        .iter()
        .map(|s| (s.clone(), String::new()))
        .collect();
    summarize(out, catalog, &with_digest, None, "test")
}

/// Parses RFC 4180 CSV (quoted fields, doubled quotes, `\n` line ends).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "the file ends with a line break"
    );
    rows
}

/// The data rows as column name -> value.
fn records(text: &str) -> Vec<BTreeMap<String, String>> {
    let rows = parse_csv(text);
    let header = &rows[0];
    assert_eq!(header.len(), FOCUS_COLUMNS.len());
    rows[1..]
        .iter()
        .map(|r| {
            assert_eq!(r.len(), header.len(), "every row has every column: {r:?}");
            header.iter().cloned().zip(r.iter().cloned()).collect()
        })
        .collect()
}

/// An exact decimal as an integer count of 10^-scale (fails on more decimals than `scale`).
fn fixed(s: &str, scale: u32) -> i128 {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    assert!(
        frac.len() as u32 <= scale,
        "{s} has more than {scale} decimals"
    );
    let padded = format!("{frac:0<width$}", width = scale as usize);
    let v: i128 = format!("{}{padded}", int.trim_start_matches('-'))
        .parse()
        .unwrap();
    if int.starts_with('-') {
        -v
    } else {
        v
    }
}

fn money(s: &str) -> PicoUsd {
    PicoUsd(fixed(s, 12))
}

/// A record of the generated corpus: varied workloads (one feature needs CSV quoting), models,
/// days across a month end and a price change, tiers, cache classes, web search, residency and
/// a long prompt.
fn generated(i: u64) -> String {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5DEE_CE66;
    let mut next = |n: u64| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) % n
    };
    let days = ["2026-09-30", "2026-10-07", "2026-10-08"];
    let models = [
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
        "claude-sonnet-5-5",
        "claude-opus-4-1",
    ];
    let teams = [Some("search"), Some("ops"), None];
    let apps = [Some("web"), None];
    let features = [Some("answer"), Some("a,b \"quoted\""), None];
    let tasks = ["classification", "chat", "extraction", "code"];
    let mut r = serde_json::json!({
        "ts": format!("{}T{:02}:{:02}:00Z", days[next(3) as usize], next(24), next(60)),
        "model": models[next(4) as usize],
        "task": tasks[next(4) as usize],
        "stream": next(2) == 0,
        "latency_class": if next(2) == 0 { "async" } else { "interactive" },
    });
    let o = r.as_object_mut().unwrap();
    for (k, v) in [
        ("team", teams[next(3) as usize]),
        ("app", apps[next(2) as usize]),
        ("feature", features[next(3) as usize]),
    ] {
        if let Some(v) = v {
            o.insert(k.into(), v.into());
        }
    }
    if next(4) == 0 {
        o.insert("service_tier".into(), "batch".into());
    }
    if next(5) == 0 {
        o.insert("inference_geo".into(), "us".into());
    }
    let w5 = if next(3) == 0 { next(5_000) } else { 0 };
    let w1 = if next(4) == 0 { next(3_000) } else { 0 };
    let input = if next(20) == 0 { 250_000 } else { next(20_000) };
    o.insert(
        "usage".into(),
        serde_json::json!({
            "input_tokens": input,
            "output_tokens": next(4_000),
            "cache_creation_input_tokens": w5 + w1,
            "cache_read_input_tokens": if next(2) == 0 { next(30_000) } else { 0 },
            "cache_creation": {"ephemeral_5m_input_tokens": w5, "ephemeral_1h_input_tokens": w1},
            "server_tool_use": {"web_search_requests": if next(6) == 0 { next(5) } else { 0 }},
        }),
    );
    r.to_string()
}

fn generated_corpus() -> Vec<String> {
    (0..240).map(generated).collect()
}

#[test]
fn the_header_is_the_documented_column_list() {
    let catalog = Catalog::builtin();
    let out = run(&[], &[], &catalog, 1);
    let (csv, summary) = focus(&out, &catalog, &[]);
    let expected = "BilledCost,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,ChargeCategory,\
ChargeClass,ChargeDescription,ChargeFrequency,ChargePeriodEnd,ChargePeriodStart,ConsumedQuantity,\
ConsumedUnit,ContractedCost,ContractedUnitPrice,EffectiveCost,InvoiceIssuerName,ListCost,\
ListUnitPrice,PricingQuantity,PricingUnit,ProviderName,PublisherName,ServiceCategory,ServiceName,\
ServiceSubcategory,SkuId,SkuPriceId,Tags,x_ScenarioId,x_TokenDirection,x_CacheAction,\
x_ServiceTier,x_PriceEffectiveFrom\n";
    assert_eq!(csv, expected);
    assert_eq!(summary.rows, 0);
    assert_eq!(
        summary.billed_total_per_scenario,
        vec![(BASELINE_SCENARIO_ID.to_string(), PicoUsd::ZERO)]
    );
    // Every column has its row in the column table of docs/focus.md.
    let doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/focus.md"));
    for c in FOCUS_COLUMNS {
        assert!(
            doc.lines().any(|l| l.starts_with(&format!("| `{c}` |"))),
            "docs/focus.md does not document {c}"
        );
    }
}

/// Two calls and a batch scenario, every value computed by hand from the published prices:
/// Sonnet 4.5 $3 input, $3.75 5-minute write, $0.30 read, $15 output; Haiku 4.5 $1 input and
/// $5 output, half price in batch; web search $10 per 1,000.
#[test]
fn a_small_corpus_gives_the_hand_computed_file() {
    let catalog = Catalog::builtin();
    let lines = [
        r#"{"ts":"2026-10-01T10:00:00Z","model":"claude-sonnet-4-5","team":"search","app":"web","feature":"answer","service_tier":"standard","stream":false,"latency_class":"async","usage":{"input_tokens":1000,"output_tokens":500,"cache_creation_input_tokens":2000,"cache_read_input_tokens":4000}}"#.to_string(),
        r#"{"ts":"2026-10-02T08:00:00Z","model":"claude-haiku-4-5","team":"ops","service_tier":"batch","usage":{"input_tokens":10000,"output_tokens":2000,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"server_tool_use":{"web_search_requests":3}}}"#.to_string(),
    ];
    let scenarios = [scenario(BATCH_ASYNC, &catalog)];
    let out = run(&lines, &scenarios, &catalog, 1);
    let (csv, summary) = focus(&out, &catalog, &names(&scenarios));

    let oct1 = "2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,Usage";
    let day1 = "Usage-Based,2026-10-02T00:00:00Z,2026-10-01T00:00:00Z";
    let day2 = "Usage-Based,2026-10-03T00:00:00Z,2026-10-02T00:00:00Z";
    let tail = "Anthropic,Anthropic,AI and Machine Learning,Claude API,Generative AI";
    let search = r#""{""team"":""search"",""app"":""web"",""feature"":""answer""}""#;
    let ops = r#""{""team"":""ops""}""#;
    let sonnet = |scenario: &str, tier: &str, halve: bool| {
        let b = |full: &str, half: &str| {
            if halve {
                half.to_string()
            } else {
                full.to_string()
            }
        };
        [
            format!("{},USD,{oct1},,Claude Sonnet 4.5 input tokens,{day1},1000,Tokens,0.003000000000,3.000000000000,{},Anthropic,0.003000000000,3.000000000000,0.001000,1000000 Tokens,{tail},claude-sonnet-4-5/input,claude-sonnet-4-5/input/standard,{search},{scenario},input,none,{tier},2025-09-29",
                b("0.003000000000", "0.001500000000"), b("0.003000000000", "0.001500000000")),
            format!("{},USD,{oct1},,Claude Sonnet 4.5 5-minute cache write tokens,{day1},2000,Tokens,0.007500000000,3.750000000000,{},Anthropic,0.007500000000,3.750000000000,0.002000,1000000 Tokens,{tail},claude-sonnet-4-5/cache_write_5m,claude-sonnet-4-5/cache_write_5m/standard,{search},{scenario},input,write_5m,{tier},2025-09-29",
                b("0.007500000000", "0.003750000000"), b("0.007500000000", "0.003750000000")),
            format!("{},USD,{oct1},,Claude Sonnet 4.5 cache read tokens,{day1},4000,Tokens,0.001200000000,0.300000000000,{},Anthropic,0.001200000000,0.300000000000,0.004000,1000000 Tokens,{tail},claude-sonnet-4-5/cache_read,claude-sonnet-4-5/cache_read/standard,{search},{scenario},input,read,{tier},2025-09-29",
                b("0.001200000000", "0.000600000000"), b("0.001200000000", "0.000600000000")),
            format!("{},USD,{oct1},,Claude Sonnet 4.5 output tokens,{day1},500,Tokens,0.007500000000,15.000000000000,{},Anthropic,0.007500000000,15.000000000000,0.000500,1000000 Tokens,{tail},claude-sonnet-4-5/output,claude-sonnet-4-5/output/standard,{search},{scenario},output,none,{tier},2025-09-29",
                b("0.007500000000", "0.003750000000"), b("0.007500000000", "0.003750000000")),
        ]
    };
    let haiku = |scenario: &str| {
        [
            format!("0.005000000000,USD,{oct1},,Claude Haiku 4.5 input tokens,{day2},10000,Tokens,0.010000000000,1.000000000000,0.005000000000,Anthropic,0.010000000000,1.000000000000,0.010000,1000000 Tokens,{tail},claude-haiku-4-5/input,claude-haiku-4-5/input/standard,{ops},{scenario},input,none,batch,2025-10-15"),
            format!("0.005000000000,USD,{oct1},,Claude Haiku 4.5 output tokens,{day2},2000,Tokens,0.010000000000,5.000000000000,0.005000000000,Anthropic,0.010000000000,5.000000000000,0.002000,1000000 Tokens,{tail},claude-haiku-4-5/output,claude-haiku-4-5/output/standard,{ops},{scenario},output,none,batch,2025-10-15"),
            format!("0.030000000000,USD,{oct1},,Claude Haiku 4.5 web search requests,{day2},3,Requests,0.030000000000,10.000000000000,0.030000000000,Anthropic,0.030000000000,10.000000000000,0.003,1000 Requests,{tail},claude-haiku-4-5/web_search,claude-haiku-4-5/web_search/standard,{ops},{scenario},,,batch,"),
        ]
    };
    let mut expected = focus_header();
    expected.push('\n');
    for l in sonnet("baseline", "standard", false)
        .into_iter()
        .chain(haiku("baseline"))
        .chain(sonnet("batch-async", "batch", true))
        .chain(haiku("batch-async"))
    {
        expected.push_str(&l);
        expected.push('\n');
    }
    assert_eq!(csv, expected);
    assert_eq!(summary.rows, 14);
    // Baseline: 0.0192 + 0.04; batch-async: 0.0096 + 0.04.
    assert_eq!(
        summary.billed_total_per_scenario,
        vec![
            ("baseline".to_string(), money("0.059200000000")),
            ("batch-async".to_string(), money("0.049600000000")),
        ]
    );
}

/// Sums of one column per group, exactly.
fn sum_by<K: Ord>(
    rows: &[BTreeMap<String, String>],
    key: impl Fn(&BTreeMap<String, String>) -> K,
    value: impl Fn(&BTreeMap<String, String>) -> i128,
) -> BTreeMap<K, i128> {
    let mut m = BTreeMap::new();
    for r in rows {
        *m.entry(key(r)).or_insert(0) += value(r);
    }
    m
}

/// The report's workload label parts from a row's Tags (a missing tag reads "unattributed").
fn workload_of(r: &BTreeMap<String, String>) -> (String, String, String) {
    let tags: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&r["Tags"]).unwrap();
    let part = |k: &str| {
        tags.get(k)
            .map(|v| v.as_str().unwrap().to_string())
            .unwrap_or_else(|| UNATTRIBUTED.to_string())
    };
    (part("team"), part("app"), part("feature"))
}

fn key_of(k: &RowKey) -> (String, String, String) {
    let p = |p: &Option<String>| p.clone().unwrap();
    (p(&k.team), p(&k.app), p(&k.feature))
}

fn class_sums(t: &TokenSums) -> BTreeMap<String, i128> {
    TokenClass::ALL
        .iter()
        .map(|c| (c.id().to_string(), i128::try_from(c.quantity(t)).unwrap()))
        .filter(|(_, q)| *q != 0)
        .collect()
}

#[test]
fn rows_add_up_to_the_report_exactly() {
    let catalog = Catalog::builtin();
    let scenarios = [
        scenario(BATCH_ASYNC, &catalog),
        scenario(ROUTE_HAIKU, &catalog),
    ];
    let out = run(&generated_corpus(), &scenarios, &catalog, 4);
    let report = report(&out, &catalog, &scenarios);
    let (csv, summary) = focus(&out, &catalog, &names(&scenarios));
    let rows = records(&csv);
    assert_eq!(rows.len() as u64, summary.rows);
    assert!(rows.len() > 100, "the corpus exercises many rows");

    let billed = |r: &BTreeMap<String, String>| money(&r["BilledCost"]).0;
    let scen = |r: &BTreeMap<String, String>| r["x_ScenarioId"].clone();
    let by_scenario = sum_by(&rows, scen, billed);

    // Totals: the baseline's recorded total, each scenario's total.
    let mut want = BTreeMap::new();
    want.insert("baseline".to_string(), report.totals.recorded.total.0 .0);
    for s in &report.scenarios {
        want.insert(s.name.clone(), s.totals.cost.total.0 .0);
    }
    assert_eq!(by_scenario, want);
    let from_summary: BTreeMap<String, i128> = summary
        .billed_total_per_scenario
        .iter()
        .map(|(n, p)| (n.clone(), p.0))
        .collect();
    assert_eq!(from_summary, want);
    // EffectiveCost is BilledCost.
    assert!(rows.iter().all(|r| r["EffectiveCost"] == r["BilledCost"]));

    // Per workload.
    let by_workload = sum_by(&rows, |r| (scen(r), workload_of(r)), billed);
    let mut want = BTreeMap::new();
    for w in &report.by_workload {
        want.insert(
            ("baseline".to_string(), key_of(&w.key)),
            w.recorded.total.0 .0,
        );
    }
    for s in &report.scenarios {
        for w in &s.by_workload {
            want.insert((s.name.clone(), key_of(&w.key)), w.cost.total.0 .0);
        }
    }
    assert_eq!(by_workload, want);
    // A feature with a comma and quotes made it through CSV and JSON.
    assert!(want.keys().any(|(_, (_, _, f))| f == "a,b \"quoted\""));

    // Per model (the SkuId's first part) and per day.
    let model_of = |r: &BTreeMap<String, String>| r["SkuId"].split('/').next().unwrap().to_string();
    let by_model = sum_by(&rows, |r| (scen(r), model_of(r)), billed);
    let mut want = BTreeMap::new();
    for m in &report.by_model {
        want.insert(
            ("baseline".to_string(), m.key.model.clone().unwrap()),
            m.recorded.total.0 .0,
        );
    }
    for s in &report.scenarios {
        for m in &s.by_model {
            want.insert(
                (s.name.clone(), m.key.model.clone().unwrap()),
                m.cost.total.0 .0,
            );
        }
    }
    assert_eq!(by_model, want);
    let day_of = |r: &BTreeMap<String, String>| r["ChargePeriodStart"][..10].to_string();
    let by_day = sum_by(&rows, |r| (scen(r), day_of(r)), billed);
    let mut want = BTreeMap::new();
    for d in &report.by_day {
        want.insert(
            ("baseline".to_string(), d.key.day.clone().unwrap()),
            d.recorded.total.0 .0,
        );
    }
    for s in &report.scenarios {
        for d in &s.by_day {
            want.insert(
                (s.name.clone(), d.key.day.clone().unwrap()),
                d.cost.total.0 .0,
            );
        }
    }
    assert_eq!(by_day, want);

    // ConsumedQuantity by class adds up to the token totals; BilledCost by class to the cost
    // components.
    let class_of = |r: &BTreeMap<String, String>| r["SkuId"].split('/').nth(1).unwrap().to_string();
    let consumed = |r: &BTreeMap<String, String>| fixed(&r["ConsumedQuantity"], 0);
    for (name, tokens, cost) in std::iter::once((
        "baseline".to_string(),
        report.totals.tokens,
        &report.totals.recorded,
    ))
    .chain(
        report
            .scenarios
            .iter()
            .map(|s| (s.name.clone(), s.totals.tokens, &s.totals.cost)),
    ) {
        let mine: Vec<_> = rows
            .iter()
            .filter(|r| r["x_ScenarioId"] == name)
            .cloned()
            .collect();
        assert_eq!(
            sum_by(&mine, class_of, consumed),
            class_sums(&tokens),
            "{name}"
        );
        let by_class = sum_by(&mine, class_of, billed);
        let get = |c: &str| by_class.get(c).copied().unwrap_or(0);
        assert_eq!(get("input"), cost.input.0 .0);
        assert_eq!(get("cache_write_5m"), cost.cache_write_5m.0 .0);
        assert_eq!(get("cache_write_1h"), cost.cache_write_1h.0 .0);
        assert_eq!(get("cache_read"), cost.cache_read.0 .0);
        assert_eq!(get("output"), cost.output.0 .0);
        assert_eq!(get("web_search"), cost.web_search.0 .0);
    }
    // The route scenario served some calls on Haiku 5.5, whose rows carry its price row.
    assert!(rows.iter().any(|r| r["x_ScenarioId"] == "route-haiku"
        && r["SkuId"].starts_with("claude-haiku-5-5/")
        && r["x_PriceEffectiveFrom"] == "2026-10-07"));
}

#[test]
fn unit_prices_times_quantities_are_the_costs_on_every_row() {
    let catalog = Catalog::builtin();
    let scenarios = [
        scenario(BATCH_ASYNC, &catalog),
        scenario(ROUTE_HAIKU, &catalog),
    ];
    let out = run(&generated_corpus(), &scenarios, &catalog, 2);
    let (csv, _) = focus(&out, &catalog, &names(&scenarios));
    for r in records(&csv) {
        let (scale, per_unit) = match r["PricingUnit"].as_str() {
            "1000000 Tokens" => (6, 1_000_000),
            "1000 Requests" => (3, 1_000),
            other => panic!("unexpected PricingUnit {other}"),
        };
        let pq = fixed(&r["PricingQuantity"], scale);
        assert_eq!(
            pq,
            fixed(&r["ConsumedQuantity"], 0) * (per_unit / 10i128.pow(scale))
        );
        // unit price (pico) x quantity (10^-scale units) / 10^scale = cost (pico), exactly.
        for (price, cost) in [
            ("ListUnitPrice", "ListCost"),
            ("ContractedUnitPrice", "ContractedCost"),
        ] {
            let product = money(&r[price]).0 * pq;
            assert_eq!(product % 10i128.pow(scale), 0);
            assert_eq!(product / 10i128.pow(scale), money(&r[cost]).0, "{r:?}");
        }
        // No overlay: contracted is list.
        assert_eq!(r["ContractedCost"], r["ListCost"]);
        // Fixed values.
        for (c, v) in [
            ("BillingCurrency", "USD"),
            ("ChargeCategory", "Usage"),
            ("ChargeClass", ""),
            ("ChargeFrequency", "Usage-Based"),
            ("ServiceCategory", "AI and Machine Learning"),
            ("ServiceSubcategory", "Generative AI"),
            ("ServiceName", "Claude API"),
            ("ProviderName", "Anthropic"),
            ("PublisherName", "Anthropic"),
            ("InvoiceIssuerName", "Anthropic"),
        ] {
            assert_eq!(r[c], v);
        }
        assert_eq!(r["SkuPriceId"], format!("{}/standard", r["SkuId"]));
        assert!(!(fixed(&r["ConsumedQuantity"], 0) == 0 && money(&r["BilledCost"]).0 == 0));
        // The charge period is one UTC day inside its billing month.
        assert!(r["ChargePeriodStart"].ends_with("T00:00:00Z"));
        assert!(r["BillingPeriodStart"] <= r["ChargePeriodStart"]);
        assert!(r["ChargePeriodEnd"] <= r["BillingPeriodEnd"]);
    }
}

#[test]
fn the_file_is_byte_identical_whatever_the_thread_count() {
    let catalog = Catalog::builtin();
    let scenarios = [
        scenario(BATCH_ASYNC, &catalog),
        scenario(ROUTE_HAIKU, &catalog),
    ];
    let corpus = generated_corpus();
    let one = focus(
        &run(&corpus, &scenarios, &catalog, 1),
        &catalog,
        &names(&scenarios),
    );
    let out = run(&corpus, &scenarios, &catalog, 4);
    let again = focus(&out, &catalog, &names(&scenarios));
    assert_eq!(one, again);
    assert_eq!(focus(&out, &catalog, &names(&scenarios)), again);
}

#[test]
fn an_overlay_discount_is_the_contracted_price_and_list_stays_published() {
    let overlay =
        "name = \"acme\"\n[[discount]]\nmodel = \"claude-sonnet-4-5\"\npercent = \"10\"\n";
    let catalog =
        Catalog::parse(BUILTIN_CATALOG, "built-in", Some(("acme.toml", overlay))).unwrap();
    let lines = [
        // A standard call, and one above Sonnet 4.5's 200K band (input 250,000).
        r#"{"ts":"2026-10-01T10:00:00Z","model":"claude-sonnet-4-5","usage":{"input_tokens":1000,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"#.to_string(),
        r#"{"ts":"2026-10-02T10:00:00Z","model":"claude-sonnet-4-5","usage":{"input_tokens":250000,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"#.to_string(),
    ];
    let out = run(&lines, &[], &catalog, 1);
    let (csv, summary) = focus(&out, &catalog, &[]);
    let rows = records(&csv);
    assert_eq!(rows.len(), 2);
    let first = &rows[0];
    assert_eq!(first["Tags"], "{}");
    assert_eq!(first["ListUnitPrice"], "3.000000000000");
    assert_eq!(first["ContractedUnitPrice"], "2.700000000000");
    assert_eq!(first["ListCost"], "0.003000000000");
    assert_eq!(first["ContractedCost"], "0.002700000000");
    assert_eq!(first["BilledCost"], "0.002700000000");
    // The long prompt is billed at the band ($6 less 10%), above its list cost at $3.
    let long = &rows[1];
    assert_eq!(long["ListCost"], "0.750000000000");
    assert_eq!(long["ContractedCost"], "0.675000000000");
    assert_eq!(long["BilledCost"], "1.350000000000");
    let report = report(&out, &catalog, &[]);
    assert_eq!(
        summary.billed_total_per_scenario,
        vec![("baseline".to_string(), report.totals.recorded.total.0)]
    );
}

#[test]
fn scenario_names_are_checked_and_extra_indices_skipped() {
    assert!(check_scenario_names(&["a".into(), "b".into()]).is_ok());
    assert!(check_scenario_names(&["baseline".into()]).is_err());
    assert!(check_scenario_names(&["a".into(), "a".into()]).is_err());
    let catalog = Catalog::builtin();
    let scenarios = [scenario(BATCH_ASYNC, &catalog)];
    let out = run(&generated_corpus()[..20], &scenarios, &catalog, 1);
    let err = write_focus(&out, &catalog, &["baseline".to_string()], Vec::new()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    // Without the scenario's name (as for an attribution run's lever subsets), its rows are not
    // written: the file is the baseline's alone.
    let (csv, summary) = focus(&out, &catalog, &[]);
    assert!(records(&csv)
        .iter()
        .all(|r| r["x_ScenarioId"] == "baseline"));
    assert_eq!(summary.billed_total_per_scenario.len(), 1);
}

#[test]
fn decimals_are_exact() {
    assert_eq!(decimal(0, 6), "0.000000");
    assert_eq!(decimal(1_234_567, 6), "1.234567");
    assert_eq!(decimal(3, 3), "0.003");
    assert_eq!(decimal(-5, 3), "-0.005");
    let mut s = String::new();
    push_field(&mut s, "a,\"b\"");
    assert_eq!(s, "\"a,\"\"b\"\"\"");
}
