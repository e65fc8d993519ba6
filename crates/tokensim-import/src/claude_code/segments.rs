//! Prompt segments of Claude Code calls, rebuilt from the transcript (docs/importers.md,
//! "claude-code", "Prompt segments").
//!
//! While the files are read, every line with a `uuid` becomes a [`Node`]: its parent, the nearest
//! earlier node of the same file and sidechain flag (for a parent that is not in the import), and
//! the fingerprints and weights of the content blocks it sends to the API. No text is kept. At
//! the end, each call's prompt is the chain of nodes from its first line's parent up to the root:
//! one system segment, a segment per content block, and a tail segment for the uncached input.
//! Token counts are apportioned so that they add up to the recorded total input, each block
//! keeping the count it was first given by an earlier call of its chain.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::anthropic::{canonical_block, largest_remainder, text_block, write_canonical};
use crate::json::{object_line, shown, FieldError};
use crate::out::Segment;

use super::SYNTHETIC_MODEL;

/// A call's chain passed a `parentUuid` that no line of the import has: it went on from the
/// nearest earlier line of the same file and sidechain flag, or stopped there when there is none.
pub const RULE_PARENT_MISSING: &str = "parent-missing";

/// The cached part of a call is smaller than the system plus the blocks that earlier calls of its
/// chain already counted, or it grew with no new block: every block of this call is apportioned
/// afresh (and keeps its new count for later calls).
pub const RULE_CHAIN_RESTART: &str = "chain-restart";

/// The system segment's size could not be read from any usage (no chain of the same system
/// prompt ever started with a cache read): the first call's blocks were given a quarter of their
/// canonical JSON bytes and the system the rest.
pub const RULE_SYSTEM_SIZE_ESTIMATED: &str = "system-size-estimated";

/// Bytes of canonical JSON per token in the estimate of [`RULE_SYSTEM_SIZE_ESTIMATED`].
pub const BYTES_PER_TOKEN_ESTIMATE: u64 = 4;

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    User,
    Assistant,
    ToolResult,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::ToolResult => "tool_result",
        }
    }
}

#[derive(Debug)]
struct Block {
    role: Role,
    hash: [u8; 16],
    /// Bytes of the block's canonical JSON.
    weight: u64,
    /// Given by the first call whose prompt holds the block.
    tokens: Option<u64>,
}

#[derive(Debug)]
struct Node {
    /// The parent's uuid id, or [`NONE`].
    parent: u32,
    /// The nearest earlier node of the same file and sidechain flag, or [`NONE`].
    prev: u32,
    first_block: u32,
    blocks: u32,
}

/// The lines' structure, fingerprints and weights, and the apportionment state.
#[derive(Debug)]
pub(super) struct Prompts {
    key: [u8; 32],
    uuid_ids: HashMap<Box<str>, u32>,
    /// Per uuid id: its node, or [`NONE`] when no line with that uuid was read (yet).
    node_of_uuid: Vec<u32>,
    nodes: Vec<Node>,
    blocks: Vec<Block>,
    /// The last node read per (file, sidechain).
    last_node: HashMap<(usize, bool), u32>,
}

/// What a call contributes to its prompt: enough of its usage and attribution.
#[derive(Debug, Clone, Copy)]
pub(super) struct CallPrompt<'a> {
    /// The node of the call's first line.
    pub node: Option<u32>,
    pub input: u64,
    pub write: u64,
    pub read: u64,
    /// `(5m, 1h)` writes, when logged.
    pub split: Option<(u64, u64)>,
    pub app: Option<&'a str>,
    pub version: Option<&'a str>,
    pub sidechain: bool,
}

/// The system prompt a chain is sent with: one per (project, Claude Code version, sidechain).
type SystemKey<'a> = (Option<&'a str>, Option<&'a str>, bool);

/// A [`SystemKey`] that owns its strings.
type OwnedSystemKey = (Option<String>, Option<String>, bool);

fn owned(key: SystemKey<'_>) -> OwnedSystemKey {
    (key.0.map(str::to_owned), key.1.map(str::to_owned), key.2)
}

/// A chain: its root node, or a call whose first line has no node (its own chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ChainId {
    Root(u32),
    Alone(usize),
}

#[derive(Debug, Clone, Copy)]
struct ChainState {
    system: u64,
    /// The TTLs of the system and last-block breakpoints of the chain's latest call with writes.
    ttl: (&'static str, &'static str),
}

/// Walks chains and apportions, in call order. Built by [`Prompts::plan`].
pub(super) struct Planner<'p> {
    prompts: &'p mut Prompts,
    /// The most frequent positive first-call cache read per system key (ties: the larger).
    system_sizes: HashMap<OwnedSystemKey, u64>,
    chains: HashMap<ChainId, ChainState>,
    seen: Vec<u32>,
    generation: u32,
    path: Vec<u32>,
}

/// One call's prompt and the rules it needed.
pub(super) struct Planned {
    pub segments: Vec<Segment>,
    pub notes: Vec<(&'static str, String)>,
}

/// The fields of a log line that the segments need. A derived struct rejects a duplicate of
/// these keys; every other key is skipped.
#[derive(serde::Deserialize)]
struct SegLine {
    #[serde(rename = "type", default)]
    kind: Field,
    #[serde(default)]
    uuid: Field,
    #[serde(rename = "parentUuid", default)]
    parent_uuid: Field,
    #[serde(rename = "isSidechain", default)]
    is_sidechain: Field,
    #[serde(default)]
    message: Field,
    #[serde(default)]
    attachment: Field,
}

#[derive(Default)]
struct Field(Option<Value>);

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Field, D::Error> {
        Value::deserialize(d).map(|v| Field(Some(v)))
    }
}

impl Prompts {
    pub(super) fn new(key: [u8; 32]) -> Self {
        Prompts {
            key,
            uuid_ids: HashMap::new(),
            node_of_uuid: Vec::new(),
            nodes: Vec::new(),
            blocks: Vec::new(),
            last_node: HashMap::new(),
        }
    }

    fn uuid_id(&mut self, uuid: &str) -> u32 {
        if let Some(&id) = self.uuid_ids.get(uuid) {
            return id;
        }
        // Fewer than 2^32 - 1 uuids: beyond that, ids would collide with NONE; saturate instead
        // (a chain then ends early, which is not an error).
        let id = u32::try_from(self.node_of_uuid.len())
            .unwrap_or(NONE - 1)
            .min(NONE - 1);
        if id as usize == self.node_of_uuid.len() {
            self.node_of_uuid.push(NONE);
            self.uuid_ids.insert(uuid.into(), id);
        }
        id
    }

    /// Adds a line that [`prepare_line`] read, from file `file`: its node. Lines must come in
    /// reading order; a line whose uuid was read before (a history copied into another file)
    /// keeps the first node.
    pub(super) fn add_prepared(&mut self, line: NodeLine, file: usize) -> Option<u32> {
        let id = self.uuid_id(&line.uuid);
        let existing = self.node_of_uuid[id as usize];
        if existing != NONE {
            return Some(existing);
        }
        let parent = line.parent.map_or(NONE, |p| self.uuid_id(&p));
        let first_block = u32::try_from(self.blocks.len()).unwrap_or(NONE);
        self.blocks.extend(line.blocks);
        let blocks = u32::try_from(self.blocks.len()).unwrap_or(NONE) - first_block;
        let node = u32::try_from(self.nodes.len()).unwrap_or(NONE);
        if node == NONE || first_block == NONE {
            // More than 2^32 lines or blocks: the line joins no chain (not an error).
            self.blocks.truncate(first_block as usize);
            return None;
        }
        let prev = self
            .last_node
            .insert((file, line.sidechain), node)
            .unwrap_or(NONE);
        self.nodes.push(Node {
            parent,
            prev,
            first_block,
            blocks,
        });
        self.node_of_uuid[id as usize] = node;
        Some(node)
    }

    /// The fingerprint key.
    pub(super) fn key(&self) -> &[u8; 32] {
        &self.key
    }

    /// A planner for `calls` (in writing order): the system size of each system key is read off
    /// the first calls of its chains here.
    pub(super) fn plan<'a>(&mut self, calls: impl Iterator<Item = CallPrompt<'a>>) -> Planner<'_> {
        let mut firsts: HashSet<ChainId> = HashSet::new();
        let mut reads: HashMap<OwnedSystemKey, BTreeMap<u64, u64>> = HashMap::new();
        let mut seen = vec![0u32; self.nodes.len()];
        let mut path = Vec::new();
        let mut notes = Vec::new();
        for (i, call) in calls.enumerate() {
            let generation = u32::try_from(i % (u32::MAX as usize - 1)).unwrap_or(0) + 1;
            let chain = self.walk(call.node, i, &mut seen, generation, &mut path, &mut notes);
            notes.clear();
            if firsts.insert(chain) && call.read > 0 {
                let key = owned(system_key(&call));
                *reads.entry(key).or_default().entry(call.read).or_insert(0) += 1;
            }
        }
        let system_sizes = reads
            .into_iter()
            .filter_map(|(key, counts)| {
                // Most frequent; ties: the larger (BTreeMap iterates ascending, max_by keeps the
                // last maximum).
                let best = counts.iter().max_by(|a, b| a.1.cmp(b.1)).map(|(&r, _)| r)?;
                Some((key, best))
            })
            .collect();
        let len = self.nodes.len();
        Planner {
            prompts: self,
            system_sizes,
            chains: HashMap::new(),
            seen: vec![0; len],
            generation: 0,
            path,
        }
    }

    /// The chain of `start`'s call into `path` (root first, without `start`'s own line) and its
    /// id. Notes a missing parent.
    fn walk(
        &self,
        start: Option<u32>,
        call: usize,
        seen: &mut [u32],
        generation: u32,
        path: &mut Vec<u32>,
        notes: &mut Vec<(&'static str, String)>,
    ) -> ChainId {
        path.clear();
        let Some(start) = start else {
            return ChainId::Alone(call);
        };
        seen[start as usize] = generation;
        let mut cur = start;
        let (mut continued, mut stopped) = (0u64, false);
        loop {
            let node = &self.nodes[cur as usize];
            if node.parent == NONE {
                break;
            }
            let next = match self.node_of_uuid[node.parent as usize] {
                NONE if node.prev == NONE => {
                    stopped = true;
                    break;
                }
                NONE => {
                    continued += 1;
                    node.prev
                }
                found => found,
            };
            if seen[next as usize] == generation {
                break;
            }
            seen[next as usize] = generation;
            path.push(next);
            cur = next;
        }
        path.reverse();
        if continued > 0 || stopped {
            let mut detail = String::new();
            if continued > 0 {
                detail += &format!(
                    "{continued} parent line(s) not in the import; the chain went on from the \
                     nearest earlier line of the file"
                );
            }
            if stopped {
                if !detail.is_empty() {
                    detail += "; ";
                }
                detail += "the chain starts at a line whose parent is not in the import";
            }
            notes.push((RULE_PARENT_MISSING, detail));
        }
        match path.first() {
            Some(&root) => ChainId::Root(root),
            None => ChainId::Root(start),
        }
    }
}

impl Planner<'_> {
    /// The segments of the next call (calls must come in the order given to [`Prompts::plan`]).
    pub(super) fn next(&mut self, index: usize, call: &CallPrompt<'_>) -> Planned {
        let mut notes = Vec::new();
        self.generation = self.generation.checked_add(1).unwrap_or_else(|| {
            self.seen.iter_mut().for_each(|s| *s = 0);
            1
        });
        let mut path = std::mem::take(&mut self.path);
        let chain = self.prompts.walk(
            call.node,
            index,
            &mut self.seen,
            self.generation,
            &mut path,
            &mut notes,
        );
        let blocks: Vec<u32> = path
            .iter()
            .flat_map(|&n| {
                let node = &self.prompts.nodes[n as usize];
                node.first_block..node.first_block + node.blocks
            })
            .collect();
        self.path = path;

        let cached = u128::from(call.write) + u128::from(call.read);
        let total = cached + u128::from(call.input);
        // The part that goes to the system and the blocks; the tail holds the rest.
        let base = if cached > 0 { cached } else { total };
        let tail = total - base;

        let state = match self.chains.get(&chain) {
            Some(s) => *s,
            None => {
                let system = self.first_system(call, &blocks, base, &mut notes);
                let s = ChainState {
                    system,
                    ttl: ("5m", "5m"),
                };
                self.chains.insert(chain, s);
                s
            }
        };
        let ttl = match call.split {
            _ if call.write == 0 => state.ttl,
            Some((m5, h1)) if h1 > 0 && m5 > 0 => ("1h", "5m"),
            Some((_, h1)) if h1 > 0 => ("1h", "1h"),
            _ => ("5m", "5m"),
        };
        if let Some(s) = self.chains.get_mut(&chain) {
            s.ttl = ttl;
        }

        let system = self.apportion(&blocks, u128::from(state.system), base, &mut notes);
        let p = &*self.prompts;
        let breakpoints = cached > 0;
        let mut segments = Vec::with_capacity(blocks.len() + 2);
        segments.push(Segment {
            role: "system",
            hash: hex(&system_hash(&p.key, call)),
            tokens: system as u64,
            cache_control: breakpoints.then_some(ttl.0),
        });
        for (i, &b) in blocks.iter().enumerate() {
            let block = &p.blocks[b as usize];
            segments.push(Segment {
                role: block.role.name(),
                hash: hex(&block.hash),
                tokens: block.tokens.unwrap_or(0),
                cache_control: (breakpoints && i + 1 == blocks.len()).then_some(ttl.1),
            });
        }
        if tail > 0 {
            segments.push(Segment {
                role: "user",
                hash: hex(&fingerprint(&p.key, "user", TAIL_CONTENT)),
                tokens: tail as u64,
                cache_control: None,
            });
        }
        Planned { segments, notes }
    }

    /// The system segment of a chain's first call: its cache read, else the usual read of its
    /// system key, else an estimate.
    fn first_system(
        &self,
        call: &CallPrompt<'_>,
        blocks: &[u32],
        base: u128,
        notes: &mut Vec<(&'static str, String)>,
    ) -> u64 {
        if call.read > 0 {
            return call.read;
        }
        let key = owned(system_key(call));
        if let Some(&size) = self.system_sizes.get(&key) {
            return size;
        }
        if blocks.is_empty() {
            return u64::try_from(base).unwrap_or(u64::MAX);
        }
        let estimate: u128 = blocks
            .iter()
            .map(|&b| {
                u128::from(
                    self.prompts.blocks[b as usize]
                        .weight
                        .div_ceil(BYTES_PER_TOKEN_ESTIMATE),
                )
            })
            .sum();
        let system = base - estimate.min(base);
        notes.push((
            RULE_SYSTEM_SIZE_ESTIMATED,
            format!(
                "no chain of this system prompt starts with a cache read; its {} block(s) \
                 estimated at {} tokens (a quarter of their bytes), the system at {system}",
                blocks.len(),
                estimate.min(base)
            ),
        ));
        u64::try_from(system).unwrap_or(u64::MAX)
    }

    /// Gives the blocks without a count their share of `base − system − counted`, or restarts.
    /// Returns the system segment's tokens.
    fn apportion(
        &mut self,
        blocks: &[u32],
        system: u128,
        base: u128,
        notes: &mut Vec<(&'static str, String)>,
    ) -> u128 {
        if blocks.is_empty() {
            return base;
        }
        let p = &mut *self.prompts;
        let counted: u128 = blocks
            .iter()
            .filter_map(|&b| p.blocks[b as usize].tokens)
            .map(u128::from)
            .sum();
        let fresh: Vec<u32> = blocks
            .iter()
            .copied()
            .filter(|&b| p.blocks[b as usize].tokens.is_none())
            .collect();
        let fits = system + counted <= base;
        let grown = base.saturating_sub(system + counted);
        let (targets, tokens, system) = if fits && (!fresh.is_empty() || grown == 0) {
            (fresh, grown, system)
        } else {
            let detail = if fits {
                format!(
                    "the cached part, {base} tokens, grew by {grown} over the system and the \
                     blocks already counted, with no new block"
                )
            } else {
                format!(
                    "the cached part, {base} tokens, is less than the system ({system}) plus \
                     the blocks already counted ({counted})"
                )
            };
            notes.push((RULE_CHAIN_RESTART, detail));
            let system = system.min(base);
            (blocks.to_vec(), base - system, system)
        };
        let weights: Vec<u64> = targets
            .iter()
            .map(|&b| p.blocks[b as usize].weight)
            .collect();
        let mut shares = Vec::with_capacity(targets.len());
        largest_remainder(&weights, tokens, &mut shares);
        for (&b, share) in targets.iter().zip(shares) {
            p.blocks[b as usize].tokens = Some(share);
        }
        system
    }
}

/// What the tail segment (the uncached input after the last breakpoint) is fingerprinted from.
const TAIL_CONTENT: &str = r#"{"claude_code":"turn end"}"#;

/// A line's part of the transcript, read on any thread: its uuid, parent and sidechain flag, and
/// the fingerprints and weights of the content blocks it sends. [`Prompts::add_prepared`] links it
/// into the transcript, in reading order.
#[derive(Debug)]
pub(super) struct NodeLine {
    uuid: Box<str>,
    parent: Option<Box<str>>,
    sidechain: bool,
    blocks: Vec<Block>,
}

/// Reads one non-blank line for the transcript: `None` when it has no `uuid`. Fingerprints are
/// keyed by `key`.
pub(super) fn prepare_line(key: &[u8; 32], text: &str) -> Result<Option<NodeLine>, FieldError> {
    let raw: SegLine = object_line(text)?;
    let Some(uuid) = id_field("uuid", raw.uuid)? else {
        return Ok(None);
    };
    let parent = id_field("parentUuid", raw.parent_uuid)?;
    let sidechain = matches!(raw.is_sidechain.0, Some(Value::Bool(true)));
    let mut blocks = Vec::new();
    let kind = match &raw.kind.0 {
        Some(Value::String(s)) => s.as_str(),
        _ => "",
    };
    match (kind, raw.message.0, raw.attachment.0) {
        ("user" | "assistant", Some(Value::Object(m)), _) => {
            add_message(key, &mut blocks, kind, &m);
        }
        ("attachment", _, Some(a)) if !a.is_null() => {
            let mut block = Map::new();
            block.insert("attachment".to_owned(), a);
            add_block(key, &mut blocks, Role::User, &Value::Object(block));
        }
        _ => {}
    }
    Ok(Some(NodeLine {
        uuid: uuid.into_boxed_str(),
        parent: parent.map(String::into_boxed_str),
        sidechain,
        blocks,
    }))
}

fn add_message(key: &[u8; 32], blocks: &mut Vec<Block>, kind: &str, m: &Map<String, Value>) {
    if m.get("model").and_then(Value::as_str) == Some(SYNTHETIC_MODEL) {
        return;
    }
    let role = match m.get("role").and_then(Value::as_str) {
        Some("assistant") => Role::Assistant,
        Some("user") => Role::User,
        _ if kind == "assistant" => Role::Assistant,
        _ => Role::User,
    };
    match m.get("content") {
        Some(Value::String(s)) => add_block(key, blocks, role, &Value::Object(text_block(s))),
        Some(Value::Array(items)) => {
            for item in items {
                let is_result = item.get("type").and_then(Value::as_str) == Some("tool_result");
                let role = if is_result { Role::ToolResult } else { role };
                add_block(key, blocks, role, item);
            }
        }
        _ => {}
    }
}

fn add_block(key: &[u8; 32], blocks: &mut Vec<Block>, role: Role, block: &Value) {
    let canonical = canonical(block);
    blocks.push(Block {
        role,
        hash: fingerprint(key, role.name(), &canonical),
        weight: canonical.len() as u64,
        tokens: None,
    });
}

fn system_key<'a>(call: &CallPrompt<'a>) -> SystemKey<'a> {
    (call.app, call.version, call.sidechain)
}

/// The system segment's fingerprint: of (project, version, sidechain), since the log does not
/// hold the system prompt or the tools.
fn system_hash(key: &[u8; 32], call: &CallPrompt<'_>) -> [u8; 16] {
    let mut inner = Map::new();
    let opt = |s: Option<&str>| s.map_or(Value::Null, |s| Value::String(s.to_owned()));
    inner.insert("project".to_owned(), opt(call.app));
    inner.insert("version".to_owned(), opt(call.version));
    inner.insert("sidechain".to_owned(), Value::Bool(call.sidechain));
    let mut block = Map::new();
    block.insert("claude_code_system".to_owned(), Value::Object(inner));
    fingerprint(key, "system", &canonical(&Value::Object(block)))
}

/// The canonical JSON of a content block, as the anthropic importer writes it (a block's own
/// top-level `cache_control` left out).
fn canonical(block: &Value) -> String {
    match block {
        Value::Object(map) => canonical_block(map),
        other => {
            let mut out = String::new();
            write_canonical(other, &mut out);
            out
        }
    }
}

/// The anthropic importer's fingerprint, as bytes: keyed BLAKE3 over `role`, a newline and the
/// canonical JSON, cut to 16 bytes (32 hex characters).
fn fingerprint(key: &[u8; 32], role: &str, canonical_json: &str) -> [u8; 16] {
    let mut hasher = blake3::Hasher::new_keyed(key);
    hasher.update(role.as_bytes());
    hasher.update(b"\n");
    hasher.update(canonical_json.as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    out
}

fn hex(bytes: &[u8; 16]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(32);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// `uuid` or `parentUuid`: a string, `None` when absent, null or empty.
fn id_field(field: &str, value: Field) -> Result<Option<String>, FieldError> {
    match value.0 {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err((
            field.to_owned(),
            format!("must be a string, got {}", shown(&other)),
        )),
    }
}

#[cfg(test)]
pub(crate) fn fingerprint_hex(key: &[u8; 32], role: &str, canonical_json: &str) -> String {
    hex(&fingerprint(key, role, canonical_json))
}
