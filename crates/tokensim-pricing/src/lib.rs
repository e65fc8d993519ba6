//! Exact pricing of Claude API usage.
//!
//! The catalog is data (`data/catalog.toml`, documented in `docs/price-catalog.md`), not code.
//! This crate is pure: no I/O beyond the embedded catalog text, no clock, and no floating point in its
//! public API. Every price is an integer [`Rate`] (micro-USD per MTok = pico-USD per token), so a
//! cost is `tokens × rate` exactly; multipliers are exact ratios applied once when the catalog is
//! built, and an overlay that cannot be exact is rounded there, half to even, and recorded.

mod catalog;
mod error;
pub mod money;

pub use catalog::{
    Band, Catalog, Cost, Discount, Model, ModelId, PriceRow, Rates, Rounding, Terms, TokenSums,
    Tokens, BUILTIN_CATALOG,
};
pub use error::PricingError;
pub use money::{PicoUsd, Rate, Ratio};
