package io.vq4j.ops;

import io.vq4j.TestData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused Gaussian latent step on the CPU: bit-equal to the composition of the existing ops
 * (reparameterize + klDivergence; reparameterizeBackward + klBackward added in float), close to a
 * plain double reference, its backward against central differences in double, and its argument checks.
 */
class GaussianFusedCpuTest {
    private static final CpuOps OPS = new CpuOps();

    @AfterAll
    static void close() { OPS.close(); }

    static final int[][] SHAPES = {{1}, {13}, {207}, {1000003}, {13, 207}, {4, 3, 5, 7}, {3, 333335}};
    static final long[] OFFSETS = {0, 1, 7, (1L << 32) + 5};

    private static float[][] inputs(long seed, int n) {
        return new float[][] {TestData.gaussian(seed, n, 1.5), TestData.uniform(seed + 1, n, -4, 2),
                TestData.gaussian(seed + 2, n, 1.0)};
    }

    private static void assertBits(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + " length");
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                throw new AssertionError(what + " differs at " + i + ": composition " + want[i] + ", fused " + got[i]);
            }
        }
    }

    @Test
    void forwardEqualsComposition() {
        int c = 0;
        for (int[] shape : SHAPES) {
            int n = (int) Tensor.numel(shape);
            float[][] in = inputs(100 + c, n);
            long offset = OFFSETS[c++ % OFFSETS.length];
            Tensor mu = Tensor.of(in[0], shape), lv = Tensor.of(in[1], shape);
            for (KlReduction r : KlReduction.values()) {
                String what = "gaussianLatentForward(" + r + ")" + Arrays.toString(shape) + " offset=" + offset;
                try (GaussianLatentStep step = OPS.gaussianLatentForward(mu, lv, 42, offset, r);
                     Reparameterized rep = OPS.reparameterize(mu, lv, 42, offset, false);
                     Tensor kl = OPS.klDivergence(mu, lv, r)) {
                    assertArrayEquals(shape, step.z().shape(), what + " z shape");
                    assertArrayEquals(kl.shape(), step.kl().shape(), what + " kl shape");
                    assertBits(rep.z().hostFloats(), step.z().hostFloats(), what + " z");
                    assertBits(kl.hostFloats(), step.kl().hostFloats(), what + " kl");
                }
            }
        }
    }

    @Test
    void backwardEqualsComposition() {
        int c = 0;
        for (int[] shape : SHAPES) {
            int n = (int) Tensor.numel(shape);
            float[][] in = inputs(200 + c, n);
            long offset = OFFSETS[c++ % OFFSETS.length];
            float w = c % 2 == 0 ? 0.25f : 1.7e-3f;
            Tensor mu = Tensor.of(in[0], shape), lv = Tensor.of(in[1], shape), g = Tensor.of(in[2], shape);
            String what = "gaussianLatentBackward" + Arrays.toString(shape) + " offset=" + offset + " w=" + w;
            try (GaussianGrads fused = OPS.gaussianLatentBackward(g, mu, lv, 9, offset, w);
                 GaussianGrads rep = OPS.reparameterizeBackward(g, lv, 9, offset);
                 GaussianGrads kl = OPS.klBackward(mu, lv, w)) {
                float[] dMu = rep.dMu().hostFloats().clone(), dLv = rep.dLogvar().hostFloats().clone();
                float[] kMu = kl.dMu().hostFloats(), kLv = kl.dLogvar().hostFloats();
                for (int i = 0; i < n; i++) {
                    dMu[i] += kMu[i];
                    dLv[i] += kLv[i];
                }
                assertArrayEquals(shape, fused.dMu().shape(), what);
                assertBits(dMu, fused.dMu().hostFloats(), what + " dMu");
                assertBits(dLv, fused.dLogvar().hostFloats(), what + " dLogvar");
            }
        }
    }

    /** Plain double loops: z, the KL (all reductions) and both gradients, with eps from standardNormal. */
    @Test
    void matchesDoubleReference() {
        int[] shape = {5, 41};
        int n = 205, b = 5;
        float[][] in = inputs(7, n);
        long offset = 3;
        float w = 0.3f;
        float[] eps = OPS.standardNormal(11, offset, n).hostFloats();
        Tensor mu = Tensor.of(in[0], shape), lv = Tensor.of(in[1], shape), g = Tensor.of(in[2], shape);
        double[] perSample = new double[b];
        for (int i = 0; i < n; i++) {
            double m = in[0][i], l = in[1][i];
            perSample[i / 41] += -0.5 * (1 + l - m * m - Math.exp(l));
        }
        double sum = Arrays.stream(perSample).sum();
        for (KlReduction r : KlReduction.values()) {
            try (GaussianLatentStep step = OPS.gaussianLatentForward(mu, lv, 11, offset, r)) {
                float[] z = step.z().hostFloats(), kl = step.kl().hostFloats();
                for (int i = 0; i < n; i++) {
                    double ref = in[0][i] + Math.exp(in[1][i] / 2.0) * eps[i];
                    assertEquals(ref, z[i], 1e-6 * (1 + Math.abs(ref)), "z[" + i + "]");
                }
                double[] ref = r == KlReduction.PER_SAMPLE ? perSample : new double[] {r == KlReduction.SUM ? sum : sum / b};
                for (int s = 0; s < ref.length; s++) assertEquals(ref[s], kl[s], 1e-5 * Math.abs(ref[s]) + 1e-6, r + " kl[" + s + "]");
            }
        }
        try (GaussianGrads gr = OPS.gaussianLatentBackward(g, mu, lv, 11, offset, w)) {
            float[] dMu = gr.dMu().hostFloats(), dLv = gr.dLogvar().hostFloats();
            for (int i = 0; i < n; i++) {
                double gi = in[2][i], m = in[0][i], l = in[1][i];
                double rm = gi + w * m, rl = gi * eps[i] * Math.exp(l / 2) / 2 + w * (Math.exp(l) - 1) / 2;
                assertEquals(rm, dMu[i], 1e-6 * (1 + Math.abs(rm)), "dMu[" + i + "]");
                assertEquals(rl, dLv[i], 1e-6 * (1 + Math.abs(rl)), "dLogvar[" + i + "]");
            }
        }
    }

    /** L = sum(gradZ * z) + w * KL_sum; central differences in double against the fused backward. */
    @Test
    void backwardMatchesFiniteDifferences() {
        int n = 13;
        float[][] in = inputs(5, n);
        float w = 0.7f;
        long offset = 7;
        double[] eps = new double[n];
        float[] e = OPS.standardNormal(3, offset, n).hostFloats();
        for (int i = 0; i < n; i++) eps[i] = e[i];
        double[] m = new double[n], l = new double[n], g = new double[n];
        for (int i = 0; i < n; i++) {
            m[i] = in[0][i];
            l[i] = in[1][i];
            g[i] = in[2][i];
        }
        try (GaussianGrads gr = OPS.gaussianLatentBackward(Tensor.of(in[2], n), Tensor.of(in[0], n), Tensor.of(in[1], n), 3, offset, w)) {
            float[] dMu = gr.dMu().hostFloats(), dLv = gr.dLogvar().hostFloats();
            double h = 1e-5;
            for (int i = 0; i < n; i++) {
                double[] mp = m.clone(), mm = m.clone(), lp = l.clone(), lm = l.clone();
                mp[i] += h;
                mm[i] -= h;
                lp[i] += h;
                lm[i] -= h;
                double fdMu = (loss(mp, l, g, eps, w) - loss(mm, l, g, eps, w)) / (2 * h);
                double fdLv = (loss(m, lp, g, eps, w) - loss(m, lm, g, eps, w)) / (2 * h);
                assertEquals(fdMu, dMu[i], 1e-4 * (1 + Math.abs(fdMu)), "dMu[" + i + "]");
                assertEquals(fdLv, dLv[i], 1e-4 * (1 + Math.abs(fdLv)), "dLogvar[" + i + "]");
            }
        }
    }

    private static double loss(double[] m, double[] l, double[] g, double[] eps, double w) {
        double s = 0;
        for (int i = 0; i < m.length; i++) {
            s += g[i] * (m[i] + Math.exp(l[i] / 2) * eps[i]);
            s += w * -0.5 * (1 + l[i] - m[i] * m[i] - Math.exp(l[i]));
        }
        return s;
    }

    @Test
    void emptyBatch() {
        Tensor empty = Tensor.of(new float[0], 0, 3);
        try (GaussianLatentStep step = OPS.gaussianLatentForward(empty, empty, 1, 0, KlReduction.PER_SAMPLE)) {
            assertArrayEquals(new int[] {0, 3}, step.z().shape());
            assertArrayEquals(new int[] {0}, step.kl().shape());
        }
        try (GaussianLatentStep step = OPS.gaussianLatentForward(empty, empty, 1, 0, KlReduction.SUM)) {
            assertEquals(0f, step.kl().hostFloats()[0]);
        }
    }

    // ---- argument checks ------------------------------------------------------------------

    private static final Tensor A = Tensor.of(new float[6], 2, 3);
    private static final Tensor A2 = Tensor.of(new float[6], 2, 3);
    private static final Tensor B = Tensor.of(new float[6], 3, 2);
    private static final Tensor I = Tensor.ofInts(new int[6], 2, 3);

    private static void rejects(Executable call, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String p : parts) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(p),
                    () -> "message \"" + e.getMessage() + "\" should mention \"" + p + "\"");
        }
    }

    @Test
    void forwardArguments() {
        rejects(() -> OPS.gaussianLatentForward(null, A, 1, 0, KlReduction.SUM), "mu", "null");
        rejects(() -> OPS.gaussianLatentForward(A, null, 1, 0, KlReduction.SUM), "logvar", "null");
        rejects(() -> OPS.gaussianLatentForward(A, B, 1, 0, KlReduction.SUM), "mu", "[2, 3]", "logvar", "[3, 2]");
        rejects(() -> OPS.gaussianLatentForward(I, A, 1, 0, KlReduction.SUM), "mu", "F32", "I32[2, 3]");
        rejects(() -> OPS.gaussianLatentForward(A, A2, 1, -3, KlReduction.SUM), "offset", "-3");
        rejects(() -> OPS.gaussianLatentForward(A, A2, 1, 0, null), "reduction", "null");
        Tensor scalar = Tensor.of(new float[1]);
        rejects(() -> OPS.gaussianLatentForward(scalar, scalar, 1, 0, KlReduction.MEAN), "mu", "[]", "batch");
    }

    @Test
    void backwardArguments() {
        rejects(() -> OPS.gaussianLatentBackward(null, A, A2, 1, 0, 1f), "gradZ", "null");
        rejects(() -> OPS.gaussianLatentBackward(A, null, A2, 1, 0, 1f), "mu", "null");
        rejects(() -> OPS.gaussianLatentBackward(A, A2, null, 1, 0, 1f), "logvar", "null");
        rejects(() -> OPS.gaussianLatentBackward(B, A, A2, 1, 0, 1f), "gradZ", "[3, 2]", "mu", "[2, 3]");
        rejects(() -> OPS.gaussianLatentBackward(A, A2, B, 1, 0, 1f), "mu", "[2, 3]", "logvar", "[3, 2]");
        rejects(() -> OPS.gaussianLatentBackward(A, I, A2, 1, 0, 1f), "mu", "I32[2, 3]");
        rejects(() -> OPS.gaussianLatentBackward(A, A2, A, 1, -1, 1f), "offset", "-1");
        rejects(() -> OPS.gaussianLatentBackward(A, A2, A, 1, 0, Float.NaN), "klWeight", "NaN");
        rejects(() -> OPS.gaussianLatentBackward(A, A2, A, 1, 0, Float.POSITIVE_INFINITY), "klWeight", "Infinity");
    }
}
