//! The corpus crate's one error type. Messages say where: `file:line: field: what is wrong`.

use std::io;
use std::path::PathBuf;

/// Why a corpus could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// The file could not be opened.
    #[error("{}: cannot open: {cause}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: io::Error,
    },
    /// Reading failed part-way, e.g. a truncated or corrupt zstd stream.
    #[error("{}: read failed (truncated or corrupt file?): {cause}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: io::Error,
    },
    /// A line is not a valid record.
    #[error("{}:{line}: {error}", path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The field and what is wrong with it.
        error: crate::parse::LineError,
    },
}
