//! The levers of a scenario. Strategies do no I/O, read no clock, own no threads and no global RNG:
//! each sees one record (and, for stateful levers, its own explicit state) and returns an outcome.
//!
//! Today this crate holds the prompt-cache simulator ([`cache`]), which the demo-corpus generator
//! uses to write recorded cache usage that follows the same rules the replay simulates.

pub mod cache;
