//! Prompt-cache simulation for one cache scope (workspace, canonical model), following
//! `docs/caching.md` (DESIGN.md sections 5 and 5a).
//!
//! A [`ScopeCache`] holds the entries one scope has written. Each request is replayed against it in
//! (timestamp, corpus order): its breakpoints look back for the longest live, readable prefix, the
//! hit refreshes what it read, and every breakpoint beyond the hit writes its own entry. The result is
//! a [`Split`] of the request's input tokens into reads, 1-hour writes, 5-minute writes and uncached
//! input, which is what pricing needs.
//!
//! Eviction ([`ScopeCache::evict_expired`]) only frees memory: an expired entry that has not been
//! evicted yet behaves exactly like a missing one, so how often the engine evicts never changes a
//! split.

use std::cmp::Reverse;
use std::collections::hash_map::Entry as Slot;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

#[cfg(test)]
mod tests;

/// How many lookback positions a breakpoint checks, counting its own.
///
/// A breakpoint at position `p` finds entries whose position lies in `p - 19 ..= p`.
pub const LOOKBACK_POSITIONS: usize = 20;

/// The most breakpoints one request may carry (the API rejects more).
pub const MAX_BREAKPOINTS: usize = 4;

/// The lifetime a breakpoint asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ttl {
    /// `cache_control: {"type": "ephemeral"}` or `"5m"`: 5 minutes.
    FiveMinutes,
    /// `cache_control: {"type": "ephemeral", "ttl": "1h"}` or `"1h"`: 1 hour.
    OneHour,
}

impl Ttl {
    /// The lifetime in nanoseconds, counted from the start of the request that wrote or last read
    /// the entry.
    pub const fn duration_ns(self) -> i64 {
        match self {
            Ttl::FiveMinutes => 300_000_000_000,
            Ttl::OneHour => 3_600_000_000_000,
        }
    }
}

/// One prompt block (segment), in prefix order: tools, system, messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// Content fingerprint; a prefix's identity is the chain of its blocks' hashes.
    pub hash: u64,
    /// Tokens in this block.
    pub tokens: u64,
    /// A run of consecutive tool_result blocks counts as one lookback position.
    pub tool_result: bool,
    /// A cache breakpoint after this block, with its TTL.
    pub breakpoint: Option<Ttl>,
}

/// When and how one request meets the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lookup {
    /// Request start, nanoseconds since the Unix epoch (UTC).
    pub ts_ns: i64,
    /// Entries this request writes become readable at `ts_ns + readable_delay_ns`
    /// (the recorded latency when present, else a configured delay). Must not be negative.
    pub readable_delay_ns: i64,
    /// The model's minimum cacheable prompt length: a shorter prefix is neither written nor read.
    pub min_cacheable_tokens: u64,
    /// False for a batch request that lost its hit draw: it reads nothing but still writes.
    pub may_hit: bool,
}

/// How a request's input tokens split. `read + write_5m + write_1h + uncached` equals the
/// request's total input tokens (the sum of its blocks' tokens).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Split {
    /// Tokens read from the cache (`cache_read_input_tokens`).
    pub read: u64,
    /// Tokens written with a 5-minute TTL.
    pub write_5m: u64,
    /// Tokens written with a 1-hour TTL.
    pub write_1h: u64,
    /// Tokens neither read nor written (`input_tokens`).
    pub uncached: u64,
}

impl Split {
    /// All input tokens of the request: reads, both kinds of writes and uncached input.
    pub fn total(&self) -> u64 {
        self.read + self.write_5m + self.write_1h + self.uncached
    }
}

/// Why a request read nothing from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Miss {
    /// The request has no breakpoint, so it neither reads nor writes.
    NoBreakpoint,
    /// Even the longest breakpoint's prefix is shorter than the model's minimum cacheable length.
    BelowMinimum,
    /// A batch request that lost its hit draw: it skipped the lookup but still wrote.
    LostHitDraw,
    /// A live entry was in reach but not readable yet: a concurrent writer's response had not
    /// begun when this request started.
    NotYetReadable,
    /// No live entry was in reach: never written, expired, changed earlier in the prefix, or more
    /// than [`LOOKBACK_POSITIONS`] positions back.
    Cold,
}

impl Miss {
    /// A stable kebab-case id for reports; renaming one is a breaking change.
    pub const fn id(self) -> &'static str {
        match self {
            Miss::NoBreakpoint => "no-breakpoint",
            Miss::BelowMinimum => "below-minimum",
            Miss::LostHitDraw => "lost-hit-draw",
            Miss::NotYetReadable => "not-yet-readable",
            Miss::Cold => "cold",
        }
    }
}

/// Everything one replayed request decided: its split, where it hit and why it missed.
///
/// Exactly one of `hit_block` and `miss` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// How the request's input tokens split.
    pub split: Split,
    /// The index of the last block of the prefix read from the cache, if any.
    pub hit_block: Option<usize>,
    /// Why nothing was read, when nothing was.
    pub miss: Option<Miss>,
    /// How many entries the request wrote (one per written breakpoint, at most [`MAX_BREAKPOINTS`]).
    pub writes: usize,
}

/// Why a replayed request read less than the whole prefix through its last breakpoint: what the
/// simulator found, before the request, at the entries that would have let it read more.
///
/// Computed only by [`ScopeCache::replay_diagnosed`] (the `tokensim fidelity` command); the
/// replay engine's hot path ([`ScopeCache::replay`]) never builds one. Block indices are indices
/// into the request's blocks (its prompt segments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortfall {
    /// The request has no breakpoint: it reads and writes nothing.
    NoBreakpoint,
    /// The prefix through the last breakpoint is shorter than the model's minimum cacheable
    /// length, so nothing is read or written.
    BelowMinimum {
        /// Tokens through the last breakpoint.
        prefix_tokens: u64,
        /// The model's minimum cacheable length.
        min_tokens: u64,
    },
    /// A batch request that lost its hit draw.
    LostHitDraw,
    /// The longest entry beyond the read was alive but not readable yet: a concurrent writer's
    /// response had not begun.
    ConcurrentWriter {
        /// The block whose prefix the entry holds.
        block: usize,
        /// How long after this request's start the entry becomes readable, nanoseconds.
        readable_in_ns: i64,
    },
    /// The longest entry beyond the read had expired.
    Expired {
        /// The block whose prefix the entry holds.
        block: usize,
        /// The TTL the entry had.
        ttl: Ttl,
        /// Time from its last use (write or read) to this request's start, nanoseconds; at least
        /// the TTL.
        idle_ns: i64,
    },
    /// The longest entry beyond the read was alive and readable but more than
    /// [`LOOKBACK_POSITIONS`] positions before every breakpoint.
    BeyondLookback {
        /// The block whose prefix the entry holds.
        block: usize,
    },
    /// No entry beyond the read was ever written, and no earlier request of the scope shares
    /// this request's blocks through `segment`: the prompt differs from every earlier one from
    /// that block on (0 for a prompt whose first block is new).
    PrefixChanged {
        /// The first block at which this request's chain leaves every chain seen before.
        segment: usize,
    },
    /// Earlier requests had this whole prefix, but none wrote an entry beyond the read (no
    /// breakpoint there, or one below the minimum).
    NotWritten,
}

impl Shortfall {
    /// A stable kebab-case id for reports; renaming one is a breaking change.
    pub const fn id(self) -> &'static str {
        match self {
            Shortfall::NoBreakpoint => "no-breakpoint",
            Shortfall::BelowMinimum { .. } => "below-minimum",
            Shortfall::LostHitDraw => "lost-hit-draw",
            Shortfall::ConcurrentWriter { .. } => "concurrent-writer",
            Shortfall::Expired { .. } => "expired",
            Shortfall::BeyondLookback { .. } => "beyond-lookback",
            Shortfall::PrefixChanged { .. } => "prefix-changed",
            Shortfall::NotWritten => "not-written",
        }
    }
}

/// `m:ss.fff` (or `h:mm:ss` from an hour) for a duration in nanoseconds.
fn duration(ns: i64) -> String {
    let ms = ns.max(0) / 1_000_000;
    let (h, m, s, f) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    match (h, f) {
        (0, 0) => format!("{m}:{s:02}"),
        (0, _) => format!("{m}:{s:02}.{f:03}"),
        (_, 0) => format!("{h}:{m:02}:{s:02}"),
        _ => format!("{h}:{m:02}:{s:02}.{f:03}"),
    }
}

impl fmt::Display for Shortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Shortfall::NoBreakpoint => f.write_str("no breakpoint"),
            Shortfall::BelowMinimum {
                prefix_tokens,
                min_tokens,
            } => write!(
                f,
                "below minimum: {prefix_tokens} tokens through the last breakpoint, the model caches from {min_tokens}"
            ),
            Shortfall::LostHitDraw => f.write_str("lost the batch hit draw"),
            Shortfall::ConcurrentWriter {
                block,
                readable_in_ns,
            } => write!(
                f,
                "concurrent writer: the entry at segment {block} was written but becomes readable only {} later",
                duration(readable_in_ns)
            ),
            Shortfall::Expired {
                block,
                ttl,
                idle_ns,
            } => write!(
                f,
                "expired TTL: the {} entry at segment {block} was last used {} earlier",
                match ttl {
                    Ttl::FiveMinutes => "5m",
                    Ttl::OneHour => "1h",
                },
                duration(idle_ns)
            ),
            Shortfall::BeyondLookback { block } => write!(
                f,
                "beyond lookback: the live entry at segment {block} is more than {LOOKBACK_POSITIONS} positions before every breakpoint"
            ),
            Shortfall::PrefixChanged { segment: 0 } => {
                f.write_str("prefix changed at segment 0: no earlier call in the scope starts like this one")
            }
            Shortfall::PrefixChanged { segment } => write!(
                f,
                "prefix changed at segment {segment}: no earlier call in the scope shares segments 0..={segment}"
            ),
            Shortfall::NotWritten => f.write_str(
                "not written: earlier calls had this prefix but wrote no entry beyond what was read",
            ),
        }
    }
}

/// Every prefix the requests of one scope have had (not only those written at breakpoints), for
/// [`ScopeCache::replay_diagnosed`] to tell where a new prompt leaves the earlier ones.
///
/// It holds one key per distinct prefix ever seen, so it grows with the scope's distinct
/// prompts; only the diagnosing replay uses it.
#[derive(Debug, Default)]
pub struct PrefixHistory {
    /// Prefix-closed: a request adds the keys of all its prefixes, so when a prefix is in the
    /// set, every shorter prefix of it is too.
    seen: HashSet<u64, BuildHasherDefault<KeyHasher>>,
}

impl PrefixHistory {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// The longest prefix of `keys` seen before (its last index), by bisection: the set is
    /// prefix-closed, so membership is true up to some index and false after it.
    fn longest_seen(&self, keys: &[u64]) -> Option<usize> {
        let n = keys.partition_point(|k| self.seen.contains(k));
        n.checked_sub(1)
    }
}

/// The cache state of one scope. Requests must be fed in (timestamp, corpus order).
#[derive(Debug, Default)]
pub struct ScopeCache {
    /// Entries by prefix key. Only ever looked up, never iterated, so its order cannot reach
    /// output.
    entries: HashMap<u64, Entry, BuildHasherDefault<KeyHasher>>,
    /// Exactly one `(due, key)` per entry, with `due` never later than the entry's expiry. A
    /// refresh only moves the expiry later, so it leaves the queue alone; eviction re-queues an
    /// entry whose due time has come but whose expiry has moved on.
    expiry: BinaryHeap<Reverse<(i64, u64)>>,
    /// The latest instant the cache has been told about, by a request or an eviction.
    clock_ns: Option<i64>,
    /// Per-request buffers, kept to avoid allocating on every request.
    scratch: Prefixes,
}

impl ScopeCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replays one request against the cache: decides its split and updates the cache.
    pub fn request(&mut self, blocks: &[Block], lookup: &Lookup) -> Split {
        self.replay(blocks, lookup).split
    }

    /// Replays one request like [`ScopeCache::request`], and also reports where it hit, why it
    /// missed and how many entries it wrote.
    ///
    /// # Panics
    ///
    /// On a broken precondition, which is a bug in the caller: more than [`MAX_BREAKPOINTS`]
    /// breakpoints, a 1-hour breakpoint after a 5-minute one (the corpus reader rejects both), a
    /// negative readable delay, or a timestamp earlier than one already replayed or evicted at.
    pub fn replay(&mut self, blocks: &[Block], lookup: &Lookup) -> Outcome {
        let t = lookup.ts_ns;
        if let Some(clock) = self.clock_ns {
            assert!(
                t >= clock,
                "cache scope replayed out of order: request at {t} ns after {clock} ns"
            );
        }
        self.clock_ns = Some(t);
        assert!(
            lookup.readable_delay_ns >= 0,
            "negative readable delay: {} ns",
            lookup.readable_delay_ns
        );

        let total: u64 = blocks.iter().map(|b| b.tokens).sum();
        let Some(last_bp) = last_breakpoint(blocks) else {
            return Outcome {
                split: Split {
                    uncached: total,
                    ..Split::default()
                },
                hit_block: None,
                miss: Some(Miss::NoBreakpoint),
                writes: 0,
            };
        };

        // Take the buffers out of `self` so the entry map can be mutated while they are read.
        let mut prefixes = std::mem::take(&mut self.scratch);
        prefixes.fill(&blocks[..=last_bp]);
        let outcome = self.apply(blocks, &prefixes, lookup, total);
        self.scratch = prefixes;

        assert_eq!(
            outcome.split.total(),
            total,
            "split does not add up to the request's input"
        );
        assert_eq!(outcome.hit_block.is_some(), outcome.miss.is_none());
        outcome
    }

    /// Replays one request like [`ScopeCache::replay`], and also says why it read less than the
    /// whole prefix through its last breakpoint (`None` when it read all of it).
    ///
    /// The reason is taken from the cache as the request found it: the longest entry beyond the
    /// read decides (not yet readable, expired, or out of lookback reach); when there is none,
    /// `history` tells where this request's blocks leave every earlier request's (prefix
    /// changed at that segment) or that the prefix was seen but never written. Expired entries
    /// are told apart from missing ones only while they have not been evicted: a caller that
    /// wants the `Expired` reason must not call [`ScopeCache::evict_expired`].
    ///
    /// Costs a snapshot of the entries along the prefix and a bisection over `history`; the
    /// replay engine does not use it.
    pub fn replay_diagnosed(
        &mut self,
        blocks: &[Block],
        lookup: &Lookup,
        history: &mut PrefixHistory,
    ) -> (Outcome, Option<Shortfall>) {
        let mut all = Prefixes::default();
        all.fill(blocks);
        let last_bp = last_breakpoint(blocks);
        // The entries along the prefix as the request finds them.
        let found: Vec<Option<Entry>> = match last_bp {
            Some(b) => all.keys[..=b]
                .iter()
                .map(|k| self.entries.get(k).copied())
                .collect(),
            None => Vec::new(),
        };
        let outcome = self.replay(blocks, lookup);
        let t = lookup.ts_ns;
        let shortfall = match (last_bp, outcome.hit_block, outcome.miss) {
            (None, _, _) | (_, _, Some(Miss::NoBreakpoint)) => Some(Shortfall::NoBreakpoint),
            (Some(b), Some(h), _) if h == b => None,
            (Some(b), _, Some(Miss::BelowMinimum)) => Some(Shortfall::BelowMinimum {
                prefix_tokens: all.cum[b],
                min_tokens: lookup.min_cacheable_tokens,
            }),
            (_, _, Some(Miss::LostHitDraw)) => Some(Shortfall::LostHitDraw),
            (Some(b), hit, _) => {
                let floor = hit.map_or(0, |h| h + 1);
                let longest = (floor..=b).rev().find_map(|i| found[i].map(|e| (i, e)));
                Some(match longest {
                    Some((block, e)) if !e.is_alive(t) => Shortfall::Expired {
                        block,
                        ttl: e.ttl,
                        idle_ns: t.saturating_sub(e.last_use_ns),
                    },
                    Some((block, e)) if !e.is_readable(t) => Shortfall::ConcurrentWriter {
                        block,
                        readable_in_ns: e.readable_at_ns - t,
                    },
                    Some((block, _)) => Shortfall::BeyondLookback { block },
                    None => match history.longest_seen(&all.keys[..=b]) {
                        Some(j) if j >= b => Shortfall::NotWritten,
                        j => Shortfall::PrefixChanged {
                            segment: j.map_or(0, |j| j + 1),
                        },
                    },
                })
            }
        };
        history.seen.extend(all.keys.iter().copied());
        (outcome, shortfall)
    }

    /// Drops every entry that is expired at `now_ns` (`last_use + ttl <= now_ns`), so memory stays
    /// bounded by the live entries. Cheap when nothing is due: one peek at the queue.
    pub fn evict_expired(&mut self, now_ns: i64) {
        self.clock_ns = Some(self.clock_ns.map_or(now_ns, |clock| clock.max(now_ns)));
        while let Some(&Reverse((due_ns, key))) = self.expiry.peek() {
            if due_ns > now_ns {
                break;
            }
            self.expiry.pop();
            let expires_ns = self
                .entries
                .get(&key)
                .expect("every queued key has an entry")
                .expires_ns();
            if expires_ns <= now_ns {
                self.entries.remove(&key);
            } else {
                // Refreshed since it was queued: come back when the new expiry is due.
                self.expiry.push(Reverse((expires_ns, key)));
            }
        }
        assert_eq!(
            self.expiry.len(),
            self.entries.len(),
            "expiry queue out of step with entries"
        );
    }

    /// Entries currently held (live or not yet evicted).
    pub fn entries(&self) -> usize {
        self.entries.len()
    }

    /// Looks up, refreshes and writes for one request whose prefixes are already computed.
    fn apply(
        &mut self,
        blocks: &[Block],
        prefixes: &Prefixes,
        lookup: &Lookup,
        total: u64,
    ) -> Outcome {
        let t = lookup.ts_ns;
        let min = lookup.min_cacheable_tokens;
        let last_bp = prefixes.len() - 1;

        let (hit, miss) = if prefixes.cum[last_bp] < min {
            // Cumulative tokens only grow along the prompt, so no breakpoint can read or write.
            (None, Some(Miss::BelowMinimum))
        } else if !lookup.may_hit {
            (None, Some(Miss::LostHitDraw))
        } else {
            match self.longest_hit(blocks, prefixes, t, min) {
                Ok(h) => (Some(h), None),
                Err(miss) => (None, Some(miss)),
            }
        };

        if let Some(h) = hit {
            // A hit keeps alive every entry along the prefix it read, each with its own TTL.
            for key in &prefixes.keys[..=h] {
                if let Some(entry) = self.entries.get_mut(key) {
                    if entry.is_alive(t) {
                        entry.last_use_ns = t;
                    }
                }
            }
        }

        let readable_at_ns = t.saturating_add(lookup.readable_delay_ns);
        let mut last_1h = None;
        let mut last_written = None;
        let mut writes = 0;
        let first_unread = hit.map_or(0, |h| h + 1);
        for (i, block) in blocks
            .iter()
            .enumerate()
            .take(last_bp + 1)
            .skip(first_unread)
        {
            let Some(ttl) = block.breakpoint else {
                continue;
            };
            if prefixes.cum[i] < min {
                continue;
            }
            self.write(prefixes.keys[i], ttl, t, readable_at_ns);
            writes += 1;
            last_written = Some(i);
            if ttl == Ttl::OneHour {
                last_1h = Some(i);
            }
        }

        // The documentation's billing positions: A at the hit, B at the last 1-hour write after
        // it, C at the last write.
        let a = hit.map_or(0, |h| prefixes.cum[h]);
        let b = last_1h.map_or(a, |i| prefixes.cum[i]);
        let c = last_written.map_or(b, |i| prefixes.cum[i]);
        assert!(
            a <= b && b <= c && c <= total,
            "billing positions out of order: {a} {b} {c} {total}"
        );
        Outcome {
            split: Split {
                read: a,
                write_1h: b - a,
                write_5m: c - b,
                uncached: total - c,
            },
            hit_block: hit,
            miss,
            writes,
        }
    }

    /// The highest block index any breakpoint can read at `t`, or why none can.
    fn longest_hit(
        &self,
        blocks: &[Block],
        prefixes: &Prefixes,
        t: i64,
        min: u64,
    ) -> Result<usize, Miss> {
        let mut best: Option<usize> = None;
        let mut saw_unreadable = false;
        // A slice, not `take(..).rev()`: that pair steps back through `nth_back` every time.
        for (b, block) in blocks[..prefixes.len()].iter().enumerate().rev() {
            if block.breakpoint.is_none() {
                continue;
            }
            let floor = best.map_or(0, |h| h + 1);
            for i in (floor..=b).rev() {
                if prefixes.pos[i] + LOOKBACK_POSITIONS <= prefixes.pos[b] {
                    break;
                }
                if prefixes.cum[i] < min {
                    // Every shorter prefix is below the minimum too.
                    break;
                }
                let Some(entry) = self.entries.get(&prefixes.keys[i]) else {
                    continue;
                };
                if !entry.is_alive(t) {
                    continue;
                }
                if entry.is_readable(t) {
                    best = Some(i);
                    break;
                }
                saw_unreadable = true;
            }
        }
        best.ok_or(if saw_unreadable {
            Miss::NotYetReadable
        } else {
            Miss::Cold
        })
    }

    /// Writes (or rewrites) the entry for one breakpoint's prefix.
    fn write(&mut self, key: u64, ttl: Ttl, t: i64, readable_at_ns: i64) {
        let fresh = Entry {
            ttl,
            last_use_ns: t,
            readable_at_ns,
        };
        match self.entries.entry(key) {
            Slot::Occupied(mut slot) => {
                let entry = slot.get_mut();
                if entry.is_alive(t) {
                    // A concurrent writer of a live prefix pays the write but cannot make the
                    // entry readable later, nor shorten the lifetime another writer bought.
                    entry.readable_at_ns = entry.readable_at_ns.min(readable_at_ns);
                    entry.last_use_ns = t;
                    entry.ttl = entry.ttl.max(ttl);
                } else {
                    // Its queue slot is due no later than the old expiry, which is before the
                    // new one, so the queue stays in step without a push.
                    *entry = fresh;
                }
            }
            Slot::Vacant(slot) => {
                slot.insert(fresh);
                self.expiry.push(Reverse((fresh.expires_ns(), key)));
            }
        }
    }
}

/// One cached prefix.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The TTL it was written with (the longer one when several writers met).
    ttl: Ttl,
    /// Start of the request that last wrote or read it.
    last_use_ns: i64,
    /// When the first writer's response began; before that nobody can read it.
    readable_at_ns: i64,
}

impl Entry {
    fn expires_ns(&self) -> i64 {
        self.last_use_ns.saturating_add(self.ttl.duration_ns())
    }

    /// Alive while `t < last_use + ttl`: expired at exactly 5:00 or 60:00.
    fn is_alive(&self, t: i64) -> bool {
        t < self.expires_ns()
    }

    fn is_readable(&self, t: i64) -> bool {
        t >= self.readable_at_ns
    }
}

/// Per-block facts of one request, up to its last breakpoint.
#[derive(Debug, Default)]
struct Prefixes {
    /// `keys[i]` identifies the prefix of blocks `0..=i`.
    keys: Vec<u64>,
    /// `cum[i]` is the tokens of blocks `0..=i`.
    cum: Vec<u64>,
    /// `pos[i]` is block `i`'s lookback position.
    pos: Vec<usize>,
}

impl Prefixes {
    fn fill(&mut self, blocks: &[Block]) {
        self.keys.clear();
        self.cum.clear();
        self.pos.clear();
        let mut key = CHAIN_SEED;
        let mut cum = 0u64;
        let mut pos = 0usize;
        for (i, block) in blocks.iter().enumerate() {
            if i > 0 && !(block.tool_result && blocks[i - 1].tool_result) {
                pos += 1;
            }
            key = chain(key, block.hash);
            cum += block.tokens;
            self.keys.push(key);
            self.cum.push(cum);
            self.pos.push(pos);
        }
    }

    fn len(&self) -> usize {
        self.keys.len()
    }
}

/// The index of the last breakpoint, after checking the breakpoints are valid.
fn last_breakpoint(blocks: &[Block]) -> Option<usize> {
    let mut count = 0;
    let mut seen_5m = false;
    let mut last = None;
    for (i, block) in blocks.iter().enumerate() {
        let Some(ttl) = block.breakpoint else {
            continue;
        };
        count += 1;
        assert!(
            count <= MAX_BREAKPOINTS,
            "more than {MAX_BREAKPOINTS} cache breakpoints in one request"
        );
        match ttl {
            Ttl::FiveMinutes => seen_5m = true,
            Ttl::OneHour => assert!(
                !seen_5m,
                "a 1h cache breakpoint after a 5m one at block {i}"
            ),
        }
        last = Some(i);
    }
    last
}

/// The key of the empty prefix; any fixed value works, this one is the fractional part of sqrt(2).
const CHAIN_SEED: u64 = 0x6a09_e667_f3bc_c908;

/// Extends a prefix key by one block hash. Rotating the previous key before folding in the
/// hash makes the result depend on block order, so `[a, b]` and `[b, a]` get different keys;
/// the odd multiply and the fold of the high half into the low one are bijections, so prefixes
/// that differ only in their last block never share a key, and the low bits (the map's bucket)
/// depend on every bit. A request's keys are a serial chain, so this is one multiply per block
/// on the critical path (two `splitmix64` rounds were four, and most of the key computation).
fn chain(prev: u64, hash: u64) -> u64 {
    let z = (prev.rotate_left(29) ^ hash).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z ^ (z >> 32)
}

/// The splitmix64 finalizer: a bijection on `u64` with full avalanche.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Passes prefix keys through unchanged: they are already well mixed, and this keeps lookups
/// deterministic without `RandomState`.
#[derive(Debug, Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed here; fold anything else rather than drop it.
        for &byte in bytes {
            self.0 = splitmix64(self.0 ^ u64::from(byte));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
