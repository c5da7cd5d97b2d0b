#!/usr/bin/env bash
# Per-kernel GPU time of one training-step case, vq4j against PyTorch eager, on the GPU machine:
#   bash benchmarks/profile-step.sh OUT_DIR [vqvae256|vae512]
# vq4j: Nsight Compute (gpu__time_duration only, so one pass a kernel) over GpuBench's timed steps
# of that case (FP32), summarised per kernel name; PyTorch: profile_train_step.py (torch.profiler).
# Needs the kit (bash ../shared/gpu/kit.sh with the benchmarks jar as KIT_EXTRA) and ncu.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: profile-step.sh OUT_DIR [vqvae256|vae512]}; case=${2:-vqvae256}
mkdir -p "$out"
only=$([[ $case == vae512 ]] && echo "train step ConvVAE" || echo "train step ConvVQVAE")
NCU=${NCU:-/usr/local/cuda/bin/ncu}
JAVA_OPTS="-Dvq4j.checks=false ${JAVA_OPTS:-}" $NCU --target-processes all --metrics gpu__time_duration.sum --csv \
  bash .gpu/run.sh java io.vq4j.bench.GpuBench --out "$out/step.json" --only "$only" --reps 30 \
  > "$out/vq4j_ncu_$case.csv" 2> "$out/vq4j_ncu_$case.log" || true
${PYTHON:-python3} benchmarks/kernel_summary.py "$out/vq4j_ncu_$case.csv" > "$out/vq4j_kernels_$case.txt"
(cd benchmarks/pytorch && ${PYTHON:-python3} profile_train_step.py --case "$case" --tf32 off) > "$out/torch_prof_$case.txt" 2>&1
