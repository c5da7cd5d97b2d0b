package io.vq4j.ops;

import io.vq4j.TestData;
import io.vq4j.ops.NearestReference.Case;
import io.vq4j.ops.NearestReference.Comparison;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TF32 tensor-core search (cuda/vq_nearest_tc.cu) and the small-D search
 * (cuda/vq_nearest_small.cu) against the FP32 search and the double reference. Every search
 * must return the FP32 search's indices and distances BIT FOR BIT (that is what the TF32
 * certification proves and what the shared score arithmetic gives the small-D kernel), and be
 * within the expanded-form tie bound of the double reference. Also the fused nearestQuantize (zq
 * is exactly the chosen rows in z's layout), data built so the certification fails and the
 * fallback must find the answer, non-finite data, and (via CudaOpsGpuTest) no leaked buffers.
 */
class NearestSearchGpuTest extends CudaOpsGpuTest {
    /** Above this many (vector, code, dim) triples the double reference runs on a sample. */
    private static final long FULL_CHECK_WORK = 1_000_000_000L;
    private static final int SAMPLE = 2000;

    static Stream<Arguments> cases() {
        NearestSearch tc = NearestSearch.TF32_RERANK, small = NearestSearch.SMALL_D, auto = NearestSearch.AUTO;
        return Stream.of(
                Arguments.of(tc, Case.rows(1, 1, 1)),
                Arguments.of(tc, Case.rows(13, 3, 13)),
                Arguments.of(tc, Case.rows(207, 4, 207)),
                Arguments.of(tc, Case.rows(207, 7, 1024)),
                Arguments.of(tc, Case.rows(1000, 13, 207)),
                Arguments.of(tc, Case.rows(129, 64, 65)),
                Arguments.of(tc, Case.rows(4099, 64, 1024)),
                Arguments.of(tc, Case.rows(300, 100, 13)),
                Arguments.of(tc, Case.rows(257, 320, 100)),
                Arguments.of(tc, Case.rows(2000, 256, 16384)),
                Arguments.of(tc, Case.nchw(3, 64, 5, 7, 207)),
                Arguments.of(tc, Case.nchw(2, 256, 3, 3, 1024)),
                Arguments.of(tc, Case.nchw(7, 19, 11, 13, 300)),
                Arguments.of(tc, Case.nchw(5, 1, 7, 3, 13)),
                Arguments.of(small, Case.rows(1, 1, 1)),
                Arguments.of(small, Case.rows(13, 3, 13)),
                Arguments.of(small, Case.rows(65536, 4, 512)),
                Arguments.of(small, Case.rows(207, 8, 1024)),
                Arguments.of(small, Case.rows(1000, 7, 1365)),
                Arguments.of(small, Case.nchw(5, 1, 7, 3, 13)),
                Arguments.of(small, Case.nchw(3, 4, 13, 1, 257)),
                Arguments.of(auto, Case.rows(65536, 4, 512)),
                Arguments.of(auto, Case.rows(40_000, 64, 256)),
                Arguments.of(auto, Case.nchw(64, 64, 16, 16, 1024)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void equalsFp32SearchBitForBitAndDoubleWithinTheBound(NearestSearch mode, Case c) {
        long seed = System.nanoTime();
        float[][] data = NearestReference.data(c, seed);
        check(mode, c, data[0], data[1], seed);
    }

    /**
     * Each code is repeated 6 times (38 in code half 1; 64, 65, 72, 73 and 128 in code half 0,
     * several of them in one partition), so a shortlist that kept the wrong copies would answer
     * 64. Equal TF32 scores cannot be certified (a partition holding two copies has its second
     * value at the best), so the fallback must run and return 38, as the FP32 search does.
     */
    @Test
    void duplicateCodesForceTheFallbackToTheLowestCopy() {
        int d = 64, k = 1024, n = 5000;
        int[] copies = {38, 64, 65, 72, 73, 128};
        float[] e = TestData.gaussian(21, k * d, 1.0);
        for (int i = 1; i < copies.length; i++) System.arraycopy(e, copies[0] * d, e, copies[i] * d, d);
        float[] z = TestData.gaussian(22, n * d, 1.0);
        float[] noise = TestData.gaussian(23, n * d, 0.01);
        for (int v = 0; v < n; v += 2) for (int i = 0; i < d; i++) z[v * d + i] = e[copies[0] * d + i] + noise[v * d + i];
        int[] got = check(NearestSearch.TF32_RERANK, Case.rows(n, d, k), z, e, 24);
        for (int v = 0; v < n; v += 2) assertEquals(38, got[v], "vector " + v + " must get the lowest copy");
    }

    /** Every code within ~1e-6 of every other: nearly no vector can be certified, the fallback does them all. */
    @Test
    void nearlyEqualCodesEverywhereStillEqualFp32() {
        int d = 64, k = 1024, n = 3000;
        float[] base = TestData.gaussian(31, d, 1.0);
        float[] jitter = TestData.gaussian(32, k * d, 1e-6);
        float[] e = new float[k * d];
        for (int r = 0; r < k; r++) for (int i = 0; i < d; i++) e[r * d + i] = base[i] + jitter[r * d + i];
        float[] z = TestData.gaussian(33, n * d, 1.0);
        check(NearestSearch.TF32_RERANK, Case.rows(n, d, k), z, e, 34);
        Case cf = Case.nchw(3, d, 25, 40, k);
        check(NearestSearch.TF32_RERANK, cf, TestData.gaussian(35, cf.n() * d, 1.0), e, 36);
    }

    @Test
    void nonFiniteDataThrowsLikeFp32() {
        for (NearestSearch mode : new NearestSearch[] {NearestSearch.TF32_RERANK, NearestSearch.SMALL_D}) {
            cuda.nearestSearch(mode);
            int d = mode == NearestSearch.SMALL_D ? 4 : 64;
            Case c = Case.nchw(2, d, 8, 8, 16);
            float[][] data = NearestReference.data(c, 5);
            float[] z = data[0].clone();
            z[c.offset(100, 3)] = Float.POSITIVE_INFINITY;
            z[c.offset(17, d - 1)] = Float.NaN;
            try (Tensor zd = cuda.upload(Tensor.of(z, c.zShape())); Tensor ed = cuda.upload(Tensor.of(data[1], c.k(), c.d()))) {
                IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> cuda.nearestCode(zd, ed, true));
                assertEquals("z contains NaN or Inf in vector 17 (z [2, " + d + ", 8, 8])", ex.getMessage(), mode.toString());
                assertThrows(IllegalArgumentException.class, () -> cuda.nearestQuantize(zd, ed), mode.toString());
            }
            int k = 512;
            float[] e = TestData.gaussian(8, k * d, 1.0);
            e[400 * d] = Float.NaN;
            e[3 * d + d - 1] = Float.NEGATIVE_INFINITY;
            float[] zr = TestData.gaussian(9, 300 * d, 1.0);
            zr[5] = Float.NaN; // the codebook is reported first, as on the CPU
            try (Tensor zd = cuda.upload(Tensor.of(zr, 300, d)); Tensor ed = cuda.upload(Tensor.of(e, k, d))) {
                IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> cuda.nearestCode(zd, ed, false));
                assertEquals("codebook contains NaN or Inf in row 3 (codebook [512, " + d + "])", ex.getMessage(), mode.toString());
            }
            // the backend still works afterwards
            check(mode, Case.rows(300, d, 100), TestData.gaussian(40, 300 * d, 1.0), TestData.gaussian(41, 100 * d, 1.0), 42);
        }
    }

    /**
     * Runs FP32 and {@code mode} on the same data: indices and distance bits equal, nearestQuantize
     * gives the same indices and zq = the chosen rows in z's layout, and the indices are within
     * the expanded-form tie bound of the double reference. Returns the mode's indices.
     */
    private int[] check(NearestSearch mode, Case c, float[] z, float[] e, long seed) {
        int[] fpIdx, idx, nqIdx;
        float[] fpDist, dist, zq, fpZq;
        try (Tensor zd = cuda.upload(Tensor.of(z, c.zShape())); Tensor ed = cuda.upload(Tensor.of(e, c.k(), c.d()))) {
            cuda.nearestSearch(NearestSearch.FP32);
            try (NearestCode r = cuda.nearestCode(zd, ed, true); NearestQuantized q = cuda.nearestQuantize(zd, ed)) {
                fpIdx = r.indices().toIntArray();
                fpDist = r.distances().toFloatArray();
                assertArrayEquals(fpIdx, q.indices().toIntArray(), c + ": fp32 nearestQuantize indices");
                fpZq = q.zq().toFloatArray();
            }
            cuda.nearestSearch(mode);
            try (NearestCode r = cuda.nearestCode(zd, ed, true)) {
                assertArrayEquals(c.indexShape(), r.indices().shape());
                idx = r.indices().toIntArray();
                dist = r.distances().toFloatArray();
            }
            try (NearestQuantized q = cuda.nearestQuantize(zd, ed)) {
                assertArrayEquals(c.indexShape(), q.indices().shape());
                assertArrayEquals(c.zShape(), q.zq().shape());
                nqIdx = q.indices().toIntArray();
                zq = q.zq().toFloatArray();
            }
        }
        String what = mode + " " + c + " seed=" + seed;
        int differ = 0;
        for (int i = 0; i < c.n(); i++) if (idx[i] != fpIdx[i]) differ++;
        final int nd = differ;
        assertEquals(0, nd, () -> what + ": " + nd + " indices differ from the FP32 search, first at "
                + firstMismatch(idx, fpIdx));
        assertArrayEquals(idx, nqIdx, what + ": nearestQuantize indices vs nearestCode");
        for (int i = 0; i < c.n(); i++) {
            assertEquals(Float.floatToRawIntBits(fpDist[i]), Float.floatToRawIntBits(dist[i]), what + ": distance " + i);
        }
        for (int v = 0; v < c.n(); v++) {
            for (int j = 0; j < c.d(); j++) {
                int o = c.offset(v, j);
                if (Float.floatToRawIntBits(zq[o]) != Float.floatToRawIntBits(e[idx[v] * c.d() + j])
                        || Float.floatToRawIntBits(fpZq[o]) != Float.floatToRawIntBits(e[fpIdx[v] * c.d() + j])) {
                    throw new AssertionError(what + ": zq of vector " + v + " dim " + j + " is not the chosen row");
                }
            }
        }
        int[] vectors = (long) c.n() * c.k() * c.d() <= FULL_CHECK_WORK ? NearestReference.all(c.n()) : sample(c.n(), seed);
        int[] gi = new int[vectors.length];
        float[] gd = new float[vectors.length];
        for (int i = 0; i < vectors.length; i++) { gi[i] = idx[vectors[i]]; gd[i] = dist[vectors[i]]; }
        int[] ref = NearestReference.nearest(c, z, e, vectors);
        Comparison cmp = NearestReference.compare(c, z, e, vectors, gi, gd, ref, true);
        System.out.printf("[gpu] op=nearestCode search=%s N=%d D=%d K=%d layout=%s checked=%d mismatches=%d nearTies=%d "
                        + "equalToFp32=yes%n", mode, c.n(), c.d(), c.k(), c.layout(), vectors.length, cmp.mismatches(),
                cmp.nearTies());
        assertEquals(0, cmp.failures(), () -> what + " vs double: " + cmp.firstFailure());
        assertTrue(cmp.mismatches() == cmp.nearTies());
        return idx;
    }

    private static String firstMismatch(int[] a, int[] b) {
        for (int i = 0; i < a.length; i++) if (a[i] != b[i]) return "vector " + i + ": " + a[i] + " vs fp32 " + b[i];
        return "none";
    }

    private static int[] sample(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
        int[] v = new int[SAMPLE];
        v[0] = 0;
        v[1] = n - 1;
        for (int i = 2; i < SAMPLE; i++) v[i] = r.nextInt(n);
        return v;
    }
}
