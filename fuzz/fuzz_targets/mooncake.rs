//! Any bytes through the Mooncake importer: an error is fine, a panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokensim_import::mooncake::{convert, MooncakeOptions};

fuzz_target!(|data: &[u8]| {
    let _ = convert(data, "fuzz.jsonl", &MooncakeOptions::default(), std::io::sink());
});
