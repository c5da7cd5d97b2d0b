package io.vq4j.ops;

import io.vq4j.GpuTest;
import io.vq4j.TestData;
import io.vq4j.cuda.DeviceBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CUDA code counts and codebook statistics against the CPU twin, on fresh random inputs. */
class CodebookStatsGpuTest extends GpuTest {
    private static CudaOps gpu;
    private static final CpuOps cpu = new CpuOps();

    @BeforeAll static void open() { gpu = new CudaOps(); }
    @AfterAll static void close() { if (gpu != null) gpu.close(); }

    @Test
    void codeCountsMatchTheCpu() {
        int[][] sizes = {{1, 1}, {13, 2}, {13, 257}, {1000, 1}, {1000003, 13}, {300, 16384}, {524288, 512},
                {131072, 16384}, {2_000_000, 1024}, {5000, 100_000}};
        long seed = System.nanoTime();
        long live = DeviceBuffer.liveBuffers();
        for (int[] sz : sizes) {
            int n = sz[0], k = sz[1];
            int[] idx = TestData.ints(seed + n + k, n, k);
            for (int i = 0; i < n; i += 3) idx[i] = k / 2; // a crowded code
            int[] ref = cpu.codeCounts(Tensor.ofInts(idx, n), k).toIntArray();
            try (Tensor d = gpu.upload(Tensor.ofInts(idx, n)); Tensor counts = gpu.codeCounts(d, k)) {
                assertArrayEquals(new int[] {k}, counts.shape());
                int[] got = counts.toIntArray();
                int mismatches = 0;
                for (int j = 0; j < k; j++) if (got[j] != ref[j]) mismatches++;
                System.out.printf("[gpu] op=codeCounts shape=[%d] K=%d maxRelErr=%s%n", n, k, mismatches == 0 ? "0" : mismatches + " codes wrong");
                assertArrayEquals(ref, got, "counts N=" + n + " K=" + k + " (seed " + seed + ")");
            }
        }
        // [B, H, W] indices
        int[] idx = TestData.ints(seed, 2 * 17 * 19, 37);
        try (Tensor d = gpu.upload(Tensor.ofInts(idx, 2, 17, 19)); Tensor counts = gpu.codeCounts(d, 37)) {
            assertArrayEquals(cpu.codeCounts(Tensor.ofInts(idx, 2, 17, 19), 37).toIntArray(), counts.toIntArray());
        }
        assertEquals(live, DeviceBuffer.liveBuffers(), "device buffers leaked");
    }

    @Test
    void codeCountsRejectBadIndicesAndTheBackendStillWorks() {
        int n = 100_003, k = 257;
        int[] idx = TestData.ints(4, n, k);
        idx[77_777] = 257;
        idx[90_000] = -5;
        long live = DeviceBuffer.liveBuffers();
        try (Tensor d = gpu.upload(Tensor.ofInts(idx, n))) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> gpu.codeCounts(d, k));
            assertTrue(ex.getMessage().contains("indices[77777] = 257 is outside [0, 257)"), ex.getMessage());
        }
        assertEquals(live, DeviceBuffer.liveBuffers(), "a failed codeCounts must free what it allocated");
        idx[77_777] = 0;
        idx[90_000] = 1;
        try (Tensor d = gpu.upload(Tensor.ofInts(idx, n)); Tensor counts = gpu.codeCounts(d, k)) {
            assertArrayEquals(cpu.codeCounts(Tensor.ofInts(idx, n), k).toIntArray(), counts.toIntArray());
        }
    }

    static void compareStats(Tensor hostCounts, double threshold, String what) {
        CodebookStats ref = cpu.codebookStats(hostCounts, threshold);
        CodebookStats got;
        try (Tensor d = gpu.upload(hostCounts)) {
            got = gpu.codebookStats(d, threshold);
        }
        double perr = Math.abs(got.perplexity() - ref.perplexity()) / Math.max(ref.perplexity(), 1e-300);
        double terr = Math.abs(got.total() - ref.total()) / Math.max(ref.total(), 1e-300);
        System.out.printf("[gpu] op=codebookStats shape=%s dtype=%s maxRelErr=%.3g%n", hostCounts.shapeString(),
                hostCounts.dtype(), Math.max(perr, terr));
        // GPU and CPU sum K terms of p log p in double in different orders: ~K * 2^-53 apart
        assertTrue(perr <= 1e-10, what + ": perplexity " + got.perplexity() + " vs " + ref.perplexity());
        assertTrue(terr <= 1e-12, what + ": total " + got.total() + " vs " + ref.total());
        assertEquals(ref.activeCodes(), got.activeCodes(), what + ": active");
        assertEquals(ref.deadCodes(), got.deadCodes(), what + ": dead");
    }

    @Test
    void statsMatchTheCpu() {
        long seed = System.nanoTime();
        for (int k : new int[] {1, 2, 257, 1024, 16384, 100_000}) {
            int[] ci = TestData.ints(seed + k, k, 40);
            for (int j = 0; j < k; j += 4) ci[j] = 0;
            compareStats(Tensor.ofInts(ci, k), 3, "I32 K=" + k + " (seed " + seed + ")");
            float[] cf = TestData.uniform(seed - k, k, 0, 5);
            for (int j = 0; j < k; j += 5) cf[j] = 0;
            compareStats(Tensor.of(cf, k), 0.25, "F32 K=" + k + " (seed " + seed + ")");
        }
        compareStats(Tensor.ofInts(new int[1000], 1000), 1, "all zero I32");
        compareStats(Tensor.of(new float[7], 7), 0, "all zero F32");
        int[] one = new int[512];
        one[300] = 123;
        compareStats(Tensor.ofInts(one, 512), 1, "one code");
        CodebookStats s;
        try (Tensor d = gpu.upload(Tensor.ofInts(one, 512))) {
            s = gpu.codebookStats(d, 1);
        }
        assertEquals(1.0, s.perplexity(), 1e-15);
        assertEquals(1, s.activeCodes());
        assertEquals(511, s.deadCodes());
        int[] uniform = new int[16384];
        Arrays.fill(uniform, 2);
        try (Tensor d = gpu.upload(Tensor.ofInts(uniform, 16384))) {
            s = gpu.codebookStats(d, 0);
        }
        assertEquals(16384, s.perplexity(), 1e-8, "uniform usage has perplexity K");
    }
}
