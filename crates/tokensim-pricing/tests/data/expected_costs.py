#!/usr/bin/env python3
"""Hand-computed expected costs for tokensim-pricing tests.

Regenerate with:  python3 expected_costs.py > expected_costs.csv

This script is an INDEPENDENT check of data/catalog.toml: it does not read the
catalog. The figures below were typed from Anthropic's published USD-per-MTok
prices (verified 2026-11-28):
  https://platform.claude.com/docs/en/about-claude/pricing   (model table, footnotes,
      long context, fast mode, data residency, batch, web search; older versions of the
      same page for the 4.6 long-context band, Opus 4.6 fast mode and 3.x models)
  https://platform.claude.com/docs/en/build-with-claude/fast-mode
  https://code.claude.com/docs/en/fast-mode                 (fast-mode removal dates)
  https://platform.claude.com/docs/en/release-notes/overview (2026-03-13 1M GA)
Where Anthropic publishes only input/output (fast mode, long-context bands) the cache
prices are derived here with the documented multipliers (5m write 1.25x, 1h write 2x,
read = the model's cache-read multiplier), because the docs say cache multipliers apply
on top of fast and long-context prices.

Pricing rules (tokensim DESIGN 5a):
  cost = sum(tokens x USD/MTok) ; 1 token at 1 USD/MTok = 1e6 pico-USD
  batch: x0.5 on every token component; web-search fee not halved; priority = standard
  residency (inference_geo "us"): x1.1 on token components, residency models only
  band: total input = input + 5m + 1h + read; STRICTLY greater than the threshold
        -> every component (output too) at the band prices
  fast: fast prices for every component (they override the band); never with batch
  web search: $10 per 1,000 requests
  a price row is in force from 00:00:00 UTC of its effective date
All arithmetic is exact (decimal.Decimal); each result must be a whole number of pico-USD.
"""

import csv
import re
import sys
from datetime import datetime, timezone
from decimal import Decimal as D

PICO_PER_USD_PER_MTOK = D(10) ** 6  # tokens * (USD/MTok) * 1e-6 USD * 1e12 pico
WEB_SEARCH_PICO = D(10) / D(1000) * D(10) ** 12  # $10 per 1,000 searches
BATCH = D("0.5")
RESIDENCY = D("1.1")
W5, W1 = D("1.25"), D("2")  # documented cache-write multipliers


def p5(i, w5, w1, r, o):
    """Five published prices: input, 5m write, 1h write, cache read, output."""
    return tuple(D(x) for x in (i, w5, w1, r, o))


def derived(i, o, read_mult):
    """Fast/band prices: Anthropic publishes input/output; cache prices via multipliers."""
    i, o = D(i), D(o)
    return (i, i * W5, i * W1, i * D(read_mult), o)


# id -> (aliases, residency-eligible, [price rows])
# price row: dict(eff=YYYY-MM-DD, ts=test timestamp inside the row, p=standard,
#                 band=(threshold, prices) or None, fast=prices or None)
def row(eff, p, band=None, fast=None, ts=None):
    return dict(eff=eff, p=p, band=band, fast=fast, ts=ts or eff + "T12:00:00Z")


FABLE52 = p5("8", "10", "16", "0.20", "40")  # cache hit 0.025x
FABLE52_FAST = derived("16", "80", "0.025")  # fast $16/$80
FABLE51 = p5("10", "12.50", "20", "0.25", "50")  # cache hit 0.025x (footnote 1)
FABLE5 = p5("10", "12.50", "20", "1", "50")
OPUS55 = p5("4", "5", "8", "0.20", "20")  # cache hit 0.05x (footnote 2)
OPUS55_FAST = derived("8", "40", "0.05")
OPUS5 = p5("5", "6.25", "10", "0.50", "25")  # also Opus 4.8 / 4.7 / 4.6 / 4.5
OPUS5_FAST = derived("10", "50", "0.1")  # Opus 5 and Opus 4.8
OPUS46_FAST = derived("30", "150", "0.1")  # Opus 4.6 and Opus 4.7 ("6x")
OPUS46_BAND = (200000, derived("10", "37.50", "0.1"))
OPUS4 = p5("15", "18.75", "30", "1.50", "75")  # Opus 4.1 / 4 / 3
SONNET55_LAUNCH = p5("2", "2.50", "4", "0.20", "10")
SONNET55 = p5("2", "2.50", "4", "0.10", "10")  # 0.05x from 2026-10-07
SONNET5 = p5("2", "2.50", "4", "0.20", "10")
SONNET4 = p5("3", "3.75", "6", "0.30", "15")  # Sonnet 4.6 / 4.5 / 4 / 3.7 / 3.5
SONNET_BAND = (200000, derived("6", "22.50", "0.1"))
HAIKU55 = p5("0.10", "0.125", "0.20", "0.01", "0.50")
HAIKU55_BAND = (100000, p5("0.50", "0.625", "1", "0.05", "2.50"))  # all five published
HAIKU45 = p5("1", "1.25", "2", "0.10", "5")
HAIKU35 = p5("0.80", "1", "1.60", "0.08", "4")
HAIKU3 = p5("0.25", "0.30", "0.50", "0.03", "1.25")

MODELS = {
    "claude-fable-5-2": ([], True, [row("2026-11-09", FABLE52, fast=FABLE52_FAST)]),
    "claude-mythos-5-2": ([], True, [row("2026-11-09", FABLE52, fast=FABLE52_FAST)]),
    "claude-fable-5-1": ([], True, [row("2026-09-01", FABLE51)]),
    "claude-mythos-5-1": ([], True, [row("2026-09-01", FABLE51)]),
    "claude-fable-5": ([], True, [row("2026-06-09", FABLE5)]),
    "claude-mythos-5": ([], True, [row("2026-06-09", FABLE5)]),
    "claude-opus-5-5": ([], True, [row("2026-09-22", OPUS55, fast=OPUS55_FAST)]),
    "claude-opus-5": ([], True, [row("2026-07-24", OPUS5, fast=OPUS5_FAST)]),
    "claude-opus-4-8": ([], True, [row("2026-05-28", OPUS5, fast=OPUS5_FAST)]),
    "claude-opus-4-7": ([], True, [
        row("2026-04-16", OPUS5, fast=OPUS46_FAST),
        row("2026-07-24", OPUS5),  # fast mode removed
    ]),
    "claude-opus-4-6": ([], True, [
        # test inside real fast-mode availability and after the Feb 16 promo
        row("2026-02-05", OPUS5, band=OPUS46_BAND, fast=OPUS46_FAST, ts="2026-02-20T12:00:00Z"),
        row("2026-03-13", OPUS5, fast=OPUS46_FAST),  # 1M GA at standard pricing
        row("2026-06-29", OPUS5),  # fast mode removed
    ]),
    "claude-opus-4-5": (["claude-opus-4-5-20251101"], False, [row("2025-11-24", OPUS5)]),
    "claude-opus-4-1": (["claude-opus-4-1-20250805"], False, [row("2025-08-05", OPUS4)]),
    "claude-opus-4": (["claude-opus-4-0", "claude-opus-4-20250514"], False, [row("2025-05-22", OPUS4)]),
    "claude-opus-3": (["claude-3-opus-20240229", "claude-3-opus-latest"], False, [row("2024-03-04", OPUS4)]),
    "claude-sonnet-5-5": ([], True, [
        row("2026-09-28", SONNET55_LAUNCH),
        row("2026-10-07", SONNET55),
    ]),
    "claude-sonnet-5": ([], True, [row("2026-06-30", SONNET5)]),
    "claude-sonnet-4-6": ([], True, [
        row("2026-02-17", SONNET4, band=SONNET_BAND),
        row("2026-03-13", SONNET4),
    ]),
    "claude-sonnet-4-5": (["claude-sonnet-4-5-20250929"], False, [row("2025-09-29", SONNET4, band=SONNET_BAND)]),
    "claude-sonnet-4": (["claude-sonnet-4-0", "claude-sonnet-4-20250514"], False, [
        row("2025-05-22", SONNET4, band=SONNET_BAND, ts="2025-09-01T12:00:00Z"),
    ]),
    "claude-sonnet-3-7": (["claude-3-7-sonnet-20250219", "claude-3-7-sonnet-latest"], False, [row("2025-02-24", SONNET4)]),
    "claude-sonnet-3-5": (["claude-3-5-sonnet-20240620", "claude-3-5-sonnet-20241022", "claude-3-5-sonnet-latest"], False,
                          [row("2024-06-20", SONNET4)]),
    "claude-haiku-5-5": ([], True, [row("2026-10-07", HAIKU55, band=HAIKU55_BAND)]),
    "claude-haiku-4-5": (["claude-haiku-4-5-20251001"], False, [row("2025-10-15", HAIKU45)]),
    "claude-haiku-3-5": (["claude-3-5-haiku-20241022", "claude-3-5-haiku-latest"], False, [row("2024-11-04", HAIKU35)]),
    "claude-haiku-3": (["claude-3-haiku-20240307"], False, [row("2024-03-13", HAIKU3)]),
}

ALIAS = {}
for mid, (aliases, _, _) in MODELS.items():
    for name in [mid] + aliases:
        assert name not in ALIAS, name
        ALIAS[name] = mid


def parse_ts(ts):
    """RFC 3339 -> aware UTC datetime. Fractions beyond microseconds are truncated,
    which cannot move an instant across a whole-second row boundary."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", ts)
    assert m, ts
    frac = (m.group(2) or "")[:7]
    off = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.fromisoformat(m.group(1) + frac + off).astimezone(timezone.utc)


def row_at(mid, ts):
    t = parse_ts(ts)
    current = None
    for r in MODELS[mid][2]:
        start = datetime.fromisoformat(r["eff"]).replace(tzinfo=timezone.utc)
        if start <= t:
            current = r
    assert current is not None, (mid, ts)
    return current


def cost(model, ts, tier, geo, speed, tokens, web):
    mid = ALIAS[model]
    _, eligible, _ = MODELS[mid]
    r = row_at(mid, ts)
    prices = r["p"]
    if r["band"] is not None and sum(tokens[:4]) > r["band"][0]:
        prices = r["band"][1]
    if speed == "fast":
        assert r["fast"] is not None and tier != "batch"
        prices = r["fast"]
    total = sum(D(n) * p for n, p in zip(tokens, prices)) * PICO_PER_USD_PER_MTOK
    if tier == "batch":
        total *= BATCH
    if geo == "us" and eligible:
        total *= RESIDENCY
    total += D(web) * WEB_SEARCH_PICO
    assert total == total.to_integral_value(), (model, ts, total)
    return int(total)


AWK = 123457
MIXED = (1234, 5678, 9012, 34567, 4321)  # total input 50,491: below every band


def cases():
    out = []

    def add(model, ts, tokens, tier="standard", geo="", speed="standard", web=0):
        out.append((model, ts, tier, geo, speed, *tokens, web))

    for mid, (aliases, eligible, rows) in MODELS.items():
        names = [mid] + aliases
        for ri, r in enumerate(rows):
            ts = r["ts"]
            # one row per single component, rotating through canonical id and aliases
            for k in range(5):
                tok = [0] * 5
                tok[k] = AWK
                add(names[(ri * 5 + k) % len(names)], ts, tok)
            add(mid, ts, MIXED)
            add(mid, ts, MIXED, tier="priority")
            add(names[-1], ts, MIXED, tier="batch")
            if eligible:
                add(mid, ts, MIXED, geo="us")
                add(mid, ts, MIXED, tier="batch", geo="us")
            add(mid, ts, MIXED, web=7)
            add(mid, ts, MIXED, tier="batch", web=3)
            if r["band"] is not None:
                thr = r["band"][0]
                at = (1000, 2000, 3000, thr - 6000, 7777)  # total input == threshold
                above = (1001, 2000, 3000, thr - 6000, 7777)  # threshold + 1
                add(mid, ts, at)
                add(mid, ts, above)
                add(mid, ts, (thr + 1, 0, 0, 0, 0))  # all plain input
                add(mid, ts, (0, 0, 0, thr + 1, AWK))  # all cache reads
                add(mid, ts, above, tier="batch")
                if eligible:
                    add(mid, ts, above, geo="us")
            if r["fast"] is not None:
                add(mid, ts, MIXED, speed="fast")
                for k in range(5):
                    tok = [0] * 5
                    tok[k] = AWK
                    add(mid, ts, tok, speed="fast")
                if eligible:
                    add(mid, ts, MIXED, geo="us", speed="fast")
                add(mid, ts, MIXED, speed="fast", web=2)
                if r["band"] is not None:  # fast overrides the long-context band
                    add(mid, ts, (1001, 2000, 3000, r["band"][0] - 6000, 7777), speed="fast")

    # one non-eligible model per generation asks for US inference: no multiplier
    for m in ("claude-haiku-4-5", "claude-sonnet-4-5-20250929", "claude-3-haiku-20240307"):
        add(m, MODELS[ALIAS[m]][2][0]["ts"], MIXED, geo="us")

    # Sonnet 5.5 cache-read change at 2026-10-07T00:00:00Z
    for ts in ("2026-10-06T23:59:59.999Z", "2026-10-07T00:00:00Z",
               "2026-10-07T01:30:00+02:00",  # = 2026-10-06T23:30Z: old row
               "2026-10-06T22:00:00-02:00"):  # = 2026-10-07T00:00Z: new row
        add("claude-sonnet-5-5", ts, (0, 0, 0, AWK, 0))
        add("claude-sonnet-5-5", ts, MIXED)
    # Opus 4.6 / Sonnet 4.6 long-context band ends 2026-03-13T00:00:00Z
    big = (1001, 2000, 3000, 194000, 7777)
    for m in ("claude-opus-4-6", "claude-sonnet-4-6"):
        add(m, "2026-03-12T23:59:59.999999999Z", big)
        add(m, "2026-03-13T00:00:00Z", big)
    # Opus 4.6 fast mode on the last day it existed
    add("claude-opus-4-6", "2026-06-28T23:59:59Z", MIXED, speed="fast")
    # Haiku 5.5 band with residency + batch + web search together
    add("claude-haiku-5-5", "2026-11-01T08:00:00Z", (50000, 25000, 20000, 5001, 3000),
        tier="batch", geo="us", web=5)
    add("claude-haiku-5-5", "2026-11-01T08:00:00Z", (50000, 25000, 20000, 5000, 3000),
        tier="batch", geo="us", web=5)
    # zero usage, web search only
    add("claude-opus-5-5", "2026-11-20T00:00:00Z", (0, 0, 0, 0, 0), web=1)
    add("claude-opus-5-5", "2026-11-20T00:00:00Z", (0, 0, 0, 0, 0), tier="batch", web=1)
    return out


def main():
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["model", "ts", "service_tier", "inference_geo", "speed", "input_tokens",
                "cache_5m_tokens", "cache_1h_tokens", "cache_read_tokens", "output_tokens",
                "web_search_requests", "expected_picousd"])
    for c in cases():
        model, ts, tier, geo, speed, i, c5, c1, cr, o, web = c
        w.writerow([*c, cost(model, ts, tier, geo, speed, (i, c5, c1, cr, o), web)])


if __name__ == "__main__":
    main()
