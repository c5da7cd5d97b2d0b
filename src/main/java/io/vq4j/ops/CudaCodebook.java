package io.vq4j.ops;

/** STUB: to be written. */
final class CudaCodebook {
    private CudaCodebook() {}

    static VqGrads backward(CudaOps ops, VqLayout g, Tensor gradOut, Tensor z, Tensor codebook, Tensor indices, float beta, boolean deterministic) {
        throw new UnsupportedOperationException("not yet written");
    }

    static Tensor codeCounts(CudaOps ops, Tensor indices, int k) {
        throw new UnsupportedOperationException("not yet written");
    }

    static CodebookStats codebookStats(CudaOps ops, Tensor counts, double deadThreshold) {
        throw new UnsupportedOperationException("not yet written");
    }

    static void emaUpdate(CudaOps ops, VqLayout g, Tensor z, Tensor indices, Tensor codebook, EmaState state, float decay, float epsilon) {
        throw new UnsupportedOperationException("not yet written");
    }

    static int reviveDeadCodes(CudaOps ops, VqLayout g, Tensor codebook, Tensor usage, float threshold, Tensor z, long seed, EmaState ema) {
        throw new UnsupportedOperationException("not yet written");
    }

}
