//! The synthetic organization: one [`Spec`] per workload archetype (who sends it, on which
//! models, how often, when, and how it is labelled), plus the public [`ArchetypeInfo`] view the CLI
//! prints. The prompt-shape parameters of each archetype live beside its generator in
//! `workload.rs`; `docs/demo-corpus.md` documents both.

/// Which generator builds an archetype's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Multi-turn chat over a long shared system prompt, 5m breakpoints.
    SupportChat,
    /// Retrieval-augmented QA over large documents, no breakpoints.
    Rag,
    /// Short few-shot classification, no breakpoints.
    Classify,
    /// Nightly summarization burst, real time.
    Nightly,
    /// A small job that already uses the Batch API.
    BatchGrade,
    /// Long tool loops with 1h + 5m breakpoints.
    CodingAgent,
    /// Chat with long pauses between turns, 5m breakpoints.
    Copilot,
    /// US-resident extraction with no prompt segments recorded.
    ContractReview,
    /// Unlabelled scripts with no prompt segments.
    Unattributed,
}

/// When in the day requests (or sessions) start.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Profile {
    /// Relative weight of each UTC hour; the minute within the hour is uniform.
    Hourly(&'static [u32; 24]),
    /// Uniform inside `[start_min, start_min + len_min)` minutes after midnight UTC.
    Window {
        /// Minutes after midnight UTC.
        start_min: u32,
        /// Length of the window in minutes.
        len_min: u32,
    },
}

/// Business hours in UTC: a morning ramp, a plateau 09:00-17:00 with a lunch dip, a quiet night.
pub(crate) const BUSINESS_HOURS: [u32; 24] = [
    2, 2, 2, 2, 2, 3, 5, 9, 14, 16, 17, 17, 15, 16, 17, 16, 14, 11, 8, 6, 5, 4, 3, 2,
];

/// A queue-fed pipeline: work arrives around the clock, about twice as fast in the working day.
pub(crate) const PIPELINE_HOURS: [u32; 24] = [
    5, 5, 5, 5, 5, 5, 6, 7, 9, 10, 10, 10, 10, 10, 10, 10, 9, 8, 7, 6, 6, 5, 5, 5,
];

/// How tags are written: the corpus accepts both forms and reports them alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagForm {
    /// `["k:v", ...]`.
    List,
    /// `{"k": "v", ...}`.
    Object,
}

/// How far down the model ladder an eval goes; selects a column of the quality-prior table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Top tier (Fable) to Opus.
    TopToOpus,
    /// Opus to Sonnet.
    OpusToSonnet,
    /// Sonnet to Haiku.
    SonnetToHaiku,
    /// Opus to Haiku.
    OpusToHaiku,
    /// Same tier, another generation.
    SameTier,
}

/// One eval the organization runs on a share of a workload's records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EvalPath {
    /// The recorded model this eval applies to.
    pub(crate) from: &'static str,
    /// The cheaper model the request was re-run on.
    pub(crate) to: &'static str,
    /// The tier step, for the degradation prior.
    pub(crate) step: Step,
}

/// Share of a routable workload's records that carry `evals`, in basis points (3%).
pub(crate) const EVAL_RATE_BP: u64 = 300;

/// P(degraded) in percent by task class and tier step: the current-generation column of the
/// starting prior table (shared/quality-priors.md section 4). An eval passes with `1 - p`.
pub(crate) fn degraded_pct(task: &str, step: Step) -> u32 {
    let row: [u32; 5] = match task {
        "classification" => [2, 2, 5, 6, 3],
        "extraction" => [2, 3, 5, 5, 4],
        "summarization" => [3, 3, 4, 4, 3],
        "chat" => [4, 5, 13, 17, 4],
        "code" => [4, 7, 12, 14, 6],
        "reasoning" => [6, 9, 16, 20, 10],
        "agent" => [10, 10, 25, 33, 13],
        _ => [5, 8, 14, 18, 8],
    };
    row[match step {
        Step::TopToOpus => 0,
        Step::OpusToSonnet => 1,
        Step::SonnetToHaiku => 2,
        Step::OpusToHaiku => 3,
        Step::SameTier => 4,
    }]
}

/// One archetype of the synthetic organization.
#[derive(Debug)]
pub(crate) struct Spec {
    /// Stable kebab-case name.
    pub(crate) name: &'static str,
    /// `team`, or `None` for unattributed traffic.
    pub(crate) team: Option<&'static str>,
    /// `app`.
    pub(crate) app: Option<&'static str>,
    /// `feature`.
    pub(crate) feature: Option<&'static str>,
    /// The generator.
    pub(crate) kind: Kind,
    /// Canonical model ids with their weight (percent of sessions or requests).
    pub(crate) models: &'static [(&'static str, u32)],
    /// Cache isolation scope; `None` writes no `workspace` (the scope `default`).
    pub(crate) workspace: Option<&'static str>,
    /// `task` label.
    pub(crate) task: Option<&'static str>,
    /// `latency_class` label.
    pub(crate) latency_class: Option<&'static str>,
    /// `service_tier`.
    pub(crate) service_tier: &'static str,
    /// `inference_geo`, when the workload asks for data residency.
    pub(crate) inference_geo: Option<&'static str>,
    /// Share of all requests, in basis points; the table sums to 10,000.
    pub(crate) share_bp: u32,
    /// Volume on Saturday and Sunday relative to the weekly mean; weekdays get
    /// `(7 - 2 * weekend) / 5`, so the weekly mean stays 1.
    pub(crate) weekend_factor: f64,
    /// Arrival times within a day.
    pub(crate) profile: Profile,
    /// How tags are written.
    pub(crate) tag_form: TagForm,
    /// Evals run on a share of this workload's records.
    pub(crate) evals: &'static [EvalPath],
    /// One-line description.
    pub(crate) description: &'static str,
}

/// Canonical model ids the generator writes (each needs a `min_cacheable_tokens` entry).
pub const MODELS: [&str; 7] = [
    "claude-opus-5-5",
    "claude-sonnet-5-5",
    "claude-haiku-5-5",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "claude-opus-4-5",
    "claude-fable-5-1",
];

/// The organization. Order matters only as the last-resort tie-break between equal timestamps.
pub(crate) static ARCHETYPES: [Spec; 9] = [
    Spec {
        name: "support-chat",
        team: Some("customer-support"),
        app: Some("helpdesk"),
        feature: Some("reply"),
        kind: Kind::SupportChat,
        models: &[("claude-sonnet-5-5", 100)],
        workspace: Some("prod"),
        task: Some("chat"),
        latency_class: Some("interactive"),
        service_tier: "standard",
        inference_geo: None,
        share_bp: 2200,
        weekend_factor: 0.6,
        profile: Profile::Hourly(&BUSINESS_HOURS),
        tag_form: TagForm::Object,
        evals: &[EvalPath {
            from: "claude-sonnet-5-5",
            to: "claude-haiku-5-5",
            step: Step::SonnetToHaiku,
        }],
        description: "multi-turn support chat over a shared 3-6K-token system prompt and tools; \
                      5m breakpoints on the system prompt and the last message; caches well",
    },
    Spec {
        name: "rag-answer",
        team: Some("knowledge"),
        app: Some("docs-search"),
        feature: Some("answer"),
        kind: Kind::Rag,
        models: &[("claude-sonnet-4-5", 100)],
        workspace: Some("prod"),
        task: Some("extraction"),
        latency_class: Some("interactive"),
        service_tier: "standard",
        inference_geo: None,
        share_bp: 1000,
        weekend_factor: 0.5,
        profile: Profile::Hourly(&BUSINESS_HOURS),
        tag_form: TagForm::List,
        evals: &[
            EvalPath {
                from: "claude-sonnet-4-5",
                to: "claude-sonnet-5-5",
                step: Step::SameTier,
            },
            EvalPath {
                from: "claude-sonnet-4-5",
                to: "claude-haiku-5-5",
                step: Step::SonnetToHaiku,
            },
        ],
        description: "question answering over large retrieved documents (some > 100K, a few > 200K \
                      input tokens) with follow-ups that resend them; stable instruction prefix \
                      but no cache_control: should cache",
    },
    Spec {
        name: "ticket-classify",
        team: Some("support-ops"),
        app: Some("ticket-router"),
        feature: Some("classify"),
        kind: Kind::Classify,
        models: &[("claude-sonnet-4-5", 100)],
        workspace: Some("prod"),
        task: Some("classification"),
        latency_class: Some("async"),
        service_tier: "standard",
        inference_geo: None,
        share_bp: 3000,
        weekend_factor: 0.7,
        profile: Profile::Hourly(&PIPELINE_HOURS),
        tag_form: TagForm::List,
        evals: &[
            EvalPath {
                from: "claude-sonnet-4-5",
                to: "claude-haiku-4-5",
                step: Step::SonnetToHaiku,
            },
            EvalPath {
                from: "claude-sonnet-4-5",
                to: "claude-haiku-5-5",
                step: Step::SonnetToHaiku,
            },
        ],
        description: "high-volume ticket classification: stable few-shot prompt, short items, \
                      tiny outputs, no caching; a routing candidate (Haiku)",
    },
    Spec {
        name: "nightly-digest",
        team: Some("customer-insights"),
        app: Some("call-digest"),
        feature: Some("summarize"),
        kind: Kind::Nightly,
        models: &[("claude-sonnet-5-5", 100)],
        workspace: Some("prod"),
        task: Some("summarization"),
        latency_class: Some("async"),
        service_tier: "standard",
        inference_geo: None,
        share_bp: 800,
        weekend_factor: 0.7,
        profile: Profile::Window {
            start_min: 120,
            len_min: 60,
        },
        tag_form: TagForm::Object,
        evals: &[EvalPath {
            from: "claude-sonnet-5-5",
            to: "claude-haiku-5-5",
            step: Step::SonnetToHaiku,
        }],
        description: "nightly summarization of the day's call transcripts, 02:00-03:00 UTC, \
                      real time and non-streaming although nobody waits: a batch candidate",
    },
    Spec {
        name: "eval-grade-batch",
        team: Some("ml-platform"),
        app: Some("eval-harness"),
        feature: Some("grade"),
        kind: Kind::BatchGrade,
        models: &[("claude-opus-5-5", 100)],
        workspace: Some("prod"),
        task: Some("classification"),
        latency_class: Some("async"),
        service_tier: "batch",
        inference_geo: None,
        share_bp: 200,
        weekend_factor: 0.3,
        profile: Profile::Window {
            start_min: 60,
            len_min: 10,
        },
        tag_form: TagForm::List,
        evals: &[],
        description: "regression-suite grading submitted through the Batch API at 01:00 UTC \
                      (service_tier batch); a rubric with a 5m breakpoint that batch latency defeats",
    },
    Spec {
        name: "coding-agent",
        team: Some("engineering"),
        app: Some("code-agent"),
        feature: Some("agent-loop"),
        kind: Kind::CodingAgent,
        models: &[("claude-opus-5-5", 70), ("claude-sonnet-5-5", 30)],
        workspace: Some("eng"),
        task: Some("agent"),
        latency_class: Some("interactive"),
        service_tier: "standard",
        inference_geo: None,
        share_bp: 1800,
        weekend_factor: 0.3,
        profile: Profile::Hourly(&BUSINESS_HOURS),
        tag_form: TagForm::List,
        evals: &[
            EvalPath {
                from: "claude-opus-5-5",
                to: "claude-sonnet-5-5",
                step: Step::OpusToSonnet,
            },
            EvalPath {
                from: "claude-opus-5-5",
                to: "claude-haiku-5-5",
                step: Step::OpusToHaiku,
            },
            EvalPath {
                from: "claude-sonnet-5-5",
                to: "claude-haiku-5-5",
                step: Step::SonnetToHaiku,
            },
        ],
        description: "coding-agent sessions: long tool loops over a growing context, 1h breakpoint \
                      on tools+system and 5m on the latest turn, some web searches",
    },
    Spec {
        name: "internal-copilot",
        team: Some("workplace"),
        app: Some("copilot"),
        feature: Some("assist"),
        kind: Kind::Copilot,
        models: &[
            ("claude-sonnet-5-5", 50),
            ("claude-haiku-4-5", 25),
            ("claude-haiku-5-5", 10),
            ("claude-opus-4-5", 15),
        ],
        workspace: Some("internal"),
        task: Some("chat"),
        latency_class: Some("interactive"),
        service_tier: "standard",
        inference_geo: None,
        share_bp: 600,
        weekend_factor: 0.2,
        profile: Profile::Hourly(&BUSINESS_HOURS),
        tag_form: TagForm::Object,
        evals: &[
            EvalPath {
                from: "claude-sonnet-5-5",
                to: "claude-haiku-5-5",
                step: Step::SonnetToHaiku,
            },
            EvalPath {
                from: "claude-opus-4-5",
                to: "claude-sonnet-5-5",
                step: Step::OpusToSonnet,
            },
            EvalPath {
                from: "claude-haiku-4-5",
                to: "claude-haiku-5-5",
                step: Step::SameTier,
            },
        ],
        description: "employee copilot on mixed models; users come back after 5-60 minutes, so \
                      its 5m breakpoints keep expiring: a workload where 1h would pay",
    },
    Spec {
        name: "contract-review",
        team: Some("legal"),
        app: Some("contract-review"),
        feature: Some("extract-clauses"),
        kind: Kind::ContractReview,
        models: &[("claude-opus-5-5", 70), ("claude-fable-5-1", 30)],
        workspace: Some("prod"),
        task: Some("extraction"),
        latency_class: Some("interactive"),
        service_tier: "standard",
        inference_geo: Some("us"),
        share_bp: 200,
        weekend_factor: 0.2,
        profile: Profile::Hourly(&BUSINESS_HOURS),
        tag_form: TagForm::Object,
        evals: &[
            EvalPath {
                from: "claude-fable-5-1",
                to: "claude-opus-5-5",
                step: Step::TopToOpus,
            },
            EvalPath {
                from: "claude-opus-5-5",
                to: "claude-sonnet-5-5",
                step: Step::OpusToSonnet,
            },
        ],
        description: "clause extraction from contracts with US data residency (inference_geo us, \
                      1.1x); logged by a proxy that records no prompt segments",
    },
    Spec {
        name: "unattributed",
        team: None,
        app: None,
        feature: None,
        kind: Kind::Unattributed,
        models: &[
            ("claude-haiku-4-5", 40),
            ("claude-haiku-5-5", 30),
            ("claude-sonnet-4-5", 30),
        ],
        workspace: None,
        task: None,
        latency_class: None,
        service_tier: "standard",
        inference_geo: None,
        share_bp: 200,
        weekend_factor: 0.5,
        profile: Profile::Hourly(&BUSINESS_HOURS),
        tag_form: TagForm::List,
        evals: &[],
        description: "scripts and notebooks with no team/app/feature, workspace, labels or \
                      segments: what a cost report must still count",
    },
];

/// A workload archetype of the demo corpus, for the CLI to print and document.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchetypeInfo {
    /// Stable kebab-case name, e.g. `support-chat`.
    pub name: &'static str,
    /// `team`, or `None` when the records carry none (unattributed).
    pub team: Option<&'static str>,
    /// `app`, or `None` when the records carry none.
    pub app: Option<&'static str>,
    /// `feature`, or `None` when the records carry none.
    pub feature: Option<&'static str>,
    /// Canonical model ids with the percentage of sessions (or single requests) sent to each.
    pub models: Vec<(&'static str, u32)>,
    /// Cache scope workspace; `None` means the records carry no `workspace` (scope `default`).
    pub workspace: Option<&'static str>,
    /// The `task` label, when the records carry one.
    pub task: Option<&'static str>,
    /// The `latency_class` label, when the records carry one.
    pub latency_class: Option<&'static str>,
    /// The `service_tier` written on every record.
    pub service_tier: &'static str,
    /// Mean share of all requests (the shares add up to 1).
    pub share: f64,
    /// What the workload is and what a user should find in it.
    pub description: &'static str,
}

/// Every archetype of the demo corpus, in generation order.
pub fn archetypes() -> Vec<ArchetypeInfo> {
    ARCHETYPES
        .iter()
        .map(|s| ArchetypeInfo {
            name: s.name,
            team: s.team,
            app: s.app,
            feature: s.feature,
            models: s.models.to_vec(),
            workspace: s.workspace,
            task: s.task,
            latency_class: s.latency_class,
            service_tier: s.service_tier,
            share: f64::from(s.share_bp) / 10_000.0,
            description: s.description,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        let total: u32 = ARCHETYPES.iter().map(|s| s.share_bp).sum();
        assert_eq!(total, 10_000);
        for s in &ARCHETYPES {
            let weights: u32 = s.models.iter().map(|m| m.1).sum();
            assert_eq!(weights, 100, "{}", s.name);
            for (m, _) in s.models {
                assert!(MODELS.contains(m), "{m}");
            }
            for e in s.evals {
                assert!(s.models.iter().any(|m| m.0 == e.from), "{}", s.name);
                assert!(MODELS.contains(&e.to));
                assert_ne!(e.from, e.to);
            }
            assert!((0.0..=3.5).contains(&s.weekend_factor));
            assert_eq!(s.team.is_some(), s.task.is_some());
            assert_eq!(s.team.is_some(), s.latency_class.is_some());
        }
        let mut names: Vec<_> = ARCHETYPES.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ARCHETYPES.len());
    }

    #[test]
    fn priors_favour_simple_tasks() {
        assert!(
            degraded_pct("classification", Step::SonnetToHaiku)
                < degraded_pct("agent", Step::SonnetToHaiku)
        );
        assert_eq!(degraded_pct("agent", Step::OpusToHaiku), 33);
    }
}
