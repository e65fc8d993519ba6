//! Any bytes through the Claude Code importer, as one session file, with and without prompt
//! segments: an error is fine, a panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokensim_import::claude_code::{ClaudeCodeImporter, ClaudeCodeOptions, SessionFile};

fuzz_target!(|data: &[u8]| {
    let source = SessionFile {
        name: "fuzz.jsonl",
        project: Some("fuzz"),
    };
    for mut importer in [
        ClaudeCodeImporter::new(),
        ClaudeCodeImporter::with_options(&ClaudeCodeOptions::with_key([7; 32])),
    ] {
        if importer.read(data, &source).is_ok() {
            let _ = importer.finish(std::io::sink());
        }
    }
});
