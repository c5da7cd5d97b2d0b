package io.vq4j.ops;

import io.vq4j.TestData;
import io.vq4j.ops.NearestReference.Case;
import io.vq4j.ops.NearestReference.Comparison;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU nearestCode twin against a double-precision direct-form reference written here. */
class CpuNearestTest {
    private final Ops ops = new CpuOps();

    static Stream<Case> cases() {
        return Stream.of(
                Case.rows(1, 1, 1),
                Case.rows(13, 3, 2),
                Case.rows(13, 4, 257),
                Case.rows(207, 64, 1024),
                Case.rows(1_000_003, 4, 13),
                Case.rows(333, 256, 16384),
                Case.rows(50, 64, 1),
                Case.rows(1000, 1, 1024),
                Case.rows(97, 256, 257),
                Case.nchw(3, 64, 5, 7, 512),
                Case.nchw(2, 3, 1, 1, 2),
                Case.nchw(1, 4, 13, 1, 257),
                Case.nchw(2, 256, 3, 3, 1024),
                Case.nchw(5, 1, 7, 3, 13));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesDoubleReference(Case c) {
        long seed = System.nanoTime();
        float[][] data = NearestReference.data(c, seed);
        float[] z = data[0], e = data[1];
        try (NearestCode r = ops.nearestCode(Tensor.of(z, c.zShape()), Tensor.of(e, c.k(), c.d()), true)) {
            assertArrayEquals(c.indexShape(), r.indices().shape());
            assertArrayEquals(c.indexShape(), r.distances().shape());
            int[] all = NearestReference.all(c.n());
            int[] ref = NearestReference.nearest(c, z, e, all);
            Comparison cmp = NearestReference.compare(c, z, e, all, r.indices().toIntArray(),
                    r.distances().toFloatArray(), ref, false);
            System.out.printf("[cpu] op=nearestCode %s mismatches=%d nearTies=%d maxDistRelErr=%.3g%n",
                    c, cmp.mismatches(), cmp.nearTies(), cmp.maxDistRelErr());
            assertEquals(0, cmp.failures(), () -> c + " seed=" + seed + ": " + cmp.firstFailure());
        }
    }

    @Test
    void withoutDistancesGivesTheSameIndices() {
        Case c = Case.nchw(2, 16, 4, 5, 100);
        float[][] data = NearestReference.data(c, 7);
        try (NearestCode a = ops.nearestCode(Tensor.of(data[0], c.zShape()), Tensor.of(data[1], c.k(), c.d()), false);
             NearestCode b = ops.nearestCode(Tensor.of(data[0], c.zShape()), Tensor.of(data[1], c.k(), c.d()), true)) {
            assertNull(a.distances());
            assertNotNull(b.distances());
            assertArrayEquals(b.indices().toIntArray(), a.indices().toIntArray());
        }
    }

    /** The same vectors as rows and as channel-first give the same codes and the same distance bits. */
    @Test
    void layoutsAgreeBitForBit() {
        long seed = System.nanoTime();
        Case c = Case.nchw(3, 64, 5, 7, 300);
        float[][] data = NearestReference.data(c, seed);
        float[] rows = NearestReference.asRows(c, data[0]);
        Tensor e = Tensor.of(data[1], c.k(), c.d());
        try (NearestCode a = ops.nearestCode(Tensor.of(data[0], c.zShape()), e, true);
             NearestCode b = ops.nearestCode(Tensor.of(rows, c.n(), c.d()), e, true)) {
            assertArrayEquals(b.indices().toIntArray(), a.indices().toIntArray(), "seed=" + seed);
            assertArrayEquals(b.distances().toFloatArray(), a.distances().toFloatArray(), "seed=" + seed);
        }
    }

    /** Codebook rows k >= U repeat row k mod U: every answer must be the lowest copy, k < U. */
    @Test
    void tiesGoToTheLowestIndex() {
        int d = 8, u = 37, k = 4 * u + 5;
        float[] base = TestData.gaussian(11, u * d, 1.0);
        float[] e = new float[k * d];
        for (int r = 0; r < k; r++) System.arraycopy(base, (r % u) * d, e, r * d, d);
        int n = 500;
        float[] z = TestData.gaussian(12, n * d, 1.0);
        // a few vectors exactly on a code: distance exactly 0 at the lowest copy
        for (int i = 0; i < 10; i++) System.arraycopy(base, (i * 7 % u) * d, z, i * d, d);
        try (NearestCode r = ops.nearestCode(Tensor.of(z, n, d), Tensor.of(e, k, d), true)) {
            int[] idx = r.indices().toIntArray();
            float[] dist = r.distances().toFloatArray();
            for (int i = 0; i < n; i++) assertTrue(idx[i] < u, "vector " + i + " got duplicate " + idx[i]);
            for (int i = 0; i < 10; i++) {
                assertEquals(i * 7 % u, idx[i], "vector " + i);
                assertEquals(0f, dist[i], "vector " + i);
            }
        }
    }

    /** Ties across code tiles too: a codebook of one repeated row answers 0 everywhere. */
    @Test
    void allEqualCodesGiveZero() {
        int d = 3, k = 20000;
        float[] e = new float[k * d];
        for (int r = 0; r < k; r++) { e[r * d] = 1; e[r * d + 1] = -2; e[r * d + 2] = 0.5f; }
        float[] z = TestData.gaussian(3, 100 * d, 1.0);
        try (NearestCode r = ops.nearestCode(Tensor.of(z, 100, d), Tensor.of(e, k, d), false)) {
            for (int i : r.indices().toIntArray()) assertEquals(0, i);
        }
    }

    @Test
    void nonFiniteZNamesTheFirstVector() {
        Case c = Case.nchw(2, 64, 8, 8, 16);
        float[][] data = NearestReference.data(c, 5);
        float[] z = data[0];
        z[c.offset(100, 3)] = Float.POSITIVE_INFINITY;
        z[c.offset(17, 40)] = Float.NaN;
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ops.nearestCode(Tensor.of(z, c.zShape()), Tensor.of(data[1], c.k(), c.d()), true));
        assertEquals("z contains NaN or Inf in vector 17 (z [2, 64, 8, 8])", ex.getMessage());

        Case rows = Case.rows(1000, 4, 9);
        float[][] rd = NearestReference.data(rows, 6);
        rd[0][999 * 4 + 3] = Float.NEGATIVE_INFINITY;
        ex = assertThrows(IllegalArgumentException.class,
                () -> ops.nearestCode(Tensor.of(rd[0], 1000, 4), Tensor.of(rd[1], 9, 4), false));
        assertEquals("z contains NaN or Inf in vector 999 (z [1000, 4])", ex.getMessage());
    }

    @Test
    void nonFiniteCodebookNamesTheFirstRow() {
        int k = 512, d = 64;
        float[] e = TestData.gaussian(8, k * d, 1.0);
        float[] z = TestData.gaussian(9, 10 * d, 1.0);
        e[400 * d] = Float.NaN;
        e[3 * d + 63] = Float.POSITIVE_INFINITY;
        z[5] = Float.NaN; // the codebook is reported first
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> ops.nearestCode(Tensor.of(z, 10, d), Tensor.of(e, k, d), true));
        assertEquals("codebook contains NaN or Inf in row 3 (codebook [512, 64])", ex.getMessage());
    }
}
