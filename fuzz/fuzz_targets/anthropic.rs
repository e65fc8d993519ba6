//! Any bytes through the Messages API log importer: an error is fine, a panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokensim_import::anthropic::{convert, AnthropicOptions};

fuzz_target!(|data: &[u8]| {
    let mut opts = AnthropicOptions::new([7; 32]);
    opts.default_ts = Some(tokensim_corpus_ts());
    let _ = convert(data, "fuzz.jsonl", &opts, std::io::sink());
});

fn tokensim_corpus_ts() -> tokensim_corpus::Timestamp {
    tokensim_corpus::Timestamp(1_767_225_600_000_000_000)
}
