//! Any bytes through the azure CSV importer: an error is fine, a panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokensim_import::azure::{convert, AzureOptions};

fuzz_target!(|data: &[u8]| {
    let _ = convert(data, "fuzz.csv", &AzureOptions::default(), std::io::sink());
});
