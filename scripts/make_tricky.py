#!/usr/bin/env python3
"""Writes scripts/tricky.jsonl: hand-picked edge records for crosscheck.py (python3 scripts/make_tricky.py scripts/tricky.jsonl)."""
import json
recs = []
def R(id, ts, model, inp, cc, cr, out, split=None, ws=0, team="qa", app="tricky", feature=None, usage_extra=None, **top):
    feature = id if feature not in (None, "zero") and team is not None else feature
    u = {"input_tokens": inp, "output_tokens": out, "cache_creation_input_tokens": cc, "cache_read_input_tokens": cr}
    if split is not None:
        u["cache_creation"] = {"ephemeral_5m_input_tokens": split[0], "ephemeral_1h_input_tokens": split[1]}
    if ws:
        u["server_tool_use"] = {"web_search_requests": ws}
    if usage_extra: u.update(usage_extra)
    r = {"id": id, "ts": ts, "model": model}
    if team is not None: r["team"] = team
    if app is not None: r["app"] = app
    if feature is not None: r["feature"] = feature
    r.update(top)
    r["usage"] = u
    recs.append(r)
# Haiku 5.5 band at 100,000
R("t01-haiku55-total-100000-std", "2026-10-10T08:00:00Z", "claude-haiku-5-5", 40000, 30000, 30000, 1001, split=(20000, 10000), feature="band")
R("t02-haiku55-total-100001-band", "2026-10-10T08:00:01Z", "claude-haiku-5-5", 40001, 30000, 30000, 1001, split=(20000, 10000), feature="band")
R("t03-haiku55-100001-band-batch-us", "2026-10-10T08:00:02Z", "claude-haiku-5-5", 40001, 30000, 30000, 1001, split=(20000, 10000), feature="band", service_tier="batch", inference_geo="us")
R("t04-haiku55-only-output-large", "2026-10-10T08:00:03Z", "claude-haiku-5-5", 99999, 0, 1, 150000, feature="band")
# Sonnet 4.5 / 4 band at 200,000
R("t05-sonnet45-dated-total-200000-std", "2026-03-01T10:00:00Z", "claude-sonnet-4-5-20250929", 100000, 50000, 50000, 777, split=(25000, 25000), feature="band")
R("t06-sonnet45-total-200001-band-1h", "2026-03-01T10:00:01Z", "claude-sonnet-4-5", 100001, 50000, 50000, 777, split=(1, 49999), feature="band")
R("t07-sonnet4-alias40-200001-band-batch", "2025-09-01T10:00:00Z", "claude-sonnet-4-0", 1, 200000, 0, 333, feature="band", service_tier="batch")
R("t08-sonnet4-dated-200000-std", "2025-09-01T10:00:01Z", "claude-sonnet-4-20250514", 0, 0, 200000, 333, feature="band")
R("t09-sonnet4-200001-nosplit-band", "2025-09-01T10:00:02Z", "claude-sonnet-4", 100000, 100001, 0, 333, feature="band")
# Residency
R("t10-sonnet45-us-ineligible", "2026-03-02T10:00:00Z", "claude-sonnet-4-5", 12345, 6789, 1011, 1213, split=(6789, 0), feature="residency", inference_geo="us")
R("t11-opus46-us-in-usage-eligible", "2026-07-01T10:00:00Z", "claude-opus-4-6", 12345, 6789, 1011, 1213, split=(89, 6700), feature="residency", usage_extra={"inference_geo": "us"})
R("t12-haiku45-geo-global", "2026-03-02T10:00:00Z", "claude-haiku-4-5-20251001", 12345, 6789, 1011, 1213, feature="residency", inference_geo="global")
R("t13-sonnet55-us-batch-websearch", "2026-10-20T10:00:00Z", "claude-sonnet-5-5", 3, 5, 7, 11, split=(5, 0), ws=7, feature="residency", inference_geo="us", service_tier="batch")
R("t14-opus41-dated-us-ineligible", "2026-03-02T10:00:00Z", "claude-opus-4-1-20250805", 1001, 0, 0, 501, feature="residency", inference_geo="us")
# Fast
R("t15-opus55-fast-250k", "2026-10-15T12:00:00Z", "claude-opus-5-5", 150000, 50000, 50003, 4321, split=(25000, 25000), feature="fast", speed="fast")
R("t16-opus55-fast-in-usage-us", "2026-10-15T12:00:01Z", "claude-opus-5-5", 1111, 2222, 3333, 4444, split=(1111, 1111), feature="fast", usage_extra={"speed": "fast", "inference_geo": "us"})
R("t17-opus46-fast-after-0629-standard", "2026-07-01T12:00:00Z", "claude-opus-4-6", 1111, 2222, 3333, 4444, split=(1111, 1111), feature="fast", speed="fast")
R("t18-opus46-fast-last-second-before-0629", "2026-06-28T23:59:59.999999999Z", "claude-opus-4-6", 1111, 2222, 3333, 4444, split=(1111, 1111), feature="fast", speed="fast")
R("t19-opus46-fast-0629-plus2-is-0628utc", "2026-06-29T01:00:00+02:00", "claude-opus-4-6", 1111, 2222, 3333, 4444, split=(1111, 1111), feature="fast", speed="fast")
R("t20-opus46-fast-0629-utc-standard", "2026-06-29T00:00:00Z", "claude-opus-4-6", 1111, 2222, 3333, 4444, split=(1111, 1111), feature="fast", speed="fast")
R("t21-opus46-fast-overrides-band-row1", "2026-03-01T12:00:00Z", "claude-opus-4-6", 150000, 50000, 50003, 4321, split=(25000, 25000), feature="fast", speed="fast")
R("t22-opus46-band-row1-no-fast", "2026-03-01T12:00:01Z", "claude-opus-4-6", 150000, 50000, 50003, 4321, split=(25000, 25000), feature="fast")
R("t23-opus46-band-0313-plus2-is-0312utc", "2026-03-13T01:00:00+02:00", "claude-opus-4-6", 150000, 50000, 50003, 4321, split=(25000, 25000), feature="fast")
R("t24-opus46-0313-utc-no-band", "2026-03-13T00:00:00Z", "claude-opus-4-6", 150000, 50000, 50003, 4321, split=(25000, 25000), feature="fast")
R("t25-opus46-before-release-row1-band", "2026-01-15T12:00:00Z", "claude-opus-4-6", 150000, 50000, 50003, 4321, split=(25000, 25000), feature="prerelease")
R("t26-opus47-fast-row1", "2026-05-01T12:00:00Z", "claude-opus-4-7", 1000, 0, 0, 1000, feature="fast", speed="fast", service_tier="priority")
# Sonnet 5.5 cache read change 2026-10-07
R("t27-sonnet55-read-last-ns-before", "2026-10-06T23:59:59.999999999Z", "claude-sonnet-5-5", 17, 0, 123457, 19, feature="cache-read-date")
R("t28-sonnet55-read-at-0007-utc", "2026-10-07T00:00:00Z", "claude-sonnet-5-5", 17, 0, 123457, 19, feature="cache-read-date")
R("t29-sonnet55-read-plus2-prev-utc-day", "2026-10-07T01:30:00+02:00", "claude-sonnet-5-5", 17, 0, 123457, 19, feature="cache-read-date")
R("t30-sonnet55-read-minus2-next-utc-day", "2026-10-06T22:00:00-02:00", "claude-sonnet-5-5", 17, 0, 123457, 19, feature="cache-read-date")
R("t31-sonnet55-dated-id", "2026-10-08T09:00:00.5+00:00", "claude-sonnet-5-5-20260928", 17, 0, 123457, 19, feature="cache-read-date")
R("t32-sonnet55-before-release", "2026-09-01T00:00:00Z", "claude-sonnet-5-5", 17, 0, 123457, 19, feature="prerelease")
# Aliases / dated ids
R("t33-opus40-alias", "2025-06-01T00:00:00Z", "claude-opus-4-0", 1234, 567, 89, 1011, feature="alias")
R("t34-opus4-dated", "2025-06-01T00:00:01Z", "claude-opus-4-20250514", 1234, 567, 89, 1011, feature="alias")
R("t35-haiku35-legacy", "2025-06-01T00:00:02Z", "claude-3-5-haiku-20241022", 1234, 567, 89, 1011, split=(67, 500), feature="alias")
R("t36-opus45-dated", "2026-01-01T00:00:00Z", "claude-opus-4-5-20251101", 1234, 567, 89, 1011, feature="alias")
R("t37-sonnet37-latest", "2025-06-01T00:00:03Z", "claude-3-7-sonnet-latest", 1234, 567, 89, 1011, feature="alias")
R("t38-haiku3", "2025-06-01T00:00:04Z", "claude-3-haiku-20240307", 1234, 567, 89, 1011, feature="alias")
# Web search + service tier in usage
R("t39-websearch-batch-not-halved", "2026-10-20T10:00:00Z", "claude-haiku-4-5", 100, 0, 0, 50, ws=3, feature="websearch", service_tier="batch")
R("t40-websearch-only", "2026-10-20T10:00:01Z", "claude-haiku-5-5", 0, 0, 0, 0, ws=1001, feature="websearch")
R("t41-usage-tier-batch", "2026-10-20T10:00:02Z", "claude-sonnet-5-5", 999, 1001, 1003, 1005, split=(1, 1000), feature="tier", usage_extra={"service_tier": "batch"})
R("t42-both-tier-batch", "2026-10-20T10:00:03Z", "claude-fable-5-1", 999, 1001, 1003, 1005, split=(1001, 0), feature="tier", service_tier="batch", usage_extra={"service_tier": "batch"})
R("t43-usage-tier-priority", "2026-10-20T10:00:04Z", "claude-fable-5-2", 999, 1001, 1003, 1005, feature="tier", usage_extra={"service_tier": "priority"})
# Before release
R("t44-haiku55-before-release", "2026-10-01T00:00:00Z", "claude-haiku-5-5", 100001, 0, 0, 7, feature="prerelease")
R("t45-fable52-before-release-fast", "2026-11-01T00:00:00Z", "claude-fable-5-2", 100, 0, 0, 7, feature="prerelease", speed="fast")
# Workload parts missing
R("t46-no-team", "2026-10-21T00:00:00Z", "claude-haiku-4-5", 1, 2, 3, 4, team=None)
R("t47-nothing", "2026-10-21T00:00:01Z", "claude-haiku-4-5", 1, 2, 3, 4, team=None, app=None)
R("t48-zero", "2026-10-21T00:00:02Z", "claude-opus-4-1", 0, 0, 0, 0, team=None, app=None, feature="zero")
R("t49-opus5-fast-batch-us", "2026-10-22T00:00:00-12:00", "claude-opus-5", 10, 20, 30, 40, split=(5, 15), feature="fast", speed="fast")
R("t50-last-record", "2026-11-27T23:59:59Z", "claude-mythos-5", 10, 20, 30, 40, split=(5, 15), feature="last")
import sys
with open(sys.argv[1], "w") as f:
    f.write('{"schema":"tokensim.corpus/1"}\n')
    for r in recs:
        f.write(json.dumps(r, separators=(",", ":")) + "\n")
