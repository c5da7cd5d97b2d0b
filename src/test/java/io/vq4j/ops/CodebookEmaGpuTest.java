package io.vq4j.ops;

import io.vq4j.GpuTest;
import io.vq4j.TestData;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.ops.VqBackwardCpuTest.Case;
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
 * The CUDA EMA update (several steps) and dead-code revival against the CPU twin, on fresh random
 * inputs, both layouts; bad indices leave the state alone and the backend working.
 */
class CodebookEmaGpuTest extends GpuTest {
    private static CudaOps gpu;
    private static final CpuOps cpu = new CpuOps();

    @BeforeAll static void open() { gpu = new CudaOps(); }
    @AfterAll static void close() { if (gpu != null) gpu.close(); }

    static Stream<Case> cases() {
        return Stream.concat(VqBackwardCpuTest.cases(), Stream.of(
                new Case(new int[] {524288, 64}, 512),
                new Case(new int[] {2, 256, 256, 256}, 16384)));
    }

    /** Host copies of an EMA state: codebook, clusterSize, embedSum. */
    record State(float[] e, float[] size, float[] embed) {
        State copy() { return new State(e.clone(), size.clone(), embed.clone()); }
    }

    static State initialState(Case c, long seed) {
        int k = c.k(), d = c.d();
        float[] e = TestData.gaussian(seed, k * d, 1.0);
        float[] size = TestData.uniform(seed + 1, k, 0.5, 2.0);
        float[] embed = new float[k * d];
        for (int i = 0; i < k * d; i++) embed[i] = e[i] * size[i / d];
        return new State(e, size, embed);
    }

    /** One GPU EMA step from host state {@code s}; returns the new state. */
    static State gpuStep(Case c, float[] z, int[] idx, State s, float decay, float eps) {
        try (Tensor zt = gpu.upload(Tensor.of(z, c.zShape()));
             Tensor it = gpu.upload(Tensor.ofInts(idx, c.indexShape()));
             Tensor e = gpu.upload(Tensor.of(s.e(), c.k(), c.d()));
             EmaState st = new EmaState(gpu.upload(Tensor.of(s.size(), c.k())), gpu.upload(Tensor.of(s.embed(), c.k(), c.d())))) {
            gpu.emaUpdate(zt, it, e, st, decay, eps);
            return new State(e.toFloatArray(), st.clusterSize().toFloatArray(), st.embedSum().toFloatArray());
        }
    }

    static double maxRelErr(float[] a, float[] ref) {
        double worst = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i]) != Float.isNaN(ref[i])) return Double.POSITIVE_INFINITY;
            worst = Math.max(worst, Math.abs((double) a[i] - ref[i]));
            scale = Math.max(scale, Math.abs(ref[i]));
        }
        return worst / Math.max(scale, 1e-30);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void emaStepsMatchTheCpu(Case c) {
        long seed = System.nanoTime() ^ c.k() * 1_000_003L;
        String what = c + " (seed " + seed + ")";
        float decay = 0.99f, eps = 1e-5f;
        State ref = initialState(c, seed), dev = ref.copy();
        long live = DeviceBuffer.liveBuffers();
        double worst = 0;
        for (int step = 0; step < 3; step++) {
            float[] z = TestData.gaussian(seed + 10 + step, c.n() * c.d(), 1.0);
            int[] idx = TestData.ints(seed + 20 + step, c.n(), c.k());
            for (int i = 0; i < idx.length; i += 3) idx[i] = 0;

            State before = dev.copy();
            dev = gpuStep(c, z, idx, dev, decay, eps);
            State again = gpuStep(c, z, idx, before, decay, eps);
            assertArrayEquals(dev.e(), again.e(), "EMA codebook not reproducible, step " + step + " " + what);
            assertArrayEquals(dev.embed(), again.embed(), "EMA embedSum not reproducible, step " + step + " " + what);

            Tensor e = Tensor.of(ref.e(), c.k(), c.d());
            EmaState st = new EmaState(Tensor.of(ref.size(), c.k()), Tensor.of(ref.embed(), c.k(), c.d()));
            cpu.emaUpdate(Tensor.of(z, c.zShape()), Tensor.ofInts(idx, c.indexShape()), e, st, decay, eps);

            double eSize = maxRelErr(dev.size(), ref.size()), eEmbed = maxRelErr(dev.embed(), ref.embed()),
                    eCb = maxRelErr(dev.e(), ref.e());
            worst = Math.max(worst, Math.max(eSize, Math.max(eEmbed, eCb)));
            assertTrue(eSize <= 1e-6, "clusterSize step " + step + " " + what + ": maxRelErr " + eSize);
            assertTrue(eEmbed <= 1e-6, "embedSum step " + step + " " + what + ": maxRelErr " + eEmbed);
            assertTrue(eCb <= 1e-5, "codebook step " + step + " " + what + ": maxRelErr " + eCb);
        }
        System.out.printf("[gpu] op=emaUpdate shape=%s K=%d steps=3 maxRelErr=%.3g%n", Arrays.toString(c.zShape()), c.k(), worst);
        assertEquals(live, DeviceBuffer.liveBuffers(), "device buffers leaked " + what);
    }

    @Test
    void badIndexLeavesTheStateAloneAndTheBackendWorks() {
        Case c = new Case(new int[] {3, 4, 5, 6}, 33);
        long seed = System.nanoTime();
        State s = initialState(c, seed);
        float[] z = TestData.gaussian(seed + 5, c.n() * c.d(), 1.0);
        int[] idx = TestData.ints(seed + 6, c.n(), c.k());
        idx[17] = 33;
        long live = DeviceBuffer.liveBuffers();
        try (Tensor zt = gpu.upload(Tensor.of(z, c.zShape()));
             Tensor it = gpu.upload(Tensor.ofInts(idx, c.indexShape()));
             Tensor e = gpu.upload(Tensor.of(s.e(), c.k(), c.d()));
             EmaState st = new EmaState(gpu.upload(Tensor.of(s.size(), c.k())), gpu.upload(Tensor.of(s.embed(), c.k(), c.d())))) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> gpu.emaUpdate(zt, it, e, st, 0.9f, 1e-5f));
            assertTrue(ex.getMessage().contains("indices[17] = 33 is outside [0, 33)"), ex.getMessage() + " (seed " + seed + ")");
            assertArrayEquals(s.e(), e.toFloatArray(), "codebook untouched");
            assertArrayEquals(s.size(), st.clusterSize().toFloatArray(), "clusterSize untouched");
            assertArrayEquals(s.embed(), st.embedSum().toFloatArray(), "embedSum untouched");
        }
        assertEquals(live, DeviceBuffer.liveBuffers(), "a failed EMA update must free what it allocated");
        idx[17] = 32;
        State dev = gpuStep(c, z, idx, s, 0.9f, 1e-5f);
        Tensor e = Tensor.of(s.e().clone(), c.k(), c.d());
        cpu.emaUpdate(Tensor.of(z, c.zShape()), Tensor.ofInts(idx, c.indexShape()), e,
                new EmaState(Tensor.of(s.size().clone(), c.k()), Tensor.of(s.embed().clone(), c.k(), c.d())), 0.9f, 1e-5f);
        assertTrue(maxRelErr(dev.e(), e.toFloatArray()) <= 1e-5, "after a bad call (seed " + seed + ")");
    }

    // ---- revival --------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void reviveMatchesTheCpu(Case c) {
        long seed = System.nanoTime() * 31 + c.k();
        String what = c + " (seed " + seed + ")";
        int k = c.k(), d = c.d();
        float[] z = TestData.gaussian(seed, c.n() * d, 1.0);
        State s = initialState(c, seed + 1);
        for (boolean floatUsage : new boolean[] {false, true}) {
            for (boolean withEma : new boolean[] {false, true}) {
                Tensor usage = floatUsage ? Tensor.of(TestData.uniform(seed + 2, k, 0, 3), k) : Tensor.ofInts(TestData.ints(seed + 2, k, 4), k);
                float threshold = 1f;
                State ref = s.copy();
                int nRef = cpu.reviveDeadCodes(Tensor.of(ref.e(), k, d), usage, threshold, Tensor.of(z, c.zShape()), seed,
                        withEma ? new EmaState(Tensor.of(ref.size(), k), Tensor.of(ref.embed(), k, d)) : null);
                State dev;
                int nDev;
                try (Tensor zt = gpu.upload(Tensor.of(z, c.zShape()));
                     Tensor u = gpu.upload(usage);
                     Tensor e = gpu.upload(Tensor.of(s.e(), k, d));
                     EmaState st = new EmaState(gpu.upload(Tensor.of(s.size(), k)), gpu.upload(Tensor.of(s.embed(), k, d)))) {
                    nDev = gpu.reviveDeadCodes(e, u, threshold, zt, seed, withEma ? st : null);
                    dev = new State(e.toFloatArray(), st.clusterSize().toFloatArray(), st.embedSum().toFloatArray());
                }
                String how = what + (floatUsage ? " F32 usage" : " I32 usage") + (withEma ? " with EMA" : "");
                assertEquals(nRef, nDev, "revived count " + how);
                assertArrayEquals(ref.e(), dev.e(), "codebook " + how);
                assertArrayEquals(ref.size(), dev.size(), "clusterSize " + how);
                assertArrayEquals(ref.embed(), dev.embed(), "embedSum " + how);
                System.out.printf("[gpu] op=reviveDeadCodes shape=%s K=%d usage=%s ema=%s revived=%d maxRelErr=%.3g%n",
                        Arrays.toString(c.zShape()), k, usage.dtype(), withEma, nDev, maxRelErr(dev.e(), ref.e()));
            }
        }
    }

    @Test
    void reviveWithUsageBeingTheClusterSize() {
        Case c = new Case(new int[] {4, 16, 8, 8}, 1024);
        long seed = System.nanoTime();
        int k = c.k(), d = c.d();
        float[] z = TestData.gaussian(seed, c.n() * d, 1.0);
        State s = initialState(c, seed + 1);
        for (int j = 0; j < k; j += 3) s.size()[j] = 0.1f; // a third dead
        State ref = s.copy();
        Tensor refSize = Tensor.of(ref.size(), k);
        int nRef = cpu.reviveDeadCodes(Tensor.of(ref.e(), k, d), refSize, 0.5f, Tensor.of(z, c.zShape()), seed,
                new EmaState(refSize, Tensor.of(ref.embed(), k, d)));
        try (Tensor zt = gpu.upload(Tensor.of(z, c.zShape()));
             Tensor e = gpu.upload(Tensor.of(s.e(), k, d));
             EmaState st = new EmaState(gpu.upload(Tensor.of(s.size(), k)), gpu.upload(Tensor.of(s.embed(), k, d)))) {
            int nDev = gpu.reviveDeadCodes(e, st.clusterSize(), 0.5f, zt, seed, st);
            assertEquals(nRef, nDev, "(seed " + seed + ")");
            assertTrue(nDev >= k / 3, "every code with size 0.1 is dead (seed " + seed + ")");
            assertArrayEquals(ref.e(), e.toFloatArray(), "codebook (seed " + seed + ")");
            assertArrayEquals(ref.size(), st.clusterSize().toFloatArray(), "clusterSize (seed " + seed + ")");
            assertArrayEquals(ref.embed(), st.embedSum().toFloatArray(), "embedSum (seed " + seed + ")");
        }
    }
}
