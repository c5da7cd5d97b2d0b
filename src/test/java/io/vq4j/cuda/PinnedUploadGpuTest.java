package io.vq4j.cuda;

import io.vq4j.GpuTest;
import io.vq4j.TestData;
import io.vq4j.ops.CudaOps;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link PinnedUpload}: every upload arrives intact, in stream order, at awkward sizes (growing
 * and shrinking the staging memory), with the source overwritten right after each call (it was
 * staged), behind queued device work; bad arguments are refused; nothing leaks.
 */
class PinnedUploadGpuTest extends GpuTest {

    @Test
    void uploadsArriveIntactInStreamOrder() {
        long liveBefore = DeviceBuffer.liveBuffers();
        try (CudaOps ops = new CudaOps()) {
            CudaStream stream = ops.runtime().stream();
            int[] sizes = {1, 13, 207, (1 << 20) + 3, 207, 1, (1 << 22) + 1};
            try (PinnedUpload up = new PinnedUpload(stream)) {
                DeviceBuffer[] dst = new DeviceBuffer[sizes.length];
                float[][] want = new float[sizes.length][];
                float[] src = new float[sizes[sizes.length - 1] + 5];
                try (DeviceBuffer big = new DeviceBuffer(stream, 256L << 20)) {
                    for (int i = 0; i < sizes.length; i++) {
                        big.fill32(i); // queued work the copies must line up behind
                        float[] data = TestData.uniform(100 + i, sizes[i], -1, 1);
                        System.arraycopy(data, 0, src, 0, data.length);
                        want[i] = data;
                        dst[i] = new DeviceBuffer(stream, 4L * sizes[i] + 4); // one spare word
                        dst[i].fill32(TestData.POISON_BITS);
                        up.upload(src, sizes[i], dst[i]);
                        java.util.Arrays.fill(src, Float.NaN); // staged already: must not matter
                    }
                    assertTrue(up.capacityBytes() >= 4L * sizes[sizes.length - 1]);
                }
                for (int i = 0; i < sizes.length; i++) {
                    float[] got = new float[sizes[i] + 1];
                    dst[i].copyTo(got, 0, 0, got.length);
                    assertArrayEquals(want[i], java.util.Arrays.copyOf(got, sizes[i]), "upload " + i + " of " + sizes[i]);
                    assertEquals(TestData.POISON_BITS, Float.floatToRawIntBits(got[sizes[i]]), "wrote past the count");
                    dst[i].close();
                }
                try (DeviceBuffer small = new DeviceBuffer(stream, 8)) {
                    assertThrows(IllegalArgumentException.class, () -> up.upload(new float[3], 3, small));
                    assertThrows(IllegalArgumentException.class, () -> up.upload(new float[1], 2, small));
                }
            }
        }
        assertEquals(liveBefore, DeviceBuffer.liveBuffers(), "device buffers leaked");
    }
}
