//! The pricing crate's one error type.

/// Why a price could not be determined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// The model id is not in the catalog.
    #[error("unknown model {model:?}; closest known ids: {}; see `tokensim prices` or add it with --prices", closest.join(", "))]
    UnknownModel {
        /// The id as written.
        model: String,
        /// The nearest known ids.
        closest: Vec<String>,
    },
    /// A fast request on a model (or at a date) without fast mode: the API rejects those.
    #[error("model {model:?} has no fast mode on {day} (speed \"fast\" would have been rejected by the API)")]
    NoFastMode {
        /// The canonical id.
        model: String,
        /// The UTC day.
        day: String,
    },
    /// Fast mode through the Batch API, which the API does not offer.
    #[error("fast mode is not available through the Batch API (a record cannot be both service_tier \"batch\" and speed \"fast\")")]
    FastBatch,
    /// The catalog or overlay file is invalid.
    #[error("{origin}: {message}")]
    Catalog {
        /// Which file.
        origin: String,
        /// What is wrong.
        message: String,
    },
}
