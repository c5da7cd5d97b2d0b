package io.vq4j.ops.layers;

import io.vq4j.TestData;
import io.vq4j.ops.AdamConfig;
import io.vq4j.ops.CpuLayerOps;
import io.vq4j.ops.LossAndGrad;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** mseLoss, axpby and adamStep on the CPU against plain double-precision references. */
class TrainingOpsTest {
    final CpuLayerOps ops = new CpuLayerOps();

    @Test
    void mseLossValueAndGradient() {
        for (int n : new int[] {1, 13, 207, 1_000_003}) {
            float[] p = TestData.gaussian(n, n, 1), t = TestData.gaussian(n + 1, n, 1);
            for (boolean mean : new boolean[] {false, true}) {
                try (LossAndGrad l = ops.mseLoss(Tensor.of(p, n), Tensor.of(t, n), mean, 0.5f)) {
                    double sum = 0;
                    double[] g = new double[n];
                    for (int i = 0; i < n; i++) {
                        double e = (double) p[i] - t[i];
                        sum += e * e;
                        g[i] = 0.5 * 2 * e / (mean ? n : 1);
                    }
                    double want = mean ? sum / n : sum;
                    assertEquals(want, l.read(), Math.abs(want) * 1e-6, "value n=" + n + " mean=" + mean);
                    assertTrue(TestData.relError(l.grad().toFloatArray(), g) <= 1e-6, "grad n=" + n);
                }
            }
        }
    }

    @Test
    void mseLossChecksShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ops.mseLoss(Tensor.zeros(io.vq4j.ops.DType.F32, 2, 3), Tensor.zeros(io.vq4j.ops.DType.F32, 3, 2), true, 1f));
        assertTrue(e.getMessage().contains("mseLoss") && e.getMessage().contains("[3, 2]") && e.getMessage().contains("[2, 3]"),
                e.getMessage());
    }

    @Test
    void axpbyIsElementwise() {
        float[] a = TestData.gaussian(1, 1001, 1), b = TestData.gaussian(2, 1001, 1);
        float[] got = ops.axpby(2f, Tensor.of(a, 1001), -0.5f, Tensor.of(b, 1001)).toFloatArray();
        for (int i = 0; i < a.length; i++) assertEquals(2.0 * a[i] - 0.5 * b[i], got[i], 1e-6);
    }

    /** torch.optim.Adam / AdamW (single tensor, foreach=False) transcribed in double. */
    static void adamReference(double[] p, double[] g, double[] m, double[] v, AdamConfig c, long t) {
        double bc1 = 1 - Math.pow(c.beta1(), t), bc2 = 1 - Math.pow(c.beta2(), t);
        for (int i = 0; i < p.length; i++) {
            double gi = g[i];
            if (c.decoupled()) p[i] *= 1 - c.lr() * c.weightDecay();
            else gi += c.weightDecay() * p[i];
            m[i] = c.beta1() * m[i] + (1 - c.beta1()) * gi;
            v[i] = c.beta2() * v[i] + (1 - c.beta2()) * gi * gi;
            double denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + c.eps();
            p[i] -= c.lr() / bc1 * m[i] / denom;
        }
    }

    @Test
    void adamAndAdamWFollowPyTorchOverSeveralSteps() {
        for (AdamConfig c : new AdamConfig[] {AdamConfig.adam(1e-3f), AdamConfig.adamW(1e-2f),
                new AdamConfig(3e-3f, 0.8f, 0.99f, 1e-6f, 0.1f, false)}) {
            int n = 1003;
            float[] p = TestData.gaussian(5, n, 1), m = new float[n], v = new float[n];
            double[] pd = new double[n], md = new double[n], vd = new double[n];
            for (int i = 0; i < n; i++) pd[i] = p[i];
            Tensor pt = Tensor.of(p, n), mt = Tensor.of(m, n), vt = Tensor.of(v, n);
            for (long step = 1; step <= 5; step++) {
                float[] g = TestData.gaussian(100 + step, n, 0.1);
                double[] gd = new double[n];
                for (int i = 0; i < n; i++) gd[i] = g[i];
                ops.adamStep(pt, Tensor.of(g, n), mt, vt, c, step);
                adamReference(pd, gd, md, vd, c, step);
            }
            assertTrue(TestData.relError(p, pd) <= 1e-6, c + ": relErr " + TestData.relError(p, pd));
        }
    }
}
