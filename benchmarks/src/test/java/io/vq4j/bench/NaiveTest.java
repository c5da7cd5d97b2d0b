package io.vq4j.bench;

import io.vq4j.ops.Conv2dSpec;
import io.vq4j.ops.CpuLayerOps;
import io.vq4j.ops.CpuOps;
import io.vq4j.ops.KlReduction;
import io.vq4j.ops.NearestCode;
import io.vq4j.ops.Tensor;
import io.vq4j.ops.VqGrads;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plain-Java references the JMH benchmarks pair with vq4j must compute the same thing as
 * vq4j's CPU twins, else the comparison means nothing. Small awkward sizes, fast.
 */
class NaiveTest {
    private final CpuOps cpu = new CpuOps();

    @Test
    void nearestFindsCodesAsNearAsTheCpuTwin() {
        for (int[] s : new int[][] {{1, 1, 1}, {13, 3, 257}, {1000, 64, 2}, {300, 4, 1024}}) {
            int n = s[0], d = s[1], k = s[2];
            float[] z = BenchData.normal(1, n * d), e = BenchData.normal(2, k * d);
            int[] naive = NaiveVq.nearest(z, e, n, d, k);
            try (NearestCode c = cpu.nearestCode(Tensor.of(z, n, d), Tensor.of(e, k, d), false)) {
                int[] twin = c.indices().hostInts();
                for (int i = 0; i < n; i++) {
                    double dn = VqChecks.dist2(z, i, e, naive[i], d), dt = VqChecks.dist2(z, i, e, twin[i], d);
                    assertEquals(dt, dn, 1e-5 * dt + 1e-9, "n=" + n + " d=" + d + " k=" + k + " row " + i);
                }
            }
        }
    }

    @Test
    void backwardMatchesTheCpuTwin() {
        int n = 1000, d = 3, k = 257;
        float[] g = BenchData.normal(3, n * d), z = BenchData.normal(4, n * d), e = BenchData.normal(5, k * d);
        int[] idx = BenchData.indices(6, n, k);
        NaiveVq.Grads naive = NaiveVq.backward(g, z, e, idx, n, d, k, 0.25f);
        try (VqGrads twin = cpu.vqBackward(Tensor.of(g, n, d), Tensor.of(z, n, d), Tensor.of(e, k, d),
                Tensor.ofInts(idx, n), 0.25f, true)) {
            assertArrayEquals(twin.counts().hostInts(), naive.counts());
            assertArrayEquals(twin.gradZ().hostFloats(), naive.gradZ(), 1e-6f);
            float[] ref = twin.gradCodebook().hostFloats();
            double tol = 1e-5 * Errors.maxAbs(ref);
            for (int i = 0; i < ref.length; i++) assertEquals(ref[i], naive.gradCodebook()[i], tol, "gradCodebook " + i);
        }
    }

    @Test
    void klSumMatchesTheCpuTwin() {
        int n = 100_003;
        float[] mu = BenchData.normal(7, n), lv = BenchData.normal(8, n);
        try (Tensor t = cpu.klDivergence(Tensor.of(mu, n), Tensor.of(lv, n), KlReduction.SUM)) {
            double ref = t.item();
            assertEquals(ref, NaiveGaussian.klSum(mu, lv), 1e-6 * ref);
        }
    }

    /** Different generators, so the samples differ: the noise they imply must be standard normal. */
    @Test
    void reparameterizeDrawsStandardNormalNoise() {
        int n = 200_000;
        float[] mu = BenchData.normal(9, n), lv = BenchData.normal(10, n);
        float[] z = NaiveGaussian.reparameterize(mu, lv, 11);
        double sum = 0, sq = 0;
        for (int i = 0; i < n; i++) {
            double eps = (z[i] - mu[i]) / Math.exp(0.5 * lv[i]);
            sum += eps;
            sq += eps * eps;
        }
        double mean = sum / n, var = sq / n - mean * mean;
        assertEquals(0, mean, 5 / Math.sqrt(n), "mean of eps");
        assertEquals(1, var, 0.02, "variance of eps");
    }

    @Test
    void convMatchesTheCpuLayerOps() {
        for (String layer : new String[] {"1x28x28>32", "3x9x7>5"}) {
            int[] l = Conv2dBench.parse(layer);
            int b = 2, c = l[0], h = l[1], w = l[2], o = l[3], kk = Conv2dBench.KERNEL;
            float[] x = BenchData.normal(12, b * c * h * w), wt = BenchData.normal(13, o * c * kk * kk), bias = BenchData.normal(14, o);
            float[] naive = NaiveConv.conv2d(x, wt, bias, b, c, h, w, o, kk, Conv2dBench.STRIDE, Conv2dBench.PAD);
            try (CpuLayerOps layers = new CpuLayerOps();
                 Tensor y = layers.conv2d(Tensor.of(x, b, c, h, w), Tensor.of(wt, o, c, kk, kk), Tensor.of(bias, o),
                         Conv2dSpec.of(Conv2dBench.STRIDE, Conv2dBench.PAD))) {
                float[] ref = y.hostFloats();
                assertEquals(ref.length, naive.length, layer);
                for (int i = 0; i < ref.length; i++) assertEquals(ref[i], naive[i], 1e-4 * (1 + Math.abs(ref[i])), layer + " " + i);
            }
        }
    }

    @Test
    void layerStringsParseOrSayWhy() {
        assertArrayEquals(new int[] {32, 14, 14, 64}, Conv2dBench.parse("32x14x14>64"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conv2dBench.parse("32x14>64"));
        assertTrue(e.getMessage().contains("32x14>64"), e.getMessage());
    }
}
