package io.vq4j.cuda.ffm;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The row-major helper's mapping onto column-major cuBLAS, checked on the CPU: a column-major
 * GEMM written here from the BLAS definition, run with the mapped arguments, must give the
 * row-major product computed directly.
 */
class GemmArgumentsTest {

    /** BLAS sgemm semantics in double: C = alpha op(A) op(B) + beta C, column-major, with leading dimensions. */
    static void referenceColumnMajorGemm(CublasOp ta, CublasOp tb, int m, int n, int k, double alpha,
                                         double[] a, int lda, double[] b, int ldb, double beta, double[] c, int ldc) {
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta == CublasOp.N ? a[i + p * lda] : a[p + i * lda];
                    double bv = tb == CublasOp.N ? b[p + j * ldb] : b[j + p * ldb];
                    s += av * bv;
                }
                c[i + j * ldc] = alpha * s + (beta == 0 ? 0 : beta * c[i + j * ldc]);
            }
        }
    }

    /** Row-major op(A) op(B), packed, straight from the definition. */
    static double[] referenceRowMajor(CublasOp ta, CublasOp tb, int m, int n, int k, double[] a, double[] b) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta == CublasOp.N ? a[i * k + p] : a[p * m + i];
                    double bv = tb == CublasOp.N ? b[p * n + j] : b[j * k + p];
                    s += av * bv;
                }
                c[i * n + j] = s;
            }
        }
        return c;
    }

    @Test
    void rowMajorMappingGivesTheRowMajorProduct() {
        SplittableRandom r = new SplittableRandom(42);
        int[][] shapes = {{1, 1, 1}, {1, 13, 7}, {13, 1, 7}, {5, 3, 1}, {13, 7, 29}, {4, 9, 16}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (CublasOp ta : CublasOp.values()) {
                for (CublasOp tb : CublasOp.values()) {
                    double[] a = new double[m * k], b = new double[k * n];
                    for (int i = 0; i < a.length; i++) a[i] = r.nextDouble(-1, 1);
                    for (int i = 0; i < b.length; i++) b[i] = r.nextDouble(-1, 1);
                    // "addresses" 1, 2, 3 stand for A, B, C so we can see which operand went where
                    RowMajorGemm g = RowMajorGemm.of(ta, tb, m, n, k, 1, 2, 3);
                    assertDoesNotThrow(() -> CublasHandle.checkGemm("test", g.transA(), g.transB(), g.m(), g.n(), g.k(),
                            g.a(), g.lda(), g.b(), g.ldb(), g.c(), g.ldc()), g.toString());
                    assertEquals(2, g.a());
                    assertEquals(1, g.b());
                    assertEquals(3, g.c());
                    double[] c = new double[m * n];
                    referenceColumnMajorGemm(g.transA(), g.transB(), g.m(), g.n(), g.k(), 1.0,
                            b, g.lda(), a, g.ldb(), 0.0, c, g.ldc());
                    double[] expected = referenceRowMajor(ta, tb, m, n, k, a, b);
                    for (int i = 0; i < c.length; i++) {
                        assertEquals(expected[i], c[i], 1e-12, "m=" + m + " n=" + n + " k=" + k + " " + ta + tb + " at " + i);
                    }
                }
            }
        }
    }

    @Test
    void emptyShapesKeepLeadingDimensionsAtLeastOne() {
        RowMajorGemm g = RowMajorGemm.of(CublasOp.N, CublasOp.N, 0, 0, 0, 1, 2, 3);
        assertEquals(1, g.lda());
        assertEquals(1, g.ldb());
        assertEquals(1, g.ldc());
        assertDoesNotThrow(() -> CublasHandle.checkGemm("t", CublasOp.N, CublasOp.N, 0, 0, 0, 0, 1, 0, 1, 0, 1));
    }

    @Test
    void badGemmArgumentsAreIllegalArgumentsNamingThem() {
        IllegalArgumentException neg = assertThrows(IllegalArgumentException.class,
                () -> CublasHandle.checkGemm("sgemm", CublasOp.N, CublasOp.N, -1, 2, 2, 1, 1, 1, 2, 1, 1));
        assertTrue(neg.getMessage().contains("m=-1"), neg.getMessage());
        IllegalArgumentException lda = assertThrows(IllegalArgumentException.class,
                () -> CublasHandle.checkGemm("sgemm", CublasOp.N, CublasOp.T, 13, 7, 5, 1, 12, 2, 7, 3, 13));
        assertTrue(lda.getMessage().contains("need lda >= 13") && lda.getMessage().contains("got lda=12"), lda.getMessage());
        IllegalArgumentException ldbT = assertThrows(IllegalArgumentException.class,
                () -> CublasHandle.checkGemm("sgemm", CublasOp.N, CublasOp.T, 13, 7, 5, 1, 13, 2, 6, 3, 13));
        assertTrue(ldbT.getMessage().contains("ldb >= 7"), ldbT.getMessage());
        IllegalArgumentException ldc = assertThrows(IllegalArgumentException.class,
                () -> CublasHandle.checkGemm("sgemm", CublasOp.T, CublasOp.N, 13, 7, 5, 1, 5, 2, 5, 3, 12));
        assertTrue(ldc.getMessage().contains("ldc >= 13"), ldc.getMessage());
        IllegalArgumentException nul = assertThrows(IllegalArgumentException.class,
                () -> CublasHandle.checkGemm("sgemm", CublasOp.N, CublasOp.N, 2, 2, 2, 0, 2, 1, 2, 1, 2));
        assertTrue(nul.getMessage().contains("null device address"), nul.getMessage());
    }
}
