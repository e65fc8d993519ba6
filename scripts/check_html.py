#!/usr/bin/env python3
"""Checks an HTML report (tokensim-report's `render_html`) against the JSON report of the same run.

Usage:
    python3 scripts/check_html.py REPORT.html REPORT.json
    python3 scripts/check_html.py --no-browser REPORT.html REPORT.json   # skip step (b)

(a) Parses the HTML with html.parser and collects every element with a `data-value`. Each one
    must carry a `data-key` naming where its value lives in the JSON (keys documented in
    crates/tokensim-report/src/html.rs; segments split on `/`, with `%2F` and `%25` decoded):

        waterfall/<scenario>/recorded           scenario totals.recorded
        waterfall/<scenario>/lever/<lever>      scenario attribution.waterfall[lever].saving
        waterfall/<scenario>/scenario           scenario totals.cost.total
        shapley/<scenario>/<lever>              scenario attribution.shapley[lever].saving
        workload/recorded/<team>/<app>/<feature>            by_workload[..].recorded.total
        workload/scenario/<s>/<team>/<app>/<feature>        scenario by_workload[..].cost.total
        day/recorded/<day>                      by_day[..].recorded.total
        day/scenario/<s>/<day>                  scenario by_day[..].cost.total
        quality/recorded                        totals.recorded.total
        quality/scenario/<s>                    scenario totals.cost.total

    The value is recomputed from the JSON by its key and must equal it exactly (the same
    twelve-decimal string). Cost-quality points' `data-cost-share` and `data-quality-retained`
    are recomputed (cost / recorded cost; 1 - sum(quality[].expected_degraded.mean) / requests)
    and must agree to 1e-6. Also checked: no key appears twice; every waterfall goes exactly from
    the recorded cost to the scenario's; every expected chart element is present (a waterfall for
    each scenario with an attribution, a bar per workload and series, a point per day and series,
    a cost-quality point per series when any scenario has quality rows).

(b) If `chromium` or `chromium-browser` is on PATH, runs it headless with --dump-dom on the file
    and checks that it exits 0 and that the dumped DOM still holds every <svg> and every
    data-value element of the file. Without chromium it says so and skips (b).

Stdlib only. Prints PASS, or each problem naming its key, and exits 1 on any problem.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import unquote

UNATTRIBUTED = "unattributed"


class Collector(HTMLParser):
    """Collects elements with data-value, counts <svg> elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []  # (line, tag, attrs dict)
        self.svgs = 0

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.svgs += 1
        a = dict(attrs)
        if "data-value" in a:
            self.elements.append((self.getpos()[0], tag, a))

    handle_startendtag = handle_starttag


def parse(text):
    c = Collector()
    c.feed(text)
    c.close()
    return c


def money(s):
    """An exact USD string as Decimal; the report writes twelve decimals."""
    return Decimal(s)


def workload_of(row):
    return tuple(row.get(p) or UNATTRIBUTED for p in ("team", "app", "feature"))


class Expected:
    """Recomputes a data-key's value from the JSON report."""

    def __init__(self, report):
        self.r = report
        self.scenarios = {}
        for s in report.get("scenarios", []):
            self.scenarios.setdefault(s["name"], s)

    def scenario(self, name):
        if name not in self.scenarios:
            raise KeyError(f"no scenario {name!r} in the JSON")
        return self.scenarios[name]

    def value(self, parts):
        """The exact value string the key names; KeyError with a reason when it names nothing."""
        kind = parts[0]
        if kind == "waterfall" and len(parts) >= 3:
            s = self.scenario(parts[1])
            if parts[2:] == ["recorded"]:
                return s["totals"].get("recorded") or self.r["totals"]["recorded"]["total"]
            if parts[2:] == ["scenario"]:
                return s["totals"]["cost"]["total"]
            if len(parts) == 4 and parts[2] == "lever":
                return self.lever(s, "waterfall", parts[3])
        if kind == "shapley" and len(parts) == 3:
            return self.lever(self.scenario(parts[1]), "shapley", parts[2])
        if kind == "workload":
            if len(parts) == 5 and parts[1] == "recorded":
                row = self.find(self.r["by_workload"], workload_of, tuple(parts[2:]))
                return row["recorded"]["total"]
            if len(parts) == 6 and parts[1] == "scenario":
                s = self.scenario(parts[2])
                row = self.find(s["by_workload"], workload_of, tuple(parts[3:]))
                return row["cost"]["total"]
        if kind == "day":
            day = lambda row: row.get("day")  # noqa: E731
            if len(parts) == 3 and parts[1] == "recorded":
                return self.find(self.r["by_day"], day, parts[2])["recorded"]["total"]
            if len(parts) == 4 and parts[1] == "scenario":
                s = self.scenario(parts[2])
                return self.find(s["by_day"], day, parts[3])["cost"]["total"]
        if kind == "quality":
            if parts[1:] == ["recorded"]:
                return self.r["totals"]["recorded"]["total"]
            if len(parts) == 3 and parts[1] == "scenario":
                return self.scenario(parts[2])["totals"]["cost"]["total"]
        raise KeyError("unknown key shape")

    def lever(self, s, which, lever):
        a = s.get("attribution")
        if a is None:
            raise KeyError(f"scenario {s['name']!r} has no attribution")
        hits = [x["saving"] for x in a[which] if x["lever"] == lever]
        if len(hits) != 1:
            raise KeyError(f"{len(hits)} {which} entries for lever {lever!r}")
        return hits[0]

    @staticmethod
    def find(rows, key_of, key):
        hits = [r for r in rows if key_of(r) == key]
        if len(hits) != 1:
            raise KeyError(f"{len(hits)} rows for {key!r}")
        return hits[0]

    def quality_point(self, parts):
        """(cost share, quality retained) of a cost-quality point."""
        recorded = money(self.r["totals"]["recorded"]["total"])
        if parts[1:] == ["recorded"]:
            return (1.0 if recorded != 0 else 0.0), 1.0
        s = self.scenario(parts[2])
        cost = money(s["totals"]["cost"]["total"])
        share = float(cost / recorded) if recorded != 0 else 0.0
        requests = s["totals"]["requests"]
        degraded = 0.0
        for q in s.get("quality", []):
            degraded += q["expected_degraded"]["mean"]
        retained = 1.0 - degraded / requests if requests else 1.0
        return share, retained

    def all_keys(self):
        """Every key the page should carry, with the JSON as it is."""
        enc = lambda s: s.replace("%", "%25").replace("/", "%2F")  # noqa: E731
        keys = []
        series = [("recorded",)] + [("scenario", s["name"]) for s in self.r.get("scenarios", [])]
        for s in self.r.get("scenarios", []):
            a = s.get("attribution")
            if a:
                n = enc(s["name"])
                keys.append(f"waterfall/{n}/recorded")
                keys += [f"waterfall/{n}/lever/{enc(x['lever'])}" for x in a["waterfall"]]
                keys.append(f"waterfall/{n}/scenario")
                keys += [f"shapley/{n}/{enc(x['lever'])}" for x in a["shapley"]]
        for w in self.r.get("by_workload", []):
            parts = "/".join(enc(p) for p in workload_of(w))
            for se in series:
                if se[0] == "scenario":
                    rows = self.scenarios[se[1]]["by_workload"]
                    if not any(workload_of(x) == workload_of(w) for x in rows):
                        continue
                keys.append("workload/" + "/".join(enc(p) for p in se) + "/" + parts)
        for d in self.r.get("by_day", []):
            for se in series:
                if se[0] == "scenario":
                    rows = self.scenarios[se[1]]["by_day"]
                    if not any(x.get("day") == d.get("day") for x in rows):
                        continue
                keys.append("day/" + "/".join(enc(p) for p in se) + "/" + enc(d.get("day") or ""))
        if any(s.get("quality") for s in self.r.get("scenarios", [])):
            keys += ["quality/" + "/".join(enc(p) for p in se) for se in series]
        return keys


def check_values(page, report):
    problems = []
    exp = Expected(report)
    seen = {}
    for line, tag, a in page.elements:
        key = a.get("data-key")
        if key is None:
            problems.append(f"line {line}: <{tag}> has a data-value but no data-key")
            continue
        if key in seen:
            problems.append(f"{key}: appears twice (lines {seen[key][0]} and {line})")
            continue
        seen[key] = (line, a["data-value"])
        parts = [unquote(p) for p in key.split("/")]
        try:
            want = exp.value(parts)
        except KeyError as e:
            problems.append(f"{key}: names nothing in the JSON ({e.args[0]})")
            continue
        if a["data-value"] != want:
            problems.append(f"{key}: data-value {a['data-value']} but the JSON says {want}")
        if parts[0] == "quality":
            share, retained = exp.quality_point(parts)
            for attr, v in (("data-cost-share", share), ("data-quality-retained", retained)):
                got = a.get(attr)
                if got is None:
                    problems.append(f"{key}: no {attr}")
                elif abs(float(got) - v) > 1e-6:
                    problems.append(f"{key}: {attr} {got} but the JSON gives {v:.6f}")
    # Each waterfall, as the page has it, goes from the recorded cost to the scenario's exactly.
    for s in report.get("scenarios", []):
        if not s.get("attribution"):
            continue
        n = s["name"].replace("%", "%25").replace("/", "%2F")
        start = seen.get(f"waterfall/{n}/recorded")
        end = seen.get(f"waterfall/{n}/scenario")
        levers = [v for k, v in seen.items() if k.startswith(f"waterfall/{n}/lever/")]
        if start and end:
            total = money(start[1]) - sum(money(v[1]) for v in levers)
            if total != money(end[1]):
                problems.append(
                    f"waterfall/{n}: recorded {start[1]} minus the levers is {total}, not {end[1]}"
                )
    missing = [k for k in exp.all_keys() if k not in seen]
    problems += [f"{k}: expected in the page, missing" for k in missing]
    return problems, len(seen)


def check_browser(path, page):
    """Step (b): (problems, message)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        return [], "no chromium or chromium-browser on PATH: browser check skipped"
    url = "file://" + os.path.abspath(path)
    cmd = [browser, "--headless", "--disable-gpu", "--no-sandbox", "--dump-dom", url]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return [f"{browser}: no answer in 120 s"], ""
    if run.returncode != 0:
        return [f"{browser} exited {run.returncode}: {run.stderr.strip()[-500:]}"], ""
    dom = parse(run.stdout)
    problems = []
    if dom.svgs != page.svgs:
        problems.append(f"{browser}: the dumped DOM has {dom.svgs} <svg>, the file {page.svgs}")
    if len(dom.elements) != len(page.elements):
        problems.append(
            f"{browser}: the dumped DOM has {len(dom.elements)} data-value elements, "
            f"the file {len(page.elements)}"
        )
    return problems, f"{browser} --headless --dump-dom: exit 0, {dom.svgs} <svg>, {len(dom.elements)} data-value elements"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("html")
    ap.add_argument("json")
    ap.add_argument("--no-browser", action="store_true", help="skip the chromium check")
    args = ap.parse_args()
    with open(args.html, encoding="utf-8") as f:
        text = f.read()
    with open(args.json, encoding="utf-8") as f:
        report = json.load(f)
    page = parse(text)
    problems, checked = check_values(page, report)
    print(f"values: {checked} keyed elements checked against {args.json}")
    if not text.startswith("<!DOCTYPE html>"):
        problems.append("the file does not start with <!DOCTYPE html>")
    if args.no_browser:
        print("browser: skipped (--no-browser)")
    else:
        more, message = check_browser(args.html, page)
        problems += more
        if message:
            print(f"browser: {message}")
    if problems:
        for p in problems:
            print(f"FAIL {p}")
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
