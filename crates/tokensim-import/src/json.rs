//! Field errors shared by the JSON importers, in the corpus format's words.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// A line error as `(field, message)`.
pub(crate) type FieldError = (String, String);

/// A non-negative JSON integer. `2.0` is not one: logs and traces write integers, and a float
/// means the file was produced by something else.
pub(crate) fn count_of(value: &Value) -> Option<u64> {
    value.as_u64()
}

pub(crate) fn missing(field: &str) -> FieldError {
    (field.to_owned(), "required field is missing".to_owned())
}

pub(crate) fn not_a_count(field: &str, value: &Value) -> FieldError {
    let message = format!("must be a non-negative integer, got {}", shown(value));
    (field.to_owned(), message)
}

/// A JSON value for a message, cut to 40 characters.
pub(crate) fn shown(value: &Value) -> String {
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
