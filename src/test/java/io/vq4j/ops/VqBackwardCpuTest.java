package io.vq4j.ops;

import io.vq4j.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU VQ backward against a plain double-precision reference written here, and against
 * finite differences of the loss (in double, indices held fixed), in both layouts.
 */
class VqBackwardCpuTest {
    private static CpuOps ops;

    @BeforeAll static void open() { ops = new CpuOps(); }
    @AfterAll static void close() { ops.close(); }

    /** z's shape ([N, D] rows or [B, D, H, W]) and K. */
    record Case(int[] zShape, int k) {
        int d() { return zShape[1]; }
        int spatial() { return zShape.length == 2 ? 1 : zShape[2] * zShape[3]; }
        int batch() { return zShape[0]; }
        int n() { return batch() * spatial(); }
        int[] indexShape() { return zShape.length == 2 ? new int[] {zShape[0]} : new int[] {zShape[0], zShape[2], zShape[3]}; }
        int offset(int n, int c) { int b = n / spatial(), s = n % spatial(); return (b * d() + c) * spatial() + s; }
        @Override public String toString() { return Arrays.toString(zShape) + " K=" + k; }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(new int[] {1, 1}, 1),
                new Case(new int[] {13, 3}, 2),
                new Case(new int[] {13, 4}, 257),
                new Case(new int[] {1000, 1}, 2),
                new Case(new int[] {207, 64}, 1024),
                new Case(new int[] {1000003, 4}, 13),
                new Case(new int[] {300, 256}, 16384),
                new Case(new int[] {1, 1, 1, 1}, 1),
                new Case(new int[] {1, 3, 13, 1}, 2),
                new Case(new int[] {13, 4, 1, 1}, 257),
                new Case(new int[] {3, 64, 3, 23}, 1024),
                new Case(new int[] {1, 4, 1, 1000003}, 13),
                new Case(new int[] {3, 256, 10, 10}, 16384));
    }

    /** Small cases for the finite-difference checks (the loss is recomputed per perturbation). */
    static Stream<Case> smallCases() {
        return Stream.of(
                new Case(new int[] {1, 1}, 1),
                new Case(new int[] {13, 3}, 2),
                new Case(new int[] {13, 4}, 257),
                new Case(new int[] {207, 64}, 1024),
                new Case(new int[] {1, 3, 13, 1}, 2),
                new Case(new int[] {3, 64, 3, 23}, 1024));
    }

    record Inputs(float[] z, float[] gradOut, float[] e, int[] idx, float beta) {}

    static Inputs inputs(Case c, long seed) {
        int n = c.n(), d = c.d(), k = c.k();
        float[] z = TestData.gaussian(seed, n * d, 1.0);
        float[] go = TestData.gaussian(seed + 1, n * d, 0.5);
        float[] e = TestData.gaussian(seed + 2, k * d, 1.0);
        int[] idx = TestData.ints(seed + 3, n, k);
        // skew: a third of the vectors go to code 0, so one segment is long and others are empty
        for (int i = 0; i < n; i += 3) idx[i] = 0;
        return new Inputs(z, go, e, idx, 0.25f);
    }

    /** Double reference: gradZ and gradCodebook = 2/(N*D) * sum_{n: idx_n = k} (e_k - z_n). */
    static double[][] reference(Case c, Inputs in) {
        int n = c.n(), d = c.d();
        double scale = 2.0 / ((double) n * d);
        double[] gz = new double[n * d], gc = new double[c.k() * d];
        for (int v = 0; v < n; v++) {
            int k = in.idx[v];
            for (int ch = 0; ch < d; ch++) {
                int off = c.offset(v, ch);
                double diff = (double) in.z[off] - in.e[k * d + ch];
                gz[off] = in.gradOut[off] + in.beta * scale * diff;
                gc[k * d + ch] -= scale * diff;
            }
        }
        return new double[][] {gz, gc};
    }

    static int[] referenceCounts(int[] idx, int k) {
        int[] counts = new int[k];
        for (int i : idx) counts[i]++;
        return counts;
    }

    static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardMatchesDoubleReference(Case c) {
        long seed = 1000 + c.n() * 31L + c.k();
        Inputs in = inputs(c, seed);
        VqGrads g = ops.vqBackward(Tensor.of(in.gradOut, c.zShape), Tensor.of(in.z, c.zShape),
                Tensor.of(in.e, c.k(), c.d()), Tensor.ofInts(in.idx, c.indexShape()), in.beta, true);
        double[][] ref = reference(c, in);
        assertArrayEquals(c.zShape, g.gradZ().shape());
        assertArrayEquals(new int[] {c.k(), c.d()}, g.gradCodebook().shape());
        assertArrayEquals(referenceCounts(in.idx, c.k()), g.counts().toIntArray(), "counts " + c);
        double ez = TestData.maxScaledError(g.gradZ().toFloatArray(), ref[0], 1e-9 * maxAbs(ref[0]), 1e-6);
        double ec = TestData.maxScaledError(g.gradCodebook().toFloatArray(), ref[1], 1e-9 * maxAbs(ref[1]), 1e-6);
        assertTrue(ez <= 1, "gradZ " + c + " scaled error " + ez + " (seed " + seed + ")");
        assertTrue(ec <= 1, "gradCodebook " + c + " scaled error " + ec + " (seed " + seed + ")");
    }

    @Test
    void deterministicFlagIsIrrelevantOnTheCpu() {
        Case c = new Case(new int[] {2, 4, 7, 9}, 5);
        Inputs in = inputs(c, 7);
        VqGrads a = ops.vqBackward(Tensor.of(in.gradOut, c.zShape), Tensor.of(in.z, c.zShape),
                Tensor.of(in.e, c.k(), c.d()), Tensor.ofInts(in.idx, c.indexShape()), in.beta, true);
        VqGrads b = ops.vqBackward(Tensor.of(in.gradOut, c.zShape), Tensor.of(in.z, c.zShape),
                Tensor.of(in.e, c.k(), c.d()), Tensor.ofInts(in.idx, c.indexShape()), in.beta, false);
        assertArrayEquals(a.gradZ().toFloatArray(), b.gradZ().toFloatArray());
        assertArrayEquals(a.gradCodebook().toFloatArray(), b.gradCodebook().toFloatArray());
    }

    // ---- finite differences ---------------------------------------------------------------

    /** beta * mean((z - sg[e_idx])^2) + <gradOut, z>, in double. */
    static double lossZ(Case c, double[] z, Inputs in) {
        int n = c.n(), d = c.d();
        double sq = 0, dot = 0;
        for (int v = 0; v < n; v++) {
            for (int ch = 0; ch < d; ch++) {
                int off = c.offset(v, ch);
                double diff = z[off] - in.e[in.idx[v] * d + ch];
                sq += diff * diff;
                dot += in.gradOut[off] * z[off];
            }
        }
        return in.beta * sq / ((double) n * d) + dot;
    }

    /** mean((sg[z] - e_idx)^2), in double. */
    static double lossE(Case c, double[] e, Inputs in) {
        int n = c.n(), d = c.d();
        double sq = 0;
        for (int v = 0; v < n; v++) {
            for (int ch = 0; ch < d; ch++) {
                double diff = in.z[c.offset(v, ch)] - e[in.idx[v] * d + ch];
                sq += diff * diff;
            }
        }
        return sq / ((double) n * d);
    }

    static double[] toDouble(float[] a) {
        double[] o = new double[a.length];
        for (int i = 0; i < a.length; i++) o[i] = a[i];
        return o;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("smallCases")
    void gradientsMatchFiniteDifferences(Case c) {
        long seed = 77 + c.n() + c.k();
        Inputs in = inputs(c, seed);
        VqGrads g = ops.vqBackward(Tensor.of(in.gradOut, c.zShape), Tensor.of(in.z, c.zShape),
                Tensor.of(in.e, c.k(), c.d()), Tensor.ofInts(in.idx, c.indexShape()), in.beta, true);
        float[] gz = g.gradZ().toFloatArray(), gc = g.gradCodebook().toFloatArray();
        SplittableRandom r = new SplittableRandom(seed);
        double h = 1e-3; // the losses are quadratic: a central difference is exact up to rounding

        double[] z = toDouble(in.z);
        double gzMax = 0;
        for (float v : gz) gzMax = Math.max(gzMax, Math.abs(v));
        for (int t = 0; t < Math.min(40, z.length); t++) {
            int i = t < 2 ? t * (z.length - 1) : r.nextInt(z.length);
            double keep = z[i];
            z[i] = keep + h;
            double up = lossZ(c, z, in);
            z[i] = keep - h;
            double down = lossZ(c, z, in);
            z[i] = keep;
            double fd = (up - down) / (2 * h);
            assertTrue(Math.abs(fd - gz[i]) <= 1e-6 * (Math.abs(fd) + gzMax),
                    "d loss / d z[" + i + "] " + c + ": finite difference " + fd + ", gradZ " + gz[i] + " (seed " + seed + ")");
        }

        double[] e = toDouble(in.e);
        double gcMax = 0;
        for (float v : gc) gcMax = Math.max(gcMax, Math.abs(v));
        int[] counts = referenceCounts(in.idx, c.k());
        int unusedChecked = 0;
        for (int t = 0; t < Math.min(40, e.length); t++) {
            int i = t < 2 ? t * (e.length - 1) : r.nextInt(e.length);
            if (counts[i / c.d()] == 0) unusedChecked++;
            double keep = e[i];
            e[i] = keep + h;
            double up = lossE(c, e, in);
            e[i] = keep - h;
            double down = lossE(c, e, in);
            e[i] = keep;
            double fd = (up - down) / (2 * h);
            assertTrue(Math.abs(fd - gc[i]) <= 1e-6 * (Math.abs(fd) + gcMax),
                    "d loss / d e[" + i + "] " + c + ": finite difference " + fd + ", gradCodebook " + gc[i] + " (seed " + seed + ")");
        }
        if (c.k() > c.n()) assertTrue(unusedChecked > 0, "the sample should include unused codes");
    }

    // ---- bad indices ----------------------------------------------------------------------

    @Test
    void indexOutsideTheCodebookIsRejectedWithItsPositionAndValue() {
        Case c = new Case(new int[] {40, 8}, 512);
        Inputs in = inputs(c, 5);
        in.idx[5] = 600;
        in.idx[9] = -1;
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ops.vqBackward(
                Tensor.of(in.gradOut, c.zShape), Tensor.of(in.z, c.zShape), Tensor.of(in.e, c.k(), c.d()),
                Tensor.ofInts(in.idx, c.indexShape()), in.beta, true));
        assertTrue(ex.getMessage().contains("indices[5] = 600 is outside [0, 512)"), ex.getMessage());

        in.idx[5] = 3;
        ex = assertThrows(IllegalArgumentException.class, () -> ops.vqBackward(
                Tensor.of(in.gradOut, c.zShape), Tensor.of(in.z, c.zShape), Tensor.of(in.e, c.k(), c.d()),
                Tensor.ofInts(in.idx, c.indexShape()), in.beta, false));
        assertTrue(ex.getMessage().contains("indices[9] = -1 is outside [0, 512)"), ex.getMessage());

        in.idx[9] = 511; // now valid: the same call works
        VqGrads g = ops.vqBackward(Tensor.of(in.gradOut, c.zShape), Tensor.of(in.z, c.zShape),
                Tensor.of(in.e, c.k(), c.d()), Tensor.ofInts(in.idx, c.indexShape()), in.beta, true);
        assertEquals(40, Arrays.stream(g.counts().toIntArray()).sum());
    }

    @Test
    void badIndexFarIntoALargeBatchIsFound() {
        int n = 300_001;
        int[] idx = TestData.ints(3, n, 13);
        idx[n - 2] = 13;
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ops.codeCounts(Tensor.ofInts(idx, n), 13));
        assertTrue(ex.getMessage().contains("indices[" + (n - 2) + "] = 13 is outside [0, 13)"), ex.getMessage());
    }
}
