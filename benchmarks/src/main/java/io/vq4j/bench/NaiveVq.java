package io.vq4j.bench;

/**
 * The plain single-thread VQ loops the JMH benchmarks pair with vq4j's CPU twins: what a first
 * Java implementation writes (distance to every code, keep the smallest; a scatter-add for the
 * codebook gradient). No threads, no blocking, and a float reduction C2 keeps in order (so it
 * does not vectorise): the baseline that shows what the library's loops buy.
 */
final class NaiveVq {
    private NaiveVq() {}

    /** Index of the nearest code for each row of z {@code [n, d]} (ties: the lowest index). */
    static int[] nearest(float[] z, float[] codebook, int n, int d, int k) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            int zo = i * d;
            float best = Float.POSITIVE_INFINITY;
            int bestK = 0;
            for (int c = 0; c < k; c++) {
                int eo = c * d;
                float s = 0f;
                for (int j = 0; j < d; j++) {
                    float t = z[zo + j] - codebook[eo + j];
                    s += t * t;
                }
                if (s < best) {
                    best = s;
                    bestK = c;
                }
            }
            idx[i] = bestK;
        }
        return idx;
    }

    /** What {@link #backward} returns: the gradients for z and the codebook, and per-code counts. */
    record Grads(float[] gradZ, float[] gradCodebook, int[] counts) {}

    /**
     * The VQ layer's backward, as {@code Ops.vqBackward} defines it:
     * {@code gradZ = gradOut + beta * 2/(n*d) * (z - e[idx])} and
     * {@code gradCodebook[k] = 2/(n*d) * sum_{idx_i = k} (e_k - z_i)}.
     */
    static Grads backward(float[] gradOut, float[] z, float[] codebook, int[] idx, int n, int d, int k, float beta) {
        float[] gz = new float[n * d];
        float[] ge = new float[k * d];
        int[] counts = new int[k];
        float scale = 2f / ((float) n * d);
        for (int i = 0; i < n; i++) {
            int c = idx[i];
            counts[c]++;
            int zo = i * d, eo = c * d;
            for (int j = 0; j < d; j++) {
                float diff = z[zo + j] - codebook[eo + j];
                gz[zo + j] = gradOut[zo + j] + beta * scale * diff;
                ge[eo + j] -= scale * diff;
            }
        }
        return new Grads(gz, ge, counts);
    }
}
