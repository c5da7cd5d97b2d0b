package io.vq4j.ops.layers;

import io.vq4j.TestData;
import io.vq4j.ops.CpuLayerOps;
import io.vq4j.ops.LayerGrads;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The float64 sums of {@link Fp32ConvsAtStepSizeGpuTest} agree with the CPU twin at every position of small layers. */
class Fp32ConvReferenceTest {
    @Test
    void sampledSumsMatchTheCpuTwinEverywhere() {
        CpuLayerOps cpu = new CpuLayerOps();
        for (boolean transposed : new boolean[] {false, true}) {
            Fp32ConvsAtStepSizeGpuTest.Layer g = new Fp32ConvsAtStepSizeGpuTest.Layer(2, 3, 5, transposed ? 5 : 10, transposed);
            float[] x = TestData.gaussian(1, g.n() * g.cin() * g.hin() * g.hin(), 1);
            float[] w = TestData.gaussian(2, g.cin() * g.cout() * 9, 0.5);
            float[] gy = TestData.gaussian(3, g.n() * g.cout() * g.hout() * g.hout(), 1);
            int[] ws = transposed ? new int[] {g.cin(), g.cout(), 3, 3} : new int[] {g.cout(), g.cin(), 3, 3};
            Tensor xt = Tensor.of(x, g.n(), g.cin(), g.hin(), g.hin()), wt = Tensor.of(w, ws);
            Tensor gyt = Tensor.of(gy, g.n(), g.cout(), g.hout(), g.hout());
            float[] y = (transposed ? cpu.convTranspose2d(xt, wt, null, g.spec()) : cpu.conv2d(xt, wt, null, g.spec())).toFloatArray();
            LayerGrads gr = transposed ? cpu.convTranspose2dBackward(gyt, xt, wt, false, g.spec())
                    : cpu.conv2dBackward(gyt, xt, wt, false, g.spec());
            float[] dx = gr.dInput().toFloatArray(), dw = gr.dWeight().toFloatArray();
            double worst = 0;
            for (int b = 0; b < g.n(); b++) {
                for (int o = 0; o < g.cout(); o++) {
                    for (int i = 0; i < g.hout(); i++) {
                        for (int j = 0; j < g.hout(); j++) worst = Math.max(worst, g.forwardError(x, w, y, b, o, i, j));
                    }
                }
                for (int c = 0; c < g.cin(); c++) {
                    for (int h = 0; h < g.hin(); h++) {
                        for (int v = 0; v < g.hin(); v++) worst = Math.max(worst, g.dataError(gy, w, dx, b, c, h, v));
                    }
                }
            }
            for (int o = 0; o < g.cout(); o++) {
                for (int c = 0; c < g.cin(); c++) {
                    for (int k = 0; k < 9; k++) worst = Math.max(worst, g.filterError(x, gy, dw, o, c, k / 3, k % 3));
                }
            }
            assertTrue(worst < 1e-5, g + ": the reference disagrees with the CPU twin by " + worst);
        }
    }
}
