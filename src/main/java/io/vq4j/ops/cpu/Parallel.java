package io.vq4j.ops.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Parallel loops for the CPU twins: splits [0, n) into chunks of at least {@code grain}
 * iterations on the common fork-join pool. Chunk boundaries depend only on n, grain and the
 * pool's parallelism, so per-chunk partial results combined in chunk order are deterministic
 * for a given machine.
 *
 * <p>The thread count is the pool's parallelism plus one: the calling thread works too (an
 * external caller of {@code invoke} runs tasks while it waits), and on a 2-core machine the
 * common pool has parallelism 1, so counting only the pool would run everything serially.
 */
public final class Parallel {
    private Parallel() {}

    /** A body over a half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /** Runs {@code body} over [0, n) in parallel chunks of at least {@code grain} iterations. */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int threads = threads();
        if (n <= grain || threads <= 1) {
            body.run(0, n);
            return;
        }
        int chunks = Math.min(threads * 4, (n + grain - 1) / grain);
        ForkJoinPool.commonPool().invoke(new Split(body, n, chunks, 0, chunks));
    }

    /** Number of chunks {@link #forChunks} uses for n iterations (fixed for a given n and grain). */
    public static int chunkCount(int n, int grain) {
        if (n <= 0) return 0;
        int threads = threads();
        if (n <= grain || threads <= 1) return 1;
        return Math.min(threads * 4, (n + grain - 1) / grain);
    }

    /** A body over chunk c, which covers [from, to). */
    @FunctionalInterface
    public interface ChunkBody {
        void run(int chunk, int from, int to);
    }

    /**
     * Runs {@code body} for each of {@link #chunkCount}(n, grain) chunks in parallel, telling it
     * the chunk number, so callers can keep per-chunk partial sums and combine them in order.
     */
    public static void forChunks(int n, int grain, ChunkBody body) {
        int chunks = chunkCount(n, grain);
        if (chunks == 0) return;
        if (chunks == 1) {
            body.run(0, 0, n);
            return;
        }
        ForkJoinPool.commonPool().invoke(new ChunkSplit(body, n, chunks, 0, chunks));
    }

    /** Threads that can run chunks: the pool's workers and the caller. */
    private static int threads() { return ForkJoinPool.getCommonPoolParallelism() + 1; }

    static int start(int n, int chunks, int c) { return (int) ((long) n * c / chunks); }

    private static final class Split extends RecursiveAction {
        final RangeBody body; final int n, chunks, lo, hi;
        Split(RangeBody body, int n, int chunks, int lo, int hi) {
            this.body = body; this.n = n; this.chunks = chunks; this.lo = lo; this.hi = hi;
        }
        @Override protected void compute() {
            if (hi - lo == 1) {
                body.run(start(n, chunks, lo), start(n, chunks, hi));
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new Split(body, n, chunks, lo, mid), new Split(body, n, chunks, mid, hi));
        }
    }

    private static final class ChunkSplit extends RecursiveAction {
        final ChunkBody body; final int n, chunks, lo, hi;
        ChunkSplit(ChunkBody body, int n, int chunks, int lo, int hi) {
            this.body = body; this.n = n; this.chunks = chunks; this.lo = lo; this.hi = hi;
        }
        @Override protected void compute() {
            if (hi - lo == 1) {
                body.run(lo, start(n, chunks, lo), start(n, chunks, hi));
                return;
            }
            int mid = (lo + hi) >>> 1;
            invokeAll(new ChunkSplit(body, n, chunks, lo, mid), new ChunkSplit(body, n, chunks, mid, hi));
        }
    }
}
