package io.vq4j.cuda;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * Times GPU work with CUDA events on a stream: warm-up runs first (module load, allocator pools
 * and caches stay out of the numbers), then each timed run between two events; the statistics
 * are over the per-run times. The body gets the run number, so it can rotate among several input
 * sets (pass {@code i % sets}) and keep the L2 cache from flattering small sizes.
 */
public final class CudaTimer {
    private CudaTimer() {}

    /** Per-run milliseconds, sorted, with the usual summaries. */
    public record Stats(double[] sortedMillis) {
        public double median() {
            double[] t = sortedMillis;
            int n = t.length;
            return n % 2 == 1 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
        }
        public double min() { return sortedMillis[0]; }
        public double max() { return sortedMillis[sortedMillis.length - 1]; }
        public double percentile(double p) {
            int i = (int) Math.round(p / 100.0 * (sortedMillis.length - 1));
            return sortedMillis[Math.max(0, Math.min(sortedMillis.length - 1, i))];
        }
        public int runs() { return sortedMillis.length; }
    }

    /** Runs {@code body} warmup + reps times on {@code stream}'s device; times the last reps. */
    public static Stats time(CudaStream stream, int warmup, int reps, IntConsumer body) {
        if (reps < 1) throw new IllegalArgumentException("reps must be >= 1, got " + reps);
        CudaContext ctx = stream.context();
        for (int i = 0; i < warmup; i++) body.accept(i);
        stream.synchronize();
        double[] ms = new double[reps];
        try (CudaEvent start = new CudaEvent(ctx); CudaEvent end = new CudaEvent(ctx)) {
            for (int i = 0; i < reps; i++) {
                start.record(stream);
                body.accept(warmup + i);
                end.record(stream);
                end.synchronize();
                ms[i] = end.elapsedMillisSince(start);
            }
        }
        Arrays.sort(ms);
        return new Stats(ms);
    }
}
