package io.vq4j.cuda.ffm;

import io.vq4j.GpuTest;
import io.vq4j.TestData;
import io.vq4j.cuda.Cuda;
import io.vq4j.cuda.CudaStream;
import io.vq4j.cuda.DeviceBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * cuBLAS through FFM on JCuda device memory: SGEMM (column-major with leading dimensions and
 * every transpose, the row-major helper, strided batches) against a double-precision matmul,
 * handle lifecycle without leaks, and a bad status as an exception. Outputs are poisoned first.
 */
class CublasGpuTest extends GpuTest {
    private static final double TOL = 1e-5; // relative Frobenius error of FP32 SGEMM (no TF32)
    private static final int[] SIZES = {1, 13, 207, 512};

    private static CudaStream stream;
    private static final long SEED = System.nanoTime();

    @BeforeAll
    static void setUp() {
        assumeTrue(Cublas.isAvailable(), () -> "cuBLAS not available: " + Cublas.unavailableReason());
        stream = Cuda.runtime().context().newStream();
        System.out.println("[gpu] cuBLAS from " + Cublas.location() + "; cuDNN "
                + (Cudnn.isAvailable() ? "from " + Cudnn.location() : "unavailable"));
    }

    @AfterAll
    static void tearDown() {
        if (stream != null) stream.close();
    }

    @Test
    void versions() {
        NativeVersions v = NativeVersions.of(stream);
        System.out.println("[gpu] versions: " + v);
        assertTrue(v.cublas().matches("1[2-9]\\.\\d+\\.\\d+"), v.cublas());
        if (Cudnn.isAvailable()) assertTrue(v.cudnn().matches("9\\.\\d+\\.\\d+"), v.cudnn());
    }

    /** One column-major case: C(m x n, ldc) = alpha op(A) op(B) (+ beta C0), A and B with padded leading dimensions. */
    private static double runColumnMajor(CublasHandle h, CublasOp ta, CublasOp tb, int m, int n, int k,
                                         int padA, int padB, int padC, float alpha, float beta, long seed) {
        int rowsA = ta == CublasOp.N ? m : k, colsA = ta == CublasOp.N ? k : m;
        int rowsB = tb == CublasOp.N ? k : n, colsB = tb == CublasOp.N ? n : k;
        int lda = Math.max(1, rowsA + padA), ldb = Math.max(1, rowsB + padB), ldc = Math.max(1, m + padC);
        float[] a = TestData.gaussian(seed, lda * colsA, 1);
        float[] b = TestData.gaussian(seed + 1, ldb * colsB, 1);
        float[] c0 = TestData.gaussian(seed + 2, ldc * n, 1);
        double[] ref = DnnReference.toDouble(c0);
        GemmArgumentsTest.referenceColumnMajorGemm(ta, tb, m, n, k, alpha, DnnReference.toDouble(a), lda,
                DnnReference.toDouble(b), ldb, beta, ref, ldc);
        try (DeviceBuffer da = Dev.upload(stream, a); DeviceBuffer db = Dev.upload(stream, b);
             DeviceBuffer dc = beta == 0 ? Dev.poisoned(stream, ldc * n) : Dev.upload(stream, c0)) {
            h.sgemm(ta, tb, m, n, k, alpha, da.address(), lda, db.address(), ldb, beta, dc.address(), ldc);
            float[] got = Dev.download(dc);
            float[] gotLogical = new float[m * n];
            double[] refLogical = new double[m * n];
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < ldc; i++) {
                    float v = got[i + j * ldc];
                    if (i < m) {
                        gotLogical[i + j * m] = v;
                        refLogical[i + j * m] = ref[i + j * ldc];
                    } else if (beta == 0) {
                        assertEquals(TestData.POISON_BITS, Float.floatToRawIntBits(v),
                                "seed=" + seed + ": sgemm wrote C's padding row " + i + " of column " + j);
                    }
                }
            }
            return TestData.relError(gotLogical, refLogical);
        }
    }

    @Test
    void sgemmColumnMajorMatchesADoubleMatmul() {
        try (CublasHandle h = new CublasHandle(stream)) {
            int idx = 0;
            for (int m : SIZES) for (int n : SIZES) for (int k : SIZES) {
                CublasOp[][] ops = m == n && n == k
                        ? new CublasOp[][] {{CublasOp.N, CublasOp.N}, {CublasOp.N, CublasOp.T}, {CublasOp.T, CublasOp.N}, {CublasOp.T, CublasOp.T}}
                        : new CublasOp[][] {{CublasOp.N, CublasOp.N}, {CublasOp.values()[idx % 2], CublasOp.values()[(idx / 2) % 2]}};
                for (CublasOp[] op : ops) {
                    long seed = SEED + 31L * idx;
                    int padA = idx % 3 == 0 ? 3 : 0, padB = idx % 2 == 0 ? 2 : 0, padC = idx % 5 == 0 ? 1 : 0;
                    float alpha = idx % 4 == 1 ? 0.75f : 1f;
                    double err = runColumnMajor(h, op[0], op[1], m, n, k, padA, padB, padC, alpha, 0f, seed);
                    System.out.printf("[gpu] op=sgemm shape=m%d,n%d,k%d ops=%s%s ld+=%d,%d,%d alpha=%s relErr=%.3e%n",
                            m, n, k, op[0], op[1], padA, padB, padC, alpha, err);
                    assertTrue(err <= TOL, "seed=" + seed + " sgemm " + op[0] + op[1] + " m=" + m + " n=" + n + " k=" + k
                            + " relErr=" + err);
                    idx++;
                }
            }
        }
    }

    @Test
    void sgemmAccumulatesWithBeta() {
        try (CublasHandle h = new CublasHandle(stream)) {
            int[][] shapes = {{13, 207, 512}, {1, 13, 1}, {207, 1, 13}};
            for (int i = 0; i < shapes.length; i++) {
                int[] s = shapes[i];
                long seed = SEED + 1000 + i;
                double err = runColumnMajor(h, CublasOp.T, CublasOp.N, s[0], s[1], s[2], 1, 0, 2, -0.5f, 0.5f, seed);
                System.out.printf("[gpu] op=sgemm.beta shape=m%d,n%d,k%d alpha=-0.5 beta=0.5 relErr=%.3e%n", s[0], s[1], s[2], err);
                assertTrue(err <= TOL, "seed=" + seed + " relErr=" + err);
            }
        }
    }

    @Test
    void sgemmRowMajorMatchesADoubleMatmul() {
        int[][] shapes = {{1, 1, 1}, {13, 207, 512}, {512, 13, 207}, {207, 512, 13}, {1, 512, 207}};
        try (CublasHandle h = new CublasHandle(stream)) {
            int idx = 0;
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                for (CublasOp ta : CublasOp.values()) for (CublasOp tb : CublasOp.values()) {
                    long seed = SEED + 5000 + idx++;
                    float[] a = TestData.gaussian(seed, m * k, 1), b = TestData.gaussian(seed + 1, k * n, 1);
                    double[] ref = GemmArgumentsTest.referenceRowMajor(ta, tb, m, n, k,
                            DnnReference.toDouble(a), DnnReference.toDouble(b));
                    try (DeviceBuffer da = Dev.upload(stream, a); DeviceBuffer db = Dev.upload(stream, b);
                         DeviceBuffer dc = Dev.poisoned(stream, m * n)) {
                        h.sgemmRowMajor(ta, tb, m, n, k, 1f, da.address(), db.address(), 0f, dc.address());
                        double err = TestData.relError(Dev.download(dc), ref);
                        System.out.printf("[gpu] op=sgemmRowMajor shape=m%d,n%d,k%d ops=%s%s relErr=%.3e%n", m, n, k, ta, tb, err);
                        assertTrue(err <= TOL, "seed=" + seed + " row-major " + ta + tb + " m=" + m + " n=" + n + " k=" + k
                                + " relErr=" + err);
                    }
                }
            }
        }
    }

    @Test
    void sgemmStridedBatchedMatchesPerBatchMatmuls() {
        // {m, n, k, batch, shareB}: shareB uses stride 0 for B (one matrix for every batch entry)
        int[][] cases = {{13, 7, 207, 3, 0}, {1, 1, 1, 1, 0}, {207, 13, 512, 2, 1}, {13, 512, 1, 5, 1}};
        try (CublasHandle h = new CublasHandle(stream)) {
            for (int ci = 0; ci < cases.length; ci++) {
                int m = cases[ci][0], n = cases[ci][1], k = cases[ci][2], batch = cases[ci][3];
                boolean shareB = cases[ci][4] == 1;
                long seed = SEED + 9000 + ci;
                int lda = m, ldb = n, ldc = m;            // A: N (m x k); B: T (stored n x k)
                long strideA = (long) m * k, strideB = shareB ? 0 : (long) n * k, strideC = (long) m * n + 5; // gaps in C
                float[] a = TestData.gaussian(seed, (int) (strideA * batch), 1);
                float[] b = TestData.gaussian(seed + 1, (int) (shareB ? (long) n * k : strideB * batch), 1);
                int cLen = (int) (strideC * batch);
                try (DeviceBuffer da = Dev.upload(stream, a); DeviceBuffer db = Dev.upload(stream, b);
                     DeviceBuffer dc = Dev.poisoned(stream, cLen)) {
                    h.sgemmStridedBatched(CublasOp.N, CublasOp.T, m, n, k, 1f, da.address(), lda, strideA,
                            db.address(), ldb, strideB, 0f, dc.address(), ldc, strideC, batch);
                    float[] got = Dev.download(dc);
                    double worst = 0;
                    for (int bi = 0; bi < batch; bi++) {
                        double[] aBatch = new double[m * k], bBatch = new double[n * k], ref = new double[m * n];
                        for (int i = 0; i < aBatch.length; i++) aBatch[i] = a[(int) (bi * strideA) + i];
                        for (int i = 0; i < bBatch.length; i++) bBatch[i] = b[(int) (bi * strideB) + i];
                        GemmArgumentsTest.referenceColumnMajorGemm(CublasOp.N, CublasOp.T, m, n, k, 1, aBatch, lda,
                                bBatch, ldb, 0, ref, ldc);
                        float[] gotBatch = new float[m * n];
                        System.arraycopy(got, (int) (bi * strideC), gotBatch, 0, m * n);
                        worst = Math.max(worst, TestData.relError(gotBatch, ref));
                        for (int g = m * n; g < strideC && bi * strideC + g < cLen; g++) {
                            assertEquals(TestData.POISON_BITS, Float.floatToRawIntBits(got[(int) (bi * strideC + g)]),
                                    "seed=" + seed + ": wrote the gap after batch " + bi);
                        }
                    }
                    System.out.printf("[gpu] op=sgemmStridedBatched shape=m%d,n%d,k%d,batch%d shareB=%s relErr=%.3e%n",
                            m, n, k, batch, shareB, worst);
                    assertTrue(worst <= TOL, "seed=" + seed + " relErr=" + worst);
                }
            }
        }
    }

    @Test
    void handleLifecycleDoesNotLeak() {
        for (int i = 0; i < 5; i++) new CublasHandle(stream).close(); // warm-up: cuBLAS's one-time state
        stream.synchronize();
        long live0 = DeviceBuffer.liveBytes();
        long free0 = stream.context().memoryInfo()[0];
        long t0 = System.nanoTime();
        for (int i = 0; i < 1000; i++) {
            try (CublasHandle h = new CublasHandle(stream, i % 2 == 0 ? CublasMathMode.DEFAULT : CublasMathMode.PEDANTIC)) {
                h.setMathMode(CublasMathMode.TF32_TENSOR_OP);
                if (i % 100 == 0) assertTrue(h.version() >= 120000, "version " + h.version());
            }
        }
        stream.synchronize();
        long free1 = stream.context().memoryInfo()[0];
        System.out.printf("[gpu] op=cublasHandleLifecycle n=1000 ms=%.1f freeDeltaMiB=%.1f%n",
                (System.nanoTime() - t0) / 1e6, (free0 - free1) / 1048576.0);
        assertEquals(live0, DeviceBuffer.liveBytes());
        assertTrue(free0 - free1 < 64L << 20, "device memory dropped by " + (free0 - free1) + " bytes over 1000 handles");

        CublasHandle h = new CublasHandle(stream);
        h.close();
        assertDoesNotThrow(h::close); // idempotent
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> h.sgemm(CublasOp.N, CublasOp.N, 1, 1, 1, 1f, 8, 1, 8, 1, 0f, 8, 1));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void aBadStatusBecomesAnExceptionNamingTheFunction() {
        try (CublasHandle h = new CublasHandle(stream); Arena arena = Arena.ofConfined()) {
            MemorySegment raw = h.segment();
            MemorySegment one = arena.allocateFrom(JAVA_FLOAT, 1f), zero = arena.allocateFrom(JAVA_FLOAT, 0f);
            // m < 0 is documented as CUBLAS_STATUS_INVALID_VALUE; cuBLAS checks it before touching any pointer
            NativeLibraryException e = assertThrows(NativeLibraryException.class, () -> CublasCheck.call("cublasSgemm_v2",
                    () -> (int) CublasFunctions.cublasSgemm_v2.invokeExact(raw, 0, 0, -1, 1, 1,
                            one, MemorySegment.NULL, 1, MemorySegment.NULL, 1, zero, MemorySegment.NULL, 1)));
            System.out.println("[gpu] op=cublasBadStatus message=" + e.getMessage());
            assertEquals("cublasSgemm_v2", e.function());
            assertEquals(7, e.code()); // CUBLAS_STATUS_INVALID_VALUE
            assertFalse(e.errorString() == null || e.errorString().isBlank(), e.getMessage());
            assertTrue(e.getMessage().contains(e.errorString()) && e.getMessage().contains("cuBLAS status 7"), e.getMessage());
            // the handle is still usable afterwards
            assertTrue(runColumnMajor(h, CublasOp.N, CublasOp.N, 13, 13, 13, 0, 0, 0, 1f, 0f, SEED) <= TOL);
        }
    }
}
