#!/usr/bin/env python3
"""Writes projects/probes/{a,b}.jsonl: hand-written Claude Code session lines, one probe a day, that
show where ccusage and tokensim price or count the same log differently (docs/importers.md,
"claude-code", "Compared with ccusage"). Not real traffic: the usage numbers are chosen to make
each rule visible. Lines are compact JSON, as Claude Code writes them (ccusage 20.0.24 skips a
line whose `"usage":{` has a space after the colon).

    python3 make_probes.py [OUT_DIR]    # default: this script's folder
"""

import json
import os
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.join(OUT, "projects", "probes")
S45 = "claude-sonnet-4-5-20250929"
files = {}


def add(fname, ts, msg, req, model, usage, session="probe-a"):
    line = {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": "/probe",
            "sessionId": session, "version": "2.0.0", "type": "assistant",
            "uuid": f"u-{msg}-{ts}", "timestamp": ts,
            "message": {"id": msg, "type": "message", "role": "assistant", "model": model,
                        "content": [{"type": "text", "text": "x"}], "usage": usage}}
    if req is not None:
        line["requestId"] = req
    files.setdefault(fname, []).append(json.dumps(line, separators=(",", ":")))


def u(i=1000, o=500, cc=2000, cr=10000, **extra):
    usage = {"input_tokens": i, "cache_creation_input_tokens": cc, "cache_read_input_tokens": cr,
             "cache_creation": {"ephemeral_5m_input_tokens": cc, "ephemeral_1h_input_tokens": 0},
             "output_tokens": o, "service_tier": "standard"}
    usage.update(extra)
    return usage


def nov(n, t="12:00:00"):
    return f"2026-11-{n:02d}T{t}.000Z"


def dec(n, t="12:00:00"):
    return f"2026-12-{n:02d}T{t}.000Z"


# 11-01: three lines of one call whose last output count is not the largest.
for k, o in enumerate([100, 300, 200]):
    add("a.jsonl", nov(1, f"12:00:0{k}"), "msg_d01", "req_d01", S45, u(o=o))
# 11-02: one call copied into a second session file (a resume), and one more call.
add("a.jsonl", nov(2), "msg_d02", "req_d02", S45, u())
add("b.jsonl", nov(2), "msg_d02", "req_d02", S45, u(), session="probe-b")
add("b.jsonl", nov(2, "13:00:00"), "msg_d02b", "req_d02b", S45, u())
# 11-03/04: a call whose lines straddle midnight UTC.
add("a.jsonl", nov(3, "23:59:58"), "msg_d03", "req_d03", S45, u(o=1))
add("a.jsonl", nov(4, "00:00:03"), "msg_d03", "req_d03", S45, u(o=800))
# 11-05: a <synthetic> line (with non-zero usage, to see whether it is counted) and one call.
add("a.jsonl", nov(5), "msg_d05", "req_d05", "<synthetic>", u())
add("a.jsonl", nov(5, "13:00:00"), "msg_d05b", "req_d05b", S45, u())
# 11-06, 11-07: Sonnet 4.5 above 200K total input, with one class at 200K, and with none.
add("a.jsonl", nov(6), "msg_d06", "req_d06", S45, u(i=5000, cc=10000, cr=200000, o=2000))
add("a.jsonl", nov(7), "msg_d07", "req_d07", S45, u(i=1000, cc=150000, cr=100000, o=2000))
# 11-08: the Batch API tier.
add("a.jsonl", nov(8), "msg_d08", "req_d08", S45, u(service_tier="batch"))
# 11-09, 11-10, 11-12: Opus 4.6 plain, in fast mode, with US-only residency.
add("a.jsonl", nov(9), "msg_d09", "req_d09", "claude-opus-4-6", u())
add("a.jsonl", nov(10), "msg_d10", "req_d10", "claude-opus-4-6", u(speed="fast"))
add("a.jsonl", nov(12), "msg_d12", "req_d12", "claude-opus-4-6", u(inference_geo="us"))
# 11-11: three web searches.
add("a.jsonl", nov(11), "msg_d11", "req_d11", S45, u(server_tool_use={"web_search_requests": 3}))
# 11-13: two lines of one message without a requestId.
add("a.jsonl", nov(13, "12:00:00"), "msg_d13", None, S45, u(o=10))
add("a.jsonl", nov(13, "12:00:01"), "msg_d13", None, S45, u(o=500))
# 11-14 to 11-27: one model a day, the same usage.
MODELS = ["claude-opus-4-5-20251101", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001",
          "claude-3-5-haiku-20241022", "claude-sonnet-4-6", "claude-opus-4-7", "claude-opus-4-8",
          "claude-opus-5", "claude-opus-5-5", "claude-sonnet-5", "claude-sonnet-5-5",
          "claude-haiku-5-5", "claude-fable-5-1", "claude-mythos-5"]
for k, model in enumerate(MODELS):
    add("a.jsonl", nov(14 + k), f"msg_m{k}", f"req_m{k}", model, u())
# 11-28 to 11-30: above 200K total input on Sonnet 4, Opus 4.6 and Sonnet 4.6.
for n, model in [(28, "claude-sonnet-4-20250514"), (29, "claude-opus-4-6"), (30, "claude-sonnet-4-6")]:
    add("a.jsonl", nov(n), f"msg_d{n}", f"req_d{n}", model, u(i=5000, cc=10000, cr=200000, o=2000))
# 12-01 to 12-03: Sonnet 4.5 with one class above 200K: cache read, input, output.
add("a.jsonl", dec(1), "msg_e01", "req_e01", S45, u(i=1000, cc=2000, cr=300000, o=500))
add("a.jsonl", dec(2), "msg_e02", "req_e02", S45, u(i=250000, cc=0, cr=0, o=500))
add("a.jsonl", dec(3), "msg_e03", "req_e03", S45, u(i=1000, cc=0, cr=0, o=250000))
# 12-04: Fable 5.2. 2026-04-01: Opus 4.6 fast mode before 2026-06-29.
add("a.jsonl", dec(4), "msg_e04", "req_e04", "claude-fable-5-2", u())
add("a.jsonl", "2026-04-01T12:00:00.000Z", "msg_e05", "req_e05", "claude-opus-4-6", u(speed="fast"))

os.makedirs(PROJECT, exist_ok=True)
for name, lines in sorted(files.items()):
    with open(os.path.join(PROJECT, name), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
