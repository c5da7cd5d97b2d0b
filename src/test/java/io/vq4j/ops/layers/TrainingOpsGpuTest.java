package io.vq4j.ops.layers;

import io.vq4j.GpuTest;
import io.vq4j.TestData;
import io.vq4j.ops.AdamConfig;
import io.vq4j.ops.CpuLayerOps;
import io.vq4j.ops.CudaLayerOps;
import io.vq4j.ops.CudaOps;
import io.vq4j.ops.LossAndGrad;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** mseLoss, axpby and adamStep on the GPU against their CPU twins (Adam: bit for bit). */
class TrainingOpsGpuTest extends GpuTest {

    @Test
    void matchTheCpu() {
        CpuLayerOps cpu = new CpuLayerOps();
        try (CudaOps ops = new CudaOps(); CudaLayerOps gpu = new CudaLayerOps(ops)) {
            for (int n : new int[] {1, 13, 207, 1_000_003, 6_291_456}) {
                float[] p = TestData.gaussian(n, n, 1), t = TestData.gaussian(n + 1, n, 1);
                try (Tensor dp = ops.upload(Tensor.of(p, n)); Tensor dt = ops.upload(Tensor.of(t, n))) {
                    for (boolean mean : new boolean[] {false, true}) {
                        try (LossAndGrad g = gpu.mseLoss(dp, dt, mean, 1f); LossAndGrad c = cpu.mseLoss(Tensor.of(p, n), Tensor.of(t, n), mean, 1f)) {
                            double ve = Math.abs(g.read() - c.read()) / Math.abs(c.read());
                            double ge = TestData.relError(g.grad().toFloatArray(), c.grad().toFloatArray());
                            System.out.printf("[gpu] op=mseLoss n=%d mean=%b valueRelErr=%.3e gradRelErr=%.3e%n", n, mean, ve, ge);
                            assertTrue(ve <= 1e-6 && ge == 0, "n=" + n + " value " + ve + " grad " + ge);
                            // deterministic: the same bits again
                            try (LossAndGrad again = gpu.mseLoss(dp, dt, mean, 1f)) {
                                assertEquals(Float.floatToIntBits(g.value().item()), Float.floatToIntBits(again.value().item()));
                            }
                        }
                    }
                    try (Tensor s = gpu.axpby(2f, dp, -0.5f, dt)) {
                        double e = TestData.relError(s.toFloatArray(), cpu.axpby(2f, Tensor.of(p, n), -0.5f, Tensor.of(t, n)).toFloatArray());
                        System.out.printf("[gpu] op=axpby n=%d relErr=%.3e%n", n, e);
                        assertEquals(0, e, 0, "axpby n=" + n);
                    }
                }
            }
            int n = 1_000_003;
            for (AdamConfig c : new AdamConfig[] {AdamConfig.adam(1e-3f), AdamConfig.adamW(1e-2f)}) {
                float[] p = TestData.gaussian(7, n, 1), m = new float[n], v = new float[n];
                try (Tensor dp = ops.upload(Tensor.of(p.clone(), n)); Tensor dm = ops.upload(Tensor.of(m.clone(), n));
                     Tensor dv = ops.upload(Tensor.of(v.clone(), n))) {
                    for (long step = 1; step <= 4; step++) {
                        float[] g = TestData.gaussian(50 + step, n, 0.1);
                        try (Tensor dg = ops.upload(Tensor.of(g, n))) {
                            gpu.adamStep(dp, dg, dm, dv, c, step);
                        }
                        cpu.adamStep(Tensor.of(p, n), Tensor.of(g, n), Tensor.of(m, n), Tensor.of(v, n), c, step);
                    }
                    float[] got = dp.toFloatArray();
                    int differ = 0;
                    for (int i = 0; i < n; i++) if (Float.floatToIntBits(got[i]) != Float.floatToIntBits(p[i])) differ++;
                    System.out.printf("[gpu] op=adamStep n=%d decoupled=%b steps=4 differingBits=%d relErr=%.3e%n", n,
                            c.decoupled(), differ, TestData.relError(got, p));
                    assertEquals(0, differ, "Adam on the GPU must match the CPU twin bit for bit");
                }
            }
        }
    }
}
