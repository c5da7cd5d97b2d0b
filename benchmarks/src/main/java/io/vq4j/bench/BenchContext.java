package io.vq4j.bench;

import io.vq4j.cuda.CudaTimer;
import io.vq4j.ops.CpuOps;
import io.vq4j.ops.CudaOps;

import java.util.Map;
import java.util.function.IntConsumer;

/** What every GPU case needs: both backends, the floors, and the timing settings. */
record BenchContext(CudaOps gpu, CpuOps cpu, Floors floors, int reps) {
    /** Warm-up runs: at least 5 (as bench_ops.py), and at least one per input set. */
    static final int MIN_WARMUP = 5;

    /** Times {@code body(run)} with CUDA events (warm-up, then {@code reps} runs) and makes the row. */
    Row timed(Workload w, int sets, Check check, Map<String, Object> extra, IntConsumer body) {
        CudaTimer.Stats s = CudaTimer.time(gpu.runtime().stream(), Math.max(MIN_WARMUP, sets), reps, body);
        return new Row(w, s, w.floorMs(floors), check, sets, extra);
    }
}
