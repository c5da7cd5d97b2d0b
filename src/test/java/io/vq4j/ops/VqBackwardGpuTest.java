package io.vq4j.ops;

import io.vq4j.GpuTest;
import io.vq4j.TestData;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.ops.VqBackwardCpuTest.Case;
import io.vq4j.ops.VqBackwardCpuTest.Inputs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CUDA VQ backward against its CPU twin on fresh random inputs (the seed is in every message):
 * deterministic mode bitwise identical over 3 runs and within 1e-6 of the CPU, fast mode within
 * 1e-5, both layouts, awkward sizes and two large ones; bad indices; no leaked device memory.
 */
class VqBackwardGpuTest extends GpuTest {
    private static CudaOps gpu;
    private static final CpuOps cpu = new CpuOps();

    @BeforeAll static void open() { gpu = new CudaOps(); }
    @AfterAll static void close() { if (gpu != null) gpu.close(); }

    static Stream<Case> cases() {
        return Stream.concat(VqBackwardCpuTest.cases(), Stream.of(
                new Case(new int[] {524288, 64}, 512),
                new Case(new int[] {8, 64, 256, 256}, 512),
                new Case(new int[] {131072, 256}, 16384),
                new Case(new int[] {2, 256, 256, 256}, 16384)));
    }

    /**
     * Fills freed pool memory of the outputs' sizes with poison: the op's outputs come from the
     * same stream-ordered pool, so an element a kernel forgets to write most likely shows up as
     * NaN (and every output is also checked for NaN, the inputs being finite).
     */
    static void poisonPool(long... bytes) {
        DeviceBuffer[] held = new DeviceBuffer[bytes.length];
        try {
            for (int i = 0; i < bytes.length; i++) {
                held[i] = new DeviceBuffer(gpu.runtime().stream(), bytes[i]);
                held[i].fill32(TestData.POISON_BITS);
            }
        } finally {
            for (DeviceBuffer b : held) if (b != null) b.close();
        }
    }

    static void assertNoNaN(float[] a, String what) {
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i])) throw new AssertionError(what + ": element " + i + " is NaN (unwritten or poison)");
        }
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    /** max |a - ref| / max |ref|: the largest error relative to the output's scale. */
    static double maxRelErr(float[] a, float[] ref) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i]) != Float.isNaN(ref[i])) return Double.POSITIVE_INFINITY;
            worst = Math.max(worst, Math.abs((double) a[i] - ref[i]));
        }
        return worst / Math.max(maxAbs(ref), 1e-30);
    }

    /** Poisons the pool for the outputs (after the inputs were uploaded), then runs the op. */
    static VqGrads poisonThen(Case c, java.util.function.Supplier<VqGrads> op) {
        poisonPool(4L * c.n() * c.d(), 4L * c.k() * c.d(), 4L * c.k());
        return op.get();
    }

    record Result(float[] gradZ, float[] gradCb, int[] counts) {}

    static Result runGpu(Case c, Inputs in, boolean deterministic) {
        try (Tensor go = gpu.upload(Tensor.of(in.gradOut(), c.zShape()));
             Tensor z = gpu.upload(Tensor.of(in.z(), c.zShape()));
             Tensor e = gpu.upload(Tensor.of(in.e(), c.k(), c.d()));
             Tensor idx = gpu.upload(Tensor.ofInts(in.idx(), c.indexShape()));
             VqGrads g = poisonThen(c, () -> gpu.vqBackward(go, z, e, idx, in.beta(), deterministic))) {
            assertArrayEquals(c.zShape(), g.gradZ().shape());
            assertArrayEquals(new int[] {c.k(), c.d()}, g.gradCodebook().shape());
            return new Result(g.gradZ().toFloatArray(), g.gradCodebook().toFloatArray(), g.counts().toIntArray());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesTheCpuTwin(Case c) {
        long seed = System.nanoTime() ^ Arrays.hashCode(c.zShape()) * 31L + c.k();
        String what = c + " (seed " + seed + ")";
        Inputs in = VqBackwardCpuTest.inputs(c, seed);
        long live = DeviceBuffer.liveBuffers();

        VqGrads ref = cpu.vqBackward(Tensor.of(in.gradOut(), c.zShape()), Tensor.of(in.z(), c.zShape()),
                Tensor.of(in.e(), c.k(), c.d()), Tensor.ofInts(in.idx(), c.indexShape()), in.beta(), true);
        float[] refZ = ref.gradZ().toFloatArray(), refCb = ref.gradCodebook().toFloatArray();
        int[] refCounts = ref.counts().toIntArray();

        Result det = runGpu(c, in, true);
        for (int run = 1; run < 3; run++) {
            Result again = runGpu(c, in, true);
            assertArrayEquals(det.gradZ(), again.gradZ(), "deterministic gradZ differs in run " + run + " " + what);
            assertArrayEquals(det.gradCb(), again.gradCb(), "deterministic gradCodebook differs in run " + run + " " + what);
            assertArrayEquals(det.counts(), again.counts(), "counts differ in run " + run + " " + what);
        }
        assertNoNaN(det.gradZ(), "gradZ " + what);
        assertNoNaN(det.gradCb(), "gradCodebook " + what);
        assertArrayEquals(refCounts, det.counts(), "counts " + what);
        double detZ = maxRelErr(det.gradZ(), refZ), detCb = maxRelErr(det.gradCb(), refCb);
        System.out.printf("[gpu] op=vqBackward.deterministic shape=%s K=%d maxRelErr=%.3g (gradZ) %.3g (gradCodebook)%n",
                Arrays.toString(c.zShape()), c.k(), detZ, detCb);
        assertTrue(detZ <= 1e-6, "deterministic gradZ " + what + ": maxRelErr " + detZ);
        assertTrue(detCb <= 1e-6, "deterministic gradCodebook " + what + ": maxRelErr " + detCb);

        Result fast = runGpu(c, in, false);
        assertNoNaN(fast.gradZ(), "fast gradZ " + what);
        assertNoNaN(fast.gradCb(), "fast gradCodebook " + what);
        assertArrayEquals(refCounts, fast.counts(), "fast counts " + what);
        double fastZ = maxRelErr(fast.gradZ(), refZ), fastCb = maxRelErr(fast.gradCb(), refCb);
        System.out.printf("[gpu] op=vqBackward.fast shape=%s K=%d maxRelErr=%.3g (gradZ) %.3g (gradCodebook)%n",
                Arrays.toString(c.zShape()), c.k(), fastZ, fastCb);
        assertTrue(fastZ <= 1e-6, "fast gradZ " + what + ": maxRelErr " + fastZ);
        assertTrue(fastCb <= 1e-5, "fast gradCodebook " + what + ": maxRelErr " + fastCb);

        assertEquals(live, DeviceBuffer.liveBuffers(), "device buffers leaked " + what);
    }

    @Test
    void badIndicesAreReportedAndTheBackendStillWorks() {
        Case c = new Case(new int[] {2, 8, 5, 4}, 512);
        long seed = System.nanoTime();
        Inputs in = VqBackwardCpuTest.inputs(c, seed);
        long live = DeviceBuffer.liveBuffers();
        for (boolean deterministic : new boolean[] {true, false}) {
            int[] bad = in.idx().clone();
            bad[5] = 600;
            bad[9] = -1;
            bad[30] = Integer.MIN_VALUE;
            try (Tensor go = gpu.upload(Tensor.of(in.gradOut(), c.zShape()));
                 Tensor z = gpu.upload(Tensor.of(in.z(), c.zShape()));
                 Tensor e = gpu.upload(Tensor.of(in.e(), c.k(), c.d()));
                 Tensor idx = gpu.upload(Tensor.ofInts(bad, c.indexShape()))) {
                IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                        () -> gpu.vqBackward(go, z, e, idx, in.beta(), deterministic));
                assertTrue(ex.getMessage().contains("indices[5] = 600 is outside [0, 512)"), ex.getMessage() + " (seed " + seed + ")");
            }
            assertEquals(live, DeviceBuffer.liveBuffers(), "a failed backward must free everything it allocated");
        }
        // the backend works afterwards, and right
        Result ok = runGpu(c, in, true);
        VqGrads ref = cpu.vqBackward(Tensor.of(in.gradOut(), c.zShape()), Tensor.of(in.z(), c.zShape()),
                Tensor.of(in.e(), c.k(), c.d()), Tensor.ofInts(in.idx(), c.indexShape()), in.beta(), true);
        assertTrue(maxRelErr(ok.gradCb(), ref.gradCodebook().toFloatArray()) <= 1e-6, "after a bad call (seed " + seed + ")");
        assertArrayEquals(ref.counts().toIntArray(), ok.counts());
    }
}
