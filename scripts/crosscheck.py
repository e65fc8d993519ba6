#!/usr/bin/env python3
"""Independent reference implementation of tokensim's baseline replay (recorded + naive reference).

Usage:
    python3 scripts/crosscheck.py CORPUS.jsonl[.zst] [MORE_CORPUS ...] REPORT.json
    python3 scripts/crosscheck.py --catalog path/to/catalog.toml CORPUS... REPORT.json
    python3 scripts/crosscheck.py --dump CORPUS...        # print own totals only, no comparison

Written from /work/shared/DESIGN.md (sections 1, 3, 4, 5a), docs/corpus-format.md and the header
comments of crates/tokensim-pricing/data/catalog.toml, NOT from the Rust pricing/engine source.
Stdlib only; every amount is an integer number of pico-USD (1e-12 USD), derived from exact
decimal.Decimal prices, so nothing is rounded anywhere (a non-integral pico amount is an error).

Compares, exactly, the report's totals, by_workload, by_model, by_day rows (requests,
batch_requests, tokens, recorded components, reference, saving_vs_reference), reference.model
and corpus record counts. Prints PASS or every mismatch; exit status 1 on any mismatch.
"""

import datetime as _dt
import decimal
import json
import os
import re
import subprocess
import sys
import tomllib
from decimal import Decimal

decimal.getcontext().prec = 80
decimal.getcontext().traps[decimal.Inexact] = True  # any inexact arithmetic is a bug here

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CATALOG = os.path.join(HERE, "..", "crates", "tokensim-pricing", "data", "catalog.toml")

PICO_PER_USD = 10 ** 12
COMPONENTS = ("input", "cache_write_5m", "cache_write_1h", "cache_read", "output")
TOKEN_KEYS = COMPONENTS + ("web_search_requests",)
MONEY_KEYS = COMPONENTS + ("web_search", "total")
UNATTRIBUTED = "unattributed"


class CorpusError(Exception):
    pass


# ----------------------------------------------------------------------------- catalog

class Row:
    """One price row: USD per MTok as Decimal, plus optional long_context band and fast prices."""

    def __init__(self, d):
        self.effective_from = _dt.date.fromisoformat(d["effective_from"])
        self.std = {c: Decimal(d[c]) for c in COMPONENTS}
        lc = d.get("long_context")
        if lc is not None:
            self.band_above = int(lc["above_input_tokens"])
            self.band = {c: Decimal(lc[c]) for c in COMPONENTS}
        else:
            self.band_above = None
            self.band = None
        fast = d.get("fast")
        self.fast = {c: Decimal(fast[c]) for c in COMPONENTS} if fast is not None else None

    def prices(self, total_input, fast):
        """The per-MTok prices of every component for a request; returns (prices, label)."""
        if fast and self.fast is not None:
            return self.fast, "fast"  # fast overrides the long-context band
        if self.band is not None and total_input > self.band_above:  # strictly greater
            return self.band, "band"
        return self.std, "std"


class Model:
    def __init__(self, d):
        self.id = d["id"]
        self.aliases = list(d.get("aliases", []))
        self.residency = bool(d.get("residency", False))
        self.rows = [Row(r) for r in d["price"]]
        assert self.rows, self.id
        for a, b in zip(self.rows, self.rows[1:]):
            assert a.effective_from < b.effective_from, f"{self.id}: rows not ascending"

    def row_at(self, day):
        """Row in force on UTC `day` (rows take effect 00:00 UTC); before the first row: the first row."""
        chosen = self.rows[0]
        for r in self.rows:
            if r.effective_from <= day:
                chosen = r
            else:
                break
        return chosen


class Catalog:
    def __init__(self, path):
        with open(path, "rb") as f:
            data = tomllib.load(f)
        self.batch_multiplier = Decimal(data["batch_multiplier"])
        self.residency_multiplier = Decimal(data["residency_multiplier"])
        self.web_search_per_1000 = Decimal(data["web_search_usd_per_1000"])
        self.models = {}
        self.names = {}
        for md in data["model"]:
            m = Model(md)
            self.models[m.id] = m
            for name in [m.id] + m.aliases:
                if name in self.names and self.names[name] != m.id:
                    raise ValueError(f"catalog: {name} names two models")
                self.names[name] = m.id

    _DATED = re.compile(r"^(.*)-(\d{8})$")

    def resolve(self, name):
        if name in self.names:
            return self.names[name]
        m = self._DATED.match(name)
        if m and m.group(1) in self.models:
            # <id>-YYYYMMDD dated snapshot of a catalog id (the date must be a real date)
            try:
                _dt.datetime.strptime(m.group(2), "%Y%m%d")
            except ValueError:
                raise CorpusError(f"model: {name!r}: dated id with an impossible date")
            return m.group(1)
        raise CorpusError(f"model: unknown model id {name!r}")


# ----------------------------------------------------------------------------- corpus

_TS = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


def parse_ts(s):
    """RFC 3339 with a required offset -> (UTC instant in integer ns since epoch, UTC date)."""
    m = _TS.match(s) if isinstance(s, str) else None
    if not m:
        raise CorpusError(f"ts: not RFC 3339 with an offset: {s!r}")
    y, mo, d, hh, mi, ss = (int(m.group(i)) for i in range(1, 7))
    frac = (m.group(7) or "").ljust(9, "0")
    ns = int(frac) if frac else 0
    local = _dt.datetime(y, mo, d, hh, mi, ss)
    if m.group(8):
        off = 0
    else:
        oh, om = int(m.group(10)), int(m.group(11))
        off = (oh * 60 + om) * (1 if m.group(9) == "+" else -1)
    utc = local - _dt.timedelta(minutes=off)
    epoch = _dt.datetime(1970, 1, 1)
    secs = (utc - epoch) // _dt.timedelta(seconds=1)
    return secs * 10 ** 9 + ns, utc.date()


def open_lines(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:4] == b"\x28\xb5\x2f\xfd":  # zstd magic, by content (as tokensim does)
        raw = subprocess.run(["zstd", "-dc"], input=raw, stdout=subprocess.PIPE, check=True).stdout
    return raw.decode("utf-8").split("\n")


def _no_dup(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise CorpusError(f"duplicate key {k!r}")
        d[k] = v
    return d


def tok(obj, key, where):
    v = obj.get(key) if isinstance(obj, dict) else None
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise CorpusError(f"{where}{key}: not a non-negative integer: {v!r}")
    return v


def opt_str_field(rec, key):
    """Top-level field, also accepted inside usage; both present must agree."""
    top = rec.get(key)
    inner = rec["usage"].get(key)
    if top is not None and inner is not None and top != inner:
        raise CorpusError(f"{key}: top-level {top!r} disagrees with usage.{key} {inner!r}")
    return top if top is not None else inner


def read_records(paths, catalog):
    recs = []
    order = 0
    for path in paths:
        for lineno, line in enumerate(open_lines(path), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line, object_pairs_hook=_no_dup)
                if not isinstance(obj, dict):
                    raise CorpusError("record is not an object")
                if "schema" in obj:
                    if lineno == 1 and obj["schema"] == "tokensim.corpus/1":
                        continue
                    raise CorpusError("schema: header not on line 1 or unknown schema")
                recs.append(parse_record(obj, catalog, order))
                order += 1
            except CorpusError as e:
                raise CorpusError(f"{path}:{lineno}: {e}") from None
    return recs


def parse_record(obj, catalog, order):
    u = obj.get("usage")
    if not isinstance(u, dict):
        raise CorpusError("usage: missing")
    instant, day = parse_ts(obj.get("ts"))
    model = catalog.resolve(obj.get("model"))
    inp = tok(u, "input_tokens", "usage.")
    out = tok(u, "output_tokens", "usage.")
    cc = tok(u, "cache_creation_input_tokens", "usage.")
    cr = tok(u, "cache_read_input_tokens", "usage.")
    split = u.get("cache_creation")
    if split is None:
        w5, w1 = cc, 0  # no split: every cache write is a 5-minute write
    else:
        w5 = tok(split, "ephemeral_5m_input_tokens", "usage.cache_creation.")
        w1 = tok(split, "ephemeral_1h_input_tokens", "usage.cache_creation.")
        if w5 + w1 != cc:
            raise CorpusError("usage.cache_creation: split does not add up")
    stu = u.get("server_tool_use")
    ws = 0
    if isinstance(stu, dict) and stu.get("web_search_requests") is not None:
        ws = tok(stu, "web_search_requests", "usage.server_tool_use.")
    tier = opt_str_field(obj, "service_tier") or "standard"
    if tier not in ("standard", "batch", "priority"):
        raise CorpusError(f"service_tier: {tier!r}")
    geo = opt_str_field(obj, "inference_geo")
    speed = opt_str_field(obj, "speed") or "standard"
    if speed not in ("standard", "fast"):
        raise CorpusError(f"speed: {speed!r}")

    def part(k):
        v = obj.get(k)
        # docs/corpus-format.md: a missing or empty-string part reads "unattributed".
        return UNATTRIBUTED if v is None or v == "" else v

    return {
        "order": order,
        "instant": instant,
        "day": day,
        "model": model,
        "raw_model": obj.get("model"),
        "id": obj.get("id"),
        "ts": obj.get("ts"),
        "tokens": {"input": inp, "cache_write_5m": w5, "cache_write_1h": w1, "cache_read": cr,
                   "output": out, "web_search_requests": ws},
        "total_input": inp + cc + cr,
        "batch": tier == "batch",
        "us": geo == "us",
        "fast": speed == "fast",
        "workload": (part("team"), part("app"), part("feature")),
    }


# ----------------------------------------------------------------------------- pricing

def pico(tokens, usd_per_mtok, mult=Decimal(1)):
    """tokens x (USD per MTok) x multiplier, in pico-USD; must be exact."""
    v = Decimal(tokens) * usd_per_mtok * mult * Decimal(10 ** 6)  # 1e12 pico/USD / 1e6 tok/MTok
    if v != v.to_integral_value():
        raise ArithmeticError(f"non-integral pico amount {v}")
    return int(v)


def web_fee(cat, n):
    return pico(n, cat.web_search_per_1000 * Decimal(1000))  # $10/1000 = $10,000 per million searches


def price_recorded(cat, r, notes):
    m = cat.models[r["model"]]
    row = m.row_at(r["day"])
    prices, label = row.prices(r["total_input"], r["fast"])
    if r["fast"] and row.fast is None:
        notes.append(f"record #{r['order']} ({r['raw_model']} {r['ts']}): speed fast but no fast "
                     f"prices in force -> priced at standard rates")
    mult = Decimal(1)
    if r["batch"]:
        mult *= cat.batch_multiplier
    if r["us"] and m.residency:
        mult *= cat.residency_multiplier
    t = r["tokens"]
    cost = {c: pico(t[c], prices[c], mult) for c in COMPONENTS}
    cost["web_search"] = web_fee(cat, t["web_search_requests"])
    cost["total"] = sum(cost[c] for c in COMPONENTS) + cost["web_search"]
    return cost, label


def choose_reference(cat, recs):
    last_day = max(recs, key=lambda r: (r["instant"], r["order"]))["day"]
    cands = []
    for mid in sorted({r["model"] for r in recs}):
        row = cat.models[mid].row_at(last_day)
        cands.append((-row.std["output"], -row.std["input"], mid))
    cands.sort()
    return cands[0][2]


def price_reference(cat, ref_id, r):
    row = cat.models[ref_id].row_at(r["day"])
    prices, _ = row.prices(r["total_input"], fast=False)  # standard speed, band by total input
    t = r["tokens"]
    return (pico(r["total_input"], prices["input"]) + pico(t["output"], prices["output"])
            + web_fee(cat, t["web_search_requests"]))


# ----------------------------------------------------------------------------- aggregation

def empty_acc():
    return {"requests": 0, "batch_requests": 0, "tokens": {k: 0 for k in TOKEN_KEYS},
            "recorded": {k: 0 for k in MONEY_KEYS}, "reference": 0}


def add(acc, r, cost, ref):
    acc["requests"] += 1
    acc["batch_requests"] += 1 if r["batch"] else 0
    for k in TOKEN_KEYS:
        acc["tokens"][k] += r["tokens"][k]
    for k in MONEY_KEYS:
        acc["recorded"][k] += cost[k]
    acc["reference"] += ref


def compute(cat, recs, reference_model=None):
    notes = []
    ref_id = reference_model or choose_reference(cat, recs)
    out = {"reference_model": ref_id, "totals": empty_acc(), "by_workload": {}, "by_model": {},
           "by_day": {}, "per_record": []}
    for r in recs:
        cost, label = price_recorded(cat, r, notes)
        ref = price_reference(cat, ref_id, r)
        out["per_record"].append((r, cost, ref, label))
        add(out["totals"], r, cost, ref)
        add(out["by_workload"].setdefault(r["workload"], empty_acc()), r, cost, ref)
        add(out["by_model"].setdefault(r["model"], empty_acc()), r, cost, ref)
        add(out["by_day"].setdefault(r["day"].isoformat(), empty_acc()), r, cost, ref)
    out["notes"] = notes
    return out


# ----------------------------------------------------------------------------- comparison

def usd(p):
    """pico-USD int -> exact decimal string with 12 decimals."""
    sign = "-" if p < 0 else ""
    p = abs(p)
    return f"{sign}{p // PICO_PER_USD}.{p % PICO_PER_USD:012d}"


def parse_usd(s):
    if not isinstance(s, str) or not re.fullmatch(r"-?\d+\.\d{12}", s):
        raise ValueError(f"money field is not a 12-decimal string: {s!r}")
    v = Decimal(s) * PICO_PER_USD
    return int(v)


def compare_acc(where, mine, theirs, errs):
    def eq(field, a, b):
        if a != b:
            errs.append(f"{where}: {field}: mine {a} != report {b}")

    eq("requests", mine["requests"], theirs.get("requests"))
    if "batch_requests" in theirs:
        eq("batch_requests", mine["batch_requests"], theirs.get("batch_requests"))
    for k in TOKEN_KEYS:
        eq(f"tokens.{k}", mine["tokens"][k], theirs.get("tokens", {}).get(k))
    for k in MONEY_KEYS:
        try:
            tv = parse_usd(theirs.get("recorded", {}).get(k))
        except ValueError as e:
            errs.append(f"{where}: recorded.{k}: {e}")
            continue
        if tv != mine["recorded"][k]:
            errs.append(f"{where}: recorded.{k}: mine {usd(mine['recorded'][k])} != report "
                        f"{usd(tv)} (diff {usd(tv - mine['recorded'][k])})")
    for k, mv in (("reference", mine["reference"]),
                  ("saving_vs_reference", mine["reference"] - mine["recorded"]["total"])):
        try:
            tv = parse_usd(theirs.get(k))
        except ValueError as e:
            errs.append(f"{where}: {k}: {e}")
            continue
        if tv != mv:
            errs.append(f"{where}: {k}: mine {usd(mv)} != report {usd(tv)} (diff {usd(tv - mv)})")


def compare_section(name, mine, rows, keyf, errs):
    theirs = {}
    for row in rows:
        k = keyf(row)
        if k in theirs:
            errs.append(f"{name}: duplicate row {k}")
        theirs[k] = row
    for k in sorted(set(mine) | set(theirs), key=str):
        if k not in theirs:
            errs.append(f"{name}: row {k} missing from the report")
        elif k not in mine:
            errs.append(f"{name}: report has extra row {k}")
        else:
            compare_acc(f"{name}[{k}]", mine[k], theirs[k], errs)


def compare(res, recs, report):
    errs = []
    if report.get("reference", {}).get("model") != res["reference_model"]:
        errs.append(f"reference.model: mine {res['reference_model']} != report "
                    f"{report.get('reference', {}).get('model')}")
    corpus = report.get("corpus", {})
    for k in ("records_read", "priced"):
        if k in corpus and corpus[k] != len(recs):
            errs.append(f"corpus.{k}: mine {len(recs)} != report {corpus[k]}")
    if corpus.get("quarantined", 0) != 0:
        errs.append(f"corpus.quarantined: report quarantined {corpus['quarantined']} records")
    compare_acc("totals", res["totals"], report.get("totals", {}), errs)
    compare_section("by_workload", {k: v for k, v in res["by_workload"].items()},
                    report.get("by_workload", []), lambda r: (r.get("team"), r.get("app"), r.get("feature")), errs)
    compare_section("by_model", res["by_model"], report.get("by_model", []), lambda r: r.get("model"), errs)
    compare_section("by_day", res["by_day"], report.get("by_day", []), lambda r: r.get("day"), errs)
    return errs


def explain_days_models(res, report, errs):
    """When a by_day/by_model row mismatches, list the records behind it to help diagnosis."""
    bad_days = {e.split("[", 1)[1].split("]", 1)[0] for e in errs if e.startswith("by_day[")}
    lines = []
    for r, cost, ref, label in res["per_record"]:
        if r["day"].isoformat() in bad_days and len(lines) < 200:
            lines.append(f"  #{r['order']} {r['ts']} {r['raw_model']}->{r['model']} {label} "
                         f"batch={r['batch']} us={r['us']} fast={r['fast']} total_in={r['total_input']} "
                         f"tokens={r['tokens']} recorded={usd(cost['total'])} reference={usd(ref)}")
    return lines


def main(argv):
    args = argv[1:]
    catalog_path = DEFAULT_CATALOG
    dump = False
    per_record = False
    ref_override = None
    while args and args[0].startswith("--"):
        a = args.pop(0)
        if a == "--catalog":
            catalog_path = args.pop(0)
        elif a == "--dump":
            dump = True
        elif a == "--per-record":
            per_record = True
        elif a == "--reference-model":
            ref_override = args.pop(0)
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if (dump and len(args) < 1) or (not dump and len(args) < 2):
        print(__doc__, file=sys.stderr)
        return 2
    cat = Catalog(catalog_path)
    corpora = args if dump else args[:-1]
    try:
        recs = read_records(corpora, cat)
    except CorpusError as e:
        print(f"crosscheck: corpus error: {e}", file=sys.stderr)
        return 2
    if not recs:
        print("crosscheck: empty corpus", file=sys.stderr)
        return 2
    res = compute(cat, recs, cat.resolve(ref_override) if ref_override else None)
    if per_record:
        for r, cost, ref, label in res["per_record"]:
            print(f"#{r['order']} {r['ts']} {r['raw_model']}->{r['model']} [{label}] batch={r['batch']} "
                  f"us={r['us']} fast={r['fast']} total_in={r['total_input']} recorded="
                  f"{ {k: usd(v) for k, v in cost.items()} } reference={usd(ref)}")
    for n in res["notes"][:20]:
        print(f"note: {n}")
    if len(res["notes"]) > 20:
        print(f"note: ... {len(res['notes']) - 20} more")
    t = res["totals"]
    print(f"records {len(recs)}; reference model {res['reference_model']}; recorded "
          f"{usd(t['recorded']['total'])}; reference {usd(t['reference'])}; saving "
          f"{usd(t['reference'] - t['recorded']['total'])}")
    if dump:
        return 0
    with open(args[-1], "rb") as f:
        report = json.load(f)
    errs = compare(res, recs, report)
    if not errs:
        print(f"PASS: totals, {len(res['by_workload'])} workloads, {len(res['by_model'])} models, "
              f"{len(res['by_day'])} days match to the pico-dollar")
        return 0
    print(f"FAIL: {len(errs)} mismatch(es)")
    for e in errs:
        print("  " + e)
    for line in explain_days_models(res, report, errs):
        print(line)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
