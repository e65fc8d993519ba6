//! What the line-per-record importers share: a corpus record to serialize, and the loop that
//! reads a trace line by line, counts blank lines and names the line in every error.
//!
//! A [`Record`] is written with only the fields that are set (`None` and empty lists are left
//! out), in the order of `docs/corpus-format.md`. Importers that need a key order or zero-copy
//! output of their own (Mooncake's block segments, Claude Code's tags) keep their own structs.

use std::io::{self, BufRead, Write};

use serde::Serialize;
use tokensim_corpus::{Timestamp, SCHEMA_V1};

use crate::json::FieldError;
use crate::{ImportError, ImportSummary};

/// One corpus v1 record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Record {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(serialize_with = "display")]
    pub ts: Timestamp,
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inference_geo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_class: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking_tokens: Option<u64>,
    pub usage: Usage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Prompt>,
}

impl Record {
    /// A record with only the required fields set.
    pub fn new(ts: Timestamp, model: impl Into<String>, usage: Usage) -> Self {
        Record {
            id: None,
            ts,
            model: model.into(),
            workspace: None,
            team: None,
            app: None,
            feature: None,
            tags: Vec::new(),
            service_tier: None,
            speed: None,
            inference_geo: None,
            task: None,
            latency_class: None,
            conversation_id: None,
            stream: None,
            latency_ms: None,
            max_tokens: None,
            thinking_tokens: None,
            usage,
            prompt: None,
        }
    }
}

/// The usage object, as the Messages API writes it (input exclusive of the cache).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
    /// The 5m / 1h split of the cache writes, when the source gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_creation: Option<CacheCreation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_tool_use: Option<ServerToolUse>,
}

impl Usage {
    /// Total input: uncached plus cache writes plus cache reads.
    pub fn total_input(&self) -> u64 {
        self.input_tokens
            .saturating_add(self.cache_creation_input_tokens)
            .saturating_add(self.cache_read_input_tokens)
    }
}

/// The cache writes by TTL; the two add up to `cache_creation_input_tokens`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct CacheCreation {
    pub ephemeral_5m_input_tokens: u64,
    pub ephemeral_1h_input_tokens: u64,
}

/// Server tools billed per use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct ServerToolUse {
    pub web_search_requests: u64,
}

/// The prompt as ordered segments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Prompt {
    pub segments: Vec<Segment>,
}

/// One prompt block: its role, keyed fingerprint, tokens and breakpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Segment {
    pub role: &'static str,
    pub hash: String,
    pub tokens: u64,
    /// `"5m"` or `"1h"` at a breakpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<&'static str>,
}

fn display<S: serde::Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(ts)
}

/// Writes corpus lines to a buffered output: the header first, then one record a line.
pub(crate) struct CorpusWriter<W: Write> {
    out: io::BufWriter<W>,
    file: String,
}

impl<W: Write> CorpusWriter<W> {
    /// Writes the header. `file` is the source name, for write errors.
    pub fn new(out: W, file: &str) -> Result<Self, ImportError> {
        let mut w = CorpusWriter {
            out: io::BufWriter::new(out),
            file: file.to_owned(),
        };
        writeln!(w.out, "{{\"schema\":\"{SCHEMA_V1}\"}}").map_err(|e| w.error(e))?;
        Ok(w)
    }

    /// Writes one record and counts it (records, tokens, segments) in `summary`.
    pub fn write(
        &mut self,
        record: &Record,
        summary: &mut ImportSummary,
    ) -> Result<(), ImportError> {
        serde_json::to_writer(&mut self.out, record).map_err(|e| self.error(e.into()))?;
        self.out.write_all(b"\n").map_err(|e| self.error(e))?;
        summary.records_written += 1;
        summary.tokens_input = summary
            .tokens_input
            .saturating_add(record.usage.total_input());
        summary.tokens_output = summary
            .tokens_output
            .saturating_add(record.usage.output_tokens);
        summary.segments_written += record
            .prompt
            .as_ref()
            .map_or(0, |p| p.segments.len() as u64);
        Ok(())
    }

    /// Flushes the output.
    pub fn finish(mut self) -> Result<(), ImportError> {
        self.out.flush().map_err(|e| self.error(e))
    }

    fn error(&self, cause: io::Error) -> ImportError {
        ImportError::Write {
            file: self.file.clone(),
            cause,
        }
    }
}

/// Reads `input` line by line and calls `each(line_number, text)` on every non-blank line,
/// without its line ending. Counts `lines_read` and `lines_blank` in `summary`. A line that is
/// not UTF-8, a read failure, or an `Err` from `each` stops the loop with an error naming
/// `source_name`, the line and the field.
pub(crate) fn for_each_line<R: BufRead>(
    mut input: R,
    source_name: &str,
    summary: &mut ImportSummary,
    mut each: impl FnMut(u64, &str, &mut ImportSummary) -> Result<(), LineError>,
) -> Result<(), ImportError> {
    let mut raw = Vec::new();
    loop {
        let line = summary.lines_read + 1;
        raw.clear();
        let read = input
            .read_until(b'\n', &mut raw)
            .map_err(|cause| ImportError::Read {
                file: source_name.to_owned(),
                line,
                cause,
            })?;
        if read == 0 {
            return Ok(());
        }
        summary.lines_read = line;
        let text = tokensim_corpus::utf8(&raw).map_err(|e| {
            line_error(
                source_name,
                line,
                (String::new(), format!("line is not valid UTF-8 ({e})")),
            )
        })?;
        if text.trim().is_empty() {
            summary.lines_blank += 1;
            continue;
        }
        let text = text.trim_end_matches(['\n', '\r']);
        match each(line, text, summary) {
            Ok(()) => {}
            Err(LineError::Field(e)) => return Err(line_error(source_name, line, e)),
            Err(LineError::Import(e)) => return Err(e),
        }
    }
}

/// Why `each` stopped on a line: a field error (the loop adds file and line) or an error that
/// already says where (a write failure).
#[derive(Debug)]
pub(crate) enum LineError {
    Field(FieldError),
    Import(ImportError),
}

impl From<FieldError> for LineError {
    fn from(e: FieldError) -> Self {
        LineError::Field(e)
    }
}

impl From<ImportError> for LineError {
    fn from(e: ImportError) -> Self {
        LineError::Import(e)
    }
}

/// A line error for `file:line`.
pub(crate) fn line_error(file: &str, line: u64, (field, message): FieldError) -> ImportError {
    ImportError::Line {
        file: file.to_owned(),
        line,
        field,
        message,
    }
}

/// The stem of a source name: its last path component without `.zst`, then without its last
/// extension (`traces/conversation_trace.jsonl` gives `conversation_trace`).
pub(crate) fn stem(source_name: &str) -> &str {
    let name = source_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(source_name);
    let name = name.strip_suffix(".zst").unwrap_or(name);
    match name.rfind('.') {
        Some(dot) if dot > 0 => &name[..dot],
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_writes_only_what_is_set() {
        let record = Record::new(
            Timestamp::parse_rfc3339("2026-01-02T03:04:05Z").unwrap(),
            "claude-haiku-4-5",
            Usage {
                input_tokens: 3,
                output_tokens: 4,
                ..Usage::default()
            },
        );
        let mut summary = ImportSummary::default();
        let mut buf = Vec::new();
        let mut w = CorpusWriter::new(&mut buf, "x").unwrap();
        w.write(&record, &mut summary).unwrap();
        w.finish().unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            format!(
                "{{\"schema\":\"{SCHEMA_V1}\"}}\n{{\"ts\":\"2026-01-02T03:04:05Z\",\"model\":\
                 \"claude-haiku-4-5\",\"usage\":{{\"input_tokens\":3,\"output_tokens\":4,\
                 \"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}}}\n"
            )
        );
        assert_eq!((summary.records_written, summary.tokens_input), (1, 3));
    }

    #[test]
    fn the_line_loop_counts_blank_lines_and_names_the_line() {
        let mut summary = ImportSummary::default();
        let mut seen = Vec::new();
        let input = "a\n\n  \nb\r\nbad\n";
        let err = for_each_line(
            input.as_bytes(),
            "f.jsonl",
            &mut summary,
            |line, text, _| {
                if text == "bad" {
                    return Err(LineError::Field(("x".into(), "is bad".into())));
                }
                seen.push((line, text.to_owned()));
                Ok(())
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "f.jsonl:5: x: is bad");
        assert_eq!(seen, [(1, "a".to_owned()), (4, "b".to_owned())]);
        assert_eq!((summary.lines_read, summary.lines_blank), (5, 2));
    }

    #[test]
    fn stems() {
        assert_eq!(stem("a/b/trace.csv"), "trace");
        assert_eq!(stem("trace.jsonl.zst"), "trace");
        assert_eq!(stem(".hidden"), ".hidden");
        assert_eq!(stem("noext"), "noext");
    }
}
