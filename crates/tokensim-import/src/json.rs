//! Field errors shared by the JSON importers, in the corpus format's words.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// A line error as `(field, message)`.
pub type FieldError = (String, String);

/// A non-negative JSON integer. `2.0` is not one: logs and traces write integers, and a float
/// means the file was produced by something else.
pub(crate) fn count_of(value: &Value) -> Option<u64> {
    value.as_u64()
}

/// The error for a required field that is absent: `(field, "required field is missing")`.
pub fn missing(field: &str) -> FieldError {
    (field.to_owned(), "required field is missing".to_owned())
}

pub(crate) fn not_a_count(field: &str, value: &Value) -> FieldError {
    let message = format!("must be a non-negative integer, got {}", shown(value));
    (field.to_owned(), message)
}

/// A JSON value for a message, cut to 40 characters.
pub fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 40 {
        return text;
    }
    let cut: String = text.chars().take(40).collect();
    format!("{cut}…")
}

/// Parses one line as a JSON object into `T`. An array or scalar is refused first (serde would
/// accept an array as a struct); a syntax error names its column, not "line 1".
pub(crate) fn object_line<T: DeserializeOwned>(text: &str) -> Result<T, FieldError> {
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        let start: String = trimmed.chars().take(20).collect();
        let message = format!("not a JSON object (line starts with {start:?})");
        return Err((String::new(), message));
    }
    serde_json::from_str(text).map_err(|e| {
        let mut message = e.to_string();
        if let Some(at) = message.rfind(" at line ") {
            message.truncate(at);
        }
        (
            String::new(),
            format!("not valid JSON: {message} (column {})", e.column()),
        )
    })
}

/// Walks the JSON pages of a file: one document (pretty-printed, as APIs return it), several one
/// after another or one per line, or a JSON array of pages. Calls `each(line, prefix, page)` for
/// every page, where `line` is the 1-based line the document starts on and `prefix` is `[i].` for
/// the items of a top-level array (empty otherwise), so that a field's path reads
/// `[1].data[0].amount`. A syntax error stops the walk with `syntax(line, message)`, the message
/// without serde's own "at line" suffix. Used by the Admin API importers and the reconciliation.
pub fn for_each_page<E>(
    text: &str,
    mut each: impl FnMut(u64, &str, &Value) -> Result<(), E>,
    syntax: impl Fn(u64, String) -> E,
) -> Result<(), E> {
    let mut docs = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let start = docs.byte_offset();
        let Some(doc) = docs.next() else {
            return Ok(());
        };
        // The document starts at its first non-blank byte after `start`.
        let rest = &text[start..];
        let skipped_ws = rest.len() - rest.trim_start().len();
        let line = 1 + text[..start + skipped_ws].matches('\n').count() as u64;
        let doc = doc.map_err(|e| {
            let message = format!("not valid JSON: {e}");
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.clone(), |(m, _)| m.to_owned());
            syntax(e.line() as u64, message)
        })?;
        match &doc {
            Value::Array(items) => {
                for (i, page) in items.iter().enumerate() {
                    each(line, &format!("[{i}]."), page)?;
                }
            }
            page => each(line, "", page)?,
        }
    }
}

/// One time bucket of an Admin API report page (the usage report and the cost report share the
/// shape `{"data": [{"starting_at", "ending_at", "results": [...]}], ...}`).
#[derive(Debug)]
pub struct Bucket<'a> {
    /// Its path in the page, `data[3]`.
    pub path: String,
    /// `starting_at`.
    pub start: tokensim_corpus::Timestamp,
    /// `ending_at`.
    pub end: tokensim_corpus::Timestamp,
    /// `results`, as written (a list).
    pub results_value: &'a Value,
    /// `results`, its items.
    pub results: &'a [Value],
}

/// The buckets of an Admin API report page, checked: the page is an object with a `data` list
/// of objects, each with RFC 3339 `starting_at` and `ending_at` and a `results` list. `report`
/// names the report in messages (`usage report`, `cost report`). An error is `(field path,
/// message)`, like the importers' field errors.
pub fn report_buckets<'a>(
    page: &'a Value,
    report: &str,
) -> Result<Vec<Bucket<'a>>, (String, String)> {
    let Some(page) = page.as_object() else {
        let message = format!("a {report} page must be a JSON object, got {}", shown(page));
        return Err((String::new(), message));
    };
    let data = page
        .get("data")
        .ok_or_else(|| missing("data"))?
        .as_array()
        .ok_or_else(|| {
            (
                "data".to_owned(),
                "must be a list of time buckets".to_owned(),
            )
        })?;
    let mut buckets = Vec::with_capacity(data.len());
    for (b, bucket) in data.iter().enumerate() {
        let path = format!("data[{b}]");
        let Some(bucket) = bucket.as_object() else {
            return Err((path, "a time bucket must be a JSON object".to_owned()));
        };
        let start = timestamp(bucket, "starting_at", &path)?;
        let end = timestamp(bucket, "ending_at", &path)?;
        let results_value = bucket
            .get("results")
            .ok_or_else(|| missing(&format!("{path}.results")))?;
        let results = results_value.as_array().ok_or_else(|| {
            (
                format!("{path}.results"),
                "must be a list of results".to_owned(),
            )
        })?;
        buckets.push(Bucket {
            path,
            start,
            end,
            results_value,
            results,
        });
    }
    Ok(buckets)
}

fn timestamp(
    bucket: &serde_json::Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<tokensim_corpus::Timestamp, FieldError> {
    let field = format!("{path}.{key}");
    match bucket.get(key) {
        None => Err(missing(&field)),
        Some(Value::String(s)) => {
            tokensim_corpus::Timestamp::parse_rfc3339(s).map_err(|m| (field, m))
        }
        Some(v) => Err((
            field,
            format!("must be an RFC 3339 string, got {}", shown(v)),
        )),
    }
}
