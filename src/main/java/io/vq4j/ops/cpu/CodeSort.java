package io.vq4j.ops.cpu;

/**
 * Stable counting sort of vector numbers by their code: the CPU's way to a segment sum without a
 * one-hot matrix. {@code order[start[k] .. start[k+1])} lists, in increasing n, the vectors
 * assigned to code k; {@code counts[k] = start[k+1] - start[k]}.
 *
 * <p>Parallel and deterministic: each chunk of [0, N) (fixed boundaries, see {@link Parallel})
 * histograms its indices, an exclusive scan over (code, chunk) gives every chunk its write
 * positions, and a second pass scatters. Chunks hold at least {@code max(K, GRAIN)} indices so the
 * per-chunk histograms cost O(N + K) memory in all. Indices must already be in [0, K)
 * (see {@link #firstOutOfRange}).
 */
public final class CodeSort {
    private static final int GRAIN = 1 << 15;

    private final int[] counts, start, order;

    private CodeSort(int[] counts, int[] start, int[] order) {
        this.counts = counts;
        this.start = start;
        this.order = order;
    }

    /** Per-code counts {@code [K]} (owned by this object; do not modify). */
    public int[] counts() { return counts; }

    /** Exclusive scan of counts, {@code [K + 1]}: code k's vectors sit at order[start[k] .. start[k+1]). */
    public int[] start() { return start; }

    /** Vector numbers grouped by code, ascending within each code, {@code [N]}. */
    public int[] order() { return order; }

    /**
     * The smallest position whose index is outside [0, k), or -1 when all are inside.
     * Parallel; the answer does not depend on the chunking (each chunk reports its first, the
     * lowest chunk with one wins).
     */
    public static long firstOutOfRange(int[] idx, int k) {
        int n = idx.length;
        int chunks = Parallel.chunkCount(n, GRAIN);
        int[] firstBad = new int[Math.max(chunks, 1)];
        java.util.Arrays.fill(firstBad, -1);
        Parallel.forChunks(n, GRAIN, (c, from, to) -> {
            for (int i = from; i < to; i++) {
                // one unsigned compare covers both < 0 and >= k
                if (Integer.compareUnsigned(idx[i], k) >= 0) {
                    firstBad[c] = i;
                    return;
                }
            }
        });
        for (int b : firstBad) if (b >= 0) return b;
        return -1;
    }

    /** Per-code counts of {@code idx} (values in [0, k)). */
    public static int[] counts(int[] idx, int k) {
        int n = idx.length;
        int grain = Math.max(GRAIN, k);
        int chunks = Parallel.chunkCount(n, grain);
        int[] hist = new int[Math.max(chunks, 1) * k];
        histogram(idx, k, grain, hist);
        int[] counts = new int[k];
        for (int c = 0; c < chunks; c++) {
            int base = c * k;
            for (int j = 0; j < k; j++) counts[j] += hist[base + j];
        }
        return counts;
    }

    /** The stable sort of [0, N) by {@code idx[n]} (values in [0, k)). */
    public static CodeSort sort(int[] idx, int k) {
        int n = idx.length;
        int grain = Math.max(GRAIN, k);
        int chunks = Parallel.chunkCount(n, grain);
        int[] hist = new int[Math.max(chunks, 1) * k];
        histogram(idx, k, grain, hist);

        // Exclusive scan in (code, chunk) order: chunk c's vectors of code j go after those of
        // chunks < c, which is what makes the scatter stable. hist becomes the write cursors.
        int[] counts = new int[k];
        int[] start = new int[k + 1];
        int run = 0;
        for (int j = 0; j < k; j++) {
            start[j] = run;
            for (int c = 0; c < chunks; c++) {
                int h = hist[c * k + j];
                hist[c * k + j] = run;
                run += h;
            }
            counts[j] = run - start[j];
        }
        start[k] = run;

        int[] order = new int[n];
        Parallel.forChunks(n, grain, (c, from, to) -> {
            int base = c * k;
            for (int i = from; i < to; i++) order[hist[base + idx[i]]++] = i;
        });
        return new CodeSort(counts, start, order);
    }

    private static void histogram(int[] idx, int k, int grain, int[] hist) {
        Parallel.forChunks(idx.length, grain, (c, from, to) -> {
            int base = c * k;
            for (int i = from; i < to; i++) hist[base + idx[i]]++;
        });
    }
}
