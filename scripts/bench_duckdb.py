#!/usr/bin/env python3
"""DuckDB peer of `tokensim replay` for `cargo xtask bench`: the recorded cost of a corpus, in SQL.

Usage:
    python3 scripts/bench_duckdb.py CORPUS.jsonl[.zst] -o SUMMARY.json [--catalog catalog.toml]
                                    [--threads N]

Loads the corpus file with DuckDB's `read_json` (zstd is decompressed by DuckDB itself, detected
by the file's magic bytes as tokensim does) and prices it with ONE SQL query, joined on a price
table built here from crates/tokensim-pricing/data/catalog.toml, following the rules of
docs/price-catalog.md. The query first sums the records' tokens by everything their price
depends on (team, app, model id, UTC day, batch, residency, fast, and a size class saying which
long-context thresholds the total input exceeds), then prices the sums: exact, because a price is
linear in tokens, and it keeps the joins small. The rules:

- the model resolves through a name table (canonical id and every alias; `<id>-YYYYMMDD` with a
  real date falls back to the canonical id); an unknown id makes the record invalid;
- the price row is the one in force on the record's UTC day (rows take effect at 00:00 UTC; a
  record before the first row uses the first row);
- cache writes split into 5m and 1h from `usage.cache_creation` (absent: all 5m);
- the long-context band applies when total input (input + cache writes + cache reads) is strictly
  greater than its threshold, and then prices every component;
- `speed: "fast"` uses the row's fast prices (replacing the band); a row marked
  `fast_billed_as_standard` bills fast requests at standard rates; otherwise fast is invalid, and
  so is fast through batch;
- `service_tier: "batch"` (top level or in `usage`) multiplies every token price by the catalog's
  batch multiplier, `inference_geo: "us"` by the residency multiplier on `residency = true`
  models; web search costs $10 per 1,000 requests, never multiplied.

Money is exact: prices are integer micro-USD per million tokens, so `tokens x price` is integer
pico-USD. Multipliers are integer ratios (0.5 = 1/2, 1.1 = 11/10) applied to the rate; this
script checks, before running the query, that every catalog price times every multiplier
combination is still a whole number of micro-USD, so the SQL integer division is exact. Token
sums and costs are HUGEINT (DuckDB's `sum` of BIGINT), whose arithmetic raises on overflow rather
than wrapping.

Writes a JSON summary: records, invalid records, the grand total (pico-USD and a 12-decimal USD
string), totals per model and rows per (team, app, model), all from the same query (GROUPING
SETS). Exit status 1 if any record is invalid (the corpus is expected to be valid), 2 on usage
errors. Not re-implemented: provider id forms (`anthropic/...`, Bedrock and Vertex ids, `[1m]`),
price overlays, quarantine.
"""

import argparse
import json
import os
import sys
import time
import tomllib
from fractions import Fraction

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CATALOG = os.path.join(HERE, "..", "crates", "tokensim-pricing", "data", "catalog.toml")

COMPONENTS = ("input", "cache_write_5m", "cache_write_1h", "cache_read", "output")
MICRO_PER_USD = 10**6
PICO_PER_USD = 10**12
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# Dates outside any corpus, for the open ends of the first and last price rows.
DAY_MIN = "0001-01-01"
DAY_MAX = "9999-12-31"


def micro(usd):
    """A decimal USD string per MTok -> integer micro-USD per MTok (must be exact)."""
    v = Fraction(usd) * MICRO_PER_USD
    if v.denominator != 1:
        raise ValueError(f"price {usd!r} is not a whole number of micro-USD per MTok")
    return v.numerator


def prices_of(d):
    """The five component prices of a TOML table as micro-USD, or five NULLs."""
    if d is None:
        return [None] * len(COMPONENTS)
    return [micro(d[c]) for c in COMPONENTS]


def build_tables(catalog_path):
    """The catalog as rows of the `names` and `prices` tables, plus the multipliers."""
    with open(catalog_path, "rb") as f:
        cat = tomllib.load(f)
    batch = Fraction(cat["batch_multiplier"])
    residency = Fraction(cat["residency_multiplier"])
    web_pico = Fraction(cat["web_search_usd_per_1000"]) * PICO_PER_USD / 1000
    if web_pico.denominator != 1:
        raise ValueError("web search fee is not a whole number of pico-USD")

    # Every band threshold, numbered from 1: a row's band applies to size classes >= its number.
    thresholds = sorted({r["long_context"]["above_input_tokens"]
                         for m in cat["model"] for r in m["price"] if "long_context" in r})
    names, prices, all_rates = [], [], []
    for m in cat["model"]:
        mid = m["id"]
        names.append((mid, mid, True))
        names.extend((alias, mid, False) for alias in m.get("aliases", []))
        rows = m["price"]
        for i, r in enumerate(rows):
            lo = DAY_MIN if i == 0 else r["effective_from"]
            hi = rows[i + 1]["effective_from"] if i + 1 < len(rows) else DAY_MAX
            lc = r.get("long_context")
            std, band, fast = prices_of(r), prices_of(lc), prices_of(r.get("fast"))
            all_rates.extend(p for p in std + band + fast if p is not None)
            prices.append(
                (mid, lo, hi, bool(m.get("residency", False)),
                 bool(r.get("fast_billed_as_standard", False)),
                 thresholds.index(lc["above_input_tokens"]) + 1 if lc else None,
                 r.get("fast") is not None,
                 *std, *band, *fast)
            )

    # The SQL applies a multiplier as `rate * num // den`: exact only if every product is whole.
    for mult in (batch, residency, batch * residency):
        for rate in all_rates:
            if (rate * mult).denominator != 1:
                raise ValueError(f"{rate} micro-USD x {mult} is not exact; the SQL would round")
    return names, prices, thresholds, batch, residency, int(web_pico)


PRICE_COLUMNS = (
    ["model_id VARCHAR", "lo DATE", "hi DATE", "residency BOOLEAN", "fast_as_std BOOLEAN",
     "band_class INTEGER", "has_fast BOOLEAN"]
    + [f"std_{c} BIGINT" for c in COMPONENTS]
    + [f"lc_{c} BIGINT" for c in COMPONENTS]
    + [f"fast_{c} BIGINT" for c in COMPONENTS]
)

JSON_COLUMNS = """{
    schema: 'VARCHAR', ts: 'VARCHAR', model: 'VARCHAR', team: 'VARCHAR', app: 'VARCHAR',
    service_tier: 'VARCHAR', inference_geo: 'VARCHAR', speed: 'VARCHAR',
    usage: 'STRUCT(input_tokens BIGINT, output_tokens BIGINT, cache_creation_input_tokens BIGINT,
                   cache_read_input_tokens BIGINT,
                   cache_creation STRUCT(ephemeral_5m_input_tokens BIGINT,
                                         ephemeral_1h_input_tokens BIGINT),
                   server_tool_use STRUCT(web_search_requests BIGINT),
                   service_tier VARCHAR, inference_geo VARCHAR, speed VARCHAR)'
}"""


def rate(component):
    """The SQL for one component's effective rate (micro-USD per MTok, multipliers applied)."""
    c = component
    return (f"(CASE cls WHEN 'fast' THEN fast_{c} WHEN 'band' THEN lc_{c} ELSE std_{c} END)"
            f" * mult_num // mult_den")


def size_class(thresholds):
    """The SQL for a record's size class: how many of the catalog's band thresholds its total
    input exceeds (strictly). A band with threshold number k (from 1) applies iff class >= k."""
    terms = [f"(total_in > {t})::INTEGER" for t in thresholds]
    return " + ".join(terms) if terms else "0"


def query(batch, residency, web_pico, thresholds):
    """The one query: records summed by everything their prices depend on, then priced, then
    summed by (team, app, model), by model and overall.

    Prices are linear in tokens, so pricing the token sums of records that share a model, UTC
    day, batch / residency / fast flags and size class equals pricing each record. Summing
    first keeps the joins with the price tables small (DuckDB estimates a few rows for
    `read_json` and would otherwise build its hash tables on the records side)."""
    return f"""
WITH recs AS (
    SELECT
        coalesce(nullif(team, ''), 'unattributed') AS team,
        coalesce(nullif(app, ''), 'unattributed') AS app,
        model AS raw_model,
        CAST(CAST(upper(ts) AS TIMESTAMPTZ) AS DATE) AS day,
        usage.input_tokens AS inp,
        CASE WHEN usage.cache_creation IS NULL THEN usage.cache_creation_input_tokens
             ELSE usage.cache_creation.ephemeral_5m_input_tokens END AS w5m,
        CASE WHEN usage.cache_creation IS NULL THEN 0
             ELSE usage.cache_creation.ephemeral_1h_input_tokens END AS w1h,
        usage.cache_read_input_tokens AS cr,
        usage.output_tokens AS outp,
        coalesce(usage.server_tool_use.web_search_requests, 0) AS ws,
        usage.input_tokens + usage.cache_creation_input_tokens
            + usage.cache_read_input_tokens AS total_in,
        coalesce(service_tier, usage.service_tier, 'standard') = 'batch' AS batch,
        coalesce(inference_geo, usage.inference_geo) = 'us' AS us,
        coalesce(speed, usage.speed, 'standard') = 'fast' AS fast
    FROM read_json($corpus, format = 'newline_delimited', compression = $compression,
                   columns = {JSON_COLUMNS})
    WHERE schema IS NULL
),
sums AS (
    SELECT team, app, raw_model, day, batch, us, fast, {size_class(thresholds)} AS size_class,
        count(*) AS requests, sum(inp) AS inp, sum(w5m) AS w5m, sum(w1h) AS w1h, sum(cr) AS cr,
        sum(outp) AS outp, sum(ws) AS ws
    FROM recs
    GROUP BY ALL
),
resolved AS (
    SELECT s.*, coalesce(n.model_id, d.model_id) AS model_id
    FROM sums s
    LEFT JOIN names n ON n.name = s.raw_model
    LEFT JOIN names d
        ON d.canonical
       AND d.name = regexp_extract(s.raw_model, '^(.*)-[0-9]{{8}}$', 1)
       AND try_strptime(right(s.raw_model, 8), '%Y%m%d') IS NOT NULL
),
classed AS (
    SELECT s.*, p.* EXCLUDE (model_id), p.model_id AS priced_model,
        CASE WHEN s.fast AND p.has_fast THEN 'fast'
             WHEN p.band_class IS NOT NULL AND s.size_class >= p.band_class THEN 'band'
             ELSE 'std' END AS cls,
        (CASE WHEN s.batch THEN {batch.numerator} ELSE 1 END)
            * (CASE WHEN s.us AND p.residency THEN {residency.numerator} ELSE 1 END) AS mult_num,
        (CASE WHEN s.batch THEN {batch.denominator} ELSE 1 END)
            * (CASE WHEN s.us AND p.residency THEN {residency.denominator} ELSE 1 END) AS mult_den,
        p.model_id IS NULL
            OR (s.fast AND NOT p.has_fast AND NOT p.fast_as_std)
            OR (s.fast AND s.batch) AS invalid
    FROM resolved s
    LEFT JOIN prices p ON p.model_id = s.model_id AND s.day >= p.lo AND s.day < p.hi
),
priced AS (
    SELECT team, app, coalesce(model_id, raw_model) AS model, requests,
        CASE WHEN invalid THEN requests ELSE 0 END AS invalid,
        CASE WHEN invalid THEN 0 ELSE
            inp * {rate('input')} + w5m * {rate('cache_write_5m')}
            + w1h * {rate('cache_write_1h')} + cr * {rate('cache_read')}
            + outp * {rate('output')} + ws * {web_pico}
        END AS pico
    FROM classed
)
SELECT grouping(team, app, model) AS level, team, app, model,
       sum(requests) AS requests, sum(invalid) AS invalid, sum(pico) AS pico
FROM priced
GROUP BY GROUPING SETS ((team, app, model), (model), ())
ORDER BY level DESC, model, team, app
"""


def usd(pico):
    """Integer pico-USD -> exact decimal string with 12 decimals."""
    sign = "-" if pico < 0 else ""
    pico = abs(pico)
    return f"{sign}{pico // PICO_PER_USD}.{pico % PICO_PER_USD:012d}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--catalog", default=DEFAULT_CATALOG)
    ap.add_argument("--threads", type=int, help="DuckDB threads (default: DuckDB's, one per core)")
    args = ap.parse_args()

    names, prices, thresholds, batch, residency, web_pico = build_tables(args.catalog)
    with open(args.corpus, "rb") as f:
        compression = "zstd" if f.read(4) == ZSTD_MAGIC else "none"

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # a TIMESTAMPTZ cast to DATE gives the UTC day
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    con.execute("CREATE TABLE names (name VARCHAR, model_id VARCHAR, canonical BOOLEAN)")
    con.executemany("INSERT INTO names VALUES (?, ?, ?)", names)
    con.execute(f"CREATE TABLE prices ({', '.join(PRICE_COLUMNS)})")
    con.executemany(f"INSERT INTO prices VALUES ({', '.join('?' * len(PRICE_COLUMNS))})", prices)

    started = time.perf_counter()
    result = con.execute(
        query(batch, residency, web_pico, thresholds),
        {"corpus": args.corpus, "compression": compression},
    ).fetchall()
    query_seconds = time.perf_counter() - started

    summary = {"tool": "duckdb", "duckdb_version": duckdb.__version__,
               "corpus": args.corpus, "query_seconds": round(query_seconds, 3),
               "by_model": [], "rows": []}
    for level, team, app, model, requests, invalid, pico in result:
        pico, requests, invalid = int(pico or 0), int(requests), int(invalid)
        if level == 0b111:
            summary.update(records=requests, invalid=invalid, total_pico=str(pico),
                           total_usd=usd(pico))
        elif level == 0b110:
            summary["by_model"].append({"model": model, "requests": requests,
                                        "total_pico": str(pico), "total_usd": usd(pico)})
        else:
            summary["rows"].append({"team": team, "app": app, "model": model,
                                    "requests": requests, "total_pico": str(pico),
                                    "total_usd": usd(pico)})

    with open(args.output, "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")
    print(f"duckdb {duckdb.__version__}: {summary['records']} records, total "
          f"{summary['total_usd']} USD, {len(summary['rows'])} (team, app, model) rows, "
          f"query {query_seconds:.2f} s", file=sys.stderr)
    if summary["invalid"]:
        print(f"bench_duckdb: {summary['invalid']} invalid records (unknown model, fast mode "
              f"without fast prices, or fast through batch)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
