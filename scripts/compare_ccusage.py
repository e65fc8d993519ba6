#!/usr/bin/env python3
"""Compare ccusage's daily Claude Code cost with tokensim's, day by day, to the cent.

Usage:
    python3 scripts/compare_ccusage.py CCUSAGE.json TOKENSIM.json
        [--explain DAY:DIFF:REASON ...] [--explain-file FILE] [--tolerance USD]

CCUSAGE.json is the output of `ccusage claude daily --offline --json` (rows keyed `date`) or of
`ccusage daily --offline --json` (rows keyed `period`; every agent in a row must be `claude`). Run
ccusage with TZ=UTC (or `--timezone UTC`): it groups by local date, tokensim by UTC day.
TOKENSIM.json is `tokensim replay --format json` over the corpus that
`tokensim import claude-code` made from the same session files; its `by_day` rows are compared.

For each day the script prints both costs, the difference (tokensim - ccusage) and which token
counts differ. A difference above the tolerance (default 0.01 USD) fails unless an explanation
names the day and the expected difference (within the tolerance): `--explain
2026-11-08:+0.0105:"batch: ccusage gives no discount"`, or one per line in an explain file
(`DAY DIFF REASON`, `#` starts a comment). An explanation whose day no longer differs by that
amount fails too, so the explanations stay true. Exit status: 0 when every day matches or is
explained, 1 otherwise, 2 on unreadable input. Stdlib only; money in decimal.Decimal.
"""

import argparse
import json
import sys
from decimal import Decimal


def die(message):
    print(f"compare_ccusage: {message}", file=sys.stderr)
    sys.exit(2)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        die(f"{path}: {e}")


def ccusage_days(report, path):
    """day -> (cost, tokens) from ccusage's daily JSON."""
    rows = report.get("daily")
    if not isinstance(rows, list):
        die(f"{path}: no `daily` list; is this `ccusage claude daily --json` output?")
    days = {}
    for row in rows:
        day = row.get("date") or row.get("period")
        if not isinstance(day, str):
            die(f"{path}: a daily row has no `date` or `period`: {row}")
        agents = (row.get("metadata") or {}).get("agents")
        if agents is not None and set(agents) != {"claude"}:
            die(f"{path}: {day} mixes agents {agents}; use `ccusage claude daily`")
        # repr() of the float is the shortest decimal that round-trips, so no binary noise is added.
        cost = Decimal(repr(float(row["totalCost"])))
        tokens = {
            "input": row["inputTokens"],
            "output": row["outputTokens"],
            "cache write": row["cacheCreationTokens"],
            "cache read": row["cacheReadTokens"],
        }
        if day in days:
            die(f"{path}: day {day} appears twice")
        days[day] = (cost, tokens)
    return days


def tokensim_days(report, path):
    """day -> (cost, tokens) from tokensim's report (recorded cost, by UTC day)."""
    if report.get("schema") != "tokensim.report/1":
        die(f"{path}: not a tokensim.report/1 JSON report")
    days = {}
    for row in report["by_day"]:
        t = row["tokens"]
        tokens = {
            "input": t["input"],
            "output": t["output"],
            "cache write": t["cache_write_5m"] + t["cache_write_1h"],
            "cache read": t["cache_read"],
        }
        days[row["day"]] = (Decimal(row["recorded"]["total"]), tokens)
    return days


def usd(amount, sign=False):
    """Six decimals, half to even, without a minus sign on a rounded zero."""
    q = amount.quantize(Decimal("0.000001"))
    if q == 0:
        q = Decimal("0.000000")
    return f"{q:+}" if sign else f"{q}"


def parse_explanation(text, where):
    # `DAY:DIFF:REASON` on the command line, `DAY DIFF REASON` in a file (a day has no colon).
    first = text.split()[0] if text.split() else ""
    parts = text.split(":", 2) if ":" in first else text.split(None, 2)
    if len(parts) != 3:
        die(f"{where}: expected DAY DIFF REASON (or DAY:DIFF:REASON), got {text!r}")
    day, diff, reason = (p.strip() for p in parts)
    try:
        return day, Decimal(diff), reason.strip('"')
    except ArithmeticError:
        die(f"{where}: {diff!r} is not a number")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ccusage")
    ap.add_argument("tokensim")
    ap.add_argument("--explain", action="append", default=[], metavar="DAY:DIFF:REASON")
    ap.add_argument("--explain-file", metavar="FILE")
    ap.add_argument("--tolerance", type=Decimal, default=Decimal("0.01"), metavar="USD")
    args = ap.parse_args()

    explained = {}
    for text in args.explain:
        day, diff, reason = parse_explanation(text, "--explain")
        explained[day] = (diff, reason)
    if args.explain_file:
        try:
            lines = open(args.explain_file, encoding="utf-8").read().splitlines()
        except OSError as e:
            die(f"{args.explain_file}: {e}")
        for n, line in enumerate(lines, 1):
            line = line.split("#", 1)[0].strip()
            if line:
                day, diff, reason = parse_explanation(line, f"{args.explain_file}:{n}")
                explained[day] = (diff, reason)

    cc = ccusage_days(load(args.ccusage), args.ccusage)
    ts = tokensim_days(load(args.tokensim), args.tokensim)
    zero = (Decimal(0), {k: 0 for k in ("input", "output", "cache write", "cache read")})

    header = ("day", "ccusage", "tokensim", "difference", "status", "tokens (ccusage/tokensim)")
    rows = []
    notes = []
    failures = 0
    total_cc = total_ts = Decimal(0)
    for day in sorted(set(cc) | set(ts)):
        c_cost, c_tok = cc.get(day, zero)
        t_cost, t_tok = ts.get(day, zero)
        total_cc += c_cost
        total_ts += t_cost
        diff = t_cost - c_cost
        tokens = "; ".join(
            f"{k} {c_tok[k]}/{t_tok[k]}" for k in c_tok if c_tok[k] != t_tok[k]
        ) or "same"
        if day not in cc:
            tokens = "ccusage has no row; " + tokens
        if day not in ts:
            tokens = "tokensim has no row; " + tokens
        if day in explained:
            want, reason = explained[day]
            notes.append(f"[{len(notes) + 1}] {day}: {reason}")
            if abs(diff - want) <= args.tolerance:
                status = f"explained [{len(notes)}]"
            else:
                status = f"FAIL: [{len(notes)}] expects {want:+}"
                failures += 1
        elif abs(diff) <= args.tolerance:
            status = "ok" if tokens == "same" else "ok, tokens differ"
        else:
            status = "FAIL: unexplained"
            failures += 1
        rows.append((day, usd(c_cost), usd(t_cost), usd(diff, sign=True), status, tokens))
    for day in sorted(set(explained) - set(cc) - set(ts)):
        rows.append((day, "-", "-", "-", "FAIL: explained day has no row", "-"))
        failures += 1
    rows.append(
        (
            "total",
            usd(total_cc),
            usd(total_ts),
            usd(total_ts - total_cc, sign=True),
            "",
            "",
        )
    )

    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: " | ".join(v.ljust(w) if i in (0, 4, 5) else v.rjust(w)
                                for i, (v, w) in enumerate(zip(r, widths))).rstrip()
    print(line(header))
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    if notes:
        print()
        print("\n".join(notes))
    if failures:
        print(f"\n{failures} day(s) fail: a difference above {args.tolerance} USD without an "
              "explanation, or an explanation that no longer matches", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
