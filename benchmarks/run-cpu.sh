#!/usr/bin/env bash
# vq4j against PyTorch on this machine's CPU, in one command from the repo root:
#   benchmarks/run-cpu.sh [OUT_DIR]
# Builds (the library into ~/.m2, then benchmarks/target/benchmarks.jar), runs PyTorch's side
# (benchmarks/pytorch/bench_ops_cpu.py with Debian's python3-torch, 2 threads) and vq4j's JMH
# benchmarks (sample mode, so both sides report the median per call), then prints the merged
# table last. Everything goes to OUT_DIR (default $OUT if set, else benchmarks/results/cpu-<date>).
# JMH_ARGS replaces the JMH selection and options (default: every benchmark, sample mode, 1 fork);
# SKIP_BUILD=1 uses the jar as built. Needs: apt-get install -y python3-torch libopenblas0-pthread
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-${OUT:-benchmarks/results/cpu-$(date +%Y%m%d-%H%M%S)}}
py=/usr/bin/python3
if ! $py -c 'import torch' 2>/dev/null; then
  echo "run-cpu: $py has no torch; apt-get install -y python3-torch libopenblas0-pthread" >&2; exit 2
fi
mkdir -p "$out"
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  echo "== build: the library into ~/.m2, then benchmarks/target/benchmarks.jar"
  ./jdk25 mvn -q -B install -DskipTests
  (cd benchmarks && ../jdk25 mvn -q -B package -DskipTests)
fi

echo "== PyTorch: bench_ops_cpu.py -> $out/torch_cpu.json"
$py benchmarks/pytorch/bench_ops_cpu.py --out "$out/torch_cpu.json" --threads 2 2>&1 | tee "$out/torch_cpu.log"

echo "== vq4j: JMH -> $out/jmh.json"
# shellcheck disable=SC2086  # JMH_ARGS is a list of words
./jdk25 java -jar benchmarks/target/benchmarks.jar ${JMH_ARGS:--bm sample -f 1 -foe true} \
  -rf json -rff "$out/jmh.json" 2>&1 | tee "$out/jmh.log"

echo "== report -> $out/merged.json, $out/table.md"
$py benchmarks/report.py --torch "$out/torch_cpu.json" --jmh "$out/jmh.json" --out "$out/merged.json" > "$out/table.md"
echo
cat "$out/table.md"
