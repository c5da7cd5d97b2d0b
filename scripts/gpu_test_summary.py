"""Summarises the "[gpu] op=NAME key=value ..." lines that the GPU tests print.

    python3 scripts/gpu_test_summary.py gpu.log

For each op: the number of cases, the largest value of every *Err* field (the largest error
seen), and the totals of mismatches / nearTies where present. The closing note of a change that
touches GPU code copies this table.
"""
import re
import sys
from collections import defaultdict

LINE = re.compile(r"\[gpu\] op=(\S+)(.*)")
PAIR = re.compile(r"(\w*(?:Err|err|mismatches|nearTies)\w*)=([-+0-9.eE]+|NaN|Infinity)")


def main(path):
    cases = defaultdict(int)
    worst = defaultdict(dict)
    for line in open(path, encoding="utf-8", errors="replace"):
        m = LINE.search(line)
        if not m:
            continue
        op = re.sub(r"\(.*", "", m.group(1)) if "(" in m.group(1) and not m.group(1).endswith(")") else m.group(1)
        cases[op] += 1
        for key, val in PAIR.findall(m.group(2)):
            v = float(val)
            if key in ("mismatches", "nearTies", "cpuMismatches"):
                worst[op][key] = worst[op].get(key, 0) + v
            else:
                worst[op][key] = max(worst[op].get(key, 0.0), v)
    print(f"{'op':<44} {'cases':>5}  largest errors")
    for op in sorted(cases):
        fields = "  ".join(f"{k}={v:.3g}" if not float(v).is_integer() or v < 1 else f"{k}={int(v)}"
                           for k, v in sorted(worst[op].items()))
        print(f"{op:<44} {cases[op]:>5}  {fields}")


if __name__ == "__main__":
    main(sys.argv[1])
