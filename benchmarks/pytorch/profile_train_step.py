#!/usr/bin/env python3
"""Where PyTorch eager's training step spends GPU time: torch.profiler over a few steps, kernels
grouped by name, sorted by total CUDA time. The counterpart for vq4j is benchmarks/profile-step.sh
(Nsight Compute over the same step in GpuBench).

    python3 benchmarks/pytorch/profile_train_step.py [--case vqvae256|vae512] [--tf32 off|on] [--steps 5]
"""
import argparse

import torch
from torch.profiler import ProfilerActivity, profile

import bench_train_step as bts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", default="vqvae256", choices=sorted(bts.CASES))
    ap.add_argument("--tf32", default="off", choices=["on", "off"])
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--rows", type=int, default=30)
    a = ap.parse_args()
    torch.backends.cudnn.allow_tf32 = a.tf32 == "on"
    torch.backends.cuda.matmul.allow_tf32 = a.tf32 == "on"
    device = torch.device("cuda")
    _, build, shape = bts.CASES[a.case]
    torch.manual_seed(0)
    model = build().to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    xs = [torch.rand(shape, device=device) * 2 - 1 for _ in range(2)]

    def step(i):
        _, loss, _ = model(xs[i % 2])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for i in range(10):
        step(i)
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for i in range(a.steps):
            step(i)
        torch.cuda.synchronize()
    print(f"case {a.case} {tuple(shape)}, TF32 {a.tf32}, {a.steps} steps; times below are totals over them")
    print(prof.key_averages().table(sort_by="self_cuda_time_total", row_limit=a.rows, max_name_column_width=90))


if __name__ == "__main__":
    main()
