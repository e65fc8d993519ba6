//! Tests for the prompt-cache simulator: data-driven scripts through one `check` helper, examples
//! taken from Anthropic's prompt-caching documentation, and property tests against a plain
//! reference model.
//!
//! A script has one line per request or eviction, in time order:
//!
//! ```text
//! 0:00   a:2000@5m q:10          a request: its start time, then its blocks
//! 4:00   delay=10s min=1024 nohit a:2000@1h ~r{1..3}:5 q:10
//! evict 9:00                     evict_expired at 9:00, then print the entry count
//! ```
//!
//! A block is `name:tokens`, with `@5m` or `@1h` for a breakpoint after it and a leading `~` for a
//! tool_result block; `name{1..3}` expands to `name1 name2 name3`. Blocks with the same name have
//! the same hash. Times are `m:ss[.fff]` or `h:mm:ss[.fff]`. Request flags: `delay=` (readable
//! delay: `500ms`, `10s`, `2m`), `min=` (minimum cacheable tokens, default 0) and `nohit` (a lost
//! batch hit draw).
//!
//! Each request prints its time, then `hit@<block>` or the miss id, then the non-zero parts of its
//! split: `read=`, `1h=`, `5m=` and `in=` (uncached input).

use super::*;
use proptest::prelude::*;

const SECOND_NS: i64 = 1_000_000_000;
const MINUTE_NS: i64 = 60 * SECOND_NS;

fn check(script: &str, expect: &str) {
    let actual = run(script);
    let expect = trim_indent(expect);
    if actual != expect {
        panic!("\n--- expected ---\n{expect}\n--- actual ---\n{actual}\n");
    }
}

fn run(script: &str) -> String {
    let mut cache = ScopeCache::new();
    let mut out = Vec::new();
    for line in script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap();
        if first == "evict" {
            let time = words.next().expect("evict needs a time");
            cache.evict_expired(parse_time(time));
            out.push(format!("evict {time} entries={}", cache.entries()));
            continue;
        }
        let mut lookup = Lookup {
            ts_ns: parse_time(first),
            readable_delay_ns: 0,
            min_cacheable_tokens: 0,
            may_hit: true,
        };
        let mut blocks = Vec::new();
        let mut names = Vec::new();
        for word in words {
            if let Some(v) = word.strip_prefix("delay=") {
                lookup.readable_delay_ns = parse_duration(v);
            } else if let Some(v) = word.strip_prefix("min=") {
                lookup.min_cacheable_tokens = v.parse().unwrap();
            } else if word == "nohit" {
                lookup.may_hit = false;
            } else {
                parse_blocks(word, &mut blocks, &mut names);
            }
        }
        let outcome = cache.replay(&blocks, &lookup);
        let verdict = match (outcome.hit_block, outcome.miss) {
            (Some(h), None) => format!("hit@{}", names[h]),
            (None, Some(miss)) => miss.id().to_owned(),
            other => panic!("hit and miss disagree: {other:?}"),
        };
        let mut line = format!("{first} {verdict}");
        let split = outcome.split;
        for (label, n) in [
            ("read", split.read),
            ("1h", split.write_1h),
            ("5m", split.write_5m),
            ("in", split.uncached),
        ] {
            if n != 0 {
                line.push_str(&format!(" {label}={n}"));
            }
        }
        out.push(line);
    }
    out.join("\n")
}

fn parse_blocks(word: &str, blocks: &mut Vec<Block>, names: &mut Vec<String>) {
    let (tool_result, word) = match word.strip_prefix('~') {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    let (name, rest) = word
        .split_once(':')
        .unwrap_or_else(|| panic!("block {word:?} needs :tokens"));
    let (tokens, breakpoint) = match rest.split_once('@') {
        Some((tokens, "5m")) => (tokens, Some(Ttl::FiveMinutes)),
        Some((tokens, "1h")) => (tokens, Some(Ttl::OneHour)),
        Some((_, ttl)) => panic!("unknown ttl {ttl:?}"),
        None => (rest, None),
    };
    let tokens: u64 = tokens.parse().unwrap();
    let expanded: Vec<String> = match name.split_once('{') {
        Some((stem, range)) => {
            let (lo, hi) = range.trim_end_matches('}').split_once("..").unwrap();
            let (lo, hi): (u32, u32) = (lo.parse().unwrap(), hi.parse().unwrap());
            (lo..=hi).map(|n| format!("{stem}{n}")).collect()
        }
        None => vec![name.to_owned()],
    };
    let last = expanded.len() - 1;
    for (i, name) in expanded.into_iter().enumerate() {
        blocks.push(Block {
            hash: fnv1a(&name),
            tokens,
            tool_result,
            // A breakpoint on a range marks only its last block.
            breakpoint: if i == last { breakpoint } else { None },
        });
        names.push(name);
    }
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn parse_time(s: &str) -> i64 {
    let (clock, millis) = match s.split_once('.') {
        Some((clock, frac)) => (
            clock,
            frac.parse::<i64>().unwrap() * 10i64.pow(3 - frac.len() as u32),
        ),
        None => (s, 0),
    };
    let secs = clock
        .split(':')
        .fold(0i64, |acc, part| acc * 60 + part.parse::<i64>().unwrap());
    secs * SECOND_NS + millis * 1_000_000
}

fn parse_duration(s: &str) -> i64 {
    if let Some(n) = s.strip_suffix("ms") {
        n.parse::<i64>().unwrap() * 1_000_000
    } else if let Some(n) = s.strip_suffix('s') {
        n.parse::<i64>().unwrap() * SECOND_NS
    } else if let Some(n) = s.strip_suffix('m') {
        n.parse::<i64>().unwrap() * MINUTE_NS
    } else {
        panic!("duration {s:?} needs a unit")
    }
}

fn trim_indent(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

// --- Basics -------------------------------------------------------------------------------------

#[test]
fn cold_miss_writes() {
    check(
        "
        0:00 sys:2000@5m q:10
        ",
        "
        0:00 cold 5m=2000 in=10
        ",
    );
}

#[test]
fn warm_hit_four_minutes_later_reads() {
    check(
        "
        0:00 sys:2000@5m q1:10
        4:00 sys:2000@5m q2:12
        ",
        "
        0:00 cold 5m=2000 in=10
        4:00 hit@sys read=2000 in=12
        ",
    );
}

#[test]
fn no_breakpoint_reads_and_writes_nothing() {
    check(
        "
        0:00 sys:2000@5m q:10
        1:00 sys:2000 q:10
        ",
        "
        0:00 cold 5m=2000 in=10
        1:00 no-breakpoint in=2010
        ",
    );
}

#[test]
fn empty_request_is_all_zero() {
    check(
        "
        0:00
        ",
        "
        0:00 no-breakpoint
        ",
    );
}

// --- TTL and refresh ----------------------------------------------------------------------------

#[test]
fn five_minute_entry_expires_at_exactly_five_minutes() {
    check(
        "
        0:00 sys:2000@5m
        5:00 sys:2000@5m
        ",
        "
        0:00 cold 5m=2000
        5:00 cold 5m=2000
        ",
    );
}

#[test]
fn five_minute_entry_lives_until_just_before_five_minutes() {
    check(
        "
        0:00 sys:2000@5m
        4:59.999 sys:2000@5m
        ",
        "
        0:00 cold 5m=2000
        4:59.999 hit@sys read=2000
        ",
    );
}

#[test]
fn hits_every_four_minutes_keep_the_entry_warm() {
    check(
        "
        0:00 sys:2000@5m q:1
        4:00 sys:2000@5m q:1
        8:00 sys:2000@5m q:1
        12:00 sys:2000@5m q:1
        16:00 sys:2000@5m q:1
        21:00 sys:2000@5m q:1
        ",
        "
        0:00 cold 5m=2000 in=1
        4:00 hit@sys read=2000 in=1
        8:00 hit@sys read=2000 in=1
        12:00 hit@sys read=2000 in=1
        16:00 hit@sys read=2000 in=1
        21:00 cold 5m=2000 in=1
        ",
    );
}

#[test]
fn one_hour_entry_survives_a_thirty_minute_gap() {
    check(
        "
        0:00 sys:2000@1h q:10
        30:00 sys:2000@1h q:10
        1:29:59.999 sys:2000@1h q:10
        2:29:59.999 sys:2000@1h q:10
        ",
        "
        0:00 cold 1h=2000 in=10
        30:00 hit@sys read=2000 in=10
        1:29:59.999 hit@sys read=2000 in=10
        2:29:59.999 cold 1h=2000 in=10
        ",
    );
}

#[test]
fn one_hour_entry_expires_at_exactly_sixty_minutes() {
    check(
        "
        0:00 sys:2000@1h
        1:00:00 sys:2000@1h
        ",
        "
        0:00 cold 1h=2000
        1:00:00 cold 1h=2000
        ",
    );
}

#[test]
fn a_hit_refreshes_only_the_prefix_it_read() {
    // The hit at 4:00 reads `a` and refreshes it; `b` was not read, so it still expires at 5:00.
    check(
        "
        0:00 a:2000@5m b:500@5m q:1
        4:00 a:2000@5m x:500@5m q:1
        8:00 a:2000@5m b:500@5m q:1
        ",
        "
        0:00 cold 5m=2500 in=1
        4:00 hit@a read=2000 5m=500 in=1
        8:00 hit@a read=2000 5m=500 in=1
        ",
    );
}

#[test]
fn a_hit_refreshes_shorter_entries_along_its_prefix() {
    // Reading `b` at 4:00 also refreshes `a`, so at 8:00 `a` is still there for a prompt that
    // diverges after it.
    check(
        "
        0:00 a:2000@5m b:500@5m q:1
        4:00 a:2000@5m b:500@5m q:1
        8:00 a:2000@5m x:500@5m q:1
        ",
        "
        0:00 cold 5m=2500 in=1
        4:00 hit@b read=2500 in=1
        8:00 hit@a read=2000 5m=500 in=1
        ",
    );
}

#[test]
fn a_refresh_keeps_the_ttl_the_entry_was_written_with() {
    // The 4:00 hit comes through a 5-minute breakpoint but refreshes the 1-hour entry for an hour.
    check(
        "
        0:00 sys:2000@1h q:1
        4:00 sys:2000 q:1@5m
        50:00 sys:2000@1h q:2
        ",
        "
        0:00 cold 1h=2000 in=1
        4:00 hit@sys read=2000 5m=1
        50:00 hit@sys read=2000 in=2
        ",
    );
}

#[test]
fn a_rewrite_of_a_live_entry_keeps_the_longer_ttl() {
    // The lost draw at 1:00 rewrites `sys` with 5 minutes, but the entry keeps its hour.
    check(
        "
        0:00 sys:2000@1h
        1:00 nohit sys:2000@5m
        30:00 sys:2000@5m
        ",
        "
        0:00 cold 1h=2000
        1:00 lost-hit-draw 5m=2000
        30:00 hit@sys read=2000
        ",
    );
}

#[test]
fn a_rewrite_of_an_expired_entry_replaces_it() {
    // The expired 1-hour entry is replaced by a 5-minute one, which is gone by 1:06:00.
    check(
        "
        0:00 sys:2000@1h
        1:00:00 sys:2000@5m
        1:06:00 sys:2000@5m
        ",
        "
        0:00 cold 1h=2000
        1:00:00 cold 5m=2000
        1:06:00 cold 5m=2000
        ",
    );
}

// --- Mixed TTLs ---------------------------------------------------------------------------------

#[test]
fn mixed_ttls_bill_reads_then_1h_writes_then_5m_writes() {
    // Reads up to A (`tools`), 1-hour writes from A to B (`sys`), 5-minute writes from B to C
    // (`doc`), and input after C.
    check(
        "
        0:00 tools:1000@1h
        1:00 tools:1000@1h sys:2000@1h doc:3000@5m q:7
        ",
        "
        0:00 cold 1h=1000
        1:00 hit@tools read=1000 1h=2000 5m=3000 in=7
        ",
    );
}

#[test]
fn mixed_ttls_on_a_cold_cache_start_at_zero() {
    check(
        "
        0:00 tools:1000@1h sys:2000@1h doc:3000@5m q:7
        ",
        "
        0:00 cold 1h=3000 5m=3000 in=7
        ",
    );
}

#[test]
fn mixed_ttls_hit_past_the_1h_breakpoints_bills_only_5m_writes() {
    // B equals A when no 1-hour breakpoint lies after the hit.
    check(
        "
        0:00 tools:1000@1h sys:2000@1h doc:3000@5m q1:7
        2:00 tools:1000@1h sys:2000@1h doc2:3000@5m q2:7
        ",
        "
        0:00 cold 1h=3000 5m=3000 in=7
        2:00 hit@sys read=3000 5m=3000 in=7
        ",
    );
}

// --- Minimum cacheable length -------------------------------------------------------------------

#[test]
fn a_prefix_below_the_minimum_is_neither_written_nor_read() {
    check(
        "
        0:00 min=1024 sys:1000@5m q:10
        1:00 min=1024 sys:1000@5m q:10
        ",
        "
        0:00 below-minimum in=1010
        1:00 below-minimum in=1010
        ",
    );
}

#[test]
fn a_prefix_exactly_at_the_minimum_is_cached() {
    check(
        "
        0:00 min=1024 sys:1024@5m q:10
        1:00 min=1024 sys:1024@5m q:10
        ",
        "
        0:00 cold 5m=1024 in=10
        1:00 hit@sys read=1024 in=10
        ",
    );
}

#[test]
fn only_breakpoints_that_reach_the_minimum_write() {
    // `a` (600) is too short to cache, `a+b` (1200) is not: the tokens of `a` are written as part
    // of the longer prefix, and a later request can only read that longer one.
    check(
        "
        0:00 min=1024 a:600@1h b:600@5m q:1
        1:00 min=1024 a:600@1h c:600@5m q:1
        2:00 min=1024 a:600@1h b:600@5m q:2
        ",
        "
        0:00 cold 5m=1200 in=1
        1:00 cold 5m=1200 in=1
        2:00 hit@b read=1200 in=2
        ",
    );
}

#[test]
fn an_entry_below_a_later_requests_minimum_is_not_read() {
    // The same scope later replays with a larger minimum (a routed model, say): the old 1,500-token
    // entry is too short to read.
    check(
        "
        0:00 min=1024 sys:1500@5m
        1:00 min=2048 sys:1500@5m
        ",
        "
        0:00 cold 5m=1500
        1:00 below-minimum in=1500
        ",
    );
}

// --- Prefix identity ----------------------------------------------------------------------------

#[test]
fn changed_tools_invalidate_everything() {
    check(
        "
        0:00 tools:1500@1h sys:1500@1h msgs:500@5m q:20
        1:00 tools2:1500@1h sys:1500@1h msgs:500@5m q:20
        ",
        "
        0:00 cold 1h=3000 5m=500 in=20
        1:00 cold 1h=3000 5m=500 in=20
        ",
    );
}

#[test]
fn changed_system_keeps_the_tools_cache() {
    check(
        "
        0:00 tools:1500@1h sys:1500@1h msgs:500@5m q:20
        1:00 tools:1500@1h sys2:1500@1h msgs:500@5m q:20
        ",
        "
        0:00 cold 1h=3000 5m=500 in=20
        1:00 hit@tools read=1500 1h=1500 5m=500 in=20
        ",
    );
}

#[test]
fn changed_messages_keep_the_tools_and_system_cache() {
    check(
        "
        0:00 tools:1500@1h sys:1500@1h msgs:500@5m q:20
        1:00 tools:1500@1h sys:1500@1h msgs2:500@5m q:20
        ",
        "
        0:00 cold 1h=3000 5m=500 in=20
        1:00 hit@sys read=3000 5m=500 in=20
        ",
    );
}

#[test]
fn tokens_do_not_enter_prefix_identity() {
    // Only hashes identify a prefix; the second request reads the entry with its own token count.
    check(
        "
        0:00 sys:2000@5m
        1:00 sys:2100@5m
        ",
        "
        0:00 cold 5m=2000
        1:00 hit@sys read=2100
        ",
    );
}

#[test]
fn block_order_is_part_of_prefix_identity() {
    check(
        "
        0:00 a:1000 b:1000@5m
        1:00 b:1000 a:1000@5m
        ",
        "
        0:00 cold 5m=2000
        1:00 cold 5m=2000
        ",
    );
}

// --- Lookback -----------------------------------------------------------------------------------

#[test]
fn lookback_finds_an_entry_19_positions_back() {
    check(
        "
        0:00 a:1000@5m
        1:00 a:1000 f{1..18}:1 z:1@5m
        ",
        "
        0:00 cold 5m=1000
        1:00 hit@a read=1000 5m=19
        ",
    );
}

#[test]
fn lookback_does_not_find_an_entry_20_positions_back() {
    check(
        "
        0:00 a:1000@5m
        1:00 a:1000 f{1..19}:1 z:1@5m
        ",
        "
        0:00 cold 5m=1000
        1:00 cold 5m=1020
        ",
    );
}

#[test]
fn a_run_of_tool_results_counts_as_one_position() {
    // 30 tool_result blocks are one position, so `a` is only 2 positions behind `z`.
    check(
        "
        0:00 a:1000@5m
        1:00 a:1000 ~r{1..30}:1 z:1@5m
        ",
        "
        0:00 cold 5m=1000
        1:00 hit@a read=1000 5m=31
        ",
    );
}

#[test]
fn separate_tool_result_runs_are_separate_positions() {
    // Ten runs split by nine text blocks put `a` 20 positions behind `z`; dropping the last
    // separator merges two runs into one position and brings `a` back within reach.
    check(
        "
        0:00 a:1000@5m
        1:00 a:1000 ~r1:1 t1:1 ~r2:1 t2:1 ~r3:1 t3:1 ~r4:1 t4:1 ~r5:1 t5:1 ~r6:1 t6:1 ~r7:1 t7:1 ~r8:1 t8:1 ~r9:1 t9:1 ~r10:1 z:1@5m
        2:00 a:1000 ~r1:1 t1:1 ~r2:1 t2:1 ~r3:1 t3:1 ~r4:1 t4:1 ~r5:1 t5:1 ~r6:1 t6:1 ~r7:1 t7:1 ~r8:1 t8:1 ~r9:1 ~r10:1 z:1@5m
        ",
        "
        0:00 cold 5m=1000
        1:00 cold 5m=1020
        2:00 hit@a read=1000 5m=19
        ",
    );
}

#[test]
fn a_breakpoint_inside_a_tool_result_run_looks_back_from_the_run() {
    // The run shares one position with its breakpoint; blocks after the breakpoint are not looked
    // at, so only `a` (one position back) can be found.
    check(
        "
        0:00 a:1000@5m
        1:00 a:1000 ~r{1..5}:1 ~r6:1@5m ~r{7..9}:1
        ",
        "
        0:00 cold 5m=1000
        1:00 hit@a read=1000 5m=6 in=3
        ",
    );
}

#[test]
fn lookback_needs_an_entry_written_at_a_breakpoint() {
    // A breakpoint on a varying block writes a new prefix every time; the stable `sys` behind it
    // was never written on its own, so the lookback has nothing to find.
    check(
        "
        0:00 sys:2000 q1:10@5m
        1:00 sys:2000 q2:10@5m
        ",
        "
        0:00 cold 5m=2010
        1:00 cold 5m=2010
        ",
    );
}

#[test]
fn the_longest_hit_over_all_breakpoints_wins() {
    // `doc` is out of `tail`'s reach but inside `mid`'s, and it beats `sys`, which both can see.
    check(
        "
        0:00 sys:1000@5m doc:1000@5m
        1:00 sys:1000@1h doc:1000 mid:10@5m f{1..30}:1 tail:1@5m
        ",
        "
        0:00 cold 5m=2000
        1:00 hit@doc read=2000 5m=41
        ",
    );
}

#[test]
fn an_earlier_breakpoint_finds_what_the_last_one_cannot_reach() {
    check(
        "
        0:00 sys:1000@5m
        1:00 sys:1000 mid:10@5m f{1..30}:1 tail:1@5m
        2:00 sys:1000 f{1..30}:1 tail:1@5m
        ",
        "
        0:00 cold 5m=1000
        1:00 hit@sys read=1000 5m=41
        2:00 cold 5m=1031
        ",
    );
}

// --- Readability and concurrent writers ---------------------------------------------------------

#[test]
fn concurrent_requests_before_the_first_response_both_write() {
    check(
        "
        0:00 delay=10s sys:2000@5m q:1
        0:05 delay=10s sys:2000@5m q:1
        0:09.999 delay=10s sys:2000@5m q:1
        0:10 delay=10s sys:2000@5m q:1
        ",
        "
        0:00 cold 5m=2000 in=1
        0:05 not-yet-readable 5m=2000 in=1
        0:09.999 not-yet-readable 5m=2000 in=1
        0:10 hit@sys read=2000 in=1
        ",
    );
}

#[test]
fn a_second_writer_does_not_delay_readability() {
    // The 0:05 writer would make the entry readable at 1:05, but the earliest writer's 0:10 holds.
    check(
        "
        0:00 delay=10s sys:2000@5m
        0:05 delay=60s sys:2000@5m
        0:10 sys:2000@5m
        ",
        "
        0:00 cold 5m=2000
        0:05 not-yet-readable 5m=2000
        0:10 hit@sys read=2000
        ",
    );
}

#[test]
fn an_unreadable_longer_entry_falls_back_to_a_readable_shorter_one() {
    check(
        "
        0:00 sys:2000@5m
        1:00 delay=30s sys:2000@5m doc:3000@5m
        1:10 sys:2000@5m doc:3000@5m
        1:30 sys:2000@5m doc:3000@5m
        ",
        "
        0:00 cold 5m=2000
        1:00 hit@sys read=2000 5m=3000
        1:10 hit@sys read=2000 5m=3000
        1:30 hit@doc read=5000
        ",
    );
}

#[test]
fn a_write_lands_at_the_request_start_so_its_lifetime_counts_from_there() {
    // With a 2-minute readable delay the entry is readable at 2:00 but still expires at 5:00.
    check(
        "
        0:00 delay=2m sys:2000@5m
        4:59 sys:2000@5m
        9:59 sys:2000@5m
        ",
        "
        0:00 cold 5m=2000
        4:59 hit@sys read=2000
        9:59 cold 5m=2000
        ",
    );
}

// --- Batch hit draw -----------------------------------------------------------------------------

#[test]
fn a_lost_hit_draw_writes_but_reads_nothing() {
    check(
        "
        0:00 sys:2000@5m q:1
        1:00 nohit sys:2000@5m q:1
        2:00 sys:2000@5m q:1
        ",
        "
        0:00 cold 5m=2000 in=1
        1:00 lost-hit-draw 5m=2000 in=1
        2:00 hit@sys read=2000 in=1
        ",
    );
}

#[test]
fn a_lost_hit_draw_does_not_refresh() {
    // The lost draw at 4:00 rewrites `sys` (so it lives on), but not `tools`, which it did not read
    // and does not write; `tools` expires at 5:00.
    check(
        "
        0:00 tools:1000@1h sys:1000@5m
        0:00.001 tools:1000 x:1000@5m
        4:00 nohit tools:1000 sys:1000@5m
        6:00 tools:1000 y:1000@5m
        ",
        "
        0:00 cold 1h=1000 5m=1000
        0:00.001 hit@tools read=1000 5m=1000
        4:00 lost-hit-draw 5m=2000
        6:00 hit@tools read=1000 5m=1000
        ",
    );
}

// --- Eviction -----------------------------------------------------------------------------------

#[test]
fn evict_expired_keeps_live_entries_and_drops_dead_ones() {
    check(
        "
        0:00 a:1000@5m
        2:00 b:1000@5m
        evict 4:59.999
        evict 5:00
        evict 7:00
        ",
        "
        0:00 cold 5m=1000
        2:00 cold 5m=1000
        evict 4:59.999 entries=2
        evict 5:00 entries=1
        evict 7:00 entries=0
        ",
    );
}

#[test]
fn evict_expired_keeps_refreshed_entries() {
    check(
        "
        0:00 a:1000@5m
        4:00 a:1000@5m
        evict 5:00
        evict 8:59
        evict 9:00
        9:00 a:1000@5m
        ",
        "
        0:00 cold 5m=1000
        4:00 hit@a read=1000
        evict 5:00 entries=1
        evict 8:59 entries=1
        evict 9:00 entries=0
        9:00 cold 5m=1000
        ",
    );
}

#[test]
fn evict_expired_after_a_replaced_entry() {
    // The expired 1-hour entry is replaced in place at 1:00:00; the queue keeps one slot for it.
    check(
        "
        0:00 a:1000@1h
        1:00:00 a:1000@5m
        evict 1:04:59
        evict 1:05:00
        ",
        "
        0:00 cold 1h=1000
        1:00:00 cold 5m=1000
        evict 1:04:59 entries=1
        evict 1:05:00 entries=0
        ",
    );
}

// --- Examples from Anthropic's prompt-caching documentation -------------------------------------
//
// platform.claude.com/docs/en/build-with-claude/prompt-caching, read through copies of the page.

#[test]
fn docs_large_context_example() {
    // "Large context caching": the book is cached on the first call and read on the second, with
    // 21 input tokens after the breakpoint both times.
    check(
        "
        0:00 min=4096 intro:40 book:188046@5m q:21
        0:30 min=4096 intro:40 book:188046@5m q:21
        ",
        "
        0:00 cold 5m=188086 in=21
        0:30 hit@book read=188086 in=21
        ",
    );
}

#[test]
fn docs_token_breakdown_example() {
    // "Understanding the token breakdown": 100,000 tokens read, 0 written and 50 after the
    // breakpoint make 100,050 input tokens.
    check(
        "
        0:00 ctx:100000@5m msg:50
        1:00 ctx:100000@5m msg:50
        ",
        "
        0:00 cold 5m=100000 in=50
        1:00 hit@ctx read=100000 in=50
        ",
    );
}

#[test]
fn docs_usage_example_adds_up() {
    // The 1-hour section's usage: 1,800 read, 248 written, 2,048 input after the last breakpoint.
    check(
        "
        0:00 a:1800@1h
        1:00 a:1800@1h b:248@5m c:2048
        ",
        "
        0:00 cold 1h=1800
        1:00 hit@a read=1800 5m=248 in=2048
        ",
    );
}

#[test]
fn docs_automatic_caching_multi_turn_table() {
    // "How automatic caching works in multi-turn conversations": the breakpoint sits on the last
    // block; each request reads through the previous request's last block and writes the rest.
    check(
        "
        0:00 sys:2000 u1:100 a1:100 u2:100@5m
        1:00 sys:2000 u1:100 a1:100 u2:100 a2:100 u3:100@5m
        2:00 sys:2000 u1:100 a1:100 u2:100 a2:100 u3:100 a3:100 u4:100@5m
        ",
        "
        0:00 cold 5m=2300
        1:00 hit@u2 read=2300 5m=200
        2:00 hit@u3 read=2500 5m=200
        ",
    );
}

#[test]
fn docs_minimum_length_is_silent() {
    // "Shorter prompts cannot be cached, even if marked with cache_control": both cache fields
    // stay 0 and everything is input.
    check(
        "
        0:00 min=4096 sys:4000@5m q:50
        0:30 min=4096 sys:4000@5m q:50
        ",
        "
        0:00 below-minimum in=4050
        0:30 below-minimum in=4050
        ",
    );
}

#[test]
fn docs_mixed_ttl_positions() {
    // "Mixing different TTLs": A = highest hit, B = highest 1-hour breakpoint after A, C = last
    // breakpoint; reads for A, 1-hour writes for B - A, 5-minute writes for C - B.
    check(
        "
        # No hit: A = 0, B at the 1-hour breakpoint, C at the 5-minute one.
        0:00 sys:1000@1h ctx:2000@5m q:10
        # Hit at the 1-hour entry: A = B, so only C - B is written.
        1:00 sys:1000@1h ctx2:2000@5m q:10
        # Hit at the last breakpoint: A = B = C, nothing is written.
        2:00 sys:1000@1h ctx2:2000@5m q:10
        ",
        "
        0:00 cold 1h=1000 5m=2000 in=10
        1:00 hit@sys read=1000 5m=2000 in=10
        2:00 hit@ctx2 read=3000 in=10
        ",
    );
}

/// Formats seconds as the script's `m:ss`.
fn mmss(secs: usize) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// Builds the conversation of the documentation's lookback example: 30 requests, the n-th with
/// blocks `b1..bn` and automatic caching on its last block, 5 seconds apart, so that an entry
/// exists at every block boundary.
fn docs_lookback_history() -> String {
    (1..=30)
        .map(|n| format!("{} b{{1..{n}}}:100@5m\n", mmss((n - 1) * 5)))
        .collect()
}

/// What the history prints: each request reads the previous one's prefix and writes one block.
fn docs_lookback_expect_history() -> String {
    let mut out = String::from("0:00 cold 5m=100\n");
    for n in 2..=30 {
        out.push_str(&format!(
            "{} hit@b{} read={} 5m=100\n",
            mmss((n - 1) * 5),
            n - 1,
            (n - 1) * 100
        ));
    }
    out
}

#[test]
fn docs_lookback_unchanged_prefix_hits_block_30() {
    // "If you send block 31 with no changes to previous blocks": a hit at block 30, and only block
    // 31 needs processing.
    check(
        &format!("{}3:00 b{{1..30}}:100@5m b31:100", docs_lookback_history()),
        &format!(
            "{}3:00 hit@b30 read=3000 in=100",
            docs_lookback_expect_history()
        ),
    );
}

#[test]
fn docs_lookback_modified_block_25_hits_block_24() {
    // "If you modify block 25 and send block 31": the check walks back 30, 29, ... 25 (no match),
    // 24 (match), so blocks 25-30 are reprocessed.
    check(
        &format!(
            "{}3:00 b{{1..24}}:100 x25:100 b{{26..30}}:100@5m b31:100",
            docs_lookback_history()
        ),
        &format!(
            "{}3:00 hit@b24 read=2400 5m=600 in=100",
            docs_lookback_expect_history()
        ),
    );
}

#[test]
fn docs_lookback_modified_block_5_misses() {
    // "If you modify block 5 and send block 31": the check walks back 30 ... 11 (check #20) and
    // stops, so block 4's entry is never seen and nothing is read.
    check(
        &format!(
            "{}3:00 b{{1..4}}:100 x5:100 b{{6..30}}:100@5m b31:100",
            docs_lookback_history()
        ),
        &format!("{}3:00 cold 5m=3000 in=100", docs_lookback_expect_history()),
    );
}

#[test]
fn docs_lookback_breakpoint_on_block_5_hits_block_4() {
    // "If you had set an explicit cache_control breakpoint on block 5 ... block 5 (no match) →
    // block 4 (match!)."
    check(
        &format!(
            "{}3:00 b{{1..4}}:100 x5:100@5m b{{6..30}}:100@5m b31:100",
            docs_lookback_history()
        ),
        &format!(
            "{}3:00 hit@b4 read=400 5m=2600 in=100",
            docs_lookback_expect_history()
        ),
    );
}

#[test]
fn docs_concurrent_requests_wait_for_the_first_response() {
    // "A cache entry only becomes available after the first response begins": parallel requests
    // sent together all write; one sent after the first response begins reads.
    check(
        "
        0:00 delay=3s sys:5000@5m q1:10
        0:00 delay=3s sys:5000@5m q2:10
        0:01 delay=3s sys:5000@5m q3:10
        0:03 delay=3s sys:5000@5m q4:10
        ",
        "
        0:00 cold 5m=5000 in=10
        0:00 not-yet-readable 5m=5000 in=10
        0:01 not-yet-readable 5m=5000 in=10
        0:03 hit@sys read=5000 in=10
        ",
    );
}

// --- Preconditions ------------------------------------------------------------------------------

fn panics(f: impl FnOnce() + std::panic::UnwindSafe) -> bool {
    std::panic::catch_unwind(f).is_err()
}

fn lookup_at(ts_ns: i64) -> Lookup {
    Lookup {
        ts_ns,
        readable_delay_ns: 0,
        min_cacheable_tokens: 0,
        may_hit: true,
    }
}

fn block(hash: u64, breakpoint: Option<Ttl>) -> Block {
    Block {
        hash,
        tokens: 100,
        tool_result: false,
        breakpoint,
    }
}

#[test]
fn broken_preconditions_are_bugs() {
    let five = Some(Ttl::FiveMinutes);
    let hour = Some(Ttl::OneHour);
    assert!(panics(|| {
        let blocks: Vec<Block> = (0..5).map(|h| block(h, five)).collect();
        ScopeCache::new().request(&blocks, &lookup_at(0));
    }));
    assert!(panics(|| {
        ScopeCache::new().request(&[block(1, five), block(2, hour)], &lookup_at(0));
    }));
    assert!(panics(|| {
        let mut cache = ScopeCache::new();
        cache.request(&[block(1, five)], &lookup_at(10));
        cache.request(&[block(1, five)], &lookup_at(9));
    }));
    assert!(panics(|| {
        let mut cache = ScopeCache::new();
        cache.evict_expired(10);
        cache.request(&[block(1, five)], &lookup_at(9));
    }));
    assert!(panics(|| {
        let lookup = Lookup {
            readable_delay_ns: -1,
            ..lookup_at(0)
        };
        ScopeCache::new().request(&[block(1, five)], &lookup);
    }));
    // Four breakpoints, 1-hour first, are fine.
    let blocks = [
        block(1, hour),
        block(2, hour),
        block(3, five),
        block(4, five),
    ];
    assert_eq!(
        ScopeCache::new().request(&blocks, &lookup_at(0)).write_1h,
        200
    );
}

#[test]
fn miss_ids_are_stable() {
    let ids: Vec<&str> = [
        Miss::NoBreakpoint,
        Miss::BelowMinimum,
        Miss::LostHitDraw,
        Miss::NotYetReadable,
        Miss::Cold,
    ]
    .into_iter()
    .map(Miss::id)
    .collect();
    assert_eq!(
        ids,
        [
            "no-breakpoint",
            "below-minimum",
            "lost-hit-draw",
            "not-yet-readable",
            "cold"
        ]
    );
}

// --- Property tests against a reference model ---------------------------------------------------

/// The rules of `docs/caching.md` written as plainly as possible: prefixes are kept as the full
/// list of block hashes, entries in a list, and every scan is linear. Nothing is ever evicted.
#[derive(Default)]
struct Reference {
    entries: Vec<RefEntry>,
}

struct RefEntry {
    prefix: Vec<u64>,
    ttl: Ttl,
    last_use_ns: i64,
    readable_at_ns: i64,
}

impl RefEntry {
    fn alive(&self, t: i64) -> bool {
        t < self.last_use_ns + self.ttl.duration_ns()
    }
}

impl Reference {
    fn replay(&mut self, blocks: &[Block], lookup: &Lookup) -> Outcome {
        let t = lookup.ts_ns;
        let min = lookup.min_cacheable_tokens;
        let total: u64 = blocks.iter().map(|b| b.tokens).sum();
        let cum = |i: usize| blocks[..=i].iter().map(|b| b.tokens).sum::<u64>();
        let pos = |i: usize| {
            (1..=i)
                .filter(|&j| !(blocks[j].tool_result && blocks[j - 1].tool_result))
                .count()
        };
        let prefix = |i: usize| blocks[..=i].iter().map(|b| b.hash).collect::<Vec<_>>();
        let breakpoints: Vec<(usize, Ttl)> = blocks
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.breakpoint.map(|ttl| (i, ttl)))
            .collect();
        let Some(&(last, _)) = breakpoints.last() else {
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

        let mut hit: Option<usize> = None;
        let mut saw_unreadable = false;
        let miss_up_front = if cum(last) < min {
            Some(Miss::BelowMinimum)
        } else if !lookup.may_hit {
            Some(Miss::LostHitDraw)
        } else {
            None
        };
        if miss_up_front.is_none() {
            for &(b, _) in &breakpoints {
                for i in (0..=b).rev() {
                    if pos(b) - pos(i) >= 20 || cum(i) < min {
                        continue;
                    }
                    let p = prefix(i);
                    let Some(e) = self.entries.iter().find(|e| e.prefix == p && e.alive(t)) else {
                        continue;
                    };
                    if t >= e.readable_at_ns {
                        hit = Some(hit.map_or(i, |h| h.max(i)));
                        break;
                    }
                    saw_unreadable = true;
                }
            }
        }

        if let Some(h) = hit {
            for i in 0..=h {
                let p = prefix(i);
                for e in self
                    .entries
                    .iter_mut()
                    .filter(|e| e.prefix == p && e.alive(t))
                {
                    e.last_use_ns = t;
                }
            }
        }

        let mut writes = 0;
        let (mut b_pos, mut c_pos) = (None, None);
        for &(b, ttl) in &breakpoints {
            if hit.is_some_and(|h| b <= h) || cum(b) < min {
                continue;
            }
            let p = prefix(b);
            let readable_at_ns = t + lookup.readable_delay_ns;
            match self.entries.iter_mut().find(|e| e.prefix == p) {
                Some(e) if e.alive(t) => {
                    e.readable_at_ns = e.readable_at_ns.min(readable_at_ns);
                    e.last_use_ns = t;
                    e.ttl = e.ttl.max(ttl);
                }
                Some(e) => {
                    *e = RefEntry {
                        prefix: p,
                        ttl,
                        last_use_ns: t,
                        readable_at_ns,
                    }
                }
                None => self.entries.push(RefEntry {
                    prefix: p,
                    ttl,
                    last_use_ns: t,
                    readable_at_ns,
                }),
            }
            writes += 1;
            if ttl == Ttl::OneHour {
                b_pos = Some(cum(b));
            }
            c_pos = Some(cum(b));
        }
        let a = hit.map_or(0, cum);
        let b = b_pos.unwrap_or(a);
        let c = c_pos.unwrap_or(b);
        let miss = match (hit, miss_up_front) {
            (Some(_), _) => None,
            (None, Some(miss)) => Some(miss),
            (None, None) if saw_unreadable => Some(Miss::NotYetReadable),
            (None, None) => Some(Miss::Cold),
        };
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

    fn alive(&self, t: i64) -> usize {
        self.entries.iter().filter(|e| e.alive(t)).count()
    }
}

#[derive(Debug, Clone)]
struct Req {
    blocks: Vec<Block>,
    lookup: Lookup,
}

/// Requests with few distinct block hashes, so that prompts share prefixes often, and gaps around
/// the 5-minute TTL, so that entries both survive and expire.
fn requests() -> impl Strategy<Value = Vec<Req>> {
    let block = (0u64..3, 0u64..1500, prop::bool::weighted(0.3));
    let req = (
        prop::collection::vec(block, 0..40),
        prop::collection::vec(any::<prop::sample::Index>(), 0..=MAX_BREAKPOINTS),
        0usize..=MAX_BREAKPOINTS,
        prop_oneof![Just(0i64), 0i64..8 * MINUTE_NS, Just(5 * MINUTE_NS)],
        prop_oneof![Just(0i64), 0i64..30 * SECOND_NS],
        prop_oneof![Just(0u64), Just(1024u64), Just(4096u64)],
        prop::bool::weighted(0.85),
    );
    prop::collection::vec(req, 1..40).prop_map(|reqs| {
        let mut ts_ns = 1_700_000_000 * SECOND_NS;
        reqs.into_iter()
            .map(|(raw, bp_at, one_hour, gap_ns, delay_ns, min, may_hit)| {
                ts_ns += gap_ns;
                let mut blocks: Vec<Block> = raw
                    .into_iter()
                    .map(|(hash, tokens, tool_result)| Block {
                        hash,
                        tokens,
                        tool_result,
                        breakpoint: None,
                    })
                    .collect();
                if !blocks.is_empty() {
                    let mut at: Vec<usize> =
                        bp_at.iter().map(|ix| ix.index(blocks.len())).collect();
                    at.sort_unstable();
                    at.dedup();
                    // 1-hour breakpoints come first, as the API requires.
                    for (n, i) in at.into_iter().enumerate() {
                        blocks[i].breakpoint = Some(if n < one_hour {
                            Ttl::OneHour
                        } else {
                            Ttl::FiveMinutes
                        });
                    }
                }
                Req {
                    blocks,
                    lookup: Lookup {
                        ts_ns,
                        readable_delay_ns: delay_ns,
                        min_cacheable_tokens: min,
                        may_hit,
                    },
                }
            })
            .collect()
    })
}

fn replay_all(reqs: &[Req], evict: bool) -> (Vec<Outcome>, ScopeCache) {
    let mut cache = ScopeCache::new();
    let outcomes = reqs
        .iter()
        .map(|r| {
            if evict {
                cache.evict_expired(r.lookup.ts_ns);
            }
            cache.replay(&r.blocks, &r.lookup)
        })
        .collect();
    (outcomes, cache)
}

proptest! {
    #[test]
    fn matches_the_reference_model(reqs in requests()) {
        let (outcomes, _) = replay_all(&reqs, false);
        let mut reference = Reference::default();
        for (req, outcome) in reqs.iter().zip(&outcomes) {
            prop_assert_eq!(*outcome, reference.replay(&req.blocks, &req.lookup), "{:?}", req);
        }
    }

    #[test]
    fn never_bills_more_than_no_cache(reqs in requests()) {
        let (outcomes, _) = replay_all(&reqs, false);
        for (req, outcome) in reqs.iter().zip(&outcomes) {
            let total: u64 = req.blocks.iter().map(|b| b.tokens).sum();
            let split = outcome.split;
            prop_assert_eq!(split.read + split.write_5m + split.write_1h + split.uncached, total);
            prop_assert!(split.read + split.write_5m + split.write_1h <= total);
            prop_assert!(outcome.writes <= MAX_BREAKPOINTS);
        }
    }

    #[test]
    fn replay_is_deterministic_and_eviction_never_changes_it(reqs in requests()) {
        let (plain, _) = replay_all(&reqs, false);
        let (again, _) = replay_all(&reqs, false);
        let (evicted, mut cache) = replay_all(&reqs, true);
        prop_assert_eq!(&plain, &again);
        prop_assert_eq!(&plain, &evicted);

        // After eviction the cache holds exactly the entries the reference still has alive.
        let mut reference = Reference::default();
        for req in &reqs {
            reference.replay(&req.blocks, &req.lookup);
        }
        let last = reqs.last().unwrap().lookup.ts_ns;
        for now in [last, last + 5 * MINUTE_NS, last + 60 * MINUTE_NS] {
            cache.evict_expired(now);
            prop_assert_eq!(cache.entries(), reference.alive(now));
        }
        prop_assert_eq!(cache.entries(), 0);
    }
}

// --- Diagnostics: why a request read less than it could ------------------------------------------

/// Replays a script (requests only, same syntax as `check`) through `replay_diagnosed` and prints
/// one line per request: its time, then `full` (read everything through its last breakpoint) or
/// the shortfall's id and text. The diagnosed replay must decide exactly what `replay` decides.
fn diagnose(script: &str) -> String {
    let mut cache = ScopeCache::new();
    let mut plain = ScopeCache::new();
    let mut history = PrefixHistory::new();
    let mut out = Vec::new();
    for line in script
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap();
        let mut lookup = Lookup {
            ts_ns: parse_time(first),
            readable_delay_ns: 0,
            min_cacheable_tokens: 0,
            may_hit: true,
        };
        let (mut blocks, mut names) = (Vec::new(), Vec::new());
        for word in words {
            if let Some(v) = word.strip_prefix("delay=") {
                lookup.readable_delay_ns = parse_duration(v);
            } else if let Some(v) = word.strip_prefix("min=") {
                lookup.min_cacheable_tokens = v.parse().unwrap();
            } else if word == "nohit" {
                lookup.may_hit = false;
            } else {
                parse_blocks(word, &mut blocks, &mut names);
            }
        }
        let (outcome, shortfall) = cache.replay_diagnosed(&blocks, &lookup, &mut history);
        assert_eq!(outcome, plain.replay(&blocks, &lookup), "at {first}");
        out.push(match shortfall {
            None => format!("{first} full"),
            Some(s) => format!("{first} {}: {s}", s.id()),
        });
    }
    out.join("\n")
}

fn check_diagnosis(script: &str, expect: &str) {
    let actual = diagnose(script);
    let expect = trim_indent(expect);
    if actual != expect {
        panic!("\n--- expected ---\n{expect}\n--- actual ---\n{actual}\n");
    }
}

#[test]
fn diagnosis_ten_minute_gap_on_a_5m_entry_is_expired() {
    check_diagnosis(
        "
        0:00  sys:2000@5m q1:10
        4:00  sys:2000@5m q2:10
        14:00 sys:2000@5m q3:10
        ",
        "
        0:00 prefix-changed: prefix changed at segment 0: no earlier call in the scope starts like this one
        4:00 full
        14:00 expired: expired TTL: the 5m entry at segment 0 was last used 10:00 earlier
        ",
    );
}

#[test]
fn diagnosis_a_changed_segment_3_is_prefix_changed_at_3() {
    check_diagnosis(
        "
        0:00 a:500 b:500 c:500 d:500 e:500@5m
        1:00 a:500 b:500 c:500 x:500 e:500@5m
        2:00 a:500 b:500 c:500 x:500 e:500@5m
        ",
        "
        0:00 prefix-changed: prefix changed at segment 0: no earlier call in the scope starts like this one
        1:00 prefix-changed: prefix changed at segment 3: no earlier call in the scope shares segments 0..=3
        2:00 full
        ",
    );
}

#[test]
fn diagnosis_a_prefix_below_the_minimum() {
    check_diagnosis(
        "
        0:00 min=1024 sys:500@5m q:10
        1:00 min=1024 sys:500@5m q:10
        ",
        "
        0:00 below-minimum: below minimum: 500 tokens through the last breakpoint, the model caches from 1024
        1:00 below-minimum: below minimum: 500 tokens through the last breakpoint, the model caches from 1024
        ",
    );
}

#[test]
fn diagnosis_two_requests_1ms_apart_with_latency_is_a_concurrent_writer() {
    check_diagnosis(
        "
        0:00.000 delay=2s sys:2000@5m q1:10
        0:00.001 delay=2s sys:2000@5m q2:10
        0:03.000 sys:2000@5m q3:10
        ",
        "
        0:00.000 prefix-changed: prefix changed at segment 0: no earlier call in the scope starts like this one
        0:00.001 concurrent-writer: concurrent writer: the entry at segment 0 was written but becomes readable only 0:01.999 later
        0:03.000 full
        ",
    );
}

#[test]
fn diagnosis_partial_hits_lookback_no_breakpoint_and_unwritten_prefixes() {
    check_diagnosis(
        "
        # The first call writes at sys only; the second reads sys and finds its history unwritten.
        0:00 sys:2000@5m h1:100 h2:100
        0:30 sys:2000@5m h1:100 h2:100@5m
        # No breakpoint at all.
        0:40 sys:2000 h1:100
        # The entry at h2 is alive, but more than 20 positions back from the only breakpoint.
        0:50 sys:2000@5m h1:100 h2:100 t{1..20}:10@5m
        # A lost batch draw.
        0:55 nohit sys:2000@5m q:10
        ",
        "
        0:00 prefix-changed: prefix changed at segment 0: no earlier call in the scope starts like this one
        0:30 not-written: not written: earlier calls had this prefix but wrote no entry beyond what was read
        0:40 no-breakpoint: no breakpoint
        0:50 beyond-lookback: beyond lookback: the live entry at segment 2 is more than 20 positions before every breakpoint
        0:55 lost-hit-draw: lost the batch hit draw
        ",
    );
}

proptest! {
    /// Diagnosing never changes a decision, and a reason is given exactly when the request read
    /// less than the prefix through its last breakpoint.
    #[test]
    fn diagnosing_changes_nothing_and_explains_every_shortfall(reqs in requests()) {
        let (plain, _) = replay_all(&reqs, false);
        let mut cache = ScopeCache::new();
        let mut history = PrefixHistory::new();
        for (req, expect) in reqs.iter().zip(&plain) {
            let (outcome, shortfall) = cache.replay_diagnosed(&req.blocks, &req.lookup, &mut history);
            prop_assert_eq!(outcome, *expect);
            let last_bp = req.blocks.iter().rposition(|b| b.breakpoint.is_some());
            let full = last_bp.is_some() && outcome.hit_block == last_bp;
            prop_assert_eq!(shortfall.is_none(), full, "{:?} {:?}", outcome, shortfall);
            if let Some(Shortfall::PrefixChanged { segment }) = shortfall {
                prop_assert!(segment <= last_bp.unwrap());
            }
        }
    }
}

/// Prefix keys: order matters, a different last block always gives a different key, and
/// structured hashes (the Mooncake traces number their blocks 0, 1, 2, ...) still spread over
/// the entry map's buckets, which the key's low bits pick.
#[test]
fn prefix_keys_depend_on_order_and_spread_over_buckets() {
    let key = |hashes: &[u64]| hashes.iter().fold(CHAIN_SEED, |k, &h| chain(k, h));
    assert_ne!(key(&[1, 2]), key(&[2, 1]));
    assert_ne!(key(&[7, 7]), key(&[7]));
    let mut seen = HashSet::new();
    for prev in [CHAIN_SEED, key(&[1]), key(&[1, 2, 3])] {
        for h in 0..10_000u64 {
            assert!(seen.insert(chain(prev, h)), "key collision at {h}");
        }
    }
    // 4,096 sequential hashes into 4,096 buckets: a uniform spread fills about 63% of them.
    let buckets: HashSet<u64> = (0..4_096u64)
        .map(|h| chain(CHAIN_SEED, h) & 4_095)
        .collect();
    assert!(buckets.len() > 2_400, "{} buckets used", buckets.len());
    let deep: HashSet<u64> = (0..4_096u64).map(|h| key(&[h, 1, 2]) & 4_095).collect();
    assert!(deep.len() > 2_400, "{} buckets used", deep.len());
}
