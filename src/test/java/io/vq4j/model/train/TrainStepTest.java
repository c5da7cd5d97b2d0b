package io.vq4j.model.train;

import io.vq4j.TestData;
import io.vq4j.model.Autoencoder;
import io.vq4j.model.ConvVAE;
import io.vq4j.model.ConvVQVAE;
import io.vq4j.model.MlpVAE;
import io.vq4j.model.MlpVQVAE;
import io.vq4j.model.VaeAutoencoder;
import io.vq4j.model.StepResult;
import io.vq4j.nn.Adam;
import io.vq4j.nn.Backend;
import io.vq4j.nn.LrSchedule;
import io.vq4j.nn.VectorQuantizer;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link TrainStep} on the CPU: the epoch sums it keeps are bit for bit what reading every step
 * gave (the trainer's old bookkeeping, {@link StepSumsReference}), across epochs, for the four
 * models; a non-finite loss is reported with the step it first happened at.
 */
class TrainStepTest {
    static final Backend B = Backend.cpu();

    @AfterAll
    static void close() { B.close(); }

    static final List<Integer> HIDDEN = List.of(4, 8, 8);

    static Autoencoder build(String name, Backend b) {
        return switch (name) {
            case "ConvVQVAE" -> new ConvVQVAE(b, new ConvVQVAE.Config(3, HIDDEN, VectorQuantizer.Config.of(13, 4), 1));
            case "ConvVAE" -> new ConvVAE(b, new ConvVAE.Config(3, HIDDEN, 4, 0.1f, 1));
            case "MlpVQVAE" -> new MlpVQVAE(b, MlpVQVAE.Config.defaults().withSeed(1));
            case "MlpVAE" -> new MlpVAE(b, new MlpVAE.Config(8, 16, 4, 0.1f, 1));
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** Two host batches: images [3, 3, 16, 16] in [-1, 1] or rows [13, 8] in [0, 1]. */
    static Tensor[] inputs(String name, long seed) {
        Tensor[] x = new Tensor[2];
        for (int i = 0; i < 2; i++) {
            x[i] = name.startsWith("Conv") ? Tensor.of(TestData.uniform(seed + i, 3 * 3 * 16 * 16, -1, 1), 3, 3, 16, 16)
                    : Tensor.of(TestData.uniform(seed + i, 13 * 8, 0, 1), 13, 8);
        }
        return x;
    }

    /**
     * Runs {@code epochs} epochs of {@code steps} steps through {@link TrainStep} on {@code b},
     * checking each epoch's snapshot against the per-step host reads of the same steps.
     */
    static void sumsMatchPerStepReads(String name, Backend b, int epochs, int steps) {
        Tensor[] host = inputs(name, 42);
        try (Autoencoder m = build(name, b);
             Tensor x0 = b.ops().upload(host[0]); Tensor x1 = b.ops().upload(host[1])) {
            m.train(true);
            Adam adam = Adam.adamW(b, m.parameters(), 0.01f, LrSchedule.constant(1e-3));
            try (TrainStep step = new TrainStep(m, adam)) {
                for (int e = 0; e < epochs; e++) {
                    step.startEpoch();
                    StepSumsReference ref = new StepSumsReference();
                    for (int s = 0; s < steps; s++) {
                        Tensor x = s % 2 == 0 ? x0 : x1;
                        StepResult r = step.run(x);
                        ref.add(r, m instanceof VaeAutoencoder, x.numel());
                        if (s == 1) ref.assertSame(step.read(), name + " epoch " + e + " mid-epoch");
                    }
                    assertEquals(steps, step.stepsInEpoch());
                    EpochSums.Snapshot snap = step.read();
                    ref.assertSame(snap, name + " epoch " + e);
                    assertTrue(snap.steps() > 0 && Double.isFinite(snap.meanTotal()), name + ": " + snap);
                }
                assertEquals((long) epochs * steps, adam.steps(), "one optimizer step per train step");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"ConvVQVAE", "ConvVAE", "MlpVQVAE", "MlpVAE"})
    void epochSumsAreThePerStepReads(String name) {
        sumsMatchPerStepReads(name, B, 2, 3);
    }

    @Test
    void theFirstNonFiniteLossIsReportedWithItsStep() {
        try (Autoencoder m = build("MlpVAE", B)) {
            m.train(true);
            Adam adam = Adam.adamW(B, m.parameters(), 0.01f, LrSchedule.constant(1e-3));
            Tensor good = inputs("MlpVAE", 3)[0];
            float[] bad = good.toFloatArray();
            bad[5] = Float.NaN;
            try (TrainStep step = new TrainStep(m, adam)) {
                step.startEpoch();
                step.run(good);
                step.run(good);
                step.run(Tensor.of(bad, good.shape()));
                step.run(good); // the weights are NaN now: every later loss is too
                EpochSums.Snapshot s = step.read();
                assertEquals(2, s.badStep());
                assertTrue(Double.isNaN(s.badValue()));
                assertTrue(Double.isFinite(s.firstTotal()));
                step.startEpoch();
                assertEquals(-1, step.read().badStep(), "a new epoch starts clean");
                assertTrue(Double.isNaN(step.read().firstTotal()), "no step yet");
            }
        }
    }

    @Test
    void accumulateIsTheHostLoop() {
        double[] sums = new double[EpochSums.SLOTS];
        long[] codes = new long[3];
        EpochSums.accumulate(sums, codes, 1.5f, 6f, new float[] {0.25f, 0.5f}, true, 2f, new int[] {1, 0, 7}, 3.0, 0);
        EpochSums.accumulate(sums, codes, Float.POSITIVE_INFINITY, 3f, new float[] {0.25f, 0.5f}, true, 1f,
                new int[] {2, 2, 2}, 3.0, 1);
        EpochSums.accumulate(sums, codes, Float.NaN, 3f, null, false, Float.NaN, null, 1.0, 2);
        assertTrue(Double.isNaN(sums[EpochSums.TOTAL]), "inf + NaN");
        assertEquals(2.0 + 1.0 + 3.0, sums[EpochSums.RECON], 0);
        assertEquals(0.5, sums[EpochSums.CODEBOOK], 0);
        assertEquals(1.0, sums[EpochSums.COMMITMENT], 0);
        assertEquals(3.0, sums[EpochSums.KL], 0);
        assertEquals(1.5, sums[EpochSums.FIRST_TOTAL], 0);
        assertEquals(2.0, sums[EpochSums.BAD_STEP], 0, "step index 1, stored plus one");
        assertEquals(Double.POSITIVE_INFINITY, sums[EpochSums.BAD_VALUE], 0, "the first non-finite value is kept");
        assertArrayEquals(new long[] {3, 2, 9}, codes);
    }
}
