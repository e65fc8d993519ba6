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
