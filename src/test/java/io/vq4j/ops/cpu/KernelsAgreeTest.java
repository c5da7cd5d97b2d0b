package io.vq4j.ops.cpu;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The Vector API kernels give the portable kernels' bits, for every op, at awkward sizes (1, 7,
 * 13, 207, ... around the vector length and the 512-element blocks), at offsets, and in every
 * special case (logvar out of [-87, 87] or NaN, fp32 overflow of a KL term, a counter whose low
 * word wraps, eps aliasing the output). The portable kernels' accuracy is what the other CPU
 * tests check; bit equality carries it over. Skipped where the Vector API is absent (the
 * portable-only test run), unless -Dvq4j.test.expectKernels says it must be there.
 */
class KernelsAgreeTest {
    private static final CpuKernels PORTABLE = new PortableKernels();
    private static CpuKernels vector;
    private static final int[] SIZES = {1, 2, 7, 8, 9, 13, 16, 31, 207, 511, 512, 513, 1037, 3 * 512 + 13};

    @BeforeAll
    static void load() {
        vector = Kernels.vectorOrNull();
        if (System.getProperty("vq4j.test.expectKernels", "").startsWith("vector")) {
            assertNotNull(vector, "the Vector API kernels must load in this test run");
        }
        Assumptions.assumeTrue(vector != null, "jdk.incubator.vector is not loaded");
    }

    private static float[] normals(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    @Test
    void klSumsAreBitIdentical() {
        SplittableRandom r = new SplittableRandom(11);
        for (int n : SIZES) {
            for (int variant = 0; variant < 5; variant++) {
                float[] mu = normals(r, n + 9, 1.5), lv = normals(r, n + 9, variant == 1 ? 30 : 2);
                if (variant == 2) lv[r.nextInt(n + 9)] = Float.NaN;
                if (variant == 3) lv[r.nextInt(n + 9)] = (r.nextBoolean() ? 1 : -1) * 88.5f;
                if (variant == 4) mu[r.nextInt(n + 9)] = 3e19f; // its fp32 term overflows
                for (int from : new int[] {0, 3, 9}) {
                    int to = Math.min(n + 9, from + n);
                    double want = PORTABLE.klSum(mu, lv, from, to), got = vector.klSum(mu, lv, from, to);
                    int nn = n, v = variant, f = from;
                    assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(got),
                            () -> "n=" + nn + " variant " + v + " from " + f + ": " + want + " vs " + got);
                }
            }
        }
        // The region edges of the series/exponential switch, element by element.
        float[] m = new float[1], x = new float[1];
        for (double v = -100; v <= 100; v += 0.0137) {
            x[0] = (float) v;
            assertEquals(PORTABLE.klSum(m, x, 0, 1), vector.klSum(m, x, 0, 1), () -> "logvar " + x[0]);
        }
        float[] xs = new float[4096], ms = new float[4096];
        for (int i = 0; i < xs.length; i++) xs[i] = -1.6f + i * (4.2f / xs.length);
        assertEquals(PORTABLE.klSum(ms, xs, 0, xs.length), vector.klSum(ms, xs, 0, xs.length));
    }

    @Test
    void samplesAreBitIdentical() {
        SplittableRandom r = new SplittableRandom(12);
        for (int n : SIZES) {
            for (int variant = 0; variant < 3; variant++) {
                float[] mu = normals(r, n + 5, 1), lv = normals(r, n + 5, variant == 1 ? 100 : 2), eps = normals(r, n + 5, 1);
                if (variant == 2) lv[r.nextInt(n + 5)] = Float.NaN;
                float[] want = new float[n + 5], got = new float[n + 5];
                PORTABLE.sample(mu, lv, eps, want, 5, n + 5);
                vector.sample(mu, lv, eps, got, 5, n + 5);
                assertBits(want, got, "sample n=" + n + " variant " + variant);
                // eps aliasing the output, as CpuGaussian uses it
                float[] a = eps.clone(), b = eps.clone();
                PORTABLE.sample(mu, lv, a, a, 0, n);
                vector.sample(mu, lv, b, b, 0, n);
                assertBits(a, b, "in-place sample n=" + n + " variant " + variant);
            }
        }
    }

    @Test
    void normalBlocksAreBitIdentical() {
        long[] starts = {0, 1, 12345, 0xFFFFFFFFL - 5, (7L << 32) - 3, -9};
        int[] counts = {1, 7, 8, 13, 128, 207, 300};
        for (long q0 : starts) {
            for (int blocks : counts) {
                for (int[] key : new int[][] {{0, 0, 0, 0}, {5, 0, 77, 0}, {-1, 9, 0x5eed, -3}}) {
                    float[] want = new float[4 * blocks + 3], got = new float[4 * blocks + 3];
                    PORTABLE.normalBlocks(q0, blocks, key[0], key[1], key[2], key[3], want, 3);
                    vector.normalBlocks(q0, blocks, key[0], key[1], key[2], key[3], got, 3);
                    assertBits(want, got, "q0=" + q0 + " blocks=" + blocks + " key " + Arrays.toString(key));
                }
            }
        }
    }

    @Test
    void tileScoresAreBitIdentical() {
        SplittableRandom r = new SplittableRandom(13);
        for (int d : new int[] {1, 3, 8, 13, 64}) {
            for (int w : new int[] {1, 5, 8, 13, 16, 17, 40, 128}) {
                float[][] tile = new float[d + 1][];
                for (int c = 0; c <= d; c++) tile[c] = normals(r, w, c == d ? 10 : 1);
                for (int rows : new int[] {1, 3, 4, 5, 13}) {
                    float[] x = normals(r, rows * d, 2);
                    int stride = w + 7, off = 3;
                    float[] want = new float[rows * stride], got = new float[rows * stride];
                    PORTABLE.scoreTile(tile, d, x, rows, want, stride, off);
                    vector.scoreTile(tile, d, x, rows, got, stride, off);
                    assertBits(want, got, "scores d=" + d + " w=" + w + " rows=" + rows);
                }
            }
        }
    }

    private static void assertBits(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                int ii = i;
                assertEquals(want[i], got[i], () -> what + ": element " + ii + " differs");
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), () -> what + ": element " + ii + " bits");
            }
        }
    }
}
