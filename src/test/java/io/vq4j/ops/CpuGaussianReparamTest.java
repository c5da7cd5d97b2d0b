package io.vq4j.ops;

import io.vq4j.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU twins of standardNormal and the reparameterization, against double references written here. */
class CpuGaussianReparamTest {
    private static final CpuOps OPS = new CpuOps();

    @AfterAll
    static void close() { OPS.close(); }

    /** Awkward shapes: 1, 13, 207 and 1000003 elements, rows and NCHW. */
    private static final int[][] SHAPES = {{1}, {13}, {207}, {1000003}, {13, 1}, {3, 4, 17, 1}, {9, 23}, {1, 3, 1, 69}};
    private static final long[][] SEED_OFFSET = {{0, 0}, {1234567, 1}, {-5, 7}, {0x9E3779B97F4A7C15L, (1L << 32) + 3}};

    @Test
    void standardNormalMatchesTheDocumentedDraw() {
        for (int c = 0; c < SHAPES.length; c++) {
            int[] shape = SHAPES[c];
            long seed = SEED_OFFSET[c % SEED_OFFSET.length][0], offset = SEED_OFFSET[c % SEED_OFFSET.length][1];
            float[] got = OPS.standardNormal(seed, offset, shape).toFloatArray();
            double[] ref = new double[got.length];
            for (int i = 0; i < ref.length; i++) ref[i] = PhiloxTest.refNormal(seed, offset, i);
            // The twin rounds a double computation once: half an ulp, plus the libm difference.
            double e = TestData.maxScaledError(got, ref, 1e-7, 1e-6);
            assertTrue(e <= 1, "standardNormal" + Arrays.toString(shape) + " seed=" + seed + " offset=" + offset
                    + ": scaled error " + e);
        }
    }

    @Test
    void reparameterizeMatchesDoubleReference() {
        for (int c = 0; c < SHAPES.length; c++) {
            int[] shape = SHAPES[c];
            int n = (int) Tensor.numel(shape);
            long seed = SEED_OFFSET[c % SEED_OFFSET.length][0], offset = SEED_OFFSET[c % SEED_OFFSET.length][1];
            float[] mu = TestData.gaussian(100 + c, n, 2), lv = TestData.uniform(200 + c, n, -4, 3);
            Tensor tm = Tensor.of(mu, shape), tl = Tensor.of(lv, shape);
            Reparameterized stored = OPS.reparameterize(tm, tl, seed, offset, true);
            Reparameterized plain = OPS.reparameterize(tm, tl, seed, offset, false);
            assertNull(plain.eps(), "eps without storeEps");
            assertArrayEquals(shape, stored.z().shape());
            assertArrayEquals(shape, stored.eps().shape());
            float[] z = stored.z().toFloatArray(), eps = stored.eps().toFloatArray();
            assertArrayEquals(z, plain.z().toFloatArray(), "z must not depend on storeEps");
            assertArrayEquals(OPS.standardNormal(seed, offset, shape).toFloatArray(), eps, "stored eps is standardNormal(seed, offset)");
            double worst = 0;
            for (int i = 0; i < n; i++) {
                double e = PhiloxTest.refNormal(seed, offset, i);
                double std = Math.exp(lv[i] / 2.0);
                double ref = mu[i] + std * e;
                // eps is a float (half an ulp) and z is rounded once: a few 1e-8 of the terms' size.
                double tol = 4e-7 * (Math.abs(mu[i]) + std * Math.abs(e)) + 1e-30;
                worst = Math.max(worst, Math.abs(z[i] - ref) / tol);
            }
            assertTrue(worst <= 1, "reparameterize" + Arrays.toString(shape) + " scaled error " + worst);
        }
    }

    @Test
    void reparameterizeBackwardMatchesDoubleReferenceRegeneratedOrStored() {
        for (int c = 0; c < SHAPES.length; c++) {
            int[] shape = SHAPES[c];
            int n = (int) Tensor.numel(shape);
            long seed = SEED_OFFSET[c % SEED_OFFSET.length][0], offset = SEED_OFFSET[c % SEED_OFFSET.length][1];
            float[] g = TestData.gaussian(300 + c, n, 1), lv = TestData.uniform(400 + c, n, -4, 3);
            Tensor tg = Tensor.of(g, shape), tl = Tensor.of(lv, shape);
            GaussianGrads regen = OPS.reparameterizeBackward(tg, tl, seed, offset);
            Tensor eps = OPS.standardNormal(seed, offset, shape);
            GaussianGrads stored = OPS.reparameterizeBackward(tg, tl, eps);
            float[] dMu = regen.dMu().toFloatArray(), dLv = regen.dLogvar().toFloatArray();
            assertArrayEquals(g, dMu, "dMu = gradZ");
            assertNotSame(g, regen.dMu().hostFloats(), "dMu must be a copy, not gradZ's array");
            assertArrayEquals(shape, regen.dLogvar().shape());
            assertArrayEquals(dLv, stored.dLogvar().toFloatArray(), "regenerated and stored eps give the same dLogvar");
            assertArrayEquals(g, stored.dMu().toFloatArray(), "dMu = gradZ (stored eps)");
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) ref[i] = g[i] * PhiloxTest.refNormal(seed, offset, i) * 0.5 * Math.exp(lv[i] / 2.0);
            double e = TestData.maxScaledError(dLv, ref, 1e-30, 5e-7);
            assertTrue(e <= 1, "reparameterizeBackward" + Arrays.toString(shape) + " scaled error " + e);
        }
    }

    /** Central differences in double of L = sum_i w_i z_i(mu, logvar) with eps held fixed. */
    @Test
    void reparameterizeGradientMatchesFiniteDifferences() {
        for (int n : new int[] {1, 13, 64}) {
            long seed = 99 + n, offset = 3;
            float[] mu = TestData.gaussian(n, n, 1), lv = TestData.uniform(n + 1, n, -3, 2), w = TestData.gaussian(n + 2, n, 1);
            float[] eps = OPS.standardNormal(seed, offset, n).toFloatArray();
            GaussianGrads grads = OPS.reparameterizeBackward(Tensor.of(w, n), Tensor.of(lv, n), seed, offset);
            float[] dMu = grads.dMu().toFloatArray(), dLv = grads.dLogvar().toFloatArray();
            double h = 1e-5;
            for (int i = 0; i < n; i++) {
                double[] m = toDouble(mu), l = toDouble(lv);
                m[i] += h;
                double up = reparamLoss(m, l, eps, w);
                m[i] -= 2 * h;
                double fdMu = (up - reparamLoss(m, l, eps, w)) / (2 * h);
                m[i] += h;
                l[i] += h;
                up = reparamLoss(m, l, eps, w);
                l[i] -= 2 * h;
                double fdLv = (up - reparamLoss(m, l, eps, w)) / (2 * h);
                assertEquals(fdMu, dMu[i], 1e-6 * (1 + Math.abs(fdMu)), "dMu[" + i + "] n=" + n);
                assertEquals(fdLv, dLv[i], 1e-6 * (1 + Math.abs(fdLv)), "dLogvar[" + i + "] n=" + n);
            }
        }
    }

    private static double reparamLoss(double[] mu, double[] lv, float[] eps, float[] w) {
        double s = 0;
        for (int i = 0; i < mu.length; i++) s += w[i] * (mu[i] + Math.exp(lv[i] / 2) * eps[i]);
        return s;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    @Test
    void emptyTensorsGiveEmptyResults() {
        Tensor e = Tensor.of(new float[0], 0, 5);
        Reparameterized r = OPS.reparameterize(e, e, 1, 0, true);
        assertEquals(0, r.z().numel());
        assertEquals(0, r.eps().numel());
        assertEquals(0, OPS.reparameterizeBackward(e, e, 1, 0).dLogvar().numel());
        assertArrayEquals(new int[] {0, 5}, OPS.standardNormal(1, 0, 0, 5).shape());
    }

    @Test
    void inputsAreNotModified() {
        int n = 1000;
        float[] mu = TestData.gaussian(1, n, 1), lv = TestData.gaussian(2, n, 1);
        float[] mu0 = mu.clone(), lv0 = lv.clone();
        OPS.reparameterize(Tensor.of(mu, n), Tensor.of(lv, n), 1, 2, true);
        OPS.reparameterizeBackward(Tensor.of(mu, n), Tensor.of(lv, n), 1, 2);
        assertArrayEquals(mu0, mu);
        assertArrayEquals(lv0, lv);
    }
}
