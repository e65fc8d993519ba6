//! The price catalog: a TOML data file (`data/catalog.toml`, embedded at build time) plus an
//! optional overlay of negotiated terms, resolved into exact per-day rate tables.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;
use tokensim_corpus::Day;

use crate::error::PricingError;
use crate::money::{PicoUsd, Rate, Ratio};

/// The catalog shipped with tokensim.
pub const BUILTIN_CATALOG: &str = include_str!("../data/catalog.toml");

/// The five token prices of one model in one situation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rates {
    /// Uncached input.
    pub input: Rate,
    /// 5-minute cache write.
    pub cache_write_5m: Rate,
    /// 1-hour cache write.
    pub cache_write_1h: Rate,
    /// Cache read (hits and refreshes).
    pub cache_read: Rate,
    /// Output.
    pub output: Rate,
}

impl Rates {
    fn map(self, mut f: impl FnMut(&'static str, Rate) -> Rate) -> Rates {
        Rates {
            input: f("input", self.input),
            cache_write_5m: f("cache_write_5m", self.cache_write_5m),
            cache_write_1h: f("cache_write_1h", self.cache_write_1h),
            cache_read: f("cache_read", self.cache_read),
            output: f("output", self.output),
        }
    }
}

/// A price band for long prompts: above `above_input_tokens` total input tokens (input + cache
/// writes + cache reads, strictly greater), every component is priced at `rates`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    /// The threshold, exclusive.
    pub above_input_tokens: u64,
    /// The prices above it.
    pub rates: Rates,
}

/// The published prices in force from a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRow {
    /// In force from 00:00:00 UTC of this day.
    pub effective_from: Day,
    /// Standard prices.
    pub base: Rates,
    /// The long-context band, where the model has one.
    pub long_context: Option<Band>,
    /// Fast-mode prices, where the model has fast mode.
    pub fast: Option<Rates>,
    /// A fast request in this period ran and was billed at standard rates (fast mode had ended
    /// for the model but the API still accepted the flag).
    pub fast_billed_as_standard: bool,
}

/// One model of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    /// Canonical id, e.g. `claude-sonnet-4-5`: the cache scope and the report row.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `fable`, `mythos`, `opus`, `sonnet` or `haiku`.
    pub family: String,
    /// Version, e.g. `4.5`.
    pub version: String,
    /// Other ids that resolve to this model.
    pub aliases: Vec<String>,
    /// Minimum cacheable prompt length, in tokens.
    pub min_cacheable_tokens: u64,
    /// Whether US-only residency (`inference_geo: "us"`) multiplies its prices.
    pub residency: bool,
    /// Release date.
    pub released: Option<String>,
    /// Where the prices come from.
    pub source: String,
    /// When they were last checked.
    pub verified: String,
    /// Free-text note.
    pub note: Option<String>,
    /// Published prices, ascending by date.
    pub rows: Vec<PriceRow>,
}

/// Index of a model in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModelId(pub u16);

/// A discount from an overlay, in force from a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discount {
    /// The model it applies to; `None` for every model.
    pub model: Option<ModelId>,
    /// The share taken off every token price, as a fraction.
    pub fraction: Ratio,
    /// The percent as written.
    pub percent: String,
    /// In force from this day (inclusive); `None` for always.
    pub effective_from: Option<Day>,
}

/// A price that an overlay made inexact and that was rounded half to even, once, at load time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rounding {
    /// The model.
    pub model: String,
    /// The day the rounded rate takes effect.
    pub effective_from: Day,
    /// What was rounded, e.g. `batch input`.
    pub what: String,
    /// The exact value, micro-USD per MTok, as a fraction.
    pub exact: String,
    /// The rounded value.
    pub rounded: Rate,
}

/// The rates in force for one model over one span of days, for every tier combination.
#[derive(Debug, Clone)]
struct Effective {
    from: Day,
    /// Index: `[variant (0 base, 1 long context, 2 fast)][batch][us residency]`.
    rates: [[[Option<Rates>; 2]; 2]; 3],
    threshold: Option<u64>,
    fast_billed_as_standard: bool,
    /// The undiscounted standard rates, for display and for the reference.
    list: Rates,
}

/// The catalog, ready to price.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// `catalog_version` of the data file.
    pub version: String,
    /// The models, in file order.
    pub models: Vec<Model>,
    /// The batch multiplier (0.5).
    pub batch_multiplier: Ratio,
    /// The residency multiplier (1.1).
    pub residency_multiplier: Ratio,
    /// Fee per web search request.
    pub web_search_fee: PicoUsd,
    /// The overlay's name, if one was applied.
    pub overlay: Option<String>,
    /// The overlay's discounts.
    pub discounts: Vec<Discount>,
    /// Rates that the overlay made inexact, rounded once.
    pub roundings: Vec<Rounding>,
    index: HashMap<String, ModelId>,
    effective: Vec<Vec<Effective>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRates {
    input: String,
    cache_write_5m: String,
    cache_write_1h: String,
    cache_read: String,
    output: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBand {
    above_input_tokens: u64,
    input: String,
    cache_write_5m: String,
    cache_write_1h: String,
    cache_read: String,
    output: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRow {
    effective_from: String,
    input: String,
    cache_write_5m: String,
    cache_write_1h: String,
    cache_read: String,
    output: String,
    long_context: Option<FileBand>,
    fast: Option<FileRates>,
    #[serde(default)]
    fast_billed_as_standard: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileModel {
    id: String,
    name: String,
    family: String,
    version: String,
    #[serde(default)]
    aliases: Vec<String>,
    min_cacheable_tokens: u64,
    #[serde(default)]
    residency: bool,
    released: Option<String>,
    source: String,
    verified: String,
    note: Option<String>,
    price: Vec<FileRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCatalog {
    schema: String,
    catalog_version: String,
    batch_multiplier: String,
    residency_multiplier: String,
    web_search_usd_per_1000: String,
    model: Vec<FileModel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileOverlay {
    schema: Option<String>,
    name: Option<String>,
    #[serde(default)]
    discount: Vec<FileDiscount>,
    #[serde(default)]
    model: Vec<FileModel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDiscount {
    model: Option<String>,
    percent: String,
    effective_from: Option<String>,
}

fn rate(origin: &str, what: &str, s: &str) -> Result<Rate, PricingError> {
    Rate::parse_usd_per_mtok(s).map_err(|m| PricingError::Catalog {
        origin: origin.into(),
        message: format!("{what}: {m}"),
    })
}

fn rates(origin: &str, what: &str, r: [&str; 5]) -> Result<Rates, PricingError> {
    Ok(Rates {
        input: rate(origin, &format!("{what}.input"), r[0])?,
        cache_write_5m: rate(origin, &format!("{what}.cache_write_5m"), r[1])?,
        cache_write_1h: rate(origin, &format!("{what}.cache_write_1h"), r[2])?,
        cache_read: rate(origin, &format!("{what}.cache_read"), r[3])?,
        output: rate(origin, &format!("{what}.output"), r[4])?,
    })
}

fn day(origin: &str, what: &str, s: &str) -> Result<Day, PricingError> {
    Day::parse(s).map_err(|m| PricingError::Catalog {
        origin: origin.into(),
        message: format!("{what}: {m}"),
    })
}

fn model_from_file(origin: &str, m: FileModel) -> Result<Model, PricingError> {
    let mut rows = Vec::new();
    for (i, r) in m.price.iter().enumerate() {
        let what = format!("model {:?} price[{i}]", m.id);
        let base = rates(
            origin,
            &what,
            [
                &r.input,
                &r.cache_write_5m,
                &r.cache_write_1h,
                &r.cache_read,
                &r.output,
            ],
        )?;
        let long_context = match &r.long_context {
            None => None,
            Some(b) => Some(Band {
                above_input_tokens: b.above_input_tokens,
                rates: rates(
                    origin,
                    &format!("{what}.long_context"),
                    [
                        &b.input,
                        &b.cache_write_5m,
                        &b.cache_write_1h,
                        &b.cache_read,
                        &b.output,
                    ],
                )?,
            }),
        };
        let fast = match &r.fast {
            None => None,
            Some(f) => Some(rates(
                origin,
                &format!("{what}.fast"),
                [
                    &f.input,
                    &f.cache_write_5m,
                    &f.cache_write_1h,
                    &f.cache_read,
                    &f.output,
                ],
            )?),
        };
        if fast.is_some() && r.fast_billed_as_standard {
            return Err(PricingError::Catalog {
                origin: origin.into(),
                message: format!(
                    "{what}: fast prices and fast_billed_as_standard exclude each other"
                ),
            });
        }
        rows.push(PriceRow {
            effective_from: day(origin, &format!("{what}.effective_from"), &r.effective_from)?,
            base,
            long_context,
            fast,
            fast_billed_as_standard: r.fast_billed_as_standard,
        });
    }
    if rows.is_empty() {
        return Err(PricingError::Catalog {
            origin: origin.into(),
            message: format!("model {:?} has no price rows", m.id),
        });
    }
    if rows
        .windows(2)
        .any(|w| w[0].effective_from >= w[1].effective_from)
    {
        return Err(PricingError::Catalog {
            origin: origin.into(),
            message: format!(
                "model {:?}: price rows must be in strictly ascending effective_from order",
                m.id
            ),
        });
    }
    Ok(Model {
        id: m.id,
        name: m.name,
        family: m.family,
        version: m.version,
        aliases: m.aliases,
        min_cacheable_tokens: m.min_cacheable_tokens,
        residency: m.residency,
        released: m.released,
        source: m.source,
        verified: m.verified,
        note: m.note,
        rows,
    })
}

fn ratio(origin: &str, what: &str, s: &str) -> Result<Ratio, PricingError> {
    Ratio::parse(s).map_err(|m| PricingError::Catalog {
        origin: origin.into(),
        message: format!("{what}: {m}"),
    })
}

impl Catalog {
    /// The built-in catalog.
    pub fn builtin() -> Catalog {
        Catalog::parse(BUILTIN_CATALOG, "built-in catalog", None)
            .expect("the built-in catalog is valid (tested)")
    }

    /// Parses a catalog file's text, then applies an overlay's text if given. `origin` names the
    /// catalog in messages; the overlay is `(origin, text)`.
    pub fn parse(
        text: &str,
        origin: &str,
        overlay: Option<(&str, &str)>,
    ) -> Result<Catalog, PricingError> {
        let file: FileCatalog = toml::from_str(text).map_err(|e| PricingError::Catalog {
            origin: origin.into(),
            message: e.to_string(),
        })?;
        if file.schema != "tokensim.prices/1" {
            return Err(PricingError::Catalog {
                origin: origin.into(),
                message: format!("unsupported schema {:?}", file.schema),
            });
        }
        let mut models = Vec::new();
        for m in file.model {
            models.push(model_from_file(origin, m)?);
        }
        let mut cat = Catalog {
            version: file.catalog_version,
            models,
            batch_multiplier: ratio(origin, "batch_multiplier", &file.batch_multiplier)?,
            residency_multiplier: ratio(
                origin,
                "residency_multiplier",
                &file.residency_multiplier,
            )?,
            web_search_fee: {
                // USD per 1,000 searches -> pico-USD per search, exactly.
                let r = ratio(
                    origin,
                    "web_search_usd_per_1000",
                    &file.web_search_usd_per_1000,
                )?;
                let pico = i128::from(r.num) * crate::money::PICO_PER_USD;
                let den = i128::from(r.den) * 1000;
                if pico % den != 0 {
                    return Err(PricingError::Catalog {
                        origin: origin.into(),
                        message: "web_search_usd_per_1000 is finer than a pico-USD per search"
                            .into(),
                    });
                }
                PicoUsd(pico / den)
            },
            overlay: None,
            discounts: Vec::new(),
            roundings: Vec::new(),
            index: HashMap::new(),
            effective: Vec::new(),
        };
        cat.index_models(origin)?;
        if let Some((o_origin, o_text)) = overlay {
            cat.apply_overlay(o_origin, o_text)?;
        }
        cat.build_effective();
        Ok(cat)
    }

    fn index_models(&mut self, origin: &str) -> Result<(), PricingError> {
        self.index.clear();
        for (i, m) in self.models.iter().enumerate() {
            let id = ModelId(u16::try_from(i).expect("fewer than 65,536 models"));
            for name in std::iter::once(&m.id).chain(&m.aliases) {
                if let Some(prev) = self.index.insert(name.clone(), id) {
                    return Err(PricingError::Catalog {
                        origin: origin.into(),
                        message: format!(
                            "id {name:?} is claimed by both {:?} and {:?}",
                            self.models[prev.0 as usize].id, m.id
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    fn apply_overlay(&mut self, origin: &str, text: &str) -> Result<(), PricingError> {
        let file: FileOverlay = toml::from_str(text).map_err(|e| PricingError::Catalog {
            origin: origin.into(),
            message: e.to_string(),
        })?;
        if let Some(s) = &file.schema {
            if s != "tokensim.overlay/1" {
                return Err(PricingError::Catalog {
                    origin: origin.into(),
                    message: format!("unsupported overlay schema {s:?}"),
                });
            }
        }
        for m in file.model {
            let m = model_from_file(origin, m)?;
            self.models.push(m);
        }
        self.index_models(origin)?;
        for (i, d) in file.discount.into_iter().enumerate() {
            let what = format!("discount[{i}]");
            let model = match &d.model {
                None => None,
                Some(name) => Some(self.resolve(name).map_err(|e| PricingError::Catalog {
                    origin: origin.into(),
                    message: format!("{what}.model: {e}"),
                })?),
            };
            let pct = ratio(origin, &format!("{what}.percent"), &d.percent)?;
            if pct.num == 0 || pct.num >= pct.den * 100 {
                return Err(PricingError::Catalog {
                    origin: origin.into(),
                    message: format!(
                        "{what}.percent: must be above 0 and below 100, got {}",
                        d.percent
                    ),
                });
            }
            let effective_from = match &d.effective_from {
                None => None,
                Some(s) => Some(day(origin, &format!("{what}.effective_from"), s)?),
            };
            self.discounts.push(Discount {
                model,
                fraction: pct.times(Ratio { num: 1, den: 100 }),
                percent: d.percent,
                effective_from,
            });
        }
        self.overlay = Some(file.name.unwrap_or_else(|| origin.to_string()));
        Ok(())
    }

    /// The discount in force for a model on a day: a per-model discount wins over a global one,
    /// and among the same kind the one with the latest `effective_from` in force.
    pub fn discount_on(&self, model: ModelId, day: Day) -> Option<&Discount> {
        let latest = |scope: Option<ModelId>| {
            self.discounts
                .iter()
                .filter(|d| d.model == scope && d.effective_from.is_none_or(|f| f <= day))
                .max_by_key(|d| d.effective_from)
        };
        latest(Some(model)).or_else(|| latest(None))
    }

    fn build_effective(&mut self) {
        let mut effective = Vec::with_capacity(self.models.len());
        let mut roundings = Vec::new();
        for (i, m) in self.models.iter().enumerate() {
            let id = ModelId(i as u16);
            let mut days: BTreeSet<Day> = m.rows.iter().map(|r| r.effective_from).collect();
            for d in &self.discounts {
                if d.model.is_none_or(|x| x == id) {
                    if let Some(f) = d.effective_from {
                        if f > m.rows[0].effective_from {
                            days.insert(f);
                        }
                    }
                }
            }
            let mut spans = Vec::new();
            for from in days {
                let row = m
                    .rows
                    .iter()
                    .rev()
                    .find(|r| r.effective_from <= from)
                    .expect("days start at the first row");
                let discount = self.discount_on(id, from).map(|d| Ratio {
                    num: d.fraction.den - d.fraction.num,
                    den: d.fraction.den,
                });
                let mut table: [[[Option<Rates>; 2]; 2]; 3] = Default::default();
                let variants = [Some(row.base), row.long_context.map(|b| b.rates), row.fast];
                for (v, rates) in variants.into_iter().enumerate() {
                    let Some(rates) = rates else { continue };
                    for (batch, by_res) in table[v].iter_mut().enumerate() {
                        for (res, slot) in by_res.iter_mut().enumerate() {
                            let mut mult = discount.unwrap_or(Ratio::ONE);
                            if batch == 1 {
                                mult = mult.times(self.batch_multiplier);
                            }
                            if res == 1 && m.residency {
                                mult = mult.times(self.residency_multiplier);
                            }
                            *slot = Some(rates.map(|comp, r| {
                                let (out, exact) = mult.apply(r);
                                if !exact {
                                    let label = format!(
                                        "{}{}{}{}",
                                        ["", "long-context ", "fast "][v],
                                        if batch == 1 { "batch " } else { "" },
                                        if res == 1 && m.residency {
                                            "us-residency "
                                        } else {
                                            ""
                                        },
                                        comp
                                    );
                                    roundings.push(Rounding {
                                        model: m.id.clone(),
                                        effective_from: from,
                                        what: label,
                                        exact: format!(
                                            "{}/{}",
                                            u128::from(r.0) * u128::from(mult.num),
                                            mult.den
                                        ),
                                        rounded: out,
                                    });
                                }
                                out
                            }));
                        }
                    }
                }
                spans.push(Effective {
                    from,
                    rates: table,
                    threshold: row.long_context.map(|b| b.above_input_tokens),
                    fast_billed_as_standard: row.fast_billed_as_standard,
                    list: row.base,
                });
            }
            effective.push(spans);
        }
        self.effective = effective;
        self.roundings = roundings;
    }

    /// The model with this id.
    pub fn model(&self, id: ModelId) -> &Model {
        &self.models[id.0 as usize]
    }

    /// Resolves a model id as written in a log: an exact id or alias; then the same after
    /// normalizing provider forms (`anthropic/…`, `anthropic.…-v1:0`, `…@20250929`, a `[1m]`
    /// suffix, upper case); then a dated snapshot `<known id>-YYYYMMDD` of a known id.
    /// Anything else is an error that lists the closest known ids.
    pub fn resolve(&self, name: &str) -> Result<ModelId, PricingError> {
        if let Some(&id) = self.index.get(name) {
            return Ok(id);
        }
        let norm = normalize(name);
        if let Some(&id) = self.index.get(norm.as_str()) {
            return Ok(id);
        }
        if let Some(base) = strip_date_suffix(&norm) {
            // Only a canonical id takes a snapshot date: `claude-opus-4-0-20250514` is no real id.
            if let Some(&id) = self
                .index
                .get(base)
                .filter(|id| self.model(**id).id == base)
            {
                return Ok(id);
            }
        }
        Err(PricingError::UnknownModel {
            model: name.to_string(),
            closest: self.closest(&norm, 3),
        })
    }

    /// The `n` known ids nearest to `name` by edit distance (ties by name).
    pub fn closest(&self, name: &str, n: usize) -> Vec<String> {
        let mut scored: Vec<(usize, &str)> = self
            .index
            .keys()
            .map(|k| (levenshtein(name, k), k.as_str()))
            .collect();
        scored.sort();
        scored
            .into_iter()
            .take(n)
            .map(|(_, k)| k.to_string())
            .collect()
    }

    fn span(&self, id: ModelId, day: Day) -> &Effective {
        let spans = &self.effective[id.0 as usize];
        // The first row also covers days before it: a record older than the model's first known
        // price is priced at that first price (documented in docs/price-catalog.md).
        let i = spans.partition_point(|s| s.from <= day);
        &spans[i.saturating_sub(1)]
    }

    /// Whether the model bills fast mode on that day (fast prices, or fast billed as standard).
    pub fn has_fast(&self, id: ModelId, day: Day) -> bool {
        let span = self.span(id, day);
        span.rates[2][0][0].is_some() || span.fast_billed_as_standard
    }

    /// The standard list prices in force for a model on a day (no overlay, no tier).
    pub fn list_rates(&self, id: ModelId, day: Day) -> Rates {
        self.span(id, day).list
    }

    /// Whether a call on these terms can be priced at all: the errors of [`Catalog::price`],
    /// which depend on the terms and never on the token counts.
    pub fn check(&self, id: ModelId, terms: &Terms) -> Result<(), PricingError> {
        if !terms.fast {
            // Both errors are about fast mode.
            return Ok(());
        }
        self.checked_span(id, terms).map(|_| ())
    }

    /// The prices in force for a call on these terms, or why it cannot be priced.
    #[inline]
    fn checked_span(&self, id: ModelId, terms: &Terms) -> Result<&Effective, PricingError> {
        if terms.fast && terms.batch {
            return Err(PricingError::FastBatch);
        }
        let span = self.span(id, terms.day);
        // Without fast prices, a fast request is billed as standard only where the catalog says
        // so (Opus 4.6 after its fast mode ended); elsewhere the API rejects it.
        if terms.fast && span.rates[2][0][0].is_none() && !span.fast_billed_as_standard {
            return Err(PricingError::NoFastMode {
                model: self.model(id).id.clone(),
                day: terms.day.to_string(),
            });
        }
        Ok(span)
    }

    /// Prices one call as recorded.
    pub fn price(&self, id: ModelId, tokens: &Tokens, terms: &Terms) -> Result<Cost, PricingError> {
        let span = self.checked_span(id, terms)?;
        let total = tokens.total_input();
        // Fast prices replace the long-context band (fast mode covers the full window at its own
        // rates).
        let has_fast = span.rates[2][0][0].is_some();
        let variant = if terms.fast && has_fast {
            2
        } else if span.threshold.is_some_and(|t| total > t) {
            1
        } else {
            0
        };
        let rates = span.rates[variant][usize::from(terms.batch)][usize::from(terms.us_residency)]
            .expect("every variant that exists has all four tier combinations");
        Ok(Cost {
            input: rates.input.cost(tokens.input),
            cache_write_5m: rates.cache_write_5m.cost(tokens.cache_write_5m),
            cache_write_1h: rates.cache_write_1h.cost(tokens.cache_write_1h),
            cache_read: rates.cache_read.cost(tokens.cache_read),
            output: rates.output.cost(tokens.output),
            web_search: PicoUsd(self.web_search_fee.0 * i128::from(tokens.web_search_requests)),
        })
    }

    /// Prices summed traffic on the naive reference (DESIGN.md section 1): the same token counts,
    /// every input token as plain input of `reference`, real time, no residency, no fast mode,
    /// web-search fees included; overlay discounts apply. The sums must come from records of one
    /// size class whose total inputs are all strictly greater than `class_floor` (and at most the
    /// next threshold of [`Catalog::band_thresholds`]), so that one band decision holds for all.
    pub fn price_reference(
        &self,
        reference: ModelId,
        day: Day,
        class_floor: Option<u64>,
        sums: &TokenSums,
    ) -> Cost {
        let span = self.span(reference, day);
        let long = span
            .threshold
            .is_some_and(|t| class_floor.is_some_and(|f| f >= t));
        let rates = span.rates[usize::from(long)][0][0].expect("standard prices always exist");
        Cost {
            input: rates.input.cost_of_sum(sums.total_input()),
            output: rates.output.cost_of_sum(sums.output),
            web_search: self.web_search_fee.times(sums.web_search_requests),
            ..Cost::default()
        }
    }

    /// The distinct long-context thresholds in the catalog, ascending: the size classes that the
    /// reference needs to keep its sums exact whatever model it ends up being.
    pub fn band_thresholds(&self) -> Vec<u64> {
        let set: BTreeSet<u64> = self
            .effective
            .iter()
            .flatten()
            .filter_map(|s| s.threshold)
            .collect();
        set.into_iter().collect()
    }

    /// The most expensive of `ids`: highest standard output price, then input price, then id,
    /// using the list prices in force on `day`.
    pub fn most_expensive(
        &self,
        ids: impl IntoIterator<Item = ModelId>,
        day: Day,
    ) -> Option<ModelId> {
        ids.into_iter().max_by(|&a, &b| {
            let (ra, rb) = (self.list_rates(a, day), self.list_rates(b, day));
            (ra.output, ra.input)
                .cmp(&(rb.output, rb.input))
                .then_with(|| self.model(b).id.cmp(&self.model(a).id))
        })
    }
}

/// Token counts by price component. Also the report's token columns (serialized as is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Tokens {
    /// Uncached input.
    pub input: u64,
    /// 5-minute cache writes.
    pub cache_write_5m: u64,
    /// 1-hour cache writes.
    pub cache_write_1h: u64,
    /// Cache reads.
    pub cache_read: u64,
    /// Output.
    pub output: u64,
    /// Web search requests.
    pub web_search_requests: u64,
}

impl Tokens {
    /// A corpus record's usage as billed.
    pub fn recorded(r: &tokensim_corpus::Record) -> Tokens {
        let u = &r.usage;
        Tokens {
            input: u.input_tokens,
            cache_write_5m: u.cache_write_5m_tokens,
            cache_write_1h: u.cache_write_1h_tokens,
            cache_read: u.cache_read_input_tokens,
            output: u.output_tokens,
            web_search_requests: u.web_search_requests,
        }
    }
}

impl Tokens {
    /// Input + both writes + reads: what band thresholds compare against.
    pub fn total_input(&self) -> u64 {
        self.input + self.cache_write_5m + self.cache_write_1h + self.cache_read
    }
}

/// Token counts summed over calls, by price component: the report's token columns (serialized
/// as is). 128 bits, so that no corpus can overflow a sum: one call's counts fit in 64 bits, and
/// a sum of 2^64 of them still fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct TokenSums {
    /// Uncached input.
    pub input: u128,
    /// 5-minute cache writes.
    pub cache_write_5m: u128,
    /// 1-hour cache writes.
    pub cache_write_1h: u128,
    /// Cache reads.
    pub cache_read: u128,
    /// Output.
    pub output: u128,
    /// Web search requests.
    pub web_search_requests: u128,
}

impl TokenSums {
    /// Input + both writes + reads.
    pub fn total_input(&self) -> u128 {
        self.input + self.cache_write_5m + self.cache_write_1h + self.cache_read
    }
}

impl From<Tokens> for TokenSums {
    fn from(t: Tokens) -> TokenSums {
        TokenSums {
            input: t.input.into(),
            cache_write_5m: t.cache_write_5m.into(),
            cache_write_1h: t.cache_write_1h.into(),
            cache_read: t.cache_read.into(),
            output: t.output.into(),
            web_search_requests: t.web_search_requests.into(),
        }
    }
}

impl std::ops::AddAssign for TokenSums {
    fn add_assign(&mut self, o: TokenSums) {
        self.input += o.input;
        self.cache_write_5m += o.cache_write_5m;
        self.cache_write_1h += o.cache_write_1h;
        self.cache_read += o.cache_read;
        self.output += o.output;
        self.web_search_requests += o.web_search_requests;
    }
}

impl std::ops::AddAssign<Tokens> for TokenSums {
    fn add_assign(&mut self, o: Tokens) {
        *self += TokenSums::from(o);
    }
}

/// How a call was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    /// The UTC day of the call: picks the price row in force.
    pub day: Day,
    /// Batch API (half price on every token component).
    pub batch: bool,
    /// `inference_geo: "us"` (x1.1 on token components of eligible models).
    pub us_residency: bool,
    /// Fast mode.
    pub fast: bool,
}

impl Terms {
    /// A corpus record's terms as recorded: its day, the Batch API, US residency, fast mode.
    pub fn recorded(r: &tokensim_corpus::Record) -> Terms {
        Terms {
            day: r.ts.day(),
            batch: r.service_tier == tokensim_corpus::ServiceTier::Batch,
            us_residency: r.us_residency(),
            fast: r.speed == tokensim_corpus::Speed::Fast,
        }
    }
}

/// A call's cost by component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    /// Uncached input.
    pub input: PicoUsd,
    /// 5-minute cache writes.
    pub cache_write_5m: PicoUsd,
    /// 1-hour cache writes.
    pub cache_write_1h: PicoUsd,
    /// Cache reads.
    pub cache_read: PicoUsd,
    /// Output.
    pub output: PicoUsd,
    /// Web search fees.
    pub web_search: PicoUsd,
}

impl Cost {
    /// The sum of the components.
    pub fn total(&self) -> PicoUsd {
        self.input
            + self.cache_write_5m
            + self.cache_write_1h
            + self.cache_read
            + self.output
            + self.web_search
    }
}

impl std::ops::AddAssign for Cost {
    fn add_assign(&mut self, o: Cost) {
        self.input += o.input;
        self.cache_write_5m += o.cache_write_5m;
        self.cache_write_1h += o.cache_write_1h;
        self.cache_read += o.cache_read;
        self.output += o.output;
        self.web_search += o.web_search;
    }
}

fn normalize(name: &str) -> String {
    let mut s = name.trim().to_ascii_lowercase();
    if let Some(i) = s.rfind('/') {
        s = s[i + 1..].to_string();
    }
    for prefix in ["global.", "us.", "eu.", "apac.", "jp.", "au."] {
        if let Some(rest) = s.strip_prefix(prefix) {
            if rest.starts_with("anthropic.") {
                s = rest.to_string();
            }
        }
    }
    if let Some(rest) = s.strip_prefix("anthropic.") {
        s = rest.to_string();
    }
    if let Some(rest) = s.strip_suffix("[1m]") {
        s = rest.to_string();
    }
    // Bedrock's version suffix: -v1:0, -v2:0 ...
    if let Some(i) = s.rfind("-v") {
        let tail = &s[i + 2..];
        if !tail.is_empty()
            && tail.bytes().all(|c| c.is_ascii_digit() || c == b':')
            && tail.contains(':')
        {
            s.truncate(i);
        }
    }
    // Vertex's snapshot form: claude-sonnet-4-5@20250929.
    s.replace('@', "-")
}

fn strip_date_suffix(s: &str) -> Option<&str> {
    let (base, date) = s.rsplit_once('-')?;
    let valid = date.len() == 8
        && date.bytes().all(|c| c.is_ascii_digit())
        && Day::parse(&format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..])).is_ok();
    valid.then_some(base)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests;
