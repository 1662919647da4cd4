#!/usr/bin/env python3
"""Prints the Markdown tables of benches/README.md from criterion's JSON output.

Usage: python3 benches/scripts/table.py [target/criterion]
For each group: the peer (arrow / arrow-row / sqlite) and llkv, median time, throughput,
and the speed ratio (peer time / llkv time: above 1 means llkv is faster).
"""
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"
groups = {}
for dirpath, _, files in os.walk(root):
    if "benchmark.json" in files and dirpath.endswith("/new"):
        b = json.load(open(os.path.join(dirpath, "benchmark.json")))
        e = json.load(open(os.path.join(dirpath, "estimates.json")))
        ns = e["median"]["point_estimate"]
        tp = b.get("throughput") or {}
        mtime = os.path.getmtime(os.path.join(dirpath, "estimates.json"))
        name = b["function_id"] + ("/" + b["value_str"] if b.get("value_str") else "")
        groups.setdefault(b["group_id"], {})[name] = (ns, tp, mtime)


def fmt_time(ns):
    for unit, div in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= div:
            return f"{ns / div:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_tp(ns, tp, unit="rows/s"):
    if "Bytes" in tp:
        return f"{tp['Bytes'] / ns:.2f} GB/s"
    if "Elements" in tp:
        rate = tp["Elements"] / (ns / 1e9)
        if rate >= 1e6:
            return f"{rate / 1e6:.2f} M {unit}"
        if rate >= 1e3:
            return f"{rate / 1e3:.1f} k {unit}"
        return f"{rate:.0f} {unit}"
    return ""


def rate(ns, tp):
    n = tp.get("Bytes") or tp.get("Elements") or 1
    return n / ns


kernel_rows, engine_rows = [], []
for g in sorted(groups):
    fns = groups[g]
    # The latest run of each side (point workloads name theirs by operation count).
    def latest(names):
        found = [k for k in fns if k.split("/")[0] in names]
        return max(found, key=lambda k: fns[k][2]) if found else None

    peer = latest(("arrow", "arrow-row", "sqlite"))
    ours = latest(("llkv",))
    if not peer or not ours:
        continue
    (pn, ptp, _), (on, otp, _) = fns[peer], fns[ours]
    ratio = rate(on, otp) / rate(pn, ptp)
    unit = "stmts/s" if "/point_" in g else "rows/s"
    shown = f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.2g}x"
    row = [g, peer, fmt_time(pn), fmt_tp(pn, ptp, unit), ours, fmt_time(on), fmt_tp(on, otp, unit), shown]
    base = next((k for k in fns if k == "llkv@baseline"), None)
    if base:
        bn, btp, _ = fns[base]
        row.append(f"{fmt_tp(bn, btp)} ({rate(bn, btp) / rate(pn, ptp):.2f}x)")
    else:
        row.append("")
    (engine_rows if g.startswith("engine/") else kernel_rows).append(row)

print("| kernel / input | peer | peer time | peer rate | llkv | llkv time | llkv rate | llkv speed vs peer | llkv@baseline |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in kernel_rows:
    print("| " + " | ".join(r) + " |")
print()
print("| workload | peer | peer time | peer rate | llkv | llkv time | llkv rate | llkv speed vs peer |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for r in engine_rows:
    print("| " + " | ".join(r[:8]) + " |")
