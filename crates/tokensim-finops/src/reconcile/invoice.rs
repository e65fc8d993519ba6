//! Reading Admin API cost report pages (`GET /v1/organizations/cost_report`) into invoice lines.
//!
//! A page is a JSON object `{"data": [...], "has_more", "next_page"}`; `data` holds daily
//! buckets `{"starting_at", "ending_at", "results": [...]}`. A file holds one page (pretty JSON,
//! as the API returns it), several pages one after another or one per line, or a JSON array of
//! pages. Errors name the file, the line the page starts on, and the field's path inside it
//! (`data[0].results[2].amount`, or `[1].data[0]...` inside an array of pages).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use serde_json::{Map, Value};
use tokensim_corpus::{Day, Timestamp};
use tokensim_import::{missing, report_buckets, shown, FieldError};
use tokensim_pricing::money::PICO_PER_CENT;
use tokensim_pricing::PicoUsd;

use super::{Component, ReconcileError};

/// The most integer digits an amount of cents may have (10^15 cents is ten trillion dollars),
/// so that sums of amounts can never overflow.
const MAX_INT_DIGITS: usize = 15;

/// Parses a cost report `amount`: a plain decimal string of US cents (`"123.78912"` is
/// $1.2378912), with an optional leading `-` (credits). Digits past the tenth decimal of a cent
/// (finer than a pico-dollar) are rounded half to even; the flag says whether anything non-zero
/// was dropped. No exponent, no `+`, no thousands separator, no blanks.
pub fn parse_cents(s: &str) -> Result<(PicoUsd, bool), String> {
    let bad = || format!("{s:?} is not a decimal amount of cents like \"123.78912\"");
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => {
            if f.is_empty() {
                return Err(bad());
            }
            (i, f)
        }
        None => (body, ""),
    };
    if int.is_empty()
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let int = int.trim_start_matches('0');
    if int.len() > MAX_INT_DIGITS {
        return Err(format!("{s:?} is too large an amount of cents"));
    }
    let digits = |d: &str| d.bytes().fold(0i128, |v, c| v * 10 + i128::from(c - b'0'));
    let (kept, rest) = frac.split_at(frac.len().min(10));
    let mut pico = digits(int) * PICO_PER_CENT + digits(kept) * 10i128.pow(10 - kept.len() as u32);
    let rounded = rest.bytes().any(|c| c != b'0');
    if rounded {
        let first = rest.as_bytes()[0];
        let tail_nonzero = rest[1..].bytes().any(|c| c != b'0');
        let up = first > b'5' || (first == b'5' && (tail_nonzero || pico % 2 == 1));
        if up {
            pico += 1;
        }
    }
    Ok((PicoUsd(if neg { -pico } else { pico }), rounded))
}

/// One result of one daily bucket: an amount for one combination of the grouping dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    /// The bucket's UTC day (`starting_at`).
    pub day: Day,
    /// `workspace_id` as written; `None` for the default workspace (or a report not grouped by
    /// workspace).
    pub workspace_id: Option<String>,
    /// `model` as written; `None` when the report is not grouped by description, or for costs
    /// that belong to no model.
    pub model: Option<String>,
    /// What the amount is for, from `cost_type` and `token_type`.
    pub component: Component,
    /// `service_tier`, as written.
    pub service_tier: Option<String>,
    /// `context_window`, as written.
    pub context_window: Option<String>,
    /// `inference_geo`, as written.
    pub inference_geo: Option<String>,
    /// `description`, as written.
    pub description: Option<String>,
    /// `amount`, exactly (rounded half to even to the pico-dollar when finer).
    pub amount: PicoUsd,
    /// Where the line was read: `file:line: data[0].results[2]`.
    pub at: String,
}

/// Cost report pages, read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CostReport {
    /// The files read, as named by the caller.
    pub files: Vec<String>,
    /// Pages read.
    pub pages: u64,
    /// Daily buckets read.
    pub buckets: u64,
    /// Every result of every bucket, in file order.
    pub lines: Vec<InvoiceLine>,
    /// The days a bucket covers (a bucket with no results still covers its day: nothing was
    /// billed that day).
    pub days: BTreeSet<Day>,
    /// How many amounts had digits finer than a pico-dollar and were rounded half to even.
    pub amounts_rounded: u64,
}

/// Reads cost report pages. `sources` pairs each file's name (for errors) with its reader.
///
/// A malformed page (not JSON, a field missing or of the wrong type, an amount that is not a
/// decimal string of cents, a currency other than USD, a bucket that is not one UTC day) stops
/// with an error naming the file, the line the page starts on, and the field's path. The same
/// day's bucket given twice with the same results (the same page passed twice) is an error too;
/// a day whose results are split over several buckets is summed.
pub fn read_cost_report<R: Read>(
    sources: impl IntoIterator<Item = (String, R)>,
) -> Result<CostReport, ReconcileError> {
    let mut report = CostReport::default();
    // The first bucket seen for each day, to catch a page given twice.
    let mut seen: BTreeMap<Day, (Value, String)> = BTreeMap::new();
    for (name, mut input) in sources {
        let mut text = String::new();
        input
            .read_to_string(&mut text)
            .map_err(|cause| ReconcileError::Read {
                file: name.clone(),
                cause,
            })?;
        report.files.push(name.clone());
        tokensim_import::for_each_page(
            &text,
            |line, prefix, page| {
                report.pages += 1;
                let at = Where {
                    file: &name,
                    line,
                    prefix,
                };
                read_page(page, &at, &mut report, &mut seen)
            },
            |line, message| ReconcileError::Page {
                file: name.clone(),
                line,
                field: String::new(),
                message,
            },
        )?;
    }
    Ok(report)
}

/// A page's place: the file, the line it starts on, and its path prefix inside the file.
struct Where<'a> {
    file: &'a str,
    line: u64,
    prefix: &'a str,
}

impl Where<'_> {
    fn error(&self, (field, message): FieldError) -> ReconcileError {
        ReconcileError::Page {
            file: self.file.to_owned(),
            line: self.line,
            field: format!("{}{field}", self.prefix),
            message,
        }
    }

    fn place(&self, path: &str) -> String {
        format!("{}:{}: {}{path}", self.file, self.line, self.prefix)
    }
}

fn read_page(
    page: &Value,
    at: &Where<'_>,
    report: &mut CostReport,
    seen: &mut BTreeMap<Day, (Value, String)>,
) -> Result<(), ReconcileError> {
    let buckets = report_buckets(page, "cost report").map_err(|e| at.error(e))?;
    for bucket in buckets {
        report.buckets += 1;
        let (path, start, end) = (bucket.path, bucket.start, bucket.end);
        let day = start.day();
        if start != Timestamp::start_of(day) {
            return Err(at.error((
                format!("{path}.starting_at"),
                "a cost report bucket must start at 00:00:00 UTC (the report is daily)".into(),
            )));
        }
        if end != Timestamp::start_of(Day(day.0 + 1)) {
            return Err(at.error((
                format!("{path}.ending_at"),
                format!("a cost report bucket must end 24 hours after it starts (at {}T00:00:00Z): the report is daily", Day(day.0 + 1)),
            )));
        }
        let (results_value, results) = (bucket.results_value, bucket.results);
        if !results.is_empty() {
            match seen.get(&day) {
                Some((first, where_first)) if first == results_value => {
                    return Err(at.error((
                        path.clone(),
                        format!(
                            "the bucket for {day} was already read, with the same results, at \
                             {where_first} (the same page given twice?)"
                        ),
                    )));
                }
                Some(_) => {}
                None => {
                    seen.insert(day, (results_value.clone(), at.place(&path)));
                }
            }
        }
        report.days.insert(day);
        for (r, result) in results.iter().enumerate() {
            let path = format!("{path}.results[{r}]");
            let result = result
                .as_object()
                .ok_or_else(|| at.error((path.clone(), "a result must be a JSON object".into())))?;
            let (line, rounded) = parse_result(result, &path, day).map_err(|e| at.error(e))?;
            report.amounts_rounded += u64::from(rounded);
            report.lines.push(InvoiceLine {
                at: at.place(&path),
                ..line
            });
        }
    }
    Ok(())
}

fn parse_result(
    r: &Map<String, Value>,
    path: &str,
    day: Day,
) -> Result<(InvoiceLine, bool), FieldError> {
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
    let (amount, rounded) = match r.get("amount") {
        None => return Err(missing(&format!("{path}.amount"))),
        Some(Value::String(s)) => parse_cents(s).map_err(|m| (format!("{path}.amount"), m))?,
        Some(v) => {
            return Err((
                format!("{path}.amount"),
                format!(
                    "must be a decimal string of cents like \"123.78912\", got {}",
                    shown(v)
                ),
            ))
        }
    };
    match r.get("currency") {
        None => return Err(missing(&format!("{path}.currency"))),
        Some(Value::String(c)) if c == "USD" => {}
        Some(v) => {
            return Err((
                format!("{path}.currency"),
                format!(
                    "only USD amounts can be compared with list prices, got {}",
                    shown(v)
                ),
            ))
        }
    }
    let cost_type = text("cost_type")?;
    let token_type = text("token_type")?;
    let component = match cost_type.as_deref() {
        None => Component::Unsplit,
        Some("tokens") => match token_type.as_deref() {
            None => Component::Unsplit,
            Some(t) => Component::from_token_type(t).ok_or_else(|| {
                (
                    format!("{path}.token_type"),
                    format!(
                        "unknown token type {t:?} (expected uncached_input_tokens, output_tokens, \
                         cache_read_input_tokens, cache_creation.ephemeral_5m_input_tokens or \
                         cache_creation.ephemeral_1h_input_tokens)"
                    ),
                )
            })?,
        },
        Some("web_search") => Component::WebSearch,
        Some("code_execution") => Component::CodeExecution,
        Some("session_usage") => Component::SessionUsage,
        Some(other) => {
            return Err((
                format!("{path}.cost_type"),
                format!(
                    "unknown cost type {other:?} (expected tokens, web_search, code_execution or \
                     session_usage)"
                ),
            ))
        }
    };
    Ok((
        InvoiceLine {
            day,
            workspace_id: text("workspace_id")?,
            model: text("model")?,
            component,
            service_tier: text("service_tier")?,
            context_window: text("context_window")?,
            inference_geo: text("inference_geo")?,
            description: text("description")?,
            amount,
            at: String::new(),
        },
        rounded,
    ))
}
