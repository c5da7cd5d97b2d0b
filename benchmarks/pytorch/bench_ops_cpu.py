"""Times the reference PyTorch ops on the CPU, the counterpart of vq4j's JMH benchmarks.

    /usr/bin/python3 benchmarks/pytorch/bench_ops_cpu.py --out torch_cpu.json [--threads 2] [--reps 30]

Debian's python3-torch (1.13, eager only: torch.compile came with 2.0). Method: warm-up, then the
median of at least 30 timed calls (time.perf_counter around each), inputs rotated between two
sets. The ops and shapes are those of vq4j's JMH benchmarks, spelled the same so report.py pairs
them: nearest code N=65536 D=64 K=512 (distance matrix, argmin, gather), reparameterize and the
KL sum on 4M elements, conv2d forward on the Fashion-MNIST encoder's layers (batch 64), and one
training step of models.py's ConvVQVAE(1) at batch 64 x 1 x 32 x 32 (forward, loss, backward,
AdamW lr 1e-3 weight decay 0.01: bench_train_step.py's fmnist32 case, vq4j's TrainStepBench).
Output: the JSON of bench_ops.py (device, torch, rows of op, shape, eager_ms, ...), plus threads.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import reference_ops as ref  # noqa: E402


def time_ms(fn, inputs, reps, warmup):
    """Median, p10 and p90 ms of fn(*inputs[i % len]) over reps calls."""
    for i in range(warmup):
        fn(*inputs[i % len(inputs)])
    times = []
    for i in range(reps):
        t0 = time.perf_counter()
        fn(*inputs[i % len(inputs)])
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    pick = lambda p: times[min(len(times) - 1, max(0, round(p / 100 * (len(times) - 1))))]  # noqa: E731
    return {"eager_ms": statistics.median(times), "p10": pick(10), "p90": pick(90), "runs": reps}


def bench(rows, name, shape, fn, make_inputs, bytes_moved, flops, args):
    sets = [make_inputs(s) for s in range(2)]
    with torch.no_grad():
        row = {"op": name, "shape": shape, "bytes": bytes_moved, "flops": flops, "tf32": False, "compiled_ms": None}
        row.update(time_ms(fn, sets, args.reps, args.warmup))
    print(f"{name:<16} {shape:<28} eager {row['eager_ms']:.3f} ms (p10 {row['p10']:.3f}, p90 {row['p90']:.3f})",
          flush=True)
    rows.append(row)


def bench_train_step(rows, args):
    """The Fashion-MNIST conv VQ-VAE training step, timed as bench_train_step.py times it (AdamW,
    zero_grad(set_to_none), two alternating inputs uniform in [-1, 1]), but reported in this
    file's row format so report.py pairs it with TrainStepBench."""
    from models import ConvVQVAE
    batch, shape = 64, (64, 1, 32, 32)
    torch.manual_seed(0)
    model = ConvVQVAE(in_channels=1).train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3, weight_decay=0.01)
    g = torch.Generator().manual_seed(1)
    inputs = [(torch.rand(shape, generator=g) * 2 - 1,) for _ in range(2)]

    def step(x):
        _, loss, _ = model(x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    # ~7.5 GFLOP a step: convolutions 2x forward (data and weight gradients backward)
    row = {"op": "train step", "shape": f"ConvVQVAE B={batch} 1x32x32", "bytes": None, "flops": None,
           "tf32": False, "compiled_ms": None}
    row.update(time_ms(step, inputs, args.reps, max(args.warmup, 5)))
    print(f"{'train step':<16} {row['shape']:<28} eager {row['eager_ms']:.3f} ms (p10 {row['p10']:.3f}, "
          f"p90 {row['p90']:.3f})", flush=True)
    rows.append(row)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args()
    if args.reps < 30:
        ap.error("--reps must be >= 30")
    torch.set_num_threads(args.threads)
    rows = []

    n, d, k = 65536, 64, 512

    def mk_nearest(s):
        g = torch.Generator().manual_seed(s)
        return torch.randn(n, d, generator=g), torch.randn(k, d, generator=g)
    # bench_ops.py's count: z and the codebook read, indices (4 B) and zq (4 D B) written
    bench(rows, "nearest code", f"N={n} D={d} K={k}", ref.nearest_code, mk_nearest,
          4 * (n * d + k * d) + 4 * n + 4 * n * d, 2 * n * d * k, args)

    m = 4 << 20

    def mk_gauss(s):
        g = torch.Generator().manual_seed(100 + s)
        return torch.randn(m, generator=g), torch.randn(m, generator=g)
    bench(rows, "reparameterize", f"n={m}", ref.reparameterize, mk_gauss, 12 * m, 0, args)
    bench(rows, "kl", f"n={m}", ref.kl_divergence, mk_gauss, 8 * m, 0, args)

    batch = 64
    for c, h, o in [(1, 28, 32), (32, 14, 64)]:
        def mk_conv(s, c=c, h=h, o=o):
            g = torch.Generator().manual_seed(200 + s)
            return (torch.randn(batch, c, h, h, generator=g), torch.randn(o, c, 4, 4, generator=g),
                    torch.randn(o, generator=g))
        ho = (h + 2 - 4) // 2 + 1
        bench(rows, "conv2d", f"B={batch} {c}x{h}x{h}>{o} k4 s2 p1",
              lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), mk_conv,
              4 * (batch * c * h * h + o * c * 16 + o + batch * o * ho * ho), 2 * batch * o * ho * ho * c * 16, args)

    bench_train_step(rows, args)

    out = {"device": "cpu: " + cpu_name(), "torch": torch.__version__, "threads": torch.get_num_threads(),
           "rows": rows}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
