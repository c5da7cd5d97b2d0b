package io.vq4j.model;

import io.vq4j.GpuTest;
import io.vq4j.TestData;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.nn.Adam;
import io.vq4j.nn.Backend;
import io.vq4j.nn.LrSchedule;
import io.vq4j.nn.Parameter;
import io.vq4j.nn.VectorQuantizer;
import io.vq4j.ops.DType;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The four models on CUDA against the same models on the CPU (same seed, same batch): initial
 * state bit for bit, the first step's losses and every gradient, a few training steps, inference,
 * a state-dict round trip across backends, and no device memory left after close.
 */
class ModelGpuTest extends GpuTest {

    static Autoencoder build(String name, Backend b, long seed) {
        if (name.equals("ConvVQVAE-ema")) {
            return new ConvVQVAE(b, Tiny.convVq(seed).withVq(
                    VectorQuantizer.Config.of(8, 4).withEma(true).withDeadCodeThreshold(1e-3f).withKmeansInit(true)));
        }
        return Tiny.build(name, b, seed);
    }

    static double rel(double got, double want) { return Math.abs(got - want) / Math.max(Math.abs(want), 1e-30); }

    @ParameterizedTest
    @ValueSource(strings = {"ConvVQVAE", "ConvVAE", "MlpVQVAE", "MlpVAE", "ConvVQVAE-ema"})
    void cudaModelMatchesTheCpuModel(String name) {
        long seed = System.nanoTime();
        String base = name.replace("-ema", "");
        Tensor xHost = Tiny.input(base, seed);
        long liveBefore = DeviceBuffer.liveBytes();
        try (Backend cpu = Backend.cpu(); Backend gpu = Backend.create("cuda")) {
            try (Autoencoder mc = build(name, cpu, 1); Autoencoder mg = build(name, gpu, 1);
                 Tensor x = gpu.ops().upload(xHost)) {
                // initial state: the same host draws, uploaded
                Map<String, Tensor> sc = mc.stateDict(), sg = mg.stateDict();
                assertEquals(sc.keySet(), sg.keySet());
                for (String k : sc.keySet()) {
                    if (sc.get(k).dtype() == DType.F32) assertArrayEquals(sc.get(k).toFloatArray(), sg.get(k).toFloatArray(), k);
                }

                StepResult rc = mc.forwardBackward(xHost), rg = mg.forwardBackward(x);
                double lossErr = rel(rg.totalValue(), rc.totalValue());
                double gradErr = 0;
                String worst = "";
                for (int i = 0; i < mc.parameters().size(); i++) {
                    Parameter pc = mc.parameters().get(i), pg = mg.parameters().get(i);
                    if (pc.grad() == null) {
                        assertNull(pg.grad(), pc.name());
                        continue;
                    }
                    float[] g = pg.grad().toFloatArray(), want = pc.grad().toFloatArray();
                    for (float v : g) assertFalse(Float.isNaN(v), pc.name() + " has NaN (seed " + seed + ")");
                    double diff = 0;
                    for (int j = 0; j < g.length; j++) diff += ((double) g[j] - want[j]) * ((double) g[j] - want[j]);
                    diff = Math.sqrt(diff);
                    // biases in front of batch norm have (numerically) zero gradients: compare those absolutely
                    double wn = norm(want);
                    if (wn < 1e-4) {
                        // that zero is a cancellation whose float noise scales with the model's gradients
                        // (large for the VAEs' summed losses): bound it relative to the largest of them
                        double scale = 1;
                        for (var q : mc.parameters()) if (q.grad() != null) scale = Math.max(scale, norm(q.grad().toFloatArray()));
                        assertTrue(diff < 1e-5 * scale, pc.name() + " near-zero gradient differs by " + diff
                                + " (largest gradient norm " + scale + ", seed " + seed + ")");
                        continue;
                    }
                    if (diff / wn > gradErr) {
                        gradErr = diff / wn;
                        worst = pc.name();
                    }
                }
                System.out.printf("[gpu] op=model.forwardBackward model=%s shape=%s maxErr=loss %.2e grad %.2e (%s)%n",
                        name, xHost.shapeString(), lossErr, gradErr, worst);
                assertTrue(lossErr < 1e-4, name + " loss " + rg.totalValue() + " vs cpu " + rc.totalValue() + " (seed " + seed + ")");
                assertTrue(gradErr < 1e-3, name + " gradient of " + worst + " rel err " + gradErr + " (seed " + seed + ")");
                if (rc.codeCounts() != null) {
                    assertArrayEquals(rc.codeCounts().toIntArray(), rg.codeCounts().toIntArray(), "code counts (seed " + seed + ")");
                }

                // a few steps on both: the losses stay close
                Adam oc = Adam.adam(cpu, mc.parameters(), LrSchedule.constant(1e-3));
                Adam og = Adam.adam(gpu, mg.parameters(), LrSchedule.constant(1e-3));
                oc.step();
                og.step();
                mc.afterStep();
                mg.afterStep();
                double stepErr = 0;
                for (int s = 0; s < 3; s++) {
                    double lc = mc.forwardBackward(xHost).totalValue(), lg = mg.forwardBackward(x).totalValue();
                    stepErr = Math.max(stepErr, rel(lg, lc));
                    oc.step();
                    og.step();
                    mc.afterStep();
                    mg.afterStep();
                }
                System.out.printf("[gpu] op=model.train4 model=%s shape=%s maxErr=%.2e%n", name, xHost.shapeString(), stepErr);
                assertTrue(stepErr < 1e-2, name + " loss after 4 steps rel err " + stepErr + " (seed " + seed + ")");

                // inference, then the GPU model's state into a fresh CPU model: same reconstruction
                try (Tensor yg = mg.reconstruct(x); Autoencoder back = build(name, cpu, 99)) {
                    back.loadStateDict(mg.stateDict());
                    try (Tensor yc = back.reconstruct(xHost)) {
                        double e = TestData.relError(yg.toFloatArray(), yc.toFloatArray());
                        System.out.printf("[gpu] op=model.reconstruct model=%s shape=%s maxErr=%.2e%n", name, xHost.shapeString(), e);
                        assertTrue(e < 1e-3, name + " reconstruction rel err " + e + " (seed " + seed + ")");
                    }
                }
                if (mg instanceof VqAutoencoder v) {
                    try (Tensor idx = v.encode(x); Tensor y = v.decode(idx)) {
                        assertEquals(DType.I32, idx.dtype());
                        assertTrue(idx.isOnDevice() && y.isOnDevice());
                    }
                }
            }
        }
        assertEquals(liveBefore, DeviceBuffer.liveBytes(), name + ": device memory left after close");
    }

    static double norm(float[] a) {
        double s = 0;
        for (float v : a) s += (double) v * v;
        return Math.sqrt(s);
    }
}
