package io.vq4j.nn;

import java.util.SplittableRandom;

/**
 * Deterministic parameter initialisation with PyTorch's default distributions, from one model
 * seed. Layers draw from it in construction order, so the same seed and the same architecture
 * give the same weights on every backend (values differ from PyTorch's: another generator).
 */
public final class Init {
    private final SplittableRandom random;

    public Init(long seed) { this.random = new SplittableRandom(seed); }

    /** {@code n} values uniform in {@code [-bound, bound)}. */
    public float[] uniform(int n, double bound) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        return a;
    }

    /**
     * The bound of {@code kaiming_uniform_(a = sqrt(5))}, PyTorch's default for conv and linear
     * weights: {@code gain = sqrt(2 / (1 + a^2)) = sqrt(1/3)}, {@code bound = gain * sqrt(3 / fan_in)
     * = 1 / sqrt(fan_in)}; the bias bound is the same {@code 1 / sqrt(fan_in)}.
     */
    public static double fanInBound(long fanIn) {
        if (fanIn < 1) throw new IllegalArgumentException("fan_in must be >= 1, got " + fanIn);
        return 1.0 / Math.sqrt(fanIn);
    }

    static float[] filled(int n, float value) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, value);
        return a;
    }
}
