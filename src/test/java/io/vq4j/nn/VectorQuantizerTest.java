package io.vq4j.nn;

import io.vq4j.TestData;
import io.vq4j.ops.EmaState;
import io.vq4j.ops.NearestCode;
import io.vq4j.ops.Ops;
import io.vq4j.ops.Quantized;
import io.vq4j.ops.Tensor;
import io.vq4j.ops.VqGrads;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The VQ layer against direct Ops calls (bit for bit) and double references of its losses. */
class VectorQuantizerTest {
    static final Backend B = Backend.cpu();
    static final Ops O = B.ops();

    @AfterAll
    static void close() { B.close(); }

    static Tensor copy(Tensor t) { return t.toHost(); }

    @Test
    void forwardAndBackwardMatchTheOpsNchw() {
        VectorQuantizer.Config cfg = VectorQuantizer.Config.of(7, 3).withBeta(0.3f);
        try (VectorQuantizer vq = new VectorQuantizer(B, new Init(1), cfg, 5)) {
            // codes spread like z so the assignment is non-trivial
            float[] cb = TestData.gaussian(2, 21, 1);
            System.arraycopy(cb, 0, vq.codebook().value().hostFloats(), 0, 21);
            Tensor z = Tensor.of(TestData.gaussian(3, 2 * 3 * 3 * 5, 1), 2, 3, 3, 5);
            Tensor st = vq.forward(z);

            Tensor cbv = vq.codebook().value();
            NearestCode nc = O.nearestCode(z, cbv, false);
            Quantized q = O.quantize(z, cbv, nc.indices());
            assertArrayEquals(nc.indices().toIntArray(), vq.indices().toIntArray(), "indices");
            assertArrayEquals(new int[] {2, 3, 5}, vq.indices().shape());
            assertArrayEquals(q.straightThrough().toFloatArray(), st.toFloatArray(), "straight-through output");
            assertArrayEquals(q.losses().toFloatArray(), vq.losses().toFloatArray(), "losses");

            // loss = (1 + beta) * mean((z - e[idx])^2), in double from the data
            float[] zf = z.hostFloats(), e = cbv.hostFloats();
            int[] idx = vq.indices().toIntArray();
            double sum = 0;
            for (int b = 0; b < 2; b++) for (int c = 0; c < 3; c++) for (int s = 0; s < 15; s++) {
                double d = zf[(b * 3 + c) * 15 + s] - e[idx[b * 15 + s] * 3 + c];
                sum += d * d;
            }
            double mean = sum / 90;
            assertEquals(1.3 * mean, vq.loss().item(), 1e-6 * mean, "loss");
            assertEquals(mean, vq.losses().toFloatArray()[1], 1e-6 * mean, "commitment");

            Tensor g = Tensor.of(TestData.gaussian(4, 90, 0.1), z.shape());
            Tensor gz = vq.backward(g);
            VqGrads want = O.vqBackward(g, z, cbv, nc.indices(), 0.3f, true);
            assertArrayEquals(want.gradZ().toFloatArray(), gz.toFloatArray(), "gradZ");
            assertArrayEquals(want.gradCodebook().toFloatArray(), vq.codebook().grad().toFloatArray(), "gradCodebook");
            assertArrayEquals(want.counts().toIntArray(), vq.counts().toIntArray(), "counts");
            assertTrue(vq.codebookStats(1).perplexity() >= 1);
        }
    }

    @Test
    void emaCodebookGetsNoGradientAndAfterStepIsTheEmaUpdate() {
        VectorQuantizer.Config cfg = VectorQuantizer.Config.of(5, 4).withEma(true);
        try (VectorQuantizer vq = new VectorQuantizer(B, new Init(6), cfg, 7)) {
            assertFalse(vq.codebook().requiresGrad());
            assertEquals(List.of("ema_cluster_size", "ema_w", "embedding.weight"),
                    List.copyOf(vq.stateDict().keySet()));
            Tensor z = Tensor.of(TestData.gaussian(8, 13 * 4, 0.05), 13, 4);
            vq.forward(z);
            assertEquals(0.25 * vq.losses().toFloatArray()[1], vq.loss().item(), 1e-7, "EMA loss is beta * commitment");
            vq.backward(Tensor.of(new float[52], 13, 4));
            assertNull(vq.codebook().grad(), "no codebook gradient with EMA");

            Tensor cb = copy(vq.codebook().value());
            EmaState st = new EmaState(copy(vq.emaState().clusterSize()), copy(vq.emaState().embedSum()));
            O.emaUpdate(z, vq.indices(), cb, st, 0.99f, 1e-5f);
            assertEquals(0, vq.afterStep());
            assertArrayEquals(cb.toFloatArray(), vq.codebook().value().toFloatArray(), "codebook");
            assertArrayEquals(st.clusterSize().toFloatArray(), vq.emaState().clusterSize().toFloatArray(), "N");
            assertArrayEquals(st.embedSum().toFloatArray(), vq.emaState().embedSum().toFloatArray(), "m");
            assertEquals(1, vq.steps());
        }
    }

    @Test
    void deadCodesAreRevivedFromTheBatch() {
        // K = 257 codes for 13 vectors: at least 244 codes are unused and get revived
        VectorQuantizer.Config cfg = VectorQuantizer.Config.of(257, 3).withDeadCodeThreshold(1f);
        try (VectorQuantizer vq = new VectorQuantizer(B, new Init(9), cfg, 10)) {
            Tensor z = Tensor.of(TestData.gaussian(11, 39, 1), 13, 3);
            vq.forward(z);
            vq.backward(Tensor.of(new float[39], 13, 3));
            int unused = 0;
            for (int c : vq.counts().toIntArray()) if (c == 0) unused++;
            assertTrue(unused >= 244);
            float[] before = vq.codebook().value().toFloatArray();
            int[] counts = vq.counts().toIntArray();
            assertEquals(unused, vq.afterStep());
            float[] after = vq.codebook().value().toFloatArray(), zf = z.hostFloats();
            for (int k = 0; k < 257; k++) {
                if (counts[k] > 0) {
                    for (int c = 0; c < 3; c++) assertEquals(before[k * 3 + c], after[k * 3 + c], "used code " + k + " kept");
                } else {
                    boolean found = false;
                    for (int n = 0; n < 13 && !found; n++) {
                        found = after[k * 3] == zf[n * 3] && after[k * 3 + 1] == zf[n * 3 + 1] && after[k * 3 + 2] == zf[n * 3 + 2];
                    }
                    assertTrue(found, "revived code " + k + " is a batch vector");
                }
            }
        }
    }

    @Test
    void kmeansInitFitsTheFirstBatch() {
        // 4 well separated clusters in D = 3, 50 points each
        int n = 200, d = 3, k = 4;
        float[] z = new float[n * d];
        float[] noise = TestData.gaussian(12, n * d, 0.05);
        for (int i = 0; i < n; i++) for (int c = 0; c < d; c++) z[i * d + c] = ((i % 4) == c ? 3f : 0f) + (i % 4 == 3 ? -3f : 0f) + noise[i * d + c];
        VectorQuantizer.Config cfg = VectorQuantizer.Config.of(k, d).withKmeansInit(true);
        try (VectorQuantizer vq = new VectorQuantizer(B, new Init(13), cfg, 14)) {
            assertFalse(vq.isInitialized());
            Tensor zt = Tensor.of(z, n, d);
            vq.forward(zt);
            assertTrue(vq.isInitialized());
            float[] e = vq.codebook().value().toFloatArray();
            int[] idx = vq.indices().toIntArray();
            // a Lloyd fixed point: each code is the mean of the vectors assigned to it, none empty
            double[] sum = new double[k * d];
            int[] cnt = new int[k];
            for (int i = 0; i < n; i++) {
                cnt[idx[i]]++;
                for (int c = 0; c < d; c++) sum[idx[i] * d + c] += z[i * d + c];
            }
            for (int j = 0; j < k; j++) {
                assertTrue(cnt[j] > 0, "code " + j + " is used");
                for (int c = 0; c < d; c++) assertEquals(sum[j * d + c] / cnt[j], e[j * d + c], 1e-4, "code " + j);
            }
            assertTrue(vq.losses().toFloatArray()[0] < 0.01, "the clusters are found: loss " + vq.losses().toFloatArray()[0]);
            float[] fitted = e.clone();
            vq.forward(zt);
            assertArrayEquals(fitted, vq.codebook().value().toFloatArray(), "k-means runs once");
        }
    }

    @Test
    void kmeansInitWithEmaStartsTheStatisticsThere() {
        VectorQuantizer.Config cfg = VectorQuantizer.Config.of(8, 2).withKmeansInit(true).withEma(true);
        try (VectorQuantizer vq = new VectorQuantizer(B, new Init(15), cfg, 16)) {
            Tensor z = Tensor.of(TestData.gaussian(17, 64, 1), 32, 2);
            vq.forward(z);
            float[] size = vq.emaState().clusterSize().toFloatArray(), m = vq.emaState().embedSum().toFloatArray();
            float[] e = vq.codebook().value().toFloatArray();
            double total = 0;
            for (int j = 0; j < 8; j++) {
                total += size[j];
                assertTrue(size[j] >= 1, "cluster " + j + " is not empty");
                for (int c = 0; c < 2; c++) assertEquals(m[j * 2 + c] / size[j], e[j * 2 + c], 1e-5, "e = m / N");
            }
            assertTrue(total >= 32, "sizes are batch counts (plus revived ones)");
        }
    }

    @Test
    void lookupGathersCodesInTheLatentLayout() {
        try (VectorQuantizer vq = new VectorQuantizer(B, new Init(18), VectorQuantizer.Config.of(4, 2), 0);
             Tensor idx = Tensor.ofInts(new int[] {3, 0, 1, 1, 2, 0}, 1, 2, 3);
             Tensor zq = vq.lookup(idx, 1, 2, 2, 3)) {
            float[] e = vq.codebook().value().toFloatArray(), out = zq.toFloatArray();
            int[] ii = idx.toIntArray();
            for (int s = 0; s < 6; s++) for (int c = 0; c < 2; c++) assertEquals(e[ii[s] * 2 + c], out[c * 6 + s]);
        }
    }

    @Test
    void codebookIsUniformInMinusOneOverKToOneOverK() {
        try (VectorQuantizer vq = new VectorQuantizer(B, new Init(19), VectorQuantizer.Config.of(16, 64), 0)) {
            double max = 0;
            for (float v : vq.codebook().value().toFloatArray()) max = Math.max(max, Math.abs(v));
            assertTrue(max <= 1.0 / 16 && max > 0.9 / 16, "max |e| = " + max);
        }
    }

    @Test
    void afterStepNeedsATrainingForward() {
        try (VectorQuantizer vq = new VectorQuantizer(B, new Init(20), VectorQuantizer.Config.of(4, 2).withEma(true), 0)) {
            assertThrows(IllegalStateException.class, vq::afterStep);
            vq.train(false);
            vq.forward(Tensor.of(new float[] {1, 2}, 1, 2));
            assertThrows(IllegalStateException.class, vq::afterStep);
        }
    }

    @Test
    void configRejectsBadValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VectorQuantizer.Config.of(0, 4));
        assertTrue(e.getMessage().contains("numEmbeddings"));
        assertThrows(IllegalArgumentException.class, () -> VectorQuantizer.Config.of(4, 4).withBeta(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> VectorQuantizer.Config.of(4, 4).withDeadCodeThreshold(-1));
    }
}
