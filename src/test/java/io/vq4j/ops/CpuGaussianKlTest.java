package io.vq4j.ops;

import io.vq4j.TestData;
import io.vq4j.cuda.kernels.GaussianKlKernels.KlPlan;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU twin of the KL divergence and its backward, against double references written here. */
class CpuGaussianKlTest {
    private static final CpuOps OPS = new CpuOps();

    @AfterAll
    static void close() { OPS.close(); }

    /** B = 1, 13 and more; 1, 13, 207, 1000003 elements; several chunks per sample and many samples per chunk. */
    private static final int[][] SHAPES = {
            {1}, {13}, {207}, {1000003}, {1, 1}, {1, 1000003}, {13, 1}, {13, 207}, {13, 3, 5, 7}, {4, 250001},
            {1, 64, 4, 4}, {1000, 256}, {2, 16384},
    };

    /** -1/2 (1 + logvar - mu^2 - exp(logvar)) summed per sample, in double, plus the sum of the terms' sizes. */
    private static double[][] reference(float[] mu, float[] lv, int b) {
        int s = b == 0 ? 0 : mu.length / b;
        double[] perSample = new double[b], size = new double[b];
        for (int i = 0; i < mu.length; i++) {
            double m = mu[i], l = lv[i];
            perSample[i / s] += -0.5 * (1 + l - m * m - Math.exp(l));
            size[i / s] += 0.5 * (1 + Math.abs(l) + m * m + Math.exp(l));
        }
        return new double[][] {perSample, size};
    }

    @Test
    void allReductionsMatchDoubleReference() {
        for (int c = 0; c < SHAPES.length; c++) {
            int[] shape = SHAPES[c];
            int n = (int) Tensor.numel(shape), b = shape[0];
            float[] mu = TestData.gaussian(10 + c, n, 1.5), lv = TestData.uniform(20 + c, n, -5, 3);
            // A few logvars at and near 0, where 1 + logvar - exp(logvar) cancels.
            for (int i = 0; i < Math.min(n, 5); i++) lv[i] = i == 0 ? 0f : (float) Math.pow(10, -2 - 2 * i);
            double[][] ref = reference(mu, lv, b);
            double sum = Arrays.stream(ref[0]).sum(), size = Arrays.stream(ref[1]).sum();
            Tensor tm = Tensor.of(mu, shape), tl = Tensor.of(lv, shape);

            Tensor per = OPS.klDivergence(tm, tl, KlReduction.PER_SAMPLE);
            assertArrayEquals(new int[] {b}, per.shape());
            float[] got = per.toFloatArray();
            for (int i = 0; i < b; i++) assertClose(ref[0][i], ref[1][i], got[i], "PER_SAMPLE" + Arrays.toString(shape) + "[" + i + "]");

            Tensor total = OPS.klDivergence(tm, tl, KlReduction.SUM);
            assertArrayEquals(new int[] {1}, total.shape());
            assertClose(sum, size, total.item(), "SUM" + Arrays.toString(shape));

            Tensor mean = OPS.klDivergence(tm, tl, KlReduction.MEAN);
            assertArrayEquals(new int[] {1}, mean.shape());
            assertClose(sum / b, size / b, mean.item(), "MEAN" + Arrays.toString(shape));
        }
    }

    /** Rounding to float is the main error: 1e-6 relative, plus summation error on the terms' sizes. */
    private static void assertClose(double ref, double size, float got, String what) {
        double tol = 1e-6 * Math.abs(ref) + 1e-12 * size + 1e-30;
        assertTrue(Math.abs(got - ref) <= tol, what + ": got " + got + ", reference " + ref + " (tolerance " + tol + ")");
    }

    @Test
    void nearZeroLogvarDoesNotCancel() {
        // mu = 0, logvar = 1e-4: each term is -1/2 (logvar - expm1(logvar)) ~ logvar^2 / 4 = 2.5e-9.
        int n = 13;
        float[] mu = new float[n], lv = new float[n];
        Arrays.fill(lv, 1e-4f);
        double l = 1e-4f, exact = 0.5 * (Math.expm1(l) - l); // expm1 form, exact enough in double
        float[] got = OPS.klDivergence(Tensor.of(mu, n), Tensor.of(lv, n), KlReduction.PER_SAMPLE).toFloatArray();
        for (float g : got) assertEquals(exact, g, 1e-6 * exact, "PER_SAMPLE at logvar = 1e-4");
    }

    @Test
    void resultIsDeterministic() {
        int[] shape = {7, 142857};
        int n = 7 * 142857;
        Tensor mu = Tensor.of(TestData.gaussian(5, n, 1), shape), lv = Tensor.of(TestData.gaussian(6, n, 1), shape);
        for (KlReduction r : KlReduction.values()) {
            float[] first = OPS.klDivergence(mu, lv, r).toFloatArray();
            for (int rep = 0; rep < 3; rep++) {
                assertArrayEquals(bits(first), bits(OPS.klDivergence(mu, lv, r).toFloatArray()), r + " run " + rep);
            }
        }
    }

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
        return b;
    }

    @Test
    void emptyInputs() {
        Tensor e30 = Tensor.of(new float[0], 3, 0), e04 = Tensor.of(new float[0], 0, 4);
        assertArrayEquals(new float[3], OPS.klDivergence(e30, e30, KlReduction.PER_SAMPLE).toFloatArray());
        assertEquals(0f, OPS.klDivergence(e30, e30, KlReduction.SUM).item());
        assertEquals(0f, OPS.klDivergence(e30, e30, KlReduction.MEAN).item());
        assertArrayEquals(new int[] {0}, OPS.klDivergence(e04, e04, KlReduction.PER_SAMPLE).shape());
        assertEquals(0f, OPS.klDivergence(e04, e04, KlReduction.SUM).item());
        assertTrue(Float.isNaN(OPS.klDivergence(e04, e04, KlReduction.MEAN).item()), "MEAN over B = 0 samples is 0/0");
        assertEquals(0, OPS.klBackward(e04, e04, 1f).dMu().numel());
    }

    @Test
    void backwardMatchesDoubleReference() {
        for (int c = 0; c < SHAPES.length; c++) {
            int[] shape = SHAPES[c];
            int n = (int) Tensor.numel(shape);
            float w = c == 0 ? 1f : (float) (0.37 * c - 1);
            float[] mu = TestData.gaussian(30 + c, n, 1.5), lv = TestData.uniform(40 + c, n, -5, 3);
            if (n > 1) lv[1] = 1e-9f; // expm1 keeps the relative precision here
            GaussianGrads g = OPS.klBackward(Tensor.of(mu, shape), Tensor.of(lv, shape), w);
            assertArrayEquals(shape, g.dMu().shape());
            assertArrayEquals(shape, g.dLogvar().shape());
            float[] dMu = g.dMu().toFloatArray();
            double[] refMu = new double[n], refLv = new double[n];
            for (int i = 0; i < n; i++) {
                refMu[i] = (double) w * mu[i];
                refLv[i] = w * 0.5 * Math.expm1(lv[i]);
            }
            for (int i = 0; i < n; i++) {
                float expected = w * mu[i]; // one float rounding of the exact product
                if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(dMu[i])) {
                    throw new AssertionError("klBackward" + Arrays.toString(shape) + " dMu[" + i + "] = " + dMu[i]
                            + ", expected w*mu = " + expected);
                }
            }
            double e = TestData.maxScaledError(g.dLogvar().toFloatArray(), refLv, 1e-30, 1e-6);
            assertTrue(e <= 1, "klBackward" + Arrays.toString(shape) + " dLogvar scaled error " + e);
            assertTrue(TestData.maxScaledError(dMu, refMu, 1e-30, 1e-6) <= 1);
        }
    }

    /** Central differences in double of each reduction, against klBackward with that reduction's weight. */
    @Test
    void backwardMatchesFiniteDifferencesOfEachReduction() {
        int[][] shapes = {{1, 1}, {13, 1}, {3, 5}, {2, 2, 3, 3}};
        for (int[] shape : shapes) {
            int n = (int) Tensor.numel(shape), b = shape[0];
            float[] mu = TestData.gaussian(n, n, 1), lv = TestData.uniform(n + 7, n, -3, 2);
            for (KlReduction r : KlReduction.values()) {
                // PER_SAMPLE: the loss sum_b v_b * KL_b with per-sample weights v_b; klBackward takes one weight,
                // so it is checked sample by sample on a loss that weights only sample `only`.
                for (int only = 0; only < (r == KlReduction.PER_SAMPLE ? b : 1); only++) {
                    float weight = r == KlReduction.MEAN ? 0.75f / b : 0.75f;
                    GaussianGrads g = OPS.klBackward(Tensor.of(mu, shape), Tensor.of(lv, shape), weight);
                    float[] dMu = g.dMu().toFloatArray(), dLv = g.dLogvar().toFloatArray();
                    int s = n / b;
                    for (int i = 0; i < n; i++) {
                        double[] m = CpuGaussianReparamTest.toDouble(mu), l = CpuGaussianReparamTest.toDouble(lv);
                        double h = 1e-5;
                        m[i] += h;
                        double up = 0.75 * klLoss(m, l, b, r, only);
                        m[i] -= 2 * h;
                        double fdMu = (up - 0.75 * klLoss(m, l, b, r, only)) / (2 * h);
                        m[i] += h;
                        l[i] += h;
                        up = 0.75 * klLoss(m, l, b, r, only);
                        l[i] -= 2 * h;
                        double fdLv = (up - 0.75 * klLoss(m, l, b, r, only)) / (2 * h);
                        boolean counted = r != KlReduction.PER_SAMPLE || i / s == only;
                        String what = r + Arrays.toString(shape) + " element " + i;
                        if (counted) {
                            assertEquals(fdMu, dMu[i], 1e-6 * (1 + Math.abs(fdMu)), "dMu " + what);
                            assertEquals(fdLv, dLv[i], 1e-6 * (1 + Math.abs(fdLv)), "dLogvar " + what);
                        } else {
                            assertEquals(0, fdMu, 1e-9, "untouched sample " + what);
                        }
                    }
                }
            }
        }
    }

    /** The reference loss: SUM, MEAN, or sample {@code only}'s PER_SAMPLE entry. */
    private static double klLoss(double[] mu, double[] lv, int b, KlReduction r, int only) {
        int s = mu.length / b;
        double total = 0;
        for (int i = 0; i < mu.length; i++) {
            if (r == KlReduction.PER_SAMPLE && i / s != only) continue;
            total += -0.5 * (1 + lv[i] - mu[i] * mu[i] - Math.exp(lv[i]));
        }
        return r == KlReduction.MEAN ? total / b : total;
    }

    /**
     * The chunking of the CUDA KL reduction (pure arithmetic, so it is checked here, without a
     * GPU): replays gaussian_kl_partial_f32's index math and checks that the chunks tile every
     * segment in order, without gaps, overlaps or empty chunks, that float4 groups stay whole when
     * segLen % 4 == 0, and that the fp64 scratch stays small.
     */
    @Test
    void cudaKlPlanTilesEverySegmentOnce() {
        long[][] cases = {
                {1, 1}, {13, 1}, {13, 13}, {207, 1}, {1000003, 1}, {1000003, 1000003}, {4000012, 4}, {2691, 13},
                {131072, 2}, {1L << 26, 16}, {(1L << 26) + 3, 1}, {(1L << 26) + 3, (1L << 26) + 3}, {1024, 1}, {1025, 1},
                {Integer.MAX_VALUE, 1}, {2147483646L, 2}, {1L << 40, 1L << 10},
        };
        for (long[] c : cases) {
            long n = c[0], segments = c[1];
            KlPlan p = KlPlan.of(n, segments);
            String what = "n=" + n + " segments=" + segments + " " + p;
            assertEquals(0, p.chunkLen() % 128, what);
            assertEquals(n / segments, p.segLen(), what);
            assertTrue(p.chunkLen() * p.chunksPerSegment() >= p.segLen() && p.chunkLen() * (p.chunksPerSegment() - 1) < p.segLen(), what);
            if (p.needsPartials()) assertTrue(p.chunks() <= 2 * 16384 + 2, "scratch too large: " + what);
            else assertEquals(0, p.partialBytes(), what);
            if (p.chunks() > 2_000_000) continue; // the replay below would be slow; the arithmetic above holds
            long expectBegin = 0;
            for (long k = 0; k < p.chunks(); k++) {
                long seg = k / p.chunksPerSegment(), j = k - seg * p.chunksPerSegment();
                long segEnd = Math.min((j + 1) * p.chunkLen(), p.segLen());
                long begin = seg * p.segLen() + j * p.chunkLen(), end = seg * p.segLen() + segEnd;
                if (begin != expectBegin || end <= begin || end > (seg + 1) * p.segLen()) {
                    throw new AssertionError(what + ": chunk " + k + " is [" + begin + ", " + end + "), expected to start at " + expectBegin);
                }
                if (p.segLen() % 4 == 0 && (begin % 4 != 0 || end % 4 != 0)) {
                    throw new AssertionError(what + ": chunk " + k + " splits a float4 group");
                }
                expectBegin = end;
            }
            assertEquals(n, expectBegin, what);
        }
        assertThrows(IllegalArgumentException.class, () -> KlPlan.of(0, 1));
        assertThrows(IllegalArgumentException.class, () -> KlPlan.of(10, 3));
    }
}
