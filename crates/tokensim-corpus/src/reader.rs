//! Streaming corpus files as chunks of whole lines, plain or zstd (detected by magic bytes).
//!
//! The reader does no parsing: it hands out chunks of about [`CHUNK_BYTES`] that end on a line
//! boundary, so that the engine can parse chunks in parallel while memory stays bounded by the
//! chunks in flight, whatever the corpus length.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::digest::{self, DigestPart, Digests, BLOCK_BYTES};
use crate::error::CorpusError;
use crate::parse::{Line, LineError};
use crate::record::Position;

/// Target size of one chunk.
pub const CHUNK_BYTES: usize = 1 << 20;

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The path as given.
    pub path: PathBuf,
    /// Size on disk, in bytes (compressed size for zstd).
    pub bytes: u64,
}

/// Whole lines from one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Index of the file among the sources.
    pub file: u32,
    /// Line number of the chunk's first line (1-based).
    pub first_line: u64,
    /// How many lines the chunk holds, blank ones included.
    pub lines: u64,
    /// The bytes as read: the chunk's lines in `data[..end]`, each ending in `\n` except perhaps
    /// the file's last, then the start of the next chunk's first line (which the reader copies
    /// into that chunk), kept so that whole blocks of the file can be hashed here.
    data: Vec<u8>,
    end: usize,
    /// Where each `\n` in `data` is, found by the reader in the pass that counts the lines, so
    /// that the parsers do not search for them again.
    ends: Vec<usize>,
    /// When the file's digest is hashed in blocks: where in `data` the bytes this chunk read
    /// from the file start (after the previous chunk's partial line), and their offset in it.
    fresh: Option<(usize, u64)>,
}

impl Chunk {
    /// Every line with its position, blank lines included, without the line terminator
    /// (`\n` or `\r\n`).
    pub fn lines(&self) -> impl Iterator<Item = (Position, &[u8])> + '_ {
        self.spans()
            .map(|(pos, start, end)| (pos, &self.data[start..end]))
    }

    /// The chunk's lines as read, terminators included.
    pub fn text(&self) -> &[u8] {
        &self.data[..self.end]
    }

    /// The buffer, for [`Recycler::give`].
    pub fn into_buffer(self) -> Vec<u8> {
        self.data
    }

    /// The chaining values of the blocks of its file this chunk read, for [`Digests::add`];
    /// `None` unless the reader is [`ChunkReader::hashing`] a plain file. Hashing them here, on
    /// whatever thread parses the chunk, keeps that work off the reader's thread.
    pub fn digest_part(&self) -> Option<DigestPart> {
        self.fresh.map(|(start, offset)| {
            digest::hash_blocks(self.file, offset, &self.data[start..], BLOCK_BYTES)
        })
    }

    /// Every line parsed ([`crate::parse_bytes`]), with its position and bytes. The chunk's text
    /// is checked as UTF-8 in one call rather than one a line (whose setup and tail handling
    /// were 3% of a baseline's samples in perf); a chunk that fails is checked line by line, so
    /// that only its bad lines are errors, worded as `parse_bytes` words them.
    pub fn parsed(
        &self,
    ) -> impl Iterator<Item = (Position, &[u8], Result<Option<Line>, LineError>)> + '_ {
        let text = simdutf8::basic::from_utf8(self.text()).ok();
        self.spans().map(move |(pos, start, end)| {
            let bytes = &self.data[start..end];
            // A line of valid text starts and ends on character boundaries: its ends are the
            // chunk's, an ASCII `\n` or `\r`.
            let parsed = match text {
                Some(text) => crate::parse_text(&text[start..end], pos),
                None => crate::parse_bytes(bytes, pos),
            };
            (pos, bytes, parsed)
        })
    }

    /// Each line's position and byte range in `data`, without its terminator.
    fn spans(&self) -> impl Iterator<Item = (Position, usize, usize)> + '_ {
        let file = self.file;
        let data = self.text();
        let mut start = 0;
        // The newlines, then the end of a last line that has none.
        let unterminated =
            (self.ends.last().map_or(0, |e| e + 1) < data.len()).then_some(data.len());
        self.ends
            .iter()
            .copied()
            .chain(unterminated)
            .zip(self.first_line..)
            .map(move |(end, line)| {
                let from = start;
                start = end + 1;
                let end = if end > from && data[end - 1] == b'\r' {
                    end - 1
                } else {
                    end
                };
                (Position { file, line }, from, end)
            })
    }
}

/// Opens each source in turn and yields its chunks, in file order then line order.
pub struct ChunkReader {
    sources: Vec<Source>,
    next_file: usize,
    current: Option<OpenFile>,
    progress: Arc<AtomicU64>,
    spare: Arc<Mutex<Vec<Vec<u8>>>>,
    /// One hasher a source, fed a zstd file's bytes as stored, when [`ChunkReader::hashing`]
    /// asked for it (a plain file's stays unused: its chunks hash its blocks).
    hashers: Option<Arc<Mutex<Vec<blake3::Hasher>>>>,
    /// Each file read so far: its digest, or how to finish it from its chunks' parts.
    digests: Option<Digests>,
}

/// Hands chunk buffers back to the reader that made them, to be filled again: a long read then
/// allocates and zero-fills only the buffers in flight, once. Cloned freely across threads.
#[derive(Clone, Debug, Default)]
pub struct Recycler(Arc<Mutex<Vec<Vec<u8>>>>);

/// Buffers kept for reuse at most; more are freed.
const SPARE_BUFFERS: usize = 64;

impl Recycler {
    /// Returns a chunk's buffer (its contents are overwritten before anyone reads them again).
    pub fn give(&self, data: Vec<u8>) {
        if let Ok(mut spare) = self.0.lock() {
            if spare.len() < SPARE_BUFFERS && data.capacity() >= CHUNK_BYTES {
                spare.push(data);
            }
        }
    }
}

struct OpenFile {
    index: u32,
    reader: Box<dyn Read + Send>,
    carry: Vec<u8>,
    next_line: u64,
    done: bool,
    /// How many newlines the last chunk had: the next one's likely count.
    last_lines: usize,
    /// Whether its chunks hash its blocks (a plain file, hashing).
    blocks: bool,
    /// Bytes of the file read so far.
    offset: u64,
}

/// Counts the bytes read from disk, for progress bars, and hashes them when asked to.
struct Counting<R> {
    inner: R,
    counter: Arc<AtomicU64>,
    /// The hashers and this file's index among them.
    hash: Option<(Arc<Mutex<Vec<blake3::Hasher>>>, usize)>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        if let Some((hashers, i)) = &self.hash {
            if let Ok(mut h) = hashers.lock() {
                h[*i].update(&buf[..n]);
            }
        }
        Ok(n)
    }
}

impl ChunkReader {
    /// Checks that every path exists and is a readable file, without reading it yet.
    pub fn new(paths: &[PathBuf]) -> Result<ChunkReader, CorpusError> {
        let mut sources = Vec::with_capacity(paths.len());
        for p in paths {
            let meta = std::fs::metadata(p).map_err(|e| CorpusError::Open {
                path: p.clone(),
                cause: e,
            })?;
            if !meta.is_file() {
                return Err(CorpusError::Open {
                    path: p.clone(),
                    cause: io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"),
                });
            }
            sources.push(Source {
                path: p.clone(),
                bytes: meta.len(),
            });
        }
        Ok(ChunkReader {
            sources,
            next_file: 0,
            current: None,
            progress: Arc::default(),
            spare: Arc::default(),
            hashers: None,
            digests: None,
        })
    }

    /// Also computes each file's BLAKE3 digest over its bytes as stored (compressed, for a zstd
    /// file: what `b3sum FILE` prints). A zstd file is hashed here as it is read (its compressed
    /// bytes are a twenty-fourth of its text on the bench corpus); a plain file is read in whole
    /// blocks, which its chunks hash wherever they are parsed ([`Chunk::digest_part`]).
    /// [`ChunkReader::digests`] gives them after the last chunk.
    pub fn hashing(mut self) -> ChunkReader {
        let hashers = self.sources.iter().map(|_| blake3::Hasher::new()).collect();
        self.hashers = Some(Arc::new(Mutex::new(hashers)));
        self.digests = Some(Digests::new(BLOCK_BYTES));
        self
    }

    /// Every file's digest, once every chunk has been read: [`Digests::finish`] gives them as
    /// hex once every chunk's [`Chunk::digest_part`] is added. Empty unless
    /// [`ChunkReader::hashing`] was called.
    pub fn digests(&mut self) -> Digests {
        self.digests
            .take()
            .unwrap_or_else(|| Digests::new(BLOCK_BYTES))
    }

    /// The sources, in order.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// Total bytes on disk over all sources.
    pub fn total_bytes(&self) -> u64 {
        self.sources.iter().map(|s| s.bytes).sum()
    }

    /// Where the caller returns chunk buffers it has finished with, for reuse.
    pub fn recycler(&self) -> Recycler {
        Recycler(Arc::clone(&self.spare))
    }

    /// A counter of bytes read from disk so far, shared with the caller for progress display.
    pub fn progress(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.progress)
    }

    fn open(&self, index: usize) -> Result<OpenFile, CorpusError> {
        let path = &self.sources[index].path;
        let file = File::open(path).map_err(|e| CorpusError::Open {
            path: path.clone(),
            cause: e,
        })?;
        let mut buffered = BufReader::with_capacity(
            256 * 1024,
            Counting {
                inner: file,
                counter: self.progress(),
                hash: None,
            },
        );
        let head = io::BufRead::fill_buf(&mut buffered).map_err(|e| read_error(path, e))?;
        let zstd = head.starts_with(&ZSTD_MAGIC);
        // A zstd file's compressed bytes are hashed as they are read, from the head on; a plain
        // file's chunks hash its blocks.
        if let (true, Some(hashers)) = (zstd, &self.hashers) {
            let mut h = hashers.lock().unwrap_or_else(|e| e.into_inner());
            h[index].update(head);
            drop(h);
            buffered.get_mut().hash = Some((Arc::clone(hashers), index));
        }
        let reader: Box<dyn Read + Send> = if zstd {
            Box::new(
                zstd::stream::read::Decoder::with_buffer(buffered)
                    .map_err(|e| read_error(path, e))?,
            )
        } else {
            Box::new(buffered)
        };
        Ok(OpenFile {
            index: index as u32,
            reader,
            carry: Vec::new(),
            next_line: 1,
            done: false,
            last_lines: 0,
            blocks: !zstd && self.hashers.is_some(),
            offset: 0,
        })
    }
}

fn read_error(path: &Path, e: io::Error) -> CorpusError {
    CorpusError::Read {
        path: path.to_path_buf(),
        cause: e,
    }
}

impl Iterator for ChunkReader {
    type Item = Result<Chunk, CorpusError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.current.is_none() {
                if self.next_file >= self.sources.len() {
                    return None;
                }
                match self.open(self.next_file) {
                    Ok(f) => self.current = Some(f),
                    Err(e) => {
                        self.next_file = self.sources.len();
                        return Some(Err(e));
                    }
                }
                self.next_file += 1;
            }
            let path = self.sources[self.next_file - 1].path.clone();
            let f = self.current.as_mut().expect("a file is open");
            let spare = self.spare.lock().ok().and_then(|mut v| v.pop());
            match f.next_chunk(spare) {
                Ok(Some(chunk)) => return Some(Ok(chunk)),
                Ok(None) => {
                    if let Some(d) = &mut self.digests {
                        if f.blocks {
                            d.push_blocks(f.offset);
                        } else if let Some(hashers) = &self.hashers {
                            let h = hashers.lock().unwrap_or_else(|e| e.into_inner());
                            d.push_read(h[f.index as usize].finalize());
                        }
                    }
                    self.current = None;
                }
                Err(e) => {
                    self.current = None;
                    self.next_file = self.sources.len();
                    return Some(Err(read_error(&path, e)));
                }
            }
        }
    }
}

impl OpenFile {
    fn next_chunk(&mut self, spare: Option<Vec<u8>>) -> io::Result<Option<Chunk>> {
        if self.done && self.carry.is_empty() {
            return Ok(None);
        }
        // A recycled buffer is already initialized up to its length, so growing it back to the
        // target only zero-fills what the last chunk did not use: no page faults, no memset of
        // the whole chunk, no reallocations while it fills.
        let mut data = spare.unwrap_or_default();
        // The previous chunk's partial line, then whole blocks of the file (all but its last),
        // so that a chunk can hash what it read ([`Chunk::digest_part`]).
        let carried = self.carry.len();
        let mut target = carried + BLOCK_BYTES;
        data.resize(target, 0);
        data[..carried].copy_from_slice(&self.carry);
        let mut filled = carried;
        self.carry.clear();
        let mut last_newline = None;
        loop {
            while !self.done && filled < target {
                match self.reader.read(&mut data[filled..target]) {
                    Ok(0) => self.done = true,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if self.done {
                break;
            }
            // Keep the partial last line for the next chunk. A single line longer than the chunk
            // grows the chunk (by whole blocks) until its end is found.
            if let Some(i) = memchr::memrchr(b'\n', &data[..filled]) {
                last_newline = Some(i);
                break;
            }
            target = filled + (filled - carried);
            data.resize(target, 0);
        }
        data.truncate(filled);
        if data.is_empty() {
            return Ok(None);
        }
        let end = match last_newline {
            Some(i) => {
                self.carry.extend_from_slice(&data[i + 1..]);
                i + 1
            }
            None => filled,
        };
        let fresh = self.blocks.then_some((carried, self.offset));
        self.offset += (filled - carried) as u64;
        let mut ends = Vec::with_capacity(self.last_lines + self.last_lines / 8);
        ends.extend(memchr::memchr_iter(b'\n', &data[..end]));
        self.last_lines = ends.len();
        let lines = ends.len() as u64 + u64::from(data[..end].last() != Some(&b'\n'));
        let chunk = Chunk {
            file: self.index,
            first_line: self.next_line,
            lines,
            data,
            end,
            ends,
            fresh,
        };
        self.next_line += lines;
        Ok(Some(chunk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines_of(paths: &[PathBuf]) -> Vec<(u32, u64, String)> {
        let mut out = Vec::new();
        for chunk in ChunkReader::new(paths).unwrap() {
            let chunk = chunk.unwrap();
            for (pos, l) in chunk.lines() {
                out.push((pos.file, pos.line, String::from_utf8(l.to_vec()).unwrap()));
            }
        }
        out
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
        p
    }

    #[test]
    fn lines_keep_their_numbers_across_chunks_and_files() {
        let dir = tempfile::tempdir().unwrap();
        // Lines of ~100 bytes: many chunks, with a chunk boundary inside a line.
        let body: String = (1..=30_000).map(|i| format!("{i:0>99}\n")).collect();
        let a = write(dir.path(), "a", body.as_bytes());
        let b = write(dir.path(), "b", b"x\r\ny\n\nlast-without-newline");
        let got = lines_of(&[a, b]);
        assert_eq!(got.len(), 30_004);
        for (i, (file, line, text)) in got[..30_000].iter().enumerate() {
            assert_eq!((*file, *line), (0, i as u64 + 1));
            assert_eq!(
                text.trim_start_matches('0').parse::<usize>().unwrap(),
                i + 1
            );
        }
        assert_eq!(
            got[30_000..].to_vec(),
            vec![
                (1, 1, "x".into()),
                (1, 2, "y".into()),
                (1, 3, String::new()),
                (1, 4, "last-without-newline".into())
            ]
        );
    }

    #[test]
    fn recycled_buffers_give_the_same_lines() {
        let dir = tempfile::tempdir().unwrap();
        // Lines of varied length, a line longer than a chunk, and no final newline: recycled
        // buffers hold stale bytes and different lengths, none of which may leak into a chunk.
        let mut body = String::new();
        for i in 0..40_000 {
            body.push_str(&format!("{i}:{}\n", "y".repeat(i % 97)));
            if i == 20_000 {
                body.push_str(&"L".repeat(CHUNK_BYTES * 2 + 5));
                body.push('\n');
            }
        }
        body.push_str("tail");
        let zst = zstd::encode_all(body.as_bytes(), 1).unwrap();
        for bytes in [body.as_bytes(), &zst[..]] {
            let p = write(dir.path(), "r", bytes);
            let want = lines_of(std::slice::from_ref(&p));
            let reader = ChunkReader::new(&[p]).unwrap();
            let recycler = reader.recycler();
            let mut got = Vec::new();
            for chunk in reader {
                let chunk = chunk.unwrap();
                for (pos, l) in chunk.lines() {
                    got.push((pos.file, pos.line, String::from_utf8(l.to_vec()).unwrap()));
                }
                recycler.give(chunk.into_buffer());
            }
            assert_eq!(got, want);
            assert_eq!(want.len(), 40_002);
        }
    }

    #[test]
    fn digests_are_of_the_stored_bytes_of_each_file() {
        let dir = tempfile::tempdir().unwrap();
        let body: String = (0..200_000).map(|i| format!("{i}\n")).collect();
        // Two frames back to back, each larger than the read buffer, and a plain file.
        let mut zst = zstd::encode_all(&body.as_bytes()[..700_000], 1).unwrap();
        zst.extend(zstd::encode_all(&body.as_bytes()[700_000..], 3).unwrap());
        let plain = write(dir.path(), "plain", body.as_bytes());
        let packed = write(dir.path(), "packed", &zst);
        let mut reader = ChunkReader::new(&[plain.clone(), packed.clone()])
            .unwrap()
            .hashing();
        let mut lines = 0;
        let mut parts = Vec::new();
        for chunk in reader.by_ref() {
            let chunk = chunk.unwrap();
            lines += chunk.lines;
            // The plain file's chunks hash their blocks, the zstd file's are hashed as read.
            parts.extend(chunk.digest_part());
        }
        assert_eq!(lines, 400_000);
        let want: Vec<String> = [&plain, &packed]
            .iter()
            .map(|p| {
                blake3::hash(&std::fs::read(p).unwrap())
                    .to_hex()
                    .to_string()
            })
            .collect();
        assert!(parts.len() > 1, "the plain file is read in several blocks");
        let mut digests = reader.digests();
        for p in parts {
            digests.add(p);
        }
        assert_eq!(digests.finish(), want);
        assert_ne!(want[0], want[1], "same lines, different stored bytes");
        // Without `hashing`, no digests and no hashing work.
        let mut plain_only = ChunkReader::new(&[plain]).unwrap();
        assert!(plain_only.by_ref().all(|c| c.is_ok()));
        assert!(plain_only.digests().finish().is_empty());
    }

    /// A plain file's digest from its chunks' parts is `blake3::hash` of the file at every shape
    /// the reader meets: empty, shorter than a block, exactly one or two blocks, a block and a
    /// byte, and a line longer than three blocks (a chunk that grows by whole blocks), with and
    /// without a final newline; and the lines are the file's.
    #[test]
    fn chunk_parts_give_the_files_digest_at_every_block_boundary() {
        let dir = tempfile::tempdir().unwrap();
        let lines_to = |n: usize| -> Vec<u8> {
            let mut v: Vec<u8> = (0..)
                .flat_map(|i: u64| format!("line {i}\n").into_bytes())
                .take(n)
                .collect();
            if let Some(last) = v.last_mut() {
                *last = b'\n';
            }
            v
        };
        let mut long = lines_to(700_000);
        long.extend(std::iter::repeat_n(b'x', 3 * CHUNK_BYTES + 123));
        // Blocks after it, so that a chunk ending off a block boundary would show.
        long.extend(lines_to(5 * CHUNK_BYTES));
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty", Vec::new()),
            ("short", b"ten bytes!".to_vec()),
            ("one block", lines_to(CHUNK_BYTES)),
            ("two blocks", lines_to(2 * CHUNK_BYTES)),
            ("a block and a byte", lines_to(CHUNK_BYTES + 1)),
            ("long line", long.clone()),
            (
                "long line, no final newline",
                long[..long.len() - 1].to_vec(),
            ),
        ];
        for (name, bytes) in cases {
            let p = write(dir.path(), "f", &bytes);
            let mut reader = ChunkReader::new(std::slice::from_ref(&p))
                .unwrap()
                .hashing();
            let mut parts = Vec::new();
            let mut text = Vec::new();
            for chunk in reader.by_ref() {
                let chunk = chunk.unwrap();
                parts.extend(chunk.digest_part());
                text.extend_from_slice(chunk.text());
            }
            assert_eq!(text, bytes, "{name}: the chunks hold the file");
            let mut digests = reader.digests();
            for part in parts {
                digests.add(part);
            }
            assert_eq!(
                digests.finish(),
                vec![blake3::hash(&bytes).to_hex().to_string()],
                "{name}"
            );
        }
    }

    /// `Chunk::parsed` answers line by line as `parse_bytes` does, whether the chunk is valid
    /// UTF-8 (checked once) or not (checked a line at a time), byte order mark, CRLF, blank
    /// lines and error wording included.
    #[test]
    fn parsed_lines_are_parse_bytes_of_each_line() {
        let dir = tempfile::tempdir().unwrap();
        let good = r#"{"ts":"2026-10-01T00:00:00Z","model":"claude-opus-4-5","usage":{"input_tokens":1,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}"#;
        let mut text = crate::BOM.to_vec();
        text.extend_from_slice(b"{\"schema\":\"tokensim.corpus/1\"}\r\n\n   \n");
        for i in 0..3 {
            text.extend_from_slice(good.as_bytes());
            text.extend_from_slice(if i % 2 == 0 { b"\r\n" } else { b"\n" });
        }
        text.extend_from_slice("{\"ts\":\"é\"}\n\u{feff}{}\n[1]\n".as_bytes());
        text.extend_from_slice(good.as_bytes());
        let mut broken = text.clone();
        broken.extend_from_slice(b"\n{\"ts\":\"\xff\"}\n");
        broken.extend_from_slice(good.as_bytes());
        // A chunk of many lines, one bad in its middle: the others still parse.
        let mut long = Vec::new();
        for i in 0..3000 {
            long.extend_from_slice(if i == 1500 {
                b"{\"ts\":\"\xc3\"}"
            } else {
                good.as_bytes()
            });
            long.extend_from_slice(if i % 7 == 0 { b"\r\n" } else { b"\n" });
        }
        for (name, bytes) in [("valid", &text), ("invalid", &broken), ("long", &long)] {
            let p = write(dir.path(), name, bytes);
            let mut seen = 0;
            for chunk in ChunkReader::new(&[p]).unwrap() {
                let chunk = chunk.unwrap();
                let lines: Vec<_> = chunk.lines().collect();
                let parsed: Vec<_> = chunk.parsed().collect();
                assert_eq!(parsed.len(), lines.len());
                for ((pos, bytes, got), (want_pos, want_bytes)) in parsed.into_iter().zip(lines) {
                    assert_eq!((pos, bytes), (want_pos, want_bytes));
                    assert_eq!(
                        got,
                        crate::parse_bytes(bytes, pos),
                        "{name} line {}",
                        pos.line
                    );
                    seen += 1;
                }
            }
            let newlines = bytes.iter().filter(|&&b| b == b'\n').count();
            let want = newlines + usize::from(bytes.last() != Some(&b'\n'));
            assert_eq!(seen, want, "{name}");
        }
    }

    #[test]
    fn a_line_longer_than_a_chunk_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let long = "z".repeat(CHUNK_BYTES * 3 + 17);
        let p = write(dir.path(), "long", format!("a\n{long}\nb\n").as_bytes());
        let got = lines_of(&[p]);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].2.len(), long.len());
        assert_eq!(got[2], (0, 3, "b".into()));
    }

    #[test]
    fn zstd_is_detected_by_magic_and_concatenated_frames_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = zstd::encode_all(&b"one\ntwo\n"[..], 3).unwrap();
        bytes.extend(zstd::encode_all(&b"three\n"[..], 3).unwrap());
        let p = write(dir.path(), "plain-name.jsonl", &bytes);
        let got: Vec<String> = lines_of(&[p]).into_iter().map(|l| l.2).collect();
        assert_eq!(got, ["one", "two", "three"]);
    }

    #[test]
    fn truncated_and_corrupt_zstd_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let body: String = (0..50_000).map(|i| format!("line {i}\n")).collect();
        let z = zstd::encode_all(body.as_bytes(), 3).unwrap();
        let cut = write(dir.path(), "cut.zst", &z[..z.len() - 10]);
        let err = ChunkReader::new(&[cut])
            .unwrap()
            .find_map(Result::err)
            .expect("an error");
        assert!(matches!(err, CorpusError::Read { .. }), "{err}");
        // Corruption is only detectable in frames that carry a checksum (tokensim gen writes one).
        let mut enc = zstd::Encoder::new(Vec::new(), 3).unwrap();
        enc.include_checksum(true).unwrap();
        enc.write_all(body.as_bytes()).unwrap();
        let mut bad = enc.finish().unwrap();
        let mid = bad.len() / 2;
        bad[mid] ^= 0xff;
        bad[mid + 1] ^= 0xff;
        let corrupt = write(dir.path(), "corrupt.zst", &bad);
        let results: Vec<_> = ChunkReader::new(&[corrupt]).unwrap().collect();
        assert!(
            results.iter().any(Result::is_err),
            "a corrupt checksummed frame must not read as good data"
        );
    }

    #[test]
    fn missing_files_are_reported_before_reading() {
        let err = ChunkReader::new(&[PathBuf::from("/no/such/corpus.jsonl")])
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "/no/such/corpus.jsonl: cannot open: No such file or directory (os error 2)"
        );
    }
}
