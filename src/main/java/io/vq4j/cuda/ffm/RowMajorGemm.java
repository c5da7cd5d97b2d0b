package io.vq4j.cuda.ffm;

/**
 * Row-major GEMM expressed as the column-major call cuBLAS understands.
 *
 * <p>A row-major matrix X (r x c, rows packed, row length c) has the same bytes as the
 * column-major matrix X<sup>T</sup> (c x r, leading dimension c). So the row-major product
 * C = op(A) op(B), with C m x n, becomes the column-major product
 * C<sup>T</sup> = op(B)<sup>T</sup> op(A)<sup>T</sup>: swap the operands and m with n, keep each
 * operand's transpose flag, and use each stored matrix's row length as its leading dimension:
 * <pre>
 *   stored A: m x k (N) or k x m (T)  -> lda = k or m
 *   stored B: k x n (N) or n x k (T)  -> ldb = n or k
 *   C: m x n                          -> ldc = n
 *   cublasSgemm(opB, opA, n, m, k, alpha, B, ldb, A, lda, beta, C, ldc)
 * </pre>
 * Leading dimensions are at least 1, as cuBLAS requires even for empty matrices.
 */
record RowMajorGemm(CublasOp transA, CublasOp transB, int m, int n, int k,
                    long a, int lda, long b, int ldb, long c, int ldc) {

    /** The column-major arguments for the packed row-major C(m x n) = op(A) op(B). */
    static RowMajorGemm of(CublasOp opA, CublasOp opB, int m, int n, int k, long a, long b, long c) {
        int lda = Math.max(1, opA == CublasOp.N ? k : m);
        int ldb = Math.max(1, opB == CublasOp.N ? n : k);
        int ldc = Math.max(1, n);
        return new RowMajorGemm(opB, opA, n, m, k, b, ldb, a, lda, c, ldc);
    }
}
