package io.vq4j.ops.cpu;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU's polynomial Box-Muller ({@link Philox#pair}) and fp32 sample ({@link ReparamBlocks})
 * against StrictMath in double, over random words and the edges of every reduction.
 */
class FastNormalsTest {

    /** The pair from the documented formula with StrictMath: {r cos, r sin}. */
    private static double[] ref(int wa, int wb) {
        double ua = ((wa >>> 9) + 0.5) / (1 << 23), ub = ((wb >>> 9) + 0.5) / (1 << 23);
        double r = StrictMath.sqrt(-2 * StrictMath.log(ua));
        return new double[] {r * StrictMath.cos(2 * Math.PI * ub), r * StrictMath.sin(2 * Math.PI * ub)};
    }

    private static void checkPair(int wa, int wb) {
        float[] out = new float[2];
        Philox.pair(wa, wb, out, 0);
        double[] want = ref(wa, wb);
        for (int i = 0; i < 2; i++) {
            double w = want[i];
            float g = out[i];
            // Rounded once from a double within ~1e-13 relative: the nearest float, or its neighbour at
            // a rounding tie. Absolute slack for values near a zero of cos/sin (the angle's own rounding).
            double tol = Math.ulp((float) w) + 1e-12;
            int ii = i;
            assertTrue(Math.abs(g - w) <= tol, () -> String.format("words %08x %08x lane %d: got %s, StrictMath %s",
                    wa, wb, ii, g, w));
        }
    }

    @Test
    void pairMatchesStrictMathToAnUlp() {
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 300_000; i++) checkPair(r.nextInt(), r.nextInt());
        // Edges: u_a at 2^-24 and 1 - 2^-24, mantissa boundaries (powers of two, sqrt 2), and u_b at
        // and around every quadrant boundary n/4 (words 2^30 n, give or take the dropped bits).
        int[] radius = {0, -1, 0x1FF, 0x200, 0x3FF, 1 << 9, 1 << 10, 1 << 20, 1 << 31, 0x7FFFFFFF, 0xB504F333, 0x5A827999};
        for (int wa : radius) {
            for (int n = 0; n < 4; n++) {
                int base = n << 30;
                for (int d : new int[] {-1024, -512, -1, 0, 1, 511, 512, 1023}) checkPair(wa, base + d);
            }
        }
    }

    /**
     * Long draws go through {@link Philox#rounds} and {@link BoxMullerLanes} (LANES blocks at a
     * time); short ones and the ends through {@link Philox#block} and {@code pair}. Every element of
     * both must follow the mapping to an ulp, from any start.
     */
    @Test
    void bulkDrawsMatchStrictMathFromAnyStart() {
        int count = 5 * 4 * Philox.LANES + 7;
        float[] out = new float[count + 3];
        long[][] draws = {{0, 0, 0}, {77, 5, 3}, {-1, (1L << 32) + 9, (1L << 32) - 2}, {0x5eed, 3, 1_000_001}};
        for (long[] d : draws) {
            long seed = d[0], offset = d[1], first = d[2];
            Philox.normals(seed, offset, first, out, 3, count);
            int[] w = new int[4];
            for (int j = 0; j < count; j++) {
                long i = first + j, q = i >>> 2;
                Philox.block((int) q, (int) (q >>> 32), (int) offset, (int) (offset >>> 32), (int) seed, (int) (seed >>> 32), w);
                int lane = (int) (i & 3), a = lane & ~1;
                double want = ref(w[a], w[a + 1])[lane & 1];
                float got = out[3 + j];
                long ii = i;
                assertTrue(Math.abs(got - want) <= Math.ulp((float) want) + 1e-12,
                        () -> "seed " + seed + " element " + ii + ": got " + got + ", StrictMath " + want);
            }
        }
    }

    @Test
    void sampleMatchesTheDoubleFormula() {
        SplittableRandom r = new SplittableRandom(4);
        int n = 3 * ReparamBlocks.BLOCK + 37;
        float[] mu = new float[n], lv = new float[n], eps = new float[n], z = new float[n];
        for (int i = 0; i < n; i++) {
            mu[i] = (float) r.nextGaussian();
            eps[i] = (float) r.nextGaussian();
            lv[i] = (float) (r.nextDouble() * 400 - 200); // beyond +-174: the double fallback
        }
        lv[0] = 0f;
        lv[1] = 174f;
        lv[2] = Math.nextUp(174f);
        lv[3] = -174f;
        lv[4] = 176f;
        lv[5] = 180f; // e^90 * eps overflows float in either formula
        ReparamBlocks.sample(mu, lv, eps, z, 0, n);
        for (int i = 0; i < n; i++) {
            double std = Math.exp(0.5 * lv[i]), want = mu[i] + std * eps[i];
            double tol = 2.5e-7 * (Math.abs(mu[i]) + std * Math.abs(eps[i])) + 1e-44;
            int ii = i;
            if (Double.isInfinite((float) want)) {
                assertTrue(z[i] == (float) want, () -> "element " + ii + ": overflow expected, got " + z[ii]);
            } else {
                assertTrue(Math.abs(z[i] - want) <= tol, () -> "element " + ii + " logvar " + lv[ii] + ": got " + z[ii]
                        + ", double gives " + want);
            }
        }
        // In place (eps is z), at an offset range: the same values.
        float[] e2 = eps.clone();
        ReparamBlocks.sample(mu, lv, e2, e2, 5, n);
        for (int i = 5; i < n; i++) assertTrue(e2[i] == z[i], "in place, element " + i);
    }
}
