#!/usr/bin/env python3
"""Times one full training step (forward, loss, backward, optimizer step) of the reference models.

    python3 benchmarks/pytorch/bench_train_step.py --out train_step.json             (CUDA: the two big cases)
    python3 benchmarks/pytorch/bench_train_step.py --device cpu --small --out cpu.json (2 threads)

--quick: a quarter of each batch (pairs with GpuBench --quick in benchmarks/run-gpu.sh).
Cases (models.py, AdamW lr 1e-3 weight decay 0.01, PyTorch's default AdamW implementation unless --fused):
  vae512     ConvVAE(3),   input 8 x 3 x 512 x 512  (latent 4 x 64 x 64)
  vqvae256   ConvVQVAE(3), input 16 x 3 x 256 x 256 (latent 64 x 32 x 32, K 512)
  fmnist32   ConvVQVAE(1), input 64 x 1 x 32 x 32   (--small: the Fashion-MNIST step, to set against
             vq4j on 2 CPU cores)
Each case runs eager and with torch.compile(model, mode=--compile-mode) (the forward, and with it the
backward through AOTAutograd; the optimizer step stays eager). A compile that fails is recorded in the
JSON (error) and the run goes on; the exit status is 1 only when an eager step failed.

Method: model initialised after torch.manual_seed(seed) (fresh per mode); two random input batches
uniform in [-1, 1] (not zeros, so no kernel sees a shortcut), alternated; --warmup steps first (the
first one, timed on its own as first_step_s, includes compilation); then the median of --reps (>= 30)
steps, each timed alone: on CUDA with CUDA events around the step and a sync after it, on the CPU
with perf_counter. Reported: ms/step (median, also mean/min/max), images/s = batch / median, peak
CUDA memory. Math settings: PyTorch's defaults unless --tf32 on|off (vq4j's default is full FP32,
like --tf32 off); the settings in force go into the JSON.
"""
import argparse
import gc
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import ConvVAE, ConvVQVAE  # noqa: E402
from train_reference import environment, math_settings, set_tf32, write_json  # noqa: E402

CASES = {
    "vae512": ("ConvVAE", lambda: ConvVAE(in_channels=3), (8, 3, 512, 512)),
    "vqvae256": ("ConvVQVAE", lambda: ConvVQVAE(in_channels=3), (16, 3, 256, 256)),
    "fmnist32": ("ConvVQVAE", lambda: ConvVQVAE(in_channels=1), (64, 1, 32, 32)),
}
BIG = ["vae512", "vqvae256"]
SMALL = ["fmnist32"]


class Timer:
    """Times one step: CUDA events (with a sync after the step) on CUDA, perf_counter on the CPU."""

    def __init__(self, device):
        self.cuda = device.type == "cuda"

    def ms(self, fn):
        if self.cuda:
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            return a.elapsed_time(b)
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1e3


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def make_inputs(shape, device, seed, count=2):
    g = torch.Generator().manual_seed(seed + 1)
    return [(torch.rand(shape, generator=g) * 2 - 1).to(device) for _ in range(count)]


def make_optimizer(model, args):
    params = [p for p in model.parameters() if p.requires_grad]
    if args.fused:
        return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01, fused=True)
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)


def case_shape(name, quick):
    """The case's input shape; --quick takes a quarter of the batch (at least 1), as GpuBench --quick does."""
    shape = CASES[name][2]
    return (max(1, shape[0] // 4),) + tuple(shape[1:]) if quick else tuple(shape)


def run_case(name, mode, args, device):
    kind, build, _ = CASES[name]
    shape = case_shape(name, args.quick)
    row = {"case": name, "model": kind, "mode": mode, "input_shape": list(shape), "batch": shape[0],
           "optimizer": "AdamW(lr=1e-3, weight_decay=0.01" + (", fused=True)" if args.fused else ")"),
           "compile_mode": args.compile_mode if mode == "compile" else None}
    if mode == "compile" and not hasattr(torch, "compile"):
        row["error"] = f"torch.compile is not available in torch {torch.__version__}"
        print(f"{name:9s} {mode:7s} SKIPPED: {row['error']}", flush=True)
        return row
    model = opt = inputs = fwd = None
    try:
        torch.manual_seed(args.seed)
        model = build().to(device).train()
        opt = make_optimizer(model, args)
        fwd = torch.compile(model, mode=None if args.compile_mode == "default" else args.compile_mode) \
            if mode == "compile" else model
        inputs = make_inputs(shape, device, args.seed)
        last = [None]

        def step(i):
            _, loss, _ = fwd(inputs[i % len(inputs)])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            last[0] = loss

        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        t0 = time.perf_counter()
        step(0)
        sync(device)
        row["first_step_s"] = time.perf_counter() - t0
        for i in range(1, args.warmup):
            step(i)
        sync(device)
        timer = Timer(device)
        times = [timer.ms(lambda i=i: step(i)) for i in range(args.reps)]
        median = statistics.median(times)
        row.update({"warmup": args.warmup, "reps": args.reps, "ms_per_step": median,
                    "ms_mean": statistics.fmean(times), "ms_min": min(times), "ms_max": max(times),
                    "images_per_s": shape[0] / (median / 1e3), "final_loss": float(last[0].detach())})
        if device.type == "cuda":
            row["peak_memory_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
        print(f"{name:9s} {mode:7s} {median:9.3f} ms/step  {row['images_per_s']:10.1f} images/s  "
              f"(first step {row['first_step_s']:.2f} s, loss {row['final_loss']:.4g})", flush=True)
    except Exception as e:  # noqa: BLE001 - one failing case (a compile, an OOM) must not lose the others
        row["error"] = f"{type(e).__name__}: {e}"[:4000]
        print(f"{name:9s} {mode:7s} FAILED: {row['error'][:300]}", flush=True)
    finally:
        # The step closure reads these cells, so clearing them frees the model, its optimizer
        # state and the inputs before the next case allocates its own.
        model = opt = inputs = fwd = None
        gc.collect()
        if mode == "compile" and hasattr(torch, "_dynamo"):
            torch._dynamo.reset()
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return row


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--small", action="store_true", help="the Fashion-MNIST-sized case only (1x32x32, batch 64)")
    ap.add_argument("--cases", nargs="+", choices=sorted(CASES), help="cases to run (overrides --small)")
    ap.add_argument("--modes", nargs="+", default=["eager", "compile"], choices=["eager", "compile"])
    ap.add_argument("--compile-mode", default="default",
                    help="torch.compile mode: default, reduce-overhead, max-autotune, ...")
    ap.add_argument("--warmup", type=int, default=10, help="untimed steps first (the first one compiles)")
    ap.add_argument("--reps", type=int, default=30, help="timed steps (the median is reported)")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (default: 2 on --device cpu)")
    ap.add_argument("--tf32", default="default", choices=["default", "on", "off"])
    ap.add_argument("--fused", action="store_true", help="AdamW(fused=True)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="a quarter of each case's batch (a smoke run)")
    ap.add_argument("--out", help="JSON result file")
    args = ap.parse_args(argv)
    if args.warmup < 1 or args.reps < 1:
        ap.error(f"--warmup and --reps must be >= 1, got {args.warmup} and {args.reps}")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("bench_train_step: --device cuda but torch.cuda.is_available() is False")
    device = torch.device(args.device)
    threads = args.threads or (2 if device.type == "cpu" else 0)
    if threads:
        torch.set_num_threads(threads)
    set_tf32(args.tf32)
    cases = args.cases or (SMALL if args.small else BIG)
    if args.reps < 30:
        print(f"bench_train_step: note: --reps {args.reps} < 30, fine for a smoke test, not for a result",
              flush=True)
    env = environment(device)
    print(f"bench_train_step: torch {env['torch']} on {env['device_name']}, threads {env['threads']}, "
          f"cases {cases}, modes {args.modes}", flush=True)
    results = [run_case(name, mode, args, device) for name in cases for mode in args.modes]
    out = {"environment": env, "math": math_settings(), "seed": args.seed, "results": results}
    if args.out:
        write_json(args.out, out)
        print(f"wrote {args.out}", flush=True)
    return out


if __name__ == "__main__":
    # A failed compile is a result (it is in the JSON); a failed eager step is not.
    failed = [r for r in main()["results"] if r["mode"] == "eager" and "error" in r]
    sys.exit(1 if failed else 0)
