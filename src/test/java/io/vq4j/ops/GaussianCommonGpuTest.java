package io.vq4j.ops;

import io.vq4j.GpuTest;
import io.vq4j.TestData;
import io.vq4j.cuda.DeviceBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Shared set-up of the Gaussian GPU tests (skipped without a GPU): a CUDA and a CPU backend, a
 * seed that changes every run (printed in every message), output poisoning, and a leak check
 * around every test.
 */
abstract class GaussianCommonGpuTest extends GpuTest {
    /** 1, 13, 207 and 1000003 elements: every tail length (n % 4 = 1, 1, 3, 3) and a multi-wave size. */
    static final int[] SIZES = {1, 13, 207, 1000003};
    /** One large case: 64M elements plus a 3-element tail. */
    static final int LARGE = (64 << 20) + 3;
    static final long[] OFFSETS = {0, 1, 7, (1L << 32) + 5};

    static CudaOps gpu;
    static CpuOps cpu;
    static long runSeed;
    private long liveBuffers;

    @BeforeAll
    static void openBackends() {
        gpu = new CudaOps();
        cpu = new CpuOps();
        runSeed = System.nanoTime();
    }

    @AfterAll
    static void closeBackends() {
        if (gpu != null) gpu.close();
        if (cpu != null) cpu.close();
    }

    @BeforeEach
    void countBuffers() { liveBuffers = DeviceBuffer.liveBuffers(); }

    @AfterEach
    void noLeaks() {
        gpu.synchronize();
        assertEquals(liveBuffers, DeviceBuffer.liveBuffers(), "device buffers left open by the test or the op");
    }

    /**
     * Fills {@code elements} floats of the stream-ordered pool with poison and frees them: the
     * op's next allocations on the same stream reuse that memory, so an element a kernel fails to
     * write reads back as NaN instead of a stale, plausible value.
     */
    static void poisonPool(long elements) {
        try (Tensor t = gpu.empty(DType.F32, (int) Math.min(elements, Integer.MAX_VALUE - 8))) {
            t.deviceBuffer().fill32(TestData.POISON_BITS);
        }
    }

    static Tensor up(float[] a, int... shape) {
        try (Tensor h = Tensor.of(a, shape)) {
            return gpu.upload(h);
        }
    }

    /** The largest absolute and relative difference, and the largest difference / tolerance, of a case. */
    static final class Errors {
        double maxAbs, maxRel, maxScaled;
        long worstIndex = -1;

        /** Records element i; the first NaN (poison or a bad value) makes the case fail. */
        void add(long i, double got, double ref, double tol) {
            double d = Math.abs(got - ref);
            if (Double.isNaN(got) != Double.isNaN(ref) || Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
            maxAbs = Math.max(maxAbs, d);
            if (ref != 0 || d != 0) maxRel = Math.max(maxRel, d / Math.abs(ref));
            double s = d / tol;
            if (worstIndex < 0 || s > maxScaled) {
                maxScaled = s;
                worstIndex = i;
            }
        }

        boolean ok() { return maxScaled <= 1; }

        @Override
        public String toString() {
            return String.format("maxAbsErr=%.3g maxRelErr=%.3g maxErr/tol=%.3g (worst element %d)", maxAbs, maxRel, maxScaled, worstIndex);
        }
    }

    static String bitsOf(float f) { return String.format("%s (0x%08x)", f, Float.floatToRawIntBits(f)); }
}
