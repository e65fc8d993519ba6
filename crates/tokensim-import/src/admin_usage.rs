//! The Admin API usage report importer (`GET /v1/organizations/usage_report/messages`).
//!
//! The report is aggregated: each page holds time buckets (`starting_at`, `ending_at`), and each
//! bucket one result per combination of the grouping fields (model, workspace, API key, service
//! tier, context window, ...), with summed token counts and no request count. A result becomes
//! corpus records marked `aggregate:admin-usage`, dated at its bucket's start. Prices are linear in
//! tokens, so the summed tokens price exactly as the requests did, with one exception the mapping
//! takes care of: the long-context band is decided per request by its total input, which a sum
//! would cross. A result the report puts in the `0-200k` context window is therefore written as
//! "pieces" of at most [`PIECE_MAX_INPUT`] input tokens each (below every long-context threshold
//! in the catalog), and a `200k-1M` result as one record (its sum is above the threshold, as each
//! of its requests was). The full mapping, and which levers can and cannot run on aggregated data,
//! are in `docs/importers.md` ("admin-usage").
//!
//! A page is a JSON object `{"data": [...], "has_more", "next_page"}`. A file holds one page
//! (pretty-printed, as the API returns it), several pages one after another or one per line, or a
//! JSON array of pages.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use serde_json::{Map, Value};

use crate::json::{count_of, for_each_page, not_a_count, report_buckets, shown, FieldError};
use crate::out::{line_error, stem, CacheCreation, CorpusWriter, Record, ServerToolUse, Usage};
use crate::{ImportError, LineNote};

#[cfg(test)]
mod tests;

/// The most input tokens (uncached, cache writes and cache reads together) one piece of a
/// `0-200k` result holds: the lowest long-context threshold among Claude models (Haiku 5.5's
/// upper band starts above 100,000), so that no piece is priced in a long-context band its
/// requests were not in.
pub const PIECE_MAX_INPUT: u64 = 100_000;

/// The tag every record of this importer carries: it stands for summed requests, not one.
pub const AGGREGATE_TAG: &str = "aggregate:admin-usage";

/// Rule id: the result has no `model` (the report was not grouped by model), so it cannot be
/// priced. Skipped.
pub const RULE_NO_MODEL: &str = "no-model";

/// Rule id: the result's service tier has no published prices (`flex`, `flex_discount`, or a
/// tier this importer does not know). Skipped.
pub const RULE_UNPRICED_TIER: &str = "unpriced-service-tier";

/// Rule id: every token count and the web-search count are zero. Skipped: there is nothing to
/// price.
pub const RULE_EMPTY: &str = "empty";

/// Rule id: a `200k-1M` result whose summed input is not above 200,000 tokens, which no set of
/// long-context requests can give. Written as one record, which the replay prices in the base
/// band (the report's own figures may differ).
pub const RULE_LONG_CONTEXT_SMALL: &str = "long-context-sum-below-200k";

/// Rule id: `priority_on_demand` is written as `priority` (priced as standard: no priority
/// prices are published).
pub const RULE_PRIORITY_ON_DEMAND: &str = "priority-on-demand";

/// What the report does not say and the corpus needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdminUsageOptions {
    /// A team for every record. `None`: the workspace id (`default` for the default workspace).
    pub team: Option<String>,
}

/// The outcome of an import. Counts reconcile:
/// `results_read = results_written + skipped.len()`, and `records_written` is the pieces the
/// written results became (at least one each).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AdminUsageSummary {
    /// Files read.
    pub files: u64,
    /// Pages read.
    pub pages: u64,
    /// Time buckets read.
    pub buckets: u64,
    /// Results (rows of a bucket) read.
    pub results_read: u64,
    /// Results written.
    pub results_written: u64,
    /// Corpus records written (pieces), the header line not counted.
    pub records_written: u64,
    /// Skipped results, each with the line its page starts on, the rule, and where it is
    /// (`file: data[0].results[2]: ...`).
    pub skipped: Vec<LineNote>,
    /// Results written after a documented adjustment.
    pub adjusted: Vec<LineNote>,
    /// Total input tokens written (uncached, cache writes and reads).
    pub tokens_input: u128,
    /// Total output tokens written.
    pub tokens_output: u128,
    /// Results by context window (`0-200k`, `200k-1M`, or `none`).
    pub results_by_context_window: BTreeMap<String, u64>,
}

impl AdminUsageSummary {
    /// How many results each rule skipped, by rule id.
    pub fn skipped_by_rule(&self) -> BTreeMap<&'static str, u64> {
        count(&self.skipped)
    }

    /// How many results each rule adjusted, by rule id.
    pub fn adjusted_by_rule(&self) -> BTreeMap<&'static str, u64> {
        count(&self.adjusted)
    }
}

fn count(notes: &[LineNote]) -> BTreeMap<&'static str, u64> {
    let mut counts = BTreeMap::new();
    for note in notes {
        *counts.entry(note.rule).or_insert(0) += 1;
    }
    counts
}

/// Converts usage report pages to one corpus: a header line, then the records of every result
/// of every bucket, file by file in the order given. `sources` pairs each file's name (for
/// errors, ids and tags) with its reader.
///
/// A malformed page (not JSON, a field missing or of the wrong type) stops the import with an
/// error naming the file, the line the page starts on, and the field's path
/// (`data[0].results[2].output_tokens`).
pub fn convert<R: Read, W: Write>(
    sources: impl IntoIterator<Item = (String, R)>,
    opts: &AdminUsageOptions,
    out: W,
) -> Result<AdminUsageSummary, ImportError> {
    let mut writer = CorpusWriter::new(out, "admin usage report")?;
    let mut summary = AdminUsageSummary::default();
    let mut scratch = crate::ImportSummary::default();
    for (name, mut input) in sources {
        summary.files += 1;
        let mut text = String::new();
        input
            .read_to_string(&mut text)
            .map_err(|cause| ImportError::Read {
                file: name.clone(),
                line: 1,
                cause,
            })?;
        let file = FileCtx {
            name: &name,
            stem: stem(&name),
        };
        for_each_page(
            &text,
            |line, prefix, page| {
                summary.pages += 1;
                let at = Where {
                    file: &file,
                    line,
                    prefix,
                };
                read_page(page, &at, opts, &mut writer, &mut summary, &mut scratch)
            },
            |line, message| ImportError::Line {
                file: name.clone(),
                line,
                field: String::new(),
                message,
            },
        )?;
    }
    writer.finish()?;
    assert_eq!(
        summary.results_read,
        summary.results_written + summary.skipped.len() as u64,
        "every result is written or skipped"
    );
    Ok(summary)
}

struct FileCtx<'a> {
    name: &'a str,
    stem: &'a str,
}

/// A page's place: the file, the line it starts on, and its path prefix inside the file.
struct Where<'a> {
    file: &'a FileCtx<'a>,
    line: u64,
    prefix: &'a str,
}

impl Where<'_> {
    fn error(&self, (field, message): FieldError) -> ImportError {
        line_error(
            self.file.name,
            self.line,
            (format!("{}{field}", self.prefix), message),
        )
    }
}

fn read_page<W: Write>(
    page: &Value,
    at: &Where<'_>,
    opts: &AdminUsageOptions,
    writer: &mut CorpusWriter<W>,
    summary: &mut AdminUsageSummary,
    scratch: &mut crate::ImportSummary,
) -> Result<(), ImportError> {
    let buckets = report_buckets(page, "usage report").map_err(|e| at.error(e))?;
    for bucket in buckets {
        summary.buckets += 1;
        let (path, start, results) = (bucket.path, bucket.start, bucket.results);
        for (r, result) in results.iter().enumerate() {
            summary.results_read += 1;
            let path = format!("{path}.results[{r}]");
            let result = result
                .as_object()
                .ok_or_else(|| at.error((path.clone(), "a result must be a JSON object".into())))?;
            let row = parse_result(result, &path).map_err(|e| at.error(e))?;
            let note = |rule: &'static str, detail: String| LineNote {
                line: at.line,
                rule,
                detail: format!("{}: {}{path}: {detail}", at.file.name, at.prefix),
            };
            let Some(model) = row.model else {
                summary.skipped.push(note(
                    RULE_NO_MODEL,
                    "model is null: group the report by model to price it".into(),
                ));
                continue;
            };
            let tier = match row.service_tier.as_deref() {
                None | Some("standard") => None,
                Some("batch") => Some("batch"),
                Some("priority") => Some("priority"),
                Some("priority_on_demand") => {
                    summary.adjusted.push(note(
                        RULE_PRIORITY_ON_DEMAND,
                        "priority_on_demand written as priority".into(),
                    ));
                    Some("priority")
                }
                Some(other) => {
                    summary.skipped.push(note(
                        RULE_UNPRICED_TIER,
                        format!("service tier {other:?} has no published prices"),
                    ));
                    continue;
                }
            };
            let u = &row.usage;
            if u.total_input() == 0
                && u.output_tokens == 0
                && u.server_tool_use.is_none_or(|s| s.web_search_requests == 0)
            {
                summary
                    .skipped
                    .push(note(RULE_EMPTY, "every count is zero".into()));
                continue;
            }
            let window = row.context_window.clone();
            *summary
                .results_by_context_window
                .entry(window.clone().unwrap_or_else(|| "none".into()))
                .or_insert(0) += 1;
            let long = window.as_deref() == Some("200k-1M");
            if long && u.total_input() <= 200_000 {
                summary.adjusted.push(note(
                    RULE_LONG_CONTEXT_SMALL,
                    format!(
                        "context window 200k-1M but {} input tokens in all",
                        u.total_input()
                    ),
                ));
            }
            let pieces = if long {
                vec![row.usage.clone()]
            } else {
                split(&row.usage, PIECE_MAX_INPUT)
            };
            let workspace = row.workspace_id.clone().unwrap_or_else(|| "default".into());
            let mut tags = vec!["source:admin-usage".to_owned(), AGGREGATE_TAG.to_owned()];
            for (key, value) in [
                ("api_key", &row.api_key_id),
                ("account", &row.account_id),
                ("service_account", &row.service_account_id),
                ("context_window", &row.context_window),
            ] {
                if let Some(v) = value {
                    tags.push(format!("{key}:{v}"));
                }
            }
            let app = row
                .api_key_id
                .clone()
                .or_else(|| row.account_id.clone())
                .or_else(|| row.service_account_id.clone());
            let n = pieces.len();
            for (p, usage) in pieces.into_iter().enumerate() {
                let mut record = Record::new(start, model.clone(), usage);
                record.id = Some(if n == 1 {
                    format!("{}:{}{path}", at.file.stem, at.prefix)
                } else {
                    format!("{}:{}{path}:{}", at.file.stem, at.prefix, p + 1)
                });
                record.workspace = Some(workspace.clone());
                record.team = Some(opts.team.clone().unwrap_or_else(|| workspace.clone()));
                record.app = app.clone();
                record.tags = tags.clone();
                record.service_tier = tier;
                record.speed = row.speed;
                record.inference_geo = row.inference_geo.clone();
                summary.tokens_input += u128::from(record.usage.total_input());
                summary.tokens_output += u128::from(record.usage.output_tokens);
                writer.write(&record, scratch)?;
                summary.records_written += 1;
            }
            summary.results_written += 1;
        }
    }
    Ok(())
}

/// One result, read.
struct Row {
    model: Option<String>,
    workspace_id: Option<String>,
    api_key_id: Option<String>,
    account_id: Option<String>,
    service_account_id: Option<String>,
    service_tier: Option<String>,
    context_window: Option<String>,
    inference_geo: Option<String>,
    speed: Option<&'static str>,
    usage: Usage,
}

fn parse_result(r: &Map<String, Value>, path: &str) -> Result<Row, FieldError> {
    let text = |key: &str| -> Result<Option<String>, FieldError> {
        match r.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err((
                format!("{path}.{key}"),
                format!("must be a string or null, got {}", shown(v)),
            )),
        }
    };
    let tokens = |key: &str, within: Option<&Map<String, Value>>, name: &str| {
        let map = within.unwrap_or(r);
        match map.get(key) {
            None | Some(Value::Null) => Ok(0),
            Some(v) => count_of(v).ok_or_else(|| not_a_count(&format!("{path}.{name}"), v)),
        }
    };
    let object = |key: &str| -> Result<Option<&Map<String, Value>>, FieldError> {
        match r.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(v) => Err((
                format!("{path}.{key}"),
                format!("must be an object, got {}", shown(v)),
            )),
        }
    };
    let creation = object("cache_creation")?;
    let w5 = match creation {
        Some(c) => tokens(
            "ephemeral_5m_input_tokens",
            Some(c),
            "cache_creation.ephemeral_5m_input_tokens",
        )?,
        None => 0,
    };
    let w1 = match creation {
        Some(c) => tokens(
            "ephemeral_1h_input_tokens",
            Some(c),
            "cache_creation.ephemeral_1h_input_tokens",
        )?,
        None => 0,
    };
    let searches = match object("server_tool_use")? {
        Some(s) => tokens(
            "web_search_requests",
            Some(s),
            "server_tool_use.web_search_requests",
        )?,
        None => 0,
    };
    let usage = Usage {
        input_tokens: tokens("uncached_input_tokens", None, "uncached_input_tokens")?,
        output_tokens: tokens("output_tokens", None, "output_tokens")?,
        cache_creation_input_tokens: w5 + w1,
        cache_read_input_tokens: tokens(
            "cache_read_input_tokens",
            None,
            "cache_read_input_tokens",
        )?,
        cache_creation: (w1 > 0).then_some(CacheCreation {
            ephemeral_5m_input_tokens: w5,
            ephemeral_1h_input_tokens: w1,
        }),
        server_tool_use: (searches > 0).then_some(ServerToolUse {
            web_search_requests: searches,
        }),
    };
    let context_window = text("context_window")?;
    if let Some(w) = &context_window {
        if w != "0-200k" && w != "200k-1M" {
            return Err((
                format!("{path}.context_window"),
                format!("must be \"0-200k\" or \"200k-1M\", got {w:?}"),
            ));
        }
    }
    let speed = match text("speed")?.as_deref() {
        None | Some("standard") => None,
        Some("fast") => Some("fast"),
        Some(other) => {
            return Err((
                format!("{path}.speed"),
                format!("must be \"standard\" or \"fast\", got {other:?}"),
            ))
        }
    };
    Ok(Row {
        model: text("model")?,
        workspace_id: text("workspace_id")?,
        api_key_id: text("api_key_id")?,
        account_id: text("account_id")?,
        service_account_id: text("service_account_id")?,
        service_tier: text("service_tier")?,
        context_window,
        inference_geo: text("inference_geo")?,
        speed,
        usage,
    })
}

/// Splits summed usage into pieces of at most `max_input` input tokens each: cache reads, then
/// 1h writes, then 5m writes, then uncached input fill the pieces in turn; output tokens are
/// shared out evenly (the first pieces take the remainder) and web searches go to the first
/// piece. The pieces add up exactly to `usage`; a usage with no input is one piece.
pub(crate) fn split(usage: &Usage, max_input: u64) -> Vec<Usage> {
    let total = usage.total_input();
    let n = total.div_ceil(max_input).max(1);
    let w1 = usage
        .cache_creation
        .map_or(0, |c| c.ephemeral_1h_input_tokens);
    let w5 = usage.cache_creation_input_tokens - w1;
    // Remaining amounts per class, in fill order.
    let mut left = [usage.cache_read_input_tokens, w1, w5, usage.input_tokens];
    let mut pieces = Vec::with_capacity(n as usize);
    for i in 0..n {
        let mut room = max_input;
        let mut take = [0u64; 4];
        for (class, rest) in left.iter_mut().enumerate() {
            let t = (*rest).min(room);
            take[class] = t;
            *rest -= t;
            room -= t;
        }
        let output = usage.output_tokens / n + u64::from(i < usage.output_tokens % n);
        pieces.push(Usage {
            input_tokens: take[3],
            output_tokens: output,
            cache_creation_input_tokens: take[1] + take[2],
            cache_read_input_tokens: take[0],
            cache_creation: usage.cache_creation.map(|_| CacheCreation {
                ephemeral_5m_input_tokens: take[2],
                ephemeral_1h_input_tokens: take[1],
            }),
            server_tool_use: if i == 0 { usage.server_tool_use } else { None },
        });
    }
    debug_assert!(left.iter().all(|&l| l == 0));
    pieces
}
