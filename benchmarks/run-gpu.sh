#!/usr/bin/env bash
# The GPU benchmark in one command, on the GPU machine, from the repo root:
#   bash benchmarks/run-gpu.sh [OUT_DIR] [--quick]
# Runs PyTorch's side (benchmarks/pytorch/bench_ops.py, then bench_train_step.py with TF32 off and
# on), then vq4j's (io.vq4j.bench.GpuBench with the kit's Java, -Dvq4j.checks=false), then
# benchmarks/report.py, all into OUT_DIR (default $OUT if set, else benchmarks/results/<date>):
# torch.json, train_fp32.json, train_tf32.json, vq4j.json, merged.json, table.md and logs.
# The table is printed last. --quick: the smaller sizes of both sides (a smoke run).
# TRAIN_MODES picks bench_train_step.py's modes (default "eager compile").
# PYTHON picks the interpreter with CUDA torch (default python3); JAVA_OPTS adds JVM options;
# GPUBENCH_ARGS adds GpuBench options (e.g. --only TEXT: only the rows whose op contains TEXT).
#
# Beforehand, on the build machine (the GPU machine has no Java, no Maven, no network):
#   ./jdk25 mvn -q -B install -DskipTests                        # the library into ~/.m2
#   (cd benchmarks && ../jdk25 mvn -q -B package -DskipTests)    # benchmarks/target/benchmarks.jar
#   KIT_EXTRA=benchmarks/target/benchmarks.jar bash ../shared/gpu/kit.sh   # .gpu/, GpuBench on its classpath
# and ship .gpu/ along with the tree. Exit status: 0, or 1 when a side failed or a check did not pass.
set -uo pipefail
cd "$(dirname "$0")/.."
quick=()
out=""
for a in "$@"; do
  case $a in
    --quick) quick=(--quick) ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    -*) echo "run-gpu: unknown option $a" >&2; exit 2 ;;
    *) out=$a ;;
  esac
done
out=${out:-${OUT:-benchmarks/results/$(date +%Y%m%d-%H%M%S)}}
py=${PYTHON:-python3}
if [[ ! -f .gpu/run.sh ]]; then
  echo "run-gpu: no .gpu/ kit here; build it first (see the top of benchmarks/run-gpu.sh)" >&2; exit 2
fi
if [[ ! -f .gpu/cp/benchmarks.jar ]]; then
  echo "run-gpu: the kit has no benchmarks.jar: rebuild it with KIT_EXTRA=benchmarks/target/benchmarks.jar" >&2; exit 2
fi
mkdir -p "$out"
status=0

echo "== PyTorch: bench_ops.py -> $out/torch.json"
$py benchmarks/pytorch/bench_ops.py --out "$out/torch.json" "${quick[@]}" 2>&1 | tee "$out/torch.log"
rc=${PIPESTATUS[0]}
if ((rc)); then echo "run-gpu: bench_ops.py exited $rc: the PyTorch columns will print '-'"; status=1; fi

for tf in off on; do
  name=train_$([[ $tf == off ]] && echo fp32 || echo tf32)
  echo "== PyTorch: bench_train_step.py --tf32 $tf -> $out/$name.json"
  # shellcheck disable=SC2086
  $py benchmarks/pytorch/bench_train_step.py --tf32 $tf --modes ${TRAIN_MODES:-eager compile} \
    --out "$out/$name.json" "${quick[@]}" 2>&1 | tee "$out/$name.log"
  rc=${PIPESTATUS[0]}
  if ((rc)); then echo "run-gpu: bench_train_step.py --tf32 $tf exited $rc: its columns may print '-'"; status=1; fi
done

echo "== vq4j: GpuBench -> $out/vq4j.json"
JAVA_OPTS="-Dvq4j.checks=false ${JAVA_OPTS:-}" bash .gpu/run.sh java io.vq4j.bench.GpuBench \
  --out "$out/vq4j.json" "${quick[@]}" ${GPUBENCH_ARGS:-} 2>&1 | tee "$out/vq4j.log"
rc=${PIPESTATUS[0]}
if ((rc)); then echo "run-gpu: GpuBench exited $rc (1: a correctness check failed, see the check column)"; status=1; fi

echo "== report -> $out/merged.json, $out/table.md"
if ! $py benchmarks/report.py --torch "$out/torch.json" --vq4j "$out/vq4j.json" \
    --train "$out/train_fp32.json" --train "$out/train_tf32.json" --out "$out/merged.json" > "$out/table.md"; then
  echo "run-gpu: report.py failed"; status=1
fi
echo
cat "$out/table.md"
exit $status
