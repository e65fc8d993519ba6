//! The `tokensim` binary. Only this crate knows about clap, indicatif, terminals, anyhow and
//! exit codes: 0 ok, 1 a gate failed (`diff --fail-above`, `validate` on an invalid line, `budgets`
//! on a hard breach), 2 error. A closed stdout (broken pipe) exits 0.

mod args;
mod commands;
mod finops;
mod import;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

/// jemalloc instead of glibc's malloc: the engine plans calls on one thread and frees them on
/// another after the cache replay, and glibc's arena locks then put the threads to sleep on each
/// other (a five-scenario cached replay spent a quarter of its time in futex wake-ups, and ran
/// 1.9x slower).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            if err.chain().any(|e| {
                e.downcast_ref::<io::Error>()
                    .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(io::stderr(), "error: {err:#}");
            ExitCode::from(2)
        }
    }
}
