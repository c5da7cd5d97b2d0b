package io.vq4j.ops.layers;

import io.vq4j.TestData;
import io.vq4j.ops.cpu.Gemm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The blocked SGEMM against a double triple loop, with offsets, strides, transposes and accumulation. */
class GemmTest {

    record Case(int m, int n, int k, boolean transA, boolean transB) {
        @Override public String toString() { return (transA ? "T" : "N") + (transB ? "T" : "N") + " m=" + m + " n=" + n + " k=" + k; }
    }

    static Stream<Case> cases() {
        int[][] sizes = {{1, 1, 1}, {13, 300, 520}, {257, 3, 9}, {2, 1024, 257}, {64, 64, 64}, {5, 1, 700}, {300, 17, 1}};
        return Arrays.stream(sizes).flatMap(s -> Stream.of(
                new Case(s[0], s[1], s[2], false, false), new Case(s[0], s[1], s[2], true, false),
                new Case(s[0], s[1], s[2], false, true), new Case(s[0], s[1], s[2], true, true)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesDoubleLoops(Case c) {
        int m = c.m, n = c.n, k = c.k;
        // Stored shapes with padding columns and a leading offset, to exercise lda/ldb/ldc and offsets.
        int aRows = c.transA ? k : m, aCols = c.transA ? m : k, lda = aCols + 3;
        int bRows = c.transB ? n : k, bCols = c.transB ? k : n, ldb = bCols + 5;
        int ldc = n + 2, aOff = 7, bOff = 11, cOff = 4;
        long seed = c.hashCode();
        float[] a = TestData.gaussian(seed, aOff + aRows * lda, 1.0);
        float[] b = TestData.gaussian(seed + 1, bOff + bRows * ldb, 1.0);
        float[] c0 = TestData.gaussian(seed + 2, cOff + m * ldc, 1.0);
        double[] ref = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = c.transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double bv = c.transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += av * bv;
                }
                ref[i * n + j] = s;
            }
        for (boolean accumulate : new boolean[] {false, true}) {
            float[] seq = c0.clone(), par = c0.clone();
            Gemm.sgemm(c.transA, c.transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, seq, cOff, ldc);
            Gemm.sgemmParallel(c.transA, c.transB, m, n, k, a, aOff, lda, b, bOff, ldb, accumulate, par, cOff, ldc);
            assertArrayEquals(seq, par, "parallel and sequential GEMM must agree bitwise, " + c);
            float[] got = new float[m * n];
            double[] want = new double[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    got[i * n + j] = seq[cOff + i * ldc + j];
                    want[i * n + j] = ref[i * n + j] + (accumulate ? c0[cOff + i * ldc + j] : 0);
                }
            double err = TestData.relError(got, want);
            assertTrue(err < 1e-6, c + " accumulate=" + accumulate + ": relErr " + err);
            // nothing outside C's m x n window is written
            for (int i = 0; i < cOff; i++) assertTrue(seq[i] == c0[i], "wrote before C at " + i);
            for (int i = 0; i < m; i++)
                for (int j = n; j < ldc && cOff + i * ldc + j < seq.length; j++) {
                    assertTrue(seq[cOff + i * ldc + j] == c0[cOff + i * ldc + j], "wrote into C's padding at row " + i);
                }
        }
    }

    @Test
    void emptyInnerDimensionGivesZerosOrLeavesC() {
        float[] c = {1, 2, 3, 4};
        Gemm.sgemm(false, false, 2, 2, 0, new float[0], 0, 0, new float[0], 0, 2, true, c, 0, 2);
        assertArrayEquals(new float[] {1, 2, 3, 4}, c);
        Gemm.sgemm(false, false, 2, 2, 0, new float[0], 0, 0, new float[0], 0, 2, false, c, 0, 2);
        assertArrayEquals(new float[] {0, 0, 0, 0}, c);
    }
}
