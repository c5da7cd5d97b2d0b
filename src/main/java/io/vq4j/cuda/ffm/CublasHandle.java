package io.vq4j.cuda.ffm;

import io.vq4j.cuda.CudaStream;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static io.vq4j.cuda.ffm.CublasFunctions.cublasCreate_v2;
import static io.vq4j.cuda.ffm.CublasFunctions.cublasDestroy_v2;
import static io.vq4j.cuda.ffm.CublasFunctions.cublasGetVersion_v2;
import static io.vq4j.cuda.ffm.CublasFunctions.cublasSetMathMode;
import static io.vq4j.cuda.ffm.CublasFunctions.cublasSetStream_v2;
import static io.vq4j.cuda.ffm.CublasFunctions.cublasSgemmStridedBatched;
import static io.vq4j.cuda.ffm.CublasFunctions.cublasSgemm_v2;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A cuBLAS handle bound to one {@link CudaStream}: every call it makes is queued on that stream,
 * in order with the kernels and copies queued there. Matrices are device addresses
 * ({@code DeviceBuffer.address()} plus a byte offset) of FP32 data, column-major as cuBLAS
 * expects; {@link #sgemmRowMajor} is the row-major form the layers use.
 *
 * <p>Scalars are passed in host pointer mode (cuBLAS's default), from a confined arena per call:
 * cuBLAS reads them before the call returns. Methods are synchronized: a handle is one stream's
 * state, and close() must not race a call. Close it (idempotent) to free cuBLAS's resources.
 */
public final class CublasHandle implements AutoCloseable {
    private final CudaStream stream;
    private final MemorySegment handle;
    private boolean closed;

    /** A handle on {@code stream} in {@link CublasMathMode#DEFAULT} (full FP32 SGEMM). */
    public CublasHandle(CudaStream stream) {
        this(stream, CublasMathMode.DEFAULT);
    }

    /**
     * Creates the handle, binds it to {@code stream} and sets {@code mathMode}; if a step fails
     * the handle is destroyed before the exception leaves (nothing half-made).
     *
     * @throws IllegalStateException when cuBLAS is not available (with every place tried)
     */
    public CublasHandle(CudaStream stream, CublasMathMode mathMode) {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(mathMode, "mathMode");
        Cublas.requireAvailable();
        this.stream = stream;
        stream.context().bind(); // cuBLAS uses whatever context is current: the primary one
        MemorySegment h;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            CublasCheck.call("cublasCreate_v2", () -> (int) cublasCreate_v2.invokeExact(out));
            h = out.get(ADDRESS, 0);
        }
        try {
            MemorySegment raw = MemorySegment.ofAddress(stream.handle());
            CublasCheck.call("cublasSetStream_v2", () -> (int) cublasSetStream_v2.invokeExact(h, raw));
            CublasCheck.call("cublasSetMathMode(" + mathMode + ")",
                    () -> (int) cublasSetMathMode.invokeExact(h, mathMode.code()));
        } catch (RuntimeException | Error e) {
            destroy(h, e);
            throw e;
        }
        this.handle = h;
    }

    public CudaStream stream() { return stream; }

    /** Changes the math mode of later calls on this handle. */
    public synchronized void setMathMode(CublasMathMode mode) {
        Objects.requireNonNull(mode, "mode");
        MemorySegment h = open();
        CublasCheck.call("cublasSetMathMode(" + mode + ")", () -> (int) cublasSetMathMode.invokeExact(h, mode.code()));
    }

    /** {@code cublasGetVersion}'s integer, e.g. 130100 for 13.1.0. */
    public synchronized int version() {
        MemorySegment h = open();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_INT);
            CublasCheck.call("cublasGetVersion_v2", () -> (int) cublasGetVersion_v2.invokeExact(h, out));
            return out.get(JAVA_INT, 0);
        }
    }

    /** The version as "13.1.0". */
    public String versionString() {
        return Cublas.versionString(version());
    }

    /**
     * Column-major C = alpha op(A) op(B) + beta C, exactly cublasSgemm: C is m x n with leading
     * dimension ldc, op(A) is m x k, op(B) is k x n; A is stored m x k (N) or k x m (T) with
     * leading dimension lda, B likewise. With beta = 0, C is not read (it may hold garbage).
     */
    public synchronized void sgemm(CublasOp transA, CublasOp transB, int m, int n, int k,
                                   float alpha, long a, int lda, long b, int ldb,
                                   float beta, long c, int ldc) {
        checkGemm("sgemm", transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        MemorySegment h = open();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pAlpha = arena.allocateFrom(JAVA_FLOAT, alpha);
            MemorySegment pBeta = arena.allocateFrom(JAVA_FLOAT, beta);
            CublasCheck.call("cublasSgemm_v2", () -> (int) cublasSgemm_v2.invokeExact(h,
                    transA.code(), transB.code(), m, n, k,
                    pAlpha, MemorySegment.ofAddress(a), lda, MemorySegment.ofAddress(b), ldb,
                    pBeta, MemorySegment.ofAddress(c), ldc));
        }
    }

    /**
     * {@code batchCount} independent column-major GEMMs as in {@link #sgemm}; matrix i of A, B
     * and C starts {@code i * stride} floats (not bytes) after the first. A stride of 0 reuses
     * one matrix for every batch entry.
     */
    public synchronized void sgemmStridedBatched(CublasOp transA, CublasOp transB, int m, int n, int k,
                                                 float alpha, long a, int lda, long strideA,
                                                 long b, int ldb, long strideB,
                                                 float beta, long c, int ldc, long strideC, int batchCount) {
        checkGemm("sgemmStridedBatched", transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        if (batchCount < 0 || strideA < 0 || strideB < 0 || strideC < 0) {
            throw new IllegalArgumentException("sgemmStridedBatched: batchCount and strides must be >= 0, got batchCount="
                    + batchCount + ", strideA=" + strideA + ", strideB=" + strideB + ", strideC=" + strideC);
        }
        if (batchCount == 0) return;
        MemorySegment h = open();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pAlpha = arena.allocateFrom(JAVA_FLOAT, alpha);
            MemorySegment pBeta = arena.allocateFrom(JAVA_FLOAT, beta);
            CublasCheck.call("cublasSgemmStridedBatched", () -> (int) cublasSgemmStridedBatched.invokeExact(h,
                    transA.code(), transB.code(), m, n, k,
                    pAlpha, MemorySegment.ofAddress(a), lda, strideA, MemorySegment.ofAddress(b), ldb, strideB,
                    pBeta, MemorySegment.ofAddress(c), ldc, strideC, batchCount));
        }
    }

    /**
     * Row-major, packed C = alpha op(A) op(B) + beta C, the layout of vq4j's tensors: C is m x n
     * (row length n), op(A) is m x k and op(B) is k x n; A is stored m x k (N) or k x m (T) and
     * B is stored k x n (N) or n x k (T), each with rows packed. For example a linear layer's
     * y[N x out] = x[N x in] W[out x in]<sup>T</sup> is {@code sgemmRowMajor(N, T, N, out, in, 1, x, W, 0, y)}.
     * Runs as the column-major C<sup>T</sup> = op(B)<sup>T</sup> op(A)<sup>T</sup> (see {@link RowMajorGemm}).
     */
    public void sgemmRowMajor(CublasOp opA, CublasOp opB, int m, int n, int k,
                              float alpha, long a, long b, float beta, long c) {
        RowMajorGemm g = RowMajorGemm.of(opA, opB, m, n, k, a, b, c);
        sgemm(g.transA(), g.transB(), g.m(), g.n(), g.k(), alpha, g.a(), g.lda(), g.b(), g.ldb(), beta, g.c(), g.ldc());
    }

    /** Argument checks cuBLAS would answer with a bare CUBLAS_STATUS_INVALID_VALUE. */
    static void checkGemm(String fn, CublasOp transA, CublasOp transB, int m, int n, int k,
                          long a, int lda, long b, int ldb, long c, int ldc) {
        Objects.requireNonNull(transA, "transA");
        Objects.requireNonNull(transB, "transB");
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException(fn + ": m, n, k must be >= 0, got m=" + m + ", n=" + n + ", k=" + k);
        }
        int minLda = Math.max(1, transA == CublasOp.N ? m : k);
        int minLdb = Math.max(1, transB == CublasOp.N ? k : n);
        int minLdc = Math.max(1, m);
        if (lda < minLda || ldb < minLdb || ldc < minLdc) {
            throw new IllegalArgumentException(fn + "(" + transA + ", " + transB + ", m=" + m + ", n=" + n + ", k=" + k
                    + "): need lda >= " + minLda + ", ldb >= " + minLdb + ", ldc >= " + minLdc
                    + ", got lda=" + lda + ", ldb=" + ldb + ", ldc=" + ldc);
        }
        if (m > 0 && n > 0 && (c == 0 || (k > 0 && (a == 0 || b == 0)))) {
            throw new IllegalArgumentException(fn + ": null device address (a=" + a + ", b=" + b + ", c=" + c
                    + ") for m=" + m + ", n=" + n + ", k=" + k);
        }
    }

    /** The raw cublasHandle_t, for calls this class does not wrap (tests). */
    synchronized MemorySegment segment() {
        return open();
    }

    /** The raw handle, with the stream's context current on this thread. */
    private MemorySegment open() {
        if (closed) throw new IllegalStateException("CublasHandle is closed");
        stream.context().bind();
        return handle;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        stream.context().bind();
        CublasCheck.call("cublasDestroy_v2", () -> (int) cublasDestroy_v2.invokeExact(handle));
    }

    /** Destroys a handle whose construction failed; a failure here is added to {@code cause}. */
    private static void destroy(MemorySegment h, Throwable cause) {
        try {
            CublasCheck.call("cublasDestroy_v2", () -> (int) cublasDestroy_v2.invokeExact(h));
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }
}
