//! Any bytes through the Claude Code importer, as one session file: an error is fine, a panic is
//! a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokensim_import::claude_code::{ClaudeCodeImporter, SessionFile};

fuzz_target!(|data: &[u8]| {
    let mut importer = ClaudeCodeImporter::new();
    let source = SessionFile {
        name: "fuzz.jsonl",
        project: Some("fuzz"),
    };
    if importer.read(data, &source).is_ok() {
        let _ = importer.finish(std::io::sink());
    }
});
