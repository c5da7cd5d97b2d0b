package io.vq4j.cuda.ffm;

/** cublasOperation_t for real matrices: use the matrix as stored (N) or its transpose (T). */
public enum CublasOp {
    N(0), T(1);

    private final int code;

    CublasOp(int code) { this.code = code; }

    /** The cublasOperation_t value (CUBLAS_OP_N = 0, CUBLAS_OP_T = 1). */
    int code() { return code; }
}
