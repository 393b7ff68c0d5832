#!/usr/bin/env python3
"""Summarizes a bench/run.sh output directory into Markdown tables.

Layout read: OUT/json/<section>/<scenario>/<target>-<rep>.json (primesync-loadgen
--json files) or <target>-<rep>.wrk.txt (raw `wrk --latency` output), plus
OUT/micro.json (Google Benchmark) and OUT/profile-*.txt (perf report excerpts).
Medians are taken over the repetitions of one (scenario, target) pair; ratios are
primesync / nginx of those medians.
"""
import json
import os
import re
import statistics
import sys

UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_wrk(path):
    text = open(path).read()
    d = {"rps": 0.0, "ops": {"get": {}}, "failed": 0, "errors": {}}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        d["rps"] = float(m.group(1))
    for q, key in (("50", "p50_ms"), ("90", "p90_ms"), ("99", "p99_ms")):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % q, text, re.M)
        if m:
            d["ops"]["get"][key] = float(m.group(1)) * UNIT[m.group(2)]
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        d["failed"] += int(m.group(1))
    m = re.search(r"Socket errors:.*", text)
    if m:
        d["errors"]["socket"] = m.group(0)
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s)", text)
    n = int(m.group(1)) if m else 0
    m = re.search(r"client_cpu_s ([\d.]+) ([\d.]+)", text)
    if m and n:
        d["loadgen_cpu_us_per_req"] = (float(m.group(1)) + float(m.group(2))) * 1e6 / n
    m = re.search(r"server_cpu_s ([\d.]+)", text)
    if m and n:
        d["server_cpu_us_per_req"] = float(m.group(1)) * 1e6 / n
    m = re.search(r"(\d+) business errors", text)
    if m:
        d["failed"] += int(m.group(1))
    return d


def load(section_dir):
    out = {}
    for scen in sorted(os.listdir(section_dir)):
        sdir = os.path.join(section_dir, scen)
        if not os.path.isdir(sdir):
            continue
        for f in sorted(os.listdir(sdir)):
            m = re.match(r"(.+)-(\d+)\.(json|wrk\.txt)$", f)
            if not m:
                continue
            path = os.path.join(sdir, f)
            try:
                d = parse_wrk(path) if f.endswith(".wrk.txt") else json.load(open(path))
            except Exception as e:  # a run that crashed leaves no usable file
                print(f"<!-- skipped {path}: {e} -->", file=sys.stderr)
                continue
            out.setdefault(scen, {}).setdefault(m.group(1), []).append(d)
    return out


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def main_op(d):
    """The operation whose latency a row shows: the only one, or check in a mix."""
    ops = d.get("ops", {})
    if len(ops) == 1:
        return next(iter(ops.values()))
    return ops.get("check")


def fmt(x, digits=1):
    if x is None:
        return "–"
    if isinstance(x, (int, float)) and x >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def lat(runs, key):
    vals = []
    for d in runs:
        op = main_op(d)
        if op and key in op:
            vals.append(op[key])
    return med(vals)


def cpu(runs, key):
    return med([d.get(key) for d in runs])


def verify_str(runs):
    vs = [d.get("verify") for d in runs if d.get("verify", {}).get("enabled")]
    if not vs:
        return "–"
    items = sum(v["items"] for v in vs)
    if items == 0:
        return "– (no writes)"
    lost = sum(v["missing"] + v["stale"] for v in vs)
    fails = sum(v["download_failures"] for v in vs)
    return ("OK" if lost == 0 and fails == 0 else "LOSS" if lost else "incomplete") + f" ({items:,} items, {lost} lost)"


def side_by_side(data, title, order=None):
    print(f"\n### {title}\n")
    print("Latency columns are the primesync runs' medians of p50/p99 (for the mix: of check).\n")
    print("| scenario | primesync req/s (median) | p50 ms | p99 ms | nginx req/s (median) | ratio primesync/nginx | primesync CPU µs/req | nginx CPU µs/req | client CPU µs/req (primesync run) | primesync runs (req/s) | failed | verify |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |")
    for scen in order or sorted(data):
        if scen not in data:
            continue
        t = data[scen]
        ps = t.get("primesync", [])
        ng = t.get("nginx", [])
        ps_rps = med([d["rps"] for d in ps])
        ng_rps = med([d["rps"] for d in ng])
        ratio = f"{ps_rps / ng_rps:.3f}" if ps_rps and ng_rps else "–"
        runs = " / ".join(f"{d['rps']:,.0f}" for d in ps)
        failed = sum(d.get("failed", 0) for d in ps)
        print(f"| {scen} | {fmt(ps_rps)} | {fmt(lat(ps, 'p50_ms'), 2)} | {fmt(lat(ps, 'p99_ms'), 2)} | "
              f"{fmt(ng_rps)} | {ratio} | {fmt(cpu(ps, 'server_cpu_us_per_req'))} | {fmt(cpu(ng, 'server_cpu_us_per_req'))} | "
              f"{fmt(cpu(ps, 'loadgen_cpu_us_per_req'))} | {runs} | {failed} | {verify_str(ps)} |")


def mix_breakdown(data, scen="mix"):
    runs = data.get(scen, {}).get("primesync", [])
    if not runs:
        return
    runs = sorted(runs, key=lambda d: d["rps"])
    d = runs[len(runs) // 2]
    print(f"\nMedian realistic-mix run, per operation ({d['rps']:,.0f} req/s total, mean store batch "
          f"{d.get('mean_batch', 0):.2f}, loadgen {d.get('loadgen_cpu_cores', 0):.2f} cores, "
          f"server {d.get('server_cpu_cores', 0):.2f} cores):\n")
    print("| op | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | failed |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, o in d["ops"].items():
        print(f"| {name} | {fmt(o['rps'])} | {o['p50_ms']:.2f} | {o['p90_ms']:.2f} | {o['p99_ms']:.2f} | "
              f"{o['p999_ms']:.2f} | {o['failed']} |")
    if d.get("errors"):
        print("\nerrors: " + ", ".join(f"{k}: {v}" for k, v in d["errors"].items()))


def saturation(data):
    print("\n### Load generator vs wrk against nginx's static 200 (same connections, 1 client thread each)\n")
    print("| client | req/s (median) | runs | p50 ms | p99 ms | client CPU µs/req | nginx CPU µs/req |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for scen in sorted(data):
        for target, runs in sorted(data[scen].items()):
            print(f"| {target} | {fmt(med([d['rps'] for d in runs]))} | "
                  + " / ".join(f"{d['rps']:,.0f}" for d in runs)
                  + f" | {fmt(lat(runs, 'p50_ms'), 2)} | {fmt(lat(runs, 'p99_ms'), 2)} | "
                  f"{fmt(cpu(runs, 'loadgen_cpu_us_per_req'))} | {fmt(cpu(runs, 'server_cpu_us_per_req'))} |")


def rate_sweep(data):
    print("\n### Realistic mix, open loop (latency from the intended send time)\n")
    print("Sustainable = achieved >= 95 % of offered, no failed request, check p99 < 250 ms.\n")
    print("| offered req/s | achieved req/s | sustainable | check p50 / p99 / p99.9 ms | upload p50 / p99 / p99.9 ms | failed | mean store batch | server CPU µs/req | verify |")
    print("| ---: | ---: | --- | --- | --- | ---: | ---: | ---: | --- |")
    def key(s):
        m = re.search(r"(\d+)", s)
        return int(m.group(1)) if m else 0
    for scen in sorted(data, key=key):
        for d in data[scen].get("primesync", []):
            c = d["ops"].get("check", {})
            u = d["ops"].get("upload", {})
            cs = f"{c.get('p50_ms', 0):.2f} / {c.get('p99_ms', 0):.2f} / {c.get('p999_ms', 0):.2f}"
            us = f"{u.get('p50_ms', 0):.2f} / {u.get('p99_ms', 0):.2f} / {u.get('p999_ms', 0):.2f}"
            ok = d["rps"] >= 0.95 * d["rate"] and d["failed"] == 0 and c.get("p99_ms", 1e9) < 250
            print(f"| {fmt(float(d['rate']))} | {fmt(d['rps'])} | {'yes' if ok else 'no'} | {cs} | {us} | {d['failed']} | "
                  f"{d.get('mean_batch', 0):.2f} | {fmt(d.get('server_cpu_us_per_req'))} | {verify_str([d])} |")


def scale(data):
    print("\n### Scaling (closed loop; primesync alternated with nginx's static 200)\n")
    print("| seeded users | items/user | op | primesync req/s (median) | p50 ms | p99 ms | primesync CPU µs/req | nginx req/s | ratio |")
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    def key(s):
        m = re.match(r"(\d+)u-(\d+)i-(\w+)", s)
        return (int(m.group(1)), int(m.group(2)), m.group(3)) if m else (0, 0, s)
    for scen in sorted(data, key=key):
        u, i, op = key(scen)
        ps = data[scen].get("primesync", [])
        ng = data[scen].get("nginx", [])
        p, n = med([d["rps"] for d in ps]), med([d["rps"] for d in ng])
        ratio = f"{p / n:.3f}" if p and n else "–"
        print(f"| {u:,} | {i:,} | {op} | {fmt(p)} | {fmt(lat(ps, 'p50_ms'), 2)} | {fmt(lat(ps, 'p99_ms'), 2)} | {fmt(cpu(ps, 'server_cpu_us_per_req'))} | {fmt(n)} | {ratio} |")


def micro(path):
    if not os.path.exists(path):
        print("\n### Micro-benchmarks\n\n(not built: build/bench/primesync_bench absent)")
        return
    try:
        d = json.load(open(path))
    except Exception as e:
        print(f"\n### Micro-benchmarks\n\n(unreadable: {e})")
        return
    print("\n### Micro-benchmarks (Google Benchmark, bench/primesync_bench)\n")
    print("| benchmark | time | CPU | iterations | throughput |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for b in d.get("benchmarks", []):
        if b.get("run_type") == "aggregate":
            continue
        unit = b.get("time_unit", "ns")
        tp = ""
        if "bytes_per_second" in b:
            tp = f"{b['bytes_per_second'] / 1e6:,.0f} MB/s"
        elif "items_per_second" in b:
            tp = f"{b['items_per_second']:,.0f} items/s"
        print(f"| {b['name']} | {b['real_time']:,.0f} {unit} | {b['cpu_time']:,.0f} {unit} | {b['iterations']:,} | {tp} |")


def main():
    out = sys.argv[1]
    j = os.path.join(out, "json")
    sections = {s: load(os.path.join(j, s)) for s in os.listdir(j)} if os.path.isdir(j) else {}
    if "sat" in sections:
        saturation(sections["sat"])
    if "sbs" in sections:
        side_by_side(sections["sbs"], "Side by side (closed loop, medians of A B A B A B)",
                     ["check40", "check2000", "upload5", "download40", "mix", "wrk-check40"])
        mix_breakdown(sections["sbs"])
    if "rate" in sections:
        rate_sweep(sections["rate"])
    if "scale" in sections:
        scale(sections["scale"])
    micro(os.path.join(out, "micro.json"))


if __name__ == "__main__":
    main()
