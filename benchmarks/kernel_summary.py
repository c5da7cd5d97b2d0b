#!/usr/bin/env python3
"""Sums Nsight Compute's CSV (one row per kernel launch, metric gpu__time_duration.sum) by kernel
name: launches, total and mean time, share of the total. Used by profile-step.sh.

    python3 benchmarks/kernel_summary.py ncu.csv [--rows 30]
"""
import argparse
import csv
import collections
import io


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv")
    ap.add_argument("--rows", type=int, default=30)
    a = ap.parse_args()
    text = open(a.csv, encoding="utf-8", errors="replace").read()
    start = text.find('"ID"')
    if start < 0:
        raise SystemExit(f"{a.csv}: no ncu CSV header found")
    total = collections.Counter()
    count = collections.Counter()
    for row in csv.DictReader(io.StringIO(text[start:])):
        if row.get("Metric Name") != "gpu__time_duration.sum":
            continue
        name = row["Kernel Name"].split("(")[0].strip()
        unit = row.get("Metric Unit", "ns")
        v = float(row["Metric Value"].replace(",", ""))
        ns = v * {"ns": 1, "nsecond": 1, "us": 1e3, "usecond": 1e3, "ms": 1e6, "msecond": 1e6}.get(unit, 1)
        total[name] += ns
        count[name] += 1
    all_ns = sum(total.values())
    print(f"{sum(count.values())} launches, {all_ns / 1e6:.3f} ms in all")
    print(f"{'kernel':70s} {'launches':>8s} {'total ms':>9s} {'mean us':>9s} {'share':>6s}")
    for name, ns in total.most_common(a.rows):
        print(f"{name[:70]:70s} {count[name]:8d} {ns / 1e6:9.3f} {ns / count[name] / 1e3:9.2f} {100 * ns / all_ns:5.1f}%")


if __name__ == "__main__":
    main()
