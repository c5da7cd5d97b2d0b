package io.vq4j.model;

import io.vq4j.TestData;
import io.vq4j.data.SyntheticImages;
import io.vq4j.nn.Adam;
import io.vq4j.nn.Backend;
import io.vq4j.nn.LrSchedule;
import io.vq4j.nn.OneCycleLr;
import io.vq4j.nn.VectorQuantizer;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Tiny training runs on the CPU: the loss must fall by a clear factor. */
class ModelTrainingTest {
    static final Backend B = Backend.cpu();

    @AfterAll
    static void close() { B.close(); }

    /** Trains {@code steps} Adam steps on one fixed batch; returns {first loss, mean of the last 5}. */
    static double[] train(Autoencoder m, Adam opt, Tensor x, int steps) {
        double first = 0, tail = 0;
        for (int s = 0; s < steps; s++) {
            StepResult r = m.forwardBackward(x);
            double l = r.totalValue();
            assertTrue(Double.isFinite(l), "loss at step " + s + " is " + l);
            if (s == 0) first = l;
            if (s >= steps - 5) tail += l / 5;
            opt.step();
            m.afterStep();
        }
        return new double[] {first, tail};
    }

    @Test
    void mlpVqVaeLearnsClusteredRows() {
        // 64 rows in [0, 1]: 8 prototypes plus a little noise
        float[] protos = TestData.uniform(1, 8 * 8, 0, 1), noise = TestData.gaussian(2, 64 * 8, 0.02);
        float[] rows = new float[64 * 8];
        for (int i = 0; i < 64; i++) {
            for (int c = 0; c < 8; c++) rows[i * 8 + c] = Math.min(1f, Math.max(0f, protos[(i % 8) * 8 + c] + noise[i * 8 + c]));
        }
        try (MlpVQVAE m = new MlpVQVAE(B, MlpVQVAE.Config.defaults())) {
            Adam opt = Adam.adam(B, m.parameters(), LrSchedule.constant(1e-2));
            double[] l = train(m, opt, Tensor.of(rows, 64, 8), 100);
            System.out.printf("[cpu] train MlpVQVAE: loss %.4f -> %.4f%n", l[0], l[1]);
            assertTrue(l[1] < 0.5 * l[0], "loss " + l[0] + " -> " + l[1]);
        }
    }

    @Test
    void convVqVaeLearnsSyntheticImages() {
        SyntheticImages data = new SyntheticImages(16, 3, 16, 16, 7);
        float[] batch = new float[16 * 3 * 16 * 16];
        for (int i = 0; i < 16; i++) data.read(i, batch, i * 3 * 16 * 16);
        for (int i = 0; i < batch.length; i++) batch[i] = 2 * batch[i] - 1; // [0, 1] -> [-1, 1]
        ConvVQVAE.Config cfg = new ConvVQVAE.Config(3, List.of(8, 16, 16),
                VectorQuantizer.Config.of(16, 4).withKmeansInit(true).withDeadCodeThreshold(0.5f), 0);
        try (ConvVQVAE m = new ConvVQVAE(B, cfg)) {
            Adam opt = Adam.adamW(B, m.parameters(), 0.01f, OneCycleLr.of(1e-2, 60));
            double[] l = train(m, opt, Tensor.of(batch, 16, 3, 16, 16), 60);
            System.out.printf("[cpu] train ConvVQVAE: loss %.4f -> %.4f%n", l[0], l[1]);
            assertTrue(l[1] < 0.5 * l[0], "loss " + l[0] + " -> " + l[1]);
        }
    }

    @Test
    void convVqVaeWithEmaTrains() {
        SyntheticImages data = new SyntheticImages(8, 1, 16, 16, 3);
        float[] batch = new float[8 * 16 * 16];
        for (int i = 0; i < 8; i++) data.read(i, batch, i * 16 * 16);
        for (int i = 0; i < batch.length; i++) batch[i] = 2 * batch[i] - 1;
        ConvVQVAE.Config cfg = new ConvVQVAE.Config(1, List.of(8, 8, 8),
                VectorQuantizer.Config.of(8, 4).withEma(true).withDeadCodeThreshold(1e-3f), 1);
        try (ConvVQVAE m = new ConvVQVAE(B, cfg)) {
            Adam opt = Adam.adam(B, m.parameters(), LrSchedule.constant(1e-2));
            float[] cb0 = m.quantizer().codebook().value().toFloatArray();
            double[] l = train(m, opt, Tensor.of(batch, 8, 1, 16, 16), 40);
            System.out.printf("[cpu] train ConvVQVAE-ema: loss %.4f -> %.4f%n", l[0], l[1]);
            assertTrue(l[1] < 0.5 * l[0], "loss " + l[0] + " -> " + l[1]);
            assertFalse(java.util.Arrays.equals(cb0, m.quantizer().codebook().value().toFloatArray()),
                    "the EMA moved the codebook");
            assertNull(m.quantizer().codebook().adamM(), "Adam leaves the EMA codebook alone");
        }
    }

    @Test
    void mlpVaeTrains() {
        float[] rows = TestData.uniform(5, 32 * 8, 0, 1);
        try (MlpVAE m = new MlpVAE(B, MlpVAE.Config.of(8, 32, 4))) {
            Adam opt = Adam.adam(B, m.parameters(), LrSchedule.constant(1e-2));
            double[] l = train(m, opt, Tensor.of(rows, 32, 8), 80);
            System.out.printf("[cpu] train MlpVAE: loss %.4f -> %.4f%n", l[0], l[1]);
            assertTrue(l[1] < 0.5 * l[0], "loss " + l[0] + " -> " + l[1]);
        }
    }
}
