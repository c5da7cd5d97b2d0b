package io.vq4j.ops.cpu;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * KlTerms' fp32 polynomial terms against {@code mu^2 + (expm1(x) - x)} in double, element by
 * element (a sum of one), over every region: the series near 0, the exponential form out to
 * +-87, the double fallback beyond, and the region boundaries from both sides.
 */
class KlTermsTest {
    /** The documented bound: about 4e-7 relative per term (6 u for f, plus u for the fma). */
    private static final double REL = 4.5e-7;

    private static double ref(float mu, float x) {
        double m = mu;
        return m * m + (Math.expm1(x) - x);
    }

    private static void check(float mu, float x) {
        float[] m = {mu}, lv = {x};
        double got = KlTerms.sum(m, lv, 0, 1), want = ref(mu, x);
        assertTrue(Math.abs(got - want) <= REL * want + 1e-44,
                () -> "mu=" + mu + " logvar=" + x + ": got " + got + ", double gives " + want
                        + " (rel " + Math.abs(got - want) / want + ")");
    }

    @Test
    void everyTermIsWithinTheStatedBound() {
        // A dense sweep of logvar with mu = 0 (the term is f alone: the hardest case), and with mu.
        for (double x = -100; x <= 100; x += 0.00137) {
            check(0f, (float) x);
            check(0.3f, (float) x);
        }
        // Range ends, and the series/exponential switch at k = round(x log2 e) = -1.5 and 2.5.
        float[] edges = {-87f, -1.5f * 0.6931472f, 0f, 2.5f * 0.6931472f, 87f};
        for (float e : edges) {
            float lo = e, hi = e;
            for (int i = 0; i < 50; i++) {
                check(0f, lo);
                check(0f, hi);
                lo = Math.nextDown(lo);
                hi = Math.nextUp(hi);
            }
        }
        for (float tiny : new float[] {1e-3f, -1e-3f, 1e-9f, -1e-9f, 1e-30f, Float.MIN_VALUE}) check(0f, tiny);
    }

    /** Long ranges: several blocks, a tail, a block holding one out-of-range logvar, and huge mu. */
    @Test
    void sumsOverRangesMatchTheDoubleSum() {
        SplittableRandom r = new SplittableRandom(7);
        int n = 3 * KlTerms.BLOCK + 13;
        float[] mu = new float[n + 5], lv = new float[n + 5];
        for (int i = 0; i < mu.length; i++) {
            mu[i] = (float) (r.nextGaussian() * 2);
            lv[i] = (float) (r.nextDouble() * 20 - 10);
        }
        lv[KlTerms.BLOCK + 7] = 95f; // the double fallback for this block
        for (int[] range : new int[][] {{0, n}, {5, n + 5}, {3, 4}, {KlTerms.BLOCK - 1, 2 * KlTerms.BLOCK + 1}}) {
            double want = 0;
            for (int i = range[0]; i < range[1]; i++) want += ref(mu[i], lv[i]);
            double got = KlTerms.sum(mu, lv, range[0], range[1]);
            assertEquals(want, got, REL * want, "range " + range[0] + ".." + range[1]);
        }
        // mu^2 beyond float's range: the fp32 term overflows; the range is redone in double.
        float[] big = {3e19f, 1f}, lv2 = {0.5f, -2f};
        double want = ref(big[0], lv2[0]) + ref(big[1], lv2[1]);
        assertEquals(want, KlTerms.sum(big, lv2, 0, 2), REL * want);
        assertEquals(0.0, KlTerms.sum(new float[4], new float[4], 0, 4), "all zero: exactly 0");
    }
}
