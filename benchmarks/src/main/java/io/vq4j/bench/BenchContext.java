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

    /**
     * Wall time of the JIT warm-up before each op's timed runs. Java compiles the host side of a
     * call (argument records, launches, the block cache) only after some hundreds of calls; until
     * then the device waits on the host. Measured on the H100: nearest+quantize at N=524288, D=64,
     * K=256 had a median of 0.461 ms after 5 warm-up calls and 0.378 ms over 300 runs, against
     * 0.32 ms of device time when calls are queued back to back (LaunchCost). PyTorch's eager host
     * path is CPython, which warm-up does not change, so bench_ops.py's 5 calls suffice there.
     */
    static final long JIT_WARMUP_NANOS = 1_000_000_000L;
    /** At most this many JIT warm-up calls (a 10 us op reaches them before the second is up). */
    static final int MAX_JIT_WARMUP = 20_000;

    /**
     * Times {@code body(run)} with CUDA events (JIT warm-up, warm-up, then {@code reps} runs) and
     * makes the row.
     */
    Row timed(Workload w, int sets, Check check, Map<String, Object> extra, IntConsumer body) {
        var stream = gpu.runtime().stream();
        long t0 = System.nanoTime();
        for (int i = 0; i < MAX_JIT_WARMUP && System.nanoTime() - t0 < JIT_WARMUP_NANOS; i++) {
            body.accept(i);
            stream.synchronize(); // one call in flight, as in the timed runs
        }
        CudaTimer.Stats s = CudaTimer.time(stream, Math.max(MIN_WARMUP, sets), reps, body);
        return new Row(w, s, w.floorMs(floors), check, sets, extra);
    }
}
