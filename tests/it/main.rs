//! End-to-end tests of the `tokensim` binary: one test binary (ripgrep's layout), run from the
//! workspace root so that corpus paths in reports are stable.

mod attribution;
mod batch;
mod diff;
mod fidelity;
mod finops;
mod formats;
mod gen;
mod import;
mod prices;
mod replay;
mod routing;
mod scenarios;
mod util;
mod validate;
