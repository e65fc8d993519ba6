//! The FinOps layer (docs/finops.md): what a FinOps practice runs every month on top of the
//! replay's numbers. Every module works on exact money ([`tokensim_pricing::PicoUsd`]) and on
//! daily series the engine computed; floats appear only in statistics (forecast intervals, error
//! rates) and are never summed into money that a report adds up.

#![deny(missing_docs)]

pub mod allocate;
pub mod budgets;
pub mod focus;
pub mod forecast;
pub mod reconcile;
