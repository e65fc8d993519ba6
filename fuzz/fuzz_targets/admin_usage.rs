//! Any bytes through the Admin API usage report importer, as one page file: an error is fine, a
//! panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokensim_import::admin_usage::{convert, AdminUsageOptions};

fuzz_target!(|data: &[u8]| {
    let sources = [("fuzz.json".to_owned(), data)];
    let _ = convert(sources, &AdminUsageOptions::default(), std::io::sink());
});
