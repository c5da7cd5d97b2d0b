package io.vq4j.bench;

import java.util.SplittableRandom;

/** Seeded random inputs for the benchmarks: the same arrays every run, so runs are comparable. */
final class BenchData {
    private BenchData() {}

    /** {@code n} standard normal floats. */
    static float[] normal(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    /** {@code n} floats uniform in [lo, hi). */
    static float[] uniform(long seed, int n, float lo, float hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * (float) r.nextDouble();
        return a;
    }

    /** {@code n} indices uniform in [0, k). */
    static int[] indices(long seed, int n, int k) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = r.nextInt(k);
        return a;
    }
}
