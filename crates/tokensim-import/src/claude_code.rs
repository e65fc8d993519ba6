//! The Claude Code session log importer (`~/.claude/projects/<project>/<session>.jsonl`).
//!
//! Claude Code writes one JSON object a line: user turns, tool results, summaries, system notes and
//! the assistant's replies. Only an assistant line with `message.usage` records an API call, and
//! one call usually appears as several such lines, one per streamed content block, all with the
//! same `message.id` and `requestId`; the early lines carry a partial `output_tokens`. This
//! importer keeps the last line of each (`message.id`, `requestId`) pair, in file order, across
//! every file it reads, and writes one corpus record per pair. Everything else is counted, by
//! kind, in the [`ClaudeCodeSummary`]. The mapping and the choices behind it are in
//! `docs/importers.md` ("claude-code").
//!
//! Deciding which line is the last needs the whole input, so, unlike the Mooncake importer, this
//! one holds one small record per distinct API call (never a log line) until
//! [`ClaudeCodeImporter::finish`] writes them.
//!
//! [`ClaudeCodeImporter::read_files`] parses several files at once on scoped threads and adds
//! them in file order; `finish` serializes records on the same number of threads. What depends on
//! other lines is done on one thread in order, so nothing written depends on the thread count.

use std::borrow::Cow;
use std::collections::BTreeMap;

// Fx: the keys are ids from local files, hashed once a line; SipHash was 3.5% of an import.
use rustc_hash::FxHashMap as HashMap;
use std::fmt;
use std::fs;
use std::io::{self, BufRead, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use tokensim_corpus::{Timestamp, SCHEMA_V1};

use crate::json::{count_of, missing, not_a_count, object_line, shown, FieldError};
use crate::out::Prompt;
use crate::{ImportError, LineNote};

mod fast;
mod segments;
#[cfg(test)]
mod tests;

pub use segments::{
    BYTES_PER_TOKEN_ESTIMATE, RULE_CHAIN_RESTART, RULE_PARENT_MISSING, RULE_SYSTEM_SIZE_ESTIMATED,
};

/// The size of the read buffer: most session files fit in a few reads.
const READ_BUFFER: usize = 256 * 1024;

/// How many parsed files each worker of [`ClaudeCodeImporter::read_files`] may hold, waiting for
/// their turn, besides the one it is parsing.
const FILES_AHEAD: usize = 2;

/// Records per chunk when the workers serialize the records (few in tests, to have many chunks).
const RECORDS_PER_CHUNK: usize = if cfg!(test) { 64 } else { 4096 };

/// How many serialized chunks each worker may hold, waiting for their turn.
const CHUNKS_AHEAD: usize = 2;

/// The `team` of every record: the workload is (`claude-code`, project, main or sidechain).
pub const TEAM: &str = "claude-code";

/// The model Claude Code writes on messages it made up itself (an API error shown as a reply, an
/// interrupted turn): no API call, so such lines are skipped and counted.
pub const SYNTHETIC_MODEL: &str = "<synthetic>";

/// The kind a line without `message.usage` is counted under when it has no string `type`.
pub const KIND_UNTYPED: &str = "(no type)";

/// How to import: with a fingerprint key, each record also gets `prompt.segments` rebuilt from
/// the transcript (docs/importers.md, "claude-code", "Prompt segments").
#[derive(Clone, Default)]
pub struct ClaudeCodeOptions {
    /// The fingerprint key: `anthropic::key_from_salt(salt file bytes)`. `None`: no segments.
    pub key: Option<[u8; 32]>,
    /// Whether to write segments when there is a key (`--no-segments` sets it to false).
    pub segments: bool,
}

impl ClaudeCodeOptions {
    /// Segments keyed by `key`.
    pub fn with_key(key: [u8; 32]) -> Self {
        ClaudeCodeOptions {
            key: Some(key),
            segments: true,
        }
    }

    /// Whether records get segments: a key and the switch on.
    pub fn segments_on(&self) -> bool {
        self.key.is_some() && self.segments
    }
}

impl fmt::Debug for ClaudeCodeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClaudeCodeOptions")
            .field("key", &self.key.map(|_| "<redacted>"))
            .field("segments", &self.segments)
            .finish()
    }
}

/// A record that needed a documented adjustment of its prompt segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallNote {
    /// Index into [`ClaudeCodeSummary::files`] of the record's kept line.
    pub file: usize,
    /// The kept line, its rule and detail.
    pub note: LineNote,
}

/// One session file, as the caller opened it.
#[derive(Debug, Clone, Copy)]
pub struct SessionFile<'a> {
    /// The file's name (a path is fine). It names the file in errors.
    pub name: &'a str,
    /// The Claude Code project the session belongs to, written as every record's `app`; see
    /// [`project_of`]. `None` leaves `app` out (the workload then reads `unattributed`).
    pub project: Option<&'a str>,
}

/// What an import did. Counts reconcile:
/// `lines_read = lines_blank + records_written + Σ not_api_calls + synthetic +
/// superseded_in_file + duplicates_across_files`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClaudeCodeSummary {
    /// One entry per file read, in reading order.
    pub files: Vec<FileSummary>,
    /// Every line of every file, blank ones included.
    pub lines_read: u64,
    /// Blank lines (only whitespace).
    pub lines_blank: u64,
    /// Corpus records written (the header line not counted): one per distinct API call.
    pub records_written: u64,
    /// Lines without `message.usage` (user turns, tool results, summaries, system notes...), which
    /// are not API calls, counted by their `type` ([`KIND_UNTYPED`] when there is none).
    pub not_api_calls: BTreeMap<String, u64>,
    /// Lines with usage whose model is [`SYNTHETIC_MODEL`].
    pub synthetic: u64,
    /// Usage lines replaced by a later line of the same API call in the same file: the streaming
    /// partials.
    pub superseded_in_file: u64,
    /// Usage lines replaced by a later line of the same API call in a later file: a history that
    /// Claude Code copied into another session file.
    pub duplicates_across_files: u64,
    /// Written records whose line had neither `message.id` nor `requestId`, so they could not be
    /// matched with other lines of the same call (each such line is written as its own call).
    pub written_without_ids: u64,
    /// Written records per model id, as the log wrote it (the catalog is not consulted here).
    pub records_by_model: BTreeMap<String, u64>,
    /// Total `usage.input_tokens` over the written records.
    pub tokens_input: u64,
    /// Total `usage.output_tokens` over the written records.
    pub tokens_output: u64,
    /// Total 5-minute cache writes over the written records (all cache writes of a record without
    /// a `cache_creation` split count here, as the corpus reads them).
    pub tokens_cache_write_5m: u64,
    /// Total 1-hour cache writes over the written records.
    pub tokens_cache_write_1h: u64,
    /// Total `usage.cache_read_input_tokens` over the written records.
    pub tokens_cache_read: u64,
    /// Total `usage.server_tool_use.web_search_requests` over the written records.
    pub web_search_requests: u64,
    /// Records written with `prompt.segments` (all of them when segments are on, else 0).
    pub records_with_segments: u64,
    /// Segments written, over all records.
    pub segments_written: u64,
    /// Records whose segments needed a documented adjustment (one record can have several).
    pub adjusted: Vec<CallNote>,
}

impl ClaudeCodeSummary {
    /// Lines without usage, all kinds together.
    pub fn not_api_calls_total(&self) -> u64 {
        self.not_api_calls.values().sum()
    }

    /// How many adjustment notes each rule has.
    pub fn adjusted_by_rule(&self) -> BTreeMap<&'static str, u64> {
        let mut out = BTreeMap::new();
        for n in &self.adjusted {
            *out.entry(n.note.rule).or_insert(0) += 1;
        }
        out
    }
}

/// What one file contributed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileSummary {
    /// The name the caller passed.
    pub name: String,
    /// Every line, blank ones included.
    pub lines_read: u64,
    /// Blank lines.
    pub lines_blank: u64,
    /// Lines with usage and a model other than [`SYNTHETIC_MODEL`].
    pub usage_lines: u64,
    /// Records whose kept (last) line is in this file.
    pub records_written: u64,
}

/// Converts Claude Code session files into one corpus: [`read`](Self::read) each file in order,
/// then [`finish`](Self::finish) writes the records.
///
/// Lines of one API call are matched by (`message.id`, `requestId`) across all the files read;
/// the last line read wins, and the record's `ts` is the earliest `timestamp` among them.
#[derive(Debug, Default)]
pub struct ClaudeCodeImporter {
    summary: ClaudeCodeSummary,
    /// (`message.id`, `requestId`) to the index of its call in `calls`. Only looked up, never
    /// iterated, so its order cannot reach the output.
    index: HashMap<CallKey, usize>,
    /// The calls in order of their first line.
    calls: Vec<Call>,
    /// Repeated strings (models, projects, sessions, versions) stored once.
    strings: Interner,
    /// The transcript's structure and fingerprints, when segments are on.
    prompts: Option<segments::Prompts>,
    /// Scratch space of the fast path.
    masks: Vec<u64>,
    /// Threads of [`read_files`](Self::read_files) and [`finish`](Self::finish); 0 and 1 both
    /// mean none besides the caller's.
    threads: usize,
}

/// One API call: its earliest timestamp and everything else from its last line.
#[derive(Debug)]
struct Call {
    ts: Timestamp,
    /// Index into `ClaudeCodeSummary::files` of the kept line.
    file: usize,
    /// The kept line's 1-based number in that file.
    line: u64,
    kept: Kept,
    /// The transcript node of the call's first line, when segments are on.
    node: Option<u32>,
}

/// What a record takes from its kept line. Strings that repeat are interned.
#[derive(Debug)]
struct Kept {
    id: Option<Box<str>>,
    model: Sym,
    app: Option<Sym>,
    session: Option<Sym>,
    version: Option<Sym>,
    sidechain: bool,
    usage: CallUsage,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct CallUsage {
    input_tokens: u64,
    output_tokens: u64,
    cache_creation_input_tokens: u64,
    cache_read_input_tokens: u64,
    /// `cache_creation.{ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}` when present.
    cache_creation: Option<(u64, u64)>,
    web_search_requests: Option<u64>,
    service_tier: Option<&'static str>,
    speed: Option<&'static str>,
    inference_geo: Option<Sym>,
    /// `output_tokens_details.thinking_tokens`.
    thinking_tokens: Option<u64>,
}

impl ClaudeCodeImporter {
    /// An importer that has read nothing yet, writing no segments.
    pub fn new() -> Self {
        Self::default()
    }

    /// An importer that has read nothing yet, writing segments when `opts` says so.
    pub fn with_options(opts: &ClaudeCodeOptions) -> Self {
        ClaudeCodeImporter {
            prompts: match opts.key {
                Some(key) if opts.segments => Some(segments::Prompts::new(key)),
                _ => None,
            },
            ..Self::default()
        }
    }

    /// Reads one session file, line by line. A malformed line stops the import with an error
    /// naming the file, line and field. The lines before it stay counted and their calls kept,
    /// so [`finish`](Self::finish) would still write a valid corpus, but a partial one.
    pub fn read<R: BufRead>(
        &mut self,
        input: R,
        file: &SessionFile<'_>,
    ) -> Result<(), ImportError> {
        self.read_input(input, file)
    }

    /// [`read`](Self::read) for any reader (it is buffered here).
    fn read_input<R: Read>(&mut self, input: R, file: &SessionFile<'_>) -> Result<(), ImportError> {
        let mut scratch = std::mem::take(&mut self.masks);
        let parsed = parse_file(input, file.name, self.key(), &mut scratch);
        self.masks = scratch;
        self.add_file(parsed, file)
    }

    /// Uses up to `threads` threads in [`read_files`](Self::read_files) and
    /// [`finish`](Self::finish) (1 by default). The output and the summary are the same for any
    /// number.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Reads `files` in order, as many [`read`](Self::read)s one after the other would, with the
    /// same result and the same first error, but parsing several files at once when
    /// [`with_threads`](Self::with_threads) allows. `open(i)` opens `files[i]`; it may be called
    /// on other threads, in any order, and its error stops the import when file `i`'s turn comes
    /// (the files before it read).
    ///
    /// Only the parsing, which depends on nothing but the line, runs on the workers; each file's
    /// parsed lines are then added on this thread, in file order, so matching the lines of a call
    /// across files, the counts and the output do not depend on the number of threads. Each
    /// worker parses at most a few files ahead of the one being added.
    pub fn read_files<R, E, O>(&mut self, files: &[SessionFile<'_>], open: O) -> Result<(), E>
    where
        R: Read,
        E: From<ImportError> + Send,
        O: Fn(usize) -> Result<R, E> + Sync,
    {
        let workers = self.threads.min(files.len());
        if workers <= 1 {
            for (i, file) in files.iter().enumerate() {
                self.read_input(open(i)?, file)?;
            }
            return Ok(());
        }
        let key = self.key().copied();
        std::thread::scope(|scope| {
            // Worker `w` parses files `w`, `w + workers`, ... and hands them over in that order
            // through its own bounded channel, so the files are taken back in order by cycling
            // through the channels. A worker stops when its channel is dropped (an error here).
            let mut channels = Vec::with_capacity(workers);
            for w in 0..workers {
                let (tx, rx) = mpsc::sync_channel::<Result<ParsedFile, E>>(FILES_AHEAD);
                channels.push(rx);
                let open = &open;
                scope.spawn(move || {
                    let mut scratch = Vec::new();
                    for i in (w..files.len()).step_by(workers) {
                        let parsed = open(i).map(|input| {
                            parse_file(input, files[i].name, key.as_ref(), &mut scratch)
                        });
                        if tx.send(parsed).is_err() {
                            return;
                        }
                    }
                });
            }
            for (i, file) in files.iter().enumerate() {
                let parsed = channels[i % workers]
                    .recv()
                    .expect("a worker thread of the import panicked")?;
                self.add_file(parsed, file)?;
            }
            Ok(())
        })
    }

    /// The fingerprint key, when segments are on.
    fn key(&self) -> Option<&[u8; 32]> {
        self.prompts.as_ref().map(segments::Prompts::key)
    }

    /// Adds a parsed file: what needs the lines of earlier files (matching the lines of a call,
    /// linking the transcript) and the counts. Returns the error that ended the file, if any.
    fn add_file(&mut self, parsed: ParsedFile, file: &SessionFile<'_>) -> Result<(), ImportError> {
        let file_index = self.summary.files.len();
        let app = file.project.map(|p| self.strings.get(p));
        let syms: Vec<Sym> = parsed.strings.iter().map(|s| self.strings.get(s)).collect();
        let sym = |s: Sym| syms[s.0 as usize];
        let s = &mut self.summary;
        s.lines_read += parsed.lines_read;
        s.lines_blank += parsed.lines_blank;
        s.synthetic += parsed.synthetic;
        for (kind, n) in parsed.not_api_calls {
            match s.not_api_calls.get_mut(&kind) {
                Some(total) => *total += n,
                None => {
                    s.not_api_calls.insert(kind, n);
                }
            }
        }
        s.files.push(FileSummary {
            name: file.name.to_owned(),
            lines_read: parsed.lines_read,
            lines_blank: parsed.lines_blank,
            ..FileSummary::default()
        });
        for line in parsed.lines {
            let node = match (line.node, &mut self.prompts) {
                (Some(n), Some(p)) => p.add_prepared(n, file_index),
                _ => None,
            };
            let Some((key, ts, mut kept)) = line.call else {
                continue;
            };
            kept.app = app;
            kept.model = sym(kept.model);
            kept.session = kept.session.map(sym);
            kept.version = kept.version.map(sym);
            kept.usage.inference_geo = kept.usage.inference_geo.map(sym);
            self.add_call(key, ts, kept, node, file_index, line.line);
        }
        match parsed.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// One API call's line, in reading order.
    fn add_call(
        &mut self,
        key: CallKey,
        ts: Timestamp,
        kept: Kept,
        node: Option<u32>,
        file_index: usize,
        line: u64,
    ) {
        self.summary.files[file_index].usage_lines += 1;
        let keyed = key.0.is_some() || key.1.is_some();
        if let Some(&at) = keyed.then(|| self.index.get(&key)).flatten() {
            let call = &mut self.calls[at];
            if call.file == file_index {
                self.summary.superseded_in_file += 1;
            } else {
                self.summary.duplicates_across_files += 1;
            }
            call.ts = call.ts.min(ts);
            call.node = call.node.or(node);
            call.file = file_index;
            call.line = line;
            call.kept = kept;
            return;
        }
        if keyed {
            self.index.insert(key, self.calls.len());
        }
        self.calls.push(Call {
            ts,
            file: file_index,
            line,
            kept,
            node,
        });
    }

    /// Writes the corpus: a header line, then one record per API call, in the order of each
    /// call's first line (file order). The output is buffered here; `out` need not be.
    pub fn finish<W: Write>(self, out: W) -> Result<ClaudeCodeSummary, ImportError> {
        let ClaudeCodeImporter {
            mut summary,
            calls,
            strings,
            mut prompts,
            threads,
            ..
        } = self;
        let call_prompt = |call: &Call| {
            let u = &call.kept.usage;
            segments::CallPrompt {
                node: call.node,
                input: u.input_tokens,
                write: u.cache_creation_input_tokens,
                read: u.cache_read_input_tokens,
                split: u.cache_creation,
                app: call.kept.app.map(|a| strings.resolve(a)),
                version: call.kept.version.map(|v| strings.resolve(v)),
                sidechain: call.kept.sidechain,
            }
        };
        let mut planner = prompts
            .as_mut()
            .map(|p| p.plan(calls.iter().map(call_prompt)));
        let label = match summary.files.as_slice() {
            [one] => one.name.clone(),
            files => format!("{} session files", files.len()),
        };
        let write_error = |cause: io::Error| ImportError::Write {
            file: label.clone(),
            cause,
        };
        let mut out = BufWriter::new(out);
        writeln!(out, "{{\"schema\":\"{SCHEMA_V1}\"}}").map_err(write_error)?;
        let workers = threads.min(calls.len().div_ceil(RECORDS_PER_CHUNK));
        if planner.is_none() && workers > 1 && !overflows(&calls) {
            // Records are written in chunks that the workers serialize, worker `w` chunks `w`,
            // `w + workers`, ..., while the chunks are written and counted here in order.
            std::thread::scope(|scope| {
                let mut channels = Vec::with_capacity(workers);
                for w in 0..workers {
                    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(CHUNKS_AHEAD);
                    channels.push(rx);
                    let (calls, strings) = (&calls, &strings);
                    scope.spawn(move || {
                        let mut tags = Vec::with_capacity(3);
                        for chunk in calls.chunks(RECORDS_PER_CHUNK).skip(w).step_by(workers) {
                            let mut json = Vec::with_capacity(chunk.len() * 512);
                            for call in chunk {
                                write_record(&mut json, call, strings, None, &mut tags)
                                    .expect("a record serializes into memory");
                            }
                            if tx.send(json).is_err() {
                                return;
                            }
                        }
                    });
                }
                for (c, chunk) in calls.chunks(RECORDS_PER_CHUNK).enumerate() {
                    let json = channels[c % workers]
                        .recv()
                        .expect("a worker thread of the import panicked");
                    out.write_all(&json).map_err(write_error)?;
                    for call in chunk {
                        add_totals(&mut summary, call)?;
                        count_written(&mut summary, call, &strings);
                    }
                }
                Ok(())
            })?;
        } else {
            let mut tags = Vec::with_capacity(3);
            for (index, call) in calls.iter().enumerate() {
                add_totals(&mut summary, call)?;
                let prompt = planner.as_mut().map(|planner| {
                    let planned = planner.next(index, &call_prompt(call));
                    for (rule, detail) in planned.notes {
                        summary.adjusted.push(CallNote {
                            file: call.file,
                            note: LineNote {
                                line: call.line,
                                rule,
                                detail,
                            },
                        });
                    }
                    Prompt {
                        segments: planned.segments,
                    }
                });
                if let Some(p) = &prompt {
                    summary.records_with_segments += 1;
                    summary.segments_written += p.segments.len() as u64;
                }
                write_record(&mut out, call, &strings, prompt.as_ref(), &mut tags)
                    .map_err(|e| write_error(e.into()))?;
                count_written(&mut summary, call, &strings);
            }
        }
        out.flush().map_err(write_error)?;

        // Pair assertions: every line is accounted for once, overall and per file, and the usage
        // lines are exactly the written records plus the lines they replaced.
        let s = &summary;
        assert_eq!(
            s.lines_read,
            s.lines_blank
                + s.records_written
                + s.not_api_calls_total()
                + s.synthetic
                + s.superseded_in_file
                + s.duplicates_across_files,
            "every line is blank, written, not an API call, synthetic or replaced"
        );
        let usage_lines: u64 = s.files.iter().map(|f| f.usage_lines).sum();
        assert_eq!(
            usage_lines,
            s.records_written + s.superseded_in_file + s.duplicates_across_files
        );
        assert_eq!(
            s.files.iter().map(|f| f.records_written).sum::<u64>(),
            s.records_written
        );
        assert_eq!(s.records_by_model.values().sum::<u64>(), s.records_written);
        assert_eq!(
            s.lines_read,
            s.files.iter().map(|f| f.lines_read).sum::<u64>()
        );
        Ok(summary)
    }
}

/// Converts one session file on its own: [`ClaudeCodeImporter::read`] then
/// [`ClaudeCodeImporter::finish`].
pub fn convert<R: BufRead, W: Write>(
    input: R,
    file: &SessionFile<'_>,
    out: W,
) -> Result<ClaudeCodeSummary, ImportError> {
    let mut importer = ClaudeCodeImporter::new();
    importer.read(input, file)?;
    importer.finish(out)
}

/// The session files to read for the given arguments, in reading order: each argument in turn; a
/// file as it is (whatever its name), a directory as every `*.jsonl` file below it, recursively,
/// in sorted path order. Symbolic links to directories are not followed (a link cycle would never
/// end). Lists directories but opens no file.
pub fn find_session_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ImportError> {
    let mut files = Vec::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|cause| ImportError::Walk {
            path: path.display().to_string(),
            message: cause.to_string(),
        })?;
        if !meta.is_dir() {
            files.push(path.clone());
            continue;
        }
        let mut found = Vec::new();
        walk(path, &mut found)?;
        if found.is_empty() {
            return Err(ImportError::Walk {
                path: path.display().to_string(),
                message: "no session files (*.jsonl) in this directory or below it".to_owned(),
            });
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    let walk_error = |path: &Path, cause: io::Error| ImportError::Walk {
        path: path.display().to_string(),
        message: format!("cannot list: {cause}"),
    };
    for entry in fs::read_dir(dir).map_err(|e| walk_error(dir, e))? {
        let entry = entry.map_err(|e| walk_error(dir, e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| walk_error(&path, e))?;
        if kind.is_dir() {
            walk(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "jsonl")
            && (kind.is_file() || fs::metadata(&path).is_ok_and(|m| m.is_file()))
        {
            found.push(path);
        }
    }
    Ok(())
}

/// The Claude Code project a session file belongs to: the folder right after the last `projects`
/// folder in its path (`~/.claude/projects/<project>/<session>.jsonl`, and also
/// `<project>/<session>/subagents/agent-<id>.jsonl`), else the folder that holds the file.
/// `None` for a bare file name.
pub fn project_of(path: &Path) -> Option<String> {
    let dirs: Vec<&std::ffi::OsStr> = path
        .parent()?
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name),
            _ => None,
        })
        .collect();
    let after_projects = dirs
        .iter()
        .rposition(|d| *d == "projects")
        .and_then(|i| dirs.get(i + 1));
    after_projects
        .or(dirs.last())
        .map(|d| d.to_string_lossy().into_owned())
}

/// One file's lines, parsed: everything that depends on nothing but the line, decided on any
/// thread. [`ClaudeCodeImporter::add_file`] adds it to the import.
#[derive(Debug, Default)]
struct ParsedFile {
    /// The lines classified before the first error (blank ones included).
    lines_read: u64,
    lines_blank: u64,
    synthetic: u64,
    not_api_calls: BTreeMap<String, u64>,
    /// The strings the calls' [`Sym`]s stand for, in this file only.
    strings: Vec<Box<str>>,
    /// The calls' lines and, when segments are on, every line with a `uuid`, in order.
    lines: Vec<ParsedLine>,
    /// The error that ended the file.
    error: Option<ImportError>,
}

#[derive(Debug)]
struct ParsedLine {
    line: u64,
    call: Option<(CallKey, Timestamp, Kept)>,
    node: Option<segments::NodeLine>,
}

/// Parses one file, up to its first error; `key` is the fingerprint key when segments are on.
/// `scratch` is the fast path's, kept between files.
fn parse_file<R: Read>(
    input: R,
    name: &str,
    key: Option<&[u8; 32]>,
    scratch: &mut Vec<u64>,
) -> ParsedFile {
    let mut parser = FileParser {
        name,
        key,
        masks: scratch,
        strings: Interner::default(),
        out: ParsedFile::default(),
    };
    if let Err(e) = parser.read(input) {
        parser.out.error = Some(e);
    }
    let mut out = parser.out;
    out.strings = parser.strings.strings;
    out
}

struct FileParser<'a> {
    name: &'a str,
    key: Option<&'a [u8; 32]>,
    masks: &'a mut Vec<u64>,
    strings: Interner,
    out: ParsedFile,
}

impl FileParser<'_> {
    fn read<R: Read>(&mut self, input: R) -> Result<(), ImportError> {
        // Lines are read where they lie in the buffer, not copied out one by one; the larger
        // buffer (reads bypass a smaller one of `input`) leaves few lines across two reads.
        let mut input = io::BufReader::with_capacity(READ_BUFFER, input);
        // The start of a line that continues in the next read.
        let mut carry = Vec::new();
        let mut line = 0;
        loop {
            let buf = match input.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(cause) => {
                    return Err(ImportError::Read {
                        file: self.name.to_owned(),
                        line: line + 1,
                        cause,
                    })
                }
            };
            if buf.is_empty() {
                if !carry.is_empty() {
                    line += 1;
                    self.line(&carry, line)?;
                }
                return Ok(());
            }
            let mut start = 0;
            for end in memchr::memchr_iter(b'\n', buf) {
                line += 1;
                let raw = &buf[start..=end];
                if carry.is_empty() {
                    self.line(raw, line)?;
                } else {
                    carry.extend_from_slice(raw);
                    self.line(&carry, line)?;
                    carry.clear();
                }
                start = end + 1;
            }
            carry.extend_from_slice(&buf[start..]);
            let read = buf.len();
            input.consume(read);
        }
    }

    /// One line, with its end of line if it has one.
    fn line(&mut self, raw: &[u8], line: u64) -> Result<(), ImportError> {
        let line_error = |line: u64, (field, message): FieldError| ImportError::Line {
            file: self.name.to_owned(),
            line,
            field,
            message,
        };
        let text = tokensim_corpus::utf8(raw).map_err(|e| {
            line_error(
                line,
                (String::new(), format!("line is not valid UTF-8 ({e})")),
            )
        })?;
        let out = &mut self.out;
        if text.trim().is_empty() {
            out.lines_read += 1;
            out.lines_blank += 1;
            return Ok(());
        }
        let text = text.trim_end_matches(['\n', '\r']);
        let parsed = match fast::parse_line(text, &mut self.strings, self.masks) {
            Some(parsed) => parsed,
            None => parse_line(text, &mut self.strings).map_err(|e| line_error(line, e))?,
        };
        let node = match self.key {
            Some(key) => segments::prepare_line(key, text).map_err(|e| line_error(line, e))?,
            None => None,
        };
        // Counted once classified, so that the counts still reconcile after an error.
        out.lines_read += 1;
        let call = match parsed {
            Parsed::NotApiCall(kind) => {
                match out.not_api_calls.get_mut(&*kind) {
                    Some(n) => *n += 1,
                    None => {
                        out.not_api_calls.insert(kind.into_owned(), 1);
                    }
                }
                None
            }
            Parsed::Synthetic => {
                out.synthetic += 1;
                None
            }
            Parsed::Call { key, ts, kept } => Some((key, ts, kept)),
        };
        if call.is_some() || node.is_some() {
            out.lines.push(ParsedLine { line, call, node });
        }
        Ok(())
    }
}

/// Whether a token total of the calls overflows 64 bits (then the records are written in order,
/// and the import stops at the first call whose total overflows).
fn overflows(calls: &[Call]) -> bool {
    let mut totals = [0u128; 6];
    for call in calls {
        let u = &call.kept.usage;
        let (write_5m, write_1h) = u
            .cache_creation
            .unwrap_or((u.cache_creation_input_tokens, 0));
        let counts = [
            u.input_tokens,
            u.output_tokens,
            write_5m,
            write_1h,
            u.cache_read_input_tokens,
            u.web_search_requests.unwrap_or(0),
        ];
        for (t, n) in totals.iter_mut().zip(counts) {
            *t += u128::from(n);
        }
    }
    totals.iter().any(|&t| t > u128::from(u64::MAX))
}

/// Adds a written call's tokens to the summary's totals; an error names the call's line when a
/// total overflows.
fn add_totals(summary: &mut ClaudeCodeSummary, call: &Call) -> Result<(), ImportError> {
    let u = &call.kept.usage;
    let overflow = || ImportError::Line {
        file: summary.files[call.file].name.clone(),
        line: call.line,
        field: String::new(),
        message: "the sessions' token total overflows 64 bits".to_owned(),
    };
    let (write_5m, write_1h) = u
        .cache_creation
        .unwrap_or((u.cache_creation_input_tokens, 0));
    let tokens_input = add(summary.tokens_input, u.input_tokens).ok_or_else(overflow)?;
    let tokens_output = add(summary.tokens_output, u.output_tokens).ok_or_else(overflow)?;
    let tokens_cache_write_5m =
        add(summary.tokens_cache_write_5m, write_5m).ok_or_else(overflow)?;
    let tokens_cache_write_1h =
        add(summary.tokens_cache_write_1h, write_1h).ok_or_else(overflow)?;
    let tokens_cache_read =
        add(summary.tokens_cache_read, u.cache_read_input_tokens).ok_or_else(overflow)?;
    let web_search_requests = add(
        summary.web_search_requests,
        u.web_search_requests.unwrap_or(0),
    )
    .ok_or_else(overflow)?;
    summary.tokens_input = tokens_input;
    summary.tokens_output = tokens_output;
    summary.tokens_cache_write_5m = tokens_cache_write_5m;
    summary.tokens_cache_write_1h = tokens_cache_write_1h;
    summary.tokens_cache_read = tokens_cache_read;
    summary.web_search_requests = web_search_requests;
    Ok(())
}

/// Counts a written call in the summary.
fn count_written(summary: &mut ClaudeCodeSummary, call: &Call, strings: &Interner) {
    summary.records_written += 1;
    summary.files[call.file].records_written += 1;
    if call.kept.id.is_none() {
        summary.written_without_ids += 1;
    }
    let model = strings.resolve(call.kept.model);
    match summary.records_by_model.get_mut(model) {
        Some(n) => *n += 1,
        None => {
            summary.records_by_model.insert(model.to_owned(), 1);
        }
    }
}

/// Writes a call's record and its end of line. `tags` is scratch space.
fn write_record<'a, W: Write>(
    out: &mut W,
    call: &Call,
    strings: &'a Interner,
    prompt: Option<&Prompt>,
    tags: &mut Vec<Tag<'a>>,
) -> serde_json::Result<()> {
    let k = &call.kept;
    let u = &k.usage;
    tags.clear();
    let session = k.session.map(|s| strings.resolve(s));
    if let Some(s) = session {
        tags.push(Tag("session:", s));
    }
    if let Some(v) = k.version {
        tags.push(Tag("version:", strings.resolve(v)));
    }
    if k.sidechain {
        tags.push(Tag("sidechain", ""));
    }
    let record = OutRecord {
        id: k.id.as_deref(),
        ts: call.ts,
        model: strings.resolve(k.model),
        team: TEAM,
        app: k.app.map(|a| strings.resolve(a)),
        feature: if k.sidechain { "sidechain" } else { "main" },
        tags,
        task: "code",
        latency_class: "interactive",
        conversation_id: session,
        usage: OutUsage {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cache_creation_input_tokens: u.cache_creation_input_tokens,
            cache_read_input_tokens: u.cache_read_input_tokens,
            cache_creation: u.cache_creation.map(|(m5, h1)| OutCacheCreation {
                ephemeral_5m_input_tokens: m5,
                ephemeral_1h_input_tokens: h1,
            }),
            server_tool_use: u.web_search_requests.map(|n| OutServerToolUse {
                web_search_requests: n,
            }),
            service_tier: u.service_tier,
            speed: u.speed,
            inference_geo: u.inference_geo.map(|g| strings.resolve(g)),
            thinking_tokens: u.thinking_tokens,
        },
        prompt,
    };
    serde_json::to_writer(&mut *out, &record)?;
    out.write_all(b"\n").map_err(serde_json::Error::io)
}

fn add(a: u64, b: u64) -> Option<u64> {
    a.checked_add(b)
}

/// What matches the lines of one API call: (`message.id`, `requestId`), either possibly missing.
type CallKey = (Option<Box<str>>, Option<Box<str>>);

/// One line, classified.
#[derive(Debug)]
enum Parsed<'a> {
    /// No `message.usage`: counted by kind (borrowed from the line by the fast path).
    NotApiCall(Cow<'a, str>),
    /// Usage with the model `<synthetic>`.
    Synthetic,
    /// An API call's line.
    Call {
        key: CallKey,
        ts: Timestamp,
        kept: Kept,
    },
}

/// A log line as JSON. A derived struct rejects duplicates of these keys; every other key is
/// skipped without being built (tool results can be large).
#[derive(serde::Deserialize)]
struct RawLine {
    #[serde(rename = "type", default)]
    kind: Field,
    #[serde(default)]
    timestamp: Field,
    #[serde(rename = "sessionId", default)]
    session_id: Field,
    #[serde(default)]
    version: Field,
    #[serde(rename = "isSidechain", default)]
    is_sidechain: Field,
    #[serde(rename = "requestId", default)]
    request_id: Field,
    #[serde(default)]
    message: Message,
}

/// A field's JSON value: `None` when the key is absent, `Some(Value::Null)` for `null`.
#[derive(Default)]
struct Field(Option<Value>);

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Field, D::Error> {
        Value::deserialize(d).map(|v| Field(Some(v)))
    }
}

/// `message`: only an object's `id`, `model` and `usage` are kept; its `content` is skipped.
#[derive(Default)]
enum Message {
    /// Absent, or not an object.
    #[default]
    None,
    Object(RawMessage),
}

#[derive(serde::Deserialize)]
struct RawMessage {
    #[serde(default)]
    id: Field,
    #[serde(default)]
    model: Field,
    #[serde(default)]
    usage: UsageField,
}

/// `message.usage` as JSON, built like a [`Field`] but refusing a duplicate key at any depth (a
/// plain [`Value`] would keep the last one silently, and the corpus rejects duplicates).
#[derive(Default)]
struct UsageField(Option<Value>);

impl<'de> Deserialize<'de> for UsageField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<UsageField, D::Error> {
        StrictValue::deserialize(d).map(|v| UsageField(Some(v.0)))
    }
}

/// A JSON value whose objects have no duplicate keys.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<StrictValue, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = StrictValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StrictValue, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
            }
            let value: StrictValue = map.next_value()?;
            out.insert(key, value.0);
        }
        Ok(StrictValue(Value::Object(out)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrictValue, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<StrictValue>()? {
            out.push(v.0);
        }
        Ok(StrictValue(Value::Array(out)))
    }

    fn visit_bool<E>(self, v: bool) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Null))
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Message, D::Error> {
        d.deserialize_any(MessageVisitor)
    }
}

struct MessageVisitor;

impl<'de> Visitor<'de> for MessageVisitor {
    type Value = Message;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Message, A::Error> {
        RawMessage::deserialize(de::value::MapAccessDeserializer::new(map)).map(Message::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Message, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Message::None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Message, E> {
        Ok(Message::None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Message, E> {
        Ok(Message::None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Message, E> {
        Ok(Message::None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Message, E> {
        Ok(Message::None)
    }

    fn visit_str<E>(self, _: &str) -> Result<Message, E> {
        Ok(Message::None)
    }

    fn visit_unit<E>(self) -> Result<Message, E> {
        Ok(Message::None)
    }
}

fn parse_line(text: &str, strings: &mut Interner) -> Result<Parsed<'static>, FieldError> {
    let raw: RawLine = object_line(text)?;
    let message = match raw.message {
        Message::Object(m) if matches!(m.usage.0, Some(Value::Object(_))) => m,
        Message::Object(RawMessage {
            usage: UsageField(Some(ref other)),
            ..
        }) if !other.is_null() => {
            let message = format!("must be an object, got {}", shown(other));
            return Err(("message.usage".to_owned(), message));
        }
        _ => {
            let kind = match raw.kind.0 {
                Some(Value::String(s)) if !s.is_empty() => s,
                _ => KIND_UNTYPED.to_owned(),
            };
            return Ok(Parsed::NotApiCall(Cow::Owned(kind)));
        }
    };
    let model = match message.model.0 {
        None => return Err(missing("message.model")),
        Some(Value::String(s)) if !s.is_empty() => s,
        Some(other) => {
            let message = format!("must be a non-empty string, got {}", shown(&other));
            return Err(("message.model".to_owned(), message));
        }
    };
    if model == SYNTHETIC_MODEL {
        return Ok(Parsed::Synthetic);
    }
    let Some(Value::Object(usage)) = message.usage.0 else {
        unreachable!("checked above")
    };
    let usage = parse_usage(&usage, strings)?;
    let ts = match raw.timestamp.0 {
        None => return Err(missing("timestamp")),
        Some(Value::String(s)) => {
            Timestamp::parse_rfc3339(&s).map_err(|m| ("timestamp".to_owned(), m))?
        }
        Some(other) => {
            let message = format!("must be an RFC 3339 string, got {}", shown(&other));
            return Err(("timestamp".to_owned(), message));
        }
    };
    let message_id = opt_string("message.id", message.id)?;
    let request_id = opt_string("requestId", raw.request_id)?;
    let session = opt_string("sessionId", raw.session_id)?;
    let version = opt_string("version", raw.version)?;
    let sidechain = match raw.is_sidechain.0 {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(other) => {
            let message = format!("must be true or false, got {}", shown(&other));
            return Err(("isSidechain".to_owned(), message));
        }
    };
    let id = message_id.clone().or_else(|| request_id.clone());
    Ok(Parsed::Call {
        key: (message_id, request_id),
        ts,
        kept: Kept {
            id,
            model: strings.get(&model),
            app: None,
            session: session.map(|s| strings.get(&s)),
            version: version.map(|v| strings.get(&v)),
            sidechain,
            usage,
        },
    })
}

fn parse_usage(
    usage: &Map<String, Value>,
    strings: &mut Interner,
) -> Result<CallUsage, FieldError> {
    const AT: &str = "message.usage.";
    let path = |name: &str| format!("{AT}{name}");
    let required = |name: &str| -> Result<u64, FieldError> {
        match usage.get(name) {
            None => Err(missing(&path(name))),
            Some(v) => count_of(v).ok_or_else(|| not_a_count(&path(name), v)),
        }
    };
    // The API schema makes the cache counts nullable; null and absent both mean none.
    let nullable = |name: &str, within: Option<&Map<String, Value>>, at: &str| {
        let map = within.unwrap_or(usage);
        match map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => count_of(v)
                .map(Some)
                .ok_or_else(|| not_a_count(&format!("{at}{name}"), v)),
        }
    };
    let object = |name: &str| -> Result<Option<&Map<String, Value>>, FieldError> {
        match usage.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(other) => Err((
                path(name),
                format!("must be an object, got {}", shown(other)),
            )),
        }
    };
    let input_tokens = required("input_tokens")?;
    let output_tokens = required("output_tokens")?;
    let cache_creation_input_tokens =
        nullable("cache_creation_input_tokens", None, AT)?.unwrap_or(0);
    let cache_read_input_tokens = nullable("cache_read_input_tokens", None, AT)?.unwrap_or(0);
    let cache_creation = match object("cache_creation")? {
        None => None,
        Some(split) => {
            let at = format!("{AT}cache_creation.");
            let m5 = nullable("ephemeral_5m_input_tokens", Some(split), &at)?.unwrap_or(0);
            let h1 = nullable("ephemeral_1h_input_tokens", Some(split), &at)?.unwrap_or(0);
            if u128::from(m5) + u128::from(h1) != u128::from(cache_creation_input_tokens) {
                let message = format!(
                    "ephemeral_5m_input_tokens {m5} + ephemeral_1h_input_tokens {h1} must add up \
                     to cache_creation_input_tokens {cache_creation_input_tokens}"
                );
                return Err((path("cache_creation"), message));
            }
            Some((m5, h1))
        }
    };
    let web_search_requests = match object("server_tool_use")? {
        None => None,
        Some(tools) => nullable(
            "web_search_requests",
            Some(tools),
            &format!("{AT}server_tool_use."),
        )?,
    };
    let thinking_tokens = match object("output_tokens_details")? {
        None => None,
        Some(details) => {
            let at = format!("{AT}output_tokens_details.");
            let thinking = nullable("thinking_tokens", Some(details), &at)?;
            if let Some(t) = thinking.filter(|&t| t > output_tokens) {
                let message = format!(
                    "{t} thinking tokens is more than output_tokens {output_tokens} (thinking is \
                     part of the output)"
                );
                return Err((format!("{at}thinking_tokens"), message));
            }
            thinking
        }
    };
    let service_tier = choice(usage, "service_tier", &["standard", "batch", "priority"])?;
    let speed = choice(usage, "speed", &["standard", "fast"])?;
    let inference_geo = match usage.get("inference_geo") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(strings.get(s)),
        Some(other) => {
            let message = format!("must be a non-empty string, got {}", shown(other));
            return Err((path("inference_geo"), message));
        }
    };
    Ok(CallUsage {
        input_tokens,
        output_tokens,
        cache_creation_input_tokens,
        cache_read_input_tokens,
        cache_creation,
        web_search_requests,
        service_tier,
        speed,
        inference_geo,
        thinking_tokens,
    })
}

/// One of the values the corpus accepts for `name`, or `None` when absent or null.
fn choice(
    usage: &Map<String, Value>,
    name: &str,
    allowed: &[&'static str],
) -> Result<Option<&'static str>, FieldError> {
    match usage.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match allowed.iter().find(|a| v.as_str() == Some(**a)) {
            Some(a) => Ok(Some(*a)),
            None => {
                let message = format!("must be {}, got {}", allowed.join(" or "), shown(v));
                Err((format!("message.usage.{name}"), message))
            }
        },
    }
}

/// A string field, `None` when absent, null or empty.
fn opt_string(field: &str, value: Field) -> Result<Option<Box<str>>, FieldError> {
    match value.0 {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.into_boxed_str())),
        Some(other) => Err((
            field.to_owned(),
            format!("must be a string, got {}", shown(&other)),
        )),
    }
}

/// An interned string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sym(u32);

/// Strings that repeat on every call (model, project, session, version) stored once each.
#[derive(Debug, Default)]
struct Interner {
    ids: HashMap<Box<str>, Sym>,
    strings: Vec<Box<str>>,
}

impl Interner {
    fn get(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.ids.get(s) {
            return sym;
        }
        let sym = Sym(u32::try_from(self.strings.len()).expect("fewer than 2^32 distinct strings"));
        self.strings.push(s.into());
        self.ids.insert(s.into(), sym);
        sym
    }

    fn resolve(&self, sym: Sym) -> &str {
        &self.strings[sym.0 as usize]
    }
}

/// One corpus record, in the order its keys are written.
#[derive(serde::Serialize)]
struct OutRecord<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(serialize_with = "display")]
    ts: Timestamp,
    model: &'a str,
    team: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    app: Option<&'a str>,
    feature: &'static str,
    tags: &'a [Tag<'a>],
    task: &'static str,
    latency_class: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    conversation_id: Option<&'a str>,
    usage: OutUsage<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt: Option<&'a Prompt>,
}

fn display<S: serde::Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(ts)
}

/// A tag, `<prefix><value>`, written without an intermediate string.
struct Tag<'a>(&'static str, &'a str);

impl serde::Serialize for Tag<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}{}", self.0, self.1))
    }
}

/// The usage object, as the API writes it.
#[derive(serde::Serialize)]
struct OutUsage<'a> {
    input_tokens: u64,
    output_tokens: u64,
    cache_creation_input_tokens: u64,
    cache_read_input_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_creation: Option<OutCacheCreation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_tool_use: Option<OutServerToolUse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_tier: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    speed: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inference_geo: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking_tokens: Option<u64>,
}

#[derive(serde::Serialize)]
struct OutCacheCreation {
    ephemeral_5m_input_tokens: u64,
    ephemeral_1h_input_tokens: u64,
}

#[derive(serde::Serialize)]
struct OutServerToolUse {
    web_search_requests: u64,
}
