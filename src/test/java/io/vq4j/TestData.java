package io.vq4j;

import java.util.SplittableRandom;

/** Shared helpers for tests: seeded random data, error measures, poison values. */
public final class TestData {
    private TestData() {}

    /** The bit pattern GPU tests fill outputs with before a run, to catch unwritten elements. */
    public static final int POISON_BITS = 0x7FBADBAD; // a NaN nobody computes
    public static final float POISON = Float.intBitsToFloat(POISON_BITS);

    public static float[] gaussian(long seed, int n, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    public static float[] uniform(long seed, int n, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextDouble(lo, hi);
        return a;
    }

    public static int[] ints(long seed, int n, int bound) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = r.nextInt(bound);
        return a;
    }

    /** ||a - b|| / ||b|| (||b|| floored at 1e-30). NaN anywhere gives +Inf. */
    public static double relError(float[] a, double[] ref) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i]) || Double.isNaN(ref[i])) return Double.POSITIVE_INFINITY;
            double e = a[i] - ref[i];
            num += e * e;
            den += ref[i] * ref[i];
        }
        return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
    }

    public static double relError(float[] a, float[] ref) {
        double[] r = new double[ref.length];
        for (int i = 0; i < r.length; i++) r[i] = ref[i];
        return relError(a, r);
    }

    /** max |a - b| / (atol + rtol*|b|) over all elements; <= 1 means within tolerance. */
    public static double maxScaledError(float[] a, double[] ref, double atol, double rtol) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i]) || Double.isNaN(ref[i])) return Double.POSITIVE_INFINITY;
            worst = Math.max(worst, Math.abs(a[i] - ref[i]) / (atol + rtol * Math.abs(ref[i])));
        }
        return worst;
    }
}
