//! Any bytes through the otel importer: an error is fine, a panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokensim_import::otel::{convert, OtelOptions};

fuzz_target!(|data: &[u8]| {
    let _ = convert(data, "fuzz.json", &OtelOptions::default(), std::io::sink());
});
