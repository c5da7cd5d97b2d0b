package io.vq4j.ops;

import io.vq4j.TestData;
import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.cuda.KernelLaunch;
import io.vq4j.cuda.kernels.GaussianKernels;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * gaussian_normal_f32 against the CPU twin. The GPU evaluates Box-Muller in fp32 (logf, sqrtf,
 * sincospif: each within 1 ulp), the CPU in double rounded once, so they differ by a few ulps:
 * a few 1e-7 relative. Asserted: |gpu - cpu| <= 2e-6 |cpu| + 2e-6.
 */
class GaussianNormalGpuTest extends GaussianCommonGpuTest {
    static final double RTOL = 2e-6, ATOL = 2e-6;

    private static Errors compare(float[] got, float[] ref, long offset) {
        Errors e = new Errors();
        for (int i = 0; i < ref.length; i++) e.add(offset + i, got[i], ref[i], RTOL * Math.abs(ref[i]) + ATOL);
        return e;
    }

    private void check(long seed, long offset, int... shape) {
        poisonPool(Tensor.numel(shape) + 64);
        float[] got;
        try (Tensor g = gpu.standardNormal(seed, offset, shape)) {
            assertArrayEquals(shape, g.shape());
            got = g.toFloatArray();
        }
        float[] ref = cpu.standardNormal(seed, offset, shape).toFloatArray();
        Errors e = compare(got, ref, 0);
        System.out.printf("[gpu] op=standardNormal n=%d shape=%s offset=%d %s%n", ref.length, Arrays.toString(shape), offset, e);
        assertTrue(e.ok(), () -> "standardNormal" + Arrays.toString(shape) + " seed=" + seed + " offset=" + offset + ": " + e);
    }

    @Test
    void matchesCpuTwinOnAwkwardSizesAndOffsets() {
        int c = 0;
        for (int n : SIZES) {
            for (long offset : OFFSETS) check(runSeed + c++, offset, n);
        }
        check(runSeed + 100, 3, 13, 3, 5, 7); // NCHW, 1365 elements
        check(runSeed + 101, 0, 0);           // empty: no launch
    }

    @Test
    void largeDraw() {
        check(runSeed ^ 0x5DEECE66DL, 12345, LARGE);
    }

    @Test
    void elementIDoesNotDependOnShape() {
        long seed = runSeed + 7;
        try (Tensor flat = gpu.standardNormal(seed, 9, 1000003); Tensor shaped = gpu.standardNormal(seed, 9, 13, 76923);
             Tensor small = gpu.standardNormal(seed, 9, 207)) {
            float[] f = flat.toFloatArray();
            assertArrayEquals(Arrays.copyOf(f, 13 * 76923), shaped.toFloatArray(), "seed=" + seed);
            assertArrayEquals(Arrays.copyOf(f, 207), small.toFloatArray(), "seed=" + seed);
        }
    }

    /** The launcher writes elements [0, n) and nothing past them. */
    @Test
    void writesExactlyNElements() {
        Cuda.Runtime rt = gpu.runtime();
        for (int n : new int[] {1, 2, 3, 4, 5, 1001, 1003}) {
            long seed = runSeed + n;
            try (DeviceBuffer out = new DeviceBuffer(rt.stream(), 4L * (n + 8))) {
                out.fill32(TestData.POISON_BITS);
                GaussianKernels.normal(rt, new GaussianKernels.NormalParams(out, n, seed, 5));
                float[] got = new float[n + 8];
                out.copyTo(got, 0, 0, n + 8);
                float[] ref = cpu.standardNormal(seed, 5, n).toFloatArray();
                Errors e = compare(got, ref, 0);
                assertTrue(e.ok(), "n=" + n + " seed=" + seed + ": " + e);
                for (int i = n; i < n + 8; i++) {
                    assertEquals(TestData.POISON_BITS, Float.floatToRawIntBits(got[i]), "n=" + n + ": element " + i + " past the end was written");
                }
            }
        }
    }

    /**
     * A pointer that is not 16-byte aligned must take the element-by-element path (vq4j's own
     * buffers never are, so the launch is made by hand, 4 bytes into a buffer), and one block must
     * cover everything through the grid-stride loop.
     */
    @Test
    void misalignedOutputAndTinyGrid() {
        Cuda.Runtime rt = gpu.runtime();
        int n = 1003;
        long seed = runSeed + 11;
        try (DeviceBuffer out = new DeviceBuffer(rt.stream(), 4L * (n + 2))) {
            out.fill32(TestData.POISON_BITS);
            KernelLaunch.of(rt.kernels(), "gaussian_normal_f32", rt.stream()).grid(1).block(32)
                    .arg(out.address() + 4).arg((long) n).arg(seed).arg(3L).launch();
            float[] got = new float[n + 2];
            out.copyTo(got, 0, 0, n + 2);
            assertEquals(TestData.POISON_BITS, Float.floatToRawIntBits(got[0]), "element before the start was written");
            assertEquals(TestData.POISON_BITS, Float.floatToRawIntBits(got[n + 1]), "element past the end was written");
            float[] ref = cpu.standardNormal(seed, 3, n).toFloatArray();
            Errors e = compare(Arrays.copyOfRange(got, 1, n + 1), ref, 0);
            System.out.printf("[gpu] op=standardNormal(misaligned, grid=1) n=%d %s%n", n, e);
            assertTrue(e.ok(), "seed=" + seed + ": " + e);
        }
    }

    @Test
    void normalsAreStandardOnTheGpu() {
        int n = 1 << 20;
        float[] x;
        try (Tensor t = gpu.standardNormal(runSeed, 0, n)) {
            x = t.toFloatArray();
        }
        double m = 0, v = 0;
        for (float f : x) m += f;
        m /= n;
        for (float f : x) v += (f - m) * (f - m);
        v /= n;
        assertEquals(0, m, 5 / Math.sqrt(n), "mean, seed=" + runSeed);
        assertEquals(1, v, 5 * Math.sqrt(2.0 / n), "variance, seed=" + runSeed);
    }
}
