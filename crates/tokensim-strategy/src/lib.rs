//! The levers of a scenario. Strategies do no I/O, read no clock, own no threads and no global RNG:
//! each sees one record (and, for stateful levers, its own explicit state) and returns an outcome.
//!
//! - [`scenario`]: scenario files and their validation.
//! - [`levers`]: the stateless pipeline (route, caps, batch, cache plan) as [`levers::plan`].
//! - [`cache`]: the prompt-cache simulator for one scope, which the engine drives in time order.
//!
//! Adding a lever: a section in [`scenario::Scenario`] (parsed in `scenario.rs`), its step in
//! [`levers::plan`] at its place in the pipeline order, and its flag in [`levers::Decisions`].

pub mod cache;
pub mod levers;
pub mod scenario;
