package io.vq4j.ops;

import io.vq4j.TestData;
import io.vq4j.ops.cpu.Philox;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** EMA codebook update over several steps vs a double reference, and dead-code revival. */
class CpuCodebookEmaTest {
    private final CpuOps ops = new CpuOps();

    record Geometry(int[] zShape, int k) {
        int d() { return zShape[1]; }
        int spatial() { return zShape.length == 2 ? 1 : zShape[2] * zShape[3]; }
        int n() { return zShape[0] * spatial(); }
        int[] indexShape() { return zShape.length == 2 ? new int[] {zShape[0]} : new int[] {zShape[0], zShape[2], zShape[3]}; }
        int offset(int n, int c) { int b = n / spatial(), s = n % spatial(); return (b * d() + c) * spatial() + s; }
    }

    /**
     * One EMA step in double from plain loops (Sonnet's VectorQuantizerEMA): the state arrays are
     * F32 like the op's, so each step rounds them to float as the op must.
     */
    static void referenceStep(Geometry g, float[] z, int[] idx, float[] e, float[] size, float[] embed, float decay, float eps) {
        int k = g.k(), d = g.d();
        double[] cnt = new double[k], sum = new double[k * d];
        for (int v = 0; v < g.n(); v++) {
            cnt[idx[v]]++;
            for (int c = 0; c < d; c++) sum[idx[v] * d + c] += z[g.offset(v, c)];
        }
        for (int j = 0; j < k; j++) size[j] = (float) ((double) decay * size[j] + (1.0 - decay) * cnt[j]);
        for (int i = 0; i < k * d; i++) embed[i] = (float) ((double) decay * embed[i] + (1.0 - decay) * sum[i]);
        double n = 0;
        for (float s : size) n += s;
        for (int j = 0; j < k; j++) {
            double smoothed = (size[j] + (double) eps) / (n + k * (double) eps) * n;
            for (int c = 0; c < d; c++) e[j * d + c] = (float) (embed[j * d + c] / smoothed);
        }
    }

    void runEma(Geometry g, float decay, float eps, int steps, long seed) {
        int k = g.k(), d = g.d();
        float[] e0 = TestData.gaussian(seed, k * d, 1.0);
        float[] size0 = TestData.uniform(seed + 1, k, 0.5, 2.0);
        float[] embed0 = new float[k * d];
        for (int i = 0; i < k * d; i++) embed0[i] = e0[i] * size0[i / d];
        float[] eRef = e0.clone(), sizeRef = size0.clone(), embedRef = embed0.clone();
        Tensor e = Tensor.of(e0.clone(), k, d);
        EmaState state = new EmaState(Tensor.of(size0.clone(), k), Tensor.of(embed0.clone(), k, d));
        for (int step = 0; step < steps; step++) {
            float[] z = TestData.gaussian(seed + 10 + step, g.n() * d, 1.0);
            int[] idx = TestData.ints(seed + 20 + step, g.n(), k);
            for (int i = 0; i < idx.length; i += 4) idx[i] = k - 1; // one crowded code
            ops.emaUpdate(Tensor.of(z, g.zShape), Tensor.ofInts(idx, g.indexShape()), e, state, decay, eps);
            referenceStep(g, z, idx, eRef, sizeRef, embedRef, decay, eps);
            String what = java.util.Arrays.toString(g.zShape) + " K=" + k + " decay=" + decay + " step " + step + " (seed " + seed + ")";
            assertClose(sizeRef, state.clusterSize().toFloatArray(), "clusterSize " + what);
            assertClose(embedRef, state.embedSum().toFloatArray(), "embedSum " + what);
            assertClose(eRef, e.toFloatArray(), "codebook " + what);
        }
    }

    static void assertClose(float[] ref, float[] got, String what) {
        double[] r = new double[ref.length];
        double max = 0;
        for (int i = 0; i < r.length; i++) {
            r[i] = ref[i];
            max = Math.max(max, Math.abs(r[i]));
        }
        double err = TestData.maxScaledError(got, r, 1e-7 * max, 1e-5);
        assertTrue(err <= 1, what + ": scaled error " + err);
    }

    @Test
    void emaMatchesReferenceOverSeveralSteps() {
        runEma(new Geometry(new int[] {1, 1}, 1), 0.99f, 1e-5f, 3, 1);
        runEma(new Geometry(new int[] {13, 3}, 2), 0.99f, 1e-5f, 4, 2);
        runEma(new Geometry(new int[] {13, 4}, 257), 0.9f, 1e-5f, 4, 3);
        runEma(new Geometry(new int[] {3, 64, 3, 23}, 1024), 0.99f, 1e-5f, 4, 4);
        runEma(new Geometry(new int[] {100003, 4}, 13), 0.95f, 1e-5f, 3, 5);
        runEma(new Geometry(new int[] {1, 4, 1, 100003}, 13), 0.95f, 1e-5f, 2, 6);
        runEma(new Geometry(new int[] {300, 256}, 16384), 0.99f, 1e-5f, 2, 7);
    }

    @Test
    void emaDecayExtremes() {
        // decay 0: the state becomes this batch's statistics; decay 1: the state stays, e = m / N'
        runEma(new Geometry(new int[] {50, 8}, 16), 0f, 1e-3f, 2, 8);
        runEma(new Geometry(new int[] {50, 8}, 16), 1f, 1e-3f, 2, 9);
        runEma(new Geometry(new int[] {2, 8, 5, 5}, 16), 0.5f, 0f, 2, 10);
    }

    @Test
    void emaRejectsBadIndices() {
        Geometry g = new Geometry(new int[] {10, 2}, 4);
        int[] idx = new int[10];
        idx[7] = 4;
        float[] e = new float[8];
        EmaState s = new EmaState(Tensor.of(new float[4], 4), Tensor.of(new float[8], 4, 2));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ops.emaUpdate(Tensor.of(new float[20], g.zShape), Tensor.ofInts(idx, 10), Tensor.of(e, 4, 2), s, 0.9f, 1e-5f));
        assertTrue(ex.getMessage().contains("indices[7] = 4 is outside [0, 4)"), ex.getMessage());
        assertArrayEquals(new float[4], s.clusterSize().toFloatArray(), "state untouched on error");
    }

    // ---- revival --------------------------------------------------------------------------

    @Test
    void reviveReplacesDeadCodesWithThePhiloxRows() {
        for (int[] zShape : new int[][] {{40, 3}, {2, 3, 4, 5}, {1, 3}}) {
            Geometry g = new Geometry(zShape, 64);
            int k = g.k(), d = g.d();
            long seed = 0x1234_5678_9ABCL + zShape.length;
            float[] z = TestData.gaussian(seed, g.n() * d, 1.0);
            float[] e0 = TestData.gaussian(seed + 1, k * d, 1.0);
            int[] usage = TestData.ints(seed + 2, k, 6); // dead below 2: about a third
            float[] e = e0.clone();
            int revived = ops.reviveDeadCodes(Tensor.of(e, k, d), Tensor.ofInts(usage, k), 2f, Tensor.of(z, zShape), seed, null);
            int expected = 0;
            Set<Integer> rows = new HashSet<>();
            for (int j = 0; j < k; j++) {
                if (usage[j] < 2) {
                    expected++;
                    int row = Philox.reviveRow(seed, j, g.n());
                    assertTrue(row >= 0 && row < g.n());
                    rows.add(row);
                    for (int c = 0; c < d; c++) assertEquals(z[g.offset(row, c)], e[j * d + c], "code " + j + " comp " + c);
                } else {
                    for (int c = 0; c < d; c++) assertEquals(e0[j * d + c], e[j * d + c], "live code " + j + " untouched");
                }
            }
            assertEquals(expected, revived);
            if (g.n() > 10) assertTrue(rows.size() > 1, "different dead codes should draw different rows");
        }
    }

    @Test
    void reviveRestartsEmaStatisticsEvenWhenUsageIsTheClusterSize() {
        Geometry g = new Geometry(new int[] {3, 5, 4, 4}, 37);
        int k = g.k(), d = g.d();
        long seed = -77;
        float[] z = TestData.gaussian(11, g.n() * d, 1.0);
        float[] size = TestData.uniform(12, k, 0, 1);
        float[] embed = TestData.gaussian(13, k * d, 1.0);
        float[] e = TestData.gaussian(14, k * d, 1.0);
        float[] size0 = size.clone(), embed0 = embed.clone(), e0 = e.clone();
        Tensor sizeT = Tensor.of(size, k);
        EmaState ema = new EmaState(sizeT, Tensor.of(embed, k, d));
        int revived = ops.reviveDeadCodes(Tensor.of(e, k, d), sizeT, 0.3f, Tensor.of(z, g.zShape), seed, ema);
        int expected = 0;
        for (int j = 0; j < k; j++) {
            if (size0[j] < 0.3f) {
                expected++;
                int row = Philox.reviveRow(seed, j, g.n());
                assertEquals(1f, size[j], "clusterSize of revived code " + j);
                for (int c = 0; c < d; c++) {
                    assertEquals(z[g.offset(row, c)], e[j * d + c]);
                    assertEquals(z[g.offset(row, c)], embed[j * d + c], "embedSum of revived code " + j);
                }
            } else {
                assertEquals(size0[j], size[j]);
                for (int c = 0; c < d; c++) {
                    assertEquals(e0[j * d + c], e[j * d + c]);
                    assertEquals(embed0[j * d + c], embed[j * d + c]);
                }
            }
        }
        assertTrue(expected > 0 && expected < k, "the case should have dead and live codes");
        assertEquals(expected, revived);
    }

    @Test
    void reviveWithFloatUsageAndNothingDead() {
        float[] usage = {5f, 2f, 3f};
        float[] e = {1, 2, 3};
        assertEquals(0, ops.reviveDeadCodes(Tensor.of(e, 3, 1), Tensor.of(usage, 3), 1f, Tensor.of(new float[] {9, 8}, 2, 1), 3, null));
        assertArrayEquals(new float[] {1, 2, 3}, e);
        assertEquals(3, ops.reviveDeadCodes(Tensor.of(e, 3, 1), Tensor.of(usage, 3), 10f, Tensor.of(new float[] {9, 8}, 2, 1), 3, null));
        for (int j = 0; j < 3; j++) assertEquals(new float[] {9, 8}[Philox.reviveRow(3, j, 2)], e[j]);
    }
}
