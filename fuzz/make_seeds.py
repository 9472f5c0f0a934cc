#!/usr/bin/env python3
"""Writes the fuzz seed corpus (fuzz/corpus/<target>/seed-*) from spec-vectors/.

Run from anywhere: python3 fuzz/make_seeds.py. It replaces the seed-* files and
leaves every other corpus file (libFuzzer's growth, not kept in git) alone.
The input formats are described at the top of fuzz/targets.rs.
"""

import json
import os
import random

FUZZ = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(FUZZ, "..", "spec-vectors")


def load(rel):
    with open(os.path.join(VECTORS, rel), encoding="utf-8") as f:
        return json.load(f)


def raw(v):
    """A vector's string or {"bytes": [...]} as bytes."""
    if isinstance(v, dict):
        return bytes(v["bytes"])
    return v.encode("utf-8")


def spread(items, n):
    """About n items, evenly spread over the list."""
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def write(target, seeds):
    folder = os.path.join(FUZZ, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.startswith("seed-"):
            os.remove(os.path.join(folder, name))
    seen = set()
    for i, data in enumerate(seeds):
        if data in seen:
            continue
        seen.add(data)
        with open(os.path.join(folder, "seed-%03d" % i), "wb") as f:
            f.write(data)
    print(target, len(seen))


def origin_parse():
    cases = load("origin/parse-serialized-origin.json")["cases"]
    write("origin_parse", [raw(c["input"]) for c in spread(cases, 40)])


def header_value():
    seeds = []
    for rel, n in [
        ("request/cors-safelisted-request-header.json", 30),
        ("request/forbidden-request-header.json", 12),
    ]:
        for c in spread(load(rel)["cases"], n):
            seeds.append(raw(c["name"]) + b"\n" + raw(c["value"]))
    write("header_value", seeds)


def header_list_values():
    seeds = []
    for c in spread(load("request/extract-header-list-values.json")["cases"], 40):
        lines = [raw(c["name"])]
        for n, v in c["headers"]:
            lines.append(raw(n) + b":" + raw(v))
        seeds.append(b"\n".join(lines))
    write("header_list_values", seeds)


def scenarios():
    out = []
    for name in sorted(os.listdir(os.path.join(VECTORS, "scenarios"))):
        if name.endswith(".json"):
            data = load(os.path.join("scenarios", name))
            out.extend(data if isinstance(data, list) else [data])
    return out


def preflight_response():
    seeds = []
    creds = {"omit": b"o", "same-origin": b"s", "include": b"i"}
    profiles = {"spec": b"s", "chromium": b"c", "firefox": b"f", "webkit": b"w"}
    candidates = []
    for s in scenarios():
        options = [r for r in s.get("server", []) if r.get("method") == "OPTIONS"]
        if options:
            candidates.append((s, options[0]))
    for s, route in spread(candidates, 40):
        req = s["request"]
        flags = (
            creds.get(req.get("credentials", "same-origin"), b"s")
            + (b"1" if req.get("use_cors_preflight") else b"0")
            + profiles.get(s.get("profile", "spec"), b"s")
        )
        lines = [req.get("method", "GET").encode(), flags, req["origin"].encode()]
        for n, v in req.get("headers", []):
            lines.append(raw(n) + b":" + raw(v))
        lines.append(b"")
        lines.append(str(route.get("status", 200)).encode())
        for n, v in route.get("headers", []):
            lines.append(raw(n) + b":" + raw(v))
        seeds.append(b"\n".join(lines))
    write("preflight_response", seeds)


def driver():
    seeds = []
    # Scenario files, one scenario each (compact JSON).
    for s in spread(scenarios(), 36):
        seeds.append(json.dumps(s, separators=(",", ":")).encode())
    # Bytes for the arbitrary-decoded input, from a fixed seed.
    rng = random.Random(20261125)
    for size in [16, 32, 64, 64, 128, 128, 256, 256, 512, 1024]:
        data = bytes(rng.randrange(256) for _ in range(size))
        # Not `{` or `[` first: those select the JSON form.
        seeds.append(b"A" + data[1:] if data[0] in b"{[" else data)
    write("driver", seeds)


if __name__ == "__main__":
    origin_parse()
    header_value()
    header_list_values()
    preflight_response()
    driver()
