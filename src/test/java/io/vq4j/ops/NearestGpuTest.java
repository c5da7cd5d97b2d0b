package io.vq4j.ops;

import io.vq4j.TestData;
import io.vq4j.cuda.DeviceBuffer;
import io.vq4j.ops.NearestReference.Case;
import io.vq4j.ops.NearestReference.Comparison;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CUDA nearestCode against the CPU twin and the double reference on awkward sizes, both layouts,
 * ties, non-finite data. Large cases are checked on a random sample of vectors (the reference
 * would take minutes on all of them); the GPU always runs the whole problem.
 */
class NearestGpuTest extends CudaOpsGpuTest {
    /** Above this many (vector, code, dim) triples, the references run on a sample of vectors. */
    private static final long FULL_CHECK_WORK = 2_000_000_000L;
    private static final int SAMPLE = 3000;

    /** The CPU twin's cases, plus sizes only the GPU runs in reasonable time. */
    static Stream<Case> cases() {
        return Stream.concat(CpuNearestTest.cases(), Stream.of(
                Case.rows(128, 16, 64),      // exactly one block tile and one code tile
                Case.rows(129, 17, 65),      // one past each tile edge
                Case.rows(127, 33, 63),      // one short of each
                Case.rows(300, 3, 20000),    // many code splits for few vectors
                Case.rows(100_003, 256, 16384),
                Case.rows(1_000_003, 64, 512),
                Case.nchw(16, 64, 32, 32, 512),
                Case.nchw(7, 19, 11, 13, 300)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesCpuTwinAndDoubleReference(Case c) {
        long seed = System.nanoTime();
        float[][] data = NearestReference.data(c, seed);
        float[] z = data[0], e = data[1];
        int[] gpuIdx;
        float[] gpuDist;
        try (Tensor zd = cuda.upload(Tensor.of(z, c.zShape())); Tensor ed = cuda.upload(Tensor.of(e, c.k(), c.d()))) {
            poisonPool((long) c.n() * 16 + (long) c.k() * 4 + (1 << 20));
            try (NearestCode r = cuda.nearestCode(zd, ed, true)) {
                assertArrayEquals(c.indexShape(), r.indices().shape());
                assertArrayEquals(c.indexShape(), r.distances().shape());
                assertTrue(r.indices().isOnDevice() && r.distances().isOnDevice());
                gpuIdx = r.indices().toIntArray();
                gpuDist = r.distances().toFloatArray();
            }
            // Same indices without distances, and bitwise the same on a second run (no atomics in the result path).
            try (NearestCode again = cuda.nearestCode(zd, ed, false)) {
                assertNull(again.distances());
                assertArrayEquals(gpuIdx, again.indices().toIntArray(), c + " seed=" + seed + ": run-to-run indices differ");
            }
        }
        for (int i = 0; i < gpuDist.length; i++) {
            if (Float.isNaN(gpuDist[i])) throw new AssertionError(c + " seed=" + seed + ": distance " + i + " is NaN/poison");
        }

        int[] vectors = (long) c.n() * c.k() * c.d() <= FULL_CHECK_WORK ? NearestReference.all(c.n()) : sample(c.n(), seed);
        int[] gi = new int[vectors.length];
        float[] gd = new float[vectors.length];
        for (int i = 0; i < vectors.length; i++) { gi[i] = gpuIdx[vectors[i]]; gd[i] = gpuDist[vectors[i]]; }

        // vs the double reference (expanded-form bound)
        int[] ref = NearestReference.nearest(c, z, e, vectors);
        Comparison vsRef = NearestReference.compare(c, z, e, vectors, gi, gd, ref, true);

        // vs the CPU twin, run on the same vectors gathered as rows
        int[] cpuIdx;
        float[] cpuDist;
        try (NearestCode r = cpu.nearestCode(Tensor.of(gatherRows(c, z, vectors), vectors.length, c.d()),
                Tensor.of(e, c.k(), c.d()), true)) {
            cpuIdx = r.indices().toIntArray();
            cpuDist = r.distances().toFloatArray();
        }
        int vsCpuMismatch = 0, vsCpuFail = 0;
        String firstCpuFail = null;
        for (int i = 0; i < vectors.length; i++) {
            if (gi[i] == cpuIdx[i]) {
                // same code: the finalize kernel and the twin do the same fp32 operations in the same order
                if (Float.floatToRawIntBits(gd[i]) != Float.floatToRawIntBits(cpuDist[i])) {
                    vsCpuFail++;
                    if (firstCpuFail == null) firstCpuFail = "vector " + vectors[i] + ": distance " + gd[i] + " vs cpu " + cpuDist[i];
                }
                continue;
            }
            vsCpuMismatch++;
            double[] zv = NearestReference.vector(c, z, vectors[i]);
            double dg = NearestReference.dist(zv, e, c.d(), gi[i]), dc = NearestReference.dist(zv, e, c.d(), cpuIdx[i]);
            double bound = NearestReference.expandedTieBound(c.d(), NearestReference.sq(zv),
                    NearestReference.rowSq(e, c.d(), gi[i]), NearestReference.rowSq(e, c.d(), cpuIdx[i]))
                    + NearestReference.directTieBound(c.d(), dg, dc);
            if (Math.abs(dg - dc) > bound) {
                vsCpuFail++;
                if (firstCpuFail == null) firstCpuFail = "vector " + vectors[i] + ": gpu code " + gi[i] + " (d=" + dg
                        + ") vs cpu code " + cpuIdx[i] + " (d=" + dc + "), beyond " + bound;
            }
        }
        System.out.printf("[gpu] op=nearestCode N=%d D=%d K=%d layout=%s checked=%d mismatches=%d nearTies=%d "
                        + "cpuMismatches=%d maxDistRelErr=%.3g%n", c.n(), c.d(), c.k(), c.layout(), vectors.length,
                vsRef.mismatches(), vsRef.nearTies(), vsCpuMismatch, vsRef.maxDistRelErr());
        assertEquals(0, vsRef.failures(), () -> c + " seed=" + seed + " vs double: " + vsRef.firstFailure());
        final String f = firstCpuFail;
        assertEquals(0, vsCpuFail, () -> c + " seed=" + seed + " vs cpu twin: " + f);
    }

    /** Rows k >= U repeat row k mod U, spread over many code tiles and splits: always the lowest copy. */
    @Test
    void tiesGoToTheLowestIndexAcrossTilesAndSplits() {
        int d = 8, u = 37, k = 5000, n = 300; // few vectors, many codes: several code splits
        float[] base = TestData.gaussian(11, u * d, 1.0);
        float[] e = new float[k * d];
        for (int r = 0; r < k; r++) System.arraycopy(base, (r % u) * d, e, r * d, d);
        float[] z = TestData.gaussian(12, n * d, 1.0);
        for (int i = 0; i < 10; i++) System.arraycopy(base, (i * 7 % u) * d, z, i * d, d);
        try (Tensor zd = cuda.upload(Tensor.of(z, n, d)); Tensor ed = cuda.upload(Tensor.of(e, k, d));
             NearestCode r = cuda.nearestCode(zd, ed, true)) {
            int[] idx = r.indices().toIntArray();
            float[] dist = r.distances().toFloatArray();
            for (int i = 0; i < n; i++) assertTrue(idx[i] >= 0 && idx[i] < u, "vector " + i + " got code " + idx[i]);
            for (int i = 0; i < 10; i++) {
                assertEquals(i * 7 % u, idx[i], "vector " + i);
                assertEquals(0f, dist[i], "vector " + i);
            }
            System.out.printf("[gpu] op=nearestCode ties N=%d D=%d K=%d layout=rows lowestCopy=ok%n", n, d, k);
        }
    }

    @Test
    void allEqualCodesGiveZero() {
        int d = 3, k = 20000, n = 1000;
        float[] e = new float[k * d];
        for (int r = 0; r < k; r++) { e[r * d] = 1; e[r * d + 1] = -2; e[r * d + 2] = 0.5f; }
        try (Tensor zd = cuda.upload(Tensor.of(TestData.gaussian(3, n * d, 1.0), n, d));
             Tensor ed = cuda.upload(Tensor.of(e, k, d));
             NearestCode r = cuda.nearestCode(zd, ed, false)) {
            for (int i : r.indices().toIntArray()) assertEquals(0, i);
        }
    }

    @Test
    void nonFiniteDataThrowsAndTheBackendStillWorks() {
        Case c = Case.nchw(2, 64, 8, 8, 16);
        float[][] data = NearestReference.data(c, 5);
        float[] z = data[0].clone();
        z[c.offset(100, 3)] = Float.POSITIVE_INFINITY;
        z[c.offset(17, 40)] = Float.NaN;
        try (Tensor zd = cuda.upload(Tensor.of(z, c.zShape())); Tensor ed = cuda.upload(Tensor.of(data[1], c.k(), c.d()))) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> cuda.nearestCode(zd, ed, true));
            assertEquals("z contains NaN or Inf in vector 17 (z [2, 64, 8, 8])", ex.getMessage());
        }

        int k = 512, d = 64;
        float[] e = TestData.gaussian(8, k * d, 1.0);
        e[400 * d] = Float.NaN;
        e[3 * d + 63] = Float.NEGATIVE_INFINITY;
        float[] zr = TestData.gaussian(9, 10 * d, 1.0);
        zr[5] = Float.NaN; // the codebook is reported first, as on the CPU
        try (Tensor zd = cuda.upload(Tensor.of(zr, 10, d)); Tensor ed = cuda.upload(Tensor.of(e, k, d))) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> cuda.nearestCode(zd, ed, false));
            assertEquals("codebook contains NaN or Inf in row 3 (codebook [512, 64])", ex.getMessage());
        }

        // afterwards the backend still works: vectors placed exactly on codes find them, at distance 0
        int[] pick = TestData.ints(10, c.n(), c.k());
        float[] onCodes = new float[c.n() * c.d()];
        for (int v = 0; v < c.n(); v++) for (int i = 0; i < c.d(); i++) onCodes[c.offset(v, i)] = data[1][pick[v] * c.d() + i];
        try (Tensor zd = cuda.upload(Tensor.of(onCodes, c.zShape())); Tensor ed = cuda.upload(Tensor.of(data[1], c.k(), c.d()));
             NearestCode g = cuda.nearestCode(zd, ed, true)) {
            assertArrayEquals(pick, g.indices().toIntArray());
            assertArrayEquals(new float[c.n()], g.distances().toFloatArray());
        }
    }

    /** Frees a poisoned block into the stream-ordered pool, so the op's next allocations likely start as poison. */
    private void poisonPool(long bytes) {
        try (DeviceBuffer b = new DeviceBuffer(cuda.runtime().stream(), bytes)) {
            b.fill32(TestData.POISON_BITS);
        }
    }

    private static int[] sample(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        int[] v = new int[SAMPLE];
        v[0] = 0;
        v[1] = n - 1;
        for (int i = 2; i < SAMPLE; i++) v[i] = r.nextInt(n);
        return v;
    }

    private static float[] gatherRows(Case c, float[] z, int[] vectors) {
        float[] rows = new float[vectors.length * c.d()];
        for (int i = 0; i < vectors.length; i++) {
            for (int j = 0; j < c.d(); j++) rows[i * c.d() + j] = z[c.offset(vectors[i], j)];
        }
        return rows;
    }
}
