package io.vq4j.ops;

import io.vq4j.TestData;
import io.vq4j.ops.cpu.CodeSort;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Code counts, the counting sort behind the segment sums, and codebook statistics vs double. */
class CpuCodebookStatsTest {
    private final CpuOps ops = new CpuOps();

    @Test
    void codeCountsMatchAPlainLoop() {
        int[][] sizes = {{1, 1}, {13, 2}, {13, 257}, {1000003, 13}, {300, 16384}, {70000, 1024}};
        for (int[] sz : sizes) {
            int n = sz[0], k = sz[1];
            int[] idx = TestData.ints(n + k, n, k);
            int[] expect = new int[k];
            for (int i : idx) expect[i]++;
            Tensor counts = ops.codeCounts(Tensor.ofInts(idx, n), k);
            assertArrayEquals(new int[] {k}, counts.shape());
            assertArrayEquals(expect, counts.toIntArray(), "N=" + n + " K=" + k);
        }
        // [B, H, W] indices count the same
        int[] idx = TestData.ints(9, 2 * 5 * 7, 6);
        int[] expect = new int[6];
        for (int i : idx) expect[i]++;
        assertArrayEquals(expect, ops.codeCounts(Tensor.ofInts(idx, 2, 5, 7), 6).toIntArray());
    }

    @Test
    void codeCountsRejectBadIndices() {
        int[] idx = {0, 1, 2, 3, 4};
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ops.codeCounts(Tensor.ofInts(idx, 5), 4));
        assertTrue(ex.getMessage().contains("indices[4] = 4 is outside [0, 4)"), ex.getMessage());
    }

    @Test
    void countingSortIsStableAndComplete() {
        for (int[] sz : new int[][] {{1, 1}, {13, 2}, {100_003, 7}, {200_000, 50_000}}) {
            int n = sz[0], k = sz[1];
            int[] idx = TestData.ints(n * 7L + k, n, k);
            CodeSort s = CodeSort.sort(idx, k);
            int[] order = s.order(), start = s.start();
            assertEquals(0, start[0]);
            assertEquals(n, start[k]);
            for (int code = 0; code < k; code++) {
                assertEquals(start[code + 1] - start[code], s.counts()[code]);
                for (int j = start[code]; j < start[code + 1]; j++) {
                    assertEquals(code, idx[order[j]], "order[" + j + "] belongs to code " + code);
                    if (j > start[code]) assertTrue(order[j] > order[j - 1], "ascending n within code " + code);
                }
            }
            boolean[] seen = new boolean[n];
            for (int v : order) seen[v] = true;
            for (int i = 0; i < n; i++) assertTrue(seen[i], "vector " + i + " missing from the sort");
        }
    }

    // ---- stats ----------------------------------------------------------------------------

    /** Double reference: perplexity = exp(-sum_{c>0} p ln p), p = c / total. */
    static double[] referenceStats(double[] c, double deadThreshold) {
        double total = Arrays.stream(c).sum();
        double h = 0;
        int active = 0, dead = 0;
        for (double v : c) {
            if (v > 0) {
                active++;
                h -= v / total * Math.log(v / total);
            }
            if (v < deadThreshold) dead++;
        }
        return new double[] {total > 0 ? Math.exp(h) : 0, active, dead, total};
    }

    static void assertStats(double[] ref, CodebookStats s, String what) {
        assertEquals(ref[0], s.perplexity(), 1e-12 * Math.max(1, ref[0]), what + " perplexity");
        assertEquals((int) ref[1], s.activeCodes(), what + " active");
        assertEquals((int) ref[2], s.deadCodes(), what + " dead");
        assertEquals(ref[3], s.total(), 1e-12 * Math.max(1, ref[3]), what + " total");
    }

    @Test
    void statsFromIntCounts() {
        int k = 1024;
        int[] counts = TestData.ints(4, k, 50);
        for (int i = 0; i < k; i += 5) counts[i] = 0;
        double[] c = Arrays.stream(counts).asDoubleStream().toArray();
        assertStats(referenceStats(c, 3), ops.codebookStats(Tensor.ofInts(counts, k), 3), "I32 K=1024");
        assertStats(referenceStats(c, 0), ops.codebookStats(Tensor.ofInts(counts, k), 0), "I32 threshold 0");
    }

    @Test
    void statsFromFloatCounts() {
        int k = 16384;
        float[] counts = TestData.uniform(5, k, 0, 2);
        for (int i = 0; i < k; i += 7) counts[i] = 0;
        double[] c = new double[k];
        for (int i = 0; i < k; i++) c[i] = counts[i];
        assertStats(referenceStats(c, 0.5), ops.codebookStats(Tensor.of(counts, k), 0.5), "F32 K=16384");
    }

    @Test
    void statsOfUniformAndSingleCodeUsage() {
        // uniform usage of K codes has perplexity K exactly (to rounding); one code has perplexity 1
        int[] uniform = new int[257];
        Arrays.fill(uniform, 3);
        CodebookStats s = ops.codebookStats(Tensor.ofInts(uniform, 257), 1);
        assertEquals(257, s.perplexity(), 1e-9);
        assertEquals(257, s.activeCodes());
        assertEquals(0, s.deadCodes());
        assertEquals(771, s.total());

        CodebookStats one = ops.codebookStats(Tensor.ofInts(new int[] {0, 0, 9, 0}, 4), 1);
        assertEquals(1, one.perplexity(), 1e-15);
        assertEquals(1, one.activeCodes());
        assertEquals(3, one.deadCodes());

        CodebookStats single = ops.codebookStats(Tensor.of(new float[] {2.5f}, 1), 3);
        assertEquals(1, single.perplexity(), 1e-15);
        assertEquals(1, single.deadCodes());
        assertEquals(2.5, single.total());
    }

    @Test
    void statsOfAllZeroCounts() {
        CodebookStats s = ops.codebookStats(Tensor.ofInts(new int[13], 13), 1);
        assertEquals(0, s.perplexity());
        assertEquals(0, s.activeCodes());
        assertEquals(13, s.deadCodes());
        assertEquals(0, s.total());
        CodebookStats f = ops.codebookStats(Tensor.of(new float[5], 5), 0);
        assertEquals(0, f.perplexity());
        assertEquals(0, f.deadCodes());
    }
}
