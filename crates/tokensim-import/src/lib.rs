//! Importers: convert third-party LLM request traces (Mooncake) and Claude Code session logs into
//! corpus v1 JSON lines (`docs/corpus-format.md`), so that tokensim can replay them. The mappings
//! and the choices behind them are documented in `docs/importers.md`.
//!
//! An importer streams its input: it reads through a [`std::io::BufRead`] and writes corpus lines
//! to a [`std::io::Write`], without holding the trace in memory. It opens no files; the caller
//! does. A malformed line stops the import with an [`ImportError`] that names the file, line and
//! field. A well-formed line that the corpus cannot represent, or that is not an API call, is
//! skipped, and a line that needed a documented adjustment is written; both are counted with
//! their reasons in the summary, so no line is ever dropped silently. The Mooncake importer
//! writes one record per trace line as it reads; the Claude Code importer matches the several
//! lines of one API call across files, so it keeps one small record per call until the end.

#![deny(missing_docs)]

pub mod admin_usage;
pub mod anthropic;
pub mod azure;
pub mod burstgpt;
pub mod claude_code;
mod error;
mod json;
pub mod litellm;
pub mod models;
pub mod mooncake;
pub mod otel;
mod out;
mod summary;

pub use error::ImportError;
pub use json::{for_each_page, missing, report_buckets, shown, Bucket, FieldError};
pub use summary::{ImportSummary, LineNote};
