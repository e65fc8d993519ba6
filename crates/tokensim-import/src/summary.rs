//! What an import did: counts that reconcile, and every skipped or adjusted line with its reason.

use std::collections::BTreeMap;

/// One trace line that was skipped or adjusted, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineNote {
    /// 1-based line number in the trace.
    pub line: u64,
    /// The rule that applied: a stable kebab-case id such as `blocks-exceed-input` (each
    /// importer's documentation lists its rules).
    pub rule: &'static str,
    /// The line's own numbers, e.g. `input_length 700 fills 2 blocks of 512 tokens, hash_ids has 3`.
    pub detail: String,
}

/// The outcome of one import. Counts reconcile:
/// `lines_read = lines_blank + records_written + skipped.len()`, and every adjusted line is also
/// counted in `records_written`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportSummary {
    /// The source name the caller passed.
    pub source_name: String,
    /// Every line of the trace, blank ones included.
    pub lines_read: u64,
    /// Blank lines (only whitespace), which hold no request.
    pub lines_blank: u64,
    /// Corpus records written (the header line not counted).
    pub records_written: u64,
    /// Lines not written, with the rule that excluded each.
    pub skipped: Vec<LineNote>,
    /// Lines written after a documented adjustment, with the rule that changed each.
    pub adjusted: Vec<LineNote>,
    /// Total input tokens (uncached, cache writes and cache reads) over the written records.
    pub tokens_input: u64,
    /// Total `usage.output_tokens` over the written records.
    pub tokens_output: u64,
    /// Total prompt segments over the written records.
    pub segments_written: u64,
}

impl ImportSummary {
    /// How many lines each rule skipped, by rule id.
    pub fn skipped_by_rule(&self) -> BTreeMap<&'static str, u64> {
        count_by_rule(&self.skipped)
    }

    /// How many lines each rule adjusted, by rule id.
    pub fn adjusted_by_rule(&self) -> BTreeMap<&'static str, u64> {
        count_by_rule(&self.adjusted)
    }
}

fn count_by_rule(notes: &[LineNote]) -> BTreeMap<&'static str, u64> {
    let mut counts = BTreeMap::new();
    for note in notes {
        *counts.entry(note.rule).or_insert(0) += 1;
    }
    counts
}
