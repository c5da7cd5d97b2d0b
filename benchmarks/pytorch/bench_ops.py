"""Times the reference PyTorch ops (eager and torch.compile) on the GPU, and measures the floors.

    python3 benchmarks/pytorch/bench_ops.py --out results.json [--quick]

Method (the same as vq4j's GPU benchmark): CUDA events around each call, warm-up first, the
median of at least 30 timed runs, inputs rotated among several buffers so the L2 cache (50 MB on
an H100) does not flatter small sizes. Floors: bytes over the measured device-to-device copy
bandwidth (read + write counted), FLOPs over the measured SGEMM rate (FP32, and TF32 where the op
may use it).
"""
import argparse
import json
import statistics
import sys

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import reference_ops as ref  # noqa: E402

L2_BYTES = 50 << 20


def time_ms(fn, inputs, reps=30, warmup=5):
    """Median ms of fn(*inputs[i % len]) over reps runs, each timed with CUDA events."""
    for i in range(warmup):
        fn(*inputs[i % len(inputs)])
    torch.cuda.synchronize()
    times = []
    for i in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn(*inputs[i % len(inputs)])
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times)


def rotations(bytes_per_set):
    """How many input sets to rotate so together they exceed the L2 twice (at least 2, at most 8)."""
    return max(2, min(8, (2 * L2_BYTES) // max(1, bytes_per_set) + 1))


def measure_floors():
    n = 1 << 28  # 1 GiB of float32
    src = torch.randn(n, device="cuda")
    dst = torch.empty_like(src)
    ms = time_ms(lambda: dst.copy_(src), [()], reps=20)
    copy_bw = 2 * n * 4 / (ms * 1e-3)  # bytes read + written per second
    m = 8192
    a = torch.randn(m, m, device="cuda")
    b = torch.randn(m, m, device="cuda")
    torch.backends.cuda.matmul.allow_tf32 = False
    ms = time_ms(lambda: a @ b, [()], reps=10)
    fp32 = 2 * m ** 3 / (ms * 1e-3)
    torch.backends.cuda.matmul.allow_tf32 = True
    ms = time_ms(lambda: a @ b, [()], reps=10)
    tf32 = 2 * m ** 3 / (ms * 1e-3)
    torch.backends.cuda.matmul.allow_tf32 = False
    del src, dst, a, b
    torch.cuda.empty_cache()
    return {"copy_bytes_per_s": copy_bw, "fp32_flops": fp32, "tf32_flops": tf32}


def compiled(fn):
    try:
        return torch.compile(fn)
    except Exception as e:  # noqa: BLE001
        print(f"torch.compile failed for {fn.__name__}: {e}", file=sys.stderr)
        return None


def bench(name, shape, fn, make_inputs, bytes_moved, flops, tf32=False, compile_too=True):
    per_set = bytes_moved
    sets = [make_inputs(s) for s in range(rotations(per_set))]
    torch.backends.cuda.matmul.allow_tf32 = tf32
    row = {"op": name, "shape": shape, "bytes": bytes_moved, "flops": flops, "tf32": tf32}
    row["eager_ms"] = time_ms(fn, sets)
    if compile_too:
        cfn = compiled(fn)
        row["compiled_ms"] = time_ms(cfn, sets) if cfn is not None else None
    torch.backends.cuda.matmul.allow_tf32 = False
    print(f"{name:<28} {shape:<24} eager {row['eager_ms']:.3f} ms"
          + (f"  compiled {row['compiled_ms']:.3f} ms" if row.get("compiled_ms") else ""), flush=True)
    del sets
    torch.cuda.empty_cache()
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = ap.parse_args()
    torch.manual_seed(0)
    dev = "cuda"
    rows = []
    floors = measure_floors()
    print(f"floors: copy {floors['copy_bytes_per_s'] / 1e12:.2f} TB/s, "
          f"SGEMM {floors['fp32_flops'] / 1e12:.1f} TFLOP/s, TF32 {floors['tf32_flops'] / 1e12:.1f} TFLOP/s", flush=True)

    scale = 8 if args.quick else 1
    for n, d, k, tf32 in [(524288, 64, 256, False), (524288, 64, 1024, False), (131072, 256, 16384, False),
                          (131072, 256, 16384, True), (65536, 4, 512, False)]:
        n //= scale

        def mk(s, n=n, d=d, k=k):
            g = torch.Generator(device=dev).manual_seed(s)
            return (torch.randn(n, d, device=dev, generator=g), torch.randn(k, d, device=dev, generator=g))
        # inputs once, indices (4 B) and zq (4 D B) out per vector
        bytes_moved = 4 * (n * d + k * d) + 4 * n + 4 * n * d
        rows.append(bench("nearest+quantize", f"N={n} D={d} K={k}", ref.nearest_code, mk, bytes_moved,
                          2 * n * d * k, tf32=tf32))

    for n in [64 << 20, 131072]:
        n //= scale if n > 1e6 else 1

        def mk(s, n=n):
            g = torch.Generator(device=dev).manual_seed(s)
            return (torch.randn(n, device=dev, generator=g), torch.randn(n, device=dev, generator=g))
        rows.append(bench("reparameterize", f"n={n}", ref.reparameterize, mk, 12 * n, 0))
    n = (64 << 20) // scale

    def mk_kl(s, n=n):
        g = torch.Generator(device=dev).manual_seed(s)
        return (torch.randn(n, device=dev, generator=g), torch.randn(n, device=dev, generator=g))
    rows.append(bench("kl", f"n={n}", ref.kl_divergence, mk_kl, 8 * n, 0))

    def reparam_kl_fwd_bwd(mu, logvar):
        mu = mu.detach().requires_grad_()
        logvar = logvar.detach().requires_grad_()
        z = ref.reparameterize(mu, logvar)
        loss = z.sum() + ref.kl_divergence(mu, logvar)
        loss.backward()
        return mu.grad, logvar.grad
    # fwd reads mu, logvar, writes z; bwd reads logvar (+eps regenerated), writes dmu, dlogvar
    rows.append(bench("reparam+kl fwd+bwd", f"n={n}", reparam_kl_fwd_bwd, mk_kl, 4 * n * 6, 0, compile_too=False))

    n, d, k = 524288 // scale, 64, 512
    vq = ref.VectorQuantizer(k, d).to(dev)

    def vq_fwd_bwd(z, g):
        z = z.detach().requires_grad_()
        vq.zero_grad(set_to_none=True)
        zq, loss, _ = vq(z)
        (zq * g).sum().add(loss).backward()
        return z.grad, vq.embedding.weight.grad

    def mk_vq(s):
        gen = torch.Generator(device=dev).manual_seed(s)
        return (torch.randn(n, d, device=dev, generator=gen), torch.randn(n, d, device=dev, generator=gen))
    rows.append(bench("quantizer fwd+bwd", f"N={n} D={d} K={k}", vq_fwd_bwd, mk_vq,
                      4 * n * d * 5 + 8 * k * d, 2 * n * d * k, compile_too=False))

    out = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "floors": floors, "rows": rows}
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
