package io.vq4j.ops;

import io.vq4j.GpuTest;
import io.vq4j.TestData;
import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Failed ops must leave nothing behind: 1,000 ops that fail (after their kernels ran, on data
 * checks, and before, on argument checks) leave device memory where it started, and the
 * backend still answers correctly afterwards.
 */
class FailedOpsLeakGpuTest extends GpuTest {

    @Test
    void aThousandFailedOpsLeaveDeviceMemoryWhereItStarted() {
        try (CudaOps ops = new CudaOps()) {
            int n = 4096, d = 64, k = 512;
            float[] zh = TestData.gaussian(1, n * d, 1);
            zh[17 * d + 3] = Float.NaN;
            int[] badIdx = TestData.ints(2, n, k);
            badIdx[5] = k + 88;
            try (Tensor z = ops.upload(Tensor.of(zh, n, d));
                 Tensor okZ = ops.upload(Tensor.of(TestData.gaussian(3, n * d, 1), n, d));
                 Tensor cb = ops.upload(Tensor.of(TestData.gaussian(4, k * d, 1), k, d));
                 Tensor idx = ops.upload(Tensor.ofInts(badIdx, n));
                 Tensor wrongD = ops.upload(Tensor.of(new float[k * 3], k, 3))) {
                // one warm-up of each, so allocator pools and modules are in place before the baseline
                failures(ops, z, okZ, cb, idx, wrongD, 1);
                ops.synchronize();
                long liveBefore = DeviceBuffer.liveBytes();
                long freeBefore = Cuda.runtime().context().memoryInfo()[0];

                int failed = failures(ops, z, okZ, cb, idx, wrongD, 250);

                ops.synchronize();
                long freeAfter = Cuda.runtime().context().memoryInfo()[0];
                System.out.printf("[gpu] op=failedOps count=%d liveBytesDelta=%d freeBytesDelta=%d%n",
                        failed, DeviceBuffer.liveBytes() - liveBefore, freeBefore - freeAfter);
                assertEquals(1000, failed);
                assertEquals(liveBefore, DeviceBuffer.liveBytes(), "device buffers left open by failed ops");
                assertTrue(freeBefore - freeAfter <= 16L << 20, "device memory fell by " + (freeBefore - freeAfter) + " bytes");

                // and the backend still works
                try (NearestCode nc = ops.nearestCode(okZ, cb, false)) {
                    int[] got = nc.indices().toIntArray();
                    try (NearestCode ref = new CpuOps().nearestCode(okZ.toHost(), cb.toHost(), false)) {
                        int[] want = ref.indices().toIntArray();
                        int same = 0;
                        for (int i = 0; i < n; i++) if (got[i] == want[i]) same++;
                        assertTrue(same >= n - 2, "only " + same + " of " + n + " indices agree after the failures");
                    }
                }
            }
        }
    }

    /** Runs {@code rounds} x 4 ops that must each throw IllegalArgumentException; returns how many did. */
    private static int failures(CudaOps ops, Tensor nanZ, Tensor z, Tensor cb, Tensor badIdx, Tensor wrongD, int rounds) {
        int failed = 0;
        for (int r = 0; r < rounds; r++) {
            boolean deterministic = r % 2 == 0;
            failed += expectIae(() -> ops.nearestCode(nanZ, cb, true));                 // data check after the kernels
            failed += expectIae(() -> ops.quantize(z, cb, badIdx));                      // bad index, after the kernels
            failed += expectIae(() -> ops.vqBackward(z, z, cb, badIdx, 0.25f, deterministic)); // bad index, both modes
            failed += expectIae(() -> ops.nearestCode(z, wrongD, false));                // argument check, before any kernel
        }
        return failed;
    }

    private static int expectIae(Runnable op) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, op::run);
        assertNotNull(e.getMessage());
        return 1;
    }
}
