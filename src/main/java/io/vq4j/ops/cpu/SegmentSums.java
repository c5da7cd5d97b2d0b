package io.vq4j.ops.cpu;

/**
 * Per-code sums of the vectors assigned to each code, {@code S[k] = sum_{n: idx_n = k} z_n}, in
 * double: the segment sum behind the VQ backward and the EMA update. Reads z in place in either
 * layout: element (n, c) at {@code (b*d + c)*spatial + s} with {@code n = b*spatial + s}
 * (rows are {@code spatial = 1}).
 *
 * <p>Deterministic: a parallel loop over codes, each summing its vectors in the order of a
 * {@link CodeSort} (ascending n), so the result never depends on the thread count.
 */
public final class SegmentSums {
    private SegmentSums() {}

    /** {@code [K * d]} sums, row k = S_k. */
    public static double[] sum(float[] z, int spatial, int d, CodeSort sort) {
        int[] start = sort.start(), order = sort.order();
        int k = start.length - 1;
        double[] out = new double[k * d];
        // grain 1: a code can hold every vector, so split as finely as the pool allows
        Parallel.forRange(k, 1, (from, to) -> {
            double[] acc = new double[d];
            for (int code = from; code < to; code++) {
                java.util.Arrays.fill(acc, 0.0);
                for (int j = start[code]; j < start[code + 1]; j++) {
                    int n = order[j];
                    if (spatial == 1) {
                        addRow(acc, z, n * d, d);
                    } else {
                        int b = n / spatial, s = n - b * spatial;
                        addStrided(acc, z, b * d * spatial + s, spatial, d);
                    }
                }
                System.arraycopy(acc, 0, out, code * d, d);
            }
        });
        return out;
    }

    /** acc += z[base .. base+d): contiguous, so C2 vectorises it. */
    private static void addRow(double[] acc, float[] z, int base, int d) {
        for (int c = 0; c < d; c++) acc[c] += z[base + c];
    }

    /** acc += z[base + c*stride] (channel-first: the D components of one vector are S apart). */
    private static void addStrided(double[] acc, float[] z, int base, int stride, int d) {
        for (int c = 0; c < d; c++) acc[c] += z[base + c * stride];
    }
}
