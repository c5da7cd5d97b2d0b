#!/usr/bin/env python3
"""Merges PyTorch's and vq4j's benchmark JSON into one Markdown table (and a merged JSON).

GPU:  report.py --torch torch.json --vq4j vq4j.json [--train train_fp32.json ...] [--out merged.json]
      (bench_ops.py's and GpuBench's output; columns: vq4j, PyTorch eager and compiled, the
      ratios, the floor and vq4j's % of it, the correctness check; with --train (repeatable),
      bench_train_step.py's runs become "train step" rows, paired with GpuBench's, plus columns
      for images/s and peak device memory)
CPU:  report.py --torch torch_cpu.json --jmh jmh.json [--out merged.json]
      (bench_ops_cpu.py's output and JMH's -rf json; columns: vq4j, the plain-Java reference,
      PyTorch eager, the ratios)

Rows pair up on (op, shape, tf32), spelled as bench_ops.py spells them. A row one side lacks, a
file that is missing or a value that is null prints "-". Ratios above 1 mean vq4j is faster.
Only the standard library: runs on the GPU machine's and Debian's python3 alike.
"""
import argparse
import datetime
import json
import os
import sys

# JMH benchmark class -> (op, shape from its @Params), in the names bench_ops_cpu.py uses
JMH_OPS = {
    "NearestCodeBench": ("nearest code", lambda p: f"N={p['n']} D={p['d']} K={p['k']}"),
    "ReparameterizeBench": ("reparameterize", lambda p: f"n={p['n']}"),
    "KlBench": ("kl", lambda p: f"n={p['n']}"),
    "VqBackwardBench": ("vq backward", lambda p: f"N={p['n']} D={p['d']} K={p['k']}"),
    "Conv2dBench": ("conv2d", lambda p: f"B={p['batch']} {p['layer']} k4 s2 p1"),
    "TrainStepBench": ("train step", lambda p: f"ConvVQVAE B={p['batch']} {p['image']}"),
}
# JMH method -> merged field
JMH_METHODS = {"vq4j": "vq4j_ms", "reference": "ref_ms"}
TO_MS = {"s/op": 1e3, "ms/op": 1.0, "us/op": 1e-3, "ns/op": 1e-6}


def load(path, what):
    """The parsed JSON, or None (with a note on stderr) when the file is absent or unreadable."""
    if not path:
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"report: no {what} results ({path}: {e}); its columns print '-'", file=sys.stderr)
        return None


def key(row):
    return (row.get("op"), row.get("shape"), bool(row.get("tf32", False)))


def jmh_rows(results):
    """JMH's result list as rows {op, shape, vq4j_ms / ref_ms, *_err_ms}: the median per call in
    sample mode (-bm sample), JMH's average otherwise."""
    rows = {}
    for r in results or []:
        bench = r.get("benchmark", "")
        cls, _, method = bench.rpartition(".")
        cls = cls.rpartition(".")[2]
        params = r.get("params", {}) or {}
        op, shape_of = JMH_OPS.get(cls, (cls, lambda p: " ".join(f"{k}={v}" for k, v in sorted(p.items()))))
        try:
            shape = shape_of(params)
        except KeyError:
            shape = " ".join(f"{k}={v}" for k, v in sorted(params.items()))
        field = JMH_METHODS.get(method, method + "_ms")
        metric = r.get("primaryMetric", {}) or {}
        scale = TO_MS.get(metric.get("scoreUnit"), None)
        row = rows.setdefault((op, shape, False), {"op": op, "shape": shape})
        if scale is None:
            print(f"report: {bench}: unit {metric.get('scoreUnit')!r} is not a time per op; skipped", file=sys.stderr)
            continue
        # sample mode times every call: take the median, as the PyTorch side does; else JMH's average
        pcts = metric.get("scorePercentiles") or {}
        value = pcts.get("50.0") if r.get("mode") == "sample" else metric.get("score")
        row[field] = value * scale if value is not None else None
        if r.get("mode") == "sample" and pcts.get("90.0") is not None:
            row[field.replace("_ms", "_p90_ms")] = pcts["90.0"] * scale
        row["jmh_mode"] = r.get("mode")
        err = metric.get("scoreError")
        row[field.replace("_ms", "_err_ms")] = err * scale if isinstance(err, (int, float)) and err == err else None
    return list(rows.values())


def train_tf32(math):
    """Whether a bench_train_step.py run let cuDNN use TF32, from the settings it recorded."""
    math = math or {}
    precision = math.get("conv_fp32_precision")
    if precision in ("tf32", "ieee"):
        return precision == "tf32"
    # the old API's flag, else PyTorch's default for convolutions (TF32 allowed)
    return bool(math.get("cudnn_allow_tf32", True))


def train_shape(model, input_shape):
    """GpuBench's spelling of a training step's shape, e.g. 'ConvVAE 8x3x512x512 AdamW'."""
    return f"{model} {'x'.join(str(d) for d in input_shape)} AdamW"


def train_rows(doc):
    """bench_train_step.py's results as rows {op 'train step', shape, tf32, eager_ms, compiled_ms,
    eager/compiled images/s}; a failed mode (an OOM, a compile error) leaves its field out."""
    if not doc:
        return []
    tf32 = train_tf32(doc.get("math"))
    rows = {}
    for r in doc.get("results", []):
        if not r.get("model") or not r.get("input_shape"):
            continue
        shape = train_shape(r["model"], r["input_shape"])
        row = rows.setdefault(shape, {"op": "train step", "shape": shape, "tf32": tf32})
        mode = "eager" if r.get("mode") == "eager" else "compiled"
        if r.get("ms_per_step") is not None:
            row[mode + "_ms"] = r["ms_per_step"]
            row[mode + "_images_per_s"] = r.get("images_per_s")
        if r.get("peak_memory_mib") is not None:
            row[mode + "_peak_bytes"] = r["peak_memory_mib"] * 2**20
        if r.get("error"):
            row[mode + "_error"] = r["error"]
    return list(rows.values())


def floor_ms(row, floors):
    """max(bytes / copy bandwidth, FLOPs / SGEMM rate) in ms, or None without the numbers."""
    if not floors or row.get("bytes") is None:
        return None
    bw = floors.get("copy_bytes_per_s")
    rate = floors.get("tf32_flops" if row.get("tf32") else "fp32_flops")
    if not bw or not rate:
        return None
    return 1e3 * max(row["bytes"] / bw, (row.get("flops") or 0) / rate)


TORCH_FIELDS = ("eager_ms", "compiled_ms", "bytes", "flops", "eager_images_per_s", "compiled_images_per_s",
                "eager_peak_bytes", "compiled_peak_bytes", "eager_error", "compiled_error")


def merge(torch, vq4j, jmh, trains=()):
    """Rows in PyTorch's order (its ops, then its training steps), then vq4j's rows PyTorch lacks,
    each with every known field."""
    merged = {}
    torch_rows = list((torch or {}).get("rows", []))
    for t in trains or ():
        torch_rows += train_rows(t)
    for r in torch_rows:
        m = merged.setdefault(key(r), {"op": r["op"], "shape": r["shape"], "tf32": bool(r.get("tf32", False))})
        for f in TORCH_FIELDS:
            if r.get(f) is not None:
                m[f] = r[f]
        if r.get("p10") is not None:
            m["eager_p10"], m["eager_p90"] = r.get("p10"), r.get("p90")
    vrows = list((vq4j or {}).get("rows", [])) + jmh_rows(jmh)
    for r in vrows:
        m = merged.setdefault(key(r), {"op": r["op"], "shape": r["shape"], "tf32": bool(r.get("tf32", False))})
        for f, v in r.items():
            if f in ("op", "shape", "tf32") or v is None:
                continue
            m["vq4j_" + f if f in ("p10", "p90", "runs", "sets") else f] = v
    tfloors = (torch or {}).get("floors")
    for m in merged.values():
        if m.get("floor_ms") is None:
            m["floor_ms"] = floor_ms(m, tfloors)
        v = m.get("vq4j_ms")
        for f in ("eager", "compiled", "ref"):
            t = m.get(f + "_ms")
            m[f + "_over_vq4j"] = t / v if t and v else None
        fl = m.get("floor_ms")
        m["vq4j_pct_of_floor"] = 100 * fl / v if fl and v else None
    return list(merged.values())


def ms(x):
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 10 else f"{x:.2f}" if x < 100 else f"{x:.1f}"


def ratio(x):
    return "-" if x is None else f"{x:.2f}x"


def count(x):
    return "-" if x is None else f"{x:,.0f}"


def mib(b):
    return None if b is None else b / 2**20


def pct(x):
    return "-" if x is None else f"{x:.0f}%"


def table(rows):
    """Markdown; a column appears when at least one row has it (GPU and CPU runs differ)."""
    cols = [("op", lambda r: r["op"] + (" (TF32)" if r.get("tf32") else "")), ("shape", lambda r: r["shape"]),
            ("vq4j ms", lambda r: ms(r.get("vq4j_ms")))]
    has = lambda f: any(r.get(f) is not None for r in rows)  # noqa: E731
    if has("ref_ms"):
        cols.append(("plain Java ms", lambda r: ms(r.get("ref_ms"))))
    cols.append(("PyTorch eager ms", lambda r: ms(r.get("eager_ms"))))
    if has("compiled_ms"):
        cols.append(("compiled ms", lambda r: ms(r.get("compiled_ms"))))
    cols.append(("eager/vq4j", lambda r: ratio(r.get("eager_over_vq4j"))))
    if has("compiled_ms"):
        cols.append(("compiled/vq4j", lambda r: ratio(r.get("compiled_over_vq4j"))))
    if has("ref_ms"):
        cols.append(("plain/vq4j", lambda r: ratio(r.get("ref_over_vq4j"))))
    if has("images_per_s"):
        cols.append(("vq4j images/s", lambda r: count(r.get("images_per_s"))))
        cols.append(("eager images/s", lambda r: count(r.get("eager_images_per_s"))))
    if has("peak_bytes") or has("eager_peak_bytes"):
        cols.append(("vq4j peak MiB", lambda r: count(mib(r.get("peak_bytes")))))
        cols.append(("eager peak MiB", lambda r: count(mib(r.get("eager_peak_bytes")))))
    if has("floor_ms"):
        cols.append(("floor ms", lambda r: ms(r.get("floor_ms"))))
        cols.append(("vq4j % of floor", lambda r: pct(r.get("vq4j_pct_of_floor"))))
    if has("check"):
        cols.append(("check", lambda r: "-" if r.get("check") is None else ("ok" if r["check"] == "ok" else "FAIL")))
    lines = ["| " + " | ".join(c for c, _ in cols) + " |",
             "|" + "|".join("---" if i < 2 else "---:" for i in range(len(cols))) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(f(r)) for _, f in cols) + " |")
    return "\n".join(lines)


def header(torch, vq4j, jmh, trains=()):
    out = []
    if vq4j:
        f = vq4j.get("floors", {})
        out.append(f"vq4j: {vq4j.get('device_detail', vq4j.get('device'))}, driver {vq4j.get('driver')}, "
                   f"{vq4j.get('date')}, data checks {vq4j.get('data_checks')}; floors: copy "
                   f"{(f.get('copy_bytes_per_s') or 0) / 1e12:.2f} TB/s, SGEMM {(f.get('fp32_flops') or 0) / 1e12:.1f} TFLOP/s")
    if jmh is not None:
        modes = sorted({r.get("mode", "?") for r in jmh})
        what = "median ms per call" if modes == ["sample"] else "ms/op: median per call in sample mode, else average"
        out.append(f"vq4j: JMH ({', '.join(modes)}), {len(jmh)} results, {what}")
    if torch:
        f = torch.get("floors") or {}
        line = f"PyTorch {torch.get('torch')}: {torch.get('device')}"
        if torch.get("threads"):
            line += f", {torch['threads']} threads"
        if f:
            line += (f"; floors: copy {(f.get('copy_bytes_per_s') or 0) / 1e12:.2f} TB/s, "
                     f"SGEMM {(f.get('fp32_flops') or 0) / 1e12:.1f} TFLOP/s")
        out.append(line)
    for t in trains or ():
        env = t.get("environment") or {}
        out.append(f"PyTorch {env.get('torch')} training step: {env.get('device_name')}, "
                   f"TF32 convolutions {'on' if train_tf32(t.get('math')) else 'off'}, "
                   f"{len(t.get('results', []))} results")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--torch", help="bench_ops.py / bench_ops_cpu.py JSON")
    ap.add_argument("--vq4j", help="GpuBench JSON")
    ap.add_argument("--jmh", help="JMH JSON (-rf json)")
    ap.add_argument("--train", action="append", default=[], help="bench_train_step.py JSON (repeatable)")
    ap.add_argument("--out", help="merged JSON to write")
    args = ap.parse_args(argv)
    torch = load(args.torch, "PyTorch")
    vq4j = load(args.vq4j, "vq4j")
    jmh = load(args.jmh, "JMH")
    trains = [t for t in (load(p, "training step") for p in args.train) if t]
    rows = merge(torch, vq4j, jmh, trains)
    if not rows:
        print("report: no rows in any input", file=sys.stderr)
        return 1
    text = header(torch, vq4j, jmh, trains) + "\n\n" + table(rows)
    if args.out:
        merged = {"date": datetime.datetime.now().astimezone().isoformat(),
                  "torch": {k: v for k, v in (torch or {}).items() if k != "rows"},
                  "vq4j": {k: v for k, v in (vq4j or {}).items() if k != "rows"},
                  "train": [{k: v for k, v in t.items() if k != "results"} for t in trains],
                  "rows": rows}
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(merged, f, indent=1)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
