//! Any bytes through the litellm importer: an error is fine, a panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokensim_import::litellm::{convert, LiteLlmOptions};

fuzz_target!(|data: &[u8]| {
    let _ = convert(data, "fuzz.json", &LiteLlmOptions::default(), std::io::sink());
});
