//! Reads a source as a sequence of JSON values, each named by the line it starts on: JSON lines
//! (one value a line, streamed), or pretty-printed documents (a JSON array of rows, one object
//! spread over many lines, several such documents one after another, as `jq` prints them).
//!
//! Lines are read one by one while each non-blank line holds one complete JSON value. At the
//! first line that does not, because the value goes on past the end of the line, the rest of the
//! input is read into memory and parsed as whitespace-separated JSON values. So JSON lines are
//! streamed and a pretty-printed document costs its size in memory. Shared by the LiteLLM and
//! OpenTelemetry importers (both read exports that are written either way).

use std::io::BufRead;

use serde_json::error::Category;
use serde_json::Value;

use crate::json::FieldError;
use crate::out::{for_each_line, line_error, LineError};
use crate::{ImportError, ImportSummary};

/// What the reader saw, for the importer's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ValueCounts {
    /// Every line, blank ones included.
    pub lines_read: u64,
    /// Lines holding only whitespace (between values; blank lines inside a multi-line value are
    /// counted here too).
    pub lines_blank: u64,
    /// JSON values read.
    pub values_read: u64,
}

/// Calls `each(start_line, value)` on every JSON value of `input`, in order. A syntax error, a
/// value cut off by the end of the input, a line that is not UTF-8, or an `Err` from `each`
/// stops the reading with an error naming `source_name` and the line.
pub(crate) fn for_each_value<R: BufRead>(
    input: R,
    source_name: &str,
    counts: &mut ValueCounts,
    mut each: impl FnMut(u64, Value) -> Result<(), LineError>,
) -> Result<(), ImportError> {
    let mut lines = ImportSummary::default();
    // Once a value spans lines: the buffered rest of the input, and where each buffered line
    // starts in it, with its line number.
    let mut buffer = String::new();
    let mut starts: Vec<(usize, u64)> = Vec::new();
    let mut buffering = false;
    let mut values = 0u64;
    let result = for_each_line(input, source_name, &mut lines, |line, text, _| {
        if !buffering {
            match serde_json::from_str::<Value>(text) {
                Ok(value) => {
                    values += 1;
                    return each(line, value);
                }
                Err(e) if e.classify() == Category::Eof => buffering = true,
                Err(e) => return Err(LineError::Field(syntax_error(&e, None))),
            }
        }
        starts.push((buffer.len(), line));
        buffer.push_str(text);
        buffer.push('\n');
        Ok(())
    });
    counts.lines_read = lines.lines_read;
    counts.lines_blank = lines.lines_blank;
    counts.values_read = values;
    result?;
    if !buffering {
        return Ok(());
    }
    let line_at = |offset: usize| -> u64 {
        let i = starts.partition_point(|&(start, _)| start <= offset);
        starts[i.saturating_sub(1)].1
    };
    let mut stream = serde_json::Deserializer::from_str(&buffer).into_iter::<Value>();
    loop {
        let offset = stream.byte_offset();
        let rest = &buffer[offset..];
        let start = offset + (rest.len() - rest.trim_start().len());
        if start >= buffer.len() {
            return Ok(());
        }
        let start_line = line_at(start);
        match stream.next() {
            None => return Ok(()),
            Some(Ok(value)) => {
                counts.values_read += 1;
                match each(start_line, value) {
                    Ok(()) => {}
                    Err(LineError::Field(e)) => return Err(line_error(source_name, start_line, e)),
                    Err(LineError::Import(e)) => return Err(e),
                }
            }
            Some(Err(e)) if e.classify() == Category::Eof => {
                let message = "the JSON value that starts on this line is cut off by the end of \
                               the input"
                    .to_owned();
                return Err(line_error(
                    source_name,
                    start_line,
                    (String::new(), message),
                ));
            }
            Some(Err(e)) => {
                // serde counts lines from 1 over the buffer, one buffered line per input line.
                let at = e
                    .line()
                    .saturating_sub(1)
                    .min(starts.len().saturating_sub(1));
                let line = starts.get(at).map_or(start_line, |&(_, line)| line);
                let within = (line != start_line).then_some(start_line);
                return Err(line_error(source_name, line, syntax_error(&e, within)));
            }
        }
    }
}

/// `not valid JSON: <what> (column C)`, naming the line the value started on when that is not
/// the line of the error.
fn syntax_error(e: &serde_json::Error, value_start: Option<u64>) -> FieldError {
    let mut message = e.to_string();
    if let Some(at) = message.rfind(" at line ") {
        message.truncate(at);
    }
    let mut text = format!("not valid JSON: {message} (column {})", e.column());
    if let Some(start) = value_start {
        text.push_str(&format!(", in the value that starts on line {start}"));
    }
    (String::new(), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &str) -> Result<(Vec<(u64, Value)>, ValueCounts), ImportError> {
        let mut seen = Vec::new();
        let mut counts = ValueCounts::default();
        for_each_value(input.as_bytes(), "f.json", &mut counts, |line, v| {
            seen.push((line, v));
            Ok(())
        })?;
        Ok((seen, counts))
    }

    #[test]
    fn json_lines_stream_one_value_a_line() {
        let (seen, counts) = read("{\"a\":1}\n\n[1,2]\n").unwrap();
        let lines: Vec<u64> = seen.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [1, 3]);
        assert_eq!(
            counts,
            ValueCounts {
                lines_read: 3,
                lines_blank: 1,
                values_read: 2
            }
        );
    }

    #[test]
    fn pretty_documents_are_named_by_their_first_line() {
        let input =
            "{\"a\":1}\n{\n  \"b\": 2,\n\n  \"c\": [1,\n 2]\n}\n  {\"d\": 3} {\"e\":\n4}\n\n";
        let (seen, counts) = read(input).unwrap();
        let lines: Vec<u64> = seen.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [1, 2, 8, 8]);
        assert_eq!(seen[1].1["c"][1], 2);
        assert_eq!(
            (counts.lines_read, counts.lines_blank, counts.values_read),
            (10, 2, 4)
        );
    }

    #[test]
    fn errors_name_the_line() {
        let err = read("{\"a\":1}\n{\"a\" 1}\n").unwrap_err().to_string();
        assert!(
            err.starts_with("f.json:2: not valid JSON: expected `:` (column 6)"),
            "{err}"
        );
        let err = read("{\n\"a\": 1,\n\"b\" 2\n}\n").unwrap_err().to_string();
        assert!(
            err.starts_with("f.json:3: not valid JSON: expected `:`")
                && err.ends_with("in the value that starts on line 1"),
            "{err}"
        );
        let err = read("{\"a\":1}\n\n{\"a\":\n").unwrap_err().to_string();
        assert_eq!(
            err,
            "f.json:3: the JSON value that starts on this line is cut off by the end of the input"
        );
    }
}
