package io.vq4j.ops;

import io.vq4j.ops.cpu.Philox;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Philox4x32-10 against Random123's known answers, the documented element mapping, and normal statistics. */
class PhiloxTest {

    // ---- known answers (Random123 kat_vectors, philox4x32_10) ---------------------------------

    @Test
    void knownAnswerVectors() {
        assertBlock(new int[] {0, 0, 0, 0}, new int[] {0, 0},
                new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
        assertBlock(new int[] {-1, -1, -1, -1}, new int[] {-1, -1},
                new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
        assertBlock(new int[] {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, new int[] {0xa4093822, 0x299f31d0},
                new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
    }

    private static void assertBlock(int[] ctr, int[] key, int[] expected) {
        int[] out = new int[4];
        Philox.block(ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1], out);
        assertArrayEquals(expected, out, () -> "Philox4x32-10 ctr=" + hex(ctr) + " key=" + hex(key)
                + ": expected " + hex(expected) + ", got " + hex(out));
    }

    private static String hex(int[] a) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < a.length; i++) b.append(i == 0 ? "" : " ").append(String.format("%08x", a[i]));
        return b.append(')').toString();
    }

    @Test
    void uniformIsExactAndStrictlyInsideTheUnitInterval() {
        assertEquals(0x1.0p-24f, Philox.uniform(0));
        assertEquals(1f - 0x1.0p-24f, Philox.uniform(-1)); // all ones: (2^23 - 1 + 0.5) * 2^-23
        assertEquals(0.5f + 0x1.0p-24f, Philox.uniform(0x80000000));
        assertEquals(Philox.uniform(0x1FF), Philox.uniform(0), "the low 9 bits are dropped");
    }

    // ---- the mapping of element i to counter, key and lane ------------------------------------

    /**
     * Normal {@code i} of the draw (seed, offset), in double, written from the mapping in Philox's
     * javadoc (not from its code): counter (lo32(i/4), hi32(i/4), lo32(offset), hi32(offset)),
     * key (lo32(seed), hi32(seed)), lane i%4, Box-Muller on lanes (0,1) and (2,3).
     */
    static double refNormal(long seed, long offset, long i) {
        long q = i / 4;
        int[] w = new int[4];
        Philox.block((int) q, (int) (q >>> 32), (int) offset, (int) (offset >>> 32), (int) seed, (int) (seed >>> 32), w);
        int lane = (int) (i % 4);
        int a = lane & ~1;
        double ua = ((w[a] >>> 9) + 0.5) / (1 << 23), ub = ((w[a + 1] >>> 9) + 0.5) / (1 << 23);
        double r = StrictMath.sqrt(-2 * StrictMath.log(ua));
        return (lane & 1) == 0 ? r * StrictMath.cos(2 * Math.PI * ub) : r * StrictMath.sin(2 * Math.PI * ub);
    }

    @Test
    void normalsFollowTheDocumentedMapping() {
        long[][] cases = {
                {0, 0, 0}, {1, 0, 5}, {-1, 7, 3}, {0x123456789ABCDEFL, (1L << 32) + 3, 1000},
                {42, 1, (1L << 34) + 5}, {42, Long.MAX_VALUE, (1L << 40) + 2}, {Long.MIN_VALUE, 9, Long.MAX_VALUE - 3},
        };
        float[] out = new float[9];
        for (long[] c : cases) {
            long seed = c[0], offset = c[1], first = c[2];
            int count = (int) Math.min(out.length, Long.MAX_VALUE - first);
            Philox.normals(seed, offset, first, out, 0, count);
            for (int j = 0; j < count; j++) {
                double ref = refNormal(seed, offset, first + j);
                float got = out[j];
                int jj = j;
                assertTrue(Math.abs(got - ref) <= 1e-6 * Math.abs(ref) + 1e-7, () -> "seed=" + seed + " offset=" + offset
                        + " element " + (first + jj) + ": got " + got + ", mapping gives " + ref);
            }
        }
    }

    @Test
    void elementDependsOnlyOnItsIndexNotOnWhereTheDrawStarts() {
        int n = 1003;
        float[] full = new float[n];
        Philox.normals(77, 5, 0, full, 0, n);
        for (int start : new int[] {1, 2, 3, 4, 5, 13, 998, 1002}) {
            float[] part = new float[n - start + 2];
            Philox.normals(77, 5, start, part, 2, n - start); // also at an output offset
            assertArrayEquals(Arrays.copyOfRange(full, start, n), Arrays.copyOfRange(part, 2, part.length),
                    "normals starting at element " + start);
        }
        // Through the op, for any shape: element i is the same.
        try (CpuOps ops = new CpuOps()) {
            float[] flat = ops.standardNormal(77, 5, 1003).toFloatArray();
            assertArrayEquals(full, flat);
            assertArrayEquals(full, ops.standardNormal(77, 5, 17, 59).toFloatArray(), "shape [17, 59]");
            assertArrayEquals(Arrays.copyOf(full, 13), ops.standardNormal(77, 5, 13, 1, 1).toFloatArray(), "shape [13, 1, 1]");
            assertEquals(0, ops.standardNormal(77, 5, 4, 0).numel());
        }
    }

    @Test
    void seedsAndOffsetsGiveDifferentStreams() {
        int n = 4096;
        float[] base = draw(1, 0, n);
        for (float[] other : new float[][] {draw(2, 0, n), draw(1, 1, n), draw(1L << 32 | 1, 0, n), draw(1, 1L << 32, n)}) {
            double c = correlation(base, 0, other, 0, n);
            assertTrue(Math.abs(c) < 5 / Math.sqrt(n), "streams correlate: " + c);
        }
    }

    private static float[] draw(long seed, long offset, int n) {
        float[] a = new float[n];
        Philox.normals(seed, offset, 0, a, 0, n);
        return a;
    }

    // ---- statistics on 10^6 draws --------------------------------------------------------------

    @Test
    void normalsHaveStandardNormalMomentsAndDistribution() {
        int n = 1_000_000;
        float[] x = draw(0x5eed, 3, n);
        double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
        for (float v : x) m1 += v;
        m1 /= n;
        for (float v : x) {
            double d = v - m1;
            m2 += d * d;
            m3 += d * d * d;
            m4 += d * d * d * d;
        }
        m2 /= n;
        double skew = m3 / n / Math.pow(m2, 1.5), kurt = m4 / n / (m2 * m2);
        // Five standard errors each: mean 1/sqrt(n), variance sqrt(2/n), skewness sqrt(6/n), kurtosis sqrt(24/n).
        assertEquals(0, m1, 5 / Math.sqrt(n), "mean");
        assertEquals(1, m2, 5 * Math.sqrt(2.0 / n), "variance");
        assertEquals(0, skew, 5 * Math.sqrt(6.0 / n), "skewness");
        assertEquals(3, kurt, 5 * Math.sqrt(24.0 / n), "kurtosis");
        // Neighbours (the two halves of one Box-Muller pair, and adjacent pairs) are uncorrelated.
        assertTrue(Math.abs(correlation(x, 0, x, 1, n - 1)) < 5 / Math.sqrt(n), "lag-1 correlation");
        assertTrue(Math.abs(correlation(x, 0, x, 2, n - 2)) < 5 / Math.sqrt(n), "lag-2 correlation");

        // Kolmogorov-Smirnov against Phi: D < 1.95 / sqrt(n) is the 0.1% critical value.
        double[] s = new double[n];
        for (int i = 0; i < n; i++) s[i] = x[i];
        Arrays.sort(s);
        double d = 0;
        for (int i = 0; i < n; i++) {
            double f = phi(s[i]);
            d = Math.max(d, Math.max(Math.abs((i + 1.0) / n - f), Math.abs(f - (double) i / n)));
        }
        assertTrue(d < 1.95 / Math.sqrt(n), "KS statistic " + d + " >= " + 1.95 / Math.sqrt(n));
        // The tails reach where they should: |x| > 4 has probability 6.3e-5 (~63 of 10^6).
        long tail = Arrays.stream(s).filter(v -> Math.abs(v) > 4).count();
        assertTrue(tail > 30 && tail < 110, "draws with |x| > 4: " + tail);
    }

    private static double correlation(float[] a, int ao, float[] b, int bo, int n) {
        double sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++) {
            double x = a[ao + i], y = b[bo + i];
            sa += x; sb += y; sab += x * y; saa += x * x; sbb += y * y;
        }
        double cov = sab / n - sa / n * sb / n;
        return cov / Math.sqrt((saa / n - sa / n * sa / n) * (sbb / n - sb / n * sb / n));
    }

    /** Standard normal CDF via erfc (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7). */
    static double phi(double x) {
        return 0.5 * erfc(-x / Math.sqrt(2));
    }

    private static double erfc(double x) {
        double z = Math.abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
                + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
                + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
