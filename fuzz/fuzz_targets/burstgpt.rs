//! Any bytes through the burstgpt CSV importer: an error is fine, a panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokensim_import::burstgpt::{convert, BurstGptOptions};

fuzz_target!(|data: &[u8]| {
    let _ = convert(data, "fuzz.csv", &BurstGptOptions::default(), std::io::sink());
});
