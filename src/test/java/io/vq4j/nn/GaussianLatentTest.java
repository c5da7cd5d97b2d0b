package io.vq4j.nn;

import io.vq4j.TestData;
import io.vq4j.ops.GaussianGrads;
import io.vq4j.ops.KlReduction;
import io.vq4j.ops.Ops;
import io.vq4j.ops.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The reparameterization layer against direct Ops calls and a double reference of the KL. */
class GaussianLatentTest {
    static final Backend B = Backend.cpu();
    static final Ops O = B.ops();

    @AfterAll
    static void close() { B.close(); }

    @Test
    void trainingDrawsUseTheStepCounterAsOffset() {
        Tensor mu = Tensor.of(TestData.gaussian(1, 2 * 3 * 2 * 2, 1), 2, 3, 2, 2);
        Tensor lv = Tensor.of(TestData.gaussian(2, 24, 0.5), 2, 3, 2, 2);
        Tensor g = Tensor.of(TestData.gaussian(3, 24, 1), 2, 3, 2, 2);
        try (GaussianLatent lat = new GaussianLatent(B, 42)) {
            for (long step = 0; step < 3; step++) {
                Tensor z = lat.forward(mu, lv);
                assertArrayEquals(O.reparameterize(mu, lv, 42, step, false).z().toFloatArray(), z.toFloatArray(),
                        "z at step " + step);
                GaussianGrads gg = lat.backward(g);
                GaussianGrads want = O.reparameterizeBackward(g, lv, 42, step);
                assertArrayEquals(want.dMu().toFloatArray(), gg.dMu().toFloatArray());
                assertArrayEquals(want.dLogvar().toFloatArray(), gg.dLogvar().toFloatArray());
                GaussianGrads kg = lat.klBackward(0.1f);
                GaussianGrads wantKl = O.klBackward(mu, lv, 0.1f);
                assertArrayEquals(wantKl.dMu().toFloatArray(), kg.dMu().toFloatArray());
                assertArrayEquals(wantKl.dLogvar().toFloatArray(), kg.dLogvar().toFloatArray());
                assertEquals(step + 1, lat.draws());
            }
            // KL = -1/2 sum(1 + lv - mu^2 - exp(lv)), in double
            float[] m = mu.hostFloats(), l = lv.hostFloats();
            double kl = 0;
            for (int i = 0; i < m.length; i++) kl += -0.5 * (1 + l[i] - (double) m[i] * m[i] - Math.exp(l[i]));
            assertEquals(kl, lat.kl().item(), 1e-5 * Math.abs(kl));
            assertArrayEquals(O.klDivergence(mu, lv, KlReduction.SUM).toFloatArray(), lat.kl().toFloatArray());
        }
    }

    @Test
    void evalUsesTheMeanAndHasNoBackward() {
        Tensor mu = Tensor.of(TestData.gaussian(4, 6, 1), 2, 3);
        Tensor lv = Tensor.of(TestData.gaussian(5, 6, 1), 2, 3);
        try (GaussianLatent lat = new GaussianLatent(B, 1)) {
            lat.train(false);
            Tensor z = lat.forward(mu, lv);
            assertArrayEquals(mu.toFloatArray(), z.toFloatArray());
            assertNotSame(mu, z);
            assertEquals(0, lat.draws(), "eval draws no noise");
            assertThrows(IllegalStateException.class, () -> lat.backward(mu));
        }
    }

    @Test
    void ownedResultsAreFreedByTheNextForwardAndClose() {
        Tensor mu = Tensor.of(new float[] {0.1f, 0.2f}, 1, 2);
        Tensor lv = Tensor.of(new float[] {0.3f, -0.2f}, 1, 2);
        GaussianLatent lat = new GaussianLatent(B, 3);
        Tensor z = lat.forward(mu, lv);
        GaussianGrads gg = lat.backward(mu);
        Tensor kl = lat.kl();
        lat.forward(mu, lv);
        assertTrue(z.isClosed() && gg.dMu().isClosed() && kl.isClosed());
        Tensor z2 = lat.forward(mu, lv);
        lat.close();
        assertTrue(z2.isClosed());
        assertFalse(mu.isClosed());
    }
}
