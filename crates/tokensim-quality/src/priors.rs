//! Prior P(degraded) for a (task class, from-model, to-model) triple, from `data/priors.toml`.
//!
//! The file holds, per task class, an equivalent sample size, the noise floor and five step
//! cells; then pair overrides and generation rules. [`Priors::prior`] picks one of them by the
//! rules in the crate documentation (and `docs/quality-risk.md`), in this order: pair override,
//! same model, not a step down, same tier and older, one tier down, two or three tiers down.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

use crate::QualityError;

/// The built-in priors file, compiled in.
const BUILTIN_PRIORS: &str = include_str!("../data/priors.toml");

/// The schema string the priors file must declare.
const SCHEMA: &str = "tokensim.quality-priors/1";

/// The task class of a request, as written in the corpus field `task`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaskClass {
    /// `classification`: picking a label.
    Classification,
    /// `extraction`: pulling fields or facts out of a document.
    Extraction,
    /// `summarization`: condensing a document.
    Summarization,
    /// `chat`: conversational answers and writing.
    Chat,
    /// `code`: writing or changing code.
    Code,
    /// `reasoning`: math, science and hard multi-step problems.
    Reasoning,
    /// `agent`: multi-turn tool-using loops.
    Agent,
    /// `other`, or no `task` at all: the most cautious prior.
    Other,
}

impl TaskClass {
    /// The eight classes, in the order of the prior table.
    pub const ALL: [TaskClass; 8] = [
        TaskClass::Classification,
        TaskClass::Extraction,
        TaskClass::Summarization,
        TaskClass::Chat,
        TaskClass::Code,
        TaskClass::Reasoning,
        TaskClass::Agent,
        TaskClass::Other,
    ];

    /// The corpus spelling, e.g. `"summarization"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskClass::Classification => "classification",
            TaskClass::Extraction => "extraction",
            TaskClass::Summarization => "summarization",
            TaskClass::Chat => "chat",
            TaskClass::Code => "code",
            TaskClass::Reasoning => "reasoning",
            TaskClass::Agent => "agent",
            TaskClass::Other => "other",
        }
    }

    /// The class of a record's `task` field: a missing task is [`TaskClass::Other`].
    pub fn from_task(task: Option<&str>) -> Result<TaskClass, QualityError> {
        task.map_or(Ok(TaskClass::Other), str::parse)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl FromStr for TaskClass {
    type Err = QualityError;

    fn from_str(s: &str) -> Result<TaskClass, QualityError> {
        TaskClass::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| QualityError::UnknownTaskClass(s.to_owned()))
    }
}

impl fmt::Display for TaskClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A model family; its tier orders routing steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Fable,
    Mythos,
    Opus,
    Sonnet,
    Haiku,
}

impl Family {
    fn parse(s: &str) -> Option<Family> {
        Some(match s {
            "fable" => Family::Fable,
            "mythos" => Family::Mythos,
            "opus" => Family::Opus,
            "sonnet" => Family::Sonnet,
            "haiku" => Family::Haiku,
            _ => return None,
        })
    }

    /// fable = mythos = 4 (the top tier), opus 3, sonnet 2, haiku 1.
    fn tier(self) -> u8 {
        match self {
            Family::Fable | Family::Mythos => 4,
            Family::Opus => 3,
            Family::Sonnet => 2,
            Family::Haiku => 1,
        }
    }
}

/// A model version, compared numerically by components: "4.5" < "4.6" < "5" = "5.0" < "5.5".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Version([u32; 3]);

impl Version {
    fn parse(s: &str) -> Option<Version> {
        let mut parts = [0; 3];
        for (i, part) in s.split('.').enumerate() {
            if i == parts.len() || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts[i] = part.parse().ok()?;
        }
        Some(Version(parts))
    }

    fn major(self) -> u32 {
        self.0[0]
    }
}

/// A model as the priors see it: canonical id, family (its tier) and version.
///
/// Build it from the price catalog's model (`id`, `family`, `version`). The id must be the
/// canonical one (`claude-sonnet-4-5`, not a dated snapshot or alias): pair overrides and the
/// same-model rule compare ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelRef<'a> {
    id: &'a str,
    family: Family,
    version: Version,
}

impl<'a> ModelRef<'a> {
    /// A model from its canonical id, family (`fable`, `mythos`, `opus`, `sonnet` or `haiku`)
    /// and version (`"4.5"`, `"5"`, `"3.7"`: one to three dot-separated numbers).
    pub fn new(id: &'a str, family: &str, version: &str) -> Result<ModelRef<'a>, QualityError> {
        let family = Family::parse(family).ok_or_else(|| QualityError::UnknownFamily {
            id: id.to_owned(),
            family: family.to_owned(),
        })?;
        let version = Version::parse(version).ok_or_else(|| QualityError::BadVersion {
            id: id.to_owned(),
            version: version.to_owned(),
        })?;
        Ok(ModelRef {
            id,
            family,
            version,
        })
    }

    /// The canonical id.
    pub fn id(&self) -> &'a str {
        self.id
    }
}

/// A cell of the step table: which kind of routing step a prior comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Top tier (Fable, Mythos) to Opus.
    TopOpus,
    /// Opus to Sonnet.
    OpusSonnet,
    /// Sonnet to Haiku.
    SonnetHaiku,
    /// Opus to Haiku (its own cell, not a composition).
    OpusHaiku,
    /// Same tier, newer version to older version.
    NewerOlder,
}

impl Step {
    /// The five cells, in the order of the prior table.
    const ALL: [Step; 5] = [
        Step::TopOpus,
        Step::OpusSonnet,
        Step::SonnetHaiku,
        Step::OpusHaiku,
        Step::NewerOlder,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::TopOpus => "top->opus",
            Step::OpusSonnet => "opus->sonnet",
            Step::SonnetHaiku => "sonnet->haiku",
            Step::OpusHaiku => "opus->haiku",
            Step::NewerOlder => "same tier newer->older",
        })
    }
}

/// Why a pair got the class's noise floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FloorReason {
    /// From and to are the same model.
    SameModel,
    /// Not a step down: a higher tier, or the same tier at a newer or equal version.
    NotDown,
}

/// Which entry of the priors file a [`Prior`] was taken from. `Display` gives a short line for
/// reports, e.g. `prior: opus->sonnet step, chat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriorSource {
    /// A pair override for exactly this (class, from id, to id).
    Pair {
        /// The task class.
        class: TaskClass,
        /// The original model's id.
        from: String,
        /// The routed-to model's id.
        to: String,
    },
    /// A generation rule (same tier and family, e.g. code 5.x -> 4.x).
    Generation {
        /// The task class.
        class: TaskClass,
        /// The original's major version.
        from_major: u32,
        /// The routed-to model's major version.
        to_major: u32,
    },
    /// The class's run-to-run noise floor.
    Floor {
        /// The task class.
        class: TaskClass,
        /// Why the floor applies.
        reason: FloorReason,
    },
    /// One cell of the step table.
    Step {
        /// The task class.
        class: TaskClass,
        /// The cell.
        step: Step,
    },
    /// Two cells composed: `1 - (1 - first)(1 - second)`.
    Composed {
        /// The task class.
        class: TaskClass,
        /// Always [`Step::TopOpus`].
        first: Step,
        /// [`Step::OpusSonnet`] or [`Step::OpusHaiku`].
        second: Step,
    },
}

impl PriorSource {
    /// The task class the prior is for.
    pub fn class(&self) -> TaskClass {
        match *self {
            PriorSource::Pair { class, .. }
            | PriorSource::Generation { class, .. }
            | PriorSource::Floor { class, .. }
            | PriorSource::Step { class, .. }
            | PriorSource::Composed { class, .. } => class,
        }
    }
}

impl fmt::Display for PriorSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let class = self.class();
        match self {
            PriorSource::Pair { from, to, .. } => {
                write!(f, "prior: pair override {from} -> {to}, {class}")
            }
            PriorSource::Generation {
                from_major,
                to_major,
                ..
            } => write!(
                f,
                "prior: same tier {from_major}.x->{to_major}.x rule, {class}"
            ),
            PriorSource::Floor { reason, .. } => {
                let why = match reason {
                    FloorReason::SameModel => "same model",
                    FloorReason::NotDown => "not a step down",
                };
                write!(f, "prior: noise floor ({why}), {class}")
            }
            PriorSource::Step { step, .. } => write!(f, "prior: {step} step, {class}"),
            PriorSource::Composed { first, second, .. } => {
                write!(f, "prior: {first} then {second} steps, {class}")
            }
        }
    }
}

/// A prior P(degraded): Beta(mean × ess, (1 − mean) × ess).
#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    /// Prior mean of P(degraded), strictly between 0 and 1.
    pub mean: f64,
    /// Equivalent sample size: how many evals the prior is worth.
    pub ess: f64,
    /// Where the mean comes from.
    pub source: PriorSource,
}

impl Prior {
    /// The Beta's first parameter, `mean × ess` (prior failures).
    pub fn a0(&self) -> f64 {
        self.mean * self.ess
    }

    /// The Beta's second parameter, `(1 − mean) × ess` (prior passes).
    pub fn b0(&self) -> f64 {
        (1.0 - self.mean) * self.ess
    }
}

/// The prior table, parsed from `data/priors.toml`.
#[derive(Debug, Clone)]
pub struct Priors {
    /// Indexed by [`TaskClass::index`].
    classes: Vec<ClassPriors>,
    pairs: Vec<(TaskClass, PairEntry)>,
    generations: Vec<(TaskClass, GenerationEntry)>,
    /// The parsed file, for the generated documentation tables.
    #[cfg_attr(not(test), allow(dead_code))]
    file: PriorsFile,
}

#[derive(Debug, Clone)]
struct ClassPriors {
    ess: f64,
    floor: f64,
    /// Indexed by [`Step::index`].
    steps: [f64; 5],
}

impl Priors {
    /// The built-in table. It is compiled in and tested, so a parse error is a bug and panics.
    pub fn builtin() -> Priors {
        Priors::parse(BUILTIN_PRIORS, "built-in priors (data/priors.toml)")
            .unwrap_or_else(|e| panic!("{e} (a bug: the built-in priors must parse)"))
    }

    /// Parses and checks a priors file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Priors, QualityError> {
        let error = |message: String| QualityError::Priors {
            origin: origin.to_owned(),
            message,
        };
        let file: PriorsFile = toml::from_str(text).map_err(|e| error(e.to_string()))?;
        file.check().map_err(error)?;

        let classes = TaskClass::ALL
            .iter()
            .map(|c| {
                let entry = &file.class[c.as_str()];
                let mut steps = [0.0; 5];
                for step in Step::ALL {
                    steps[step.index()] = entry.cell(step).mean;
                }
                ClassPriors {
                    ess: entry.ess,
                    floor: entry.floor.mean,
                    steps,
                }
            })
            .collect();
        let class_of = |s: &str| s.parse::<TaskClass>().expect("checked");
        let pairs = file
            .pair
            .iter()
            .map(|p| (class_of(&p.class), p.clone()))
            .collect();
        let generations = file
            .generation
            .iter()
            .map(|g| (class_of(&g.class), g.clone()))
            .collect();
        Ok(Priors {
            classes,
            pairs,
            generations,
            file,
        })
    }

    /// One cell of the step table for a class, e.g. the prior tokensim uses for trimming a
    /// conversation's oldest turns (the opus->sonnet step: docs/quality-risk.md).
    pub fn step(&self, class: TaskClass, step: Step) -> Prior {
        let row = &self.classes[class.index()];
        Prior {
            mean: row.steps[step.index()],
            ess: row.ess,
            source: PriorSource::Step { class, step },
        }
    }

    /// The prior for routing `class` traffic from `from` to `to`. The first rule that applies:
    ///
    /// 1. a pair override for (class, from id, to id);
    /// 2. the same model (same id): the class's noise floor;
    /// 3. a higher tier, or the same tier and a newer-or-equal version: the floor;
    /// 4. the same tier and an older version: a generation rule when one matches (same family,
    ///    major versions as listed, e.g. code 5.x -> 4.x), else the newer->older cell;
    /// 5. one tier down: the top->opus, opus->sonnet or sonnet->haiku cell; opus->haiku has
    ///    its own cell;
    /// 6. top->sonnet = 1 − (1 − top->opus)(1 − opus->sonnet) and
    ///    top->haiku = 1 − (1 − top->opus)(1 − opus->haiku).
    ///
    /// Tiers: fable = mythos = 4, opus 3, sonnet 2, haiku 1. The ESS is always the class's.
    pub fn prior(&self, class: TaskClass, from: &ModelRef<'_>, to: &ModelRef<'_>) -> Prior {
        let row = &self.classes[class.index()];
        let prior = |mean: f64, source: PriorSource| {
            assert!(
                mean > 0.0 && mean < 1.0,
                "prior mean {mean} for {source} is not a probability"
            );
            Prior {
                mean,
                ess: row.ess,
                source,
            }
        };

        if let Some((_, p)) = self
            .pairs
            .iter()
            .find(|(c, p)| *c == class && p.from == from.id && p.to == to.id)
        {
            let source = PriorSource::Pair {
                class,
                from: p.from.clone(),
                to: p.to.clone(),
            };
            return prior(p.mean, source);
        }
        let floor = |reason| prior(row.floor, PriorSource::Floor { class, reason });
        if from.id == to.id {
            return floor(FloorReason::SameModel);
        }
        let (tier_from, tier_to) = (from.family.tier(), to.family.tier());
        if tier_to > tier_from || (tier_to == tier_from && to.version >= from.version) {
            return floor(FloorReason::NotDown);
        }
        let step = |step: Step| prior(row.steps[step.index()], PriorSource::Step { class, step });
        let composed = |first: Step, second: Step| {
            let (p, q) = (row.steps[first.index()], row.steps[second.index()]);
            let mean = 1.0 - (1.0 - p) * (1.0 - q);
            prior(
                mean,
                PriorSource::Composed {
                    class,
                    first,
                    second,
                },
            )
        };
        match (tier_from, tier_to) {
            (f, t) if f == t => {
                let rule = self.generations.iter().find(|(c, g)| {
                    *c == class
                        && from.family == to.family
                        && from.version.major() == g.from_major
                        && to.version.major() == g.to_major
                });
                match rule {
                    Some((_, g)) => prior(
                        g.mean,
                        PriorSource::Generation {
                            class,
                            from_major: g.from_major,
                            to_major: g.to_major,
                        },
                    ),
                    None => step(Step::NewerOlder),
                }
            }
            (4, 3) => step(Step::TopOpus),
            (3, 2) => step(Step::OpusSonnet),
            (2, 1) => step(Step::SonnetHaiku),
            (3, 1) => step(Step::OpusHaiku),
            (4, 2) => composed(Step::TopOpus, Step::OpusSonnet),
            (4, 1) => composed(Step::TopOpus, Step::OpusHaiku),
            (f, t) => unreachable!("tiers are 1 to 4 and {f} > {t} here"),
        }
    }
}

// The file format. Field names are the TOML keys; `docs/quality-risk.md` and the header of
// `data/priors.toml` describe them. Fields that only the documentation tables read (`basis`,
// `benchmarks`) are still parsed, so that their presence and types are checked on load; `note`
// fields are for people reading the file and are never read.

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PriorsFile {
    schema: String,
    gathered: String,
    sources: BTreeMap<String, String>,
    class: BTreeMap<String, ClassEntry>,
    #[serde(default)]
    pair: Vec<PairEntry>,
    #[serde(default)]
    generation: Vec<GenerationEntry>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Basis {
    /// `[D]`: derived from benchmark gaps by the note's section 3.
    Derived,
    /// `[F]`: measured on same-harness per-instance results.
    Measured,
    /// `[A]`: an assumption.
    Assumption,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassEntry {
    ess: f64,
    #[allow(dead_code)]
    ess_note: Option<String>,
    floor: FloorCell,
    top_opus: Cell,
    opus_sonnet: Cell,
    sonnet_haiku: Cell,
    opus_haiku: Cell,
    newer_older: Cell,
}

impl ClassEntry {
    fn cell(&self, step: Step) -> &Cell {
        match step {
            Step::TopOpus => &self.top_opus,
            Step::OpusSonnet => &self.opus_sonnet,
            Step::SonnetHaiku => &self.sonnet_haiku,
            Step::OpusHaiku => &self.opus_haiku,
            Step::NewerOlder => &self.newer_older,
        }
    }
}

/// What every cell says about its evidence.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(test), allow(dead_code))]
struct Cell {
    mean: f64,
    basis: Basis,
    benchmarks: Vec<String>,
    sources: Vec<String>,
    date: String,
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(test), allow(dead_code))]
struct FloorCell {
    mean: f64,
    p_b: f64,
    kappa: f64,
    basis: Basis,
    benchmarks: Vec<String>,
    sources: Vec<String>,
    date: String,
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(test), allow(dead_code))]
struct PairEntry {
    class: String,
    from: String,
    to: String,
    mean: f64,
    basis: Basis,
    benchmarks: Vec<String>,
    sources: Vec<String>,
    date: String,
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(not(test), allow(dead_code))]
struct GenerationEntry {
    class: String,
    from_major: u32,
    to_major: u32,
    mean: f64,
    basis: Basis,
    benchmarks: Vec<String>,
    sources: Vec<String>,
    date: String,
    #[allow(dead_code)]
    note: Option<String>,
}

impl PriorsFile {
    /// Checks what serde cannot: known classes, probabilities, source ids, unique overrides.
    fn check(&self) -> Result<(), String> {
        if self.schema != SCHEMA {
            return Err(format!(
                "schema {:?} is not {SCHEMA:?}",
                self.schema.as_str()
            ));
        }
        if self.gathered.is_empty() {
            return Err("gathered: empty".into());
        }
        for name in self.class.keys() {
            name.parse::<TaskClass>()
                .map_err(|e| format!("[class.{name}]: {e}"))?;
        }
        for class in TaskClass::ALL {
            let c = self
                .class
                .get(class.as_str())
                .ok_or_else(|| format!("[class.{class}]: missing"))?;
            if !(c.ess > 0.0 && c.ess.is_finite()) {
                return Err(format!("[class.{class}] ess: {} is not positive", c.ess));
            }
            let f = &c.floor;
            self.check_cell(
                &format!("[class.{class}.floor]"),
                f.mean,
                &f.sources,
                &f.date,
            )?;
            if !(f.p_b > 0.0 && f.p_b < 1.0 && f.kappa > 0.0 && f.kappa.is_finite()) {
                return Err(format!(
                    "[class.{class}.floor]: p_b must be in (0, 1) and kappa positive"
                ));
            }
            for (step, key) in Step::ALL.iter().zip(STEP_KEYS) {
                let cell = c.cell(*step);
                self.check_cell(
                    &format!("[class.{class}.{key}]"),
                    cell.mean,
                    &cell.sources,
                    &cell.date,
                )?;
            }
        }
        let mut seen = BTreeMap::new();
        for (i, p) in self.pair.iter().enumerate() {
            let at = format!("[[pair]] #{} ({} {} -> {})", i + 1, p.class, p.from, p.to);
            p.class
                .parse::<TaskClass>()
                .map_err(|e| format!("{at}: {e}"))?;
            if !p.from.starts_with("claude-") || !p.to.starts_with("claude-") {
                return Err(format!("{at}: model ids are canonical `claude-...` ids"));
            }
            if p.from == p.to {
                return Err(format!("{at}: from and to are the same model"));
            }
            if let Some(first) = seen.insert((&p.class, &p.from, &p.to), i + 1) {
                return Err(format!("{at}: repeats [[pair]] #{first}"));
            }
            self.check_cell(&at, p.mean, &p.sources, &p.date)?;
        }
        for (i, g) in self.generation.iter().enumerate() {
            let at = format!("[[generation]] #{} ({})", i + 1, g.class);
            g.class
                .parse::<TaskClass>()
                .map_err(|e| format!("{at}: {e}"))?;
            if g.from_major <= g.to_major {
                return Err(format!("{at}: from_major must be above to_major"));
            }
            let duplicate = self.generation[..i].iter().any(|h| {
                (&h.class, h.from_major, h.to_major) == (&g.class, g.from_major, g.to_major)
            });
            if duplicate {
                return Err(format!("{at}: repeats an earlier rule"));
            }
            self.check_cell(&at, g.mean, &g.sources, &g.date)?;
        }
        Ok(())
    }

    fn check_cell(
        &self,
        at: &str,
        mean: f64,
        sources: &[String],
        date: &str,
    ) -> Result<(), String> {
        // No cell is zero (even equal models flip answers between runs) and none is certain.
        if !(mean > 0.0 && mean < 1.0) {
            return Err(format!("{at} mean: {mean} is not strictly between 0 and 1"));
        }
        if let Some(s) = sources.iter().find(|s| !self.sources.contains_key(*s)) {
            return Err(format!("{at} sources: {s:?} is not in [sources]"));
        }
        if date.is_empty() {
            return Err(format!("{at} date: empty"));
        }
        Ok(())
    }
}

/// The TOML keys of the step cells, in [`Step::ALL`] order.
const STEP_KEYS: [&str; 5] = [
    "top_opus",
    "opus_sonnet",
    "sonnet_haiku",
    "opus_haiku",
    "newer_older",
];

#[cfg(test)]
mod tests;
