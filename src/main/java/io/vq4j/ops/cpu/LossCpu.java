package io.vq4j.ops.cpu;

/** CPU twin of cuda/loss.cu: the MSE value and gradient in one pass, deterministic. */
public final class LossCpu {
    private LossCpu() {}

    /**
     * Writes {@code grad[i] = gradScale * (2 * (p[i] - t[i]))} (when grad is not null) and returns
     * {@code sum (p - t)^2} in double, from per-chunk partials combined in chunk order.
     */
    public static double mse(float[] p, float[] t, float[] grad, float gradScale) {
        int n = p.length, grain = 1 << 15;
        double[] partial = new double[Parallel.chunkCount(n, grain)];
        Parallel.forChunks(n, grain, (c, from, to) -> {
            double s = 0;
            for (int i = from; i < to; i++) {
                float e = p[i] - t[i];
                if (grad != null) grad[i] = gradScale * (2f * e);
                s += (double) e * e;
            }
            partial[c] = s;
        });
        double sum = 0;
        for (double s : partial) sum += s;
        return sum;
    }
}
