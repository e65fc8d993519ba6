//! The quality crate's one error type.

/// Why a priors file, a task class or a model could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QualityError {
    /// The priors file is invalid.
    #[error("{origin}: {message}")]
    Priors {
        /// Which file.
        origin: String,
        /// What is wrong, and where in the file.
        message: String,
    },
    /// A task class that is not one of the eight.
    #[error("unknown task class {0:?}; expected one of classification, extraction, summarization, chat, code, reasoning, agent, other")]
    UnknownTaskClass(String),
    /// A model family without a tier.
    #[error("model {id:?}: unknown family {family:?}; quality priors know fable, mythos, opus, sonnet and haiku")]
    UnknownFamily {
        /// The model id.
        id: String,
        /// The family as given.
        family: String,
    },
    /// A version that is not one to three dot-separated numbers.
    #[error("model {id:?}: version {version:?} is not numbers separated by dots (like \"4.5\" or \"5\")")]
    BadVersion {
        /// The model id.
        id: String,
        /// The version as given.
        version: String,
    },
}
