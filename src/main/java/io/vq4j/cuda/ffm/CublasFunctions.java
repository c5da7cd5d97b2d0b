package io.vq4j.cuda.ffm;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The cuBLAS functions vq4j calls, as {@code static final} downcall handles (constants to the
 * JIT), and nothing else. This class is its own lazy holder: the library is found and loaded the
 * first time anything here is touched, and never throws while doing so (see {@link NativeLibrary}).
 *
 * <p>Mapping from cublas_api.h (cuBLAS 13.1; identical in 12.x): {@code cublasStatus_t} and the
 * enums are {@code int}; {@code int} is {@code int}; {@code long long} is {@code long};
 * every pointer (handles, streams, host out-params, host scalars, device arrays) is an ADDRESS.
 * Field names are the C names, so a grep finds both.
 */
final class CublasFunctions {
    private CublasFunctions() {}

    static final NativeLibrary LIBRARY = NativeLibrary.load(LibrarySpec.CUBLAS);

    /** cublasStatus_t cublasCreate_v2(cublasHandle_t* handle) */
    static final MethodHandle cublasCreate_v2 = LIBRARY.downcall("cublasCreate_v2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));

    /** cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) */
    static final MethodHandle cublasDestroy_v2 = LIBRARY.downcall("cublasDestroy_v2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));

    /** cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId) */
    static final MethodHandle cublasSetStream_v2 = LIBRARY.downcall("cublasSetStream_v2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

    /** cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int* version) */
    static final MethodHandle cublasGetVersion_v2 = LIBRARY.downcall("cublasGetVersion_v2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

    /** const char* cublasGetStatusString(cublasStatus_t status) */
    static final MethodHandle cublasGetStatusString = LIBRARY.downcall("cublasGetStatusString",
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    /** cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) */
    static final MethodHandle cublasSetMathMode = LIBRARY.downcall("cublasSetMathMode",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

    /**
     * cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa,
     * cublasOperation_t transb, int m, int n, int k, const float* alpha, const float* A, int lda,
     * const float* B, int ldb, const float* beta, float* C, int ldc)
     */
    static final MethodHandle cublasSgemm_v2 = LIBRARY.downcall("cublasSgemm_v2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                    ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));

    /**
     * cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa,
     * cublasOperation_t transb, int m, int n, int k, const float* alpha, const float* A, int lda,
     * long long strideA, const float* B, int ldb, long long strideB, const float* beta, float* C,
     * int ldc, long long strideC, int batchCount)
     */
    static final MethodHandle cublasSgemmStridedBatched = LIBRARY.downcall("cublasSgemmStridedBatched",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                    ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG,
                    ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT));
}
