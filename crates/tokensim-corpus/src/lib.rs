//! Corpus format v1 (`docs/corpus-format.md`): the record types, a streaming reader for plain and
//! zstd files, and strict per-line validation whose errors name the file, line and field.
//!
//! Only this crate opens input files or knows about zstd. It never panics on bad input: every
//! problem becomes a [`CorpusError`] or a [`LineError`] that the caller either stops on or
//! quarantines.

mod digest;
mod error;
mod parse;
mod reader;
mod record;
pub mod time;

pub use digest::{DigestPart, Digests};
pub use error::CorpusError;
pub use parse::{
    fast_and_serde_paths_agree, fingerprint, parse_line, Line, LineError, MAX_TOKENS, SCHEMA_V1,
};
pub use reader::{Chunk, ChunkReader, Recycler, Source, CHUNK_BYTES};
pub use record::{
    CacheTtl, Eval, LatencyClass, Position, Record, Role, Segment, ServiceTier, Speed, Task, Text,
    Usage,
};
pub use time::{Day, Timestamp};

/// The bytes as text, or std's error for them (which says where the invalid sequence starts).
/// Validation is vectorised: on valid text, several times faster than `std::str::from_utf8`.
pub fn utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    simdutf8::basic::from_utf8(bytes).or_else(|_| std::str::from_utf8(bytes))
}

/// The UTF-8 byte order mark, which some Windows tools write at the start of a text file: skipped
/// there by the corpus reader and by the importers' inputs.
pub const BOM: &[u8] = BOM_CHAR.as_bytes();

/// [`BOM`] as text.
const BOM_CHAR: &str = "\u{feff}";

/// Parses one line's bytes, turning invalid UTF-8 into a line error. Blank lines (only
/// whitespace) give `Ok(None)`. A byte order mark at the start of a file (before its first line)
/// is skipped; anywhere else it is what it is, a character before the JSON.
pub fn parse_bytes(bytes: &[u8], pos: Position) -> Result<Option<Line>, LineError> {
    let bytes = match pos.line {
        1 => bytes.strip_prefix(BOM).unwrap_or(bytes),
        _ => bytes,
    };
    let text = utf8(bytes).map_err(|e| LineError {
        field: String::new(),
        message: format!("line is not valid UTF-8 ({e})"),
    })?;
    parse_unmarked(text, pos)
}

/// [`parse_bytes`] for a line already known to be text.
fn parse_text(text: &str, pos: Position) -> Result<Option<Line>, LineError> {
    let text = match pos.line {
        1 => text.strip_prefix(BOM_CHAR).unwrap_or(text),
        _ => text,
    };
    parse_unmarked(text, pos)
}

/// A line's text after its byte order mark, if any.
fn parse_unmarked(text: &str, pos: Position) -> Result<Option<Line>, LineError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse_line(text, pos, pos.line == 1).map(Some)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{parse_bytes, Line, Position, BOM};

    /// A file's leading byte order mark is skipped; a mark on a later line is an error, as any
    /// character before the JSON is.
    #[test]
    fn a_byte_order_mark_is_skipped_at_the_start_of_a_file_only() {
        let good = r#"{"ts":"2026-10-01T00:00:00Z","model":"claude-opus-4-5","usage":{"input_tokens":1,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"#;
        let marked = [BOM, good.as_bytes()].concat();
        let at = |line| Position { file: 0, line };
        let plain = parse_bytes(good.as_bytes(), at(1)).unwrap();
        assert!(matches!(plain, Some(Line::Record(_))));
        assert_eq!(parse_bytes(&marked, at(1)).unwrap(), plain);
        let header = [BOM, br#"{"schema":"tokensim.corpus/1"}"#].concat();
        assert_eq!(parse_bytes(&header, at(1)).unwrap(), Some(Line::Header));
        let later = parse_bytes(&marked, at(2)).unwrap_err();
        assert!(later.message.starts_with("not a JSON object"), "{later:?}");
    }

    proptest! {
        /// Valid or not, `utf8` answers as std does, error position included.
        #[test]
        fn utf8_agrees_with_std(bytes in proptest::collection::vec(any::<u8>(), 0..300), ascii in proptest::collection::vec(0x20u8..0x7f, 0..300)) {
            prop_assert_eq!(super::utf8(&bytes), std::str::from_utf8(&bytes));
            let mut text = ascii.clone();
            text.extend("é€😀".as_bytes());
            text.extend(&ascii);
            prop_assert_eq!(super::utf8(&text), std::str::from_utf8(&text));
            text.insert(ascii.len() / 2, 0xff);
            prop_assert_eq!(super::utf8(&text), std::str::from_utf8(&text));
        }
    }
}
