//! The import crate's one error type. Messages say where: `file:line: field: what is wrong`.

use std::io;

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A trace line is malformed: not JSON, a field missing or of the wrong type.
    #[error("{file}:{line}: {}", field_message(.field, .message))]
    Line {
        /// The source name the caller passed (usually the trace's file name).
        file: String,
        /// 1-based line number in the trace.
        line: u64,
        /// The field, like `input_length` or `hash_ids[3]`; empty when the whole line is wrong.
        field: String,
        /// What is wrong, lowercase, no trailing period.
        message: String,
    },
    /// Reading the trace failed.
    #[error("{file}:{line}: read failed: {cause}")]
    Read {
        /// The source name.
        file: String,
        /// The line being read when it failed.
        line: u64,
        /// The cause.
        cause: io::Error,
    },
    /// Writing the corpus failed.
    #[error("{file}: writing the corpus failed: {cause}")]
    Write {
        /// The source name of the trace being converted.
        file: String,
        /// The cause.
        cause: io::Error,
    },
    /// Finding the input files failed: a path does not exist, a directory cannot be listed, or
    /// holds no file to import.
    #[error("{path}: {message}")]
    Walk {
        /// The path given or found.
        path: String,
        /// What is wrong, lowercase, no trailing period.
        message: String,
    },
    /// An option or argument cannot produce valid records.
    #[error("{name}: {message}")]
    Option {
        /// The option, like `model`.
        name: &'static str,
        /// What is wrong with it.
        message: String,
    },
}

fn field_message(field: &str, message: &str) -> String {
    if field.is_empty() {
        message.to_owned()
    } else {
        format!("{field}: {message}")
    }
}
