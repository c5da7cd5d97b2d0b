#!/usr/bin/env bash
# Called by Maven (generate-resources): builds target/kernels/vq4j_kernels.fatbin with cmake + nvcc.
# Without nvcc the build goes on and says so once: the CPU backend works, the CUDA backend
# reports "kernels not built" from Cuda.unavailableReason().
# VQ4J_SKIP_KERNELS=1 skips the build on purpose; VQ4J_NVCC=/path/to/nvcc picks the compiler
# (default: nvcc on the PATH, then /usr/local/cuda/bin/nvcc).
set -euo pipefail
target=${1:?usage: build-kernels.sh TARGET_DIR}
here=$(cd "$(dirname "$0")" && pwd)
out=$target/kernels
if [[ ${VQ4J_SKIP_KERNELS:-0} == 1 ]]; then echo "[vq4j] VQ4J_SKIP_KERNELS=1: GPU kernels not built"; exit 0; fi
if [[ -n ${VQ4J_NVCC+set} ]]; then
  nvcc_bin=$VQ4J_NVCC
else
  nvcc_bin=$(command -v nvcc || true)
  [[ -z $nvcc_bin && -x /usr/local/cuda/bin/nvcc ]] && nvcc_bin=/usr/local/cuda/bin/nvcc
fi
if [[ -z $nvcc_bin || ! -x $nvcc_bin ]]; then
  echo "[vq4j] nvcc not found${nvcc_bin:+ at $nvcc_bin}: the GPU kernels were NOT built (the CPU backend still works)."
  exit 0
fi
command -v cmake >/dev/null || { echo "[vq4j] cmake is required to build the kernels (nvcc was found)"; exit 1; }
mkdir -p "$target/cmake-kernels" "$out"
cmake -S "$here" -B "$target/cmake-kernels" -DNVCC="$nvcc_bin" -DOUT_DIR="$out" >/dev/null
cmake --build "$target/cmake-kernels"
