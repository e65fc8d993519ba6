//! Any bytes as one corpus line: an error is fine, a panic is a bug, and the fast scanner must
//! give exactly the record or error the serde path gives (tokensim_corpus::parse_line).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokensim_corpus::{fast_and_serde_paths_agree, parse_bytes, Position};

fuzz_target!(|data: &[u8]| {
    let _ = parse_bytes(data, Position { file: 0, line: 1 });
    if let Ok(text) = std::str::from_utf8(data) {
        assert!(
            fast_and_serde_paths_agree(text),
            "the fast path and serde disagree on {text:?}"
        );
    }
});
