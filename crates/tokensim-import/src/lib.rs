//! Importers: convert third-party LLM request traces into corpus v1 JSON lines
//! (`docs/corpus-format.md`), so that tokensim can replay them. The mappings and the choices behind
//! them are documented in `docs/importers.md`.
//!
//! An importer streams: it reads the trace through a [`std::io::BufRead`] and writes corpus lines to
//! a [`std::io::Write`], one record per trace line, without holding the trace in memory. It opens no
//! files; the caller does. A malformed line stops the import with an [`ImportError`] that names the
//! file, line and field. A well-formed line that the corpus cannot represent faithfully is skipped,
//! and a line that needed a documented adjustment is written; both are listed with their reasons in
//! the [`ImportSummary`], so no line is ever dropped silently.

#![deny(missing_docs)]

mod error;
pub mod mooncake;
mod summary;

pub use error::ImportError;
pub use summary::{ImportSummary, LineNote};
